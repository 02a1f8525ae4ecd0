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
#include <algorithm>
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
  std::filesystem::remove_all(dir);  // a finished process with the same id may have left it
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

// `attune db backup` killed part way: the backup file it was replacing stays whole (it was
// deleted first, and the new one written in its place, before 2026-11-27).
TEST(CrashTest, BackupCutShortKeepsThePreviousBackup) {
  auto dir = std::filesystem::temp_directory_path() / ("attune-crash-backup-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "live.sqlite").string();
  const std::string file = (dir / "nightly.backup").string();
  constexpr int kRows = 40000;
  OrgId org = 0;
  {
    auto store = Store::Open(Target::Sqlite(db));
    ASSERT_TRUE(store) << store.error().message;
    org = *store->CreateOrganisation("Backup clinic");
    int next = 0;
    auto rows = [&](ScoredResponse& out) -> Result<bool> {
      if (next == kRows) return false;
      out = ScoredResponse{};
      out.response.instrument_id = "phq9";
      out.response.instrument_version = "1";
      out.response.respondent_id = next;
      out.response.subject_id = next;
      out.response.answered_at = "2026-11-26T10:00:00Z";
      out.response.answers.assign(9, 1.0);
      out.response.idempotency_key = "row-" + std::to_string(next++);
      return true;
    };
    ASSERT_TRUE(store->ImportResponses(org, rows, "test"));
  }
  auto started = std::chrono::steady_clock::now();
  {
    auto store = Store::Open(Target::Sqlite(db));
    ASSERT_TRUE(store->Backup(file));
  }
  const auto backup_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  std::mt19937 rng(20261127);
  std::uniform_int_distribution<long> delay_us(0, std::max<long>(1000, backup_us.count()));
  int cut_short = 0;
  for (int round = 0; round < 8; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(ATTUNE_CRASH_WRITER, ATTUNE_CRASH_WRITER, "--backup", db.c_str(), file.c_str(), nullptr);
      _exit(127);
    }
    close(fds[1]);
    std::string text;
    char c = 0;
    while (text.find("go\n") == std::string::npos && read(fds[0], &c, 1) == 1) text.push_back(c);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ReadRest(fds[0], text);
    if (text.find("done") == std::string::npos) ++cut_short;
    // Whatever the moment, FILE is a whole backup (checked on a copy: opening it would change it).
    const std::string copy = (dir / "check.sqlite").string();
    std::filesystem::remove(copy);
    ASSERT_TRUE(std::filesystem::copy_file(file, copy)) << "round " << round << ": no backup file";
    auto opened = Store::Open(Target::Sqlite(copy), OpenOptions{false, false});
    ASSERT_TRUE(opened) << "round " << round << ": " << opened.error().message;
    auto check = opened->IntegrityCheck();
    ASSERT_TRUE(check);
    EXPECT_EQ(*check, "ok") << "round " << round;
    EXPECT_EQ(*opened->CountResponses(org), kRows) << "round " << round;
  }
  std::printf("backup crash test: %d of 8 kills cut a backup short (one backup took %ld us)\n", cut_short,
              static_cast<long>(backup_us.count()));
  EXPECT_GE(cut_short, 1);  // else the test showed nothing
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace attune::store
