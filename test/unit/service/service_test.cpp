#include "attune/service/json.hpp"
#include "attune/service/service.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "unit/service/store_fixture.hpp"

namespace attune::service {
namespace {

class ServiceTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    if (HasFatalFailure()) return;
    // Clients 1-5: a response must be about a client of the organisation.
    for (int i = 1; i <= 5; ++i) {
      Client c;
      c.external_id = "c" + std::to_string(i);
      c.pseudonym = "Client " + std::to_string(i);
      ASSERT_EQ(*store_->AddClient(org_, c), i);
    }
    service_.emplace(*store_, *catalogue_, instruments::Use::CLINICAL);
  }
  void TearDown() override {
    service_.reset();
    StoreFixture::TearDown();
  }

  Id AddTherapistNamed(const std::string& external_id) {
    Therapist t;
    t.external_id = external_id;
    t.display_name = "T " + external_id;
    auto id = store_->AddTherapist(org_, t);
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : 0;
  }

  Submission Phq9(const std::string& key, std::vector<std::optional<double>> answers) {
    Submission s;
    s.instrument_id = "phq9";
    s.respondent_id = 3;
    s.subject_id = 3;
    s.answered_at = "2026-11-26T09:00:00Z";
    s.answers = std::move(answers);
    s.idempotency_key = key;
    return s;
  }

  std::optional<Service> service_;
};

TEST_F(ServiceTest, SubmitScoresAndStoresInOneGo) {
  // PHQ-9 total = 1+2+3+0+1+2+3+0+1 = 13 (item 10, difficulty, is not scored).
  auto outcome = service_->SubmitResponse(org_, Phq9("k1", {1, 2, 3, 0, 1, 2, 3, 0, 1, 2}));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_FALSE(outcome->replayed);
  ASSERT_FALSE(outcome->scores.empty());
  auto stored = store_->ScoresOf(org_, outcome->response_id);
  ASSERT_TRUE(stored);
  bool found_total = false;
  for (const auto& s : *stored) {
    if (s.scale_id == "total") {
      found_total = true;
      EXPECT_EQ(s.value, 13.0);
      EXPECT_EQ(s.caseness, true);  // cutoff 10
      EXPECT_FALSE(s.band.empty());
    }
  }
  EXPECT_TRUE(found_total);
  auto response = store_->GetResponse(org_, outcome->response_id);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->instrument_version, "1.0");

  auto again = service_->SubmitResponse(org_, Phq9("k1", {1, 2, 3, 0, 1, 2, 3, 0, 1, 2}));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->response_id, outcome->response_id);
  EXPECT_EQ(*store_->CountResponses(org_), 1);
}

// A risk item outside an episode (a waitlisted client's PHQ-9, item 9 = 1): there is no session,
// and the evidence said "session": 1.
TEST_F(ServiceTest, ARiskAlertOutsideAnEpisodeHasNoSession) {
  auto outcome = service_->SubmitResponse(org_, Phq9("risk", {0, 0, 0, 0, 0, 0, 0, 0, 1, 0}));
  ASSERT_TRUE(outcome) << outcome.error().message;
  auto alerts = store_->ListAlerts(org_);
  ASSERT_TRUE(alerts) << alerts.error().message;
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(alerts->front().episode_id, 0);
  const auto evidence = nlohmann::json::parse(alerts->front().evidence);
  ASSERT_TRUE(evidence.contains("session")) << evidence;
  EXPECT_TRUE(evidence["session"].is_null()) << evidence;
  EXPECT_EQ(evidence["item"], "phq9_9");
}

TEST_F(ServiceTest, OutOfRangeAnswerIsRefusedAndNothingWritten) {
  auto outcome = service_->SubmitResponse(org_, Phq9("k1", {1, 2, 7, 0, 1, 2, 3, 0, 1, 2}));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(outcome.error().field, "phq9_3");
  auto short_answers = service_->SubmitResponse(org_, Phq9("k2", {1, 2}));
  EXPECT_FALSE(short_answers);
  auto unknown = Phq9("k3", {1});
  unknown.instrument_id = "nope";
  EXPECT_FALSE(service_->SubmitResponse(org_, unknown));
  EXPECT_EQ(*store_->CountResponses(org_), 0);
}

TEST_F(ServiceTest, AnswerTimesAreCheckedAndStoredInUtc) {
  auto local = Phq9("k-local", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  local.answered_at = "2026-11-26T10:00:00+01:00";
  auto outcome = service_->SubmitResponse(org_, local);
  ASSERT_TRUE(outcome) << outcome.error().message;
  auto response = store_->GetResponse(org_, outcome->response_id);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->answered_at, "2026-11-26T09:00:00Z");
  auto unclear = Phq9("k-unclear", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  unclear.answered_at = "26/11/2026 10:00";
  auto refused = service_->SubmitResponse(org_, unclear);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "answered_at");
  EXPECT_NE(refused.error().message.find("\"26/11/2026 10:00\""), std::string::npos) << refused.error().message;
  EXPECT_EQ(*store_->CountResponses(org_), 1);
}

const char* kHeader =
    "key,subject_id,answered_at,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8,phq9_9,phq9_10\n";

// The probe: `attune import responses` stored a row naming a declined episode, which the API
// refuses. A form belongs to therapy that began, whichever door it comes by.
TEST_F(ServiceTest, ImportRefusesAResponseOnAWaitingOrDeclinedEpisode) {
  const Id therapist = AddTherapistNamed("t1");
  const Id declined = AddEpisodeIn("declined", 1, therapist, "2026-10-01", "2026-10-02");
  const Id waiting = AddEpisodeIn("waiting", 2, therapist, "2026-10-01");
  ASSERT_NE(declined, 0);
  ASSERT_NE(waiting, 0);
  std::istringstream in(
      "key,subject_id,episode_id,answered_at,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8,phq9_9,phq9_10\n" +
      fmt::format("d1,1,{},2026-11-01,0,1,2,3,0,1,2,3,0,1\nw1,2,{},2026-11-01,0,1,2,3,0,1,2,3,0,1\n", declined, waiting));
  ImportOptions options;
  options.instrument_id = "phq9";
  options.partial = true;
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->imported, 0);
  ASSERT_EQ(report->refused.size(), 2u);
  EXPECT_EQ(report->refused[0].column, 3u);
  EXPECT_EQ(report->refused[0].reason,
            fmt::format("episode_id {} is declined; expected an active or ended episode", declined));
  EXPECT_EQ(report->refused[1].reason,
            fmt::format("episode_id {} is waiting; expected an active or ended episode", waiting));
  EXPECT_EQ(*store_->CountResponses(org_), 0);
}

// A form of an episode answered before the episode began is refused by the import as by the API
// (the API's rule came first; an import stored such rows).
TEST_F(ServiceTest, ImportRefusesAFormOfAnEpisodeAnsweredBeforeItBegan) {
  const Id therapist = AddTherapistNamed("t1");
  const Id episode = AddEpisodeIn("active", 1, therapist, "2026-10-01");
  ASSERT_NE(episode, 0);
  std::istringstream in(
      "key,subject_id,episode_id,answered_at,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8,phq9_9,phq9_10\n" +
      fmt::format("early,1,{0},1900-01-01T10:00:00Z,0,1,2,3,0,1,2,3,0,1\nok,1,{0},2026-10-01,0,1,2,3,0,1,2,3,0,1\n",
                  episode));
  ImportOptions options;
  options.instrument_id = "phq9";
  options.partial = true;
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->imported, 1);
  ASSERT_EQ(report->refused.size(), 1u);
  EXPECT_EQ(report->refused[0].column, 4u);
  EXPECT_EQ(report->refused[0].reason,
            fmt::format("answered_at is \"1900-01-01T10:00:00Z\", before episode {} started (started_on 2026-10-01); "
                        "expected a time once therapy began (a form answered before therapy names no episode_id)",
                        episode));
}

// Spaces a spreadsheet leaves around a number are not part of it ("1 " was refused as not a
// number); anything else beside the number still is.
TEST_F(ServiceTest, ImportReadsNumbersWithSpacesAroundThem) {
  std::istringstream in(std::string(kHeader) + "s1, 1 ,2026-11-01,0 , 1,2,3,0,1,2,3,0,1\n" +
                        "s2,1,2026-11-01,0,1 x,2,3,0,1,2,3,0,1\n");
  ImportOptions options;
  options.instrument_id = "phq9";
  options.partial = true;
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->imported, 1);
  ASSERT_EQ(report->refused.size(), 1u);
  EXPECT_EQ(report->refused[0].line, 3u);
  EXPECT_EQ(report->refused[0].reason, "phq9_2 '1 x' is not a number");
}

// The probe: a therapist's form in an episode, with no respondent_id, was stored as answered by
// the client's id read as a therapist's; a respondent_id naming another therapist, or no one, was
// taken. The respondent is now the one a submission has (the episode's therapist; for a client's
// form the client), and a respondent_id that differs is refused at its column.
TEST_F(ServiceTest, ImportTakesTheRespondentASubmissionWouldAndRefusesAnother) {
  const Id first = AddTherapistNamed("t1");
  const Id second = AddTherapistNamed("t2");
  const Id episode = AddEpisodeIn("active", 1, second, "2026-10-01");
  std::string header = "key,subject_id,respondent_id,episode_id,answered_at";
  for (int i = 1; i <= 12; ++i) header += fmt::format(",wai_srt_{}", i);
  const std::string answers = ",3,3,3,3,3,3,3,3,3,3,3,3\n";
  std::istringstream in(header + "\n" + fmt::format("a,1,,{},2026-11-01", episode) + answers +
                        fmt::format("b,1,{},{},2026-11-02", first, episode) + answers +
                        fmt::format("c,1,99999,{},2026-11-03", episode) + answers +
                        fmt::format("d,1,{},{},2026-11-04", second, episode) + answers);
  ImportOptions options;
  options.instrument_id = "wai_srt";
  options.partial = true;
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->imported, 2);
  ASSERT_EQ(report->refused.size(), 2u);
  EXPECT_EQ(report->refused[0].line, 3u);
  EXPECT_EQ(report->refused[0].column, 3u);
  EXPECT_EQ(report->refused[0].reason,
            fmt::format("respondent_id {} is not who answers this form; expected {} (the therapist of episode {})",
                        first, second, episode));
  EXPECT_EQ(report->refused[1].line, 4u);
  store::ResponseFilter filter;
  filter.subject_id = 1;
  auto stored = store_->ListResponses(org_, filter);
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->size(), 2u);
  for (const auto& r : *stored) EXPECT_EQ(r.respondent_id, second) << r.idempotency_key;

  // A client's form is the client's: another client as respondent is refused.
  std::istringstream phq(std::string("key,subject_id,respondent_id,answered_at,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,"
                                     "phq9_6,phq9_7,phq9_8,phq9_9,phq9_10\n") +
                         "p1,2,2,2026-11-01,0,1,2,3,0,1,2,3,0,1\np2,2,3,2026-11-01,0,1,2,3,0,1,2,3,0,1\n");
  options.instrument_id = "phq9";
  auto client_form = service_->ImportResponses(org_, phq, options);
  ASSERT_TRUE(client_form) << client_form.error().message;
  EXPECT_EQ(client_form->imported, 1);
  ASSERT_EQ(client_form->refused.size(), 1u);
  EXPECT_EQ(client_form->refused[0].reason,
            "respondent_id 3 is not who answers this form; expected 2 (the client, subject_id)");
}

// The probe: answered_at 2099-01-05 was imported; the API refuses a time more than five minutes
// ahead of the clock (a date alone: after tomorrow in UTC), and so does the import now.
TEST_F(ServiceTest, ImportRefusesAnAnswerTimeInTheFuture) {
  std::istringstream in(std::string(kHeader) + "f1,1,2099-01-05,0,1,2,3,0,1,2,3,0,1\n" +
                        "f2,1,2099-01-05T10:00:00+02:00,0,1,2,3,0,1,2,3,0,1\n" +
                        "ok,1,2026-11-01,0,1,2,3,0,1,2,3,0,1\n");
  ImportOptions options;
  options.instrument_id = "phq9";
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->imported, 0);  // one refused row: nothing written
  ASSERT_EQ(report->refused.size(), 2u);
  EXPECT_EQ(report->refused[0].line, 2u);
  EXPECT_EQ(report->refused[0].column, 3u);
  EXPECT_EQ(report->refused[0].reason.rfind("answered_at '2099-01-05' is in the future; expected the time the form "
                                            "was answered (", 0),
            0u)
      << report->refused[0].reason;
  EXPECT_NE(report->refused[1].reason.find("'2099-01-05T10:00:00+02:00'"), std::string::npos);
  EXPECT_EQ(*store_->CountResponses(org_), 0);
}

// An imported risk answer raises its urgent alert, stored with the rows (an import raised none
// before 2026-11-27); a refused import stores none.
TEST_F(ServiceTest, ImportedRiskAnswersRaiseTheirAlertsWithTheRows) {
  const std::string rows = std::string(kHeader) + "a,1,2026-11-01,0,1,2,3,0,1,2,3,0,1\n" +
                           "b,2,2026-11-02,0,1,2,3,0,1,2,3,2,1\n";
  ImportOptions options;
  options.instrument_id = "phq9";
  std::istringstream refused_file(rows + "c,x,2026-11-01,0,1,2,3,0,1,2,3,0,1\n");
  auto refused = service_->ImportResponses(org_, refused_file, options);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->imported, 0);
  EXPECT_EQ(refused->risk_alerts, 0);
  EXPECT_TRUE(store_->ListAlerts(org_)->empty());

  std::istringstream in(rows);
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->imported, 2);
  EXPECT_EQ(report->risk_alerts, 1);
  auto alerts = store_->ListAlerts(org_);
  ASSERT_TRUE(alerts) << alerts.error().message;
  ASSERT_EQ(alerts->size(), 1u);
  const Alert& alert = alerts->front();
  EXPECT_EQ(alert.kind, "risk_item");
  EXPECT_EQ(alert.severity, "urgent");
  EXPECT_EQ(alert.client_id, std::optional<Id>(2));
  EXPECT_EQ(alert.episode_id, 0);
  EXPECT_TRUE(alert.response_id.has_value());
  EXPECT_EQ(store_->GetResponse(org_, *alert.response_id)->idempotency_key, "b");
  EXPECT_NE(alert.detail.find("item phq9_9 answered 2"), std::string::npos) << alert.detail;
  EXPECT_NE(alert.detail.find("(imported; answered 2026-11-02, outside an episode)"), std::string::npos)
      << alert.detail;
  auto log = store_->AuditLog(org_);
  ASSERT_TRUE(log);
  EXPECT_EQ(std::count_if(log->begin(), log->end(), [](const AuditEntry& e) { return e.action == "alert.create"; }), 1);
}

TEST_F(ServiceTest, ImportRefusesTheWholeFileForOneBadRowByDefault) {
  std::string csv = std::string(kHeader) +
                    "a,1,2026-11-01,0,1,2,3,0,1,2,3,0,1\n"
                    "b,2,2026-11-01,0,1,9,3,0,1,2,3,0,1\n"
                    "c,x,2026-11-01,0,1,2,3,0,1,2,3,0,1\n"
                    "d,4,2026-11-01,0,1,2,3,0,1,2,3,0\n"
                    "e,5,11/01/2026,0,1,2,3,0,1,2,3,0,1\n";
  std::istringstream in(csv);
  ImportOptions options;
  options.instrument_id = "phq9";
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->rows, 5);
  EXPECT_EQ(report->imported, 0);
  ASSERT_EQ(report->refused.size(), 4u);
  EXPECT_EQ(report->refused[0].line, 3u);
  EXPECT_EQ(report->refused[0].column, 6u);  // phq9_3
  EXPECT_NE(report->refused[0].reason.find("phq9_3"), std::string::npos);
  EXPECT_EQ(report->refused[1].line, 4u);
  EXPECT_EQ(report->refused[1].column, 2u);  // subject_id
  EXPECT_EQ(report->refused[2].line, 5u);
  EXPECT_EQ(report->refused[2].column, 0u);  // wrong width
  EXPECT_EQ(report->refused[3].line, 6u);
  EXPECT_EQ(report->refused[3].column, 3u);  // answered_at
  EXPECT_NE(report->refused[3].reason.find("'11/01/2026'"), std::string::npos) << report->refused[3].reason;
  EXPECT_EQ(*store_->CountResponses(org_), 0);

  std::istringstream again(csv);
  options.partial = true;
  auto partial = service_->ImportResponses(org_, again, options);
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->imported, 1);
  EXPECT_EQ(*store_->CountResponses(org_), 1);
}

TEST_F(ServiceTest, ImportReadsAHeaderAfterAByteOrderMark) {
  std::istringstream in(std::string("\xEF\xBB\xBF") + kHeader + "a,1,2026-11-01,0,1,2,3,0,1,2,3,0,1\n");
  ImportOptions options;
  options.instrument_id = "phq9";
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->imported, 1);
}

TEST_F(ServiceTest, ImportRefusesAnUnusableHeader) {
  std::istringstream in("key,subject_id,answered_at,phq9_1,bogus\n");
  ImportOptions options;
  options.instrument_id = "phq9";
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("bogus"), std::string::npos);
}

TEST_F(ServiceTest, AnswersWithinTheToleranceAreStoredAndMonitoredAsTheOption) {
  // Sent as 1.0000000001, -0, 1e-320 and, on item 9 (risk "above 0"), 1e-10: accepted as 1, 0, 0
  // and 0, and so stored, scored and watched (no urgent alert for "answered 1e-10").
  auto outcome = service_->SubmitResponse(org_, Phq9("k-near", {1.0000000001, -0.0, 1e-320, 0, 0, 0, 0, 0, 1e-10, 0}));
  ASSERT_TRUE(outcome) << outcome.error().message;
  auto stored = store_->GetResponse(org_, outcome->response_id);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->answers.size(), 10u);
  EXPECT_EQ(*stored->answers[0], 1.0);
  EXPECT_EQ(*stored->answers[1], 0.0);
  EXPECT_FALSE(std::signbit(*stored->answers[1]));
  EXPECT_EQ(*stored->answers[2], 0.0);
  EXPECT_EQ(*stored->answers[8], 0.0);
  EXPECT_TRUE(store_->ListAlerts(org_)->empty());

  std::istringstream in(std::string(kHeader) + "imp-near,4,2026-11-01,1.0000000001,-0,1e-320,0,0,0,0,0,1e-10,0\n");
  ImportOptions options;
  options.instrument_id = "phq9";
  auto report = service_->ImportResponses(org_, in, options);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->imported, 1);
  auto imported = store_->FindResponseByKey(org_, "imp-near");
  ASSERT_TRUE(imported && *imported);
  EXPECT_EQ(*(*imported)->answers[0], 1.0);
  EXPECT_FALSE(std::signbit(*(*imported)->answers[1]));
  EXPECT_EQ(*(*imported)->answers[2], 0.0);
  EXPECT_EQ(*(*imported)->answers[8], 0.0);
}

TEST_F(ServiceTest, ImportRefusesTextThatIsNotUtf8AtItsLineAndColumn) {
  // Imported, a 0xFF byte made GET /clients/{id} answer 500 (SQLite) or the import fail with the
  // driver's text and no line (PostgreSQL).
  std::istringstream clients("external_id,pseudonym\nC1,Blue\nC2,Gr\xFF" "en\n");
  auto c = service_->ImportClients(org_, clients, {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->imported, 0);
  ASSERT_EQ(c->refused.size(), 1u);
  EXPECT_EQ(c->refused[0].line, 3u);
  EXPECT_EQ(c->refused[0].column, 2u);
  EXPECT_EQ(c->refused[0].reason, "pseudonym is not valid UTF-8 (byte 0xFF at byte 3); expected UTF-8 text");
  std::istringstream nul(std::string("external_id,pseudonym\nC3,nul") + '\0' + "in\n");
  auto n = service_->ImportClients(org_, nul, {});
  ASSERT_TRUE(n);
  ASSERT_EQ(n->refused.size(), 1u);
  EXPECT_EQ(n->refused[0].reason, "pseudonym contains a NUL character (at byte 4); expected text without one");
  // A name is one line, even quoted across two.
  std::istringstream broken_name("external_id,display_name\nT1,\"Dr\nOne\"\n");
  auto t = service_->ImportTherapists(org_, broken_name, {});
  ASSERT_TRUE(t);
  ASSERT_EQ(t->refused.size(), 1u);
  EXPECT_EQ(t->refused[0].column, 2u);
  // Response keys as well (the key column of `attune import responses`).
  std::istringstream responses(std::string(kHeader) + "k\xFF,1,2026-11-01,0,1,2,3,0,1,2,3,0,1\n");
  ImportOptions options;
  options.instrument_id = "phq9";
  auto r = service_->ImportResponses(org_, responses, options);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->refused.size(), 1u);
  EXPECT_EQ(r->refused[0].column, 1u);
  EXPECT_EQ(r->refused[0].reason, "key is not valid UTF-8 (byte 0xFF at byte 2); expected UTF-8 text");
  EXPECT_EQ(store_->ListClients(org_)->size(), 5u);  // the fixture's only
  EXPECT_EQ(*store_->CountResponses(org_), 0);
}

TEST_F(ServiceTest, AnExportCarriesBytesStoredBeforeTheChecksAsReplacementCharacters) {
  // A key stored with a 0xFF byte (before the doors refused one) failed the identified JSON export
  // of the whole organisation with nlohmann's type_error 316.
  ASSERT_TRUE(service_->SubmitResponse(org_, Phq9("bad-key", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0})));
  ASSERT_TRUE(store_->ExecuteRawForTesting(
      "UPDATE responses SET idempotency_key = CAST(X'6261642D6B6579FF' AS TEXT) WHERE idempotency_key = 'bad-key'"));
  std::ostringstream out;
  ExportOptions options;
  options.format = Format::JSON;
  options.deidentify = false;
  auto n = service_->ExportResponses(org_, out, options);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 1);
  EXPECT_NE(out.str().find("\"bad-key\xEF\xBF\xBD\""), std::string::npos) << out.str();
}

TEST_F(ServiceTest, ImportRefusesTextAfterAClosingQuote) {
  // "a"b was read as ab.
  std::istringstream clients("external_id,pseudonym\nC1,\"Bl\"ue\nC2,\"Green\"\nC3,\"Red\" \n");
  auto c = service_->ImportClients(org_, clients, {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->imported, 0);
  ASSERT_EQ(c->refused.size(), 2u);
  EXPECT_EQ(c->refused[0].line, 2u);
  EXPECT_EQ(c->refused[0].column, 2u);
  EXPECT_EQ(c->refused[0].reason,
            "text after the closing quote; expected a comma or the end of the line (a quote inside a quoted field "
            "is written twice: \"\")");
  EXPECT_EQ(c->refused[1].line, 4u);
  // Quotes written twice and quoted commas are read as before.
  std::istringstream fine("external_id,pseudonym\n\"C4\",\"Say \"\"hi\"\", friend\"\r\n");
  auto f = service_->ImportClients(org_, fine, {});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->imported, 1) << (f->refused.empty() ? "" : f->refused[0].reason);
  EXPECT_EQ(store_->ListClients(org_)->back().pseudonym, "Say \"hi\", friend");
}

// As a spreadsheet saves it: an empty column after the last named one, every row ending in a
// comma, and list entries typed with a space after the semicolon. The whole file was refused
// ("unknown column ''"), and "panic; agoraphobia" kept " agoraphobia".
TEST_F(ServiceTest, ImportReadsASpreadsheetsEmptyLastColumnAndTrimsListEntries) {
  std::istringstream excel(
      "\xEF\xBB\xBF" "external_id,pseudonym,concerns,goals,\r\n"
      "C1,Blue,panic; agoraphobia,\"sleep better ; return to work\",\r\n"
      "C2,Green,low mood,,\r\n");
  auto imported = service_->ImportClients(org_, excel, {});
  ASSERT_TRUE(imported) << imported.error().message;
  EXPECT_EQ(imported->imported, 2) << (imported->refused.empty() ? "" : imported->refused[0].reason);
  const auto all = store_->ListClients(org_);
  const Client first = *std::find_if(all->begin(), all->end(), [](const Client& x) { return x.external_id == "C1"; });
  EXPECT_EQ(first.concerns, (std::vector<std::string>{"panic", "agoraphobia"}));
  EXPECT_EQ(first.goals, (std::vector<std::string>{"sleep better", "return to work"}));
  // A value under the unnamed column is refused at its line and column, not dropped.
  std::istringstream stray("external_id,pseudonym,\nC3,Red,oops\n");
  auto refused = service_->ImportClients(org_, stray, {});
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->imported, 0);
  ASSERT_EQ(refused->refused.size(), 1u);
  EXPECT_EQ(refused->refused[0].line, 2u);
  EXPECT_EQ(refused->refused[0].column, 3u);
  EXPECT_EQ(refused->refused[0].reason,
            "a value under column 3, which has no name in the header; expected it empty or the column named");
}

TEST_F(ServiceTest, TherapistAndClientImports) {
  std::istringstream therapists(
      "external_id,display_name,approaches,languages,capacity,accepting\n"
      "T1,Dr A,cbt;act,en;de,10,1\n"
      "T2,\"Dr B, PhD\",psychodynamic,en,5,0\n"
      "T3,Dr C,cbt,en, 5 ,\t1 \n"  // spaces around a number or accepting are not part of it
      "T4,Dr D,cbt,en,5, 0\n");
  auto t = service_->ImportTherapists(org_, therapists, {});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->imported, 4);
  auto listed = store_->ListTherapists(org_);
  ASSERT_EQ(listed->size(), 4u);
  EXPECT_TRUE((*listed)[2].accepting);
  EXPECT_FALSE((*listed)[3].accepting);
  EXPECT_EQ((*listed)[0].approaches, (std::vector<std::string>{"cbt", "act"}));
  EXPECT_EQ((*listed)[1].display_name, "Dr B, PhD");
  EXPECT_FALSE((*listed)[1].accepting);

  std::istringstream clients("external_id,pseudonym,concerns\nC1,Blue,depression;sleep\nC2,,anxiety\n");
  auto c = service_->ImportClients(org_, clients, {});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->imported, 0);
  ASSERT_EQ(c->refused.size(), 1u);
  EXPECT_EQ(c->refused[0].line, 3u);
  EXPECT_EQ(c->refused[0].column, 2u);
  EXPECT_EQ(store_->ListClients(org_)->size(), 5u);  // the fixture's only
}

TEST_F(ServiceTest, ImportRefusesRowsTheApiWouldRefuseAtTheirLineAndColumn) {
  // Constraints matching cannot read, blank entries, client_visible entries PATCH refuses.
  std::istringstream clients(
      "external_id,pseudonym,goals,constraints\n"
      "C1,Blue,walk,language:en;modality:video\n"
      "C2,Green,walk,language:en;modality:teleport\n"
      "C3,   ,walk,\n"
      "C4,Red, ,\n");
  auto c = service_->ImportClients(org_, clients, {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->imported, 0);
  ASSERT_EQ(c->refused.size(), 2u);  // C4's goal " " is no entry: entries are trimmed (SplitList)
  EXPECT_EQ(c->refused[0].line, 3u);
  EXPECT_EQ(c->refused[0].column, 4u);
  EXPECT_EQ(c->refused[0].reason,
            "constraints[1] is \"modality:teleport\"; expected language:<code>, modality:in_person, modality:video, "
            "location:<place>, exclude:<therapist id> or risk:high");
  EXPECT_EQ(c->refused[1].line, 4u);
  EXPECT_EQ(c->refused[1].column, 2u);
  EXPECT_EQ(store_->ListClients(org_)->size(), 5u);  // the fixture's only

  std::istringstream therapists(
      "external_id,display_name,client_visible,capacity\n"
      "T1,Dr A,approaches;mindfulness,10\n"
      "T2,Dr B,approaches;approaches,10\n"
      "T3,Dr C,,5000\n");
  ImportOptions partial;
  partial.partial = true;
  auto t = service_->ImportTherapists(org_, therapists, partial);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->imported, 1);
  ASSERT_EQ(t->refused.size(), 2u);
  EXPECT_EQ(t->refused[0].column, 3u);
  EXPECT_EQ(t->refused[1].reason, "capacity is 5000; expected an integer from 0 to 1000");
  EXPECT_EQ(store_->ListTherapists(org_)->front().client_visible,
            (std::vector<std::string>{"approaches", "mindfulness"}));
}

// The probe: `modality:video;modality:in_person` was imported and matched as in person only (the
// last one won). The import refuses what the API refuses: a second modality or location, an entry
// twice, a concern twice; several languages are any of them and imported.
TEST_F(ServiceTest, ImportRefusesRepeatedConstraintsAndConcernsAtTheirLineAndColumn) {
  std::istringstream clients(
      "external_id,pseudonym,concerns,constraints\n"
      "C1,Blue,anxiety,language:es;language:pl\n"
      "C2,Green,anxiety,modality:video;modality:in_person\n"
      "C3,Red,anxiety,location:Leeds;location:York\n"
      "C4,Grey,anxiety,exclude:3;exclude:3\n"
      "C5,Teal,anxiety;anxiety,\n");
  ImportOptions partial;
  partial.partial = true;
  auto c = service_->ImportClients(org_, clients, partial);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->imported, 1);
  ASSERT_EQ(c->refused.size(), 4u);
  EXPECT_EQ(c->refused[0].line, 3u);
  EXPECT_EQ(c->refused[0].column, 4u);
  EXPECT_EQ(c->refused[0].reason,
            "constraints[1] is \"modality:in_person\" after constraints[0] \"modality:video\"; expected one "
            "modality:in_person or modality:video (a client who can meet either way gives none)");
  EXPECT_EQ(c->refused[1].reason,
            "constraints[1] is \"location:York\" after constraints[0] \"location:Leeds\"; expected one location:<place>");
  EXPECT_EQ(c->refused[2].reason,
            "constraints[1] is \"exclude:3\", the same as constraints[0] \"exclude:3\"; expected each constraint once");
  EXPECT_EQ(c->refused[3].line, 6u);
  EXPECT_EQ(c->refused[3].column, 3u);
  EXPECT_EQ(c->refused[3].reason, "concerns[1] is \"anxiety\", the same as concerns[0]; expected each concern once");
  auto listed = store_->ListClients(org_);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->back().constraints, (std::vector<std::string>{"language:es", "language:pl"}));
}

TEST_F(ServiceTest, ExportsItemAndScaleColumnsAndDeidentifies) {
  ASSERT_TRUE(service_->SubmitResponse(org_, Phq9("secret-key", {1, 2, 3, 0, 1, 2, 3, 0, 1, 2})));
  auto second = Phq9("k2", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_TRUE(service_->SubmitResponse(org_, second));

  std::ostringstream plain;
  ExportOptions options;
  options.instrument_id = "phq9";
  ASSERT_EQ(*service_->ExportResponses(org_, plain, options), 2);
  EXPECT_NE(plain.str().find("secret-key"), std::string::npos);
  EXPECT_NE(plain.str().find(",phq9_1,"), std::string::npos);
  EXPECT_NE(plain.str().find("2026-11-26T09:00:00Z,secret-key,1,2,3,0,1,2,3,0,1,2\n"), std::string::npos)
      << plain.str();

  std::ostringstream research;
  options.deidentify = true;
  options.salt = "fixed";
  ASSERT_EQ(*service_->ExportResponses(org_, research, options), 2);
  EXPECT_EQ(research.str().find("secret-key"), std::string::npos);
  EXPECT_EQ(research.str().find("T09:00"), std::string::npos);
  EXPECT_EQ(research.str().find(",3,3,"), std::string::npos);  // raw subject ids gone
  // Same subject -> same pseudonym within an export.
  auto first_line_end = research.str().find('\n');
  std::string body = research.str().substr(first_line_end + 1);
  auto s_pos = body.find(",c-");
  ASSERT_NE(s_pos, std::string::npos);
  std::string pseudonym = body.substr(s_pos + 1, 18);
  EXPECT_NE(body.find(pseudonym, s_pos + 10), std::string::npos);
  // A client answering about themself: one pseudonym as respondent and as subject.
  EXPECT_NE(body.find("," + pseudonym + "," + pseudonym + ","), std::string::npos) << body;
  // The response id is a pseudonym too: a raw id would link two exports made with different keys.
  EXPECT_EQ(body.rfind("r-", 0), 0u) << body;
  std::ostringstream research_scores;
  ASSERT_TRUE(service_->ExportScores(org_, research_scores, options));
  const std::string response_pseudonym = body.substr(0, body.find(','));
  EXPECT_NE(research_scores.str().find("\n" + response_pseudonym + ",phq9,"), std::string::npos)
      << research_scores.str();  // within one export (one key), responses and scores still link
  std::ostringstream other_key;
  options.salt = "another";
  ASSERT_TRUE(service_->ExportResponses(org_, other_key, options));
  EXPECT_EQ(other_key.str().find(response_pseudonym), std::string::npos);

  // Rows come sorted by subject, date and response pseudonym, not in the store's (response id)
  // order, which would give each row's raw id away.
  for (int k = 3; k <= 12; ++k) {
    ASSERT_TRUE(service_->SubmitResponse(org_, Phq9("k" + std::to_string(k), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0})));
  }
  std::ostringstream many;
  options.salt = "fixed";
  ASSERT_EQ(*service_->ExportResponses(org_, many, options), 12);
  std::istringstream lines(many.str());
  std::string line, previous;
  std::getline(lines, line);  // header
  int rows = 0;
  while (std::getline(lines, line)) {
    const std::string response = line.substr(0, line.find(','));
    EXPECT_LT(previous, response) << many.str();  // one subject, one date: by response pseudonym
    previous = response;
    ++rows;
  }
  EXPECT_EQ(rows, 12);

  std::ostringstream scores;
  ExportOptions score_options;
  score_options.format = Format::JSON;
  auto n = service_->ExportScores(org_, scores, score_options);
  ASSERT_TRUE(n);
  EXPECT_GE(*n, 2);
  EXPECT_NE(scores.str().find("\"score\":13.0"), std::string::npos) << scores.str();
}

}  // namespace
// POST /analyses/replication lacked `dropped`, which `attune analyze replicate --json` has: both
// now write the one JSON (service::ReplicationJson); the route adds therapists and alliance.
TEST(ReplicationJson, OneShapeForTheCommandAndTheRoute) {
  stats::Correlation c;
  c.x = "nonjudge";
  c.y = "alliance";
  c.n = 9;
  c.r = 0.5;
  stats::OlsFit fit;
  fit.n = 9;
  stats::Coefficient b;
  b.term = "nonjudge";
  b.std_beta = 0.5;
  b.p = 0.01;
  fit.coef = {b};
  const auto j = ReplicationJson("organisation", 3, {c}, fit);
  EXPECT_EQ(j["dropped"], 3);
  EXPECT_EQ(j["n"], 9);
  EXPECT_EQ(j["correlations"][0]["dropped"], 0);
  ASSERT_EQ(j["regression"]["significant"].size(), 1u);
  EXPECT_EQ(j["regression"]["significant"][0], "nonjudge");
  for (const char* key : {"source", "correlations", "regression", "published", "caution"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_FALSE(ReplicationJson("correlation matrix", std::nullopt, {c}, fit).contains("dropped"));
}

}  // namespace attune::service
