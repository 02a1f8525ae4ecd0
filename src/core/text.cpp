#include "attune/core/text.hpp"

#include <algorithm>
#include <cstdint>

#include <fmt/core.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

namespace attune {

namespace {

// The length of the UTF-8 sequence starting at text[i], or 0 when it is not a valid one.
std::size_t SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t n = 0;
  unsigned char low = 0x80;  // the range of the second byte (excludes overlong forms, surrogates
  unsigned char high = 0xBF;  // and values past U+10FFFF)
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// The code point of the valid `n`-byte UTF-8 sequence at text[i].
char32_t CodePoint(std::string_view text, std::size_t i, std::size_t n) {
  const auto byte = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(text[k])); };
  if (n == 1) return byte(i);
  char32_t cp = byte(i) & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  return cp;
}

}  // namespace

std::optional<std::size_t> Utf8Length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    const std::size_t n = SequenceLength(text, i);
    if (n == 0) return std::nullopt;
    i += n;
  }
  return count;
}

Result<void> CheckText(std::string_view text, const std::string& field, TextLines lines) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = SequenceLength(text, i);
    if (n == 0) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("{} is not valid UTF-8 (byte 0x{:02X} at byte {}); expected UTF-8 text", field,
                              static_cast<unsigned char>(text[i]), i + 1),
                  field);
    }
    const char c = text[i];
    if (c == '\0') {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("{} contains a NUL character (at byte {}); expected text without one", field, i + 1),
                  field);
    }
    const char32_t cp = CodePoint(text, i, n);
    // C0 and DEL; C1 (U+0080..U+009F, NEL among them), which no keyboard types; the line and
    // paragraph separators, line breaks that one line of text must not hold.
    const bool control = cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
    const bool separator = cp == 0x2028 || cp == 0x2029;
    const bool line_break = cp == '\t' || cp == '\n' || cp == '\r' || separator;
    if ((control || separator) && (lines == TextLines::ONE || !line_break)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("{} contains the {} U+{:04X} (at byte {}); expected {}", field,
                              cp == 0x2028 ? "line separator" : cp == 0x2029 ? "paragraph separator" : "control character",
                              static_cast<std::uint32_t>(cp), i + 1,
                              lines == TextLines::ONE ? "one line of text without control characters"
                                                      : "text without control characters other than tab and line "
                                                        "breaks"),
                  field);
    }
    i += n;
  }
  return Ok();
}

std::optional<std::string> Normalised(std::string_view text, Normalisation form) {
  if (!Utf8Length(text)) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(text);
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normaliser =
      form == Normalisation::NFC ? icu::Normalizer2::getNFCInstance(status) : icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status) || normaliser == nullptr) return std::nullopt;
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  const icu::UnicodeString out = normaliser->normalize(in, status);
  if (U_FAILURE(status)) return std::nullopt;
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
}

}  // namespace attune
