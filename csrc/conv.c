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
 * them in order, so its bits do not depend on the thread count either.
 *
 * Unit stride (the common case) uses an extended layout instead: the image is padded (a copy
 * only when there is padding) to Hp x Wp = (OH + dh (KH - 1)) x (OW + dw (KW - 1)) and output
 * (oy, ox) sits at column oy * Wp + ox, so that row r = (ci, ky, kx) of the column matrix is one
 * contiguous window of channel ci, starting at ky dh Wp + kx dw: im2col is one copy per row and
 * col2im one vector add per row, where the plain layout moves OH x KW short pieces. The Wp - OW
 * columns past each output row are computed and dropped (gy's are zero there, and the column
 * matrix's too when they could meet a non-finite value: 0 * inf would poison a sum). With few
 * output channels, the weight gradient is dot products of gy's rows with those windows, read in
 * place (fg_dots, gemm.h): no column matrix at all; with more, a product whose A rows are those
 * windows (fg_rows) against gy^T. The forward reads them in place too, as B's rows (fg_taps), or
 * for small images as A's columns (fg_windows), and the input gradient is then the forward of gy
 * with the weights flipped and transposed (input_grad_flipped): no column matrix either. */
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
    int64_t cols;         /* columns of a block: nb * span of rows */
    int ext;              /* unit stride, not direct: the extended layout */
    int64_t hp, wp;       /* extended layout: the padded image's height and width */
    int64_t pitch;        /* columns from one output row to the next: wp when ext, else ow */
    int padded;           /* ext and the image needs a padded copy */
    int finite_w;         /* the input gradient's weights are all finite (set per call) */
    int dots;             /* the weight gradient as dot products (see weight_grad_run) */
    int wrows;            /* or as products reading the windows in place as A's rows (fg_rows) */
    int windows;          /* the forward as products reading the image in place (forward_windows) */
    int taps;             /* or as products whose B rows are the image's windows (fg_taps) */
    const char *wpack;    /* with windows: W^T packed, per group; with taps: W */
    const int64_t *woff;  /* and each tap's offset in a padded image */
} conv_geo;

/* A column matrix is made and used a block of output rows at a time, sized to stay in L2
 * between its packing and the product reading it. */
#define CONV_BLOCK_BYTES ((int64_t)1 << 19)
/* The weight gradient of fewer output channels (per group) than this is summed as dot products
 * (measured: 6 and 16 channels 3.5x and 1.1x faster than the matrix product, 64 2x slower). */
#define CONV_DOTS_MAX_OG 32
/* Else the forward reads the image in place (fg_windows) when it has at least a vector of
 * output channels and its padded image fits in L1: its elements are broadcast a tap at a time,
 * all over the image (measured: 16 channels of 6 x 14 x 14, 1.2x faster than the column
 * matrix; 64 x 34 x 34, 1.3x slower). */
#define CONV_WINDOWS_MAX_BYTES ((int64_t)32768)
/* The forward reads the image's windows in place as B's rows (fg_taps: positions along the
 * vectors, output channels broadcast from W; y written directly) when an output row holds a
 * vector and there are enough channels for the micro-tile's rows: before fg_windows and the
 * column matrix (measured, 32 x 32 images: 64 -> 64 channels 1.4x faster than the column
 * matrix; 3 -> 64, 15x faster than fg_windows, whose strided writes of y alias in L1). */
#define CONV_TAPS_MIN_OG 16
/* The weight gradient by fg_rows takes as many output rows at a time as keep their packed gy^T
 * about this size (no column matrix to hold: long runs over positions amortize each tile's
 * load and store of gW^T). */
#define CONV_ROWS_BLOCK_BYTES ((int64_t)1 << 17)
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

/* The columns that `rows` output rows of one image take in a column block. */
static int64_t span(const conv_geo *g, int64_t rows)
{
    return rows ? (rows - 1) * g->pitch + g->ow : 0;
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
    g->ext = !g->direct && g->sh == 1 && g->sw == 1 && g->oh && g->ow;
    g->hp = g->oh + g->dh * (g->kh - 1);
    g->wp = g->ow + g->dw * (g->kw - 1);
    g->pitch = g->ext ? g->wp : g->ow;
    g->padded = g->ext && (g->ph || g->pw || g->hp != g->h || g->wp != g->w);
    g->dots = !g->direct && g->og < CONV_DOTS_MAX_OG;
    g->wrows = g->ext && !g->dots;
    g->taps = g->ext && g->og >= CONV_TAPS_MIN_OG && g->ow >= fg_gemm_lanes(g->f64);
    g->windows = g->ext && !g->taps && g->og >= fg_gemm_lanes(g->f64) &&
                 g->cg * g->hp * g->wp * g->es <= CONV_WINDOWS_MAX_BYTES;
    g->wpack = NULL, g->woff = NULL;
    if (g->ext && (!count4(g->n, g->cg, g->hp, g->wp, g->es, &count) ||
                   !count4(g->k + g->o, 1, g->hp, g->wp, g->es, &count)))
        return FG_ESIZE;
    int64_t row_bytes = g->k * g->pitch * g->es;
    g->rows = g->direct || row_bytes == 0 ? g->oh : CONV_BLOCK_BYTES / row_bytes;
    if (g->rows < 1) g->rows = 1;
    if (g->rows > g->oh) g->rows = g->oh;
    /* Whole images fit in a block: as many as keep both its column matrix and its output
     * (max(K, Og) x nb * P) that size; K * P * es and (n > 1) Og * P * es were checked above. */
    int64_t tall = g->k > g->og ? g->k : g->og;
    g->nb = 1;
    if (!g->direct && row_bytes && g->p && g->rows == g->oh && g->n > 1)
        g->nb = CONV_BLOCK_BYTES / (tall * span(g, g->oh) * g->es);
    if (g->nb > g->n) g->nb = g->n;
    if (g->nb < 1) g->nb = 1;
    g->cols = g->nb * span(g, g->rows);
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

/* Adds a block's column matrix in the extended layout (rows of row stride ld, width columns
 * per image) back into one image's padded gradient gxp (Cg x Hp x Wp): a window per row. Long
 * vector adds: built for each instruction set (FG_CLONES). */
#define COL2IM_EXT(T)                                                                          \
    FG_CLONES static void col2im_ext_##T(const conv_geo *g, const T *restrict col, int64_t ld, \
                                         T *restrict gxp, int64_t oy0, int64_t width)          \
    {                                                                                          \
        const int64_t taps = g->kh * g->kw;                                                    \
        for (int64_t r = 0; r < g->k; r++) {                                                   \
            int64_t ci = r / taps, ky = r % taps / g->kw, kx = r % g->kw;                      \
            T *dst = gxp + (ci * g->hp + ky * g->dh + oy0) * g->wp + kx * g->dw;               \
            const T *src = col + r * ld;                                                       \
            for (int64_t q = 0; q < width; q++) dst[q] += src[q];                              \
        }                                                                                      \
    }
COL2IM_EXT(float)
COL2IM_EXT(double)

/* dst (dh x dw) = the window of src (sh x sw) whose corner is at (oy, ox), zero where it leaves
 * src: pads an image for the extended layout, and crops the padding off its gradient. Returns
 * whether every value copied is finite (v - v is 0 unless v is infinite or NaN). Plain loops,
 * not libc calls: rows are short, and a call per row and side cost more than the copy. */
#define WINDOW(T)                                                                              \
    FG_CLONES static int window_##T(const T *restrict src, int64_t sh, int64_t sw,             \
                                    T *restrict dst, int64_t dh, int64_t dw, int64_t oy,       \
                                    int64_t ox)                                                \
    {                                                                                          \
        int64_t lo = -ox < 0 ? 0 : -ox > dw ? dw : -ox; /* columns [lo, hi) fall inside src */ \
        int64_t hi = sw - ox < lo ? lo : sw - ox > dw ? dw : sw - ox;                          \
        int ok = 1;                                                                            \
        for (int64_t i = 0; i < dh; i++) {                                                     \
            T *d = dst + i * dw;                                                               \
            int64_t si = i + oy, from = si < 0 || si >= sh ? dw : lo;                          \
            int64_t to = si < 0 || si >= sh ? dw : hi, at = si * sw + ox;                      \
            for (int64_t q = 0; q < from; q++) d[q] = 0;                                       \
            for (int64_t q = from; q < to; q++) {                                              \
                d[q] = src[at + q];                                                            \
                ok &= src[at + q] - src[at + q] == 0;                                          \
            }                                                                                  \
            for (int64_t q = to; q < dw; q++) d[q] = 0;                                        \
        }                                                                                      \
        return ok;                                                                             \
    }
WINDOW(float)
WINDOW(double)

static int window(const conv_geo *g, const char *src, int64_t sh, int64_t sw, char *dst,
                  int64_t dh, int64_t dw, int64_t oy, int64_t ox)
{
    if (g->f64)
        return window_double((const double *)src, sh, sw, (double *)dst, dh, dw, oy, ox);
    return window_float((const float *)src, sh, sw, (float *)dst, dh, dw, oy, ox);
}

/* The m images' groups of channels, from x_g (C x H x W apart), into their padded copies in pad
 * (Cg x Hp x Wp each), or (crop) the copies' insides back out into x_g. Returns whether every
 * value copied is finite. */
static int repad(const conv_geo *g, int64_t m, char *x_g, char *pad, int crop)
{
    const int64_t es = g->es, plane = g->h * g->w, padded = g->hp * g->wp;
    int ok = 1;
    for (int64_t j = 0; j < m; j++)
        for (int64_t ci = 0; ci < g->cg; ci++) {
            char *xc = x_g + (j * g->c + ci) * plane * es;
            char *pc = pad + (j * g->cg + ci) * padded * es;
            if (crop)
                ok &= window(g, pc, g->hp, g->wp, xc, g->h, g->w, g->ph, g->pw);
            else
                ok &= window(g, xc, g->h, g->w, pc, g->hp, g->wp, -g->ph, -g->pw);
        }
    return ok;
}

FG_CLONES static int all_finite(const conv_geo *g, const char *p, int64_t count)
{
    const double *d = (const double *)p;
    const float *f = (const float *)p;
    int ok = 1; /* v - v is 0 unless v is infinite or NaN */
    if (g->f64)
        for (int64_t j = 0; j < count; j++) ok &= d[j] - d[j] == 0;
    else
        for (int64_t j = 0; j < count; j++) ok &= f[j] - f[j] == 0;
    return ok;
}

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

/* A block: output rows [oy0, oy1) of m images' group of channels, side by side in a column
 * matrix, width columns each. */
typedef struct {
    int64_t m, oy0, oy1, width, ncol; /* ncol = m * width */
} conv_block;

static conv_block block_of(const conv_geo *g, int64_t m, int64_t oy0, int64_t oy1)
{
    int64_t width = span(g, oy1 - oy0);
    return (conv_block){.m = m, .oy0 = oy0, .oy1 = oy1, .width = width, .ncol = m * width};
}

/* The block's y (or gy) is used in place (row stride P) rather than through an Og x ncol
 * matrix: one image in the plain layout. */
static int in_place(const conv_geo *g, conv_block b)
{
    return b.m == 1 && g->pitch == g->ow;
}

/* Zeroes the columns past each output row (the extended layout's) in rows of a block's matrix
 * (row stride ncol). */
static void zero_gaps(const conv_geo *g, char *mat, int64_t rows, conv_block b)
{
    const int64_t es = g->es, gap = g->pitch - g->ow;
    for (int64_t r = 0; r < rows && gap; r++)
        for (int64_t j = 0; j < b.m; j++)
            for (int64_t t = 0; t + 1 < b.oy1 - b.oy0; t++)
                memset(mat + (r * b.ncol + j * b.width + t * g->pitch + g->ow) * es, 0, gap * es);
}

/* The block's column matrix (K x ncol, row stride ncol): x itself when direct, else packed
 * into col, image after image; x_g's images lie xstep bytes apart (padded copies when ext). */
static const char *block_cols(const conv_geo *g, const char *x_g, int64_t xstep, conv_block b,
                              char *col)
{
    const int64_t es = g->es, taps = g->kh * g->kw;
    if (g->direct) return x_g + b.oy0 * g->ow * es;
    for (int64_t j = 0; j < b.m; j++) {
        const char *x_j = x_g + j * xstep;
        char *col_j = col + j * b.width * es;
        for (int64_t r = 0; r < g->k && g->ext; r++) { /* a window of channel ci per row */
            int64_t ci = r / taps, ky = r % taps / g->kw, kx = r % g->kw;
            memcpy(col_j + r * b.ncol * es,
                   x_j + ((ci * g->hp + ky * g->dh + b.oy0) * g->wp + kx * g->dw) * es,
                   b.width * es);
        }
        if (g->ext) continue;
        if (g->f64)
            im2col_double(g, (const double *)x_j, (double *)col_j, b.ncol, b.oy0, b.oy1);
        else
            im2col_float(g, (const float *)x_j, (float *)col_j, b.ncol, b.oy0, b.oy1);
    }
    return col;
}

/* Copies the block's rows of y (its m images' Og x P slices) to (to_y = 0) or from (1) mat
 * (Og x ncol); into mat, the extended layout's gaps are zeroed. */
static void move_block(const conv_geo *g, char *y_g, char *mat, conv_block b, int to_y)
{
    const int64_t es = g->es, rows = b.oy1 - b.oy0;
    for (int64_t j = 0; j < b.m; j++)
        for (int64_t o = 0; o < g->og; o++) {
            char *yr = y_g + ((j * g->o + o) * g->p + b.oy0 * g->ow) * es;
            char *mr = mat + (o * b.ncol + j * b.width) * es;
            int64_t n = g->pitch == g->ow ? 1 : rows, len = g->pitch == g->ow ? b.width : g->ow;
            for (int64_t t = 0; t < n; t++)
                memcpy(to_y ? yr + t * g->ow * es : mr + t * g->pitch * es,
                       to_y ? mr + t * g->pitch * es : yr + t * g->ow * es, len * es);
        }
    if (!to_y) zero_gaps(g, mat, g->og, b);
}

/* The block's gy (Og x ncol) and its row stride in *ld: in place or gathered into mat. */
static const char *block_gy(const conv_geo *g, const char *gy_g, conv_block b, char *mat,
                            int64_t *ld)
{
    *ld = in_place(g, b) ? g->p : b.ncol;
    if (in_place(g, b)) return gy_g + b.oy0 * g->ow * g->es;
    move_block(g, (char *)gy_g, mat, b, 0);
    return mat;
}

/* y_g = bias + W[g] @ cols: straight into y in place, else through mat. */
static int forward_block(const conv_geo *g, char *y_g, const char *x_g, int64_t xstep,
                         const char *wg, const char *bias_g, conv_block b, char *col, char *mat)
{
    const char *cols = block_cols(g, x_g, xstep, b, col);
    char *dst = in_place(g, b) ? y_g + b.oy0 * g->ow * g->es : mat;
    int64_t ld = in_place(g, b) ? g->p : b.ncol;
    if (bias_g) fill_bias(g, dst, ld, b.ncol, bias_g);
    int status =
        gemm(g, g->og, b.ncol, g->k, wg, g->k, 1, cols, b.ncol, 1, dst, ld, bias_g != NULL);
    if (status == FG_OK && !in_place(g, b)) move_block(g, y_g, mat, b, 1);
    return status;
}

/* gx_g += col2im(W[g]^T @ gy_g) (gx_g zeroed before the first block, unless 1x1 and direct:
 * then set); gx_g's images lie xstep bytes apart (padded copies when ext). */
static int input_grad_block(const conv_geo *g, char *gx_g, int64_t xstep, const char *gy_g,
                            const char *wg, conv_block b, char *col, char *mat)
{
    int64_t ldg;
    const char *gys = block_gy(g, gy_g, b, mat, &ldg);
    if (g->direct)
        return gemm(g, g->k, b.ncol, g->og, wg, 1, g->k, gys, ldg, 1,
                    gx_g + b.oy0 * g->ow * g->es, g->p, 0);
    int status = gemm(g, g->k, b.ncol, g->og, wg, 1, g->k, gys, ldg, 1, col, b.ncol, 0);
    if (g->ext && !g->finite_w) zero_gaps(g, col, g->k, b);
    for (int64_t j = 0; j < b.m && status == FG_OK; j++) {
        char *gx_j = gx_g + j * xstep, *col_j = col + j * b.width * g->es;
        if (g->ext && g->f64)
            col2im_ext_double(g, (const double *)col_j, b.ncol, (double *)gx_j, b.oy0, b.width);
        else if (g->ext)
            col2im_ext_float(g, (const float *)col_j, b.ncol, (float *)gx_j, b.oy0, b.width);
        else if (g->f64)
            col2im_double(g, (const double *)col_j, b.ncol, (double *)gx_j, b.oy0, b.oy1);
        else
            col2im_float(g, (const float *)col_j, b.ncol, (float *)gx_j, b.oy0, b.oy1);
    }
    return status;
}

/* One thread's scratch: the column block (unless direct), the Og x cols matrix of outputs
 * unless they are used in place, and the padded copies of a block's images. */
typedef struct {
    char *col, *mat, *pad;
    char *part;   /* the weight gradient's lane sums, or its transpose (see weight_grad_run) */
    int64_t *off; /* and where each row of the column matrix starts */
    char *bpack;  /* with wrows: a block's gy^T, packed */
} conv_scratch;

static int scratch(const conv_geo *g, int op, conv_scratch *s)
{
    int in_place = op == FG_CONV_FORWARD ? g->windows || g->taps
                                         : op == FG_CONV_WEIGHT_GRAD && g->wrows;
    int mat = !in_place && (g->nb > 1 || g->pitch != g->ow);
    int sums = op == FG_CONV_WEIGHT_GRAD && (g->dots || g->wrows), col = !g->direct && !in_place;
    int64_t lanes = g->dots ? fg_gemm_lanes(g->f64) : 1, width = span(g, g->rows);
    int64_t bpack = g->f64 ? fg_windows_size_f64(width, g->og) : fg_windows_size_f32(width, g->og);
    s->col = col ? fg_alloc(g->k * g->cols + 1, g->es) : NULL; /* + 1: never 0 */
    s->mat = mat ? fg_alloc(g->og * g->cols + 1, g->es) : NULL;
    int64_t pad = g->nb * g->cg * g->hp * g->wp; /* + the slack that fg_windows reads */
    s->pad = g->padded ? fg_alloc(pad + FG_WINDOWS_SLACK, g->es) : NULL;
    if (s->pad) memset(s->pad + pad * g->es, 0, FG_WINDOWS_SLACK * g->es);
    s->part = sums ? fg_alloc(g->o * g->k * lanes + 1, g->es) : NULL;
    s->off = sums ? fg_alloc(g->k + 1, sizeof(int64_t)) : NULL;
    s->bpack = sums && g->wrows ? fg_alloc(bpack + 1, g->es) : NULL;
    return (!col || s->col) && (!mat || s->mat) && (!g->padded || s->pad) &&
                   (!sums || (s->part && s->off)) && (!(sums && g->wrows) || s->bpack)
               ? FG_OK
               : FG_ENOMEM;
}

static void release(conv_scratch *s)
{
    free(s->col);
    free(s->mat);
    free(s->pad);
    free(s->part);
    free(s->off);
    free(s->bpack);
}

/* Where each row (ci, ky, kx) of the column matrix starts in a padded image (the extended
 * layout): K offsets into off. */
static void tap_offsets(const conv_geo *g, int64_t *off)
{
    for (int64_t ci = 0, r = 0; ci < g->cg; ci++)
        for (int64_t ky = 0; ky < g->kh; ky++)
            for (int64_t kx = 0; kx < g->kw; kx++)
                off[r++] = (ci * g->hp + ky * g->dh) * g->wp + kx * g->dw;
}

/* Elements of one group's packed W (see prepare_windows). */
static int64_t pack_size(const conv_geo *g)
{
    if (g->taps)
        return g->f64 ? fg_taps_size_f64(g->og, g->k) : fg_taps_size_f32(g->og, g->k);
    return g->f64 ? fg_windows_size_f64(g->k, g->og) : fg_windows_size_f32(g->k, g->og);
}

/* y_g (m images' Og x P) = bias + the convolution of the padded images at x_g (xstep bytes
 * apart): an output row at a time, positions against output channels, so that A's rows are
 * windows of the image (fg_windows), or output channels against positions, B's rows the
 * windows (fg_taps); y is written in place, no column matrix at all. */
static void forward_windows(const conv_geo *g, char *y_g, const char *x_g, int64_t xstep,
                            const char *wpack, const char *bias_g, int64_t m)
{
    const int64_t es = g->es;
    for (int64_t j = 0; j < m; j++) {
        char *y_j = y_g + j * g->o * g->p * es;
        const char *x_j = x_g + j * xstep;
        if (bias_g) fill_bias(g, y_j, g->p, g->p, bias_g);
        for (int64_t oy = 0; oy < g->oh; oy++) {
            const char *a = x_j + oy * g->wp * es;
            char *c = y_j + oy * g->ow * es;
            if (g->taps && g->f64)
                fg_taps_f64(g->og, g->ow, g->k, (const double *)wpack, (const double *)a,
                            g->woff, (double *)c, g->p, bias_g != NULL);
            else if (g->taps)
                fg_taps_f32(g->og, g->ow, g->k, (const float *)wpack, (const float *)a,
                            g->woff, (float *)c, g->p, bias_g != NULL);
            else if (g->f64)
                fg_windows_f64(g->ow, g->og, g->k, (const double *)a, g->woff,
                               (const double *)wpack, (double *)c, 1, g->p, bias_g != NULL);
            else
                fg_windows_f32(g->ow, g->og, g->k, (const float *)a, g->woff,
                               (const float *)wpack, (float *)c, 1, g->p, bias_g != NULL);
        }
    }
}

/* The m images from i of the forward (op 0) or the input gradient (op 1), a block of rows at a
 * time. */
static int image_block(int op, const conv_geo *g, int64_t i, int64_t m, char *out, const char *a,
                       const char *w, const char *bias, conv_scratch *s)
{
    const int64_t es = g->es, in_image = g->c * g->h * g->w, out_image = g->o * g->p;
    const int64_t step = g->padded ? g->cg * g->hp * g->wp * es : in_image * es;
    int forward = op == FG_CONV_FORWARD;
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const char *wg = w + gi * g->og * g->k * es;
        int64_t x_at = (i * in_image + gi * g->cg * g->h * g->w) * es;
        int64_t y_at = (i * out_image + gi * g->og * g->p) * es;
        char *x_g = g->padded ? s->pad : (forward ? (char *)a : out) + x_at;
        if (g->padded && forward) repad(g, m, (char *)a + x_at, s->pad, 0);
        if (forward && (g->windows || g->taps)) {
            forward_windows(g, out + y_at, x_g, step, g->wpack + gi * pack_size(g) * es,
                            bias ? bias + gi * g->og * es : NULL, m);
            continue;
        }
        for (int64_t j = 0; j < m && !forward && !g->direct; j++)
            memset(x_g + j * step, 0, (g->padded ? step : g->cg * g->h * g->w * es));
        for (int64_t oy = 0; oy < g->oh; oy += g->rows) {
            conv_block b = block_of(g, m, oy, oy + g->rows < g->oh ? oy + g->rows : g->oh);
            int status = forward ? forward_block(g, out + y_at, x_g, step, wg,
                                                 bias ? bias + gi * g->og * es : NULL, b,
                                                 s->col, s->mat)
                                 : input_grad_block(g, x_g, step, a + y_at, wg, b, s->col,
                                                    s->mat);
            if (status != FG_OK) return status;
        }
        if (g->padded && !forward) repad(g, m, out + x_at, s->pad, 1);
    }
    return FG_OK;
}

/* For the forward by windows or taps: W (or W^T) packed per group and the taps' offsets
 * (tap_offsets), into g (freed by the caller). */
static int prepare_windows(conv_geo *g, const char *w)
{
    const int64_t es = g->es, size = pack_size(g);
    char *pack = fg_alloc(g->groups * size + 1, es);
    int64_t *off = fg_alloc(g->k + 1, sizeof(int64_t));
    g->wpack = pack, g->woff = off;
    if (!pack || !off) return FG_ENOMEM;
    tap_offsets(g, off);
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const char *wg = w + gi * g->og * g->k * es;
        if (g->taps && g->f64)
            fg_taps_pack_f64(g->og, g->k, (const double *)wg, g->k, 1,
                             (double *)(pack + gi * size * es));
        else if (g->taps)
            fg_taps_pack_f32(g->og, g->k, (const float *)wg, g->k, 1,
                             (float *)(pack + gi * size * es));
        else if (g->f64)
            fg_windows_pack_f64(g->k, g->og, (const double *)wg, 1, g->k,
                                (double *)(pack + gi * size * es));
        else
            fg_windows_pack_f32(g->k, g->og, (const float *)wg, 1, g->k,
                                (float *)(pack + gi * size * es));
    }
    return FG_OK;
}

/* The forward or the input gradient over the batch: threads take whole blocks of images when
 * there are enough of them and enough work, else the products thread themselves. Blocks are
 * handed out as threads come free (a core busy elsewhere holds up one block, not half the
 * batch); each block's bits are its own whichever thread runs it. */
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
        conv_scratch s;
        int mine = scratch(g, op, &s);
#pragma omp for schedule(dynamic)
        for (int64_t bi = 0; bi < blocks; bi++) {
            int64_t i = bi * g->nb, m = g->n - i < g->nb ? g->n - i : g->nb;
            if (mine == FG_OK) mine = image_block(op, g, i, m, out, a, w, bias, &s);
        }
        release(&s);
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

/* part_g (Og x K pairs of lane sums) += the block's gy rows dotted with its column matrix's rows,
 * image by image: the rows are windows of the (padded) images at x_g, xstep bytes apart, in
 * the extended layout when every value there is finite, else rows of the packed columns (gaps
 * zeroed: 0 * inf would count). */
static void dots_block(const conv_geo *g, char *part_g, const char *x_g, int64_t xstep,
                       const char *gy_g, conv_block b, int finite, conv_scratch *s)
{
    const int64_t es = g->es, taps = g->kh * g->kw;
    int64_t ldg;
    const char *gys = block_gy(g, gy_g, b, s->mat, &ldg);
    int windows = g->ext && finite;
    if (!windows) {
        block_cols(g, x_g, xstep, b, s->col);
        if (!finite) zero_gaps(g, s->col, g->k, b);
    }
    for (int64_t j = 0; j < b.m; j++) {
        for (int64_t r = 0; r < g->k; r++) {
            int64_t ci = r / taps, ky = r % taps / g->kw, kx = r % g->kw;
            s->off[r] = windows ? (ci * g->hp + ky * g->dh + b.oy0) * g->wp + kx * g->dw
                                : r * b.ncol + j * b.width;
        }
        const char *a = gys + j * b.width * es, *rows = windows ? x_g + j * xstep : s->col;
        if (g->f64)
            fg_dots_f64(g->og, g->k, b.width, (const double *)a, ldg, (const double *)rows,
                        s->off, (double *)part_g);
        else
            fg_dots_f32(g->og, g->k, b.width, (const float *)a, ldg, (const float *)rows,
                        s->off, (float *)part_g);
    }
}

/* part_g (K x Og: gW[g]^T) += the block's column matrix @ gy^T, image by image, the column
 * matrix's rows read in place as windows of the (padded) images at x_g, xstep bytes apart
 * (s->off: tap_offsets), an output row at a time (so never the gaps past each), and gy^T packed
 * straight from gy (its rows of positions are the block's). */
static void rows_block(const conv_geo *g, char *part_g, const char *x_g, int64_t xstep,
                       const char *gy_g, conv_block b, conv_scratch *s)
{
    const int64_t es = g->es, len = (b.oy1 - b.oy0) * g->ow;
    for (int64_t j = 0; j < b.m; j++) {
        const char *a = x_g + j * xstep + b.oy0 * g->wp * es;
        const char *gj = gy_g + (j * g->o * g->p + b.oy0 * g->ow) * es;
        if (g->f64) {
            fg_windows_pack_f64(len, g->og, (const double *)gj, 1, g->p, (double *)s->bpack);
            fg_rows_f64(g->k, g->og, len, (const double *)a, s->off, g->ow, g->wp,
                        (const double *)s->bpack, (double *)part_g, g->og, 1);
        } else {
            fg_windows_pack_f32(len, g->og, (const float *)gj, 1, g->p, (float *)s->bpack);
            fg_rows_f32(g->k, g->og, len, (const float *)a, s->off, g->ow, g->wp,
                        (const float *)s->bpack, (float *)part_g, g->og, 1);
        }
    }
}

/* gW[g] (Og x K) = the sum of gy[i, g] (Og x P) @ col(x[i, g])^T over the images i in [lo, hi),
 * blocks of g->nb images at a time: a matrix product per block, or for few output channels dot
 * products (fg_dots: vectors along the positions, the small Og x K result in lane sums), which
 * read the extended layout's windows in place, with no column matrix at all; with more
 * channels, in the extended layout, products whose A rows are those windows (fg_rows) sum
 * gW^T. */
static int weight_grad_run(const conv_geo *g, char *gw, const char *x, const char *gy, int64_t lo,
                           int64_t hi, conv_scratch *s)
{
    const int64_t es = g->es, lanes = g->dots ? fg_gemm_lanes(g->f64) : 1;
    const int64_t step = g->padded ? g->cg * g->hp * g->wp * es : g->c * g->h * g->w * es;
    int status = FG_OK;
    if (g->dots || g->wrows) memset(s->part, 0, g->o * g->k * lanes * es);
    if (g->wrows) tap_offsets(g, s->off);
    for (int64_t i = lo; i < hi; i += g->nb)
        for (int64_t gi = 0; gi < g->groups; gi++) {
            int64_t m = hi - i < g->nb ? hi - i : g->nb;
            const char *x_g = x + (i * g->c + gi * g->cg) * g->h * g->w * es;
            const char *gy_g = gy + (i * g->o + gi * g->og) * g->p * es;
            char *gw_g = gw + gi * g->og * g->k * es;
            int finite = !g->padded || repad(g, m, (char *)x_g, s->pad, 0);
            for (int64_t j = 0; j < m && !g->padded && !g->wrows && g->pitch != g->ow; j++)
                finite &= all_finite(g, x_g + j * g->c * g->h * g->w * es, g->cg * g->h * g->w);
            for (int64_t oy = 0; oy < g->oh && status == FG_OK; oy += g->rows) {
                conv_block b = block_of(g, m, oy, oy + g->rows < g->oh ? oy + g->rows : g->oh);
                int64_t ldg;
                if (g->dots) {
                    dots_block(g, s->part + gi * g->og * g->k * lanes * es,
                               g->padded ? s->pad : x_g, step, gy_g, b, finite, s);
                    continue;
                }
                if (g->wrows) {
                    rows_block(g, s->part + gi * g->og * g->k * es, g->padded ? s->pad : x_g,
                               step, gy_g, b, s);
                    continue;
                }
                const char *cols = block_cols(g, g->padded ? s->pad : x_g, step, b, s->col);
                if (!finite) zero_gaps(g, s->col, g->k, b);
                const char *gys = block_gy(g, gy_g, b, s->mat, &ldg);
                status = gemm(g, g->og, g->k, b.ncol, gys, ldg, 1, cols, 1, b.ncol, gw_g, g->k, 1);
            }
            if (status != FG_OK) return status;
        }
    for (int64_t e = 0; e < g->o * g->k && g->dots; e++) /* the lane sums, in lane order */
        for (int64_t l = 0; l < lanes; l++) {
            if (g->f64)
                ((double *)gw)[e] += ((const double *)s->part)[e * lanes + l];
            else
                ((float *)gw)[e] += ((const float *)s->part)[e * lanes + l];
        }
    for (int64_t gi = 0; gi < g->groups && g->wrows; gi++) /* gW^T, per group */
        for (int64_t r = 0; r < g->k; r++)
            for (int64_t o = 0; o < g->og; o++) {
                int64_t e = (gi * g->og + o) * g->k + r, t = (gi * g->k + r) * g->og + o;
                if (g->f64)
                    ((double *)gw)[e] += ((const double *)s->part)[t];
                else
                    ((float *)gw)[e] += ((const float *)s->part)[t];
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
        conv_scratch s;
        int mine = scratch(g, FG_CONV_WEIGHT_GRAD, &s);
#pragma omp for schedule(dynamic) /* as each_image's */
        for (int64_t ch = 0; ch < chunks; ch++) {
            char *target = ch ? parts + (ch - 1) * size * es : gw;
            if (ch) memset(target, 0, size * es);
            if (mine == FG_OK)
                mine = weight_grad_run(g, target, x, gy, g->n * ch / chunks,
                                       g->n * (ch + 1) / chunks, &s);
        }
        release(&s);
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

static int forward(conv_geo *g, char *y, const char *x, const char *w, const char *bias)
{
    int status = g->windows || g->taps ? prepare_windows(g, w) : FG_OK;
    g->padded |= g->windows || g->taps; /* they read a little past the image: a copy, slack */
    if (status == FG_OK) status = each_image(FG_CONV_FORWARD, g, y, x, w, bias);
    free((char *)g->wpack);
    free((int64_t *)g->woff);
    return status;
}

/* The input gradient of a unit-stride convolution, gx[ci, y, x] = the sum over o, ky, kx of
 * W[o, ci, ky, kx] gy[o, y + ph - dh ky, x + pw - dw kx], is the forward convolution of gy with
 * the weights flipped and transposed (per group: Cg x Og x KH x KW, taps reversed), padded by
 * d (k - 1) - p on top and left, into t: with taps (windows read in place) it beats the column
 * matrix and col2im. Only for finite weights: the padding's zeros must not meet inf. */
static int flipped(const conv_geo *g, conv_geo *t)
{
    const int64_t v[16] = {g->n, g->o, g->oh, g->ow, g->c, g->kh, g->kw, g->h, g->w, 1, 1,
                           g->dh * (g->kh - 1) - g->ph, g->dw * (g->kw - 1) - g->pw, g->dh,
                           g->dw, g->groups};
    return g->ext && g->finite_w && geometry(g->f64 ? FG_FLOAT64 : FG_FLOAT32, v, t) == FG_OK &&
           t->taps;
}

static int input_grad_flipped(conv_geo *t, char *gx, const char *gy, const char *w)
{
    const int64_t es = t->es, taps = t->kh * t->kw, cg = t->og, og = t->cg;
    char *wt = fg_alloc(t->o * t->k + 1, es);
    if (!wt) return FG_ENOMEM;
    for (int64_t gi = 0; gi < t->groups; gi++)
        for (int64_t ci = 0; ci < cg; ci++)
            for (int64_t o = 0; o < og; o++)
                for (int64_t q = 0; q < taps; q++) {
                    int64_t to = ((gi * cg + ci) * og + o) * taps + q;
                    int64_t from = ((gi * og + o) * cg + ci) * taps + taps - 1 - q;
                    if (t->f64)
                        ((double *)wt)[to] = ((const double *)w)[from];
                    else
                        ((float *)wt)[to] = ((const float *)w)[from];
                }
    int status = forward(t, gx, gy, wt, NULL);
    free(wt);
    return status;
}

int fg_conv2d(int op, int dtype, const int64_t *geometry_words, char *out, const char *a,
              const char *b, const char *bias)
{
    conv_geo g, t;
    int status = geometry(dtype, geometry_words, &g);
    if (status != FG_OK) return status;
    switch (op) {
    case FG_CONV_FORWARD:
        return forward(&g, out, a, b, bias);
    case FG_CONV_INPUT_GRAD:
        g.finite_w = !g.ext || all_finite(&g, b, g.o * g.k);
        if (flipped(&g, &t)) return input_grad_flipped(&t, out, a, b);
        return each_image(op, &g, out, a, b, NULL);
    case FG_CONV_WEIGHT_GRAD:
        if (g.wrows && g.nb == 1 && g.ow > 0 && g.og > 0) {
            g.rows = CONV_ROWS_BLOCK_BYTES / (g.ow * g.og * g.es);
            g.rows = g.rows < 1 ? 1 : g.rows > g.oh ? g.oh : g.rows;
        }
        return weight_grad(&g, out, a, b);
    default:
        return FG_EOP;
    }
}
