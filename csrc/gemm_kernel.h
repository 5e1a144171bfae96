/* The gemm algorithm, written once and included by gemm.c once per element type. Not a header
 * to include anywhere else. The includer defines:
 *   FG_T      element type (float or double)
 *   FG_SFX    name suffix (f32 or f64)
 *   FG_MR     rows of the micro-tile (2, 4, 6, 8 or 12), FG_MRB > FG_MRC smaller row
 *             counts for edge tiles
 *   FG_NV     vectors across the micro-tile (1 or 2); NR = FG_NV * lanes
 *   FG_KC, FG_MC, FG_NC   cache blocking (FG_MC a multiple of FG_MR, FG_NC of NR)
 *   FG_VFMA(s, v, acc)    acc + s * v with s a scalar broadcast to a vector
 *   FG_NL     lanes per vector (FG_VBYTES / sizeof(FG_T)), FG_IT the same-size integer type
 * and the helpers from gemm.c (FG_VBYTES, FG_RCAT, FG_CCAT, FG_PUBLIC, the row and
 * column repeaters) and internal.h's FG_CAT. Everything defined here is undefined again at the end. */

#define ID(name) FG_CAT(name, FG_SFX)
#define T FG_T
#define V ID(vec)
#define VU ID(vecu)
#define MR FG_MR
#define NV FG_NV
#define VL ((int64_t)(FG_VBYTES / sizeof(T)))
#define NR (NV * VL)

typedef T V __attribute__((vector_size(FG_VBYTES), may_alias));
typedef T VU __attribute__((vector_size(FG_VBYTES), may_alias, aligned(sizeof(T))));

/* ------------------------------------------------------------------------------------------ */
/* Micro-kernels (gemm_micro.h): the full MR x NV-vector tile, and narrower / shorter ones that
 * edge tiles use so that a ragged edge costs about its own size, not a full tile's. */

#define KNAME ID(micro_r0_v0)
#define KMR FG_MR
#define KNV FG_NV
#include "gemm_micro.h"
#define KNAME ID(micro_r1_v0)
#define KMR FG_MRB
#define KNV FG_NV
#include "gemm_micro.h"
#define KNAME ID(micro_r2_v0)
#define KMR FG_MRC
#define KNV FG_NV
#include "gemm_micro.h"
#define KNAME ID(micro_r0_v1)
#define KMR FG_MR
#define KNV 1
#include "gemm_micro.h"
#define KNAME ID(micro_r1_v1)
#define KMR FG_MRB
#define KNV 1
#include "gemm_micro.h"
#define KNAME ID(micro_r2_v1)
#define KMR FG_MRC
#define KNV 1
#include "gemm_micro.h"

/* The smallest tile covering mr x nr. Strides are the packed layout's (ca == MR or ra ==
 * FG_KC, rb == NR) whatever the tile, so smaller kernels read the same panels. */
static inline __attribute__((always_inline)) void ID(kernel_body)(
    int64_t kc, const T *a, int64_t ra, int64_t ca, int64_t amr, const T *b, int64_t rb, T *c,
    int64_t rsc, int64_t csc, int beta, int64_t mr, int64_t nr, const int64_t *aoff,
    const int64_t *arow, const int64_t *boff, int64_t seg, int64_t skip)
{
#define KARGS kc, a, ra, ca, amr, b, rb, c, rsc, csc, beta, mr, nr, aoff, arow, boff, seg, skip
    if (NV == 1 || nr > VL) {
        if (mr > FG_MRB) ID(micro_r0_v0)(KARGS);
        else if (mr > FG_MRC) ID(micro_r1_v0)(KARGS);
        else ID(micro_r2_v0)(KARGS);
    } else {
        if (mr > FG_MRB) ID(micro_r0_v1)(KARGS);
        else if (mr > FG_MRC) ID(micro_r1_v1)(KARGS);
        else ID(micro_r2_v1)(KARGS);
    }
#undef KARGS
}

/* Packed operands, B micro-panel kc x NR stored row by row (stride NR), zero-padded. The A
 * micro-panel (MR x kc, zero-padded rows) is stored column by column (stride MR) when packed
 * from a source with contiguous columns, or row by row with the constant row stride FG_KC when
 * the source has contiguous rows, so that neither layout of A needs a transpose. */
static __attribute__((noinline)) void ID(kernel_packed)(int64_t kc, const T *a, const T *b, T *c,
                                                        int64_t rsc, int64_t csc, int beta,
                                                        int64_t mr, int64_t nr)
{
    ID(kernel_body)(kc, a, 1, MR, MR, b, NR, c, rsc, csc, beta, mr, nr, NULL, NULL, NULL, kc, 0);
}

static __attribute__((noinline)) void ID(kernel_packed_rows)(int64_t kc, const T *a, const T *b,
                                                             T *c, int64_t rsc, int64_t csc,
                                                             int beta, int64_t mr, int64_t nr)
{
    ID(kernel_body)(kc, a, FG_KC, 1, MR, b, NR, c, rsc, csc, beta, mr, nr, NULL, NULL, NULL, kc,
                    0);
}

static __attribute__((noinline)) void ID(kernel_direct)(int64_t kc, const T *a, int64_t ra,
                                                        int64_t ca, int64_t amr, const T *b,
                                                        int64_t rb, T *c, int64_t rsc,
                                                        int64_t csc, int beta, int64_t mr,
                                                        int64_t nr)
{
    ID(kernel_body)(kc, a, ra, ca, amr, b, rb, c, rsc, csc, beta, mr, nr, NULL, NULL, NULL, kc, 0);
}

/* A read through an offset per column, rows one element apart (fg_windows): all MR rows are
 * read (FG_WINDOWS_SLACK), so that they sit at constant displacements from one address. */
_Static_assert(MR <= FG_WINDOWS_SLACK, "fg_windows reads MR rows");
static __attribute__((noinline)) void ID(kernel_windows)(int64_t kc, const T *a,
                                                         const int64_t *aoff, const T *b, T *c,
                                                         int64_t rsc, int64_t csc, int beta,
                                                         int64_t mr, int64_t nr)
{
    if (!aoff) __builtin_unreachable(); /* the inlined copy tests it once, not per column */
    ID(kernel_body)(kc, a, 1, 0, MR, b, NR, c, rsc, csc, beta, mr, nr, aoff, NULL, NULL, kc, 0);
}


/* B's rows read through an offset each, whole vectors (fg_taps: FG_WINDOWS_SLACK); A packed. */
_Static_assert(NR <= FG_WINDOWS_SLACK, "fg_taps reads NR columns");
static __attribute__((noinline)) void ID(kernel_taps)(int64_t kc, const T *a, const T *b,
                                                      const int64_t *boff, T *c, int64_t rsc,
                                                      int beta, int64_t mr, int64_t nr)
{
    if (!boff) __builtin_unreachable();
    ID(kernel_body)(kc, a, 1, MR, MR, b, 0, c, rsc, 1, beta, mr, nr, NULL, NULL, boff, kc, 0);
}

/* A's rows read through an offset each, in runs of seg elements pitch apart (fg_rows); B
 * packed. */
static __attribute__((noinline)) void ID(kernel_rows)(int64_t kc, const T *a,
                                                      const int64_t *arow, int64_t seg,
                                                      int64_t pitch, const T *b, T *c,
                                                      int64_t rsc, int beta, int64_t mr,
                                                      int64_t nr)
{
    if (!arow) __builtin_unreachable();
    ID(kernel_body)(kc, a, 0, 1, mr, b, NR, c, rsc, 1, beta, mr, nr, NULL, arow, NULL, seg,
                    pitch - seg);
}

/* ------------------------------------------------------------------------------------------ */
/* Packing. A block (mc x kc) -> micro-panels of MR rows. Returns 1 if it chose the row layout
 * (micro-panel i0 at dst + i0 * FG_KC, element (i, p) at [i * FG_KC + p]), 0 for the column
 * layout (micro-panel i0 at dst + i0 * kc, element (i, p) at [p * MR + i]). */
static void ID(pack_a_cols)(int64_t mc, int64_t kc, const T *a, int64_t rsa, int64_t csa,
                            T *dst)
{
    for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
        const T *src = a + i0 * rsa;
        int64_t mr = mc - i0 < MR ? mc - i0 : MR;
        if (mr == MR && rsa == 1) { /* columns of A contiguous: straight copies */
            for (int64_t p = 0; p < kc; p++)
                for (int64_t i = 0; i < MR; i++) dst[p * MR + i] = src[p * csa + i];
        } else {
            for (int64_t p = 0; p < kc; p++) {
                for (int64_t i = 0; i < mr; i++) dst[p * MR + i] = src[i * rsa + p * csa];
                for (int64_t i = mr; i < MR; i++) dst[p * MR + i] = 0;
            }
        }
    }
}

static int ID(pack_a)(int64_t mc, int64_t kc, const T *a, int64_t rsa, int64_t csa, T *dst)
{
    if (csa == 1 && rsa != 1) {
        for (int64_t i = 0; i < mc; i++) memcpy(dst + i * FG_KC, a + i * rsa, kc * sizeof(T));
        for (int64_t i = mc; i % MR; i++) memset(dst + i * FG_KC, 0, kc * sizeof(T));
        return 1;
    }
    ID(pack_a_cols)(mc, kc, a, rsa, csa, dst);
    return 0;
}

/* The first rem (<= VL) elements at p, zeros after them; nothing past them is read. */
static inline __attribute__((always_inline)) V ID(load_head)(const T *p, int64_t rem)
{
#if defined(__AVX512F__)
    if (sizeof(T) == 4) return (V)_mm512_maskz_loadu_ps((__mmask16)((1u << rem) - 1), p);
    return (V)_mm512_maskz_loadu_pd((__mmask8)((1u << rem) - 1), p);
#elif defined(__AVX2__) && defined(__FMA__)
    if (sizeof(T) == 4)
        return (V)_mm256_maskload_ps((const float *)p,
                                     _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem),
                                                        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
    return (V)_mm256_maskload_pd((const double *)p,
                                 _mm256_cmpgt_epi64(_mm256_set1_epi64x(rem),
                                                    _mm256_setr_epi64x(0, 1, 2, 3)));
#else
    V v = {0};
    for (int64_t l = 0; l < rem; l++) v[l] = p[l];
    return v;
#endif
}

/* In-register transpose of an NL x NL block: row j of the source (NL contiguous elements at
 * src + j * ld) becomes column j of the destination (rows at dst + q * ldd). log2(NL) butterfly
 * stages; stage h swaps index bit h between row and column with two-input shuffles. At an edge
 * only the first rows rows (cols elements each) are read and cols destination rows written,
 * whole: the missing rows transpose to zero columns (the packed panels' padding). */
#define TR_LO(j, h) (((j) & (h)) ? (j) - (h) + FG_NL : (j))
#define TR_HI(j, h) (((j) & (h)) ? (j) + FG_NL : (j) + (h))
#define TR_LANES(F, h) FG_LCAT(FG_LANES_, FG_NL)(F, h)
#if defined(__clang__) /* GCC's __builtin_shuffle; GCC >= 12 has both */
#define TR_SHUFFLE(u, w, F, h) __builtin_shufflevector(u, w, TR_LANES(F, h))
#else
typedef FG_IT ID(mask) __attribute__((vector_size(FG_VBYTES)));
#define TR_SHUFFLE(u, w, F, h) __builtin_shuffle(u, w, (ID(mask)){TR_LANES(F, h)})
#endif
#define TR_STAGE(h)                                                                            \
    _Pragma("GCC unroll 16") for (int i = 0; i < FG_NL; i++) if (!(i & (h))) {                 \
        V u = x[i], w = x[i + (h)];                                                            \
        x[i] = TR_SHUFFLE(u, w, TR_LO, h);                                                     \
        x[i + (h)] = TR_SHUFFLE(u, w, TR_HI, h);                                               \
    }

static inline __attribute__((always_inline)) void ID(transpose)(const T *src, int64_t ld, T *dst,
                                                                 int64_t ldd, int64_t rows,
                                                                 int64_t cols)
{
    V x[FG_NL];
#pragma GCC unroll 16
    for (int j = 0; j < FG_NL; j++)
        x[j] = j >= rows ? (V){0} : cols == FG_NL ? *(const VU *)(src + j * ld)
                                                  : ID(load_head)(src + j * ld, cols);
#if FG_NL > 8
    TR_STAGE(8)
#endif
#if FG_NL > 4
    TR_STAGE(4)
#endif
#if FG_NL > 2
    TR_STAGE(2)
#endif
    TR_STAGE(1)
#pragma GCC unroll 16
    for (int q = 0; q < FG_NL; q++)
        if (q < cols) *(VU *)(dst + q * ldd) = x[q];
}
#undef TR_LO
#undef TR_HI
#undef TR_STAGE
#undef TR_LANES
#undef TR_SHUFFLE

/* B panel (kc x nc) -> micro-panels of NR columns, each kc rows of NR values. */
static void ID(pack_b)(int64_t kc, int64_t nc, const T *b, int64_t rsb, int64_t csb, T *dst)
{
    for (int64_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
        const T *src = b + j0 * csb;
        int64_t nr = nc - j0 < NR ? nc - j0 : NR;
        if (nr == NR && csb == 1) { /* rows of B contiguous: straight copies */
            for (int64_t p = 0; p < kc; p++)
                for (int64_t j = 0; j < NR; j++) dst[p * NR + j] = src[p * rsb + j];
        } else if (rsb == 1) { /* columns contiguous: NL x NL transposes, masked at the edges */
            for (int64_t j = 0; j < NR; j += FG_NL)
                for (int64_t p0 = 0; p0 < kc; p0 += FG_NL) {
                    int64_t rows = nr - j < FG_NL ? nr - j : FG_NL;
                    int64_t cols = kc - p0 < FG_NL ? kc - p0 : FG_NL;
                    if (rows == FG_NL && cols == FG_NL) /* the common block, unmasked */
                        ID(transpose)(src + j * csb + p0, csb, dst + p0 * NR + j, NR, FG_NL,
                                      FG_NL);
                    else
                        ID(transpose)(src + j * csb + p0, csb, dst + p0 * NR + j, NR,
                                      rows > 0 ? rows : 0, cols);
                }
        } else if (csb == 1) { /* ragged edge of a row-contiguous B */
            for (int64_t p = 0; p < kc; p++) /* (short: no memcpy / memset calls) */
                for (int64_t j = 0; j < NR; j++) dst[p * NR + j] = j < nr ? src[p * rsb + j] : 0;
        } else {
            for (int64_t p = 0; p < kc; p++) {
                for (int64_t j = 0; j < nr; j++) dst[p * NR + j] = src[p * rsb + j * csb];
                for (int64_t j = nr; j < NR; j++) dst[p * NR + j] = 0;
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Drivers. */

/* Small products: no packing buffers. A is read in place through its strides; B too when its
 * rows are contiguous and the tile is full, else DK-row slices of it are copied to the stack
 * (32 KiB with AVX-512: the whole k of most small products, so C is written once). */
enum { ID(DK) = 256 };

static void ID(gemm_direct)(int64_t m, int64_t n, int64_t k, const T *a, int64_t rsa,
                            int64_t csa, const T *b, int64_t rsb, int64_t csb, T *c, int64_t rsc,
                            int64_t csc, int beta)
{
    T bbuf[ID(DK) * NR] __attribute__((aligned(64)));
    for (int64_t j0 = 0, nr; j0 < n; j0 += nr) {
        /* tiles up to NR wide: B is read in place by tiles of whole vectors of a row-contiguous
         * B, else its DK-row slices are packed (one wide tile beats two narrow ones) */
        nr = n - j0 < NR ? n - j0 : NR;
        if (csb == 1 && nr % VL == 0) {
            for (int64_t i0 = 0; i0 < m; i0 += MR) {
                int64_t mr = m - i0 < MR ? m - i0 : MR;
                ID(kernel_direct)(k, a + i0 * rsa, rsa, csa, mr, b + j0, rsb,
                                  c + i0 * rsc + j0 * csc, rsc, csc, beta, mr, nr);
            }
            continue;
        }
        for (int64_t p0 = 0; p0 < k; p0 += ID(DK)) {
            int64_t kb = k - p0 < ID(DK) ? k - p0 : ID(DK);
            ID(pack_b)(kb, nr, b + p0 * rsb + j0 * csb, rsb, csb, bbuf);
            for (int64_t i0 = 0; i0 < m; i0 += MR) {
                int64_t mr = m - i0 < MR ? m - i0 : MR;
                ID(kernel_direct)(kb, a + i0 * rsa + p0 * csa, rsa, csa, mr, bbuf, NR,
                                  c + i0 * rsc + j0 * csc, rsc, csc, beta || p0 > 0, mr, nr);
            }
        }
    }
}

/* One thread's share: the five BLIS loops over packed panels. abuf holds an MC x KC block of
 * A, bbuf a KC x NC panel of B (sizes rounded up to MR, NR). */
static void ID(gemm_blocked)(int64_t m, int64_t n, int64_t k, const T *a, int64_t rsa,
                             int64_t csa, const T *b, int64_t rsb, int64_t csb, T *c,
                             int64_t rsc, int64_t csc, int beta, int64_t mcb, int64_t kcb,
                             int64_t ncb, T *abuf, T *bbuf)
{
    for (int64_t jc = 0; jc < n; jc += ncb) {
        int64_t nc = n - jc < ncb ? n - jc : ncb;
        for (int64_t pc = 0; pc < k; pc += kcb) {
            int64_t kc = k - pc < kcb ? k - pc : kcb;
            int bt = beta || pc > 0;
            ID(pack_b)(kc, nc, b + pc * rsb + jc * csb, rsb, csb, bbuf);
            for (int64_t ic = 0; ic < m; ic += mcb) {
                int64_t mc = m - ic < mcb ? m - ic : mcb;
                int rows = ID(pack_a)(mc, kc, a + ic * rsa + pc * csa, rsa, csa, abuf);
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    int64_t nr = nc - jr < NR ? nc - jr : NR;
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        int64_t mr = mc - ir < MR ? mc - ir : MR;
                        T *cij = c + (ic + ir) * rsc + (jc + jr) * csc;
                        if (rows)
                            ID(kernel_packed_rows)(kc, abuf + ir * FG_KC, bbuf + jr * kc, cij,
                                                   rsc, csc, bt, mr, nr);
                        else
                            ID(kernel_packed)(kc, abuf + ir * kc, bbuf + jr * kc, cij, rsc, csc,
                                              bt, mr, nr);
                    }
                }
            }
        }
    }
}

static int64_t ID(round_up)(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

int FG_PUBLIC(ID(fg_gemm))(int64_t m, int64_t n, int64_t k, const T *a, int64_t rsa,
                           int64_t csa, const T *b, int64_t rsb, int64_t csb, T *c, int64_t rsc,
                           int64_t csc, int accumulate)
{
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0) {
        if (!accumulate)
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) c[i * rsc + j * csc] = 0;
        return 0;
    }
    if (csc != 1 && rsc == 1) { /* column-major C: compute C^T = B^T A^T, whose rows are C's columns */
        int64_t t;
        const T *tp = a;
        a = b, b = tp;
        t = m, m = n, n = t;
        t = rsa, rsa = csb, csb = t;
        t = csa, csa = rsb, rsb = t;
        t = rsc, rsc = csc, csc = t;
    }
    int beta = accumulate != 0;
    double flops = (double)m * n * k;
    if (flops < FG_DIRECT_STRIDED_MAX || (flops < FG_DIRECT_MAX && csb == 1)) {
        ID(gemm_direct)(m, n, k, a, rsa, csa, b, rsb, csb, c, rsc, csc, beta);
        return 0;
    }

    /* Threads split C into a pm x pn grid of tiles (whole micro-tiles each) and run the blocked
     * algorithm independently, each with its own packing buffers. */
    int nt = 1;
#ifdef _OPENMP
    if (flops >= FG_PARALLEL_FLOPS && !omp_in_parallel()) nt = fg_threads();
#endif
    int64_t mtiles = (m + MR - 1) / MR, ntiles = (n + NR - 1) / NR;
    if (nt > mtiles * ntiles) nt = (int)(mtiles * ntiles);
    int pm = 1, pn = nt;
    double best = -1;
    for (int d = 1; d <= nt; d++) {
        if (nt % d) continue;
        if (d > mtiles || nt / d > ntiles) continue;
        /* Each thread packs its rows of A and its columns of B: favour the least packing,
         * B counting double when its packing is a transpose; on a tie split the rows. */
        double cost = (double)m / d + (double)n / (nt / d) * (csb == 1 ? 1 : 2);
        if (best < 0 || cost <= best) best = cost, pm = d, pn = nt / d;
    }
    if (best < 0) nt = 1, pm = 1, pn = 1;
    int64_t mt = (mtiles + pm - 1) / pm * MR, ntc = (ntiles + pn - 1) / pn * NR;
    int64_t kcb = k < FG_KC ? k : FG_KC;
    int64_t mcb = mt < FG_MC ? mt : FG_MC;
    int64_t ncb = ntc < FG_NC ? ntc : FG_NC;
    /* rebalance so that the last MC / NC block is not a sliver */
    mcb = ID(round_up)((mt + (mt + mcb - 1) / mcb - 1) / ((mt + mcb - 1) / mcb), MR);
    ncb = ID(round_up)((ntc + (ntc + ncb - 1) / ncb - 1) / ((ntc + ncb - 1) / ncb), NR);
    if (k > kcb) kcb = (k + (k + kcb - 1) / kcb - 1) / ((k + kcb - 1) / kcb);
    size_t abytes = ((size_t)mcb * FG_KC * sizeof(T) + 4095) & ~(size_t)4095;
    size_t bbytes = ((size_t)ncb * kcb * sizeof(T) + 4095) & ~(size_t)4095;
    size_t per = abytes + bbytes;
    char *raw = malloc(per * nt + 4096);
    if (!raw) return FG_ENOMEM;
    char *base = (char *)(((uintptr_t)raw + 4095) & ~(uintptr_t)4095);

    if (nt == 1) {
        ID(gemm_blocked)(m, n, k, a, rsa, csa, b, rsb, csb, c, rsc, csc, beta, mcb, kcb, ncb,
                         (T *)base, (T *)(base + abytes));
        free(raw);
        return 0;
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1)
#endif
    for (int t = 0; t < nt; t++) {
        int64_t ti = t / pn, tj = t % pn;
        int64_t i0 = ti * mt, j0 = tj * ntc;
        if (i0 >= m || j0 >= n) continue;
        int64_t mm = m - i0 < mt ? m - i0 : mt, nn = n - j0 < ntc ? n - j0 : ntc;
        T *abuf = (T *)(base + per * t), *bbuf = (T *)(base + per * t + abytes);
        ID(gemm_blocked)(mm, nn, k, a + i0 * rsa, rsa, csa, b + j0 * csb, rsb, csb,
                         c + i0 * rsc + j0 * csc, rsc, csc, beta, mcb, kcb, ncb, abuf, bbuf);
    }
    free(raw);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Products whose A columns are windows (see gemm.h): B packed once, whole, into NR-wide panels
 * (pack_b's layout with kc = k), then micro-tiles over all of k. */
int64_t FG_PUBLIC(ID(fg_windows_size))(int64_t k, int64_t n)
{
    return (n + NR - 1) / NR * NR * k;
}

int FG_PUBLIC(ID(fg_windows_pack))(int64_t k, int64_t n, const T *b, int64_t rsb, int64_t csb,
                                    T *packed)
{
    ID(pack_b)(k, n, b, rsb, csb, packed);
    return 0;
}

int FG_PUBLIC(ID(fg_windows))(int64_t m, int64_t n, int64_t k, const T *a, const int64_t *off,
                               const T *packed, T *c, int64_t rsc, int64_t csc, int accumulate)
{
    for (int64_t j0 = 0; j0 < n; j0 += NR)
        for (int64_t i0 = 0; i0 < m; i0 += MR) {
            int64_t mr = m - i0 < MR ? m - i0 : MR, nr = n - j0 < NR ? n - j0 : NR;
            ID(kernel_windows)(k, a + i0, off, packed + j0 * k, c + i0 * rsc + j0 * csc, rsc,
                               csc, accumulate != 0, mr, nr);
        }
    return 0;
}

/* Products whose B rows are windows (see gemm.h): A packed once, whole, into MR-tall column
 * panels (pack_a's column layout with kc = k); micro-tiles over all of k, a column of tiles at a
 * time so that its windows stay in L1 while A streams through. */
int64_t FG_PUBLIC(ID(fg_taps_size))(int64_t m, int64_t k)
{
    return (m + MR - 1) / MR * MR * k;
}

int FG_PUBLIC(ID(fg_taps_pack))(int64_t m, int64_t k, const T *a, int64_t rsa, int64_t csa,
                                 T *packed)
{
    ID(pack_a_cols)(m, k, a, rsa, csa, packed);
    return 0;
}

int FG_PUBLIC(ID(fg_taps))(int64_t m, int64_t n, int64_t k, const T *packed, const T *b,
                            const int64_t *off, T *c, int64_t rsc, int accumulate)
{
    for (int64_t j0 = 0; j0 < n; j0 += NR)
        for (int64_t i0 = 0; i0 < m; i0 += MR) {
            int64_t mr = m - i0 < MR ? m - i0 : MR, nr = n - j0 < NR ? n - j0 : NR;
            ID(kernel_taps)(k, packed + i0 * k, b + j0, off, c + i0 * rsc + j0, rsc,
                            accumulate != 0, mr, nr);
        }
    return 0;
}

/* Products whose A rows are windows (see gemm.h), B packed by fg_windows_pack: a column of
 * tiles at a time (its B panel stays in L1). */
int FG_PUBLIC(ID(fg_rows))(int64_t m, int64_t n, int64_t k, const T *a, const int64_t *off,
                            int64_t seg, int64_t pitch, const T *packed, T *c, int64_t rsc,
                            int accumulate)
{
    for (int64_t j0 = 0; j0 < n; j0 += NR)
        for (int64_t i0 = 0; i0 < m; i0 += MR) {
            int64_t mr = m - i0 < MR ? m - i0 : MR, nr = n - j0 < NR ? n - j0 : NR;
            ID(kernel_rows)(k, a, off + i0, seg, pitch, packed + j0 * k, c + i0 * rsc + j0, rsc,
                            accumulate != 0, mr, nr);
        }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Dot products of rows with windows (see gemm.h): a DI x DJ tile of (row, window) pairs keeps
 * one vector of lane sums per pair, over the whole length, and adds them to part once. A short
 * last piece is loaded masked. Edge tiles repeat their last row or window and
 * drop the repeats' sums. */
#if FG_VBYTES == 64
#define DI 4
#define DJ 4
#else
#define DI 3
#define DJ 3
#endif

int FG_PUBLIC(ID(fg_dots))(int64_t m, int64_t n, int64_t len, const T *a, int64_t lda,
                           const T *b, const int64_t *off, T *part)
{
    const int64_t body = len / VL * VL;
    for (int64_t i0 = 0; i0 < m; i0 += DI)
        for (int64_t j0 = 0; j0 < n; j0 += DJ) {
            const T *ar[DI], *br[DJ];
            V acc[DI][DJ];
#pragma GCC unroll 4
            for (int i = 0; i < DI; i++) ar[i] = a + (i0 + i < m ? i0 + i : m - 1) * lda;
#pragma GCC unroll 4
            for (int j = 0; j < DJ; j++) br[j] = b + off[j0 + j < n ? j0 + j : n - 1];
#pragma GCC unroll 4
            for (int i = 0; i < DI; i++)
#pragma GCC unroll 4
                for (int j = 0; j < DJ; j++) acc[i][j] = (V){0};
            for (int64_t q = 0; q <= len - VL; q += VL) {
                V av[DI], bv[DJ];
#pragma GCC unroll 4
                for (int i = 0; i < DI; i++) av[i] = *(const VU *)(ar[i] + q);
#pragma GCC unroll 4
                for (int j = 0; j < DJ; j++) bv[j] = *(const VU *)(br[j] + q);
#pragma GCC unroll 4
                for (int i = 0; i < DI; i++)
#pragma GCC unroll 4
                    for (int j = 0; j < DJ; j++) acc[i][j] += av[i] * bv[j];
            }
            if (body < len) {
                V av[DI], bv[DJ];
#pragma GCC unroll 4
                for (int i = 0; i < DI; i++) av[i] = ID(load_head)(ar[i] + body, len - body);
#pragma GCC unroll 4
                for (int j = 0; j < DJ; j++) bv[j] = ID(load_head)(br[j] + body, len - body);
#pragma GCC unroll 4
                for (int i = 0; i < DI; i++)
#pragma GCC unroll 4
                    for (int j = 0; j < DJ; j++) acc[i][j] += av[i] * bv[j];
            }
            for (int i = 0; i < DI && i0 + i < m; i++)
                for (int j = 0; j < DJ && j0 + j < n; j++)
                    *(VU *)(part + ((i0 + i) * n + j0 + j) * VL) += acc[i][j];
        }
    return 0;
}
#undef DI
#undef DJ

#undef ID
#undef T
#undef V
#undef VU
#undef MR
#undef NV
#undef VL
#undef NR

/* the template's parameters, for the next instantiation */
#undef FG_T
#undef FG_SFX
#undef FG_NL
#undef FG_IT
#undef FG_MR
#undef FG_MRB
#undef FG_MRC
#undef FG_NV
#undef FG_KC
#undef FG_MC
#undef FG_NC
#undef FG_VFMA
