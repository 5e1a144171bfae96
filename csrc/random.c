/* Random numbers as torch's CPU generator makes them, value for value: its mt19937 engine (32-bit
 * draws; 64-bit draws from two), seeded and stored as torch seeds and stores it, and torch's
 * transforms of the draws into uniform, normal, integer, Bernoulli and exponential values, its
 * shuffle (randperm) and its multinomial sampling. Elements are drawn one after another in
 * memory order, as torch's serial TensorIterator loop draws them.
 *
 * Compiled with -ffp-contract=off (CMakeLists.txt): where torch's build fuses a multiply and an
 * add into one rounding, fma() says so; everywhere else each operation rounds, as in torch. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include "internal.h"

#define MT_N 624
#define MT_M 397
#define PI 3.14159265358979323846

/* ---- the engine: mt19937 (Matsumoto and Nishimura's init_genrand seeding) ------------------ */
void fg_rng_seed(fg_generator *g, uint64_t seed)
{
    g->seed = seed;
    g->state[0] = (uint32_t)seed;
    for (uint32_t j = 1; j < MT_N; j++)
        g->state[j] = 1812433253u * (g->state[j - 1] ^ (g->state[j - 1] >> 30)) + j;
    g->left = 1;
    g->next = 0;
    g->has_normal_double = g->has_normal_float = 0;
}

static uint32_t twist(uint32_t u, uint32_t v)
{
    uint32_t y = (u & 0x80000000u) | (v & 0x7fffffffu);
    return (y >> 1) ^ ((v & 1) ? 0x9908b0dfu : 0);
}

static void next_state(fg_generator *g)
{
    uint32_t *s = g->state;
    int j = 0;
    for (; j < MT_N - MT_M; j++) s[j] = s[j + MT_M] ^ twist(s[j], s[j + 1]);
    for (; j < MT_N - 1; j++) s[j] = s[j + MT_M - MT_N] ^ twist(s[j], s[j + 1]);
    s[MT_N - 1] = s[MT_M - 1] ^ twist(s[MT_N - 1], s[0]);
    g->left = MT_N;
    g->next = 0;
}

uint32_t fg_rng_random(fg_generator *g)
{
    if (--g->left == 0) next_state(g);
    uint32_t y = g->state[g->next++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

uint64_t fg_rng_random64(fg_generator *g)
{
    uint64_t hi = fg_rng_random(g);
    return (hi << 32) | fg_rng_random(g);
}

/* ---- torch's state bytes (CPUGeneratorImplState: its legacy POD, then the float cache) ----- */
typedef struct {
    uint64_t initial_seed;
    int32_t left, seeded;
    uint64_t next;
    uint64_t state[MT_N];
    double normal_x, normal_y, normal_rho;
    int32_t normal_is_valid;
} torch_legacy_state;

typedef struct {
    torch_legacy_state legacy;
    float next_float_normal;
    uint8_t float_normal_is_valid;
} torch_state;

_Static_assert(sizeof(torch_state) == FG_RNG_STATE_BYTES, "torch's CPU generator state layout");

void fg_rng_get_state(const fg_generator *g, uint8_t *out)
{
    torch_state t;
    memset(&t, 0, sizeof t); /* padding too: the bytes are compared */
    t.legacy.initial_seed = g->seed;
    t.legacy.left = g->left;
    t.legacy.seeded = 1;
    t.legacy.next = g->next;
    for (int j = 0; j < MT_N; j++) t.legacy.state[j] = g->state[j];
    t.legacy.normal_is_valid = g->has_normal_double;
    t.legacy.normal_y = g->has_normal_double ? g->normal_double : 0.0;
    t.float_normal_is_valid = (uint8_t)(g->has_normal_float != 0);
    t.next_float_normal = g->has_normal_float ? g->normal_float : 0.0f;
    memcpy(out, &t, sizeof t);
}

int fg_rng_set_state(fg_generator *g, const uint8_t *in, int64_t n)
{
    torch_state t;
    if (n != (int64_t)sizeof t) return FG_ESIZE;
    memcpy(&t, in, sizeof t);
    if (!t.legacy.seeded || t.legacy.left <= 0 || t.legacy.left > MT_N || t.legacy.next > MT_N)
        return FG_EOP;
    g->seed = t.legacy.initial_seed;
    g->left = t.legacy.left;
    g->next = (uint32_t)t.legacy.next;
    for (int j = 0; j < MT_N; j++) g->state[j] = (uint32_t)t.legacy.state[j];
    g->has_normal_double = t.legacy.normal_is_valid != 0;
    g->normal_double = t.legacy.normal_y;
    g->has_normal_float = t.float_normal_is_valid != 0;
    g->normal_float = t.next_float_normal;
    return FG_OK;
}

/* ---- the transforms of single draws -------------------------------------------------------- */
static float uniform_f32(fg_generator *g) /* 24 bits of a 32-bit draw: [0, 1) */
{
    return (float)(fg_rng_random(g) & ((1u << 24) - 1)) * (1.0f / (float)(1u << 24));
}

static double uniform_f64(fg_generator *g) /* 53 bits of a 64-bit draw: [0, 1) */
{
    return (double)(fg_rng_random64(g) & ((UINT64_C(1) << 53) - 1)) *
           (1.0 / (double)(UINT64_C(1) << 53));
}

/* torch's scalar Box-Muller in double: two values per pair of uniforms, the second kept for
 * the next call (and dropped by a new seed). */
static double normal_f64(fg_generator *g, double mean, double std)
{
    if (g->has_normal_double) {
        g->has_normal_double = 0;
        return fma(g->normal_double, std, mean);
    }
    double u1 = uniform_f64(g), u2 = uniform_f64(g);
    double r = sqrt(-2.0 * log1p(-u2)), theta = 2.0 * PI * u1;
    g->normal_double = r * sin(theta);
    g->has_normal_double = 1;
    return fma(r * cos(theta), std, mean);
}

/* ---- filling a tensor: one draw per element, in memory order ------------------------------ */
typedef struct {
    fg_generator *g;
    int kind;
    double a, b;          /* uniform: from, to; normal: mean, std; exponential: lambda; p */
    uint64_t range;       /* integers: [base, base + range), or the kind's fixed range */
    int64_t base;
} fill_ctx;

/* One value of `kind` as a double (exact for every integer the float dtypes hold) or int64. */
static double draw_real(const fill_ctx *c, int dtype)
{
    fg_generator *g = c->g;
    switch (c->kind) {
    case FG_RNG_UNIFORM:
        if (dtype == FG_FLOAT32) {
            float from = (float)c->a, to = (float)c->b;
            return fmaf(uniform_f32(g), to - from, from);
        }
        return fma(uniform_f64(g), c->b - c->a, c->a);
    case FG_RNG_NORMAL:
        return normal_f64(g, c->a, c->b);
    case FG_RNG_EXPONENTIAL:
        return -1.0 / c->a * log1p(-uniform_f64(g));
    default: /* FG_RNG_BERNOULLI */
        return uniform_f64(g) < c->a ? 1.0 : 0.0;
    }
}

static int64_t draw_int(const fill_ctx *c, int dtype)
{
    fg_generator *g = c->g;
    int wide = dtype == FG_INT64 || dtype == FG_FLOAT64 || dtype == FG_FLOAT32;
    switch (c->kind) {
    case FG_RNG_INT_RANGE: {
        uint64_t v = wide && c->range >= (UINT64_C(1) << 32) ? fg_rng_random64(g) : fg_rng_random(g);
        return (int64_t)(v % c->range + (uint64_t)c->base);
    }
    case FG_RNG_INT_FULL:
        return (int64_t)fg_rng_random64(g);
    default: /* FG_RNG_INT_DEFAULT: [0, 2^63) or [0, 2^mantissa] or {0, 1} */
        switch (dtype) {
        case FG_INT64: return (int64_t)(fg_rng_random64(g) % (UINT64_C(1) << 63));
        case FG_FLOAT64: return (int64_t)(fg_rng_random64(g) % ((UINT64_C(1) << 53) + 1));
        case FG_FLOAT32: return (int64_t)(fg_rng_random(g) % ((UINT64_C(1) << 24) + 1));
        default: return fg_rng_random(g) & 1;
        }
    }
}

static void store(int dtype, char *p, double real, int64_t integer, int is_int)
{
    switch (dtype) {
    case FG_BOOL: *(uint8_t *)p = is_int ? integer != 0 : real != 0; break;
    case FG_INT64: *(int64_t *)p = is_int ? integer : (int64_t)real; break;
    case FG_FLOAT32: *(float *)p = is_int ? (float)integer : (float)real; break;
    default: *(double *)p = is_int ? (double)integer : real; break;
    }
}

#define FILL_ROW(name, dtype)                                                                  \
    static void name(int64_t n, char **ptrs, const int64_t *strides, const void *ctx)          \
    {                                                                                          \
        const fill_ctx *c = ctx;                                                               \
        int is_int = c->kind >= FG_RNG_INT_RANGE;                                              \
        char *p = ptrs[0];                                                                     \
        for (int64_t i = 0; i < n; i++, p += strides[0])                                       \
            store(dtype, p, is_int ? 0.0 : draw_real(c, dtype), is_int ? draw_int(c, dtype) : 0, \
                  is_int);                                                                     \
    }
FILL_ROW(fill_bool, FG_BOOL)
FILL_ROW(fill_i64, FG_INT64)
FILL_ROW(fill_f32, FG_FLOAT32)
FILL_ROW(fill_f64, FG_FLOAT64)

/* The dims of operand 0 from its largest stride to its smallest (stable): iterated row-major,
 * that is memory order, the order torch's TensorIterator gives a serial loop. */
static void memory_order(int nops, int ndim, const int64_t *shape, const int64_t *strides,
                         int64_t *oshape, int64_t *ostrides)
{
    int order[FG_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        int k = d;
        while (k > 0 && llabs(strides[order[k - 1]]) < llabs(strides[d])) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = d;
    }
    for (int d = 0; d < ndim; d++) {
        oshape[d] = shape[order[d]];
        for (int op = 0; op < nops; op++) ostrides[op * ndim + d] = strides[op * ndim + order[d]];
    }
}

static int geometry_in_memory_order(fg_geometry *g, int nops, int ndim, const int64_t *shape,
                                    const int64_t *strides)
{
    if (ndim < 0 || ndim > FG_MAX_DIMS) return FG_EDIMS;
    int64_t oshape[FG_MAX_DIMS], ostrides[2 * FG_MAX_DIMS];
    memory_order(nops, ndim, shape, strides, oshape, ostrides);
    return fg_geometry_init(g, nops, ndim, oshape, ostrides);
}

/* ---- torch's vectorised normal: 16 uniforms at a time become 16 normals -------------------- */
/* float32 goes through torch's AVX2 kernel, whose log and sincos are Cephes's single-precision
 * polynomials (avx_mathfun.h); these are the same operations in the same order, one lane, with
 * the multiply-adds that torch's compiler fuses (found by matching torch's output) fused. */
static float cephes_logf(float x) /* x in (0, 1] */
{
    static const float p[9] = {(float)7.0376836292E-2, (float)-1.1514610310E-1,
                               (float)1.1676998740E-1, (float)-1.2420140846E-1,
                               (float)1.4249322787E-1, (float)-1.6668057665E-1,
                               (float)2.0000714765E-1, (float)-2.4999993993E-1,
                               (float)3.3333331174E-1};
    uint32_t bits;
    x = x > FLT_MIN ? x : FLT_MIN;
    memcpy(&bits, &x, sizeof bits);
    float e = (float)((int32_t)(bits >> 23) - 0x7f) + 1.0f;
    bits = (bits & ~0x7f800000u) | 0x3f000000u; /* the mantissa, in [0.5, 1) */
    memcpy(&x, &bits, sizeof x);
    int below = x < (float)0.707106781186547524;
    float tmp = below ? x : 0.0f;
    x = x - 1.0f;
    e = e - (below ? 1.0f : 0.0f);
    x = x + tmp;
    float z = x * x, y = p[0];
    for (int i = 1; i < 9; i++) y = fmaf(y, x, p[i]);
    y = y * x;
    y = fmaf(y, z, e * (float)-2.12194440e-4);
    y = fmaf(-z, 0.5f, y);
    return fmaf(e, 0.693359375f, x + y);
}

static void cephes_sincosf(float x, float *s, float *c) /* x >= 0 */
{
    int32_t j = (int32_t)(x * (float)1.27323954473516); /* 4 / pi */
    j = (j + 1) & ~1;
    float y = (float)j;
    int sin_negative = (j & 4) != 0, cos_negative = (~(j - 2) & 4) != 0, sin_poly = (j & 2) == 0;
    x = fmaf(y, -0.78515625f, x); /* x - y * pi/4, in three parts */
    x = fmaf(y, (float)-2.4187564849853515625e-4, x);
    x = fmaf(y, (float)-3.77489497744594108e-8, x);
    float z = x * x;
    float yc = fmaf((float)2.443315711809948E-005, z, (float)-1.388731625493765E-003);
    yc = fmaf(yc, z, (float)4.166664568298827E-002);
    yc = fmaf(yc * z, z, -(z * 0.5f)) + 1.0f;
    float ys = fmaf((float)-1.9515295891E-4, z, (float)8.3321608736E-3);
    ys = fmaf(ys, z, (float)-1.6666654611E-1);
    ys = fmaf(ys * z, x, x);
    float sv = sin_poly ? ys : yc, cv = sin_poly ? yc : ys;
    *s = sin_negative ? -sv : sv;
    *c = cos_negative ? -cv : cv;
}

static void normal16_f32(float *d, float mean, float std)
{
    for (int j = 0; j < 8; j++) {
        float radius = sqrtf(-2.0f * cephes_logf(1.0f - d[j]));
        float theta = (float)(2.0 * PI) * d[j + 8], s, c;
        cephes_sincosf(theta, &s, &c);
        d[j] = fmaf(radius * c, std, mean);
        d[j + 8] = fmaf(radius * s, std, mean);
    }
}

static void normal16_f64(double *d, double mean, double std)
{
    for (int j = 0; j < 8; j++) {
        double radius = sqrt(-2 * log(1 - d[j])), theta = 2.0 * PI * d[j + 8];
        d[j] = fma(radius * cos(theta), std, mean);
        d[j + 8] = fma(radius * sin(theta), std, mean);
    }
}

/* n >= 16 contiguous: n uniforms, normals 16 at a time; a partial last block is redone with
 * 16 fresh uniforms over the last 16 elements. */
#define NORMAL_FILL(name, T, uniform, block)                                                  \
    static void name(fg_generator *g, T *d, int64_t n, T mean, T std)                         \
    {                                                                                          \
        for (int64_t i = 0; i < n; i++) d[i] = uniform(g);                                     \
        for (int64_t i = 0; i + 16 <= n; i += 16) block(d + i, mean, std);                     \
        if (n % 16) {                                                                          \
            for (int64_t i = n - 16; i < n; i++) d[i] = uniform(g);                            \
            block(d + n - 16, mean, std);                                                      \
        }                                                                                      \
    }
NORMAL_FILL(normal_fill_f32, float, uniform_f32, normal16_f32)
NORMAL_FILL(normal_fill_f64, double, uniform_f64, normal16_f64)

static int is_contiguous(int dtype, int ndim, const int64_t *shape, const int64_t *strides)
{
    int64_t expected = fg_dtype_size(dtype);
    for (int d = ndim - 1; d >= 0; d--) {
        if (shape[d] != 1 && strides[d] != expected) return 0;
        expected *= shape[d];
    }
    return 1;
}

int fg_rng_fill(fg_generator *g, int kind, int dtype, int ndim, const int64_t *shape,
                const int64_t *strides, char *out, double a, double b, uint64_t range,
                int64_t base)
{
    static const fg_row_fn rows[4] = {fill_bool, fill_i64, fill_f32, fill_f64};
    if (!FG_VALID_DTYPE(dtype)) return FG_EDTYPE;
    if (kind < FG_RNG_UNIFORM || kind > FG_RNG_INT_DEFAULT) return FG_EOP;
    if (kind == FG_RNG_INT_RANGE && range == 0) return FG_EOP;
    int status = fg_check_sizes(1, ndim, shape, strides);
    if (status != FG_OK) return status;
    fg_geometry geo;
    status = geometry_in_memory_order(&geo, 1, ndim, shape, strides);
    if (status != FG_OK) return status;
    int64_t n = fg_geometry_numel(&geo);
    if (kind == FG_RNG_NORMAL && n >= 16 && dtype >= FG_FLOAT32 &&
        is_contiguous(dtype, ndim, shape, strides)) {
        if (dtype == FG_FLOAT32)
            normal_fill_f32(g, (float *)out, n, (float)a, (float)b);
        else
            normal_fill_f64(g, (double *)out, n, a, b);
        return FG_OK;
    }
    fill_ctx c = {g, kind, a, b, range, base};
    fg_iterate(&geo, &out, rows[dtype], &c, 0);
    return FG_OK;
}

/* ---- Bernoulli with a probability per element ---------------------------------------------- */
/* A double p compares a 53-bit uniform; a float p a 24-bit one, in float. */
typedef struct {
    fg_generator *g;
    int dtype, p_dtype;
    int bad; /* a p outside [0, 1] (or NaN) was met: nothing more is drawn */
} bernoulli_ctx;

static void bernoulli_row(int64_t n, char **ptrs, const int64_t *strides, const void *ctx)
{
    bernoulli_ctx *c = (bernoulli_ctx *)ctx;
    char *o = ptrs[0];
    const char *p = ptrs[1];
    for (int64_t i = 0; i < n && !c->bad; i++, o += strides[0], p += strides[1]) {
        double pv = c->p_dtype == FG_FLOAT64 ? *(const double *)p : *(const float *)p;
        if (!(pv >= 0 && pv <= 1)) {
            c->bad = 1;
            return;
        }
        int hit = c->p_dtype == FG_FLOAT64 ? uniform_f64(c->g) < pv
                                           : uniform_f32(c->g) < (float)pv;
        store(c->dtype, o, hit, hit, 1);
    }
}

int fg_rng_bernoulli(fg_generator *g, int dtype, int p_dtype, int ndim, const int64_t *shape,
                     const int64_t *strides, char *out, const char *p)
{
    if (!FG_VALID_DTYPE(dtype) || (p_dtype != FG_FLOAT32 && p_dtype != FG_FLOAT64))
        return FG_EDTYPE;
    int status = fg_check_sizes(2, ndim, shape, strides);
    if (status != FG_OK) return status;
    fg_geometry geo;
    status = geometry_in_memory_order(&geo, 2, ndim, shape, strides);
    if (status != FG_OK) return status;
    char *ptrs[2] = {out, (char *)p};
    bernoulli_ctx c = {g, dtype, p_dtype, 0};
    fg_iterate(&geo, ptrs, bernoulli_row, &c, 0);
    return c.bad ? FG_EINDEX : FG_OK;
}

/* ---- randperm ------------------------------------------------------------------------------ */
int fg_rng_randperm(fg_generator *g, int dtype, int64_t n, char *out)
{
    if (dtype == FG_BOOL || !FG_VALID_DTYPE(dtype)) return FG_EDTYPE;
    if (n < 0) return FG_ESIZE;
    int64_t *r = fg_alloc(n ? n : 1, sizeof(int64_t));
    if (!r) return FG_ENOMEM;
    if (n < (int64_t)(UINT32_MAX / 20)) { /* torch's swap shuffle with 32-bit draws */
        for (int64_t i = 0; i < n; i++) r[i] = i;
        for (int64_t i = 0; i + 1 < n; i++) {
            int64_t z = (int64_t)(fg_rng_random(g) % (uint64_t)(n - i)), sav = r[i];
            r[i] = r[z + i];
            r[z + i] = sav;
        }
    } else { /* inside-out Fisher-Yates with 64-bit draws */
        for (int64_t i = 0; i < n; i++) {
            int64_t z = (int64_t)(fg_rng_random64(g) % (uint64_t)(i + 1));
            r[i] = r[z];
            r[z] = i;
        }
    }
    int size = fg_dtype_size(dtype);
    for (int64_t i = 0; i < n; i++) store(dtype, out + i * size, 0.0, r[i], 1);
    free(r);
    return FG_OK;
}

/* ---- multinomial --------------------------------------------------------------------------- */
#define P_AT(dtype, p, i, j, s)                                                                \
    ((dtype) == FG_FLOAT32 ? (double)*(const float *)((p) + (i) * (s)[0] + (j) * (s)[1])     \
                           : *(const double *)((p) + (i) * (s)[0] + (j) * (s)[1]))

/* With replacement: the row's cumulative sums (in its dtype) divided by the total, and a binary
 * search for each 53-bit uniform. */
static int with_replacement(fg_generator *g, int dtype, int64_t rows, int64_t cats,
                            const int64_t *s, const char *p, int64_t n_sample, int64_t *out,
                            double *cum)
{
    for (int64_t i = 0; i < rows; i++) {
        double sum = 0;
        for (int64_t j = 0; j < cats; j++) {
            double v = P_AT(dtype, p, i, j, s);
            if (!(v >= 0)) return FG_RNG_BAD_NEGATIVE; /* NaN too, as torch */
            if (isinf(v)) return FG_RNG_BAD_NOT_FINITE;
            sum = dtype == FG_FLOAT32 ? (double)((float)sum + (float)v) : sum + v;
            cum[j] = sum;
        }
        if (!(sum > 0)) return FG_RNG_BAD_SUM;
        for (int64_t j = 0; j < cats; j++)
            cum[j] = dtype == FG_FLOAT32 ? (double)((float)cum[j] / (float)sum) : cum[j] / sum;
        cum[cats - 1] = 1;
        for (int64_t k = 0; k < n_sample; k++) {
            double u = uniform_f64(g);
            int64_t left = 0, right = cats;
            while (right > left) {
                int64_t mid = left + (right - left) / 2;
                if (cum[mid] < u) left = mid + 1;
                else right = mid;
            }
            out[i * n_sample + k] = left;
        }
    }
    return FG_OK;
}

typedef struct {
    double key;
    int64_t index;
} keyed;

static int by_key_descending(const void *a, const void *b) /* ties: the lower index first */
{
    const keyed *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Without replacement (and torch's path for a single sample): the n largest of p / q with q
 * exponential draws (the Gumbel trick), q drawn in p's memory order, divided in p's dtype. */
static int without_replacement(fg_generator *g, int dtype, int64_t rows, int64_t cats,
                               const int64_t *s, const char *p, int64_t n_sample, int64_t *out,
                               double *key, keyed *sorted)
{
    for (int64_t i = 0; i < rows; i++) {
        double sum = 0;
        for (int64_t j = 0; j < cats; j++) {
            double v = P_AT(dtype, p, i, j, s);
            if (!(v >= 0) || isinf(v)) return FG_RNG_BAD_ANY;
            sum += v;
        }
        if (sum == 0) return FG_RNG_BAD_SUM;
    }
    int column_major = rows > 1 && cats > 1 && llabs(s[1]) > llabs(s[0]);
    for (int64_t a = 0; a < rows * cats; a++) {
        int64_t i = column_major ? a % rows : a / cats, j = column_major ? a / rows : a % cats;
        double q = -log1p(-uniform_f64(g));
        if (dtype == FG_FLOAT32) key[i * cats + j] = (float)P_AT(dtype, p, i, j, s) / (float)q;
        else key[i * cats + j] = P_AT(dtype, p, i, j, s) / q;
    }
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t j = 0; j < cats; j++) sorted[j] = (keyed){key[i * cats + j], j};
        qsort(sorted, (size_t)cats, sizeof *sorted, by_key_descending);
        for (int64_t k = 0; k < n_sample; k++) out[i * n_sample + k] = sorted[k].index;
    }
    return FG_OK;
}

int fg_rng_multinomial(fg_generator *g, int dtype, int64_t rows, int64_t cats,
                       const int64_t *strides, const char *p, int64_t n_sample, int replacement,
                       int64_t *out, int *bad)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    if (rows < 0 || cats <= 0 || n_sample <= 0 || (!replacement && n_sample > cats))
        return FG_ESIZE;
    double *work = fg_alloc(rows * cats + cats, sizeof(double));
    keyed *sorted = fg_alloc(cats, sizeof(keyed));
    int status = FG_ENOMEM, why = 0;
    if (work && sorted) {
        why = replacement && n_sample > 1
                  ? with_replacement(g, dtype, rows, cats, strides, p, n_sample, out, work)
                  : without_replacement(g, dtype, rows, cats, strides, p, n_sample, out, work,
                                        sorted);
        status = FG_OK;
    }
    free(work);
    free(sorted);
    if (status != FG_OK || why == 0) return status;
    *bad = why;
    return FG_EINDEX;
}
