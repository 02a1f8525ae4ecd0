#include "attune/stats/correlation.hpp"
#include "attune/stats/data_frame.hpp"

#include <gtest/gtest.h>

#include <cmath>

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
