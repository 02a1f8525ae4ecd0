// End-to-end tests of `attune sim clinic` (docs/simulation.md, docs/cli.md).
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/run.hpp"

namespace attune::testing {
namespace {

const char* const kFiles[] = {"therapists.csv", "clients.csv", "episodes.csv", "sessions.csv", "responses.csv",
                              "truth.json"};

TEST(SimCli, CsvOutputIsByteIdenticalForASeed) {
  const std::string a = TempDir("sim_cli_a"), b = TempDir("sim_cli_b"), c = TempDir("sim_cli_c");
  const std::vector<std::string> base = {"sim", "clinic", "--therapists", "6", "--clients", "40", "--sessions", "5"};
  auto with = [&](const std::string& seed, const std::string& dir) {
    auto args = base;
    args.insert(args.end(), {"--seed", seed, "--csv-dir", dir});
    return RunAttune(args);
  };
  auto r = with("11", a);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("simulated 6 therapists, 40 clients"), std::string::npos) << r.out;
  ASSERT_EQ(with("11", b).exit_code, 0);
  ASSERT_EQ(with("12", c).exit_code, 0);
  for (const char* file : kFiles) {
    const std::string x = ReadFile(a + "/" + file);
    EXPECT_FALSE(x.empty()) << file;
    EXPECT_EQ(x, ReadFile(b + "/" + file)) << file;
  }
  EXPECT_NE(ReadFile(a + "/responses.csv"), ReadFile(c + "/responses.csv"));
  EXPECT_EQ(ReadFile(a + "/responses.csv").rfind(
                "response_id,therapist_id,client_id,episode_id,session,instrument,respondent,item_id,value\n", 0),
            0u);
}

TEST(SimCli, BadParametersAreRefusedWithTheirName) {
  auto r = RunAttune({"sim", "clinic", "--therapists", "0", "--csv-dir", TempDir("sim_cli_bad")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("therapists = 0 is out of range; expected 1 to 200000"), std::string::npos) << r.err;
  r = RunAttune({"sim", "clinic", "--sessions", "500", "--csv-dir", TempDir("sim_cli_bad2")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sessions = 500"), std::string::npos) << r.err;
  r = RunAttune({"sim", "clinic", "--therapists", "3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--csv-dir DIR, --db FILE"), std::string::npos) << r.err;
}

TEST(SimCli, StoresTheClinicInADatabase) {
  const std::string db = TempDir("sim_cli_db") + "/clinic.db";
  auto r = RunAttune({"sim", "clinic", "--therapists", "3", "--clients", "8", "--sessions", "2", "--seed", "4",
                      "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stored organisation 1 in"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 therapists, 8 clients"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(db));
}

}  // namespace
}  // namespace attune::testing
