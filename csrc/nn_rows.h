/* The softmax, log-softmax and cross-entropy rows of nn.c, written once and included by nn.c
 * once per element type. Not a header to include anywhere else. The includer defines:
 *   FG_T          element type (float or double)
 *   FG_SFX        name suffix (f32 or f64)
 *   FG_MATH(name) the C library's function of that type (expf or exp)
 *   FG_VEC(name)  vecmath.h's, for loops that vectorize (FG_F32_exp or FG_F64_exp)
 * and nn.c's helpers (axis_walk, AT, LANES, CHUNK, ALWAYS_INLINE) and internal.h's FG_CAT.
 * Everything defined here is undefined again at the end. */

#define ID(name) FG_CAT(name, FG_SFX)
#define T FG_T

/* the largest element of a row of k >= 1 (NaN if any is, as torch), in LANES running
 * maxima and NaN flags, which the compiler keeps in vectors (one running max is a chain,
 * and MAX_OF's NaN test a branch) */
static inline ALWAYS_INLINE T ID(row_max_body)(const char *x, int64_t k, int64_t sx)
{
    T m = LOAD(T, x, 0, sx), lanes[LANES];
    int nan = 0, nans[LANES];
    int64_t j = 0;
    for (int l = 0; l < LANES; l++) lanes[l] = m, nans[l] = 0;
    for (; j + LANES <= k; j += LANES)
        for (int l = 0; l < LANES; l++) {
            T v = LOAD(T, x, j + l, sx);
            lanes[l] = v > lanes[l] ? v : lanes[l];
            nans[l] |= v != v;
        }
    for (; j < k; j++) {
        T v = LOAD(T, x, j, sx);
        m = v > m ? v : m;
        nan |= v != v;
    }
    for (int l = 0; l < LANES; l++) m = lanes[l] > m ? lanes[l] : m, nan |= nans[l];
    return nan ? (T)NAN : m;
}
static inline ALWAYS_INLINE T ID(row_max)(const char *x, int64_t k, int64_t sx)
{
    if (sx == sizeof(T)) return ID(row_max_body)(x, k, sizeof(T));
    T m = LOAD(T, x, 0, sx); /* a strided row: no vector loads to gain */
    for (int64_t j = 1; j < k; j++) m = MAX_OF(m, LOAD(T, x, j, sx));
    return m;
}
/* e[j] = exp(x[j] - max) and their sum, for a contiguous row: plain loops the
 * compiler vectorizes (vecmath.h's exp, then LANES partial sums). */
static inline ALWAYS_INLINE double ID(exp_sum_contiguous)(const char *x, int64_t k, T max,
                                                            T *e)
{
    double lanes[LANES] = {0}, total = 0;
    int64_t j = 0;
    for (int64_t i = 0; i < k; i++) e[i] = FG_VEC(exp)(LOAD(T, x, i, sizeof(T)) - max);
    for (; j + LANES <= k; j += LANES)
        for (int l = 0; l < LANES; l++) lanes[l] += e[j + l];
    for (; j < k; j++) total += e[j];
    for (int l = 0; l < LANES; l++) total += lanes[l];
    return total;
}
/* the same for a strided row, one element at a time, with libm's exp (the faster one
 * called singly) */
static double ID(exp_sum_strided)(const char *x, int64_t k, int64_t sx, T max, char *e,
                                    int64_t se)
{
    double total = 0;
    for (int64_t j = 0; j < k; j++) {
        T v = FG_MATH(exp)(LOAD(T, x, j, sx) - max);
        if (e) AT(T, e, j, se) = v;
        total += v;
    }
    return total;
}
/* the sum of exp(x - max) over the row; each term is also written to e unless e is NULL.
 * Contiguous rows go by chunks through the vectorized loops. */
static inline ALWAYS_INLINE double ID(row_exp_sum)(const char *x, int64_t k, int64_t sx,
                                                     T max, char *e, int64_t se)
{
    if (sx != sizeof(T) || (e && se != sizeof(T)))
        return ID(exp_sum_strided)(x, k, sx, max, e, se);
    double total = 0;
    T chunk[CHUNK];
    for (int64_t j = 0; j < k; j += CHUNK)
        total += ID(exp_sum_contiguous)(x + j * sizeof(T), k - j < CHUNK ? k - j : CHUNK,
                                          max, e ? (T *)e + j : chunk);
    return total;
}
/* row *= factor; a contiguous row with a constant stride, which vectorizes */
static inline ALWAYS_INLINE void ID(scale_row)(char *row, int64_t k, int64_t stride,
                                                 T factor)
{
    if (stride == sizeof(T))
        for (int64_t j = 0; j < k; j++) AT(T, row, j, sizeof(T)) *= factor;
    else
        for (int64_t j = 0; j < k; j++) AT(T, row, j, stride) *= factor;
}
/* softmax at b <= CHUNK positions that lie side by side (axis 0 of a row-major matrix:
 * columns), all at once: each pass over the axis reads one row of the b positions, so the
 * inner loops run over contiguous elements and vectorize, and the rows stay in cache. */
static inline ALWAYS_INLINE void ID(softmax_across)(int64_t b, char *out, const char *x,
                                                      const axis_walk *w)
{
    const int64_t sx = w->s[1], so = w->s[0], size = sizeof(T);
    T max[CHUNK];
    double sum[CHUNK];
    for (int64_t q = 0; q < b; q++) max[q] = LOAD(T, x, q, size), sum[q] = 0;
    for (int64_t j = 1; j < w->k; j++)
        for (int64_t q = 0; q < b; q++) max[q] = MAX_OF(max[q], LOAD(T, x + j * sx, q, size));
    for (int64_t j = 0; j < w->k; j++)
        for (int64_t q = 0; q < b; q++) {
            T v = FG_VEC(exp)(LOAD(T, x + j * sx, q, size) - max[q]);
            if (!w->log) AT(T, out + j * so, q, size) = v;
            sum[q] += v;
        }
    for (int64_t q = 0; q < b; q++) sum[q] = w->log ? log(sum[q]) : 1 / sum[q];
    for (int64_t j = 0; j < w->k; j++)
        for (int64_t q = 0; q < b; q++)
            AT(T, out + j * so, q, size) = w->log
                ? (LOAD(T, x + j * sx, q, size) - max[q]) - (T)sum[q]
                : AT(T, out + j * so, q, size) * (T)sum[q];
}
/* operands: out, x. Log-softmax is (x - max) - log(sum): max + log(sum) would round away
 * log's bits */
FG_CLONES static void ID(softmax)(int64_t n, char **p, const int64_t *s,
                                    const void *ctx)
{
    const axis_walk *w = ctx;
    if (s[0] == sizeof(T) && s[1] == sizeof(T) && w->s[1] != sizeof(T) && w->k) {
        for (int64_t i = 0; i < n; i += CHUNK)
            ID(softmax_across)(n - i < CHUNK ? n - i : CHUNK, p[0] + i * sizeof(T),
                                 p[1] + i * sizeof(T), w);
        return;
    }
    for (int64_t i = 0; i < n && w->k; i++) {
        char *out = p[0] + i * s[0];
        const char *x = p[1] + i * s[1];
        T max = ID(row_max)(x, w->k, w->s[1]);
        if (w->log) {
            T lse = (T)log(ID(row_exp_sum)(x, w->k, w->s[1], max, NULL, 0));
            for (int64_t j = 0; j < w->k; j++)
                AT(T, out, j, w->s[0]) = (LOAD(T, x, j, w->s[1]) - max) - lse;
        } else {
            T inv = (T)(1 / ID(row_exp_sum)(x, w->k, w->s[1], max, out, w->s[0]));
            ID(scale_row)(out, w->k, w->s[0], inv);
        }
    }
}
/* operands: gx, g, y = softmax's output; gx = y * (g - sum(g * y)) */
static void ID(softmax_backward)(int64_t n, char **p, const int64_t *s, const void *ctx)
{
    const axis_walk *w = ctx;
    for (int64_t i = 0; i < n; i++) {
        char *gx = p[0] + i * s[0];
        const char *g = p[1] + i * s[1], *y = p[2] + i * s[2];
        double dot = 0;
        for (int64_t j = 0; j < w->k; j++)
            dot += (double)LOAD(T, g, j, w->s[1]) * LOAD(T, y, j, w->s[2]);
        for (int64_t j = 0; j < w->k; j++)
            AT(T, gx, j, w->s[0]) =
                LOAD(T, y, j, w->s[2]) * (LOAD(T, g, j, w->s[1]) - (T)dot);
    }
}
/* operands: gx, g, y = log-softmax's output; gx = g - exp(y) * sum(g) */
static void ID(log_softmax_backward)(int64_t n, char **p, const int64_t *s,
                                       const void *ctx)
{
    const axis_walk *w = ctx;
    for (int64_t i = 0; i < n; i++) {
        char *gx = p[0] + i * s[0];
        const char *g = p[1] + i * s[1], *y = p[2] + i * s[2];
        double total = 0;
        for (int64_t j = 0; j < w->k; j++) total += LOAD(T, g, j, w->s[1]);
        for (int64_t j = 0; j < w->k; j++)
            AT(T, gx, j, w->s[0]) =
                LOAD(T, g, j, w->s[1]) - FG_MATH(exp)(LOAD(T, y, j, w->s[2])) * (T)total;
    }
}
/* operands: loss, x, target (checked); loss = log(sum(exp(x - max))) - (x[target] - max) */
FG_CLONES static void ID(cross_entropy)(int64_t n, char **p, const int64_t *s,
                                          const void *ctx)
{
    const axis_walk *w = ctx;
    for (int64_t i = 0; i < n; i++) {
        T *loss = (T *)(p[0] + i * s[0]);
        const char *x = p[1] + i * s[1];
        int64_t t = LOAD(int64_t, p[2], i, s[2]);
        if (t == w->ignore_index) {
            *loss = 0;
            continue;
        }
        T max = ID(row_max)(x, w->k, w->s[1]);
        double total = ID(row_exp_sum)(x, w->k, w->s[1], max, NULL, 0);
        *loss = (T)(log(total) - (double)(LOAD(T, x, t, w->s[1]) - max));
    }
}
/* operands: gx, x, target (checked), g; gx = (softmax(x) - onehot(target)) * g * scale */
FG_CLONES static void ID(cross_entropy_backward)(int64_t n, char **p, const int64_t *s,
                                                   const void *ctx)
{
    const axis_walk *w = ctx;
    if (w->k == 0) return; /* no classes, so every target was ignored: nothing to write */
    for (int64_t i = 0; i < n; i++) {
        char *gx = p[0] + i * s[0];
        const char *x = p[1] + i * s[1];
        int64_t t = LOAD(int64_t, p[2], i, s[2]);
        /* an ignored row gets softmax(x) * 0: 0, or NaN where its softmax is, as torch */
        int ignored = t == w->ignore_index;
        double g = ignored ? 0 : LOAD(T, p[3], i, s[3]) * w->scale;
        T max = ID(row_max)(x, w->k, w->s[1]);
        T factor = (T)(g / ID(row_exp_sum)(x, w->k, w->s[1], max, gx, w->s[0]));
        ID(scale_row)(gx, w->k, w->s[0], factor);
        if (!ignored) AT(T, gx, t, w->s[0]) -= (T)g;
    }
}

#undef ID
#undef T
/* the template's parameters, for the next instantiation */
#undef FG_T
#undef FG_SFX
#undef FG_MATH
#undef FG_VEC
