// The dense Cholesky kernels for processors with AVX-512 F/VL/DQ (see dense_cholesky_simd.inc).
#define ATTUNE_EIGEN_NS attune_stats_eigen_avx512
#define ATTUNE_SIMD_SUFFIX Avx512
#include "dense_cholesky_simd.inc"
