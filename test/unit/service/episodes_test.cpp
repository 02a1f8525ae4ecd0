// An episode's course (docs/api.md "Episodes"): a client's choice holds a place and passes the
// clinic's exclusions; a coordinator confirms or declines it and ends therapy, each audited; a
// coordinator's own episode is checked as a choice is (overbooking only when asked for).
#include "attune/service/episodes.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "attune/service/clinic.hpp"
#include "attune/service/matching.hpp"
#include "unit/service/store_fixture.hpp"

namespace attune::service {
namespace {

std::string DateUtc(int days_from_today) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                             std::chrono::hours(24 * days_from_today));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

class EpisodesTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    if (HasFatalFailure()) return;
    clinic_.emplace(*store_, *catalogue_, instruments::Use::CLINICAL);
    coordinator_ = Actor{org_, 1, Role::COORDINATOR, std::nullopt, std::nullopt, "coord", "test"};
    full_ = AddTherapist("full", 1);
    roomy_ = AddTherapist("roomy", 5);
  }

  Id AddTherapist(const std::string& name, int capacity) {
    Therapist t;
    t.external_id = name;
    t.display_name = name;
    t.languages = {"en"};
    t.capacity = capacity;
    auto id = store_->AddTherapist(org_, t);
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : 0;
  }

  // A client who needs English (as every therapist here speaks), or with these constraints.
  Id AddClient(const std::string& name, std::vector<std::string> constraints = {"language:en"}) {
    return StoreFixture::AddClient(name, std::move(constraints));
  }

  Actor ClientActor(Id client) { return Actor{org_, 100 + client, Role::CLIENT, std::nullopt, client, "c", "test"}; }

  Result<Episode> Choose(Id client, Id therapist) { return clinic_->ChooseTherapist(ClientActor(client), client, therapist); }

  Episode Opened(Id client, Id therapist, const std::string& status = "active") {
    return EpisodeOf(client, therapist, status, DateUtc(-30));
  }

  std::string AuditText() {
    auto log = store_->AuditLog(org_);
    EXPECT_TRUE(log) << log.error().message;
    std::string out;
    if (log) {
      for (const auto& e : *log) out += e.action + " " + e.detail + "\n";
    }
    return out;
  }

  std::optional<Clinic> clinic_;
  Actor coordinator_;
  Id full_ = 0, roomy_ = 0;
};

// Before: a therapist with capacity 1 accepted three choices (only active episodes were counted).
TEST_F(EpisodesTest, AWaitingChoiceHoldsAPlaceEverywhereCapacityIsCounted) {
  const Id a = AddClient("a"), b = AddClient("b"), c = AddClient("c");
  ASSERT_TRUE(Choose(a, full_));
  auto second = Choose(b, full_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::FAILED_PRECONDITION);
  EXPECT_EQ(second.error().field, "therapist_id");
  EXPECT_NE(second.error().message.find("1 current episode(s) (active or waiting) for a capacity of 1"),
            std::string::npos)
      << second.error().message;
  // The matcher sees no room left either, and the waiting client is not on the waitlist.
  auto data = LoadMatchData(*store_, org_);
  ASSERT_TRUE(data) << data.error().message;
  for (const auto& t : data->therapists) {
    if (t.model.id == full_) {
      EXPECT_EQ(t.capacity, 0);
    }
  }
  for (const auto& w : data->waitlist_clients) EXPECT_NE(w.id, a);
  EXPECT_EQ(data->waitlist.size(), 2u);  // b and c
  // A coordinator's episode for c is refused too, unless overbooked (and audited as such).
  auto booked = clinic_->CreateEpisode(coordinator_, Opened(c, full_));
  ASSERT_FALSE(booked);
  EXPECT_EQ(booked.error().code, ErrorCode::FAILED_PRECONDITION);
  auto over = clinic_->CreateEpisode(coordinator_, Opened(c, full_), true);
  ASSERT_TRUE(over) << over.error().message;
  EXPECT_NE(AuditText().find("overbook: therapist " + std::to_string(full_) + " is full"), std::string::npos)
      << AuditText();
}

// Before: a client with exclude:5 could choose therapist 5, and a coordinator could open that
// episode; a client's own intake change dropped the clinic's exclusion.
TEST_F(EpisodesTest, TheClinicsExclusionBindsAChoiceAndACoordinatorsEpisode) {
  const Id client = AddClient("x", {"language:en", "exclude:" + std::to_string(roomy_)});
  auto chose = Choose(client, roomy_);
  ASSERT_FALSE(chose);
  EXPECT_EQ(chose.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(chose.error().field, "therapist_id");
  EXPECT_NE(chose.error().message.find("is excluded for this client by the clinic (client "), std::string::npos)
      << chose.error().message;
  auto opened = clinic_->CreateEpisode(coordinator_, Opened(client, roomy_), true);
  ASSERT_FALSE(opened);  // overbooking passes capacity, never the client's constraints
  EXPECT_EQ(opened.error().field, "therapist_id");
  // The client's own constraints bind their own choice too.
  const Id german = AddClient("de", {"language:de"});
  auto unspoken = Choose(german, roomy_);
  ASSERT_FALSE(unspoken);
  EXPECT_NE(unspoken.error().message.find("language"), std::string::npos) << unspoken.error().message;
  // The client's intake form sends only their own constraints: the clinic's stay.
  Client intake;
  intake.id = client;
  intake.constraints = {"language:en"};
  auto changed = clinic_->UpdateIntake(ClientActor(client), intake);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_EQ(changed->constraints,
            (std::vector<std::string>{"language:en", "exclude:" + std::to_string(roomy_)}));
  EXPECT_FALSE(Choose(client, roomy_));
  intake.constraints = {"exclude:" + std::to_string(full_)};
  auto added = clinic_->UpdateIntake(ClientActor(client), intake);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_EQ(added.error().field, "constraints[0]");
  // A coordinator sets them.
  intake.constraints = {"language:en"};
  auto cleared = clinic_->UpdateIntake(coordinator_, intake);
  ASSERT_TRUE(cleared) << cleared.error().message;
  EXPECT_TRUE(Choose(client, roomy_));
}

// The probe: a client refused a therapist read the clinic's risk: flag of them in the refusal
// ("constraints: language:en, exclude:7, risk:high"), which their own record leaves out.
TEST_F(EpisodesTest, ARefusedChoiceDoesNotNameTheClinicsRiskFlag) {
  const Id client = AddClient("r", {"language:en", "exclude:" + std::to_string(roomy_), "risk:high"});
  auto chose = Choose(client, roomy_);
  ASSERT_FALSE(chose);
  EXPECT_EQ(chose.error().field, "therapist_id");
  EXPECT_NE(chose.error().message.find("constraints: language:en, exclude:" + std::to_string(roomy_) + ")"),
            std::string::npos)
      << chose.error().message;
  EXPECT_EQ(chose.error().message.find("risk"), std::string::npos) << chose.error().message;
}

// Before: no start date was checked against the calendar of today.
TEST_F(EpisodesTest, ACoordinatorsEpisodeStartsNoLaterThanToday) {
  const Id client = AddClient("later");
  Episode e = Opened(client, roomy_);
  e.started_on = "2030-01-07";
  auto later = clinic_->CreateEpisode(coordinator_, e);
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().field, "started_on");
  EXPECT_NE(later.error().message.find("started_on is 2030-01-07, in the future"), std::string::npos)
      << later.error().message;
  // Past therapy is recorded without holding a place: the pairing check is not made.
  Episode past = Opened(client, full_, "ended");
  past.started_on = "2025-01-06";
  past.ended_on = "2025-04-28";
  ASSERT_TRUE(clinic_->CreateEpisode(coordinator_, past));
  ASSERT_TRUE(clinic_->CreateEpisode(coordinator_, Opened(client, full_)));
  auto third = clinic_->CreateEpisode(coordinator_, Opened(client, roomy_));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::CONFLICT);
  EXPECT_NE(third.error().message.find("end or decline that one first"), std::string::npos);
}

// The probe: an episode ended before sessions it held (POST /episodes/20/end with ended_on
// 2026-08-01 after sessions up to 2026-08-25), leaving sessions the product refuses to record.
TEST_F(EpisodesTest, TherapyEndsNoEarlierThanItsLastSession) {
  const Id client = AddClient("s");
  auto opened = clinic_->CreateEpisode(coordinator_, Opened(client, roomy_));
  ASSERT_TRUE(opened) << opened.error().message;
  const Id id = *opened;
  const std::string day = DateUtc(-10);
  ASSERT_TRUE(store_->AddSession(org_, Session{org_, 0, id, 1, DateUtc(-20) + "T09:00:00Z"}));
  ASSERT_TRUE(store_->AddSession(org_, Session{org_, 0, id, 2, day + "T15:00:00Z"}));
  const std::size_t audit_before = AuditText().size();
  auto early = clinic_->EndEpisode(coordinator_, id, {DateUtc(-15), "", false});
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().field, "ended_on");
  EXPECT_EQ(early.error().message,
            fmt::format("ended_on is {}, before session 2 of episode {} was held ({}T15:00:00Z); expected a date on "
                        "or after the last session held",
                        DateUtc(-15), id, day));
  EXPECT_EQ(AuditText().size(), audit_before);  // nothing written
  // The day of its last session ends it.
  auto ended = clinic_->EndEpisode(coordinator_, id, {day, "", false});
  ASSERT_TRUE(ended) << ended.error().message;
  EXPECT_EQ(ended->ended_on, day);
}

TEST_F(EpisodesTest, AChoiceIsConfirmedThenTherapyEnds) {
  const Id client = AddClient("ok");
  auto chose = Choose(client, full_);
  ASSERT_TRUE(chose) << chose.error().message;
  const Id id = chose->id;
  // Only a coordinator decides.
  auto self = clinic_->ConfirmEpisode(ClientActor(client), id, {});
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, ErrorCode::NOT_PERMITTED);
  auto early = clinic_->EndEpisode(coordinator_, id, {});
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(early.error().field, "status");
  auto before_choice = clinic_->ConfirmEpisode(coordinator_, id, {DateUtc(-3), "", false});
  ASSERT_FALSE(before_choice);
  EXPECT_EQ(before_choice.error().field, "started_on");
  auto future = clinic_->ConfirmEpisode(coordinator_, id, {DateUtc(5), "", false});
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().field, "started_on");
  // Its own place is not counted against it (capacity 1, and this choice holds it).
  auto confirmed = clinic_->ConfirmEpisode(coordinator_, id, {});
  ASSERT_TRUE(confirmed) << confirmed.error().message;
  EXPECT_EQ(confirmed->status, "active");
  EXPECT_EQ(confirmed->started_on, DateUtc(0));
  auto again = clinic_->ConfirmEpisode(coordinator_, id, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::CONFLICT);
  auto future_end = clinic_->EndEpisode(coordinator_, id, {DateUtc(5), "", false});
  ASSERT_FALSE(future_end);
  EXPECT_EQ(future_end.error().field, "ended_on");
  auto backwards = clinic_->EndEpisode(coordinator_, id, {DateUtc(-1), "", false});
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().field, "ended_on");
  auto ended = clinic_->EndEpisode(coordinator_, id, {"", "goals met", false});
  ASSERT_TRUE(ended) << ended.error().message;
  EXPECT_EQ(ended->status, "ended");
  EXPECT_EQ(ended->ended_on, DateUtc(0));
  auto stored = store_->GetEpisode(org_, id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->note, "goals met");
  EXPECT_EQ(stored->status, "ended");
  const std::string audit = AuditText();
  EXPECT_NE(audit.find("episode.confirm"), std::string::npos) << audit;
  EXPECT_NE(audit.find("episode.end client " + std::to_string(client)), std::string::npos) << audit;
  // The place is free again.
  EXPECT_TRUE(Choose(AddClient("next"), full_));
}

TEST_F(EpisodesTest, ADeclinedChoiceFreesThePlaceAndPutsTheClientBackOnTheWaitlist) {
  const Id client = AddClient("no");
  auto chose = Choose(client, full_);
  ASSERT_TRUE(chose) << chose.error().message;
  auto silent = clinic_->DeclineEpisode(coordinator_, chose->id, {"", "  ", false});
  ASSERT_FALSE(silent);
  EXPECT_EQ(silent.error().field, "note");
  auto declined = clinic_->DeclineEpisode(coordinator_, chose->id, {"", "the client asked for a woman therapist", false});
  ASSERT_TRUE(declined) << declined.error().message;
  EXPECT_EQ(declined->status, "declined");
  EXPECT_EQ(declined->ended_on, DateUtc(0));
  EXPECT_NE(AuditText().find("declined on " + DateUtc(0) + ": the client asked for a woman therapist"),
            std::string::npos);
  auto data = LoadMatchData(*store_, org_);
  ASSERT_TRUE(data);
  ASSERT_EQ(data->waitlist_clients.size(), 1u);
  EXPECT_EQ(data->waitlist_clients[0].id, client);
  // A declined choice never made the client the therapist's.
  const Actor therapist{org_, 50, Role::THERAPIST, full_, std::nullopt, "t", "test"};
  EXPECT_FALSE(clinic_->GetClient(therapist, client));
  EXPECT_FALSE(clinic_->GetEpisode(therapist, chose->id));
  auto twice = clinic_->DeclineEpisode(coordinator_, chose->id, {"", "again", false});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::CONFLICT);
  // The client may choose again, and the place is theirs to take.
  EXPECT_TRUE(Choose(client, full_));
}

// Two clients choosing a therapist's last place at once: one has it (checked under the lock).
TEST_F(EpisodesTest, TwoChoicesForTheLastPlaceAtOnceLeaveOneWaiting) {
  const Id a = AddClient("a"), b = AddClient("b");
  std::vector<Result<Episode>> results(2, Fail(ErrorCode::INTERNAL, "not run"));
  std::vector<std::thread> threads;
  for (int k = 0; k < 2; ++k) {
    threads.emplace_back([&, k] {
      auto store = store::Store::Open(store::Target::Sqlite((dir_ / "db.sqlite").string()));
      ASSERT_TRUE(store);
      Clinic clinic(*store, *catalogue_, instruments::Use::CLINICAL);
      const Id who = k == 0 ? a : b;
      results[static_cast<std::size_t>(k)] = clinic.ChooseTherapist(ClientActor(who), who, full_);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(static_cast<int>(results[0].has_value()) + static_cast<int>(results[1].has_value()), 1);
}

}  // namespace
}  // namespace attune::service
