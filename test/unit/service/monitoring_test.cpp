// SubmitResponse raises monitor alerts and stores them with their evidence in the response's
// transaction; the alert lifecycle is recorded in the audit log (docs/monitor.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "attune/service/clinic.hpp"
#include "attune/service/service.hpp"
#include "store_fixture.hpp"

namespace attune::service {
namespace {

class MonitoringTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    if (HasFatalFailure()) return;
    Therapist t;
    t.external_id = "t1";
    t.display_name = "T";
    therapist_ = *store_->AddTherapist(org_, t);
    Client c;
    c.external_id = "c1";
    c.pseudonym = "C";
    client_ = *store_->AddClient(org_, c);
    Episode e;
    e.client_id = client_;
    e.therapist_id = therapist_;
    e.started_on = "2026-01-05";
    e.assigned_by = "coordinator";
    episode_ = *store_->AddEpisode(org_, e);
    for (int k = 1; k <= 6; ++k) {
      Session s;
      s.episode_id = episode_;
      s.number = k;
      s.held_at = "2026-01-05T10:00:00Z";
      sessions_.push_back(*store_->AddSession(org_, s));
    }
    service_.emplace(*store_, *catalogue_, instruments::Use::CLINICAL);
  }
  void TearDown() override {
    service_.reset();
    StoreFixture::TearDown();
  }

  Submission Wai(int session, double item, const std::string& key) {
    Submission s;
    s.instrument_id = "wai_sr";
    s.respondent_id = client_;
    s.subject_id = client_;
    s.episode_id = episode_;
    s.session_id = sessions_[static_cast<std::size_t>(session - 1)];
    s.answered_at = "2026-01-05T10:50:00Z";
    s.answers.assign(12, item);
    s.idempotency_key = key;
    return s;
  }

  // A PHQ-9 at intake with item 9 (self-harm) answered `item9`.
  Submission Phq(double item9, const std::string& key) {
    Submission s;
    s.instrument_id = "phq9";
    s.respondent_id = client_;
    s.subject_id = client_;
    s.episode_id = episode_;
    s.answered_at = "2026-01-05T10:00:00Z";
    s.answers = {1, 1, 1, 1, 1, 1, 1, 1, item9, 1};
    s.idempotency_key = key;
    return s;
  }

  std::optional<Service> service_;
  Id therapist_ = 0, client_ = 0, episode_ = 0;
  std::vector<Id> sessions_;
};

TEST_F(MonitoringTest, RuptureStoredWithEvidenceInTheSameSubmission) {
  for (int k = 1; k <= 3; ++k) {
    auto out = service_->SubmitResponse(org_, Wai(k, 4, "w" + std::to_string(k)));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_TRUE(out->alert_ids.empty());
  }
  // All items 4 -> 2: total 48 -> 24, every subscale 16 -> 8: four ruptures.
  auto out = service_->SubmitResponse(org_, Wai(4, 2, "w4"));
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->alert_ids.size(), 4u);
  auto alerts = store_->ListAlertsWithEvidence(org_, episode_);
  ASSERT_TRUE(alerts) << alerts.error().message;
  ASSERT_EQ(alerts->size(), 4u);
  for (const auto& a : *alerts) {
    EXPECT_EQ(a.kind, "rupture");
    EXPECT_EQ(a.response_id, out->response_id);
    auto ev = nlohmann::json::parse(a.evidence);
    EXPECT_EQ(ev["session"], 4);
    EXPECT_EQ(ev["earlier"].size(), 3u);
  }
  // A replay writes nothing more.
  auto again = service_->SubmitResponse(org_, Wai(4, 2, "w4"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(store_->ListAlertsWithEvidence(org_, episode_)->size(), 4u);
  // Back to 4s at session 5: each rupture is repaired (info alerts).
  out = service_->SubmitResponse(org_, Wai(5, 4, "w5"));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->alert_ids.size(), 4u);
  auto assessed = service_->AssessEpisode(org_, episode_);
  ASSERT_TRUE(assessed);
  ASSERT_EQ(assessed->ruptures.size(), 4u);
  EXPECT_EQ(assessed->ruptures[0].status, "repaired");
  EXPECT_EQ(assessed->ruptures[0].repair_session, 5);
}

TEST_F(MonitoringTest, TheOrganisationsOwnThresholdsDecide) {
  // Items 4 -> 3 (total 48 -> 36, subscales 16 -> 12) is a rupture on all four by default. With
  // the organisation's z of 5 and the plain rule none is, and its cutoff of 40 catches the total.
  ASSERT_TRUE(store_->SetMonitorSettings(
      org_, R"({"rupture_z":5,"rupture_subscale_z":5,"rupture_size":0,"rupture_cutoff":40})", store::Actor{"lead"}));
  for (int k = 1; k <= 3; ++k) ASSERT_TRUE(service_->SubmitResponse(org_, Wai(k, 4, "w" + std::to_string(k))));
  auto out = service_->SubmitResponse(org_, Wai(4, 3, "w4"));
  ASSERT_TRUE(out) << out.error().message;
  auto alerts = store_->ListAlertsWithEvidence(org_, episode_);
  ASSERT_TRUE(alerts);
  ASSERT_EQ(alerts->size(), 1u);
  auto ev = nlohmann::json::parse(alerts->at(0).evidence);
  EXPECT_EQ(ev["rule"], "cutoff");
  EXPECT_EQ(ev["cutoff"], 40.0);
  EXPECT_EQ(ev["z"], 5.0);
  // Back to the defaults: the same history raises all four.
  ASSERT_TRUE(store_->SetMonitorSettings(org_, "{}", store::Actor{"lead"}));
  auto assessed = service_->AssessEpisode(org_, episode_);
  ASSERT_TRUE(assessed);
  EXPECT_EQ(assessed->ruptures.size(), 4u);
}

TEST_F(MonitoringTest, RiskItemAndLifecycleInTheAuditLog) {
  auto out = service_->SubmitResponse(org_, Phq(3, "p1"));
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->alert_ids.size(), 1u);
  const Id id = out->alert_ids[0];
  auto alerts = store_->ListAlertsWithEvidence(org_, std::nullopt);
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].severity, "urgent");
  EXPECT_EQ(nlohmann::json::parse((*alerts)[0].evidence)["item"], "phq9_9");
  // Resolving an open alert is refused; acknowledging needs a note.
  EXPECT_EQ(store_->ResolveAlertWithNote(org_, id, "").error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(store_->AcknowledgeAlertWithNote(org_, id, "").error().code, ErrorCode::INVALID_ARGUMENT);
  auto ack = store_->AcknowledgeAlertWithNote(org_, id, "called the client; safety plan agreed", {"dr_a"});
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_FALSE(ack->acknowledged_at.empty());
  EXPECT_EQ(store_->AcknowledgeAlertWithNote(org_, id, "again").error().code, ErrorCode::CONFLICT);
  auto resolved = store_->ResolveAlertWithNote(org_, id, "reviewed at session 2", {"dr_a"});
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_FALSE(resolved->resolved_at.empty());
  EXPECT_NE(resolved->note.find("safety plan"), std::string::npos);
  auto log = store_->AuditLog(org_);
  ASSERT_TRUE(log);
  std::vector<std::string> actions;
  for (const auto& e : *log) actions.push_back(e.action);
  auto at = [&](const std::string& a) { return std::find(actions.begin(), actions.end(), a) - actions.begin(); };
  EXPECT_LT(at("response.create"), at("alert.create"));
  EXPECT_LT(at("alert.create"), at("alert.acknowledge"));
  EXPECT_LT(at("alert.acknowledge"), at("alert.resolve"));
  EXPECT_LT(at("alert.resolve"), static_cast<std::ptrdiff_t>(actions.size()));
  EXPECT_TRUE(store_->VerifyAudit(org_)->ok);
}

TEST_F(MonitoringTest, ClinicReturnsEachRiskAlertOnceAndTheSameOnReplay) {
  // Clinic::SubmitResponse returns the alerts the monitor stored (by the outcome's alert ids); it
  // adds none of its own, so one risk item is one alert in the answer and in the store. A replay
  // answers the first submission's alerts and raises none.
  Clinic clinic(*store_, *catalogue_, instruments::Use::CLINICAL);
  Actor coordinator;
  coordinator.org = org_;
  coordinator.role = Role::COORDINATOR;
  coordinator.handle = "coord";
  const Submission s = Phq(2, "risk-1");
  auto first = clinic.SubmitResponse(coordinator, s);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->alerts.size(), 1u);
  EXPECT_EQ(first->alerts[0].kind, "risk_item");
  EXPECT_EQ(first->alerts[0].id, first->outcome.alert_ids.at(0));
  auto replay = clinic.SubmitResponse(coordinator, s);
  ASSERT_TRUE(replay) << replay.error().message;
  ASSERT_EQ(replay->alerts.size(), 1u);
  EXPECT_EQ(replay->alerts[0].id, first->alerts[0].id);
  auto stored = store_->ListAlertsWithEvidence(org_, episode_);
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].kind, "risk_item");
}

TEST_F(MonitoringTest, ARiskItemOutsideAnEpisodeIsRaisedOnTheClientForTheCoordinators) {
  // A waitlisted client (no episode) endorses PHQ-9 item 9 at intake.
  Client waiting;
  waiting.external_id = "w1";
  waiting.pseudonym = "W";
  const Id client = *store_->AddClient(org_, waiting);
  Clinic clinic(*store_, *catalogue_, instruments::Use::CLINICAL);
  Actor coordinator{org_, 1, Role::COORDINATOR, std::nullopt, std::nullopt, "coord", "test"};
  Actor therapist{org_, 2, Role::THERAPIST, therapist_, std::nullopt, "ther", "test"};
  // The client's PHQ-9, answered with no episode.
  auto waiting_phq = [&](double item9, const std::string& key) {
    Submission s = Phq(item9, key);
    s.respondent_id = client;
    s.subject_id = client;
    s.episode_id.reset();
    return s;
  };
  auto out = clinic.SubmitResponse(coordinator, waiting_phq(1, "waiting-risk"));
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->alerts.size(), 1u);
  const Alert& raised = out->alerts[0];
  EXPECT_EQ(raised.kind, "risk_item");
  EXPECT_EQ(raised.severity, "urgent");
  EXPECT_EQ(raised.episode_id, 0);
  EXPECT_EQ(raised.client_id, client);
  // Nothing else is judged without an episode: a low score raises no other alert.
  auto none = clinic.SubmitResponse(coordinator, waiting_phq(0, "waiting-calm"));
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->alerts.empty());
  // The coordinators see it and handle it; no therapist holds the client yet.
  auto listed = clinic.ListAlerts(coordinator);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(std::count_if(listed->begin(), listed->end(), [&](const Alert& a) { return a.client_id == client; }), 1);
  auto theirs = clinic.ListAlerts(therapist);
  ASSERT_TRUE(theirs) << theirs.error().message;
  EXPECT_TRUE(std::none_of(theirs->begin(), theirs->end(), [&](const Alert& a) { return a.client_id == client; }));
  auto refused = clinic.AcknowledgeAlert(therapist, raised.id, "seen");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::NOT_PERMITTED);
  auto ack = clinic.AcknowledgeAlert(coordinator, raised.id, "called; safety plan; first appointment this week");
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->client_id, client);
  EXPECT_TRUE(store_->VerifyAudit(org_)->ok);
}

TEST_F(MonitoringTest, CurvesTooLittleDataSaySoAndReportRuns) {
  auto curves = service_->FitExpectedResponse(org_);
  ASSERT_TRUE(curves) << curves.error().message;
  EXPECT_TRUE(curves->empty());  // no outcome responses at all
  auto report = service_->MonitorReport(org_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->organisation.episodes, 1u);
  EXPECT_FALSE(service_->MonitorReport(org_, 999).has_value());
}

}  // namespace
}  // namespace attune::service
