// Compiled with -mavx2 -mfma (src/stats/CMakeLists.txt) and called only after a run-time check of
// the processor (dense_cholesky.cpp). Eigen's templates are instantiated here under another
// namespace name, so the linker can never merge them with the baseline instantiations used
// everywhere else in the program.
#define Eigen attune_stats_eigen_avx2
#include <Eigen/Cholesky>
#include <Eigen/Core>
#undef Eigen

namespace attune::stats::detail {

bool CholeskyInPlaceAvx2(double* a, long n) {
  namespace E = attune_stats_eigen_avx2;
  E::Map<E::MatrixXd> m(a, n, n);
  E::LLT<E::Ref<E::MatrixXd>> llt(m);
  return llt.info() == E::Success;
}

void SolveLowerInPlaceAvx2(const double* l, long n, double* b, long cols) {
  namespace E = attune_stats_eigen_avx2;
  E::Map<const E::MatrixXd> lm(l, n, n);
  E::Map<E::MatrixXd> bm(b, n, cols);
  lm.triangularView<E::Lower>().solveInPlace(bm);
}

}  // namespace attune::stats::detail
