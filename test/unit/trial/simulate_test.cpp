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

}  // namespace
}  // namespace attune::trial
