// attune match evaluate: the JSON figures and refusals (docs/matching.md, docs/cli.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/run.hpp"

namespace attune::testing {
namespace {

using Json = nlohmann::json;

TEST(CliMatch, EvaluateReportsGainAgainstPlantedTruth) {
  auto r = RunAttune({"match", "evaluate", "--therapists", "40", "--clients", "800", "--seed", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  for (const char* key : {"gain_sd", "oracle_gain_sd", "fraction_of_oracle", "greedy_gain_sd", "waitlist"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_GT(j["waitlist"].get<int>(), 100);
  // The oracle beats assignment as usual, and the model recovers a positive share of that gain.
  EXPECT_GT(j["oracle_gain_sd"].get<double>(), 0.0);
  EXPECT_GT(j["gain_sd"].get<double>(), 0.0);
  EXPECT_LE(j["gain_sd"].get<double>(), j["oracle_gain_sd"].get<double>() + 1e-9);
  EXPECT_EQ(j["certificate_optimal"], true);
  EXPECT_GT(j["pair_correlation_with_truth"].get<double>(), 0.2);
}

TEST(CliMatch, RefusesWhatItCannotScore) {
  auto r = RunAttune({"match", "evaluate", "--therapists", "5", "--clients", "20", "--objective", "outcome"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--objective"), std::string::npos);
  auto bad = RunAttune({"match", "assign", "--db", "/nonexistent/x.db", "--randomize", "half"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("matched:usual"), std::string::npos);
}

}  // namespace
}  // namespace attune::testing
