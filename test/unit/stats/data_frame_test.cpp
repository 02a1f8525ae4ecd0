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
  EXPECT_NE(df.error().message.find("row 2"), std::string::npos) << df.error().message;
}

TEST(ParseCsv, UnterminatedQuote) {
  auto df = ParseCsv("a\n\"oops\n");
  ASSERT_FALSE(df);
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

TEST(ReadCsv, MissingFileIsIo) {
  auto df = ReadCsv("/nonexistent/file.csv");
  ASSERT_FALSE(df);
  EXPECT_EQ(df.error().code, ErrorCode::IO);
}

}  // namespace
}  // namespace attune::stats
