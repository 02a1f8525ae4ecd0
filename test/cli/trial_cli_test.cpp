// End-to-end tests of `attune trial` (docs/trial.md, docs/cli.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/run.hpp"

namespace attune::testing {
namespace {

TEST(TrialCli, SimulatePrintsCoverageAndFalsePositiveRate) {
  auto r = RunAttune({"trial", "simulate", "--sims", "3", "--therapists", "12", "--clients-per-therapist", "8",
                      "--effect", "0.3", "--seed", "5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("coverage"));
  EXPECT_TRUE(j.contains("coverage_mcse"));
  EXPECT_TRUE(j.contains("false_positive_rate"));
  EXPECT_TRUE(j.contains("false_positive_rate_mcse"));
  EXPECT_EQ(j["sims"], 3);
  // Same seed, same figures.
  auto again = RunAttune({"trial", "simulate", "--sims", "3", "--therapists", "12", "--clients-per-therapist", "8",
                          "--effect", "0.3", "--seed", "5", "--json"});
  EXPECT_EQ(again.out, r.out);
}

TEST(TrialCli, PowerAndRefusals) {
  auto r = RunAttune({"trial", "power", "--therapists", "12", "--clients-per-therapist", "8", "--effect", "0.5",
                      "--icc", "0.1", "--sims", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out).contains("power"));

  auto bad = RunAttune({"trial", "power", "--therapists", "2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("therapists: 2 is outside"), std::string::npos) << bad.err;
  bad = RunAttune({"trial", "simulate", "--icc", "1.5", "--sims", "2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("icc: 1.5"), std::string::npos) << bad.err;
  bad = RunAttune({"trial", "simulate", "--design", "crossover", "--sims", "2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("\"crossover\""), std::string::npos) << bad.err;
  bad = RunAttune({"trial", "simulate", "--sims", "0"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("sims: 0"), std::string::npos) << bad.err;
}

TEST(TrialCli, CreateOverADatabaseConcealsAndRegisters) {
  const std::string dir = TempDir("trial_cli_create");
  const std::string db = dir + "/clinic.db";
  auto sim = RunAttune({"sim", "clinic", "--therapists", "12", "--clients", "60", "--sessions", "4", "--seed", "3",
                        "--db", db});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  auto r = RunAttune({"trial", "create", "--db", db, "--name", "mindful1", "--design", "parallel", "--arms",
                      "training:control", "--strata", "nonjudge", "--seed", "77", "--out-dir", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("12 therapists allocated"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("training"), std::string::npos) << "arms must stay concealed: " << r.out;
  const auto hash_at = r.out.find("(SHA-256): ");
  ASSERT_NE(hash_at, std::string::npos);
  const std::string hash = r.out.substr(hash_at + 11, 64);
  const auto reg = nlohmann::json::parse(ReadFile(dir + "/mindful1.preregistration.json"));
  EXPECT_EQ(reg["allocation_hash"], hash);
  EXPECT_NE(ReadFile(dir + "/mindful1.preregistration.md").find(hash), std::string::npos);

  auto twice = RunAttune({"trial", "create", "--db", db, "--name", "mindful1", "--seed", "1", "--out-dir", dir});
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.err.find("exists already"), std::string::npos) << twice.err;
  auto facet = RunAttune({"trial", "create", "--db", db, "--name", "m2", "--strata", "openness", "--seed", "1"});
  EXPECT_EQ(facet.exit_code, 2);
  EXPECT_NE(facet.err.find("--strata: \"openness\""), std::string::npos) << facet.err;

  // No clients after training yet: the analysis says so instead of printing an empty effect.
  auto a = RunAttune({"trial", "analyse", "--db", db, "--name", "mindful1", "--training-end", "2099-01-01"});
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_NE(a.err.find("untrained"), std::string::npos) << a.err;
  auto missing = RunAttune({"trial", "analyse", "--db", db, "--name", "nope", "--training-end", "2099-01-01"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no trial \"nope\""), std::string::npos) << missing.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace attune::testing
