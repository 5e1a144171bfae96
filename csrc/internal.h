/* Shared by the kernel files, not part of the public API: the one strided iterator. */
#ifndef FASTGRAD_INTERNAL_H
#define FASTGRAD_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "fastgrad.h"

#define FG_MAX_DIMS 64 /* numpy's limit */
#define FG_MAX_OPERANDS 4
/* Below this many elements a parallel region costs more than it saves. */
#define FG_PARALLEL_MIN 65536

/* A loop over one innermost row: n elements, one pointer and one byte stride per operand. */
typedef void (*fg_row_fn)(int64_t n, char **ptrs, const int64_t *strides, const void *ctx);

typedef struct {
    int nops, ndim;
    int64_t shape[FG_MAX_DIMS];
    int64_t strides[FG_MAX_OPERANDS][FG_MAX_DIMS];
} fg_geometry;

/* Copies a shape and per-operand strides ([op][dim], bytes) into g, dropping size-1 axes and
 * merging axes that are contiguous with each other in every operand. Returns FG_EDIMS if ndim
 * is out of range, FG_ESIZE as fg_check_sizes. */
int fg_geometry_init(fg_geometry *g, int nops, int ndim, const int64_t *shape,
                     const int64_t *strides);
int64_t fg_geometry_numel(const fg_geometry *g);

/* FG_ESIZE unless every shape[d] >= 0 and the element count and each of the nops operands' byte
 * extents (sum of |stride| * (shape - 1), strides as in fg_geometry_init) fit in int64: the
 * check behind every size computation the kernels make from their arguments. */
int fg_check_sizes(int nops, int ndim, const int64_t *shape, const int64_t *strides);
/* malloc(count * size), the product overflow-checked: NULL when it overflows or fails. */
void *fg_alloc(int64_t count, int64_t size);

/* For kernels that walk along one axis at every position off it: the geometry of the other
 * dimensions into g, and each operand's stride along `axis` into axis_strides[op]. FG_EDIMS if
 * ndim (at least 1) or axis is out of range, FG_ESIZE as fg_check_sizes (the axis included). */
int fg_geometry_off_axis(fg_geometry *g, int nops, int ndim, const int64_t *shape,
                         const int64_t *strides, int axis, int64_t *axis_strides);

/* Checks the int64 indices of g's one operand in row-major order: FG_OK if each is in [lo, hi)
 * or equals *ignore (unless ignore is NULL), else FG_EINDEX with the first offender in *bad.
 * *counted, unless NULL, receives how many were not ignored. */
int fg_check_indices(const fg_geometry *g, const char *index, int64_t lo, int64_t hi,
                     const int64_t *ignore, int64_t *bad, int64_t *counted);

/* Calls row() over every element of g in row-major order. Elements must be independent when
 * parallel is set: the index space is then split across threads. */
void fg_iterate(const fg_geometry *g, char **ptrs, fg_row_fn row, const void *ctx, int parallel);

int fg_dtype_size(int dtype); /* 0 for an unknown dtype */
#define FG_VALID_DTYPE(d) ((d) >= FG_BOOL && (d) <= FG_FLOAT64) /* a compute dtype */
#define FG_STORED_DTYPE(d) ((d) >= FG_BOOL && (d) < FG_NUM_DTYPES) /* any dtype */

/* name_suffix, with the suffix a macro expanded first: the names of a template's
 * instantiations (gemm_kernel.h, nn_rows.h, matmul_kernels.h). */
#define FG_CAT_(a, b) a##_##b
#define FG_CAT(a, b) FG_CAT_(a, b)

/* The thread count set by fg_set_num_threads, for every parallel region of the library. */
int fg_threads(void);

#define MAX_OF(x, y) (((x) > (y) || (x) != (x)) ? (x) : (y)) /* NaN propagates, as in torch */
#define MIN_OF(x, y) (((x) < (y) || (x) != (x)) ? (x) : (y))

typedef uint8_t fg_bool; /* numpy's bool: one byte, 0 or 1 */
typedef _Float16 fg_half; /* IEEE binary16, numpy's float16 */

/* Compiles a function for AVX-512F, AVX2 and baseline x86-64, the loader picking the best the
 * CPU has (GCC's function multiversioning, which needs glibc's ifunc: <stdint.h> above defines
 * __GLIBC__); a plain function elsewhere. FASTGRAD_ISA caps only the matrix product's choice
 * (gemm_dispatch.c): these clones follow the CPU. (The x86-64-v3/v4 levels the gemm variants
 * are built for would give the AVX2 clone FMA too, but made strided loops with a stride-0
 * operand 1.75x slower on AVX-512: measured, not adopted.) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__GLIBC__) && \
    !defined(FG_NO_CLONES)
#define FG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FG_CLONES
#endif

/* Element access through memcpy: numpy arrays may be unaligned (packed record fields), where a
 * plain typed load is undefined behaviour; compilers turn these into ordinary loads and stores. */
#define LOAD(TYPE, ptr, i, stride)                                                             \
    __extension__({                                                                            \
        TYPE v_;                                                                               \
        memcpy(&v_, (ptr) + (i) * (stride), sizeof v_);                                        \
        v_;                                                                                    \
    })
#define STORE(TYPE, ptr, i, stride, value)                                                     \
    do {                                                                                       \
        TYPE v_ = (value);                                                                     \
        memcpy((ptr) + (i) * (stride), &v_, sizeof v_);                                        \
    } while (0)

/* ROW(NAME, ARITY, TX, T, R, EXPR) defines NAME, an fg_row_fn computing out = EXPR from up to
 * three operands: x of type TX, y and z of type T, out of type R. The loop body is inlined
 * for contiguous operands, for a broadcast scalar y or x, and for any strides, so the common
 * cases get constant strides the compiler vectorizes; and twice over: with out declared apart
 * from the inputs (restrict), and for out being one of them (x += y). Without the first, the
 * compiler checks at run time whether out overlaps an input and takes a vectorized or a scalar
 * loop, which may round a * b + c differently (one fuses it): the same inputs could give
 * different bits from call to call, depending on where the allocator put them. */
#define ROW_BODY(BODY, QUALIFIER, ARITY, TX, T, R, EXPR)                                       \
    static inline __attribute__((always_inline)) void BODY(                                    \
        int64_t n, char *QUALIFIER o, const char *xp, const char *yp, const char *zp,          \
        int64_t so, int64_t sx, int64_t sy, int64_t sz)                                        \
    {                                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                      \
            TX x = LOAD(TX, xp, i, sx);                                                        \
            T y = (ARITY) > 1 ? LOAD(T, yp, i, sy) : (T)0;                                     \
            T z = (ARITY) > 2 ? LOAD(T, zp, i, sz) : (T)0;                                     \
            (void)y; (void)z;                                                                  \
            STORE(R, o, i, so, (R)(EXPR));                                                     \
        }                                                                                      \
    }

/* The strides' special cases, each a call of BODY with constant strides. */
#define ROW_STRIDES(BODY, ARITY, so, sx, st)                                                   \
    do {                                                                                       \
        int contiguous = s[0] == so && s[1] == sx;                                             \
        if (contiguous && ((ARITY) < 2 || s[2] == st) && ((ARITY) < 3 || s[3] == st))          \
            BODY(n, p[0], p[1], p[2], p[3], so, sx, st, st);                                   \
        else if (contiguous && (ARITY) == 2 && s[2] == 0)                                      \
            BODY(n, p[0], p[1], p[2], p[3], so, sx, 0, 0);                                     \
        else if (s[0] == so && s[1] == 0 && (ARITY) == 2 && s[2] == st) /* 0.1 * g */          \
            BODY(n, p[0], p[1], p[2], p[3], so, 0, st, 0);                                     \
        else                                                                                   \
            BODY(n, p[0], p[1], p[2], p[3], s[0], s[1], (ARITY) > 1 ? s[2] : 0,                \
                 (ARITY) > 2 ? s[3] : 0);                                                      \
    } while (0)

#define ROW(NAME, ARITY, TX, T, R, EXPR)                                                       \
    ROW_BODY(NAME##_apart, restrict, ARITY, TX, T, R, EXPR)                                    \
    ROW_BODY(NAME##_in_place, , ARITY, TX, T, R, EXPR)                                         \
    FG_CLONES static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)         \
    {                                                                                          \
        (void)ctx;                                                                             \
        const int64_t so = sizeof(R), sx = sizeof(TX), st = sizeof(T);                         \
        if (p[0] == p[1] || ((ARITY) > 1 && p[0] == p[2]) || ((ARITY) > 2 && p[0] == p[3]))    \
            ROW_STRIDES(NAME##_in_place, ARITY, so, sx, st);                                   \
        else /* out and the inputs never partly overlap: fastgrad refuses that */              \
            ROW_STRIDES(NAME##_apart, ARITY, so, sx, st);                                      \
    }

#endif
