#pragma once
//! A client's hard constraints (`Client::constraints`) as written: the one grammar that the
//! checks on writing and the matcher's hard filters both read, so that an entry the matcher
//! would not understand (a typo dropping a filter) is refused instead of stored.

#include <string>
#include <string_view>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"

namespace attune {

//! One constraint, parsed.
struct Constraint {
  enum class Kind { LANGUAGE, MODALITY, LOCATION, EXCLUDE, RISK };
  Kind kind = Kind::LANGUAGE;
  //! LANGUAGE: the language code; MODALITY: "in_person" or "video"; LOCATION: the place;
  //! EXCLUDE: the therapist id as written; RISK: "high".
  std::string value;
  Id therapist_id = 0;  //!< EXCLUDE: the therapist the client is not to be matched with
};

//! The accepted forms, as refusals list them.
inline constexpr const char* kConstraintForms =
    "language:<code>, modality:in_person, modality:video, location:<place>, exclude:<therapist id> or risk:high";

//! `text` as one of kConstraintForms; a value is not blank and has no space at either end.
//! Anything else is INVALID_ARGUMENT naming `field` (e.g. "constraints[2]"), the text and the forms.
Result<Constraint> ParseConstraint(std::string_view text, const std::string& field);

}  // namespace attune
