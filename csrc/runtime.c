/* The kernels' shared runtime: dtype sizes, size checks and checked allocation, the strided N-d
 * iterator every elementwise, copy and reduction kernel runs on (axis merging, threads over big
 * work), index checks, and the one thread count of the library. */
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif
#include "internal.h"

int fg_dtype_size(int dtype)
{
    switch (dtype) {
    case FG_BOOL: return 1;
    case FG_INT64: return 8;
    case FG_FLOAT32: return 4;
    case FG_FLOAT64: return 8;
    case FG_INT32: return 4;
    case FG_INT16: return 2;
    case FG_INT8: return 1;
    case FG_UINT8: return 1;
    case FG_FLOAT16: return 2;
    default: return 0;
    }
}

int fg_check_sizes(int nops, int ndim, const int64_t *shape, const int64_t *strides)
{
    int64_t numel = 1;
    int empty = 0;
    for (int d = 0; d < ndim; d++) { /* zero-length axes skipped: the count of any sub-shape fits */
        if (shape[d] < 0) return FG_ESIZE;
        empty |= shape[d] == 0;
        if (shape[d] && __builtin_mul_overflow(numel, shape[d], &numel)) return FG_ESIZE;
    }
    for (int op = 0; op < nops && !empty; op++) { /* empty: no element is ever addressed */
        int64_t extent = 0, step;
        for (int d = 0; d < ndim; d++) {
            int64_t stride = strides[op * ndim + d];
            if (stride == INT64_MIN || __builtin_mul_overflow(stride < 0 ? -stride : stride,
                                                              shape[d] - 1, &step) ||
                __builtin_add_overflow(extent, step, &extent))
                return FG_ESIZE;
        }
    }
    return FG_OK;
}

void *fg_alloc(int64_t count, int64_t size)
{
    int64_t bytes;
    if (count < 0 || size < 0 || __builtin_mul_overflow(count, size, &bytes)) return NULL;
    return malloc(bytes ? (size_t)bytes : 1); /* malloc(0) may return NULL */
}

int fg_geometry_init(fg_geometry *g, int nops, int ndim, const int64_t *shape,
                     const int64_t *strides)
{
    if (ndim < 0 || ndim > FG_MAX_DIMS || nops < 1 || nops > FG_MAX_OPERANDS)
        return FG_EDIMS;
    if (fg_check_sizes(nops, ndim, shape, strides)) return FG_ESIZE;
    g->nops = nops;
    g->ndim = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 0) {            /* empty: one zero-length axis says it all */
            g->ndim = 1;
            g->shape[0] = 0;
            for (int op = 0; op < nops; op++) g->strides[op][0] = 0;
            return FG_OK;
        }
        if (shape[d] == 1) continue;
        int k = g->ndim;
        int mergeable = k > 0;
        for (int op = 0; op < nops && mergeable; op++)
            mergeable = g->strides[op][k - 1] == strides[op * ndim + d] * shape[d];
        if (mergeable) {
            g->shape[k - 1] *= shape[d];
            for (int op = 0; op < nops; op++) g->strides[op][k - 1] = strides[op * ndim + d];
        } else {
            g->shape[k] = shape[d];
            for (int op = 0; op < nops; op++) g->strides[op][k] = strides[op * ndim + d];
            g->ndim++;
        }
    }
    if (g->ndim == 0) {                 /* a scalar: one row of one element */
        g->ndim = 1;
        g->shape[0] = 1;
        for (int op = 0; op < nops; op++) g->strides[op][0] = 0;
    }
    return FG_OK;
}

int64_t fg_geometry_numel(const fg_geometry *g)
{
    int64_t n = 1;
    for (int d = 0; d < g->ndim; d++) n *= g->shape[d];
    return n;
}

int fg_geometry_off_axis(fg_geometry *g, int nops, int ndim, const int64_t *shape,
                         const int64_t *strides, int axis, int64_t *axis_strides)
{
    if (ndim < 1 || ndim > FG_MAX_DIMS || axis < 0 || axis >= ndim || nops < 1 ||
        nops > FG_MAX_OPERANDS)
        return FG_EDIMS;
    if (fg_check_sizes(nops, ndim, shape, strides)) return FG_ESIZE; /* the axis too */
    int64_t other_shape[FG_MAX_DIMS], other_strides[FG_MAX_OPERANDS * FG_MAX_DIMS];
    int m = ndim - 1;
    for (int d = 0, i = 0; d < ndim; d++) {
        if (d == axis) continue;
        other_shape[i] = shape[d];
        for (int op = 0; op < nops; op++) other_strides[op * m + i] = strides[op * ndim + d];
        i++;
    }
    for (int op = 0; op < nops; op++) axis_strides[op] = strides[op * ndim + axis];
    return fg_geometry_init(g, nops, m, other_shape, other_strides);
}

typedef struct {
    int64_t lo, hi;         /* valid indices: lo <= i < hi */
    const int64_t *ignore;  /* NULL, or an index let through unchecked and uncounted */
    int64_t counted, bad;   /* indices not ignored; the first invalid one */
    int found;              /* whether there is one */
} index_check;

static void check_row(int64_t n, char **p, const int64_t *s, const void *ctx)
{
    index_check *c = (index_check *)ctx; /* the check's own result: const for fg_iterate only */
    for (int64_t i = 0; i < n && !c->found; i++) {
        int64_t v = LOAD(int64_t, p[0], i, s[0]);
        if (c->ignore && v == *c->ignore) continue;
        if (v < c->lo || v >= c->hi) {
            c->found = 1;
            c->bad = v;
        }
        c->counted++;
    }
}

/* One thread, so the first offender found is the first in row-major order. */
int fg_check_indices(const fg_geometry *g, const char *index, int64_t lo, int64_t hi,
                     const int64_t *ignore, int64_t *bad, int64_t *counted)
{
    index_check c = {lo, hi, ignore, 0, 0, 0};
    char *ptr = (char *)index;
    fg_iterate(g, &ptr, check_row, &c, 0);
    if (counted) *counted = c.counted;
    if (c.found) *bad = c.bad;
    return c.found ? FG_EINDEX : FG_OK;
}

/* Visits the flat row-major index range [start, end), one (partial) innermost row at a time. */
static void walk(const fg_geometry *g, char **base, int64_t start, int64_t end, fg_row_fn row,
                 const void *ctx)
{
    const int nd = g->ndim, last = nd - 1;
    int64_t idx[FG_MAX_DIMS], inner_strides[FG_MAX_OPERANDS] = {0};
    char *p[FG_MAX_OPERANDS] = {0};
    int64_t rem = start;
    for (int d = last; d >= 0; d--) {
        idx[d] = rem % g->shape[d];
        rem /= g->shape[d];
    }
    for (int op = 0; op < g->nops; op++) {
        p[op] = base[op];
        for (int d = 0; d < nd; d++) p[op] += idx[d] * g->strides[op][d];
        inner_strides[op] = g->strides[op][last];
    }
    for (int64_t pos = start; pos < end;) {
        int64_t n = g->shape[last] - idx[last];
        if (n > end - pos) n = end - pos;
        row(n, p, inner_strides, ctx);
        pos += n;
        idx[last] += n;
        for (int op = 0; op < g->nops; op++) p[op] += n * g->strides[op][last];
        for (int d = last; d > 0 && idx[d] == g->shape[d]; d--) {
            idx[d] = 0;
            idx[d - 1]++;
            for (int op = 0; op < g->nops; op++)
                p[op] += g->strides[op][d - 1] - g->shape[d] * g->strides[op][d];
        }
    }
}

void fg_iterate(const fg_geometry *g, char **ptrs, fg_row_fn row, const void *ctx, int parallel)
{
    int64_t total = fg_geometry_numel(g);
    if (total == 0) return;
#ifdef _OPENMP
    int threads = fg_threads();
    if (parallel && total >= FG_PARALLEL_MIN && threads > 1) {
#pragma omp parallel num_threads(threads)
        {
            int nt = omp_get_num_threads(), t = omp_get_thread_num();
            /* chunks aligned to 64 elements keep threads off each other's cache lines */
            int64_t chunk = ((total + nt - 1) / nt + 63) & ~(int64_t)63;
            int64_t start = t * chunk, end = start + chunk < total ? start + chunk : total;
            if (start < end) walk(g, ptrs, start, end, row, ctx);
        }
        return;
    }
#else
    (void)parallel;
#endif
    walk(g, ptrs, 0, total, row, ctx);
}

/* One count for the whole process: omp_set_num_threads would set it for the calling thread
 * only. 0 until set: then OpenMP's default (OMP_NUM_THREADS, or the number of cores). */
static int num_threads;

void fg_set_num_threads(int n)
{
    if (n > 0) num_threads = n;
}

int fg_threads(void)
{
#ifdef _OPENMP
    return num_threads > 0 ? num_threads : omp_get_max_threads();
#else
    return 1;
#endif
}

int fg_get_num_threads(void)
{
    return fg_threads();
}

/* Tensor buffers (numpy's, through malloc) of a few megabytes are freed and asked for again at
 * every training step. glibc serves blocks above its mmap threshold with fresh mappings, and a
 * fresh mapping costs a page fault per 4 KiB page at first touch: ~800 faults, 2.5 ms, to
 * allocate and fill one (256, 6, 28, 28) float tensor, more than the sigmoid computed in it.
 * glibc's own rule raises the threshold as it sees such blocks freed, yet in a LeNet step it
 * still faulted 2,300 pages per step. We fix the two values where that rule would settle (it
 * stops at 32 MiB): blocks below 32 MiB come from the heap, and up to 64 MiB of freed heap
 * stays mapped. */
#ifdef __GLIBC__
__attribute__((constructor)) static void keep_freed_buffers_mapped(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
}
#endif
