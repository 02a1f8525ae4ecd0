// The wire readers: JSON bodies to domain values, refusing a wrong shape naming the field.
#include "api/wire.hpp"

#include <gtest/gtest.h>

namespace attune::api::wire {
namespace {

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
  EXPECT_TRUE(ClientFrom(json{{"concerns", {std::string(10000, 'x')}}}, false));
}

TEST(Wire, RefusalsShowLongValuesCutOutsideACharacter) {
  // The dumped value is cut at 37 bytes: `["`, 34 x, then an é whose second byte is the 38th.
  const std::string value = std::string(34, 'x') + "\xc3\xa9" + "yyyy";
  auto r = String(json{{"handle", json::array({value})}}, "handle", true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "handle is [\"" + std::string(34, 'x') + "...; expected a string");
}

}  // namespace
}  // namespace attune::api::wire
