#include "attune/instruments/batch.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "attune/core/format.hpp"
#include "attune/instruments/scoring.hpp"

namespace attune::instruments {
namespace {

constexpr std::size_t kNoItem = static_cast<std::size_t>(-1);

std::string_view NextLine(std::string_view input, std::size_t& pos) {
  std::size_t end = input.find('\n', pos);
  if (end == std::string_view::npos) end = input.size();
  std::string_view line = input.substr(pos, end - pos);
  pos = end + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits one CSV line into cells; a cell may be double-quoted ("" escapes a quote).
bool SplitCells(std::string_view line, std::vector<std::string_view>& cells, std::string& scratch) {
  cells.clear();
  std::size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      // Quoted cells are rare (ids only); unescape into scratch, which must not reallocate while cells point in.
      std::size_t start = scratch.size();
      ++i;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            scratch.push_back('"');
            i += 2;
            continue;
          }
          break;
        }
        scratch.push_back(line[i++]);
      }
      if (i >= line.size()) return false;  // unterminated quote
      ++i;
      cells.emplace_back(scratch.data() + start, scratch.size() - start);
      if (i < line.size() && line[i] != ',') return false;
    } else {
      // A plain loop: cells are a few bytes, where memchr's call overhead dominates.
      std::size_t end = i;
      while (end < line.size() && line[end] != ',') ++end;
      std::size_t first = i;
      std::size_t last = end;
      while (first < last && (line[first] == ' ' || line[first] == '\t')) ++first;
      while (last > first && (line[last - 1] == ' ' || line[last - 1] == '\t')) --last;
      cells.emplace_back(line.data() + first, last - first);
      i = end;
    }
    if (i >= line.size()) break;
    ++i;  // the comma
    if (i == line.size()) {
      cells.emplace_back();
      break;
    }
  }
  return true;
}

void AppendCell(std::string& out, std::string_view text) {
  bool plain = true;
  for (char c : text) plain = plain && c != ',' && c != '"' && c != '\n' && c != '\r';
  if (plain) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void AppendNumber(std::string& out, double value) {
  double rounded = std::round(value);
  if (rounded == value && std::fabs(value) < 1e15) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(rounded));
    (void)ec;
    out.append(buf, end);
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);  // shortest round-trip form: no precision lost
  }
}

}  // namespace

Result<BatchResult> ScoreCsv(const Instrument& instrument, std::string_view input, std::string& output) {
  if (input.substr(0, 3) == "\xEF\xBB\xBF") input.remove_prefix(3);  // a UTF-8 byte order mark
  std::size_t pos = 0;
  std::vector<std::string_view> cells;
  std::string scratch;
  scratch.reserve(4096);
  std::size_t line_no = 0;

  // Header.
  std::string_view header;
  while (pos < input.size() && header.empty()) {
    header = NextLine(input, pos);
    ++line_no;
  }
  if (Trim(header).empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "csv: the file is empty (expected a header row of item ids)", "csv");
  }
  if (header.find('\r') != std::string_view::npos) {
    // Lines ended by a carriage return alone (classic Mac OS) read as one long line.
    if (input.find('\n') == std::string_view::npos) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  "csv: lines end in a carriage return alone (classic Mac OS line endings); expected lines ending "
                  "in a line feed (LF or CRLF)",
                  "csv");
    }
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("csv: line {}: the header \"{}\" holds a carriage return; expected item ids separated "
                            "by commas",
                            line_no, Shown(header)),
                "csv");
  }
  if (!SplitCells(header, cells, scratch)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("csv: line {}: unterminated quote in the header", line_no),
                "csv");
  }
  bool has_id = !cells.empty() && cells[0] == "id";
  std::vector<std::size_t> column_item(cells.size(), kNoItem);
  std::vector<bool> seen(instrument.items.size(), false);
  for (std::size_t c = has_id ? 1 : 0; c < cells.size(); ++c) {
    auto index = instrument.ItemIndex(cells[c]);
    if (!index) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("csv: line {}, column {}: \"{}\" is not an item of {} (expected item ids such as {})",
                              line_no, c + 1, Shown(cells[c]), instrument.id, instrument.items.front().id),
                  "csv");
    }
    if (seen[*index]) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("csv: line {}, column {}: item \"{}\" appears twice in the header", line_no, c + 1,
                              Shown(cells[c])),
                  "csv");
    }
    seen[*index] = true;
    column_item[c] = *index;
  }
  const std::size_t columns = cells.size();

  // Output header.
  if (has_id) output.append("id,");
  output.append("complete");
  for (const auto& scale : instrument.scales) {
    fmt::format_to(std::back_inserter(output), ",{},{}_band", scale.id, scale.id);
  }
  output.append(",flags\n");

  BatchResult batch;
  for (std::size_t i = 0; i < instrument.items.size(); ++i) {
    if (instrument.items[i].scored && !seen[i]) batch.absent.push_back(i);
  }
  ScoreResult result;
  std::vector<double> values(instrument.items.size(), 0.0);
  std::vector<unsigned char> present(instrument.items.size(), 0);
  while (pos < input.size()) {
    std::string_view line = NextLine(input, pos);
    ++line_no;
    if (line.empty()) continue;
    ++batch.rows;
    scratch.clear();
    if (!SplitCells(line, cells, scratch)) {
      batch.refused.push_back({line_no, 0, "unterminated quote"});
      continue;
    }
    if (cells.size() != columns) {
      batch.refused.push_back({line_no, 0, fmt::format("expected {} cells like the header, got {}", columns,
                                                       cells.size())});
      continue;
    }
    std::fill(present.begin(), present.end(), 0);
    bool ok = true;
    for (std::size_t c = has_id ? 1 : 0; c < columns; ++c) {
      std::string_view cell = cells[c];
      if (cell.empty()) continue;
      double value = 0;
      if (cell.size() == 1 && cell[0] >= '0' && cell[0] <= '9') {
        value = cell[0] - '0';  // the common case: one digit; from_chars costs ~10x more
        values[column_item[c]] = value;
        present[column_item[c]] = 1;
        continue;
      }
      auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
      if (ec != std::errc() || end != cell.data() + cell.size()) {
        batch.refused.push_back({line_no, c + 1, fmt::format("item {}: value \"{}\" is not a number",
                                                             instrument.items[column_item[c]].id, Shown(cell))});
        ok = false;
        break;
      }
      values[column_item[c]] = value;
      present[column_item[c]] = 1;
    }
    if (!ok) continue;
    auto scored = ScoreInto(instrument, values, present, result);
    if (!scored) {
      std::size_t column = 0;
      for (std::size_t c = 0; c < columns; ++c) {
        if (column_item[c] != kNoItem && instrument.items[column_item[c]].id == scored.error().field) column = c + 1;
      }
      batch.refused.push_back({line_no, column, scored.error().message});
      continue;
    }
    ++batch.scored;
    if (has_id) {
      AppendCell(output, cells[0]);
      output.push_back(',');
    }
    output.append(result.complete ? "true" : "false");
    for (const auto& s : result.scales) {
      output.push_back(',');
      if (s.score) AppendNumber(output, *s.score);
      output.push_back(',');
      if (s.band) AppendCell(output, s.band->label);
    }
    output.push_back(',');
    for (std::size_t f = 0; f < result.flags.size(); ++f) {
      if (f > 0) output.push_back(';');
      output.append("risk:");
      output.append(instrument.items[result.flags[f].item].id);
    }
    output.push_back('\n');
  }
  return batch;
}

}  // namespace attune::instruments
