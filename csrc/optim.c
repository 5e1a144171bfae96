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
