/* fastgrad's whole C API. tools/build_ffi.py feeds this file, minus its '#' lines, to cffi's
 * cdef, so it holds only declarations cffi can parse.
 *
 * Conventions: every tensor argument is a data pointer plus a shape and strides in BYTES (as
 * numpy reports them), so views (transposes, slices, broadcasts with stride 0) need no copy.
 * `strides` arguments hold one row of `ndim` strides per operand, the output's row first.
 * Functions return FG_OK or an FG_E* code; Python turns codes into exceptions. */
#ifndef FASTGRAD_H
#define FASTGRAD_H
#include <stdint.h>

enum fg_status { FG_OK = 0, FG_EDTYPE = 1, FG_EOP = 2, FG_EDIMS = 3, FG_ENOMEM = 4,
                 FG_EINDEX = 5, /* an index out of range; the function says which */
                 FG_ESIZE = 6,  /* a negative size, or an element or byte count beyond int64 */
                 FG_EZERODIV = 7 /* an integer division by zero; nothing was written */ };

/* The first four are the compute dtypes every kernel takes. The others are stored as such and
 * taken by the copy, fill, elementwise, gather/scatter-assign and nonzero kernels (float16
 * computed in float, as torch's CPU does); other kernels get them widened by the Python side. */
enum fg_dtype { FG_BOOL = 0, FG_INT64 = 1, FG_FLOAT32 = 2, FG_FLOAT64 = 3, FG_INT32 = 4,
                FG_INT16 = 5, FG_INT8 = 6, FG_UINT8 = 7, FG_FLOAT16 = 8, FG_NUM_DTYPES };

/* Elementwise ops: out = f(x), f(x, y) or f(x, y, z). Comparisons write bool; FG_WHERE reads a
 * bool x; every other operand has the op's dtype. The *_BACKWARD ops take the upstream gradient
 * as x and compute one input's gradient in one pass. */
enum fg_op {
    FG_NEG, FG_ABS, FG_SIGN, FG_EXP, FG_LOG, FG_SQRT, FG_SIN, FG_COS, FG_TANH, FG_SIGMOID, FG_RELU,
    FG_FLOOR, FG_CEIL, FG_TRUNC, FG_ROUND, /* round: half to even, as torch */
    FG_LOG2, FG_LOG10, FG_LOG1P, FG_EXPM1, FG_RSQRT, FG_RECIPROCAL, FG_SINH, FG_COSH, FG_ASIN,
    FG_ACOS, FG_ATAN, FG_ERF,
    FG_ADD, FG_SUB, FG_MUL, FG_DIV, FG_POW, FG_MAXIMUM, FG_MINIMUM,
    FG_EQ, FG_NE, FG_LT, FG_LE, FG_GT, FG_GE,
    FG_RELU_BACKWARD,    /* y <= 0 ? 0 : x: y is relu's input; x passes at NaN   */
    FG_ABS_BACKWARD,     /* x * sign(y): y is abs's input; x * 0 at 0            */
    FG_SIGMOID_BACKWARD, /* x * y * (1 - y): y is sigmoid's output               */
    FG_TANH_BACKWARD,    /* x * (1 - y * y): y is tanh's output                  */
    FG_MAX_BACKWARD,     /* x * (y < z ? 0 : y == z ? 0.5 : 1): ties share, NaN wins, as torch */
    FG_WHERE,            /* x ? y : z                                            */
    /* Integer and floor division as torch (floor_divide, remainder: Python's signs; fmod and
     * div_trunc: C's). An int64 divisor of 0 is FG_EZERODIV, checked before anything is written. */
    FG_FLOOR_DIVIDE, FG_REMAINDER, FG_FMOD, FG_DIV_TRUNC,
    FG_ATAN2, FG_HYPOT, FG_FRAC,
    FG_LERP,             /* x + z * (y - x), or y - (y - x) * (1 - z) where |z| >= 0.5, as torch */
    FG_BITWISE_AND, FG_BITWISE_OR, FG_BITWISE_XOR, FG_BITWISE_NOT, /* bool and int64 */
    FG_LSHIFT, FG_RSHIFT, /* int64; shifts outside [0, 64) give 0 (<<) or the sign (>>), as torch */
    /* Bool out, any dtype in: */
    FG_LOGICAL_AND, FG_LOGICAL_OR, FG_LOGICAL_XOR, FG_LOGICAL_NOT,
    FG_ISNAN, FG_ISINF, FG_ISPOSINF, FG_ISNEGINF, FG_ISFINITE, FG_SIGNBIT,
    FG_REPLACE_NAN,      /* x is NaN ? y : x                                     */
    FG_REPLACE_INF,      /* x == inf ? y : x == -inf ? z : x                     */
    FG_ERFINV,           /* erf^-1, to rounding (torch: MKL); trunc_normal_ too  */
    /* Activations (torch.nn.functional), as torch's CPU kernels compute them; the parameters
     * (slope, alpha, beta, threshold) are operands, usually 0-d. The backward ops take the
     * upstream gradient as x and the activation's input as y. */
    FG_GELU, FG_GELU_TANH, FG_SILU, FG_MISH, FG_HARDSIGMOID, FG_HARDSWISH,
    FG_LEAKY_RELU,       /* x > 0 ? x : x * y (y the slope)                     */
    FG_ELU,              /* x <= 0 ? expm1(x) * y : x (y is alpha)               */
    FG_SOFTPLUS,         /* x * y > z ? x : log1p(exp(x * y)) / y (beta, threshold) */
    FG_GELU_BACKWARD, FG_GELU_TANH_BACKWARD, FG_SILU_BACKWARD, FG_MISH_BACKWARD,
    FG_HARDSIGMOID_BACKWARD, FG_HARDSWISH_BACKWARD,
    FG_LEAKY_RELU_BACKWARD, /* y > 0 ? x : x * z                                 */
    FG_ELU_BACKWARD,     /* y <= 0 ? x * z * exp(y) : x                          */
    FG_SOFTPLUS_BACKWARD, /* y > z ? x : x * e / (e + 1), e = exp(y); y is input * beta */
    /* More activations (operands as above; the shrinks' and threshold's backward take
     * lambda or the threshold as z) */
    FG_SELU,             /* elu with torch's SELU alpha and scale                */
    FG_CELU,             /* x <= 0 ? expm1(x * y) * z : x (y = 1 / alpha, z = alpha) */
    FG_LOG_SIGMOID,      /* min(x, 0) - log1p(exp(-|x|))                         */
    FG_SOFTSHRINK,       /* x > y ? x - y : x < -y ? x + y : NaN or 0              */
    FG_HARDSHRINK,       /* -y <= x <= y ? 0 : x                                 */
    FG_THRESHOLD,        /* x <= y ? z : x                                       */
    FG_SELU_BACKWARD, FG_CELU_BACKWARD, FG_LOG_SIGMOID_BACKWARD,
    FG_SHRINK_BACKWARD,  /* -z <= y <= z ? 0 : x                                 */
    FG_THRESHOLD_BACKWARD, /* y <= z ? 0 : x                                     */
    FG_NUM_OPS
};

int fg_elementwise(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides,
                   char *out, const char *x, const char *y, const char *z);
/* The same over n elements of a contiguous out, each operand read with one stride (its element
 * size, or 0 for a single broadcast value): the common case, with no arrays to pass. */
int fg_elementwise_flat(int op, int dtype, int64_t n, char *out, const char *x, int64_t sx,
                        const char *y, int64_t sy, const char *z, int64_t sz);

/* out = x converted to out_dtype (a strided copy when the dtypes agree; FG_UINT8 only so). */
int fg_copy(int out_dtype, int x_dtype, int ndim, const int64_t *shape, const int64_t *strides,
            char *out, const char *x);
/* `value` points to one element of `dtype`. */
int fg_fill(int dtype, int ndim, const int64_t *shape, const int64_t *strides, char *out,
            const void *value);
/* out[i] = start + i * step: exactly in int64 for FG_INT64 (start and step point to int64),
 * in double and then rounded for the floating dtypes (start and step point to doubles). */
int fg_arange(int dtype, int64_t n, char *out, const void *start, const void *step);
/* torch's linspace (log 0) and logspace (log 1, base ** each value) over n values from start to
 * end; start and end point to int64 for FG_INT64 and to doubles otherwise, base to a double. */
int fg_linspace(int log, int dtype, int64_t n, char *out, const void *start, const void *end,
                const void *base);

/* Reductions over the axes set in reduce_mask (bit d for axis d). `out` is contiguous with the
 * keepdims shape (1 on reduced axes); x is strided. Sums are float-accurate (pairwise). */
enum fg_reduce_op { FG_SUM, FG_MAX, FG_MIN, FG_PROD };
int fg_reduce(int op, int dtype, int ndim, const int64_t *shape, const int64_t *x_strides,
              uint64_t reduce_mask, char *out, const char *x);

/* Scans along one axis: argmax/argmin (out is int64 with size 1 on `axis`), cumsum, cumprod. */
enum fg_axis_op { FG_ARGMAX, FG_ARGMIN, FG_CUMSUM, FG_CUMPROD };
int fg_along_axis(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides,
                  int axis, char *out, const char *x);

/* Sorts x along `axis` into values (x's dtype) and int64 indices (where each value was),
 * stably: equal elements keep their order, also descending; NaN sorts above every number.
 * FG_SORT_MODE writes instead, at position 0 along the axis, each row's most frequent value
 * (the smallest of those as frequent) and the last index it occurs at. Operands (rows of
 * `strides`): values, indices, x. */
enum fg_sort_op { FG_SORT_ASCENDING, FG_SORT_DESCENDING, FG_SORT_MODE };
int fg_sort(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides, int axis,
            char *values, char *indices, const char *x);

/* c[b] = a[b] @ b[b] (+ bias[b]) for b < batch, a[b] m x k, b[b] k x n, c[b] m x n. `strides`
 * holds the batch, row and column strides of a, b and c, in that order, then of bias when it is
 * not NULL (an m x n operand, broadcast by zero strides: addmm's, added after the product as a
 * separate addition would), each a multiple of the element size. Transposed operands are just
 * other strides; dot and mv are the n == 1 (and m == 1) cases. */
int fg_matmul(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const int64_t *strides,
              char *c, const char *a, const char *b, const char *bias);

/* Softmax and log-softmax of x along `axis`, the largest element of each row subtracted first
 * so that no finite input overflows. Operands (rows of `strides`): out, x. The backward passes
 * take the upstream gradient g and the forward's output y and compute, with sums along the
 * axis, softmax's gx = y * (g - sum(g * y)) and log-softmax's gx = g - exp(y) * sum(g).
 * Operands: gx, g, y. Floating dtypes only. */
enum fg_softmax_op { FG_SOFTMAX, FG_LOG_SOFTMAX };
int fg_softmax(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides,
               int axis, char *out, const char *x);
int fg_softmax_backward(int op, int dtype, int ndim, const int64_t *shape,
                        const int64_t *strides, int axis, char *gx, const char *g, const char *y);

/* Cross entropy of logits x, whose classes run along `axis`, against int64 class indices: at
 * each position off the axis, loss = logsumexp(x) - x[target], or 0 where target ==
 * ignore_index. Operands: loss, x, target; loss and target have stride 0 along the axis. The
 * targets are checked before anything is written: FG_EINDEX with *info the first one outside
 * [0, classes), else FG_OK with *info the number of targets not ignored. Unless `total` is
 * NULL, it gets the losses' sum (fg_reduce's, of the contiguous loss), divided by that number
 * when `mean`: the reduced loss in one call. */
int fg_cross_entropy(int dtype, int ndim, const int64_t *shape, const int64_t *strides, int axis,
                     int64_t ignore_index, int mean, char *loss, char *total, const char *x,
                     const char *target, int64_t *info);
/* Its gradient: gx = (softmax(x) - onehot(target)) * g, with g the upstream gradient at each
 * position (stride 0 along the axis, and everywhere for a reduced loss), divided by the number
 * of targets not ignored when `mean`; softmax(x) * 0 where target == ignore_index (0, or NaN
 * where the softmax is, as torch). Operands: gx, x, target, g. FG_EINDEX for a target out of range, as above. */
int fg_cross_entropy_backward(int dtype, int ndim, const int64_t *shape, const int64_t *strides,
                              int axis, int64_t ignore_index, int mean, char *gx, const char *x,
                              const char *target, const char *g);

/* Indexing along one axis `dim`, as torch.gather and Tensor.scatter_add_: for each position i of
 * `shape` (the int64 index's shape), with j = i but j[dim] = index[i]:
 *   fg_gather:  out[i] = x[j]
 *   fg_scatter: out[j] = src[i] (FG_SCATTER_ASSIGN) or out[j] += src[i] (FG_SCATTER_ADD: in
 *               index order, so repeated indices accumulate; bool adds as "or"), or *= (FG_SCATTER_MULTIPLY; bool: "and")
 * `strides` holds the rows of out, x (src) and index; the indexed operand's row includes its
 * stride along dim, where it has `size` elements. Every index must lie in [0, size): else
 * nothing is written, *bad receives the first one (row-major) that does not, and FG_EINDEX is
 * returned. Gathers and assignments take any dtype (they move bytes). */
enum fg_scatter_op { FG_SCATTER_ASSIGN, FG_SCATTER_ADD, FG_SCATTER_MULTIPLY };
int fg_gather(int dtype, int ndim, const int64_t *shape, const int64_t *strides, int dim,
              int64_t size, char *out, const char *x, const char *index, int64_t *bad);
int fg_scatter(int op, int dtype, int ndim, const int64_t *shape, const int64_t *strides, int dim,
               int64_t size, char *out, const char *src, const char *index, int64_t *bad);
/* One step of turning several index tensors into one flat index (row-major over the indexed
 * axes): out = out * size + (index < 0 ? index + size : index), out int64 and index int64 (rows
 * of `strides`), every index in [-size, size) (else FG_EINDEX as above). */
int fg_index_fold(int ndim, const int64_t *shape, const int64_t *strides, int64_t size,
                  char *out, const char *index, int64_t *bad);
/* The nonzero elements of x (any dtype), in row-major order: *count of them; unless out is NULL,
 * their coordinates too, as a contiguous int64 (count, ndim) matrix (size it with a first call
 * with out NULL). */
int fg_nonzero(int dtype, int ndim, const int64_t *shape, const int64_t *strides, const char *x,
               char *out, int64_t *count);

/* Random numbers as torch's CPU generator (csrc/random.c): mt19937 seeded as torch seeds it,
 * plus the second value of the scalar Box-Muller pair that torch keeps for the next draw. Draws
 * refuse recording (fastgrad.compile), so none of these has a call kind. */
typedef struct fg_generator {
    uint64_t seed;
    int32_t left;
    uint32_t next;
    uint32_t state[624];
    double normal_double;
    float normal_float;
    int32_t has_normal_double, has_normal_float;
} fg_generator;
enum { FG_RNG_STATE_BYTES = 5056 }; /* sizeof torch's CPUGeneratorImplState */
void fg_rng_seed(fg_generator *g, uint64_t seed);
uint32_t fg_rng_random(fg_generator *g);
uint64_t fg_rng_random64(fg_generator *g);
/* The state as torch.get_rng_state's bytes; set_state: FG_ESIZE for a wrong byte count, FG_EOP
 * for bytes that are no valid mt19937 state (torch's check). */
void fg_rng_get_state(const fg_generator *g, uint8_t *out);
int fg_rng_set_state(fg_generator *g, const uint8_t *in, int64_t n);
/* Fills out (strided, any layout; drawn in memory order) with: FG_RNG_UNIFORM in [a, b);
 * FG_RNG_NORMAL of mean a and std b; FG_RNG_EXPONENTIAL of rate a; FG_RNG_BERNOULLI 1 with
 * probability a; FG_RNG_INT_RANGE integers in [base, base + range) (range > 0); FG_RNG_INT_FULL
 * any int64; FG_RNG_INT_DEFAULT torch's random_(): [0, 2^63) for int64, [0, 2^24] for float32,
 * [0, 2^53] for float64, {0, 1} for bool. */
enum fg_rng_kind { FG_RNG_UNIFORM, FG_RNG_NORMAL, FG_RNG_EXPONENTIAL, FG_RNG_BERNOULLI,
                   FG_RNG_INT_RANGE, FG_RNG_INT_FULL, FG_RNG_INT_DEFAULT };
int fg_rng_fill(fg_generator *g, int kind, int dtype, int ndim, const int64_t *shape,
                const int64_t *strides, char *out, double a, double b, uint64_t range,
                int64_t base);
/* out = 1 with probability p (rows of `strides`: out, p; p float32 or float64, broadcast with
 * stride 0), out of any dtype. FG_EINDEX at the first p outside [0, 1] (drawing stops). */
int fg_rng_bernoulli(fg_generator *g, int dtype, int p_dtype, int ndim, const int64_t *shape,
                     const int64_t *strides, char *out, const char *p);
/* A random permutation of 0..n-1 into the contiguous out (int64 or a float dtype). */
int fg_rng_randperm(fg_generator *g, int dtype, int64_t n, char *out);
/* n_sample category indices per row of the (rows, cats) probabilities p (float32 or float64,
 * byte strides {row, column}) into the contiguous int64 (rows, n_sample) out. Bad
 * probabilities: FG_EINDEX with *bad the reason. */
enum fg_rng_bad { FG_RNG_BAD_NEGATIVE = 1, FG_RNG_BAD_NOT_FINITE, FG_RNG_BAD_SUM, FG_RNG_BAD_ANY };
int fg_rng_multinomial(fg_generator *g, int dtype, int64_t rows, int64_t cats,
                       const int64_t *strides, const char *p, int64_t n_sample, int replacement,
                       int64_t *out, int *bad);

/* ---- Optimizers (fastgrad.optim, csrc/optim.c) -------------------------------------------
 * One fused in-place update of a parameter's n contiguous elements, following torch's
 * single-tensor CPU code: param, grad and the state buffers all have dtype (float32 or float64)
 * and n elements; a NULL buffer means the option that uses it is off. hp holds the group's
 * numbers; step (0-d, step_dtype float32 or float64) is incremented first, and the bias
 * corrections come from it. */
enum fg_optim_flags { FG_OPTIM_MAXIMIZE = 1, FG_OPTIM_NESTEROV = 2,
                      FG_OPTIM_FIRST = 4,     /* SGD: no momentum buffer yet, it becomes grad */
                      FG_OPTIM_DECOUPLED = 8  /* Adam: AdamW's decoupled weight decay */ };
/* hp: lr, weight_decay, momentum, dampening; buf: the momentum buffer (NULL without momentum). */
int fg_sgd_step(int dtype, int64_t n, int flags, const double *hp, void *param,
                const void *grad, void *buf);
/* Without momentum, `count` parameters of one dtype in one call: params[i] and grads[i] hold
 * sizes[i] elements; each update is fg_sgd_step's. Nothing is updated unless all check out. */
int fg_sgd_steps(int dtype, int count, const int64_t *sizes, int flags, const double *hp,
                 void *const *params, const void *const *grads);
/* hp: lr, beta1, beta2, eps, weight_decay; max_exp_avg_sq NULL unless amsgrad. */
int fg_adam_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype, void *step,
                 void *param, const void *grad, void *exp_avg, void *exp_avg_sq,
                 void *max_exp_avg_sq);
/* hp: lr, alpha, eps, weight_decay, momentum; grad_avg NULL unless centered, momentum_buffer
 * NULL unless momentum > 0. */
int fg_rmsprop_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype,
                    void *step, void *param, const void *grad, void *square_avg,
                    void *grad_avg, void *momentum_buffer);
/* hp: lr, lr_decay, eps, weight_decay. */
int fg_adagrad_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype,
                    void *step, void *param, const void *grad, void *sum);
/* More optimizers (csrc/optim.c). Adadelta hp: lr, rho, eps, weight_decay. */
int fg_adadelta_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype,
                     void *step, void *param, const void *grad, void *square_avg,
                     void *acc_delta);
/* Adamax hp: lr, beta1, beta2, eps, weight_decay. */
int fg_adamax_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype,
                   void *step, void *param, const void *grad, void *exp_avg, void *exp_inf);
/* NAdam hp: lr, beta1, beta2, eps, weight_decay, momentum_decay (FG_OPTIM_DECOUPLED: decoupled
 * weight decay); mu_product a 0-d scalar_dtype (float32 or float64) tensor it multiplies. */
int fg_nadam_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype, void *step,
                  int scalar_dtype, void *mu_product, void *param, const void *grad,
                  void *exp_avg, void *exp_avg_sq);
/* RAdam hp: lr, beta1, beta2, eps, weight_decay (FG_OPTIM_DECOUPLED as NAdam). */
int fg_radam_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype, void *step,
                  void *param, const void *grad, void *exp_avg, void *exp_avg_sq);
/* ASGD hp: lr, lambd, alpha, t0, weight_decay; eta and mu 0-d scalar_dtype tensors it reads,
 * then sets for the next step. */
int fg_asgd_step(int dtype, int64_t n, int flags, const double *hp, int step_dtype, void *step,
                 int scalar_dtype, void *eta, void *mu, void *param, const void *grad, void *ax);
/* ---- convolution (csrc/conv.c) ---- */
/* 2-d convolution, cross-correlation as torch's: y[n, o, oy, ox] = bias[o] + sum over the c of
 * o's group, ky, kx of w[o, c, ky, kx] x[n, c, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw], x read
 * as 0 outside its H x W (zero padding: ph, pw on the top and left; the output's OH x OW given,
 * so the bottom and right pads are whatever fills it). Operands are CONTIGUOUS (row-major) in
 * the shapes x (N, C, H, W), w (O, C/groups, KH, KW), y (N, O, OH, OW), in `dtype` (float32 or
 * float64). geometry: 16 words N, C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, groups
 * (each below 2^30; kernel, strides, dilations, groups >= 1 and dividing C and O: else FG_EDIMS).
 *   FG_CONV_FORWARD:     out = y, a = x, b = w, bias (O values) or NULL
 *   FG_CONV_INPUT_GRAD:  out = gx (x's shape), a = gy (y's), b = w; bias NULL
 *   FG_CONV_WEIGHT_GRAD: out = gw (w's shape), a = x, b = gy; bias NULL */
enum fg_conv_op { FG_CONV_FORWARD, FG_CONV_INPUT_GRAD, FG_CONV_WEIGHT_GRAD };
int fg_conv2d(int op, int dtype, const int64_t *geometry, char *out, const char *a,
              const char *b, const char *bias);
/* ---- rnn: decompositions (csrc/linalg.c) ---------------------------------------------------
 * The QR decompositions of `batch` contiguous row-major m x n matrices a (float32 or float64),
 * k = min(m, n), by Householder reflections as LAPACK's geqrf and orgqr (so R's diagonal has
 * LAPACK's signs): r receives each R as r_rows x n (r_rows k or m, zeros below the diagonal),
 * q the first q_cols columns of each Q as m x q_cols (q_cols k or m; 0: q unused). */
int fg_qr(int dtype, int64_t batch, int64_t m, int64_t n, int64_t q_cols, int64_t r_rows,
          char *q, char *r, const char *a);
/* ---- normalisation (csrc/norm.c): layer norm and batch norm. Every operand contiguous and
 * aligned, float32 or float64; statistics and sums accumulate in double.
 * Layer norm: x as (rows, n), each row normalized over its n elements: out = (x - mean) * rstd
 * * w + b (w, b of n elements, either NULL for none), writing each row's mean and rstd =
 * 1 / sqrt(biased variance + *eps). Its backward writes (any of them NULL for not wanted) gx, gw
 * = sum over rows of g * xhat, gb = sum over rows of g, from the saved mean and rstd.
 * Batch norm: x as (outer, channels, inner), each channel normalized over its outer * inner
 * elements. coef = {eps, momentum}. training: the batch's mean and invstd = 1 / sqrt(biased
 * variance + eps) are written to mean and invstd, and running_mean and running_var (unless NULL)
 * move towards the mean and the unbiased variance by momentum; else the running statistics
 * (required) are used, mean and invstd receiving them as used. The backward reads them back;
 * in training it includes the statistics' dependence on x. */
int fg_layer_norm(int dtype, int64_t rows, int64_t n, const double *eps, char *out, char *mean,
                  char *rstd, const char *x, const char *w, const char *b);
int fg_layer_norm_backward(int dtype, int64_t rows, int64_t n, char *gx, char *gw, char *gb,
                           const char *g, const char *x, const char *mean, const char *rstd,
                           const char *w);
int fg_batch_norm(int dtype, int64_t outer, int64_t channels, int64_t inner, int training,
                  const double *coef, char *out, char *mean, char *invstd, const char *x,
                  const char *w, const char *b, char *running_mean, char *running_var);
int fg_batch_norm_backward(int dtype, int64_t outer, int64_t channels, int64_t inner,
                           int training, char *gx, char *gw, char *gb, const char *g,
                           const char *x, const char *mean, const char *invstd, const char *w);
/* ---- pooling (csrc/pool.c) ----
 * 2-d pooling of x (N, C, H, W) into out (N, C, OH, OW), each (n, c) plane on its own; 1-d
 * pooling is H = 1. geom holds 16 words: N, C, H, W, OH, OW, kH, kW, sH, sW, pH, pW, dH, dW,
 * count_include_pad, divisor_override (0: none). FG_POOL_MAX takes each window's largest
 * element (NaN wins) and writes to `indices` (int64, unless NULL) where it was, as h * W + w;
 * FG_POOL_AVG averages windows of kH x kW (no dilation), padded with zeros, dividing as torch
 * does; the adaptive ops take torch's windows [floor(o * H / OH), ceil((o + 1) * H / OH)) and
 * ignore the window words. `strides` holds the 4 byte strides of out, indices and x, in that
 * order (indices' row present but unread when NULL). Floating dtypes; FG_POOL_MAX takes int64
 * too. */
enum fg_pool_op { FG_POOL_MAX, FG_POOL_AVG, FG_POOL_ADAPTIVE_AVG, FG_POOL_ADAPTIVE_MAX };
int fg_pool2d(int op, int dtype, const int64_t *geom, const int64_t *strides, char *out,
              char *indices, const char *x);
/* The gradient gx (N, C, H, W), overwritten, from g (N, C, OH, OW): max pooling adds each g to
 * gx at its index (checked first: FG_EINDEX with *bad the first outside [0, H * W)), average
 * pooling spreads it over its window. `strides`: gx, g, indices (read by the max ops only). */
int fg_pool2d_backward(int op, int dtype, const int64_t *geom, const int64_t *strides, char *gx,
                       const char *g, const char *indices, int64_t *bad);

/* Replaying recorded kernel calls (fastgrad.compile). A plan is an array of int64 words: for
 * each call its kind, then its arguments in the order of that function's parameters above, one
 * word each: ints as they are, pointers as addresses (the shape and stride arrays, the buffers
 * and the scalars they point to belong to the plan's owner). fg_plan_run makes the calls in
 * order and stops at the first that fails, with *failed its number; nonzero has no kind (its
 * output's shape depends on the data). */
enum fg_call {
    FG_CALL_ELEMENTWISE, FG_CALL_ELEMENTWISE_FLAT, FG_CALL_COPY, FG_CALL_FILL, FG_CALL_ARANGE,
    FG_CALL_REDUCE, FG_CALL_ALONG_AXIS, FG_CALL_MATMUL, FG_CALL_SOFTMAX, FG_CALL_SOFTMAX_BACKWARD,
    FG_CALL_CROSS_ENTROPY, FG_CALL_CROSS_ENTROPY_BACKWARD, FG_CALL_GATHER, FG_CALL_SCATTER,
    FG_CALL_INDEX_FOLD, FG_CALL_SORT, FG_CALL_LINSPACE,
    FG_CALL_SGD_STEP, FG_CALL_ADAM_STEP, FG_CALL_RMSPROP_STEP, FG_CALL_ADAGRAD_STEP,
    FG_CALL_CONV2D, FG_CALL_QR, FG_CALL_POOL2D, FG_CALL_POOL2D_BACKWARD,
    FG_CALL_LAYER_NORM, FG_CALL_LAYER_NORM_BACKWARD, FG_CALL_BATCH_NORM,
    FG_CALL_BATCH_NORM_BACKWARD,
    FG_CALL_ADADELTA_STEP, FG_CALL_ADAMAX_STEP, FG_CALL_NADAM_STEP, FG_CALL_RADAM_STEP,
    FG_CALL_ASGD_STEP,
    FG_NUM_CALLS
};
int fg_plan_run(int64_t ncalls, const int64_t *words, int64_t nwords, int64_t *failed);

/* The instruction-set level the kernels picked at load time: "avx512", "avx2" or "baseline". */
const char *fg_isa(void);

void fg_set_num_threads(int n);
int fg_get_num_threads(void);

#endif
