#pragma once
// Private to module service: a small RFC 4180 reader (quoted fields, "" escapes, CRLF). Bytes are
// read as they are; the importer checks each field is UTF-8 text (attune/core/text.hpp).

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
  //! The 1-based column of the first field of the record with text after its closing quote
  //! (`"a"b`), 0 when none: such a field is refused, not read as `ab`.
  std::size_t stray() const { return stray_; }

 private:
  std::istream& in_;
  std::string text_;
  std::size_t line_ = 0;
  std::size_t next_line_ = 1;
  bool broken_ = false;
  std::size_t stray_ = 0;
};

//! Quotes a field for CSV output when needed.
std::string CsvField(const std::string& value);

}  // namespace attune::service::detail
