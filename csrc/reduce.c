/* Reductions (sum, prod, max, min over any set of axes) and scans along one axis (argmax,
 * argmin, cumsum, cumprod). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "internal.h"

#define PLUS(x, y) ((x) + (y))
#define TIMES(x, y) ((x) * (y))
/* int64 products wrap around, as torch's, without C's undefined signed overflow */
#define TIMES_I64(x, y) ((int64_t)((uint64_t)(x) * (uint64_t)(y)))

/* Pairwise summation (as numpy): error grows with log(n), not n, so float32 sums of millions
 * of elements stay within float32 rounding. Blocks of up to 128 use 8 accumulators to
 * vectorize; the block is inlined once for contiguous rows (constant stride) and once for any. */
#define DEFINE_PAIRWISE(NAME, T)                                                               \
    static inline __attribute__((always_inline)) T NAME##_block(const char *x, int64_t n,     \
                                                               int64_t s)                      \
    {                                                                                          \
        if (n < 8) {                                                                           \
            T r = 0;                                                                           \
            for (int64_t i = 0; i < n; i++) r += LOAD(T, x, i, s);                             \
            return r;                                                                          \
        }                                                                                      \
        T r[8];                                                                                \
        for (int j = 0; j < 8; j++) r[j] = LOAD(T, x, j, s);                                   \
        int64_t i;                                                                             \
        for (i = 8; i + 8 <= n; i += 8)                                                        \
            for (int j = 0; j < 8; j++) r[j] += LOAD(T, x, i + j, s);                          \
        T total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));           \
        for (; i < n; i++) total += LOAD(T, x, i, s);                                          \
        return total;                                                                          \
    }                                                                                          \
    static T NAME(const char *x, int64_t n, int64_t s)                                         \
    {                                                                                          \
        if (n <= 128)                                                                          \
            return s == sizeof(T) ? NAME##_block(x, n, sizeof(T)) : NAME##_block(x, n, s);     \
        int64_t half = (n / 2) & ~(int64_t)7;                                                  \
        return NAME(x, half, s) + NAME(x + half * s, n - half, s);                             \
    }
DEFINE_PAIRWISE(pairwise_f32, float)
DEFINE_PAIRWISE(pairwise_f64, double)
DEFINE_PAIRWISE(pairwise_i64, int64_t)

/* A row of a reduction has out stride 0 (all of it folds into one output) or not (each
 * element folds into its own output: the reduced axis is an outer one). Outputs are of the
 * accumulator type ACC, inputs of T. */
#define DEFINE_REDUCE_ROW(NAME, ACC, T, COMBINE, ROW_TOTAL)                                    \
    FG_CLONES static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)         \
    {                                                                                          \
        (void)ctx;                                                                             \
        ACC *out = (ACC *)p[0];                                                                \
        if (s[0] == 0) {                                                                       \
            ACC acc = *out;                                                                    \
            ROW_TOTAL(acc, p[1], n, s[1]);                                                     \
            *out = acc;                                                                        \
        } else if (s[0] == sizeof(ACC) && s[1] == sizeof(T)) {                                 \
            for (int64_t i = 0; i < n; i++)                                                    \
                out[i] = COMBINE(out[i], (ACC)LOAD(T, p[1], i, sizeof(T)));                    \
        } else {                                                                               \
            for (int64_t i = 0; i < n; i++) {                                                  \
                ACC *o = (ACC *)(p[0] + i * s[0]);                                             \
                *o = COMBINE(*o, (ACC)LOAD(T, p[1], i, s[1]));                                 \
            }                                                                                  \
        }                                                                                      \
    }
#define SUM_TOTAL_f32(acc, x, n, s) acc += pairwise_f32(x, n, s)
#define SUM_TOTAL_f64(acc, x, n, s) acc += pairwise_f64(x, n, s)
#define SUM_TOTAL_i64(acc, x, n, s) acc += pairwise_i64(x, n, s)
#define FOLD(COMBINE, T, acc, x, n, s)                                                         \
    for (int64_t i = 0; i < (n); i++) acc = COMBINE(acc, LOAD(T, x, i, s))
#define MAX_TOTAL_f32(acc, x, n, s) FOLD(MAX_OF, float, acc, x, n, s)
#define MAX_TOTAL_f64(acc, x, n, s) FOLD(MAX_OF, double, acc, x, n, s)
#define MAX_TOTAL_i64(acc, x, n, s) FOLD(MAX_OF, int64_t, acc, x, n, s)
#define MAX_TOTAL_bool(acc, x, n, s) FOLD(MAX_OF, fg_bool, acc, x, n, s)
#define MIN_TOTAL_f32(acc, x, n, s) FOLD(MIN_OF, float, acc, x, n, s)
#define MIN_TOTAL_f64(acc, x, n, s) FOLD(MIN_OF, double, acc, x, n, s)
#define MIN_TOTAL_i64(acc, x, n, s) FOLD(MIN_OF, int64_t, acc, x, n, s)
#define MIN_TOTAL_bool(acc, x, n, s) FOLD(MIN_OF, fg_bool, acc, x, n, s)
#define PROD_TOTAL_f32(acc, x, n, s) FOLD(TIMES, float, acc, x, n, s)
#define PROD_TOTAL_f64(acc, x, n, s) FOLD(TIMES, double, acc, x, n, s)
#define PROD_TOTAL_i64(acc, x, n, s) FOLD(TIMES_I64, int64_t, acc, x, n, s)

/* float32 sums accumulate in double: along an outer axis each output gathers one element per
 * row, which in float32 would lose the low bits of long sums. */
DEFINE_REDUCE_ROW(sum_f32, double, float, PLUS, SUM_TOTAL_f32)
DEFINE_REDUCE_ROW(sum_f64, double, double, PLUS, SUM_TOTAL_f64)
DEFINE_REDUCE_ROW(sum_i64, int64_t, int64_t, PLUS, SUM_TOTAL_i64)
DEFINE_REDUCE_ROW(max_f32, float, float, MAX_OF, MAX_TOTAL_f32)
DEFINE_REDUCE_ROW(max_f64, double, double, MAX_OF, MAX_TOTAL_f64)
DEFINE_REDUCE_ROW(max_i64, int64_t, int64_t, MAX_OF, MAX_TOTAL_i64)
DEFINE_REDUCE_ROW(max_bool, fg_bool, fg_bool, MAX_OF, MAX_TOTAL_bool)
DEFINE_REDUCE_ROW(min_f32, float, float, MIN_OF, MIN_TOTAL_f32)
DEFINE_REDUCE_ROW(min_f64, double, double, MIN_OF, MIN_TOTAL_f64)
DEFINE_REDUCE_ROW(min_i64, int64_t, int64_t, MIN_OF, MIN_TOTAL_i64)
DEFINE_REDUCE_ROW(min_bool, fg_bool, fg_bool, MIN_OF, MIN_TOTAL_bool)
DEFINE_REDUCE_ROW(prod_f32, float, float, TIMES, PROD_TOTAL_f32) /* in float, as torch */
DEFINE_REDUCE_ROW(prod_f64, double, double, TIMES, PROD_TOTAL_f64)
DEFINE_REDUCE_ROW(prod_i64, int64_t, int64_t, TIMES_I64, PROD_TOTAL_i64)

/* [op][dtype]; NULL where the op does not take the dtype (sums and products of bools are cast
 * first). */
static const fg_row_fn reduce_rows[4][4] = {
    [FG_SUM] = {NULL, sum_i64, sum_f32, sum_f64},
    [FG_MAX] = {max_bool, max_i64, max_f32, max_f64},
    [FG_MIN] = {min_bool, min_i64, min_f32, min_f64},
    [FG_PROD] = {NULL, prod_i64, prod_f32, prod_f64},
};

/* Sets acc[0..n) to the value a reduction starts from: its identity, in the accumulator type
 * (double for float32 sums). */
#define FILL_N(T, out, n, value) for (int64_t i = 0; i < (n); i++) ((T *)(out))[i] = (value)
static void init_identity(int op, int dtype, char *acc, int64_t n)
{
    int is_sum = op == FG_SUM, is_max = op == FG_MAX, is_prod = op == FG_PROD;
    double start = is_sum ? 0 : is_prod ? 1 : is_max ? -INFINITY : INFINITY;
    switch (dtype) {
    case FG_BOOL: FILL_N(fg_bool, acc, n, is_max ? 0 : 1); break;
    case FG_INT64:
        FILL_N(int64_t, acc, n, is_sum ? 0 : is_prod ? 1 : is_max ? INT64_MIN : INT64_MAX);
        break;
    case FG_FLOAT32:
        if (is_sum) FILL_N(double, acc, n, 0);
        else FILL_N(float, acc, n, (float)start);
        break;
    case FG_FLOAT64: FILL_N(double, acc, n, start); break;
    }
}

/* Axes sorted by the input's stride, largest first, so the innermost loop walks x's memory in
 * order whichever axes are reduced. */
static void sort_axes_by_stride(int ndim, const int64_t *x_strides, int *order)
{
    for (int d = 0; d < ndim; d++) order[d] = d;
    for (int i = 1; i < ndim; i++)
        for (int j = i; j > 0 && llabs(x_strides[order[j - 1]]) < llabs(x_strides[order[j]]); j--) {
            int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
}

#ifdef _OPENMP
/* The sub-geometry of g where axis d runs over [lo, hi) only, with the pointers moved there. */
static fg_geometry slice_axis(const fg_geometry *g, int d, int64_t lo, int64_t hi, char **ptrs,
                              char **sliced)
{
    fg_geometry s = *g;
    s.shape[d] = hi - lo;
    for (int op = 0; op < g->nops; op++) sliced[op] = ptrs[op] + lo * g->strides[op][d];
    return s;
}

/* Threads split an axis that is kept (each owns its outputs) or else the outermost axis, each
 * into a private copy of the accumulators, combined at the end. */
static int reduce_parallel(const fg_geometry *g, fg_row_fn row, fg_row_fn fold, char *acc,
                           const char *x, int64_t n_out, int64_t acc_size, int threads)
{
    char *ptrs[2] = {acc, (char *)x};
    int kept = -1;
    for (int d = 0; d < g->ndim; d++)
        if (g->strides[0][d] != 0 && (kept < 0 || g->shape[d] > g->shape[kept])) kept = d;
    int own_outputs = kept >= 0 && g->shape[kept] >= 64 * threads;
    int axis = own_outputs ? kept : 0;
    size_t bytes = (size_t)n_out * acc_size; /* checked by fg_reduce */
    char *private = own_outputs ? NULL : fg_alloc(threads, (int64_t)bytes);
    if (!own_outputs && !private) return FG_ENOMEM;
    /* every copy starts from the identities, also those of threads OpenMP does not grant */
    for (int t = 0; !own_outputs && t < threads; t++) memcpy(private + t * bytes, acc, bytes);
#pragma omp parallel num_threads(threads)
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int64_t n = g->shape[axis], lo = n * t / nt, hi = n * (t + 1) / nt;
        char *sliced[2];
        fg_geometry s = slice_axis(g, axis, lo, hi, ptrs, sliced);
        if (!own_outputs) /* the same position, in this thread's copy of the accumulators */
            sliced[0] = private + t * bytes + (sliced[0] - acc);
        if (hi > lo) fg_iterate(&s, sliced, row, NULL, 0);
    }
    if (own_outputs) return FG_OK;
    int64_t strides[2] = {acc_size, acc_size};
    for (int t = 0; t < threads; t++) {
        char *pair[2] = {acc, private + t * bytes};
        fold(n_out, pair, strides, NULL);
    }
    free(private);
    return FG_OK;
}
#endif

/* Sums over the outer axis of a matrix whose rows are contiguous (axis 0 of a 2-D tensor, a
 * bias gradient): acc[i] += x[r, i] over r. Four rows per pass, added pairwise in the double
 * accumulator, so each accumulator is loaded and stored once per four rows. */
#define DEFINE_SUM_ROWS(NAME, T)                                                               \
    FG_CLONES static void NAME(int64_t rows, int64_t cols, const char *x, int64_t rs,         \
                               double *acc)                                                    \
    {                                                                                          \
        int64_t r = 0;                                                                         \
        const int64_t s = sizeof(T);                                                           \
        for (; r + 4 <= rows; r += 4) {                                                        \
            const char *p0 = x + r * rs, *p1 = p0 + rs, *p2 = p1 + rs, *p3 = p2 + rs;           \
            for (int64_t i = 0; i < cols; i++)                                                 \
                acc[i] += ((double)LOAD(T, p0, i, s) + LOAD(T, p1, i, s)) +                    \
                          ((double)LOAD(T, p2, i, s) + LOAD(T, p3, i, s));                     \
        }                                                                                      \
        for (; r < rows; r++)                                                                  \
            for (int64_t i = 0; i < cols; i++) acc[i] += LOAD(T, x + r * rs, i, s);            \
    }
DEFINE_SUM_ROWS(sum_rows_f32, float)
DEFINE_SUM_ROWS(sum_rows_f64, double)

/* The geometry of a sum over the outer of two axes, the inner one contiguous in both? */
static int is_sum_over_rows(const fg_geometry *g, int op, int dtype)
{
    return op == FG_SUM && (dtype == FG_FLOAT32 || dtype == FG_FLOAT64) && g->ndim == 2 &&
           g->strides[0][0] == 0 && g->strides[0][1] == (int64_t)sizeof(double) &&
           g->strides[1][1] == fg_dtype_size(dtype);
}

/* Threads take column blocks (each owns its outputs), so the result is the same for any
 * thread count. */
static void sum_over_rows(const fg_geometry *g, int dtype, double *acc, const char *x)
{
    int64_t rows = g->shape[0], cols = g->shape[1], rs = g->strides[1][0];
    int64_t size = fg_dtype_size(dtype);
    int threads = fg_threads();
    if (rows * cols < 4 * FG_PARALLEL_MIN || cols < 64 * threads) threads = 1;
#pragma omp parallel for num_threads(threads)
    for (int t = 0; t < threads; t++) {
        int64_t lo = cols * t / threads / 8 * 8;
        int64_t hi = t + 1 == threads ? cols : cols * (t + 1) / threads / 8 * 8;
        (dtype == FG_FLOAT32 ? sum_rows_f32 : sum_rows_f64)(rows, hi - lo, x + lo * size, rs,
                                                            acc + lo);
    }
}

/* Runs a reduction's rows over g (operands: the accumulator, x); threads above a size where
 * they pay. */
static int reduce_geometry(const fg_geometry *g, int op, int dtype, char *acc, const char *x,
                           int64_t n_out, int64_t acc_size)
{
    fg_row_fn row = reduce_rows[op][dtype];
    if (is_sum_over_rows(g, op, dtype)) {
        sum_over_rows(g, dtype, (double *)acc, x);
        return FG_OK;
    }
#ifdef _OPENMP
    int threads = fg_threads();
    if (threads > 1 && fg_geometry_numel(g) >= 4 * FG_PARALLEL_MIN) {
        /* private accumulators fold as accumulators: float32 sums as doubles */
        fg_row_fn fold = op == FG_SUM && dtype == FG_FLOAT32 ? sum_f64 : row;
        return reduce_parallel(g, row, fold, acc, x, n_out, acc_size, threads);
    }
#else
    (void)n_out, (void)acc_size;
#endif
    char *ptrs[2] = {acc, (char *)x};
    fg_iterate(g, ptrs, row, NULL, 0);
    return FG_OK;
}

int fg_reduce(int op, int dtype, int ndim, const int64_t *shape, const int64_t *x_strides,
              uint64_t reduce_mask, char *out, const char *x)
{
    if (op < FG_SUM || op > FG_PROD) return FG_EOP;
    if (!FG_VALID_DTYPE(dtype) || !reduce_rows[op][dtype]) return FG_EDTYPE;
    if (ndim < 0 || ndim > FG_MAX_DIMS) return FG_EDIMS;
    if (fg_check_sizes(1, ndim, shape, x_strides)) return FG_ESIZE;
    int wide = op == FG_SUM && dtype == FG_FLOAT32; /* accumulates in a double scratch */
    int64_t acc_size = wide ? (int64_t)sizeof(double) : fg_dtype_size(dtype);
    /* the accumulator is contiguous in the keepdims shape; reduced axes get stride 0 */
    int64_t acc_strides[FG_MAX_DIMS], n_out = 1, acc_bytes, step = acc_size;
    for (int d = 0; d < ndim; d++)
        if (!((reduce_mask >> d) & 1)) n_out *= shape[d]; /* within the count checked above */
    if (__builtin_mul_overflow(n_out, acc_size, &acc_bytes)) return FG_ESIZE;
    for (int d = ndim - 1; d >= 0; d--) {
        int reduced = (reduce_mask >> d) & 1;
        acc_strides[d] = reduced ? 0 : step;
        if (!reduced) step *= shape[d];
    }
    char *acc = wide ? fg_alloc(n_out, sizeof(double)) : out;
    if (!acc) return FG_ENOMEM;
    init_identity(op, dtype, acc, n_out);

    int order[FG_MAX_DIMS];
    int64_t sorted_shape[FG_MAX_DIMS], sorted_strides[2 * FG_MAX_DIMS];
    sort_axes_by_stride(ndim, x_strides, order);
    for (int i = 0; i < ndim; i++) {
        sorted_shape[i] = shape[order[i]];
        sorted_strides[i] = acc_strides[order[i]];
        sorted_strides[ndim + i] = x_strides[order[i]];
    }
    fg_geometry g;
    fg_geometry_init(&g, 2, ndim, sorted_shape, sorted_strides); /* sizes checked above */
    int status = reduce_geometry(&g, op, dtype, acc, x, n_out, acc_size);
    if (wide && status == FG_OK) {
        for (int64_t i = 0; i < n_out; i++) ((float *)out)[i] = (float)((double *)acc)[i];
    }
    if (wide) free(acc);
    return status;
}

/* ---- scans along one axis: each call of a row function handles n positions off the axis,
 * and for each walks the k elements along it. */
typedef struct { int64_t k, out_stride, x_stride; } axis_scan;

#define DEFINE_ARG_ROW(NAME, T, BETTER)                                                        \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)                   \
    {                                                                                          \
        const axis_scan *w = ctx;                                                              \
        for (int64_t i = 0; i < n; i++) {                                                      \
            const char *x = p[1] + i * s[1];                                                   \
            T best = LOAD(T, x, 0, w->x_stride);                                               \
            int64_t best_index = 0;                                                            \
            for (int64_t j = 1; j < w->k && best == best; j++) {                               \
                T v = LOAD(T, x, j, w->x_stride);                                              \
                if (BETTER(v, best)) { best = v; best_index = j; }                            \
            }                                                                                  \
            *(int64_t *)(p[0] + i * s[0]) = best_index;                                        \
        }                                                                                      \
    }
/* the first NaN is the extreme, as in torch; the loop above stops at it */
#define GREATER(v, best) ((v) > (best) || (v) != (v))
#define LESS(v, best) ((v) < (best) || (v) != (v))
DEFINE_ARG_ROW(argmax_bool, fg_bool, GREATER)
DEFINE_ARG_ROW(argmax_i64, int64_t, GREATER)
DEFINE_ARG_ROW(argmax_f32, float, GREATER)
DEFINE_ARG_ROW(argmax_f64, double, GREATER)
DEFINE_ARG_ROW(argmin_bool, fg_bool, LESS)
DEFINE_ARG_ROW(argmin_i64, int64_t, LESS)
DEFINE_ARG_ROW(argmin_f32, float, LESS)
DEFINE_ARG_ROW(argmin_f64, double, LESS)

#define DEFINE_SCAN_ROW(NAME, T, ACC, START, COMBINE)                                          \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)                   \
    {                                                                                          \
        const axis_scan *w = ctx;                                                              \
        for (int64_t i = 0; i < n; i++) {                                                      \
            char *out = p[0] + i * s[0];                                                       \
            const char *x = p[1] + i * s[1];                                                   \
            ACC acc = START;                                                                   \
            for (int64_t j = 0; j < w->k; j++) {                                               \
                acc = COMBINE(acc, (ACC)LOAD(T, x, j, w->x_stride));                           \
                *(T *)(out + j * w->out_stride) = (T)acc;                                      \
            }                                                                                  \
        }                                                                                      \
    }
DEFINE_SCAN_ROW(cumsum_i64, int64_t, int64_t, 0, PLUS)
DEFINE_SCAN_ROW(cumsum_f32, float, double, 0, PLUS) /* as torch: float32 running sums in double */
DEFINE_SCAN_ROW(cumsum_f64, double, double, 0, PLUS)
DEFINE_SCAN_ROW(cumprod_i64, int64_t, int64_t, 1, TIMES_I64)
DEFINE_SCAN_ROW(cumprod_f32, float, double, 1, TIMES) /* products too, as torch */
DEFINE_SCAN_ROW(cumprod_f64, double, double, 1, TIMES)

static const fg_row_fn axis_rows[4][4] = {
    [FG_ARGMAX] = {argmax_bool, argmax_i64, argmax_f32, argmax_f64},
    [FG_ARGMIN] = {argmin_bool, argmin_i64, argmin_f32, argmin_f64},
    [FG_CUMSUM] = {NULL, cumsum_i64, cumsum_f32, cumsum_f64},
    [FG_CUMPROD] = {NULL, cumprod_i64, cumprod_f32, cumprod_f64},
};

int fg_along_axis(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides,
                  int axis, char *out, const char *x)
{
    if (op < FG_ARGMAX || op > FG_CUMPROD) return FG_EOP;
    if (!FG_VALID_DTYPE(dtype) || !axis_rows[op][dtype]) return FG_EDTYPE;
    fg_geometry g;
    int64_t along[2];
    int status = fg_geometry_off_axis(&g, 2, ndim, shape, strides, axis, along);
    if (status != FG_OK) return status;
    axis_scan w = {shape[axis], along[0], along[1]};
    if (w.k == 0) return FG_OK;
    char *ptrs[2] = {out, (char *)x};
    fg_iterate(&g, ptrs, axis_rows[op][dtype], &w, 1);
    return FG_OK;
}
