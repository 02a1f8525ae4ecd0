#include "attune/stats/reliability.hpp"

#include <fmt/core.h>

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/fisher_f.hpp>
#include <cmath>
#include <nlopt.hpp>

#include "attune/stats/correlation.hpp"

namespace attune::stats {

namespace {

double Alpha(const Eigen::MatrixXd& cov) {
  const double k = static_cast<double>(cov.rows());
  return k / (k - 1) * (1 - cov.trace() / cov.sum());
}

struct FactorFit {
  Eigen::VectorXd loading, uniqueness;
  bool converged = false;
};

// One-factor ML factor analysis of covariance S: minimises log|Sigma| + tr(S Sigma^-1),
// Sigma = l l' + diag(theta), over l and log(theta) with L-BFGS and the analytic gradient.
FactorFit OneFactorMl(const Eigen::MatrixXd& S) {
  const auto k = S.rows();
  struct Data {
    const Eigen::MatrixXd* S;
    Eigen::Index k;
  } data{&S, k};
  auto objective = [](unsigned n, const double* x, double* grad, void* vd) -> double {
    const auto* d = static_cast<const Data*>(vd);
    const Eigen::Index kk = d->k;
    Eigen::Map<const Eigen::VectorXd> l(x, kk), lt(x + kk, kk);
    Eigen::MatrixXd sigma = l * l.transpose();
    sigma.diagonal() += lt.array().exp().matrix();
    Eigen::LLT<Eigen::MatrixXd> llt(sigma);
    if (llt.info() != Eigen::Success) return HUGE_VAL;
    Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(kk, kk));
    double logdet = 2 * llt.matrixLLT().diagonal().array().log().sum();
    double f = logdet + (*d->S * inv).trace();
    if (grad) {
      Eigen::MatrixXd g = inv * (sigma - *d->S) * inv;
      Eigen::VectorXd gl = 2 * g * l;
      for (Eigen::Index i = 0; i < kk; ++i) {
        grad[i] = gl[i];
        grad[kk + i] = g(i, i) * std::exp(lt[i]);
      }
    }
    (void)n;
    return f;
  };
  std::vector<double> x(static_cast<std::size_t>(2 * k));
  for (Eigen::Index i = 0; i < k; ++i) {
    x[static_cast<std::size_t>(i)] = std::sqrt(0.5 * S(i, i));
    x[static_cast<std::size_t>(k + i)] = std::log(0.5 * S(i, i));
  }
  nlopt::opt opt(nlopt::LD_LBFGS, static_cast<unsigned>(2 * k));
  opt.set_min_objective(objective, &data);
  opt.set_ftol_rel(1e-15);
  opt.set_xtol_rel(1e-12);
  opt.set_maxeval(10000);
  double fmin = 0;
  FactorFit fit;
  try {
    auto res = opt.optimize(x, fmin);
    fit.converged = res > 0;
  } catch (const std::exception&) {
    // nlopt reports roundoff-limited stops as exceptions; the point reached is still the best found.
    fit.converged = true;
  }
  fit.loading.resize(k);
  fit.uniqueness.resize(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    fit.loading[i] = x[static_cast<std::size_t>(i)];
    fit.uniqueness[i] = std::exp(x[static_cast<std::size_t>(k + i)]);
  }
  if (fit.loading.sum() < 0) fit.loading = -fit.loading;
  return fit;
}

}  // namespace

Result<Reliability> AnalyzeReliability(const DataFrame& df, const std::vector<std::string>& items,
                                       const ReliabilityOptions& options) {
  if (items.size() < 2) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("reliability needs at least 2 items, got {}", items.size()), "items");
  }
  if (auto distinct = CheckDistinct(items, "items"); !distinct) return std::move(distinct).error();
  if (auto distinct = CheckDistinct(options.reverse, "reverse"); !distinct) return std::move(distinct).error();
  for (const auto& r : options.reverse) {
    if (std::find(items.begin(), items.end(), r) == items.end()) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("reverse-keyed item '{}' is not among the items", r), "reverse");
    }
  }
  if (!options.reverse.empty() && (!options.min || !options.max)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "reverse-keyed items need the response range (min and max)", "min");
  }
  if (options.min && options.max && !(*options.min < *options.max)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("min ({}) must be below max ({})", *options.min, *options.max), "min");
  }
  for (const auto& it : items) {
    auto c = df.GetNumeric(it);
    if (!c) return std::move(c).error();
  }
  Reliability out;
  auto rows = CompleteRows(df, items, &out.dropped);
  if (!rows) return std::move(rows).error();
  const auto n = static_cast<Eigen::Index>(rows->size());
  const auto k = static_cast<Eigen::Index>(items.size());
  if (n < 3) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("reliability needs at least 3 complete rows, got {}", n), "rows");
  }
  Eigen::MatrixXd X(n, k);
  for (Eigen::Index j = 0; j < k; ++j) {
    const auto& name = items[static_cast<std::size_t>(j)];
    const Column* c = df.Find(name);
    const bool rev = std::find(options.reverse.begin(), options.reverse.end(), name) != options.reverse.end();
    for (Eigen::Index i = 0; i < n; ++i) {
      double v = c->values[(*rows)[static_cast<std::size_t>(i)]];
      if ((options.min && v < *options.min) || (options.max && v > *options.max)) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("item '{}' at {} has {}, outside [{}, {}]", name, df.Where((*rows)[static_cast<std::size_t>(i)]), v,
                                options.min.value_or(-HUGE_VAL), options.max.value_or(HUGE_VAL)),
                    name);
      }
      X(i, j) = rev ? *options.min + *options.max - v : v;
    }
  }
  Eigen::MatrixXd centered = X.rowwise() - X.colwise().mean();
  Eigen::MatrixXd cov = centered.transpose() * centered / static_cast<double>(n - 1);
  for (Eigen::Index j = 0; j < k; ++j) {
    if (!(cov(j, j) > 0)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("item '{}' is constant ({}) over the {} rows used", items[static_cast<std::size_t>(j)], X(0, j), n),
                  items[static_cast<std::size_t>(j)]);
    }
  }
  Eigen::VectorXd sd = cov.diagonal().cwiseSqrt();
  Eigen::MatrixXd cor = sd.cwiseInverse().asDiagonal() * cov * sd.cwiseInverse().asDiagonal();
  out.n = static_cast<std::size_t>(n);
  out.k = static_cast<std::size_t>(k);
  out.alpha = Alpha(cov);
  out.alpha_std = Alpha(cor);
  const double dn = static_cast<double>(n), dk = static_cast<double>(k);
  boost::math::fisher_f fdist(dn - 1, (dn - 1) * (dk - 1));
  out.alpha_ci_low = 1 - (1 - out.alpha) * boost::math::quantile(fdist, 0.975);
  out.alpha_ci_high = 1 - (1 - out.alpha) * boost::math::quantile(fdist, 0.025);
  // Omega only from an identified, converged, proper solution: with 2 items any l1·l2 = cov fits;
  // a uniqueness at ~0 (e.g. two identical items) is a Heywood case whose omega means nothing.
  FactorFit ff;
  if (out.k < kOmegaMinItems) {
    out.omega_note = fmt::format("not available: a one-factor model of {} items is not identified (only the product "
                                 "of the loadings is fixed); omega needs at least {} items",
                                 out.k, kOmegaMinItems);
  } else {
    ff = OneFactorMl(cov * ((dn - 1) / dn));
    out.omega_converged = ff.converged;
    for (Eigen::Index j = 0; j < k && out.omega_note.empty(); ++j) {
      const double share = ff.uniqueness[j] / cov(j, j);
      if (!(share >= kHeywoodUniqueness)) {
        out.omega_converged = false;
        out.omega_note = fmt::format("not available: Heywood case, item '{}' has uniqueness {:.3g} of its variance "
                                     "(the factor explains all of it, e.g. items that are copies); expected at least {}",
                                     items[static_cast<std::size_t>(j)], share, kHeywoodUniqueness);
      }
    }
    if (out.omega_note.empty() && !ff.converged) {
      out.omega_note = "not available: the one-factor model did not converge";
    }
    if (out.omega_note.empty()) {
      const double sl = ff.loading.sum();
      out.omega_total = sl * sl / (sl * sl + ff.uniqueness.sum());
    }
  }
  Eigen::VectorXd total = X.rowwise().sum();
  for (Eigen::Index j = 0; j < k; ++j) {
    ItemStats s;
    s.item = items[static_cast<std::size_t>(j)];
    Eigen::VectorXd rest = total - X.col(j);
    const Eigen::VectorXd item = X.col(j);
    s.r_drop = PearsonR(std::vector<double>(item.data(), item.data() + n), std::vector<double>(rest.data(), rest.data() + n));
    if (k > 2) {
      std::vector<Eigen::Index> keep;
      for (Eigen::Index i = 0; i < k; ++i)
        if (i != j) keep.push_back(i);
      Eigen::MatrixXd sub(k - 1, k - 1);
      for (Eigen::Index r = 0; r < k - 1; ++r)
        for (Eigen::Index c = 0; c < k - 1; ++c) sub(r, c) = cov(keep[static_cast<std::size_t>(r)], keep[static_cast<std::size_t>(c)]);
      s.alpha_if_dropped = Alpha(sub);
    }
    if (out.k >= kOmegaMinItems) {
      s.loading = ff.loading[j];
      s.uniqueness = ff.uniqueness[j];
    }
    out.items.push_back(s);
  }
  return out;
}

}  // namespace attune::stats
