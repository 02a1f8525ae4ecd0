#include "dense_cholesky.hpp"

namespace attune::stats::detail {

namespace {

enum class Simd { kBaseline, kAvx2, kAvx512 };

// ATTUNE_STATS_SIMD is defined (src/stats/CMakeLists.txt) when the SIMD builds are compiled in.
Simd Available() {
#if defined(ATTUNE_STATS_SIMD) && (defined(__GNUC__) || defined(__clang__))
  static const Simd simd = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      return Simd::kAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Simd::kAvx2;
    return Simd::kBaseline;
  }();
  return simd;
#else
  return Simd::kBaseline;
#endif
}

}  // namespace

bool CholeskyInPlace(Eigen::MatrixXd& a) {
  switch (Available()) {
    case Simd::kAvx512: return CholeskyInPlaceAvx512(a.data(), static_cast<long>(a.rows()));
    case Simd::kAvx2: return CholeskyInPlaceAvx2(a.data(), static_cast<long>(a.rows()));
    case Simd::kBaseline: break;
  }
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(a);
  return llt.info() == Eigen::Success;
}

void SolveLowerInPlace(const Eigen::MatrixXd& l, Eigen::MatrixXd& b) {
  const auto n = static_cast<long>(l.rows());
  const auto cols = static_cast<long>(b.cols());
  switch (Available()) {
    case Simd::kAvx512: SolveLowerInPlaceAvx512(l.data(), n, b.data(), cols); return;
    case Simd::kAvx2: SolveLowerInPlaceAvx2(l.data(), n, b.data(), cols); return;
    case Simd::kBaseline: break;
  }
  l.triangularView<Eigen::Lower>().solveInPlace(b);
}

}  // namespace attune::stats::detail
