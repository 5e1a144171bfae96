/* Elementwise kernels: one row function per (op, dtype), all run by the one strided iterator.
 * Each op is written once, as an expression in its operands x, y, z; ROW() (internal.h) makes
 * the row function. */
#include <math.h>
#include <stdint.h>
#include "internal.h"
#include "vecmath.h"

/* Each op is written once for every type: its comparisons with 0 are always false for uint8. */
#pragma GCC diagnostic ignored "-Wtype-limits"

/* The math functions of each floating type: vecmath.h's (FG_F32_exp is fg_expf, ...). */
#define F32_VEC(name) FG_F32_##name
#define F64_VEC(name) FG_F64_##name
/* float16 computes in float and rounds once, as torch's CPU kernels do. */
#define F16_VEC(name) (fg_half)FG_F32_##name
#define I64_FN(name) int_##name /* the division family's int64 versions (all integer types) */

/* ---- the ops, each once. x, y, z are the operands; results are converted to the out type. */
#define ABS_OF(x) ((x) <= 0 ? 0 - (x) : (x)) /* 0 - -0. is 0. (-(-0.) is not); NaN stays NaN */
#define SIGN_OF(x) (((x) > 0) - ((x) < 0)) /* 0 for 0 and NaN, as torch */
/* x - x is 0 exactly for finite x (NaN for inf and NaN): one form for every dtype. */
#define FINITE(x) ((x) - (x) == 0)
/* torch's lerp: the second form where |w| >= 0.5, exact at w == 1. */
#define LERP_OF(T, x, y, w) \
    (ABS_OF(w) < (T)0.5 ? (x) + (w) * ((y) - (x)) : (y) - ((y) - (x)) * ((T)1 - (w)))

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

/* int64 division as torch: the divisor is never 0 here (fg_elementwise refuses it first); -1
 * negates, wrapping INT64_MIN to itself as torch does (a plain INT64_MIN / -1 traps). */
static inline int64_t int_negate(int64_t a) { return (int64_t)(0 - (uint64_t)a); }
static inline int64_t int_div_trunc(int64_t a, int64_t b)
{
    return b == -1 ? int_negate(a) : b == 0 ? 0 : a / b;
}
static inline int64_t int_fmod(int64_t a, int64_t b) { return b == -1 || b == 0 ? 0 : a % b; }
static inline int64_t int_div_floor(int64_t a, int64_t b)
{
    int64_t r = int_fmod(a, b);
    return int_div_trunc(a, b) - (r != 0 && (r < 0) != (b < 0));
}
static inline int64_t int_remainder(int64_t a, int64_t b)
{
    int64_t r = int_fmod(a, b);
    return r != 0 && (r < 0) != (b < 0) ? r + b : r;
}
static inline fg_bool int_signbit(int64_t a) { return a < 0; }
/* Shifts by b outside [0, 64) give 0 (<<) or the sign bits (>>), as torch's. */
static inline int64_t int_lshift(int64_t a, int64_t b)
{
    return b < 0 || b >= 64 ? 0 : (int64_t)((uint64_t)a << b);
}
static inline int64_t int_rshift(int64_t a, int64_t b) { return a >> (b < 0 || b >= 63 ? 63 : b); }

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
    X(S, D, FG_WHERE, 3, fg_bool, T, T, x ? y : z)                           \
    X(S, D, FG_LOGICAL_AND, 2, T, T, fg_bool, (x != 0) & (y != 0))           \
    X(S, D, FG_LOGICAL_OR, 2, T, T, fg_bool, (x != 0) | (y != 0))            \
    X(S, D, FG_LOGICAL_XOR, 2, T, T, fg_bool, (x != 0) != (y != 0))          \
    X(S, D, FG_LOGICAL_NOT, 1, T, T, fg_bool, x == 0)                        \
    X(S, D, FG_ISNAN, 1, T, T, fg_bool, x != x)                              \
    X(S, D, FG_ISFINITE, 1, T, T, fg_bool, FINITE(x))                        \
    X(S, D, FG_ISINF, 1, T, T, fg_bool, x == x && !FINITE(x))                \
    X(S, D, FG_ISPOSINF, 1, T, T, fg_bool, x > 0 && !FINITE(x))              \
    X(S, D, FG_ISNEGINF, 1, T, T, fg_bool, !FINITE(x) && -x > 0)

/* Ops of numbers: int64 and floating (for int64, F(div_floor) is int_div_floor, ...). */
#define NUMBER_OPS(X, S, D, T, F)                                            \
    X(S, D, FG_NEG, 1, T, T, T, -x)                                          \
    X(S, D, FG_ABS, 1, T, T, T, ABS_OF(x))                                   \
    X(S, D, FG_SIGN, 1, T, T, T, SIGN_OF(x))                                 \
    X(S, D, FG_RELU, 1, T, T, T, x < 0 ? 0 : x)                              \
    X(S, D, FG_ADD, 2, T, T, T, x + y)                                       \
    X(S, D, FG_SUB, 2, T, T, T, x - y)                                       \
    X(S, D, FG_MUL, 2, T, T, T, x * y)                                       \
    X(S, D, FG_FLOOR_DIVIDE, 2, T, T, T, F(div_floor)(x, y))                 \
    X(S, D, FG_REMAINDER, 2, T, T, T, F(remainder)(x, y))                    \
    X(S, D, FG_FMOD, 2, T, T, T, F(fmod)(x, y))                              \
    X(S, D, FG_DIV_TRUNC, 2, T, T, T, F(div_trunc)(x, y))                    \
    X(S, D, FG_SIGNBIT, 1, T, T, fg_bool, F(signbit)(x))

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
    X(S, D, FG_ERFINV, 1, T, T, T, F(erfinv)(x))                             \
    X(S, D, FG_SIGMOID, 1, T, T, T, (T)1 / ((T)1 + F(exp)(-x)))              \
    X(S, D, FG_DIV, 2, T, T, T, x / y)                                       \
    X(S, D, FG_POW, 2, T, T, T, F(pow)(x, y))                                \
    X(S, D, FG_RELU_BACKWARD, 2, T, T, T, y <= 0 ? 0 : x)                    \
    X(S, D, FG_ABS_BACKWARD, 2, T, T, T, x * (T)SIGN_OF(y))                  \
    X(S, D, FG_SIGMOID_BACKWARD, 2, T, T, T, x * y * ((T)1 - y))             \
    X(S, D, FG_TANH_BACKWARD, 2, T, T, T, x * ((T)1 - y * y))                \
    X(S, D, FG_MAX_BACKWARD, 3, T, T, T, y < z ? 0 : y == z ? x * (T)0.5 : x) \
    X(S, D, FG_ATAN2, 2, T, T, T, F(atan2)(x, y))                            \
    X(S, D, FG_HYPOT, 2, T, T, T, F(hypot)(x, y))                            \
    X(S, D, FG_FRAC, 1, T, T, T, x - F(trunc)(x))                            \
    X(S, D, FG_LERP, 3, T, T, T, LERP_OF(T, x, y, z))                        \
    X(S, D, FG_REPLACE_NAN, 2, T, T, T, x != x ? y : x)                      \
    X(S, D, FG_REPLACE_INF, 3, T, T, T, x == (T)INFINITY ? y : x == -(T)INFINITY ? z : x)

/* The activations' rules (torch.nn.functional), once per floating type as functions, named as
 * vecmath.h's (FG_F32_gelu, ...) so that F() finds them: float16 computes in float, as torch. The
 * formulas and constants are those of torch's CPU kernels, so the values round as theirs. */
#define ACTIVATION_RULES(P, T, F)                                                              \
    static inline T P##gelu(T x) { return x * (T)0.5 * ((T)1 + F(erf)(x * (T)M_SQRT1_2)); }    \
    static inline T P##gelu_backward(T g, T x)                                                 \
    {                                                                                          \
        T cdf = (T)0.5 * ((T)1 + F(erf)(x * (T)M_SQRT1_2));                                    \
        T pdf = (T)(M_2_SQRTPI * M_SQRT1_2 * 0.5) * F(exp)(x * x * (T)-0.5);                   \
        return g * (cdf + x * pdf);                                                            \
    }                                                                                          \
    static inline T P##gelu_tanh(T x)                                                          \
    {                                                                                          \
        T inner = (T)(M_SQRT2 * M_2_SQRTPI * 0.5) * (x + (T)0.044715 * (x * x * x));           \
        return (T)0.5 * x * ((T)1 + F(tanh)(inner));                                           \
    }                                                                                          \
    static inline T P##gelu_tanh_backward(T g, T x)                                            \
    {                                                                                          \
        const T beta = (T)(M_SQRT2 * M_2_SQRTPI * 0.5), kappa = (T)0.044715;                   \
        T x_sq = x * x;                                                                        \
        T tanh_inner = F(tanh)(beta * (x + kappa * (x_sq * x)));                               \
        T right = (T)1 + tanh_inner;                                                           \
        T inner_derivative = beta * ((T)1 + (T)3 * kappa * x_sq);                              \
        T right_derivative = (T)0.5 * x * ((T)1 - tanh_inner * tanh_inner) * inner_derivative; \
        return g * ((T)0.5 * right + right_derivative);                                        \
    }                                                                                          \
    static inline T P##silu(T x) { return x / ((T)1 + F(exp)(-x)); }                           \
    static inline T P##silu_backward(T g, T x)                                                 \
    {                                                                                          \
        T s = (T)1 / ((T)1 + F(exp)(-x));                                                      \
        return g * s * ((T)1 + x * ((T)1 - s));                                                \
    }                                                                                          \
    static inline T P##mish(T x) { return x * F(tanh)(F(log1p)(F(exp)(x))); }                 \
    static inline T P##mish_backward(T g, T x)                                                 \
    {                                                                                          \
        T s = (T)1 / ((T)1 + F(exp)(-x));                                                      \
        T t = F(tanh)(F(log1p)(F(exp)(x)));                                                    \
        return g * (t + x * s * ((T)1 - t * t));                                               \
    }                                                                                          \
    static inline T P##hardsigmoid(T x) { return MIN_OF(MAX_OF(x + (T)3, (T)0), (T)6) / (T)6; } \
    static inline T P##hardsigmoid_backward(T g, T x)                                          \
    {                                                                                          \
        return x > (T)-3 && x < (T)3 ? g * (T)(1.0f / 6.0f) : (T)0;                            \
    }                                                                                          \
    static inline T P##hardswish(T x)                                                          \
    {                                                                                          \
        return x * MIN_OF(MAX_OF(x + (T)3, (T)0), (T)6) / (T)6;                                \
    }                                                                                          \
    static inline T P##hardswish_backward(T g, T x)                                            \
    {                                                                                          \
        return x <= (T)-3 ? (T)0 : x < (T)3 ? g * (x / (T)3 + (T)0.5) : g;                     \
    }                                                                                          \
    static inline T P##elu(T x, T alpha) { return x <= 0 ? F(expm1)(x) * alpha : x; }         \
    static inline T P##elu_backward(T g, T x, T alpha)                                         \
    {                                                                                          \
        return x <= 0 ? g * alpha * F(exp)(x) : g;                                             \
    }                                                                                          \
    static inline T P##softplus(T x, T beta, T threshold)                                      \
    {                                                                                          \
        return x * beta > threshold ? x : F(log1p)(F(exp)(x * beta)) / beta;                  \
    }                                                                                          \
    static inline T P##softplus_backward(T g, T xb, T threshold)                               \
    {                                                                                          \
        T e = F(exp)(xb);                                                                      \
        return xb > threshold ? g : g * e / (e + (T)1);                                        \
    }                                                                                          \
    /* selu is elu with torch's alpha and scale (negcoef = alpha * scale, rounded to T); \
     * celu is elu with input_scale = 1 / alpha (in double, then rounded), passed as inv. */    \
    static inline T P##selu(T x)                                                               \
    {                                                                                          \
        return x <= 0 ? F(expm1)(x) * ((T)SELU_ALPHA * (T)SELU_SCALE) : x * (T)SELU_SCALE;     \
    }                                                                                          \
    static inline T P##selu_backward(T g, T x)                                                 \
    {                                                                                          \
        return x <= 0 ? g * ((T)SELU_ALPHA * (T)SELU_SCALE) * F(exp)(x) : g * (T)SELU_SCALE;   \
    }                                                                                          \
    static inline T P##celu(T x, T inv, T alpha)                                               \
    {                                                                                          \
        return x <= 0 ? F(expm1)(x * inv) * alpha : x;                                         \
    }                                                                                          \
    static inline T P##celu_backward(T g, T x, T inv)                                          \
    {                                                                                          \
        return x <= 0 ? g * F(exp)(x * inv) : g;                                               \
    }                                                                                          \
    /* log_sigmoid with torch's buffer z = exp(-|x|) recomputed in the backward */             \
    static inline T P##log_sigmoid(T x) { return MIN_OF(x, (T)0) - F(log1p)(F(exp)(-ABS_OF(x))); } \
    static inline T P##log_sigmoid_backward(T g, T x)                                          \
    {                                                                                          \
        T z = F(exp)(-ABS_OF(x));                                                              \
        return (x < 0 ? (T)1 - z / ((T)1 + z) : z / ((T)1 + z)) * g;                           \
    }                                                                                          \
    static inline T P##softshrink(T x, T l)                                                    \
    {                                                                                          \
        return x > l ? x - l : x < -l ? x + l : x != x ? x : (T)0; /* +0: torch's vector path */ \
    }
#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946
ACTIVATION_RULES(FG_F32_, float, F32_VEC)
ACTIVATION_RULES(FG_F64_, double, F64_VEC)

/* The activations and their backward ops (x the upstream gradient, y the input). */
#define ACTIVATION_OPS(X, S, D, T, F)                                        \
    X(S, D, FG_GELU, 1, T, T, T, F(gelu)(x))                                 \
    X(S, D, FG_GELU_TANH, 1, T, T, T, F(gelu_tanh)(x))                       \
    X(S, D, FG_SILU, 1, T, T, T, F(silu)(x))                                 \
    X(S, D, FG_MISH, 1, T, T, T, F(mish)(x))                                 \
    X(S, D, FG_HARDSIGMOID, 1, T, T, T, F(hardsigmoid)(x))                   \
    X(S, D, FG_HARDSWISH, 1, T, T, T, F(hardswish)(x))                       \
    X(S, D, FG_LEAKY_RELU, 2, T, T, T, x > 0 ? x : x * y)                    \
    X(S, D, FG_ELU, 2, T, T, T, F(elu)(x, y))                                \
    X(S, D, FG_SOFTPLUS, 3, T, T, T, F(softplus)(x, y, z))                   \
    X(S, D, FG_GELU_BACKWARD, 2, T, T, T, F(gelu_backward)(x, y))            \
    X(S, D, FG_GELU_TANH_BACKWARD, 2, T, T, T, F(gelu_tanh_backward)(x, y))  \
    X(S, D, FG_SILU_BACKWARD, 2, T, T, T, F(silu_backward)(x, y))            \
    X(S, D, FG_MISH_BACKWARD, 2, T, T, T, F(mish_backward)(x, y))            \
    X(S, D, FG_HARDSIGMOID_BACKWARD, 2, T, T, T, F(hardsigmoid_backward)(x, y)) \
    X(S, D, FG_HARDSWISH_BACKWARD, 2, T, T, T, F(hardswish_backward)(x, y))  \
    X(S, D, FG_LEAKY_RELU_BACKWARD, 3, T, T, T, y > 0 ? x : x * z)           \
    X(S, D, FG_ELU_BACKWARD, 3, T, T, T, F(elu_backward)(x, y, z))           \
    X(S, D, FG_SOFTPLUS_BACKWARD, 3, T, T, T, F(softplus_backward)(x, y, z)) \
    X(S, D, FG_SELU, 1, T, T, T, F(selu)(x))                                 \
    X(S, D, FG_CELU, 3, T, T, T, F(celu)(x, y, z))                           \
    X(S, D, FG_LOG_SIGMOID, 1, T, T, T, F(log_sigmoid)(x))                   \
    X(S, D, FG_SOFTSHRINK, 2, T, T, T, F(softshrink)(x, y))                  \
    X(S, D, FG_HARDSHRINK, 2, T, T, T, x >= -y && x <= y ? 0 : x)            \
    X(S, D, FG_THRESHOLD, 3, T, T, T, x <= y ? z : x)                        \
    X(S, D, FG_SELU_BACKWARD, 2, T, T, T, F(selu_backward)(x, y))            \
    X(S, D, FG_CELU_BACKWARD, 3, T, T, T, F(celu_backward)(x, y, z))         \
    X(S, D, FG_LOG_SIGMOID_BACKWARD, 2, T, T, T, F(log_sigmoid_backward)(x, y)) \
    X(S, D, FG_SHRINK_BACKWARD, 3, T, T, T, y >= -z && y <= z ? 0 : x)       \
    X(S, D, FG_THRESHOLD_BACKWARD, 3, T, T, T, y <= z ? 0 : x)

/* Bitwise ops, of bool and int64 (bool's results are 0 or 1 again). */
#define BIT_OPS(X, S, D, T, F)                                               \
    X(S, D, FG_BITWISE_AND, 2, T, T, T, x & y)                               \
    X(S, D, FG_BITWISE_OR, 2, T, T, T, x | y)                                \
    X(S, D, FG_BITWISE_XOR, 2, T, T, T, x ^ y)

/* Ops of int64 only. */
#define INT_OPS(X, S, D, T, F)                                               \
    X(S, D, FG_POW, 2, T, T, T, int_pow(x, y))                               \
    X(S, D, FG_BITWISE_NOT, 1, T, T, T, ~x)                                  \
    X(S, D, FG_LSHIFT, 2, T, T, T, int_lshift(x, y))                         \
    X(S, D, FG_RSHIFT, 2, T, T, T, int_rshift(x, y))

/* Ops of bool only. */
#define BOOL_OPS(X, S, D, T, F)                                              \
    X(S, D, FG_BITWISE_NOT, 1, T, T, T, !x)                                  \
    X(S, D, FG_SIGNBIT, 1, T, T, fg_bool, x & 0) /* no sign bit */

/* The narrower integer types have the lists of int64. */
#define INT_INSTANCES(X, S, D, T)                                            \
    X(ALL_DTYPE_OPS, S, D, T, none) X(NUMBER_OPS, S, D, T, I64_FN)           \
    X(BIT_OPS, S, D, T, none) X(INT_OPS, S, D, T, none)

/* Every (op list, dtype) pair, once: X(LIST, S, D, T, F); F is none where the list uses no
 * math function. */
#define INSTANCES(X)                                                         \
    X(ALL_DTYPE_OPS, f32, FG_FLOAT32, float, F32_VEC)                        \
    X(ALL_DTYPE_OPS, f64, FG_FLOAT64, double, F64_VEC)                       \
    X(ALL_DTYPE_OPS, i64, FG_INT64, int64_t, none)                           \
    X(ALL_DTYPE_OPS, bool, FG_BOOL, fg_bool, none)                           \
    X(NUMBER_OPS, f32, FG_FLOAT32, float, F32_VEC)                           \
    X(NUMBER_OPS, f64, FG_FLOAT64, double, F64_VEC)                          \
    X(NUMBER_OPS, i64, FG_INT64, int64_t, I64_FN)                            \
    X(FLOAT_OPS, f32, FG_FLOAT32, float, F32_VEC)                            \
    X(FLOAT_OPS, f64, FG_FLOAT64, double, F64_VEC)                           \
    X(BIT_OPS, i64, FG_INT64, int64_t, none)                                 \
    X(BIT_OPS, bool, FG_BOOL, fg_bool, none)                                 \
    X(INT_OPS, i64, FG_INT64, int64_t, none)                                 \
    X(BOOL_OPS, bool, FG_BOOL, fg_bool, none)                                \
    X(ALL_DTYPE_OPS, f16, FG_FLOAT16, fg_half, F16_VEC)                      \
    X(NUMBER_OPS, f16, FG_FLOAT16, fg_half, F16_VEC)                         \
    X(FLOAT_OPS, f16, FG_FLOAT16, fg_half, F16_VEC)                          \
    X(ACTIVATION_OPS, f32, FG_FLOAT32, float, F32_VEC)                       \
    X(ACTIVATION_OPS, f64, FG_FLOAT64, double, F64_VEC)                      \
    X(ACTIVATION_OPS, f16, FG_FLOAT16, fg_half, F16_VEC)                     \
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
    int64_t out_size[FG_NUM_DTYPES];
    int arity;
} op_entry;

static op_entry op_table[FG_NUM_OPS];

/* ... and another registers them. */
#define REGISTER_ROW(S, D, OP, ARITY, TX, T, R, EXPR)                                          \
    {                                                                                          \
        op_table[OP].row[D] = OP##_##S;                                                        \
        op_table[OP].out_size[D] = sizeof(R);                                                  \
        op_table[OP].arity = ARITY;                                                            \
    }
#define REGISTER_LIST(LIST, S, D, T, F) LIST(REGISTER_ROW, S, D, T, F)

__attribute__((constructor)) static void fill_op_table(void)
{
    INSTANCES(REGISTER_LIST)
}

typedef struct {
    int64_t size;  /* of one element */
    int64_t zeros; /* found so far */
} zero_count;

static void count_zeros(int64_t n, char **p, const int64_t *s, const void *ctx)
{
    zero_count *c = (zero_count *)ctx;
    static const char zero[8];
    for (int64_t i = 0; i < n; i++) c->zeros += memcmp(p[0] + i * s[0], zero, c->size) == 0;
}

/* Whether an integer divisor y (operand 2 of g) holds a 0: integer division by zero is an
 * error in torch, found before anything is written. */
static int divides_by_zero(int op, int dtype, const fg_geometry *g, const char *y)
{
    int integer = dtype == FG_INT64 || (dtype >= FG_INT32 && dtype <= FG_UINT8);
    if (!integer || (op != FG_FLOOR_DIVIDE && op != FG_REMAINDER && op != FG_FMOD &&
                     op != FG_DIV_TRUNC))
        return 0;
    fg_geometry divisor = {.nops = 1, .ndim = g->ndim};
    memcpy(divisor.shape, g->shape, sizeof g->shape);
    memcpy(divisor.strides[0], g->strides[2], sizeof g->strides[2]);
    char *ptr = (char *)y;
    zero_count count = {fg_dtype_size(dtype), 0};
    fg_iterate(&divisor, &ptr, count_zeros, &count, 0);
    return count.zeros != 0;
}

int fg_elementwise(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides,
                   char *out, const char *x, const char *y, const char *z)
{
    if (op < 0 || op >= FG_NUM_OPS) return FG_EOP;
    if (!FG_STORED_DTYPE(dtype) || !op_table[op].row[dtype]) return FG_EDTYPE;
    fg_geometry g;
    int status = fg_geometry_init(&g, op_table[op].arity + 1, ndim, shape, strides);
    if (status != FG_OK) return status;
    if (divides_by_zero(op, dtype, &g, y)) return FG_EZERODIV;
    char *ptrs[FG_MAX_OPERANDS] = {out, (char *)x, (char *)y, (char *)z};
    fg_iterate(&g, ptrs, op_table[op].row[dtype], NULL, 1);
    return FG_OK;
}

int fg_elementwise_flat(int op, int dtype, int64_t n, char *out, const char *x, int64_t sx,
                        const char *y, int64_t sy, const char *z, int64_t sz)
{
    if (op < 0 || op >= FG_NUM_OPS) return FG_EOP;
    if (!FG_STORED_DTYPE(dtype)) return FG_EDTYPE;
    const int64_t strides[4] = {op_table[op].out_size[dtype], sx, sy, sz};
    return fg_elementwise(op, dtype, 1, &n, strides, out, x, y, z);
}
