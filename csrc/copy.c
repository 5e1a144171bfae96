/* Copies with dtype conversion, fill and arange. */
#include <math.h>
#include <stdint.h>
#include "internal.h"

/* Conversions as torch does them: to bool is "!= 0"; a float that int64 cannot hold (NaN, inf,
 * out of range) becomes INT64_MIN instead of undefined behaviour. */
#define TO_BOOL(x) ((x) != 0)
#define FLOAT_TO_INT(x) ((x) >= -9.2233720368547758e18 && (x) < 9.2233720368547758e18 ? (int64_t)(x) : INT64_MIN)
#define PLAIN(x) (x)

#define CONVERSIONS(X)                                                                         \
    X(bool, fg_bool, bool, fg_bool, PLAIN) X(bool, fg_bool, i64, int64_t, TO_BOOL)             \
    X(bool, fg_bool, f32, float, TO_BOOL) X(bool, fg_bool, f64, double, TO_BOOL)               \
    X(i64, int64_t, bool, fg_bool, PLAIN) X(i64, int64_t, i64, int64_t, PLAIN)                 \
    X(i64, int64_t, f32, float, FLOAT_TO_INT) X(i64, int64_t, f64, double, FLOAT_TO_INT)       \
    X(f32, float, bool, fg_bool, PLAIN) X(f32, float, i64, int64_t, PLAIN)                     \
    X(f32, float, f32, float, PLAIN) X(f32, float, f64, double, PLAIN)                         \
    X(f64, double, bool, fg_bool, PLAIN) X(f64, double, i64, int64_t, PLAIN)                   \
    X(f64, double, f32, float, PLAIN) X(f64, double, f64, double, PLAIN)

#define DEFINE_CONVERSION(TO, TO_T, FROM, FROM_T, CONV) ROW(copy_##TO##_##FROM, 1, FROM_T, FROM_T, TO_T, CONV(x))
CONVERSIONS(DEFINE_CONVERSION)

/* [to][from], in fg_dtype order: bool, int64, float32, float64 */
#define ROW_OF(TO) {copy_##TO##_bool, copy_##TO##_i64, copy_##TO##_f32, copy_##TO##_f64}
static const fg_row_fn copy_rows[4][4] = {ROW_OF(bool), ROW_OF(i64), ROW_OF(f32), ROW_OF(f64)};

int fg_copy(int out_dtype, int x_dtype, int ndim, const int64_t *shape, const int64_t *strides,
            char *out, const char *x)
{
    if (!FG_VALID_DTYPE(out_dtype) || !FG_VALID_DTYPE(x_dtype)) return FG_EDTYPE;
    fg_geometry g;
    int status = fg_geometry_init(&g, 2, ndim, shape, strides);
    if (status != FG_OK) return status;
    char *ptrs[2] = {out, (char *)x};
    fg_iterate(&g, ptrs, copy_rows[out_dtype][x_dtype], NULL, 1);
    return FG_OK;
}

#define DEFINE_FILL(NAME, T)                                                                   \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)                   \
    {                                                                                          \
        const T value = *(const T *)ctx;                                                       \
        if (s[0] == sizeof(T))                                                                 \
            for (int64_t i = 0; i < n; i++) STORE(T, p[0], i, sizeof(T), value);               \
        else                                                                                   \
            for (int64_t i = 0; i < n; i++) STORE(T, p[0], i, s[0], value);                    \
    }
DEFINE_FILL(fill_bool, fg_bool)
DEFINE_FILL(fill_i64, int64_t)
DEFINE_FILL(fill_f32, float)
DEFINE_FILL(fill_f64, double)

int fg_fill(int dtype, int ndim, const int64_t *shape, const int64_t *strides, char *out,
            const void *value)
{
    static const fg_row_fn rows[4] = {fill_bool, fill_i64, fill_f32, fill_f64};
    if (!FG_VALID_DTYPE(dtype)) return FG_EDTYPE;
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
#define DEFINE_ARANGE(NAME, T)                                                                 \
    static void NAME(int64_t n, int64_t chunk, T *out, double start, double step)             \
    {                                                                                          \
        const int64_t w = 32 / sizeof(T);                                                      \
        for (int64_t begin = 0; begin < n; begin += chunk) {                                   \
            int64_t end = n - begin < chunk ? n : begin + chunk, i = begin;                    \
            for (; i + 2 * w <= end; i += 2 * w)                                               \
                for (int64_t v = i; v < i + 2 * w; v += w) {                                   \
                    double base = (T)fma(step, (double)v, start);                              \
                    for (int64_t k = 0; k < w; k++) out[v + k] = (T)fma((double)k, step, base);\
                }                                                                              \
            for (; i < end; i++) out[i] = (T)fma(step, (double)i, start);                      \
        }                                                                                      \
    }
DEFINE_ARANGE(arange_f32, float)
DEFINE_ARANGE(arange_f64, double)

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
    default: return FG_EDTYPE;
    }
    return FG_OK;
}
