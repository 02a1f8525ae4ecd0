#include "attune/trial/allocation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "attune/trial/registration.hpp"

namespace attune::trial {
namespace {

std::vector<Participant> Therapists(int n, std::uint64_t seed = 7) {
  std::mt19937_64 gen(seed);
  std::vector<Participant> out;
  for (int i = 1; i <= n; ++i) {
    // Scores on a coarse grid so there are ties at the median.
    const double score = static_cast<double>(gen() % 17) / 4.0;
    if (i % 11 == 0) {
      out.push_back({i, std::nullopt});
    } else {
      out.push_back({i, score});
    }
  }
  return out;
}

TrialSpec Spec(std::uint64_t seed = 42) {
  TrialSpec s;
  s.name = "mindful-2027";
  s.strata_facet = "nonjudge";
  s.seed = seed;
  return s;
}

TEST(Allocation, BalancedWithinEveryStratumAndBlock) {
  for (std::uint64_t seed = 1; seed <= 25; ++seed) {
    auto a = Allocate(Spec(seed), Therapists(47, seed));
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_EQ(a->assignments.size(), 47u);
    std::map<std::string, std::map<std::string, int>> per_stratum;
    std::map<std::pair<std::string, int>, std::map<std::string, int>> per_block;
    std::map<std::pair<std::string, int>, int> block_size;
    for (const auto& x : a->assignments) {
      ++per_stratum[x.stratum][x.arm];
      ++per_block[{x.stratum, x.block}][x.arm];
      block_size[{x.stratum, x.block}] = x.block_size;
      EXPECT_TRUE(x.block_size == 2 || x.block_size == 4) << x.block_size;
    }
    EXPECT_EQ(per_stratum.size(), 3u);  // low, high, missing
    for (auto& [stratum, arms] : per_stratum) {
      // Only the stratum's last block can be incomplete: imbalance at most half the largest block.
      EXPECT_LE(std::abs(arms["training"] - arms["control"]), 2) << "seed " << seed << " stratum " << stratum;
    }
    for (auto& [key, arms] : per_block) {
      const int filled = arms["training"] + arms["control"];
      if (filled == block_size[key]) {
        EXPECT_EQ(arms["training"], arms["control"]) << "seed " << seed;
      }
    }
  }
}

TEST(Allocation, MedianSplitPutsTiesLow) {
  std::vector<Participant> p = {{1, 1.0}, {2, 2.0}, {3, 2.0}, {4, 3.0}, {5, 4.0}};
  auto a = Allocate(Spec(), p);
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(a->stratum_cut, 2.0);
  EXPECT_EQ(a->assignments[2].stratum, "low");
  EXPECT_EQ(a->assignments[3].stratum, "high");
}

TEST(Allocation, DeterministicForASeedWhateverTheInputOrder) {
  auto therapists = Therapists(30);
  auto first = Allocate(Spec(9), therapists);
  std::reverse(therapists.begin(), therapists.end());
  auto second = Allocate(Spec(9), therapists);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->hash, second->hash);
  EXPECT_EQ(CanonicalText(*first), CanonicalText(*second));
  auto other = Allocate(Spec(10), therapists);
  ASSERT_TRUE(other);
  EXPECT_NE(first->hash, other->hash);
  // The hash is SHA-256 of the canonical text (64 hex digits).
  EXPECT_EQ(first->hash.size(), 64u);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Allocation, VerificationDetectsTampering) {
  const auto therapists = Therapists(30);
  auto a = Allocate(Spec(), therapists);
  ASSERT_TRUE(a);
  EXPECT_TRUE(VerifyAllocation(*a, therapists));

  // An arm changed and the hash left alone: the hash no longer matches.
  Allocation edited = *a;
  edited.assignments[4].arm = edited.assignments[4].arm == "training" ? "control" : "training";
  auto v = VerifyAllocation(edited, therapists);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(v.error().field, "hash");

  // An arm changed and the hash recomputed: the seed does not reproduce it.
  edited.hash = Sha256Hex(CanonicalText(edited));
  v = VerifyAllocation(edited, therapists);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().field, "assignments");
  EXPECT_NE(v.error().message.find("therapist 5"), std::string::npos) << v.error().message;

  // A different seed claimed afterwards.
  Allocation reseeded = *a;
  reseeded.spec.seed += 1;
  EXPECT_FALSE(VerifyAllocation(reseeded, therapists));
  reseeded.hash = Sha256Hex(CanonicalText(reseeded));
  EXPECT_FALSE(VerifyAllocation(reseeded, therapists));
}

TEST(Allocation, JsonRoundTripVerifies) {
  const auto therapists = Therapists(20);
  auto a = Allocate(Spec(), therapists);
  ASSERT_TRUE(a);
  auto back = ParseAllocationJson(AllocationJson(*a));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->hash, a->hash);
  EXPECT_TRUE(VerifyAllocation(*back, therapists));
  auto bad = ParseAllocationJson(R"({"name": "x", "design": "parallel"})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "arms");
}

// A recorded schedule is hashed with the allocation (an edited date is caught), survives the JSON
// record, is published in the pre-registration, and is refused when malformed.
TEST(Allocation, ScheduleIsHashedRecordedAndChecked) {
  const auto therapists = Therapists(20);
  TrialSpec spec = Spec();
  auto plain = Allocate(spec, therapists);
  ASSERT_TRUE(plain);
  spec.allocated_on = "2026-09-28";
  spec.period_starts = {"2026-11-23"};
  spec.followup_from = "2027-02-15";
  auto a = Allocate(spec, therapists);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_NE(a->hash, plain->hash);
  EXPECT_NE(CanonicalText(*a).find("period_starts=2026-11-23"), std::string::npos);
  auto back = ParseAllocationJson(AllocationJson(*a));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->spec.period_starts, spec.period_starts);
  EXPECT_EQ(back->spec.followup_from, spec.followup_from);
  EXPECT_TRUE(VerifyAllocation(*back, therapists));
  Allocation edited = *back;
  edited.spec.period_starts = {"2026-12-01"};
  auto v = VerifyAllocation(edited, therapists);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().field, "hash");
  EXPECT_NE(RegistrationJson(*a, "2026-09-28T09:00:00Z").find("2026-11-23"), std::string::npos);
  EXPECT_NE(RegistrationMarkdown(*a, "2026-09-28T09:00:00Z").find("period_1_starts: 2026-11-23"),
            std::string::npos);

  TrialSpec bad = spec;
  bad.period_starts = {"2026-09-01"};  // before the allocation
  auto r = Allocate(bad, therapists);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "period_starts[0]");
  bad = spec;
  bad.design = Design::STEPPED_WEDGE;  // 3 steps need 3 period starts
  r = Allocate(bad, therapists);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "period_starts");
  bad = spec;
  bad.followup_from = "15/02/2027";
  r = Allocate(bad, therapists);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("\"15/02/2027\" is not a date"), std::string::npos) << r.error().message;
}

TEST(Allocation, SteppedWedgeBalancesSteps) {
  TrialSpec s = Spec();
  s.design = Design::STEPPED_WEDGE;
  s.steps = 4;
  s.strata_facet.clear();
  auto a = Allocate(s, Therapists(26));
  ASSERT_TRUE(a) << a.error().message;
  std::map<int, int> per_step;
  for (const auto& x : a->assignments) {
    EXPECT_EQ(x.arm, "step_" + std::to_string(x.step));
    ++per_step[x.step];
  }
  ASSERT_EQ(per_step.size(), 4u);
  for (auto& [step, count] : per_step) {
    EXPECT_GE(count, 26 / 4 - 2) << step;
    EXPECT_LE(count, 26 / 4 + 2) << step;
  }
}

TEST(Allocation, RefusesBadArgumentsNamingThem) {
  auto d = ParseDesign("crossover");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().field, "design");
  EXPECT_NE(d.error().message.find("\"crossover\""), std::string::npos);

  auto arms = ParseArms("training");
  ASSERT_FALSE(arms);
  EXPECT_EQ(arms.error().field, "arms");
  EXPECT_NE(arms.error().message.find("training"), std::string::npos);
  EXPECT_FALSE(ParseArms("training:training"));
  EXPECT_FALSE(ParseArms("training:"));
  auto ok = ParseArms("training:waitlist:control");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), 3u);

  TrialSpec s = Spec();
  s.name = "bad name";
  auto r = Allocate(s, Therapists(10));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "name");
  EXPECT_NE(r.error().message.find("bad name"), std::string::npos);

  auto dup = Allocate(Spec(), {{1, 1.0}, {2, 2.0}, {2, 3.0}});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().field, "therapists");
  EXPECT_NE(dup.error().message.find("id 2"), std::string::npos);

  TrialSpec wedge = Spec();
  wedge.design = Design::STEPPED_WEDGE;
  wedge.steps = 5;
  auto few = Allocate(wedge, Therapists(3));
  ASSERT_FALSE(few);
  EXPECT_EQ(few.error().field, "steps");
  wedge.steps = 1;  // training would coincide with period 1
  auto one = Allocate(wedge, Therapists(6));
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().field, "steps");
  EXPECT_NE(one.error().message.find("expected at least 2"), std::string::npos) << one.error().message;

  TrialSpec blocks = Spec();
  blocks.block_multiples = {0};
  auto b = Allocate(blocks, Therapists(10));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().field, "block_multiples");
}

TEST(Registration, PublishesHashNotSeedOrAllocation) {
  auto a = Allocate(Spec(123456789), Therapists(20));
  ASSERT_TRUE(a);
  const std::string json = RegistrationJson(*a, "2026-11-26T21:00:00Z");
  EXPECT_NE(json.find(a->hash), std::string::npos);
  EXPECT_EQ(json.find("123456789"), std::string::npos);
  EXPECT_EQ(json.find("\"training\": "), std::string::npos);
  EXPECT_NE(json.find("analysis_plan"), std::string::npos);
  EXPECT_NE(json.find("measurement_schedule"), std::string::npos);
  const std::string md = RegistrationMarkdown(*a, "2026-11-26T21:00:00Z");
  EXPECT_NE(md.find(a->hash), std::string::npos);
  EXPECT_NE(md.find("## Analysis plan"), std::string::npos);
  EXPECT_EQ(md.find("123456789"), std::string::npos);
}

}  // namespace
}  // namespace attune::trial
