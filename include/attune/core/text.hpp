#pragma once
//! Text that is stored: valid UTF-8 without NUL or other control characters. Every door that
//! lets text in (JSON bodies, HTTP headers, CSV files, command-line options) and the store's
//! checks before a write use these, so that nothing is stored that a later read (JSON output,
//! PostgreSQL's text columns) cannot carry.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "attune/core/result.hpp"

namespace attune {

//! Which control characters a text may hold.
enum class TextLines {
  ONE,   //!< none: names, ids, handles, keys
  MANY,  //!< tab, line feed and carriage return (free text such as notes); no other
};

//! The number of Unicode code points in `text`, or nullopt when it is not valid UTF-8 (an
//! overlong form, a surrogate or a value past U+10FFFF is not valid).
std::optional<std::size_t> Utf8Length(std::string_view text);

//! A Unicode normalisation form (UAX #15).
enum class Normalisation {
  NFC,   //!< canonical composition: "e" + U+0301 becomes "\u00e9"; what a handle is stored and looked up as
  NFKC,  //!< compatibility composition as well: fullwidth "\uff21" becomes "A", "\ufb01" becomes "fi";
         //!< what a password is hashed as (NIST SP 800-63B 5.1.1.2)
};

//! `text` in normalisation form `form`, or nullopt when it is not valid UTF-8. Text that is
//! ASCII is returned as it is. Two ways of typing one word (a decomposed accent from one keyboard,
//! a precomposed one from another) give the same bytes.
std::optional<std::string> Normalised(std::string_view text, Normalisation form);

//! Refuses, as INVALID_ARGUMENT naming `field`, text that is not valid UTF-8 ("{field} is not
//! valid UTF-8 (byte 0xFF at byte 4)"), holds a NUL ("{field} contains a NUL character") or a
//! control character other than those `lines` allows (C0 U+0000..U+001F, DEL U+007F and C1
//! U+0080..U+009F; the line and paragraph separators U+2028 and U+2029 are refused in one line).
Result<void> CheckText(std::string_view text, const std::string& field, TextLines lines = TextLines::MANY);

}  // namespace attune
