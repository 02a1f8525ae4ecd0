#include "attune/instruments/scoring.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "unit/instruments/test_instrument.hpp"

namespace attune::instruments {
namespace {

Answers A(std::initializer_list<std::optional<double>> values) { return Answers(values); }

TEST(Score, SumsWithReverseKeys) {
  Instrument tiny = testing::Tiny();
  // a=1, b=0 reversed -> 3, c=2, d=0: 1 + 3 + 2 + 0 = 6 -> "mid"
  auto r = Score(tiny, A({1, 0, 2, 0, 3}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->complete);
  ASSERT_TRUE(r->scales[0].score);
  EXPECT_DOUBLE_EQ(*r->scales[0].score, 6);
  EXPECT_EQ(r->scales[0].band->label, "mid");
  EXPECT_FALSE(*r->scales[0].caseness);
  EXPECT_TRUE(r->flags.empty());
}

TEST(Score, ProratesAtTheLimitAndRefusesPastIt) {
  Instrument tiny = testing::Tiny();
  // d missing: a=3, b=0 -> 3, c=3: 9 x 4 / 3 = 12 -> "high", caseness
  auto at = Score(tiny, A({3, 0, 3, std::nullopt, std::nullopt}));
  ASSERT_TRUE(at);
  EXPECT_FALSE(at->complete);
  EXPECT_TRUE(at->scales[0].prorated);
  EXPECT_DOUBLE_EQ(*at->scales[0].score, 12);
  EXPECT_TRUE(*at->scales[0].caseness);
  // two missing: not scorable — never 0
  auto past = Score(tiny, A({3, std::nullopt, 3, std::nullopt, 1}));
  ASSERT_TRUE(past);
  EXPECT_FALSE(past->scales[0].score.has_value());
  EXPECT_EQ(past->scales[0].band, nullptr);
  EXPECT_FALSE(past->scales[0].caseness.has_value());
  EXPECT_EQ(past->scales[0].answered, 2u);
}

TEST(Score, UnscoredItemDoesNotMakeIncomplete) {
  Instrument tiny = testing::Tiny();
  auto r = Score(tiny, A({0, 3, 0, 0, std::nullopt}));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete);
  EXPECT_DOUBLE_EQ(*r->scales[0].score, 0);
  EXPECT_EQ(r->scales[0].band->label, "low");
}

TEST(Score, FractionalScoreTakesTheLowerBandUntilTheNextMin) {
  Instrument tiny = testing::Tiny();
  // a=1, b=3 -> 0, c=2, d missing: 3 x 4 / 3 = 4 -> mid; a=1,b=2->1,c=1: 3*4/3=4; a=2,b=3->0,c=1: 3 -> 4
  // a=1, b=3 -> 0, c=1: 2 x 4/3 = 2.67 -> low (below 4)
  auto r = Score(tiny, A({1, 3, 1, std::nullopt, std::nullopt}));
  ASSERT_TRUE(r);
  EXPECT_NEAR(*r->scales[0].score, 8.0 / 3.0, 1e-9);  // scores are rounded to 1e-9
  EXPECT_EQ(r->scales[0].band->label, "low");
  // a=3, b=3 -> 0, c=2: 5 x 4 / 3 = 6.67 -> "mid" (between 7 and 8 it would still be mid)
  auto r2 = Score(tiny, A({3, 0, 3, std::nullopt, std::nullopt}));
  EXPECT_EQ(r2->scales[0].band->label, "high");
}

TEST(Score, RiskFlagRaisedAboveThreshold) {
  Instrument tiny = testing::Tiny();
  auto r = Score(tiny, A({0, 3, 0, 2, 0}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->flags.size(), 1u);
  EXPECT_EQ(tiny.items[r->flags[0].item].id, "d");
  EXPECT_EQ(r->flags[0].value, 2);
}

TEST(Score, RefusesOutOfRangeNamingItemAndValue) {
  Instrument tiny = testing::Tiny();
  auto r = Score(tiny, A({0, 4, 0, 0, 0}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "item b: value 4 is not one of 0, 1, 2, 3");
  EXPECT_EQ(r.error().field, "b");
  auto half = Score(tiny, A({0, 1.5, 0, 0, 0}));
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().message, "item b: value 1.5 is not one of 0, 1, 2, 3");
}

TEST(Score, AnAnswerWithinTheToleranceIsTheOptionExactly) {
  Instrument tiny = testing::Tiny();
  // Scored, flagged and handed back for storage as the option's value, not as sent.
  auto r = Score(tiny, A({1.0000000001, -0.0, 1e-320, 1e-10, 2.9999999999}));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->values.size(), 5u);
  EXPECT_EQ(r->values[0], 1.0);
  EXPECT_EQ(r->values[1], 0.0);
  EXPECT_FALSE(std::signbit(r->values[1]));  // -0 is 0
  EXPECT_EQ(r->values[2], 0.0);
  EXPECT_EQ(r->values[3], 0.0);
  EXPECT_EQ(r->values[4], 3.0);
  // a=1, b=0 reversed -> 3, c=0, d=0: 4, exactly
  EXPECT_EQ(*r->scales[0].score, 4.0);
  // d = 1e-10 is 0, not "above 0": no risk flag.
  EXPECT_TRUE(r->flags.empty());
  auto item_d = AcceptedValue(tiny.items[3], 1e-10);
  ASSERT_TRUE(item_d);
  EXPECT_EQ(*item_d, 0.0);
  EXPECT_EQ(AcceptedValue(tiny.items[0], 1.5).error().message, "item a: value 1.5 is not one of 0, 1, 2, 3");
  const Instrument& ors = **testing::Shipped().Get("ors");
  EXPECT_FALSE(std::signbit(*AcceptedValue(ors.items[0], -0.0)));
  EXPECT_EQ(*AcceptedValue(ors.items[0], 2.5), 2.5);
}

TEST(Score, RefusesWrongCount) {
  auto r = Score(testing::Tiny(), A({0, 1}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "answers: expected 5 values (one per item), got 2");
}

TEST(Score, RangeItems) {
  const Instrument& ors = **testing::Shipped().Get("ors");
  auto ok = Score(ors, A({2.5, 7.1, 10, 0}));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_NEAR(*ok->scales.back().score, 19.6, 1e-9);
  auto bad = Score(ors, A({2.5, 10.5, 10, 0}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "item ors_2: value 10.5 is outside 0..10");
}

// ORS/SRS lines move in steps of 0.1: 6.24 x 3 + 6.23 = 24.95 used to score "below clinical
// cutoff" [0, 24.9] by band yet "caseness: no" (24.95 > 24.9): an off-step value is refused.
TEST(Score, RangeItemsRefuseValuesOffTheirStep) {
  const Instrument& ors = **testing::Shipped().Get("ors");
  auto off = Score(ors, A({6.24, 6.24, 6.24, 6.23}));
  ASSERT_FALSE(off);
  EXPECT_EQ(off.error().field, "ors_1");
  EXPECT_EQ(off.error().message,
            "item ors_1: value 6.24 is off the item's steps of 0.1; expected a multiple of 0.1 from 0 to 10");
  const Instrument& srs = **testing::Shipped().Get("srs");
  auto srs_off = Score(srs, A({9, 9, 9, 9.05}));
  ASSERT_FALSE(srs_off);
  EXPECT_EQ(srs_off.error().field, "srs_4");
  // On the step within a relative 1e-9 (typed or converted decimals), and the ends, are accepted.
  for (double v : {6.2, 6.2000000001, 6.1999999999, 0.3, 9.9, 10.0, 0.0}) {
    EXPECT_TRUE(AcceptedValue(ors.items[0], v)) << v;
  }
  EXPECT_FALSE(AcceptedValue(ors.items[0], 6.2001));
  // 6.3 + 6.3 + 6.2 + 6.2 = 25: on the steps and at the cutoff.
  auto at = Score(ors, A({6.3, 6.3, 6.2, 6.2}));
  ASSERT_TRUE(at) << at.error().message;
  EXPECT_EQ(*at->scales[0].score, 25.0);
}

// A step from a minimum other than 0 is counted from the minimum; step 0 takes any value.
TEST(AcceptedValue, StepsCountFromTheMinimum) {
  Item item;
  item.id = "line";
  item.response.min = 1;
  item.response.max = 5;
  item.response.step = 0.5;
  EXPECT_TRUE(AcceptedValue(item, 3.5));
  auto off = AcceptedValue(item, 3.25);
  ASSERT_FALSE(off);
  EXPECT_EQ(off.error().message,
            "item line: value 3.25 is off the item's steps of 0.5; expected a number from 1 to 5 in steps of 0.5 "
            "from 1");
  item.response.step = 0;
  EXPECT_TRUE(AcceptedValue(item, 3.25));
}

TEST(ParseAnswerList, EmptyCellsAreMissingAndTextIsRefused) {
  Instrument tiny = testing::Tiny();
  auto parsed = ParseAnswerList(tiny, "1, ,2,,3");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE((*parsed)[1].has_value());
  EXPECT_EQ(*(*parsed)[4], 3);
  auto bad = ParseAnswerList(tiny, "1,x,2,,3");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "item b: value \"x\" is not a number");
  EXPECT_FALSE(ParseAnswerList(tiny, "1,2"));
}

TEST(AnswersFromMap, RefusesUnknownItem) {
  Instrument tiny = testing::Tiny();
  auto ok = AnswersFromMap(tiny, {{"a", 1.0}, {"d", std::nullopt}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(*(*ok)[0], 1);
  auto bad = AnswersFromMap(tiny, {{"q", 1.0}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "answers.q");
}

TEST(FormatScore, IntegersAndTwoDecimals) {
  EXPECT_EQ(FormatScore(13), "13");
  EXPECT_EQ(FormatScore(11.25), "11.25");
  EXPECT_EQ(FormatScore(12.5), "12.5");
  EXPECT_EQ(FormatScore(100.0 / 9.0), "11.11");
  EXPECT_EQ(FormatScore(-15), "-15");
}

TEST(FormatScore, HugeValuesAsSentNotInfinity) {
  // An answer of 1e308 was refused as "value inf is not one of 0, 1, 2, 3": x100 overflowed.
  EXPECT_EQ(FormatScore(1e308), "1e+308");
  EXPECT_EQ(FormatScore(-1e308), "-1e+308");
  EXPECT_EQ(FormatScore(1e20), "1e+20");
  EXPECT_EQ(FormatScore(999999999999999.0), "999999999999999");
}

TEST(Score, AHugeAnswerIsRefusedShowingTheValueSent) {
  Instrument tiny = testing::Tiny();
  auto r = Score(tiny, A({1e308, 0, 0, 0, 0}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "item a: value 1e+308 is not one of 0, 1, 2, 3");
}

}  // namespace
}  // namespace attune::instruments
