#include "attune/stats/mediation.hpp"

#include <fmt/core.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "attune/stats/regression.hpp"
#include "design.hpp"

namespace attune::stats {

namespace {

// Unbiased integer in [0, n) from a 64-bit Mersenne Twister (fully specified by the standard).
std::size_t Draw(std::mt19937_64& rng, std::size_t n) {
  const std::uint64_t range = static_cast<std::uint64_t>(n);
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  std::uint64_t v = 0;
  do {
    v = rng();
  } while (v >= limit);
  return static_cast<std::size_t>(v % range);
}

// Weighted least squares by normal equations; false when singular.
bool Solve(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& w, Eigen::VectorXd* b) {
  Eigen::MatrixXd xtx = X.transpose() * w.asDiagonal() * X;
  Eigen::VectorXd xty = X.transpose() * w.asDiagonal() * y;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(xtx);
  if (ldlt.info() != Eigen::Success || !ldlt.isPositive()) return false;
  if ((ldlt.vectorD().array() <= 1e-10 * xtx.diagonal().maxCoeff()).any()) return false;
  *b = ldlt.solve(xty);
  return true;
}

double Quantile7(const std::vector<double>& sorted, double prob) {
  const double h = (static_cast<double>(sorted.size()) - 1) * prob;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

Path Find(const OlsFit& fit, const std::string& term) {
  for (const auto& c : fit.coef)
    if (c.term == term) return {c.estimate, c.se, c.p};
  return {};
}

}  // namespace

Result<Mediation> Mediate(const DataFrame& df, const std::string& x, const std::string& m, const std::string& y,
                          const MediationOptions& options) {
  if (options.resamples < 100) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("resamples must be at least 100, got {}", options.resamples), "resamples");
  }
  if (!(options.level > 0 && options.level < 1)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("level must be in (0, 1), got {}", options.level), "level");
  }
  std::vector<std::string> cols = {x, m, y};
  for (const auto& c : options.covariates) cols.push_back(c);
  for (const auto& c : cols) {
    auto col = df.GetNumeric(c);
    if (!col) return std::move(col).error();
  }
  std::vector<std::string> needed = cols;
  if (!options.cluster.empty()) needed.push_back(options.cluster);
  Mediation out;
  out.seed = options.seed;
  auto rows = CompleteRows(df, needed, &out.dropped);
  if (!rows) return std::move(rows).error();
  // The point estimates come from the full OLS machinery (and its checks).
  DataFrame used;
  for (const auto& c : cols) {
    const Column* col = df.Find(c);
    std::vector<double> v;
    for (auto r : *rows) v.push_back(col->values[r]);
    if (auto ok = used.AddNumeric(c, v); !ok) return std::move(ok).error();
  }
  std::vector<std::string> xm = {x};
  xm.insert(xm.end(), options.covariates.begin(), options.covariates.end());
  auto fa = Regress(used, m, xm);
  if (!fa) return std::move(fa).error();
  auto fc = Regress(used, y, xm);
  if (!fc) return std::move(fc).error();
  std::vector<std::string> xmb = {x, m};
  xmb.insert(xmb.end(), options.covariates.begin(), options.covariates.end());
  auto fb = Regress(used, y, xmb);
  if (!fb) return std::move(fb).error();
  out.n = rows->size();
  out.a = Find(*fa, x);
  out.c = Find(*fc, x);
  out.b = Find(*fb, m);
  out.c_prime = Find(*fb, x);
  out.ab = out.a.estimate * out.b.estimate;
  // Bootstrap through weights: each resample is a vector of row counts.
  const auto n = static_cast<Eigen::Index>(rows->size());
  const auto k = static_cast<Eigen::Index>(options.covariates.size());
  Eigen::MatrixXd Xa(n, 2 + k), Xb(n, 3 + k);
  Eigen::VectorXd vm(n), vy(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto r = (*rows)[static_cast<std::size_t>(i)];
    Xa(i, 0) = Xb(i, 0) = 1.0;
    Xa(i, 1) = Xb(i, 1) = df.Find(x)->values[r];
    Xb(i, 2) = df.Find(m)->values[r];
    for (Eigen::Index j = 0; j < k; ++j) {
      double v = df.Find(options.covariates[static_cast<std::size_t>(j)])->values[r];
      Xa(i, 2 + j) = v;
      Xb(i, 3 + j) = v;
    }
    vm[i] = df.Find(m)->values[r];
    vy[i] = df.Find(y)->values[r];
  }
  std::vector<std::vector<Eigen::Index>> clusters;
  if (!options.cluster.empty()) {
    auto fac = detail::BuildFactor(df, {options.cluster}, *rows);
    if (!fac) return std::move(fac).error();
    clusters.resize(fac->levels.size());
    for (Eigen::Index i = 0; i < n; ++i) clusters[static_cast<std::size_t>(fac->index[static_cast<std::size_t>(i)])].push_back(i);
    if (clusters.size() < std::max<std::size_t>(2, options.min_clusters)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("cluster column '{}' has {} cluster(s); resampling clusters needs at least {}",
                              options.cluster, clusters.size(), std::max<std::size_t>(2, options.min_clusters)),
                  options.cluster);
    }
    out.clusters = clusters.size();
  }
  std::mt19937_64 rng(options.seed);
  std::vector<double> abs;
  abs.reserve(static_cast<std::size_t>(options.resamples));
  Eigen::VectorXd w(n), ba, bb;
  for (int r = 0; r < options.resamples; ++r) {
    w.setZero();
    if (clusters.empty()) {
      for (Eigen::Index i = 0; i < n; ++i) w[static_cast<Eigen::Index>(Draw(rng, static_cast<std::size_t>(n)))] += 1;
    } else {
      for (std::size_t c = 0; c < clusters.size(); ++c)
        for (auto i : clusters[Draw(rng, clusters.size())]) w[i] += 1;
    }
    if (!Solve(Xa, vm, w, &ba) || !Solve(Xb, vy, w, &bb)) {
      ++out.failed_resamples;
      continue;
    }
    abs.push_back(ba[1] * bb[2]);
  }
  out.resamples = options.resamples;
  if (abs.size() < static_cast<std::size_t>(options.resamples) / 2) {
    return Fail(ErrorCode::FAILED_PRECONDITION,
                fmt::format("{} of {} bootstrap resamples were singular; the data are too sparse for a bootstrap",
                            out.failed_resamples, options.resamples),
                "resamples");
  }
  std::sort(abs.begin(), abs.end());
  const double tail = (1 - options.level) / 2;
  out.ab_ci_low = Quantile7(abs, tail);
  out.ab_ci_high = Quantile7(abs, 1 - tail);
  return out;
}

}  // namespace attune::stats
