#include "attune/core/dates.hpp"

#include <gtest/gtest.h>

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
  EXPECT_TRUE(IsTimestamp("2026-11-27T23:59:60-05:30"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50:00"));  // no zone: ambiguous
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50Z"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T24:00:00Z"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:60:00Z"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50:00.Z"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50:00+1:00"));
  EXPECT_FALSE(IsTimestamp("2026-11-27T10:50:00+01:00x"));
  EXPECT_TRUE(IsTimestamp("2026-11-27 10:50:00Z"));  // RFC 3339 section 5.6 note
  EXPECT_FALSE(IsTimestamp("2026-11-27_10:50:00Z"));
  EXPECT_FALSE(IsTimestamp("2026-02-30T10:50:00Z"));
  EXPECT_FALSE(IsTimestamp("banana"));
  EXPECT_FALSE(IsTimestamp(""));
}

}  // namespace
}  // namespace attune
