/* BLIS-style matrix product on strided operands (see gemm.h).
 *
 * Five loops around a register-blocked micro-kernel: jc over NC-wide panels of B, pc over KC-deep
 * slices (the B panel is packed into NR-wide micro-panels), ic over MC-tall blocks of A (packed
 * into MR-tall micro-panels), then jr and ir over micro-tiles. The micro-kernel keeps an MR x NR
 * tile of C in MR * NV named vector accumulators (GCC vector extensions), broadcasting one
 * element of A per row against NV vectors of a row of B. Packed panels are zero-padded, so the
 * kernel always computes a full tile; ragged edges are written back through a small buffer.
 * Packing reads each source through its strides, contiguously where its layout allows, so
 * A B, A^T B and A B^T cost the same. Small products skip packing (gemm_direct).
 *
 * This file is compiled once per instruction-set level: with -DFG_ISA=avx512 (and -mavx512f or
 * -march=x86-64-v4) it defines fg_gemm_f32_avx512 / fg_gemm_f64_avx512, with -DFG_ISA=avx2 and
 * -march=x86-64-v3 the _avx2 pair, and with no FG_ISA the portable _baseline pair (any
 * architecture). The vector width and tile shape follow the compiler's target macros, so a
 * mismatched FG_ISA / flag pair is slow, never wrong. gemm_dispatch.c picks the variant. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif
#include "gemm.h"
#include "internal.h" /* fg_threads: the one thread count of the library */

#ifndef FG_ISA
#define FG_ISA baseline
#endif

#define FG_PUBLIC(name) FG_CAT(name, FG_ISA)
/* Two spellings of one paste, for the row and the column repeaters: a row repeater's body
 * expands a column repeater, and a macro does not expand inside its own expansion. */
#define FG_RCAT_(a, b) a##b
#define FG_RCAT(a, b) FG_RCAT_(a, b)
#define FG_CCAT_(a, b) a##b
#define FG_CCAT(a, b) FG_CCAT_(a, b)

/* Repeaters: F(i, X) for each row i of the micro-tile, F(i, j) for each vector j of a row. */
#define FG_ROWS_2(F, X) F(0, X) F(1, X)
#define FG_ROWS_4(F, X) FG_ROWS_2(F, X) F(2, X) F(3, X)
#define FG_ROWS_6(F, X) FG_ROWS_4(F, X) F(4, X) F(5, X)
#define FG_ROWS_8(F, X) FG_ROWS_6(F, X) F(6, X) F(7, X)
#define FG_ROWS_12(F, X) FG_ROWS_8(F, X) F(8, X) F(9, X) F(10, X) F(11, X)
#define FG_COLS_1(F, i) F(i, 0)
#define FG_COLS_2(F, i) F(i, 0) F(i, 1)
#define FG_LCAT_(a, b) a##b
#define FG_LCAT(a, b) FG_LCAT_(a, b)
/* F(j, X) for each lane j of a vector, comma-separated (vector initializers) */
#define FG_LANES_2(F, X) F(0, X), F(1, X)
#define FG_LANES_4(F, X) FG_LANES_2(F, X), F(2, X), F(3, X)
#define FG_LANES_8(F, X) FG_LANES_4(F, X), F(4, X), F(5, X), F(6, X), F(7, X)
#define FG_LANES_16(F, X) FG_LANES_8(F, X), F(8, X), F(9, X), F(10, X), F(11, X), F(12, X), \
    F(13, X), F(14, X), F(15, X)

/* Products below FG_DIRECT_MAX multiply-adds skip packing when B's rows are contiguous (their
 * operands sit in L2, where reading them in place beats copying them; measured up to 256^3 on a
 * 2 MiB L2), below FG_DIRECT_STRIDED_MAX in any layout. From FG_PARALLEL_FLOPS on, threads
 * share the work (a parallel region costs a few microseconds). */
#ifndef FG_DIRECT_MAX
#define FG_DIRECT_MAX 2097152.0
#endif
#ifndef FG_DIRECT_STRIDED_MAX
#define FG_DIRECT_STRIDED_MAX 262144.0
#endif
#define FG_PARALLEL_FLOPS 2097152.0

/* Tile shapes and blocking per level. MR x NR accumulators + NV loads of B + a broadcast must
 * fit the register file: 32 zmm with AVX-512 (12 x 2 = 24 accumulators), 16 ymm / xmm else
 * (6 x 2 = 12). */
#if defined(__AVX512F__)
#define FG_VBYTES 64
#define FG_NL_F32 16 /* lanes */
#define FG_NL_F64 8
#define FG_MR_F32 12
#define FG_MRB_F32 8
#define FG_MRC_F32 4
#define FG_NV_F32 2
#define FG_MR_F64 12
#define FG_MRB_F64 8
#define FG_MRC_F64 4
#define FG_NV_F64 2
#define FG_VFMA_F32(s, v, acc) _mm512_fmadd_ps(_mm512_set1_ps(s), v, acc)
#define FG_VFMA_F64(s, v, acc) _mm512_fmadd_pd(_mm512_set1_pd(s), v, acc)
#elif defined(__AVX2__) && defined(__FMA__)
#define FG_VBYTES 32
#define FG_NL_F32 8 /* lanes */
#define FG_NL_F64 4
#define FG_MR_F32 6
#define FG_MRB_F32 4
#define FG_MRC_F32 2
#define FG_NV_F32 2
#define FG_MR_F64 6
#define FG_MRB_F64 4
#define FG_MRC_F64 2
#define FG_NV_F64 2
#define FG_VFMA_F32(s, v, acc) _mm256_fmadd_ps(_mm256_set1_ps(s), v, acc)
#define FG_VFMA_F64(s, v, acc) _mm256_fmadd_pd(_mm256_set1_pd(s), v, acc)
#else
#define FG_VBYTES 16
#define FG_NL_F32 4 /* lanes */
#define FG_NL_F64 2
#define FG_MR_F32 6
#define FG_MRB_F32 4
#define FG_MRC_F32 2
#define FG_NV_F32 2
#define FG_MR_F64 6
#define FG_MRB_F64 4
#define FG_MRC_F64 2
#define FG_NV_F64 2
#define FG_VFMA_F32(s, v, acc) ((acc) + (s) * (v))
#define FG_VFMA_F64(s, v, acc) ((acc) + (s) * (v))
#endif

/* Blocking (elements), tuned on AVX-512 (Xeon, 48 KiB L1d, 2 MiB L2): a B micro-panel
 * (KC x NR) is reused by the MC / MR A micro-panels of a block, which stays in L2; a larger KC
 * amortizes the load and store of each C tile. Overridable with -D for tuning. */
#ifndef FG_PF_B /* prefetch distance along B's rows inside the micro-kernel */
#define FG_PF_B 16
#endif
#ifndef FG_KC_F32
#define FG_KC_F32 512
#endif
#ifndef FG_MC_F32
#define FG_MC_F32 120
#endif
#ifndef FG_NC_F32
#define FG_NC_F32 4096
#endif
#ifndef FG_KC_F64
#define FG_KC_F64 512
#endif
#ifndef FG_MC_F64
#define FG_MC_F64 96
#endif
#ifndef FG_NC_F64
#define FG_NC_F64 4096
#endif

#define FG_T float
#define FG_SFX f32
#define FG_NL FG_NL_F32
#define FG_IT int32_t
#define FG_MR FG_MR_F32
#define FG_MRB FG_MRB_F32
#define FG_MRC FG_MRC_F32
#define FG_NV FG_NV_F32
#define FG_KC FG_KC_F32
#define FG_MC FG_MC_F32
#define FG_NC FG_NC_F32
#define FG_VFMA FG_VFMA_F32
#include "gemm_kernel.h"

#define FG_T double
#define FG_SFX f64
#define FG_NL FG_NL_F64
#define FG_IT int64_t
#define FG_MR FG_MR_F64
#define FG_MRB FG_MRB_F64
#define FG_MRC FG_MRC_F64
#define FG_NV FG_NV_F64
#define FG_KC FG_KC_F64
#define FG_MC FG_MC_F64
#define FG_NC FG_NC_F64
#define FG_VFMA FG_VFMA_F64
#include "gemm_kernel.h"
