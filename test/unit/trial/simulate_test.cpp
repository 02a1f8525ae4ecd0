#include "attune/trial/simulate.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace attune::trial {
namespace {

TEST(Simulate, DeterministicForASeed) {
  TrialSimParams p;
  p.therapists = 12;
  p.clients_per_therapist = 6;
  auto a = SimulateTrial(p, 3);
  auto b = SimulateTrial(p, 3);
  auto c = SimulateTrial(p, 4);
  ASSERT_TRUE(a && b && c);
  ASSERT_EQ(a->clients.size(), b->clients.size());
  for (std::size_t i = 0; i < a->clients.size(); ++i) {
    EXPECT_EQ(a->clients[i].alliance, b->clients[i].alliance);
    EXPECT_EQ(a->clients[i].therapist_id, b->clients[i].therapist_id);
  }
  bool differs = a->clients.size() != c->clients.size();
  for (std::size_t i = 0; !differs && i < a->clients.size(); ++i) differs = a->clients[i].alliance != c->clients[i].alliance;
  EXPECT_TRUE(differs);
}

TEST(Simulate, SmallCheckReportsProportionsWithMonteCarloErrors) {
  TrialSimParams p;
  p.therapists = 16;
  p.clients_per_therapist = 10;
  p.effect = 0.4;
  AnalysisOptions options;
  options.random_slopes = false;
  int calls = 0;
  auto r = SimulationCheck(p, 6, 99, options, [&](int done, int total) {
    ++calls;
    EXPECT_EQ(total, 6);
    EXPECT_EQ(done, calls);
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(calls, 6);
  EXPECT_EQ(r->coverage.of + r->false_positive_rate.of + r->failed, 12);
  EXPECT_GE(r->coverage.value, 0);
  EXPECT_LE(r->coverage.value, 1);
  EXPECT_NEAR(r->coverage.mcse, std::sqrt(r->coverage.value * (1 - r->coverage.value) / r->coverage.of), 1e-12);
  const std::string json = CheckJson(*r);
  EXPECT_NE(json.find("\"coverage\""), std::string::npos);
  EXPECT_NE(json.find("\"false_positive_rate\""), std::string::npos);
  EXPECT_NE(json.find("\"false_positive_rate_mcse\""), std::string::npos);

  auto power = Power(p, 4, 1, options);
  ASSERT_TRUE(power) << power.error().message;
  EXPECT_EQ(power->power.of + power->failed, 4);
  EXPECT_NE(PowerJson(*power).find("\"power\""), std::string::npos);
}

TEST(Simulate, RefusesBadParametersNamingThem) {
  TrialSimParams p;
  p.therapists = 2;
  auto r = Validate(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "therapists");
  EXPECT_NE(r.error().message.find("2 is outside 4..100000"), std::string::npos) << r.error().message;

  p = {};
  p.icc = 1.2;
  r = Validate(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "icc");
  EXPECT_NE(r.error().message.find("1.2"), std::string::npos);

  p = {};
  p.clients_per_therapist = 1;
  r = Validate(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "clients_per_therapist");

  p = {};
  auto s = SimulationCheck(p, 0, 1);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().field, "sims");
  EXPECT_NE(s.error().message.find("0"), std::string::npos);
  auto pw = Power(p, -3, 1);
  ASSERT_FALSE(pw);
  EXPECT_EQ(pw.error().field, "sims");
}

TEST(Simulate, RefusesAOneStepWedge) {
  // One step trains every therapist at once: training and period 1 are the same contrast.
  TrialSimParams p;
  p.design = Design::STEPPED_WEDGE;
  p.steps = 1;
  auto r = Validate(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "steps");
  EXPECT_NE(r.error().message.find("steps: 1 for a stepped wedge; expected at least 2"), std::string::npos)
      << r.error().message;
  p.steps = 2;
  EXPECT_TRUE(Validate(p));
  p.design = Design::PARALLEL;
  p.steps = 1;  // not used by a parallel trial
  EXPECT_TRUE(Validate(p));
}

TEST(Simulate, NoFittedTrialIsAnErrorNotZeroes) {
  // 4 therapists x 2 clients: no simulated trial can be fitted, so there is no power to report
  // (it used to print power 0.000, coverage 0.000, bias +0.000).
  TrialSimParams p;
  p.therapists = 4;
  p.clients_per_therapist = 2;
  auto power = Power(p, 5, 1);
  ASSERT_FALSE(power);
  EXPECT_EQ(power.error().code, ErrorCode::FAILED_PRECONDITION);
  EXPECT_NE(power.error().message.find("none of the 5 simulated trials could be analysed (4 therapists x 2 clients"),
            std::string::npos)
      << power.error().message;
  auto check = SimulationCheck(p, 3, 1);
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, ErrorCode::FAILED_PRECONDITION);
  EXPECT_NE(check.error().message.find("none of the 3 simulated trials with the planted effect could be analysed"),
            std::string::npos)
      << check.error().message;
}

}  // namespace
}  // namespace attune::trial
