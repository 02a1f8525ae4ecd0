#include "attune/trial/analysis.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attune/trial/simulate.hpp"

namespace attune::trial {
namespace {

TrialSimParams Big(double effect) {
  TrialSimParams p;
  p.therapists = 60;
  p.clients_per_therapist = 30;
  p.effect = effect;
  return p;
}

TEST(Analysis, RecoversAPlantedTrainingEffect) {
  auto data = SimulateTrial(Big(0.5), 2027);
  ASSERT_TRUE(data) << data.error().message;
  AnalysisOptions options;
  options.mediation_resamples = 500;
  auto a = Analyse(*data, options);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(a->alliance);
  const Estimate& e = a->alliance->effect;
  EXPECT_LE(e.ci_low, 0.5);
  EXPECT_GE(e.ci_high, 0.5);
  EXPECT_LT(e.p, 0.05);
  EXPECT_NEAR(e.estimate, 0.5, 3 * e.se);
  EXPECT_NEAR(e.df, 58, 2);
  EXPECT_GT(a->alliance->therapist_icc, 0.0);

  // Outcome change: training improves outcome through the alliance (planted -0.4 * 0.5 = -0.2).
  ASSERT_TRUE(a->outcome);
  EXPECT_LT(a->outcome->effect.estimate, 0);

  // Facets rise by facet_shift (0.3) after training: ANCOVA of nonjudge at post finds it.
  bool found = false;
  for (const auto& f : a->facets) {
    if (f.facet == "nonjudge" && f.occasion == "post") {
      found = true;
      EXPECT_NEAR(f.effect.estimate, 0.3, 3 * f.effect.se);
      EXPECT_GT(f.effect.estimate, 0);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(a->facets.size(), 10u);

  // Mediation: the arm raises the facets (a > 0) and facet change carries alliance change (ab > 0).
  ASSERT_TRUE(a->mediation);
  EXPECT_GT(a->mediation->a, 0);
  EXPECT_GT(a->mediation->ab, 0);

  // CONSORT: every therapist and client is counted once.
  int therapists = 0, clients = 0;
  for (const auto& c : a->consort) {
    therapists += c.allocated;
    clients += c.clients;
    EXPECT_LE(c.clients_analysed, c.clients_with_alliance);
  }
  EXPECT_EQ(therapists, 60);
  EXPECT_EQ(clients, static_cast<int>(data->clients.size()));
  ASSERT_EQ(a->consort.size(), 2u);
  EXPECT_EQ(a->consort[0].arm, "training");
  EXPECT_GT(a->consort[0].received_training, 0);
  EXPECT_EQ(a->consort[1].received_training, 0);

  const std::string json = AnalysisJson(*a);
  EXPECT_NE(json.find("\"consort\""), std::string::npos);
  EXPECT_NE(AnalysisText(*a).find("Client-rated alliance"), std::string::npos);
}

TEST(Analysis, NoPlantedEffectGivesAnIntervalAroundZero) {
  auto data = SimulateTrial(Big(0.0), 11);
  ASSERT_TRUE(data);
  auto m = AllianceEffect(*data);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_NEAR(m->effect.estimate, 0.0, 3 * m->effect.se);
  // And a large planted effect moves the estimate by about that much on the same seed.
  auto shifted = SimulateTrial(Big(1.0), 11);
  ASSERT_TRUE(shifted);
  auto m2 = AllianceEffect(*shifted);
  ASSERT_TRUE(m2);
  EXPECT_NEAR(m2->effect.estimate - m->effect.estimate, 1.0, 0.25);
}

TEST(Analysis, SteppedWedge) {
  TrialSimParams p = Big(0.5);
  p.design = Design::STEPPED_WEDGE;
  p.steps = 3;
  p.clients_per_therapist = 32;
  auto data = SimulateTrial(p, 5);
  ASSERT_TRUE(data) << data.error().message;
  AnalysisOptions options;
  options.mediation_resamples = 0;
  auto a = Analyse(*data, options);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(a->alliance);
  EXPECT_NEAR(a->alliance->effect.estimate, 0.5, 3 * a->alliance->effect.se);
  EXPECT_LT(a->alliance->effect.p, 0.05);
  EXPECT_EQ(a->consort.size(), 3u);
  EXPECT_EQ(a->consort[0].arm, "step_1");
}

TEST(Analysis, RefusesInconsistentData) {
  TrialData data;
  data.therapists.push_back({});
  data.therapists[0].therapist_id = 1;
  data.therapists[0].arm = "training";
  ClientRecord c;
  c.client_id = 9;
  c.therapist_id = 2;
  data.clients.push_back(c);
  auto r = Analyse(data);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "therapist_id");
  EXPECT_NE(r.error().message.find("therapist 2"), std::string::npos);

  data.clients[0].therapist_id = 1;
  data.clients[0].period = 3;
  r = Analyse(data);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "period");

  data.clients[0].period = 1;
  r = Analyse(data);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::FAILED_PRECONDITION);
  EXPECT_EQ(r.error().field, "alliance");

  AnalysisOptions options;
  options.mediation_resamples = 50;
  r = Analyse(data, options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "mediation_resamples");
  EXPECT_NE(r.error().message.find("50"), std::string::npos);
}

}  // namespace
}  // namespace attune::trial
