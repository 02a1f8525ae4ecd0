#include "attune/stats/data_frame.hpp"

#include <gtest/gtest.h>

namespace attune::stats {
namespace {

TEST(ParseCsv, TypesMissingAndQuotes) {
  auto df = ParseCsv("\"id\",x,grp,note\n1,2.5,a,\"said \"\"hi\"\", left\"\n2,,b,\n3,NA,a,x\r\n");
  ASSERT_TRUE(df) << df.error().message;
  EXPECT_EQ(df->Rows(), 3u);
  const Column* x = df->Find("x");
  ASSERT_NE(x, nullptr);
  EXPECT_TRUE(x->numeric);
  EXPECT_EQ(x->values[0], 2.5);
  EXPECT_TRUE(x->missing[1]);
  EXPECT_TRUE(x->missing[2]);
  const Column* g = df->Find("grp");
  EXPECT_FALSE(g->numeric);
  EXPECT_EQ(g->text[1], "b");
  EXPECT_EQ(df->Find("note")->text[0], "said \"hi\", left");
  EXPECT_TRUE(df->Find("note")->missing[1]);
}

TEST(ParseCsv, RefusesRaggedRowsNamingTheRow) {
  auto df = ParseCsv("a,b\n1,2\n3\n");
  ASSERT_FALSE(df);
  EXPECT_EQ(df.error().code, ErrorCode::INVALID_ARGUMENT);
  // Counted in file lines, as every other message (the header is line 1).
  EXPECT_NE(df.error().message.find("line 3 has 1 cells, the header has 2"), std::string::npos) << df.error().message;
}

TEST(ParseCsv, UnterminatedQuote) {
  auto df = ParseCsv("a\n\"oops\n");
  ASSERT_FALSE(df);
  // The line the quote opened on, not the last line read (it said "at line 6").
  auto later = ParseCsv("x,y\n1,\"2\n3,5.9\n4,8.2\n5,9.9\n");
  ASSERT_FALSE(later);
  EXPECT_NE(later.error().message.find("the quote opened at line 2 is never closed"), std::string::npos)
      << later.error().message;
}

TEST(ParseCsv, NumbersReadAsStrtodDoes) {
  // from_chars takes the plain cells; a leading '+', leading blanks and hex fall back to strtod.
  auto df = ParseCsv("a,b\n+1, 2\n0x10,3 \n-2.5e-3,1e2\n");
  ASSERT_TRUE(df) << df.error().message;
  const Column* a = df->Find("a");
  const Column* b = df->Find("b");
  ASSERT_TRUE(a->numeric);
  ASSERT_TRUE(b->numeric);
  EXPECT_EQ(a->values, (std::vector<double>{1, 16, -2.5e-3}));
  EXPECT_EQ(b->values, (std::vector<double>{2, 3, 100}));
  auto text = ParseCsv("a\n1\n1x\n");
  ASSERT_TRUE(text);
  EXPECT_FALSE(text->Find("a")->numeric);
  EXPECT_EQ(text->Find("a")->text[1], "1x");
}

TEST(ParseCsv, BlankLinesSkippedAndTrailingDelimiterGivesEmptyCell) {
  auto df = ParseCsv("a,b\n\n1,x\n\r\n2,");
  ASSERT_TRUE(df) << df.error().message;
  EXPECT_EQ(df->Rows(), 2u);
  EXPECT_EQ(df->Find("a")->values, (std::vector<double>{1, 2}));
  EXPECT_TRUE(df->Find("b")->missing[1]);
  auto quoted = ParseCsv("a,b\n\"\",\"q\"\"\"\n");  // "" is an empty (missing) cell, "q""" is q"
  ASSERT_TRUE(quoted) << quoted.error().message;
  EXPECT_TRUE(quoted->Find("a")->missing[0]);
  EXPECT_EQ(quoted->Find("b")->text[0], "q\"");
}

TEST(DataFrame, GetNamesMissingColumnAndListsOthers) {
  auto df = ParseCsv("a,b\n1,2\n");
  ASSERT_TRUE(df);
  auto c = df->Get("zz");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::NOT_FOUND);
  EXPECT_EQ(c.error().field, "zz");
  EXPECT_NE(c.error().message.find("a, b"), std::string::npos);
}

TEST(DataFrame, GetNumericRefusesText) {
  auto df = ParseCsv("a\nx\n");
  ASSERT_TRUE(df);
  auto c = df->GetNumeric("a");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("must be numeric"), std::string::npos);
}

TEST(CompleteRows, ListwiseOverNamedColumnsOnly) {
  auto df = ParseCsv("a,b,c\n1,,3\n1,2,\n4,5,6\n");
  ASSERT_TRUE(df);
  std::size_t dropped = 0;
  auto rows = CompleteRows(*df, {"a", "c"}, &dropped);
  ASSERT_TRUE(rows);
  EXPECT_EQ(*rows, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(dropped, 1u);
}

TEST(ReadCsv, MissingFileIsNotFoundAndADirectoryIsRefused) {
  auto df = ReadCsv("/nonexistent/file.csv");
  ASSERT_FALSE(df);
  EXPECT_EQ(df.error().code, ErrorCode::NOT_FOUND);
  auto dir = ReadCsv("/tmp");  // once a bad_alloc: a directory's size read as a file's
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_NE(dir.error().message.find("is a directory"), std::string::npos);
}

TEST(ParseCsv, SkipsAByteOrderMarkAndQuotesTheFirstTextCellWithItsLine) {
  // Line 1 header, line 2 a blank line (skipped), rows on lines 3-5.
  auto df = ParseCsv("\xEF\xBB\xBFx,y\n\n1,2\n2,3\nfoo,4\n");
  ASSERT_TRUE(df) << df.error().message;
  EXPECT_TRUE(df->Find("x") != nullptr);
  auto x = df->GetNumeric("x");
  ASSERT_FALSE(x);
  EXPECT_NE(x.error().message.find("'foo' at line 5"), std::string::npos) << x.error().message;
}

TEST(CheckDistinct, NamesTheRepeatedName) {
  EXPECT_TRUE(CheckDistinct({"a", "b"}, "items"));
  auto r = CheckDistinct({"a", "b", "a"}, "items");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("items: 'a' is given twice"), std::string::npos);
}

}  // namespace
}  // namespace attune::stats
