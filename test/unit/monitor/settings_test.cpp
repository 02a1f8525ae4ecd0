// An organisation's monitoring settings: patching, refusals that name the field, and applying.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attune/monitor/monitor.hpp"

namespace attune::monitor {
namespace {

TEST(Settings, PatchSetsAndNullReturnsToTheDefault) {
  auto s = ApplySettingsPatch({}, R"({"rupture_z": 1.6, "rupture_cutoff": 0, "repair_window": 4})");
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(*s->rupture_z, 1.6);
  EXPECT_EQ(*s->rupture_cutoff, 0);
  EXPECT_EQ(*s->repair_window, 4);
  EXPECT_FALSE(s->rupture_size.has_value());
  auto back = ApplySettingsPatch(*s, R"({"rupture_z": null})");
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->rupture_z.has_value());
  EXPECT_EQ(*back->repair_window, 4);
  // Stored text reads back to the same settings.
  auto stored = ApplySettingsPatch({}, SettingsToJson(*s));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(SettingsToJson(*stored), SettingsToJson(*s));
  EXPECT_EQ(SettingsToJson({}), "{}");
}

TEST(Settings, RefusalsNameTheFieldTheValueAndTheRange) {
  struct Case {
    const char* body;
    const char* field;
    const char* in_message;
  };
  const Case cases[] = {
      {R"({"rupture_z": 9})", "rupture_z", "rupture_z = 9 is not accepted; expected a number from 0.5 to 5"},
      {R"({"rupture_z": "high"})", "rupture_z", "rupture_z = \"high\""},
      {R"({"rupture_cutoff": 5})", "rupture_cutoff", "expected 0 (no cutoff rule) or a WAI-SR total from 12 to 60"},
      {R"({"repair_window": 2.5})", "repair_window", "a whole number of observations from 1 to 12"},
      {R"({"rupture_zz": 1})", "rupture_zz", "expected one of rupture_cutoff, rupture_z"},
      {R"([1, 2])", "body", "expected a JSON object of monitoring settings"},
      {R"(not json)", "body", "(not JSON)"},
  };
  for (const auto& c : cases) {
    auto s = ApplySettingsPatch({}, c.body);
    ASSERT_FALSE(s.has_value()) << c.body;
    EXPECT_EQ(s.error().code, ErrorCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error().field, c.field) << c.body;
    EXPECT_NE(s.error().message.find(c.in_message), std::string::npos) << s.error().message;
  }
  // One bad field refuses the whole patch: nothing of it is applied.
  Settings current;
  current.rupture_z = 1.5;
  auto s = ApplySettingsPatch(current, R"({"rupture_size": 2, "not_on_track_z": 0.1})");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().field, "not_on_track_z");
}

TEST(Settings, AppliedOverTheDefaults) {
  auto s = ApplySettingsPatch({}, R"({"rupture_cutoff": 30, "rupture_size": 0, "not_on_track_z": 1.645})");
  ASSERT_TRUE(s.has_value());
  const Config c = WithSettings(Config::Defaults(), *s);
  EXPECT_EQ(*c.scales.at("wai_sr.total").cutoff, 30);
  EXPECT_EQ(c.rupture_size, 0);
  EXPECT_EQ(c.not_on_track_z, 1.645);
  EXPECT_EQ(c.rupture_z, Config::Defaults().rupture_z);
  auto effective = nlohmann::json::parse(EffectiveSettingsJson(c));
  EXPECT_EQ(effective["rupture_cutoff"], 30);
  EXPECT_EQ(effective["repair_window"], 3);
  // Cutoff 0 turns the rule off.
  const Config off = WithSettings(Config::Defaults(), *ApplySettingsPatch({}, R"({"rupture_cutoff": 0})"));
  EXPECT_FALSE(off.scales.at("wai_sr.total").cutoff.has_value());
  EXPECT_EQ(nlohmann::json::parse(EffectiveSettingsJson(off))["rupture_cutoff"], 0);
}

}  // namespace
}  // namespace attune::monitor
