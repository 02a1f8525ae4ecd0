#pragma once
//! A client's hard constraints (`Client::constraints`) as written: the one grammar that the
//! checks on writing and the matcher's hard filters both read, so that an entry the matcher
//! would not understand (a typo dropping a filter) is refused instead of stored.

#include <string>
#include <string_view>
#include <vector>

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

//! A whole list of constraints, each parsed as ParseConstraint (field "constraints[i]"). Several
//! `language:` entries mean any of them (a bilingual client); a `modality:` or `location:` can have
//! one value only, so a second one is INVALID_ARGUMENT naming it and the first; an entry given twice
//! (the same language, `risk:high`, or an exclusion of the same therapist) is INVALID_ARGUMENT too.
Result<std::vector<Constraint>> ParseConstraints(const std::vector<std::string>& texts);

//! Whether a client sets constraints of `kind` themself: the languages they can have therapy in and
//! how they can meet (`language:`, `modality:`). The others (`location:` the clinic's site,
//! `exclude:`, `risk:`) are the clinic's: a client may neither add nor remove them (docs/matching.md).
bool ClientOwns(Constraint::Kind kind);

}  // namespace attune
