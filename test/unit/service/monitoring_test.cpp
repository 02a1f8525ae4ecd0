// SubmitResponse raises monitor alerts and stores them with their evidence in the response's
// transaction; the alert lifecycle is recorded in the audit log (docs/monitor.md).
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "attune/monitor/json.hpp"
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
      s.held_at = fmt::format("2026-01-{:02}T10:00:00Z", 4 + k);  // one a day from 5 January
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
    s.answered_at = fmt::format("2026-01-{:02}T10:50:00Z", 4 + session);  // after the session
    s.answers.assign(12, item);
    s.idempotency_key = key;
    return s;
  }

  // A WAI-SR at `session` whose items add up to `total` (as evenly as whole answers allow).
  Submission WaiTotal(int session, int total, const std::string& key) {
    Submission s = Wai(session, 0, key);
    for (int i = 0; i < 12; ++i) s.answers[static_cast<std::size_t>(i)] = total / 12 + (i < total % 12 ? 1 : 0);
    return s;
  }

  // The stored alerts of the episode of `kind` at `session` (from their evidence).
  std::vector<Alert> AlertsAt(const std::string& kind, int session) {
    std::vector<Alert> out;
    auto stored = store_->ListAlertsWithEvidence(org_, episode_);
    EXPECT_TRUE(stored) << stored.error().message;
    if (!stored) return out;
    for (const auto& a : *stored) {
      if (a.kind == kind && nlohmann::json::parse(a.evidence).value("session", 0) == session) out.push_back(a);
    }
    return out;
  }

  // A PHQ-9 at intake with item 9 (self-harm) answered `item9`.
  Submission Phq(double item9, const std::string& key) {
    Submission s;
    s.instrument_id = "phq9";
    s.respondent_id = client_;
    s.subject_id = client_;
    s.episode_id = episode_;
    s.answered_at = "2026-01-05T09:00:00Z";  // before session 1
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

// The probe: a paper form of session 2 entered after those of sessions 3 and 4 was judged
// against them (its "earlier level" held sessions 3 and 4) and raised a rupture the episode's
// replay, in session order, did not show. Now it is judged at its place.
TEST_F(MonitoringTest, ALateFormIsJudgedAtItsPlaceInTheEpisode) {
  ASSERT_TRUE(service_->SubmitResponse(org_, WaiTotal(1, 40, "a1")));
  ASSERT_TRUE(service_->SubmitResponse(org_, WaiTotal(3, 56, "a3")));
  ASSERT_TRUE(service_->SubmitResponse(org_, WaiTotal(4, 56, "a4")));
  auto late = service_->SubmitResponse(org_, WaiTotal(2, 44, "a2"));
  ASSERT_TRUE(late) << late.error().message;
  EXPECT_TRUE(late->alert_ids.empty());  // 44 is above 40, the one score before it
  auto assessed = service_->AssessEpisode(org_, episode_);
  ASSERT_TRUE(assessed) << assessed.error().message;
  EXPECT_TRUE(assessed->ruptures.empty());
}

// The probe: a late form that opened a rupture already followed by a return raised the rupture,
// left open, while the replay called it repaired; no repair was ever raised. Now the late form
// also raises what the later forms show with it (the repair), and the stored alerts agree.
TEST_F(MonitoringTest, ALateRuptureRaisesTheRepairTheLaterFormsShow) {
  ASSERT_TRUE(service_->SubmitResponse(org_, WaiTotal(1, 48, "b1")));
  ASSERT_TRUE(service_->SubmitResponse(org_, WaiTotal(2, 48, "b2")));
  ASSERT_TRUE(service_->SubmitResponse(org_, WaiTotal(4, 48, "b4")));
  auto late = service_->SubmitResponse(org_, WaiTotal(3, 24, "b3"));
  ASSERT_TRUE(late) << late.error().message;
  EXPECT_EQ(late->alert_ids.size(), 8u);  // four ruptures at session 3, four repairs at 4
  EXPECT_EQ(AlertsAt("rupture", 3).size(), 4u);
  const auto repairs = AlertsAt("rupture_repaired", 4);
  ASSERT_EQ(repairs.size(), 4u);
  EXPECT_NE(repairs[0].detail.find("(seen when the form of session 3 was entered late)"), std::string::npos)
      << repairs[0].detail;
  auto assessed = service_->AssessEpisode(org_, episode_);
  ASSERT_TRUE(assessed) << assessed.error().message;
  ASSERT_EQ(assessed->ruptures.size(), 4u);
  for (const auto& r : assessed->ruptures) {
    EXPECT_EQ(r.session, 3);
    EXPECT_EQ(r.status, "repaired");
    EXPECT_EQ(r.repair_session, 4);
  }
}

// The probe: after the organisation's thresholds changed, a late form raised a rupture again
// that an alert stored under the old thresholds already reported (two open alerts, one rupture).
TEST_F(MonitoringTest, ALateFormDoesNotRaiseAgainWhatIsStored) {
  ASSERT_TRUE(service_->SubmitResponse(org_, WaiTotal(2, 50, "d2")));
  auto fell = service_->SubmitResponse(org_, WaiTotal(3, 40, "d3"));
  ASSERT_TRUE(fell) << fell.error().message;
  ASSERT_EQ(AlertsAt("rupture", 3).size(), fell->alert_ids.size());
  ASSERT_FALSE(fell->alert_ids.empty());
  // Stricter now: without the late form, 40 after 50 is no rupture; with it (60 at session 1),
  // the level is higher and it is one again.
  ASSERT_TRUE(store_->SetMonitorSettings(org_, R"({"rupture_z": 4, "rupture_subscale_z": 4, "rupture_cutoff": 0})", {}));
  auto late = service_->SubmitResponse(org_, WaiTotal(1, 60, "d1"));
  ASSERT_TRUE(late) << late.error().message;
  std::map<std::string, int> per_scale;
  for (const auto& a : AlertsAt("rupture", 3)) ++per_scale[nlohmann::json::parse(a.evidence).value("scale", "")];
  for (const auto& [scale, count] : per_scale) EXPECT_EQ(count, 1) << scale;
}

// Waiting and declined episodes are not therapy and are left out of the report; a rupture still
// open when therapy ended was not repaired (decided), one in therapy going on is not decided yet.
TEST_F(MonitoringTest, TheReportDecidesRupturesOfEndedTherapy) {
  for (int k = 1; k <= 3; ++k) {
    ASSERT_TRUE(service_->SubmitResponse(org_, WaiTotal(k, k < 3 ? 50 : 30, "e" + std::to_string(k))));
  }
  const Id other = AddClient("c2");
  const Id ended = AddEpisodeIn("ended", other, therapist_, "2025-01-06", "2025-06-30");
  ASSERT_NE(AddEpisodeIn("declined", AddClient("c3"), therapist_, "2026-01-05", "2026-01-06"), 0);
  for (int k = 1; k <= 3; ++k) {
    Submission s = WaiTotal(1, k < 3 ? 50 : 30, "f" + std::to_string(k));
    s.respondent_id = s.subject_id = other;
    s.episode_id = ended;
    s.session_id = std::nullopt;
    s.answered_at = fmt::format("2025-0{}-10T10:00:00Z", k + 1);
    ASSERT_TRUE(service_->SubmitResponse(org_, s));
  }
  auto report = service_->MonitorReport(org_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->organisation.episodes, 2u);  // not the declined one
  EXPECT_NEAR(report->organisation.ruptures_per_episode, 1.0, 1e-12);
  EXPECT_EQ(report->organisation.ruptures_undecided, 1u);  // the active episode's
  EXPECT_EQ(report->organisation.repair.n, 1u);             // the ended episode's, unrepaired
  EXPECT_EQ(report->organisation.repair.events, 0u);
}

// The probe: a form that named no session was numbered by its position among the episode's forms
// of its instrument, so after a session without a form it took an earlier session's number.
// Now its time among the sessions held numbers it: an alliance form is about the last session
// held, an outcome measure comes before the next one.
TEST_F(MonitoringTest, AFormWithoutASessionIsAboutTheSessionItWasAnsweredAround) {
  for (int k = 1; k <= 3; ++k) ASSERT_TRUE(service_->SubmitResponse(org_, Wai(k, 4, "c" + std::to_string(k))));
  Submission after_fifth = Wai(5, 2, "c5");  // answered after session 5, session 4 had no form
  after_fifth.session_id = std::nullopt;
  auto out = service_->SubmitResponse(org_, after_fifth);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->alert_ids.size(), 4u);
  EXPECT_EQ(AlertsAt("rupture", 5).size(), 4u);
  Submission before_sixth = Phq(0, "p6");
  before_sixth.answered_at = "2026-01-10T09:00:00Z";  // after session 5, before session 6
  std::vector<monitor::ScaleChange> changes;
  ASSERT_TRUE(service_->SubmitResponse(org_, before_sixth, {}, {}, &changes));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "phq9.total");
  EXPECT_EQ(changes[0].session, 6);
  EXPECT_FALSE(changes[0].since_intake);  // the episode's first PHQ-9 is its intake
}

// Every submission answers with its change figures: since intake and since the last session,
// each with its decision; a replay answers the same.
TEST_F(MonitoringTest, ASubmissionAnswersWithItsChangeAndDecisions) {
  std::vector<monitor::ScaleChange> changes;
  ASSERT_TRUE(service_->SubmitResponse(org_, Phq(0, "i1"), {}, {}, &changes));
  Submission worse = Phq(3, "i2");
  worse.answered_at = "2026-01-06T09:00:00Z";
  worse.answers = {3, 3, 3, 3, 3, 3, 1, 1, 0, 1};  // 9 -> 20
  ASSERT_TRUE(service_->SubmitResponse(org_, worse, {}, {}, &changes));
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_TRUE(changes[0].since_intake && changes[0].since_last);
  EXPECT_EQ(changes[0].session, 2);
  EXPECT_DOUBLE_EQ(changes[0].since_intake->before, 8);
  EXPECT_DOUBLE_EQ(changes[0].since_intake->after, 20);
  EXPECT_EQ(changes[0].since_intake->method, "rule_points");
  EXPECT_EQ(changes[0].since_intake->classification, "reliably_deteriorated");
  std::vector<monitor::ScaleChange> replayed;
  auto again = service_->SubmitResponse(org_, worse, {}, {}, &replayed);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->replayed);
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(monitor::ToJson(replayed[0]), monitor::ToJson(changes[0]));
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

// The probe: a mild intake's PHQ-9 band reached below 0 (lower -0.757), marking scores no one can
// have. The band is kept within the scale's range.
TEST_F(MonitoringTest, TheExpectedBandStaysWithinTheScale) {
  monitor::Curve curve;
  curve.key = "phq9.total";
  curve.available = true;
  curve.b0 = 2;  // an expected 2 at every session, prediction SD 3
  curve.sigma2 = 9;
  curve.episodes = 30;
  ASSERT_TRUE(store_->PutFittedModel(org_, "monitor.curves", "[" + monitor::CurveToJson(curve) + "]", {}));
  ASSERT_TRUE(service_->SubmitResponse(org_, Phq(0, "mild")));
  Clinic clinic(*store_, *catalogue_, instruments::Use::CLINICAL, ReadAuditor{}, Committer{}, MakeClinicCache());
  const Actor coordinator{org_, 1, Role::COORDINATOR, std::nullopt, std::nullopt, "coord", "test"};
  auto band = clinic.Expected(coordinator, client_, "phq9", "total");
  ASSERT_TRUE(band) << band.error().message;
  ASSERT_TRUE(band->available) << band->reason;
  for (const auto& p : band->points) {
    EXPECT_DOUBLE_EQ(p.expected, 2);
    EXPECT_DOUBLE_EQ(p.lower, 0);  // 2 - 1.2816 x 3 = -1.84 before
    EXPECT_NEAR(p.upper, 2 + 1.2816 * 3, 1e-9);
  }
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
