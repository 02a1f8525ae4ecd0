#pragma once
//! Facade of module `api`: the HTTP server behind `attune serve` (docs/api.md,
//! docs/openapi.yaml). Only this module knows HTTP: it maps wire JSON to service calls, the
//! service's ErrorCode to a status and an application/problem+json body, and sign-in sessions to
//! a service::Actor. Authorisation itself is decided by service::Clinic.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/instruments/instruments.hpp"
#include "attune/store/store.hpp"

namespace attune::api {

//! How to serve.
struct ServerOptions {
  store::Target target;
  std::string bind = "127.0.0.1";
  int port = 8080;                     //!< 0 = any free port (see Server::port)
  std::string static_dir;              //!< the web app's built files; empty or absent = none
  int threads = 64;                    //!< worker threads (one database connection each)
  std::size_t max_body_bytes = 1 << 20;
  int io_timeout_seconds = 10;         //!< read and write timeouts per request
  int session_ttl_seconds = 8 * 3600;
  int login_failures_per_account = 5;  //!< within login_window_seconds, then 429
  int login_failures_per_address = 20;
  int login_window_seconds = 900;
  instruments::Use use = instruments::Use::CLINICAL;
  bool client_choice = true;           //!< clients may choose their therapist (POST /clients/{id}/choice)
  //! Every organisation's matching model is brought up to date (service::CurrentMatchModel: refit
  //! once the data grew past its threshold) before the server listens and then every this many
  //! seconds on a thread of its own; requests only read the stored model. 0 = only at start.
  int model_refresh_seconds = 60;
  std::function<void(const std::string&)> log;  //!< one line per event; empty = silent
};

//! One route: method and OpenAPI-style path template ("/api/v1/clients/{id}").
struct RouteInfo {
  std::string method;
  std::string path;
  bool authenticated = true;
  std::vector<std::string> query;  //!< the query parameters it takes; any other is refused (400)
};

//! Every route the server answers (the OpenAPI test checks these against docs/openapi.yaml).
std::vector<RouteInfo> Routes();

//! A running HTTP server.
class Server {
 public:
  //! Opens (and migrates) the database; IO / INVALID_ARGUMENT when it cannot.
  static Result<std::unique_ptr<Server>> Create(const instruments::Catalogue& catalogue,
                                                ServerOptions options);
  ~Server();
  //! Binds and serves until Stop(); IO when the address cannot be bound.
  Result<void> Run();
  //! Stops accepting, lets in-flight requests finish, flushes the read audit. Thread-safe.
  void Stop();
  //! The bound port (after Run has bound it).
  int port() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

//! HTTP status for an error code (the one mapper; docs/api.md lists it).
int StatusOf(ErrorCode code);

}  // namespace attune::api
