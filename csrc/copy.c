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
    int bytes = out_dtype == FG_UINT8 && x_dtype == FG_UINT8; /* copied as bool's bytes are */
    if (!bytes && (!FG_VALID_DTYPE(out_dtype) || !FG_VALID_DTYPE(x_dtype))) return FG_EDTYPE;
    fg_geometry g;
    int status = fg_geometry_init(&g, 2, ndim, shape, strides);
    if (status != FG_OK) return status;
    char *ptrs[2] = {out, (char *)x};
    fg_iterate(&g, ptrs, bytes ? copy_bool_bool : copy_rows[out_dtype][x_dtype], NULL, 1);
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
