#include "attune/instruments/batch.hpp"

#include <gtest/gtest.h>

#include "unit/instruments/test_instrument.hpp"

namespace attune::instruments {
namespace {

TEST(ScoreCsv, ScoresGoodRowsAndListsRefusedOnes) {
  Instrument tiny = testing::Tiny();
  std::string input =
      "id,a,b,c,d,e\n"
      "r1,1,0,2,0,3\n"      // 1 + 3 + 2 + 0 = 6 mid
      "r2,3,0,3,,\n"        // 9 x 4 / 3 = 12 high, prorated
      "r3,1,7,2,0,3\n"      // b = 7 refused (line 4, column 3)
      "r4,1,0\n"            // too few cells
      "\"r,5\",0,3,0,1,0\n"  // quoted id; 0 + 0 + 0 + 1 = 1 low; risk flag d
      "r6,x,0,0,0,0\r\n"    // not a number
      "r7,,,3,,\n";          // 1 answered: not scorable, still a scored row
  std::string out;
  auto batch = ScoreCsv(tiny, input, out);
  ASSERT_TRUE(batch) << batch.error().message;
  EXPECT_EQ(batch->rows, 7u);
  EXPECT_EQ(batch->scored, 4u);
  ASSERT_EQ(batch->refused.size(), 3u);
  EXPECT_EQ(batch->refused[0].line, 4u);
  EXPECT_EQ(batch->refused[0].column, 3u);
  EXPECT_EQ(batch->refused[0].reason, "item b: value 7 is not one of 0, 1, 2, 3");
  EXPECT_EQ(batch->refused[1].line, 5u);
  EXPECT_EQ(batch->refused[1].column, 0u);
  EXPECT_EQ(batch->refused[2].line, 7u);
  EXPECT_EQ(batch->refused[2].column, 2u);
  EXPECT_EQ(out,
            "id,complete,total,total_band,flags\n"
            "r1,true,6,mid,\n"
            "r2,false,12,high,\n"
            "\"r,5\",true,1,low,risk:d\n"
            "r7,false,,,\n");
}

TEST(ScoreCsv, WithoutIdColumnAndWithMissingItemColumns) {
  Instrument tiny = testing::Tiny();
  std::string out;
  auto batch = ScoreCsv(tiny, "a,b,c\n1,1,1\n", out);  // d missing everywhere: 1 + 2 + 1 = 4 x 4/3
  ASSERT_TRUE(batch);
  EXPECT_EQ(out, "complete,total,total_band,flags\nfalse,5.333333333,mid,\n");
  // d (the risk item) is named as absent, for the caller to warn of; e is unscored and is not.
  EXPECT_EQ(batch->absent, (std::vector<std::size_t>{3}));
  auto whole = ScoreCsv(tiny, "a,b,c,d\n1,1,1,1\n", out);
  ASSERT_TRUE(whole);
  EXPECT_TRUE(whole->absent.empty());
}

TEST(ScoreCsv, UnusableHeaderWritesNothing) {
  Instrument tiny = testing::Tiny();
  std::string out;
  auto unknown = ScoreCsv(tiny, "id,a,zz\n1,1,1\n", out);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "csv: line 1, column 3: \"zz\" is not an item of tiny (expected item ids such as a)");
  auto dup = ScoreCsv(tiny, "a,a\n1,1\n", out);
  ASSERT_FALSE(dup);
  auto empty = ScoreCsv(tiny, "", out);
  ASSERT_FALSE(empty);
  EXPECT_TRUE(out.empty());
}

// A file with carriage returns alone between lines read as one line, and the refusal printed the
// raw carriage returns (the terminal overwrote the message): said plainly, control characters escaped.
TEST(ScoreCsv, CarriageReturnLinesAreNamedAndControlCharactersEscaped) {
  Instrument tiny = testing::Tiny();
  std::string out;
  auto mac = ScoreCsv(tiny, "a,b,c,d\r1,1,1,1\r0,0,0,0\r", out);
  ASSERT_FALSE(mac);
  EXPECT_EQ(mac.error().message,
            "csv: lines end in a carriage return alone (classic Mac OS line endings); expected lines ending in a "
            "line feed (LF or CRLF)");
  auto inner = ScoreCsv(tiny, "a,b\rc,d\n1,1,1,1\n", out);
  ASSERT_FALSE(inner);
  EXPECT_EQ(inner.error().message,
            "csv: line 1: the header \"a,b\\rc,d\" holds a carriage return; expected item ids separated by commas");
  auto tab = ScoreCsv(tiny, "a,\"b\x01\"\n1,1\n", out);
  ASSERT_FALSE(tab);
  EXPECT_EQ(tab.error().message,
            "csv: line 1, column 2: \"b\\x01\" is not an item of tiny (expected item ids such as a)");
  auto row = ScoreCsv(tiny, "a,b,c,d\n1,1,1,1\r1\n", out);
  ASSERT_TRUE(row);
  ASSERT_EQ(row->refused.size(), 1u);
  EXPECT_EQ(row->refused[0].reason, "item d: value \"1\\r1\" is not a number");
}

}  // namespace
}  // namespace attune::instruments
