// A writer process is killed with SIGKILL at random moments, again and again. After each kill
// the database must pass its integrity check and hold every response whose acknowledgement the
// writer printed before it died. (This proves atomic, durable commits against process crashes;
// power loss is covered by synchronous=FULL in WAL mode, which this test cannot simulate.)

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "attune/store/store.hpp"

namespace attune::store {
namespace {

constexpr int kKills = 60;

// Starts the writer with stdout on a pipe; returns its pid and the pipe's read end.
std::pair<pid_t, int> StartWriter(const std::string& db, const std::string& prefix) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, -1};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(ATTUNE_CRASH_WRITER, ATTUNE_CRASH_WRITER, db.c_str(), prefix.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

// Complete "ack <key>" lines in `text`, from `start`.
void ParseAcks(const std::string& text, std::vector<std::string>& acks) {
  acks.clear();
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;
    std::string line = text.substr(start, end - start);
    if (line.rfind("ack ", 0) == 0) acks.push_back(line.substr(4));
    start = end + 1;
  }
}

// Reads until `wanted` acknowledgements arrived (or the writer's output ended).
void ReadUntil(int fd, std::string& text, std::size_t wanted) {
  std::vector<std::string> acks;
  char buffer[4096];
  while (true) {
    ParseAcks(text, acks);
    if (acks.size() >= wanted) return;
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

// Everything else the writer printed before it died.
void ReadRest(int fd, std::string& text) {
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  close(fd);
}

TEST(CrashTest, KilledWriterLosesNoAcknowledgedResponse) {
  auto dir = std::filesystem::temp_directory_path() / ("attune-crash-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string db = (dir / "crash.sqlite").string();
  {
    auto store = Store::Open(Target::Sqlite(db));
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE(store->CreateOrganisation("Crash clinic"));
  }
  std::mt19937 rng(20261126);
  std::uniform_int_distribution<int> delay_us(0, 30000);
  std::uniform_int_distribution<int> acks_before_kill(1, 5);
  std::size_t total_acks = 0;
  int killed_mid_run = 0;
  for (int round = 0; round < kKills; ++round) {
    auto [pid, fd] = StartWriter(db, "r" + std::to_string(round));
    ASSERT_GT(pid, 0);
    // Kill while it writes: after a random number of acknowledgements (so a loaded machine's
    // slow start-up cannot make every kill land before the first write), then a random delay.
    std::string text;
    ReadUntil(fd, text, static_cast<std::size_t>(acks_before_kill(rng)));
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++killed_mid_run;
    ReadRest(fd, text);
    std::vector<std::string> acks;
    ParseAcks(text, acks);
    ASSERT_FALSE(acks.empty()) << "round " << round << ": the writer acknowledged nothing: " << text;
    total_acks += acks.size();

    auto store = Store::Open(Target::Sqlite(db));
    ASSERT_TRUE(store) << "round " << round << ": " << store.error().message;
    auto check = store->IntegrityCheck();
    ASSERT_TRUE(check);
    ASSERT_EQ(*check, "ok") << "round " << round;
    OrgId org = store->ListOrganisations()->front().id;
    for (const auto& key : acks) {
      auto found = store->FindResponseByKey(org, key);
      ASSERT_TRUE(found);
      ASSERT_TRUE(found->has_value()) << "round " << round << ": acknowledged " << key << " is lost";
      ASSERT_EQ(store->ScoresOf(org, (*found)->id)->size(), 1u) << key << " lost its score";
    }
    ASSERT_TRUE(store->VerifyAudit(org)->ok) << "round " << round;
  }
  // The test only means something if the writer was really killed while writing.
  EXPECT_EQ(killed_mid_run, kKills);
  EXPECT_GE(total_acks, static_cast<std::size_t>(kKills));
  std::printf("crash test: %d kills, %zu acknowledged responses all present\n", kKills, total_acks);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace attune::store
