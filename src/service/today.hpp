#pragma once
// Private to module service: today's date and times in UTC (the caller's clock for written dates),
// and the latest time a thing already done may carry.
#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace attune::service {

// `when` in UTC as `format` (strftime) writes it.
inline std::string FormatUtc(std::chrono::system_clock::time_point when, const char* format) {
  std::time_t now = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

inline std::string DateUtc(std::chrono::system_clock::time_point when) { return FormatUtc(when, "%Y-%m-%d"); }

// A time as Attune stores it, UTC to the second ("2026-11-27T10:50:00Z").
inline std::string TimeUtc(std::chrono::system_clock::time_point when) {
  return FormatUtc(when, "%Y-%m-%dT%H:%M:%SZ");
}

// When `stored` (a time or a date as NormalizeTimestamp leaves it) is later than a thing already
// done may be when written now, the latest it may be: five minutes ahead of this clock for a
// time, tomorrow in UTC for a date alone (it may be today anywhere on Earth); else nullopt. The
// API's rule for answered_at (docs/api.md), which imports apply too.
inline std::optional<std::string> AfterLatestDone(const std::string& stored) {
  const auto now = std::chrono::system_clock::now();
  std::string latest = stored.size() == 10 ? DateUtc(now + std::chrono::hours(24))
                                           : TimeUtc(now + std::chrono::minutes(5));
  if (stored.size() != 10 && stored.substr(0, 19) <= latest.substr(0, 19)) return std::nullopt;
  if (stored.size() == 10 && stored <= latest) return std::nullopt;
  return latest;
}

inline std::string TodayUtc() { return DateUtc(std::chrono::system_clock::now()); }
inline std::string TomorrowUtc() { return DateUtc(std::chrono::system_clock::now() + std::chrono::hours(24)); }

}  // namespace attune::service
