/* The math functions of the elementwise kernels, per type: FG_F32_exp is fg_expf, FG_F64_exp
 * libm's exp. float's exp and tanh are our own: computed in double without branches, so the
 * compiler vectorizes the loops that call them (libm's expf and tanhf are scalar calls; called
 * one at a time, libm's are the faster). Checked over all 2^32 floats against correctly rounded
 * values: never more than 1 ulp off; exp is off for 36 inputs (near-ties: the degree-10
 * polynomial's relative error is below 3e-13), tanh for 66, all with 2^-12 <= |x| < 2^-10,
 * where e^2x - 1 cancels. */
#ifndef FASTGRAD_VECMATH_H
#define FASTGRAD_VECMATH_H
#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^x for x in [-150, 100] (beyond, float's result is 0 or inf anyway): x = n ln2 + r with
 * |r| <= ln2/2, e^r by its Taylor polynomial, 2^n put straight into the exponent bits. */
static inline double fg_exp_bounded(double x)
{
    const double shift = 0x1.8p52; /* adding it rounds to an integer, kept in the low bits */
    double t = x * 0x1.71547652b82fep0 + shift;
    double n = t - shift;
    double r = (x - n * 0x1.62e42feep-1) - n * 0x1.a39ef35793c76p-33; /* ln2 as hi + lo */
    double p = 1.0 / 3628800;
    p = p * r + 1.0 / 362880;
    p = p * r + 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    int64_t bits;
    memcpy(&bits, &t, sizeof bits);
    bits = (bits - (int64_t)0x4338000000000000 + 1023) << 52; /* n + 1023 in the exponent */
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* x within [lo, hi], a NaN taken to lo: compiled to max and min instructions. */
static inline float fg_clampf(float x, float lo, float hi)
{
    x = x > lo ? x : lo;
    return x < hi ? x : hi;
}

/* Everything is computed for every x and picked at the end: selects, not branches, so that
 * loops of them vectorize. */
static inline float fg_expf(float x)
{
    float e = (float)fg_exp_bounded(fg_clampf(x, -150.0f, 100.0f));
    return x == x ? e : x;
}

/* tanh = (e^2x - 1) / (e^2x + 1) in double, whose spare bits absorb most of the cancellation
 * in e^2x - 1; x itself below 2^-12 (tanh x = x(1 - x^2/3 ...)), +-1 beyond 10. NaN stays NaN. */
static inline float fg_tanhf(float x)
{
    double e = fg_exp_bounded(2.0 * fg_clampf(x, -10.0f, 10.0f));
    float t = (float)((e - 1) / (e + 1));
    return (x < 0x1p-12f && x > -0x1p-12f) || x != x ? x : t;
}

/* torch's floor division of floats (c10's div_floor_floating): the quotient of a - fmod(a, b),
 * which is exact, moved down where fmod's sign is not b's and rounded to the nearest integer;
 * a zero quotient keeps the sign of a / b, and b == 0 gives IEEE's a / b. */
#define FG_DEFINE_DIV_FLOOR(NAME, T, FMOD, FLOOR, COPYSIGN)                                    \
    static inline T NAME(T a, T b)                                                             \
    {                                                                                          \
        if (b == 0) return a / b;                                                              \
        T mod = FMOD(a, b);                                                                    \
        T div = (a - mod) / b;                                                                 \
        if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;                                        \
        if (div == 0) return COPYSIGN((T)0, a / b);                                            \
        T floordiv = FLOOR(div);                                                               \
        return div - floordiv > (T)0.5 ? floordiv + 1 : floordiv;                              \
    }
FG_DEFINE_DIV_FLOOR(fg_div_floorf, float, fmodf, floorf, copysignf)
FG_DEFINE_DIV_FLOOR(fg_div_floor, double, fmod, floor, copysign)

/* Python's remainder: fmod moved by b where its sign is not b's. */
#define FG_DEFINE_REMAINDER(NAME, T, FMOD)                                                     \
    static inline T NAME(T a, T b)                                                             \
    {                                                                                          \
        T mod = FMOD(a, b);                                                                    \
        return mod != 0 && (b < 0) != (mod < 0) ? mod + b : mod;                               \
    }
FG_DEFINE_REMAINDER(fg_remainderf, float, fmodf)
FG_DEFINE_REMAINDER(fg_remainder, double, fmod)

/* The sign bit, read from the bits (GCC 12 fails to compile signbit() in AVX-512 loops). */
static inline int fg_signbitf(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (int)(bits >> 31);
}
static inline int fg_signbit(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (int)(bits >> 63);
}

#define FG_F32_exp fg_expf
#define FG_F32_tanh fg_tanhf
#define FG_F32_log logf
#define FG_F32_sqrt sqrtf
#define FG_F32_sin sinf
#define FG_F32_cos cosf
#define FG_F32_pow powf
#define FG_F32_floor floorf
#define FG_F32_ceil ceilf
#define FG_F32_trunc truncf
#define FG_F32_nearbyint nearbyintf
#define FG_F32_log2 log2f
#define FG_F32_log10 log10f
#define FG_F32_log1p log1pf
#define FG_F32_expm1 expm1f
#define FG_F32_sinh sinhf
#define FG_F32_cosh coshf
#define FG_F32_asin asinf
#define FG_F32_acos acosf
#define FG_F32_atan atanf
#define FG_F32_erf erff
#define FG_F32_div_floor fg_div_floorf
#define FG_F32_remainder fg_remainderf
#define FG_F32_fmod fmodf
#define FG_F32_div_trunc(a, b) truncf((a) / (b))
#define FG_F32_atan2 atan2f
#define FG_F32_hypot hypotf
#define FG_F32_signbit fg_signbitf
#define FG_F64_exp exp
#define FG_F64_tanh tanh
#define FG_F64_log log
#define FG_F64_sqrt sqrt
#define FG_F64_sin sin
#define FG_F64_cos cos
#define FG_F64_pow pow
#define FG_F64_floor floor
#define FG_F64_ceil ceil
#define FG_F64_trunc trunc
#define FG_F64_nearbyint nearbyint
#define FG_F64_log2 log2
#define FG_F64_log10 log10
#define FG_F64_log1p log1p
#define FG_F64_expm1 expm1
#define FG_F64_sinh sinh
#define FG_F64_cosh cosh
#define FG_F64_asin asin
#define FG_F64_acos acos
#define FG_F64_atan atan
#define FG_F64_erf erf
#define FG_F64_div_floor fg_div_floor
#define FG_F64_remainder fg_remainder
#define FG_F64_fmod fmod
#define FG_F64_div_trunc(a, b) trunc((a) / (b))
#define FG_F64_atan2 atan2
#define FG_F64_hypot hypot
#define FG_F64_signbit fg_signbit

/* The inverse error function. torch's CPU computes it with MKL's high-accuracy vdErfInv and
 * vsErfInv (under 1 ulp), so ours must be as accurate: the first guess of torch's own
 * calc_erfinv (Pavlis' rational approximation, ~1e-7 relative), then three Newton steps on erf
 * for |y| <= 1/2 and on erfc(|x|) = 1 - |y| beyond (1 - |y| is exact there, and erfc keeps the
 * tail's digits that erf(x) - y would cancel). float is computed in double and rounded once.
 * NaN outside [-1, 1], +-inf at +-1. */
static inline double fg_erfinv(double y)
{
    const double two_over_sqrt_pi = 1.1283791670955126;
    double y_abs = fabs(y), x;
    if (!(y_abs <= 1.0)) return NAN;
    if (y_abs == 1.0) return copysign(INFINITY, y);
    if (y_abs <= 0.7) {
        double z = y * y;
        double num = ((-0.140543331 * z + 0.914624893) * z - 1.645349621) * z + 0.886226899;
        double dem = (((0.012229801 * z - 0.329097515) * z + 1.442710462) * z - 2.118377725) * z
                     + 1.0;
        x = y * num / dem;
    } else {
        double z = sqrt(-log((1.0 - y_abs) / 2.0));
        double num = ((1.641345311 * z + 3.429567803) * z - 1.624906493) * z - 1.970840454;
        double dem = (1.637067800 * z + 3.543889200) * z + 1.0;
        x = copysign(num, y) / dem;
    }
    if (y_abs <= 0.5) {
        for (int i = 0; i < 3; i++) x -= (erf(x) - y) / (two_over_sqrt_pi * exp(-x * x));
        return x;
    }
    double q = 1.0 - y_abs, a = fabs(x);
    for (int i = 0; i < 3; i++) a += (erfc(a) - q) / (two_over_sqrt_pi * exp(-a * a));
    return copysign(a, y);
}
static inline float fg_erfinvf(float y) { return (float)fg_erfinv(y); }
#define FG_F32_erfinv fg_erfinvf
#define FG_F64_erfinv fg_erfinv

#endif
