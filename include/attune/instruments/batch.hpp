#pragma once
//! Scoring many responses from CSV text: a header of item ids (an optional first column `id`
//! is carried through), then one response a row. Refused rows are reported, good rows scored.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/instruments/instrument.hpp"

namespace attune::instruments {

//! A row that was not scored, and why.
struct RefusedRow {
  std::size_t line = 0;    //!< 1-based line number in the input
  std::size_t column = 0;  //!< 1-based column, 0 when the whole row is at fault
  std::string reason;
};

//! What a batch produced.
struct BatchResult {
  std::size_t rows = 0;    //!< data rows read
  std::size_t scored = 0;  //!< rows scored (possibly with scales not scorable)
  std::vector<RefusedRow> refused;
  //! Scored items with no column in the header, in item order: missing in every row (so a risk
  //! item among them can raise no flag).
  std::vector<std::size_t> absent;
};

//! Scores CSV `input`, appending CSV output to `output`: `[id,]complete,<scale>,<scale>_band,...,flags`.
//! INVALID_ARGUMENT (unusable input) for an empty input or a header naming an unknown or repeated
//! column; then nothing is written.
Result<BatchResult> ScoreCsv(const Instrument& instrument, std::string_view input, std::string& output);

}  // namespace attune::instruments
