#include "attune/stats/p_value.hpp"

#include <gtest/gtest.h>

namespace attune::stats {
namespace {

TEST(PValue, SmallValuesNeverReadAsZero) {
  EXPECT_EQ(FormatP(1.67e-05), "< 0.0001");  // printed "0.0000" by trial analyse
  EXPECT_EQ(FormatP(0.0), "< 0.0001");       // an underflowed p printed "0" by analyze regress
  EXPECT_EQ(PText(1.67e-05), "p < 0.0001");
  EXPECT_EQ(PText(0.0001), "p = 0.0001");  // the smallest value shown is shown as itself
}

TEST(PValue, OthersHaveThreeSignificantDigits) {
  EXPECT_EQ(FormatP(0.012345), "0.0123");
  EXPECT_EQ(FormatP(0.4567), "0.457");
  EXPECT_EQ(PText(1.0), "p = 1");
}

}  // namespace
}  // namespace attune::stats
