/* fg_plan_run: a recorded sequence of kernel calls (fastgrad.compile), made again without
 * Python. Each case unpacks one call's words into its function's parameters. */
#include "internal.h"

#define I(k) (w[k])
#define P(k) ((void *)(intptr_t)w[k])
#define A(k) ((const int64_t *)(intptr_t)w[k])

/* Words per call after its kind, in the order of the parameters (fastgrad.h). */
static const int ARITY[FG_NUM_CALLS] = {
    [FG_CALL_ELEMENTWISE] = 9, [FG_CALL_ELEMENTWISE_FLAT] = 10, [FG_CALL_COPY] = 7,
    [FG_CALL_FILL] = 6, [FG_CALL_ARANGE] = 5, [FG_CALL_REDUCE] = 8, [FG_CALL_ALONG_AXIS] = 8,
    [FG_CALL_MATMUL] = 10, [FG_CALL_SOFTMAX] = 8, [FG_CALL_SOFTMAX_BACKWARD] = 9,
    [FG_CALL_CROSS_ENTROPY] = 12, [FG_CALL_CROSS_ENTROPY_BACKWARD] = 11, [FG_CALL_GATHER] = 10,
    [FG_CALL_SCATTER] = 11, [FG_CALL_INDEX_FOLD] = 7, [FG_CALL_SORT] = 9,
    [FG_CALL_LINSPACE] = 7,
    [FG_CALL_SGD_STEP] = 7, [FG_CALL_ADAM_STEP] = 11, [FG_CALL_RMSPROP_STEP] = 11,
    [FG_CALL_ADAGRAD_STEP] = 9,
    [FG_CALL_CONV2D] = 7, [FG_CALL_QR] = 9, [FG_CALL_POOL2D] = 7, [FG_CALL_POOL2D_BACKWARD] = 8,
    [FG_CALL_LAYER_NORM] = 10, [FG_CALL_LAYER_NORM_BACKWARD] = 11, [FG_CALL_BATCH_NORM] = 14,
    [FG_CALL_BATCH_NORM_BACKWARD] = 13,
    [FG_CALL_ADADELTA_STEP] = 10, [FG_CALL_ADAMAX_STEP] = 10, [FG_CALL_NADAM_STEP] = 12,
    [FG_CALL_RADAM_STEP] = 10, [FG_CALL_ASGD_STEP] = 12,
};

static int run_one(int64_t kind, const int64_t *w)
{
    switch (kind) {
    case FG_CALL_ELEMENTWISE:
        return fg_elementwise(I(0), I(1), I(2), A(3), A(4), P(5), P(6), P(7), P(8));
    case FG_CALL_ELEMENTWISE_FLAT:
        return fg_elementwise_flat(I(0), I(1), I(2), P(3), P(4), I(5), P(6), I(7), P(8), I(9));
    case FG_CALL_COPY:
        return fg_copy(I(0), I(1), I(2), A(3), A(4), P(5), P(6));
    case FG_CALL_FILL:
        return fg_fill(I(0), I(1), A(2), A(3), P(4), P(5));
    case FG_CALL_ARANGE:
        return fg_arange(I(0), I(1), P(2), P(3), P(4));
    case FG_CALL_REDUCE:
        return fg_reduce(I(0), I(1), I(2), A(3), A(4), (uint64_t)I(5), P(6), P(7));
    case FG_CALL_ALONG_AXIS:
        return fg_along_axis(I(0), I(1), I(2), A(3), A(4), I(5), P(6), P(7));
    case FG_CALL_MATMUL:
        return fg_matmul(I(0), I(1), I(2), I(3), I(4), A(5), P(6), P(7), P(8), P(9));
    case FG_CALL_SOFTMAX:
        return fg_softmax(I(0), I(1), I(2), A(3), A(4), I(5), P(6), P(7));
    case FG_CALL_SOFTMAX_BACKWARD:
        return fg_softmax_backward(I(0), I(1), I(2), A(3), A(4), I(5), P(6), P(7), P(8));
    case FG_CALL_CROSS_ENTROPY:
        return fg_cross_entropy(I(0), I(1), A(2), A(3), I(4), I(5), I(6), P(7), P(8), P(9),
                                P(10), P(11));
    case FG_CALL_CROSS_ENTROPY_BACKWARD:
        return fg_cross_entropy_backward(I(0), I(1), A(2), A(3), I(4), I(5), I(6), P(7), P(8),
                                         P(9), P(10));
    case FG_CALL_GATHER:
        return fg_gather(I(0), I(1), A(2), A(3), I(4), I(5), P(6), P(7), P(8), P(9));
    case FG_CALL_SCATTER:
        return fg_scatter(I(0), I(1), I(2), A(3), A(4), I(5), I(6), P(7), P(8), P(9), P(10));
    case FG_CALL_LINSPACE:
        return fg_linspace(I(0), I(1), I(2), P(3), P(4), P(5), P(6));
    case FG_CALL_INDEX_FOLD:
        return fg_index_fold(I(0), A(1), A(2), I(3), P(4), P(5), P(6));
    case FG_CALL_SORT:
        return fg_sort(I(0), I(1), I(2), A(3), A(4), I(5), P(6), P(7), P(8));
    /* optim */
    case FG_CALL_SGD_STEP:
        return fg_sgd_step(I(0), I(1), I(2), P(3), P(4), P(5), P(6));
    case FG_CALL_ADAM_STEP:
        return fg_adam_step(I(0), I(1), I(2), P(3), I(4), P(5), P(6), P(7), P(8), P(9), P(10));
    case FG_CALL_RMSPROP_STEP:
        return fg_rmsprop_step(I(0), I(1), I(2), P(3), I(4), P(5), P(6), P(7), P(8), P(9),
                               P(10));
    case FG_CALL_ADAGRAD_STEP:
        return fg_adagrad_step(I(0), I(1), I(2), P(3), I(4), P(5), P(6), P(7), P(8));
    /* conv */
    case FG_CALL_CONV2D:
        return fg_conv2d(I(0), I(1), A(2), P(3), P(4), P(5), P(6));
    case FG_CALL_QR: /* rnn */
        return fg_qr(I(0), I(1), I(2), I(3), I(4), I(5), P(6), P(7), P(8));
    /* normalisation */
    case FG_CALL_LAYER_NORM:
        return fg_layer_norm(I(0), I(1), I(2), P(3), P(4), P(5), P(6), P(7), P(8), P(9));
    case FG_CALL_LAYER_NORM_BACKWARD:
        return fg_layer_norm_backward(I(0), I(1), I(2), P(3), P(4), P(5), P(6), P(7), P(8), P(9),
                                      P(10));
    case FG_CALL_BATCH_NORM:
        return fg_batch_norm(I(0), I(1), I(2), I(3), I(4), P(5), P(6), P(7), P(8), P(9), P(10),
                             P(11), P(12), P(13));
    case FG_CALL_BATCH_NORM_BACKWARD:
        return fg_batch_norm_backward(I(0), I(1), I(2), I(3), I(4), P(5), P(6), P(7), P(8), P(9),
                                      P(10), P(11), P(12));
    /* pooling */
    case FG_CALL_POOL2D:
        return fg_pool2d(I(0), I(1), A(2), A(3), P(4), P(5), P(6));
    case FG_CALL_POOL2D_BACKWARD:
        return fg_pool2d_backward(I(0), I(1), A(2), A(3), P(4), P(5), P(6), P(7));
    case FG_CALL_ADADELTA_STEP:
        return fg_adadelta_step(I(0), I(1), I(2), P(3), I(4), P(5), P(6), P(7), P(8), P(9));
    case FG_CALL_ADAMAX_STEP:
        return fg_adamax_step(I(0), I(1), I(2), P(3), I(4), P(5), P(6), P(7), P(8), P(9));
    case FG_CALL_NADAM_STEP:
        return fg_nadam_step(I(0), I(1), I(2), P(3), I(4), P(5), I(6), P(7), P(8), P(9), P(10),
                             P(11));
    case FG_CALL_RADAM_STEP:
        return fg_radam_step(I(0), I(1), I(2), P(3), I(4), P(5), P(6), P(7), P(8), P(9));
    case FG_CALL_ASGD_STEP:
        return fg_asgd_step(I(0), I(1), I(2), P(3), I(4), P(5), I(6), P(7), P(8), P(9), P(10),
                            P(11));
    default:
        return FG_EOP;
    }
}

int fg_plan_run(int64_t ncalls, const int64_t *words, int64_t nwords, int64_t *failed)
{
    int64_t at = 0;
    for (int64_t call = 0; call < ncalls; call++) {
        int64_t kind = at < nwords ? words[at] : -1;
        int status = kind < 0 || kind >= FG_NUM_CALLS || at + 1 + ARITY[kind] > nwords
                         ? FG_EOP : run_one(kind, words + at + 1);
        if (status) {
            *failed = call;
            return status;
        }
        at += 1 + ARITY[kind];
    }
    return FG_OK;
}
