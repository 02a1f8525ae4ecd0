#include "attune/core/dates.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace attune {
namespace {

TEST(Dates, CalendarDatesAreDaysThatExist) {
  EXPECT_TRUE(IsCalendarDate("2026-11-27"));
  EXPECT_TRUE(IsCalendarDate("2028-02-29"));   // leap year
  EXPECT_TRUE(IsCalendarDate("2000-02-29"));   // divisible by 400
  EXPECT_FALSE(IsCalendarDate("2100-02-29"));  // divisible by 100 only
  EXPECT_FALSE(IsCalendarDate("2026-02-29"));
  EXPECT_FALSE(IsCalendarDate("2026-02-30"));
  EXPECT_FALSE(IsCalendarDate("2026-04-31"));
  EXPECT_TRUE(IsCalendarDate("2026-12-31"));
  EXPECT_FALSE(IsCalendarDate("2026-13-01"));
  EXPECT_FALSE(IsCalendarDate("2026-00-10"));
  EXPECT_FALSE(IsCalendarDate("2026-01-00"));
  EXPECT_FALSE(IsCalendarDate("0000-01-01"));
  EXPECT_FALSE(IsCalendarDate("yesterday"));
  EXPECT_FALSE(IsCalendarDate("2026/11/27"));
  EXPECT_FALSE(IsCalendarDate("2026-1-27"));
  EXPECT_FALSE(IsCalendarDate("2026-11-27 "));
  EXPECT_FALSE(IsCalendarDate(""));
}

TEST(Dates, TimestampsAreRfc3339TimesOrDates) {
  EXPECT_TRUE(IsTimestamp("2026-11-27"));
  EXPECT_TRUE(IsTimestamp("2026-11-27T10:50:00Z"));
  EXPECT_TRUE(IsTimestamp("2026-11-27T10:50:00.123Z"));  // as a browser's toISOString writes
  EXPECT_TRUE(IsTimestamp("2026-11-27t10:50:00z"));
  EXPECT_TRUE(IsTimestamp("2026-11-27T10:50:00+01:00"));
  EXPECT_TRUE(IsTimestamp("2026-11-27T23:59:59-05:30"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50:00"));  // no zone: ambiguous
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50Z"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T24:00:00Z"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:60:00Z"));
  // No leap seconds: one at 10:00 is impossible, and 23:59:60-23:59 would be stored as 23:58:60 UTC.
  EXPECT_FALSE(IsTimestamp("2026-09-01T10:00:60Z"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T23:59:60-23:59"));
  EXPECT_FALSE(IsTimestamp("2016-12-31T23:59:60Z"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50:00.Z"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50:00+1:00"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50:00+01:00x"));
  EXPECT_TRUE(IsTimestamp("2026-11-27 10:50:00Z"));  // RFC 3339 section 5.6 note
  EXPECT_FALSE(IsTimestamp("2026-11-27_10:50:00Z"));
  EXPECT_FALSE(IsTimestamp("2026-02-30T10:50:00Z"));
  EXPECT_FALSE(IsTimestamp("banana"));
  EXPECT_FALSE(IsTimestamp(""));
}

TEST(Dates, TimestampsAreStoredInUtcSoTheySortAsTheyHappened) {
  EXPECT_EQ(NormalizeTimestamp("2026-11-27T10:50:00Z"), "2026-11-27T10:50:00Z");
  // A fraction of a second is dropped: "10:50:00.123Z" sorted before "10:50:00Z" as text (the
  // probe: the web app's toISOString writes one, the command line none).
  EXPECT_EQ(NormalizeTimestamp("2026-11-27t10:50:00.123z"), "2026-11-27T10:50:00Z");
  EXPECT_EQ(NormalizeTimestamp("2026-11-27T10:50:00.999999999+01:00"), "2026-11-27T09:50:00Z");
  EXPECT_EQ(NormalizeTimestamp("2026-11-27 10:50:00Z"), "2026-11-27T10:50:00Z");
  EXPECT_EQ(NormalizeTimestamp("2026-11-27T10:00:00+01:00"), "2026-11-27T09:00:00Z");
  EXPECT_EQ(NormalizeTimestamp("2026-11-27T23:30:00-05:30"), "2026-11-28T05:00:00Z");  // the next day in UTC
  EXPECT_EQ(NormalizeTimestamp("2026-03-01T00:15:00+01:00"), "2026-02-28T23:15:00Z");  // back over a month end
  EXPECT_EQ(NormalizeTimestamp("2028-03-01T00:15:00+01:00"), "2028-02-29T23:15:00Z");  // ... into a leap day
  EXPECT_EQ(NormalizeTimestamp("2027-01-01T00:00:00+14:00"), "2026-12-31T10:00:00Z");  // and a year end
  EXPECT_EQ(NormalizeTimestamp("2026-11-27"), "2026-11-27");                            // a date stays a date
  EXPECT_EQ(NormalizeTimestamp("not a time"), "not a time");
  // Once normalised, text order is time order.
  EXPECT_LT(NormalizeTimestamp("2026-11-27T10:00:00+01:00"), NormalizeTimestamp("2026-11-27T09:30:00Z"));
}

}  // namespace
// One rule for "not in the future" (API, imports, the store's bulk loads): a time up to five minutes
// ahead of the clock, a date up to tomorrow in UTC (today somewhere on Earth).
TEST(Dates, LatestDoneIsFiveMinutesAheadOrTomorrow) {
  // 2026-11-28T23:58:00Z: five minutes on is the next day.
  const auto now = std::chrono::system_clock::time_point(
      std::chrono::seconds(DayNumber("2026-11-28") * 86400 + 23 * 3600 + 58 * 60));
  const LatestDone latest = LatestDone::At(now);
  EXPECT_EQ(latest.date, "2026-11-29");
  EXPECT_EQ(latest.time, "2026-11-29T00:03:00Z");
  EXPECT_FALSE(latest.Exceeded("2026-11-29"));
  EXPECT_EQ(latest.Exceeded("2026-11-30"), std::optional<std::string>("2026-11-29"));
  EXPECT_FALSE(latest.Exceeded("2026-11-29T00:03:00Z"));
  EXPECT_EQ(latest.Exceeded("2026-11-29T00:03:01Z"), std::optional<std::string>("2026-11-29T00:03:00Z"));
  EXPECT_EQ(DateOfDay(DayNumber("2024-02-29") + 1), "2024-03-01");
  EXPECT_EQ(DayNumber("1970-01-01"), 0);
}

}  // namespace attune
