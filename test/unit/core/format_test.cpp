#include "attune/core/format.hpp"

#include <gtest/gtest.h>

namespace attune {
namespace {

// Printed figures agree with the decision: 6.75 against a threshold of 6.7493 reads apart.
TEST(Apart, AddsDigitsUntilTheNumbersReadApart) {
  EXPECT_EQ(Apart(6.75, 6.7493, 2), std::make_pair(std::string("6.750"), std::string("6.749")));
  EXPECT_EQ(Apart(4.5, 4.49), std::make_pair(std::string("4.50"), std::string("4.49")));  // the monitor's
  EXPECT_EQ(Apart(7.0, 5.66, 2), std::make_pair(std::string("7.00"), std::string("5.66")));
  EXPECT_EQ(Apart(1.0, 1.0, 2), std::make_pair(std::string("1.00"), std::string("1.00")));
  auto tiny = Apart(1.0 + 1e-12, 1.0, 2);
  EXPECT_NE(tiny.first, tiny.second);
}

TEST(Shown, EscapesControlCharacters) {
  EXPECT_EQ(Shown("phq9_9\r1,2"), "phq9_9\\r1,2");
  EXPECT_EQ(Shown("a\nb\tc\x01"), "a\\nb\\tc\\x01");
  EXPECT_EQ(Shown("caf\xC3\xA9"), "caf\xC3\xA9");
}

}  // namespace
}  // namespace attune
