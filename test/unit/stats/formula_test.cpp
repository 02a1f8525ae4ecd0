#include "attune/stats/formula.hpp"

#include <gtest/gtest.h>

namespace attune::stats {
namespace {

TEST(ParseFormula, FixedAndLog) {
  auto f = ParseFormula("log(y) ~ x1 + log(x2)");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_TRUE(f->response.log);
  EXPECT_EQ(f->response.Label(), "log(y)");
  ASSERT_EQ(f->fixed.size(), 2u);
  EXPECT_EQ(f->fixed[1].Label(), "log(x2)");
  EXPECT_TRUE(f->intercept);
  EXPECT_TRUE(f->random.empty());
}

TEST(ParseFormula, CorrelatedSlope) {
  auto f = ParseFormula("Reaction ~ Days + (Days | Subject)");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->random.size(), 1u);
  EXPECT_TRUE(f->random[0].intercept);
  ASSERT_EQ(f->random[0].slopes.size(), 1u);
  EXPECT_EQ(f->random[0].GroupLabel(), "Subject");
}

TEST(ParseFormula, NestedExpandsAsLme4) {
  auto f = ParseFormula("y ~ 1 + (1|therapist/client)");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->random.size(), 2u);
  EXPECT_EQ(f->random[0].GroupLabel(), "therapist");
  EXPECT_EQ(f->random[1].GroupLabel(), "client:therapist");
  EXPECT_EQ(f->Columns(), (std::vector<std::string>{"y", "therapist", "client"}));
}

TEST(ParseFormula, Crossed) {
  auto f = ParseFormula("score ~ x + (1|rater) + (1|target)");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->random.size(), 2u);
  EXPECT_EQ(f->random[1].GroupLabel(), "target");
}

TEST(ParseFormula, NoIntercept) {
  auto f = ParseFormula("y ~ 0 + x");
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->intercept);
  auto g = ParseFormula("y ~ x - 1");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_FALSE(g->intercept);
}

TEST(ParseFormula, RefusesOutsideTheSyntax) {
  for (const char* bad : {"y ~ x*z", "y ~ x:z", "y ~ sqrt(x)", "y x", "~ x", "y ~ (1||g)", "y ~ (x|g|h)", "y ~ (1|sqrt(g))",
                          "y ~ x + ", "y ~ (0|g)", "y ~ (1|g) + (1|g)", "y ~ (x|g) + (0 + x|g)",
                          "y ~ (1|a/b) + (1|b:a)"}) {
    auto f = ParseFormula(bad);
    EXPECT_FALSE(f) << bad;
    if (!f) {
      EXPECT_EQ(f.error().code, ErrorCode::INVALID_ARGUMENT);
      EXPECT_EQ(f.error().field, "formula");
      EXPECT_NE(f.error().message.find(bad), std::string::npos) << f.error().message;
    }
  }
}

TEST(ParseFormula, RepeatedRandomTermNamesTheFactorAndEffect) {
  auto f = ParseFormula("y ~ x + (1|g) + (1|g)");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("grouping factor 'g' has two random terms with the intercept"), std::string::npos)
      << f.error().message;
  // lme4's uncorrelated form shares no effect: accepted.
  auto uncorrelated = ParseFormula("y ~ x + (1|g) + (0 + x|g)");
  ASSERT_TRUE(uncorrelated) << uncorrelated.error().message;
  EXPECT_EQ(uncorrelated->random.size(), 2u);
}

}  // namespace
}  // namespace attune::stats
