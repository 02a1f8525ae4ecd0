#pragma once
// Private to module service: a small RFC 4180 reader (quoted fields, "" escapes, CRLF).

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace attune::service::detail {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}
  //! Reads the next record into `fields`; false at the end. `line()` is its first line.
  bool Next(std::vector<std::string>& fields);
  std::size_t line() const { return line_; }
  //! A record with an unterminated quote was read.
  bool broken() const { return broken_; }

 private:
  std::istream& in_;
  std::string text_;
  std::size_t line_ = 0;
  std::size_t next_line_ = 1;
  bool broken_ = false;
};

//! Quotes a field for CSV output when needed.
std::string CsvField(const std::string& value);

}  // namespace attune::service::detail
