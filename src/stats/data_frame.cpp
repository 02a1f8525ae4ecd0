#include "attune/stats/data_frame.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace attune::stats {

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
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("column '{}' must be numeric but holds text (e.g. '{}')", name,
                            [&] {
                              for (std::size_t i = 0; i < (*c)->text.size(); ++i)
                                if (!(*c)->missing[i]) return (*c)->text[i];
                              return std::string();
                            }()),
                std::string(name));
  }
  return c;
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

// Splits CSV text into records of cells; RFC 4180 quoting, CRLF or LF line ends.
Result<std::vector<std::vector<std::string>>> SplitCsv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool in_quotes = false;
  bool any = false;
  std::size_t line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (ch == '\n') ++line;
        cell += ch;
      }
      continue;
    }
    if (ch == '"') {
      in_quotes = true;
      any = true;
    } else if (ch == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      any = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !cell.empty()) {
        row.push_back(std::move(cell));
        rows.push_back(std::move(row));
      }
      row.clear();
      cell.clear();
      any = false;
      ++line;
    } else {
      cell += ch;
      any = true;
    }
  }
  if (in_quotes) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("CSV: unterminated quoted cell at line {}", line), "csv");
  }
  if (any || !cell.empty()) {
    row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  if (end == begin) return false;
  while (*end == ' ' || *end == '\t') ++end;
  if (*end != '\0' || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool IsMissingCell(const std::string& s) {
  std::size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return true;
  std::size_t b = s.find_last_not_of(" \t");
  std::string_view t(s.data() + a, b - a + 1);
  return t == "NA";
}

}  // namespace

Result<DataFrame> ParseCsv(std::string_view text) {
  auto split = SplitCsv(text);
  if (!split) return std::move(split).error();
  auto& rows = *split;
  if (rows.empty()) return Fail(ErrorCode::INVALID_ARGUMENT, "CSV: no header row", "csv");
  const auto& header = rows[0];
  std::size_t ncol = header.size();
  std::size_t nrow = rows.size() - 1;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != ncol) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("CSV: data row {} has {} cells, the header has {}", r, rows[r].size(), ncol), "csv");
    }
  }
  DataFrame df;
  for (std::size_t c = 0; c < ncol; ++c) {
    Column col;
    col.name = header[c];
    if (col.name.empty()) col.name = fmt::format("V{}", c + 1);
    col.missing.resize(nrow);
    col.values.resize(nrow);
    bool numeric = true;
    for (std::size_t r = 0; r < nrow; ++r) {
      const std::string& cell = rows[r + 1][c];
      if (IsMissingCell(cell)) {
        col.missing[r] = 1;
        col.values[r] = 0.0;
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
        if (!col.missing[r]) col.text[r] = rows[r + 1][c];
      }
    }
    Column copy = std::move(col);
    if (copy.numeric) {
      // keep the parsed values; Add() validates length and uniqueness
    }
    auto added = [&]() -> Result<void> {
      if (copy.numeric) {
        std::vector<double> v = copy.values;
        for (std::size_t r = 0; r < nrow; ++r)
          if (copy.missing[r]) v[r] = std::nan("");
        return df.AddNumeric(copy.name, v);
      }
      std::vector<std::string> t = copy.text;
      return df.AddText(copy.name, t);
    }();
    if (!added) return std::move(added).error();
  }
  return df;
}

Result<DataFrame> ReadCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::IO, fmt::format("cannot read CSV file '{}'", path), "csv");
  std::ostringstream ss;
  ss << in.rdbuf();
  auto df = ParseCsv(ss.str());
  if (!df) {
    Error e = std::move(df).error();
    e.message = path + ": " + e.message;
    return e;
  }
  return df;
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
