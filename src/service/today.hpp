#pragma once
// Private to module service: today's date in UTC (the caller's clock for written dates).
#include <chrono>
#include <ctime>
#include <string>

namespace attune::service {

inline std::string TodayUtc() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace attune::service
