/* dot, mv and mm on strided operands: one entry point; dot and mv here, the matrix product in
 * gemm.c (BLIS-style, one build per instruction-set level). Transposed operands are only other
 * strides, so the backward products (dC B^T, A^T dC) never materialize a transpose. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gemm.h"
#include "internal.h"

typedef struct { int64_t batch, row, col; } strides3; /* in elements */

/* Dots keep DOT_LANES independent partial sums: enough vector accumulators (4 AVX2 or 2 AVX-512
 * registers) to hide the add latency, so a row streams at memory speed. */
#define DOT_LANES 32
#define DOT_CHUNKS 16

#define FG_T float
#define FG_SFX f32
#include "matmul_kernels.h"
#define FG_T double
#define FG_SFX f64
#include "matmul_kernels.h"

static int to_elements(const int64_t *bytes, int64_t size, strides3 *out)
{
    for (int i = 0; i < 3; i++)
        if (bytes[i] % size) return FG_EDIMS; /* Python copies such views first */
    *out = (strides3){bytes[0] / size, bytes[1] / size, bytes[2] / size};
    return FG_OK;
}

int fg_matmul(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const int64_t *strides,
              char *c, const char *a, const char *b, const char *bias)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    const int64_t a_shape[3] = {batch, m, k}, b_shape[3] = {batch, k, n}, c_shape[3] = {batch, m, n};
    if (fg_check_sizes(1, 3, a_shape, strides) || fg_check_sizes(1, 3, b_shape, strides + 3) ||
        fg_check_sizes(1, 3, c_shape, strides + 6) ||
        (bias && fg_check_sizes(1, 3, c_shape, strides + 9)))
        return FG_ESIZE;
    int64_t size = fg_dtype_size(dtype);
    strides3 sa, sb, sc, sbias = {0, 0, 0};
    if (to_elements(strides, size, &sa) || to_elements(strides + 3, size, &sb) ||
        to_elements(strides + 6, size, &sc) || (bias && to_elements(strides + 9, size, &sbias)))
        return FG_EDIMS;
    for (int64_t i = 0; i < batch; i++) {
        int status = dtype == FG_FLOAT32
            ? matmul_f32(m, n, k, (const float *)a + i * sa.batch, sa, (const float *)b + i * sb.batch, sb,
                         (float *)c + i * sc.batch, sc)
            : matmul_f64(m, n, k, (const double *)a + i * sa.batch, sa, (const double *)b + i * sb.batch, sb,
                         (double *)c + i * sc.batch, sc);
        if (status != FG_OK) return status;
        if (!bias) continue;
        if (dtype == FG_FLOAT32)
            add_bias_f32(m, n, (float *)c + i * sc.batch, sc, (const float *)bias + i * sbias.batch, sbias);
        else
            add_bias_f64(m, n, (double *)c + i * sc.batch, sc, (const double *)bias + i * sbias.batch, sbias);
    }
    return FG_OK;
}

const char *fg_isa(void) { return fg_gemm_isa(); }
