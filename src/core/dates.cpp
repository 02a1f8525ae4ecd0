#include "attune/core/dates.hpp"

#include <cstddef>

namespace attune {

namespace {

// The number written by `count` digits at `at`, or -1 when any of them is not a digit.
int Digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool LeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

}  // namespace

bool IsCalendarDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  const int year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int days = month == 2 && LeapYear(year) ? 29 : kDays[month - 1];
  return day <= days;
}

bool IsTimestamp(std::string_view text) {
  if (!IsCalendarDate(text.substr(0, 10))) return false;
  if (text.size() == 10) return true;
  // THH:MM:SS (RFC 3339 lets a space stand for the T)
  const char sep = text.size() > 10 ? text[10] : 'T';
  if (text.size() < 19 || (sep != 'T' && sep != 't' && sep != ' ') || text[13] != ':' || text[16] != ':') return false;
  const int hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return false;  // 60: leap second
  std::size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    const std::size_t start = ++at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    if (at == start) return false;
  }
  if (at + 1 == text.size() && (text[at] == 'Z' || text[at] == 'z')) return true;
  if (at + 6 != text.size() || (text[at] != '+' && text[at] != '-') || text[at + 3] != ':') return false;
  const int offset_hours = Digits(text, at + 1, 2), offset_minutes = Digits(text, at + 4, 2);
  return offset_hours >= 0 && offset_hours <= 23 && offset_minutes >= 0 && offset_minutes <= 59;
}

}  // namespace attune
