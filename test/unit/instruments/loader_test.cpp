// The loader refuses broken definitions, naming the file, the JSON path and the reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "attune/instruments/instrument.hpp"
#include "unit/instruments/test_instrument.hpp"

namespace attune::instruments {
namespace {

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("test setup: not found: " + from);
  return text.replace(at, from.size(), to);
}

std::string Refusal(const std::string& json) {
  auto parsed = ParseInstrument(json, "instruments/tiny.json");
  if (parsed) return "accepted";
  EXPECT_EQ(parsed.error().code, ErrorCode::INVALID_ARGUMENT);
  return parsed.error().message;
}

TEST(Loader, AcceptsAValidDefinition) {
  auto parsed = ParseInstrument(testing::TinyJson(), "tiny.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->items.size(), 5u);
  EXPECT_EQ(parsed->scales[0].items.size(), 4u);
  EXPECT_EQ(parsed->items[1].response.max, 3);
}

struct BrokenCase {
  const char* name;
  const char* from;
  const char* to;
  const char* expected;
};

void PrintTo(const BrokenCase& c, std::ostream* os) { *os << c.name; }

class LoaderRefuses : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(LoaderRefuses, NamingFilePathAndReason) {
  const BrokenCase& c = GetParam();
  EXPECT_EQ(Refusal(Replace(testing::TinyJson(), c.from, c.to)), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LoaderRefuses,
    ::testing::Values(
        BrokenCase{"unknown_scale_item", R"(["a", "b", "c", "d"])", R"(["a", "b", "c", "zz"])",
                   "instruments/tiny.json: $.scales[0].items[3]: unknown item \"zz\""},
        BrokenCase{"unscored_item_in_scale", R"(["a", "b", "c", "d"])", R"(["a", "b", "c", "e"])",
                   "instruments/tiny.json: $.scales[0].items[3]: item \"e\" is marked \"scored\": false"},
        BrokenCase{"missing_field", R"("title": "Tiny",)", "",
                   "instruments/tiny.json: $: missing required field \"title\""},
        BrokenCase{"bad_respondent", R"("respondent": "client")", R"("respondent": "parent")",
                   "instruments/tiny.json: $.respondent: \"parent\" is not one of client, therapist"},
        BrokenCase{"unknown_response_set", R"("label": "Item c", "response": "f4")",
                   R"("label": "Item c", "response": "f5")",
                   "instruments/tiny.json: $.items[2].response: unknown response set \"f5\""},
        BrokenCase{"duplicate_item", R"({"id": "c", "label")", R"({"id": "a", "label")",
                   "instruments/tiny.json: $.items[2]: duplicate item id \"a\""},
        BrokenCase{"min_answered_too_big", R"("min_answered": 3)", R"("min_answered": 9)",
                   "instruments/tiny.json: $.scales[0].min_answered: 9 is not between 1 and the scale's 4 items"},
        BrokenCase{"none_needs_all", R"("proration": "prorate")", R"("proration": "none")",
                   "instruments/tiny.json: $.scales[0].min_answered: proration \"none\" needs every item: "
                   "min_answered must be 4, got 3"},
        BrokenCase{"bad_method", R"("method": "sum")", R"("method": "median")",
                   "instruments/tiny.json: $.scales[0].method: \"median\" is not one of sum, mean"},
        BrokenCase{"overlapping_bands", R"({"min": 4, "max": 7)", R"({"min": 3, "max": 7)",
                   "instruments/tiny.json: $.scales[0].bands[1]: band starting at 3 overlaps or precedes the band "
                   "ending at 3"},
        BrokenCase{"band_outside_range", R"({"min": 8, "max": 12)", R"({"min": 8, "max": 13)",
                   "instruments/tiny.json: $.scales[0].bands[2]: band 8..13 lies outside the scale's range 0..12"},
        // Bands cover the range (a score in a hole was labelled by the band before it) and the
        // caseness cutoff lies inside it.
        BrokenCase{"band_gap", R"({"min": 4, "max": 7)", R"({"min": 5, "max": 7)",
                   "instruments/tiny.json: $.scales[0].bands[1]: instrument tiny, scale total: band \"mid\" (5..7) "
                   "starts at 5 but band \"low\" (0..3) ends at 3: a gap of 2, wider than the scale's resolution 1; "
                   "bands must cover the range 0..12"},
        BrokenCase{"first_band_after_minimum", R"({"min": 0, "max": 3)", R"({"min": 1, "max": 3)",
                   "instruments/tiny.json: $.scales[0].bands[0]: instrument tiny, scale total: the first band \"low\" "
                   "(1..3) starts at 1, not at the scale's minimum 0; bands must cover the range 0..12"},
        BrokenCase{"last_band_before_maximum", R"({"min": 8, "max": 12)", R"({"min": 8, "max": 11)",
                   "instruments/tiny.json: $.scales[0].bands[2]: instrument tiny, scale total: the last band \"high\" "
                   "(8..11) ends at 11, not at the scale's maximum 12; bands must cover the range 0..12"},
        BrokenCase{"caseness_outside_range", R"("at_or_above": 8)", R"("at_or_above": 13)",
                   "instruments/tiny.json: $.scales[0].caseness: instrument tiny, scale total: caseness cutoff 13 "
                   "(at_or_above) is outside the scale's range 0..12"},
        BrokenCase{"confidence_outside_0_1", R"("caseness": {"at_or_above": 8})",
                   R"("caseness": {"at_or_above": 8}, "norms": {"sd": 3, "reliability": 0.8, "confidence": 95,
                      "source": "test"})",
                   "instruments/tiny.json: $.scales[0].norms.confidence: confidence 95 must be between 0 and 1 "
                   "(exclusive), such as 0.95 or 0.90"},
        BrokenCase{"text_not_allowed", R"({"id": "a", "label": "Item a")",
                   R"({"id": "a", "label": "Item a", "text": "wording")",
                   "instruments/tiny.json: $.items[0]: item text is present but licence.item_text_may_ship is false"},
        BrokenCase{"bad_permission", R"("research": null)", R"("research": "maybe")",
                   "instruments/tiny.json: $.licence.permitted_uses.research: expected true or false, got \"maybe\""},
        BrokenCase{"unknown_use", R"("research": null)", R"("hobby": true)",
                   "instruments/tiny.json: $.licence.permitted_uses: unknown use \"hobby\" (expected clinical, "
                   "research, commercial)"},
        BrokenCase{"duplicate_option", R"({"value": 1, "label": "sometimes"})", R"({"value": 0, "label": "sometimes"})",
                   "instruments/tiny.json: $.response_sets.f4[1]: value 0 appears twice in the response set"},
        BrokenCase{"bad_id", R"("id": "tiny")", R"("id": "Tiny-1")",
                   "instruments/tiny.json: $.id: \"Tiny-1\" is not an identifier (expected lower-case letters, "
                   "digits, _)"}),
    [](const ::testing::TestParamInfo<BrokenCase>& param) { return std::string(param.param.name); });

// A gap of one resolution unit is no hole: 3 to 4 on integer items, 24.9 to 25 on 0.1 steps (ORS);
// on a mean of four items the resolution is a quarter.
TEST(Loader, BandsMayStepByTheScalesResolution) {
  std::string line = Replace(Replace(testing::TinyJson(), R"("label": "Item a", "response": "f4")",
                                     R"("label": "Item a", "response": {"min": 0, "max": 3, "step": 0.1})"),
                             R"({"min": 4, "max": 7)", R"({"min": 3.1, "max": 7)");
  line = Replace(line, R"({"min": 8, "max": 12)", R"({"min": 7.1, "max": 12)");
  EXPECT_EQ(Refusal(line), "accepted");
  EXPECT_NE(Refusal(Replace(line, R"({"min": 3.1, "max": 7)", R"({"min": 3.2, "max": 7)")).find("a gap of 0.2, wider "
                                                                                                "than the scale's "
                                                                                                "resolution 0.1"),
            std::string::npos);
  std::string mean = Replace(Replace(testing::TinyJson(), R"("method": "sum")", R"("method": "mean")"),
                             R"("range": [0, 12])", R"("range": [0, 3])");
  mean = Replace(mean, R"({"min": 0, "max": 3, "label": "low"}, {"min": 4, "max": 7, "label": "mid"})",
                 R"({"min": 0, "max": 1, "label": "low"}, {"min": 1.25, "max": 2, "label": "mid"})");
  mean = Replace(Replace(mean, R"({"min": 8, "max": 12, "label": "high"})", R"({"min": 2.25, "max": 3, "label": "high"})"),
                 R"("at_or_above": 8)", R"("at_or_above": 2)");
  EXPECT_EQ(Refusal(mean), "accepted");
  // Every shipped definition still loads (Shipped() throws on a refusal); CORE-10 at 90% confidence.
  EXPECT_EQ((*testing::Shipped().Get("core10"))->scales[0].norms->confidence, 0.9);
  EXPECT_EQ(testing::Shipped().All().size(), 9u);
}

TEST(Loader, RefusesInvalidJsonWithPosition) {
  auto parsed = ParseInstrument("{\"id\": ", "instruments/x.json");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message.rfind("instruments/x.json: $: not valid JSON (byte ", 0), 0u)
      << parsed.error().message;
}

TEST(Loader, DirectoryRefusesIdNotMatchingFileName) {
  std::string dir = std::string(ATTUNE_BINARY_DIR) + "/loader_test_dir";
  std::filesystem::create_directories(dir);
  {
    std::FILE* f = std::fopen((dir + "/other.json").c_str(), "w");
    std::fputs(testing::TinyJson().c_str(), f);
    std::fclose(f);
  }
  auto loaded = Catalogue::LoadDirectory(dir);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("$.id: \"tiny\" does not match the file name \"other\""), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Loader, MissingDirectoryIsAnError) {
  auto loaded = Catalogue::LoadDirectory("/nonexistent/instruments");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::IO);
}

}  // namespace
}  // namespace attune::instruments
