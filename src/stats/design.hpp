#pragma once
// Private to stats: model matrices and grouping factors built from a DataFrame.

#include <Eigen/Dense>

#include <cstddef>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/stats/data_frame.hpp"
#include "attune/stats/formula.hpp"

namespace attune::stats::detail {

//! A fixed-effects model matrix and its column names (R's names: `(Intercept)`, `x`, `gF`).
struct Design {
  Eigen::MatrixXd x;
  std::vector<std::string> names;
};

//! Levels of a grouping factor and each row's level index.
struct Factor {
  std::vector<int> index;
  std::vector<std::string> levels;
};

//! The values of a numeric variable at the given rows; log() requires positive values.
Result<Eigen::VectorXd> NumericValues(const DataFrame& df, const Variable& v, const std::vector<std::size_t>& rows);

//! Sorted levels of a column over rows (numeric columns sort numerically), as R's factor() does.
std::vector<std::string> Levels(const Column& c, const std::vector<std::size_t>& rows);

//! Builds X with treatment contrasts for categorical columns (first level is the baseline).
Result<Design> BuildFixed(const DataFrame& df, const std::vector<Variable>& vars, bool intercept,
                          const std::vector<std::size_t>& rows);

//! A grouping factor from one column or an interaction of several (only observed combinations).
Result<Factor> BuildFactor(const DataFrame& df, const std::vector<std::string>& columns,
                           const std::vector<std::size_t>& rows);

//! INVALID_ARGUMENT naming constant or linearly dependent columns; n must exceed the column count.
Result<void> CheckDesign(const Design& d, std::size_t min_extra_rows = 1);

//! INVALID_ARGUMENT naming the response when it is constant over the rows used (with an
//! intercept, or for a mixed model) or, without one, zero throughout.
Result<void> CheckResponseVaries(const Eigen::VectorXd& y, const Variable& response, bool intercept);

//! Text of a cell (numbers formatted as R prints them in factor levels).
std::string CellText(const Column& c, std::size_t row);

}  // namespace attune::stats::detail
