#include "service/csv.hpp"

namespace attune::service::detail {

bool CsvReader::Next(std::vector<std::string>& fields) {
  fields.clear();
  broken_ = false;
  if (!std::getline(in_, text_)) return false;
  line_ = next_line_++;
  fields.emplace_back();
  bool quoted = false;
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
      fields.back() += '\n';
      text_ = std::move(more);
      i = 0;
      continue;
    }
    char c = text_[i++];
    if (quoted) {
      if (c == '"') {
        if (i < text_.size() && text_[i] == '"') {
          fields.back() += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        fields.back() += c;
      }
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == '\r' && i == text_.size()) {
      // CRLF line end
    } else {
      fields.back() += c;
    }
  }
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
