#pragma once
//! Scoring one response against its instrument: validation, completeness, reverse keys,
//! sum/mean, proration, bands, caseness and risk flags. "Not scorable" is explicit, never 0.

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/instruments/instrument.hpp"

namespace attune::instruments {

//! One answer per item, in the instrument's item order; nullopt = not answered.
using Answers = std::vector<std::optional<double>>;

//! The score of one scale.
struct ScaleScore {
  std::size_t scale = 0;          //!< index into Instrument::scales
  std::optional<double> score;    //!< nullopt = not scorable
  const Band* band = nullptr;     //!< nullptr when not scorable or the scale has no bands
  std::optional<bool> caseness;   //!< nullopt when not scorable or no caseness rule
  std::size_t answered = 0;
  bool prorated = false;
};

//! A flag raised by an answer (a risk item above its threshold).
struct Flag {
  std::size_t item = 0;  //!< index into Instrument::items
  double value = 0;
};

//! Everything scoring one response produces.
struct ScoreResult {
  bool complete = false;  //!< every scored item answered
  std::vector<ScaleScore> scales;  //!< in the instrument's scale order
  std::vector<Flag> flags;
  //! Each item's answer as scored (AcceptedValue: an option's exact value), 0 when unanswered.
  //! What is stored: the raw answer may differ from it by up to 1e-9, or be -0.
  std::vector<double> values;
};

//! What an item accepts, for messages: "one of 0, 1, 2, 3", "a multiple of 0.1 from 0 to 10",
//! "a number from 0 to 10" (a range item without a step).
std::string PermittedValues(const ResponseSpec& spec);

//! The value an answer of `item` counts as: an option within 1e-9 of `value` gives exactly that
//! option's value (1.0000000001 is 1, 1e-10 and -0 are 0); a value inside a range item's min..max
//! and on its steps (within a relative 1e-9 of a whole number of steps from min: 6.2000000001 is
//! on a 0.1 step, 6.24 is not) is kept (-0 as 0). Else INVALID_ARGUMENT naming the item, the value
//! and the permitted ones.
Result<double> AcceptedValue(const Item& item, double value);

//! Scores `answers`. INVALID_ARGUMENT names the item and value when a value is not permitted,
//! or says how many answers were expected.
Result<ScoreResult> Score(const Instrument& instrument, const Answers& answers);

//! Allocation-free variant for bulk scoring: `values[i]` is used when `present[i]` is non-zero.
//! `out` is overwritten (its buffers are reused).
Result<void> ScoreInto(const Instrument& instrument, std::span<const double> values,
                       std::span<const unsigned char> present, ScoreResult& out);

//! Builds Answers from item id -> value (null = missing); unknown ids are refused.
Result<Answers> AnswersFromMap(const Instrument& instrument,
                               const std::map<std::string, std::optional<double>>& by_item);

//! Parses "v1,v2,..." (empty = missing) into Answers; refuses a wrong count or a non-number.
Result<Answers> ParseAnswerList(const Instrument& instrument, std::string_view text);

//! Formats a score for people: integers without decimals, else at most 2 decimals; from 1e15 on
//! (a value sent to be refused, never a score) the shortest exact form, such as "1e+308".
std::string FormatScore(double score);

}  // namespace attune::instruments
