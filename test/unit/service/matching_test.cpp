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

// A model term worded for its reader from the term's fields (docs/matching.md's examples): staff
// read about the client, a client about themselves and without numbers of past clients.
model::Term TermOf(model::TermKind kind, const char* key, double value) {
  model::Term term;
  term.kind = kind;
  term.key = key;
  term.value = value;
  return term;
}

TEST(TermReason, WordsEachKindForClientAndStaff) {
  auto fit = TermOf(model::TermKind::FIT, "fit.directiveness", 0.03);
  fit.dimension = 0;
  fit.preferred = model::Pole::HIGH;
  EXPECT_EQ(TermReason(fit, Reader::CLIENT), "fits your preference for a directive style");
  EXPECT_EQ(TermReason(fit, Reader::STAFF), "fits the client's preference for a directive style");
  EXPECT_EQ(TermReason(fit, Reader::CLIENT, false),
            "fits your preferences for how therapy feels (this therapist's style is not shown)");
  EXPECT_EQ(TermReason(fit, Reader::STAFF, false), "fits the client's preference for a directive style");
  // The verb follows the sign of the value (a blend's merged term too), the end the client's lean.
  fit.value = -0.01;
  fit.dimension = 3;
  fit.preferred = model::Pole::LOW;
  EXPECT_EQ(TermReason(fit, Reader::STAFF), "differs from the client's preference for focused challenge");
  EXPECT_EQ(TermReason(fit, Reader::CLIENT, false),
            "differs from your preferences for how therapy feels (this therapist's style is not shown)");
  fit.preferred.reset();
  EXPECT_EQ(TermReason(fit, Reader::STAFF),
            "warm support or challenge: the client's preference or the therapist's style not given, average fit assumed");
  // The probe: a client with no preferences was told a therapist "fits your preferences".
  EXPECT_EQ(TermReason(fit, Reader::CLIENT, true),
            "warm support or challenge: your preference or the therapist's style not given, average fit assumed");
  // The probe: told to a client who had given a preference, about a therapist hiding their style,
  // it said the style had a gap; a hidden style is not told apart from a missing one.
  EXPECT_EQ(TermReason(fit, Reader::CLIENT, false),
            "warm support or challenge: average fit assumed (this therapist's style is not shown)");

  auto facet = TermOf(model::TermKind::FACET, "facet.nonjudge", 0.07);
  facet.dimension = 3;
  facet.level = model::Level::HIGH;
  for (Reader reader : {Reader::CLIENT, Reader::STAFF}) {
    EXPECT_EQ(TermReason(facet, reader), "high non-judging acceptance (therapist's mindfulness profile)");
  }
  // The model sets the raw score only for a therapist who opted in (`mindfulness` client-visible);
  // the probe found the opt-in showed nothing.
  facet.raw_score = 31;
  for (Reader reader : {Reader::CLIENT, Reader::STAFF}) {
    EXPECT_EQ(TermReason(facet, reader),
              "high non-judging acceptance (therapist's mindfulness profile: FFMQ-39 score 31 of 40)");
  }

  auto record = TermOf(model::TermKind::OWN_RECORD, "own.record", 0.2);
  record.past_clients = 3;
  EXPECT_EQ(TermReason(record, Reader::STAFF),
            "alliance of this therapist's 3 past clients: better than the model expects");
  EXPECT_EQ(TermReason(record, Reader::CLIENT),
            "this therapist's past clients here got on with them better than we would expect");
  record.outcome = model::Objective::OUTCOME;
  EXPECT_EQ(TermReason(record, Reader::STAFF),
            "improvement of this therapist's 3 past clients: better than the model expects");
  // The probe: the client's words said neither better nor worse; a record below expectation says so.
  record.value = -0.2;
  EXPECT_EQ(TermReason(record, Reader::STAFF),
            "improvement of this therapist's 3 past clients: below what the model expects");
  EXPECT_EQ(TermReason(record, Reader::CLIENT),
            "this therapist's past clients here got on with them less well than we would expect");

  auto shrinkage = TermOf(model::TermKind::OWN_SHRINKAGE, "own.shrinkage", -0.1);
  shrinkage.reliability = 0.3;
  EXPECT_EQ(TermReason(shrinkage, Reader::STAFF), "few past clients, estimate shrunk towards the average");
  EXPECT_EQ(TermReason(shrinkage, Reader::CLIENT),
            "this therapist has seen few clients here yet, so we keep the guess close to the clinic's average");
  shrinkage.reliability = 0.8;
  EXPECT_EQ(TermReason(shrinkage, Reader::STAFF), "estimate shrunk towards the average");
  EXPECT_EQ(TermReason(shrinkage, Reader::CLIENT), "kept a little closer to the clinic's average, as every guess is");

  auto domain = TermOf(model::TermKind::DOMAIN, "domain.depression", 0.05);
  domain.past_clients = 12;
  domain.domain = "depression";
  EXPECT_EQ(TermReason(domain, Reader::STAFF),
            "record with 12 past clients whose main concern was depression: better than the model expects (shrunk)");
  EXPECT_EQ(TermReason(domain, Reader::CLIENT),
            "this therapist's past clients whose main concern was depression got on better than we would expect");

  auto baseline = TermOf(model::TermKind::BASELINE, "baseline", 0);
  EXPECT_EQ(TermReason(baseline, Reader::STAFF), "average expected alliance in this clinic");
}

// Every term of a real prediction, blended or not, is worded with its verb following its sign.
TEST(TermReason, FitWordingNeverContradictsItsValue) {
  // Three therapists and clients at -1, 0 and +1 on every dimension (standardised as they are):
  // the pair at opposite ends is 2 apart, a fit of 2 - 2^2 < 0; a pair at one point fits, 2 > 0.
  model::TrainingData data;
  for (Id id : {1, 2, 3}) {
    const double at = static_cast<double>(id - 2);
    model::TherapistData t;
    t.id = id;
    t.style = std::array<double, 4>{at, at, at, at};
    data.therapists.push_back(t);
    model::ClientData c;
    c.id = id;
    c.preferences = std::array<double, 4>{at, -at, at, -at};
    data.clients.push_back(c);
  }
  auto m = model::Fit(data);
  ASSERT_TRUE(m) << m.error().message;
  int fits = 0, differs = 0;
  for (const auto& therapist : data.therapists) {
    for (const auto& client : data.clients) {
      for (auto objective : {model::Objective::ALLIANCE, model::Objective::OUTCOME, model::Objective::BLEND}) {
        auto pred = model::Predict(*m, therapist, client, objective, 0.3);
        ASSERT_TRUE(pred) << pred.error().message;
        for (const auto& term : pred->terms) {
          if (term.kind != model::TermKind::FIT) continue;
          const std::string reason = TermReason(term, Reader::STAFF);
          EXPECT_EQ(reason.rfind("fits the client's preference for ", 0) == 0, term.value >= 0) << reason;
          EXPECT_EQ(reason.rfind("differs from the client's preference for ", 0) == 0, term.value < 0) << reason;
          (term.value >= 0 ? fits : differs) += 1;
        }
      }
    }
  }
  EXPECT_GT(fits, 0);
  EXPECT_GT(differs, 0);
}

}  // namespace
}  // namespace attune::service
