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

int fg_arange(int dtype, int64_t n, char *out, const void *start, const void *step)
{
    if (fg_check_sizes(1, 1, &n, (const int64_t[]){8})) return FG_ESIZE;
    if (dtype == FG_INT64) {
        int64_t s = *(const int64_t *)start, d = *(const int64_t *)step;
        for (int64_t i = 0; i < n; i++) ((int64_t *)out)[i] = s + i * d;
        return FG_OK;
    }
    double s = *(const double *)start, d = *(const double *)step;
    switch (dtype) {
    case FG_FLOAT32: for (int64_t i = 0; i < n; i++) ((float *)out)[i] = (float)(s + i * d); break;
    case FG_FLOAT64: for (int64_t i = 0; i < n; i++) ((double *)out)[i] = s + i * d; break;
    default: return FG_EDTYPE;
    }
    return FG_OK;
}
