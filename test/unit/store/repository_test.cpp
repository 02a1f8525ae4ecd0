// The shared repository suite: every test here runs against SQLite (store_test) and against a
// real PostgreSQL server started by the test binary (store_postgres_test).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <functional>
#include <vector>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "attune/store/store.hpp"
#include "unit/store/harness.hpp"

namespace attune::store {
namespace {

using testing::CurrentHarness;

Response MakeResponse(const std::string& key, std::vector<std::optional<double>> answers) {
  Response r;
  r.instrument_id = "phq9";
  r.instrument_version = "1";
  r.respondent = RespondentKind::CLIENT;
  r.respondent_id = 7;
  r.subject_id = 7;
  r.answered_at = "2026-11-26T10:00:00Z";
  r.answers = std::move(answers);
  r.idempotency_key = key;
  return r;
}

ScoredResponse Scored(const std::string& key, std::vector<std::optional<double>> answers,
                      std::optional<double> total) {
  ScoredResponse s;
  s.response = MakeResponse(key, std::move(answers));
  Score score;
  score.scale_id = "total";
  score.value = total;
  score.band = total ? "mild" : "";
  score.caseness = total ? std::optional<bool>(*total >= 10) : std::nullopt;
  score.answered = 9;
  s.scores.push_back(score);
  return s;
}

Therapist MakeTherapist(const std::string& external_id) {
  Therapist t;
  t.external_id = external_id;
  t.display_name = "Dr " + external_id;
  t.approaches = {"cbt", "act"};
  t.style = {{"directiveness", 0.25}, {"challenge", -0.5}};
  t.languages = {"en", "de"};
  t.modality = "video";
  t.location = "Berlin";
  t.capacity = 12;
  t.accepting = false;
  t.client_visible = {"approaches", "languages"};
  return t;
}

Client MakeClient(const std::string& external_id) {
  Client c;
  c.external_id = external_id;
  c.pseudonym = "P-" + external_id;
  c.concerns = {"depression"};
  c.goals = {"sleep better"};
  c.preferences = {{"directiveness", 0.5}};
  c.constraints = {"language:en"};
  return c;
}

class RepositoryTest : public ::testing::Test {
 protected:
  // An episode (not yet stored) of a new therapist T1 with a new client C1, both stored; ids 0
  // when either could not be.
  Episode NewPair() {
    auto therapist = store_->AddTherapist(org_a_, MakeTherapist("T1"));
    auto client = store_->AddClient(org_a_, MakeClient("C1"));
    EXPECT_TRUE(therapist && client);
    Episode e;
    e.client_id = client ? *client : 0;
    e.therapist_id = therapist ? *therapist : 0;
    e.started_on = "2026-11-01";
    e.assigned_by = "match";
    return e;
  }

  void SetUp() override {
    target_ = CurrentHarness().Fresh();
    auto opened = Store::Open(target_);
    ASSERT_TRUE(opened) << opened.error().message;
    store_.emplace(std::move(*opened));
    auto a = store_->CreateOrganisation("Clinic A");
    auto b = store_->CreateOrganisation("Clinic B");
    ASSERT_TRUE(a && b);
    org_a_ = *a;
    org_b_ = *b;
  }

  std::int64_t AuditCount(OrgId org) {
    auto log = store_->AuditLog(org);
    EXPECT_TRUE(log);
    return log ? static_cast<std::int64_t>(log->size()) : -1;
  }

  Target target_;
  std::optional<Store> store_;
  OrgId org_a_ = 0;
  OrgId org_b_ = 0;
};

TEST_F(RepositoryTest, MigrationsAreAllAppliedAndReapplyingDoesNothing) {
  auto status = store_->Status();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->pending.empty());
  ASSERT_EQ(status->applied.size(), Store::KnownMigrations().size());
  EXPECT_EQ(status->applied.front().version, 1);
  auto again = store_->Migrate();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
}

TEST_F(RepositoryTest, FreshDatabaseWithoutMigrationsReportsThemPending) {
  auto opened = Store::Open(CurrentHarness().Fresh(), {.migrate = false, .create = true});
  ASSERT_TRUE(opened) << opened.error().message;
  auto status = opened->Status();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->applied.empty());
  EXPECT_EQ(status->pending.size(), Store::KnownMigrations().size());
}

TEST_F(RepositoryTest, OrganisationsGetDistinctIds) {
  EXPECT_NE(org_a_, org_b_);
  auto orgs = store_->ListOrganisations();
  ASSERT_TRUE(orgs);
  ASSERT_EQ(orgs->size(), 2u);
  EXPECT_EQ((*orgs)[0].name, "Clinic A");
  EXPECT_FALSE(store_->CreateOrganisation(""));
}

TEST_F(RepositoryTest, ClientChoiceIsAnAuditedSettingOfOneOrganisation) {
  auto a = store_->GetOrganisation(org_a_);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(a->client_choice);  // the default, also for organisations made before the setting
  auto off = store_->SetClientChoice(org_a_, false, Actor{"admin"});
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->client_choice);
  EXPECT_FALSE(store_->GetOrganisation(org_a_)->client_choice);
  EXPECT_TRUE(store_->GetOrganisation(org_b_)->client_choice);  // the other organisation's stays
  auto log = store_->AuditLog(org_a_);
  ASSERT_TRUE(log);
  ASSERT_FALSE(log->empty());
  EXPECT_EQ(log->back().action, "organisation.settings");
  EXPECT_EQ(log->back().detail, "client_choice=off");
  auto missing = store_->SetClientChoice(999, false, Actor{"admin"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NOT_FOUND);
  EXPECT_EQ(store_->GetOrganisation(999).error().field, "org");
}

TEST_F(RepositoryTest, MonitorSettingsAreAnAuditedSettingOfOneOrganisation) {
  EXPECT_EQ(store_->GetOrganisation(org_a_)->monitor_settings, "{}");  // the default
  const std::string settings = R"({"rupture_z":1.6})";
  auto changed = store_->SetMonitorSettings(org_a_, settings, Actor{"lead"});
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_EQ(changed->monitor_settings, settings);
  EXPECT_EQ(store_->GetOrganisation(org_a_)->monitor_settings, settings);
  EXPECT_EQ(store_->GetOrganisation(org_b_)->monitor_settings, "{}");  // the other organisation's stays
  EXPECT_EQ(store_->ListOrganisations()->at(0).monitor_settings, settings);
  auto log = store_->AuditLog(org_a_);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->back().action, "organisation.monitor_settings");
  EXPECT_EQ(log->back().detail, settings);
  auto missing = store_->SetMonitorSettings(999, "{}", Actor{"lead"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NOT_FOUND);
  // A read-modify-write sees the stored text; a refusal inside it writes nothing.
  const std::size_t entries = log->size();
  auto refused = store_->ChangeMonitorSettings(
      org_a_,
      [&](const std::string& stored) -> Result<std::string> {
        EXPECT_EQ(stored, settings);
        return Fail(ErrorCode::INVALID_ARGUMENT, "no", "rupture_z");
      },
      Actor{"lead"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "rupture_z");
  EXPECT_EQ(store_->GetOrganisation(org_a_)->monitor_settings, settings);
  EXPECT_EQ(store_->AuditLog(org_a_)->size(), entries);
  auto grown = store_->ChangeMonitorSettings(
      org_a_, [](const std::string& stored) -> Result<std::string> { return stored.substr(0, stored.size() - 1) + R"(,"rupture_size":0})"; },
      Actor{"lead"});
  ASSERT_TRUE(grown) << grown.error().message;
  EXPECT_EQ(store_->GetOrganisation(org_a_)->monitor_settings, R"({"rupture_z":1.6,"rupture_size":0})");
}

TEST_F(RepositoryTest, TherapistRoundTripsEveryField) {
  auto id = store_->AddTherapist(org_a_, MakeTherapist("T1"));
  ASSERT_TRUE(id) << id.error().message;
  auto t = store_->GetTherapist(org_a_, *id);
  ASSERT_TRUE(t) << t.error().message;
  Therapist expected = MakeTherapist("T1");
  EXPECT_EQ(t->external_id, "T1");
  EXPECT_EQ(t->display_name, expected.display_name);
  EXPECT_EQ(t->approaches, expected.approaches);
  EXPECT_EQ(t->style, expected.style);
  EXPECT_EQ(t->languages, expected.languages);
  EXPECT_EQ(t->modality, "video");
  EXPECT_EQ(t->location, "Berlin");
  EXPECT_EQ(t->capacity, 12);
  EXPECT_FALSE(t->accepting);
  EXPECT_EQ(t->client_visible, expected.client_visible);
  EXPECT_EQ(t->org_id, org_a_);
}

TEST_F(RepositoryTest, UpdateTherapistChangesOnlyTheGivenFieldsAndIsAudited) {
  auto id = store_->AddTherapist(org_a_, MakeTherapist("T1"));
  ASSERT_TRUE(id) << id.error().message;
  std::int64_t audit_before = AuditCount(org_a_);
  TherapistUpdate update;
  update.capacity = 3;
  update.client_visible = std::vector<std::string>{"style"};
  auto updated = store_->UpdateTherapist(org_a_, *id, update, {"tester"});
  ASSERT_TRUE(updated) << updated.error().message;
  auto t = store_->GetTherapist(org_a_, *id);
  ASSERT_TRUE(t);
  Therapist before = MakeTherapist("T1");
  EXPECT_EQ(t->capacity, 3);
  EXPECT_EQ(t->client_visible, std::vector<std::string>{"style"});
  EXPECT_EQ(t->approaches, before.approaches);
  EXPECT_EQ(t->style, before.style);
  EXPECT_EQ(t->languages, before.languages);
  EXPECT_EQ(t->modality, "video");
  EXPECT_EQ(t->location, "Berlin");
  EXPECT_FALSE(t->accepting);
  EXPECT_EQ(t->display_name, before.display_name);
  EXPECT_EQ(updated->capacity, 3);
  EXPECT_EQ(AuditCount(org_a_), audit_before + 1);
  auto log = store_->AuditLog(org_a_);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->back().action, "therapist.update");
  EXPECT_EQ(log->back().detail, "capacity, client_visible");

  // Another organisation's id is NOT_FOUND and writes nothing; a negative capacity is refused.
  std::int64_t audit_b = AuditCount(org_b_);
  auto crossing = store_->UpdateTherapist(org_b_, *id, update);
  ASSERT_FALSE(crossing);
  EXPECT_EQ(crossing.error().code, ErrorCode::NOT_FOUND);
  EXPECT_EQ(AuditCount(org_b_), audit_b);
  update.capacity = -1;
  auto negative = store_->UpdateTherapist(org_a_, *id, update);
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().field, "capacity");
  EXPECT_EQ(store_->GetTherapist(org_a_, *id)->capacity, 3);
  EXPECT_EQ(AuditCount(org_a_), audit_before + 1);
}

TEST_F(RepositoryTest, NoOrganisationSeesAnothersRows) {
  auto therapist = store_->AddTherapist(org_a_, MakeTherapist("T1"));
  auto client = store_->AddClient(org_a_, MakeClient("C1"));
  ASSERT_TRUE(therapist && client);
  auto submitted = store_->SubmitResponse(org_a_, Scored("k1", {1, 2, 3, 0, 0, 0, 0, 0, 0}, 6));
  ASSERT_TRUE(submitted);

  auto other_therapist = store_->GetTherapist(org_b_, *therapist);
  ASSERT_FALSE(other_therapist);
  EXPECT_EQ(other_therapist.error().code, ErrorCode::NOT_FOUND);
  EXPECT_FALSE(store_->GetClient(org_b_, *client));
  EXPECT_FALSE(store_->GetResponse(org_b_, submitted->response_id));
  EXPECT_TRUE(store_->ListTherapists(org_b_)->empty());
  EXPECT_TRUE(store_->ListClients(org_b_)->empty());
  EXPECT_TRUE(store_->ListResponses(org_b_)->empty());
  EXPECT_FALSE(*store_->FindResponseByKey(org_b_, "k1"));
  EXPECT_TRUE(store_->ScoresOf(org_b_, submitted->response_id)->empty());
  EXPECT_EQ(*store_->CountResponses(org_b_), 0);
  EXPECT_EQ(store_->ListTherapists(org_a_)->size(), 1u);

  // An episode in B cannot point at A's client and therapist (composite foreign keys).
  Episode crossing;
  crossing.client_id = *client;
  crossing.therapist_id = *therapist;
  crossing.started_on = "2026-11-01";
  crossing.assigned_by = "coordinator";
  EXPECT_FALSE(store_->AddEpisode(org_b_, crossing));
  EXPECT_TRUE(store_->AddEpisode(org_a_, crossing));
}

TEST_F(RepositoryTest, DuplicateExternalIdIsRefusedAndNothingIsWritten) {
  ASSERT_TRUE(store_->AddClient(org_a_, MakeClient("C1")));
  std::int64_t audit_before = AuditCount(org_a_);
  auto again = store_->AddClient(org_a_, MakeClient("C1"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::ALREADY_EXISTS);
  // Named by field and value on SQLite and PostgreSQL alike, without the database's text.
  EXPECT_EQ(again.error().field, "external_id");
  EXPECT_EQ(again.error().message,
            "external_id \"C1\" is already taken; expected an id no other client of the organisation has");
  EXPECT_EQ(store_->ListClients(org_a_)->size(), 1u);
  EXPECT_EQ(AuditCount(org_a_), audit_before);
  // The same external id in another organisation is fine.
  EXPECT_TRUE(store_->AddClient(org_b_, MakeClient("C1")));
}

TEST_F(RepositoryTest, TextThatIsNotUtf8OrHoldsNulIsRefusedNotStored) {
  // PostgreSQL cut "nul\0in" to "nul" without a word and refused a 0xFF byte with its own text;
  // SQLite kept both, and later reads failed.
  Client c = MakeClient("C1");
  c.pseudonym = std::string("nul\0in", 6);
  auto nul = store_->AddClient(org_a_, c);
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(nul.error().field, "pseudonym");
  User u{0, 0, "bad\xFF", Role::COORDINATOR};
  auto handle = store_->AddUser(org_a_, u);
  ASSERT_FALSE(handle);
  EXPECT_EQ(handle.error().message, "handle is not valid UTF-8 (byte 0xFF at byte 4); expected UTF-8 text");
  EXPECT_FALSE(store_->CreateOrganisation("Clinic\xFF"));
  EXPECT_TRUE(store_->ListClients(org_a_)->empty());
  EXPECT_TRUE(store_->ListLogins(org_a_)->empty());
}

TEST_F(RepositoryTest, HandlesThatDifferOnlyInAsciiCaseAreOneHandle) {
  ASSERT_TRUE(store_->AddUser(org_a_, {0, 0, "coord", Role::COORDINATOR}));
  std::int64_t audit_before = AuditCount(org_a_);
  auto upper = store_->AddUser(org_a_, {0, 0, "Coord", Role::COORDINATOR});
  ASSERT_FALSE(upper);
  EXPECT_EQ(upper.error().code, ErrorCode::ALREADY_EXISTS);
  EXPECT_EQ(upper.error().field, "handle");
  EXPECT_EQ(upper.error().message,
            "handle \"Coord\" is already taken by \"coord\" (handles differ in more than upper and lower case); "
            "expected a handle no other user of the organisation has");
  auto same = store_->AddUser(org_a_, {0, 0, "coord", Role::COORDINATOR});
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, ErrorCode::ALREADY_EXISTS);
  auto spaced = store_->AddUser(org_a_, {0, 0, " coord", Role::COORDINATOR});
  ASSERT_FALSE(spaced);
  EXPECT_EQ(spaced.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(AuditCount(org_a_), audit_before);  // nothing written
  EXPECT_TRUE(store_->AddUser(org_b_, {0, 0, "Coord", Role::COORDINATOR}));  // another organisation's
  EXPECT_TRUE(store_->AddUser(org_a_, {0, 0, "coord2", Role::COORDINATOR}));
}

TEST_F(RepositoryTest, BatchWithOneBadRowWritesNothing) {
  std::vector<Client> batch = {MakeClient("C1"), MakeClient("C2"), MakeClient("C1")};
  auto added = store_->AddClients(org_a_, batch);
  ASSERT_FALSE(added);
  EXPECT_TRUE(store_->ListClients(org_a_)->empty());
  batch[2].external_id = "";
  auto invalid = store_->AddClients(org_a_, batch);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(invalid.error().field, "external_id");
  EXPECT_TRUE(store_->ListClients(org_a_)->empty());
}

TEST_F(RepositoryTest, SubmitStoresResponseAndScores) {
  auto outcome = store_->SubmitResponse(org_a_, Scored("k1", {1, 2, std::nullopt, 0, 0, 0, 0, 0, 0.5}, 12));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_FALSE(outcome->replayed);
  auto r = store_->GetResponse(org_a_, outcome->response_id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->answers, (std::vector<std::optional<double>>{1, 2, std::nullopt, 0, 0, 0, 0, 0, 0.5}));
  EXPECT_EQ(r->idempotency_key, "k1");
  EXPECT_FALSE(r->episode_id);
  auto scores = store_->ScoresOf(org_a_, outcome->response_id);
  ASSERT_TRUE(scores);
  ASSERT_EQ(scores->size(), 1u);
  EXPECT_EQ((*scores)[0].value, 12.0);
  EXPECT_EQ((*scores)[0].caseness, true);
  EXPECT_EQ((*scores)[0].band, "mild");
}

TEST_F(RepositoryTest, NotScorableStaysNullNeverZero) {
  auto outcome = store_->SubmitResponse(org_a_, Scored("k1", {1, std::nullopt, std::nullopt}, std::nullopt));
  ASSERT_TRUE(outcome);
  auto scores = store_->ScoresOf(org_a_, outcome->response_id);
  ASSERT_TRUE(scores);
  ASSERT_EQ(scores->size(), 1u);
  EXPECT_FALSE((*scores)[0].value.has_value());
  EXPECT_FALSE((*scores)[0].caseness.has_value());
}

TEST_F(RepositoryTest, ResubmittingAKeyReturnsTheFirstResultAndWritesNothing) {
  auto first = store_->SubmitResponse(org_a_, Scored("k1", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9));
  ASSERT_TRUE(first);
  std::int64_t audit_before = AuditCount(org_a_);
  auto again = store_->SubmitResponse(org_a_, Scored("k1", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->response_id, first->response_id);
  ASSERT_EQ(again->scores.size(), 1u);
  EXPECT_EQ(again->scores[0].value, 9.0);
  EXPECT_EQ(*store_->CountResponses(org_a_), 1);
  EXPECT_EQ(AuditCount(org_a_), audit_before);

  auto different = store_->SubmitResponse(org_a_, Scored("k1", {2, 2, 2, 2, 2, 2, 2, 2, 2}, 18));
  ASSERT_FALSE(different);
  EXPECT_EQ(different.error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(different.error().field, "idempotency_key");
  EXPECT_EQ(*store_->CountResponses(org_a_), 1);

  // Keys are unique per organisation, not globally.
  auto other_org = store_->SubmitResponse(org_b_, Scored("k1", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9));
  ASSERT_TRUE(other_org);
  EXPECT_FALSE(other_org->replayed);
}

// A response prepared from one history of its subject is stored only while that is still the
// subject's history (the alerts were decided from it); otherwise nothing is written.
TEST_F(RepositoryTest, AResponsePreparedFromAnOutdatedHistoryIsNotWritten) {
  auto before = store_->SubjectHistory(org_a_, 7);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(*before, (HistoryMark{0}));
  ScoredResponse first = Scored("k1", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9);
  first.history = *before;
  auto stored = store_->SubmitResponse(org_a_, first);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_FALSE(stored->stale);
  EXPECT_EQ(*store_->SubjectHistory(org_a_, 7), (HistoryMark{1}));

  const std::int64_t audit_before = AuditCount(org_a_);
  ScoredResponse late = Scored("k2", {2, 2, 2, 2, 2, 2, 2, 2, 2}, 18);
  late.history = *before;  // prepared before k1 was stored
  auto refused = store_->SubmitResponse(org_a_, late);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_TRUE(refused->stale);
  EXPECT_EQ(refused->response_id, 0);
  EXPECT_EQ(*store_->CountResponses(org_a_), 1);
  EXPECT_EQ(AuditCount(org_a_), audit_before);
  // In a group commit too, and the others in the group are stored.
  ScoredResponse other = Scored("k3", {0, 0, 0, 0, 0, 0, 0, 0, 0}, 0);
  other.response.subject_id = 8;
  other.history = *store_->SubjectHistory(org_a_, 8);
  auto group = store_->SubmitResponses(org_a_, {{late, Actor{}}, {other, Actor{}}});
  ASSERT_TRUE(group) << group.error().message;
  ASSERT_EQ(group->size(), 2u);
  ASSERT_TRUE((*group)[0] && (*group)[1]);
  EXPECT_TRUE((*group)[0]->stale);
  EXPECT_FALSE((*group)[1]->stale);
  EXPECT_EQ(*store_->CountResponses(org_a_), 2);
  // A key seen before is still answered as a replay, whatever the history.
  auto replay = store_->SubmitResponse(org_a_, first);
  ASSERT_TRUE(replay) << replay.error().message;
  EXPECT_TRUE(replay->replayed);
  EXPECT_FALSE(replay->stale);
  // Prepared again from the history as it now is, it is stored.
  late.history = *store_->SubjectHistory(org_a_, 7);
  auto again = store_->SubmitResponse(org_a_, late);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->stale);
  EXPECT_EQ(*store_->CountResponses(org_a_), 3);
}

// Writers on separate connections (separate processes) submitting about one subject: each
// response is stored against a history no other stored response was stored against.
// An intake merged with the client as stored reads the row inside the write, locked: a change
// from another connection waits for the write and comes after it, never between its read and its
// write (where it would be overwritten by a decision made without it).
TEST_F(RepositoryTest, AnIntakeMergeReadsTheClientLockedInsideTheWrite) {
  auto id = store_->AddClient(org_a_, MakeClient("C1"));
  ASSERT_TRUE(id) << id.error().message;
  auto stored = store_->GetClient(org_a_, *id);
  ASSERT_TRUE(stored) << stored.error().message;
  auto other = Store::Open(target_);
  ASSERT_TRUE(other) << other.error().message;
  Client coordinators = *stored;
  coordinators.constraints = {"language:en", "exclude:9"};
  std::atomic<bool> other_done{false};
  std::string other_error;
  std::thread meanwhile;
  Client own = *stored;
  own.goals = {"walk daily"};
  auto merged = store_->UpdateClientIntake(org_a_, own, {}, [&](const Client& as_stored) -> Result<Client> {
    meanwhile = std::thread([&] {
      auto done = other->UpdateClientIntake(org_a_, coordinators);
      if (!done) other_error = done.error().message;
      other_done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(other_done.load()) << "the other connection's change went in between the read and the write";
    Client next = own;
    next.constraints = as_stored.constraints;
    return next;
  });
  meanwhile.join();
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(merged->goals, std::vector<std::string>{"walk daily"});
  EXPECT_EQ(other_error, "");
  auto last = store_->GetClient(org_a_, *id);
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->constraints, coordinators.constraints);  // came after, so it stands
  // A merge that refuses writes nothing.
  auto refused = store_->UpdateClientIntake(org_a_, own, {}, [](const Client&) -> Result<Client> {
    return Fail(ErrorCode::NOT_PERMITTED, "no", "constraints");
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_EQ(store_->GetClient(org_a_, *id)->constraints, coordinators.constraints);
}

TEST_F(RepositoryTest, WritersOnSeparateConnectionsEachStoreAgainstADifferentHistory) {
  constexpr int kWriters = 6;
  constexpr int kEach = 5;
  std::vector<std::vector<std::int64_t>> used(kWriters);
  std::vector<std::string> errors(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto store = Store::Open(target_);
      if (!store) {
        errors[w] = store.error().message;
        return;
      }
      for (int n = 0; n < kEach;) {
        auto mark = store->SubjectHistory(org_a_, 7);
        if (!mark) {
          errors[w] = mark.error().message;
          return;
        }
        ScoredResponse r = Scored(fmt::format("w{}-{}", w, n), {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9);
        r.history = *mark;
        auto done = store->SubmitResponse(org_a_, r);
        if (!done) {
          errors[w] = done.error().message;
          return;
        }
        if (done->stale) continue;
        used[w].push_back(mark->responses);
        ++n;
      }
    });
  }
  for (auto& t : writers) t.join();
  std::vector<std::int64_t> all;
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(errors[w], "") << "writer " << w;
    all.insert(all.end(), used[w].begin(), used[w].end());
  }
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> expected(kWriters * kEach);
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<std::int64_t>(i);
  EXPECT_EQ(all, expected);  // each history 0, 1, 2, ... used exactly once
  EXPECT_EQ(*store_->CountResponses(org_a_), kWriters * kEach);
}

// PostgreSQL: a settings change locked the organisation's row FOR UPDATE and then the audit head,
// while every other write holds the audit head and then (its audit row's foreign key) needs a
// share lock on the organisation's row; PostgreSQL broke the deadlock by failing one (503).
TEST_F(RepositoryTest, SettingsChangesBesideOtherWritesDoNotDeadlock) {
  constexpr int kEach = 25;
  std::vector<std::string> errors(4);
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      auto store = Store::Open(target_);
      if (!store) {
        errors[w] = store.error().message;
        return;
      }
      for (int n = 0; n < kEach && errors[w].empty(); ++n) {
        if (w % 2 == 0) {
          auto changed = store->ChangeMonitorSettings(
              org_a_, [&](const std::string&) -> Result<std::string> { return fmt::format("{{\"rupture_z\": {}}}", 1 + n); },
              Actor{"lead"});
          if (!changed) errors[w] = changed.error().message;
        } else {
          auto read = store->AppendAuditBatch(org_a_, {AuditRecord{Actor{"reader"}, "client.read", "client", "1", ""}});
          if (!read) errors[w] = read.error().message;
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  for (int w = 0; w < 4; ++w) EXPECT_EQ(errors[w], "") << "writer " << w;
  EXPECT_TRUE(store_->VerifyAudit(org_a_)->ok);
}

// A key is unique in the organisation; sent again for another subject (or respondent, episode,
// session) it is refused, never answered with the first response.
TEST_F(RepositoryTest, AKeyUsedForAnotherSubjectIsRefusedAndNotReplayed) {
  ASSERT_TRUE(store_->SubmitResponse(org_a_, Scored("k1", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9)));
  ScoredResponse other = Scored("k1", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9);
  other.response.subject_id = 8;
  other.response.respondent_id = 8;
  auto refused = store_->SubmitResponse(org_a_, other);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(refused.error().field, "idempotency_key");
  EXPECT_EQ(refused.error().message.find("(id "), std::string::npos) << refused.error().message;
  ScoredResponse in_episode = Scored("k1", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9);
  in_episode.response.episode_id = 3;
  EXPECT_FALSE(store_->SubmitResponse(org_a_, in_episode));
  ScoredResponse restamped = Scored("k1", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9);
  restamped.response.answered_at = "2026-11-26T10:00:07Z";
  auto replay = store_->SubmitResponse(org_a_, restamped);
  ASSERT_TRUE(replay) << replay.error().message;
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(*store_->CountResponses(org_a_), 1);
}

TEST_F(RepositoryTest, SubmissionIsRefusedWithoutKeyOrForUnknownOrganisation) {
  auto no_key = store_->SubmitResponse(org_a_, Scored("", {1}, 1));
  ASSERT_FALSE(no_key);
  EXPECT_EQ(no_key.error().field, "idempotency_key");
  auto no_org = store_->SubmitResponse(999, Scored("k", {1}, 1));
  ASSERT_FALSE(no_org);
  EXPECT_EQ(no_org.error().code, ErrorCode::NOT_FOUND);
}

ResponseSource FromVector(std::vector<ScoredResponse>& rows) {
  auto index = std::make_shared<std::size_t>(0);
  return [&rows, index](ScoredResponse& out) -> Result<bool> {
    if (*index >= rows.size()) return false;
    out = rows[(*index)++];
    return true;
  };
}

TEST_F(RepositoryTest, ImportGoesInWholeOrNotAtAll) {
  std::vector<ScoredResponse> rows;
  for (int i = 0; i < 20000; ++i) {
    rows.push_back(Scored("imp-" + std::to_string(i), {1, 0, 2, 0, 0, 0, 0, 0, static_cast<double>(i % 4)}, 3 + i % 4));
  }
  auto imported = store_->ImportResponses(org_a_, FromVector(rows), "test.csv");
  ASSERT_TRUE(imported) << imported.error().message;
  EXPECT_EQ(*imported, 20000);
  EXPECT_EQ(*store_->CountResponses(org_a_), 20000);
  auto found = store_->FindResponseByKey(org_a_, "imp-12345");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((**found).answers.back(), 12345 % 4);
  auto scores = store_->ScoresOf(org_a_, (**found).id);
  ASSERT_EQ(scores->size(), 1u);
  EXPECT_EQ((*scores)[0].value, 3 + 12345 % 4);

  // A batch repeating a key that is already stored: refused, nothing of it written.
  std::vector<ScoredResponse> second;
  for (int i = 0; i < 10000; ++i) second.push_back(Scored("new-" + std::to_string(i), {1}, 1));
  second.push_back(Scored("imp-5", {1}, 1));
  auto refused = store_->ImportResponses(org_a_, FromVector(second), "second.csv");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::ALREADY_EXISTS);
  EXPECT_EQ(*store_->CountResponses(org_a_), 20000);

  // A source that fails half-way: nothing written.
  int calls = 0;
  auto failing = [&](ScoredResponse& out) -> Result<bool> {
    if (++calls > 100) return Fail(ErrorCode::INVALID_ARGUMENT, "line 101: broken", "line");
    out = Scored("f-" + std::to_string(calls), {1}, 1);
    return true;
  };
  auto aborted = store_->ImportResponses(org_a_, failing, "broken.csv");
  ASSERT_FALSE(aborted);
  EXPECT_EQ(aborted.error().message, "line 101: broken");
  EXPECT_EQ(*store_->CountResponses(org_a_), 20000);
  EXPECT_TRUE(store_->VerifyAudit(org_a_)->ok);
}

TEST_F(RepositoryTest, ListResponsesFilters) {
  ASSERT_TRUE(store_->SubmitResponse(org_a_, Scored("a", {1}, 1)));
  auto other = Scored("b", {1}, 1);
  other.response.subject_id = 8;
  other.response.instrument_id = "gad7";
  ASSERT_TRUE(store_->SubmitResponse(org_a_, other));
  EXPECT_EQ(store_->ListResponses(org_a_)->size(), 2u);
  ResponseFilter by_instrument;
  by_instrument.instrument_id = "gad7";
  EXPECT_EQ(store_->ListResponses(org_a_, by_instrument)->size(), 1u);
  ResponseFilter by_subject;
  by_subject.subject_id = 7;
  EXPECT_EQ(store_->ListResponses(org_a_, by_subject)->size(), 1u);
  ResponseFilter limited;
  limited.limit = 1;
  EXPECT_EQ(store_->ListResponses(org_a_, limited)->size(), 1u);
  std::int64_t seen = 0;
  EXPECT_EQ(*store_->ForEachResponse(org_a_, [&](const Response&) { ++seen; }), 2);
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(*store_->ForEachScore(org_a_, [](const Score&) {}), 2);
}

// The probe (PostgreSQL): eight acknowledgements of one alert at once all succeeded, each note
// overwriting the last, and two sessions recorded at once were both checked against no sessions
// (session 2 stored as held before session 1). The alert is read locked, the session's check runs
// inside the write on its locked episode: one writer at a time decides, on both engines.
TEST_F(RepositoryTest, ConcurrentDecisionsOnOneAlertOrEpisodeHaveOneWinner) {
  const Episode e = NewPair();
  ASSERT_NE(e.client_id, 0);
  auto episode = store_->AddEpisode(org_a_, e);
  ASSERT_TRUE(episode) << episode.error().message;
  Alert alert;
  alert.episode_id = *episode;
  alert.kind = "rupture";
  alert.severity = "warning";
  alert.detail = "a drop";
  alert.raised_at = "2026-11-02T09:05:00Z";
  auto alert_id = store_->AddAlert(org_a_, alert);
  ASSERT_TRUE(alert_id) << alert_id.error().message;

  constexpr int kWriters = 8;
  auto race = [&](const std::function<Result<void>(Store&, int)>& write) {
    std::vector<std::string> outcome(kWriters);
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto store = Store::Open(target_);
        if (!store) {
          outcome[w] = "open: " + store.error().message;
          return;
        }
        auto done = write(*store, w);
        outcome[w] = done ? "ok" : std::string(ErrorCodeName(done.error().code));
      });
    }
    for (auto& t : writers) t.join();
    return outcome;
  };
  auto count = [](const std::vector<std::string>& outcome, const std::string& what) {
    return std::count(outcome.begin(), outcome.end(), what);
  };
  auto acks = race([&](Store& store, int w) -> Result<void> {
    ATTUNE_CHECK(store.AcknowledgeAlertWithNote(org_a_, *alert_id, fmt::format("note {}", w), Actor{"t"}));
    return Ok();
  });
  EXPECT_EQ(count(acks, "ok"), 1) << fmt::format("{}", fmt::join(acks, ", "));
  EXPECT_EQ(count(acks, ErrorCodeName(ErrorCode::CONFLICT)), kWriters - 1);
  auto resolves = race([&](Store& store, int w) -> Result<void> {
    ATTUNE_CHECK(store.ResolveAlertWithNote(org_a_, *alert_id, fmt::format("done {}", w), Actor{"t"}));
    return Ok();
  });
  EXPECT_EQ(count(resolves, "ok"), 1) << fmt::format("{}", fmt::join(resolves, ", "));
  auto stored = store_->GetAlert(org_a_, *alert_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(std::count(stored->note.begin(), stored->note.end(), '\n'), 1) << stored->note;  // one note each

  // Each writer records its own session number, refused when the episode already has one.
  auto sessions = race([&](Store& store, int w) -> Result<void> {
    const SessionGuard only_the_first = [](const Episode&, const std::vector<Session>& held) -> Result<void> {
      if (!held.empty()) return Fail(ErrorCode::CONFLICT, "a session is recorded already", "number");
      return Ok();
    };
    ATTUNE_CHECK(store.AddSession(org_a_, {0, 0, *episode, w + 1, "2026-11-02T09:00:00Z"}, Actor{"t"}, only_the_first));
    return Ok();
  });
  EXPECT_EQ(count(sessions, "ok"), 1) << fmt::format("{}", fmt::join(sessions, ", "));
  EXPECT_EQ(store_->ListSessions(org_a_, *episode)->size(), 1u);
  EXPECT_TRUE(store_->VerifyAudit(org_a_)->ok);
}

TEST_F(RepositoryTest, EpisodesSessionsAlertsAndTrainingRoundTrip) {
  const Episode e = NewPair();
  ASSERT_NE(e.client_id, 0);
  auto episode = store_->AddEpisode(org_a_, e);
  ASSERT_TRUE(episode) << episode.error().message;
  auto read = store_->GetEpisode(org_a_, *episode);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->ended_on, "");
  EXPECT_EQ(read->status, "active");
  EXPECT_EQ(read->assigned_by, "match");

  auto session = store_->AddSession(org_a_, {0, 0, *episode, 1, "2026-11-02T09:00:00Z"});
  ASSERT_TRUE(session) << session.error().message;
  auto linked = Scored("s1", {1}, 1);
  linked.response.episode_id = *episode;
  linked.response.session_id = *session;
  auto submitted = store_->SubmitResponse(org_a_, linked);
  ASSERT_TRUE(submitted) << submitted.error().message;
  EXPECT_EQ(store_->GetResponse(org_a_, submitted->response_id)->session_id, *session);
  auto dangling = Scored("s2", {1}, 1);
  dangling.response.session_id = 12345;
  EXPECT_FALSE(store_->SubmitResponse(org_a_, dangling));

  Alert alert;
  alert.episode_id = *episode;
  alert.response_id = submitted->response_id;
  alert.kind = "risk_item";
  alert.severity = "urgent";
  alert.detail = "item 9 above 0";
  alert.raised_at = "2026-11-02T09:05:00Z";
  ASSERT_TRUE(store_->AddAlert(org_a_, alert));
  alert.severity = "catastrophic";
  EXPECT_FALSE(store_->AddAlert(org_a_, alert));
  auto alerts = store_->ListAlerts(org_a_);
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].response_id, submitted->response_id);
  EXPECT_EQ((*alerts)[0].acknowledged_at, "");
  EXPECT_FALSE((*alerts)[0].client_id);

  // Outside an episode an alert names the client instead; with neither it is refused.
  Alert outside = alert;
  outside.severity = "urgent";
  outside.episode_id = 0;
  outside.client_id = e.client_id;
  auto outside_id = store_->AddAlert(org_a_, outside);
  ASSERT_TRUE(outside_id) << outside_id.error().message;
  auto back = store_->GetAlert(org_a_, *outside_id);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->episode_id, 0);
  EXPECT_EQ(back->client_id, e.client_id);
  outside.client_id.reset();
  EXPECT_FALSE(store_->AddAlert(org_a_, outside));
  ASSERT_EQ(store_->ListAlerts(org_a_)->size(), 2u);

  ASSERT_TRUE(store_->AddTrainingRecord(org_a_, {0, 0, e.therapist_id, "mbsr_session", 45, "2026-11-03", ""}));
  EXPECT_FALSE(store_->AddTrainingRecord(org_a_, {0, 0, e.therapist_id, "mbsr_session", -1, "2026-11-03", ""}));
  auto training = store_->ListTrainingRecords(org_a_, e.therapist_id);
  ASSERT_EQ(training->size(), 1u);
  EXPECT_EQ((*training)[0].minutes, 45);
  EXPECT_TRUE(store_->ListTrainingRecords(org_b_, e.therapist_id)->empty());
  EXPECT_TRUE(store_->AddUser(org_a_, {0, 0, "coord", Role::COORDINATOR}));
}

TEST_F(RepositoryTest, AuditChainVerifiesAndRefusesUpdatesThroughSql) {
  ASSERT_TRUE(store_->AddClient(org_a_, MakeClient("C1")));
  ASSERT_TRUE(store_->SubmitResponse(org_a_, Scored("k1", {1}, 1)));
  auto log = store_->AuditLog(org_a_);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 3u);  // organisation, client, response
  EXPECT_EQ((*log)[0].prev_hash, "");
  EXPECT_EQ((*log)[1].prev_hash, (*log)[0].hash);
  EXPECT_EQ((*log)[2].action, "response.create");
  auto verified = store_->VerifyAudit(org_a_);
  ASSERT_TRUE(verified);
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_EQ(verified->entries, 3);

  EXPECT_FALSE(store_->ExecuteRawForTesting("UPDATE audit_log SET detail = 'x' WHERE seq = 2"));
  EXPECT_FALSE(store_->ExecuteRawForTesting("DELETE FROM audit_log WHERE seq = 3"));
  EXPECT_TRUE(store_->VerifyAudit(org_a_)->ok);
}

TEST_F(RepositoryTest, AuditBatchContinuesTheChainInOrderAndOnlyInItsOrganisation) {
  ASSERT_TRUE(store_->AddClient(org_a_, MakeClient("C1")));  // chain: organisation, client
  std::vector<AuditRecord> batch;
  for (int i = 0; i < 3; ++i) {
    batch.push_back({Actor{}, "client.read", "client", std::to_string(i), "batch " + std::to_string(i)});
  }
  ASSERT_TRUE(store_->AppendAuditBatch(org_a_, batch));
  ASSERT_TRUE(store_->AppendAuditBatch(org_a_, {}));  // nothing to write
  ASSERT_TRUE(store_->SubmitResponse(org_a_, Scored("k1", {1}, 1)));  // single entries go on after it
  auto log = store_->AuditLog(org_a_);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 6u);
  for (std::size_t i = 0; i < log->size(); ++i) {
    EXPECT_EQ((*log)[i].seq, static_cast<std::int64_t>(i + 1));
    if (i > 0) {
      EXPECT_EQ((*log)[i].prev_hash, (*log)[i - 1].hash) << "entry " << i + 1;
    }
  }
  EXPECT_EQ((*log)[2].detail, "batch 0");
  EXPECT_EQ((*log)[4].entity_id, "2");
  EXPECT_EQ((*log)[5].action, "response.create");
  auto verified = store_->VerifyAudit(org_a_);
  ASSERT_TRUE(verified);
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_EQ(verified->entries, 6);
  auto other = store_->AuditLog(org_b_);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->size(), 1u);  // only its own creation
}

class AuditTamperTest : public RepositoryTest {
 protected:
  void SetUp() override {
    RepositoryTest::SetUp();
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(store_->SubmitResponse(org_a_, Scored("k" + std::to_string(i), {1}, 1)));
    }
    ASSERT_TRUE(store_->SubmitResponse(org_b_, Scored("b", {1}, 1)));
    ASSERT_TRUE(store_->VerifyAudit(org_a_)->ok);
    ASSERT_TRUE(store_->ExecuteRawForTesting(testing::DropAuditTriggers(store_->backend())));
  }
  void ExpectDetected(std::int64_t seq) {
    auto verified = store_->VerifyAudit(org_a_);
    ASSERT_TRUE(verified);
    EXPECT_FALSE(verified->ok);
    EXPECT_EQ(verified->first_bad_seq, seq) << verified->problem;
    EXPECT_FALSE(verified->problem.empty());
    EXPECT_TRUE(store_->VerifyAudit(org_b_)->ok);  // the other chain is untouched
  }
};

TEST_F(AuditTamperTest, EditedEntryIsDetected) {
  ASSERT_TRUE(store_->ExecuteRawForTesting(
      "UPDATE audit_log SET detail = 'phq9 key forged' WHERE org_id = 1 AND seq = 3"));
  ExpectDetected(3);
}

TEST_F(AuditTamperTest, EditedEntryWithRecomputedHashBreaksTheNextLink) {
  // Changing the hash column too (without the chain) still breaks entry 4's link.
  ASSERT_TRUE(store_->ExecuteRawForTesting(
      "UPDATE audit_log SET hash = 'ffff' WHERE org_id = 1 AND seq = 3"));
  auto verified = store_->VerifyAudit(org_a_);
  ASSERT_TRUE(verified);
  EXPECT_FALSE(verified->ok);
  EXPECT_EQ(verified->first_bad_seq, 3);
}

TEST_F(AuditTamperTest, DeletedMiddleEntryIsDetected) {
  ASSERT_TRUE(store_->ExecuteRawForTesting("DELETE FROM audit_log WHERE org_id = 1 AND seq = 2"));
  ExpectDetected(2);
}

TEST_F(AuditTamperTest, DeletedLastEntryIsDetected) {
  ASSERT_TRUE(store_->ExecuteRawForTesting("DELETE FROM audit_log WHERE org_id = 1 AND seq = 5"));
  ExpectDetected(5);
}

TEST_F(RepositoryTest, IntegrityCheckPasses) {
  auto check = store_->IntegrityCheck();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "ok");
}

TEST_F(RepositoryTest, BackupAndRestoreRoundTrip) {
  ASSERT_TRUE(store_->AddTherapist(org_a_, MakeTherapist("T1")));
  ASSERT_TRUE(store_->SubmitResponse(org_a_, Scored("k1", {3, 2, 1}, 6)));
  std::string backup = CurrentHarness().TempPath("backup");
  auto made = store_->Backup(backup);
  ASSERT_TRUE(made) << made.error().message;

  Target copy = CurrentHarness().Fresh();
  auto restored = Store::Restore(copy, backup);
  ASSERT_TRUE(restored) << restored.error().message;
  auto reopened = Store::Open(copy);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(*reopened->CountResponses(org_a_), 1);
  auto r = reopened->FindResponseByKey(org_a_, "k1");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((**r).answers, (std::vector<std::optional<double>>{3, 2, 1}));
  EXPECT_EQ(reopened->ListTherapists(org_a_)->size(), 1u);
  EXPECT_TRUE(reopened->VerifyAudit(org_a_)->ok);
  EXPECT_EQ(*reopened->IntegrityCheck(), "ok");
  // Ids continue after the restored ones.
  auto next = reopened->SubmitResponse(org_a_, Scored("k2", {1}, 1));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->response_id, (**r).id + 1);
}

}  // namespace

std::string testing::DropAuditTriggers(Backend backend) {
  if (backend == Backend::SQLITE) {
    return "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;";
  }
  return "DROP TRIGGER audit_log_no_update ON audit_log; DROP TRIGGER audit_log_no_delete ON audit_log;";
}

}  // namespace attune::store
