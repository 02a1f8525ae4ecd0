// The authorisation table: every route x role x ownership (own, other in the same organisation,
// other organisation) => allow or deny, against a running server. Allowed = 2xx, 409 or 422 (the
// request passed authorisation and hit a state conflict, or data too thin for an analysis);
// denied = 403 or 404 (another organisation's ids do not exist for the caller).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "attune/api/api.hpp"
#include "e2e/openapi_check.hpp"
#include "e2e/server.hpp"

namespace attune::testing {
namespace {

using nlohmann::json;

const char* kRoles[] = {"admin", "coordinator", "therapist", "researcher", "client"};
// Who signs in for each role (org A): the therapist is therapist 1, the client is client 1.
const std::map<std::string, std::string> kHandles = {{"admin", "admin"}, {"coordinator", "coord"},
                                                     {"therapist", "ther1"}, {"researcher", "res"},
                                                     {"client", "cli1"}};

struct Row {
  const char* method;
  const char* path;  // OpenAPI template; {id} is replaced by the target id
  // "A"/"D" per role in kRoles order, each one letter (no target) or three (own, other, other org).
  const char* expect;
};

// Targets: own = 1 (client 1 / episode 1 / alert 1 belong to therapist 1 and client 1), other in
// the same organisation = 2, other organisation = 6 (exists only in org B).
const Row kTable[] = {
    // route                                         admin  coord  ther   res    client
    {"GET", "/api/v1/auth/me",                        "A     A      A      A      A"},
    {"GET", "/api/v1/users",                          "A     D      D      D      D"},
    {"POST", "/api/v1/users",                         "A     D      D      D      D"},
    {"GET", "/api/v1/instruments",                    "A     A      A      A      A"},
    {"GET", "/api/v1/instruments/{instrument_id}",    "A     A      A      A      A"},
    {"GET", "/api/v1/languages",                      "A     A      A      A      A"},
    {"GET", "/api/v1/therapists",                     "A     A      A      A      A"},
    {"POST", "/api/v1/therapists",                    "A     A      D      D      D"},
    {"GET", "/api/v1/therapists/{id}",                "AAD   AAD    AAD    AAD    AAD"},
    {"PATCH", "/api/v1/therapists/{id}",              "AAD   AAD    ADD    DDD    DDD"},
    {"GET", "/api/v1/clients",                        "D     A      A      D      A"},
    {"POST", "/api/v1/clients",                       "D     A      D      D      D"},
    {"GET", "/api/v1/clients/{id}",                   "DDD   AAD    ADD    DDD    ADD"},
    {"PUT", "/api/v1/clients/{id}/intake",            "DDD   AAD    DDD    DDD    ADD"},
    {"GET", "/api/v1/clients/{id}/responses",         "DDD   AAD    ADD    DDD    ADD"},
    {"GET", "/api/v1/clients/{id}/trajectory",        "DDD   AAD    ADD    DDD    ADD"},
    {"GET", "/api/v1/clients/{id}/recommendations",   "DDD   AAD    DDD    DDD    ADD"},
    {"GET", "/api/v1/episodes",                       "D     A      A      D      A"},
    {"POST", "/api/v1/episodes",                      "D     A      D      D      D"},
    {"GET", "/api/v1/episodes/{id}",                  "DDD   AAD    ADD    DDD    ADD"},
    {"GET", "/api/v1/episodes/{id}/sessions",         "DDD   AAD    ADD    DDD    ADD"},
    {"POST", "/api/v1/episodes/{id}/sessions",        "DDD   AAD    ADD    DDD    DDD"},
    {"POST", "/api/v1/responses",                     "DDD   AAD    ADD    DDD    ADD"},
    {"GET", "/api/v1/alerts",                         "D     A      A      D      D"},
    {"POST", "/api/v1/alerts/{id}/acknowledge",       "DDD   AAD    ADD    DDD    DDD"},
    {"POST", "/api/v1/alerts/{id}/resolve",           "DDD   AAD    ADD    DDD    DDD"},
    {"GET", "/api/v1/audit",                          "A     D      D      D      D"},
    {"GET", "/api/v1/audit/verify",                   "A     D      D      D      D"},
    {"GET", "/api/v1/exports/{what}",                 "D     A      D      A      D"},
    {"GET", "/api/v1/clients/{id}/due",               "DDD   AAD    ADD    DDD    ADD"},
    {"GET", "/api/v1/clients/{id}/expected",          "DDD   AAD    ADD    DDD    ADD"},
    {"POST", "/api/v1/clients/{id}/choice",           "DDD   DDD    DDD    DDD    ADD"},
    {"GET", "/api/v1/reports/outcomes",               "D     A      A      D      D"},
    {"GET", "/api/v1/organisation",                   "A     A      A      A      A"},
    {"PATCH", "/api/v1/organisation",                 "A     D      D      D      D"},
    {"GET", "/api/v1/organisation/monitoring",        "A     A      A      A      D"},
    {"PATCH", "/api/v1/organisation/monitoring",      "D     A      D      D      D"},
    {"GET", "/api/v1/therapists/{id}/training",       "DDD   DDD    ADD    DDD    DDD"},
    {"POST", "/api/v1/therapists/{id}/training",      "DDD   DDD    ADD    DDD    DDD"},
    {"GET", "/api/v1/therapists/{id}/mindfulness",    "DDD   DDD    ADD    DDD    DDD"},
    {"POST", "/api/v1/assignments/plan",              "A     A      D      D      D"},
    {"POST", "/api/v1/assignments/commit",            "A     A      D      D      D"},
    {"POST", "/api/v1/analyses/replication",          "D     D      D      A      D"},
    {"POST", "/api/v1/analyses/therapist-effects",    "D     D      D      A      D"},
    {"POST", "/api/v1/analyses/mediation",            "D     D      D      A      D"},
    // Last: the coordinator's end of episodes 1 and 2 changes what the rows above rely on.
    {"POST", "/api/v1/episodes/{id}/confirm",         "DDD   AAD    DDD    DDD    DDD"},
    {"POST", "/api/v1/episodes/{id}/decline",         "DDD   AAD    DDD    DDD    DDD"},
    {"POST", "/api/v1/episodes/{id}/end",             "DDD   AAD    DDD    DDD    DDD"},
};

// Routes the table leaves out on purpose (sign-in itself; logout would end the session).
const std::set<std::string> kNotInTable = {"POST /api/v1/auth/login", "POST /api/v1/auth/logout",
                                           "GET /healthz", "GET /metrics"};

std::vector<std::string> Split(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

class Authorisation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(E2eTempDir("authz"));
    std::string db = *dir_ + "/attune.db";
    Seed(db);
    server_ = new ServerProcess(db);
    tokens_ = new std::map<std::string, std::string>;
    auto client = server_->Client();
    for (const auto& [role, handle] : kHandles) (*tokens_)[role] = SignIn(client, handle).token;
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->Stop(), 0);
    delete server_;
    delete tokens_;
    delete dir_;
  }
  static std::string* dir_;
  static ServerProcess* server_;
  static std::map<std::string, std::string>* tokens_;
};

std::string* Authorisation::dir_ = nullptr;
ServerProcess* Authorisation::server_ = nullptr;
std::map<std::string, std::string>* Authorisation::tokens_ = nullptr;

// The body and query a request needs to be well-formed, so that only authorisation decides.
json BodyFor(const std::string& method, const std::string& path, const std::string& role, long long target,
             int serial) {
  std::string tag = role + std::to_string(serial);
  if (path == "/api/v1/users") {
    return {{"handle", "new-" + tag}, {"role", "researcher"}, {"password", "long enough password"}};
  }
  if (path == "/api/v1/therapists") return {{"external_id", "t-" + tag}, {"display_name", "T " + tag}, {"capacity", 3}};
  if (path == "/api/v1/clients" && method == "POST") return {{"external_id", "c-" + tag}, {"pseudonym", "P " + tag}};
  if (path == "/api/v1/clients/{id}/intake") {
    return {{"concerns", {"low mood"}}, {"goals", {"sleep"}}, {"preferences", json::object()}, {"constraints", {"language:en"}}};
  }
  // The seeded values (test/e2e/server.cpp): an allowed change leaves the profile as it was.
  if (path == "/api/v1/therapists/{id}" && method == "PATCH") return {{"capacity", 10}, {"location", "Synthetic Town"}};
  if (path == "/api/v1/episodes" && method == "POST") {
    return {{"client_id", 1}, {"therapist_id", 2}, {"started_on", "2026-03-01"}, {"status", "waiting"}};
  }
  if (path == "/api/v1/episodes/{id}/sessions") return {{"number", 100 + serial}, {"held_at", "2026-03-02T10:00:00Z"}};
  if (path == "/api/v1/responses") {
    if (role == "therapist") {
      return {{"instrument_id", "wai_srt"}, {"subject_id", target}, {"answered_at", "2026-03-02T10:00:00Z"},
              {"answers", std::vector<int>(12, 3)}};
    }
    return {{"instrument_id", "phq9"}, {"subject_id", target}, {"answered_at", "2026-03-02T10:00:00Z"},
            {"answers", std::vector<int>(10, 1)}};
  }
  if (path == "/api/v1/clients/{id}/choice") return {{"therapist_id", 2}};
  if (path == "/api/v1/organisation") return {{"client_choice", true}};
  if (path == "/api/v1/organisation/monitoring") return {{"rupture_z", 1.4}};
  if (path == "/api/v1/therapists/{id}/training") {
    return {{"kind", "daily_practice"}, {"minutes", 20}, {"completed_on", "2026-03-02"}};
  }
  // Client 1 is in therapy: an allowed caller gets 409 (not on the waitlist) and nothing is written.
  if (path == "/api/v1/assignments/commit") return {{"plan", {{{"client_id", 1}, {"therapist_id", 1}}}}};
  if (path == "/api/v1/analyses/mediation") return {{"resamples", 200}};
  if (path == "/api/v1/alerts/{id}/acknowledge") return {{"note", "seen by " + tag}};
  // Episodes 1 and 2 are active: confirming or declining them is 409 for an allowed caller.
  if (path == "/api/v1/episodes/{id}/decline") return {{"note", "declined by " + tag}};
  if (path == "/api/v1/episodes/{id}/end") return {{"ended_on", "2026-03-02"}, {"note", "ended by " + tag}};
  return nullptr;
}

TEST_F(Authorisation, EveryRouteRoleAndOwnership) {
  int serial = 0;
  int checked = 0;
  for (const auto& row : kTable) {
    auto cells = Split(row.expect);
    ASSERT_EQ(cells.size(), 5u) << row.path;
    for (std::size_t r = 0; r < 5; ++r) {
      std::string role = kRoles[r];
      std::vector<long long> targets = cells[r].size() == 3 ? std::vector<long long>{1, 2, 6} : std::vector<long long>{0};
      ASSERT_EQ(cells[r].size(), targets.size() == 3 ? 3u : 1u) << row.path << " " << role;
      for (std::size_t t = 0; t < targets.size(); ++t) {
        bool allow = cells[r][t] == 'A';
        std::string path = row.path;
        long long target = targets[t];
        bool id_in_path = path.find("{id}") != std::string::npos;
        if (id_in_path) path.replace(path.find("{id}"), 4, std::to_string(target));
        if (path.find("{instrument_id}") != std::string::npos) path.replace(path.find("{instrument_id}"), 15, "phq9");
        if (path.find("{what}") != std::string::npos) path.replace(path.find("{what}"), 6, "scores");
        if (path.find("/trajectory") != std::string::npos || path.find("/expected") != std::string::npos) {
          path += "?instrument=phq9";
        }
        ++serial;
        json body = BodyFor(row.method, row.path, role, target, serial);
        httplib::Headers headers = {{"Authorization", "Bearer " + (*tokens_)[role]},
                                    {"Idempotency-Key", "authz-" + std::to_string(serial)}};
        auto client = server_->Client();
        std::string text = body.is_null() ? "" : body.dump();
        std::string method = row.method;
        auto res = method == "GET"   ? client.Get(path.c_str(), headers)
                   : method == "PUT" ? client.Put(path.c_str(), headers, text, "application/json")
                   : method == "PATCH" ? client.Patch(path.c_str(), headers, text, "application/json")
                                     : client.Post(path.c_str(), headers, text, "application/json");
        ASSERT_TRUE(res) << method << " " << path;
        bool allowed = (res->status >= 200 && res->status < 300) || res->status == 409 || res->status == 422;
        bool denied = res->status == 403 || res->status == 404;
        const char* ownership[] = {"own", "other in same org", "other org"};
        std::string what = method + " " + path + " as " + role +
                           (targets.size() == 3 ? std::string(" (") + ownership[t] + ")" : "") + " -> " +
                           std::to_string(res->status) + " " + res->body.substr(0, 200);
        if (allow) {
          EXPECT_TRUE(allowed) << "expected allow: " << what;
        } else {
          EXPECT_TRUE(denied) << "expected deny: " << what;
        }
        for (const auto& problem : CheckResponse(OpenApiSpec(), method, path, res->status,
                                                 res->get_header_value("Content-Type"), res->body)) {
          ADD_FAILURE() << "openapi: " << problem;
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 200);
}

TEST_F(Authorisation, TableCoversEveryRoute) {
  std::set<std::string> in_table;
  for (const auto& row : kTable) in_table.insert(std::string(row.method) + " " + row.path);
  for (const auto& route : api::Routes()) {
    std::string key = route.method + " " + route.path;
    EXPECT_TRUE(in_table.count(key) || kNotInTable.count(key)) << key << " has no row in the authorisation table";
  }
}

TEST_F(Authorisation, ListsAreFilteredToWhatTheCallerMaySee) {
  auto client = server_->Client();
  auto get = [&](const std::string& role, const std::string& path) {
    auto res = client.Get(path.c_str(), {{"Authorization", "Bearer " + (*tokens_)[role]}});
    EXPECT_TRUE(res && res->status == 200) << role << " " << path;
    return json::parse(res->body);
  };
  auto ther_clients = get("therapist", "/api/v1/clients")["clients"];
  ASSERT_EQ(ther_clients.size(), 1u);
  EXPECT_EQ(ther_clients[0]["id"], 1);
  auto cli_clients = get("client", "/api/v1/clients")["clients"];
  ASSERT_EQ(cli_clients.size(), 1u);
  EXPECT_EQ(cli_clients[0]["id"], 1);
  // Keep each parsed body alive for its loop (a range-for over a temporary's member dangles).
  const json ther_episodes = get("therapist", "/api/v1/episodes")["episodes"];
  for (const auto& e : ther_episodes) EXPECT_EQ(e["therapist_id"], 1);
  const json cli_episodes = get("client", "/api/v1/episodes")["episodes"];
  for (const auto& e : cli_episodes) EXPECT_EQ(e["client_id"], 1);
  // The coordinator of org A never sees org B's rows.
  std::string all = get("coordinator", "/api/v1/clients").dump() + get("coordinator", "/api/v1/therapists").dump();
  EXPECT_EQ(all.find("b-client"), std::string::npos);
  EXPECT_EQ(all.find("Therapist b"), std::string::npos);
  // Clients see only client-visible therapist fields.
  const json visible = get("client", "/api/v1/therapists")["therapists"];
  for (const auto& t : visible) {
    EXPECT_FALSE(t.contains("location")) << t;
    EXPECT_FALSE(t.contains("capacity")) << t;
  }
}

}  // namespace
}  // namespace attune::testing
