#include "attune/core/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace attune {
namespace {

TEST(Text, CountsCodePointsNotBytes) {
  EXPECT_EQ(Utf8Length(""), 0U);
  EXPECT_EQ(Utf8Length("abc"), 3U);
  EXPECT_EQ(Utf8Length("jos\xC3\xA9"), 4U);           // é is 2 bytes
  EXPECT_EQ(Utf8Length("\xE2\x82\xAC"), 1U);          // € is 3 bytes
  EXPECT_EQ(Utf8Length("\xF0\x9F\x98\x80\xF0\x9F\x98\x80"), 2U);  // two emoji, 8 bytes
}

TEST(Text, InvalidUtf8HasNoLength) {
  EXPECT_FALSE(Utf8Length("bad\xFF"));
  EXPECT_FALSE(Utf8Length("\xC3"));                // cut short
  EXPECT_FALSE(Utf8Length("\xC0\xAF"));            // overlong "/"
  EXPECT_FALSE(Utf8Length("\xE0\x80\xAF"));        // overlong
  EXPECT_FALSE(Utf8Length("\xED\xA0\x80"));        // a surrogate (U+D800)
  EXPECT_FALSE(Utf8Length("\xF4\x90\x80\x80"));    // past U+10FFFF
  EXPECT_FALSE(Utf8Length("\x80"));                // a continuation byte alone
  EXPECT_EQ(Utf8Length("\xF4\x8F\xBF\xBF"), 1U);   // U+10FFFF itself
}

TEST(Text, RefusesInvalidUtf8NamingTheFieldAndByte) {
  auto r = CheckText("bad\xFF", "handle");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.error().field, "handle");
  EXPECT_EQ(r.error().message, "handle is not valid UTF-8 (byte 0xFF at byte 4); expected UTF-8 text");
}

TEST(Text, RefusesNul) {
  auto r = CheckText(std::string("nul\0in", 6), "pseudonym");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "pseudonym contains a NUL character (at byte 4); expected text without one");
  EXPECT_FALSE(CheckText(std::string("\0", 1), "note", TextLines::MANY));
}

TEST(Text, ControlCharactersByKindOfText) {
  EXPECT_TRUE(CheckText("line one\nline two\r\n\tindented", "note", TextLines::MANY));
  auto tab = CheckText("a\tb", "handle", TextLines::ONE);
  ASSERT_FALSE(tab);
  EXPECT_EQ(tab.error().message,
            "handle contains the control character U+0009 (at byte 2); expected one line of text without control "
            "characters");
  auto bell = CheckText("ring\x07", "note", TextLines::MANY);
  ASSERT_FALSE(bell);
  EXPECT_EQ(bell.error().message,
            "note contains the control character U+0007 (at byte 5); expected text without control characters "
            "other than tab and line breaks");
  EXPECT_FALSE(CheckText("del\x7F", "note"));
  EXPECT_TRUE(CheckText("jos\xC3\xA9 \xF0\x9F\x98\x80", "name", TextLines::ONE));
  // The probe: C1 controls (NEL U+0085) and the line separator passed as one line of text.
  auto nel = CheckText("a\xC2\x85" "b", "pseudonym", TextLines::ONE);
  ASSERT_FALSE(nel);
  EXPECT_EQ(nel.error().message,
            "pseudonym contains the control character U+0085 (at byte 2); expected one line of text without control "
            "characters");
  EXPECT_FALSE(CheckText("a\xC2\x9F" "b", "note", TextLines::MANY));
  auto separator = CheckText("a\xE2\x80\xA8" "b", "handle", TextLines::ONE);
  ASSERT_FALSE(separator);
  EXPECT_EQ(separator.error().message,
            "handle contains the line separator U+2028 (at byte 2); expected one line of text without control "
            "characters");
  EXPECT_FALSE(CheckText("a\xE2\x80\xA9" "b", "handle", TextLines::ONE));
  EXPECT_TRUE(CheckText("a\xE2\x80\xA8" "b", "note", TextLines::MANY));  // a line break in a note
  EXPECT_TRUE(CheckText("\xC2\xA0\xC2\xA9", "name", TextLines::ONE));   // U+00A0, U+00A9: not controls
}

// Two keyboards, one word: a decomposed accent (NFD) and a precomposed one (NFC) give the same
// bytes; NFKC also folds compatibility forms (fullwidth letters, ligatures).
TEST(Text, NormalisesToOneSpelling) {
  EXPECT_EQ(Normalised("jose\xCC\x81", Normalisation::NFC), "jos\xC3\xA9");
  EXPECT_EQ(Normalised("jos\xC3\xA9", Normalisation::NFC), "jos\xC3\xA9");
  EXPECT_EQ(Normalised("plain ascii", Normalisation::NFKC), "plain ascii");
  // Yoruba "\u1ECD" + U+0300 has no precomposed form: NFC keeps the mark
  EXPECT_EQ(Normalised("y\xE1\xBB\x8D\xCC\x80", Normalisation::NFC), "y\xE1\xBB\x8D\xCC\x80");
  // fullwidth "\uFF21" and the ligature "\uFB01": kept by NFC, folded by NFKC
  EXPECT_EQ(Normalised("\xEF\xBC\xA1\xEF\xAC\x81", Normalisation::NFC), "\xEF\xBC\xA1\xEF\xAC\x81");
  EXPECT_EQ(Normalised("\xEF\xBC\xA1\xEF\xAC\x81", Normalisation::NFKC), "Afi");
  EXPECT_EQ(Normalised("bad \xff", Normalisation::NFC), std::nullopt);
  EXPECT_EQ(Normalised("", Normalisation::NFC), "");
}

}  // namespace
}  // namespace attune
