// The simulation check (docs/trial.md): with a planted effect the 95% CI covers it about 95% of the
// time; with none, p < .05 about 5% of the time. Labelled slow: 2 x 200 simulated trials.
#include <gtest/gtest.h>

#include <cstdio>

#include "attune/trial/simulate.hpp"

namespace attune::trial {
namespace {

void Report(const char* label, const CheckResult& r) {
  std::printf("%s: coverage %.3f (MC SE %.3f), false-positive rate %.3f (MC SE %.3f), power %.3f, bias %+.3f, "
              "empirical SD %.3f vs mean SE %.3f, %d failed fits\n",
              label, r.coverage.value, r.coverage.mcse, r.false_positive_rate.value, r.false_positive_rate.mcse,
              r.power.value, r.bias, r.empirical_sd, r.mean_se, r.failed);
}

TEST(SimulationCheck, CoverageAndFalsePositiveRateAreNominal) {
  TrialSimParams p;  // 30 therapists x 20 clients, ICC .08, parallel
  p.effect = 0.3;
  auto r = SimulationCheck(p, 200, 1);
  ASSERT_TRUE(r) << r.error().message;
  Report("random period slopes", *r);
  EXPECT_EQ(r->failed, 0);
  EXPECT_GE(r->coverage.value, 0.90);
  EXPECT_LE(r->coverage.value, 0.995);
  EXPECT_LE(r->false_positive_rate.value, 0.10);
  EXPECT_NEAR(r->bias, 0.0, 0.05);
}

TEST(SimulationCheck, RandomSlopesKeepCoverageWhenTherapistsRespondDifferently) {
  TrialSimParams p;
  p.effect = 0.5;
  p.facet_shift = 0.5;
  p.facet_change_sd = 0.4;  // therapists' facet gains, and so their alliance gains, vary widely
  auto slopes = SimulationCheck(p, 150, 2);
  ASSERT_TRUE(slopes);
  Report("heterogeneous gains, random slopes", *slopes);
  AnalysisOptions intercept_only;
  intercept_only.random_slopes = false;
  auto intercepts = SimulationCheck(p, 150, 2, intercept_only);
  ASSERT_TRUE(intercepts);
  Report("heterogeneous gains, intercept only", *intercepts);
  EXPECT_GE(slopes->coverage.value, 0.90);
  // The intercept-only model understates the SE here: the reason random slopes are the default.
  EXPECT_LT(intercepts->mean_se, slopes->mean_se);
}

}  // namespace
}  // namespace attune::trial
