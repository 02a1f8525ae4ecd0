#pragma once
// An `attune serve` process on a loopback port over a real SQLite file, for end-to-end tests,
// and a seeded pair of organisations with users of every role.
#include <httplib.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace attune::testing {

//! Password of every seeded user.
inline constexpr const char* kPassword = "correct horse 1";

//! What Seed created: org A (id 1) is the one tests sign in to; org B (id 2) has more rows so
//! that its ids do not exist in org A ("other organisation" targets).
struct Seeded {
  // Org A: therapists 1 and 2; clients 1 (episode 1 with therapist 1) and 2 (episode 2 with
  // therapist 2); alerts 1 (episode 1) and 2 (episode 2); sessions 1 (episode 1), 2 (episode 2).
  // Users by handle: admin, coord, ther1, ther2, res, cli1, cli2.
  // Org B: therapists 1..6, clients 1..6, episodes 1..6, alerts 1..6; user coordb.
  long long other_org_id = 6;  //!< a client / episode / alert id that exists only in org B
};

//! Creates and seeds the SQLite database `db` through the library.
Seeded Seed(const std::string& db);

//! A running server; stopped with SIGTERM by Stop() or the destructor.
class ServerProcess {
 public:
  ServerProcess(const std::string& db, const std::vector<std::string>& extra_args = {});
  ~ServerProcess();
  int port() const { return port_; }
  //! Sends SIGTERM and waits; returns the exit code.
  int Stop();
  //! What the server wrote on stderr so far.
  std::string Log() const;
  httplib::Client Client() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

//! A signed-in user: bearer token and CSRF token.
struct Session {
  std::string token;
  std::string csrf;
};

//! Signs in over HTTP; aborts the test (throws) when it fails.
Session SignIn(httplib::Client& client, const std::string& handle);

//! A temporary directory under the build tree.
std::string E2eTempDir(const std::string& name);

}  // namespace attune::testing
