#include "service/csv.hpp"

#include <cstring>

namespace attune::service::detail {

bool CsvReader::Next(std::vector<std::string>& fields) {
  broken_ = false;
  stray_ = 0;
  if (!std::getline(in_, text_)) return false;
  line_ = next_line_++;
  // The strings of `fields` are reused from row to row, so a row of short cells allocates nothing.
  std::size_t count = 0;
  auto start_field = [&]() -> std::string* {
    if (count == fields.size()) fields.emplace_back();
    std::string* field = &fields[count++];
    field->clear();
    return field;
  };
  std::string* field = start_field();
  bool quoted = false;
  bool closed = false;  // the field's closing quote was read: only a comma or the line's end may follow
  std::size_t i = 0;
  while (true) {
    if (i >= text_.size()) {
      if (!quoted) break;
      // A quoted field spans lines.
      std::string more;
      if (!std::getline(in_, more)) {
        broken_ = true;
        break;
      }
      ++next_line_;
      *field += '\n';
      text_ = std::move(more);
      i = 0;
      continue;
    }
    // Ordinary characters are copied in one run up to the next one that may mean something.
    const char* special = quoted ? "\"" : ",\"\r";
    std::size_t run = std::strcspn(text_.c_str() + i, special);
    if (run > 0 && closed && stray_ == 0) stray_ = count;
    if (run > 0) {
      field->append(text_, i, run);
      i += run;
      continue;
    }
    char c = text_[i++];
    if (quoted) {
      if (c == '"') {
        if (i < text_.size() && text_[i] == '"') {
          *field += '"';
          ++i;
        } else {
          quoted = false;
          closed = true;
        }
      } else {
        *field += c;
      }
    } else if (c == ',') {
      field = start_field();
      closed = false;
    } else if (c == '"' && field->empty() && !closed) {
      quoted = true;
    } else if (c == '\r' && i == text_.size()) {
      // CRLF line end
    } else {
      if (closed && stray_ == 0) stray_ = count;
      *field += c;
    }
  }
  fields.resize(count);
  return true;
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace attune::service::detail
