#pragma once
//! Column-oriented data read from CSV: numeric and categorical columns with explicit missing cells.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
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
  //! The line of the source text row `row` began on (ParseCsv records them); 0 when unknown.
  std::size_t Line(std::size_t row) const { return row < lines_.size() ? lines_[row] : 0; }
  //! Where row `row` is, for a message: "line N" of the source, or "data row N" when unknown.
  std::string Where(std::size_t row) const;
  //! Records the source line of each row (one per row).
  void SetLines(std::vector<std::size_t> lines) { lines_ = std::move(lines); }

 private:
  Result<void> Add(Column column);
  std::vector<Column> columns_;
  std::size_t rows_ = 0;
  std::vector<std::size_t> lines_;
};

//! Parses CSV text (RFC 4180 quoting, header row; a UTF-8 byte order mark is skipped). Empty cells
//! and `NA` are missing.
//! A column is numeric when all its present cells parse as numbers. Fails with INVALID_ARGUMENT
//! naming the line when a row has the wrong number of cells.
Result<DataFrame> ParseCsv(std::string_view text);

//! True when ParseCsv reads `cell` as a number (finite, trailing blanks allowed).
bool ReadsAsNumber(std::string_view cell);

//! Reads and parses a CSV file; NOT_FOUND when it does not exist, INVALID_ARGUMENT when it is a
//! directory or cannot be read.
Result<DataFrame> ReadCsv(const std::string& path);

//! INVALID_ARGUMENT naming `field` and the first name given twice in `names`.
Result<void> CheckDistinct(const std::vector<std::string>& names, std::string_view field);

//! Rows (indices) at which every named column is present; `dropped` receives the others' count.
Result<std::vector<std::size_t>> CompleteRows(const DataFrame& df, const std::vector<std::string>& names,
                                              std::size_t* dropped = nullptr);

}  // namespace attune::stats
