/* The strided N-d iterator every elementwise, copy and reduction kernel runs on. */
#include <string.h>
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
    default: return 0;
    }
}

int fg_geometry_init(fg_geometry *g, int nops, int ndim, const int64_t *shape,
                     const int64_t *strides)
{
    if (ndim < 0 || ndim > FG_MAX_DIMS || nops < 1 || nops > FG_MAX_OPERANDS)
        return FG_EDIMS;
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
