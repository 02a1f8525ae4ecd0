#pragma once
//! Checks of the date and time texts Attune stores (pure; no time zone database).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace attune {

//! "YYYY-MM-DD" naming a day of the Gregorian calendar (2026-02-30 is not one).
bool IsCalendarDate(std::string_view text);

//! A calendar date alone, or an RFC 3339 time on it: "YYYY-MM-DDTHH:MM:SS", optional fraction
//! of a second, then "Z" or an offset "+HH:MM" / "-HH:MM" (lower-case t and z, and a space for the T, also taken).
//! Seconds are 00-59: a leap second (:60) is refused, since which days had one is not known here.
bool IsTimestamp(std::string_view text);

//! An IsTimestamp text as Attune stores it, so that stored times sort as they happened: a time
//! moved to UTC and written "YYYY-MM-DDTHH:MM:SSZ" (upper-case T and Z; a fraction of a second
//! is dropped, since "10:50:00.123Z" would sort before "10:50:00Z"); a date alone as it is. Text that is not IsTimestamp comes back unchanged.
std::string NormalizeTimestamp(std::string_view text);

//! Days since 1970-01-01 of an IsCalendarDate text (its first ten characters), and the date of such a day.
long long DayNumber(std::string_view date);
std::string DateOfDay(long long days);

//! The latest a stored date or time of a thing already done (an episode's start or end, a form
//! answered, a session held) may carry when written at a given moment: for a time, five minutes
//! ahead of that clock; for a date alone, tomorrow in UTC (it may be today somewhere on Earth).
//! One rule for the API, imports and the store's bulk loads (docs/api.md).
struct LatestDone {
  std::string date;  //!< "YYYY-MM-DD"
  std::string time;  //!< "YYYY-MM-DDTHH:MM:SSZ"

  //! Made from the moment of writing (the caller's clock: std::chrono::system_clock::now()).
  static LatestDone At(std::chrono::system_clock::time_point now);
  //! When `stored` (as NormalizeTimestamp leaves it) is later than allowed, the latest it may be; else nullopt.
  std::optional<std::string> Exceeded(std::string_view stored) const;
};

}  // namespace attune
