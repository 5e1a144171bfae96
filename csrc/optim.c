/* The optimizers' updates (fastgrad.optim): one pass over a parameter's n contiguous elements
 * reads the parameter, its gradient and its state buffers and writes them in place.
 *
 * Each update follows torch's single-tensor CPU code (torch/optim/sgd.py _single_tensor_sgd,
 * adam.py, rmsprop.py, adagrad.py) operation for operation, with each Python number cast to the
 * parameter's dtype as torch casts a Scalar. Compiled with -ffp-contract=off (CMakeLists.txt):
 * torch's CPU kernels fuse t.add_(u, alpha=a) into fma(a, u, t), addcmul_ into
 * fma(v * u, w, t) and lerp_ into one fma (its FMA builds, which every x86-64 with AVX2 runs);
 * fma() says where, every other operation rounds on its own. The bias corrections and step
 * sizes are computed in double from the step count, as torch's Python computes them. */
#include <math.h>
#include "internal.h"

/* Split over fastgrad's thread count (torch.set_num_threads) where the work is large enough. */
#ifdef _OPENMP
#define OPT_PARALLEL                                                                           \
    const int threads = fg_threads();                                                          \
    _Pragma("omp parallel for if (n >= FG_PARALLEL_MIN && threads > 1) num_threads(threads)")
#else
#define OPT_PARALLEL
#endif

/* Each update is compiled for x86-64-v3 too (the loader picks it where the CPU has it): there
 * fma() is one instruction and the loops vectorize; elsewhere it is libm's (the same result). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__GLIBC__) && \
    !defined(FG_NO_CLONES)
#define OPT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define OPT_CLONES
#endif

/* torch's lerp (ATen's Lerp.h): self + w * (end - self), or end - (end - self) * (1 - w) for
 * |w| >= 0.5, each one fused multiply-add in its build: fma(c, end - self, base), where the
 * coefficient c (LERP_COEF) and the base (`small`: |w| < 0.5) are chosen once per call. */
#define LERP_COEF(T, w) (fabs((double)(w)) < 0.5 ? (w) : -((T)1 - (w)))
#define LERP(FMA, small, c, self, end) FMA((c), (end) - (self), (small) ? (self) : (end))

/* The step count: a 0-d float32 or float64 tensor (torch's default dtype), incremented as
 * `step_t += 1` does, and returned as the Python float `_get_value(step_t)`. */
static double next_step(int step_dtype, void *step)
{
    if (step_dtype == FG_FLOAT32) {
        float *s = step;
        *s = *s + 1.0f;
        return *s;
    }
    double *s = step;
    *s = *s + 1.0;
    return *s;
}

/* One element's Adam and RMSprop updates, for loops specialised on the optional buffers: a
 * store that depends on an option inside the loop would keep it from vectorizing. */
#define OPT_LOOP(BODY)                                                                         \
    do {                                                                                       \
        OPT_PARALLEL                                                                           \
        for (int64_t i = 0; i < n; i++)                                                        \
            BODY                                                                               \
    } while (0)

#define ADAM_ELEMENT(T, FMA, SQRT, SUFFIX, AMSGRAD)                                            \
    {                                                                                          \
        const T x = decoupled ? p[i] * shrink : p[i];                                          \
        const T g = grad_##SUFFIX(flags, coupled, twd, x, grad[i]);                            \
        const T mi = LERP(FMA, small1, c1, m[i], g);                                           \
        T vi = v[i] * b2;                                                                      \
        vi = FMA(w2 * g, g, vi);                                                               \
        m[i] = mi;                                                                             \
        v[i] = vi;                                                                             \
        if (AMSGRAD) {                                                                         \
            vi = MAX_OF(vmax[i], vi);                                                          \
            vmax[i] = vi;                                                                      \
        }                                                                                      \
        const T denom = SQRT(vi) / bc2_sqrt + eps;                                             \
        p[i] = x + neg_step * mi / denom;                                                      \
    }

#define RMSPROP_ELEMENT(T, FMA, SQRT, SUFFIX, CENTERED, MOMENTUM)                              \
    {                                                                                          \
        const T g = grad_##SUFFIX(flags, decay, wd, p[i], grad[i]);                            \
        T s = sq[i] * a;                                                                       \
        s = FMA(w * g, g, s);                                                                  \
        sq[i] = s;                                                                             \
        T avg;                                                                                 \
        if (CENTERED) {                                                                        \
            const T ga = LERP(FMA, small, c, gavg[i], g);                                      \
            gavg[i] = ga;                                                                      \
            avg = SQRT(FMA(-ga, ga, s));                                                       \
        } else {                                                                               \
            avg = SQRT(s);                                                                     \
        }                                                                                      \
        avg = avg + eps;                                                                       \
        if (MOMENTUM) {                                                                        \
            const T b = buf[i] * momentum + g / avg;                                           \
            buf[i] = b;                                                                        \
            p[i] = FMA(neg_lr, b, p[i]);                                                       \
        } else {                                                                               \
            p[i] = p[i] + neg_lr * g / avg;                                                    \
        }                                                                                      \
    }

#define DEFINE_OPTIM(T, SUFFIX, FMA, SQRT)                                                     \
    /* The gradient the update uses: negated (maximize), plus weight_decay * param. */         \
    static inline T grad_##SUFFIX(int flags, int decay, T wd, T p, T g)                        \
    {                                                                                          \
        g = flags & FG_OPTIM_MAXIMIZE ? -g : g;                                                \
        return decay ? FMA(wd, p, g) : g;                                                      \
    }                                                                                          \
                                                                                               \
    OPT_CLONES                                                                                 \
    static void sgd_##SUFFIX(int64_t n, int flags, const double *hp, T *restrict p,            \
                             const T *restrict grad, T *restrict buf)                          \
    {                                                                                          \
        const T neg_lr = (T)-hp[0], wd = (T)hp[1], momentum = (T)hp[2];                        \
        const T keep = (T)(1 - hp[3]);                                                         \
        const int decay = hp[1] != 0, first = flags & FG_OPTIM_FIRST;                          \
        OPT_PARALLEL                                                                           \
        for (int64_t i = 0; i < n; i++) {                                                      \
            T g = grad_##SUFFIX(flags, decay, wd, p[i], grad[i]);                              \
            if (buf) {                                                                         \
                T b = first ? g : FMA(keep, g, buf[i] * momentum);                             \
                buf[i] = b;                                                                    \
                g = flags & FG_OPTIM_NESTEROV ? FMA(momentum, b, g) : b;                       \
            }                                                                                  \
            p[i] = FMA(neg_lr, g, p[i]);                                                       \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    OPT_CLONES                                                                                 \
    static void adam_##SUFFIX(int64_t n, int flags, const double *hp, double step,             \
                              T *restrict p, const T *restrict grad, T *restrict m,            \
                              T *restrict v, T *restrict vmax)                                 \
    {                                                                                          \
        const double lr = hp[0], beta1 = hp[1], beta2 = hp[2], wd = hp[4];                     \
        const double step_size = lr / (1 - pow(beta1, step));                                  \
        const T bc2_sqrt = (T)pow(1 - pow(beta2, step), 0.5), eps = (T)hp[3];                  \
        const T neg_step = (T)-step_size, w1 = (T)(1 - beta1), b2 = (T)beta2;                  \
        const T c1 = LERP_COEF(T, w1);                                                         \
        const int small1 = fabs((double)w1) < 0.5;                                             \
        const T w2 = (T)(1 - beta2), shrink = (T)(1 - lr * wd), twd = (T)wd;                   \
        /* AdamW shrinks the parameter first; Adam adds wd * param to the gradient. */         \
        const int decoupled = (flags & FG_OPTIM_DECOUPLED) && wd != 0;                         \
        const int coupled = !(flags & FG_OPTIM_DECOUPLED) && wd != 0;                          \
        if (vmax)                                                                              \
            OPT_LOOP(ADAM_ELEMENT(T, FMA, SQRT, SUFFIX, 1));                                   \
        else                                                                                   \
            OPT_LOOP(ADAM_ELEMENT(T, FMA, SQRT, SUFFIX, 0));                                   \
    }                                                                                          \
                                                                                               \
    OPT_CLONES                                                                                 \
    static void rmsprop_##SUFFIX(int64_t n, int flags, const double *hp, T *restrict p,        \
                                 const T *restrict grad, T *restrict sq,                       \
                                 T *restrict gavg, T *restrict buf)                            \
    {                                                                                          \
        const T neg_lr = (T)-hp[0], a = (T)hp[1], w = (T)(1 - hp[1]), eps = (T)hp[2];          \
        const T wd = (T)hp[3], momentum = (T)hp[4], c = LERP_COEF(T, w);                       \
        const int decay = hp[3] != 0, small = fabs((double)w) < 0.5;                           \
        if (gavg && buf)                                                                       \
            OPT_LOOP(RMSPROP_ELEMENT(T, FMA, SQRT, SUFFIX, 1, 1));                             \
        else if (gavg)                                                                         \
            OPT_LOOP(RMSPROP_ELEMENT(T, FMA, SQRT, SUFFIX, 1, 0));                             \
        else if (buf)                                                                          \
            OPT_LOOP(RMSPROP_ELEMENT(T, FMA, SQRT, SUFFIX, 0, 1));                             \
        else                                                                                   \
            OPT_LOOP(RMSPROP_ELEMENT(T, FMA, SQRT, SUFFIX, 0, 0));                             \
    }                                                                                          \
                                                                                               \
    OPT_CLONES                                                                                 \
    static void adagrad_##SUFFIX(int64_t n, int flags, const double *hp, double step,          \
                                 T *restrict p, const T *restrict grad,                        \
                                 T *restrict sum)                                              \
    {                                                                                          \
        const T neg_clr = (T)-(hp[0] / (1 + (step - 1) * hp[1])), eps = (T)hp[2];              \
        const T wd = (T)hp[3];                                                                 \
        const int decay = hp[3] != 0;                                                          \
        OPT_PARALLEL                                                                           \
        for (int64_t i = 0; i < n; i++) {                                                      \
            T g = grad_##SUFFIX(flags, decay, wd, p[i], grad[i]);                              \
            const T s = FMA(g, g, sum[i]);                                                     \
            sum[i] = s;                                                                        \
            p[i] = p[i] + neg_clr * g / (SQRT(s) + eps);                                       \
        }                                                                                      \
    }

DEFINE_OPTIM(float, f32, fmaf, sqrtf)
DEFINE_OPTIM(double, f64, fma, sqrt)

/* The checks every update makes: a float dtype, a size, the pointers it must have (`state`:
 * its first state buffer) and, but for SGD (step NULL), a float step count. */
static int check(int dtype, int64_t n, const void *p, const void *grad, const void *state,
                 int step_dtype, const void *step, int has_step)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64)
        return FG_EDTYPE;
    if (n < 0)
        return FG_ESIZE;
    if (!p || !grad || !state)
        return FG_EOP;
    if (has_step && (!step || (step_dtype != FG_FLOAT32 && step_dtype != FG_FLOAT64)))
        return FG_EDTYPE;
    return FG_OK;
}

int fg_sgd_step(int dtype, int64_t n, int flags, const double *hp, void *param,
                const void *grad, void *buf)
{
    int status = check(dtype, n, param, grad, param, 0, NULL, 0);
    if (status)
        return status;
    if (dtype == FG_FLOAT32)
        sgd_f32(n, flags, hp, param, grad, buf);
    else
        sgd_f64(n, flags, hp, param, grad, buf);
    return FG_OK;
}

int fg_sgd_steps(int dtype, int count, const int64_t *sizes, int flags, const double *hp,
                 void *const *params, const void *const *grads)
{
    if (count < 0 || (count && (!sizes || !params || !grads)))
        return FG_EOP;
    for (int i = 0; i < count; i++) { /* all checked before any is updated */
        int status = check(dtype, sizes[i], params[i], grads[i], params[i], 0, NULL, 0);
        if (status)
            return status;
    }
    for (int i = 0; i < count; i++)
        fg_sgd_step(dtype, sizes[i], flags, hp, params[i], grads[i], NULL);
    return FG_OK;
}

int fg_adam_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype, void *step,
                 void *param, const void *grad, void *exp_avg, void *exp_avg_sq,
                 void *max_exp_avg_sq)
{
    int status = check(dtype, n, param, grad, exp_avg_sq ? exp_avg : NULL, step_dtype, step, 1);
    if (status)
        return status;
    double t = next_step(step_dtype, step);
    if (dtype == FG_FLOAT32)
        adam_f32(n, flags, hp, t, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq);
    else
        adam_f64(n, flags, hp, t, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq);
    return FG_OK;
}

int fg_rmsprop_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype,
                    void *step, void *param, const void *grad, void *square_avg,
                    void *grad_avg, void *momentum_buffer)
{
    int status = check(dtype, n, param, grad, square_avg, step_dtype, step, 1);
    if (status)
        return status;
    next_step(step_dtype, step);
    if (dtype == FG_FLOAT32)
        rmsprop_f32(n, flags, hp, param, grad, square_avg, grad_avg, momentum_buffer);
    else
        rmsprop_f64(n, flags, hp, param, grad, square_avg, grad_avg, momentum_buffer);
    return FG_OK;
}

int fg_adagrad_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype,
                    void *step, void *param, const void *grad, void *sum)
{
    int status = check(dtype, n, param, grad, sum, step_dtype, step, 1);
    if (status)
        return status;
    double t = next_step(step_dtype, step);
    if (dtype == FG_FLOAT32)
        adagrad_f32(n, flags, hp, t, param, grad, sum);
    else
        adagrad_f64(n, flags, hp, t, param, grad, sum);
    return FG_OK;
}

/* ---- Adadelta, Adamax, NAdam, RAdam, ASGD (torch/optim/<name>.py, _single_tensor_<name>) ----
 * As above: one element's update per loop iteration, torch's operations in torch's order. */
/* NAdam's and RAdam's start, Adam's: decoupled or L2 weight decay (hp lr, beta1, beta2, eps,
 * weight_decay), then the two moments m and v of the gradient g. */
#define MOMENTS_SETUP(T)                                                                       \
    const double lr = hp[0], wd = hp[4];                                                       \
    const T w1 = (T)(1 - hp[1]), b2 = (T)hp[2], w2 = (T)(1 - hp[2]), eps = (T)hp[3];           \
    const T c1 = LERP_COEF(T, w1), shrink = (T)(1 - lr * wd), twd = (T)wd;                     \
    const int small1 = fabs((double)w1) < 0.5;                                                 \
    const int decoupled = (flags & FG_OPTIM_DECOUPLED) && wd != 0;                             \
    const int coupled = !(flags & FG_OPTIM_DECOUPLED) && wd != 0

#define MOMENTS_ELEMENT(T, FMA, SUFFIX)                                                        \
    const T x = decoupled ? p[i] * shrink : p[i];                                              \
    const T g = grad_##SUFFIX(flags, coupled, twd, x, grad[i]);                                \
    const T mi = LERP(FMA, small1, c1, m[i], g);                                               \
    const T vi = FMA(w2 * g, g, v[i] * b2);                                                    \
    m[i] = mi;                                                                                 \
    v[i] = vi

#define DEFINE_OPTIM_MORE(T, SUFFIX, FMA, SQRT, ABS)                                           \
    OPT_CLONES                                                                                 \
    static void adadelta_##SUFFIX(int64_t n, int flags, const double *hp, double step,        \
                                  T *restrict p, const T *restrict grad, T *restrict sq,       \
                                  T *restrict acc)                                             \
    {                                                                                          \
        (void)step;                                                                            \
        const T neg_lr = (T)-hp[0], rho = (T)hp[1], w = (T)(1 - hp[1]), eps = (T)hp[2];        \
        const T wd = (T)hp[3];                                                                 \
        const int decay = hp[3] != 0;                                                          \
        OPT_PARALLEL                                                                           \
        for (int64_t i = 0; i < n; i++) {                                                      \
            const T g = grad_##SUFFIX(flags, decay, wd, p[i], grad[i]);                        \
            const T s = FMA(w * g, g, sq[i] * rho);                                            \
            sq[i] = s;                                                                         \
            const T d = SQRT(acc[i] + eps) / SQRT(s + eps) * g;                                \
            acc[i] = FMA(w * d, d, acc[i] * rho);                                              \
            p[i] = FMA(neg_lr, d, p[i]);                                                       \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    OPT_CLONES                                                                                 \
    static void adamax_##SUFFIX(int64_t n, int flags, const double *hp, double step,           \
                                T *restrict p, const T *restrict grad, T *restrict m,          \
                                T *restrict inf)                                               \
    {                                                                                          \
        const T neg_clr = (T)-(hp[0] / (1 - pow(hp[1], step))), b2 = (T)hp[2];                 \
        const T eps = (T)hp[3], wd = (T)hp[4], w1 = (T)(1 - hp[1]), c1 = LERP_COEF(T, w1);     \
        const int decay = hp[4] != 0, small1 = fabs((double)w1) < 0.5;                         \
        OPT_PARALLEL                                                                           \
        for (int64_t i = 0; i < n; i++) {                                                      \
            const T g = grad_##SUFFIX(flags, decay, wd, p[i], grad[i]);                        \
            const T mi = LERP(FMA, small1, c1, m[i], g);                                       \
            m[i] = mi;                                                                         \
            const T e = MAX_OF(inf[i] * b2, ABS(g) + eps);                                     \
            inf[i] = e;                                                                        \
            p[i] = p[i] + neg_clr * mi / e;                                                    \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    OPT_CLONES                                                                                 \
    static void nadam_##SUFFIX(int64_t n, int flags, const double *hp, const double *c,        \
                               T *restrict p, const T *restrict grad, T *restrict m,           \
                               T *restrict v)                                                  \
    {                                                                                          \
        MOMENTS_SETUP(T);                                                                      \
        const T bc2 = (T)c[0], cg = (T)c[1], cm = (T)c[2];                                     \
        OPT_PARALLEL                                                                           \
        for (int64_t i = 0; i < n; i++) {                                                      \
            MOMENTS_ELEMENT(T, FMA, SUFFIX);                                                   \
            const T denom = SQRT(vi / bc2) + eps;                                              \
            const T y = x + cg * g / denom;                                                    \
            p[i] = y + cm * mi / denom;                                                        \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    OPT_CLONES                                                                                 \
    static void radam_##SUFFIX(int64_t n, int flags, const double *hp, double step,            \
                               T *restrict p, const T *restrict grad, T *restrict m,           \
                               T *restrict v)                                                  \
    {                                                                                          \
        MOMENTS_SETUP(T);                                                                      \
        const double beta2 = hp[2];                                                            \
        const double bc2 = 1 - pow(beta2, step), rho_inf = 2 / (1 - beta2) - 1;                \
        const double rho_t = rho_inf - 2 * step * pow(beta2, step) / bc2;                      \
        const int rectify = rho_t > 5.0;                                                       \
        const T rect = rectify ? (T)pow((rho_t - 4) * (rho_t - 2) * rho_inf /                  \
                                            ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5)      \
                               : 0;                                                            \
        const T bc1 = (T)(1 - pow(hp[1], step)), tlr = (T)lr, sbc2 = (T)pow(bc2, 0.5);         \
        OPT_PARALLEL                                                                           \
        for (int64_t i = 0; i < n; i++) {                                                      \
            MOMENTS_ELEMENT(T, FMA, SUFFIX);                                                   \
            /* torch: exp_avg / bc1 * lr * (bc2 ** 0.5 / (sqrt(v) + eps)) * rect, the scalar   \
             * over a tensor being its reciprocal times the scalar (Tensor.__rtruediv__). */   \
            T u = mi / bc1 * tlr;                                                              \
            if (rectify)                                                                       \
                u = u * ((T)1 / (SQRT(vi) + eps) * sbc2) * rect;                               \
            p[i] = x - u;                                                                      \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    OPT_CLONES                                                                                 \
    static void asgd_##SUFFIX(int64_t n, int flags, const double *hp, double eta, double mu,   \
                              T *restrict p, const T *restrict grad, T *restrict ax)           \
    {                                                                                          \
        const T shrink = (T)(1 - hp[1] * eta), neg_eta = (T)-eta, wd = (T)hp[4], tmu = (T)mu;  \
        const int decay = hp[4] != 0, average = mu != 1;                                       \
        OPT_PARALLEL                                                                           \
        for (int64_t i = 0; i < n; i++) {                                                      \
            const T g = grad_##SUFFIX(flags, decay, wd, p[i], grad[i]);                        \
            const T x = FMA(neg_eta, g, p[i] * shrink);                                        \
            p[i] = x;                                                                          \
            ax[i] = average ? ax[i] + (x - ax[i]) * tmu : x;                                   \
        }                                                                                      \
    }

DEFINE_OPTIM_MORE(float, f32, fmaf, sqrtf, fabsf)
DEFINE_OPTIM_MORE(double, f64, fma, sqrt, fabs)

/* A 0-d state scalar other than the step (NAdam's mu_product, ASGD's eta and mu): float32 or
 * float64 (the default dtype, or the parameter's after load_state_dict casts it). */
static double get_scalar(int dtype, const void *s)
{
    return dtype == FG_FLOAT32 ? *(const float *)s : *(const double *)s;
}

static void set_scalar(int dtype, void *s, double value)
{
    if (dtype == FG_FLOAT32)
        *(float *)s = (float)value;
    else
        *(double *)s = value;
}

#define DISPATCH(dtype, NAME, ...)                                                             \
    do {                                                                                       \
        if ((dtype) == FG_FLOAT32)                                                             \
            NAME##_f32(__VA_ARGS__);                                                           \
        else                                                                                   \
            NAME##_f64(__VA_ARGS__);                                                           \
    } while (0)

/* Adadelta, Adamax and RAdam: two state buffers A and B, the step count. */
#define TWO_BUFFER_STEP(NAME, A, B)                                                            \
    int fg_##NAME##_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype,    \
                         void *step, void *param, const void *grad, void *A, void *B)          \
    {                                                                                          \
        int status = check(dtype, n, param, grad, B ? A : NULL, step_dtype, step, 1);          \
        if (status)                                                                            \
            return status;                                                                     \
        double t = next_step(step_dtype, step);                                                \
        DISPATCH(dtype, NAME, n, flags, hp, t, param, grad, A, B);                             \
        return FG_OK;                                                                          \
    }

TWO_BUFFER_STEP(adadelta, square_avg, acc_delta)
TWO_BUFFER_STEP(adamax, exp_avg, exp_inf)
TWO_BUFFER_STEP(radam, exp_avg, exp_avg_sq)

int fg_nadam_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype, void *step,
                  int scalar_dtype, void *mu_product, void *param, const void *grad,
                  void *exp_avg, void *exp_avg_sq)
{
    int status = check(dtype, n, param, grad, exp_avg_sq ? exp_avg : NULL, step_dtype, step, 1);
    if (!status)
        status = check(scalar_dtype, 1, param, grad, mu_product, 0, NULL, 0);
    if (status)
        return status;
    const double t = next_step(step_dtype, step), lr = hp[0], beta1 = hp[1], decay = hp[5];
    const double mu = beta1 * (1.0 - 0.5 * pow(0.96, t * decay));
    const double mu_next = beta1 * (1.0 - 0.5 * pow(0.96, (t + 1) * decay));
    /* mu_product *= mu: a 0-d tensor times a Python number, in the tensor's dtype */
    const double product = scalar_dtype == FG_FLOAT32
                               ? (double)((float)get_scalar(scalar_dtype, mu_product) * (float)mu)
                               : get_scalar(scalar_dtype, mu_product) * mu;
    set_scalar(scalar_dtype, mu_product, product);
    const double c[3] = {1 - pow(hp[2], t), -lr * (1.0 - mu) / (1.0 - product),
                         (-lr * mu_next) / (1.0 - product * mu_next)};
    DISPATCH(dtype, nadam, n, flags, hp, c, param, grad, exp_avg, exp_avg_sq);
    return FG_OK;
}

int fg_asgd_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype, void *step,
                 int scalar_dtype, void *eta, void *mu, void *param, const void *grad, void *ax)
{
    int status = check(dtype, n, param, grad, ax, step_dtype, step, 1);
    if (!status)
        status = check(scalar_dtype, 1, param, grad, eta && mu ? eta : NULL, 0, NULL, 0);
    if (status)
        return status;
    const double t = next_step(step_dtype, step), lr = hp[0], lambd = hp[1], alpha = hp[2];
    DISPATCH(dtype, asgd, n, flags, hp, get_scalar(scalar_dtype, eta),
             get_scalar(scalar_dtype, mu), param, grad, ax);
    /* torch.as_tensor(new value): a tensor of the default dtype (the step's), copied in */
    const double new_eta = lr / pow(1 + lambd * lr * t, alpha);
    const double new_mu = 1 / fmax(1, t - hp[3]);
    set_scalar(scalar_dtype, eta, step_dtype == FG_FLOAT32 ? (float)new_eta : new_eta);
    set_scalar(scalar_dtype, mu, step_dtype == FG_FLOAT32 ? (float)new_mu : new_mu);
    return FG_OK;
}
