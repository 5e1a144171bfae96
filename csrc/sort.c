/* Sorting along one axis (torch.sort, and what builds on it: argsort, topk, kthvalue, median)
 * and the mode of each row. A stable merge sort of each row's indices; NaN sorts above every
 * number, as in torch. */
#include <stdint.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "internal.h"

typedef struct {
    int op;
    int64_t k, strides[3]; /* the row length; the strides of values, indices, x along it */
    char *row;             /* k elements of x, contiguous: one workspace per thread */
    int64_t *index, *scratch;
} sort_work;

/* Does a come before b in ascending order? NaN is the largest value (a != a for a NaN). */
#define ASCENDING(a, b) ((a) < (b) || ((b) != (b) && (a) == (a)))
#define SAME(a, b) ((a) == (b) || ((a) != (a) && (b) != (b))) /* NaNs form one group */

/* Bottom-up merge sort of index[0..n) by v[index[i]], ascending or descending (NaN the largest
 * either way): the left run's element goes first unless the right one strictly precedes it, so
 * equal elements keep their order. */
#define DEFINE_SORT(NAME, T)                                                                   \
    static void NAME(const T *v, int64_t *index, int64_t *scratch, int64_t n, int descending)  \
    {                                                                                          \
        for (int64_t width = 1; width < n; width *= 2) {                                       \
            for (int64_t lo = 0; lo < n; lo += 2 * width) {                                    \
                int64_t mid = lo + width < n ? lo + width : n;                                 \
                int64_t hi = mid + width < n ? mid + width : n, i = lo, j = mid, o = lo;        \
                while (i < mid && j < hi) {                                                    \
                    T a = v[index[i]], b = v[index[j]];                                        \
                    int right_first = descending ? ASCENDING(a, b) : ASCENDING(b, a);           \
                    scratch[o++] = right_first ? index[j++] : index[i++];                      \
                }                                                                              \
                while (i < mid) scratch[o++] = index[i++];                                     \
                while (j < hi) scratch[o++] = index[j++];                                      \
            }                                                                                  \
            memcpy(index, scratch, (size_t)n * sizeof *index);                                 \
        }                                                                                      \
    }

/* Writes one row's sorted values and indices, or (FG_SORT_MODE) the most frequent value (the
 * smallest of those as frequent) and the last index it occurs at, as torch.mode. */
#define DEFINE_SORT_ROW(NAME, T)                                                               \
    DEFINE_SORT(NAME##_indices, T)                                                             \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)                   \
    {                                                                                          \
        const sort_work *w = ctx;                                                              \
        T *v = (T *)w->row;                                                                    \
        int64_t k = w->k, *index = w->index;                                                   \
        for (int64_t i = 0; i < n; i++) {                                                      \
            for (int64_t j = 0; j < k; j++) {                                                  \
                v[j] = LOAD(T, p[2] + i * s[2], j, w->strides[2]);                             \
                index[j] = j;                                                                  \
            }                                                                                  \
            NAME##_indices(v, index, w->scratch, k, w->op == FG_SORT_DESCENDING);              \
            char *values = p[0] + i * s[0], *indices = p[1] + i * s[1];                        \
            if (w->op != FG_SORT_MODE) {                                                       \
                for (int64_t j = 0; j < k; j++) {                                              \
                    STORE(T, values, j, w->strides[0], v[index[j]]);                           \
                    STORE(int64_t, indices, j, w->strides[1], index[j]);                       \
                }                                                                              \
                continue;                                                                      \
            }                                                                                  \
            int64_t best = 0, best_count = 0;                                                  \
            for (int64_t start = 0, end; start < k; start = end) {                             \
                for (end = start + 1; end < k && SAME(v[index[end]], v[index[start]]); end++) \
                    ;                                                                          \
                if (end - start > best_count) { best = end - 1; best_count = end - start; }   \
            }                                                                                  \
            STORE(T, values, 0, 0, v[index[best]]);                                            \
            STORE(int64_t, indices, 0, 0, index[best]); /* stable: the last of its run */      \
        }                                                                                      \
    }
DEFINE_SORT_ROW(sort_bool, fg_bool)
DEFINE_SORT_ROW(sort_i64, int64_t)
DEFINE_SORT_ROW(sort_f32, float)
DEFINE_SORT_ROW(sort_f64, double)

static const fg_row_fn sort_rows[4] = {sort_bool, sort_i64, sort_f32, sort_f64};

/* Sorts the rows of g (operands: values, indices, x) with w's workspace, allocated here. */
static int sort_rows_of(const fg_geometry *g, char **ptrs, int dtype, sort_work w)
{
    w.row = fg_alloc(w.k, fg_dtype_size(dtype));
    w.index = fg_alloc(w.k, sizeof(int64_t));
    w.scratch = fg_alloc(w.k, sizeof(int64_t));
    int status = w.row && w.index && w.scratch ? FG_OK : FG_ENOMEM;
    if (status == FG_OK) fg_iterate(g, ptrs, sort_rows[dtype], &w, 0);
    free(w.row);
    free(w.index);
    free(w.scratch);
    return status;
}

/* Rows are independent: with enough work, threads take slices of the longest axis off the
 * sorted one, each with its own workspace (the same result for any thread count). */
static int sort_geometry(const fg_geometry *g, char **ptrs, int dtype, sort_work w)
{
#ifdef _OPENMP
    int threads = fg_threads(), d = 0;
    for (int i = 1; i < g->ndim; i++)
        if (g->shape[i] > g->shape[d]) d = i;
    int64_t n = g->ndim ? g->shape[d] : 1;
    if (threads > 1 && n > 1 && fg_geometry_numel(g) * w.k >= FG_PARALLEL_MIN) {
        int status = FG_OK;
#pragma omp parallel num_threads(threads)
        {
            int nt = omp_get_num_threads(), t = omp_get_thread_num();
            int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
            fg_geometry s = *g;
            s.shape[d] = hi - lo;
            char *sliced[3];
            for (int op = 0; op < 3; op++) sliced[op] = ptrs[op] + lo * g->strides[op][d];
            if (hi > lo && sort_rows_of(&s, sliced, dtype, w) != FG_OK) {
#pragma omp atomic write
                status = FG_ENOMEM;
            }
        }
        return status;
    }
#endif
    return sort_rows_of(g, ptrs, dtype, w);
}

int fg_sort(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides, int axis,
            char *values, char *indices, const char *x)
{
    if (op < FG_SORT_ASCENDING || op > FG_SORT_MODE) return FG_EOP;
    if (!FG_VALID_DTYPE(dtype)) return FG_EDTYPE;
    fg_geometry g;
    sort_work w = {.op = op};
    int status = fg_geometry_off_axis(&g, 3, ndim, shape, strides, axis, w.strides);
    if (status != FG_OK) return status;
    w.k = shape[axis];
    if (w.k == 0 || fg_geometry_numel(&g) == 0) return FG_OK;
    char *ptrs[3] = {values, indices, (char *)x};
    return sort_geometry(&g, ptrs, dtype, w);
}
