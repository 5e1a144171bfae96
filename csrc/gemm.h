/* Internal: the strided matrix product behind fg_matmul, not part of the public (cffi) API.
 *
 * fg_gemm_T computes C = A B (accumulate == 0) or C += A B (accumulate != 0) where A is m x k,
 * B is k x n and C is m x n, each addressed through element strides (row stride, col stride):
 * element (i, j) of A is a[i * rsa + j * csa]. A transposed operand is the same buffer with its
 * two strides swapped, so A^T B and A B^T need no copy. Strides must be >= 0 (0 only along a
 * size-1 dimension or for a broadcast input); C must not overlap A or B. m, n or k may be 0: with
 * k == 0, C is set to 0 (or left alone when accumulating).
 *
 * Returns 0 on success and 4 (FG_ENOMEM) when a packing buffer cannot be allocated, in which
 * case C is untouched.
 *
 * The code is compiled once per x86-64 instruction-set level (gemm.c with -DFG_ISA=...); the
 * entry points below (gemm_dispatch.c) pick the best level the CPU supports at the first call.
 * The environment variable FASTGRAD_ISA=baseline|avx2|avx512 caps the level. */
#ifndef FASTGRAD_GEMM_H
#define FASTGRAD_GEMM_H
#include <stdint.h>

int fg_gemm_f32(int64_t m, int64_t n, int64_t k, const float *a, int64_t rsa, int64_t csa,
                const float *b, int64_t rsb, int64_t csb, float *c, int64_t rsc, int64_t csc,
                int accumulate);
int fg_gemm_f64(int64_t m, int64_t n, int64_t k, const double *a, int64_t rsa, int64_t csa,
                const double *b, int64_t rsb, int64_t csb, double *c, int64_t rsc, int64_t csc,
                int accumulate);

/* Products whose A columns are windows (the convolution's forward, read straight from the
 * image): C (m x n, strides rsc, csc) = or += A B where A element (i, p) is a[i + off[p]]
 * and B (k x n) was packed by fg_windows_pack into fg_windows_size(k, n) elements, once for
 * many products. Reads (never uses) up to FG_WINDOWS_SLACK elements past a[m - 1 + off[p]]:
 * the buffer must extend that far. The last two return 0. */
#define FG_WINDOWS_SLACK 32
int64_t fg_windows_size_f32(int64_t k, int64_t n);
int64_t fg_windows_size_f64(int64_t k, int64_t n);
int fg_windows_pack_f32(int64_t k, int64_t n, const float *b, int64_t rsb, int64_t csb,
                         float *packed);
int fg_windows_pack_f64(int64_t k, int64_t n, const double *b, int64_t rsb, int64_t csb,
                         double *packed);
int fg_windows_f32(int64_t m, int64_t n, int64_t k, const float *a, const int64_t *off,
                   const float *packed, float *c, int64_t rsc, int64_t csc, int accumulate);
int fg_windows_f64(int64_t m, int64_t n, int64_t k, const double *a, const int64_t *off,
                   const double *packed, double *c, int64_t rsc, int64_t csc, int accumulate);

/* Products whose B rows are windows (the convolution's forward, positions along B's rows):
 * C (m x n, row stride rsc, unit column stride) = or += A B where B element (p, j) is
 * b[off[p] + j] and A (m x k, strides rsa, csa) was packed by fg_taps_pack into
 * fg_taps_size(m, k) elements. Reads (never uses) up to FG_WINDOWS_SLACK elements past
 * b[off[p] + n - 1]. The last two return 0. */
int64_t fg_taps_size_f32(int64_t m, int64_t k);
int64_t fg_taps_size_f64(int64_t m, int64_t k);
int fg_taps_pack_f32(int64_t m, int64_t k, const float *a, int64_t rsa, int64_t csa,
                     float *packed);
int fg_taps_pack_f64(int64_t m, int64_t k, const double *a, int64_t rsa, int64_t csa,
                     double *packed);
int fg_taps_f32(int64_t m, int64_t n, int64_t k, const float *packed, const float *b,
                const int64_t *off, float *c, int64_t rsc, int accumulate);
int fg_taps_f64(int64_t m, int64_t n, int64_t k, const double *packed, const double *b,
                const int64_t *off, double *c, int64_t rsc, int accumulate);

/* Products whose A rows are windows (the convolution's weight gradient, positions along the
 * sum): C (m x n, row stride rsc, unit column stride) = or += A B where A element (i, p) is
 * a[off[i] + p / seg * pitch + p % seg] (runs of seg > 0 elements, pitch apart: the output
 * rows of an image) and B (k x n) was packed by fg_windows_pack. Returns 0. */
int fg_rows_f32(int64_t m, int64_t n, int64_t k, const float *a, const int64_t *off, int64_t seg,
                int64_t pitch, const float *packed, float *c, int64_t rsc, int accumulate);
int fg_rows_f64(int64_t m, int64_t n, int64_t k, const double *a, const int64_t *off,
                int64_t seg, int64_t pitch, const double *packed, double *c, int64_t rsc,
                int accumulate);

/* Correlations (the convolution's weight gradient): for i < m, j < n, the dot product of row i
 * of a (row stride lda) with the window b + off[j] (len elements each), accumulated as L lane
 * sums, part[(i * n + j) * L + l] += the sum over q < len with q % L == l, where L is
 * fg_gemm_lanes(). The lane sums let one pair's products run over several calls before the L
 * values are added up (in lane order). Returns 0. */
int fg_dots_f32(int64_t m, int64_t n, int64_t len, const float *a, int64_t lda, const float *b,
                const int64_t *off, float *part);
int fg_dots_f64(int64_t m, int64_t n, int64_t len, const double *a, int64_t lda,
                const double *b, const int64_t *off, double *part);
/* L above: elements per vector of the variant in use (16 or 8 for float, half that for double). */
int64_t fg_gemm_lanes(int f64);

/* "avx512", "avx2" or "baseline": the variant the two functions above use (chosen on first
 * call of any of the three). */
const char *fg_gemm_isa(void);

#endif
