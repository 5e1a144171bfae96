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

#define DEFINE_NORM(T, SFX)                                                                    \
    /* sum(x) over x[0..n) (sq 0), or sum((x - mu)^2) (sq 1), in double with LANES partial  \
     * sums */                                                                                \
    static inline double sum_##SFX(const T *x, int64_t n, double mu, int sq)                   \
    {                                                                                          \
        double part[LANES] = {0}, s = 0;                                                       \
        int64_t j = 0;                                                                         \
        if (sq) {                                                                              \
            for (; j + LANES <= n; j += LANES)                                                 \
                for (int l = 0; l < LANES; l++) {                                              \
                    double d = (double)x[j + l] - mu;                                          \
                    part[l] += d * d;                                                          \
                }                                                                              \
            for (; j < n; j++) s += ((double)x[j] - mu) * ((double)x[j] - mu);                 \
        } else {                                                                               \
            for (; j + LANES <= n; j += LANES)                                                 \
                for (int l = 0; l < LANES; l++) part[l] += (double)x[j + l];                   \
            for (; j < n; j++) s += (double)x[j];                                              \
        }                                                                                      \
        for (int l = 0; l < LANES; l++) s += part[l];                                          \
        return s;                                                                              \
    }                                                                                          \
                                                                                               \
    static void layer_norm_##SFX(int64_t rows, int64_t n, double eps, T *out, T *mean, T *rstd,  \
                                 const T *x, const T *w, const T *b)                           \
    {                                                                                          \
        int threads = threads_for(rows, rows * n);                                             \
        (void)threads; /* without OpenMP */                                                    \
        OMP("omp parallel for num_threads(threads) if(threads > 1)")                           \
        for (int64_t i = 0; i < rows; i++) {                                                   \
            const T *xi = x + i * n;                                                           \
            T *oi = out + i * n;                                                               \
            double mu = sum_##SFX(xi, n, 0, 0) / (double)n;                                     \
            double var = sum_##SFX(xi, n, mu, 1) / (double)n;                                     \
            double r = 1.0 / sqrt(var + eps);                                                  \
            mean[i] = (T)mu;                                                                   \
            rstd[i] = (T)r;                                                                    \
            T m = (T)mu, rr = (T)r;                                                            \
            for (int64_t j = 0; j < n; j++) {                                                  \
                T y = (xi[j] - m) * rr;                                                        \
                if (w) y *= w[j];                                                              \
                if (b) y += b[j];                                                              \
                oi[j] = y;                                                                     \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    /* gx = rstd (gw - mean(gw) - xhat mean(gw xhat)) per row, gw = g * w */                    \
    static void layer_norm_backward_##SFX(int64_t rows, int64_t n, T *gx, T *gw, T *gb,         \
                                          const T *g, const T *x, const T *mean, const T *rstd, \
                                          const T *w, double *acc)                             \
    {                                                                                          \
        int threads = threads_for(rows, rows * n);                                             \
        (void)threads; /* without OpenMP */                                                    \
        if (gx) {                                                                              \
            OMP("omp parallel for num_threads(threads) if(threads > 1)")                       \
            for (int64_t i = 0; i < rows; i++) {                                               \
                const T *gi = g + i * n, *xi = x + i * n;                                      \
                double mu = mean[i], r = rstd[i], a[LANES] = {0}, c[LANES] = {0};              \
                int64_t j = 0;                                                                 \
                for (; j + LANES <= n; j += LANES)                                             \
                    for (int l = 0; l < LANES; l++) {                                          \
                        double gy = (double)gi[j + l] * (w ? (double)w[j + l] : 1.0);          \
                        a[l] += gy;                                                            \
                        c[l] += gy * ((double)xi[j + l] - mu);                                 \
                    }                                                                          \
                for (; j < n; j++) {                                                           \
                    double gy = (double)gi[j] * (w ? (double)w[j] : 1.0);                      \
                    a[0] += gy;                                                                \
                    c[0] += gy * ((double)xi[j] - mu);                                         \
                }                                                                              \
                for (int l = 1; l < LANES; l++) a[0] += a[l], c[0] += c[l];                    \
                /* gx = r gy - r mean(gy) - (x - mu) r^3 mean(gy (x - mu)) */                   \
                T s = (T)r, k = (T)(r * a[0] / (double)n),                                     \
                  q = (T)(r * r * r * c[0] / (double)n), m = (T)mu;                            \
                T *gxi = gx + i * n;                                                           \
                for (j = 0; j < n; j++)                                                        \
                    gxi[j] = s * gi[j] * (w ? w[j] : (T)1) - k - (xi[j] - m) * q;              \
            }                                                                                  \
        }                                                                                      \
        if (!gw && !gb) return;                                                                \
        double *aw = acc, *ab = acc + n;                                                       \
        threads = threads_for(n, rows * n);                                                    \
        OMP("omp parallel num_threads(threads) if(threads > 1)")                               \
        {                                                                                      \
            int t = 0, nt = 1;                                                                 \
            FG_OMP_ID(t, nt);                                                                  \
            int64_t lo = n * t / nt, hi = n * (t + 1) / nt;                                    \
            for (int64_t j = lo; j < hi; j++) aw[j] = ab[j] = 0;                               \
            for (int64_t i = 0; i < rows; i++) {                                               \
                const T *gi = g + i * n, *xi = x + i * n;                                      \
                double mu = mean[i], r = rstd[i];                                              \
                for (int64_t j = lo; j < hi; j++) {                                            \
                    aw[j] += (double)gi[j] * (((double)xi[j] - mu) * r);                       \
                    ab[j] += (double)gi[j];                                                    \
                }                                                                              \
            }                                                                                  \
            for (int64_t j = lo; j < hi; j++) {                                                \
                if (gw) gw[j] = (T)aw[j];                                                      \
                if (gb) gb[j] = (T)ab[j];                                                      \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    /* Per channel of [lo, hi): s1 = sum(x), or with mu given, sum((x - mu)^2) into acc */      \
    static void channel_sums_##SFX(int64_t outer, int64_t ch, int64_t inner, int64_t lo,       \
                                   int64_t hi, const T *x, const double *mu, double *acc)      \
    {                                                                                          \
        for (int64_t c = lo; c < hi; c++) acc[c] = 0;                                          \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t c = lo; c < hi; c++) {                                                \
                const T *xc = x + (o * ch + c) * inner;                                        \
                if (inner == 1) {                                                              \
                    double d = (double)xc[0] - (mu ? mu[c] : 0.0);                             \
                    acc[c] += mu ? d * d : (double)xc[0];                                      \
                } else {                                                                       \
                    acc[c] += sum_##SFX(xc, inner, mu ? mu[c] : 0, mu != NULL);                          \
                }                                                                              \
            }                                                                                  \
    }                                                                                          \
                                                                                               \
    /* out = x * scale + shift per channel, scale = invstd w, shift = b - mean scale */         \
    static void channel_affine_##SFX(int64_t outer, int64_t ch, int64_t inner, int64_t lo,     \
                                     int64_t hi, T *out, const T *x, const double *scale,      \
                                     const double *shift)                                      \
    {                                                                                          \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t c = lo; c < hi; c++) {                                                \
                T a = (T)scale[c], s = (T)shift[c];                                            \
                const T *xc = x + (o * ch + c) * inner;                                        \
                T *oc = out + (o * ch + c) * inner;                                            \
                for (int64_t k = 0; k < inner; k++) oc[k] = xc[k] * a + s;                     \
            }                                                                                  \
    }                                                                                          \
                                                                                               \
    static void batch_norm_##SFX(int64_t outer, int64_t ch, int64_t inner, int training,       \
                                 double momentum, double eps, T *out, T *mean, T *invstd,      \
                                 const T *x, const T *w, const T *b, T *rmean, T *rvar,        \
                                 double *acc)                                                  \
    {                                                                                          \
        double *mu = acc, *var = acc + ch, *scale = acc + 2 * ch, *shift = acc + 3 * ch;       \
        int64_t count = outer * inner;                                                         \
        int threads = threads_for(ch, count * ch);                                             \
        (void)threads; /* without OpenMP */                                                    \
        OMP("omp parallel num_threads(threads) if(threads > 1)")                               \
        {                                                                                      \
            int t = 0, nt = 1;                                                                 \
            FG_OMP_ID(t, nt);                                                                  \
            int64_t lo = ch * t / nt, hi = ch * (t + 1) / nt;                                  \
            if (training) {                                                                    \
                channel_sums_##SFX(outer, ch, inner, lo, hi, x, NULL, mu);                     \
                for (int64_t c = lo; c < hi; c++) mu[c] /= (double)count;                      \
                channel_sums_##SFX(outer, ch, inner, lo, hi, x, mu, var);                      \
            }                                                                                  \
            for (int64_t c = lo; c < hi; c++) {                                                \
                double is;                                                                     \
                if (training) {                                                                \
                    is = 1.0 / sqrt(var[c] / (double)count + eps);                             \
                    if (rmean) rmean[c] = (T)(momentum * mu[c] + (1 - momentum) * rmean[c]);   \
                    if (rvar)                                                                  \
                        rvar[c] = (T)(momentum * var[c] / (double)(count - 1) +                \
                                      (1 - momentum) * rvar[c]);                               \
                } else {                                                                       \
                    mu[c] = rmean[c];                                                          \
                    is = 1.0 / sqrt((double)rvar[c] + eps);                                    \
                }                                                                              \
                mean[c] = (T)mu[c];                                                            \
                invstd[c] = (T)is;                                                             \
                scale[c] = is * (w ? (double)w[c] : 1.0);                                      \
                shift[c] = (b ? (double)b[c] : 0.0) - mu[c] * scale[c];                        \
            }                                                                                  \
            channel_affine_##SFX(outer, ch, inner, lo, hi, out, x, scale, shift);              \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    /* per channel: sg = sum(g), dot = sum(g (x - mean)); gx = (g - sg / count - (x - mean)    \
     * invstd^2 dot / count) invstd w in training, g invstd w in eval; gw = dot invstd,         \
     * gb = sg */                                                                              \
    static void batch_norm_backward_##SFX(int64_t outer, int64_t ch, int64_t inner,            \
                                          int training, T *gx, T *gw, T *gb, const T *g,       \
                                          const T *x, const T *mean, const T *invstd,          \
                                          const T *w, double *acc)                             \
    {                                                                                          \
        double *sg = acc, *dot = acc + ch;                                                     \
        int64_t count = outer * inner;                                                         \
        int threads = threads_for(ch, count * ch);                                             \
        (void)threads; /* without OpenMP */                                                    \
        OMP("omp parallel num_threads(threads) if(threads > 1)")                               \
        {                                                                                      \
            int t = 0, nt = 1;                                                                 \
            FG_OMP_ID(t, nt);                                                                  \
            int64_t lo = ch * t / nt, hi = ch * (t + 1) / nt;                                  \
            for (int64_t c = lo; c < hi; c++) sg[c] = dot[c] = 0;                              \
            for (int64_t o = 0; o < outer; o++)                                                \
                for (int64_t c = lo; c < hi; c++) {                                            \
                    const T *gc = g + (o * ch + c) * inner, *xc = x + (o * ch + c) * inner;    \
                    double m = mean[c], s = 0, d = 0;                                          \
                    for (int64_t k = 0; k < inner; k++) {                                      \
                        s += (double)gc[k];                                                    \
                        d += (double)gc[k] * ((double)xc[k] - m);                              \
                    }                                                                          \
                    sg[c] += s;                                                                \
                    dot[c] += d;                                                               \
                }                                                                              \
            for (int64_t c = lo; c < hi; c++) {                                                \
                double is = invstd[c];                                                         \
                if (gw) gw[c] = (T)(dot[c] * is);                                              \
                if (gb) gb[c] = (T)sg[c];                                                      \
            }                                                                                  \
            if (gx)                                                                            \
                for (int64_t o = 0; o < outer; o++)                                            \
                    for (int64_t c = lo; c < hi; c++) {                                        \
                        double is = invstd[c], wc = w ? (double)w[c] : 1.0;                    \
                        T a = (T)(is * wc), m = mean[c];                                       \
                        T k = training ? (T)(sg[c] / (double)count * is * wc) : (T)0;          \
                        T q = training ? (T)(dot[c] / (double)count * is * is * is * wc) : (T)0; \
                        const T *gc = g + (o * ch + c) * inner, *xc = x + (o * ch + c) * inner; \
                        T *gxc = gx + (o * ch + c) * inner;                                    \
                        if (!training) /* x itself not read: inf in x gives no NaN */          \
                            for (int64_t j = 0; j < inner; j++) gxc[j] = gc[j] * a;            \
                        else                                                                   \
                            for (int64_t j = 0; j < inner; j++)                                \
                                gxc[j] = gc[j] * a - k - (xc[j] - m) * q;                      \
                    }                                                                          \
        }                                                                                      \
    }

DEFINE_NORM(float, f32)
DEFINE_NORM(double, f64)

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
    double *acc = fg_alloc(2 * n + 1, sizeof(double));
    if (!acc) return FG_ENOMEM;
    if (dtype == FG_FLOAT32)
        layer_norm_backward_f32(rows, n, (float *)gx, (float *)gw, (float *)gb, (const float *)g,
                                (const float *)x, (const float *)mean, (const float *)rstd,
                                (const float *)w, acc);
    else
        layer_norm_backward_f64(rows, n, (double *)gx, (double *)gw, (double *)gb,
                                (const double *)g, (const double *)x, (const double *)mean,
                                (const double *)rstd, (const double *)w, acc);
    free(acc);
    return FG_OK;
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
    double *acc = fg_alloc(4 * channels + 1, sizeof(double));
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
    double *acc = fg_alloc(2 * channels + 1, sizeof(double));
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
