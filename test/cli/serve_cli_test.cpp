// End-to-end: what `attune serve` refuses before it starts (docs/cli.md "attune serve").
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli/run.hpp"

namespace attune::testing {
namespace {

TEST(ServeCli, RefusesAMissingDatabaseAFolderThatIsNotThereAndABadAddress) {
  const std::string dir = TempDir("serve_cli");
  auto missing = RunAttune({"serve", "--db", dir + "/nosuch.db", "--port", "0"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("attune db init"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/nosuch.db"));

  const std::string db = dir + "/c.db";
  ASSERT_EQ(RunAttune({"db", "init", "--db", db}).exit_code, 0);
  auto folder = RunAttune({"serve", "--db", db, "--port", "0", "--static", "/nonexistent"});
  EXPECT_EQ(folder.exit_code, 2);
  EXPECT_NE(folder.err.find("--static is \"/nonexistent\""), std::string::npos) << folder.err;
  auto bind = RunAttune({"serve", "--db", db, "--port", "0", "--bind", "999.1.1.1"});
  EXPECT_EQ(bind.exit_code, 2);
  EXPECT_NE(bind.err.find("--bind is \"999.1.1.1\""), std::string::npos) << bind.err;
  EXPECT_EQ(bind.err.find("signal"), std::string::npos) << bind.err;
}

}  // namespace
}  // namespace attune::testing
