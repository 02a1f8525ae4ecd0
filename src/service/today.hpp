#pragma once
// Private to module service: today's date and times in UTC (the caller's clock for written dates),
// and the latest time a thing already done may carry.
#include <chrono>
#include <ctime>
#include <optional>
#include <string>

#include <fmt/core.h>

#include "attune/core/dates.hpp"
#include "attune/core/types.hpp"

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
// done may be when written now, the latest it may be (attune::LatestDone); else nullopt. The
// API's rule for answered_at (docs/api.md), which imports and the store's own checks apply too.
inline std::optional<std::string> AfterLatestDone(const std::string& stored) {
  return LatestDone::At(std::chrono::system_clock::now()).Exceeded(stored);
}

// The days a stored time (UTC, as NormalizeTimestamp writes it) fell on somewhere on Earth, for
// comparing it with the clinic's dates, which are local days: the earliest (UTC-12: the same
// digits read at +12:00 and moved to UTC) and the latest (UTC+14). A date alone is its own day.
inline std::string EarliestLocalDay(const std::string& stored) {
  return stored.size() == 10 ? stored : NormalizeTimestamp(stored.substr(0, 19) + "+12:00").substr(0, 10);
}
inline std::string LatestLocalDay(const std::string& stored) {
  return stored.size() == 10 ? stored : NormalizeTimestamp(stored.substr(0, 19) + "-14:00").substr(0, 10);
}

// When a form of `episode` answered at `stored` (UTC) was answered before the episode began on
// every clock on Earth, what to say of it ("\"1900-01-01T10:00:00Z\", before episode 3 started
// ..."); else nullopt. A form answered before therapy names no episode (the API's rule, which
// imports apply too; a probe stored one of 1900).
inline std::optional<std::string> AnsweredBeforeStart(const std::string& stored, const Episode& episode) {
  if (!IsTimestamp(stored) || LatestLocalDay(stored) >= episode.started_on) return std::nullopt;
  return fmt::format("\"{}\", before episode {} started (started_on {}); expected a time once therapy began (a form "
                     "answered before therapy names no episode_id)",
                     stored, episode.id, episode.started_on);
}

inline std::string TodayUtc() { return DateUtc(std::chrono::system_clock::now()); }
inline std::string TomorrowUtc() { return DateUtc(std::chrono::system_clock::now() + std::chrono::hours(24)); }

}  // namespace attune::service
