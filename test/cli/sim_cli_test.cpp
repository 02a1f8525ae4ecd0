// End-to-end tests of `attune sim clinic` (docs/simulation.md, docs/cli.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>

#include "attune/store/store.hpp"
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

// The demo's living clinic: a waitlist, open episodes, and open alerts the monitor raised on
// their answers (each alert belongs to a stored response of an active episode).
TEST(SimCli, WaitlistOpenEpisodesAndTheMonitorsAlerts) {
  const std::string db = TempDir("sim_cli_live") + "/clinic.db";
  auto r = RunAttune({"sim", "clinic", "--therapists", "6", "--clients", "60", "--sessions", "8", "--seed", "9",
                      "--waitlist", "7", "--open-share", "0.4", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("episodes still open"), std::string::npos) << r.out;
  auto store = store::Store::Open(store::Target::Sqlite(db));
  ASSERT_TRUE(store) << store.error().message;
  auto clients = store->ListClients(1);
  auto episodes = store->ListEpisodes(1);
  auto alerts = store->ListAlerts(1);
  ASSERT_TRUE(clients && episodes && alerts);
  std::set<Id> placed, active;
  for (const auto& e : *episodes) {
    placed.insert(e.client_id);
    if (e.status == "active") {
      active.insert(e.id);
      EXPECT_TRUE(e.ended_on.empty());
    }
  }
  EXPECT_GE(clients->size() - placed.size(), 7u);  // the waitlist (and any without room)
  EXPECT_GT(active.size(), 10u);
  EXPECT_LT(active.size(), 40u);
  int open_alerts = 0;
  for (const auto& a : *alerts) {
    EXPECT_EQ(active.count(a.episode_id), 1u) << "alert " << a.id << " on a closed episode";
    ASSERT_TRUE(a.response_id.has_value());
    EXPECT_TRUE(store->GetResponse(1, *a.response_id)) << a.id;
    open_alerts += a.acknowledged_at.empty() ? 1 : 0;
  }
  EXPECT_GT(open_alerts, 0);
  // The monitor command sees them as open.
  auto listed = RunAttune({"monitor", "alerts", "--db", db, "--open"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("open"), std::string::npos) << listed.out;
}

TEST(SimCli, EveryOptionIsCheckedBeforeAnythingIsWritten) {
  const std::string dir = TempDir("sim_cli_nothing_written");
  const std::vector<std::string> base = {"sim", "clinic", "--therapists", "3", "--clients", "5", "--trial", "T9"};
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--design", "bogus"}, {"--design", "stepped-wedge", "--steps", "0"},
        {"--design", "stepped-wedge", "--steps", "99"}, {"--training-effect", "9"}}) {
    const std::string db = dir + "/r.db";
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--db", db});
    auto r = RunAttune(args);
    EXPECT_EQ(r.exit_code, 2) << extra[1] << r.err;
    EXPECT_FALSE(std::filesystem::exists(db)) << extra[1] << ": the clinic was written before the refusal";
    EXPECT_FALSE(std::filesystem::exists(dir + "/T9.preregistration.json")) << extra[1];
  }
  auto empty_trial = RunAttune({"sim", "clinic", "--therapists", "3", "--clients", "5", "--trial", "", "--db",
                                dir + "/e.db"});
  EXPECT_EQ(empty_trial.exit_code, 2);
  EXPECT_NE(empty_trial.err.find("--trial is \"\""), std::string::npos) << empty_trial.err;
  auto blank_org = RunAttune({"sim", "clinic", "--therapists", "3", "--clients", "5", "--org-name", "", "--db",
                              dir + "/o.db"});
  EXPECT_EQ(blank_org.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir + "/e.db"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/o.db"));
}

TEST(SimCli, AUseTheLicenceRefusesIsRefused) {
  const std::string dir = TempDir("sim_cli_licence");
  auto r = RunAttune({"--use", "commercial", "sim", "clinic", "--therapists", "3", "--clients", "5", "--db",
                      dir + "/lic.db"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("licence.permitted_uses.commercial is false"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/lic.db"));
}

// Nothing stored in the future (docs/cli.md): the calendar keeps its fixed start 2026-01-05 when it
// ends by yesterday, else moves back by whole weeks and says so. 60 weekly sessions after 26 weeks
// of starts ended in July 2027; a stepped-wedge trial's periods followed them.
TEST(SimCli, TheStoredCalendarEndsByYesterday) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char today[16];
  std::strftime(today, sizeof today, "%Y-%m-%d", &tm);
  auto latest = [&](const std::string& db, std::string& first) {
    std::string last;
    first = "9999";
    auto store = store::Store::Open(store::Target::Sqlite(db));
    EXPECT_TRUE(store) << store.error().message;
    if (!store) return std::string("9999");
    auto episodes = store->ListEpisodes(1);
    EXPECT_TRUE(episodes) << episodes.error().message;
    if (!episodes) return std::string("9999");
    for (const auto& e : *episodes) {
      first = std::min(first, e.started_on);
      last = std::max({last, e.started_on, e.ended_on});
    }
    auto responses = store->ListResponses(1, {});
    EXPECT_TRUE(responses) << responses.error().message;
    if (!responses) return std::string("9999");
    for (const auto& r : *responses) last = std::max(last, r.answered_at.substr(0, 10));
    return last;
  };
  std::string first;
  const std::string short_db = TempDir("sim_cli_calendar_short") + "/clinic.db";
  auto r = RunAttune({"sim", "clinic", "--therapists", "4", "--clients", "10", "--sessions", "4", "--seed", "2",
                      "--db", short_db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(latest(short_db, first), std::string(today));
  EXPECT_EQ(first, "2026-01-05");
  EXPECT_EQ(r.out.find("moved back"), std::string::npos) << r.out;

  const std::string long_db = TempDir("sim_cli_calendar_long") + "/clinic.db";
  r = RunAttune({"sim", "clinic", "--therapists", "4", "--clients", "10", "--sessions", "60", "--seed", "2",
                 "--db", long_db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(latest(long_db, first), std::string(today));
  EXPECT_LT(first, "2026-01-05");
  EXPECT_NE(r.out.find("dated from " + first + ": the fixed start 2026-01-05 moved back "), std::string::npos) << r.out;

  const std::string trial_db = TempDir("sim_cli_calendar_trial") + "/clinic.db";
  r = RunAttune({"sim", "clinic", "--therapists", "6", "--clients", "12", "--sessions", "6", "--seed", "4", "--trial",
                 "T1", "--design", "stepped-wedge", "--steps", "3", "--trial-clients", "12", "--db", trial_db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(latest(trial_db, first), std::string(today));
  EXPECT_NE(r.out.find("moved back"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace attune::testing
