// PostgreSQL back end for the shared repository suite. The binary starts its own server:
// initdb into a temp folder, pg_ctl on a free loopback port, one database per test, and removes
// everything afterwards. When the server cannot be started the run FAILS (never skips), so a
// machine without PostgreSQL cannot pass this suite silently.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "unit/store/harness.hpp"

namespace attune::store::testing {
namespace {

std::string PgBin() {
  if (const char* dir = std::getenv("ATTUNE_PG_BIN")) return dir;
  return "/usr/lib/postgresql/15/bin";
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

class PostgresServer final : public ::testing::Environment, public Harness {
 public:
  void SetUp() override {
    char pattern[] = "/tmp/attune-pg-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr) << "cannot create a temp folder for PostgreSQL";
    dir_ = pattern;
    // initdb refuses to run as root: run the server as the postgres user then.
    if (geteuid() == 0) {
      passwd* pw = getpwnam("postgres");
      ASSERT_NE(pw, nullptr) << "running as root and there is no postgres user to run initdb as";
      ASSERT_EQ(chown(dir_.c_str(), pw->pw_uid, pw->pw_gid), 0);
      as_user_ = "runuser -u postgres -- ";
    }
    port_ = FreeLoopbackPort();
    ASSERT_GT(port_, 0) << "no free loopback port";
    std::string data = dir_ + "/data";
    std::string initdb = as_user_ + PgBin() + "/initdb -D " + Quote(data) +
                         " -A trust -U attune -E UTF8 --no-sync > " + Quote(dir_ + "/initdb.log") +
                         " 2>&1";
    ASSERT_EQ(std::system(initdb.c_str()), 0) << "initdb failed: " << ReadFile(dir_ + "/initdb.log");
    std::string options = "-p " + std::to_string(port_) + " -k " + dir_ +
                          " -c listen_addresses=127.0.0.1 -c max_connections=40";
    std::string start = as_user_ + PgBin() + "/pg_ctl -D " + Quote(data) + " -l " +
                        Quote(dir_ + "/server.log") + " -w -t 60 -o " + Quote(options) +
                        " start > /dev/null 2>&1";
    ASSERT_EQ(std::system(start.c_str()), 0)
        << "pg_ctl start failed: " << ReadFile(dir_ + "/server.log");
    started_ = true;
  }

  void TearDown() override {
    if (started_) {
      std::string stop = as_user_ + PgBin() + "/pg_ctl -D " + Quote(dir_ + "/data") +
                         " -m immediate -w stop > /dev/null 2>&1";
      EXPECT_EQ(std::system(stop.c_str()), 0) << "pg_ctl stop failed";
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  Target Fresh() override {
    std::string name = "attune_t" + std::to_string(counter_++);
    std::string create = PgBin() + "/createdb -h 127.0.0.1 -p " + std::to_string(port_) +
                         " -U attune " + name + " > /dev/null 2>&1";
    EXPECT_EQ(std::system(create.c_str()), 0) << "createdb " << name << " failed";
    return Target::Postgres("postgresql://attune@127.0.0.1:" + std::to_string(port_) + "/" + name);
  }

  std::string TempPath(const std::string& name) override {
    return dir_ + "/" + std::to_string(counter_++) + "-" + name;
  }

 private:
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::string dir_;
  std::string as_user_;
  int port_ = 0;
  int counter_ = 0;
  bool started_ = false;
};

PostgresServer* const server =
    static_cast<PostgresServer*>(::testing::AddGlobalTestEnvironment(new PostgresServer));

}  // namespace

Harness& CurrentHarness() { return *server; }

}  // namespace attune::store::testing
