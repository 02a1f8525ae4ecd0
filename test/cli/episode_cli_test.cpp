// attune episode: a client's choice confirmed or declined, therapy ended, and attune match assign
// leaving a client who waits on their own choice out of the plan (docs/cli.md "attune episode").
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "cli/run.hpp"

namespace attune::testing {
namespace {

using Json = nlohmann::json;

// Current (waiting or active) episodes per client.
std::map<long long, int> CurrentPerClient(const std::string& db) {
  auto list = RunAttune({"episode", "list", "--db", db, "--json"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  std::map<long long, int> out;
  for (const auto& e : Json::parse(list.out)) {
    const std::string status = e["status"];
    if (status == "waiting" || status == "active") ++out[e["client_id"].get<long long>()];
  }
  return out;
}

// Before: `attune match assign --commit` planned a client waiting on their own choice too, giving
// them a second current episode (waiting + active).
TEST(CliEpisode, AssignLeavesOutAClientWaitingOnTheirChoiceAndTheChoiceIsDecided) {
  std::string error;
  const std::string db = SmallStoredClinic("episode_cli_db", error);
  ASSERT_FALSE(db.empty()) << error;
  auto dry = RunAttune({"match", "assign", "--db", db, "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  const Json plan = Json::parse(dry.out);
  const int waitlist = plan["waitlist"].get<int>();
  long long client = 0, therapist = 0;
  for (const auto& row : plan["assignments"]) {
    if (client == 0 && !row["therapist_id"].is_null()) {
      client = row["client_id"].get<long long>();
      therapist = row["therapist_id"].get<long long>();
    }
  }
  ASSERT_NE(client, 0) << dry.out;

  // The client's choice, as the clinic records it: a waiting episode (started today by default).
  auto chose = RunAttune({"episode", "open", "--db", db, "--client", std::to_string(client), "--therapist",
                          std::to_string(therapist), "--status", "waiting", "--json"});
  ASSERT_EQ(chose.exit_code, 0) << chose.err;
  const long long episode = Json::parse(chose.out)["id"].get<long long>();
  const std::string today = Json::parse(chose.out)["started_on"];
  auto future = RunAttune({"episode", "open", "--db", db, "--client", std::to_string(client), "--therapist",
                           std::to_string(therapist), "--started-on", "2030-01-07"});
  EXPECT_EQ(future.exit_code, 2);
  EXPECT_NE(future.err.find("started_on is 2030-01-07, in the future"), std::string::npos) << future.err;

  // The plan leaves them out, and committing it gives nobody a second current episode.
  auto after_choice = RunAttune({"match", "assign", "--db", db, "--json"});
  ASSERT_EQ(after_choice.exit_code, 0) << after_choice.err;
  const Json replanned = Json::parse(after_choice.out);
  EXPECT_EQ(replanned["waitlist"].get<int>(), waitlist - 1);
  for (const auto& row : replanned["assignments"]) EXPECT_NE(row["client_id"].get<long long>(), client);
  auto commit = RunAttune({"match", "assign", "--db", db, "--commit", "--started-on", today, "--json"});
  ASSERT_EQ(commit.exit_code, 0) << commit.err;
  for (const auto& [who, current] : CurrentPerClient(db)) EXPECT_EQ(current, 1) << "client " << who;

  // Ending a waiting choice is not a move it has; it is confirmed, then therapy ends.
  auto early_end = RunAttune({"episode", "end", std::to_string(episode), "--db", db});
  EXPECT_EQ(early_end.exit_code, 1);
  EXPECT_NE(early_end.err.find("is waiting; only an active"), std::string::npos) << early_end.err;
  auto confirm = RunAttune({"episode", "confirm", std::to_string(episode), "--db", db, "--json"});
  ASSERT_EQ(confirm.exit_code, 0) << confirm.err;
  EXPECT_EQ(Json::parse(confirm.out)["status"], "active");
  auto backwards = RunAttune({"episode", "end", std::to_string(episode), "--db", db, "--on", "2020-01-06"});
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_NE(backwards.err.find("before started_on " + today), std::string::npos) << backwards.err;
  auto end = RunAttune({"episode", "end", std::to_string(episode), "--db", db, "--note", "goals met", "--json"});
  ASSERT_EQ(end.exit_code, 0) << end.err;
  const Json ended = Json::parse(end.out);
  EXPECT_EQ(ended["status"], "ended");
  EXPECT_EQ(ended["ended_on"], today);
  EXPECT_EQ(ended["note"], "goals met");

  // A decline needs its reason; every decision was audited in the chain.
  auto no_reason = RunAttune({"episode", "decline", "1", "--db", db});
  EXPECT_EQ(no_reason.exit_code, 2);
  EXPECT_NE(no_reason.err.find("--note"), std::string::npos) << no_reason.err;
  auto audit = RunAttune({"audit", "verify", "--db", db});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
}

}  // namespace
}  // namespace attune::testing
