#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "attune/match/match.hpp"

namespace attune::match {
namespace {

// Random problem: `clients` clients, each with up to `per` distinct candidates among `therapists`.
Problem RandomProblem(std::size_t clients, std::size_t therapists, std::size_t per, unsigned seed,
                      bool high_risk = false) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> score(0.0, 1.0);
  Problem p;
  for (std::size_t t = 0; t < therapists; ++t) p.capacity.push_back(static_cast<int>(rng() % 3));
  if (high_risk) {
    for (std::size_t t = 0; t < therapists; ++t) p.high_risk_cap.push_back(static_cast<int>(rng() % 3) - 1);
    for (std::size_t c = 0; c < clients; ++c) p.high_risk.push_back(rng() % 2 == 0 ? 1 : 0);
  }
  for (std::size_t c = 0; c < clients; ++c) {
    std::vector<std::uint32_t> ts(therapists);
    for (std::size_t t = 0; t < therapists; ++t) ts[t] = static_cast<std::uint32_t>(t);
    std::shuffle(ts.begin(), ts.end(), rng);
    const std::size_t k = rng() % (per + 1);
    for (std::size_t i = 0; i < k && i < therapists; ++i) p.candidates.push_back({ts[i], score(rng)});
    p.offsets.push_back(p.candidates.size());
  }
  return p;
}

// Naive reference: enumerate every assignment.
double BruteForce(const Problem& p) {
  std::vector<int> room = p.capacity;
  std::vector<int> hr_room = p.high_risk_cap;
  double best = -1e18;
  std::function<void(std::size_t, double)> go = [&](std::size_t c, double value) {
    if (c == p.clients()) {
      best = std::max(best, value);
      return;
    }
    go(c + 1, value - p.unassigned_penalty);
    const bool hr = !p.high_risk.empty() && p.high_risk[c];
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) {
      const auto t = p.candidates[k].therapist;
      const bool capped = hr && !p.high_risk_cap.empty() && p.high_risk_cap[t] >= 0;
      if (room[t] <= 0 || (capped && hr_room[t] <= 0)) continue;
      --room[t];
      if (capped) --hr_room[t];
      go(c + 1, value + p.candidates[k].score);
      ++room[t];
      if (capped) ++hr_room[t];
    }
  };
  go(0, 0.0);
  return best;
}

TEST(Assign, OptimalEqualsBruteForceWithCertificate) {
  for (unsigned seed = 1; seed <= 60; ++seed) {
    Problem p = RandomProblem(6, 4, 3, seed, seed % 2 == 0);
    p.unassigned_penalty = (seed % 3) * 0.7;  // 0: leaving a client out can be best
    auto s = SolveOptimal(p);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(s->certificate.checked);
    EXPECT_TRUE(s->certificate.conserved) << s->certificate.problem;
    EXPECT_TRUE(s->certificate.optimal) << s->certificate.problem;
    EXPECT_EQ(s->certificate.worst_violation, 0);
    EXPECT_TRUE(CheckFeasible(p, *s));
    EXPECT_NEAR(s->objective, BruteForce(p), 1e-5) << "seed " << seed;
    auto g = SolveGreedy(p);
    auto u = SolveUsual(p, seed);
    ASSERT_TRUE(g && u);
    EXPECT_TRUE(CheckFeasible(p, *g));
    EXPECT_TRUE(CheckFeasible(p, *u));
    EXPECT_GE(s->objective + 1e-9, g->objective);
    EXPECT_GE(s->objective + 1e-9, u->objective);
  }
}

TEST(Assign, GreedyCanBeBeatenOptimalCannot) {
  // c0: t0 10, t1 9; c1: t0 9 only. Greedy takes (c0, t0) and strands c1: 10 - penalty.
  Problem p;
  p.capacity = {1, 1};
  p.candidates = {{0, 10}, {1, 9}, {0, 9}};
  p.offsets = {0, 2, 3};
  p.unassigned_penalty = 1;
  auto g = SolveGreedy(p);
  auto s = SolveOptimal(p);
  ASSERT_TRUE(g && s);
  EXPECT_DOUBLE_EQ(g->objective, 10 - 1);
  EXPECT_DOUBLE_EQ(s->objective, 18);
  EXPECT_EQ(s->therapist_of, (std::vector<int>{1, 0}));
}

TEST(Assign, PenaltyDecidesWhetherPoorMatchesAreMade) {
  Problem p;
  p.capacity = {5};
  p.candidates = {{0, -2}, {0, -0.5}};
  p.offsets = {0, 1, 2};
  p.unassigned_penalty = 1;  // -2 is worse than leaving the client waiting; -0.5 is not
  auto s = SolveOptimal(p);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->therapist_of, (std::vector<int>{-1, 0}));
  p.unassigned_penalty = 10;
  s = SolveOptimal(p);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->assigned, 2u);
}

TEST(Assign, HighRiskCapIsRespected) {
  Problem p;
  p.capacity = {3, 3};
  p.high_risk_cap = {1, -1};
  p.high_risk = {1, 1, 1};
  // Everyone prefers therapist 0.
  p.candidates = {{0, 2}, {1, 0}, {0, 2}, {1, 0}, {0, 2}, {1, 0}};
  p.offsets = {0, 2, 4, 6};
  auto s = SolveOptimal(p);
  ASSERT_TRUE(s) << s.error().message;
  int at0 = 0;
  for (int t : s->therapist_of) at0 += t == 0 ? 1 : 0;
  EXPECT_EQ(at0, 1);
  EXPECT_EQ(s->assigned, 3u);
  EXPECT_TRUE(CheckFeasible(p, *s));
}

TEST(Assign, OptimalBeatsGreedyAndUsualOnAWaitlist) {
  Problem p = RandomProblem(400, 60, 12, 99);
  for (auto& c : p.capacity) c += 4;
  auto s = SolveOptimal(p);
  auto g = SolveGreedy(p);
  auto u = SolveUsual(p, 5);
  ASSERT_TRUE(s && g && u);
  EXPECT_TRUE(s->certificate.optimal);
  EXPECT_GE(s->objective, g->objective);
  EXPECT_GT(g->objective, u->objective);
}

TEST(Randomise, SplitsArmsInBlocksAndIsDeterministic) {
  Problem p = RandomProblem(200, 30, 8, 4);
  for (auto& c : p.capacity) c += 6;
  auto a = Randomise(p, {1, 1}, 42);
  auto b = Randomise(p, {1, 1}, 42);
  auto c = Randomise(p, {1, 1}, 43);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->matched, b->matched);
  EXPECT_EQ(a->solution.therapist_of, b->solution.therapist_of);
  EXPECT_NE(a->matched, c->matched);
  for (std::size_t i = 0; i + 1 < 200; i += 2) EXPECT_EQ(a->matched[i] + a->matched[i + 1], 1);
  EXPECT_TRUE(CheckFeasible(p, a->solution));
  auto r13 = Randomise(p, {1, 3}, 7);
  ASSERT_TRUE(r13);
  int m = 0;
  for (auto x : r13->matched) m += x;
  EXPECT_EQ(m, 50);
  EXPECT_TRUE(CheckFeasible(p, r13->solution));
}

TEST(Randomise, ParsesAndRefusesArms) {
  auto ok = ParseArms("matched:usual=2:1");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->matched, 2);
  EXPECT_EQ(ok->usual, 1);
  for (const char* bad : {"matched:usual=0:0", "1:1", "matched:usual=a:1", "matched:usual=1", "matched:usual=-1:2"}) {
    auto r = ParseArms(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "randomize");
  }
}

TEST(Assign, RefusesMalformedProblems) {
  Problem p;
  p.capacity = {1, -1};
  p.offsets = {0};
  auto r = SolveOptimal(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "capacity[1]");

  Problem q;
  q.capacity = {1};
  q.candidates = {{3, 1.0}};
  q.offsets = {0, 1};
  r = SolveGreedy(q);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "candidates[0]");

  Problem d;
  d.capacity = {1};
  d.candidates = {{0, 1.0}, {0, 2.0}};
  d.offsets = {0, 2};
  r = SolveOptimal(d);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("twice"), std::string::npos);
}

}  // namespace
}  // namespace attune::match
