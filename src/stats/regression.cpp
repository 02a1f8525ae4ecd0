#include "attune/stats/regression.hpp"

#include <fmt/core.h>

#include <Eigen/Dense>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>

#include "attune/stats/formula.hpp"
#include "design.hpp"

namespace attune::stats {

namespace {

double TwoSidedP(double t, double df) {
  boost::math::students_t dist(df);
  return 2 * boost::math::cdf(boost::math::complement(dist, std::abs(t)));
}

double FP(double f, double df1, double df2) {
  if (!(f > 0)) return 1.0;
  boost::math::fisher_f dist(df1, df2);
  return boost::math::cdf(boost::math::complement(dist, f));
}

double TQuantile(double df) { return boost::math::quantile(boost::math::students_t(df), 0.975); }

}  // namespace

Result<OlsFit> Regress(const DataFrame& df, const std::string& formula) {
  auto f = ParseFormula(formula);
  if (!f) return std::move(f).error();
  if (!f->random.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("formula '{}': random terms need a mixed model (attune analyze lmm)", formula), "formula");
  }
  OlsFit fit;
  auto rows = CompleteRows(df, f->Columns(), &fit.dropped);
  if (!rows) return std::move(rows).error();
  auto y = detail::NumericValues(df, f->response, *rows);
  if (!y) return std::move(y).error();
  ATTUNE_CHECK(detail::CheckResponseVaries(*y, f->response, f->intercept));
  auto d = detail::BuildFixed(df, f->fixed, f->intercept, *rows);
  if (!d) return std::move(d).error();
  if (auto ok = detail::CheckDesign(*d, 1); !ok) return std::move(ok).error();
  // The fit runs on scaled data, each column of X over its norm and y over its largest magnitude,
  // so that no sum of squares overflows (values near 1e155 and beyond) or underflows (near
  // 1e-155); the coefficients and SEs are scaled back, the rest (R^2, t, F) do not depend on it.
  const Eigen::Index n = d->x.rows(), p = d->x.cols();
  fit.n = static_cast<std::size_t>(n);
  const Eigen::VectorXd x_scale = d->x.colwise().stableNorm().transpose();
  const Eigen::MatrixXd X = d->x * x_scale.cwiseInverse().asDiagonal();
  const double y_scale = y->cwiseAbs().maxCoeff();
  const Eigen::VectorXd ys = y_scale > 0 ? Eigen::VectorXd(*y / y_scale) : *y;
  const double y_unit = y_scale > 0 ? y_scale : 1.0;
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(X);
  Eigen::VectorXd b = qr.solve(ys);
  Eigen::VectorXd resid = ys - X * b;
  const double rss = resid.squaredNorm();
  const double df2 = static_cast<double>(n - p);
  const double s2 = rss / df2;
  Eigen::MatrixXd R = qr.matrixQR().topRows(p).triangularView<Eigen::Upper>();
  Eigen::MatrixXd Rinv = R.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(p, p));
  Eigen::MatrixXd cov = Rinv * Rinv.transpose() * s2;
  const double ybar = ys.mean();
  const double tss = f->intercept ? (ys.array() - ybar).square().sum() : ys.squaredNorm();
  if (!(rss > 1e-24 * tss)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("'{}' is fitted exactly by the predictors (residual sum of squares {:.3g} of the total); "
                            "standard errors are undefined",
                            f->response.Label(), rss / tss),
                f->response.column);
  }
  fit.r2 = 1 - rss / tss;
  fit.df1 = static_cast<double>(p - (f->intercept ? 1 : 0));
  fit.df2 = df2;
  fit.adj_r2 = 1 - (1 - fit.r2) * (static_cast<double>(n) - (f->intercept ? 1.0 : 0.0)) / df2;
  fit.sigma = y_unit * std::sqrt(s2);
  if (fit.df1 > 0) {
    fit.f = (fit.r2 / fit.df1) / ((1 - fit.r2) / df2);
    fit.f_p = FP(fit.f, fit.df1, df2);
  }
  const auto sd = [n](const Eigen::VectorXd& v) {
    return std::sqrt((v.array() - v.mean()).square().sum() / static_cast<double>(n - 1));
  };
  const double sdy = sd(ys);
  // VIFs: diagonal of the inverse correlation matrix of the non-intercept columns.
  std::vector<Eigen::Index> pred;
  for (Eigen::Index j = 0; j < p; ++j)
    if (d->names[static_cast<std::size_t>(j)] != "(Intercept)") pred.push_back(j);
  Eigen::VectorXd vif = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(pred.size()));
  if (pred.size() > 1) {
    const auto k = static_cast<Eigen::Index>(pred.size());
    Eigen::MatrixXd Z(n, k);
    for (Eigen::Index j = 0; j < k; ++j) {
      Eigen::VectorXd c = X.col(pred[static_cast<std::size_t>(j)]);
      c.array() -= c.mean();
      Z.col(j) = c / c.norm();
    }
    Eigen::MatrixXd C = Z.transpose() * Z;
    vif = C.ldlt().solve(Eigen::MatrixXd::Identity(k, k)).diagonal();
  }
  const double q = TQuantile(df2);
  std::size_t pi = 0;
  for (Eigen::Index j = 0; j < p; ++j) {
    Coefficient c;
    c.term = d->names[static_cast<std::size_t>(j)];
    // b_j = y_unit / |x_j| * b_j(scaled), the same factor for its SE; t is scale-free.
    c.t = b[j] / std::sqrt(cov(j, j));
    c.estimate = b[j] / x_scale[j] * y_unit;
    c.se = std::sqrt(cov(j, j)) / x_scale[j] * y_unit;
    c.p = TwoSidedP(c.t, df2);
    c.ci_low = c.estimate - q * c.se;
    c.ci_high = c.estimate + q * c.se;
    if (c.term != "(Intercept)") {
      c.std_beta = b[j] * sd(X.col(j)) / sdy;
      c.vif = vif[static_cast<Eigen::Index>(pi++)];
    }
    fit.coef.push_back(c);
  }
  resid *= y_unit;
  fit.residuals.assign(resid.data(), resid.data() + resid.size());
  return fit;
}

Result<OlsFit> Regress(const DataFrame& df, const std::string& y, const std::vector<std::string>& x) {
  if (x.empty()) return Fail(ErrorCode::INVALID_ARGUMENT, "regression needs at least one predictor", "x");
  std::string formula = "`" + y + "` ~ ";
  for (std::size_t i = 0; i < x.size(); ++i) formula += (i ? " + `" : "`") + x[i] + "`";
  return Regress(df, formula);
}

Result<OlsFit> RegressFromCorrelation(const std::vector<std::vector<double>>& cor, const std::vector<std::string>& names,
                                      std::size_t n, const std::string& y, const std::vector<std::string>& x) {
  const std::size_t m = names.size();
  if (cor.size() != m) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("correlation matrix has {} rows but {} names", cor.size(), m), "cor");
  }
  for (std::size_t i = 0; i < m; ++i) {
    if (cor[i].size() != m) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("correlation matrix row {} ('{}') has {} values, expected {}", i + 1,
                                                           names[i], cor[i].size(), m),
                  "cor");
    }
    if (std::abs(cor[i][i] - 1) > 1e-12) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("diagonal entry for '{}' is {}, expected 1", names[i], cor[i][i]), "cor");
    }
    for (std::size_t j = 0; j < m; ++j) {
      if (std::abs(cor[i][j] - cor[j][i]) > 1e-12 || !(std::abs(cor[i][j]) <= 1)) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("entry ('{}', '{}') = {} must be in [-1, 1] and equal to ('{}', '{}') = {}", names[i], names[j],
                                cor[i][j], names[j], names[i], cor[j][i]),
                    "cor");
      }
    }
  }
  auto index = [&](const std::string& name) -> Result<std::size_t> {
    for (std::size_t i = 0; i < m; ++i)
      if (names[i] == name) return i;
    return Fail(ErrorCode::NOT_FOUND, fmt::format("variable '{}' is not in the correlation matrix", name), name);
  };
  auto iy = index(y);
  if (!iy) return std::move(iy).error();
  std::vector<std::size_t> ix;
  for (const auto& name : x) {
    auto i = index(name);
    if (!i) return std::move(i).error();
    if (*i == *iy) return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("'{}' is both response and predictor", name), name);
    ix.push_back(*i);
  }
  const auto k = static_cast<Eigen::Index>(ix.size());
  if (k == 0) return Fail(ErrorCode::INVALID_ARGUMENT, "regression needs at least one predictor", "x");
  if (n <= ix.size() + 1) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("n = {} is too small for {} predictors (need n > {})", n, k, k + 1), "n");
  }
  Eigen::MatrixXd Rxx(k, k);
  Eigen::VectorXd rxy(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    rxy[i] = cor[ix[static_cast<std::size_t>(i)]][*iy];
    for (Eigen::Index j = 0; j < k; ++j) Rxx(i, j) = cor[ix[static_cast<std::size_t>(i)]][ix[static_cast<std::size_t>(j)]];
  }
  Eigen::LLT<Eigen::MatrixXd> llt(Rxx);
  if (llt.info() != Eigen::Success || llt.matrixL().toDenseMatrix().diagonal().minCoeff() < 1e-7) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "the predictors' correlation matrix is not positive definite (perfect collinearity)",
                "cor");
  }
  Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(k, k));
  Eigen::VectorXd beta = inv * rxy;
  OlsFit fit;
  fit.n = n;
  fit.r2 = rxy.dot(beta);
  // The matrix of the response and the predictors together must be positive definite too: else
  // no data have these correlations (R^2 would reach or pass 1, the residual variance vanish).
  if (!(fit.r2 < 1 - 1e-12)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("the correlations of '{}' with the predictors are inconsistent with the predictors' own "
                            "(R^2 = {:.4g}; expected below 1): the matrix is not positive definite",
                            y, fit.r2),
                "cor");
  }
  const double nd = static_cast<double>(n);
  fit.df1 = static_cast<double>(k);
  fit.df2 = nd - static_cast<double>(k) - 1;
  fit.adj_r2 = 1 - (1 - fit.r2) * (nd - 1) / fit.df2;
  fit.f = (fit.r2 / fit.df1) / ((1 - fit.r2) / fit.df2);
  fit.f_p = FP(fit.f, fit.df1, fit.df2);
  const double q = TQuantile(fit.df2);
  for (Eigen::Index j = 0; j < k; ++j) {
    Coefficient c;
    c.term = x[static_cast<std::size_t>(j)];
    c.estimate = beta[j];
    c.std_beta = beta[j];
    c.se = std::sqrt((1 - fit.r2) / fit.df2 * inv(j, j));
    c.t = c.estimate / c.se;
    c.p = TwoSidedP(c.t, fit.df2);
    c.ci_low = c.estimate - q * c.se;
    c.ci_high = c.estimate + q * c.se;
    c.vif = inv(j, j);
    fit.coef.push_back(c);
  }
  return fit;
}

}  // namespace attune::stats
