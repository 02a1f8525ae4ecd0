#include "attune/stats/reliability.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace attune::stats {
namespace {

TEST(Reliability, AlphaByHand) {
  // Items a, b, c; c is reverse keyed on 1..5 (so 6 - c).
  auto df = ParseCsv("a,b,c\n1,2,5\n2,3,3\n3,3,2\n4,5,1\n2,2,4\n");
  ASSERT_TRUE(df);
  ReliabilityOptions opt;
  opt.reverse = {"c"};
  opt.min = 1;
  opt.max = 5;
  auto rel = AnalyzeReliability(*df, {"a", "b", "c"}, opt);
  ASSERT_TRUE(rel) << rel.error().message;
  // Scored c = 1,3,4,5,2. Variances (n-1): a = 1.3, b = 1.5, c = 2.5; totals 4,8,10,14,6 -> var 14.8.
  const double alpha = 3.0 / 2.0 * (1 - (1.3 + 1.5 + 2.5) / 14.8);
  EXPECT_NEAR(rel->alpha, alpha, 1e-12);
  EXPECT_EQ(rel->n, 5u);
  EXPECT_LT(rel->alpha_ci_low, rel->alpha);
  EXPECT_GT(rel->alpha_ci_high, rel->alpha);
  ASSERT_EQ(rel->items.size(), 3u);
  // Dropping c leaves a, b: totals 3,5,6,9,4 -> var 5.3; alpha = 2 (1 - 2.8/5.3).
  ASSERT_TRUE(rel->items[2].alpha_if_dropped);
  EXPECT_NEAR(*rel->items[2].alpha_if_dropped, 2 * (1 - 2.8 / 5.3), 1e-12);
  ASSERT_TRUE(rel->omega_total) << rel->omega_note;
  EXPECT_GT(*rel->omega_total, 0);
  EXPECT_LT(*rel->omega_total, 1);
}

TEST(Reliability, OmegaIsNotAvailableWhenNotIdentifiedOrHeywood) {
  // Two items: any loadings with l1·l2 = cov(a, b) fit, so omega is not identified (it printed
  // .6527 "converged" for bfi A2, A3). Alpha is still given.
  auto two = ParseCsv("a,b\n1,2\n2,3\n3,3\n4,5\n2,2\n");
  ASSERT_TRUE(two);
  auto rel = AnalyzeReliability(*two, {"a", "b"});
  ASSERT_TRUE(rel) << rel.error().message;
  EXPECT_FALSE(rel->omega_total);
  EXPECT_FALSE(rel->omega_converged);
  EXPECT_NE(rel->omega_note.find("not identified"), std::string::npos) << rel->omega_note;
  EXPECT_NE(rel->omega_note.find("at least 3 items"), std::string::npos) << rel->omega_note;
  EXPECT_FALSE(rel->items[0].loading);
  EXPECT_GT(rel->alpha, 0);
  // b is a copy of a: the factor is a, b's uniqueness goes to 0 (a Heywood case).
  auto copy = ParseCsv("a,b,c\n1,1,2\n2,2,1\n3,3,4\n4,4,3\n5,5,5\n2,2,3\n");
  ASSERT_TRUE(copy);
  auto heywood = AnalyzeReliability(*copy, {"a", "b", "c"});
  ASSERT_TRUE(heywood) << heywood.error().message;
  EXPECT_FALSE(heywood->omega_total);
  EXPECT_FALSE(heywood->omega_converged);
  EXPECT_NE(heywood->omega_note.find("Heywood case"), std::string::npos) << heywood->omega_note;
}

TEST(Reliability, Refusals) {
  auto df = ParseCsv("a,b,c,k\n1,2,5,3\n2,3,3,3\n3,3,2,3\n4,5,1,3\n2,2,4,3\n");
  ASSERT_TRUE(df);
  EXPECT_FALSE(AnalyzeReliability(*df, {"a"}));
  ReliabilityOptions no_range;
  no_range.reverse = {"c"};
  auto r1 = AnalyzeReliability(*df, {"a", "c"}, no_range);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().field, "min");
  auto r2 = AnalyzeReliability(*df, {"a", "k"});
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().field, "k");
  ReliabilityOptions range;
  range.min = 1;
  range.max = 4;
  auto r3 = AnalyzeReliability(*df, {"a", "c"}, range);
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().field, "c");
  EXPECT_NE(r3.error().message.find("outside [1, 4]"), std::string::npos) << r3.error().message;
  // The file line (header = line 1), as other messages count (it said "row 1").
  EXPECT_NE(r3.error().message.find("item 'c' at line 2 has 5"), std::string::npos) << r3.error().message;
  ReliabilityOptions stray;
  stray.reverse = {"zz"};
  stray.min = 1;
  stray.max = 5;
  EXPECT_FALSE(AnalyzeReliability(*df, {"a", "b"}, stray));
}

TEST(Reliability, ARepeatedItemIsRefusedNotCountedTwice) {
  DataFrame df;
  ASSERT_TRUE(df.AddNumeric("i1", {1, 2, 3, 4, 5}));
  ASSERT_TRUE(df.AddNumeric("i2", {2, 2, 4, 3, 5}));
  auto r = AnalyzeReliability(df, {"i1", "i1", "i2"}, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("items: 'i1' is given twice"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace attune::stats
