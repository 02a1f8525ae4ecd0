#pragma once
//! Column-oriented data read from CSV: numeric and categorical columns with explicit missing cells.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "attune/core/result.hpp"

namespace attune::stats {

//! One column. A cell is missing when `missing[i]` is set; its value is then meaningless.
struct Column {
  std::string name;
  bool numeric = true;              //!< every present cell parsed as a number
  std::vector<double> values;       //!< numeric cells (numeric columns only)
  std::vector<std::string> text;    //!< raw cells (categorical columns only)
  std::vector<char> missing;        //!< 1 where the cell was empty or NA
};

//! A table of equally long columns.
class DataFrame {
 public:
  //! Number of rows.
  std::size_t Rows() const { return rows_; }
  //! All columns, in file order.
  const std::vector<Column>& Columns() const { return columns_; }
  //! The named column, or nullptr.
  const Column* Find(std::string_view name) const;
  //! The named column; NOT_FOUND naming the column and listing those present.
  Result<const Column*> Get(std::string_view name) const;
  //! The named column as numbers; INVALID_ARGUMENT when it is categorical.
  Result<const Column*> GetNumeric(std::string_view name) const;
  //! Appends a numeric column (NaN marks a missing cell); INVALID_ARGUMENT on length mismatch.
  Result<void> AddNumeric(std::string name, const std::vector<double>& values);
  //! Appends a categorical column (empty string marks a missing cell).
  Result<void> AddText(std::string name, const std::vector<std::string>& values);

 private:
  Result<void> Add(Column column);
  std::vector<Column> columns_;
  std::size_t rows_ = 0;
};

//! Parses CSV text (RFC 4180 quoting, header row). Empty cells and `NA` are missing.
//! A column is numeric when all its present cells parse as numbers. Fails with INVALID_ARGUMENT
//! naming the line when a row has the wrong number of cells.
Result<DataFrame> ParseCsv(std::string_view text);

//! Reads and parses a CSV file; IO when it cannot be read.
Result<DataFrame> ReadCsv(const std::string& path);

//! Rows (indices) at which every named column is present; `dropped` receives the others' count.
Result<std::vector<std::size_t>> CompleteRows(const DataFrame& df, const std::vector<std::string>& names,
                                              std::size_t* dropped = nullptr);

}  // namespace attune::stats
