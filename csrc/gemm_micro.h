/* One micro-kernel of gemm_kernel.h, included once per tile shape. The includer defines KNAME
 * (the function's name), KMR (rows: a number with an FG_ROWS_ repeater) and KNV (vectors per
 * row: a number with an FG_COLS_ repeater), plus everything gemm_kernel.h defines (T, V, VU, VL,
 * FG_VFMA, FG_PF_B). All four are undefined again at the end.
 *
 * KNAME computes C[0:mr, 0:nr] (+)= A[0:KMR, 0:kc] B[0:kc, 0:KNV * VL] holding the tile in
 * KMR * KNV named vector accumulators. A element (i, p) is read at a[i * ra + p * ca], or at
 * a[i * ra + aoff[p]] when aoff is not NULL, or at a[arow[i] + p * ca] when arow is not NULL
 * (callers pass a constant NULL or not, so the inlined copy has no test; with arow, A's rows are
 * runs of seg elements, skip elements apart: column p at p + p / seg * skip, else seg is kc),
 * rows at or past amr
 * repeating row amr - 1, so an unpadded A is never read out of bounds; row p of B is KNV
 * contiguous vectors at b + p * rb, or at b + boff[p] when boff is not NULL. Callers pass
 * constant strides for packed panels, so the inlined copy addresses them with fixed offsets.
 * A full tile of a row-contiguous C is updated in place; a partial or strided one goes through a
 * buffer. */

#define KROWS(F, X) FG_RCAT(FG_ROWS_, KMR)(F, X)
#define KCOLS(F, i) FG_CCAT(FG_COLS_, KNV)(F, i)
#define KNR (KNV * VL)

#define K_DECL(i, j) V c##i##_##j = zero;
#define K_ROW_DECL(i, _) KCOLS(K_DECL, i)
#define K_ROW(i) (i < amr ? i : amr - 1)
#define K_APTR(i, _) const T *a##i = a + (arow ? arow[K_ROW(i)] : K_ROW(i) * ra);
#define K_LOADB(_, j) V b##j = *(const VU *)(bp + j * VL);
#define K_FMA(i, j) c##i##_##j = FG_VFMA(s##i, b##j, c##i##_##j);
#define K_AT(i) (aoff ? ap[K_ROW(i) * ra] : a##i[p * ca])
#define K_ROW_FMA(i, _) { const T s##i = K_AT(i); KCOLS(K_FMA, i) }
#define K_SKIP(i, _) a##i += skip;
#define K_ST(i, j) *(VU *)(c + i * rsc + j * VL) = c##i##_##j;
#define K_ROW_ST(i, _) KCOLS(K_ST, i)
#define K_ADD(i, j) *(VU *)(c + i * rsc + j * VL) += c##i##_##j;
#define K_ROW_ADD(i, _) KCOLS(K_ADD, i)
#define K_BUF(i, j) *(V *)(buf + i * KNR + j * VL) = c##i##_##j;
#define K_ROW_BUF(i, _) KCOLS(K_BUF, i)
#define K_PF(i, _) __builtin_prefetch(c + i * rsc, 1, 3); __builtin_prefetch(c + i * rsc + KNR - 1, 1, 3);

static inline __attribute__((always_inline)) void KNAME(
    int64_t kc, const T *a, int64_t ra, int64_t ca, int64_t amr, const T *b, int64_t rb, T *c,
    int64_t rsc, int64_t csc, int beta, int64_t mr, int64_t nr, const int64_t *aoff,
    const int64_t *arow, const int64_t *boff, int64_t seg, int64_t skip)
{
    const V zero = {0};
    KROWS(K_ROW_DECL, _)
    KROWS(K_APTR, _)
    if (csc == 1) { KROWS(K_PF, _) }
    if (!arow) seg = kc; /* one run: the plain loop */
    for (int64_t p0 = 0; p0 < kc; p0 += seg) {
        int64_t end = kc - p0 < seg ? kc : p0 + seg;
#pragma GCC unroll 4
        for (int64_t p = p0; p < end; p++) {
            __builtin_prefetch(b + FG_PF_B * rb, 0, 3);
            /* one address per column: rows at fixed offsets from it */
            const T *ap = aoff ? a + aoff[p] : a;
            const T *bp = boff ? b + boff[p] : b;
            KCOLS(K_LOADB, _)
            KROWS(K_ROW_FMA, _)
            b += rb;
        }
        if (arow) { KROWS(K_SKIP, _) }
    }
    if (mr == KMR && nr == KNR && csc == 1) {
        if (beta) { KROWS(K_ROW_ADD, _) }
        else { KROWS(K_ROW_ST, _) }
        return;
    }
    T buf[KMR * KNR] __attribute__((aligned(64)));
    KROWS(K_ROW_BUF, _)
    if (csc == 1) { /* constant trip counts: no memcpy calls for these few elements */
        for (int64_t i = 0; i < mr; i++)
            if (beta) {
                for (int64_t j = 0; j < KNR; j++)
                    if (j < nr) c[i * rsc + j] += buf[i * KNR + j];
            } else {
                for (int64_t j = 0; j < KNR; j++)
                    if (j < nr) c[i * rsc + j] = buf[i * KNR + j];
            }
        return;
    }
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nr; j++) {
            T *cij = c + i * rsc + j * csc;
            *cij = beta ? *cij + buf[i * KNR + j] : buf[i * KNR + j];
        }
}

#undef K_DECL
#undef K_ROW_DECL
#undef K_APTR
#undef K_AT
#undef K_ROW
#undef K_LOADB
#undef K_FMA
#undef K_ROW_FMA
#undef K_SKIP
#undef K_ST
#undef K_ROW_ST
#undef K_ADD
#undef K_ROW_ADD
#undef K_BUF
#undef K_ROW_BUF
#undef K_PF
#undef KROWS
#undef KCOLS
#undef KNR
#undef KNAME
#undef KMR
#undef KNV
