#include "attune/stats/data_frame.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <charconv>
#include <deque>
#include <filesystem>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

namespace attune::stats {

namespace {
bool ParseNumber(std::string_view s, double* out);
}  // namespace

const Column* DataFrame::Find(std::string_view name) const {
  for (const auto& c : columns_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<const Column*> DataFrame::Get(std::string_view name) const {
  if (const Column* c = Find(name)) return c;
  std::string present;
  for (const auto& c : columns_) present += (present.empty() ? "" : ", ") + c.name;
  return Fail(ErrorCode::NOT_FOUND, fmt::format("column '{}' not found; the data have: {}", name, present),
              std::string(name));
}

Result<const Column*> DataFrame::GetNumeric(std::string_view name) const {
  auto c = Get(name);
  if (!c) return c;
  if (!(*c)->numeric) {
    // The first cell that is not a number (the cells before it may all be numbers).
    std::size_t row = 0;
    for (std::size_t i = 0; i < (*c)->text.size(); ++i) {
      double v = 0;
      if (!(*c)->missing[i] && !ParseNumber((*c)->text[i], &v)) {
        row = i;
        break;
      }
    }
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("column '{}' must be numeric but holds text: '{}' at {}", name,
                            row < (*c)->text.size() ? (*c)->text[row] : std::string(), Where(row)),
                std::string(name));
  }
  return c;
}

std::string DataFrame::Where(std::size_t row) const {
  return Line(row) > 0 ? fmt::format("line {}", Line(row)) : fmt::format("data row {}", row + 1);
}

Result<void> DataFrame::Add(Column column) {
  std::size_t n = column.missing.size();
  if (!columns_.empty() && n != rows_) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("column '{}' has {} rows, expected {}", column.name, n, rows_), column.name);
  }
  if (Find(column.name)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("column '{}' appears twice", column.name), column.name);
  }
  rows_ = n;
  columns_.push_back(std::move(column));
  return Ok();
}

Result<void> DataFrame::AddNumeric(std::string name, const std::vector<double>& values) {
  Column c;
  c.name = std::move(name);
  c.values = values;
  c.missing.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) c.missing[i] = std::isnan(values[i]) ? 1 : 0;
  return Add(std::move(c));
}

Result<void> DataFrame::AddText(std::string name, const std::vector<std::string>& values) {
  Column c;
  c.name = std::move(name);
  c.numeric = false;
  c.text = values;
  c.missing.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) c.missing[i] = values[i].empty() ? 1 : 0;
  return Add(std::move(c));
}

namespace {

// The cells of a CSV text, record by record: views into the text, or into `owned` for cells
// whose quotes had to be removed.
struct CsvCells {
  std::vector<std::string_view> cells;
  std::vector<std::size_t> record_end;  // one past the last cell of each record
  std::vector<std::size_t> record_line;  // the line each record begins on
  std::deque<std::string> owned;
};

// Splits CSV text into records of cells; RFC 4180 quoting, CRLF or LF line ends; blank lines are
// skipped. Cells without quotes are views into the text (the common case, no copy).
Result<void> SplitCsv(std::string_view text, CsvCells* out) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  std::size_t line = 1;
  bool any = false;  // the current record has content (a delimiter or a quote)
  bool record_start = true;
  std::size_t record_line = 1;
  const auto end_record = [&] {
    out->record_end.push_back(out->cells.size());
    out->record_line.push_back(record_line);
  };
  while (i < n) {
    if (record_start) {
      record_line = line;
      record_start = false;
    }
    const std::size_t start = i;
    while (i < n) {
      const char ch = text[i];
      if (ch == ',' || ch == '\n' || ch == '\r' || ch == '"') break;
      ++i;
    }
    std::string_view cell = text.substr(start, i - start);
    if (i < n && text[i] == '"') {
      std::string s(cell);
      bool in_quotes = false;
      std::size_t quote_line = line;  // where the open quote began, for the message
      while (i < n) {
        const char ch = text[i];
        if (in_quotes) {
          if (ch == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              s += '"';
              i += 2;
            } else {
              in_quotes = false;
              ++i;
            }
            continue;
          }
          if (ch == '\n') ++line;
          s += ch;
          ++i;
          continue;
        }
        if (ch == '"') {
          in_quotes = true;
          quote_line = line;
          any = true;
          ++i;
          continue;
        }
        if (ch == ',' || ch == '\n' || ch == '\r') break;
        s += ch;
        ++i;
      }
      if (in_quotes) {
        return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("CSV: unterminated quoted cell: the quote opened at line {} is never closed", quote_line), "csv");
      }
      out->owned.push_back(std::move(s));
      cell = out->owned.back();
    }
    if (i >= n) {
      if (any || !cell.empty()) {
        out->cells.push_back(cell);
        end_record();
      }
      any = false;
      break;
    }
    const char d = text[i];
    if (d == ',') {
      out->cells.push_back(cell);
      any = true;
      ++i;
      continue;
    }
    if (d == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
    ++i;
    if (any || !cell.empty()) {
      out->cells.push_back(cell);
      end_record();
    }
    any = false;
    ++line;
    record_start = true;
  }
  if (any) {  // the text ended right after a delimiter: the record's last cell is empty
    out->cells.push_back(std::string_view());
    end_record();
  }
  return Ok();
}

// A finite number filling the cell (trailing blanks allowed), as strtod reads it; from_chars
// first (no locale, no copy), strtod for what it does not take (leading blanks, '+', hex).
bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  double v = 0;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  auto [end, ec] = std::from_chars(first, last, v);
  if (ec == std::errc() && end != first) {
    while (end != last && (*end == ' ' || *end == '\t')) ++end;
    if (end == last && std::isfinite(v)) {
      *out = v;
      return true;
    }
  }
  const std::string copy(s);
  const char* begin = copy.c_str();
  char* stop = nullptr;
  errno = 0;
  v = std::strtod(begin, &stop);
  if (stop == begin) return false;
  while (*stop == ' ' || *stop == '\t') ++stop;
  if (*stop != '\0' || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool IsMissingCell(std::string_view s) {
  std::size_t a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return true;
  std::size_t b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1) == "NA";
}

}  // namespace

Result<DataFrame> ParseCsv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
  CsvCells split;
  if (auto ok = SplitCsv(text, &split); !ok) return std::move(ok).error();
  const auto& ends = split.record_end;
  if (ends.empty()) return Fail(ErrorCode::INVALID_ARGUMENT, "CSV: no header row", "csv");
  const std::size_t ncol = ends[0];
  const std::size_t nrow = ends.size() - 1;
  for (std::size_t r = 1; r < ends.size(); ++r) {
    const std::size_t cells = ends[r] - ends[r - 1];
    if (cells != ncol) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("CSV: line {} has {} cells, the header has {}", split.record_line[r], cells, ncol), "csv");
    }
  }
  // Every record has ncol cells, so cell (r, c) of the data is cells[(r + 1) * ncol + c].
  const auto cell_at = [&](std::size_t r, std::size_t c) { return split.cells[(r + 1) * ncol + c]; };
  DataFrame df;
  for (std::size_t c = 0; c < ncol; ++c) {
    Column col;
    col.name = std::string(split.cells[c]);
    if (col.name.empty()) col.name = fmt::format("V{}", c + 1);
    col.missing.resize(nrow);
    col.values.resize(nrow);
    bool numeric = true;
    for (std::size_t r = 0; r < nrow; ++r) {
      const std::string_view cell = cell_at(r, c);
      if (IsMissingCell(cell)) {
        col.missing[r] = 1;
        col.values[r] = std::nan("");
        continue;
      }
      double v = 0;
      if (numeric && ParseNumber(cell, &v)) {
        col.values[r] = v;
      } else {
        numeric = false;
      }
    }
    if (!numeric) {
      col.numeric = false;
      col.values.clear();
      col.text.resize(nrow);
      for (std::size_t r = 0; r < nrow; ++r) {
        if (!col.missing[r]) col.text[r] = std::string(cell_at(r, c));
      }
    }
    auto added = col.numeric ? df.AddNumeric(std::move(col.name), col.values) : df.AddText(std::move(col.name), col.text);
    if (!added) return std::move(added).error();
  }
  df.SetLines(std::vector<std::size_t>(split.record_line.begin() + 1, split.record_line.end()));
  return df;
}

bool ReadsAsNumber(std::string_view cell) {
  double ignored = 0;
  return ParseNumber(cell, &ignored);
}

Result<DataFrame> ReadCsv(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    return Fail(ErrorCode::NOT_FOUND, fmt::format("CSV file '{}' does not exist", path), "csv");
  }
  if (std::filesystem::is_directory(status)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("'{}' is a directory, not a CSV file", path), "csv");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("cannot read CSV file '{}'", path), "csv");
  std::string text;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0) {
    text.resize(static_cast<std::size_t>(size));
    in.read(text.data(), size);
    text.resize(static_cast<std::size_t>(in.gcount()));
  } else {  // not seekable (a pipe): read as a stream
    in.clear();
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  auto df = ParseCsv(text);
  if (!df) {
    Error e = std::move(df).error();
    e.message = path + ": " + e.message;
    return e;
  }
  return df;
}

Result<void> CheckDistinct(const std::vector<std::string>& names, std::string_view field) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (names[i] == names[j]) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("{}: '{}' is given twice; expected each column once", field, names[i]),
                    std::string(field));
      }
    }
  }
  return Ok();
}

Result<std::vector<std::size_t>> CompleteRows(const DataFrame& df, const std::vector<std::string>& names,
                                              std::size_t* dropped) {
  std::vector<const Column*> cols;
  for (const auto& n : names) {
    auto c = df.Get(n);
    if (!c) return std::move(c).error();
    cols.push_back(*c);
  }
  std::vector<std::size_t> rows;
  rows.reserve(df.Rows());
  for (std::size_t i = 0; i < df.Rows(); ++i) {
    bool ok = true;
    for (const Column* c : cols) {
      if (c->missing[i]) {
        ok = false;
        break;
      }
    }
    if (ok) rows.push_back(i);
  }
  if (dropped) *dropped = df.Rows() - rows.size();
  return rows;
}

}  // namespace attune::stats
