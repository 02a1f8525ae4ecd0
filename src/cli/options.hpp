#pragma once
// Private to the cli module: checks on option values, so that a bad value is refused before any
// command runs, as "attune: --top is "-3"; expected a whole number (0 or more)" (exit 2).

#include <CLI/CLI.hpp>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "attune/core/text.hpp"

namespace attune::cli {

//! A refused option value; the message names the option, the value given and what was expected.
class OptionValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! A whole number more than any option holds; Run names the option's own largest value
//! (LargestWhole), which only the refused parse may probe.
class TooLargeError : public OptionValueError {
 public:
  TooLargeError(CLI::Option* option, std::string value)
      : OptionValueError(value), option_(option), value_(std::move(value)) {}
  CLI::Option* option() const { return option_; }
  const std::string& value() const { return value_; }

 private:
  CLI::Option* option_;
  std::string value_;
};

//! The largest value whole-number `option` holds, as text: 2147483647 for an int, else
//! 9223372036854775807. Converts a value into the option's variable: call only once parsing failed.
std::string LargestWhole(CLI::Option* option);

//! An unbounded side of a range.
inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

//! Refuses a value of `option` outside [lo, hi] (either bound may be infinite). A value that is not
//! a number passes here and is refused by CheckNumericOptions.
CLI::Option* InRange(CLI::Option* option, double lo, double hi);

//! Refuses a value of `option` that is not greater than lo and less than hi (an open interval, such as
//! a confidence level in (0, 1)).
CLI::Option* Between(CLI::Option* option, double lo, double hi);

//! Refuses a value of `option` not among `values`, as
//! "--format is "xml"; expected one of csv, json" (CLI11's IsMember says "xml not in {csv,json}").
CLI::Option* OneOf(CLI::Option* option, std::vector<std::string> values);

//! Refuses a value of `option` that is neither 0 nor at least `least` (e.g. bootstrap resamples:
//! 0 = none).
CLI::Option* ZeroOrAtLeast(CLI::Option* option, double least, const std::string& zero_means);

//! Refuses a blank value (empty or only white space) of a text option.
CLI::Option* NotBlank(CLI::Option* option);

//! Refuses a value of a text option with fewer than `least` characters other than white space around
//! it, as "--salt is "abc"; expected <what>, at least 16 characters".
CLI::Option* MinLength(CLI::Option* option, std::size_t least, const std::string& what);

//! Refuses a value of a text option that is stored (a handle, an organisation's name, a note)
//! unless it is UTF-8 text without control characters (tab and line breaks allowed when `lines`
//! is MANY), as "--handle is not valid UTF-8 (byte 0xFF at byte 4); expected UTF-8 text".
CLI::Option* StoredText(CLI::Option* option, TextLines lines = TextLines::ONE);

//! Adds to every numeric option of `app` and its subcommands the check that its value is a number
//! as written: whole options a whole decimal number of 0 or more, the others a finite number. An
//! empty value, a negative whole number (which CLI11 would wrap to 2^64), nan and inf are refused.
//! Call after every option is added.
void CheckNumericOptions(CLI::App& app);

}  // namespace attune::cli
