// service::Clinic with a shared ClinicCache: sign-out through one Clinic refuses the session in
// every Clinic sharing the cache; recommendations from the prepared therapist index equal a naive
// ranking (filter, score, stable sort by score) and see writes made through the server at once.
#include "attune/service/clinic.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "unit/service/store_fixture.hpp"

namespace attune::service {
namespace {

class ClinicTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    if (HasFatalFailure()) return;
    cache_ = MakeClinicCache();
    a_.emplace(*store_, *catalogue_, instruments::Use::CLINICAL, ReadAuditor{}, Committer{}, cache_);
    b_.emplace(*store_, *catalogue_, instruments::Use::CLINICAL, ReadAuditor{}, Committer{}, cache_);
    coordinator_ = Actor{org_, 1, Role::COORDINATOR, std::nullopt, std::nullopt, "coord", "test"};
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    StoreFixture::TearDown();
  }

  // The rule Clinic::Recommend documents, written plainly over every therapist row.
  std::vector<std::pair<Id, double>> Naive(const Client& client, std::size_t limit) {
    auto therapists = store_->ListTherapists(org_);
    EXPECT_TRUE(therapists);
    std::vector<std::pair<Id, double>> out;
    for (const auto& t : *therapists) {
      if (!t.accepting || t.capacity <= 0) continue;
      bool fits = true;
      for (const auto& c : client.constraints) {
        if (c.rfind("language:", 0) == 0 &&
            std::find(t.languages.begin(), t.languages.end(), c.substr(9)) == t.languages.end()) {
          fits = false;
        }
        if (c.rfind("modality:", 0) == 0 && t.modality != c.substr(9) && t.modality != "both") fits = false;
      }
      if (!fits) continue;
      double distance = 0;
      int dims = 0;
      for (const auto& [dim, want] : client.preferences) {
        auto it = t.style.find(dim);
        if (it == t.style.end()) continue;
        distance += (it->second - want) * (it->second - want);
        ++dims;
      }
      out.emplace_back(t.id, dims == 0 ? 0.5 : 1.0 / (1.0 + std::sqrt(distance / dims)));
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
    if (limit > 0 && out.size() > limit) out.resize(limit);
    return out;
  }

  std::vector<std::pair<Id, double>> Ranked(Clinic& clinic, Id client, std::size_t limit) {
    auto recs = clinic.Recommend(coordinator_, client, limit);
    EXPECT_TRUE(recs) << recs.error().message;
    std::vector<std::pair<Id, double>> out;
    if (recs) {
      for (const auto& r : *recs) out.emplace_back(r.therapist.id, r.score);
    }
    return out;
  }

  std::shared_ptr<ClinicCache> cache_;
  std::optional<Clinic> a_, b_;
  Actor coordinator_;
};

TEST_F(ClinicTest, SignOutThroughOneClinicRefusesTheSessionInAnotherSharingTheCache) {
  auto user = store_->AddUser(org_, User{org_, 0, "coord", Role::COORDINATOR});
  ASSERT_TRUE(user);
  auto hash = HashPassword("a long password");
  ASSERT_TRUE(hash);
  ASSERT_TRUE(store_->SetUserLogin(org_, *user, *hash, std::nullopt, std::nullopt, {}));
  auto signed_in = a_->SignIn("coord", "a long password", std::nullopt, "test");
  ASSERT_TRUE(signed_in) << signed_in.error().message;
  auto seen = b_->Authenticate(signed_in->token, "elsewhere");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->user_id, *user);
  EXPECT_EQ(seen->address, "elsewhere");  // the cached actor carries this request's address
  ASSERT_TRUE(b_->Authenticate(signed_in->token, "again"));  // now from the cache
  ASSERT_TRUE(a_->SignOut(*seen, signed_in->token));
  auto after = b_->Authenticate(signed_in->token, "elsewhere");
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::UNAUTHENTICATED);
}

TEST_F(ClinicTest, RecommendationsEqualTheNaiveRankingAndSeeWritesAtOnce) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> position(-2, 2), pick(0, 9);
  const char* dims[] = {"directiveness", "emotional_intensity", "warm_support", "challenge"};
  for (int i = 0; i < 60; ++i) {
    Therapist t;
    t.display_name = "T" + std::to_string(i);
    t.external_id = "t" + std::to_string(i);
    for (const char* d : dims) {
      if (pick(rng) < 7) t.style[d] = position(rng);  // some dimensions not given
    }
    t.languages = pick(rng) < 7 ? std::vector<std::string>{"en"} : std::vector<std::string>{"en", "de"};
    t.modality = pick(rng) < 4 ? "both" : pick(rng) < 5 ? "video" : "in_person";
    t.capacity = pick(rng) < 1 ? 0 : 5;
    t.accepting = pick(rng) < 9;
    auto id = store_->AddTherapist(org_, t);
    ASSERT_TRUE(id) << id.error().message;
  }
  Client c;
  c.pseudonym = "C1";
  c.external_id = "c1";
  c.preferences = {{"directiveness", 1}, {"warm_support", 2}, {"unknown_dimension", 1}};
  c.constraints = {"language:de", "modality:video"};
  auto client = store_->AddClient(org_, c);
  ASSERT_TRUE(client) << client.error().message;
  c.id = *client;

  EXPECT_EQ(Ranked(*a_, *client, 5), Naive(c, 5));
  EXPECT_EQ(Ranked(*a_, *client, 0), Naive(c, 0));
  EXPECT_FALSE(Naive(c, 0).empty());

  // An intake change through one Clinic is seen by the other at once (cached client row dropped).
  c.preferences = {{"challenge", -2}};
  c.constraints = {};
  ASSERT_TRUE(b_->UpdateIntake(coordinator_, c));
  EXPECT_EQ(Ranked(*a_, *client, 7), Naive(c, 7));

  // A therapist created through one Clinic is ranked by the other at once.
  Therapist best;
  best.display_name = "exact fit";
  best.external_id = "t-best";
  best.style = {{"challenge", -2}};
  best.languages = {"en"};
  best.modality = "both";
  best.capacity = 3;
  auto added = b_->CreateTherapist(coordinator_, best);
  ASSERT_TRUE(added) << added.error().message;
  auto top = Ranked(*a_, *client, 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top, Naive(c, 1));
  EXPECT_DOUBLE_EQ(top[0].second, 1.0);
}

}  // namespace
}  // namespace attune::service
