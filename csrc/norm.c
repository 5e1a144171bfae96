/* Layer norm and batch norm, forward and fused backward: the kernels of
 * fastgrad.ops.normalization. Every operand is contiguous and aligned (the Python side copies
 * others). Statistics and the sums of the backward passes accumulate in double, for float32
 * too, as torch's CPU kernels do (their acc_type); the elementwise passes compute in the
 * tensor's type with the per-row (per-channel) coefficients rounded to it once.
 *
 * Layer norm sees x as (rows, n): each row is normalized over its n elements; weight and bias
 * have n. Batch norm sees x as (outer, channels, inner): each channel is normalized over its
 * outer * inner elements; weight, bias and the statistics have one value per channel. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "internal.h"

#ifdef _OPENMP
#include <omp.h>
#define OMP(directive) _Pragma(directive)
#define FG_OMP_ID(t, nt) (t = omp_get_thread_num(), nt = omp_get_num_threads())
#else
#define OMP(directive)
#define FG_OMP_ID(t, nt) ((void)(t), (void)(nt))
#endif

#define LANES 8 /* partial sums kept apart, which the compiler keeps in vectors */
#define ROW_LANES 32  /* the layer-norm backward's partial sums of T (two AVX-512 vectors) */
#define ROW_CHUNK 256 /* elements summed in T before the partials go into double */

/* the sum of ROW_LANES partials, halving (vector adds, not a chain of ROW_LANES scalar ones) */
static inline __attribute__((always_inline)) double fold_lanes(double *d)
{
    for (int w = ROW_LANES / 2; w > 0; w /= 2)
        for (int l = 0; l < w; l++) d[l] += d[l + w];
    return d[0];
}

/* n * m elements, neither negative, the product in int64: else FG_ESIZE. */
static int check_extent(int64_t n, int64_t m)
{
    if (n < 0 || m < 0 || (m && n > INT64_MAX / m)) return FG_ESIZE;
    return FG_OK;
}

/* Threads for a loop over `units` parts of `work` elements in all. */
static int threads_for(int64_t units, int64_t work)
{
    int t = fg_threads();
    if (t > units) t = (int)units;
    return work >= FG_PARALLEL_MIN && t > 1 ? t : 1;
}

#define FG_T float
#define FG_SFX f32
#include "norm_rows.h"
#define FG_T double
#define FG_SFX f64
#include "norm_rows.h"

int fg_layer_norm(int dtype, int64_t rows, int64_t n, const double *eps, char *out, char *mean,
                  char *rstd, const char *x, const char *w, const char *b)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    if (check_extent(rows, n) != FG_OK) return FG_ESIZE;
    if (rows && (!mean || !rstd || (n && (!out || !x)))) return FG_EOP;
    if (dtype == FG_FLOAT32)
        layer_norm_f32(rows, n, *eps, (float *)out, (float *)mean, (float *)rstd,
                       (const float *)x, (const float *)w, (const float *)b);
    else
        layer_norm_f64(rows, n, *eps, (double *)out, (double *)mean, (double *)rstd,
                       (const double *)x, (const double *)w, (const double *)b);
    return FG_OK;
}

int fg_layer_norm_backward(int dtype, int64_t rows, int64_t n, char *gx, char *gw, char *gb,
                           const char *g, const char *x, const char *mean, const char *rstd,
                           const char *w)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    if (check_extent(rows, n) != FG_OK) return FG_ESIZE;
    if (rows && n && (!g || !x || !mean || !rstd)) return FG_EOP;
    if (dtype == FG_FLOAT32)
        return layer_norm_backward_f32(rows, n, (float *)gx, (float *)gw, (float *)gb,
                                       (const float *)g, (const float *)x, (const float *)mean,
                                       (const float *)rstd, (const float *)w);
    return layer_norm_backward_f64(rows, n, (double *)gx, (double *)gw, (double *)gb,
                                   (const double *)g, (const double *)x, (const double *)mean,
                                   (const double *)rstd, (const double *)w);
}

/* outer * channels * inner elements in int64 and nothing negative. */
static int check_channels(int64_t outer, int64_t ch, int64_t inner)
{
    if (check_extent(outer, inner) != FG_OK) return FG_ESIZE;
    return check_extent(outer * inner, ch);
}

int fg_batch_norm(int dtype, int64_t outer, int64_t channels, int64_t inner, int training,
                  const double *coef, char *out, char *mean, char *invstd, const char *x,
                  const char *w, const char *b, char *running_mean, char *running_var)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    if (check_channels(outer, channels, inner) != FG_OK) return FG_ESIZE;
    if (channels && (!mean || !invstd || (!training && (!running_mean || !running_var)) ||
                     (outer && inner && (!out || !x))))
        return FG_EOP;
    double *acc = fg_alloc(4 * channels + 1, sizeof(double)); /* 2 ch doubles, 2 ch T */
    if (!acc) return FG_ENOMEM;
    if (dtype == FG_FLOAT32)
        batch_norm_f32(outer, channels, inner, training, coef[1], coef[0], (float *)out,
                       (float *)mean, (float *)invstd, (const float *)x, (const float *)w,
                       (const float *)b, (float *)running_mean, (float *)running_var, acc);
    else
        batch_norm_f64(outer, channels, inner, training, coef[1], coef[0], (double *)out,
                       (double *)mean, (double *)invstd, (const double *)x, (const double *)w,
                       (const double *)b, (double *)running_mean, (double *)running_var, acc);
    free(acc);
    return FG_OK;
}

int fg_batch_norm_backward(int dtype, int64_t outer, int64_t channels, int64_t inner,
                           int training, char *gx, char *gw, char *gb, const char *g,
                           const char *x, const char *mean, const char *invstd, const char *w)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    if (check_channels(outer, channels, inner) != FG_OK) return FG_ESIZE;
    if (channels && (!mean || !invstd || (outer && inner && (!g || !x)))) return FG_EOP;
    double *acc = fg_alloc(6 * channels + 1, sizeof(double)); /* 2 ch doubles, 4 ch T */
    if (!acc) return FG_ENOMEM;
    if (dtype == FG_FLOAT32)
        batch_norm_backward_f32(outer, channels, inner, training, (float *)gx, (float *)gw,
                                (float *)gb, (const float *)g, (const float *)x,
                                (const float *)mean, (const float *)invstd, (const float *)w,
                                acc);
    else
        batch_norm_backward_f64(outer, channels, inner, training, (double *)gx, (double *)gw,
                                (double *)gb, (const double *)g, (const double *)x,
                                (const double *)mean, (const double *)invstd, (const double *)w,
                                acc);
    free(acc);
    return FG_OK;
}
