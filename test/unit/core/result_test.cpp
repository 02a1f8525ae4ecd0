#include "attune/core/result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace attune {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Fail(ErrorCode::INVALID_ARGUMENT, "x must be even, got " + std::to_string(x), "x");
  return x / 2;
}

TEST(Result, HoldsValueOrError) {
  auto ok = Half(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 2);
  auto bad = Half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error().field, "x");
  EXPECT_EQ(bad.error().message, "x must be even, got 3");
}

TEST(Result, VoidResult) {
  Result<void> ok = Ok();
  EXPECT_TRUE(ok);
  Result<void> bad = Fail(ErrorCode::IO, "disk");
  ASSERT_FALSE(bad);
  EXPECT_STREQ(ErrorCodeName(bad.error().code), "io");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::RATE_LIMITED), "rate_limited");
}

}  // namespace
}  // namespace attune
