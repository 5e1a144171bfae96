/* Picks, once, the fastest gemm variant this CPU runs (see gemm.c): on x86-64 built with GCC or
 * Clang, gemm.c is compiled three times (baseline, avx2, avx512); elsewhere only the portable
 * baseline exists. FASTGRAD_ISA=baseline|avx2|avx512 caps the choice (it never raises it above
 * what the CPU supports). Define FG_GEMM_SINGLE_ISA to build with the baseline variant only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gemm.h"

typedef int (*fg_gemm_f32_fn)(int64_t, int64_t, int64_t, const float *, int64_t, int64_t,
                              const float *, int64_t, int64_t, float *, int64_t, int64_t, int);
typedef int (*fg_gemm_f64_fn)(int64_t, int64_t, int64_t, const double *, int64_t, int64_t,
                              const double *, int64_t, int64_t, double *, int64_t, int64_t, int);

#define FG_DECLARE_VARIANT(ISA)                                                                  \
    int fg_gemm_f32_##ISA(int64_t, int64_t, int64_t, const float *, int64_t, int64_t,          \
                          const float *, int64_t, int64_t, float *, int64_t, int64_t, int);     \
    int fg_gemm_f64_##ISA(int64_t, int64_t, int64_t, const double *, int64_t, int64_t,         \
                          const double *, int64_t, int64_t, double *, int64_t, int64_t, int);     \
    int fg_dots_f32_##ISA(int64_t, int64_t, int64_t, const float *, int64_t, const float *,    \
                          const int64_t *, float *);                                            \
    int fg_dots_f64_##ISA(int64_t, int64_t, int64_t, const double *, int64_t, const double *,  \
                          const int64_t *, double *);                                           \
    FG_WINDOWS_DECL(fg_windows, f32, float, ISA) FG_WINDOWS_DECL(fg_windows, f64, double, ISA) \
    FG_TAPS_DECL(f32, float, ISA) FG_TAPS_DECL(f64, double, ISA)

/* The three fg_windows functions of one element type (gemm.h), named for one variant. */
#define FG_WINDOWS_DECL(name, sfx, T, ISA)                                                      \
    int64_t name##_size_##sfx##_##ISA(int64_t, int64_t);                                        \
    int name##_pack_##sfx##_##ISA(int64_t, int64_t, const T *, int64_t, int64_t, T *);         \
    int name##_##sfx##_##ISA(int64_t, int64_t, int64_t, const T *, const int64_t *, const T *,  \
                             T *, int64_t, int64_t, int);

/* fg_taps's three functions and fg_rows (gemm.h), of one element type, for one variant. */
#define FG_TAPS_DECL(sfx, T, ISA)                                                               \
    int64_t fg_taps_size_##sfx##_##ISA(int64_t, int64_t);                                       \
    int fg_taps_pack_##sfx##_##ISA(int64_t, int64_t, const T *, int64_t, int64_t, T *);        \
    int fg_taps_##sfx##_##ISA(int64_t, int64_t, int64_t, const T *, const T *, const int64_t *, \
                              T *, int64_t, int);                                               \
    int fg_rows_##sfx##_##ISA(int64_t, int64_t, int64_t, const T *, const int64_t *, int64_t,  \
                              int64_t, const T *, T *, int64_t, int);

FG_DECLARE_VARIANT(baseline)
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(FG_GEMM_SINGLE_ISA)
#define FG_GEMM_MULTI_ISA 1
FG_DECLARE_VARIANT(avx2)
FG_DECLARE_VARIANT(avx512)
#endif

enum { FG_ISA_BASELINE, FG_ISA_AVX2, FG_ISA_AVX512 };
static const char *const isa_names[] = {"baseline", "avx2", "avx512"};

/* Written once per process by whichever thread gets there first; every thread computes the
 * same value, so racing writers agree (stored atomically for the pedantic). */
static int chosen = -1;

static int pick(void)
{
    int level = FG_ISA_BASELINE;
#ifdef FG_GEMM_MULTI_ISA
    /* The variants may be built with -march=x86-64-v3 / -v4, which let the compiler use every
     * feature of that level (BMI, AVX-512 VL/BW/DQ), so require them all, not only the SIMD
     * ones the kernels are written for. */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
        level = FG_ISA_AVX2;
    if (level == FG_ISA_AVX2 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
        level = FG_ISA_AVX512;
#endif
    const char *env = getenv("FASTGRAD_ISA");
    if (env && *env) {
        for (int i = 0; i < 3; i++)
            if (strcmp(env, isa_names[i]) == 0 && i < level) level = i;
    }
    return level;
}

static int level(void)
{
    int l = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (l < 0) {
        l = pick();
        __atomic_store_n(&chosen, l, __ATOMIC_RELAXED);
    }
    return l;
}

const char *fg_gemm_isa(void) { return isa_names[level()]; }

int fg_gemm_f32(int64_t m, int64_t n, int64_t k, const float *a, int64_t rsa, int64_t csa,
                const float *b, int64_t rsb, int64_t csb, float *c, int64_t rsc, int64_t csc,
                int accumulate)
{
    fg_gemm_f32_fn f = fg_gemm_f32_baseline;
#ifdef FG_GEMM_MULTI_ISA
    switch (level()) {
    case FG_ISA_AVX512: f = fg_gemm_f32_avx512; break;
    case FG_ISA_AVX2: f = fg_gemm_f32_avx2; break;
    default: break;
    }
#endif
    return f(m, n, k, a, rsa, csa, b, rsb, csb, c, rsc, csc, accumulate);
}

int fg_gemm_f64(int64_t m, int64_t n, int64_t k, const double *a, int64_t rsa, int64_t csa,
                const double *b, int64_t rsb, int64_t csb, double *c, int64_t rsc, int64_t csc,
                int accumulate)
{
    fg_gemm_f64_fn f = fg_gemm_f64_baseline;
#ifdef FG_GEMM_MULTI_ISA
    switch (level()) {
    case FG_ISA_AVX512: f = fg_gemm_f64_avx512; break;
    case FG_ISA_AVX2: f = fg_gemm_f64_avx2; break;
    default: break;
    }
#endif
    return f(m, n, k, a, rsa, csa, b, rsb, csb, c, rsc, csc, accumulate);
}

/* The variants' vector widths in bytes (gemm.c's FG_VBYTES), by level. */
static const int64_t vector_bytes[] = {16, 32, 64};

int64_t fg_gemm_lanes(int f64) { return vector_bytes[level()] / (f64 ? 8 : 4); }

/* One dispatching definition: return type, name, parameters and the arguments passed on. */
#ifdef FG_GEMM_MULTI_ISA
#define FG_DISPATCH(R, name, params, args)                                                      \
    R name params                                                                               \
    {                                                                                           \
        switch (level()) {                                                                      \
        case FG_ISA_AVX512: return name##_avx512 args;                                          \
        case FG_ISA_AVX2: return name##_avx2 args;                                              \
        default: return name##_baseline args;                                                   \
        }                                                                                       \
    }
#else
#define FG_DISPATCH(R, name, params, args)                                                      \
    R name params { return name##_baseline args; }
#endif
#define FG_DISPATCH_TYPE(sfx, T)                                                                \
    FG_DISPATCH(int, fg_dots_##sfx,                                                             \
                (int64_t m, int64_t n, int64_t len, const T *a, int64_t lda, const T *b,        \
                 const int64_t *off, T *part),                                                  \
                (m, n, len, a, lda, b, off, part))                                              \
    FG_DISPATCH(int64_t, fg_windows_size_##sfx, (int64_t k, int64_t n), (k, n))                 \
    FG_DISPATCH(int, fg_windows_pack_##sfx,                                                    \
                (int64_t k, int64_t n, const T *b, int64_t rsb, int64_t csb, T *packed),        \
                (k, n, b, rsb, csb, packed))                                                    \
    FG_DISPATCH(int, fg_windows_##sfx,                                                         \
                (int64_t m, int64_t n, int64_t k, const T *a, const int64_t *off,               \
                 const T *packed, T *c, int64_t rsc, int64_t csc, int accumulate),              \
                (m, n, k, a, off, packed, c, rsc, csc, accumulate))                             \
    FG_DISPATCH(int64_t, fg_taps_size_##sfx, (int64_t m, int64_t k), (m, k))                    \
    FG_DISPATCH(int, fg_taps_pack_##sfx,                                                       \
                (int64_t m, int64_t k, const T *a, int64_t rsa, int64_t csa, T *packed),        \
                (m, k, a, rsa, csa, packed))                                                    \
    FG_DISPATCH(int, fg_taps_##sfx,                                                            \
                (int64_t m, int64_t n, int64_t k, const T *packed, const T *b,                  \
                 const int64_t *off, T *c, int64_t rsc, int accumulate),                        \
                (m, n, k, packed, b, off, c, rsc, accumulate))                                  \
    FG_DISPATCH(int, fg_rows_##sfx,                                                            \
                (int64_t m, int64_t n, int64_t k, const T *a, const int64_t *off, int64_t seg,  \
                 int64_t pitch, const T *packed, T *c, int64_t rsc, int accumulate),            \
                (m, n, k, a, off, seg, pitch, packed, c, rsc, accumulate))
FG_DISPATCH_TYPE(f32, float)
FG_DISPATCH_TYPE(f64, double)
