#include "attune/instruments/json.hpp"

#include <gtest/gtest.h>

#include "unit/instruments/test_instrument.hpp"

namespace attune::instruments {
namespace {

// The JSON field names are a documented contract (docs/cli.md); these tests pin them.
TEST(Json, ScoreShape) {
  Instrument tiny = testing::Tiny();
  auto r = Score(tiny, Answers{3, std::nullopt, std::nullopt, 1, 0});
  ASSERT_TRUE(r);
  auto j = ToJson(tiny, *r);
  EXPECT_EQ(j["instrument"], "tiny");
  EXPECT_EQ(j["complete"], false);
  EXPECT_TRUE(j["scales"]["total"]["score"].is_null());
  EXPECT_TRUE(j["scales"]["total"]["band"].is_null());
  EXPECT_EQ(j["scales"]["total"]["reason"], "answered 2 of 4 items, needs 3");
  ASSERT_EQ(j["flags"].size(), 1u);
  EXPECT_EQ(j["flags"][0]["item"], "d");
}

TEST(Json, InstrumentShape) {
  const Instrument& phq9 = **testing::Shipped().Get("phq9");
  auto j = ToJson(phq9, Use::CLINICAL);
  EXPECT_EQ(j["id"], "phq9");
  EXPECT_EQ(j["items"][0]["id"], "phq9_1");
  EXPECT_EQ(j["scales"][0]["id"], "total");
  EXPECT_EQ(j["scales"][0]["items"].size(), 9u);
  EXPECT_EQ(j["administrable"], true);
  EXPECT_EQ(j["licence"]["permitted_uses"]["clinical"], true);
}

TEST(Json, ChangeShape) {
  Norms n;
  n.sd = 7.7;
  n.reliability = 0.9;
  n.confidence = 0.9;  // CORE-10's criterion: 1.644854 x sqrt(2) x 7.7 x sqrt(.1) = 5.6642 (6.7493 at 95%)
  n.clinical = GroupNorm{19.7, 7.7};
  n.nonclinical = GroupNorm{4.7, 4.8};
  auto d = JacobsonTruax(n, Direction::HIGHER_IS_WORSE, 20, 8);
  auto j = ToJson(*d);
  EXPECT_EQ(j["classification"], "recovered");
  EXPECT_NEAR(j["cutoff"].get<double>(), 10.46, 1e-9);
  EXPECT_NEAR(j["reliable_change_threshold"].get<double>(), 5.6642, 1e-4);
  EXPECT_EQ(j["confidence"], 0.9);
  EXPECT_NEAR(j["z"].get<double>(), 1.644854, 1e-6);
}

}  // namespace
}  // namespace attune::instruments
