#include "e2e/server.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "attune/service/clinic.hpp"
#include "attune/store/store.hpp"

namespace attune::testing {

namespace {

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}

void MustOk(Result<void> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
}

Therapist MakeTherapist(int n, const std::string& prefix) {
  Therapist t;
  t.external_id = prefix + "t" + std::to_string(n);
  t.display_name = "Therapist " + prefix + std::to_string(n);
  t.approaches = {"cbt"};
  t.style = {{"directiveness", 0.1 * n}, {"challenge", -0.1 * n}};
  t.languages = {"en"};
  t.modality = "both";
  t.location = "Synthetic Town";
  t.capacity = 10;
  t.client_visible = {"approaches", "languages"};
  return t;
}

Client MakeClient(int n, const std::string& prefix) {
  Client c;
  c.external_id = prefix + "c" + std::to_string(n);
  c.pseudonym = prefix + "-client-" + std::to_string(n);
  c.concerns = {"low mood"};
  c.goals = {"sleep better"};
  c.preferences = {{"directiveness", 0.2}};
  c.constraints = {"language:en"};
  return c;
}

}  // namespace

Seeded Seed(const std::string& db) {
  auto store = Must(store::Store::Open(store::Target::Sqlite(db)), "open");
  OrgId a = Must(store.CreateOrganisation("Org A"), "org A");
  OrgId b = Must(store.CreateOrganisation("Org B"), "org B");
  std::string hash = Must(service::HashPassword(kPassword), "hash");
  auto add_user = [&](OrgId org, const std::string& handle, Role role, std::optional<Id> t, std::optional<Id> c) {
    User u;
    u.handle = handle;
    u.role = role;
    Id id = Must(store.AddUser(org, u), "user");
    MustOk(store.SetUserLogin(org, id, hash, t, c), "login");
  };
  for (int n = 1; n <= 2; ++n) {
    Must(store.AddTherapist(a, MakeTherapist(n, "a")), "therapist");
    Must(store.AddClient(a, MakeClient(n, "a")), "client");
  }
  // Client n's episode with therapist n, one session and one open alert.
  auto add_episode = [&](OrgId org, int n, const std::string& detail, const std::string& what) {
    Episode e;
    e.client_id = n;
    e.therapist_id = n;
    e.started_on = "2026-01-05";
    Id ep = Must(store.AddEpisode(org, e), ("episode" + what).c_str());
    Must(store.AddSession(org, attune::Session{org, 0, ep, 1, "2026-01-05T10:00:00Z"}), ("session" + what).c_str());
    Alert al;
    al.episode_id = ep;
    al.kind = "not_on_track";
    al.severity = "warning";
    al.detail = detail;
    al.raised_at = "2026-01-06T10:00:00Z";
    Must(store.AddAlert(org, al), ("alert" + what).c_str());
  };
  for (int n = 1; n <= 2; ++n) add_episode(a, n, "synthetic", "");
  add_user(a, "admin", Role::ADMIN, {}, {});
  add_user(a, "coord", Role::COORDINATOR, {}, {});
  add_user(a, "ther1", Role::THERAPIST, 1, {});
  add_user(a, "ther2", Role::THERAPIST, 2, {});
  add_user(a, "res", Role::RESEARCHER, {}, {});
  add_user(a, "cli1", Role::CLIENT, {}, 1);
  add_user(a, "cli2", Role::CLIENT, {}, 2);
  for (int n = 1; n <= 6; ++n) {
    Must(store.AddTherapist(b, MakeTherapist(n, "b")), "therapist b");
    Must(store.AddClient(b, MakeClient(n, "b")), "client b");
    add_episode(b, n, "synthetic org B", " b");
  }
  add_user(b, "coordb", Role::COORDINATOR, {}, {});
  return Seeded{};
}

std::string E2eTempDir(const std::string& name) {
  static int counter = 0;
  std::string dir = std::string(ATTUNE_BINARY_DIR) + "/test-tmp/e2e-" + name + "-" + std::to_string(getpid()) + "-" +
                    std::to_string(counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

ServerProcess::ServerProcess(const std::string& db, const std::vector<std::string>& extra_args) {
  log_path_ = db + ".serve.log";
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    if (!std::freopen(log_path_.c_str(), "w", stderr) || !std::freopen("/dev/null", "w", stdout)) _exit(127);
    std::vector<std::string> args = {std::string(ATTUNE_BINARY_DIR) + "/attune", "serve", "--db", db,
                                     "--port", "0", "--threads", "16"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // Wait for "listening on http://127.0.0.1:PORT", then for /healthz.
  std::regex listening(R"(listening on http://[0-9.]+:([0-9]+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string log = Log();
    if (std::regex_search(log, m, listening)) {
      port_ = std::stoi(m[1].str());
      break;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("attune serve exited early: " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (port_ == 0) throw std::runtime_error("attune serve did not start: " + Log());
  auto client = Client();
  while (std::chrono::steady_clock::now() < deadline) {
    auto res = client.Get("/healthz");
    if (res && res->status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("/healthz never answered 200");
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop();
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

httplib::Client ServerProcess::Client() const {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(30, 0);
  client.set_connection_timeout(5, 0);
  return client;
}

Session SignIn(httplib::Client& client, const std::string& handle) {
  nlohmann::json body = {{"handle", handle}, {"password", kPassword}};
  auto res = client.Post("/api/v1/auth/login", body.dump(), "application/json");
  if (!res || res->status != 200) {
    throw std::runtime_error("sign-in of " + handle + " failed: " + (res ? res->body : std::string("no answer")));
  }
  auto j = nlohmann::json::parse(res->body);
  return Session{j["token"].get<std::string>(), j["csrf_token"].get<std::string>()};
}

}  // namespace attune::testing
