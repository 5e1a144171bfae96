/* 2-d pooling over (N, C, H, W) planes: max (with torch's flat argmax indices), average and
 * adaptive average and max, forward and backward. The 1-d forms are the case H = 1. Each plane
 * is independent, so threads split the N * C planes. The windows follow torch's CPU kernels
 * (aten/src/ATen/native/cpu/{MaxPool,AvgPool,AdaptiveAvgPool}Kernel.cpp), so sums are taken in
 * the same order and divided as torch divides them. */
#include <math.h>

#include "internal.h"

enum { N_, C_, H_, W_, OH_, OW_, KH_, KW_, SH_, SW_, PH_, PW_, DH_, DW_, INCLUDE_PAD_, DIVISOR_,
       GEOM_WORDS };

typedef struct {
    const int64_t *g;
    const int64_t *s; /* the operands' 4 byte strides each, in the call's order */
    char *a;          /* out or gx */
    char *b;          /* indices (max) or NULL */
    const char *c;    /* x or g */
} pool_args;

/* One output position's window along one axis: [lo, hi) stepping by step (max pooling's
 * dilation; 1 otherwise), and for average pooling the window's size counting the padding. */
typedef struct {
    int64_t lo, hi, step, padded;
} window;

/* torch's adaptive windows: [floor(o * in / out), ceil((o + 1) * in / out)), written so that
 * nothing overflows (Pool.h's start_index and end_index). */
static window adaptive_window(int64_t o, int64_t in, int64_t out)
{
    window w = {(o / out) * in + ((o % out) * in) / out, 1 + ((o + 1) * in - 1) / out, 1, 0};
    w.padded = w.hi - w.lo;
    return w;
}

/* The window of output position o along one axis: in (input size), k, s, p, d. */
static window pool_window(int op, int64_t o, int64_t out, int64_t in, int64_t k, int64_t s,
                          int64_t p, int64_t d)
{
    if (op == FG_POOL_ADAPTIVE_AVG || op == FG_POOL_ADAPTIVE_MAX) return adaptive_window(o, in, out);
    int64_t lo = o * s - p;
    if (op == FG_POOL_MAX) { /* the first tap inside the input, then every d-th up to k taps */
        int64_t hi = lo + (k - 1) * d + 1;
        if (lo < 0) lo += (-lo + d - 1) / d * d;
        return (window){lo, hi < in ? hi : in, d, 0};
    }
    int64_t hi = lo + k < in + p ? lo + k : in + p;
    window w = {lo, hi, 1, hi - lo};
    if (w.lo < 0) w.lo = 0;
    if (w.hi > in) w.hi = in;
    return w;
}

static int is_max(int op) { return op == FG_POOL_MAX || op == FG_POOL_ADAPTIVE_MAX; }

/* The divisor of an average over the window wh x ww (AvgPoolKernel.cpp's divide_factor). */
static int64_t avg_divisor(const int64_t *g, window wh, window ww)
{
    if (g[DIVISOR_]) return g[DIVISOR_];
    return g[INCLUDE_PAD_] ? wh.padded * ww.padded : (wh.hi - wh.lo) * (ww.hi - ww.lo);
}

/* The element of type T at byte offset off from p, and its store. */
#define AT(T, p, off) LOAD(T, (p) + (off), 0, 0)
#define PUT(T, p, off, value) STORE(T, (p) + (off), 0, 0, value)

#define POOL_FORWARD(T, SUFFIX, LOWEST)                                                        \
    /* One plane forward: operands out, indices, x. */                                         \
    static void FG_CAT(pool_plane, SUFFIX)(int op, const pool_args *a, int64_t n, int64_t c)   \
    {                                                                                          \
        const int64_t *g = a->g, *so = a->s, *si = a->s + 4, *sx = a->s + 8;                   \
        char *out = a->a + n * so[0] + c * so[1];                                              \
        char *ind = a->b ? a->b + n * si[0] + c * si[1] : NULL;                                \
        const char *x = a->c + n * sx[0] + c * sx[1];                                          \
        for (int64_t oh = 0; oh < g[OH_]; oh++) {                                              \
            window wh = pool_window(op, oh, g[OH_], g[H_], g[KH_], g[SH_], g[PH_], g[DH_]);    \
            for (int64_t ow = 0; ow < g[OW_]; ow++) {                                          \
                window ww = pool_window(op, ow, g[OW_], g[W_], g[KW_], g[SW_], g[PW_], g[DW_]);\
                char *o = out + oh * so[2] + ow * so[3];                                       \
                if (is_max(op)) {                                                              \
                    T best = LOWEST;                                                     \
                    int64_t at = wh.lo * g[W_] + ww.lo;                                        \
                    for (int64_t h = wh.lo; h < wh.hi; h += wh.step)                           \
                        for (int64_t w = ww.lo; w < ww.hi; w += ww.step) {                     \
                            T v = AT(T, x, h * sx[2] + w * sx[3]);                        \
                            if (v > best || v != v) { /* NaN wins, 1, the last one: torch's */    \
                                best = v;                                                      \
                                at = h * g[W_] + w;                                            \
                            }                                                                  \
                        }                                                                      \
                    PUT(T, o, 0, best);                                                   \
                    if (ind) PUT(int64_t, ind, oh * si[2] + ow * si[3], at);              \
                    continue;                                                                  \
                }                                                                              \
                T sum = 0;                                                                     \
                for (int64_t h = wh.lo; h < wh.hi; h++)                                        \
                    for (int64_t w = ww.lo; w < ww.hi; w++)                                    \
                        sum += AT(T, x, h * sx[2] + w * sx[3]);                           \
                if (op == FG_POOL_ADAPTIVE_AVG)                                                \
                    sum = sum / (T)(wh.hi - wh.lo) / (T)(ww.hi - ww.lo);                       \
                else if (wh.lo >= wh.hi || ww.lo >= ww.hi)                                     \
                    sum = 0;                                                                   \
                else                                                                           \
                    sum = sum / (T)avg_divisor(g, wh, ww);                                     \
                PUT(T, o, 0, sum);                                                        \
            }                                                                                  \
        }                                                                                      \
    }

#define POOL_BACKWARD(T, SUFFIX)                                                               \
    /* One plane backward: operands gx, g, indices; gx's plane is zeroed first. */             \
    static void FG_CAT(pool_backward_plane, SUFFIX)(int op, const pool_args *a, int64_t n,     \
                                                    int64_t c)                                 \
    {                                                                                          \
        const int64_t *g = a->g, *sx = a->s, *sg = a->s + 4, *si = a->s + 8;                   \
        char *gx = a->a + n * sx[0] + c * sx[1];                                               \
        const char *gp = a->c + n * sg[0] + c * sg[1];                                         \
        const char *ind = a->b ? a->b + n * si[0] + c * si[1] : NULL;                          \
        for (int64_t h = 0; h < g[H_]; h++)                                                    \
            for (int64_t w = 0; w < g[W_]; w++) PUT(T, gx, h * sx[2] + w * sx[3], 0);     \
        for (int64_t oh = 0; oh < g[OH_]; oh++) {                                              \
            window wh = pool_window(op, oh, g[OH_], g[H_], g[KH_], g[SH_], g[PH_], g[DH_]);    \
            for (int64_t ow = 0; ow < g[OW_]; ow++) {                                          \
                T d = AT(T, gp, oh * sg[2] + ow * sg[3]);                                 \
                if (is_max(op)) { /* indices checked in range before any plane runs */         \
                    int64_t at = AT(int64_t, ind, oh * si[2] + ow * si[3]);               \
                    int64_t h = at / g[W_], w = at % g[W_];                                    \
                    char *p = gx + h * sx[2] + w * sx[3];                                      \
                    PUT(T, p, 0, AT(T, p, 0) + d);                                   \
                    continue;                                                                  \
                }                                                                              \
                window ww = pool_window(op, ow, g[OW_], g[W_], g[KW_], g[SW_], g[PW_], g[DW_]);\
                if (op == FG_POOL_ADAPTIVE_AVG)                                                \
                    d = d / (T)(wh.hi - wh.lo) / (T)(ww.hi - ww.lo);                           \
                else if (wh.lo >= wh.hi || ww.lo >= ww.hi)                                     \
                    continue;                                                                  \
                else                                                                           \
                    d = d / (T)avg_divisor(g, wh, ww);                                         \
                for (int64_t h = wh.lo; h < wh.hi; h++)                                        \
                    for (int64_t w = ww.lo; w < ww.hi; w++) {                                  \
                        char *p = gx + h * sx[2] + w * sx[3];                                  \
                        PUT(T, p, 0, AT(T, p, 0) + d);                               \
                    }                                                                          \
            }                                                                                  \
        }                                                                                      \
    }

POOL_FORWARD(float, f32, -INFINITY)
POOL_FORWARD(double, f64, -INFINITY)
POOL_FORWARD(int64_t, i64, INT64_MIN) /* max pooling only: averages are of floats here */
POOL_BACKWARD(float, f32)
POOL_BACKWARD(double, f64)

typedef void (*plane_fn)(int op, const pool_args *a, int64_t n, int64_t c);

/* Runs fn over every (n, c) plane, threads splitting them when the work pays for them. */
static void run_planes(plane_fn fn, int op, const pool_args *a, int64_t work)
{
    int64_t planes = a->g[N_] * a->g[C_];
#ifdef _OPENMP
    int threads = fg_threads();
    if (threads > 1 && planes > 1 && work >= FG_PARALLEL_MIN) {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t i = 0; i < planes; i++) fn(op, a, i / a->g[C_], i % a->g[C_]);
        return;
    }
#endif
    (void)work;
    for (int64_t i = 0; i < planes; i++) fn(op, a, i / a->g[C_], i % a->g[C_]);
}

/* FG_ESIZE unless the sizes are non-negative, the windows' parameters positive (padding
 * non-negative) and every operand's extent fits: shapes (N, C, H, W) for the input side and
 * (N, C, OH, OW) for the output side; `input_side` says which operands are which. */
static int check_geometry(int op, const int64_t *g, const int64_t *strides, int nops,
                          const int *input_side)
{
    if (op < FG_POOL_MAX || op > FG_POOL_ADAPTIVE_MAX) return FG_EOP;
    for (int k = 0; k < DIVISOR_; k++) /* a divisor override may be negative, as in torch */
        if (g[k] < 0) return FG_ESIZE;
    if (op == FG_POOL_MAX || op == FG_POOL_AVG)
        if (g[KH_] < 1 || g[KW_] < 1 || g[SH_] < 1 || g[SW_] < 1 || g[DH_] < 1 || g[DW_] < 1)
            return FG_ESIZE;
    int64_t in_shape[4] = {g[N_], g[C_], g[H_], g[W_]}, out_shape[4] = {g[N_], g[C_], g[OH_], g[OW_]};
    for (int k = 0; k < nops; k++) {
        int status = fg_check_sizes(1, 4, input_side[k] ? in_shape : out_shape, strides + 4 * k);
        if (status != FG_OK) return status;
    }
    int adaptive = op == FG_POOL_ADAPTIVE_AVG || op == FG_POOL_ADAPTIVE_MAX;
    int64_t in_planes = g[H_] * g[W_], out_planes = g[N_] * g[C_] * g[OH_] * g[OW_]; /* fit */
    if (adaptive && in_planes == 0 && out_planes > 0) return FG_ESIZE; /* empty windows */
    return FG_OK;
}

static const plane_fn forward_planes[FG_NUM_DTYPES] = {
    [FG_INT64] = pool_plane_i64, [FG_FLOAT32] = pool_plane_f32, [FG_FLOAT64] = pool_plane_f64};

int fg_pool2d(int op, int dtype, const int64_t *geom, const int64_t *strides, char *out,
              char *indices, const char *x)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64 && !(dtype == FG_INT64 && op == FG_POOL_MAX))
        return FG_EDTYPE;
    static const int sides[3] = {0, 0, 1};
    int status = check_geometry(op, geom, strides, 3, sides);
    if (status != FG_OK) return status;
    pool_args a = {geom, strides, out, is_max(op) ? indices : NULL, x};
    int64_t work = geom[N_] * geom[C_] * (geom[H_] * geom[W_] + geom[OH_] * geom[OW_]);
    run_planes(forward_planes[dtype], op, &a, work);
    return FG_OK;
}

int fg_pool2d_backward(int op, int dtype, const int64_t *geom, const int64_t *strides, char *gx,
                       const char *g, const char *indices, int64_t *bad)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    static const int sides[3] = {1, 0, 0};
    int status = check_geometry(op, geom, strides, is_max(op) ? 3 : 2, sides);
    if (status != FG_OK) return status;
    if (is_max(op)) { /* every index in its plane, before anything is written */
        fg_geometry gi;
        int64_t shape[4] = {geom[N_], geom[C_], geom[OH_], geom[OW_]};
        status = fg_geometry_init(&gi, 1, 4, shape, strides + 8);
        if (status != FG_OK) return status;
        status = fg_check_indices(&gi, indices, 0, geom[H_] * geom[W_], NULL, bad, NULL);
        if (status != FG_OK) return status;
    }
    pool_args a = {geom, strides, gx, is_max(op) ? (char *)indices : NULL, g};
    int64_t work = geom[N_] * geom[C_] * (geom[H_] * geom[W_] + geom[OH_] * geom[OW_]);
    run_planes(dtype == FG_FLOAT32 ? pool_backward_plane_f32 : pool_backward_plane_f64, op, &a,
               work);
    return FG_OK;
}
