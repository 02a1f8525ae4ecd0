#include "attune/stats/correlation.hpp"
#include "attune/stats/data_frame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace attune::stats {
namespace {

TEST(Ranks, TiesShareTheMeanRank) {
  EXPECT_EQ(Ranks({10, 20, 20, 30}), (std::vector<double>{1, 2.5, 2.5, 4}));
  EXPECT_EQ(Ranks({3, 1, 2}), (std::vector<double>{3, 1, 2}));
}

TEST(Correlate, PearsonAgainstNaiveFormula) {
  std::vector<double> x = {1, 2, 3, 4, 5, 6}, y = {2, 1, 4, 3, 7, 5};
  // means 3.5 and 11/3; sum dx*dy = 16, sum dx^2 = 17.5, sum dy^2 = 70/3
  auto c = Correlate(x, y);
  ASSERT_TRUE(c) << c.error().message;
  const double r = 16 / std::sqrt(17.5 * (70.0 / 3.0));
  EXPECT_NEAR(c->r, r, 1e-14);
  EXPECT_NEAR(c->t, r * std::sqrt(4 / (1 - r * r)), 1e-12);
  EXPECT_LT(c->ci_low, c->r);
  EXPECT_GT(c->ci_high, c->r);
  EXPECT_NEAR(std::atanh(c->ci_high) - std::atanh(r), 1.959963984540054 / std::sqrt(3.0), 1e-12);
}

TEST(Correlate, SpearmanIsPearsonOfRanksWithWiderInterval) {
  std::vector<double> x = {1, 2, 3, 4, 5, 6, 7}, y = {1, 4, 9, 16, 25, 36, 30};
  auto s = Correlate(x, y, CorrelationMethod::SPEARMAN);
  auto p = Correlate(Ranks(x), Ranks(y), CorrelationMethod::PEARSON);
  ASSERT_TRUE(s && p);
  EXPECT_NEAR(s->r, p->r, 1e-15);
  EXPECT_GT(s->ci_high - s->ci_low, p->ci_high - p->ci_low);
}

TEST(Correlate, PearsonDoesNotOverflowOrUnderflowAtExtremeScales) {
  // x = 1..5, y = 2, 4.1, 5.9, 8.2, 9.9 (mean 6.02): sum dx dy = 19.9, sum dx^2 = 10,
  // sum dy^2 = 16.1604 + 3.6864 + 0.0144 + 4.7524 + 15.0544 = 39.668,
  // r = 19.9 / sqrt(10 * 39.668) = 0.99915513. At 1e100 the product of the sums of squares
  // overflowed (r printed 0), at 1e-120 it underflowed (r = inf).
  const std::vector<double> x = {1, 2, 3, 4, 5}, y = {2, 4.1, 5.9, 8.2, 9.9};
  const double r = 19.9 / std::sqrt(10 * 39.668);
  for (double scale : {1.0, 1e100, 1e-120, 1e300, 1e-300}) {
    std::vector<double> xs = x, ys = y;
    for (double& v : xs) v *= scale;
    for (double& v : ys) v *= scale;
    auto c = Correlate(xs, ys);
    ASSERT_TRUE(c) << scale << ": " << c.error().message;
    EXPECT_NEAR(c->r, r, 1e-12) << scale;
    EXPECT_NEAR(c->r, 0.99916, 5e-6) << scale;
    EXPECT_TRUE(std::isfinite(c->t)) << scale;
    EXPECT_NEAR(PearsonR(xs, ys), r, 1e-12) << scale;
  }
  DataFrame df;
  ASSERT_TRUE(df.AddNumeric("x", {1e-120, 2e-120, 3e-120, 4e-120, 5e-120}));
  ASSERT_TRUE(df.AddNumeric("y", {2e100, 4.1e100, 5.9e100, 8.2e100, 9.9e100}));
  auto m = CorrelateAll(df, {"x", "y"});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_NEAR(m->r[0][1], r, 1e-12);
}

// Two-sided Spearman p by brute force, as R's cor.test defines it: every ordering of 1..n, the
// share whose S = sum d^2 is at or beyond the observed on the side it falls, doubled (at most 1).
double BruteForceSpearmanP(const std::vector<double>& x, const std::vector<double>& y) {
  const auto rx = Ranks(x), ry = Ranks(y);
  const std::size_t n = x.size();
  double observed = 0;
  for (std::size_t i = 0; i < n; ++i) observed += (rx[i] - ry[i]) * (rx[i] - ry[i]);
  const double middle = (std::pow(n, 3) - n) / 6;  // E[S]
  std::vector<int> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<int>(i) + 1;
  double all = 0, beyond = 0;
  do {
    int s = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const int d = static_cast<int>(i) + 1 - order[i];
      s += d * d;
    }
    ++all;
    beyond += observed > middle ? (s >= observed) : (s <= observed);
  } while (std::next_permutation(order.begin(), order.end()));
  return std::min(1.0, 2 * beyond / all);
}

TEST(Correlate, SpearmanPIsExactForSmallNAsR) {
  // R 4.2: cor.test(1:7, c(2,1,4,3,7,5,6), method = "spearman"): rho = 0.8214286 (S = 10),
  // p-value = 0.03413 (86 of 5,040 orderings have S <= 10; doubled). The t approximation gave 0.0234.
  auto c = Correlate({1, 2, 3, 4, 5, 6, 7}, {2, 1, 4, 3, 7, 5, 6}, CorrelationMethod::SPEARMAN);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_NEAR(c->r, 1 - 6.0 * 10 / (7 * 48), 1e-14);
  EXPECT_NEAR(c->p, 2 * 86.0 / 5040, 1e-14);
  EXPECT_NEAR(c->p, 0.03413, 5e-6);
  EXPECT_EQ(c->p_method, PMethod::EXACT);
  // x = 1..4, y = 2x: rho = 1; only 1 of 24 orderings has S = 0, so p = 2/24 (it printed p < 0.0001).
  auto perfect = Correlate({1, 2, 3, 4}, {2, 4, 6, 8}, CorrelationMethod::SPEARMAN);
  ASSERT_TRUE(perfect);
  EXPECT_NEAR(perfect->p, 2.0 / 24, 1e-14);
  auto reversed = Correlate({1, 2, 3, 4}, {8, 6, 4, 2}, CorrelationMethod::SPEARMAN);
  ASSERT_TRUE(reversed);
  EXPECT_NEAR(reversed->p, 2.0 / 24, 1e-14);
  // Against brute force for n = 4..9, both signs.
  std::mt19937 rng(7);
  for (std::size_t n = 4; n <= 9; ++n) {
    for (int rep = 0; rep < 4; ++rep) {
      std::vector<double> x(n), y(n);
      for (std::size_t i = 0; i < n; ++i) x[i] = y[i] = static_cast<double>(i) * 1.5;
      std::shuffle(y.begin(), y.end(), rng);
      auto s = Correlate(x, y, CorrelationMethod::SPEARMAN);
      ASSERT_TRUE(s);
      EXPECT_NEAR(s->p, BruteForceSpearmanP(x, y), 1e-14) << "n = " << n << ", rho = " << s->r;
      EXPECT_EQ(s->p_method, PMethod::EXACT);
    }
  }
}

TEST(Correlate, SpearmanPUsesAs89BeyondNineAndTWithTies) {
  // n = 10 without ties: AS 89's Edgeworth series, within 0.0015 of the exact p (brute force over
  // 10! orderings; at S = 20, 40, 60, 80 exact 0.00160, 0.01493, 0.05443, 0.13340).
  std::vector<double> x(10);
  for (std::size_t i = 0; i < 10; ++i) x[i] = static_cast<double>(i);
  std::mt19937 rng(3);
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<double> y = x;
    std::shuffle(y.begin(), y.begin() + 4 + 2 * rep, rng);  // a strong to moderate correlation
    auto s = Correlate(x, y, CorrelationMethod::SPEARMAN);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->p_method, PMethod::EDGEWORTH);
    EXPECT_NEAR(s->p, BruteForceSpearmanP(x, y), 1.5e-3) << "rho = " << s->r;
  }
  // S = 60 of n = 10 (rho = 0.63636): exact two-sided 0.054431; AS 89 gives 0.054445.
  EXPECT_NEAR(2 * SpearmanTail(10, 62, true), 0.054445, 1e-5);
  // With a tie R uses t with n - 2 df, as for Pearson's r of the ranks.
  auto tied = Correlate({1, 2, 3, 4, 5, 6}, {2, 1, 4, 4, 6, 5}, CorrelationMethod::SPEARMAN);
  auto ranks = Correlate(Ranks({1, 2, 3, 4, 5, 6}), Ranks({2, 1, 4, 4, 6, 5}));
  ASSERT_TRUE(tied && ranks);
  EXPECT_EQ(tied->p_method, PMethod::T);
  EXPECT_NEAR(tied->p, ranks->p, 1e-14);
  // Pearson is always t.
  auto pearson = Correlate({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5});
  ASSERT_TRUE(pearson);
  EXPECT_EQ(pearson->p_method, PMethod::T);
}

TEST(Correlate, RefusesConstantAndTooFew) {
  auto c = Correlate({1, 1, 1, 1}, {1, 2, 3, 4});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().field, "x");
  EXPECT_FALSE(Correlate({1, 2, 3}, {1, 2, 3}));
  EXPECT_FALSE(Correlate({1, 2, 3, 4}, {1, 2, 3}));
}

TEST(Correlate, DataFrameNamesTheConstantColumn) {
  auto df = ParseCsv("a,b\n1,5\n2,5\n3,5\n4,5\n5,\n");
  ASSERT_TRUE(df);
  auto c = Correlate(*df, "a", "b");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().field, "b");
}

TEST(AdjustP, HolmAndBhAsPAdjust) {
  std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  // Holm: sorted 0.005*4=.02, .01*3=.03, .03*2=.06, .04*1=.04 -> running max .06
  auto h = AdjustP(p, PAdjust::HOLM);
  std::vector<double> eh = {0.03, 0.06, 0.06, 0.02};
  // BH: .005*4/1=.02, .01*4/2=.02, .03*4/3=.04, .04*4/4=.04, running min from the top
  auto b = AdjustP(p, PAdjust::BH);
  std::vector<double> eb = {0.02, 0.04, 0.04, 0.02};
  for (std::size_t i = 0; i < p.size(); ++i) {
    EXPECT_NEAR(h[i], eh[i], 1e-15);
    EXPECT_NEAR(b[i], eb[i], 1e-15);
  }
  EXPECT_EQ(AdjustP({0.6, 0.7}, PAdjust::HOLM), (std::vector<double>{1.0, 1.0}));
}

TEST(CorrelateAll, MatrixIsSymmetricWithAdjustedP) {
  auto df = ParseCsv("a,b,c\n1,2,9\n2,1,7\n3,4,8\n4,3,3\n5,6,2\n6,5,1\n");
  ASSERT_TRUE(df);
  auto m = CorrelateAll(*df, {"a", "b", "c"}, CorrelationMethod::PEARSON, PAdjust::HOLM);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->pairs.size(), 3u);
  EXPECT_EQ(m->r[0][1], m->r[1][0]);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_GE(m->p_adjusted[i], m->pairs[i].p);
  EXPECT_FALSE(CorrelateAll(*df, {"a"}));
}

TEST(Correlate, AColumnWithItselfAndRepeatedColumnsAreRefused) {
  DataFrame df;
  ASSERT_TRUE(df.AddNumeric("a", {1, 2, 3, 4, 5}));
  ASSERT_TRUE(df.AddNumeric("b", {2, 1, 4, 3, 5}));
  auto same = Correlate(df, "a", "a");  // r = 1 and t = inf otherwise
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, ErrorCode::INVALID_ARGUMENT);
  auto matrix = CorrelateAll(df, {"a", "a", "b"});
  ASSERT_FALSE(matrix);
  EXPECT_NE(matrix.error().message.find("'a' is given twice"), std::string::npos);
}

}  // namespace
}  // namespace attune::stats
