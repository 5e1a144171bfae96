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

#define DEFINE_KERNELS(SUFFIX, T)                                                              \
    static inline __attribute__((always_inline)) T dot_##SUFFIX(                               \
        int64_t k, const T *a, int64_t sa, const T *b, int64_t sb)                             \
    {                                                                                          \
        T acc[DOT_LANES] = {0};                                                                \
        int64_t p = 0;                                                                         \
        if (sa == 1 && sb == 1)                                                                \
            for (; p + DOT_LANES <= k; p += DOT_LANES)                                         \
                for (int j = 0; j < DOT_LANES; j++) acc[j] += a[p + j] * b[p + j];             \
        for (; p < k; p++) acc[p % DOT_LANES] += a[p * sa] * b[p * sb];                        \
        for (int width = DOT_LANES / 2; width > 0; width /= 2) /* pairwise */                  \
            for (int j = 0; j < width; j++) acc[j] += acc[j + width];                          \
        return acc[0];                                                                         \
    }                                                                                          \
                                                                                               \
    /* Four dots of contiguous rows against one b: each load of b serves four rows. */        \
    static inline __attribute__((always_inline)) void dot4_##SUFFIX(                           \
        int64_t k, const T *a, int64_t lda, const T *b, T *c, int64_t sc)                      \
    {                                                                                          \
        enum { W = DOT_LANES / 2 };                                                            \
        T acc[4][W] = {{0}};                                                                   \
        int64_t p = 0;                                                                         \
        for (; p + W <= k; p += W)                                                             \
            for (int r = 0; r < 4; r++)                                                        \
                for (int j = 0; j < W; j++) acc[r][j] += a[r * lda + p + j] * b[p + j];        \
        for (; p < k; p++)                                                                     \
            for (int r = 0; r < 4; r++) acc[r][p % W] += a[r * lda + p] * b[p];                \
        for (int r = 0; r < 4; r++) {                                                          \
            for (int width = W / 2; width > 0; width /= 2)                                     \
                for (int j = 0; j < width; j++) acc[r][j] += acc[r][j + width];                \
            c[r * sc] = acc[r][0];                                                             \
        }                                                                                      \
    }                                                                                          \
                                                                                               \
    /* A dot over DOT_CHUNKS fixed pieces, summed pairwise: the pieces run in parallel, and    \
     * the result is the same for every thread count. */                                       \
    FG_CLONES static T long_dot_##SUFFIX(int64_t k, const T *a, int64_t sa, const T *b)                  \
    {                                                                                          \
        T part[DOT_CHUNKS];                                                                    \
        int64_t len = (k / DOT_CHUNKS + DOT_LANES) / DOT_LANES * DOT_LANES;                    \
        _Pragma("omp parallel for num_threads(fg_threads())")                                  \
        for (int j = 0; j < DOT_CHUNKS; j++) {                                                 \
            int64_t start = j * len < k ? j * len : k, end = start + len < k ? start + len : k; \
            part[j] = dot_##SUFFIX(end - start, a + start * sa, sa, b + start, 1);             \
        }                                                                                      \
        for (int width = DOT_CHUNKS / 2; width > 0; width /= 2)                                \
            for (int j = 0; j < width; j++) part[j] += part[j + width];                        \
        return part[0];                                                                        \
    }                                                                                          \
                                                                                               \
    /* c[i] = sum_p a[i, p] b[p] with b contiguous: a dot per row when rows are contiguous,   \
     * else, per block of rows, columns of a scaled and summed into a contiguous accumulator. */ \
    FG_CLONES static int gemv_##SUFFIX(int64_t m, int64_t k, const T *a, strides3 sa,         \
                                       const T *b, T *c, int64_t sc)                           \
    {                                                                                          \
        if (m == 1 && k >= 4 * FG_PARALLEL_MIN) { /* one long dot: split it instead */        \
            c[0] = long_dot_##SUFFIX(k, a, sa.col, b);                                         \
            return FG_OK;                                                                      \
        }                                                                                      \
        if (sa.col == 1 && m >= 4) {                                                           \
            _Pragma("omp parallel for num_threads(fg_threads()) if (m * k >= 4 * FG_PARALLEL_MIN)") \
            for (int64_t i = 0; i < m - 3; i += 4)                                             \
                dot4_##SUFFIX(k, a + i * sa.row, sa.row, b, c + i * sc, sc);                   \
            for (int64_t i = m / 4 * 4; i < m; i++)                                            \
                c[i * sc] = dot_##SUFFIX(k, a + i * sa.row, 1, b, 1);                          \
            return FG_OK;                                                                      \
        }                                                                                      \
        if (sa.col == 1 || sa.row != 1) {                                                      \
            _Pragma("omp parallel for num_threads(fg_threads()) if (m * k >= 4 * FG_PARALLEL_MIN)") \
            for (int64_t i = 0; i < m; i++)                                                    \
                c[i * sc] = dot_##SUFFIX(k, a + i * sa.row, sa.col, b, 1);                     \
            return FG_OK;                                                                      \
        }                                                                                      \
        enum { BLOCK = 512 };                                                                  \
        _Pragma("omp parallel for num_threads(fg_threads()) if (m * k >= 4 * FG_PARALLEL_MIN)") \
        for (int64_t i0 = 0; i0 < m; i0 += BLOCK) {                                            \
            T acc[BLOCK] = {0};                                                                \
            int64_t rows = m - i0 < BLOCK ? m - i0 : BLOCK;                                    \
            for (int64_t p = 0; p < k; p++) {                                                  \
                const T *col = a + i0 + p * sa.col, bp = b[p];                                 \
                for (int64_t i = 0; i < rows; i++) acc[i] += col[i] * bp;                      \
            }                                                                                  \
            for (int64_t i = 0; i < rows; i++) c[(i0 + i) * sc] = acc[i];                      \
        }                                                                                      \
        return FG_OK;                                                                          \
    }                                                                                          \
                                                                                               \
    static int matmul_##SUFFIX(int64_t m, int64_t n, int64_t k, const T *a, strides3 sa,      \
                               const T *b, strides3 sb, T *c, strides3 sc)                     \
    {                                                                                          \
        if (m == 0 || n == 0) return FG_OK;                                                    \
        if (n == 1 && sb.row != 1) { /* gemv wants a contiguous vector */                      \
            T *bc = fg_alloc(k, sizeof(T));                                                    \
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
    const int64_t a_shape[3] = {batch, m, k}, b_shape[3] = {batch, k, n}, c_shape[3] = {batch, m, n};
    if (fg_check_sizes(1, 3, a_shape, strides) || fg_check_sizes(1, 3, b_shape, strides + 3) ||
        fg_check_sizes(1, 3, c_shape, strides + 6))
        return FG_ESIZE;
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
