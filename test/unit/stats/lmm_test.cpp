#include "attune/stats/lmm.hpp"
#include "attune/stats/regression.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <map>
#include <random>

namespace attune::stats {
namespace {

constexpr double kLog2Pi = 1.8378770664093454836;

std::string fmt_num(double v) { return std::to_string(static_cast<long long>(v)); }

// Nested: therapists > clients > sessions. Client ids repeat across therapists on purpose, so
// only the interaction client:therapist identifies a client.
DataFrame Nested(int therapists, int clients, int sessions, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> norm;
  std::vector<double> y, x, t, c;
  for (int j = 0; j < therapists; ++j) {
    const double u = 0.8 * norm(rng);
    for (int k = 0; k < clients; ++k) {
      const double v = 1.2 * norm(rng);
      for (int s = 0; s < sessions; ++s) {
        x.push_back(s);
        y.push_back(10 + u + v - 0.3 * s + norm(rng));
        t.push_back(j);
        c.push_back(k);
      }
    }
  }
  DataFrame df;
  (void)df.AddNumeric("y", y);
  (void)df.AddNumeric("x", x);
  (void)df.AddNumeric("therapist", t);
  (void)df.AddNumeric("client", c);
  return df;
}

// Crossed: raters score targets, about 70% of pairs observed.
DataFrame Crossed(int raters, int targets, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> norm;
  std::uniform_real_distribution<double> unif;
  std::vector<double> ru(static_cast<std::size_t>(raters)), tu(static_cast<std::size_t>(targets));
  for (auto& v : ru) v = 0.7 * norm(rng);
  for (auto& v : tu) v = 1.5 * norm(rng);
  std::vector<double> y;
  std::vector<std::string> r, t;
  for (int i = 0; i < raters; ++i)
    for (int j = 0; j < targets; ++j) {
      if (unif(rng) > 0.7) continue;
      y.push_back(5 + ru[static_cast<std::size_t>(i)] + tu[static_cast<std::size_t>(j)] + norm(rng));
      r.push_back("r" + std::to_string(i));
      t.push_back("t" + std::to_string(j));
    }
  DataFrame df;
  (void)df.AddNumeric("y", y);
  (void)df.AddText("rater", r);
  (void)df.AddText("target", t);
  return df;
}

// Dense reference for random-intercept models: -2 log-likelihood (or REML criterion) with
// V = sigma^2 I + sum_k tau_k^2 Z_k Z_k', evaluated directly from the n x n matrix.
struct Dense {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  std::vector<Eigen::MatrixXd> Z;
  double Objective(const std::vector<double>& tau2, double sigma2, bool reml) const {
    const auto n = y.size();
    Eigen::MatrixXd V = sigma2 * Eigen::MatrixXd::Identity(n, n);
    for (std::size_t k = 0; k < Z.size(); ++k) V += tau2[k] * Z[k] * Z[k].transpose();
    Eigen::LLT<Eigen::MatrixXd> llt(V);
    Eigen::MatrixXd ViX = llt.solve(X);
    Eigen::MatrixXd XtViX = X.transpose() * ViX;
    Eigen::VectorXd beta = XtViX.ldlt().solve(ViX.transpose() * y);
    Eigen::VectorXd r = y - X * beta;
    double obj = 2 * Eigen::MatrixXd(llt.matrixL()).diagonal().array().log().sum() + r.dot(llt.solve(r));
    if (reml) {
      obj += std::log(XtViX.determinant()) + static_cast<double>(n - X.cols()) * kLog2Pi;
    } else {
      obj += static_cast<double>(n) * kLog2Pi;
    }
    return obj;
  }
};

Eigen::MatrixXd Indicator(const std::vector<std::string>& labels, const std::vector<std::string>& levels) {
  Eigen::MatrixXd Z = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(labels.size()), static_cast<Eigen::Index>(levels.size()));
  std::map<std::string, Eigen::Index> pos;
  for (std::size_t l = 0; l < levels.size(); ++l) pos[levels[l]] = static_cast<Eigen::Index>(l);
  for (std::size_t i = 0; i < labels.size(); ++i) Z(static_cast<Eigen::Index>(i), pos.at(labels[i])) = 1;
  return Z;
}

void CheckAgainstDense(const LmmFit& fit, const Dense& dense, bool reml) {
  std::vector<double> tau2;
  for (const auto& row : fit.varcorr)
    if (row.group != "Residual") tau2.push_back(row.variance);
  const double s2 = fit.sigma * fit.sigma;
  const double at_fit = dense.Objective(tau2, s2, reml);
  EXPECT_NEAR(fit.objective, at_fit, 1e-8 * std::abs(at_fit));
  // The fit is a minimum: moving any variance component makes the dense objective worse.
  for (std::size_t k = 0; k <= tau2.size(); ++k) {
    for (double f : {0.9, 1.1}) {
      std::vector<double> t = tau2;
      double s = s2;
      if (k < t.size()) t[k] *= f; else s *= f;
      EXPECT_GT(dense.Objective(t, s, reml), fit.objective) << "component " << k << " x " << f;
    }
  }
}

TEST(FitLmm, NestedAgreesWithDenseReferenceInLme4Order) {
  DataFrame df = Nested(6, 4, 5, 3);
  for (bool reml : {true, false}) {
    LmmOptions opt;
    opt.reml = reml;
    auto fit = FitLmm(df, "y ~ x + (1|therapist/client)", opt);
    ASSERT_TRUE(fit) << fit.error().message;
    EXPECT_TRUE(fit->convergence.converged);
    ASSERT_EQ(fit->varcorr.size(), 3u);
    EXPECT_EQ(fit->varcorr[0].group, "client:therapist");  // more levels first, as lme4
    EXPECT_EQ(fit->varcorr[1].group, "therapist");
    EXPECT_EQ(fit->ranef[0].levels.size(), 24u);
    EXPECT_EQ(fit->ranef[0].levels[1], "0:1");
    Dense dense;
    const auto n = static_cast<Eigen::Index>(df.Rows());
    dense.X.resize(n, 2);
    dense.y.resize(n);
    std::vector<std::string> tl, cl;
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto r = static_cast<std::size_t>(i);
      dense.X(i, 0) = 1;
      dense.X(i, 1) = df.Find("x")->values[r];
      dense.y[i] = df.Find("y")->values[r];
      tl.push_back(fmt_num(df.Find("therapist")->values[r]));
      cl.push_back(fmt_num(df.Find("client")->values[r]) + ":" + fmt_num(df.Find("therapist")->values[r]));
    }
    dense.Z = {Indicator(cl, fit->ranef[0].levels), Indicator(tl, fit->ranef[1].levels)};
    CheckAgainstDense(*fit, dense, reml);
    // Conditional modes and variances: b = G Z'V^-1 r, Var(b|y) = (Z'Z/s2 + G^-1)^-1.
    const double s2 = fit->sigma * fit->sigma;
    Eigen::MatrixXd Zall(n, 24 + 6);
    Zall << dense.Z[0], dense.Z[1];
    Eigen::VectorXd g(30);
    g.head(24).setConstant(fit->varcorr[0].variance);
    g.tail(6).setConstant(fit->varcorr[1].variance);
    Eigen::VectorXd beta(2);
    beta << fit->fixef[0].estimate, fit->fixef[1].estimate;
    Eigen::MatrixXd V = s2 * Eigen::MatrixXd::Identity(n, n) + Zall * g.asDiagonal() * Zall.transpose();
    Eigen::VectorXd b = g.asDiagonal() * Zall.transpose() * V.llt().solve(dense.y - dense.X * beta);
    Eigen::MatrixXd post = (Zall.transpose() * Zall / s2 + Eigen::MatrixXd(g.cwiseInverse().asDiagonal())).inverse();
    for (Eigen::Index l = 0; l < 6; ++l) {
      EXPECT_NEAR(fit->ranef[1].values[static_cast<std::size_t>(l)][0], b[24 + l], 1e-6);
      EXPECT_NEAR(fit->ranef[1].cond_var[static_cast<std::size_t>(l)][0], post(24 + l, 24 + l), 1e-6);
    }
    EXPECT_NEAR(fit->ranef[0].values[3][0], b[3], 1e-6);
    EXPECT_NEAR(fit->ranef[0].cond_var[3][0], post(3, 3), 1e-6);
  }
}

TEST(FitLmm, CrossedAgreesWithDenseReference) {
  DataFrame df = Crossed(12, 15, 5);
  auto fit = FitLmm(df, "y ~ 1 + (1|rater) + (1|target)");
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_TRUE(fit->convergence.converged);
  ASSERT_EQ(fit->varcorr.size(), 3u);
  EXPECT_EQ(fit->varcorr[0].group, "target");  // 15 levels before 12
  Dense dense;
  const auto n = static_cast<Eigen::Index>(df.Rows());
  dense.X = Eigen::MatrixXd::Ones(n, 1);
  dense.y = Eigen::Map<const Eigen::VectorXd>(df.Find("y")->values.data(), n);
  dense.Z = {Indicator(df.Find("target")->text, fit->ranef[0].levels), Indicator(df.Find("rater")->text, fit->ranef[1].levels)};
  CheckAgainstDense(*fit, dense, true);
  ASSERT_EQ(fit->icc.size(), 2u);
  EXPECT_GT(fit->icc[0].icc, 0);
  EXPECT_NEAR(fit->aic, fit->objective + 2 * 4, 1e-9);
}

TEST(FitLmm, SingularFitIsReportedAsSuch) {
  // Every group holds the same values, so the between-group variance is exactly zero.
  DataFrame df;
  std::vector<double> y, g;
  for (int j = 0; j < 6; ++j)
    for (double v : {1.0, 4.0, 2.0, 7.0}) {
      y.push_back(v);
      g.push_back(j);
    }
  (void)df.AddNumeric("y", y);
  (void)df.AddNumeric("g", g);
  auto fit = FitLmm(df, "y ~ 1 + (1|g)");
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_TRUE(fit->convergence.singular);
  EXPECT_NEAR(fit->varcorr[0].variance, 0, 1e-8);
  bool said = false;
  for (const auto& m : fit->convergence.messages) said = said || m.find("singular") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(FitLmm, Refusals) {
  DataFrame df = Nested(3, 2, 3, 1);
  auto none = FitLmm(df, "y ~ x");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().field, "formula");
  std::vector<double> one(df.Rows(), 1.0);
  (void)df.AddNumeric("single", one);
  auto single = FitLmm(df, "y ~ x + (1|single)");
  ASSERT_FALSE(single);
  EXPECT_EQ(single.error().field, "single");
  std::vector<double> ids;
  for (std::size_t i = 0; i < df.Rows(); ++i) ids.push_back(static_cast<double>(i));
  (void)df.AddNumeric("row", ids);
  auto per_row = FitLmm(df, "y ~ x + (1|row)");
  ASSERT_FALSE(per_row);
  EXPECT_EQ(per_row.error().field, "row");
  auto collinear = FitLmm(df, "y ~ x + single + (1|therapist)");
  ASSERT_FALSE(collinear);
  auto unknown = FitLmm(df, "y ~ x + (1|nobody)");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::NOT_FOUND);
}

TEST(FitLmm, RefusesAConstantResponse) {
  // y = 5 throughout: it fitted variances of 1e-15, t = 257011047, ICC .5037 and an infinite
  // scaled gradient. Refused as regress refuses it.
  DataFrame df;
  (void)df.AddNumeric("y", std::vector<double>(8, 5.0));
  (void)df.AddNumeric("g", {1, 1, 2, 2, 3, 3, 4, 4});
  auto fit = FitLmm(df, "y ~ 1 + (1|g)");
  ASSERT_FALSE(fit);
  EXPECT_EQ(fit.error().field, "y");
  EXPECT_NE(fit.error().message.find("response 'y' is constant (5) over the 8 rows used"), std::string::npos)
      << fit.error().message;
  auto ols = Regress(df, "y ~ g");
  ASSERT_FALSE(ols);
  EXPECT_EQ(ols.error().message, fit.error().message);
}

}  // namespace
}  // namespace attune::stats
