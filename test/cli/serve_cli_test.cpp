// End-to-end: what `attune serve` refuses before it starts (docs/cli.md "attune serve").
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

TEST(ServeCli, APortAnotherServerListensOnIsRefusedWithTheReason) {
  // A listener that allows sharing the port, as a second server with SO_REUSEPORT would: before
  // the fix, `attune serve` bound beside it and the kernel split requests between the two.
  const int held = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(held, 0);
  int yes = 1;
  ASSERT_EQ(setsockopt(held, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes), 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(held, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(held, 8), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(held, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);

  const std::string dir = TempDir("serve_cli_port");
  const std::string db = dir + "/c.db";
  ASSERT_EQ(RunAttune({"db", "init", "--db", db}).exit_code, 0);
  auto second = RunAttune({"serve", "--db", db, "--port", std::to_string(port)});
  close(held);
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("cannot bind 127.0.0.1:" + std::to_string(port) + ": Address already in use"), std::string::npos) << second.err;
}

}  // namespace
}  // namespace attune::testing
