/* Elementwise kernels: one row function per (op, dtype), all run by the one strided iterator.
 * Each op is written once, as an expression in its operands x, y, z; ROW() (internal.h) makes
 * the row function. */
#include <math.h>
#include <stdint.h>
#include "internal.h"
#include "vecmath.h"

/* The math functions of each floating type: vecmath.h's (FG_F32_exp is fg_expf, ...). */
#define F32_VEC(name) FG_F32_##name
#define F64_VEC(name) FG_F64_##name
/* float16 computes in float and rounds once, as torch's CPU kernels do. */
#define F16_VEC(name) (fg_half)FG_F32_##name

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

/* The op lists. Each entry is X(S, D, OP, ARITY, TX, T, R, EXPR): S and D are the dtype's name
 * suffix and code, passed through; TX the type of x, T that of the other operands, R the
 * result's; EXPR the op in x, y, z. F picks the math functions of the type. */

/* Ops every dtype has (bool included). */
#define ALL_DTYPE_OPS(X, S, D, T, F)                                         \
    X(S, D, FG_EQ, 2, T, T, fg_bool, x == y)                                 \
    X(S, D, FG_NE, 2, T, T, fg_bool, x != y)                                 \
    X(S, D, FG_LT, 2, T, T, fg_bool, x < y)                                  \
    X(S, D, FG_LE, 2, T, T, fg_bool, x <= y)                                 \
    X(S, D, FG_GT, 2, T, T, fg_bool, x > y)                                  \
    X(S, D, FG_GE, 2, T, T, fg_bool, x >= y)                                 \
    X(S, D, FG_MAXIMUM, 2, T, T, T, MAX_OF(x, y))                            \
    X(S, D, FG_MINIMUM, 2, T, T, T, MIN_OF(x, y))                            \
    X(S, D, FG_WHERE, 3, fg_bool, T, T, x ? y : z)

/* Ops of numbers: int64 and floating. */
#define NUMBER_OPS(X, S, D, T, F)                                            \
    X(S, D, FG_NEG, 1, T, T, T, -x)                                          \
    X(S, D, FG_ABS, 1, T, T, T, ABS_OF(x))                                   \
    X(S, D, FG_SIGN, 1, T, T, T, SIGN_OF(x))                                 \
    X(S, D, FG_RELU, 1, T, T, T, x < 0 ? 0 : x)                              \
    X(S, D, FG_ADD, 2, T, T, T, x + y)                                       \
    X(S, D, FG_SUB, 2, T, T, T, x - y)                                       \
    X(S, D, FG_MUL, 2, T, T, T, x * y)

/* Ops of floating types only. The backward rules are torch's: relu's passes g at a NaN x,
 * abs's is g * sign(x) (NaN for a NaN or inf g at 0). */
#define FLOAT_OPS(X, S, D, T, F)                                             \
    X(S, D, FG_EXP, 1, T, T, T, F(exp)(x))                                   \
    X(S, D, FG_LOG, 1, T, T, T, F(log)(x))                                   \
    X(S, D, FG_SQRT, 1, T, T, T, F(sqrt)(x))                                 \
    X(S, D, FG_SIN, 1, T, T, T, F(sin)(x))                                   \
    X(S, D, FG_COS, 1, T, T, T, F(cos)(x))                                   \
    X(S, D, FG_TANH, 1, T, T, T, F(tanh)(x))                                 \
    X(S, D, FG_FLOOR, 1, T, T, T, F(floor)(x))                               \
    X(S, D, FG_CEIL, 1, T, T, T, F(ceil)(x))                                 \
    X(S, D, FG_TRUNC, 1, T, T, T, F(trunc)(x))                               \
    X(S, D, FG_ROUND, 1, T, T, T, F(nearbyint)(x))                           \
    X(S, D, FG_LOG2, 1, T, T, T, F(log2)(x))                                 \
    X(S, D, FG_LOG10, 1, T, T, T, F(log10)(x))                               \
    X(S, D, FG_LOG1P, 1, T, T, T, F(log1p)(x))                               \
    X(S, D, FG_EXPM1, 1, T, T, T, F(expm1)(x))                               \
    X(S, D, FG_RSQRT, 1, T, T, T, (T)1 / F(sqrt)(x))                         \
    X(S, D, FG_RECIPROCAL, 1, T, T, T, (T)1 / x)                             \
    X(S, D, FG_SINH, 1, T, T, T, F(sinh)(x))                                 \
    X(S, D, FG_COSH, 1, T, T, T, F(cosh)(x))                                 \
    X(S, D, FG_ASIN, 1, T, T, T, F(asin)(x))                                 \
    X(S, D, FG_ACOS, 1, T, T, T, F(acos)(x))                                 \
    X(S, D, FG_ATAN, 1, T, T, T, F(atan)(x))                                 \
    X(S, D, FG_ERF, 1, T, T, T, F(erf)(x))                                   \
    X(S, D, FG_SIGMOID, 1, T, T, T, (T)1 / ((T)1 + F(exp)(-x)))              \
    X(S, D, FG_DIV, 2, T, T, T, x / y)                                       \
    X(S, D, FG_POW, 2, T, T, T, F(pow)(x, y))                                \
    X(S, D, FG_RELU_BACKWARD, 2, T, T, T, y <= 0 ? 0 : x)                    \
    X(S, D, FG_ABS_BACKWARD, 2, T, T, T, x * (T)SIGN_OF(y))                  \
    X(S, D, FG_SIGMOID_BACKWARD, 2, T, T, T, x * y * ((T)1 - y))             \
    X(S, D, FG_TANH_BACKWARD, 2, T, T, T, x * ((T)1 - y * y))                \
    X(S, D, FG_MAX_BACKWARD, 3, T, T, T, y < z ? 0 : y == z ? x * (T)0.5 : x)

/* Ops of int64 only. */
#define INT_OPS(X, S, D, T, F) X(S, D, FG_POW, 2, T, T, T, int_pow(x, y))

/* The narrower integer types have the lists of int64. */
#define INT_INSTANCES(X, S, D, T)                                            \
    X(ALL_DTYPE_OPS, S, D, T, none) X(NUMBER_OPS, S, D, T, none) X(INT_OPS, S, D, T, none)

/* Every (op list, dtype) pair, once: X(LIST, S, D, T, F); F is none where the list uses no
 * math function. */
#define INSTANCES(X)                                                         \
    X(ALL_DTYPE_OPS, f32, FG_FLOAT32, float, F32_VEC)                        \
    X(ALL_DTYPE_OPS, f64, FG_FLOAT64, double, F64_VEC)                       \
    X(ALL_DTYPE_OPS, i64, FG_INT64, int64_t, none)                           \
    X(ALL_DTYPE_OPS, bool, FG_BOOL, fg_bool, none)                           \
    X(NUMBER_OPS, f32, FG_FLOAT32, float, F32_VEC)                           \
    X(NUMBER_OPS, f64, FG_FLOAT64, double, F64_VEC)                          \
    X(NUMBER_OPS, i64, FG_INT64, int64_t, none)                              \
    X(FLOAT_OPS, f32, FG_FLOAT32, float, F32_VEC)                            \
    X(FLOAT_OPS, f64, FG_FLOAT64, double, F64_VEC)                           \
    X(INT_OPS, i64, FG_INT64, int64_t, none)                                 \
    X(ALL_DTYPE_OPS, f16, FG_FLOAT16, fg_half, F16_VEC)                      \
    X(NUMBER_OPS, f16, FG_FLOAT16, fg_half, F16_VEC)                         \
    X(FLOAT_OPS, f16, FG_FLOAT16, fg_half, F16_VEC)                          \
    INT_INSTANCES(X, i32, FG_INT32, int32_t)                                 \
    INT_INSTANCES(X, i16, FG_INT16, int16_t)                                 \
    INT_INSTANCES(X, i8, FG_INT8, int8_t)                                    \
    INT_INSTANCES(X, u8, FG_UINT8, uint8_t)

/* One pass defines the row functions, named op_dtype (FG_ADD_f32), ... */
#define DEFINE_ROW(S, D, OP, ARITY, TX, T, R, EXPR) ROW(OP##_##S, ARITY, TX, T, R, EXPR)
#define DEFINE_LIST(LIST, S, D, T, F) LIST(DEFINE_ROW, S, D, T, F)
INSTANCES(DEFINE_LIST)

typedef struct {
    fg_row_fn row[FG_NUM_DTYPES]; /* indexed by fg_dtype */
    int arity;
} op_entry;

static op_entry op_table[FG_NUM_OPS];

/* ... and another registers them. */
#define REGISTER_ROW(S, D, OP, ARITY, TX, T, R, EXPR) \
    { op_table[OP].row[D] = OP##_##S; op_table[OP].arity = ARITY; }
#define REGISTER_LIST(LIST, S, D, T, F) LIST(REGISTER_ROW, S, D, T, F)

__attribute__((constructor)) static void fill_op_table(void)
{
    INSTANCES(REGISTER_LIST)
}

int fg_elementwise(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides,
                   char *out, const char *x, const char *y, const char *z)
{
    if (op < 0 || op >= FG_NUM_OPS) return FG_EOP;
    if (!FG_STORED_DTYPE(dtype) || !op_table[op].row[dtype]) return FG_EDTYPE;
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
    if (!FG_STORED_DTYPE(dtype)) return FG_EDTYPE;
    int64_t out_size = op >= FG_EQ && op <= FG_GE ? (int64_t)sizeof(fg_bool) : fg_dtype_size(dtype);
    const int64_t strides[4] = {out_size, sx, sy, sz};
    return fg_elementwise(op, dtype, 1, &n, strides, out, x, y, z);
}
