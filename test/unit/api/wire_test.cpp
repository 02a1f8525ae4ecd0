// The wire readers: JSON bodies to domain values, refusing a wrong shape naming the field.
#include "api/wire.hpp"

#include <gtest/gtest.h>

namespace attune::api::wire {
namespace {

// A whole intake (a PUT asks for every field): `fields` over empty ones.
json WholeIntake(const json& fields) {
  json whole = {{"concerns", json::array()}, {"goals", json::array()}, {"preferences", json::object()},
                {"constraints", json::array()}};
  for (const auto& [key, value] : fields.items()) whole[key] = value;
  return whole;
}

TEST(Wire, UnknownFieldsAreRefusedNamingThem) {
  // The worst case the probe found: a PUT that took "pseudonym" as nothing and wrote the intake's
  // four fields as empty.
  auto intake = ClientFrom(json{{"pseudonym", "renamed"}}, false);
  ASSERT_FALSE(intake);
  EXPECT_EQ(intake.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(intake.error().field, "pseudonym");
  EXPECT_EQ(intake.error().message,
            "pseudonym is not a field of an intake; expected concerns, goals, preferences or constraints");
  auto client = ClientFrom(json{{"external_id", "c"}, {"pseudonym", "p"}, {"nickname", "x"}}, true);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().field, "nickname");
  auto therapist = TherapistFrom(json{{"external_id", "t"}, {"display_name", "T"}, {"lanugages", {"en"}}});
  ASSERT_FALSE(therapist);
  EXPECT_EQ(therapist.error().field, "lanugages");
  auto episode = EpisodeFrom(json{{"client_id", 1}, {"therapist_id", 1}, {"started_on", "2026-01-01"}, {"x", 1}});
  ASSERT_FALSE(episode);
  EXPECT_EQ(episode.error().field, "x");
  auto submission = SubmissionInstrument(json{{"instrument_id", "phq9"}, {"answer", {0}}});
  ASSERT_FALSE(submission);
  EXPECT_EQ(submission.error().field, "answer");
  EXPECT_EQ(*SubmissionInstrument(json{{"instrument_id", "phq9"}, {"answers", {0}}}), "phq9");
}

// A client reads a therapist's id, name, whether accepting, what they show and the profile fields
// they show (Therapist::ForEachShowable): a hidden field is absent, not a zero value, and a field
// no client sees (external_id, capacity) is never written.
TEST(Wire, AClientsTherapistHasTheShownFieldsOnly) {
  Therapist t;
  t.id = 7;
  t.external_id = "t-7";
  t.display_name = "T";
  t.approaches = {"cbt"};
  t.style = {{"warm_support", 2}};
  t.languages = {"en", "pl"};
  t.modality = "video";
  t.location = "Leeds";
  t.capacity = 4;
  t.client_visible = {"languages", "location", "mindfulness"};
  const json client = TherapistJson(t, true);
  std::vector<std::string> keys;
  for (const auto& [key, value] : client.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"accepting", "client_visible", "display_name", "id", "languages",
                                            "location"}));
  EXPECT_EQ(client["languages"], json({"en", "pl"}));
  EXPECT_EQ(client["location"], "Leeds");
  t.client_visible = {"approaches", "style", "languages", "modality", "location"};
  EXPECT_EQ(TherapistJson(t, true).size(), 9u);  // the four always written and the five shown
  const json staff = TherapistJson(t, false);
  EXPECT_EQ(staff["external_id"], "t-7");
  EXPECT_EQ(staff["capacity"], 4);
}

// The probe: PUT .../intake with only "concerns" erased the goals, preferences and constraints.
// PUT replaces the whole intake, so each of its four fields is asked for; an empty list clears one.
TEST(Wire, AnIntakeNamesEachFieldItLeavesOut) {
  auto partial = ClientFrom(json{{"concerns", {"anxiety"}}}, false);
  ASSERT_FALSE(partial);
  EXPECT_EQ(partial.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(partial.error().field, "goals");
  EXPECT_EQ(partial.error().message,
            "goals is missing; expected the whole intake (concerns, goals, preferences and constraints: PUT "
            "replaces it, so a field left out is not taken as empty)");
  auto null_constraints = ClientFrom(WholeIntake({{"constraints", nullptr}}), false);
  ASSERT_FALSE(null_constraints);
  EXPECT_EQ(null_constraints.error().field, "constraints");
  auto whole = ClientFrom(WholeIntake({{"concerns", {"anxiety"}}}), false);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->concerns, std::vector<std::string>{"anxiety"});
  // Creating a client still takes the intake's fields as optional.
  EXPECT_TRUE(ClientFrom(json{{"external_id", "c"}, {"pseudonym", "p"}}, true));
}

TEST(Wire, OnlyFieldsNamesARowsFieldByItsPath) {
  static const char* const kRow[] = {"client_id", "therapist_id"};
  auto r = OnlyFields(json{{"client_id", 1}, {"note", "x"}}, kRow, "field of a plan row", "plan[1].");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "plan[1].note");
  EXPECT_EQ(r.error().message, "plan[1].note is not a field of a plan row; expected client_id or therapist_id");
  auto none = OnlyFields(json{{"x", 1}}, {}, "field of a replication request");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "x is not a field of a replication request; expected no fields");
}

TEST(Wire, ARequiredStringIsNotBlank) {
  for (const char* blank : {"", "   ", "\t\n"}) {
    auto r = String(json{{"handle", blank}}, "handle", true);
    ASSERT_FALSE(r) << blank;
    EXPECT_EQ(r.error().field, "handle");
  }
  EXPECT_EQ(String(json{{"handle", "\t\n"}}, "handle", true).error().message,
            "handle is \"\\t\\n\"; expected a string that is not blank");
  EXPECT_EQ(*String(json{{"note", "  "}}, "note", false), "  ");  // an optional one may be
  EXPECT_EQ(*String(json{{"handle", " a "}}, "handle", true), " a ");
}

TEST(Wire, StringsInsideArraysHaveTheSameLimitAsAnyString) {
  const std::string long_text(10001, 'x');
  auto concerns = ClientFrom(json{{"concerns", {"fine", long_text}}}, false);
  ASSERT_FALSE(concerns);
  EXPECT_EQ(concerns.error().field, "concerns[1]");
  EXPECT_EQ(concerns.error().message, "concerns[1] is longer than 10000 characters");
  auto goals = ClientFrom(json{{"goals", {long_text}}}, false);
  ASSERT_FALSE(goals);
  EXPECT_EQ(goals.error().field, "goals[0]");
  auto approaches = TherapistFrom(json{{"external_id", "t"}, {"display_name", "T"}, {"approaches", {long_text}}});
  ASSERT_FALSE(approaches);
  EXPECT_EQ(approaches.error().message, "approaches[0] is longer than 10000 characters");
  EXPECT_TRUE(ClientFrom(WholeIntake({{"concerns", {std::string(10000, 'x')}}}), false));
}

TEST(Wire, RefusalsShowLongValuesCutOutsideACharacter) {
  // The dumped value is cut at 37 bytes: `["`, 34 x, then an é whose second byte is the 38th.
  const std::string value = std::string(34, 'x') + "\xc3\xa9" + "yyyy";
  auto r = String(json{{"handle", json::array({value})}}, "handle", true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "handle is [\"" + std::string(34, 'x') + "...; expected a string");
}

TEST(Wire, AStoredHeaderIsUtf8TextOnOneLine) {
  EXPECT_TRUE(CheckHeader("e2e-phq9-1", "Idempotency-Key", 200));
  auto bad = CheckHeader("key\xFF", "Idempotency-Key", 200);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error().field, "Idempotency-Key");
  EXPECT_EQ(bad.error().message,
            "Idempotency-Key header is not valid UTF-8 (byte 0xFF at byte 4); expected UTF-8 text");
  auto tab = CheckHeader("a\tb", "Idempotency-Key", 200);
  ASSERT_FALSE(tab);
  EXPECT_EQ(tab.error().field, "Idempotency-Key");
  // The limit counts characters: 200 é (400 bytes) are a key, 201 are not.
  std::string e200;
  for (int i = 0; i < 200; ++i) e200 += "\xC3\xA9";
  EXPECT_TRUE(CheckHeader(e200, "Idempotency-Key", 200));
  EXPECT_EQ(CheckHeader(e200 + "x", "Idempotency-Key", 200).error().message,
            "Idempotency-Key header is longer than 200 characters");
}

TEST(Wire, RepliesCarryBytesStoredBeforeTheDoorsWereCheckedAsReplacementCharacters) {
  // A key stored with a 0xFF byte must not fail the whole reply (nlohmann's dump throws type_error 316).
  EXPECT_EQ(Text(json{{"key", "k\xFF"}}), "{\"key\":\"k\xEF\xBF\xBD\"}");
  EXPECT_EQ(Text(json{{"handle", "jos\xC3\xA9"}}), "{\"handle\":\"jos\xC3\xA9\"}");
}

TEST(Wire, StringsRefuseNulAndControlCharactersNamingTheField) {
  // "nul\u0000in": SQLite kept it whole, PostgreSQL cut it to "nul" without a word.
  auto pseudonym = ClientFrom(json{{"external_id", "Cnew"}, {"pseudonym", std::string("nul\0in", 6)}}, true);
  ASSERT_FALSE(pseudonym);
  EXPECT_EQ(pseudonym.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(pseudonym.error().field, "pseudonym");
  EXPECT_EQ(pseudonym.error().message, "pseudonym contains a NUL character (at byte 4); expected text without one");
  auto goal = ClientFrom(json{{"goals", {"walk", std::string("x\0", 2)}}}, false);
  ASSERT_FALSE(goal);
  EXPECT_EQ(goal.error().field, "goals[1]");
  auto bell = String(json{{"note", "ring\x07"}}, "note", false);
  ASSERT_FALSE(bell);
  EXPECT_EQ(bell.error().message,
            "note contains the control character U+0007 (at byte 5); expected text without control characters "
            "other than tab and line breaks");
  auto key = TherapistFrom(json{{"external_id", "t"}, {"display_name", "T"}, {"style", {{std::string("a\0", 2), 1}}}});
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().field, "style key \"a\\u0000\"");
  // Multi-line text keeps its tabs and line breaks.
  EXPECT_EQ(*String(json{{"note", "line 1\r\n\tline 2"}}, "note", false), "line 1\r\n\tline 2");
}

TEST(Wire, TheStringLimitCountsCharactersNotBytes) {
  std::string emoji;  // U+1F600, 4 bytes each
  for (int i = 0; i < 2501; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(String(json{{"note", emoji}}, "note", false));  // 10,004 bytes, 2,501 characters
  std::string accents;
  for (int i = 0; i < 10000; ++i) accents += "\xC3\xA9";
  EXPECT_TRUE(ClientFrom(WholeIntake({{"concerns", {accents}}}), false));  // 20,000 bytes, 10,000 characters
  auto over = ClientFrom(json{{"concerns", {accents + "x"}}}, false);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().message, "concerns[0] is longer than 10000 characters");
}

}  // namespace
}  // namespace attune::api::wire
