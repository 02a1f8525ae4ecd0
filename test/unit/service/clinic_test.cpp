// service::Clinic with a shared ClinicCache: sign-out through one Clinic refuses the session in
// every Clinic sharing the cache; recommendations from the cached matcher equal the matching use
// case's ranking (RankForClient) and see writes made through the server at once.
#include "attune/service/clinic.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <latch>
#include <map>
#include <random>
#include <thread>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "attune/service/matching.hpp"
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

  // The matching use case's ranking for the same client (reads everything, builds a Ranker).
  std::vector<std::pair<Id, double>> Reference(Id client, std::size_t limit) {
    auto answer = RankForClient(*store_, org_, client, model::Objective::ALLIANCE, 0.5, limit == 0 ? 100000 : limit);
    EXPECT_TRUE(answer) << answer.error().message;
    std::vector<std::pair<Id, double>> out;
    if (answer) {
      for (const auto& r : answer->ranking.top) out.emplace_back(r.therapist_id, r.score);
    }
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

  // Runs `work(clinic, k)` on `threads` threads at once, each with its own connection and Clinic
  // sharing the cache, as the server's request threads do (`separate`: each with a cache of its
  // own, as servers in separate processes on one database); each thread's error ("" when none).
  template <typename Work>
  std::vector<std::string> AtOnce(int threads, Work work, bool separate = false) {
    std::vector<std::string> errors(static_cast<std::size_t>(threads));
    std::vector<std::thread> running;
    for (int k = 0; k < threads; ++k) {
      running.emplace_back([&, k] {
        auto& error = errors[static_cast<std::size_t>(k)];
        auto store = store::Store::Open(store::Target::Sqlite((dir_ / "db.sqlite").string()));
        if (!store) {
          error = store.error().message;
          return;
        }
        Clinic clinic(*store, *catalogue_, instruments::Use::CLINICAL, ReadAuditor{}, Committer{},
                      separate ? MakeClinicCache() : cache_);
        error = work(clinic, k);
      });
    }
    for (auto& t : running) t.join();
    return errors;
  }

  std::shared_ptr<ClinicCache> cache_;
  std::optional<Clinic> a_, b_;
  Actor coordinator_;
};

TEST_F(ClinicTest, ClientsMayChooseWhenBothTheOrganisationAndTheDeploymentAllowIt) {
  const Actor admin{org_, 2, Role::ADMIN, std::nullopt, std::nullopt, "admin", "test"};
  EXPECT_TRUE(a_->OwnOrganisation(coordinator_)->clients_may_choose);
  // Only an administrator changes the setting.
  auto denied = a_->SetClientChoice(coordinator_, false);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::NOT_PERMITTED);
  auto off = a_->SetClientChoice(admin, false);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->organisation.client_choice);
  EXPECT_FALSE(off->clients_may_choose);
  ASSERT_TRUE(a_->SetClientChoice(admin, true));
  // The deployment's refusal wins over the organisation's setting.
  b_->AllowClientChoice(false);
  auto view = b_->OwnOrganisation(coordinator_);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->organisation.client_choice);
  EXPECT_FALSE(view->clients_may_choose);
  EXPECT_TRUE(a_->OwnOrganisation(coordinator_)->clients_may_choose);
}

TEST_F(ClinicTest, MonitoringSettingsAreTheClinicalLeadsAndApplyToTheOrganisation) {
  const Actor admin{org_, 2, Role::ADMIN, std::nullopt, std::nullopt, "admin", "test"};
  const Actor client{org_, 9, Role::CLIENT, std::nullopt, Id{1}, "client", "test"};
  const Actor therapist{org_, 4, Role::THERAPIST, Id{1}, std::nullopt, "ther1", "test"};
  auto view = a_->MonitoringSettings(therapist);
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->settings, "{}");
  EXPECT_EQ(view->effective, view->defaults);
  EXPECT_EQ(a_->MonitoringSettings(client).error().code, ErrorCode::NOT_PERMITTED);
  // Only a coordinator (the clinical lead) changes them.
  EXPECT_EQ(a_->SetMonitoringSettings(admin, R"({"rupture_z": 2})").error().code, ErrorCode::NOT_PERMITTED);
  auto changed = a_->SetMonitoringSettings(coordinator_, R"({"rupture_z": 2, "rupture_cutoff": 0})");
  ASSERT_TRUE(changed) << changed.error().message;
  auto effective = nlohmann::json::parse(changed->effective);
  EXPECT_EQ(effective["rupture_z"], 2.0);
  EXPECT_EQ(effective["rupture_cutoff"], 0.0);
  EXPECT_EQ(nlohmann::json::parse(changed->defaults)["rupture_z"], 1.4);
  // A bad patch names the field and changes nothing.
  auto refused = a_->SetMonitoringSettings(coordinator_, R"({"rupture_size": 1, "repair_window": 0})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "repair_window");
  EXPECT_EQ(a_->MonitoringSettings(therapist)->settings, changed->settings);
  // The monitor runs with them; null returns a field to the default.
  Service service(*store_, *catalogue_, instruments::Use::CLINICAL);
  auto config = service.MonitorConfigFor(org_);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->rupture_z, 2.0);
  EXPECT_FALSE(config->scales.at("wai_sr.total").cutoff.has_value());
  ASSERT_TRUE(a_->SetMonitoringSettings(coordinator_, R"({"rupture_z": null})"));
  EXPECT_EQ(service.MonitorConfigFor(org_)->rupture_z, monitor::Config::Defaults().rupture_z);
  auto log = store_->AuditLog(org_);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->back().action, "organisation.monitor_settings");
  EXPECT_EQ(log->back().detail, R"({"rupture_cutoff":0.0})");
}

TEST_F(ClinicTest, OutcomeRatesAreForCoordinatorsAndEachTherapistsOwn) {
  const Actor client{org_, 9, Role::CLIENT, std::nullopt, Id{1}, "client", "test"};
  const Actor admin{org_, 2, Role::ADMIN, std::nullopt, std::nullopt, "admin", "test"};
  const Actor unlinked{org_, 3, Role::THERAPIST, std::nullopt, std::nullopt, "ther", "test"};
  for (const Actor* denied : {&client, &admin, &unlinked}) {
    auto r = a_->OutcomeReport(*denied, std::nullopt);
    ASSERT_FALSE(r) << denied->handle;
    EXPECT_EQ(r.error().code, ErrorCode::NOT_PERMITTED) << denied->handle;
  }
  const Actor therapist{org_, 4, Role::THERAPIST, Id{1}, std::nullopt, "ther1", "test"};
  auto other = a_->OutcomeReport(therapist, Id{2});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::NOT_PERMITTED);
}

// The probe: a password was measured in bytes (seven accented letters passed as 14) and could
// hold a line break or a NUL, which no sign-in form lets anyone type again.
TEST(Passwords, AreCountedInCharactersAndHoldNoControlCharacters) {
  auto short_one = HashPassword("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9");  // 7 characters, 14 bytes
  ASSERT_FALSE(short_one);
  EXPECT_EQ(short_one.error().field, "password");
  EXPECT_EQ(short_one.error().message, "password has 7 characters; expected at least 8");
  EXPECT_TRUE(HashPassword("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"));
  for (const std::string& bad : {std::string("a long\npassword"), std::string("a long\0password", 15),
                                std::string("a long \xff password"), std::string("abcdefgh\u0085ij"),
                                std::string("abcdefgh\u2028ij")}) {
    auto refused = HashPassword(bad);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::INVALID_ARGUMENT);
    EXPECT_EQ(refused.error().field, "password");
    EXPECT_EQ(refused.error().message.rfind("password ", 0), 0u) << refused.error().message;
  }
}

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

// Handles are unique whatever the case of their ASCII letters, so sign-in finds "dup" typed
// "DUP" (it was 401); "É" and "é" stay distinct. Sign-in and sign-out are audited under their own
// names, not "session.create", which records a therapy session.
TEST_F(ClinicTest, SignInFoldsTheCaseOfAHandleAsUniquenessDoesAndIsAuditedAsAuth) {
  for (const char* handle : {"dup", "jos\u00e9"}) {
    auto user = store_->AddUser(org_, User{org_, 0, handle, Role::COORDINATOR});
    ASSERT_TRUE(user) << user.error().message;
    ASSERT_TRUE(store_->SetUserLogin(org_, *user, *HashPassword("a long password"), std::nullopt, std::nullopt, {}));
  }
  auto signed_in = a_->SignIn("DUP", "a long password", std::nullopt, "test");
  ASSERT_TRUE(signed_in) << signed_in.error().message;
  EXPECT_EQ(signed_in->actor.handle, "dup");
  EXPECT_TRUE(a_->SignIn("JOS\u00e9", "a long password", std::nullopt, "test"));
  EXPECT_FALSE(a_->SignIn("JOS\u00c9", "a long password", std::nullopt, "test"));
  EXPECT_EQ(HandleKey("DUP"), "dup");
  auto log = store_->AuditLog(org_);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->back().action, "auth.sign_in");
  ASSERT_TRUE(a_->SignOut(signed_in->actor, signed_in->token));
  log = store_->AuditLog(org_);
  EXPECT_EQ(log->back().action, "auth.sign_out");
  auto verified = store_->VerifyAudit(org_);
  ASSERT_TRUE(verified);
  EXPECT_TRUE(verified->ok) << verified->problem;
}

// A handle in two organisations: a wrong password is the plain refusal (it used to answer
// "exists in several organisations" without checking the password, telling anyone the handle
// existed); the password picks the organisation, and only a password fitting both asks for org_id.
TEST_F(ClinicTest, ASignInSaysNothingAboutAHandleBeforeThePasswordFits) {
  auto other = store_->CreateOrganisation("Other");
  ASSERT_TRUE(other) << other.error().message;
  auto add = [&](OrgId org, const std::string& password) {
    User u;
    u.handle = "sam";
    u.role = Role::COORDINATOR;
    auto id = store_->AddUser(org, u);
    ASSERT_TRUE(id) << id.error().message;
    ASSERT_TRUE(store_->SetUserLogin(org, *id, *HashPassword(password), std::nullopt, std::nullopt));
  };
  add(org_, "first password");
  add(*other, "second password");
  auto wrong = a_->SignIn("sam", "not either", std::nullopt, "test");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error().message, "handle or password not recognised");
  auto second = a_->SignIn("sam", "second password", std::nullopt, "test");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->actor.org, *other);
  auto named = a_->SignIn("sam", "second password", org_, "test");
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().code, ErrorCode::UNAUTHENTICATED);

  auto third = store_->CreateOrganisation("Third");
  ASSERT_TRUE(third);
  add(*third, "second password");
  auto both = a_->SignIn("sam", "second password", std::nullopt, "test");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().field, "org_id");
  auto chosen = a_->SignIn("sam", "second password", *third, "test");
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ(chosen->actor.org, *third);
}

// One person, two keyboards: a handle and a password typed with a decomposed accent (as some
// systems compose it) sign in as the precomposed ones they were made with, and the other way round;
// a fullwidth letter signs in as the plain one (NFKC). A hash made before passwords were normalised
// (of the password as typed, in NFD) still signs in.
TEST_F(ClinicTest, HandlesAndPasswordsSignInHoweverTheirAccentsAreComposed) {
  const std::string nfc_handle = "jos\xC3\xA9", nfd_handle = "jose\xCC\x81";
  const std::string nfc_password = "caf\xC3\xA9 au lait", nfd_password = "cafe\xCC\x81 au lait";
  const Actor admin{org_, 1, Role::ADMIN, std::nullopt, std::nullopt, "admin", "test"};
  User u;
  u.handle = nfd_handle;
  u.role = Role::COORDINATOR;
  auto id = a_->CreateUser(admin, u, nfd_password, std::nullopt, std::nullopt);
  ASSERT_TRUE(id) << id.error().message;
  auto logins = store_->FindLogins(nfc_handle);
  ASSERT_TRUE(logins);
  ASSERT_EQ(logins->size(), 1u);  // stored in NFC
  for (const auto& [handle, password] : {std::pair{nfc_handle, nfc_password}, std::pair{nfd_handle, nfd_password},
                                         std::pair{nfd_handle, nfc_password}}) {
    auto in = a_->SignIn(handle, password, std::nullopt, "test");
    EXPECT_TRUE(in) << in.error().message;
  }
  EXPECT_FALSE(a_->SignIn(nfc_handle, "cafe au lait", std::nullopt, "test"));  // an accent is not dropped

  u.handle = "wide";
  auto wide = a_->CreateUser(admin, u, "\xEF\xBC\xA1 long password", std::nullopt, std::nullopt);  // fullwidth A
  ASSERT_TRUE(wide) << wide.error().message;
  EXPECT_TRUE(a_->SignIn("wide", "A long password", std::nullopt, "test"));

  // a hash of the password as typed (NFD), made before passwords were normalised
  u.handle = "older";
  auto older = store_->AddUser(org_, u);
  ASSERT_TRUE(older);
  char legacy[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(legacy, nfd_password.data(), nfd_password.size(), crypto_pwhash_OPSLIMIT_MIN,
                                  crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
            0);
  ASSERT_TRUE(store_->SetUserLogin(org_, *older, legacy, std::nullopt, std::nullopt));
  EXPECT_TRUE(a_->SignIn("older", nfd_password, std::nullopt, "test"));
  EXPECT_FALSE(a_->SignIn("older", "not it at all", std::nullopt, "test"));
}

TEST_F(ClinicTest, StylesAndPreferencesMustBeCnipScalesWithinTheirRange) {
  auto refused = [](const Result<Id>& r, const std::string& field, const std::string& says) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::INVALID_ARGUMENT);
    EXPECT_EQ(r.error().field, field);
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
  };
  auto clients_before = store_->ListClients(org_);
  ASSERT_TRUE(clients_before);
  Client c;
  c.pseudonym = "C";
  c.external_id = "c-range";
  c.preferences = {{"warm_support", 999}};
  refused(a_->CreateClient(coordinator_, c), "preferences.warm_support",
          "preferences.warm_support is 999; expected a number from -15 to 15");
  c.preferences = {{"past_orientation", -10}};  // three items: -9 to 9
  refused(a_->CreateClient(coordinator_, c), "preferences.past_orientation", "from -9 to 9");
  c.preferences = {{"warmth", 1}};
  refused(a_->CreateClient(coordinator_, c), "preferences", "\"warmth\"; expected the C-NIP dimensions");
  auto clients_after = store_->ListClients(org_);
  ASSERT_TRUE(clients_after);
  EXPECT_EQ(clients_after->size(), clients_before->size()) << "nothing is written";

  c.preferences = {{"warm_support", 15}, {"past_orientation", -9}};  // the ends are allowed
  auto id = a_->CreateClient(coordinator_, c);
  ASSERT_TRUE(id) << id.error().message;
  c.id = *id;
  c.preferences = {{"emotional_intensity", std::nan("")}};
  auto intake = a_->UpdateIntake(coordinator_, c);
  ASSERT_FALSE(intake);
  EXPECT_EQ(intake.error().field, "preferences.emotional_intensity");
  auto stored = store_->GetClient(org_, *id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->preferences.at("warm_support"), 15) << "the refused intake left the client as it was";

  Therapist t;
  t.display_name = "T";
  t.external_id = "t-range";
  t.style = {{"therapist_directiveness", -16}};
  refused(a_->CreateTherapist(coordinator_, t), "style.therapist_directiveness", "-16");
  store::TherapistUpdate update;
  update.style = std::map<std::string, double>{{"challenge", 1}};
  t.style = {};
  auto tid = a_->CreateTherapist(coordinator_, t);
  ASSERT_TRUE(tid) << tid.error().message;
  auto changed = a_->UpdateTherapist(coordinator_, *tid, update);
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().field, "style");
}

TEST_F(ClinicTest, RecommendationsEqualTheMatchingRankingAndSeeWritesAtOnce) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> position(-2, 2), pick(0, 9);
  const char* dims[] = {"therapist_directiveness", "emotional_intensity", "past_orientation", "warm_support"};
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
    if (i % 2 == 0) t.client_visible = {"languages"};
    auto id = store_->AddTherapist(org_, t);
    ASSERT_TRUE(id) << id.error().message;
  }
  Client c;
  c.pseudonym = "C1";
  c.external_id = "c1";
  c.preferences = {{"therapist_directiveness", 1}, {"warm_support", 2}, {"unknown_dimension", 1}};
  c.constraints = {"language:de", "modality:video"};
  auto client = store_->AddClient(org_, c);
  ASSERT_TRUE(client) << client.error().message;
  c.id = *client;

  // No episodes or responses: the model is its priors, and still ranks (never an empty answer).
  auto five = Ranked(*a_, *client, 5);
  ASSERT_EQ(five.size(), 5u);
  EXPECT_EQ(five, Reference(*client, 5));
  auto all = Ranked(*a_, *client, 0);
  EXPECT_EQ(all, Reference(*client, 0));
  auto therapists = store_->ListTherapists(org_);
  ASSERT_TRUE(therapists);
  for (const auto& [id, score] : all) {  // hard filters: accepting, room, speaks de, offers video
    auto t = std::find_if(therapists->begin(), therapists->end(), [&](const Therapist& x) { return x.id == id; });
    ASSERT_NE(t, therapists->end());
    EXPECT_TRUE(t->accepting && t->capacity > 0 && t->modality != "in_person");
    EXPECT_NE(std::find(t->languages.begin(), t->languages.end(), "de"), t->languages.end());
  }
  EXPECT_LT(all.size(), therapists->size());

  // Uncertainty and reasons in words; the client sees only what each therapist made visible.
  Actor self{org_, 2, Role::CLIENT, std::nullopt, *client, "c1", "test"};
  auto own = a_->Recommend(self, *client, 3);
  ASSERT_TRUE(own) << own.error().message;
  ASSERT_EQ(own->size(), 3u);
  for (const auto& r : *own) {
    EXPECT_GT(r.uncertainty, 0);
    EXPECT_TRUE(std::isfinite(r.score));
    ASSERT_GE(r.reasons.size(), 3u);
    EXPECT_EQ(r.reasons[0], "speaks German");  // the language's name, not its code
    EXPECT_EQ(r.reasons[1], "offers video");
    EXPECT_TRUE(r.therapist.style.empty()) << "style is not client-visible";
    // Nor do the reasons name the hidden style: "fits your preference for a directive style"
    // would tell the client what the profile hides.
    for (const auto& reason : r.reasons) EXPECT_EQ(reason.find("your preference for"), std::string::npos) << reason;
  }
  // The coordinator reads the same ranking with the style named, worded about the client.
  auto staff = a_->Recommend(coordinator_, *client, 3);
  ASSERT_TRUE(staff) << staff.error().message;
  bool named = false;
  for (const auto& r : *staff) {
    for (const auto& reason : r.reasons) {
      named = named || reason.find("the client's preference for") != std::string::npos;
      EXPECT_EQ(reason.find("your"), std::string::npos) << reason;  // staff read about the client
    }
  }
  EXPECT_TRUE(named);

  // An intake change through one Clinic is seen by the other at once (cached client row dropped).
  c.preferences = {{"warm_support", -2}};
  c.constraints = {};
  ASSERT_TRUE(b_->UpdateIntake(coordinator_, c));
  EXPECT_EQ(Ranked(*a_, *client, 7), Reference(*client, 7));

  // A therapist created through one Clinic is ranked by the other at once.
  Therapist best;
  best.display_name = "exact fit";
  best.external_id = "t-best";
  best.style = {{"warm_support", -2}};
  best.languages = {"en"};
  best.modality = "both";
  best.capacity = 3;
  auto added = b_->CreateTherapist(coordinator_, best);
  ASSERT_TRUE(added) << added.error().message;
  auto now_all = Ranked(*a_, *client, 0);
  EXPECT_EQ(now_all, Reference(*client, 0));
  EXPECT_NE(std::find_if(now_all.begin(), now_all.end(), [&](const auto& r) { return r.first == *added; }),
            now_all.end());
}

// A client's view of a therapist keeps the profile fields the therapist shows and clears the rest
// (the wire then omits them); a shown style is named in the client's own words.
TEST_F(ClinicTest, ClientsSeeOnlyTheFieldsATherapistShows) {
  Therapist t;
  t.display_name = "shown";
  t.external_id = "t-shown";
  t.approaches = {"cbt"};
  t.style = {{"warm_support", 2}};
  t.languages = {"en"};
  t.modality = "video";
  t.location = "Leeds";
  t.capacity = 3;
  t.client_visible = {"style", "modality"};
  auto id = a_->CreateTherapist(coordinator_, t);
  ASSERT_TRUE(id) << id.error().message;
  const Id client = AddClient("c-shown", {}, {{"warm_support", 3}});
  ASSERT_NE(client, 0);
  Actor self{org_, 2, Role::CLIENT, std::nullopt, client, "c-shown", "test"};

  auto seen = a_->GetTherapist(self, *id);
  ASSERT_TRUE(seen) << seen.error().message;
  EXPECT_EQ(seen->display_name, "shown");
  EXPECT_EQ(seen->style, t.style);
  EXPECT_EQ(seen->modality, "video");
  EXPECT_TRUE(seen->approaches.empty());
  EXPECT_TRUE(seen->languages.empty());
  EXPECT_TRUE(seen->location.empty());
  EXPECT_TRUE(seen->external_id.empty());
  EXPECT_EQ(seen->capacity, 0);
  auto listed = a_->ListTherapists(self);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), *seen);
  auto staff = a_->GetTherapist(coordinator_, *id);
  ASSERT_TRUE(staff) << staff.error().message;
  EXPECT_EQ(staff->location, "Leeds");

  auto recs = a_->Recommend(self, client, 1);
  ASSERT_TRUE(recs) << recs.error().message;
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ(recs->front().therapist, *seen);
  const auto& reasons = recs->front().reasons;
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "fits your preference for warm support"), reasons.end())
      << fmt::format("{}", fmt::join(reasons, " | "));
}

TEST_F(ClinicTest, RecommendationReasonsExplainMindfulnessWithoutRawScores) {
  auto instrument = catalogue_->Get("ffmq39");
  ASSERT_TRUE(instrument) << instrument.error().message;
  // Two therapists with different FFMQ-39 self-reports (the model standardises facets across the
  // organisation), stored as `attune sim` stores them (no licence is declared for submissions here).
  for (int k = 0; k < 2; ++k) {
    Therapist t;
    t.display_name = "mindful " + std::to_string(k);
    t.external_id = "t-m" + std::to_string(k);
    t.style = {{"warm_support", 1}};
    t.languages = {"en"};
    t.capacity = 2;
    auto id = store_->AddTherapist(org_, t);
    ASSERT_TRUE(id) << id.error().message;
    Response ffmq;
    ffmq.instrument_id = "ffmq39";
    ffmq.instrument_version = (*instrument)->version;
    ffmq.respondent = RespondentKind::THERAPIST;
    ffmq.respondent_id = *id;
    ffmq.subject_id = *id;
    ffmq.answered_at = "2026-11-26T09:00:00Z";
    for (int i = 0; i < 39; ++i) ffmq.answers.push_back(k == 0 ? 1 + i % 5 : 3);
    ffmq.idempotency_key = "ffmq-" + std::to_string(k);
    auto scored = ScoreForStorage(**instrument, ffmq);
    ASSERT_TRUE(scored) << scored.error().message;
    auto submitted = store_->SubmitResponse(org_, *scored);
    ASSERT_TRUE(submitted) << submitted.error().message;
  }
  const Id client = AddClient("c2", {}, {{"warm_support", 1}});
  ASSERT_NE(client, 0);

  auto recs = a_->Recommend(coordinator_, client, 2);
  ASSERT_TRUE(recs) << recs.error().message;
  ASSERT_EQ(recs->size(), 2u);
  bool facet_reason = false;
  for (const auto& rec : *recs) {
    for (const auto& reason : rec.reasons) {
      if (reason.find("mindfulness") == std::string::npos) continue;
      facet_reason = true;
      EXPECT_EQ(reason.find_first_of("0123456789"), std::string::npos) << reason;  // words, no raw score
    }
  }
  EXPECT_TRUE(facet_reason) << "the therapist's FFMQ-39 facets enter the ranking's explanation";
}

// A cold cache asked by many requests at once: they wait for one load of the therapists and one
// compiled matcher instead of each doing it, and all get the same, correct answer; WarmMatching
// prepares the same matcher ahead (the server calls it before it listens).
TEST_F(ClinicTest, ConcurrentRecommendationsOnAColdCacheShareOneLoadAndAgree) {
  for (int i = 0; i < 40; ++i) {
    Therapist t;
    t.display_name = "T" + std::to_string(i);
    t.external_id = "t" + std::to_string(i);
    t.style = {{"warm_support", i % 5 - 2}, {"therapist_directiveness", (i * 7) % 5 - 2}};
    t.languages = {"en"};
    t.capacity = 4;
    ASSERT_TRUE(store_->AddTherapist(org_, t));
  }
  const Id client = AddClient("c3", {}, {{"warm_support", 2}});
  ASSERT_NE(client, 0);
  const auto expected = Reference(client, 8);
  ASSERT_EQ(expected.size(), 8u);

  constexpr int kThreads = 12;
  std::vector<std::vector<std::pair<Id, double>>> seen(kThreads);
  const auto errors = AtOnce(kThreads, [&](Clinic& clinic, int k) -> std::string {
    auto recs = clinic.Recommend(coordinator_, client, 8);
    if (!recs) return recs.error().message;
    for (const auto& r : *recs) seen[static_cast<std::size_t>(k)].emplace_back(r.therapist.id, r.score);
    return "";
  });
  for (std::size_t k = 0; k < kThreads; ++k) {
    EXPECT_EQ(errors[k], "") << "thread " << k;
    EXPECT_EQ(seen[k], expected) << "thread " << k;
  }

  auto fresh = MakeClinicCache();
  Clinic warm(*store_, *catalogue_, instruments::Use::CLINICAL, ReadAuditor{}, Committer{}, fresh);
  ASSERT_TRUE(warm.WarmMatching(org_));
  EXPECT_EQ(Ranked(warm, client, 8), expected);
}

// The probe: the places a plan takes were counted on the plan as read, before the write, so two
// coordinators committing at once could both fill a therapist's last place. Now they are counted
// again under the write's lock on the therapist's row.
PlanRow Row(Id client, Id therapist) {
  PlanRow row;
  row.client_id = client;
  row.therapist_id = therapist;
  return row;
}

TEST_F(ClinicTest, PlansCommittedAtOnceNeverOverfillATherapist) {
  Therapist t;
  t.display_name = "T";
  t.external_id = "t-last-place";
  t.languages = {"en"};
  t.capacity = 2;
  auto therapist = store_->AddTherapist(org_, t);
  ASSERT_TRUE(therapist) << therapist.error().message;
  ASSERT_NE(AddEpisodeIn("active", AddClient("in therapy"), *therapist, "2026-01-05"), 0);  // one place left
  constexpr int kThreads = 8;
  std::vector<Id> clients;
  for (int k = 0; k < kThreads; ++k) clients.push_back(AddClient("waiting " + std::to_string(k)));
  std::vector<int> placed(kThreads, 0);
  std::latch start(kThreads);  // every thread reads its plan at the same moment
  const auto errors = AtOnce(kThreads, [&](Clinic& clinic, int k) -> std::string {
    start.arrive_and_wait();
    auto committed = clinic.CommitAssignments(coordinator_, {Row(clients[static_cast<std::size_t>(k)], *therapist)});
    if (committed) {
      placed[static_cast<std::size_t>(k)] = 1;
      return "";
    }
    if (committed.error().code != ErrorCode::CONFLICT || committed.error().field != "plan[0].therapist_id") {
      return committed.error().message;
    }
    return "";
  });
  for (std::size_t k = 0; k < kThreads; ++k) EXPECT_EQ(errors[k], "") << "thread " << k;
  EXPECT_EQ(std::count(placed.begin(), placed.end(), 1), 1);
  auto episodes = store_->ListEpisodes(org_);
  ASSERT_TRUE(episodes) << episodes.error().message;
  EXPECT_EQ(episodes->size(), 2u);
  // A client placed since the plan was read is refused the same way, and nothing is written.
  const Id chose = clients[placed[0] == 1 ? 1 : 0];
  Therapist roomy = t;
  roomy.external_id = "t-roomy";
  roomy.capacity = 5;
  auto other = store_->AddTherapist(org_, roomy);
  ASSERT_TRUE(other) << other.error().message;
  ASSERT_NE(AddEpisodeIn("waiting", chose, *other, "2026-11-01"), 0);
  auto late = a_->CommitAssignments(coordinator_, {Row(chose, *other)});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(late.error().field, "plan[0].client_id");
  EXPECT_EQ(store_->ListEpisodes(org_)->size(), 3u);
}

// A therapist's self-report (FFMQ-39) is stored with subject_id = the therapist's id; client 1
// and therapist 1 share the number, and the client must not read it as theirs.
class ResponseOwnershipTest : public ClinicTest {
 protected:
  void SetUp() override {
    ClinicTest::SetUp();
    if (HasFatalFailure()) return;
    Therapist t;
    t.external_id = "t1";
    t.display_name = "T";
    therapist_ = *store_->AddTherapist(org_, t);
    for (const char* name : {"c1", "c2"}) {
      Client c;
      c.external_id = name;
      c.pseudonym = name;
      clients_.push_back(*store_->AddClient(org_, c));
    }
    for (Id client : clients_) {
      Episode e;
      e.client_id = client;
      e.therapist_id = therapist_;
      e.started_on = "2026-01-05";
      e.assigned_by = "coordinator";
      episodes_.push_back(*store_->AddEpisode(org_, e));
      Session v;
      v.episode_id = episodes_.back();
      v.number = 1;
      v.held_at = "2026-01-05T10:00:00Z";
      sessions_.push_back(*store_->AddSession(org_, v));
    }
    ASSERT_EQ(therapist_, clients_[0]);  // the same number, which is the point
    therapist_actor_ = Actor{org_, 2, Role::THERAPIST, therapist_, std::nullopt, "t", "test"};
    client_actor_ = Actor{org_, 3, Role::CLIENT, std::nullopt, clients_[0], "c", "test"};
  }

  Submission Form(const std::string& instrument, Id subject, std::optional<Id> episode, std::optional<Id> session,
                  const std::string& key) {
    auto inst = catalogue_->Get(instrument);
    EXPECT_TRUE(inst);
    Submission s;
    s.instrument_id = instrument;
    s.subject_id = subject;
    s.episode_id = episode;
    s.session_id = session;
    s.answered_at = "2026-01-05T11:00:00Z";
    s.answers.assign(inst ? (*inst)->items.size() : 0, 3.0);
    s.idempotency_key = key;
    return s;
  }

  // `threads` PHQ-9s at once, each reliably worse than the intake, about one client.
  void ExpectOneDeterioration(int threads, bool separate) {
    Submission intake = Form("phq9", clients_[0], episodes_[0], sessions_[0], "intake");
    intake.answers.assign(intake.answers.size(), 0.0);
    ASSERT_TRUE(a_->SubmitResponse(client_actor_, intake));
    const auto errors = AtOnce(
        threads,
        [&](Clinic& clinic, int k) -> std::string {
          Submission worse = Form("phq9", clients_[0], episodes_[0], sessions_[0], "worse-" + std::to_string(k));
          worse.answers.back() = 0;  // no risk item: only the state changes raise alerts
          auto done = clinic.SubmitResponse(client_actor_, worse);
          return done ? "" : done.error().message;
        },
        separate);
    for (std::size_t k = 0; k < errors.size(); ++k) EXPECT_EQ(errors[k], "") << "thread " << k;
    EXPECT_EQ(*store_->CountResponses(org_), threads + 1);
    auto alerts = store_->ListAlerts(org_);
    ASSERT_TRUE(alerts) << alerts.error().message;
    int deteriorations = 0;
    for (const auto& a : *alerts) deteriorations += a.kind == "reliable_deterioration" ? 1 : 0;
    EXPECT_EQ(deteriorations, 1);
  }

  Id therapist_ = 0;
  std::vector<Id> clients_, episodes_, sessions_;
  Actor therapist_actor_, client_actor_;
};

TEST_F(ResponseOwnershipTest, AClientNeverReadsATherapistsSelfReportWithTheSameNumber) {
  // Stored as the simulator and imports store it (FFMQ-39's licence is an operator's overlay).
  auto ffmq = catalogue_->Get("ffmq39");
  ASSERT_TRUE(ffmq);
  Response self;
  self.respondent_id = self.subject_id = therapist_;
  self.answered_at = "2026-01-05T11:00:00Z";
  self.answers.assign((*ffmq)->items.size(), 3.0);
  self.idempotency_key = "f1";
  auto scored = ScoreForStorage(**ffmq, self);
  ASSERT_TRUE(scored);
  ASSERT_EQ(scored->response.respondent, RespondentKind::THERAPIST);
  auto own = store_->SubmitResponse(org_, *scored);
  ASSERT_TRUE(own) << own.error().message;
  auto phq = a_->SubmitResponse(client_actor_, Form("phq9", clients_[0], episodes_[0], sessions_[0], "p1"));
  ASSERT_TRUE(phq) << phq.error().message;
  for (const Actor& reader : {client_actor_, coordinator_}) {
    auto listed = a_->ListResponses(reader, clients_[0]);
    ASSERT_TRUE(listed) << listed.error().message;
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->at(0).instrument_id, "phq9");
    auto trajectory = a_->Trajectory(reader, clients_[0], "ffmq39", "");
    ASSERT_TRUE(trajectory) << trajectory.error().message;
    EXPECT_TRUE(trajectory->empty());
  }
  auto stored = store_->GetResponse(org_, own->response_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(a_->ScoresOf(client_actor_, *stored).error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_EQ(a_->ScoresOf(coordinator_, *stored).error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_TRUE(a_->ScoresOf(therapist_actor_, *stored));
}

// The probe: a coordinator's form without subject_id was 404 "client 0 not found"; a client's or
// therapist's form naming another client's episode said whose it was before access was checked.
TEST_F(ResponseOwnershipTest, AFormSaysWhatIsMissingAndNothingAboutOthersEpisodes) {
  const Actor coordinator{org_, 9, Role::COORDINATOR, std::nullopt, std::nullopt, "co", "test"};
  auto nameless = a_->SubmitResponse(coordinator, Form("phq9", 0, episodes_[0], std::nullopt, "n1"));
  ASSERT_FALSE(nameless);
  EXPECT_EQ(nameless.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(nameless.error().field, "subject_id");
  EXPECT_EQ(nameless.error().message, "subject_id is missing; expected the client the form is about");
  auto others = a_->SubmitResponse(client_actor_, Form("phq9", clients_[0], episodes_[1], std::nullopt, "n2"));
  ASSERT_FALSE(others);
  EXPECT_EQ(others.error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_EQ(others.error().message.find("belongs to"), std::string::npos) << others.error().message;
  // An alliance questionnaire rates therapy: without an episode it is refused (it was saved).
  const auto before = *store_->CountResponses(org_);
  auto loose = a_->SubmitResponse(client_actor_, Form("wai_sr", clients_[0], std::nullopt, std::nullopt, "n3"));
  ASSERT_FALSE(loose);
  EXPECT_EQ(loose.error().field, "episode_id");
  EXPECT_EQ(loose.error().message,
            "episode_id is missing; wai_sr rates the alliance with a therapist, so it belongs to an episode of therapy "
            "(expected the episode it is about)");
  EXPECT_EQ(*store_->CountResponses(org_), before);
  EXPECT_TRUE(a_->SubmitResponse(client_actor_, Form("wai_sr", clients_[0], episodes_[0], std::nullopt, "n4")));
  // A form of an episode answered before therapy began (in 1900) is refused; the evening before
  // the start in UTC is the start day east of UTC+13, so it is kept.
  Submission early = Form("phq9", clients_[0], episodes_[0], std::nullopt, "n5");
  early.answered_at = "1900-01-01T10:00:00Z";
  auto refused = a_->SubmitResponse(client_actor_, early);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "answered_at");
  EXPECT_EQ(refused.error().message,
            fmt::format("answered_at is \"1900-01-01T10:00:00Z\", before episode {} started (started_on 2026-01-05); "
                        "expected a time once therapy began (a form answered before therapy names no episode_id)",
                        episodes_[0]));
  early.idempotency_key = "n6";
  early.answered_at = "2026-01-04T11:00:00Z";
  EXPECT_TRUE(a_->SubmitResponse(client_actor_, early));
  early.idempotency_key = "n7";
  early.answered_at = "2026-01-04T09:00:00Z";  // 23:00 on the 4th at UTC+14: before the start
  EXPECT_FALSE(a_->SubmitResponse(client_actor_, early));
}

TEST_F(ResponseOwnershipTest, ASessionMustExistAndBelongToTheResponsesEpisode) {
  const auto before = store_->CountResponses(org_);
  // Client 1's response tied to client 2's session.
  auto crossed = a_->SubmitResponse(client_actor_, Form("phq9", clients_[0], episodes_[0], sessions_[1], "x1"));
  ASSERT_FALSE(crossed);
  EXPECT_EQ(crossed.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(crossed.error().field, "session_id");
  // The probe: the refusal named the episode the session belongs to (another client's therapy);
  // another episode's session and no one's get the same answer.
  EXPECT_EQ(crossed.error().message, fmt::format("session_id {} is not a session of episode_id {}; expected one of "
                                                 "its sessions",
                                                 sessions_[1], episodes_[0]));
  auto missing = a_->SubmitResponse(client_actor_, Form("phq9", clients_[0], episodes_[0], 999999, "x2"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(missing.error().field, "session_id");
  EXPECT_EQ(missing.error().message,
            fmt::format("session_id 999999 is not a session of episode_id {}; expected one of its sessions", episodes_[0]));
  auto loose = a_->SubmitResponse(client_actor_, Form("phq9", clients_[0], std::nullopt, sessions_[0], "x3"));
  ASSERT_FALSE(loose);
  EXPECT_EQ(loose.error().field, "session_id");
  // A therapist's rating of a client names the episode; without one it would read as a self-report.
  auto unplaced = a_->SubmitResponse(therapist_actor_, Form("wai_srt", clients_[1], std::nullopt, std::nullopt, "x4"));
  ASSERT_FALSE(unplaced);
  EXPECT_EQ(unplaced.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(unplaced.error().field, "episode_id");
  EXPECT_EQ(*store_->CountResponses(org_), *before);  // nothing written
  auto placed = a_->SubmitResponse(therapist_actor_, Form("wai_srt", clients_[1], episodes_[1], sessions_[1], "x5"));
  EXPECT_TRUE(placed) << placed.error().message;
}

TEST_F(ResponseOwnershipTest, EveryPathRefusesAResponseAboutNobody) {
  // Service::SubmitResponse is what the CLI and the simulator's live episodes use, not only the API.
  Service service(*store_, *catalogue_, instruments::Use::CLINICAL);
  Submission s = Form("phq9", 4242, std::nullopt, std::nullopt, "nobody");
  s.respondent_id = 4242;
  auto refused = service.SubmitResponse(org_, s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::NOT_FOUND);
  EXPECT_EQ(refused.error().message, "subject_id 4242 is not a client of this organisation");
  EXPECT_EQ(*store_->CountResponses(org_), 0);
}

TEST_F(ResponseOwnershipTest, ResolvingWithoutANoteAnswersTheNoteAsStored) {
  Alert alert;
  alert.episode_id = episodes_[0];
  alert.kind = "rupture";
  alert.severity = "warning";
  alert.detail = "test";
  auto id = store_->AddAlert(org_, alert);
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(a_->AcknowledgeAlert(therapist_actor_, *id, "called the client"));
  auto resolved = a_->ResolveAlert(therapist_actor_, *id, "");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->note, "called the client");
  EXPECT_FALSE(resolved->resolved_at.empty());
}

TEST_F(ResponseOwnershipTest, TrainingIsLoggedOnceDone) {
  TrainingRecord record;
  record.therapist_id = therapist_;
  record.kind = "daily_practice";
  record.minutes = 20;
  record.completed_on = "2099-01-01";
  auto ahead = a_->AddTraining(therapist_actor_, record);
  ASSERT_FALSE(ahead);
  EXPECT_EQ(ahead.error().field, "completed_on");
  EXPECT_EQ(ahead.error().message.rfind("completed_on is '2099-01-01'; expected a date on or before today", 0), 0u)
      << ahead.error().message;
  record.completed_on = "2026-01-05";
  EXPECT_TRUE(a_->AddTraining(therapist_actor_, record));
}

// The probe's case: client c had an episode with therapist A, who rated the alliance (WAI-SR-T),
// and chose therapist B, a choice waiting for the clinic. B read c's whole history, A's ratings
// included. Access comes from an episode the clinic confirmed (active) or that ended; a
// therapist reads the client's own answers from every episode but no other therapist's ratings.
TEST_F(ResponseOwnershipTest, ATherapistReadsAClientOnlyFromAConfirmedEpisodeAndNoOthersRatings) {
  Therapist t;
  t.external_id = "t2";
  t.display_name = "B";
  const Id chosen = *store_->AddTherapist(org_, t);
  t.external_id = "t3";
  t.display_name = "C";
  const Id current = *store_->AddTherapist(org_, t);
  const Id client = clients_[1];
  // Client 2's episode with therapist 1: the client's PHQ-9 and therapist 1's WAI-SR-T.
  ASSERT_TRUE(a_->SubmitResponse(coordinator_, Form("phq9", client, episodes_[1], sessions_[1], "w1")));
  auto rating = a_->SubmitResponse(coordinator_, Form("wai_srt", client, episodes_[1], sessions_[1], "w2"));
  ASSERT_TRUE(rating) << rating.error().message;
  ASSERT_NE(AddEpisodeIn("waiting", client, chosen, "2026-04-01"), 0);
  const Actor b{org_, 20, Role::THERAPIST, chosen, std::nullopt, "b", "test"};
  EXPECT_EQ(a_->GetClient(b, client).error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_EQ(a_->ListResponses(b, client).error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_EQ(a_->Trajectory(b, client, "wai_srt", "").error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_EQ(a_->Due(b, client).error().code, ErrorCode::NOT_PERMITTED);
  auto listed = a_->ListClients(b);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_TRUE(listed->empty());
  // Therapist 3, whose episode with the client is active, reads the client's answers of every
  // episode but not therapist 1's rating; therapist 1 still reads their own.
  ASSERT_NE(AddEpisodeIn("active", client, current, "2026-04-01"), 0);
  const Actor c{org_, 21, Role::THERAPIST, current, std::nullopt, "c", "test"};
  auto seen = a_->ListResponses(c, client);
  ASSERT_TRUE(seen) << seen.error().message;
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ(seen->at(0).instrument_id, "phq9");
  auto trajectory = a_->Trajectory(c, client, "wai_srt", "");
  ASSERT_TRUE(trajectory) << trajectory.error().message;
  EXPECT_TRUE(trajectory->empty());
  auto others = store_->GetResponse(org_, rating->outcome.response_id);
  ASSERT_TRUE(others);
  EXPECT_EQ(a_->ScoresOf(c, *others).error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_TRUE(a_->ScoresOf(therapist_actor_, *others));
  auto own = a_->ListResponses(therapist_actor_, client);
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(own->size(), 2u);
  EXPECT_EQ(a_->ListResponses(coordinator_, client)->size(), 2u);
  // The client reads their own answers, not a therapist's rating of them.
  const Actor self{org_, 22, Role::CLIENT, std::nullopt, client, "client", "test"};
  auto mine = a_->ListResponses(self, client);
  ASSERT_TRUE(mine) << mine.error().message;
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->at(0).instrument_id, "phq9");
  auto rated = a_->Trajectory(self, client, "wai_srt", "");
  ASSERT_TRUE(rated) << rated.error().message;
  EXPECT_TRUE(rated->empty());
  EXPECT_EQ(a_->ScoresOf(self, *others).error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_TRUE(a_->ScoresOf(self, mine->at(0)));
}

// The probe: a coordinator set ["exclude:5", "risk:high"], then the client's own "About you" save
// of ["language:en"] left only language:en. A client sets their languages and modality; the
// clinic's constraints (location, exclusions, risk) they may neither remove nor add.
TEST_F(ResponseOwnershipTest, AClientSetsTheirOwnConstraintsAndKeepsTheClinics) {
  Client clinic;
  clinic.id = clients_[0];
  clinic.concerns = {"low mood"};
  clinic.constraints = {"exclude:5", "risk:high", "location:North Town"};
  ASSERT_TRUE(a_->UpdateIntake(coordinator_, clinic));
  Client own = clinic;
  own.constraints = {"language:en"};
  // Left out (the client's form does not show them), the clinic's are kept.
  auto kept = a_->UpdateIntake(client_actor_, own);
  ASSERT_TRUE(kept) << kept.error().message;
  // The client does not read the clinic's risk assessment; it is stored all the same.
  EXPECT_EQ(kept->constraints, (std::vector<std::string>{"language:en", "exclude:5", "location:North Town"}));
  EXPECT_EQ(a_->GetClient(client_actor_, clients_[0])->constraints, kept->constraints);
  EXPECT_EQ(a_->ListClients(client_actor_)->at(0).constraints, kept->constraints);
  EXPECT_EQ(store_->GetClient(org_, clients_[0])->constraints,
            (std::vector<std::string>{"language:en", "exclude:5", "risk:high", "location:North Town"}));
  EXPECT_EQ(a_->GetClient(coordinator_, clients_[0])->constraints, store_->GetClient(org_, clients_[0])->constraints);
  own.constraints = {"exclude:5", "location:North Town", "language:en", "exclude:7"};
  auto added = a_->UpdateIntake(client_actor_, own);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_EQ(added.error().field, "constraints[3]");
  EXPECT_EQ(added.error().message,
            "constraints[3] is \"exclude:7\"; a client may set only language: and modality: constraints (location:, "
            "exclude: and risk: are the clinic's)");
  // A risk flag sent back is refused whether or not the clinic set one (the probe: 200 when it
  // was stored, 403 when not, which told the client they were flagged).
  own.constraints = {"language:en", "risk:high"};
  auto flagged = a_->UpdateIntake(client_actor_, own);
  ASSERT_FALSE(flagged);
  EXPECT_EQ(flagged.error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_EQ(flagged.error().field, "constraints[1]");
  Client other_own;
  other_own.id = clients_[1];
  other_own.concerns = {"low mood"};
  other_own.constraints = {"language:en", "risk:high"};
  const Actor other_client{org_, 4, Role::CLIENT, std::nullopt, clients_[1], "c2", "test"};
  auto unflagged = a_->UpdateIntake(other_client, other_own);
  ASSERT_FALSE(unflagged);
  EXPECT_EQ(unflagged.error().code, flagged.error().code);
  EXPECT_EQ(unflagged.error().message, flagged.error().message);
  EXPECT_EQ(store_->GetClient(org_, clients_[0])->constraints,
            (std::vector<std::string>{"language:en", "exclude:5", "risk:high", "location:North Town"}));  // nothing written
  // Sent back in any order, the clinic's are kept as stored, after the client's own.
  own.constraints = {"language:es", "language:pl", "location:North Town", "exclude:5", "modality:video"};
  auto saved = a_->UpdateIntake(client_actor_, own);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(saved->constraints, (std::vector<std::string>{"language:es", "language:pl", "modality:video", "exclude:5",
                                                          "location:North Town"}));
  EXPECT_EQ(store_->GetClient(org_, clients_[0])->constraints,
            (std::vector<std::string>{"language:es", "language:pl", "modality:video", "exclude:5", "risk:high",
                                      "location:North Town"}));
  // The coordinator changes the clinic's.
  clinic.constraints = {"language:es"};
  ASSERT_TRUE(a_->UpdateIntake(coordinator_, clinic));
  EXPECT_EQ(store_->GetClient(org_, clients_[0])->constraints, clinic.constraints);
}

// The probe: ["language:es", "language:pl"] ranked only Polish speakers and
// ["modality:video", "modality:in_person"] meant in person only: the last of a kind won. Several
// languages are any of them; a second modality or location is refused, as is any entry twice.
TEST_F(ClinicTest, SeveralLanguagesAreAnyOfThemAndAModalityOrLocationIsOne) {
  std::map<std::string, Id> speaker;
  for (const char* language : {"es", "pl", "en"}) {
    Therapist t;
    t.external_id = std::string("t-") + language;
    t.display_name = t.external_id;
    t.languages = {language};
    t.capacity = 5;
    auto id = store_->AddTherapist(org_, t);
    ASSERT_TRUE(id) << id.error().message;
    speaker[language] = *id;
  }
  Client c;
  c.external_id = "bilingual";
  c.pseudonym = "bilingual";
  c.constraints = {"language:es", "language:pl"};
  auto client = store_->AddClient(org_, c);
  ASSERT_TRUE(client) << client.error().message;
  auto recs = a_->Recommend(coordinator_, *client, 0);
  ASSERT_TRUE(recs) << recs.error().message;
  std::map<Id, std::vector<std::string>> reasons;
  for (const auto& r : *recs) reasons[r.therapist.id] = r.reasons;
  ASSERT_EQ(reasons.size(), 2u);
  ASSERT_TRUE(reasons.count(speaker["es"]));
  ASSERT_TRUE(reasons.count(speaker["pl"]));
  EXPECT_EQ(reasons[speaker["es"]].front(), "speaks Spanish");
  EXPECT_EQ(reasons[speaker["pl"]].front(), "speaks Polish");
  // The matching use case (`attune match rank`, assignment plans) reads them the same way.
  std::vector<Id> ranked;
  for (const auto& [id, score] : Reference(*client, 0)) ranked.push_back(id);
  std::sort(ranked.begin(), ranked.end());
  EXPECT_EQ(ranked, (std::vector<Id>{speaker["es"], speaker["pl"]}));

  c.id = *client;
  auto refuse = [&](std::vector<std::string> constraints, const std::string& field, const std::string& message) {
    Client changed = c;
    changed.constraints = std::move(constraints);
    auto r = a_->UpdateIntake(coordinator_, changed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::INVALID_ARGUMENT);
    EXPECT_EQ(r.error().field, field);
    EXPECT_EQ(r.error().message, message);
  };
  refuse({"modality:video", "modality:in_person"}, "constraints[1]",
         "constraints[1] is \"modality:in_person\" after constraints[0] \"modality:video\"; expected one "
         "modality:in_person or modality:video (a client who can meet either way gives none)");
  refuse({"language:es", "location:Leeds", "location:York"}, "constraints[2]",
         "constraints[2] is \"location:York\" after constraints[1] \"location:Leeds\"; expected one location:<place>");
  refuse({"language:es", "language:es"}, "constraints[1]",
         "constraints[1] is \"language:es\", the same as constraints[0] \"language:es\"; expected each constraint once");
  refuse({"risk:high", "risk:high"}, "constraints[1]",
         "constraints[1] is \"risk:high\", the same as constraints[0] \"risk:high\"; expected each constraint once");
  Client twice = c;
  twice.concerns = {"anxiety", "anxiety"};
  auto concerns = a_->UpdateIntake(coordinator_, twice);
  ASSERT_FALSE(concerns);
  EXPECT_EQ(concerns.error().field, "concerns[1]");
  EXPECT_EQ(concerns.error().message, "concerns[1] is \"anxiety\", the same as concerns[0]; expected each concern once");
  EXPECT_EQ(store_->GetClient(org_, *client)->constraints, c.constraints);  // nothing written
}

// A form dated ahead of the clock was stored, and placed after sessions not yet held.
TEST_F(ResponseOwnershipTest, AFormAnsweredInTheFutureIsRefused) {
  const std::int64_t stored = *store_->CountResponses(org_);
  Submission ahead = Form("phq9", clients_[0], episodes_[0], std::nullopt, "future");
  ahead.answered_at = "2099-01-01T10:00:00Z";
  auto refused = a_->SubmitResponse(client_actor_, ahead);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "answered_at");
  EXPECT_EQ(refused.error().message.rfind("answered_at is \"2099-01-01T10:00:00Z\", in the future; expected the time "
                                          "the form was answered (",
                                          0),
            0u)
      << refused.error().message;
  ahead.answered_at = "2099-01-01";
  EXPECT_EQ(a_->SubmitResponse(client_actor_, ahead).error().field, "answered_at");
  EXPECT_EQ(*store_->CountResponses(org_), stored);
  ahead.answered_at = "2026-01-05T11:00:00Z";
  EXPECT_TRUE(a_->SubmitResponse(client_actor_, ahead));
}

// The probe: a session on a waiting episode was 201; one dated after the episode ended, one in a
// later year and one before the episode started were accepted, and the questionnaires due then
// reasoned from numbers that disagreed with the dates.
TEST_F(ResponseOwnershipTest, SessionsAreHeldWithinAConfirmedEpisodeInTheOrderOfTheirNumbers) {
  const Id chosen = AddEpisodeIn("waiting", clients_[0], therapist_, "2026-03-01");
  auto unconfirmed = a_->CreateSession(coordinator_, Session{org_, 0, chosen, 1, "2026-03-02T10:00:00Z"});
  ASSERT_FALSE(unconfirmed);
  EXPECT_EQ(unconfirmed.error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(unconfirmed.error().field, "episode_id");
  auto rating = a_->SubmitResponse(coordinator_, Form("wai_srt", clients_[0], chosen, std::nullopt, "r1"));
  ASSERT_FALSE(rating);
  EXPECT_EQ(rating.error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(rating.error().field, "episode_id");
  // Nor a client's form: before therapy begins it names no episode, and is then accepted.
  const std::int64_t stored = *store_->CountResponses(org_);
  auto own = a_->SubmitResponse(client_actor_, Form("phq9", clients_[0], chosen, std::nullopt, "c1"));
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(own.error().field, "episode_id");
  EXPECT_EQ(own.error().message,
            fmt::format("episode_id {} is waiting (a client's choice the clinic has not confirmed); expected an active "
                        "or ended episode (a questionnaire before therapy begins names no episode_id)",
                        chosen));
  EXPECT_EQ(*store_->CountResponses(org_), stored);
  EXPECT_TRUE(a_->SubmitResponse(client_actor_, Form("phq9", clients_[0], std::nullopt, std::nullopt, "c1")));

  const Id over = AddEpisodeIn("ended", clients_[1], therapist_, "2026-02-01", "2026-03-15");
  auto late = a_->CreateSession(therapist_actor_, Session{org_, 0, over, 1, "2026-11-27T10:00:00Z"});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().field, "held_at");
  EXPECT_EQ(late.error().message,
            fmt::format("held_at is \"2026-11-27T10:00:00Z\", after episode {} ended (ended_on 2026-03-15); "
                        "expected a time on or before its end",
                        over));
  // The day is the one written, in the writer's zone: the evening of the last day is within it.
  EXPECT_TRUE(a_->CreateSession(therapist_actor_, Session{org_, 0, over, 1, "2026-03-15T20:00:00-05:00"}));

  // Episode 1 started 2026-01-05 and held session 1 then.
  const Id e = episodes_[0];
  auto ahead = a_->CreateSession(coordinator_, Session{org_, 0, e, 2, "2099-11-20T10:00:00Z"});
  ASSERT_FALSE(ahead);
  EXPECT_EQ(ahead.error().field, "held_at");
  EXPECT_EQ(ahead.error().message.rfind("held_at is \"2099-11-20T10:00:00Z\", in the future; expected the time a "
                                        "session was held (", 0),
            0u)
      << ahead.error().message;
  auto before = a_->CreateSession(coordinator_, Session{org_, 0, e, 2, "2020-01-01"});
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().message,
            fmt::format("held_at is \"2020-01-01\", before episode {} started (started_on 2026-01-05); expected a "
                        "time on or after its start",
                        e));
  ASSERT_TRUE(a_->CreateSession(coordinator_, Session{org_, 0, e, 3, "2026-02-10T10:00:00Z"}));
  auto disordered = a_->CreateSession(coordinator_, Session{org_, 0, e, 2, "2026-03-01T10:00:00Z"});
  ASSERT_FALSE(disordered);
  EXPECT_EQ(disordered.error().field, "held_at");
  EXPECT_EQ(disordered.error().message,
            "held_at is \"2026-03-01T10:00:00Z\", after session 3 (held 2026-02-10T10:00:00Z); expected session 2 on "
            "or before it (session numbers follow the order sessions were held)");
  auto earlier = a_->CreateSession(coordinator_, Session{org_, 0, e, 4, "2026-02-01T10:00:00Z"});
  ASSERT_FALSE(earlier);
  EXPECT_EQ(earlier.error().message,
            "held_at is \"2026-02-01T10:00:00Z\", before session 3 (held 2026-02-10T10:00:00Z); expected session 4 on "
            "or after it (session numbers follow the order sessions were held)");
  EXPECT_TRUE(a_->CreateSession(coordinator_, Session{org_, 0, e, 2, "2026-02-01T10:00:00Z"}));
  EXPECT_TRUE(a_->CreateSession(coordinator_, Session{org_, 0, e, 4, "2026-02-10"}));  // a day alone: that day
  auto sessions = store_->ListSessions(org_, e);
  ASSERT_TRUE(sessions);
  EXPECT_EQ(sessions->size(), 4u);
}

// Submissions about one client at once (a client retrying, a coordinator entering forms while the
// client answers): the monitor decides from the history whether a state begins, so each must see
// the ones before it. Twenty at once raised "reliable deterioration" several times before.
// `separate`: from servers in separate processes on one database (no lock in common), where the
// store stores a response only while the client's history is the one its alerts were decided from.
TEST_F(ResponseOwnershipTest, ConcurrentSubmissionsAboutOneClientRaiseAStateChangeOnce) {
  ExpectOneDeterioration(20, false);
}

TEST_F(ResponseOwnershipTest, ConcurrentSubmissionsFromSeparateProcessesRaiseAStateChangeOnce) {
  ExpectOneDeterioration(12, true);
}

// A key is the organisation's: one client's key sent by another is refused, never answered with
// the first client's response (ids, scores, its risk alert).
// A client's choice waiting for the clinic shows the therapist the episode's row, not its care:
// an alert on it (a risk answer naming the episode) is the coordinators' until it is confirmed.
TEST_F(ResponseOwnershipTest, ATherapistDoesNotHandleAlertsOfAnUnconfirmedChoice) {
  Therapist other;
  other.external_id = "t2";
  other.display_name = "T2";
  const Id chosen = *store_->AddTherapist(org_, other);
  Client c;
  c.external_id = "c3";
  c.pseudonym = "c3";
  const Id client = *store_->AddClient(org_, c);
  const Id waiting = AddEpisodeIn("waiting", client, chosen, "2026-01-05");
  ASSERT_NE(waiting, 0);
  Alert alert;
  alert.episode_id = waiting;
  alert.kind = "risk_item";
  alert.severity = "urgent";
  alert.detail = "phq9 item phq9_9 answered 1 (above 0)";
  auto id = store_->AddAlert(org_, alert);
  ASSERT_TRUE(id) << id.error().message;
  const Actor chosen_actor{org_, 9, Role::THERAPIST, chosen, std::nullopt, "t2", "test"};
  auto refused = a_->AcknowledgeAlert(chosen_actor, *id, "will call");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_FALSE(a_->ResolveAlert(chosen_actor, *id, "done"));
  EXPECT_TRUE(a_->AcknowledgeAlert(coordinator_, *id, "called the client"));
}

TEST_F(ResponseOwnershipTest, AnotherClientsKeyIsRefusedNotReplayed) {
  Submission first = Form("phq9", clients_[0], episodes_[0], sessions_[0], "shared-key");
  ASSERT_TRUE(a_->SubmitResponse(client_actor_, first));
  const Actor other{org_, 4, Role::CLIENT, std::nullopt, clients_[1], "c2", "test"};
  Submission copy = Form("phq9", clients_[1], std::nullopt, std::nullopt, "shared-key");
  auto refused = a_->SubmitResponse(other, copy);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::CONFLICT);
  EXPECT_EQ(refused.error().field, "idempotency_key");
  EXPECT_EQ(refused.error().message.find("(id "), std::string::npos) << refused.error().message;
  EXPECT_EQ(*store_->CountResponses(org_), 1);
  // The same client retrying with the answer time stamped again is a replay.
  first.answered_at = "2026-01-05T11:00:05Z";
  auto again = a_->SubmitResponse(client_actor_, first);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->outcome.replayed);
}

// A coordinator transcribing a form: the respondent is the person whose form it is, never id 0.
TEST_F(ResponseOwnershipTest, ACoordinatorEntersAFormOnItsRespondentsBehalf) {
  auto phq = a_->SubmitResponse(coordinator_, Form("phq9", clients_[1], episodes_[1], sessions_[1], "k1"));
  ASSERT_TRUE(phq) << phq.error().message;
  auto rating = a_->SubmitResponse(coordinator_, Form("wai_srt", clients_[1], episodes_[1], sessions_[1], "k2"));
  ASSERT_TRUE(rating) << rating.error().message;
  auto stored = store_->ListResponses(org_, store::ResponseFilter{});
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->size(), 2u);
  for (const auto& r : *stored) {
    EXPECT_EQ(r.subject_id, clients_[1]);
    EXPECT_EQ(r.respondent_id, r.instrument_id == "phq9" ? clients_[1] : therapist_) << r.instrument_id;
  }
}

}  // namespace
}  // namespace attune::service
