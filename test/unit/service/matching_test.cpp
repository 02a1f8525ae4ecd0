// The stored matching model: fitted on demand, reused while fresh (the same object from the
// cache), refitted when the responses grew past the set fraction (docs/matching.md). That a
// stored model read back predicts as the fitted one is checked across processes in
// test/cli/match_cli_test.cpp.
#include "attune/service/matching.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store_fixture.hpp"

namespace attune::service {
namespace {

class MatchingModelTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    if (HasFatalFailure()) return;
    Therapist t;
    t.external_id = "t1";
    t.display_name = "T";
    t.capacity = 5;
    therapist_ = *store_->AddTherapist(org_, t);
  }

  // Adds `n` answered PHQ-9 forms (their content does not matter to the refit rule).
  void AddResponses(int n) {
    for (int k = 0; k < n; ++k) {
      store::ScoredResponse r;
      r.response.instrument_id = "phq9";
      r.response.instrument_version = "1";
      r.response.respondent_id = client_;
      r.response.subject_id = client_;
      r.response.answered_at = "2026-01-05T10:00:00Z";
      r.response.answers.assign(10, 1.0);
      r.response.idempotency_key = "r" + std::to_string(next_++);
      auto out = store_->SubmitResponse(org_, r);
      ASSERT_TRUE(out) << out.error().message;
    }
  }

  Id therapist_ = 0, client_ = 0;
  int next_ = 0;
};

TEST_F(MatchingModelTest, RefitsOnDemandWhenMissingAndWhenDataGrew) {
  Client c;
  c.external_id = "c1";
  c.pseudonym = "C";
  client_ = *store_->AddClient(org_, c);
  AddResponses(10);

  auto first = CurrentMatchModel(*store_, org_);  // nothing stored yet
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->refitted);
  EXPECT_EQ(first->reason, "no stored model");
  EXPECT_EQ(first->responses_at_fit, 10);
  ASSERT_TRUE(first->model);
  EXPECT_FALSE(first->model->fitted_at.empty());

  // Fresh: the stored model, parsed once and then the same cached object.
  auto again = CurrentMatchModel(*store_, org_);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->refitted);
  EXPECT_EQ(again->model->fitted_at, first->model->fitted_at);
  EXPECT_EQ(again->model.get(), CurrentMatchModel(*store_, org_)->model.get());

  // One more response is 10% growth: not more than the default 10%, so still fresh.
  AddResponses(1);
  auto grown = CurrentMatchModel(*store_, org_);
  ASSERT_TRUE(grown);
  EXPECT_FALSE(grown->refitted) << grown->reason;
  EXPECT_EQ(grown->responses_now, 11);
  // Past it: refitted and stored with the new data size.
  AddResponses(1);
  auto refit = CurrentMatchModel(*store_, org_);
  ASSERT_TRUE(refit);
  EXPECT_TRUE(refit->refitted);
  EXPECT_NE(refit->reason.find("responses grew 20% (> 10%)"), std::string::npos) << refit->reason;
  EXPECT_EQ(refit->responses_at_fit, 12);
  auto stored = store_->GetFittedModel(org_, "match.model");
  ASSERT_TRUE(stored && *stored);
  EXPECT_NE(stored->value().find("\"responses\":12"), std::string::npos);
  EXPECT_NE(stored->value().find(refit->model->fitted_at), std::string::npos);

  // A stricter schedule refits sooner; forcing always refits; a negative fraction is refused.
  AddResponses(1);
  ModelFreshness strict;
  strict.refit_growth = 0.05;
  EXPECT_TRUE(CurrentMatchModel(*store_, org_, strict)->refitted);
  EXPECT_TRUE(FitMatchModel(*store_, org_)->refitted);
  strict.refit_growth = -1;
  auto bad = CurrentMatchModel(*store_, org_, strict);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "refit_growth");
}

}  // namespace
}  // namespace attune::service
