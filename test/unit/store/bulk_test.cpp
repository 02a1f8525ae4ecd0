// Bulk loads (Store::AddEpisodes / AddSessions), run against SQLite (store_test) and PostgreSQL
// (store_postgres_test) like the repository suite.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "attune/store/store.hpp"
#include "unit/store/harness.hpp"

namespace attune::store {
namespace {

using testing::CurrentHarness;

class BulkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::Open(CurrentHarness().Fresh());
    ASSERT_TRUE(opened) << opened.error().message;
    store_.emplace(std::move(*opened));
    auto org = store_->CreateOrganisation("Bulk clinic");
    ASSERT_TRUE(org);
    org_ = *org;
    Therapist t;
    t.external_id = "T1";
    t.display_name = "Dr T1";
    auto therapist = store_->AddTherapist(org_, t);
    ASSERT_TRUE(therapist) << therapist.error().message;
    therapist_ = *therapist;
    std::vector<Client> clients;
    for (int k = 1; k <= 3; ++k) {
      Client c;
      c.external_id = "C" + std::to_string(k);
      c.pseudonym = "P" + std::to_string(k);
      clients.push_back(c);
    }
    auto ids = store_->AddClients(org_, clients);
    ASSERT_TRUE(ids) << ids.error().message;
    clients_ = *ids;
  }

  Episode MakeEpisode(Id client, std::string ended = "") {
    Episode e;
    e.client_id = client;
    e.therapist_id = therapist_;
    e.started_on = "2026-01-05";
    e.ended_on = std::move(ended);
    e.status = e.ended_on.empty() ? "active" : "ended";
    e.assigned_by = "random";
    return e;
  }

  // Whether a response can be stored against this session (the foreign key finds it).
  bool SessionExists(Id episode, Id session) {
    ScoredResponse r;
    r.response.instrument_id = "phq9";
    r.response.instrument_version = "1";
    r.response.respondent = RespondentKind::CLIENT;
    r.response.respondent_id = clients_[0];
    r.response.subject_id = clients_[0];
    r.response.answered_at = "2026-01-05T10:50:00Z";
    r.response.answers = {1};
    r.response.episode_id = episode;
    r.response.session_id = session;
    r.response.idempotency_key = "bulk-" + std::to_string(++submitted_);
    return static_cast<bool>(store_->SubmitResponse(org_, r));
  }

  std::int64_t AuditCount() {
    auto log = store_->AuditLog(org_);
    return log ? static_cast<std::int64_t>(log->size()) : -1;
  }

  std::optional<Store> store_;
  OrgId org_ = 0;
  Id therapist_ = 0;
  std::vector<Id> clients_;
  int submitted_ = 0;
};

TEST_F(BulkTest, EpisodesAndSessionsRoundTripInInputOrderWithOneAuditEntryEach) {
  const auto audit_before = AuditCount();
  auto episodes = store_->AddEpisodes(
      org_, {MakeEpisode(clients_[0], "2026-03-30"), MakeEpisode(clients_[1]), MakeEpisode(clients_[2])});
  ASSERT_TRUE(episodes) << episodes.error().message;
  ASSERT_EQ(episodes->size(), 3u);
  EXPECT_LT((*episodes)[0], (*episodes)[1]);
  EXPECT_LT((*episodes)[1], (*episodes)[2]);
  auto first = store_->GetEpisode(org_, (*episodes)[0]);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->client_id, clients_[0]);
  EXPECT_EQ(first->ended_on, "2026-03-30");
  EXPECT_EQ(first->status, "ended");
  auto second = store_->GetEpisode(org_, (*episodes)[1]);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->ended_on, "");
  EXPECT_EQ(second->client_id, clients_[1]);

  std::vector<Session> sessions;
  for (int n = 1; n <= 4; ++n) sessions.push_back({0, 0, (*episodes)[0], n, "2026-01-0" + std::to_string(n + 4) + "T10:00:00Z"});
  sessions.push_back({0, 0, (*episodes)[2], 1, "2026-01-05T11:00:00Z"});
  auto session_ids = store_->AddSessions(org_, sessions);
  ASSERT_TRUE(session_ids) << session_ids.error().message;
  ASSERT_EQ(session_ids->size(), 5u);
  for (std::size_t k = 1; k < session_ids->size(); ++k) EXPECT_EQ((*session_ids)[k], (*session_ids)[k - 1] + 1);
  EXPECT_EQ(AuditCount(), audit_before + 2);
  auto log = store_->AuditLog(org_);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->back().action, "session.import");
  EXPECT_EQ(log->back().detail, "5 sessions in one batch");
  for (Id id : *session_ids) EXPECT_TRUE(SessionExists(id == session_ids->back() ? (*episodes)[2] : (*episodes)[0], id));
  auto verified = store_->VerifyAudit(org_);
  ASSERT_TRUE(verified);
  EXPECT_TRUE(verified->ok) << verified->problem;

  // Ids continue after the batch: single-row adds and later batches do not collide.
  auto single = store_->AddEpisode(org_, MakeEpisode(clients_[0]));
  ASSERT_TRUE(single) << single.error().message;
  EXPECT_GT(*single, (*episodes)[2]);
  EXPECT_TRUE(store_->AddEpisodes(org_, {}));
}

TEST_F(BulkTest, BatchWithOneBadRowWritesNothing) {
  auto missing_date = MakeEpisode(clients_[1]);
  missing_date.started_on.clear();
  auto refused = store_->AddEpisodes(org_, {MakeEpisode(clients_[0]), missing_date});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error().message.find("episode 2"), std::string::npos) << refused.error().message;

  auto dangling = MakeEpisode(clients_[0]);
  dangling.client_id = 99999;
  EXPECT_FALSE(store_->AddEpisodes(org_, {MakeEpisode(clients_[0]), dangling}));
  EXPECT_TRUE(store_->ListEpisodes(org_)->empty());

  auto episode = store_->AddEpisodes(org_, {MakeEpisode(clients_[0])});
  ASSERT_TRUE(episode) << episode.error().message;
  const auto audit_before = AuditCount();
  EXPECT_FALSE(store_->AddSessions(org_, {{0, 0, episode->front(), 1, "2026-01-05T10:00:00Z"},
                                          {0, 0, 424242, 2, "2026-01-12T10:00:00Z"}}));
  EXPECT_FALSE(store_->AddSessions(org_, {{0, 0, episode->front(), 0, "2026-01-05T10:00:00Z"}}));
  EXPECT_EQ(AuditCount(), audit_before);
  // Nothing of the refused batches was stored: the first session id the clinic would use is free.
  EXPECT_FALSE(SessionExists(episode->front(), 1));
  EXPECT_FALSE(SessionExists(episode->front(), 2));
  EXPECT_FALSE(store_->AddEpisodes(org_ + 1000, {MakeEpisode(clients_[0])}));
}

// docs/api.md: the future-date rules are the store's, whichever way a row comes. The bulk loads
// (attune sim clinic --db, imports) checked only the shape of the dates: a simulated clinic of 60
// sessions stored episodes ending in 2027 and responses answered after today.
TEST_F(BulkTest, BulkLoadsRefuseDatesInTheFutureAsSingleWritesDo) {
  auto future = MakeEpisode(clients_[1], "2099-01-05");
  future.started_on = "2099-01-05";
  auto refused = store_->AddEpisodes(org_, {MakeEpisode(clients_[0]), future});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "started_on");
  EXPECT_EQ(refused.error().message.rfind("episode 2: started_on is 2099-01-05, in the future; expected a date on or "
                                          "before today (",
                                          0),
            0u)
      << refused.error().message;
  auto ends_later = MakeEpisode(clients_[1], "2099-01-05");
  refused = store_->AddEpisodes(org_, {ends_later});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "ended_on");
  EXPECT_FALSE(store_->AddEpisode(org_, ends_later));  // the single write: the same rule
  EXPECT_TRUE(store_->ListEpisodes(org_)->empty());

  auto episode = store_->AddEpisodes(org_, {MakeEpisode(clients_[0])});
  ASSERT_TRUE(episode) << episode.error().message;
  auto held_later = store_->AddSessions(org_, {{0, 0, episode->front(), 1, "2099-01-05T10:00:00Z"}});
  ASSERT_FALSE(held_later);
  EXPECT_EQ(held_later.error().field, "held_at");

  std::vector<ScoredResponse> rows(2);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    Response& r = rows[k].response;
    r.instrument_id = "phq9";
    r.instrument_version = "1";
    r.respondent = RespondentKind::CLIENT;
    r.respondent_id = r.subject_id = clients_[0];
    r.answers = {1};
    r.idempotency_key = "future-" + std::to_string(k);
    r.answered_at = k == 0 ? "2026-01-05T10:50:00Z" : "2099-01-05T10:50:00Z";
  }
  std::size_t next = 0;
  auto imported = store_->ImportResponses(
      org_,
      [&](ScoredResponse& out) -> Result<bool> {
        if (next == rows.size()) return false;
        out = rows[next++];
        return true;
      },
      "test", Actor{"test"});
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().field, "answered_at");
  EXPECT_NE(imported.error().message.find("response 2: answered_at is \"2099-01-05T10:50:00Z\", in the future"),
            std::string::npos)
      << imported.error().message;
  EXPECT_FALSE(SessionExists(episode->front(), 1));
}

}  // namespace
}  // namespace attune::store
