#include "attune/instruments/change.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace attune::instruments {
namespace {

// As instruments/core10.json: reliable change at 90% confidence, the CORE-10 manual's criterion.
Norms Core10Norms() {
  Norms n;
  n.sd = 7.7;
  n.reliability = 0.90;
  n.confidence = 0.90;
  n.clinical = GroupNorm{19.7, 7.7};
  n.nonclinical = GroupNorm{4.7, 4.8};
  return n;
}

// The test vector. c = (4.8 x 19.7 + 7.7 x 4.7) / (4.8 + 7.7) = 130.75 / 12.5 = 10.46;
// threshold at 90% (was 95%: 1.96 x ... = 6.7493) = 1.644854 x sqrt(2) x 7.7 x sqrt(1 - .90) = 5.6642,
// so a whole-number change of 6 is reliable: the manual's "RCI 6 (90%)".
TEST(JacobsonTruax, Core10TestVector) {
  auto t = Thresholds(Core10Norms(), Direction::HIGHER_IS_WORSE);
  ASSERT_TRUE(t);
  EXPECT_NEAR(*t->cutoff, 10.46, 1e-12);
  EXPECT_EQ(t->cutoff_kind, 'c');
  EXPECT_NEAR(t->z, 1.644854, 1e-6);
  EXPECT_NEAR(t->reliable_change, 5.6642, 1e-4);
  auto d = JacobsonTruax(Core10Norms(), Direction::HIGHER_IS_WORSE, 20, 8);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->classification, ChangeClass::RECOVERED);
  EXPECT_STREQ(ChangeClassName(d->classification), "recovered");
}

TEST(JacobsonTruax, Classifications) {
  auto cls = [](double before, double after) {
    return JacobsonTruax(Core10Norms(), Direction::HIGHER_IS_WORSE, before, after)->classification;
  };
  // At 90% the threshold is 5.66 (6.75 at 95%): a drop of 6 is now reliable, one of 5 is not.
  EXPECT_EQ(cls(25, 17), ChangeClass::RELIABLY_IMPROVED);  // drop 8 > 5.66, still above 10.46
  EXPECT_EQ(cls(20, 14), ChangeClass::RELIABLY_IMPROVED);  // drop 6 > 5.66 (unchanged at 95%)
  EXPECT_EQ(cls(20, 15), ChangeClass::UNCHANGED);          // drop 5 < 5.66
  EXPECT_EQ(cls(12, 5), ChangeClass::RECOVERED);           // drop 7, crosses c
  EXPECT_EQ(cls(9, 2), ChangeClass::RELIABLY_IMPROVED);    // started functional: improved, not recovered
  EXPECT_EQ(cls(10, 17), ChangeClass::RELIABLY_DETERIORATED);
}

// z is the two-sided normal quantile of the norms' confidence (default 0.95, as Jacobson & Truax).
TEST(JacobsonTruax, ConfidenceSetsZ) {
  EXPECT_NEAR(TwoSidedZ(0.95), 1.959964, 1e-6);
  EXPECT_NEAR(TwoSidedZ(0.90), 1.644854, 1e-6);
  EXPECT_NEAR(TwoSidedZ(0.99), 2.575829, 1e-6);
  Norms n = Core10Norms();
  n.confidence = 0.95;
  auto t = Thresholds(n, Direction::HIGHER_IS_WORSE);
  EXPECT_NEAR(t->reliable_change, 6.7492, 1e-4);
  EXPECT_EQ(JacobsonTruax(n, Direction::HIGHER_IS_WORSE, 20, 14)->classification, ChangeClass::UNCHANGED);
  for (double bad : {0.0, 1.0, 95.0, -0.5}) {
    n.confidence = bad;
    auto refused = Thresholds(n, Direction::HIGHER_IS_WORSE);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().field, "norms.confidence");
  }
}

TEST(JacobsonTruax, HigherIsBetterScale) {
  Norms n;
  n.sd = 8;
  n.reliability = 0.8;
  n.clinical = GroupNorm{40, 8};
  n.nonclinical = GroupNorm{52, 6};
  // c = (6 x 40 + 8 x 52) / 14 = 46.857; threshold = 1.96 x sqrt(2) x 8 x sqrt(.2) = 9.917
  auto up = JacobsonTruax(n, Direction::HIGHER_IS_BETTER, 38, 50);
  ASSERT_TRUE(up);
  EXPECT_NEAR(*up->thresholds.cutoff, 656.0 / 14.0, 1e-12);
  EXPECT_TRUE(up->improved);
  EXPECT_EQ(up->classification, ChangeClass::RECOVERED);
  auto down = JacobsonTruax(n, Direction::HIGHER_IS_BETTER, 50, 38);
  EXPECT_EQ(down->classification, ChangeClass::RELIABLY_DETERIORATED);
}

TEST(JacobsonTruax, CutoffAOrBWhenOneNormExists) {
  Norms only_clinical;
  only_clinical.sd = 7.7;
  only_clinical.reliability = 0.9;
  only_clinical.clinical = GroupNorm{19.7, 7.7};
  auto a = Thresholds(only_clinical, Direction::HIGHER_IS_WORSE);
  EXPECT_EQ(a->cutoff_kind, 'a');
  EXPECT_NEAR(*a->cutoff, 19.7 - 2 * 7.7, 1e-12);
  Norms only_func = only_clinical;
  only_func.clinical.reset();
  only_func.nonclinical = GroupNorm{4.7, 4.8};
  auto b = Thresholds(only_func, Direction::HIGHER_IS_WORSE);
  EXPECT_EQ(b->cutoff_kind, 'b');
  EXPECT_NEAR(*b->cutoff, 4.7 + 2 * 4.8, 1e-12);
  auto b_better = Thresholds(only_func, Direction::HIGHER_IS_BETTER);
  EXPECT_NEAR(*b_better->cutoff, 4.7 - 2 * 4.8, 1e-12);
  Norms none = only_func;
  none.nonclinical.reset();
  auto no_cut = JacobsonTruax(none, Direction::HIGHER_IS_WORSE, 20, 5);
  EXPECT_FALSE(no_cut->thresholds.cutoff.has_value());
  EXPECT_EQ(no_cut->classification, ChangeClass::RELIABLY_IMPROVED);
}

TEST(JacobsonTruax, RefusesBadNorms) {
  Norms n = Core10Norms();
  n.reliability = 1.2;
  auto d = JacobsonTruax(n, Direction::HIGHER_IS_WORSE, 20, 8);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().field, "norms.reliability");
}

RuleSet Nhs() {
  std::ifstream in(std::string(ATTUNE_SOURCE_DIR) + "/instruments/rules/nhs_talking_therapies.json");
  std::stringstream text;
  text << in.rdbuf();
  auto rules = ParseRuleSet(text.str(), "nhs_talking_therapies.json");
  if (!rules) throw std::runtime_error(rules.error().message);
  return *rules;
}

TEST(Rules, NhsTalkingTherapies) {
  RuleSet rules = Nhs();
  // PHQ-9 15 -> 7 (drop 8 >= 6), GAD-7 12 -> 6 (drop 6 >= 4): case at start, not at end.
  auto recovered = ApplyRules(rules, {{"phq9.total", {15, 7}}, {"gad7.total", {12, 6}}});
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_TRUE(recovered->case_at_start);
  EXPECT_FALSE(recovered->case_at_end);
  EXPECT_TRUE(recovered->reliable_improvement);
  EXPECT_TRUE(recovered->reliable_recovery);
  // PHQ-9 11 -> 9 (drop 2), GAD-7 9 -> 7 (drop 2): recovery but not reliable.
  auto small = ApplyRules(rules, {{"phq9.total", {11, 9}}, {"gad7.total", {9, 7}}});
  EXPECT_TRUE(small->recovery);
  EXPECT_FALSE(small->reliable_improvement);
  EXPECT_FALSE(small->reliable_recovery);
  // PHQ-9 improves by 8 but GAD-7 rises by 5: not reliable improvement, reliable deterioration.
  auto mixed = ApplyRules(rules, {{"phq9.total", {18, 10}}, {"gad7.total", {5, 10}}});
  EXPECT_FALSE(mixed->reliable_improvement);
  EXPECT_TRUE(mixed->reliable_deterioration);
  // Missing measure: refused, naming it.
  auto missing = ApplyRules(rules, {{"phq9.total", {18, 10}}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().field, "scores.gad7.total");
}

// One measure alone, as `attune change phq9` applies it (PHQ-9 had no way to judge change):
// reliable at 6 points or more, recovered from a case (>= 10) to not a case.
TEST(Rules, OneMeasureOfTheShippedRules) {
  auto sets = LoadRuleSets(std::string(ATTUNE_SOURCE_DIR) + "/instruments/rules");
  ASSERT_TRUE(sets) << sets.error().message;
  auto phq = FindRule(*sets, "phq9", "total");
  ASSERT_TRUE(phq);
  EXPECT_EQ(phq->rules->id, "nhs_talking_therapies");
  EXPECT_FALSE(FindRule(*sets, "wai_sr", "total"));
  auto cls = [&](double before, double after) { return ApplyRule(*phq->measure, before, after)->classification; };
  EXPECT_EQ(cls(20, 8), ChangeClass::RECOVERED);
  EXPECT_EQ(cls(11, 5), ChangeClass::RECOVERED);            // a drop of 6 reaches 6
  EXPECT_EQ(cls(20, 15), ChangeClass::UNCHANGED);           // 5 < 6
  EXPECT_EQ(cls(22, 14), ChangeClass::RELIABLY_IMPROVED);   // still a case
  EXPECT_EQ(cls(5, 11), ChangeClass::RELIABLY_DETERIORATED);
  EXPECT_TRUE(ApplyRule(*phq->measure, 20, 8)->case_before);
  EXPECT_FALSE(ApplyRule(*phq->measure, 20, 8)->case_after);
  EXPECT_EQ(ApplyRule(*phq->measure, 20, std::nan("")).error().field, "after");
  EXPECT_TRUE(LoadRuleSets("/nonexistent")->empty());
}

}  // namespace
}  // namespace attune::instruments
