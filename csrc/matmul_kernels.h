/* The dot, mv and (batched) product kernels of matmul.c, written once and included by
 * matmul.c once per element type. Not a header to include anywhere else. The includer defines
 * FG_T (float or double) and FG_SFX (f32 or f64); matmul.c's helpers (strides3, DOT_LANES,
 * DOT_CHUNKS), internal.h's FG_CAT and gemm.h's fg_gemm_f32/f64 are used. Everything defined
 * here is undefined again at the end. */

#define ID(name) FG_CAT(name, FG_SFX)
#define T FG_T

static inline __attribute__((always_inline)) T ID(dot)(
    int64_t k, const T *a, int64_t sa, const T *b, int64_t sb)
{
    T acc[DOT_LANES] = {0};
    int64_t p = 0;
    if (sa == 1 && sb == 1)
        for (; p + DOT_LANES <= k; p += DOT_LANES)
            for (int j = 0; j < DOT_LANES; j++) acc[j] += a[p + j] * b[p + j];
    for (; p < k; p++) acc[p % DOT_LANES] += a[p * sa] * b[p * sb];
    for (int width = DOT_LANES / 2; width > 0; width /= 2) /* pairwise */
        for (int j = 0; j < width; j++) acc[j] += acc[j + width];
    return acc[0];
}

/* Four dots of contiguous rows against one b: each load of b serves four rows. */
static inline __attribute__((always_inline)) void ID(dot4)(
    int64_t k, const T *a, int64_t lda, const T *b, T *c, int64_t sc)
{
    enum { W = DOT_LANES / 2 };
    T acc[4][W] = {{0}};
    int64_t p = 0;
    for (; p + W <= k; p += W)
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < W; j++) acc[r][j] += a[r * lda + p + j] * b[p + j];
    for (; p < k; p++)
        for (int r = 0; r < 4; r++) acc[r][p % W] += a[r * lda + p] * b[p];
    for (int r = 0; r < 4; r++) {
        for (int width = W / 2; width > 0; width /= 2)
            for (int j = 0; j < width; j++) acc[r][j] += acc[r][j + width];
        c[r * sc] = acc[r][0];
    }
}

/* A dot over DOT_CHUNKS fixed pieces, summed pairwise: the pieces run in parallel, and
 * the result is the same for every thread count. */
FG_CLONES static T ID(long_dot)(int64_t k, const T *a, int64_t sa, const T *b)
{
    T part[DOT_CHUNKS];
    int64_t len = (k / DOT_CHUNKS + DOT_LANES) / DOT_LANES * DOT_LANES;
    _Pragma("omp parallel for num_threads(fg_threads())")
    for (int j = 0; j < DOT_CHUNKS; j++) {
        int64_t start = j * len < k ? j * len : k, end = start + len < k ? start + len : k;
        part[j] = ID(dot)(end - start, a + start * sa, sa, b + start, 1);
    }
    for (int width = DOT_CHUNKS / 2; width > 0; width /= 2)
        for (int j = 0; j < width; j++) part[j] += part[j + width];
    return part[0];
}

/* c[i] = sum_p a[i, p] b[p] with b contiguous: a dot per row when rows are contiguous,
 * else, per block of rows, columns of a scaled and summed into a contiguous accumulator. */
FG_CLONES static int ID(gemv)(int64_t m, int64_t k, const T *a, strides3 sa,
                                   const T *b, T *c, int64_t sc)
{
    if (m == 1 && k >= 4 * FG_PARALLEL_MIN) { /* one long dot: split it instead */
        c[0] = ID(long_dot)(k, a, sa.col, b);
        return FG_OK;
    }
    if (sa.col == 1 && m >= 4) {
        _Pragma("omp parallel for num_threads(fg_threads()) if (m * k >= 4 * FG_PARALLEL_MIN)")
        for (int64_t i = 0; i < m - 3; i += 4)
            ID(dot4)(k, a + i * sa.row, sa.row, b, c + i * sc, sc);
        for (int64_t i = m / 4 * 4; i < m; i++)
            c[i * sc] = ID(dot)(k, a + i * sa.row, 1, b, 1);
        return FG_OK;
    }
    if (sa.col == 1 || sa.row != 1) {
        _Pragma("omp parallel for num_threads(fg_threads()) if (m * k >= 4 * FG_PARALLEL_MIN)")
        for (int64_t i = 0; i < m; i++)
            c[i * sc] = ID(dot)(k, a + i * sa.row, sa.col, b, 1);
        return FG_OK;
    }
    enum { BLOCK = 512 };
    _Pragma("omp parallel for num_threads(fg_threads()) if (m * k >= 4 * FG_PARALLEL_MIN)")
    for (int64_t i0 = 0; i0 < m; i0 += BLOCK) {
        T acc[BLOCK] = {0};
        int64_t rows = m - i0 < BLOCK ? m - i0 : BLOCK;
        for (int64_t p = 0; p < k; p++) {
            const T *col = a + i0 + p * sa.col, bp = b[p];
            for (int64_t i = 0; i < rows; i++) acc[i] += col[i] * bp;
        }
        for (int64_t i = 0; i < rows; i++) c[(i0 + i) * sc] = acc[i];
    }
    return FG_OK;
}

/* c += bias, m x n: addmm's bias, added after the product, as a separate addition rounds. */
static void ID(add_bias)(int64_t m, int64_t n, T *c, strides3 sc, const T *bias, strides3 sb)
{
    for (int64_t i = 0; i < m; i++) {
        T *restrict row = c + i * sc.row;
        const T *restrict add = bias + i * sb.row;
        if (sc.col == 1 && sb.col == 1)
            for (int64_t j = 0; j < n; j++) row[j] += add[j];
        else
            for (int64_t j = 0; j < n; j++) row[j * sc.col] += add[j * sb.col];
    }
}

static int ID(matmul)(int64_t m, int64_t n, int64_t k, const T *a, strides3 sa,
                           const T *b, strides3 sb, T *c, strides3 sc)
{
    if (m == 0 || n == 0) return FG_OK;
    if (n == 1 && sb.row != 1) { /* gemv wants a contiguous vector */
        T *bc = fg_alloc(k, sizeof(T));
        if (!bc) return FG_ENOMEM;
        for (int64_t p = 0; p < k; p++) bc[p] = b[p * sb.row];
        int status = ID(gemv)(m, k, a, sa, bc, c, sc.row);
        free(bc);
        return status;
    }
    if (n == 1) return ID(gemv)(m, k, a, sa, b, c, sc.row);
    if (m == 1) { /* c^T = b^T a^T: a gemv over b's columns */
        strides3 bt = {0, sb.col, sb.row}, at = {0, sa.col, sa.row};
        return ID(matmul)(n, 1, k, b, bt, a, at, c, (strides3){0, sc.col, sc.row});
    }
    return ID(fg_gemm)(m, n, k, a, sa.row, sa.col, b, sb.row, sb.col, c, sc.row, sc.col,
                            0);
}

#undef ID
#undef T
/* the template's parameters, for the next instantiation */
#undef FG_T
#undef FG_SFX
