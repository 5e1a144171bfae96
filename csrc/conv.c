/* 2-d convolution (conv1d is its height-1 case): the forward, the input gradient and the weight
 * gradient, each as im2col packing plus the library's matrix product (gemm.h), per image and
 * group:
 *   forward      y[n, g]  = W[g] (Og x K) @ col(x[n, g]) (K x P)
 *   input grad   gx[n, g] = col2im(W[g]^T (K x Og) @ gy[n, g] (Og x P))
 *   weight grad  gW[g]   += gy[n, g] (Og x P) @ col(x[n, g])^T (P x K)
 * with K = Cg * KH * KW the rows of a column matrix and P = OH * OW its columns, each made and
 * used a block of output rows at a time (it stays in L2 for the product). When a whole image
 * fits in a block, a block holds several images side by side (K x nb * P), so that small images
 * make one product of useful size; their gy slices are gathered into (or y's scattered from) an
 * Og x nb * P scratch. A 1x1 kernel with unit stride and no padding needs no packing: x is its
 * own column matrix. Images are independent in the first two, so threads split the batch (each
 * product then single-threaded); the weight gradient sums fixed runs of images apart, then adds
 * them in order, so its bits do not depend on the thread count either. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "gemm.h"
#include "internal.h"

/* Each geometry value must lie below this (pads above its negative), so that every index
 * computation (a product of two values plus a third) stays far inside int64. */
#define CONV_LIMIT ((int64_t)1 << 30)

typedef struct {
    int64_t n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups; /* as passed */
    int64_t cg, og, k, p; /* per group: input and output channels; column rows and columns */
    int64_t es;           /* element size */
    int f64;
    int direct;           /* 1x1, unit stride, no padding, same size: x is the column matrix */
    int64_t rows;         /* output rows per column block (all of them when direct) */
    int64_t nb;           /* images per column block (1 unless rows is all of them) */
    int64_t cols;         /* columns of a block: nb * rows * ow */
} conv_geo;

/* A column matrix is made and used a block of output rows at a time, sized to stay in L2
 * between its packing and the product reading it. */
#define CONV_BLOCK_BYTES ((int64_t)1 << 19)
/* Below this many flops a pass runs on one thread (its products may still thread themselves). */
#define CONV_PARALLEL_FLOPS 8388608.0

static int mul_ok(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* The element count of a 4-d operand, checked (bytes too) against int64. */
static int count4(int64_t a, int64_t b, int64_t c, int64_t d, int64_t es, int64_t *out)
{
    return mul_ok(a, b, out) && mul_ok(*out, c, out) && mul_ok(*out, d, out) &&
           mul_ok(*out, es, &(int64_t){0});
}

static int geometry(int dtype, const int64_t *v, conv_geo *g)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    for (int i = 0; i < 16; i++) {
        int pad = i == 11 || i == 12;
        if (v[i] >= CONV_LIMIT || v[i] <= (pad ? -CONV_LIMIT : -1)) return FG_ESIZE;
    }
    *g = (conv_geo){.n = v[0], .c = v[1], .h = v[2], .w = v[3], .o = v[4], .kh = v[5],
                    .kw = v[6], .oh = v[7], .ow = v[8], .sh = v[9], .sw = v[10], .ph = v[11],
                    .pw = v[12], .dh = v[13], .dw = v[14], .groups = v[15]};
    if (g->kh < 1 || g->kw < 1 || g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 ||
        g->groups < 1 || g->c % g->groups || g->o % g->groups)
        return FG_EDIMS;
    g->cg = g->c / g->groups;
    g->og = g->o / g->groups;
    g->es = fg_dtype_size(dtype);
    g->f64 = dtype == FG_FLOAT64;
    int64_t count;
    if (!count4(g->n, g->c, g->h, g->w, g->es, &count) ||
        !count4(g->n, g->o, g->oh, g->ow, g->es, &count) ||
        !count4(g->o, g->cg, g->kh, g->kw, g->es, &count) ||
        !count4(g->cg * g->kh, g->kw, g->oh, g->ow, g->es, &count))
        return FG_ESIZE;
    g->k = g->cg * g->kh * g->kw;
    g->p = g->oh * g->ow;
    g->direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 &&
                g->pw == 0 && g->oh == g->h && g->ow == g->w;
    int64_t row_bytes = g->k * g->ow * g->es;
    g->rows = g->direct || row_bytes == 0 ? g->oh : CONV_BLOCK_BYTES / row_bytes;
    if (g->rows < 1) g->rows = 1;
    if (g->rows > g->oh) g->rows = g->oh;
    /* Whole images fit in a block: as many as keep both its column matrix and its output
     * (max(K, Og) x nb * P) that size; K * P * es and (n > 1) Og * P * es were checked above. */
    int64_t tall = g->k > g->og ? g->k : g->og;
    g->nb = 1;
    if (!g->direct && row_bytes && g->p && g->rows == g->oh && g->n > 1)
        g->nb = CONV_BLOCK_BYTES / (tall * g->p * g->es);
    if (g->nb > g->n) g->nb = g->n;
    if (g->nb < 1) g->nb = 1;
    g->cols = g->nb * g->rows * g->ow;
    return FG_OK;
}

/* The output columns ox in [*lo, *hi) whose input column ox * stride + off lies in [0, size). */
static void valid_range(int64_t size, int64_t off, int64_t stride, int64_t count, int64_t *lo,
                        int64_t *hi)
{
    int64_t first = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int64_t end = size - 1 - off < 0 ? 0 : (size - 1 - off) / stride + 1;
    *lo = first < count ? first : count;
    *hi = end < *lo ? *lo : end < count ? end : count;
}

/* Output rows [oy0, oy1) of the column matrix (K x P) of one image's group of channels x
 * (Cg x H x W), into col: K x (oy1 - oy0) * OW with row stride ld. Plain loops, not libc
 * calls: rows of small images are a few elements long. */
#define IM2COL(T)                                                                              \
    static void im2col_##T(const conv_geo *g, const T *restrict x, T *restrict col, int64_t ld, \
                           int64_t oy0, int64_t oy1)                                           \
    {                                                                                          \
        const int64_t taps = g->kh * g->kw, ow = g->ow, sw = g->sw;                            \
        for (int64_t r = 0; r < g->k; r++) {                                                   \
            int64_t ci = r / taps, ky = r % taps / g->kw, kx = r % g->kw;                      \
            const T *plane = x + ci * g->h * g->w;                                             \
            int64_t off = kx * g->dw - g->pw, lo, hi;                                          \
            valid_range(g->w, off, sw, ow, &lo, &hi);                                          \
            for (int64_t oy = oy0; oy < oy1; oy++) {                                           \
                T *dst = col + r * ld + (oy - oy0) * ow;                                       \
                int64_t ih = oy * g->sh - g->ph + ky * g->dh, ox = 0;                          \
                int inside = ih >= 0 && ih < g->h;                                             \
                int64_t from = inside ? lo : ow, to = inside ? hi : ow;                        \
                const T *src = plane + (inside ? ih * g->w + off : 0);                         \
                for (; ox < from; ox++) dst[ox] = 0;                                           \
                if (sw == 1)                                                                   \
                    for (; ox < to; ox++) dst[ox] = src[ox];                                   \
                else                                                                           \
                    for (; ox < to; ox++) dst[ox] = src[ox * sw];                              \
                for (; ox < ow; ox++) dst[ox] = 0;                                             \
            }                                                                                  \
        }                                                                                      \
    }
IM2COL(float)
IM2COL(double)

/* Adds output rows [oy0, oy1) of a column matrix, col as im2col writes it, back into one
 * image's group of channels gx (Cg x H x W): the transpose of im2col. */
#define COL2IM(T)                                                                              \
    static void col2im_##T(const conv_geo *g, const T *restrict col, int64_t ld,               \
                           T *restrict gx, int64_t oy0, int64_t oy1)                           \
    {                                                                                          \
        const int64_t taps = g->kh * g->kw, sw = g->sw;                                        \
        for (int64_t r = 0; r < g->k; r++) {                                                   \
            int64_t ci = r / taps, ky = r % taps / g->kw, kx = r % g->kw;                      \
            T *plane = gx + ci * g->h * g->w;                                                  \
            int64_t off = kx * g->dw - g->pw, lo, hi;                                          \
            valid_range(g->w, off, sw, g->ow, &lo, &hi);                                       \
            for (int64_t oy = oy0; oy < oy1; oy++) {                                           \
                int64_t ih = oy * g->sh - g->ph + ky * g->dh;                                  \
                if (ih < 0 || ih >= g->h) continue;                                            \
                const T *src = col + r * ld + (oy - oy0) * g->ow;                              \
                T *dst = plane + ih * g->w + off;                                              \
                if (sw == 1)                                                                   \
                    for (int64_t ox = lo; ox < hi; ox++) dst[ox] += src[ox];                   \
                else                                                                           \
                    for (int64_t ox = lo; ox < hi; ox++) dst[ox * sw] += src[ox];              \
            }                                                                                  \
        }                                                                                      \
    }
COL2IM(float)
COL2IM(double)

/* c (m x n, row-major with row stride ldc) = or += a @ b, a and b through element strides. */
static int gemm(const conv_geo *g, int64_t m, int64_t n, int64_t k, const char *a, int64_t rsa,
                int64_t csa, const char *b, int64_t rsb, int64_t csb, char *c, int64_t ldc,
                int accumulate)
{
    return g->f64 ? fg_gemm_f64(m, n, k, (const double *)a, rsa, csa, (const double *)b, rsb,
                                csb, (double *)c, ldc, 1, accumulate)
                  : fg_gemm_f32(m, n, k, (const float *)a, rsa, csa, (const float *)b, rsb, csb,
                                (float *)c, ldc, 1, accumulate);
}

/* The first n columns of each row o of y (Og rows, row stride ld) set to bias[o]. */
static void fill_bias(const conv_geo *g, char *y, int64_t ld, int64_t n, const char *bias)
{
    for (int64_t o = 0; o < g->og; o++) {
        char *row = y + o * ld * g->es;
        if (g->f64)
            for (int64_t j = 0; j < n; j++) ((double *)row)[j] = ((const double *)bias)[o];
        else
            for (int64_t j = 0; j < n; j++) ((float *)row)[j] = ((const float *)bias)[o];
    }
}

/* A block: output rows [oy0, oy1) of m images' group of channels, x_g and y_g pointing to the
 * first image's first channel of the group in x (or gx) and y (or gy). */
typedef struct {
    int64_t m, oy0, oy1, width, ncol; /* width: columns per image; ncol = m * width */
} conv_block;

static conv_block block_of(const conv_geo *g, int64_t m, int64_t oy0, int64_t oy1)
{
    int64_t width = (oy1 - oy0) * g->ow;
    return (conv_block){.m = m, .oy0 = oy0, .oy1 = oy1, .width = width, .ncol = m * width};
}

/* The block's column matrix (K x ncol, row stride ncol): x itself when direct, else packed
 * into col, image after image. */
static const char *block_cols(const conv_geo *g, const char *x_g, conv_block b, char *col)
{
    if (g->direct) return x_g + b.oy0 * g->ow * g->es;
    for (int64_t j = 0; j < b.m; j++) {
        const char *x_j = x_g + j * g->c * g->h * g->w * g->es;
        char *col_j = col + j * b.width * g->es;
        if (g->f64)
            im2col_double(g, (const double *)x_j, (double *)col_j, b.ncol, b.oy0, b.oy1);
        else
            im2col_float(g, (const float *)x_j, (float *)col_j, b.ncol, b.oy0, b.oy1);
    }
    return col;
}

/* Copies the m images' Og x P slices of y to (to_y = 0) or from (1) mat (Og x m * P), side by
 * side; a block of several images holds whole images. */
static void move_slices(const conv_geo *g, char *y_g, char *mat, int64_t m, int to_y)
{
    const int64_t row = g->p * g->es;
    for (int64_t j = 0; j < m; j++)
        for (int64_t o = 0; o < g->og; o++) {
            char *yr = y_g + (j * g->o + o) * row, *mr = mat + (o * m + j) * row;
            memcpy(to_y ? yr : mr, to_y ? mr : yr, row);
        }
}

/* The block's gy (Og x ncol) and its row stride in *ld: in place for one image, else gathered
 * into mat. */
static const char *block_gy(const conv_geo *g, const char *gy_g, conv_block b, char *mat,
                            int64_t *ld)
{
    *ld = b.m > 1 ? b.ncol : g->p;
    if (b.m == 1) return gy_g + b.oy0 * g->ow * g->es;
    move_slices(g, (char *)gy_g, mat, b.m, 0);
    return mat;
}

/* y_g = bias + W[g] @ cols: straight into y for one image, else through mat. */
static int forward_block(const conv_geo *g, char *y_g, const char *x_g, const char *wg,
                         const char *bias_g, conv_block b, char *col, char *mat)
{
    const char *cols = block_cols(g, x_g, b, col);
    char *dst = b.m > 1 ? mat : y_g + b.oy0 * g->ow * g->es;
    int64_t ld = b.m > 1 ? b.ncol : g->p;
    if (bias_g) fill_bias(g, dst, ld, b.ncol, bias_g);
    int status =
        gemm(g, g->og, b.ncol, g->k, wg, g->k, 1, cols, b.ncol, 1, dst, ld, bias_g != NULL);
    if (status == FG_OK && b.m > 1) move_slices(g, y_g, mat, b.m, 1);
    return status;
}

/* gx_g += col2im(W[g]^T @ gy_g) (gx_g zeroed before the first block, unless 1x1 and direct:
 * then set). */
static int input_grad_block(const conv_geo *g, char *gx_g, const char *gy_g, const char *wg,
                            conv_block b, char *col, char *mat)
{
    int64_t ldg;
    const char *gys = block_gy(g, gy_g, b, mat, &ldg);
    if (g->direct)
        return gemm(g, g->k, b.ncol, g->og, wg, 1, g->k, gys, ldg, 1,
                    gx_g + b.oy0 * g->ow * g->es, g->p, 0);
    int status = gemm(g, g->k, b.ncol, g->og, wg, 1, g->k, gys, ldg, 1, col, b.ncol, 0);
    for (int64_t j = 0; j < b.m && status == FG_OK; j++) {
        char *gx_j = gx_g + j * g->c * g->h * g->w * g->es, *col_j = col + j * b.width * g->es;
        if (g->f64)
            col2im_double(g, (const double *)col_j, b.ncol, (double *)gx_j, b.oy0, b.oy1);
        else
            col2im_float(g, (const float *)col_j, b.ncol, (float *)gx_j, b.oy0, b.oy1);
    }
    return status;
}

/* The m images from i of the forward (op 0) or the input gradient (op 1), a block of rows at a
 * time. */
static int image_block(int op, const conv_geo *g, int64_t i, int64_t m, char *out, const char *a,
                       const char *w, const char *bias, char *col, char *mat)
{
    const int64_t es = g->es, in_image = g->c * g->h * g->w, out_image = g->o * g->p;
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const char *wg = w + gi * g->og * g->k * es;
        int64_t x_at = (i * in_image + gi * g->cg * g->h * g->w) * es;
        int64_t y_at = (i * out_image + gi * g->og * g->p) * es;
        int forward = op == FG_CONV_FORWARD;
        for (int64_t j = 0; j < m && !forward && !g->direct; j++)
            memset(out + x_at + j * in_image * es, 0, g->cg * g->h * g->w * es);
        for (int64_t oy = 0; oy < g->oh; oy += g->rows) {
            conv_block b = block_of(g, m, oy, oy + g->rows < g->oh ? oy + g->rows : g->oh);
            int status = forward ? forward_block(g, out + y_at, a + x_at, wg,
                                                 bias ? bias + gi * g->og * es : NULL, b, col, mat)
                                 : input_grad_block(g, out + x_at, a + y_at, wg, b, col, mat);
            if (status != FG_OK) return status;
        }
    }
    return FG_OK;
}

/* One thread's scratch: the column block (unless direct) and, for blocks of several images,
 * the Og x cols matrix of their outputs. */
static int scratch(const conv_geo *g, char **col, char **mat)
{
    *col = g->direct ? NULL : fg_alloc(g->k * g->cols + 1, g->es); /* + 1: never 0 */
    *mat = g->nb > 1 ? fg_alloc(g->og * g->cols + 1, g->es) : NULL;
    return (g->direct || *col) && (g->nb == 1 || *mat) ? FG_OK : FG_ENOMEM;
}

/* The forward or the input gradient over the batch: threads take whole blocks of images when
 * there are enough of them and enough work, else the products thread themselves. */
static int each_image(int op, const conv_geo *g, char *out, const char *a, const char *w,
                      const char *bias)
{
    double flops = 2.0 * g->n * g->o * g->p * g->k;
    int64_t blocks = (g->n + g->nb - 1) / g->nb;
    int threads = fg_threads();
    if (threads > blocks) threads = (int)blocks;
    if (flops < CONV_PARALLEL_FLOPS) threads = 1;
    int status = FG_OK;
#pragma omp parallel num_threads(threads > 1 ? threads : 1)
    {
        char *col, *mat;
        int mine = scratch(g, &col, &mat);
#pragma omp for schedule(static)
        for (int64_t bi = 0; bi < blocks; bi++) {
            int64_t i = bi * g->nb, m = g->n - i < g->nb ? g->n - i : g->nb;
            if (mine == FG_OK) mine = image_block(op, g, i, m, out, a, w, bias, col, mat);
        }
        free(col);
        free(mat);
        if (mine != FG_OK) {
#pragma omp critical
            status = mine;
        }
    }
    return status;
}

/* The weight gradient sums over the batch in WG_CHUNKS fixed runs of images, each into a
 * partial sum of its own that threads share out, then adds the partial sums in order: threads
 * get whole images (the per-image products are too small to split well: measured 2x slower on 2
 * threads than one), and the bits do not depend on the thread count. */
#define WG_CHUNKS 8

/* gW[g] (Og x K) += gy[i, g] (Og x P) @ col(x[i, g])^T for the images i in [lo, hi), blocks of
 * g->nb images at a time. */
static int weight_grad_run(const conv_geo *g, char *gw, const char *x, const char *gy, int64_t lo,
                           int64_t hi, char *col, char *mat)
{
    const int64_t es = g->es;
    int status = FG_OK;
    for (int64_t i = lo; i < hi; i += g->nb)
        for (int64_t gi = 0; gi < g->groups; gi++) {
            const char *x_g = x + (i * g->c + gi * g->cg) * g->h * g->w * es;
            const char *gy_g = gy + (i * g->o + gi * g->og) * g->p * es;
            for (int64_t oy = 0; oy < g->oh && status == FG_OK; oy += g->rows) {
                conv_block b = block_of(g, hi - i < g->nb ? hi - i : g->nb, oy,
                                        oy + g->rows < g->oh ? oy + g->rows : g->oh);
                int64_t ldg;
                const char *cols = block_cols(g, x_g, b, col);
                const char *gys = block_gy(g, gy_g, b, mat, &ldg);
                status = gemm(g, g->og, g->k, b.ncol, gys, ldg, 1, cols, 1, b.ncol,
                              gw + gi * g->og * g->k * es, g->k, 1);
            }
            if (status != FG_OK) return status;
        }
    return status;
}

static void add_into(const conv_geo *g, char *out, const char *part, int64_t count)
{
    if (g->f64)
        for (int64_t j = 0; j < count; j++) ((double *)out)[j] += ((const double *)part)[j];
    else
        for (int64_t j = 0; j < count; j++) ((float *)out)[j] += ((const float *)part)[j];
}

static int weight_grad(const conv_geo *g, char *gw, const char *x, const char *gy)
{
    const int64_t es = g->es, size = g->o * g->k;
    int64_t chunks = g->n < WG_CHUNKS ? g->n : WG_CHUNKS;
    char *parts = chunks > 1 ? fg_alloc((chunks - 1) * size + 1, es) : NULL;
    if (chunks > 1 && !parts) return FG_ENOMEM;
    memset(gw, 0, size * es);
    int threads = fg_threads();
    if (threads > chunks) threads = (int)chunks;
    if (2.0 * g->n * g->o * g->p * g->k < CONV_PARALLEL_FLOPS) threads = 1;
    int status = FG_OK;
#pragma omp parallel num_threads(threads > 1 ? threads : 1)
    {
        char *col, *mat;
        int mine = scratch(g, &col, &mat);
#pragma omp for schedule(static)
        for (int64_t ch = 0; ch < chunks; ch++) {
            char *target = ch ? parts + (ch - 1) * size * es : gw;
            if (ch) memset(target, 0, size * es);
            if (mine == FG_OK)
                mine = weight_grad_run(g, target, x, gy, g->n * ch / chunks,
                                       g->n * (ch + 1) / chunks, col, mat);
        }
        free(col);
        free(mat);
        if (mine != FG_OK) {
#pragma omp critical
            status = mine;
        }
    }
    for (int64_t ch = 1; ch < chunks && status == FG_OK; ch++)
        add_into(g, gw, parts + (ch - 1) * size * es, size);
    free(parts);
    return status;
}

int fg_conv2d(int op, int dtype, const int64_t *geometry_words, char *out, const char *a,
              const char *b, const char *bias)
{
    conv_geo g;
    int status = geometry(dtype, geometry_words, &g);
    if (status != FG_OK) return status;
    switch (op) {
    case FG_CONV_FORWARD:
        return each_image(op, &g, out, a, b, bias);
    case FG_CONV_INPUT_GRAD:
        return each_image(op, &g, out, a, b, NULL);
    case FG_CONV_WEIGHT_GRAD:
        return weight_grad(&g, out, a, b);
    default:
        return FG_EOP;
    }
}
