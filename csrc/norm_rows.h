/* The layer-norm and batch-norm workers of norm.c, written once and included by norm.c once
 * per element type. Not a header to include anywhere else. The includer defines FG_T (float or
 * double) and FG_SFX (f32 or f64), and norm.c's LANES, OMP, FG_OMP_ID and threads_for;
 * everything defined here is undefined again at the end. Each worker is compiled for several
 * instruction sets (FG_CLONES) and called from inside the parallel regions, whose outlined
 * bodies would get the baseline set only. */

#define ID(name) FG_CAT(name, FG_SFX)
#define T FG_T

/* sum(x[0..n)) (sq 0) or sum((x - mu)^2) (sq 1), in double with LANES partial sums */
static inline __attribute__((always_inline)) double ID(sum)(const T *x, int64_t n, double mu,
                                                            int sq)
{
    double part[LANES] = {0}, s = 0;
    int64_t j = 0;
    if (sq) {
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++) {
                double d = (double)x[j + l] - mu;
                part[l] += d * d;
            }
        for (; j < n; j++) s += ((double)x[j] - mu) * ((double)x[j] - mu);
    } else {
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++) part[l] += (double)x[j + l];
        for (; j < n; j++) s += (double)x[j];
    }
    for (int l = 0; l < LANES; l++) s += part[l];
    return s;
}

/* ---- layer norm: one row of n at a time */
/* s1 = sum(x - m) and, with sq, s2 = sum((x - m)^2), in T through ROW_LANES partials that go
 * into double every ROW_CHUNK elements (as ln_grad_sums) */
static inline __attribute__((always_inline)) void ID(centred_sums)(const T *restrict x,
                                                                   int64_t n, T m, int sq,
                                                                   double *s1, double *s2)
{
    double d1[ROW_LANES] = {0}, d2[ROW_LANES] = {0};
    int64_t j = 0;
    while (j + ROW_LANES <= n) {
        T f1[ROW_LANES] = {0}, f2[ROW_LANES] = {0};
        int64_t end = n - j > ROW_CHUNK ? j + ROW_CHUNK : n;
        for (; j + ROW_LANES <= end; j += ROW_LANES)
            for (int l = 0; l < ROW_LANES; l++) {
                T d = x[j + l] - m;
                f1[l] += d;
                if (sq) f2[l] += d * d;
            }
        for (int l = 0; l < ROW_LANES; l++) d1[l] += (double)f1[l], d2[l] += (double)f2[l];
    }
    for (; j < n; j++) {
        double d = (double)(x[j] - m);
        d1[0] += d;
        d2[0] += d * d;
    }
    *s1 = fold_lanes(d1);
    *s2 = sq ? fold_lanes(d2) : 0;
}

/* the row's mean and biased variance: for double, in two passes (mean, then squares) in
 * double; for float, in two in float: the mean rounded to float, m, then the sums of d = x - m
 * and d^2, d being centred so that float's rounding of d^2 is relative to the variance (not to
 * mean^2, as in a one-pass sum of x^2), and mu = m + mean(d), var = mean(d^2) - mean(d)^2 */
static inline __attribute__((always_inline)) void ID(moments)(const T *x, int64_t n,
                                                              double *mu, double *var)
{
    if (sizeof(T) == sizeof(double)) {
        *mu = ID(sum)(x, n, 0, 0) / (double)n;
        *var = ID(sum)(x, n, *mu, 1) / (double)n;
        return;
    }
    double s1, s2;
    ID(centred_sums)(x, n, 0, 0, &s1, &s2);
    T m = (T)(s1 / (double)n);
    ID(centred_sums)(x, n, m, 1, &s1, &s2);
    double shift = s1 / (double)n, v = s2 / (double)n - shift * shift;
    *mu = (double)m + shift;
    *var = v < 0 ? 0 : v; /* (rounding may make it negative; NaN stays NaN) */
}

FG_CLONES static void ID(ln_row)(int64_t n, double eps, T *out, T *mean, T *rstd, const T *x,
                                 const T *w, const T *b)
{
    double mu, var;
    ID(moments)(x, n, &mu, &var);
    double r = 1.0 / sqrt(var + eps);
    *mean = (T)mu;
    *rstd = (T)r;
    T m = (T)mu, rr = (T)r;
    if (w && b)
        for (int64_t j = 0; j < n; j++) out[j] = (x[j] - m) * rr * w[j] + b[j];
    else if (w)
        for (int64_t j = 0; j < n; j++) out[j] = (x[j] - m) * rr * w[j];
    else
        for (int64_t j = 0; j < n; j++) out[j] = (x[j] - m) * rr + (b ? b[j] : (T)0);
}

/* sa += sum(gy), sc += sum(gy (x - m)) over the row, gy = g * w (g without w), and, with
 * params, the row's terms of gw and gb added into aw += g xhat, ab += g. One pass in T: the
 * sums go through ROW_LANES partials of T, which are added into double every ROW_CHUNK
 * elements, so float rounds only short sums and the row's total is double. Inlined with
 * constant has_w and params, so each case gets its own loop without branches. */
static inline __attribute__((always_inline)) void ID(ln_grad_sums)(
    int64_t n, const T *restrict g, const T *restrict x, const T *restrict w, T m, T rr,
    T *restrict aw, T *restrict ab, int has_w, int params, double *sa, double *sc)
{
    double da[ROW_LANES] = {0}, dc[ROW_LANES] = {0};
    int64_t j = 0;
    while (j + ROW_LANES <= n) {
        T fa[ROW_LANES] = {0}, fc[ROW_LANES] = {0};
        int64_t end = n - j > ROW_CHUNK ? j + ROW_CHUNK : n;
        for (; j + ROW_LANES <= end; j += ROW_LANES)
            for (int l = 0; l < ROW_LANES; l++) {
                T gj = g[j + l], d = x[j + l] - m, gy = has_w ? gj * w[j + l] : gj;
                fa[l] += gy;
                fc[l] += gy * d;
                if (params) {
                    aw[j + l] += gj * (d * rr);
                    ab[j + l] += gj;
                }
            }
        for (int l = 0; l < ROW_LANES; l++) da[l] += (double)fa[l], dc[l] += (double)fc[l];
    }
    for (; j < n; j++) {
        T gj = g[j], d = x[j] - m, gy = has_w ? gj * w[j] : gj;
        da[0] += (double)gy;
        dc[0] += (double)gy * (double)d;
        if (params) {
            aw[j] += gj * (d * rr);
            ab[j] += gj;
        }
    }
    *sa = fold_lanes(da);
    *sc = fold_lanes(dc);
}

/* gx = r gy - r mean(gy) - (x - mu) r^3 mean(gy (x - mu)), gy = g * w (gx unless NULL), and,
 * unless aw is NULL, the row's terms of gw and gb added into aw += g xhat, ab += g (summed over
 * rows in T, as torch's: its opmath type for float is float) */
FG_CLONES static void ID(ln_row_backward)(int64_t n, T *restrict gx, const T *restrict g,
                                          const T *restrict x, double mu, double r,
                                          const T *restrict w, T *restrict aw, T *restrict ab)
{
    T m = (T)mu, rr = (T)r;
    double a, c;
    if (w && aw)
        ID(ln_grad_sums)(n, g, x, w, m, rr, aw, ab, 1, 1, &a, &c);
    else if (w)
        ID(ln_grad_sums)(n, g, x, w, m, rr, aw, ab, 1, 0, &a, &c);
    else if (aw)
        ID(ln_grad_sums)(n, g, x, w, m, rr, aw, ab, 0, 1, &a, &c);
    else
        ID(ln_grad_sums)(n, g, x, w, m, rr, aw, ab, 0, 0, &a, &c);
    if (!gx) return;
    T s = (T)r, k = (T)(r * a / (double)n), q = (T)(r * r * r * c / (double)n);
    if (w)
        for (int64_t j = 0; j < n; j++) gx[j] = s * g[j] * w[j] - k - (x[j] - m) * q;
    else
        for (int64_t j = 0; j < n; j++) gx[j] = s * g[j] - k - (x[j] - m) * q;
}

/* ---- batch norm: x as (outer, ch, inner), a thread's channels [lo, hi) at a time */
/* acc[c] = sum of x (mu NULL), or of (x - mu[c])^2, over channel c's elements */
FG_CLONES static void ID(bn_sums)(int64_t outer, int64_t ch, int64_t inner, int64_t lo,
                                  int64_t hi, const T *x, const double *mu, double *acc)
{
    for (int64_t c = lo; c < hi; c++) acc[c] = 0;
    int64_t o = 0;
    if (inner == 1) /* (N, C): four rows' terms added before they meet the sum in memory */
        for (; o + 4 <= outer; o += 4) {
            const T *x0 = x + o * ch, *x1 = x0 + ch, *x2 = x1 + ch, *x3 = x2 + ch;
            if (mu)
                for (int64_t c = lo; c < hi; c++) {
                    double d0 = (double)x0[c] - mu[c], d1 = (double)x1[c] - mu[c],
                           d2 = (double)x2[c] - mu[c], d3 = (double)x3[c] - mu[c];
                    acc[c] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3);
                }
            else
                for (int64_t c = lo; c < hi; c++)
                    acc[c] += ((double)x0[c] + (double)x1[c]) + ((double)x2[c] + (double)x3[c]);
        }
    for (; o < outer; o++) {
        const T *xo = x + o * ch * inner;
        if (inner == 1 && mu)
            for (int64_t c = lo; c < hi; c++)
                acc[c] += ((double)xo[c] - mu[c]) * ((double)xo[c] - mu[c]);
        else if (inner == 1)
            for (int64_t c = lo; c < hi; c++) acc[c] += (double)xo[c];
        else
            for (int64_t c = lo; c < hi; c++)
                acc[c] += ID(sum)(xo + c * inner, inner, mu ? mu[c] : 0, mu != NULL);
    }
}

/* out = x * a[c] + s[c] */
FG_CLONES static void ID(bn_affine)(int64_t outer, int64_t ch, int64_t inner, int64_t lo,
                                    int64_t hi, T *out, const T *x, const T *a, const T *s)
{
    for (int64_t o = 0; o < outer; o++) {
        const T *xo = x + o * ch * inner;
        T *oo = out + o * ch * inner;
        if (inner == 1)
            for (int64_t c = lo; c < hi; c++) oo[c] = xo[c] * a[c] + s[c];
        else
            for (int64_t c = lo; c < hi; c++)
                for (int64_t k = 0; k < inner; k++)
                    oo[c * inner + k] = xo[c * inner + k] * a[c] + s[c];
    }
}

/* sg[c] = sum(g), dot[c] = sum(g (x - mean[c])) over channel c's elements */
FG_CLONES static void ID(bn_grad_sums)(int64_t outer, int64_t ch, int64_t inner, int64_t lo,
                                       int64_t hi, const T *g, const T *x, const T *mean,
                                       double *sg, double *dot)
{
    for (int64_t c = lo; c < hi; c++) sg[c] = dot[c] = 0;
    int64_t o = 0;
    if (inner == 1) /* (N, C): four rows' terms added before they meet the sums in memory */
        for (; o + 4 <= outer; o += 4) {
            const T *g0 = g + o * ch, *g1 = g0 + ch, *g2 = g1 + ch, *g3 = g2 + ch;
            const T *x0 = x + o * ch, *x1 = x0 + ch, *x2 = x1 + ch, *x3 = x2 + ch;
            for (int64_t c = lo; c < hi; c++) {
                double m = mean[c];
                sg[c] += ((double)g0[c] + (double)g1[c]) + ((double)g2[c] + (double)g3[c]);
                dot[c] += ((double)g0[c] * ((double)x0[c] - m) + (double)g1[c] * ((double)x1[c] - m)) +
                          ((double)g2[c] * ((double)x2[c] - m) + (double)g3[c] * ((double)x3[c] - m));
            }
        }
    for (; o < outer; o++) {
        const T *go = g + o * ch * inner, *xo = x + o * ch * inner;
        if (inner == 1) {
            for (int64_t c = lo; c < hi; c++) {
                sg[c] += (double)go[c];
                dot[c] += (double)go[c] * ((double)xo[c] - (double)mean[c]);
            }
            continue;
        }
        for (int64_t c = lo; c < hi; c++) {
            double m = mean[c], s = 0, d = 0;
            for (int64_t k = 0; k < inner; k++) {
                s += (double)go[c * inner + k];
                d += (double)go[c * inner + k] * ((double)xo[c * inner + k] - m);
            }
            sg[c] += s;
            dot[c] += d;
        }
    }
}

/* gx = g a[c] - k[c] - (x - m[c]) q[c]; with k and q NULL (eval), g a[c] (x unread) */
FG_CLONES static void ID(bn_grad_x)(int64_t outer, int64_t ch, int64_t inner, int64_t lo,
                                    int64_t hi, T *gx, const T *g, const T *x, const T *a,
                                    const T *k, const T *q, const T *m)
{
    for (int64_t o = 0; o < outer; o++) {
        int64_t base = o * ch * inner;
        const T *go = g + base, *xo = x + base;
        T *gxo = gx + base;
        if (!k) {
            for (int64_t c = lo; c < hi; c++)
                for (int64_t j = 0; j < inner; j++) gxo[c * inner + j] = go[c * inner + j] * a[c];
        } else if (inner == 1) {
            for (int64_t c = lo; c < hi; c++) gxo[c] = go[c] * a[c] - k[c] - (xo[c] - m[c]) * q[c];
        } else {
            for (int64_t c = lo; c < hi; c++)
                for (int64_t j = 0; j < inner; j++)
                    gxo[c * inner + j] = go[c * inner + j] * a[c] - k[c] -
                                         (xo[c * inner + j] - m[c]) * q[c];
        }
    }
}

/* ---- the drivers: threads split rows (layer norm) or channels (batch norm) */
static void ID(layer_norm)(int64_t rows, int64_t n, double eps, T *out, T *mean, T *rstd,
                           const T *x, const T *w, const T *b)
{
    int threads = threads_for(rows, rows * n);
    (void)threads; /* without OpenMP */
    OMP("omp parallel for num_threads(threads) if(threads > 1)")
    for (int64_t i = 0; i < rows; i++)
        ID(ln_row)(n, eps, out + i * n, mean + i, rstd + i, x + i * n, w, b);
}

/* Each thread adds its rows' terms of gw and gb into its own 2 n of T, summed at the end. */
static int ID(layer_norm_backward)(int64_t rows, int64_t n, T *gx, T *gw, T *gb, const T *g,
                                   const T *x, const T *mean, const T *rstd, const T *w)
{
    int threads = threads_for(rows, rows * n), params = gw || gb;
    T *acc = params ? fg_alloc(2 * n * threads, sizeof(T)) : NULL;
    if (params && !acc) return FG_ENOMEM;
    (void)threads; /* without OpenMP */
    OMP("omp parallel num_threads(threads) if(threads > 1)")
    {
        int t = 0, nt = 1;
        FG_OMP_ID(t, nt);
        int64_t lo = rows * t / nt, hi = rows * (t + 1) / nt;
        T *aw = params ? acc + 2 * n * t : NULL, *ab = params ? aw + n : NULL;
        for (int64_t j = 0; params && j < 2 * n; j++) aw[j] = 0;
        for (int64_t i = lo; i < hi; i++)
            ID(ln_row_backward)(n, gx ? gx + i * n : NULL, g + i * n, x + i * n, mean[i],
                                rstd[i], w, aw, ab);
    }
    for (int64_t j = 0; params && j < n; j++) {
        double sw = 0, sb = 0;
        for (int t = 0; t < threads; t++)
            sw += (double)acc[2 * n * t + j], sb += (double)acc[2 * n * t + n + j];
        if (gw) gw[j] = (T)sw;
        if (gb) gb[j] = (T)sb;
    }
    free(acc);
    return FG_OK;
}

/* acc: 2 * ch doubles and 2 * ch T */
static void ID(batch_norm)(int64_t outer, int64_t ch, int64_t inner, int training,
                           double momentum, double eps, T *out, T *mean, T *invstd, const T *x,
                           const T *w, const T *b, T *rmean, T *rvar, double *acc)
{
    double *mu = acc, *var = acc + ch;
    T *scale = (T *)(acc + 2 * ch), *shift = scale + ch;
    int64_t count = outer * inner;
    int threads = threads_for(ch, count * ch);
    (void)threads; /* without OpenMP */
    OMP("omp parallel num_threads(threads) if(threads > 1)")
    {
        int t = 0, nt = 1;
        FG_OMP_ID(t, nt);
        int64_t lo = ch * t / nt, hi = ch * (t + 1) / nt;
        if (training) {
            ID(bn_sums)(outer, ch, inner, lo, hi, x, NULL, mu);
            for (int64_t c = lo; c < hi; c++) mu[c] /= (double)count;
            ID(bn_sums)(outer, ch, inner, lo, hi, x, mu, var);
        }
        for (int64_t c = lo; c < hi; c++) {
            double is;
            if (training) {
                is = 1.0 / sqrt(var[c] / (double)count + eps);
                if (rmean) rmean[c] = (T)(momentum * mu[c] + (1 - momentum) * rmean[c]);
                if (rvar)
                    rvar[c] = (T)(momentum * var[c] / (double)(count - 1) +
                                  (1 - momentum) * rvar[c]);
            } else {
                mu[c] = rmean[c];
                is = 1.0 / sqrt((double)rvar[c] + eps);
            }
            mean[c] = (T)mu[c];
            invstd[c] = (T)is;
            double a = is * (w ? (double)w[c] : 1.0);
            scale[c] = (T)a;
            shift[c] = (T)((b ? (double)b[c] : 0.0) - mu[c] * a);
        }
        if (inner == 1) { /* (N, C): whole rows to each thread, once every scale is made */
            OMP("omp barrier")
            int64_t r0 = outer * t / nt, r1 = outer * (t + 1) / nt;
            ID(bn_affine)(r1 - r0, ch, 1, 0, ch, out + r0 * ch, x + r0 * ch, scale, shift);
        } else {
            ID(bn_affine)(outer, ch, inner, lo, hi, out, x, scale, shift);
        }
    }
}

/* acc: 2 * ch doubles and 4 * ch T */
static void ID(batch_norm_backward)(int64_t outer, int64_t ch, int64_t inner, int training,
                                    T *gx, T *gw, T *gb, const T *g, const T *x, const T *mean,
                                    const T *invstd, const T *w, double *acc)
{
    double *sg = acc, *dot = acc + ch;
    T *a = (T *)(acc + 2 * ch), *k = a + ch, *q = k + ch, *m = q + ch;
    int64_t count = outer * inner;
    int threads = threads_for(ch, count * ch);
    (void)threads; /* without OpenMP */
    OMP("omp parallel num_threads(threads) if(threads > 1)")
    {
        int t = 0, nt = 1;
        FG_OMP_ID(t, nt);
        int64_t lo = ch * t / nt, hi = ch * (t + 1) / nt;
        ID(bn_grad_sums)(outer, ch, inner, lo, hi, g, x, mean, sg, dot);
        for (int64_t c = lo; c < hi; c++) {
            double is = invstd[c], wc = w ? (double)w[c] : 1.0;
            if (gw) gw[c] = (T)(dot[c] * is);
            if (gb) gb[c] = (T)sg[c];
            a[c] = (T)(is * wc);
            k[c] = (T)(sg[c] / (double)count * is * wc);
            q[c] = (T)(dot[c] / (double)count * is * is * is * wc);
            m[c] = mean[c];
        }
        if (gx && inner == 1) { /* (N, C): whole rows to each thread, as the forward's */
            OMP("omp barrier")
            int64_t r0 = outer * t / nt, r1 = outer * (t + 1) / nt;
            ID(bn_grad_x)(r1 - r0, ch, 1, 0, ch, gx + r0 * ch, g + r0 * ch, x + r0 * ch, a,
                          training ? k : NULL, training ? q : NULL, m);
        } else if (gx) {
            ID(bn_grad_x)(outer, ch, inner, lo, hi, gx, g, x, a, training ? k : NULL,
                          training ? q : NULL, m);
        }
    }
}

#undef ID
#undef T
#undef FG_T
#undef FG_SFX
