#pragma once
// Private to stats: the dense Cholesky factorisation that dominates crossed mixed models.

#include <Eigen/Dense>

namespace attune::stats::detail {

//! Overwrites the lower triangle of the symmetric n x n matrix `a` with its Cholesky factor L
//! (a = L L'); false when `a` is not positive definite. Uses an AVX-512 or AVX2/FMA build of
//! Eigen's blocked factorisation when the processor reports those instructions (checked at run
//! time), the baseline build otherwise.
bool CholeskyInPlace(Eigen::MatrixXd& a);

//! Overwrites b with L^-1 b for the lower triangle L of `l` (as factored above).
void SolveLowerInPlace(const Eigen::MatrixXd& l, Eigen::MatrixXd& b);

//! The same kernels built for AVX2/FMA and for AVX-512 (dense_cholesky_simd.inc); only to be
//! called when the processor has those instructions.
bool CholeskyInPlaceAvx2(double* a, long n);
void SolveLowerInPlaceAvx2(const double* l, long n, double* b, long cols);
bool CholeskyInPlaceAvx512(double* a, long n);
void SolveLowerInPlaceAvx512(const double* l, long n, double* b, long cols);

}  // namespace attune::stats::detail
