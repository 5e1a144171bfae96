/* 2-d convolution (conv1d is its height-1 case): the forward, the input gradient and the weight
 * gradient, each as im2col packing plus the library's matrix product (gemm.h), per image and
 * group:
 *   forward      y[n, g]  = W[g] (Og x K) @ col(x[n, g]) (K x P)
 *   input grad   gx[n, g] = col2im(W[g]^T (K x Og) @ gy[n, g] (Og x P))
 *   weight grad  gW[g]   += gy[n, g] (Og x P) @ col(x[n, g])^T (P x K)
 * with K = Cg * KH * KW the rows of a column matrix and P = OH * OW its columns. A 1x1 kernel
 * with unit stride and no padding needs no packing: x is its own column matrix. Images are
 * independent in the first two, so threads split the batch (each product then single-threaded);
 * the weight gradient sums over images in order, the product threading itself, so its bits do
 * not depend on the thread count. */
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
} conv_geo;

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

/* The column matrix (K x P, contiguous) of one image's group of channels x (Cg x H x W). */
static void im2col(const conv_geo *g, const char *x, char *col)
{
    const int64_t es = g->es, taps = g->kh * g->kw;
    for (int64_t r = 0; r < g->k; r++) {
        int64_t ci = r / taps, ky = r % taps / g->kw, kx = r % g->kw;
        const char *plane = x + ci * g->h * g->w * es;
        int64_t off = kx * g->dw - g->pw, lo, hi;
        valid_range(g->w, off, g->sw, g->ow, &lo, &hi);
        for (int64_t oy = 0; oy < g->oh; oy++) {
            char *dst = col + (r * g->p + oy * g->ow) * es;
            int64_t ih = oy * g->sh - g->ph + ky * g->dh;
            if (ih < 0 || ih >= g->h || hi == lo) {
                memset(dst, 0, g->ow * es);
                continue;
            }
            memset(dst, 0, lo * es);
            memset(dst + hi * es, 0, (g->ow - hi) * es);
            const char *src = plane + (ih * g->w + off) * es;
            if (g->sw == 1)
                memcpy(dst + lo * es, src + lo * es, (hi - lo) * es);
            else if (g->f64)
                for (int64_t ox = lo; ox < hi; ox++)
                    ((double *)dst)[ox] = ((const double *)src)[ox * g->sw];
            else
                for (int64_t ox = lo; ox < hi; ox++)
                    ((float *)dst)[ox] = ((const float *)src)[ox * g->sw];
        }
    }
}

/* Adds the column matrix col (K x P) back into one image's group of channels gx (Cg x H x W):
 * the transpose of im2col. */
#define COL2IM(T)                                                                              \
    static void col2im_##T(const conv_geo *g, const T *col, T *gx)                             \
    {                                                                                          \
        const int64_t taps = g->kh * g->kw;                                                    \
        for (int64_t r = 0; r < g->k; r++) {                                                   \
            int64_t ci = r / taps, ky = r % taps / g->kw, kx = r % g->kw;                      \
            T *plane = gx + ci * g->h * g->w;                                                  \
            int64_t off = kx * g->dw - g->pw, lo, hi;                                          \
            valid_range(g->w, off, g->sw, g->ow, &lo, &hi);                                    \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                           \
                int64_t ih = oy * g->sh - g->ph + ky * g->dh;                                  \
                if (ih < 0 || ih >= g->h) continue;                                            \
                const T *src = col + r * g->p + oy * g->ow;                                    \
                T *dst = plane + ih * g->w + off;                                              \
                for (int64_t ox = lo; ox < hi; ox++) dst[ox * g->sw] += src[ox];               \
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

/* Each row o of y (Og x P) set to bias[o]. */
static void fill_bias(const conv_geo *g, char *y, const char *bias)
{
    for (int64_t o = 0; o < g->og; o++) {
        char *row = y + o * g->p * g->es;
        if (g->f64)
            for (int64_t j = 0; j < g->p; j++) ((double *)row)[j] = ((const double *)bias)[o];
        else
            for (int64_t j = 0; j < g->p; j++) ((float *)row)[j] = ((const float *)bias)[o];
    }
}

/* One image of the forward (op 0) or the input gradient (op 1); col is K x P scratch. */
static int one_image(int op, const conv_geo *g, int64_t i, char *out, const char *a,
                     const char *w, const char *bias, char *col)
{
    const int64_t es = g->es, in_image = g->c * g->h * g->w, out_image = g->o * g->p;
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const char *wg = w + gi * g->og * g->k * es;
        int64_t x_at = (i * in_image + gi * g->cg * g->h * g->w) * es;
        int64_t y_at = (i * out_image + gi * g->og * g->p) * es;
        int status;
        if (op == FG_CONV_FORWARD) {
            const char *cols = a + x_at;
            if (!g->direct) im2col(g, cols, col), cols = col;
            if (bias) fill_bias(g, out + y_at, bias + gi * g->og * es);
            status = gemm(g, g->og, g->p, g->k, wg, g->k, 1, cols, g->p, 1, out + y_at, g->p,
                          bias != NULL);
        } else {
            char *target = g->direct ? out + x_at : col;
            status = gemm(g, g->k, g->p, g->og, wg, 1, g->k, a + y_at, g->p, 1, target, g->p, 0);
            if (status == FG_OK && !g->direct) {
                memset(out + x_at, 0, g->cg * g->h * g->w * es);
                if (g->f64)
                    col2im_double(g, (const double *)col, (double *)(out + x_at));
                else
                    col2im_float(g, (const float *)col, (float *)(out + x_at));
            }
        }
        if (status != FG_OK) return status;
    }
    return FG_OK;
}

/* The forward or the input gradient over the batch: threads take whole images when there are
 * enough of them and enough work, else the products thread themselves. */
static int each_image(int op, const conv_geo *g, char *out, const char *a, const char *w,
                      const char *bias)
{
    double flops = 2.0 * g->n * g->o * g->p * g->k;
    int threads = fg_threads();
    if (threads > g->n) threads = (int)g->n;
    if (flops < 4 * 2097152.0) threads = 1;
    int status = FG_OK;
#pragma omp parallel num_threads(threads > 1 ? threads : 1)
    {
        char *col = g->direct ? NULL : fg_alloc(g->k * g->p + 1, g->es); /* + 1: never 0 */
        int mine = g->direct || col ? FG_OK : FG_ENOMEM;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < g->n; i++)
            if (mine == FG_OK) mine = one_image(op, g, i, out, a, w, bias, col);
        free(col);
        if (mine != FG_OK) {
#pragma omp critical
            status = mine;
        }
    }
    return status;
}

/* gW[g] = sum over images of gy[n, g] @ col(x[n, g])^T, images in order. */
static int weight_grad(const conv_geo *g, char *gw, const char *x, const char *gy)
{
    const int64_t es = g->es;
    memset(gw, 0, g->o * g->k * es);
    char *col = g->direct ? NULL : fg_alloc(g->k * g->p + 1, es);
    if (!g->direct && !col) return FG_ENOMEM;
    int status = FG_OK;
    for (int64_t i = 0; i < g->n && status == FG_OK; i++)
        for (int64_t gi = 0; gi < g->groups && status == FG_OK; gi++) {
            const char *cols = x + (i * g->c + gi * g->cg) * g->h * g->w * es;
            if (!g->direct) im2col(g, cols, col), cols = col;
            status = gemm(g, g->og, g->k, g->p, gy + (i * g->o + gi * g->og) * g->p * es, g->p, 1,
                          cols, 1, g->p, gw + gi * g->og * g->k * es, g->k, 1);
        }
    free(col);
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
