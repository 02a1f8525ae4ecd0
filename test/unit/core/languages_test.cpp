#include "attune/core/languages.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace attune {
namespace {

TEST(Languages, ACodeReadsAsItsNameAndAnUnlistedOneAsItIs) {
  EXPECT_EQ(LanguageName("de"), "German");
  EXPECT_EQ(LanguageName("en"), "English");
  EXPECT_EQ(LanguageName("zh"), "Chinese");
  EXPECT_EQ(LanguageName("xx"), "xx");
  EXPECT_EQ(LanguageName(""), "");
}

TEST(Languages, TheListIsOrderedByCodeWithOneEntryPerCode) {
  const auto all = Languages();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const Language& a, const Language& b) { return a.code < b.code; }));
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end(), [](const Language& a, const Language& b) { return a.code == b.code; }),
            all.end());
  for (const auto& l : all) {
    EXPECT_EQ(l.code.size(), 2u) << l.code;  // ISO 639-1
    EXPECT_FALSE(l.name.empty()) << l.code;
    EXPECT_EQ(LanguageName(l.code), l.name);
  }
}

}  // namespace
}  // namespace attune
