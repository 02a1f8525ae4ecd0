#include "attune/core/dates.hpp"

#include <cstddef>
#include <cstdio>

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

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's civil algorithms).
long long DaysFromCivil(long long y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

void CivilFromDays(long long z, long long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<long long>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

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
  // Second 60 is refused: a leap second exists only at 23:59:60 UTC on the days one was inserted, and
  // no table of them is kept here, so taking :60 would take impossible times as they are written.
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
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

std::string NormalizeTimestamp(std::string_view text) {
  if (!IsTimestamp(text) || text.size() == 10) return std::string(text);
  // The parts IsTimestamp checked: date, time, optional fraction, then Z or +-HH:MM.
  std::size_t zone = 19;
  if (text[zone] == '.') {
    ++zone;
    while (text[zone] >= '0' && text[zone] <= '9') ++zone;
  }
  int offset_minutes = 0;
  if (text[zone] == '+' || text[zone] == '-') {
    const int sign = text[zone] == '+' ? 1 : -1;
    offset_minutes = sign * (Digits(text, zone + 1, 2) * 60 + Digits(text, zone + 4, 2));
  }
  // Minutes since the epoch in UTC; the second is kept as written.
  const long long days = DaysFromCivil(Digits(text, 0, 4), static_cast<unsigned>(Digits(text, 5, 2)),
                                       static_cast<unsigned>(Digits(text, 8, 2)));
  const long long minutes = days * 1440 + Digits(text, 11, 2) * 60 + Digits(text, 14, 2) - offset_minutes;
  long long y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440), y, m, d);
  const long long in_day = ((minutes % 1440) + 1440) % 1440;
  char out[32];
  std::snprintf(out, sizeof out, "%04lld-%02u-%02uT%02lld:%02lld:%02d", y, m, d, in_day / 60, in_day % 60,
                Digits(text, 17, 2));
  // The fraction of a second is dropped: every stored time is written to the second, so that
  // text order is time order ("10:50:00.123Z" sorts before "10:50:00Z" as text).
  return std::string(out) + "Z";
}

long long DayNumber(std::string_view date) {
  return DaysFromCivil(Digits(date, 0, 4), static_cast<unsigned>(Digits(date, 5, 2)),
                       static_cast<unsigned>(Digits(date, 8, 2)));
}

std::string DateOfDay(long long days) {
  long long y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  char out[16];
  std::snprintf(out, sizeof out, "%04lld-%02u-%02u", y, m, d);
  return out;
}

LatestDone LatestDone::At(std::chrono::system_clock::time_point now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto ahead = seconds + 5 * 60;
  const long long day = ahead >= 0 ? ahead / 86400 : -((-ahead + 86399) / 86400);
  const long long in_day = ahead - day * 86400;
  char time[32];
  std::snprintf(time, sizeof time, "%sT%02lld:%02lld:%02lldZ", DateOfDay(day).c_str(), in_day / 3600,
                in_day / 60 % 60, in_day % 60);
  const long long today = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  return LatestDone{DateOfDay(today + 1), time};
}

std::optional<std::string> LatestDone::Exceeded(std::string_view stored) const {
  if (stored.size() == 10) return stored <= std::string_view(date) ? std::nullopt : std::optional<std::string>(date);
  return stored.substr(0, 19) <= std::string_view(time).substr(0, 19) ? std::nullopt : std::optional<std::string>(time);
}

}  // namespace attune
