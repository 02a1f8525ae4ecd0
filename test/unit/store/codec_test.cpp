#include "store/codec.hpp"

#include <gtest/gtest.h>

#include "store/audit.hpp"

namespace attune::store::detail {
namespace {

TEST(Codec, AnswersRoundTripWithMissingAndFractions) {
  std::vector<std::optional<double>> answers = {0, 3, std::nullopt, 2.5, std::nullopt};
  EXPECT_EQ(EncodeAnswers(answers), "0,3,,2.5,");
  auto decoded = DecodeAnswers("0,3,,2.5,");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, answers);
}

TEST(Codec, SingleDigitShortcutWritesWhatToCharsWrites) {
  // 0..9 are written as one character; everything else, -0 included, as std::to_chars does.
  std::vector<std::optional<double>> answers = {9, 10, -0.0, 0.5, -1, 1e300};
  EXPECT_EQ(EncodeAnswers(answers), "9,10,-0,0.5,-1,1e+300");
  std::string reused = "longer text than the answers";
  EncodeAnswersInto({1, std::nullopt, 2}, reused);
  EXPECT_EQ(reused, "1,,2");
}

TEST(Codec, BadAnswerIsNamed) {
  auto decoded = DecodeAnswers("1,x,2");
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message, "answer 2 is 'x', expected a number");
}

TEST(Codec, ListsAndMaps) {
  EXPECT_EQ(DecodeList(EncodeList({"a", "b\"c"})), (std::vector<std::string>{"a", "b\"c"}));
  EXPECT_EQ(DecodeMap(EncodeMap({{"x", 0.5}})).at("x"), 0.5);
  EXPECT_TRUE(DecodeList("not json").empty());
}

TEST(AuditHash, DependsOnEveryFieldAndIsUnambiguous) {
  AuditEntry e{1, 1, "2026-11-26T00:00:00.000Z", "system", "a", "b", "1", "d", "", ""};
  std::string h = AuditHash(e);
  EXPECT_EQ(h.size(), 64u);
  AuditEntry shifted = e;
  shifted.action = "ab";
  shifted.entity = "";
  EXPECT_NE(AuditHash(shifted), h);
  AuditEntry other = e;
  other.prev_hash = "00";
  EXPECT_NE(AuditHash(other), h);
  other = e;
  other.org_id = 2;
  EXPECT_NE(AuditHash(other), h);
}

}  // namespace
}  // namespace attune::store::detail
