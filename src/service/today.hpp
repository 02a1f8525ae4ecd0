#pragma once
// Private to module service: today's date in UTC (the caller's clock for written dates).
#include <chrono>
#include <ctime>
#include <string>

namespace attune::service {

inline std::string DateUtc(std::chrono::system_clock::time_point when) {
  std::time_t now = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

inline std::string TodayUtc() { return DateUtc(std::chrono::system_clock::now()); }
inline std::string TomorrowUtc() { return DateUtc(std::chrono::system_clock::now() + std::chrono::hours(24)); }

}  // namespace attune::service
