/* Softmax, log-softmax and cross entropy along one axis of a strided tensor, and their backward
* passes: the fused kernels of fastgrad.ops.softmax and nn.functional's cross_entropy. Each row's largest element is subtracted
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

#define LANES 16   /* partial results kept apart, which the compiler keeps in vectors */
#define CHUNK 256  /* elements per pass of the chunked loops: of a row, or positions side by side */
/* Row helpers inline into their callers, so that each FG_CLONES variant gets its own vectors. */
#define ALWAYS_INLINE __attribute__((always_inline))

/* The rows per dtype: nn_rows.h, included once per element type, with the C library's math
 * (FG_MATH) and vecmath.h's vectorizable versions (FG_VEC) of that type. */
#define FG_T float
#define FG_SFX f32
#define FG_MATH(name) name##f
#define FG_VEC(name) FG_F32_##name
#include "nn_rows.h"
#define FG_T double
#define FG_SFX f64
#define FG_MATH(name) name
#define FG_VEC(name) FG_F64_##name
#include "nn_rows.h"

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

/* The sum of the losses (the positions off the axis: shape without it, the loss's strides),
 * divided by the targets counted when `mean`, into *total. */
static int reduce_losses(int dtype, int ndim, const int64_t *shape, const int64_t *loss_strides,
                         int axis, int mean, int64_t counted, char *total, const char *loss)
{
    int64_t rest[FG_MAX_DIMS], rest_strides[FG_MAX_DIMS];
    int n = 0;
    for (int d = 0; d < ndim; d++)
        if (d != axis) {
            rest[n] = shape[d];
            rest_strides[n++] = loss_strides[d];
        }
    int status = fg_reduce(FG_SUM, dtype, n, rest, rest_strides, (UINT64_C(1) << n) - 1, total,
                           loss);
    if (status != FG_OK || !mean) return status;
    if (dtype == FG_FLOAT32)
        *(float *)total /= (float)counted;
    else
        *(double *)total /= (double)counted;
    return FG_OK;
}

int fg_cross_entropy(int dtype, int ndim, const int64_t *shape, const int64_t *strides, int axis,
                     int64_t ignore_index, int mean, char *loss, char *total, const char *x,
                     const char *target, int64_t *info)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    int status = check_targets(ndim, shape, strides, axis, ignore_index, target, info);
    if (status != FG_OK) return status;
    char *ptrs[3] = {loss, (char *)x, (char *)target};
    axis_walk w = {.ignore_index = ignore_index};
    status = run_along_axis(cross_entropy_rows[0][dtype], 3, ndim, shape, strides, axis, ptrs, &w);
    if (status != FG_OK || total == NULL) return status;
    return reduce_losses(dtype, ndim, shape, strides, axis, mean, *info, total, loss);
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
