#include "attune/core/constraints.hpp"

#include <gtest/gtest.h>

namespace attune {
namespace {

TEST(Constraints, TheFormsTheMatcherReads) {
  auto language = ParseConstraint("language:de", "constraints[0]");
  ASSERT_TRUE(language) << language.error().message;
  EXPECT_EQ(language->kind, Constraint::Kind::LANGUAGE);
  EXPECT_EQ(language->value, "de");
  auto modality = ParseConstraint("modality:in_person", "constraints[0]");
  ASSERT_TRUE(modality);
  EXPECT_EQ(modality->kind, Constraint::Kind::MODALITY);
  EXPECT_EQ(modality->value, "in_person");
  EXPECT_TRUE(ParseConstraint("modality:video", "c"));
  auto location = ParseConstraint("location:North Town", "c");  // spaces inside a place are kept
  ASSERT_TRUE(location);
  EXPECT_EQ(location->kind, Constraint::Kind::LOCATION);
  EXPECT_EQ(location->value, "North Town");
  auto exclude = ParseConstraint("exclude:42", "c");
  ASSERT_TRUE(exclude);
  EXPECT_EQ(exclude->kind, Constraint::Kind::EXCLUDE);
  EXPECT_EQ(exclude->therapist_id, 42);
  auto risk = ParseConstraint("risk:high", "c");
  ASSERT_TRUE(risk);
  EXPECT_EQ(risk->kind, Constraint::Kind::RISK);
}

TEST(Constraints, AnythingElseIsRefusedNamingTheEntryAndTheForms) {
  auto teleport = ParseConstraint("modality:teleport", "constraints[1]");
  ASSERT_FALSE(teleport);
  EXPECT_EQ(teleport.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(teleport.error().field, "constraints[1]");
  EXPECT_EQ(teleport.error().message,
            "constraints[1] is \"modality:teleport\"; expected language:<code>, modality:in_person, modality:video, "
            "location:<place>, exclude:<therapist id> or risk:high");
  // Each of these was stored and then ignored by matching: a hard filter lost without a word.
  for (const char* text :
       {"nonsense", "language:", "language: en", "location:  ", "modality:both", "modality:", "Language:en",
        "exclude:", "exclude:0", "exclude:-3", "exclude:7x", "exclude:+7", "risk:low", "risk:", "", ":en"}) {
    EXPECT_FALSE(ParseConstraint(text, "c")) << text;
  }
}

TEST(Constraints, SeveralLanguagesButOneModalityAndLocationAndNothingTwice) {
  auto languages = ParseConstraints({"language:es", "language:pl", "modality:video", "exclude:3", "exclude:4"});
  ASSERT_TRUE(languages) << languages.error().message;
  EXPECT_EQ(languages->size(), 5u);
  auto modality = ParseConstraints({"modality:video", "language:en", "modality:in_person"});
  ASSERT_FALSE(modality);
  EXPECT_EQ(modality.error().field, "constraints[2]");
  EXPECT_EQ(modality.error().message,
            "constraints[2] is \"modality:in_person\" after constraints[0] \"modality:video\"; expected one "
            "modality:in_person or modality:video (a client who can meet either way gives none)");
  EXPECT_EQ(ParseConstraints({"location:Leeds", "location:York"}).error().field, "constraints[1]");
  // The same therapist excluded twice, however written.
  auto exclude = ParseConstraints({"exclude:5", "exclude:05"});
  ASSERT_FALSE(exclude);
  EXPECT_EQ(exclude.error().message,
            "constraints[1] is \"exclude:05\", the same as constraints[0] \"exclude:5\"; expected each constraint once");
  EXPECT_FALSE(ParseConstraints({"modality:video", "modality:video"}));
  EXPECT_FALSE(ParseConstraints({"risk:high", "risk:high"}));
  EXPECT_EQ(ParseConstraints({"language:en", "bad"}).error().field, "constraints[1]");
}

TEST(Constraints, AClientOwnsTheirLanguagesAndModalityTheClinicTheRest) {
  EXPECT_TRUE(ClientOwns(Constraint::Kind::LANGUAGE));
  EXPECT_TRUE(ClientOwns(Constraint::Kind::MODALITY));
  EXPECT_FALSE(ClientOwns(Constraint::Kind::LOCATION));
  EXPECT_FALSE(ClientOwns(Constraint::Kind::EXCLUDE));
  EXPECT_FALSE(ClientOwns(Constraint::Kind::RISK));
}

}  // namespace
}  // namespace attune
