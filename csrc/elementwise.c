/* Elementwise kernels: one row function per (op, dtype), all run by the one strided iterator.
 * Each op is written once, as an expression in its operands x, y, z; ROW() (internal.h) makes
 * the row function. */
#include <math.h>
#include <stdint.h>
#include "internal.h"
#include "vecmath.h"

#define F32_FN(name) FG_F32_##name
#define F64_FN(name) FG_F64_##name

/* ---- the ops, each once. x, y, z are the operands; results are converted to the out type. */
#define ABS_OF(x) ((x) <= 0 ? 0 - (x) : (x)) /* 0 - -0. is 0. (-(-0.) is not); NaN stays NaN */
#define SIGN_OF(x) (((x) > 0) - ((x) < 0)) /* 0 for 0 and NaN, as torch */

static inline int64_t int_pow(int64_t base, int64_t exp)
{
    if (exp < 0) return base == 1 ? 1 : base == -1 ? (exp & 1 ? -1 : 1) : 0;
    int64_t result = 1;
    for (;;) {
        if (exp & 1) result *= base;
        exp >>= 1;
        if (!exp) return result;
        base *= base;
    }
}

/* Ops every dtype has (bool included). */
#define ALL_DTYPE_OPS(X, T)                                          \
    X(FG_EQ, 2, T, T, fg_bool, x == y)                               \
    X(FG_NE, 2, T, T, fg_bool, x != y)                               \
    X(FG_LT, 2, T, T, fg_bool, x < y)                                \
    X(FG_LE, 2, T, T, fg_bool, x <= y)                               \
    X(FG_GT, 2, T, T, fg_bool, x > y)                                \
    X(FG_GE, 2, T, T, fg_bool, x >= y)                               \
    X(FG_MAXIMUM, 2, T, T, T, MAX_OF(x, y))                          \
    X(FG_MINIMUM, 2, T, T, T, MIN_OF(x, y))                          \
    X(FG_WHERE, 3, fg_bool, T, T, x ? y : z)

/* Ops of numbers: int64 and floating. */
#define NUMBER_OPS(X, T)                                             \
    X(FG_NEG, 1, T, T, T, -x)                                        \
    X(FG_ABS, 1, T, T, T, ABS_OF(x))                                 \
    X(FG_SIGN, 1, T, T, T, SIGN_OF(x))                               \
    X(FG_RELU, 1, T, T, T, x < 0 ? 0 : x)                            \
    X(FG_ADD, 2, T, T, T, x + y)                                     \
    X(FG_SUB, 2, T, T, T, x - y)                                     \
    X(FG_MUL, 2, T, T, T, x * y)

/* Ops of floating types only; the math functions are picked per type by F (vecmath.h). The
 * backward rules are torch's: relu's passes g at a NaN x, abs's is g * sign(x) (NaN for a NaN
 * or inf g at 0). */
#define FLOAT_OPS(X, T, F)                                           \
    X(FG_EXP, 1, T, T, T, F(exp)(x))                                 \
    X(FG_LOG, 1, T, T, T, F(log)(x))                                 \
    X(FG_SQRT, 1, T, T, T, F(sqrt)(x))                               \
    X(FG_SIN, 1, T, T, T, F(sin)(x))                                 \
    X(FG_COS, 1, T, T, T, F(cos)(x))                                 \
    X(FG_TANH, 1, T, T, T, F(tanh)(x))                               \
    X(FG_SIGMOID, 1, T, T, T, (T)1 / ((T)1 + F(exp)(-x)))            \
    X(FG_DIV, 2, T, T, T, x / y)                                     \
    X(FG_POW, 2, T, T, T, F(pow)(x, y))                              \
    X(FG_RELU_BACKWARD, 2, T, T, T, y <= 0 ? 0 : x)                  \
    X(FG_ABS_BACKWARD, 2, T, T, T, x * (T)SIGN_OF(y))                \
    X(FG_SIGMOID_BACKWARD, 2, T, T, T, x * y * ((T)1 - y))           \
    X(FG_TANH_BACKWARD, 2, T, T, T, x * ((T)1 - y * y))              \
    X(FG_MAX_BACKWARD, 3, T, T, T, y < z ? 0 : y == z ? x * (T)0.5 : x)


/* Row functions named op_dtype, e.g. FG_ADD_f32. */
#define DEFINE_F32(OP, ARITY, TX, T, R, EXPR) ROW(OP##_f32, ARITY, TX, T, R, EXPR)
#define DEFINE_F64(OP, ARITY, TX, T, R, EXPR) ROW(OP##_f64, ARITY, TX, T, R, EXPR)
#define DEFINE_I64(OP, ARITY, TX, T, R, EXPR) ROW(OP##_i64, ARITY, TX, T, R, EXPR)
#define DEFINE_BOOL(OP, ARITY, TX, T, R, EXPR) ROW(OP##_bool, ARITY, TX, T, R, EXPR)

ALL_DTYPE_OPS(DEFINE_F32, float)
ALL_DTYPE_OPS(DEFINE_F64, double)
ALL_DTYPE_OPS(DEFINE_I64, int64_t)
ALL_DTYPE_OPS(DEFINE_BOOL, fg_bool)
NUMBER_OPS(DEFINE_F32, float)
NUMBER_OPS(DEFINE_F64, double)
NUMBER_OPS(DEFINE_I64, int64_t)
FLOAT_OPS(DEFINE_F32, float, F32_FN)
FLOAT_OPS(DEFINE_F64, double, F64_FN)
ROW(FG_POW_i64, 2, int64_t, int64_t, int64_t, int_pow(x, y))

typedef struct {
    fg_row_fn row[4]; /* indexed by fg_dtype */
    int arity;
} op_entry;

static op_entry op_table[FG_NUM_OPS];

#define REGISTER(OP, ARITY, DTYPE, FN) { op_table[OP].row[DTYPE] = FN; op_table[OP].arity = ARITY; }
#define REG_F32(OP, ARITY, TX, T, R, EXPR) REGISTER(OP, ARITY, FG_FLOAT32, OP##_f32)
#define REG_F64(OP, ARITY, TX, T, R, EXPR) REGISTER(OP, ARITY, FG_FLOAT64, OP##_f64)
#define REG_I64(OP, ARITY, TX, T, R, EXPR) REGISTER(OP, ARITY, FG_INT64, OP##_i64)
#define REG_BOOL(OP, ARITY, TX, T, R, EXPR) REGISTER(OP, ARITY, FG_BOOL, OP##_bool)

__attribute__((constructor)) static void fill_op_table(void)
{
    ALL_DTYPE_OPS(REG_F32, float)
    ALL_DTYPE_OPS(REG_F64, double)
    ALL_DTYPE_OPS(REG_I64, int64_t)
    ALL_DTYPE_OPS(REG_BOOL, fg_bool)
    NUMBER_OPS(REG_F32, float)
    NUMBER_OPS(REG_F64, double)
    NUMBER_OPS(REG_I64, int64_t)
    FLOAT_OPS(REG_F32, float, F32_FN)
    FLOAT_OPS(REG_F64, double, F64_FN)
    REGISTER(FG_POW, 2, FG_INT64, FG_POW_i64)
}

int fg_elementwise(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides,
                   char *out, const char *x, const char *y, const char *z)
{
    if (op < 0 || op >= FG_NUM_OPS) return FG_EOP;
    if (!FG_VALID_DTYPE(dtype) || !op_table[op].row[dtype]) return FG_EDTYPE;
    fg_geometry g;
    int status = fg_geometry_init(&g, op_table[op].arity + 1, ndim, shape, strides);
    if (status != FG_OK) return status;
    char *ptrs[FG_MAX_OPERANDS] = {out, (char *)x, (char *)y, (char *)z};
    fg_iterate(&g, ptrs, op_table[op].row[dtype], NULL, 1);
    return FG_OK;
}

int fg_elementwise_flat(int op, int dtype, int64_t n, char *out, const char *x, int64_t sx,
                        const char *y, int64_t sy, const char *z, int64_t sz)
{
    if (!FG_VALID_DTYPE(dtype)) return FG_EDTYPE;
    int64_t out_size = op >= FG_EQ && op <= FG_GE ? (int64_t)sizeof(fg_bool) : fg_dtype_size(dtype);
    const int64_t strides[4] = {out_size, sx, sy, sz};
    return fg_elementwise(op, dtype, 1, &n, strides, out, x, y, z);
}
