/* Decompositions: the QR decomposition by Householder reflections, with LAPACK's conventions
 * (geqrf's reflectors H = I - tau v v^T, v[0] = 1, and R's diagonal -sign(a) * |column|, then
 * orgqr's Q = H_0 H_1 ... H_(k-1)), so that Q and R are LAPACK's (torch's) to rounding. Each
 * matrix is computed in double, whatever its dtype, and rounded once at the end. */
#include <math.h>
#include <stdlib.h>
#include "internal.h"

/* Householder QR of the m x n row-major matrix w in place: R on and above the diagonal, the
 * reflectors' v below it (v[0] = 1 implied), their taus in tau[0..k). */
static void householder(int64_t m, int64_t n, double *w, double *tau)
{
    int64_t k = m < n ? m : n;
    for (int64_t j = 0; j < k; j++) {
        double alpha = w[j * n + j], norm = 0;
        for (int64_t i = j + 1; i < m; i++) norm = hypot(norm, w[i * n + j]);
        tau[j] = 0;
        if (norm == 0) continue; /* H = I, as LAPACK's larfg */
        double beta = -copysign(hypot(alpha, norm), alpha);
        tau[j] = (beta - alpha) / beta;
        double scale = 1 / (alpha - beta);
        for (int64_t i = j + 1; i < m; i++) w[i * n + j] *= scale;
        w[j * n + j] = beta;
        for (int64_t c = j + 1; c < n; c++) { /* the trailing columns: H applied from the left */
            double dot = w[j * n + c];
            for (int64_t i = j + 1; i < m; i++) dot += w[i * n + j] * w[i * n + c];
            dot *= tau[j];
            w[j * n + c] -= dot;
            for (int64_t i = j + 1; i < m; i++) w[i * n + c] -= dot * w[i * n + j];
        }
    }
}

/* The first `cols` columns of Q = H_0 ... H_(k-1) into the m x cols row-major q, applying the
 * reflectors of w (householder's) to the identity's columns, last reflector first. */
static void form_q(int64_t m, int64_t n, const double *w, const double *tau, int64_t cols,
                   double *q)
{
    int64_t k = m < n ? m : n;
    for (int64_t i = 0; i < m; i++)
        for (int64_t c = 0; c < cols; c++) q[i * cols + c] = i == c;
    for (int64_t j = k - 1; j >= 0; j--) {
        if (tau[j] == 0) continue;
        for (int64_t c = j; c < cols; c++) {
            double dot = q[j * cols + c];
            for (int64_t i = j + 1; i < m; i++) dot += w[i * n + j] * q[i * cols + c];
            dot *= tau[j];
            q[j * cols + c] -= dot;
            for (int64_t i = j + 1; i < m; i++) q[i * cols + c] -= dot * w[i * n + j];
        }
    }
}

static double load(int dtype, const char *p, int64_t i)
{
    return dtype == FG_FLOAT32 ? ((const float *)p)[i] : ((const double *)p)[i];
}

static void store(int dtype, char *p, int64_t i, double v)
{
    if (dtype == FG_FLOAT32)
        ((float *)p)[i] = (float)v;
    else
        ((double *)p)[i] = v;
}

int fg_qr(int dtype, int64_t batch, int64_t m, int64_t n, int64_t q_cols, int64_t r_rows,
          char *q, char *r, const char *a)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    int64_t k = m < n ? m : n;
    if (batch < 0 || m < 0 || n < 0 || (q_cols != 0 && q_cols != k && q_cols != m) ||
        (r_rows != k && r_rows != m))
        return FG_ESIZE;
    int64_t mn, q_size, size = fg_dtype_size(dtype);
    if (__builtin_mul_overflow(m, n, &mn) || __builtin_mul_overflow(m, q_cols, &q_size))
        return FG_ESIZE;
    double *w = fg_alloc(mn + q_size + k + 1, sizeof(double));
    if (!w) return FG_ENOMEM;
    double *qw = w + mn, *tau = qw + q_size;
    for (int64_t b = 0; b < batch; b++) {
        const char *ab = a + b * mn * size;
        for (int64_t i = 0; i < mn; i++) w[i] = load(dtype, ab, i);
        householder(m, n, w, tau);
        char *rb = r + b * r_rows * n * size;
        for (int64_t i = 0; i < r_rows; i++)
            for (int64_t c = 0; c < n; c++) store(dtype, rb, i * n + c, c < i ? 0 : w[i * n + c]);
        if (q_cols) {
            form_q(m, n, w, tau, q_cols, qw);
            char *qb = q + b * q_size * size;
            for (int64_t i = 0; i < q_size; i++) store(dtype, qb, i, qw[i]);
        }
    }
    free(w);
    return FG_OK;
}
