// The rules a therapist, client or user row keeps, whichever door it came in by (pure checks:
// no database).
#include "store/checks.hpp"

#include <gtest/gtest.h>

namespace attune::store {
namespace {

Therapist GoodTherapist() {
  Therapist t;
  t.external_id = "T1";
  t.display_name = "Dr One";
  t.approaches = {"cbt"};
  t.languages = {"en"};
  t.modality = "video";
  t.capacity = 10;
  t.client_visible = {"approaches", "mindfulness"};
  return t;
}

Client GoodClient() {
  Client c;
  c.external_id = "C1";
  c.pseudonym = "Blue";
  c.concerns = {"depression"};
  c.goals = {"sleep through the night"};
  c.constraints = {"language:en", "modality:video", "location:North Town", "exclude:3", "risk:high"};
  return c;
}

TEST(Checks, GoodRowsPass) {
  EXPECT_TRUE(CheckTherapist(GoodTherapist()));
  EXPECT_TRUE(CheckClient(GoodClient()));
  Therapist unstated = GoodTherapist();
  unstated.modality = "";  // not stated (a CSV row without the column): matching reads it as both
  EXPECT_TRUE(CheckTherapist(unstated));
}

TEST(Checks, RequiredTextIsNotBlank) {
  Client c = GoodClient();
  c.pseudonym = "\t\n";
  auto r = CheckClient(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.error().field, "pseudonym");
  EXPECT_EQ(r.error().message, "pseudonym is \"\\t\\n\"; expected a pseudonym, not blank");
  c = GoodClient();
  c.external_id = "   ";
  EXPECT_EQ(CheckClient(c).error().message, "external_id is \"   \"; expected the clinic's id, not blank");
  Therapist t = GoodTherapist();
  t.display_name = " ";
  EXPECT_EQ(CheckTherapist(t).error().field, "display_name");
  t = GoodTherapist();
  t.external_id = "";
  EXPECT_EQ(CheckTherapist(t).error().message, "external_id is \"\"; expected the clinic's id, not blank");
  User u;
  u.handle = "  ";
  EXPECT_EQ(detail::CheckUser(u).error().message, "handle is \"  \"; expected a handle, not blank");
}

TEST(Checks, ListEntriesAreNotBlankAndNamedByIndex) {
  Client c = GoodClient();
  c.goals = {"walk", ""};
  auto goals = CheckClient(c);
  ASSERT_FALSE(goals);
  EXPECT_EQ(goals.error().field, "goals[1]");
  EXPECT_EQ(goals.error().message, "goals[1] is \"\"; expected a goal, not blank");
  c = GoodClient();
  c.concerns = {" "};
  EXPECT_EQ(CheckClient(c).error().field, "concerns[0]");
  Therapist t = GoodTherapist();
  t.languages = {"en", "  "};
  EXPECT_EQ(CheckTherapist(t).error().message, "languages[1] is \"  \"; expected a language code, not blank");
  t = GoodTherapist();
  t.approaches = {""};
  EXPECT_EQ(CheckTherapist(t).error().field, "approaches[0]");
}

TEST(Checks, ConstraintsAreOnesTheMatcherReads) {
  Client c = GoodClient();
  c.constraints = {"language:en", "modality:teleport"};
  auto r = CheckClient(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "constraints[1]");
  EXPECT_EQ(r.error().message,
            "constraints[1] is \"modality:teleport\"; expected language:<code>, modality:in_person, modality:video, "
            "location:<place>, exclude:<therapist id> or risk:high");
  c.constraints = {"language:"};
  EXPECT_FALSE(detail::CheckIntake(c));
}

TEST(Checks, CreatingAndChangingATherapistFollowOneRule) {
  // What PATCH refused and POST took: an unknown or repeated client_visible entry, blank entries.
  Therapist t = GoodTherapist();
  t.client_visible = {"bogus"};
  auto unknown = CheckTherapist(t);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "client_visible[0]");
  EXPECT_EQ(unknown.error().message,
            "client_visible[0] is \"bogus\"; expected each at most once of approaches, style, languages, modality, "
            "location, mindfulness");
  TherapistUpdate u;
  u.client_visible = std::vector<std::string>{"approaches", "approaches"};
  auto twice = detail::CheckTherapistProfile(u);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message,
            "client_visible[1] is \"approaches\" again; expected each at most once of approaches, style, languages, "
            "modality, location, mindfulness");
  t = GoodTherapist();
  t.client_visible = {"approaches", "approaches"};
  EXPECT_EQ(CheckTherapist(t).error().message, twice.error().message);
  u = {};
  u.modality = "phone";
  EXPECT_EQ(detail::CheckTherapistProfile(u).error().message,
            "modality is \"phone\"; expected in_person, video or both");
  u = {};
  u.capacity = 1001;
  EXPECT_EQ(detail::CheckTherapistProfile(u).error().field, "capacity");
  t = GoodTherapist();
  t.capacity = -1;
  EXPECT_EQ(CheckTherapist(t).error().message, "capacity is -1; expected an integer from 0 to 1000");
}

TEST(Checks, ARowOfABatchIsNamedByPosition) {
  Client c = GoodClient();
  c.goals = {""};
  EXPECT_EQ(detail::CheckClient(c, 3).error().message, "client 3: goals[0] is \"\"; expected a goal, not blank");
  c = GoodClient();
  c.constraints = {"nonsense"};
  auto r = detail::CheckClient(c, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("client 2: constraints[0] is \"nonsense\"; expected", 0), 0u) << r.error().message;
}

// One rule for an episode whichever door it came by (the API, the assignment plan, the simulator's
// bulk load): the bulk load checked only that started_on was not empty.
TEST(Checks, AnEpisodesDatesAndAssignerAgree) {
  Episode e;
  e.client_id = 1;
  e.therapist_id = 1;
  e.started_on = "2026-01-05";
  EXPECT_TRUE(detail::CheckEpisode(e, 0, detail::Latest()));
  auto message = [](const Episode& x, std::size_t index) {
    auto r = detail::CheckEpisode(x, index, detail::Latest());
    return r ? std::string("ok") : r.error().field + ": " + r.error().message;
  };
  Episode bad = e;
  bad.started_on = "2026-02-30";
  EXPECT_EQ(message(bad, 0), "started_on: started_on is \"2026-02-30\"; expected a date YYYY-MM-DD");
  bad = e;
  bad.assigned_by = "lottery";
  EXPECT_EQ(message(bad, 2),
            "assigned_by: episode 2: assigned_by is \"lottery\"; expected coordinator, match, client_choice or random");
  bad = e;
  bad.status = "ended";
  EXPECT_EQ(message(bad, 0), "ended_on: ended_on is missing; expected the date an ended episode ended");
  bad.ended_on = "2026-01-04";
  EXPECT_EQ(message(bad, 0),
            "ended_on: ended_on is \"2026-01-04\", before started_on 2026-01-05; expected a date on or after it");
  bad.status = "active";
  bad.ended_on = "2026-03-01";
  EXPECT_EQ(message(bad, 0),
            "ended_on: ended_on is \"2026-03-01\" for an episode whose status is \"active\"; expected no end date unless status is ended or declined");
  EXPECT_EQ(CheckEpisode(bad).error().field, "ended_on");  // the public door is the same rule
  // A declined choice has the day it was declined, as an ended episode has its end.
  bad = e;
  bad.status = "declined";
  EXPECT_EQ(message(bad, 0), "ended_on: ended_on is missing; expected the date a declined choice was declined");
  bad.ended_on = "2026-01-05";
  EXPECT_EQ(message(bad, 0), "ok");
  bad.status = "paused";
  EXPECT_EQ(message(bad, 0), "status: status is \"paused\"; expected waiting, active, ended or declined");
}

TEST(Checks, LongValuesAreShownCutAndNeverInsideACharacter) {
  Therapist t = GoodTherapist();
  t.modality = std::string(39, 'x') + "\xc3\xa9" + "yyy";  // an é across the 40th byte
  const std::string message = CheckTherapist(t).error().message;
  EXPECT_EQ(message, "modality is \"" + std::string(39, 'x') + "...\"; expected in_person, video or both");
}

TEST(Checks, StoredTextIsUtf8WithoutNulWhicheverDoorItCameBy) {
  // A handle with a 0xFF byte made GET /users and GET /audit answer 500 for the organisation.
  User u;
  u.handle = "bad\xFF";
  auto handle = detail::CheckUser(u);
  ASSERT_FALSE(handle);
  EXPECT_EQ(handle.error().field, "handle");
  EXPECT_EQ(handle.error().message, "handle is not valid UTF-8 (byte 0xFF at byte 4); expected UTF-8 text");
  Client c = GoodClient();
  c.pseudonym = std::string("nul\0in", 6);  // PostgreSQL would keep "nul"
  EXPECT_EQ(CheckClient(c).error().message, "pseudonym contains a NUL character (at byte 4); expected text without one");
  c = GoodClient();
  c.goals = {"walk", "run\xC3"};
  EXPECT_EQ(CheckClient(c).error().field, "goals[1]");
  c = GoodClient();
  c.goals = {"walk\nthen run"};  // free text may break lines
  EXPECT_TRUE(CheckClient(c));
  Therapist t = GoodTherapist();
  t.display_name = "Dr\nOne";  // a name is one line
  auto name = CheckTherapist(t);
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().field, "display_name");
  EXPECT_EQ(name.error().message,
            "display_name contains the control character U+000A (at byte 3); expected one line of text without "
            "control characters");
  t = GoodTherapist();
  t.location = "North\xFFTown";
  EXPECT_EQ(CheckTherapist(t).error().field, "location");
  t = GoodTherapist();
  t.style = {{std::string("warm\0", 5), 1.0}};
  EXPECT_EQ(CheckTherapist(t).error().field, "style key");
  // A batch row says which row.
  Client bad = GoodClient();
  bad.external_id = "C\xFF";
  EXPECT_EQ(detail::CheckClient(bad, 3).error().message,
            "client 3: external_id is not valid UTF-8 (byte 0xFF at byte 2); expected UTF-8 text");
}

TEST(Checks, HandlesThatLookAlikeAreRefused) {
  User u;
  for (const char* spaced : {" coord", "coord ", " coord "}) {
    u.handle = spaced;
    auto r = detail::CheckUser(u);
    ASSERT_FALSE(r) << spaced;
    EXPECT_EQ(r.error().field, "handle");
  }
  u.handle = "coord ";
  EXPECT_EQ(detail::CheckUser(u).error().message,
            "handle is \"coord \"; expected a handle without a space at either end");
  u.handle = "co\tord";
  EXPECT_EQ(detail::CheckUser(u).error().field, "handle");
  u.handle = "jose\xCC\x81";  // "jose" + U+0301 COMBINING ACUTE ACCENT (NFD)
  auto nfd = detail::CheckUser(u);
  ASSERT_FALSE(nfd);
  EXPECT_EQ(nfd.error().message,
            "handle is \"jose\xCC\x81\"; expected a handle in Unicode NFC (composed accents: \"jos\u00e9\")");
  u.handle = "jos\xC3\xA9";  // NFC
  EXPECT_TRUE(detail::CheckUser(u));
  // A mark after a letter that has no precomposed form with it, as NFC writes it: Yoruba
  // "Adébáyọ̀" ends in U+1ECD (ọ) + U+0300 (it was refused, asking for an NFC it already was).
  u.handle = "Ad\xC3\xA9\x62\xC3\xA1y\xE1\xBB\x8D\xCC\x80";
  EXPECT_TRUE(detail::CheckUser(u)) << detail::CheckUser(u).error().message;
  u.handle = "Dr Ana Lima";  // spaces inside are fine
  EXPECT_TRUE(detail::CheckUser(u));
  EXPECT_TRUE(detail::SameHandle("coord", "Coord"));
  EXPECT_TRUE(detail::SameHandle("COORD", "coord"));
  EXPECT_FALSE(detail::SameHandle("coord", "coord2"));
  EXPECT_FALSE(detail::SameHandle("jos\xC3\xA9", "JOS\xC3\x89"));  // only ASCII letters fold
}

TEST(Checks, UsersAreLinkedOnlyToTheRowTheirRoleSignsInAs) {
  EXPECT_TRUE(CheckUserLinks(Role::THERAPIST, 4, std::nullopt));
  EXPECT_TRUE(CheckUserLinks(Role::CLIENT, std::nullopt, 5));
  EXPECT_TRUE(CheckUserLinks(Role::COORDINATOR, std::nullopt, std::nullopt));
  auto missing = CheckUserLinks(Role::THERAPIST, std::nullopt, std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().field, "therapist_id");
  EXPECT_EQ(CheckUserLinks(Role::CLIENT, std::nullopt, std::nullopt).error().field, "client_id");
  auto coordinator = CheckUserLinks(Role::COORDINATOR, std::nullopt, 3);
  ASSERT_FALSE(coordinator);
  EXPECT_EQ(coordinator.error().field, "client_id");
  EXPECT_EQ(coordinator.error().message,
            "client_id is 3; expected none for role coordinator (only a client user is linked to a client)");
  auto client = CheckUserLinks(Role::CLIENT, 2, 5);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().field, "therapist_id");
  EXPECT_EQ(CheckUserLinks(Role::ADMIN, 1, std::nullopt).error().field, "therapist_id");
}

}  // namespace
}  // namespace attune::store
