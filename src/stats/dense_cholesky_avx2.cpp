// The dense Cholesky kernels for processors with AVX2 and FMA (see dense_cholesky_simd.inc).
#define ATTUNE_EIGEN_NS attune_stats_eigen_avx2
#define ATTUNE_SIMD_SUFFIX Avx2
#include "dense_cholesky_simd.inc"
