#pragma once
// Private to stats: the dense Cholesky factorisation that dominates crossed mixed models.

#include <Eigen/Dense>

namespace attune::stats::detail {

//! Overwrites the lower triangle of the symmetric n x n matrix `a` with its Cholesky factor L
//! (a = L L'); false when `a` is not positive definite. Uses an AVX2/FMA build of Eigen's blocked
//! factorisation when the processor reports both (checked at run time), the baseline build otherwise.
bool CholeskyInPlace(Eigen::MatrixXd& a);

//! Overwrites b with L^-1 b for the lower triangle L of `l` (as factored above).
void SolveLowerInPlace(const Eigen::MatrixXd& l, Eigen::MatrixXd& b);

//! The same factorisation compiled for AVX2/FMA; only to be called when the CPU has both.
bool CholeskyInPlaceAvx2(double* a, long n);
//! The same solve compiled for AVX2/FMA; only to be called when the CPU has both.
void SolveLowerInPlaceAvx2(const double* l, long n, double* b, long cols);

}  // namespace attune::stats::detail
