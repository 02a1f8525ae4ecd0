#include "attune/instruments/instrument.hpp"

#include <gtest/gtest.h>

#include "unit/instruments/test_instrument.hpp"

namespace attune::instruments {
namespace {

TEST(Licence, UnknownAndFalseAreRefused) {
  Instrument tiny = testing::Tiny();
  EXPECT_TRUE(CheckPermitted(tiny, Use::CLINICAL));
  auto research = CheckPermitted(tiny, Use::RESEARCH);  // null
  ASSERT_FALSE(research);
  EXPECT_EQ(research.error().code, ErrorCode::NOT_PERMITTED);
  EXPECT_NE(research.error().message.find("research use"), std::string::npos);
  EXPECT_NE(research.error().message.find("unknown"), std::string::npos);
  EXPECT_FALSE(CheckPermitted(tiny, Use::COMMERCIAL));  // absent
}

TEST(Licence, ShippedStructureOnlyEntriesAreRefused) {
  const Catalogue& shipped = testing::Shipped();
  for (const char* id : {"ors", "srs"}) {
    auto got = shipped.GetForUse(id, Use::CLINICAL);
    ASSERT_FALSE(got) << id;
    EXPECT_EQ(got.error().code, ErrorCode::NOT_PERMITTED);
  }
  EXPECT_TRUE(shipped.GetForUse("phq9", Use::COMMERCIAL));
  EXPECT_FALSE(shipped.GetForUse("wai_sr", Use::COMMERCIAL));
}

TEST(Use, ParsesNames) {
  EXPECT_EQ(*ParseUse("research"), Use::RESEARCH);
  auto bad = ParseUse("hobby");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "use: \"hobby\" is not one of clinical, research, commercial");
}

TEST(Catalogue, UnknownIdNamesKnownOnes) {
  auto got = testing::Shipped().Get("phq8");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::NOT_FOUND);
  EXPECT_NE(got.error().message.find("phq9"), std::string::npos);
}

TEST(Catalogue, ShipsTheFirstSet) {
  const Catalogue& shipped = testing::Shipped();
  for (const char* id : {"phq9", "gad7", "core10", "wai_sr", "ffmq39", "cnip", "ors", "srs"}) {
    EXPECT_TRUE(shipped.Get(id)) << id;
  }
  // A therapist-rated alliance form with Bordin's three dimensions.
  bool therapist_alliance = false;
  for (const auto& in : shipped.All()) {
    if (in.respondent == Respondent::THERAPIST && in.FindScale("bond") && in.FindScale("goal") &&
        in.FindScale("task")) {
      therapist_alliance = true;
    }
  }
  EXPECT_TRUE(therapist_alliance);
  const Instrument& phq9 = **shipped.Get("phq9");
  ASSERT_TRUE(phq9.items[8].risk.has_value());
  EXPECT_EQ(phq9.items[8].id, "phq9_9");
  EXPECT_FALSE(phq9.items[9].scored);
  const Instrument& core10 = **shipped.Get("core10");
  EXPECT_TRUE(core10.items[1].reverse);
  EXPECT_TRUE(core10.items[2].reverse);
  const Instrument& ffmq = **shipped.Get("ffmq39");
  for (const char* facet : {"observe", "describe", "act_aware", "nonjudge", "nonreact"}) {
    EXPECT_NE(ffmq.FindScale(facet), nullptr) << facet;
  }
  const Instrument& wai = **shipped.Get("wai_sr");
  for (const char* scale : {"goal", "task", "bond", "total"}) EXPECT_NE(wai.FindScale(scale), nullptr) << scale;
}

TEST(Catalogue, OverlayDeclaresLicenceAndText) {
  Catalogue catalogue;
  ASSERT_TRUE(catalogue.Add(testing::Tiny()));
  std::string path = std::string(ATTUNE_BINARY_DIR) + "/tiny_overlay.json";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(R"({"instrument": "tiny", "licence": {"reference": "L-1", "permitted_uses": {"research": true}},
                  "item_text": {"a": "licensed wording of a"}})", f);
    std::fclose(f);
  }
  ASSERT_FALSE(catalogue.GetForUse("tiny", Use::RESEARCH));
  auto applied = catalogue.ApplyOverlay(path);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_TRUE(catalogue.GetForUse("tiny", Use::RESEARCH));
  EXPECT_EQ((*catalogue.Get("tiny"))->items[0].text, "licensed wording of a");
  EXPECT_EQ((*catalogue.Get("tiny"))->licence.reference, "L-1");
}

TEST(Catalogue, BrokenOverlayChangesNothing) {
  Catalogue catalogue;
  ASSERT_TRUE(catalogue.Add(testing::Tiny()));
  std::string path = std::string(ATTUNE_BINARY_DIR) + "/tiny_overlay_bad.json";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(R"({"instrument": "tiny", "licence": {"reference": "L-2", "permitted_uses": {"research": true}},
                  "item_text": {"zz": "no such item"}})", f);
    std::fclose(f);
  }
  auto applied = catalogue.ApplyOverlay(path);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message.find("unknown item \"zz\""), std::string::npos);
  EXPECT_FALSE(catalogue.GetForUse("tiny", Use::RESEARCH)) << "a refused overlay must not half-apply";
}

}  // namespace
}  // namespace attune::instruments
