/* Copies with dtype conversion, fill and arange. */
#include <math.h>
#include <stdint.h>
#include "internal.h"

/* Conversions as torch does them: to bool is "!= 0"; a float that int64 cannot hold (NaN, inf,
 * out of range) becomes INT64_MIN instead of undefined behaviour; narrower integers go through
 * int32 (INT32_MIN out of its range) and take its low bits (300.0 -> uint8 44), as torch on x86. */
#define IS_FLOAT(x) _Generic((x), float: 1, double: 1, fg_half: 1, default: 0)
#define FLOAT_TO_INT(x) ((x) >= -9.2233720368547758e18 && (x) < 9.2233720368547758e18 ? (int64_t)(x) : INT64_MIN)
#define CONVERT_bool(T, x) ((x) != 0)
#define FLOAT_TO_INT32(x) ((x) >= -2147483648.0 && (x) < 2147483648.0 ? (int32_t)(x) : INT32_MIN)
#define CONVERT_int(T, x) \
    (IS_FLOAT(x) ? (sizeof(T) == 8 ? (T)FLOAT_TO_INT(x) : (T)FLOAT_TO_INT32(x)) : (T)(x))
#define CONVERT_float(T, x) ((T)(x))

/* Every dtype, in fg_dtype order: X(suffix, C type, conversion kind). The sources of a copy are
 * a second list, as a macro cannot expand inside itself: X(target, its kind, source, C type). */
#define DTYPES(X)                                                                              \
    X(bool, fg_bool, bool) X(i64, int64_t, int) X(f32, float, float) X(f64, double, float)     \
    X(i32, int32_t, int) X(i16, int16_t, int) X(i8, int8_t, int) X(u8, uint8_t, int)           \
    X(f16, fg_half, float)
#define SOURCES(X, TO, KIND)                                                                   \
    X(TO, KIND, bool, fg_bool) X(TO, KIND, i64, int64_t) X(TO, KIND, f32, float)               \
    X(TO, KIND, f64, double) X(TO, KIND, i32, int32_t) X(TO, KIND, i16, int16_t)               \
    X(TO, KIND, i8, int8_t) X(TO, KIND, u8, uint8_t) X(TO, KIND, f16, fg_half)

/* copy_TO_FROM for every pair */
#define DEFINE_COPY(TO, KIND, FROM, FROM_T)                                                    \
    ROW(copy_##TO##_##FROM, 1, FROM_T, FROM_T, TO##_t, CONVERT_##KIND(TO##_t, x))
#define DEFINE_COPIES_TO(TO, TO_T, KIND) typedef TO_T TO##_t; SOURCES(DEFINE_COPY, TO, KIND)
DTYPES(DEFINE_COPIES_TO)

#define COPY_ENTRY(TO, KIND, FROM, FROM_T) copy_##TO##_##FROM,
#define COPY_ROW(TO, TO_T, KIND) {SOURCES(COPY_ENTRY, TO, KIND)},
static const fg_row_fn copy_rows[FG_NUM_DTYPES][FG_NUM_DTYPES] = {DTYPES(COPY_ROW)};

int fg_copy(int out_dtype, int x_dtype, int ndim, const int64_t *shape, const int64_t *strides,
            char *out, const char *x)
{
    if (!FG_STORED_DTYPE(out_dtype) || !FG_STORED_DTYPE(x_dtype)) return FG_EDTYPE;
    fg_geometry g;
    int status = fg_geometry_init(&g, 2, ndim, shape, strides);
    if (status != FG_OK) return status;
    char *ptrs[2] = {out, (char *)x};
    fg_iterate(&g, ptrs, copy_rows[out_dtype][x_dtype], NULL, 1);
    return FG_OK;
}

#define DEFINE_FILL(S, T, KIND)                                                        \
    static void fill_##S(int64_t n, char **p, const int64_t *s, const void *ctx)               \
    {                                                                                          \
        const T value = *(const T *)ctx;                                                       \
        if (s[0] == sizeof(T))                                                                 \
            for (int64_t i = 0; i < n; i++) STORE(T, p[0], i, sizeof(T), value);               \
        else                                                                                   \
            for (int64_t i = 0; i < n; i++) STORE(T, p[0], i, s[0], value);                    \
    }
DTYPES(DEFINE_FILL)

int fg_fill(int dtype, int ndim, const int64_t *shape, const int64_t *strides, char *out,
            const void *value)
{
#define FILL_ENTRY(S, T, KIND) fill_##S,
    static const fg_row_fn rows[FG_NUM_DTYPES] = {DTYPES(FILL_ENTRY)};
    if (!FG_STORED_DTYPE(dtype)) return FG_EDTYPE;
    fg_geometry g;
    int status = fg_geometry_init(&g, 1, ndim, shape, strides);
    if (status != FG_OK) return status;
    fg_iterate(&g, &out, rows[dtype], value, 1);
    return FG_OK;
}

/* torch's float arange, value for value: ATen's CPU kernel (the AVX2 build, whose vectors hold
 * 32 bytes) cuts the range among its threads in chunks; within a chunk, blocks of two vectors
 * start at base = start + step * i (rounded to T) and go on by base + k * step, and the rest is
 * start + step * i, all in double; the compiler contracts each `a + b * c` into one fma. */
#define ARANGE_GRAIN 32768
#define DEFINE_ARANGE(NAME, T, ACC, FMA)                                                       \
    static void NAME(int64_t n, int64_t chunk, T *out, double start_, double step_)           \
    {                                                                                          \
        const int64_t w = 32 / sizeof(T);                                                      \
        const ACC start = (ACC)start_, step = (ACC)step_;                                      \
        for (int64_t begin = 0; begin < n; begin += chunk) {                                   \
            int64_t end = n - begin < chunk ? n : begin + chunk, i = begin;                    \
            for (; i + 2 * w <= end; i += 2 * w)                                               \
                for (int64_t v = i; v < i + 2 * w; v += w) {                                   \
                    ACC base = (T)FMA(step, (ACC)v, start);                                    \
                    for (int64_t k = 0; k < w; k++) out[v + k] = (T)FMA((ACC)k, step, base);   \
                }                                                                              \
            for (; i < end; i++) out[i] = (T)FMA(step, (ACC)i, start);                         \
        }                                                                                      \
    }
DEFINE_ARANGE(arange_f32, float, double, fma)
DEFINE_ARANGE(arange_f64, double, double, fma)
DEFINE_ARANGE(arange_f16, fg_half, float, fmaf) /* float16 accumulates in float, in torch */

int fg_arange(int dtype, int64_t n, char *out, const void *start, const void *step)
{
    if (fg_check_sizes(1, 1, &n, (const int64_t[]){8})) return FG_ESIZE;
    if (dtype == FG_INT64) {
        int64_t s = *(const int64_t *)start, d = *(const int64_t *)step;
        for (int64_t i = 0; i < n; i++) ((int64_t *)out)[i] = s + i * d;
        return FG_OK;
    }
    /* torch's threads split the range as at::parallel_for does: into min(threads, n / grain)
     * equal chunks, only when n exceeds the grain */
    int64_t threads = fg_get_num_threads(), chunk = n > 0 ? n : 1;
    if (n > ARANGE_GRAIN && threads > 1) {
        int64_t parts = (n + ARANGE_GRAIN - 1) / ARANGE_GRAIN;
        parts = parts < threads ? parts : threads;
        chunk = (n + parts - 1) / parts;
    }
    double s = *(const double *)start, d = *(const double *)step;
    switch (dtype) {
    case FG_FLOAT32: arange_f32(n, chunk, (float *)out, s, d); break;
    case FG_FLOAT64: arange_f64(n, chunk, (double *)out, s, d); break;
    case FG_FLOAT16: arange_f16(n, chunk, (fg_half *)out, s, d); break;
    default: return FG_EDTYPE;
    }
    return FG_OK;
}

/* torch's linspace: the first half from start (start + step * i), the second from end
 * (end - step * (n - 1 - i)), in T for floats and in double for int64 (truncated), each with
 * one fma as torch's compiled kernel has. */
#define DEFINE_LINSPACE(NAME, T, STEP_T, CONV)                                                 \
    static void NAME(int64_t n, T *out, T start, T end)                                        \
    {                                                                                          \
        const STEP_T step = ((STEP_T)end - (STEP_T)start) / (STEP_T)(n - 1);                   \
        const int64_t half = n / 2;                                                            \
        for (int64_t i = 0; i < n; i++)                                                        \
            out[i] = i < half ? CONV(FMA_##STEP_T(step, (STEP_T)i, (STEP_T)start))             \
                              : CONV(FMA_##STEP_T(-step, (STEP_T)(n - 1 - i), (STEP_T)end));   \
    }
#define FMA_float fmaf
#define FMA_double fma
#define FLOAT_AS_IS(x) (x) /* a floating value stored as a float: C's conversion rounds it */
#define HALF(x) ((fg_half)(float)(x)) /* c10::Half from a double goes through float */
DEFINE_LINSPACE(linspace_f32, float, float, FLOAT_AS_IS)
DEFINE_LINSPACE(linspace_f64, double, double, FLOAT_AS_IS)
DEFINE_LINSPACE(linspace_i64, int64_t, double, FLOAT_TO_INT)

/* torch's logspace: base ** (start + step * i) by halves as linspace, the exponent in double
 * with step = (end - start) / (n - 1) (the difference taken in T), without fma (torch's code
 * here is built for the baseline ISA). */
#define DEFINE_LOGSPACE(NAME, T, CONV)                                                         \
    static void NAME(int64_t n, T *out, T start, T end, double base)                           \
    {                                                                                          \
        const double step = (double)(T)(end - start) / (double)(n - 1);                        \
        const int64_t half = n / 2;                                                            \
        for (int64_t i = 0; i < n; i++) {                                                      \
            double x = i < half ? (double)start + step * (double)i                             \
                                : (double)end - step * (double)(n - 1 - i);                    \
            out[i] = CONV(pow(base, x));                                                       \
        }                                                                                      \
    }
DEFINE_LOGSPACE(logspace_f32, float, FLOAT_AS_IS)
DEFINE_LOGSPACE(logspace_f64, double, FLOAT_AS_IS)
DEFINE_LOGSPACE(logspace_f16, fg_half, HALF)

/* torch's float16 linspace computes in c10::Half arithmetic: each operation in float, rounded
 * to half (so no fma); its int64 operands become halves first. */
static void linspace_f16(int64_t n, fg_half *out, fg_half start, fg_half end)
{
    const fg_half step = HALF((float)HALF((float)end - (float)start) / (float)HALF(n - 1));
    const int64_t half = n / 2;
    for (int64_t i = 0; i < n; i++) {
        fg_half part = HALF((float)step * (float)HALF(i < half ? i : n - 1 - i));
        out[i] = i < half ? HALF((float)start + (float)part) : HALF((float)end - (float)part);
    }
}
DEFINE_LOGSPACE(logspace_i64, int64_t, FLOAT_TO_INT)

int fg_linspace(int log, int dtype, int64_t n, char *out, const void *start, const void *end,
                const void *base)
{
    if (fg_check_sizes(1, 1, &n, (const int64_t[]){8})) return FG_ESIZE;
    if (n == 0) return FG_OK;
    double b = *(const double *)base;
    if (dtype == FG_INT64) {
        int64_t s = *(const int64_t *)start, e = *(const int64_t *)end;
        if (n == 1) *(int64_t *)out = log ? FLOAT_TO_INT(pow(b, (double)s)) : s;
        else if (log) logspace_i64(n, (int64_t *)out, s, e, b);
        else linspace_i64(n, (int64_t *)out, s, e);
        return FG_OK;
    }
    double s = *(const double *)start, e = *(const double *)end;
    switch (dtype) {
    case FG_FLOAT32:
        if (n == 1) *(float *)out = (float)(log ? pow(b, s) : s);
        else if (log) logspace_f32(n, (float *)out, (float)s, (float)e, b);
        else linspace_f32(n, (float *)out, (float)s, (float)e);
        break;
    case FG_FLOAT64:
        if (n == 1) *(double *)out = log ? pow(b, s) : s;
        else if (log) logspace_f64(n, (double *)out, s, e, b);
        else linspace_f64(n, (double *)out, s, e);
        break;
    case FG_FLOAT16:
        if (n == 1) *(fg_half *)out = HALF(log ? pow(b, s) : s);
        else if (log) logspace_f16(n, (fg_half *)out, HALF(s), HALF(e), b);
        else linspace_f16(n, (fg_half *)out, HALF(s), HALF(e));
        break;
    default: return FG_EDTYPE;
    }
    return FG_OK;
}
