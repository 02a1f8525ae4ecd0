#include "attune/stats/regression.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>

namespace attune::stats {
namespace {

DataFrame Simulated(std::size_t n) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> norm;
  std::vector<double> x1, x2, y;
  std::vector<std::string> g;
  for (std::size_t i = 0; i < n; ++i) {
    double a = norm(rng), b = norm(rng) + 0.3 * a;
    const char* grp = i % 3 == 0 ? "ctl" : (i % 3 == 1 ? "drug" : "talk");
    x1.push_back(a);
    x2.push_back(b);
    g.emplace_back(grp);
    y.push_back(1 + 0.5 * a - 0.25 * b + (i % 3 == 1 ? 0.4 : 0.0) + norm(rng));
  }
  DataFrame df;
  (void)df.AddNumeric("y", y);
  (void)df.AddNumeric("x1", x1);
  (void)df.AddNumeric("x2", x2);
  (void)df.AddText("g", g);
  return df;
}

TEST(Regress, AgreesWithNormalEquationsAndNamesContrastsAsR) {
  DataFrame df = Simulated(60);
  auto fit = Regress(df, "y ~ x1 + x2 + g");
  ASSERT_TRUE(fit) << fit.error().message;
  ASSERT_EQ(fit->coef.size(), 5u);
  EXPECT_EQ(fit->coef[3].term, "gdrug");
  EXPECT_EQ(fit->coef[4].term, "gtalk");
  // Naive reference: (X'X)^-1 X'y.
  Eigen::MatrixXd X(60, 5);
  Eigen::VectorXd y(60);
  for (Eigen::Index i = 0; i < 60; ++i) {
    const auto r = static_cast<std::size_t>(i);
    X(i, 0) = 1;
    X(i, 1) = df.Find("x1")->values[r];
    X(i, 2) = df.Find("x2")->values[r];
    X(i, 3) = df.Find("g")->text[r] == "drug";
    X(i, 4) = df.Find("g")->text[r] == "talk";
    y[i] = df.Find("y")->values[r];
  }
  Eigen::MatrixXd inv = (X.transpose() * X).inverse();
  Eigen::VectorXd b = inv * X.transpose() * y;
  const double s2 = (y - X * b).squaredNorm() / 55;
  for (Eigen::Index j = 0; j < 5; ++j) {
    EXPECT_NEAR(fit->coef[static_cast<std::size_t>(j)].estimate, b[j], 1e-10);
    EXPECT_NEAR(fit->coef[static_cast<std::size_t>(j)].se, std::sqrt(s2 * inv(j, j)), 1e-10);
  }
  EXPECT_EQ(fit->df1, 4);
  EXPECT_EQ(fit->df2, 55);
  EXPECT_GT(fit->f_p, 0);
}

TEST(Regress, ReportsListwiseDrops) {
  auto df = ParseCsv("y,x\n1,1\n2,\n2,2\n4,3\n3,4\n5,5\n");
  ASSERT_TRUE(df);
  auto fit = Regress(*df, "y ~ x");
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_EQ(fit->n, 5u);
  EXPECT_EQ(fit->dropped, 1u);
  ASSERT_TRUE(fit->coef[1].vif);
  EXPECT_DOUBLE_EQ(*fit->coef[1].vif, 1.0);
}

TEST(Regress, RefusesCollinearNamingColumns) {
  auto df = ParseCsv("y,a,b,c\n1,1,2,3\n3,2,1,3\n2,3,5,8\n5,4,3,7\n4,5,4,9\n");
  ASSERT_TRUE(df);
  auto fit = Regress(*df, "y ~ a + b + c");
  ASSERT_FALSE(fit);
  EXPECT_EQ(fit.error().field, "c");
  EXPECT_NE(fit.error().message.find("linear combination of a, b"), std::string::npos) << fit.error().message;
}

TEST(Regress, IsScaleRobust) {
  // x = 1..5, y = 2, 4.1, 5.9, 8.2, 9.9: Sxy = 19.9, Sxx = 10, slope 1.99, intercept 5.99 - 1.99 * 3
  // = 0.05, RSS = Syy - slope * Sxy = 0.067, sigma = sqrt(0.067 / 3) = 0.149443, SE(slope) =
  // sigma / sqrt(10) = 0.0472582, R^2 = 0.998311. The same data times s: slope and R^2 unchanged,
  // intercept, its SE and sigma times s. At 1e-155 the squares underflowed (slope 1.7744, SE inf).
  for (double scale : {1.0, 1e-155, 1e-160, 1e155, 1e200, 1e-300}) {
    std::vector<double> x = {1, 2, 3, 4, 5}, y = {2, 4.1, 5.9, 8.2, 9.9};
    for (double& v : x) v *= scale;
    for (double& v : y) v *= scale;
    DataFrame df;
    ASSERT_TRUE(df.AddNumeric("x", x));
    ASSERT_TRUE(df.AddNumeric("y", y));
    auto fit = Regress(df, "y ~ x");
    ASSERT_TRUE(fit) << scale << ": " << fit.error().message;
    EXPECT_NEAR(fit->coef[1].estimate, 1.99, 1e-12) << scale;
    EXPECT_NEAR(fit->coef[1].se, 0.0472581562625, 1e-11) << scale;
    EXPECT_NEAR(fit->r2, 0.998310981143, 1e-11) << scale;
    EXPECT_NEAR(fit->coef[0].estimate / scale, 0.05, 1e-11) << scale;
    EXPECT_NEAR(fit->coef[0].se / scale, 0.156737572607, 1e-10) << scale;
    ASSERT_TRUE(fit->sigma);
    EXPECT_NEAR(*fit->sigma / scale, 0.149443411810, 1e-10) << scale;
    EXPECT_NEAR(*fit->coef[1].std_beta, std::sqrt(fit->r2), 1e-12) << scale;
    for (const auto& c : fit->coef) EXPECT_TRUE(std::isfinite(c.t) && std::isfinite(c.ci_high)) << scale;
  }
  // One value near 1e155 (its square overflows) is an outlier, not an infinite residual sum.
  auto big = ParseCsv("x,y\n1,2\n2,4.1\n3,1e155\n4,8.2\n5,9.9\n6,12\n");
  ASSERT_TRUE(big);
  auto fit = Regress(*big, "y ~ x");
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_TRUE(fit->sigma && std::isfinite(*fit->sigma) && std::isfinite(fit->coef[1].se) && std::isfinite(fit->r2));
  EXPECT_TRUE(Regress(*big, "x ~ y")) << "a predictor near 1e155 is not collinear with the intercept";
  // Collinearity at 1e200 still names the columns (the norm used to overflow: an empty list).
  auto coll = ParseCsv("y,a,b\n1,1e200,2e200\n3,2e200,4e200\n2,3e200,6e200\n5,4e200,8e200\n");
  ASSERT_TRUE(coll);
  auto c = Regress(*coll, "y ~ a + b");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("column 'b' is a linear combination of a"), std::string::npos)
      << c.error().message;
}

TEST(Regress, RefusesAStrayTextCellInANumericPredictor) {
  // 60 rows, x in 1..5, one cell "n/a": x used to become a factor with dummies x2..x5 and "xn/a".
  std::string csv = "y,x\n";
  for (int i = 0; i < 60; ++i) csv += std::to_string(i % 7) + "," + (i == 33 ? std::string("n/a") : std::to_string(i % 5 + 1)) + "\n";
  auto df = ParseCsv(csv);
  ASSERT_TRUE(df);
  auto fit = Regress(*df, "y ~ x");
  ASSERT_FALSE(fit);
  EXPECT_EQ(fit.error().field, "x");
  // Row 34 is line 35 (the header is line 1).
  EXPECT_NE(fit.error().message.find("column 'x' holds numbers in 59 of its 60 cells but text in the others: 'n/a' "
                                     "at line 35; expected a number, or an empty cell or NA for a missing value"),
            std::string::npos)
      << fit.error().message;
  // A text column of labels is still a factor.
  auto labels = ParseCsv("y,g\n1,a\n2,b\n3,a\n5,b\n4,c\n6,c\n");
  ASSERT_TRUE(labels);
  EXPECT_TRUE(Regress(*labels, "y ~ g"));
}

TEST(Regress, RefusesConstantTooFewExactAndRandomTerms) {
  auto df = ParseCsv("y,a,k\n1,1,2\n3,2,2\n2,3,2\n5,4,2\n");
  ASSERT_TRUE(df);
  auto constant = Regress(*df, "y ~ a + k");
  ASSERT_FALSE(constant);
  EXPECT_EQ(constant.error().field, "k");
  auto few = ParseCsv("y,a,b\n1,1,2\n3,2,1\n2,3,5\n");
  auto too_few = Regress(*few, "y ~ a + b");
  ASSERT_FALSE(too_few);
  EXPECT_NE(too_few.error().message.find("too few rows"), std::string::npos);
  auto exact = ParseCsv("y,a\n1,1\n2,2\n3,3\n4,4\n");
  EXPECT_FALSE(Regress(*exact, "y ~ a"));
  EXPECT_FALSE(Regress(*df, "y ~ a + (1|k)"));
  auto logneg = ParseCsv("y,a\n1,1\n2,-2\n3,3\n5,4\n");
  auto lf = Regress(*logneg, "y ~ log(a)");
  ASSERT_FALSE(lf);
  EXPECT_EQ(lf.error().field, "a");
}

TEST(RegressFromCorrelation, MatchesRawDataRegression) {
  DataFrame df = Simulated(80);
  auto raw = Regress(df, "y", {"x1", "x2"});
  ASSERT_TRUE(raw);
  // Correlation matrix of y, x1, x2 from the same data.
  std::vector<std::vector<double>> cols = {df.Find("y")->values, df.Find("x1")->values, df.Find("x2")->values};
  std::vector<std::vector<double>> r(3, std::vector<double>(3));
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) {
      Eigen::Map<const Eigen::VectorXd> a(cols[i].data(), 80), b(cols[j].data(), 80);
      Eigen::VectorXd ca = a.array() - a.mean(), cb = b.array() - b.mean();
      r[i][j] = i == j ? 1.0 : ca.dot(cb) / std::sqrt(ca.squaredNorm() * cb.squaredNorm());
    }
  auto fit = RegressFromCorrelation(r, {"y", "x1", "x2"}, 80, "y", {"x1", "x2"});
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_NEAR(fit->r2, raw->r2, 1e-12);
  EXPECT_NEAR(fit->f, raw->f, 1e-9);
  for (std::size_t j = 0; j < 2; ++j) {
    EXPECT_NEAR(fit->coef[j].estimate, *raw->coef[j + 1].std_beta, 1e-12);
    EXPECT_NEAR(fit->coef[j].t, raw->coef[j + 1].t, 1e-9);  // t is scale free
  }
  r[0][1] = 0.2;  // no longer symmetric
  EXPECT_FALSE(RegressFromCorrelation(r, {"y", "x1", "x2"}, 80, "y", {"x1", "x2"}));
  std::vector<std::vector<double>> sing = {{1, .5, .5}, {.5, 1, 1}, {.5, 1, 1}};
  EXPECT_FALSE(RegressFromCorrelation(sing, {"y", "a", "b"}, 80, "y", {"a", "b"}));
  EXPECT_FALSE(RegressFromCorrelation(sing, {"y", "a", "b"}, 2, "y", {"a"}));
}

TEST(RegressFromCorrelation, RefusesAMatrixNoDataCanHave) {
  // y-a .9, y-b .9, a-b -.9: each 2x2 block is fine, the whole is not positive definite
  // (R^2 = 2 * .81 / (1 - .9) would be 16.2); it aborted in boost with a negative variance.
  const std::vector<std::vector<double>> r = {{1, 0.9, 0.9}, {0.9, 1, -0.9}, {0.9, -0.9, 1}};
  auto fit = RegressFromCorrelation(r, {"y", "a", "b"}, 100, "y", {"a", "b"});
  ASSERT_FALSE(fit);
  EXPECT_EQ(fit.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_NE(fit.error().message.find("not positive definite"), std::string::npos) << fit.error().message;
}

}  // namespace
}  // namespace attune::stats
