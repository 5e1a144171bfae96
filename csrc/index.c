/* Indexing: gather and scatter along one axis, folding index tensors into one flat index, and
 * the positions of nonzero elements. Advanced indexing (x[idx], x[mask]) reduces to these. Every
 * kernel checks its indices in a first pass, so a bad index leaves the output untouched. */
#include <string.h>
#include "internal.h"

/* ---- index checks ---------------------------------------------------------------------------- */
/* FG_OK if every index (an int64 operand of `shape` with byte strides `strides`) is in
 * [lo, hi); else FG_EINDEX with the first offender, in row-major order, in *bad. */
static int check_indices(int ndim, const int64_t *shape, const int64_t *strides,
                         const char *index, int64_t lo, int64_t hi, int64_t *bad)
{
    if (ndim < 0 || ndim > FG_MAX_DIMS) return FG_EDIMS;
    int64_t distinct[FG_MAX_DIMS]; /* along a stride-0 axis the index repeats: check it once */
    for (int d = 0; d < ndim; d++) distinct[d] = strides[d] == 0 && shape[d] > 1 ? 1 : shape[d];
    fg_geometry g;
    int status = fg_geometry_init(&g, 1, ndim, distinct, strides);
    if (status != FG_OK) return status;
    return fg_check_indices(&g, index, lo, hi, NULL, bad, NULL);
}

/* ---- gather and scatter ---------------------------------------------------------------------- */
/* The geometry of a gather or scatter: operands (out, other, index) over index's shape, the
 * indexed operand's (row `indexed`) stride along `dim`, where it has `size` elements, taken out
 * of the iteration: the index supplies that coordinate. */
static int along_geometry(fg_geometry *g, int ndim, const int64_t *shape, const int64_t *strides,
                          int dim, int64_t size, int indexed, int64_t *dim_stride)
{
    if (ndim < 1 || ndim > FG_MAX_DIMS || dim < 0 || dim >= ndim) return FG_EDIMS;
    int64_t rows[3 * FG_MAX_DIMS];
    memcpy(rows, strides, sizeof(int64_t) * 3 * ndim);
    *dim_stride = rows[indexed * ndim + dim];
    rows[indexed * ndim + dim] = 0;
    if (fg_check_sizes(1, 1, &size, dim_stride)) return FG_ESIZE; /* the indexed axis */
    return fg_geometry_init(g, 3, ndim, shape, rows);
}

/* A gather (indexed 1: x) or scatter (indexed 0: the output): checks every index (ptrs[2]) is
 * in [0, size), then runs row with the stride along dim as its ctx. Only gathers use threads: a
 * scatter's indices may repeat. */
static int run_indexed(fg_row_fn row, int indexed, int ndim, const int64_t *shape,
                       const int64_t *strides, int dim, int64_t size, char **ptrs, int64_t *bad)
{
    fg_geometry g;
    int64_t dim_stride;
    int status = along_geometry(&g, ndim, shape, strides, dim, size, indexed, &dim_stride);
    if (status == FG_OK) status = check_indices(ndim, shape, strides + 2 * ndim, ptrs[2], 0, size, bad);
    if (status != FG_OK) return status;
    fg_iterate(&g, ptrs, row, &dim_stride, indexed == 1);
    return FG_OK;
}

/* Operands: p[0] the output, p[1] gather's x or scatter's src, p[2] the index. Gathers and
 * assignments move bytes, so they exist per element size. */
#define DEFINE_GATHER(NAME, T)                                                                 \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)                   \
    {                                                                                          \
        const int64_t sd = *(const int64_t *)ctx;                                              \
        if (s[2] == 0 && s[0] == sizeof(T) && s[1] == sizeof(T)) { /* a whole row: embedding */ \
            memcpy(p[0], p[1] + LOAD(int64_t, p[2], 0, 0) * sd, n * sizeof(T));                \
            return;                                                                            \
        }                                                                                      \
        for (int64_t i = 0; i < n; i++) {                                                      \
            int64_t j = LOAD(int64_t, p[2], i, s[2]);                                          \
            STORE(T, p[0], i, s[0], LOAD(T, p[1] + j * sd, i, s[1]));                          \
        }                                                                                      \
    }
#define DEFINE_SCATTER(NAME, T, COMBINE)                                                       \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)                   \
    {                                                                                          \
        const int64_t sd = *(const int64_t *)ctx;                                              \
        if (s[2] == 0 && s[0] == sizeof(T) && s[1] == sizeof(T)) { /* a whole row: embedding */ \
            char *o = p[0] + LOAD(int64_t, p[2], 0, 0) * sd; /* maybe unaligned: LOAD, STORE */ \
            for (int64_t i = 0; i < n; i++)                                                    \
                STORE(T, o, i, sizeof(T),                                                      \
                      COMBINE(LOAD(T, o, i, sizeof(T)), LOAD(T, p[1], i, sizeof(T))));         \
            return;                                                                            \
        }                                                                                      \
        for (int64_t i = 0; i < n; i++) {                                                      \
            int64_t j = LOAD(int64_t, p[2], i, s[2]);                                          \
            char *o = p[0] + j * sd;                                                           \
            STORE(T, o, i, s[0], COMBINE(LOAD(T, o, i, s[0]), LOAD(T, p[1], i, s[1])));        \
        }                                                                                      \
    }
#define ASSIGN(o, v) (v)
#define ADD(o, v) ((o) + (v))
#define OR(o, v) ((o) | (v)) /* bool "addition" saturates, as torch's */
#define MUL(o, v) ((o) * (v))
#define AND(o, v) ((o) & (v))

DEFINE_GATHER(gather_1, uint8_t)
DEFINE_GATHER(gather_2, uint16_t)
DEFINE_GATHER(gather_4, uint32_t)
DEFINE_GATHER(gather_8, uint64_t)
DEFINE_SCATTER(assign_1, uint8_t, ASSIGN)
DEFINE_SCATTER(assign_2, uint16_t, ASSIGN)
DEFINE_SCATTER(assign_4, uint32_t, ASSIGN)
DEFINE_SCATTER(assign_8, uint64_t, ASSIGN)
DEFINE_SCATTER(add_bool, fg_bool, OR)
DEFINE_SCATTER(add_i64, int64_t, ADD)
DEFINE_SCATTER(add_f32, float, ADD)
DEFINE_SCATTER(add_f64, double, ADD)
DEFINE_SCATTER(mul_bool, fg_bool, AND)
DEFINE_SCATTER(mul_i64, int64_t, MUL)
DEFINE_SCATTER(mul_f32, float, MUL)
DEFINE_SCATTER(mul_f64, double, MUL)

static fg_row_fn by_size(int dtype, fg_row_fn one, fg_row_fn two, fg_row_fn four,
                         fg_row_fn eight)
{
    switch (fg_dtype_size(dtype)) {
    case 1: return one;
    case 2: return two;
    case 4: return four;
    case 8: return eight;
    default: return NULL;
    }
}

int fg_gather(int dtype, int ndim, const int64_t *shape, const int64_t *strides, int dim,
              int64_t size, char *out, const char *x, const char *index, int64_t *bad)
{
    fg_row_fn row = by_size(dtype, gather_1, gather_2, gather_4, gather_8);
    if (row == NULL) return FG_EDTYPE;
    char *ptrs[3] = {out, (char *)x, (char *)index};
    return run_indexed(row, 1, ndim, shape, strides, dim, size, ptrs, bad);
}

int fg_scatter(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides, int dim,
               int64_t size, char *out, const char *src, const char *index, int64_t *bad)
{
    static const fg_row_fn adds[4] = {add_bool, add_i64, add_f32, add_f64};
    static const fg_row_fn muls[4] = {mul_bool, mul_i64, mul_f32, mul_f64};
    fg_row_fn row;
    switch (op) {
    case FG_SCATTER_ASSIGN: row = by_size(dtype, assign_1, assign_2, assign_4, assign_8); break;
    case FG_SCATTER_ADD: row = FG_VALID_DTYPE(dtype) ? adds[dtype] : NULL; break;
    case FG_SCATTER_MULTIPLY: row = FG_VALID_DTYPE(dtype) ? muls[dtype] : NULL; break;
    default: return FG_EOP;
    }
    if (row == NULL) return FG_EDTYPE;
    char *ptrs[3] = {out, (char *)src, (char *)index};
    return run_indexed(row, 0, ndim, shape, strides, dim, size, ptrs, bad);
}

/* ---- flat indices ---------------------------------------------------------------------------- */
static void fold_row(int64_t n, char **p, const int64_t *s, const void *ctx)
{
    const int64_t size = *(const int64_t *)ctx;
    for (int64_t i = 0; i < n; i++) {
        int64_t v = LOAD(int64_t, p[1], i, s[1]);
        STORE(int64_t, p[0], i, s[0], LOAD(int64_t, p[0], i, s[0]) * size + (v < 0 ? v + size : v));
    }
}

int fg_index_fold(int ndim, const int64_t *shape, const int64_t *strides, int64_t size,
                  char *out, const char *index, int64_t *bad)
{
    fg_geometry g;
    int status = fg_geometry_init(&g, 2, ndim, shape, strides);
    if (status == FG_OK) status = check_indices(ndim, shape, strides + ndim, index, -size, size, bad);
    if (status != FG_OK) return status;
    char *ptrs[2] = {out, (char *)index};
    fg_iterate(&g, ptrs, fold_row, &size, 1);
    return FG_OK;
}

/* ---- nonzero --------------------------------------------------------------------------------- */
typedef struct {
    int ndim;
    const int64_t *shape;
    int64_t *out;    /* NULL: only count */
    int64_t *pos;    /* row-major position of the next element visited */
    int64_t *count;  /* nonzero elements found so far */
} nonzero_ctx;

/* The iterator visits elements in row-major order of the original shape (merging axes and
 * dropping size-1 ones keeps that order), so a running position gives each one's coordinates. */
#define DEFINE_NONZERO(NAME, T)                                                                \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)                   \
    {                                                                                          \
        const nonzero_ctx *c = ctx;                                                            \
        for (int64_t i = 0; i < n; i++, (*c->pos)++) {                                         \
            if (LOAD(T, p[0], i, s[0]) == 0) continue;                                         \
            if (c->out != NULL) {                                                              \
                int64_t *coords = c->out + *c->count * c->ndim, rem = *c->pos;                 \
                for (int d = c->ndim - 1; d >= 0; d--) {                                       \
                    coords[d] = rem % c->shape[d];                                             \
                    rem /= c->shape[d];                                                        \
                }                                                                              \
            }                                                                                  \
            (*c->count)++;                                                                     \
        }                                                                                      \
    }
DEFINE_NONZERO(nonzero_bool, fg_bool)
DEFINE_NONZERO(nonzero_i64, int64_t)
DEFINE_NONZERO(nonzero_f32, float)
DEFINE_NONZERO(nonzero_f64, double)
DEFINE_NONZERO(nonzero_i32, int32_t)
DEFINE_NONZERO(nonzero_i16, int16_t)
DEFINE_NONZERO(nonzero_i8, int8_t)
DEFINE_NONZERO(nonzero_u8, uint8_t)
DEFINE_NONZERO(nonzero_f16, fg_half)

int fg_nonzero(int dtype, int ndim, const int64_t *shape, const int64_t *strides, const char *x,
               char *out, int64_t *count)
{
    static const fg_row_fn rows[FG_NUM_DTYPES] = {nonzero_bool, nonzero_i64, nonzero_f32,
        nonzero_f64, nonzero_i32, nonzero_i16, nonzero_i8, nonzero_u8, nonzero_f16};
    if (!FG_STORED_DTYPE(dtype)) return FG_EDTYPE;
    fg_geometry g;
    int status = fg_geometry_init(&g, 1, ndim, shape, strides);
    if (status != FG_OK) return status;
    int64_t pos = 0;
    *count = 0;
    nonzero_ctx c = {ndim, shape, (int64_t *)out, &pos, count};
    char *ptr = (char *)x;
    fg_iterate(&g, &ptr, rows[dtype], &c, 0);
    return FG_OK;
}
