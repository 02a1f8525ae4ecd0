#include "attune/stats/p_value.hpp"

#include <gtest/gtest.h>

namespace attune::stats {
namespace {

TEST(PValue, SmallValuesNeverReadAsZero) {
  EXPECT_EQ(FormatP(1.67e-05), "< 0.0001");  // printed "0.0000" by trial analyse
  EXPECT_EQ(FormatP(0.0), "< 0.0001");       // an underflowed p printed "0" by analyze regress
  EXPECT_EQ(PText(1.67e-05), "p < 0.0001");
  EXPECT_EQ(PText(0.0001), "p = 0.000100");  // the smallest value shown is shown as itself
}

TEST(PValue, OthersHaveThreeSignificantDigits) {
  EXPECT_EQ(FormatP(0.012345), "0.0123");
  EXPECT_EQ(FormatP(0.4567), "0.457");
  EXPECT_EQ(PText(1.0), "p = 1.00");
}

// The probe: 0.25 printed "p = 0.25" and 0.4 "p = 0.4", two and one significant digits where the
// docs promise three; the zeros that are significant are kept.
TEST(PValue, TrailingSignificantZerosAreKept) {
  EXPECT_EQ(FormatP(0.25), "0.250");
  EXPECT_EQ(FormatP(0.4), "0.400");
  EXPECT_EQ(FormatP(0.05), "0.0500");
  EXPECT_EQ(FormatP(0.00012), "0.000120");  // never in exponent form above 0.0001
}

}  // namespace
}  // namespace attune::stats
