/* Softmax, log-softmax and cross entropy along one axis of a strided tensor, and their backward
 * passes: the fused kernels of fastgrad.nn.functional. Each row's largest element is subtracted
 * before exponentiating, so no finite input overflows; sums of exponentials are doubles. */
#include <math.h>
#include <stdint.h>
#include "internal.h"
#include "vecmath.h"

/* A kernel visits every position off the axis (fg_iterate over the other dimensions) and, at
 * each, walks the k elements along the axis. Operands without the axis (a loss, a target, the
 * upstream gradient of a loss) have stride 0 along it. */
typedef struct {
    int64_t k;                  /* the axis's length */
    int64_t s[FG_MAX_OPERANDS]; /* each operand's byte stride along the axis */
    int log;                    /* softmax: write log-probabilities (log-softmax) */
    int64_t ignore_index;       /* cross entropy: positions with this target count for nothing */
    double scale;               /* cross entropy's gradient: 1, or 1 / the targets counted */
} axis_walk;

#define AT(T, ptr, j, stride) (*(T *)((ptr) + (j) * (stride)))

/* The math functions per type: libm's (F32_FN), and vecmath.h's for loops that vectorize
 * (VEC_F32_FN). */
#define F32_FN(name) name##f
#define F64_FN(name) name
#define VEC_F32_FN(name) FG_F32_##name
#define VEC_F64_FN(name) FG_F64_##name
#define LANES 16   /* partial results kept apart, which the compiler keeps in vectors */
#define CHUNK 256  /* elements per pass of the chunked loops: of a row, or positions side by side */
/* Row helpers inline into their callers, so that each FG_CLONES variant gets its own vectors. */
#define ALWAYS_INLINE __attribute__((always_inline))

/* Per dtype T, with F picking the C math function of that type. */
#define DEFINE_NN(SFX, T, F)                                                                   \
    /* the largest element of a row of k >= 1 (NaN if any is, as torch), in LANES running     \
     * maxima and NaN flags, which the compiler keeps in vectors (one running max is a chain,  \
     * and MAX_OF's NaN test a branch) */                                                      \
    static inline ALWAYS_INLINE T row_max_body_##SFX(const char *x, int64_t k, int64_t sx)     \
    {                                                                                          \
        T m = LOAD(T, x, 0, sx), lanes[LANES];                                                 \
        int nan = 0, nans[LANES];                                                              \
        int64_t j = 0;                                                                         \
        for (int l = 0; l < LANES; l++) lanes[l] = m, nans[l] = 0;                             \
        for (; j + LANES <= k; j += LANES)                                                     \
            for (int l = 0; l < LANES; l++) {                                                  \
                T v = LOAD(T, x, j + l, sx);                                                   \
                lanes[l] = v > lanes[l] ? v : lanes[l];                                        \
                nans[l] |= v != v;                                                             \
            }                                                                                  \
        for (; j < k; j++) {                                                                   \
            T v = LOAD(T, x, j, sx);                                                           \
            m = v > m ? v : m;                                                                 \
            nan |= v != v;                                                                     \
        }                                                                                      \
        for (int l = 0; l < LANES; l++) m = lanes[l] > m ? lanes[l] : m, nan |= nans[l];       \
        return nan ? (T)NAN : m;                                                               \
    }                                                                                          \
    static inline ALWAYS_INLINE T row_max_##SFX(const char *x, int64_t k, int64_t sx)          \
    {                                                                                          \
        if (sx == sizeof(T)) return row_max_body_##SFX(x, k, sizeof(T));                       \
        T m = LOAD(T, x, 0, sx); /* a strided row: no vector loads to gain */                  \
        for (int64_t j = 1; j < k; j++) m = MAX_OF(m, LOAD(T, x, j, sx));                      \
        return m;                                                                              \
    }                                                                                          \
    /* e[j] = exp(x[j] - max) and their sum, for a contiguous row: plain loops the           \
     * compiler vectorizes (vecmath.h's exp, then LANES partial sums). */                      \
    static inline ALWAYS_INLINE double exp_sum_contiguous_##SFX(const char *x, int64_t k, T max, \
                                                                T *e)                          \
    {                                                                                          \
        double lanes[LANES] = {0}, total = 0;                                                  \
        int64_t j = 0;                                                                         \
        for (int64_t i = 0; i < k; i++) e[i] = VEC_##F(exp)(LOAD(T, x, i, sizeof(T)) - max);  \
        for (; j + LANES <= k; j += LANES)                                                     \
            for (int l = 0; l < LANES; l++) lanes[l] += e[j + l];                              \
        for (; j < k; j++) total += e[j];                                                      \
        for (int l = 0; l < LANES; l++) total += lanes[l];                                     \
        return total;                                                                          \
    }                                                                                          \
    /* the same for a strided row, one element at a time, with libm's exp (the faster one      \
     * called singly) */                                                                       \
    static double exp_sum_strided_##SFX(const char *x, int64_t k, int64_t sx, T max, char *e,  \
                                        int64_t se)                                            \
    {                                                                                          \
        double total = 0;                                                                      \
        for (int64_t j = 0; j < k; j++) {                                                      \
            T v = F(exp)(LOAD(T, x, j, sx) - max);                                             \
            if (e) AT(T, e, j, se) = v;                                                        \
            total += v;                                                                        \
        }                                                                                      \
        return total;                                                                          \
    }                                                                                          \
    /* the sum of exp(x - max) over the row; each term is also written to e unless e is NULL. \
     * Contiguous rows go by chunks through the vectorized loops. */                           \
    static inline ALWAYS_INLINE double row_exp_sum_##SFX(const char *x, int64_t k, int64_t sx, \
                                                         T max, char *e, int64_t se)           \
    {                                                                                          \
        if (sx != sizeof(T) || (e && se != sizeof(T)))                                         \
            return exp_sum_strided_##SFX(x, k, sx, max, e, se);                                \
        double total = 0;                                                                      \
        T chunk[CHUNK];                                                                        \
        for (int64_t j = 0; j < k; j += CHUNK)                                                 \
            total += exp_sum_contiguous_##SFX(x + j * sizeof(T), k - j < CHUNK ? k - j : CHUNK, \
                                              max, e ? (T *)e + j : chunk);                    \
        return total;                                                                          \
    }                                                                                          \
    /* row *= factor; a contiguous row with a constant stride, which vectorizes */             \
    static inline ALWAYS_INLINE void scale_row_##SFX(char *row, int64_t k, int64_t stride,     \
                                                     T factor)                                 \
    {                                                                                          \
        if (stride == sizeof(T))                                                               \
            for (int64_t j = 0; j < k; j++) AT(T, row, j, sizeof(T)) *= factor;                \
        else                                                                                   \
            for (int64_t j = 0; j < k; j++) AT(T, row, j, stride) *= factor;                   \
    }                                                                                          \
    /* softmax at b <= CHUNK positions that lie side by side (axis 0 of a row-major matrix:   \
     * columns), all at once: each pass over the axis reads one row of the b positions, so the \
     * inner loops run over contiguous elements and vectorize, and the rows stay in cache. */  \
    static inline ALWAYS_INLINE void softmax_across_##SFX(int64_t b, char *out, const char *x, \
                                                          const axis_walk *w)                  \
    {                                                                                          \
        const int64_t sx = w->s[1], so = w->s[0], size = sizeof(T);                            \
        T max[CHUNK];                                                                          \
        double sum[CHUNK];                                                                     \
        for (int64_t q = 0; q < b; q++) max[q] = LOAD(T, x, q, size), sum[q] = 0;              \
        for (int64_t j = 1; j < w->k; j++)                                                     \
            for (int64_t q = 0; q < b; q++) max[q] = MAX_OF(max[q], LOAD(T, x + j * sx, q, size)); \
        for (int64_t j = 0; j < w->k; j++)                                                     \
            for (int64_t q = 0; q < b; q++) {                                                  \
                T v = VEC_##F(exp)(LOAD(T, x + j * sx, q, size) - max[q]);                     \
                if (!w->log) AT(T, out + j * so, q, size) = v;                                 \
                sum[q] += v;                                                                   \
            }                                                                                  \
        for (int64_t q = 0; q < b; q++) sum[q] = w->log ? log(sum[q]) : 1 / sum[q];            \
        for (int64_t j = 0; j < w->k; j++)                                                     \
            for (int64_t q = 0; q < b; q++)                                                    \
                AT(T, out + j * so, q, size) = w->log                                          \
                    ? (LOAD(T, x + j * sx, q, size) - max[q]) - (T)sum[q]                      \
                    : AT(T, out + j * so, q, size) * (T)sum[q];                                \
    }                                                                                          \
    /* operands: out, x. Log-softmax is (x - max) - log(sum): max + log(sum) would round away \
     * log's bits */                                                                           \
    FG_CLONES static void softmax_##SFX(int64_t n, char **p, const int64_t *s,                \
                                        const void *ctx)                                       \
    {                                                                                          \
        const axis_walk *w = ctx;                                                              \
        if (s[0] == sizeof(T) && s[1] == sizeof(T) && w->s[1] != sizeof(T) && w->k) {          \
            for (int64_t i = 0; i < n; i += CHUNK)                                             \
                softmax_across_##SFX(n - i < CHUNK ? n - i : CHUNK, p[0] + i * sizeof(T),      \
                                     p[1] + i * sizeof(T), w);                                 \
            return;                                                                            \
        }                                                                                      \
        for (int64_t i = 0; i < n && w->k; i++) {                                              \
            char *out = p[0] + i * s[0];                                                       \
            const char *x = p[1] + i * s[1];                                                   \
            T max = row_max_##SFX(x, w->k, w->s[1]);                                           \
            if (w->log) {                                                                      \
                T lse = (T)log(row_exp_sum_##SFX(x, w->k, w->s[1], max, NULL, 0));             \
                for (int64_t j = 0; j < w->k; j++)                                             \
                    AT(T, out, j, w->s[0]) = (LOAD(T, x, j, w->s[1]) - max) - lse;             \
            } else {                                                                           \
                T inv = (T)(1 / row_exp_sum_##SFX(x, w->k, w->s[1], max, out, w->s[0]));       \
                scale_row_##SFX(out, w->k, w->s[0], inv);                                      \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    /* operands: gx, g, y = softmax's output; gx = y * (g - sum(g * y)) */                     \
    static void softmax_backward_##SFX(int64_t n, char **p, const int64_t *s, const void *ctx) \
    {                                                                                          \
        const axis_walk *w = ctx;                                                              \
        for (int64_t i = 0; i < n; i++) {                                                      \
            char *gx = p[0] + i * s[0];                                                        \
            const char *g = p[1] + i * s[1], *y = p[2] + i * s[2];                             \
            double dot = 0;                                                                    \
            for (int64_t j = 0; j < w->k; j++)                                                 \
                dot += (double)LOAD(T, g, j, w->s[1]) * LOAD(T, y, j, w->s[2]);                \
            for (int64_t j = 0; j < w->k; j++)                                                 \
                AT(T, gx, j, w->s[0]) =                                                        \
                    LOAD(T, y, j, w->s[2]) * (LOAD(T, g, j, w->s[1]) - (T)dot);                \
        }                                                                                      \
    }                                                                                          \
    /* operands: gx, g, y = log-softmax's output; gx = g - exp(y) * sum(g) */                  \
    static void log_softmax_backward_##SFX(int64_t n, char **p, const int64_t *s,              \
                                           const void *ctx)                                    \
    {                                                                                          \
        const axis_walk *w = ctx;                                                              \
        for (int64_t i = 0; i < n; i++) {                                                      \
            char *gx = p[0] + i * s[0];                                                        \
            const char *g = p[1] + i * s[1], *y = p[2] + i * s[2];                             \
            double total = 0;                                                                  \
            for (int64_t j = 0; j < w->k; j++) total += LOAD(T, g, j, w->s[1]);                \
            for (int64_t j = 0; j < w->k; j++)                                                 \
                AT(T, gx, j, w->s[0]) =                                                        \
                    LOAD(T, g, j, w->s[1]) - F(exp)(LOAD(T, y, j, w->s[2])) * (T)total;        \
        }                                                                                      \
    }                                                                                          \
    /* operands: loss, x, target (checked); loss = log(sum(exp(x - max))) - (x[target] - max) */ \
    FG_CLONES static void cross_entropy_##SFX(int64_t n, char **p, const int64_t *s,          \
                                              const void *ctx)                                 \
    {                                                                                          \
        const axis_walk *w = ctx;                                                              \
        for (int64_t i = 0; i < n; i++) {                                                      \
            T *loss = (T *)(p[0] + i * s[0]);                                                  \
            const char *x = p[1] + i * s[1];                                                   \
            int64_t t = LOAD(int64_t, p[2], i, s[2]);                                          \
            if (t == w->ignore_index) {                                                        \
                *loss = 0;                                                                     \
                continue;                                                                      \
            }                                                                                  \
            T max = row_max_##SFX(x, w->k, w->s[1]);                                           \
            double total = row_exp_sum_##SFX(x, w->k, w->s[1], max, NULL, 0);                  \
            *loss = (T)(log(total) - (double)(LOAD(T, x, t, w->s[1]) - max));                  \
        }                                                                                      \
    }                                                                                          \
    /* operands: gx, x, target (checked), g; gx = (softmax(x) - onehot(target)) * g * scale */ \
    FG_CLONES static void cross_entropy_backward_##SFX(int64_t n, char **p, const int64_t *s, \
                                                       const void *ctx)                        \
    {                                                                                          \
        const axis_walk *w = ctx;                                                              \
        if (w->k == 0) return; /* no classes, so every target was ignored: nothing to write */ \
        for (int64_t i = 0; i < n; i++) {                                                      \
            char *gx = p[0] + i * s[0];                                                        \
            const char *x = p[1] + i * s[1];                                                   \
            int64_t t = LOAD(int64_t, p[2], i, s[2]);                                          \
            /* an ignored row gets softmax(x) * 0: 0, or NaN where its softmax is, as torch */ \
            int ignored = t == w->ignore_index;                                                \
            double g = ignored ? 0 : LOAD(T, p[3], i, s[3]) * w->scale;                        \
            T max = row_max_##SFX(x, w->k, w->s[1]);                                           \
            T factor = (T)(g / row_exp_sum_##SFX(x, w->k, w->s[1], max, gx, w->s[0]));         \
            scale_row_##SFX(gx, w->k, w->s[0], factor);                                       \
            if (!ignored) AT(T, gx, t, w->s[0]) -= (T)g;                                       \
        }                                                                                      \
    }
DEFINE_NN(f32, float, F32_FN)
DEFINE_NN(f64, double, F64_FN)

/* [dtype] or [op][dtype]: the floating dtypes only. */
static const fg_row_fn softmax_rows[4] = {NULL, NULL, softmax_f32, softmax_f64};
static const fg_row_fn softmax_backward_rows[2][4] = {
    [FG_SOFTMAX] = {NULL, NULL, softmax_backward_f32, softmax_backward_f64},
    [FG_LOG_SOFTMAX] = {NULL, NULL, log_softmax_backward_f32, log_softmax_backward_f64},
};
static const fg_row_fn cross_entropy_rows[2][4] = { /* [0]: the loss, [1]: its gradient */
    {NULL, NULL, cross_entropy_f32, cross_entropy_f64},
    {NULL, NULL, cross_entropy_backward_f32, cross_entropy_backward_f64},
};

/* Runs row at every position of g, threads splitting its outermost dimension when the
 * elements (positions times the axis's length) pay for them: fg_iterate would count positions
 * only, and a position here is a whole row of work. */
static void iterate_rows(const fg_geometry *g, char **ptrs, fg_row_fn row, const axis_walk *w)
{
#ifdef _OPENMP
    int64_t n = g->shape[0];
    int threads = fg_threads();
    if (threads > 1 && n > 1 && fg_geometry_numel(g) * w->k >= FG_PARALLEL_MIN) {
#pragma omp parallel for num_threads(threads)
        for (int t = 0; t < threads; t++) {
            int64_t lo = n * t / threads, hi = n * (t + 1) / threads;
            fg_geometry part = *g;
            char *p[FG_MAX_OPERANDS];
            part.shape[0] = hi - lo;
            for (int op = 0; op < g->nops; op++) p[op] = ptrs[op] + lo * g->strides[op][0];
            if (hi > lo) fg_iterate(&part, p, row, w, 0);
        }
        return;
    }
#endif
    fg_iterate(g, ptrs, row, w, 0);
}

/* Runs row at every position off the axis; positions are independent, so threads may split
 * them. */
static int run_along_axis(fg_row_fn row, int nops, int ndim, const int64_t *shape,
                          const int64_t *strides, int axis, char **ptrs, axis_walk *w)
{
    fg_geometry g;
    int status = fg_geometry_off_axis(&g, nops, ndim, shape, strides, axis, w->s);
    if (status != FG_OK) return status;
    w->k = shape[axis];
    iterate_rows(&g, ptrs, row, w);
    return FG_OK;
}

int fg_softmax(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides,
               int axis, char *out, const char *x)
{
    if (op != FG_SOFTMAX && op != FG_LOG_SOFTMAX) return FG_EOP;
    if (!FG_VALID_DTYPE(dtype) || !softmax_rows[dtype]) return FG_EDTYPE;
    char *ptrs[2] = {out, (char *)x};
    axis_walk w = {.log = op == FG_LOG_SOFTMAX};
    return run_along_axis(softmax_rows[dtype], 2, ndim, shape, strides, axis, ptrs, &w);
}

int fg_softmax_backward(int op, int dtype, int ndim, const int64_t *shape,
                        const int64_t *strides, int axis, char *gx, const char *g, const char *y)
{
    if (op != FG_SOFTMAX && op != FG_LOG_SOFTMAX) return FG_EOP;
    if (!FG_VALID_DTYPE(dtype) || !softmax_backward_rows[op][dtype]) return FG_EDTYPE;
    char *ptrs[3] = {gx, (char *)g, (char *)y};
    axis_walk w = {0};
    return run_along_axis(softmax_backward_rows[op][dtype], 3, ndim, shape, strides, axis, ptrs,
                          &w);
}

/* ---- cross entropy: every target is checked before a kernel reads x at it. */
/* The targets are operand 2 of `strides`, with stride 0 along the axis: each is checked once,
 * at its position off the axis. FG_EINDEX with *info the first bad target, else FG_OK with
 * *info the targets counted. */
static int check_targets(int ndim, const int64_t *shape, const int64_t *strides, int axis,
                         int64_t ignore_index, const char *target, int64_t *info)
{
    fg_geometry g;
    int64_t along;
    int status = fg_geometry_off_axis(&g, 1, ndim, shape, strides + 2 * ndim, axis, &along);
    if (status != FG_OK) return status;
    int64_t counted;
    status = fg_check_indices(&g, target, 0, shape[axis], &ignore_index, info, &counted);
    if (status == FG_OK) *info = counted;
    return status;
}

int fg_cross_entropy(int dtype, int ndim, const int64_t *shape, const int64_t *strides, int axis,
                     int64_t ignore_index, char *loss, const char *x, const char *target,
                     int64_t *info)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    int status = check_targets(ndim, shape, strides, axis, ignore_index, target, info);
    if (status != FG_OK) return status;
    char *ptrs[3] = {loss, (char *)x, (char *)target};
    axis_walk w = {.ignore_index = ignore_index};
    return run_along_axis(cross_entropy_rows[0][dtype], 3, ndim, shape, strides, axis, ptrs, &w);
}

int fg_cross_entropy_backward(int dtype, int ndim, const int64_t *shape, const int64_t *strides,
                              int axis, int64_t ignore_index, int mean, char *gx, const char *x,
                              const char *target, const char *g)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    int64_t counted;
    int status = check_targets(ndim, shape, strides, axis, ignore_index, target, &counted);
    if (status != FG_OK) return status;
    char *ptrs[4] = {gx, (char *)x, (char *)target, (char *)g};
    /* with nothing counted every row is ignored and the scale goes unused */
    axis_walk w = {.ignore_index = ignore_index, .scale = mean ? 1.0 / counted : 1.0};
    return run_along_axis(cross_entropy_rows[1][dtype], 4, ndim, shape, strides, axis, ptrs, &w);
}
