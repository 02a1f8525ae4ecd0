// End-to-end: a real `attune serve` over a real SQLite file, driven over loopback HTTP. Every
// response is checked against docs/openapi.yaml.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "attune/api/api.hpp"
#include "attune/store/store.hpp"
#include "e2e/openapi_check.hpp"
#include "e2e/server.hpp"

namespace attune::testing {
namespace {

using nlohmann::json;

class ApiE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(E2eTempDir("api"));
    db_ = new std::string(*dir_ + "/attune.db");
    Seed(*db_);
    server_ = new ServerProcess(*db_);
  }
  static void TearDownTestSuite() {
    int code = server_->Stop();
    EXPECT_EQ(code, 0) << server_->Log();
    delete server_;
    delete db_;
    delete dir_;
  }

  struct Answer {
    int status = 0;
    json body;
    std::string text;
    httplib::Headers headers;
  };

  // One request with a bearer token (or none); the response must conform to the spec.
  static Answer Call(const std::string& method, const std::string& path, const std::string& token = "",
                     const json& body = nullptr, httplib::Headers headers = {}) {
    auto client = server_->Client();
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    httplib::Result res = method == "GET"    ? client.Get(path.c_str(), headers)
                          : method == "PUT"  ? client.Put(path.c_str(), headers, body.is_null() ? "" : body.dump(), "application/json")
                          : method == "PATCH" ? client.Patch(path.c_str(), headers, body.is_null() ? "" : body.dump(), "application/json")
                                             : client.Post(path.c_str(), headers, body.is_null() ? "" : body.dump(), "application/json");
    Answer a;
    if (!res) {
      ADD_FAILURE() << method << " " << path << ": no answer";
      return a;
    }
    a.status = res->status;
    a.text = res->body;
    a.headers = res->headers;
    a.body = json::parse(res->body, nullptr, false);
    for (const auto& problem : CheckResponse(OpenApiSpec(), method, path, res->status,
                                             res->get_header_value("Content-Type"), res->body)) {
      ADD_FAILURE() << "openapi: " << problem << "\n" << res->body.substr(0, 300);
    }
    return a;
  }

  // Sends `request` as written on a new connection and returns the answer: its status line and
  // headers, and as much body as its Content-Length says (or all until the server closes, or
  // 12 s pass). The connection is not half-closed: cpp-httplib 0.11 then sometimes answers nothing.
  static std::string RawExchange(const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(server_->port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{12, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string answer;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
        ::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
        answer.append(buffer, static_cast<std::size_t>(n));
        const auto end = answer.find("\r\n\r\n");
        const auto length = answer.find("Content-Length: ");
        if (end != std::string::npos && length != std::string::npos && length < end &&
            answer.size() >= end + 4 + std::stoul(answer.substr(length + 16))) {
          break;
        }
      }
    }
    ::close(fd);
    return answer;
  }

  // A problem answer: its status, the field it names and its whole detail.
  static void ExpectProblem(const Answer& a, int status, const std::string& field, const std::string& detail) {
    EXPECT_EQ(a.status, status) << a.text;
    EXPECT_EQ(a.body["field"], field) << a.text;
    EXPECT_EQ(a.body["detail"], detail) << a.text;
  }

  static std::string* dir_;
  static std::string* db_;
  static ServerProcess* server_;
};

std::string* ApiE2e::dir_ = nullptr;
std::string* ApiE2e::db_ = nullptr;
ServerProcess* ApiE2e::server_ = nullptr;

// A whole intake (PUT replaces it, every field required): `fields` over empty ones.
json WholeIntake(const json& fields) {
  json whole = {{"concerns", json::array()}, {"goals", json::array()}, {"preferences", json::object()},
                {"constraints", json::array()}};
  for (const auto& [key, value] : fields.items()) whole[key] = value;
  return whole;
}

json Phq9(const std::vector<int>& answers, long long episode = 1) {
  return {{"instrument_id", "phq9"}, {"subject_id", 1}, {"episode_id", episode},
          {"answered_at", "2026-02-01T09:00:00Z"}, {"answers", answers}};
}

TEST_F(ApiE2e, HealthzAndSecurityHeaders) {
  auto a = Call("GET", "/healthz");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body["status"], "ok");
  auto client = server_->Client();
  auto res = client.Get("/api/v1/auth/me");
  ASSERT_TRUE(res);
  EXPECT_NE(res->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(res->get_header_value("Referrer-Policy"), "no-referrer");
}

TEST_F(ApiE2e, EveryAuthenticatedRouteRefusesWithoutASession) {
  for (const auto& route : api::Routes()) {
    if (!route.authenticated) continue;
    std::string path = std::regex_replace(route.path, std::regex(R"(\{instrument_id\})"), "phq9");
    path = std::regex_replace(path, std::regex(R"(\{what\})"), "responses");
    path = std::regex_replace(path, std::regex(R"(\{id\})"), "1");
    auto a = Call(route.method, path, "", json::object());
    EXPECT_EQ(a.status, 401) << route.method << " " << path;
    EXPECT_EQ(a.body.value("code", ""), "unauthenticated") << path;
    // A made-up bearer token is refused the same way.
    auto b = Call(route.method, path, std::string(64, 'a'), json::object());
    EXPECT_EQ(b.status, 401) << route.method << " " << path;
  }
}

TEST_F(ApiE2e, LoginMeLogoutWithBearer) {
  auto client = server_->Client();
  auto s = SignIn(client, "coord");
  EXPECT_EQ(s.token.size(), 64u);
  auto me = Call("GET", "/api/v1/auth/me", s.token);
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.body["role"], "coordinator");
  EXPECT_EQ(Call("POST", "/api/v1/auth/logout", s.token).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/auth/me", s.token).status, 401);
}

TEST_F(ApiE2e, CookieSessionNeedsCsrfTokenForWrites) {
  auto client = server_->Client();
  auto res = client.Post("/api/v1/auth/login", json{{"handle", "ther1"}, {"password", kPassword}}.dump(),
                         "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  std::string cookie = res->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("Secure"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  std::string token = json::parse(res->body)["token"];
  std::string csrf = json::parse(res->body)["csrf_token"];
  httplib::Headers with_cookie = {{"Cookie", "attune_session=" + token}};
  EXPECT_EQ(Call("GET", "/api/v1/auth/me", "", nullptr, with_cookie).status, 200);
  json session = {{"number", 7}, {"held_at", "2026-02-03T10:00:00Z"}};
  auto refused = Call("POST", "/api/v1/episodes/1/sessions", "", session, with_cookie);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body.value("field", ""), "X-CSRF-Token");
  auto headers = with_cookie;
  headers.emplace("X-CSRF-Token", csrf);
  EXPECT_EQ(Call("POST", "/api/v1/episodes/1/sessions", "", session, headers).status, 201);
  // A tab that restored the session from the cookie learns the CSRF token from /auth/me, and can
  // sign out (it could not, and the session stayed alive behind a sign-in screen).
  auto me = Call("GET", "/api/v1/auth/me", "", nullptr, with_cookie);
  EXPECT_EQ(me.body["csrf_token"], csrf);
  httplib::Headers restored = with_cookie;
  restored.emplace("X-CSRF-Token", me.body["csrf_token"].get<std::string>());
  EXPECT_EQ(Call("POST", "/api/v1/auth/logout", "", nullptr, restored).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/auth/me", "", nullptr, with_cookie).status, 401);
}

TEST_F(ApiE2e, WrongPasswordIsRefusedThenRateLimited) {
  auto client = server_->Client();
  json wrong = {{"handle", "cli2"}, {"password", "not the password"}};
  for (int i = 0; i < 5; ++i) {
    // One account whatever the case typed, so one count (it was a count per spelling).
    wrong["handle"] = i % 2 ? "CLI2" : "Cli2";
    auto a = Call("POST", "/api/v1/auth/login", "", wrong);
    EXPECT_EQ(a.status, 401);
    EXPECT_EQ(a.body["detail"], "handle or password not recognised");
  }
  wrong["handle"] = "cli2";
  auto limited = Call("POST", "/api/v1/auth/login", "", wrong);
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.headers.find("Retry-After") == limited.headers.end());
  // Even the right password waits now.
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", "", json{{"handle", "cli2"}, {"password", kPassword}}).status, 429);
}

TEST_F(ApiE2e, SubmitIsIdempotentScoredAndRaisesRiskAlert) {
  auto client = server_->Client();
  auto s = SignIn(client, "cli1");
  httplib::Headers key = {{"Idempotency-Key", "e2e-phq9-1"}};
  auto first = Call("POST", "/api/v1/responses", s.token, Phq9({1, 1, 1, 1, 1, 1, 1, 1, 2, 1}), key);
  ASSERT_EQ(first.status, 201) << first.text;
  EXPECT_FALSE(first.body["replayed"].get<bool>());
  EXPECT_EQ(first.body["scores"][0]["value"], 10);  // 8 x 1 + 2
  ASSERT_EQ(first.body["alerts"].size(), 1u);
  EXPECT_EQ(first.body["alerts"][0]["kind"], "risk_item");
  EXPECT_EQ(first.body["alerts"][0]["severity"], "urgent");
  EXPECT_EQ(first.body["alerts"][0]["status"], "open");
  EXPECT_EQ(first.body["alerts"][0]["evidence"]["item"], "phq9_9") << first.text;
  // Its change figures: the episode's first PHQ-9 is its intake.
  ASSERT_EQ(first.body["changes"].size(), 1u) << first.text;
  EXPECT_EQ(first.body["changes"][0]["scale"], "phq9.total");
  EXPECT_TRUE(first.body["changes"][0]["since_intake"].is_null());
  auto replay = Call("POST", "/api/v1/responses", s.token, Phq9({1, 1, 1, 1, 1, 1, 1, 1, 2, 1}), key);
  EXPECT_EQ(replay.status, 200);
  EXPECT_TRUE(replay.body["replayed"].get<bool>());
  EXPECT_EQ(replay.body["response_id"], first.body["response_id"]);
  // A retry after a lost answer is told of the alerts the first one raised (they are not raised again).
  EXPECT_EQ(replay.body["alerts"], first.body["alerts"]) << replay.text;
  auto conflict = Call("POST", "/api/v1/responses", s.token, Phq9({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), key);
  EXPECT_EQ(conflict.status, 409);
  auto missing_key = Call("POST", "/api/v1/responses", s.token, Phq9({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(missing_key.status, 400);
  EXPECT_EQ(missing_key.body["field"], "Idempotency-Key");
  auto bad = Call("POST", "/api/v1/responses", s.token, Phq9({0, 0, 0, 0, 7, 0, 0, 0, 0, 0}),
                  {{"Idempotency-Key", "e2e-phq9-bad"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["detail"].get<std::string>().find("7"), std::string::npos) << bad.text;
  json undated = Phq9({0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  undated["answered_at"] = "01/02/2026";
  auto ambiguous = Call("POST", "/api/v1/responses", s.token, undated, {{"Idempotency-Key", "e2e-phq9-date"}});
  EXPECT_EQ(ambiguous.status, 400);
  EXPECT_EQ(ambiguous.body["field"], "answered_at");
  EXPECT_NE(ambiguous.body["detail"].get<std::string>().find("\"01/02/2026\""), std::string::npos) << ambiguous.text;
  auto listed = Call("GET", "/api/v1/clients/1/responses", s.token);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body["responses"].size(), 1u);
  auto trajectory = Call("GET", "/api/v1/clients/1/trajectory?instrument=phq9", s.token);
  ASSERT_EQ(trajectory.status, 200);
  EXPECT_EQ(trajectory.body["points"].size(), 1u);
  // The next one answers with its change since intake and since the last, each decided (the
  // issue: "on every submitted response ... the Jacobson-Truax decision").
  json later = Phq9({3, 3, 3, 3, 3, 3, 1, 1, 0, 1});
  later["answered_at"] = "2026-02-08T09:00:00Z";
  auto worse = Call("POST", "/api/v1/responses", s.token, later, {{"Idempotency-Key", "e2e-phq9-2"}});
  ASSERT_EQ(worse.status, 201) << worse.text;
  ASSERT_EQ(worse.body["changes"].size(), 1u) << worse.text;
  const json& since = worse.body["changes"][0]["since_intake"];
  EXPECT_EQ(since["before"], 10);
  EXPECT_EQ(since["after"], 20);
  EXPECT_EQ(since["method"], "rule_points");
  EXPECT_EQ(since["classification"], "reliably_deteriorated");
  EXPECT_EQ(worse.body["changes"][0]["since_last"]["change"], 10);
}

TEST_F(ApiE2e, AlertsAreListedAcknowledgedAndResolved) {
  auto client = server_->Client();
  auto s = SignIn(client, "ther2");
  auto listed = Call("GET", "/api/v1/alerts", s.token);
  ASSERT_EQ(listed.status, 200);
  for (const auto& a : listed.body["alerts"]) EXPECT_EQ(a["episode_id"], 2);  // only their episode
  // Acknowledged with a note of what will be done: none, or a blank one, is refused naming it.
  for (const auto* body : {"", "{\"note\": \"  \"}"}) {
    auto bare = client.Post("/api/v1/alerts/2/acknowledge", {{"Authorization", "Bearer " + s.token}}, body,
                            "application/json");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->status, 400) << body;
    EXPECT_NE(bare->body.find("\"field\":\"note\""), std::string::npos) << bare->body;
  }
  auto ack = Call("POST", "/api/v1/alerts/2/acknowledge", s.token, {{"note", "will call today"}});
  ASSERT_EQ(ack.status, 200);
  EXPECT_FALSE(ack.body["acknowledged_at"].is_null());
  EXPECT_EQ(ack.body["note"], "will call today");
  EXPECT_EQ(Call("POST", "/api/v1/alerts/2/acknowledge", s.token, {{"note", "again"}}).status, 409);
  auto resolved = Call("POST", "/api/v1/alerts/2/resolve", s.token);
  EXPECT_EQ(resolved.status, 200);
  auto open = Call("GET", "/api/v1/alerts?state=open", s.token);
  EXPECT_EQ(open.body["alerts"].size(), 0u);
  auto resolved_list = Call("GET", "/api/v1/alerts?state=resolved", s.token);
  EXPECT_GE(resolved_list.body["alerts"].size(), 1u);
  auto bogus = Call("GET", "/api/v1/alerts?state=closed", s.token);
  ExpectProblem(bogus, 400, "state", "state is \"closed\"; expected open, acknowledged or resolved");
}

TEST_F(ApiE2e, ProblemDetailsForBadInputUnknownRoutesAndHugeBodies) {
  auto client = server_->Client();
  auto s = SignIn(client, "coord");
  // A number past a double's range was a 500 (the parser's out-of-range exception).
  auto overflow = client.Patch("/api/v1/organisation/monitoring", {{"Authorization", "Bearer " + s.token}},
                           "{\"rupture_z\": 1e999}", "application/json");
  ASSERT_TRUE(overflow);
  EXPECT_EQ(overflow->status, 400) << overflow->body;
  EXPECT_NE(overflow->body.find("\"field\":\"body\""), std::string::npos) << overflow->body;
  EXPECT_NE(overflow->body.find("too large for a double"), std::string::npos) << overflow->body;
  auto bad = Call("POST", "/api/v1/therapists", s.token, json{{"external_id", "x"}, {"display_name", "X"}, {"capacity", "ten"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["field"], "capacity");
  EXPECT_EQ(bad.body["detail"], "capacity is \"ten\"; expected an integer");
  // Dates that name no day are refused, naming the field and the value.
  auto no_day = Call("POST", "/api/v1/episodes", s.token,
                     json{{"client_id", 1}, {"therapist_id", 1}, {"started_on", "2026-02-30"}});
  ExpectProblem(no_day, 400, "started_on", "started_on is \"2026-02-30\"; expected a date YYYY-MM-DD");
  auto no_time = Call("POST", "/api/v1/episodes/1/sessions", s.token, json{{"number", 9}, {"held_at", "tuesday"}});
  EXPECT_EQ(no_time.status, 400);
  EXPECT_EQ(no_time.body["field"], "held_at");
  // A reference to nothing is 404 on the field that made it.
  auto nobody = Call("POST", "/api/v1/episodes", s.token,
                     json{{"client_id", 99999}, {"therapist_id", 1}, {"started_on", "2026-03-01"}});
  ExpectProblem(nobody, 404, "client_id", "client 99999 not found in organisation 1");
  // A taken key is 409 naming the field and the value, never the database's own text.
  auto taken = Call("POST", "/api/v1/clients", s.token, json{{"external_id", "ac1"}, {"pseudonym", "Again"}});
  ExpectProblem(taken, 409, "external_id",
                "external_id \"ac1\" is already taken; expected an id no other client of the organisation has");
  auto twice = Call("POST", "/api/v1/episodes/1/sessions", s.token,
                    json{{"number", 1}, {"held_at", "2026-01-05T10:00:00Z"}});
  ExpectProblem(twice, 409, "number",
                "number 1: episode 1 already has a session 1; expected a session number it does not have yet");
  auto res = client.Get("/api/v1/nowhere", {{"Authorization", "Bearer " + s.token}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
  std::string huge(2 << 20, 'x');
  auto big = client.Post("/api/v1/clients", {{"Authorization", "Bearer " + s.token}}, huge, "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  // The probe: a body sent in chunks passed the size limit (a 30 MB client was stored); a repeated
  // key was read as its last value; a request line past 8,192 bytes was 404 "no route  ".
  const auto clients_before = Call("GET", "/api/v1/clients", s.token).body["clients"].size();
  // Refused on its headers, before any of the body is read (sent here without one: a body left
  // unread when the server closes makes the kernel reset the connection, which can arrive first).
  const std::string chunked = RawExchange(
      "POST /api/v1/clients HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + s.token +
      "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(chunked.rfind("HTTP/1.1 411", 0), 0u) << chunked;
  EXPECT_NE(chunked.find("\"field\":\"Transfer-Encoding\""), std::string::npos) << chunked;
  EXPECT_EQ(Call("GET", "/api/v1/clients", s.token).body["clients"].size(), clients_before);
  auto repeated = client.Put("/api/v1/clients/1/intake", {{"Authorization", "Bearer " + s.token}},
                             "{\"concerns\": [\"a\"], \"goals\": [], \"preferences\": {}, \"constraints\": [], "
                             "\"concerns\": [\"b\"]}",
                             "application/json");
  ASSERT_TRUE(repeated);
  EXPECT_EQ(repeated->status, 400);
  EXPECT_EQ(json::parse(repeated->body)["detail"],
            "request body repeats the key \"concerns\" in one object; expected each key once");
  auto long_line = client.Get("/api/v1/clients/1?x=" + std::string(9000, 'y'), {{"Authorization", "Bearer " + s.token}});
  ASSERT_TRUE(long_line);
  EXPECT_EQ(long_line->status, 414);
  EXPECT_EQ(json::parse(long_line->body)["detail"],
            "request path and query are longer than 8192 bytes; expected a shorter request line");
  EXPECT_EQ(client.Get("/healthz")->status, 200);
}

TEST_F(ApiE2e, ReadsAndWritesOfClientDataAreAuditedWithWhoAndWhere) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  ASSERT_EQ(Call("GET", "/api/v1/clients/2", coord.token).status, 200);
  ASSERT_EQ(Call("PUT", "/api/v1/clients/2/intake", coord.token, WholeIntake({{"goals", {"return to work"}}})).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // read audit is flushed in batches
  auto admin = SignIn(client, "admin");
  auto log = Call("GET", "/api/v1/audit", admin.token);
  ASSERT_EQ(log.status, 200);
  bool read = false, wrote = false;
  for (const auto& e : log.body["entries"]) {
    std::string actor = e["actor"];
    if (e["action"] == "client.read" && e["entity_id"] == "2" && actor.find("coord#") == 0 &&
        actor.find("@127.0.0.1") != std::string::npos) {
      read = true;
    }
    if (e["action"] == "client.intake" && e["entity_id"] == "2" && actor.find("coord#") == 0) wrote = true;
  }
  EXPECT_TRUE(read);
  EXPECT_TRUE(wrote);
  auto verify = Call("GET", "/api/v1/audit/verify", admin.token);
  EXPECT_TRUE(verify.body["ok"].get<bool>()) << verify.text;
  // The whole chain's size beside the newest entries asked for.
  auto two = Call("GET", "/api/v1/audit?limit=2", admin.token);
  ASSERT_EQ(two.status, 200);
  EXPECT_EQ(two.body["entries"].size(), 2u);
  EXPECT_GE(two.body["total"].get<long long>(), verify.body["entries"].get<long long>());
}

TEST_F(ApiE2e, RecommendationsAndExports) {
  auto client = server_->Client();
  auto cli = SignIn(client, "cli1");
  auto recs = Call("GET", "/api/v1/clients/1/recommendations?limit=5", cli.token);
  ASSERT_EQ(recs.status, 200);
  ASSERT_GE(recs.body["recommendations"].size(), 1u);
  // Clients see only what a therapist made client-visible.
  EXPECT_FALSE(recs.body["recommendations"][0]["therapist"].contains("location")) << recs.text;
  // The answer is written as text (with cached therapist objects): byte for byte what dumping
  // the same JSON value gives, for a client's and a coordinator's view, asked twice (the second
  // from the cache).
  auto coord = SignIn(client, "coord");
  for (const auto* token : {&cli.token, &coord.token, &cli.token, &coord.token}) {
    auto again = Call("GET", "/api/v1/clients/1/recommendations?limit=5", *token);
    ASSERT_EQ(again.status, 200);
    EXPECT_EQ(again.text, again.body.dump());
    EXPECT_EQ(again.body["recommendations"].size(), recs.body["recommendations"].size());
  }
  // The languages a client may ask for, by the names their reasons use ("speaks German").
  auto languages = Call("GET", "/api/v1/languages", cli.token);
  ASSERT_EQ(languages.status, 200);
  bool german = false;
  for (const auto& l : languages.body["languages"]) german = german || (l["code"] == "de" && l["name"] == "German");
  EXPECT_TRUE(german) << languages.text;
  auto res = SignIn(client, "res");
  auto exported = Call("GET", "/api/v1/exports/scores?format=csv", res.token);
  EXPECT_EQ(exported.status, 200);
  // A misspelt filter is an error, not an empty (or identified) export.
  auto spelt = Call("GET", "/api/v1/exports/scores?deidentify=no", coord.token);
  ExpectProblem(spelt, 400, "deidentify", "deidentify is \"no\"; expected true or false");
  auto unknown = Call("GET", "/api/v1/exports/scores?instrument=phq-9", coord.token);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body["detail"].get<std::string>().find("\"phq-9\" is not a known instrument"), std::string::npos)
      << unknown.text;
}

TEST_F(ApiE2e, MatchingModelsAreFittedBeforeTheServerListens) {
  // No recommendation waits for a fit: the server fits every organisation's model first.
  const std::string log = server_->Log();
  const auto listening = log.find("listening on");
  ASSERT_NE(listening, std::string::npos) << log;
  for (const std::string org : {"organisation 1:", "organisation 2:"}) {
    const auto fitted = log.find(org + " matching model refitted");
    ASSERT_NE(fitted, std::string::npos) << log;
    EXPECT_LT(fitted, listening) << log;
  }
  auto store = store::Store::Open(store::Target::Sqlite(*db_));
  ASSERT_TRUE(store) << store.error().message;
  auto audit = store->AuditLog(1);
  ASSERT_TRUE(audit) << audit.error().message;
  EXPECT_TRUE(std::any_of(audit->begin(), audit->end(),
                          [](const AuditEntry& e) { return e.action == "model.fit" && e.actor == "scheduler"; }));
}

TEST_F(ApiE2e, ListenBacklogIsRaisedAboveCppHttplibsFive) {
  // cpp-httplib listens with a backlog of 5; 32 clients connecting at once then lost handshakes
  // to a 1 s retransmission. The server raises it to 1024 (the kernel caps it at somaxconn).
  // `ss` shows a listening socket's backlog as its Send-Q.
  int somaxconn = 4096;
  if (std::FILE* f = std::fopen("/proc/sys/net/core/somaxconn", "r")) {
    if (std::fscanf(f, "%d", &somaxconn) != 1) somaxconn = 4096;
    std::fclose(f);
  }
  const std::string command = "ss -Hltn 'sport = :" + std::to_string(server_->port()) + "'";
  std::FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr) << command;
  std::string out;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  ASSERT_EQ(pclose(pipe), 0) << command << " (iproute2, installed by scripts/setup)";
  std::istringstream line(out);
  std::string state;
  long long recv_q = -1, send_q = -1;
  line >> state >> recv_q >> send_q;
  EXPECT_EQ(state, "LISTEN") << out;
  EXPECT_EQ(send_q, std::min(1024, somaxconn)) << out;
}

TEST_F(ApiE2e, MetricsCountRequestsByRoute) {
  Call("GET", "/healthz");
  auto client = server_->Client();
  SignIn(client, "coord");  // ctest runs each test alone: make the login this test counts

  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");  // security headers here too
  EXPECT_NE(res->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(res->body.find("attune_http_requests_total{route=\"POST /api/v1/auth/login\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(res->body.find("attune_http_request_duration_seconds_bucket"), std::string::npos);
  // Each of the seven metrics has one HELP line and one TYPE line of the right type.
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = res->body.find(needle); at != std::string::npos; at = res->body.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("# HELP "), 7u);
  EXPECT_EQ(count("# TYPE "), 7u);
  EXPECT_EQ(count("# TYPE attune_submit_committed_total counter\n"), 1u);
  EXPECT_EQ(count("# TYPE attune_audit_flush_seconds histogram\n"), 1u);
}

}  // namespace
}  // namespace attune::testing

namespace attune::testing {
namespace {

// The web app's daily-work routes (docs/api.md "Care, assignment plans and analyses").

TEST_F(ApiE2e, AlertNotesAreKeptWithTheAlert) {
  auto client = server_->Client();
  auto s = SignIn(client, "coord");
  auto ack = Call("POST", "/api/v1/alerts/1/acknowledge", s.token, {{"note", "called the client"}});
  ASSERT_EQ(ack.status, 200) << ack.text;
  EXPECT_EQ(ack.body["note"], "called the client");
  auto bad = Call("POST", "/api/v1/alerts/1/resolve", s.token, {{"note", 5}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["field"], "note");
  auto resolved = Call("POST", "/api/v1/alerts/1/resolve", s.token, {{"note", "safety plan agreed"}});
  ASSERT_EQ(resolved.status, 200) << resolved.text;
  EXPECT_NE(resolved.body["note"].get<std::string>().find("safety plan agreed"), std::string::npos);
  // The list carries the note too (the web's alert list shows it).
  auto listed = Call("GET", "/api/v1/alerts", s.token);
  ASSERT_EQ(listed.status, 200) << listed.text;
  bool found = false;
  for (const auto& a : listed.body["alerts"]) {
    if (a["id"] == 1) {
      found = true;
      EXPECT_EQ(a["note"], "called the client\nsafety plan agreed");
    }
  }
  EXPECT_TRUE(found) << listed.text;
}

TEST_F(ApiE2e, RecordsAgreeWithWhatTheyName) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  // A session number past an int is refused as sent, not cut to 32 bits and stored.
  auto huge = Call("POST", "/api/v1/episodes/1/sessions", coord.token,
                   json{{"number", 99999999999LL}, {"held_at", "2026-09-02T10:00:00Z"}});
  ExpectProblem(huge, 400, "number", "number is 99999999999; expected a whole number from 1 to 10000");
  // One current episode per client; an ended one says when it ended.
  auto second = Call("POST", "/api/v1/episodes", coord.token,
                     json{{"client_id", 1}, {"therapist_id", 1}, {"started_on", "2026-03-01"}});
  EXPECT_EQ(second.status, 409) << second.text;
  EXPECT_EQ(second.body["field"], "client_id");
  auto endless = Call("POST", "/api/v1/episodes", coord.token,
                      json{{"client_id", 1}, {"therapist_id", 1}, {"started_on", "2026-03-01"}, {"status", "ended"}});
  ExpectProblem(endless, 400, "ended_on", "ended_on is missing; expected the date an ended episode ended");
  // A past episode is recorded with its end date (a client with no current episode).
  auto newcomer = Call("POST", "/api/v1/clients", coord.token, json{{"external_id", "past-1"}, {"pseudonym", "Past"}});
  ASSERT_EQ(newcomer.status, 201) << newcomer.text;
  auto past = Call("POST", "/api/v1/episodes", coord.token,
                   json{{"client_id", newcomer.body["id"]}, {"therapist_id", 1}, {"started_on", "2025-01-06"},
                        {"status", "ended"}, {"ended_on", "2025-04-28"}});
  EXPECT_EQ(past.status, 201) << past.text;
  auto backwards = Call("POST", "/api/v1/episodes", coord.token,
                        json{{"client_id", newcomer.body["id"]}, {"therapist_id", 1}, {"started_on", "2025-05-06"},
                             {"status", "ended"}, {"ended_on", "2025-04-28"}});
  EXPECT_EQ(backwards.body["field"], "ended_on") << backwards.text;
  auto nobody = Call("POST", "/api/v1/episodes", coord.token,
                     json{{"client_id", 1}, {"therapist_id", 1}, {"started_on", "2026-03-01"}, {"assigned_by", ""}});
  EXPECT_EQ(nobody.body["field"], "assigned_by") << nobody.text;
  // A form with nothing answered measured nothing.
  auto cli = SignIn(client, "cli1");
  json blank = Phq9({0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  blank["answers"] = json::array({nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  auto empty = Call("POST", "/api/v1/responses", cli.token, blank, {{"Idempotency-Key", "e2e-blank"}});
  ExpectProblem(empty, 400, "answers", "answers has no answered item; expected at least one of the 10 items of phq9 answered");
  // The alliance has no expected-response curve: it is watched against the pair's own level.
  auto alliance = Call("GET", "/api/v1/clients/1/expected?instrument=wai_sr&scale=total", cli.token);
  ASSERT_EQ(alliance.status, 200) << alliance.text;
  EXPECT_FALSE(alliance.body["available"].get<bool>());
  EXPECT_NE(alliance.body["reason"].get<std::string>().find("alliance scale"), std::string::npos) << alliance.text;
}

TEST_F(ApiE2e, DueQuestionnairesAndExpectedBand) {
  auto client = server_->Client();
  auto s = SignIn(client, "cli1");
  auto due = Call("GET", "/api/v1/clients/1/due", s.token);
  ASSERT_EQ(due.status, 200) << due.text;
  ASSERT_TRUE(due.body["due"].is_array());
  for (const auto& d : due.body["due"]) EXPECT_FALSE(d["reason"].get<std::string>().empty());
  // No curves are stored in the seeded organisation: a band is not available, and says why.
  auto band = Call("GET", "/api/v1/clients/1/expected?instrument=phq9", s.token);
  ASSERT_EQ(band.status, 200) << band.text;
  EXPECT_FALSE(band.body["available"].get<bool>());
  EXPECT_NE(band.body["reason"].get<std::string>().find("phq9.total"), std::string::npos);
  auto wrong = Call("GET", "/api/v1/clients/1/expected?instrument=phq9&scale=nope", s.token);
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.body["field"], "scale");
}

TEST_F(ApiE2e, TrainingLogRoundTripWithFieldErrors) {
  auto client = server_->Client();
  auto s = SignIn(client, "ther1");
  auto added = Call("POST", "/api/v1/therapists/1/training", s.token,
                    {{"kind", "mbsr_session"}, {"minutes", 150}, {"completed_on", "2026-03-04"}, {"note", "week 1"}});
  ASSERT_EQ(added.status, 201) << added.text;
  auto log = Call("GET", "/api/v1/therapists/1/training", s.token);
  ASSERT_EQ(log.status, 200);
  bool found = false;
  for (const auto& r : log.body["training"]) found = found || (r["minutes"] == 150 && r["note"] == "week 1");
  EXPECT_TRUE(found) << log.text;
  auto bad = Call("POST", "/api/v1/therapists/1/training", s.token,
                  {{"kind", "mbsr_session"}, {"minutes", 0}, {"completed_on", "2026-03-04"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["field"], "minutes");
  auto date = Call("POST", "/api/v1/therapists/1/training", s.token,
                   {{"kind", "mbsr_session"}, {"minutes", 10}, {"completed_on", "4 March"}});
  EXPECT_EQ(date.status, 400);
  EXPECT_EQ(date.body["field"], "completed_on");
  // The probe: a kind with a line break was stored (and split its audit line in two).
  auto broken = Call("POST", "/api/v1/therapists/1/training", s.token,
                     {{"kind", "a\nb"}, {"minutes", 30}, {"completed_on", "2026-03-04"}});
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(broken.body["field"], "kind");
  EXPECT_EQ(Call("GET", "/api/v1/therapists/1/training", s.token).body["training"].size(), log.body["training"].size());
  EXPECT_EQ(Call("GET", "/api/v1/therapists/1/mindfulness", s.token).status, 200);
}

TEST_F(ApiE2e, TherapistChangesOwnProfilePartiallyAndClientsSeeWhatIsShown) {
  auto client = server_->Client();
  auto ther = SignIn(client, "ther1");
  auto cli = SignIn(client, "cli1");
  {
    // A client sees only what the therapist shows: hidden fields are absent, not zero values.
    const json seen = Call("GET", "/api/v1/therapists/1", cli.token).body;
    EXPECT_FALSE(seen.contains("location")) << seen;
    EXPECT_FALSE(seen.contains("capacity")) << seen;
    EXPECT_FALSE(seen.contains("external_id")) << seen;
    EXPECT_EQ(seen["display_name"], "Therapist a1");
    // Each answer kept in a local: a range-for over a temporary's member reads freed memory.
    const json listed = Call("GET", "/api/v1/therapists", cli.token).body["therapists"];
    ASSERT_FALSE(listed.empty());
    for (const json& t : listed) {
      EXPECT_FALSE(t.contains("capacity")) << t;
      EXPECT_FALSE(t.contains("external_id")) << t;
    }
    const json recommended = Call("GET", "/api/v1/clients/1/recommendations", cli.token).body["recommendations"];
    for (const json& r : recommended) {
      EXPECT_FALSE(r["therapist"].contains("capacity")) << r;
      EXPECT_FALSE(r["therapist"].contains("external_id")) << r;
    }
    // Staff see every field.
    EXPECT_EQ(Call("GET", "/api/v1/therapists/1", ther.token).body["location"], "Synthetic Town");
  }
  auto changed = Call("PATCH", "/api/v1/therapists/1", ther.token,
                      {{"client_visible", {"approaches", "languages", "location"}}, {"approaches", {"cbt", "act"}}});
  ASSERT_EQ(changed.status, 200) << changed.text;
  EXPECT_EQ(changed.body["approaches"], json({"cbt", "act"}));
  // Only the given fields change.
  EXPECT_EQ(changed.body["capacity"], 10);
  EXPECT_EQ(changed.body["modality"], "both");
  EXPECT_EQ(changed.body["languages"], json({"en"}));
  EXPECT_EQ(changed.body["display_name"], "Therapist a1");
  EXPECT_EQ(Call("GET", "/api/v1/therapists/1", cli.token).body["location"], "Synthetic Town");

  // Refusals name the field, the value and what was expected; nothing changes.
  auto modality = Call("PATCH", "/api/v1/therapists/1", ther.token, {{"modality", "phone"}});
  EXPECT_EQ(modality.status, 400);
  EXPECT_EQ(modality.body["field"], "modality");
  EXPECT_NE(modality.body["detail"].get<std::string>().find("\"phone\""), std::string::npos) << modality.text;
  auto shown = Call("PATCH", "/api/v1/therapists/1", ther.token, {{"client_visible", {"email"}}});
  EXPECT_EQ(shown.status, 400);
  EXPECT_EQ(shown.body["field"], "client_visible[0]");
  auto identity = Call("PATCH", "/api/v1/therapists/1", ther.token, {{"display_name", "Someone else"}});
  EXPECT_EQ(identity.status, 400);
  EXPECT_EQ(identity.body["field"], "display_name");
  EXPECT_EQ(identity.body["detail"],
            "display_name is not a changeable field; expected approaches, style, languages, modality, location, "
            "capacity, accepting or client_visible");
  auto capacity = Call("PATCH", "/api/v1/therapists/1", ther.token, {{"capacity", -1}});
  EXPECT_EQ(capacity.status, 400);
  EXPECT_EQ(capacity.body["field"], "capacity");
  EXPECT_EQ(Call("PATCH", "/api/v1/therapists/1", ther.token, json::object()).status, 400);
  // Another therapist's profile is not theirs to change; a client changes none.
  EXPECT_EQ(Call("PATCH", "/api/v1/therapists/2", ther.token, {{"capacity", 10}}).status, 403);
  EXPECT_EQ(Call("PATCH", "/api/v1/therapists/1", cli.token, {{"capacity", 10}}).status, 403);

  auto restored = Call("PATCH", "/api/v1/therapists/1", ther.token,
                       {{"client_visible", {"approaches", "languages"}}, {"approaches", {"cbt"}}});
  ASSERT_EQ(restored.status, 200) << restored.text;
  EXPECT_EQ(restored.body["modality"], "both");
  EXPECT_FALSE(Call("GET", "/api/v1/therapists/1", cli.token).body.contains("location"));
}

TEST_F(ApiE2e, ClientInTherapyCannotChooseAgain) {
  auto client = server_->Client();
  auto s = SignIn(client, "cli1");
  auto chose = Call("POST", "/api/v1/clients/1/choice", s.token, {{"therapist_id", 2}});
  EXPECT_EQ(chose.status, 409) << chose.text;
  EXPECT_EQ(chose.body["field"], "client_id");
}

// The probe's faults: no route moved an episode on (PATCH/PUT /episodes/{id} and .../end were
// 404), three choices filled a therapist of capacity 1, a client chose a therapist the clinic
// excluded, and a coordinator's episode could start in 2030 with a full therapist.
TEST_F(ApiE2e, AChoiceIsConfirmedOrDeclinedAndTherapyEnds) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  auto admin = SignIn(client, "admin");
  auto therapist = Call("POST", "/api/v1/therapists", coord.token,
                        {{"external_id", "one-place"}, {"display_name", "One Place"}, {"languages", {"en"}},
                         {"capacity", 1}});
  ASSERT_EQ(therapist.status, 201) << therapist.text;
  const long long t = therapist.body["id"];
  // Three clients who sign in; the third excluded from this therapist by the clinic.
  std::vector<long long> clients;
  std::vector<std::string> tokens;
  for (int k = 0; k < 3; ++k) {
    json body = {{"external_id", "chooser-" + std::to_string(k)}, {"pseudonym", "Chooser " + std::to_string(k)},
                 {"constraints", {"language:en"}}};
    if (k == 2) body["constraints"].push_back("exclude:" + std::to_string(t));
    auto created = Call("POST", "/api/v1/clients", coord.token, body);
    ASSERT_EQ(created.status, 201) << created.text;
    clients.push_back(created.body["id"]);
    const std::string handle = "chooser" + std::to_string(k);
    auto user = Call("POST", "/api/v1/users", admin.token,
                     {{"handle", handle}, {"role", "client"}, {"password", kPassword}, {"client_id", clients.back()}});
    ASSERT_EQ(user.status, 201) << user.text;
    tokens.push_back(SignIn(client, handle).token);
  }
  auto path = [](long long id, const char* what) { return "/api/v1/episodes/" + std::to_string(id) + "/" + what; };
  auto first = Call("POST", "/api/v1/clients/" + std::to_string(clients[0]) + "/choice", tokens[0], {{"therapist_id", t}});
  ASSERT_EQ(first.status, 201) << first.text;
  const long long chosen = first.body["id"];
  // The waiting choice holds the one place.
  auto second = Call("POST", "/api/v1/clients/" + std::to_string(clients[1]) + "/choice", tokens[1], {{"therapist_id", t}});
  EXPECT_EQ(second.status, 422) << second.text;
  EXPECT_EQ(second.body["field"], "therapist_id");
  // The clinic's exclusion binds the client's choice, also after the client saves their intake.
  auto excluded = Call("POST", "/api/v1/clients/" + std::to_string(clients[2]) + "/choice", tokens[2], {{"therapist_id", t}});
  EXPECT_EQ(excluded.status, 400) << excluded.text;
  EXPECT_EQ(excluded.body["field"], "therapist_id");
  auto saved = Call("PUT", "/api/v1/clients/" + std::to_string(clients[2]) + "/intake", tokens[2],
                    WholeIntake({{"constraints", {"language:en"}}}));
  ASSERT_EQ(saved.status, 200) << saved.text;
  EXPECT_EQ(saved.body["constraints"], json({"language:en", "exclude:" + std::to_string(t)}));
  // A coordinator's episode: not in the future, not past a full therapist unless overbooked, never
  // past the clinic's exclusion.
  auto later = Call("POST", "/api/v1/episodes", coord.token,
                    {{"client_id", clients[1]}, {"therapist_id", t}, {"started_on", "2030-01-07"}});
  EXPECT_EQ(later.status, 400) << later.text;
  EXPECT_EQ(later.body["field"], "started_on");
  auto full = Call("POST", "/api/v1/episodes", coord.token,
                   {{"client_id", clients[1]}, {"therapist_id", t}, {"started_on", "2026-01-05"}});
  EXPECT_EQ(full.status, 422) << full.text;
  auto barred = Call("POST", "/api/v1/episodes", coord.token,
                     {{"client_id", clients[2]}, {"therapist_id", t}, {"started_on", "2026-01-05"}, {"overbook", true}});
  EXPECT_EQ(barred.status, 400) << barred.text;
  // Confirm: not before the choice, then active; a second confirmation is a conflict.
  auto early = Call("POST", path(chosen, "confirm"), coord.token, {{"started_on", "2020-01-06"}});
  EXPECT_EQ(early.status, 400) << early.text;
  EXPECT_EQ(early.body["field"], "started_on");
  auto therapists_end = Call("POST", path(chosen, "end"), coord.token, json::object());
  EXPECT_EQ(therapists_end.status, 409) << therapists_end.text;  // a waiting choice is confirmed or declined
  EXPECT_EQ(therapists_end.body["field"], "status");
  auto confirmed = Call("POST", path(chosen, "confirm"), coord.token, nullptr);
  ASSERT_EQ(confirmed.status, 200) << confirmed.text;
  EXPECT_EQ(confirmed.body["status"], "active");
  EXPECT_EQ(Call("POST", path(chosen, "confirm"), coord.token, nullptr).status, 409);
  auto unknown = Call("POST", path(chosen, "end"), coord.token, {{"reason", "done"}});
  EXPECT_EQ(unknown.status, 400) << unknown.text;
  auto backwards = Call("POST", path(chosen, "end"), coord.token, {{"ended_on", "2020-01-06"}});
  EXPECT_EQ(backwards.status, 400) << backwards.text;
  EXPECT_EQ(backwards.body["field"], "ended_on");
  auto ended = Call("POST", path(chosen, "end"), coord.token, {{"note", "goals met"}});
  ASSERT_EQ(ended.status, 200) << ended.text;
  EXPECT_EQ(ended.body["status"], "ended");
  EXPECT_EQ(ended.body["note"], "goals met");
  EXPECT_FALSE(ended.body["ended_on"].is_null());
  // The place is free: the second client chooses; the clinic declines, with a reason.
  auto again = Call("POST", "/api/v1/clients/" + std::to_string(clients[1]) + "/choice", tokens[1], {{"therapist_id", t}});
  ASSERT_EQ(again.status, 201) << again.text;
  const long long second_choice = again.body["id"];
  auto no_reason = Call("POST", path(second_choice, "decline"), coord.token, json::object());
  EXPECT_EQ(no_reason.status, 400) << no_reason.text;
  EXPECT_EQ(no_reason.body["field"], "note");
  auto not_theirs = Call("POST", path(second_choice, "decline"), tokens[1], {{"note", "changed my mind"}});
  EXPECT_EQ(not_theirs.status, 403) << not_theirs.text;
  auto declined = Call("POST", path(second_choice, "decline"), coord.token, {{"note", "client asked to wait"}});
  ASSERT_EQ(declined.status, 200) << declined.text;
  EXPECT_EQ(declined.body["status"], "declined");
  // Back on the waitlist, in the plan.
  auto plan = Call("POST", "/api/v1/assignments/plan", coord.token, json::object());
  ASSERT_EQ(plan.status, 200) << plan.text;
  bool planned = false;
  for (const auto& r : plan.body["plan"]) planned = planned || r["client_id"] == clients[1];
  for (const auto& r : plan.body["as_usual"]) planned = planned || r["client_id"] == clients[1];
  EXPECT_TRUE(planned) << plan.text;
  auto audit = Call("GET", "/api/v1/audit", admin.token);
  for (const char* action : {"episode.confirm", "episode.end", "episode.decline"}) {
    EXPECT_NE(audit.text.find(action), std::string::npos) << action;
  }
  EXPECT_NE(audit.text.find("client asked to wait"), std::string::npos);
}

TEST_F(ApiE2e, AnAdministratorDecidesWhetherClientsMayChoose) {
  auto client = server_->Client();
  auto admin = SignIn(client, "admin");
  auto coord = SignIn(client, "coord");
  auto cli = SignIn(client, "cli1");
  auto seen = Call("GET", "/api/v1/organisation", cli.token);
  ASSERT_EQ(seen.status, 200) << seen.text;
  EXPECT_EQ(seen.body["client_choice"], true);
  EXPECT_EQ(seen.body["clients_may_choose"], true);
  // Bad bodies are refused naming the field and the value; only an administrator may change it.
  auto wrong = Call("PATCH", "/api/v1/organisation", admin.token, {{"client_choice", "yes"}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.body["field"], "client_choice");
  EXPECT_NE(wrong.body["detail"].get<std::string>().find("\"yes\""), std::string::npos) << wrong.text;
  auto unknown = Call("PATCH", "/api/v1/organisation", admin.token, {{"client_choice", false}, {"name", "x"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body["field"], "name");
  EXPECT_EQ(unknown.body["detail"], "name is not a setting; expected client_choice");
  EXPECT_EQ(Call("PATCH", "/api/v1/organisation", coord.token, {{"client_choice", false}}).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/organisation", cli.token).body["client_choice"], true);  // nothing written

  auto off = Call("PATCH", "/api/v1/organisation", admin.token, {{"client_choice", false}});
  ASSERT_EQ(off.status, 200) << off.text;
  EXPECT_EQ(off.body["client_choice"], false);
  EXPECT_EQ(off.body["clients_may_choose"], false);
  // The client is refused, naming the setting, before anything else is looked at.
  auto chose = Call("POST", "/api/v1/clients/1/choice", cli.token, {{"therapist_id", 2}});
  EXPECT_EQ(chose.status, 403) << chose.text;
  EXPECT_EQ(chose.body["field"], "client_choice");
  auto audit = Call("GET", "/api/v1/audit", admin.token);
  ASSERT_EQ(audit.status, 200);
  EXPECT_NE(audit.text.find("client_choice=off"), std::string::npos);

  ASSERT_EQ(Call("PATCH", "/api/v1/organisation", admin.token, {{"client_choice", true}}).status, 200);
  EXPECT_EQ(Call("POST", "/api/v1/clients/1/choice", cli.token, {{"therapist_id", 2}}).status, 409);  // in therapy
}

TEST_F(ApiE2e, TheClinicalLeadSetsTheMonitoringThresholds) {
  auto client = server_->Client();
  auto admin = SignIn(client, "admin");
  auto coord = SignIn(client, "coord");
  auto ther = SignIn(client, "ther1");
  auto seen = Call("GET", "/api/v1/organisation/monitoring", ther.token);
  ASSERT_EQ(seen.status, 200) << seen.text;
  EXPECT_EQ(seen.body["settings"], nlohmann::json::object());
  EXPECT_EQ(seen.body["effective"], seen.body["defaults"]);
  EXPECT_EQ(seen.body["defaults"]["rupture_cutoff"], 36.0);
  // Refusals name the field and the value, and write nothing.
  auto wrong = Call("PATCH", "/api/v1/organisation/monitoring", coord.token, {{"rupture_z", 1.5}, {"rupture_cutoff", 5}});
  EXPECT_EQ(wrong.status, 400) << wrong.text;
  EXPECT_EQ(wrong.body["field"], "rupture_cutoff");
  EXPECT_EQ(wrong.body["detail"],
            "monitoring settings: rupture_cutoff = 5 is not accepted; expected 0 (no cutoff rule) or a WAI-SR total "
            "from 12 to 60");
  auto unknown = Call("PATCH", "/api/v1/organisation/monitoring", coord.token, {{"z", 1.5}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body["field"], "z");
  EXPECT_EQ(Call("PATCH", "/api/v1/organisation/monitoring", ther.token, {{"rupture_z", 1.5}}).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/organisation/monitoring", coord.token).body["settings"], nlohmann::json::object());

  auto changed = Call("PATCH", "/api/v1/organisation/monitoring", coord.token, {{"rupture_z", 1.6}, {"rupture_cutoff", 0}});
  ASSERT_EQ(changed.status, 200) << changed.text;
  EXPECT_EQ(changed.body["settings"]["rupture_z"], 1.6);
  EXPECT_EQ(changed.body["effective"]["rupture_z"], 1.6);
  EXPECT_EQ(changed.body["effective"]["rupture_cutoff"], 0.0);
  EXPECT_EQ(changed.body["effective"]["rupture_size"], changed.body["defaults"]["rupture_size"]);
  auto audit = Call("GET", "/api/v1/audit", admin.token);
  ASSERT_EQ(audit.status, 200);
  EXPECT_NE(audit.text.find("organisation.monitor_settings"), std::string::npos);
  // null returns each to the default.
  auto reset = Call("PATCH", "/api/v1/organisation/monitoring", coord.token,
                    {{"rupture_z", nullptr}, {"rupture_cutoff", nullptr}});
  ASSERT_EQ(reset.status, 200) << reset.text;
  EXPECT_EQ(reset.body["settings"], nlohmann::json::object());
  EXPECT_EQ(reset.body["effective"], reset.body["defaults"]);
}

TEST_F(ApiE2e, OutcomeRatesForCoordinatorsAndEachTherapistTheirOwn) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  auto ther = SignIn(client, "ther1");
  auto all = Call("GET", "/api/v1/reports/outcomes", coord.token);
  ASSERT_EQ(all.status, 200) << all.text;
  EXPECT_GT(all.body["organisation"]["episodes"].get<int>(), 0);
  EXPECT_TRUE(all.body["organisation"]["reliable_improvement"].contains("ci_low"));
  EXPECT_GE(all.body["therapists"].size(), 1u);
  // A therapist sees the organisation and themselves only, and cannot ask for another.
  auto own = Call("GET", "/api/v1/reports/outcomes", ther.token);
  ASSERT_EQ(own.status, 200) << own.text;
  ASSERT_EQ(own.body["therapists"].size(), 1u);
  EXPECT_EQ(own.body["therapists"][0]["therapist_id"], 1);
  EXPECT_EQ(own.body["organisation"]["episodes"], all.body["organisation"]["episodes"]);
  EXPECT_EQ(Call("GET", "/api/v1/reports/outcomes?therapist_id=2", ther.token).status, 403);
  auto bad = Call("GET", "/api/v1/reports/outcomes?therapist_id=x", coord.token);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["field"], "therapist_id");
}

TEST_F(ApiE2e, AssignmentPlanPreviewedAdjustedAndCommitted) {
  auto client = server_->Client();
  auto s = SignIn(client, "coord");
  auto created = Call("POST", "/api/v1/clients", s.token, {{"external_id", "wait-1"}, {"pseudonym", "Waiting one"}});
  ASSERT_EQ(created.status, 201) << created.text;
  long long waiting = created.body["id"];
  auto plan = Call("POST", "/api/v1/assignments/plan", s.token, json::object());
  ASSERT_EQ(plan.status, 200) << plan.text;
  json row;
  for (const auto& r : plan.body["plan"]) {
    if (r["client_id"] == waiting) row = r;
    EXPECT_GE(r["score"].get<double>(), 0.0);
    EXPECT_LE(r["score"].get<double>(), 1.0);
  }
  ASSERT_FALSE(row.is_null()) << "the new client is not in the plan: " << plan.text;
  EXPECT_EQ(plan.body["summary"]["waitlist"].get<int>(), static_cast<int>(plan.body["plan"].size()) +
                                                           plan.body["summary"]["unassigned"].get<int>());
  // Refusals name the row and field; nothing is written.
  auto twice = Call("POST", "/api/v1/assignments/commit", s.token,
                    {{"plan", {{{"client_id", waiting}, {"therapist_id", row["therapist_id"]}},
                               {{"client_id", waiting}, {"therapist_id", row["therapist_id"]}}}}});
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(twice.body["field"], "plan[1].client_id");
  auto nobody = Call("POST", "/api/v1/assignments/commit", s.token,
                     {{"plan", {{{"client_id", waiting}, {"therapist_id", 99}}}}});
  EXPECT_EQ(nobody.status, 400);
  EXPECT_EQ(nobody.body["field"], "plan[0].therapist_id");
  auto committed = Call("POST", "/api/v1/assignments/commit", s.token,
                        {{"plan", {{{"client_id", waiting}, {"therapist_id", row["therapist_id"]}}}}});
  ASSERT_EQ(committed.status, 201) << committed.text;
  EXPECT_EQ(committed.body["created"], 1);
  auto episode = Call("GET", "/api/v1/episodes/" + std::to_string(committed.body["episode_ids"][0].get<long long>()), s.token);
  EXPECT_EQ(episode.body["client_id"], waiting);
  EXPECT_EQ(episode.body["status"], "active");
  EXPECT_EQ(episode.body["assigned_by"], "match");
  auto again = Call("POST", "/api/v1/assignments/commit", s.token,
                    {{"plan", {{{"client_id", waiting}, {"therapist_id", row["therapist_id"]}}}}});
  EXPECT_EQ(again.status, 409);
}

TEST_F(ApiE2e, AnalysesRefuseThinDataNamingWhatIsMissing) {
  auto client = server_->Client();
  auto s = SignIn(client, "res");
  auto rep = Call("POST", "/api/v1/analyses/replication", s.token);
  EXPECT_EQ(rep.status, 422) << rep.text;
  EXPECT_NE(rep.body["detail"].get<std::string>().find("FFMQ-39"), std::string::npos);
  auto bad = Call("POST", "/api/v1/analyses/mediation", s.token, {{"facet", "kindness"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["field"], "facet");
  auto resamples = Call("POST", "/api/v1/analyses/mediation", s.token, {{"resamples", 5}});
  EXPECT_EQ(resamples.status, 400);
  EXPECT_EQ(resamples.body["field"], "resamples");
}

}  // namespace
}  // namespace attune::testing

namespace attune::testing {
namespace {

// What a probe of the running API found accepted or answered wrongly (the wire-hygiene change).

TEST_F(ApiE2e, EveryJsonBodyRefusesAnUnknownField) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  for (const auto& route : api::Routes()) {
    const std::string method = route.method;
    // Sign-out reads no body; every other write reads one, and names the key it does not know.
    if (method == "GET" || std::string(route.path) == "/api/v1/auth/logout") continue;
    std::string path = std::regex_replace(route.path, std::regex(R"(\{id\})"), "1");
    auto a = Call(method, path, coord.token, json{{"colour", "blue"}}, {{"Idempotency-Key", "e2e-unknown-field"}});
    EXPECT_EQ(a.status, 400) << method << " " << path << ": " << a.text;
    EXPECT_EQ(a.body.value("field", ""), "colour") << method << " " << path << ": " << a.text;
  }
  // A row of a plan is named by its place.
  auto row = Call("POST", "/api/v1/assignments/commit", coord.token,
                  {{"plan", {{{"client_id", 1}, {"therapist_id", 1}, {"colour", "blue"}}}}});
  ExpectProblem(row, 400, "plan[0].colour",
                "plan[0].colour is not a field of a plan row; expected client_id or therapist_id");
}

// A misspelt query parameter was ignored: "?status=open" listed every alert, "?deidentfy=false"
// exported (de-identified) as if it were absent. Every route names it and what it takes.
TEST_F(ApiE2e, EveryRouteRefusesAnUnknownQueryParameter) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  ExpectProblem(Call("GET", "/api/v1/alerts?status=open", coord.token), 400, "status",
                "query parameter \"status\" is not one this route takes; expected one of state");
  ExpectProblem(Call("GET", "/api/v1/exports/scores?deidentfy=false", coord.token), 400, "deidentfy",
                "query parameter \"deidentfy\" is not one this route takes; expected one of format, instrument, "
                "deidentify");
  ExpectProblem(Call("GET", "/api/v1/episodes?status=waiting", coord.token), 400, "status",
                "query parameter \"status\" is not one this route takes; expected no query parameters");
  for (const auto& route : api::Routes()) {
    if (!route.authenticated) continue;
    std::string path = std::regex_replace(route.path, std::regex(R"(\{id\})"), "1");
    path = std::regex_replace(path, std::regex(R"(\{instrument_id\})"), "phq9");
    path = std::regex_replace(path, std::regex(R"(\{what\})"), "scores");
    auto a = Call(route.method, path + "?colour=blue", coord.token, route.method == "GET" ? json() : json::object(),
                  {{"Idempotency-Key", "e2e-unknown-query"}});
    EXPECT_EQ(a.status, 400) << route.method << " " << path << ": " << a.text;
    EXPECT_EQ(a.body.value("field", ""), "colour") << route.method << " " << path << ": " << a.text;
  }
  // The parameters a route takes still work.
  EXPECT_EQ(Call("GET", "/api/v1/alerts?state=open", coord.token).status, 200);
}

TEST_F(ApiE2e, AnIntakeWithAnUnknownFieldIsRefusedAndNothingIsWiped) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  auto before = Call("GET", "/api/v1/clients/2", coord.token);
  ASSERT_EQ(before.status, 200) << before.text;
  ASSERT_FALSE(before.body["concerns"].empty());
  auto renamed = Call("PUT", "/api/v1/clients/2/intake", coord.token, {{"pseudonym", "renamed"}});
  ExpectProblem(renamed, 400, "pseudonym",
                "pseudonym is not a field of an intake; expected concerns, goals, preferences or constraints");
  auto after = Call("GET", "/api/v1/clients/2", coord.token);
  EXPECT_EQ(after.body, before.body);
}

// The probe, over HTTP: a partial PUT wiped the rest of the intake, and the client's own save of
// ["language:en"] removed the clinic's exclusion and risk flag.
TEST_F(ApiE2e, AnIntakeIsReplacedWholeAndAClientKeepsTheClinicsConstraints) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  auto cli = SignIn(client, "cli1");
  const json clinic = {{"concerns", {"low mood"}},
                       {"goals", {"sleep better"}},
                       {"preferences", json::object()},
                       {"constraints", {"language:en", "exclude:2", "risk:high"}}};
  ASSERT_EQ(Call("PUT", "/api/v1/clients/1/intake", coord.token, clinic).status, 200);
  auto before = Call("GET", "/api/v1/clients/1", coord.token);
  auto partial = Call("PUT", "/api/v1/clients/1/intake", coord.token, {{"concerns", {"anxiety"}}});
  ExpectProblem(partial, 400, "goals",
                "goals is missing; expected the whole intake (concerns, goals, preferences and constraints: PUT "
                "replaces it, so a field left out is not taken as empty)");
  auto twice = Call("PUT", "/api/v1/clients/1/intake", coord.token,
                    WholeIntake({{"concerns", {"anxiety", "anxiety"}}}));
  ExpectProblem(twice, 400, "concerns[1]", "concerns[1] is \"anxiety\", the same as concerns[0]; expected each concern once");
  auto modality = Call("PUT", "/api/v1/clients/1/intake", coord.token,
                       WholeIntake({{"constraints", {"modality:video", "modality:in_person"}}}));
  EXPECT_EQ(modality.status, 400) << modality.text;
  EXPECT_EQ(modality.body["field"], "constraints[1]") << modality.text;
  EXPECT_EQ(Call("GET", "/api/v1/clients/1", coord.token).body, before.body);  // nothing written
  // A client's own save that leaves the clinic's constraints out keeps them; one that adds one is
  // refused, naming it.
  json own = clinic;
  own["constraints"] = {"language:en"};
  auto kept = Call("PUT", "/api/v1/clients/1/intake", cli.token, own);
  ASSERT_EQ(kept.status, 200) << kept.text;
  // The client does not read the clinic's risk flag; the coordinator does, as stored.
  EXPECT_EQ(kept.body["constraints"], json({"language:en", "exclude:2"}));
  EXPECT_EQ(Call("GET", "/api/v1/clients/1", cli.token).body["constraints"], json({"language:en", "exclude:2"}));
  EXPECT_EQ(Call("GET", "/api/v1/clients/1", coord.token).body["constraints"],
            json({"language:en", "exclude:2", "risk:high"}));
  own["constraints"] = {"language:en", "exclude:3"};
  auto added = Call("PUT", "/api/v1/clients/1/intake", cli.token, own);
  EXPECT_EQ(added.status, 403) << added.text;
  EXPECT_EQ(added.body["field"], "constraints[1]");
  // A risk flag sent back is refused, as it would be were none stored: the answer tells nothing.
  own["constraints"] = {"language:en", "risk:high"};
  auto flagged = Call("PUT", "/api/v1/clients/1/intake", cli.token, own);
  EXPECT_EQ(flagged.status, 403) << flagged.text;
  EXPECT_EQ(flagged.body["field"], "constraints[1]");
  own["constraints"] = {"exclude:2", "language:es", "language:pl"};
  auto saved = Call("PUT", "/api/v1/clients/1/intake", cli.token, own);
  ASSERT_EQ(saved.status, 200) << saved.text;
  EXPECT_EQ(saved.body["constraints"], json({"language:es", "language:pl", "exclude:2"}));
  EXPECT_EQ(Call("GET", "/api/v1/clients/1", coord.token).body["constraints"],
            json({"language:es", "language:pl", "exclude:2", "risk:high"}));
  // Back to the seeded constraints, for the tests after this one (the seed's preference is not a
  // C-NIP scale, which a PUT refuses).
  json seeded = clinic;
  seeded["constraints"] = {"language:en"};
  ASSERT_EQ(Call("PUT", "/api/v1/clients/1/intake", coord.token, seeded).status, 200);
}

// The probe, over HTTP: sessions in a later year and before the episode started were 201.
TEST_F(ApiE2e, ASessionIsHeldWithinItsEpisodeAndNotInTheFuture) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  auto ahead = Call("POST", "/api/v1/episodes/1/sessions", coord.token,
                    json{{"number", 50}, {"held_at", "2099-11-20T10:00:00Z"}});
  EXPECT_EQ(ahead.status, 400) << ahead.text;
  EXPECT_EQ(ahead.body["field"], "held_at") << ahead.text;
  auto before = Call("POST", "/api/v1/episodes/1/sessions", coord.token, json{{"number", 50}, {"held_at", "2020-01-01"}});
  ExpectProblem(before, 400, "held_at",
                "held_at is \"2020-01-01\", before episode 1 started (started_on 2026-01-05); expected a time on or "
                "after its start");
  ASSERT_EQ(Call("POST", "/api/v1/episodes/1/sessions", coord.token,
                 json{{"number", 60}, {"held_at", "2026-06-01T10:00:00Z"}})
                .status,
            201);
  auto disordered = Call("POST", "/api/v1/episodes/1/sessions", coord.token,
                         json{{"number", 59}, {"held_at", "2026-07-01T10:00:00Z"}});
  ExpectProblem(disordered, 400, "held_at",
                "held_at is \"2026-07-01T10:00:00Z\", after session 60 (held 2026-06-01T10:00:00Z); expected session "
                "59 on or before it (session numbers follow the order sessions were held)");
}

TEST_F(ApiE2e, BlankTextIsRefusedWhereEmptyTextIs) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  auto admin = SignIn(client, "admin");
  for (const char* blank : {"   ", "\t\n"}) {
    auto external = Call("POST", "/api/v1/clients", coord.token, {{"external_id", blank}, {"pseudonym", "P"}});
    EXPECT_EQ(external.status, 400) << external.text;
    EXPECT_EQ(external.body["field"], "external_id") << external.text;
    auto pseudonym = Call("POST", "/api/v1/clients", coord.token, {{"external_id", "blank-p"}, {"pseudonym", blank}});
    EXPECT_EQ(pseudonym.body["field"], "pseudonym") << pseudonym.text;
    auto name = Call("POST", "/api/v1/therapists", coord.token, {{"external_id", "blank-t"}, {"display_name", blank}});
    EXPECT_EQ(name.body["field"], "display_name") << name.text;
    auto handle = Call("POST", "/api/v1/users", admin.token,
                       {{"handle", blank}, {"role", "researcher"}, {"password", "long enough 1"}});
    EXPECT_EQ(handle.body["field"], "handle") << handle.text;
  }
  ExpectProblem(Call("POST", "/api/v1/clients", coord.token, {{"external_id", "   "}, {"pseudonym", "P"}}), 400,
                "external_id", "external_id is \"   \"; expected a string that is not blank");
  auto ther = SignIn(client, "ther1");
  auto kind = Call("POST", "/api/v1/therapists/1/training", ther.token,
                   {{"kind", " "}, {"minutes", 30}, {"completed_on", "2026-03-04"}});
  EXPECT_EQ(kind.body["field"], "kind") << kind.text;
  // List entries: blank ones are refused naming the entry.
  auto goals = Call("PUT", "/api/v1/clients/2/intake", coord.token, WholeIntake({{"goals", {"walk", ""}}}));
  ExpectProblem(goals, 400, "goals[1]", "goals[1] is \"\"; expected a goal, not blank");
  auto concerns = Call("PUT", "/api/v1/clients/2/intake", coord.token, WholeIntake({{"concerns", {"\t"}}}));
  ExpectProblem(concerns, 400, "concerns[0]", "concerns[0] is \"\\t\"; expected a concern, not blank");
  auto languages = Call("POST", "/api/v1/therapists", coord.token,
                        {{"external_id", "blank-l"}, {"display_name", "L"}, {"languages", {"en", "  "}}});
  ExpectProblem(languages, 400, "languages[1]", "languages[1] is \"  \"; expected a language code, not blank");
  auto created = Call("POST", "/api/v1/clients", coord.token,
                      {{"external_id", "blank-c"}, {"pseudonym", "P"}, {"concerns", {" "}}});
  EXPECT_EQ(created.body["field"], "concerns[0]") << created.text;
  EXPECT_EQ(Call("GET", "/api/v1/clients", coord.token).text.find("blank-"), std::string::npos);  // none written
}

TEST_F(ApiE2e, StringsInsideArraysHaveTheStringLimit) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  const std::string long_text(20000, 'x');
  auto concerns = Call("PUT", "/api/v1/clients/2/intake", coord.token, WholeIntake({{"concerns", {long_text}}}));
  ExpectProblem(concerns, 400, "concerns[0]", "concerns[0] is longer than 10000 characters");
  auto goals = Call("PUT", "/api/v1/clients/2/intake", coord.token, WholeIntake({{"goals", {"walk", long_text}}}));
  ExpectProblem(goals, 400, "goals[1]", "goals[1] is longer than 10000 characters");
  auto approaches = Call("PATCH", "/api/v1/therapists/1", coord.token, {{"approaches", {long_text}}});
  ExpectProblem(approaches, 400, "approaches[0]", "approaches[0] is longer than 10000 characters");
}

TEST_F(ApiE2e, ConstraintsTheMatcherCannotReadAreRefused) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  const std::string forms =
      "expected language:<code>, modality:in_person, modality:video, location:<place>, exclude:<therapist id> or "
      "risk:high";
  auto teleport = Call("PUT", "/api/v1/clients/2/intake", coord.token,
                       WholeIntake({{"constraints", {"modality:teleport"}}}));
  ExpectProblem(teleport, 400, "constraints[0]", "constraints[0] is \"modality:teleport\"; " + forms);
  for (const char* bad : {"nonsense", "language:", "exclude:nobody"}) {
    auto a =
        Call("POST", "/api/v1/clients", coord.token,
             {{"external_id", "k-" + std::string(bad)}, {"pseudonym", "P"}, {"constraints", {"language:en", bad}}});
    ExpectProblem(a, 400, "constraints[1]", "constraints[1] is \"" + std::string(bad) + "\"; " + forms);
  }
  auto fine = Call("PUT", "/api/v1/clients/2/intake", coord.token,
                   {{"concerns", {"low mood"}},
                    {"goals", {"sleep better"}},
                    {"preferences", json::object()},
                    {"constraints", {"language:en", "modality:video", "location:Synthetic Town", "exclude:1"}}});
  ASSERT_EQ(fine.status, 200) << fine.text;
  // The matcher reads them: therapist 1 is excluded.
  auto recs = Call("GET", "/api/v1/clients/2/recommendations", coord.token);
  ASSERT_EQ(recs.status, 200) << recs.text;
  for (const auto& r : recs.body["recommendations"]) EXPECT_NE(r["therapist"]["id"], 1) << recs.text;
}

TEST_F(ApiE2e, CreatingATherapistFollowsTheRulesOfChangingOne) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  json base = {{"external_id", "rules-1"}, {"display_name", "Rules"}};
  const std::string visible =
      "; expected each at most once of approaches, style, languages, modality, location, mindfulness";
  json bogus = base;
  bogus["client_visible"] = {"bogus"};
  ExpectProblem(Call("POST", "/api/v1/therapists", coord.token, bogus), 400, "client_visible[0]",
                "client_visible[0] is \"bogus\"" + visible);
  ExpectProblem(Call("PATCH", "/api/v1/therapists/1", coord.token, {{"client_visible", {"bogus"}}}), 400,
                "client_visible[0]", "client_visible[0] is \"bogus\"" + visible);
  json twice = base;
  twice["client_visible"] = {"approaches", "approaches"};
  ExpectProblem(Call("POST", "/api/v1/therapists", coord.token, twice), 400, "client_visible[1]",
                "client_visible[1] is \"approaches\" again" + visible);
  json blank = base;
  blank["approaches"] = {""};
  ExpectProblem(Call("POST", "/api/v1/therapists", coord.token, blank), 400, "approaches[0]",
                "approaches[0] is \"\"; expected an approach, not blank");
  ExpectProblem(Call("PATCH", "/api/v1/therapists/1", coord.token, {{"approaches", {""}}}), 400, "approaches[0]",
                "approaches[0] is \"\"; expected an approach, not blank");
  // "mindfulness" is the opt-in to show clients raw facet scores (docs/api.md, Recommendations):
  // taken by both, and not shown unless given.
  json opted = base;
  opted["client_visible"] = {"approaches", "mindfulness"};
  auto created = Call("POST", "/api/v1/therapists", coord.token, opted);
  ASSERT_EQ(created.status, 201) << created.text;
  auto id = std::to_string(created.body["id"].get<long long>());
  EXPECT_EQ(Call("GET", "/api/v1/therapists/" + id, coord.token).body["client_visible"],
            json({"approaches", "mindfulness"}));
  auto patched = Call("PATCH", "/api/v1/therapists/" + id, coord.token, {{"client_visible", {"languages"}}});
  ASSERT_EQ(patched.status, 200) << patched.text;
  EXPECT_EQ(patched.body["client_visible"], json({"languages"}));
  ASSERT_EQ(Call("PATCH", "/api/v1/therapists/" + id, coord.token, {{"client_visible", {"mindfulness"}}}).status, 200);
}

TEST_F(ApiE2e, AUserIsLinkedOnlyToTheRowItsRoleSignsInAs) {
  auto client = server_->Client();
  auto admin = SignIn(client, "admin");
  auto coordinator =
      Call("POST", "/api/v1/users", admin.token,
           {{"handle", "links-1"}, {"role", "coordinator"}, {"password", "long enough 1"}, {"client_id", 1}});
  ExpectProblem(coordinator, 400, "client_id",
                "client_id is 1; expected none for role coordinator (only a client user is linked to a client)");
  auto both = Call("POST", "/api/v1/users", admin.token,
                   {{"handle", "links-2"},
                    {"role", "client"},
                    {"password", "long enough 1"},
                    {"client_id", 2},
                    {"therapist_id", 1}});
  ExpectProblem(both, 400, "therapist_id",
                "therapist_id is 1; expected none for role client (only a therapist user is linked to a therapist)");
  auto missing = Call("POST", "/api/v1/users", admin.token,
                      {{"handle", "links-3"}, {"role", "therapist"}, {"password", "long enough 1"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["field"], "therapist_id");
  auto users = Call("GET", "/api/v1/users", admin.token);
  EXPECT_EQ(users.text.find("links-"), std::string::npos) << users.text;  // nothing written
  auto fine = Call("POST", "/api/v1/users", admin.token,
                   {{"handle", "links-4"}, {"role", "therapist"}, {"password", "long enough 1"}, {"therapist_id", 2}});
  EXPECT_EQ(fine.status, 201) << fine.text;
}

TEST_F(ApiE2e, ErrorAnswersNameTheRightCodeAndField) {
  auto client = server_->Client();
  json wrong = {{"handle", "ther2"}, {"password", "not the password"}};
  for (int i = 0; i < 5; ++i) Call("POST", "/api/v1/auth/login", "", wrong);
  auto limited = Call("POST", "/api/v1/auth/login", "", wrong);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body["code"], "rate_limited") << limited.text;
  EXPECT_EQ(limited.body["title"], "Too many requests") << limited.text;
  EXPECT_EQ(limited.body["status"], 429);

  auto cli = SignIn(client, "cli1");
  auto zero = Call("POST", "/api/v1/clients/1/choice", cli.token, {{"therapist_id", 0}});
  ExpectProblem(zero, 400, "therapist_id", "therapist_id is 0; expected a positive integer id");
  auto cli2 = SignIn(client, "cli2");
  auto nobody = Call("POST", "/api/v1/clients/2/choice", cli2.token, {{"therapist_id", 999999}});
  EXPECT_EQ(nobody.status, 404) << nobody.text;
  EXPECT_EQ(nobody.body["field"], "therapist_id") << nobody.text;

  auto coord = SignIn(client, "coord");
  auto report = Call("GET", "/api/v1/reports/outcomes?therapist_id=999999", coord.token);
  ExpectProblem(report, 404, "therapist_id", "therapist_id 999999 is not a therapist of organisation 1");
  auto text_id =
      Call("POST", "/api/v1/assignments/commit", coord.token,
           {{"plan", {{{"client_id", 1}, {"therapist_id", 1}}, {{"client_id", "403"}, {"therapist_id", 1}}}}});
  ExpectProblem(text_id, 400, "plan[1].client_id", "plan[1].client_id is \"403\"; expected an integer");

  json huge = Phq9({0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  huge["answers"][0] = 1e308;
  auto answers = Call("POST", "/api/v1/responses", cli.token, huge, {{"Idempotency-Key", "e2e-huge"}});
  EXPECT_EQ(answers.status, 400);
  EXPECT_NE(answers.body["detail"].get<std::string>().find("value 1e+308 is not one of 0, 1, 2, 3"), std::string::npos)
      << answers.text;

  for (const char* text : {"NaN", "{\"answers\": [Infinity]}", "{"}) {
    auto res = client.Post("/api/v1/responses", {{"Authorization", "Bearer " + cli.token}, {"Idempotency-Key", "k"}},
                           text, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    const std::string detail = json::parse(res->body)["detail"];
    EXPECT_EQ(detail.rfind("request body is not valid JSON (syntax error at byte ", 0), 0u) << detail;
  }
  {
    // Invalid UTF-8 is named as such, with its place; the bytes are not echoed.
    auto res = client.Post("/api/v1/clients", {{"Authorization", "Bearer " + coord.token}},
                           "{\"external_id\": \"x\xff\"}", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(json::parse(res->body)["detail"],
              "request body is not valid JSON (invalid UTF-8 at byte 19); expected a JSON object in UTF-8");
  }
  // A small body nested deeply is refused before the parser (80,000 brackets crashed the server),
  // signed in or not, and the server goes on answering.
  for (const std::size_t depth : {65u, 100000u}) {
    const std::string nested = std::string(depth, '[') + std::string(depth, ']');
    auto res = client.Post("/api/v1/auth/login", nested, "application/json");
    ASSERT_TRUE(res) << depth;
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(json::parse(res->body)["detail"],
              "request body nests arrays or objects more than 64 deep; expected a JSON object of at most that depth");
  }
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  auto array =
      client.Post("/api/v1/clients", {{"Authorization", "Bearer " + coord.token}}, "[1, 2]", "application/json");
  ASSERT_TRUE(array);
  EXPECT_EQ(json::parse(array->body)["detail"], "request body is [1,2]; expected a JSON object");
}

TEST_F(ApiE2e, EmptyQueryValuesAreRefusedNotTakenAsTheDefault) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  ExpectProblem(Call("GET", "/api/v1/alerts?state=", coord.token), 400, "state",
                "state is \"\"; expected open, acknowledged or resolved");
  ExpectProblem(Call("GET", "/api/v1/exports/scores?deidentify=", coord.token), 400, "deidentify",
                "deidentify is \"\"; expected true or false");
  ExpectProblem(Call("GET", "/api/v1/exports/scores?format=", coord.token), 400, "format",
                "format is \"\"; expected csv or json");
  EXPECT_EQ(Call("GET", "/api/v1/exports/scores?instrument=", coord.token).body["field"], "instrument");
  EXPECT_EQ(Call("GET", "/api/v1/reports/outcomes?therapist_id=", coord.token).body["field"], "therapist_id");
  EXPECT_EQ(Call("GET", "/api/v1/clients/1/recommendations?limit=", coord.token).body["field"], "limit");
  for (const char* route : {"trajectory", "expected"}) {
    const std::string base = std::string("/api/v1/clients/1/") + route + "?instrument=";
    ExpectProblem(Call("GET", base + "phq9&scale=", coord.token), 400, "scale",
                  "scale is \"\"; expected a scale of phq9 (leave scale out for its first)");
    ExpectProblem(Call("GET", base + "&scale=total", coord.token), 400, "instrument",
                  "instrument is \"\"; expected an instrument id");
  }
  auto res = SignIn(client, "res");
  ExpectProblem(Call("POST", "/api/v1/analyses/therapist-effects", res.token, {{"outcome", ""}}), 400, "outcome",
                "outcome is ''; expected improvement or alliance");
  EXPECT_EQ(Call("POST", "/api/v1/analyses/mediation", res.token, {{"facet", ""}}).body["field"], "facet");
}

TEST_F(ApiE2e, APostWithoutABodyOrContentLengthHasAnEmptyBody) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  // What `curl -X POST .../auth/logout -H "Authorization: Bearer ..."` sends: no Content-Length.
  const std::string request = "POST /api/v1/auth/logout HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                              coord.token + "\r\nConnection: close\r\n\r\n";
  const std::string answer = RawExchange(request);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 204") << answer;
  EXPECT_EQ(Call("GET", "/api/v1/auth/me", coord.token).status, 401);  // signed out
  // Malformed and too large requests carry the API's headers too.
  const std::string malformed = RawExchange("NONSENSE\r\n\r\n");
  EXPECT_NE(malformed.find(" 400 "), std::string::npos) << malformed;
  EXPECT_NE(malformed.find("Cache-Control: no-store"), std::string::npos) << malformed;
  auto big = client.Post("/api/v1/clients", {{"Authorization", "Bearer " + coord.token}}, std::string(2 << 20, 'x'),
                         "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(big->get_header_value("Cache-Control"), "no-store");
}

TEST_F(ApiE2e, ImpossibleLeapSecondsAreRefusedNotStored) {
  auto client = server_->Client();
  auto coord = SignIn(client, "coord");
  auto held = Call("POST", "/api/v1/episodes/1/sessions", coord.token,
                   json{{"number", 9}, {"held_at", "2026-09-01T10:00:60Z"}});
  ExpectProblem(held, 400, "held_at",
                "held_at is \"2026-09-01T10:00:60Z\"; expected an RFC 3339 time such as 2026-11-27T10:00:00Z, "
                "seconds 00-59 (or a date YYYY-MM-DD)");
  auto cli = SignIn(client, "cli1");
  json late = Phq9({0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  late["answered_at"] = "2026-11-27T23:59:60-23:59";  // was stored as 2026-11-28T23:58:60Z
  auto answered = Call("POST", "/api/v1/responses", cli.token, late, {{"Idempotency-Key", "e2e-leap-second"}});
  ExpectProblem(answered, 400, "answered_at",
                "answered_at is \"2026-11-27T23:59:60-23:59\"; expected an RFC 3339 time such as "
                "2026-11-27T10:50:00Z, seconds 00-59 (or a date YYYY-MM-DD)");
}

TEST_F(ApiE2e, TextThatIsNotUtf8OrHoldsNulIsRefusedAndReadsStayWhole) {
  auto client = server_->Client();
  auto cli = SignIn(client, "cli1");
  // A 0xFF byte in the key was stored (201) and then failed every identified JSON export.
  auto key = Call("POST", "/api/v1/responses", cli.token, Phq9({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                  {{"Idempotency-Key", "e2e-\xFF"}});
  ExpectProblem(key, 400, "Idempotency-Key",
                "Idempotency-Key header is not valid UTF-8 (byte 0xFF at byte 5); expected UTF-8 text");
  auto coord = SignIn(client, "coord");
  // "nul\u0000in": SQLite kept it, PostgreSQL cut it to "nul".
  auto nul = Call("POST", "/api/v1/clients", coord.token, {{"external_id", "Cnul"}, {"pseudonym", std::string("nul\0in", 6)}});
  ExpectProblem(nul, 400, "pseudonym", "pseudonym contains a NUL character (at byte 4); expected text without one");
  auto exported = Call("GET", "/api/v1/exports/responses?format=json&deidentify=false", coord.token);
  EXPECT_EQ(exported.status, 200) << exported.text;
  EXPECT_EQ(exported.text.find("e2e-\xFF"), std::string::npos);
}

TEST_F(ApiE2e, HandlesThatLookLikeAnotherAreRefused) {
  auto client = server_->Client();
  auto admin = SignIn(client, "admin");
  // The seed has "coord".
  auto upper = Call("POST", "/api/v1/users", admin.token,
                    {{"handle", "Coord"}, {"role", "coordinator"}, {"password", "long enough 1"}});
  ExpectProblem(upper, 409, "handle",
                "handle \"Coord\" is already taken by \"coord\" (handles differ in more than upper and lower case); "
                "expected a handle no other user of the organisation has");
  auto trailing = Call("POST", "/api/v1/users", admin.token,
                       {{"handle", "coord "}, {"role", "coordinator"}, {"password", "long enough 1"}});
  ExpectProblem(trailing, 400, "handle", "handle is \"coord \"; expected a handle without a space at either end");
  auto users = Call("GET", "/api/v1/users", admin.token);
  ASSERT_EQ(users.status, 200) << users.text;
  EXPECT_EQ(users.text.find("\"Coord\""), std::string::npos) << users.text;
}

TEST_F(ApiE2e, AnAnswerWithinTheToleranceOfAnOptionIsThatOption) {
  auto client = server_->Client();
  auto cli = SignIn(client, "cli1");
  // Item 9 at 1e-10 raised an urgent alert "answered 1e-10 (above 0)".
  json near = {{"instrument_id", "phq9"},
               {"subject_id", 1},
               {"episode_id", 1},
               {"answered_at", "2026-02-03T09:00:00Z"},
               {"answers", {1.0000000001, -0.0, 1e-320, 0, 0, 0, 0, 0, 1e-10, 0}}};
  auto answered = Call("POST", "/api/v1/responses", cli.token, near, {{"Idempotency-Key", "e2e-near-options"}});
  ASSERT_EQ(answered.status, 201) << answered.text;
  EXPECT_EQ(answered.body["scores"][0]["value"], 1) << answered.text;
  EXPECT_TRUE(answered.body["alerts"].empty()) << answered.text;
}

}  // namespace
}  // namespace attune::testing
