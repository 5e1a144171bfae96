/* dot, mv and mm on strided operands: one entry point; dot and mv here, the matrix product in
 * gemm.c (BLIS-style, one build per instruction-set level). Transposed operands are only other
 * strides, so the backward products (dC B^T, A^T dC) never materialize a transpose. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gemm.h"
#include "internal.h"

typedef struct { int64_t batch, row, col; } strides3; /* in elements */

#define DEFINE_KERNELS(SUFFIX, T)                                                              \
    static T dot_##SUFFIX(int64_t k, const T *a, int64_t sa, const T *b, int64_t sb)           \
    {                                                                                          \
        T acc[8] = {0};                                                                        \
        int64_t p = 0;                                                                         \
        if (sa == 1 && sb == 1)                                                                \
            for (; p + 8 <= k; p += 8)                                                         \
                for (int j = 0; j < 8; j++) acc[j] += a[p + j] * b[p + j];                     \
        for (; p < k; p++) acc[p & 7] += a[p * sa] * b[p * sb];                                \
        return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])); \
    }                                                                                          \
                                                                                               \
    /* c[i] = sum_p a[i, p] b[p] with b contiguous: a dot per row when rows are contiguous,   \
     * else columns of a scaled and summed into a contiguous accumulator. */                   \
    static int gemv_##SUFFIX(int64_t m, int64_t k, const T *a, strides3 sa, const T *b,       \
                             T *c, int64_t sc)                                                 \
    {                                                                                          \
        if (sa.col == 1 || sa.row != 1) {                                                      \
            _Pragma("omp parallel for num_threads(fg_threads()) if (m * k >= 4 * FG_PARALLEL_MIN)") \
            for (int64_t i = 0; i < m; i++)                                                    \
                c[i * sc] = dot_##SUFFIX(k, a + i * sa.row, sa.col, b, 1);                     \
            return FG_OK;                                                                      \
        }                                                                                      \
        T *acc = calloc(m > 0 ? m : 1, sizeof(T));                                             \
        if (!acc) return FG_ENOMEM;                                                            \
        for (int64_t p = 0; p < k; p++) {                                                      \
            const T *col = a + p * sa.col, bp = b[p];                                          \
            for (int64_t i = 0; i < m; i++) acc[i] += col[i] * bp;                             \
        }                                                                                      \
        for (int64_t i = 0; i < m; i++) c[i * sc] = acc[i];                                    \
        free(acc);                                                                             \
        return FG_OK;                                                                          \
    }                                                                                          \
                                                                                               \
    static int matmul_##SUFFIX(int64_t m, int64_t n, int64_t k, const T *a, strides3 sa,      \
                               const T *b, strides3 sb, T *c, strides3 sc)                     \
    {                                                                                          \
        if (m == 0 || n == 0) return FG_OK;                                                    \
        if (n == 1 && sb.row != 1) { /* gemv wants a contiguous vector */                      \
            T *bc = malloc(sizeof(T) * (k > 0 ? k : 1));                                       \
            if (!bc) return FG_ENOMEM;                                                         \
            for (int64_t p = 0; p < k; p++) bc[p] = b[p * sb.row];                             \
            int status = gemv_##SUFFIX(m, k, a, sa, bc, c, sc.row);                            \
            free(bc);                                                                          \
            return status;                                                                     \
        }                                                                                      \
        if (n == 1) return gemv_##SUFFIX(m, k, a, sa, b, c, sc.row);                           \
        if (m == 1) { /* c^T = b^T a^T: a gemv over b's columns */                             \
            strides3 bt = {0, sb.col, sb.row}, at = {0, sa.col, sa.row};                       \
            return matmul_##SUFFIX(n, 1, k, b, bt, a, at, c, (strides3){0, sc.col, sc.row});   \
        }                                                                                      \
        return fg_gemm_##SUFFIX(m, n, k, a, sa.row, sa.col, b, sb.row, sb.col, c, sc.row, sc.col, \
                                0);                                                            \
    }

DEFINE_KERNELS(f32, float)
DEFINE_KERNELS(f64, double)

static int to_elements(const int64_t *bytes, int64_t size, strides3 *out)
{
    for (int i = 0; i < 3; i++)
        if (bytes[i] % size) return FG_EDIMS; /* Python copies such views first */
    *out = (strides3){bytes[0] / size, bytes[1] / size, bytes[2] / size};
    return FG_OK;
}

int fg_matmul(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const int64_t *strides,
              char *c, const char *a, const char *b)
{
    if (dtype != FG_FLOAT32 && dtype != FG_FLOAT64) return FG_EDTYPE;
    int64_t size = fg_dtype_size(dtype);
    strides3 sa, sb, sc;
    if (to_elements(strides, size, &sa) || to_elements(strides + 3, size, &sb) ||
        to_elements(strides + 6, size, &sc))
        return FG_EDIMS;
    for (int64_t i = 0; i < batch; i++) {
        int status = dtype == FG_FLOAT32
            ? matmul_f32(m, n, k, (const float *)a + i * sa.batch, sa, (const float *)b + i * sb.batch, sb,
                         (float *)c + i * sc.batch, sc)
            : matmul_f64(m, n, k, (const double *)a + i * sa.batch, sa, (const double *)b + i * sb.batch, sb,
                         (double *)c + i * sc.batch, sc);
        if (status != FG_OK) return status;
    }
    return FG_OK;
}

const char *fg_isa(void) { return fg_gemm_isa(); }
