#include "dense_cholesky.hpp"

namespace attune::stats::detail {

namespace {

bool HaveAvx2() {
#if defined(ATTUNE_STATS_AVX2) && (defined(__GNUC__) || defined(__clang__))
  static const bool have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return have;
#else
  return false;
#endif
}

}  // namespace

bool CholeskyInPlace(Eigen::MatrixXd& a) {
  if (HaveAvx2()) return CholeskyInPlaceAvx2(a.data(), static_cast<long>(a.rows()));
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(a);
  return llt.info() == Eigen::Success;
}

void SolveLowerInPlace(const Eigen::MatrixXd& l, Eigen::MatrixXd& b) {
  if (HaveAvx2()) {
    SolveLowerInPlaceAvx2(l.data(), static_cast<long>(l.rows()), b.data(), static_cast<long>(b.cols()));
    return;
  }
  l.triangularView<Eigen::Lower>().solveInPlace(b);
}

#if !defined(ATTUNE_STATS_AVX2)
bool CholeskyInPlaceAvx2(double* a, long n) {
  Eigen::Map<Eigen::MatrixXd> m(a, n, n);
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(m);
  return llt.info() == Eigen::Success;
}
void SolveLowerInPlaceAvx2(const double* l, long n, double* b, long cols) {
  Eigen::Map<const Eigen::MatrixXd> lm(l, n, n);
  Eigen::Map<Eigen::MatrixXd> bm(b, n, cols);
  lm.triangularView<Eigen::Lower>().solveInPlace(bm);
}
#endif

}  // namespace attune::stats::detail
