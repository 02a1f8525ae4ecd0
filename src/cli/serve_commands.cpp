// attune serve (module api, docs/api.md) and attune user add (sign-in accounts).
#include <fmt/core.h>
#include <pthread.h>
#include <sodium.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <thread>

#include "attune/api/api.hpp"
#include "attune/service/clinic.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/db_target.hpp"
#include "cli/options.hpp"

namespace attune::cli {

namespace {

struct ServeArgs {
  DbTarget target;
  std::string bind = "127.0.0.1";
  int port = 8080;
  int threads = 64;
  std::string static_dir = "web/dist";
  bool no_client_choice = false;
  int model_refresh_seconds = 60;
};

struct UserArgs {
  DbTarget target;
  std::string handle;
  std::string role;
  long long therapist_id = 0;
  long long client_id = 0;
  bool password_stdin = false;
};

// What serve is given, checked before the server starts: the database exists (serve never creates
// one: attune db init does), --static (when given) is a folder, --bind is an address.
Result<void> CheckServeArgs(const CLI::App& command, const ServeArgs& args) {
  std::error_code ec;
  if (!args.target.db.empty() && !std::filesystem::exists(args.target.db, ec)) {
    return Fail(ErrorCode::NOT_FOUND,
                fmt::format("--db: database file {} does not exist (create it with attune db init)", args.target.db),
                "db");
  }
  if (command.count("--static") > 0 && !std::filesystem::is_directory(args.static_dir, ec)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("--static is \"{}\"; expected a folder of the web app's built files", args.static_dir),
                "static");
  }
  const bool dotted = args.bind.find_first_not_of("0123456789.") == std::string::npos;
  unsigned char address[sizeof(in6_addr)];
  if (dotted && inet_pton(AF_INET, args.bind.c_str(), address) != 1) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("--bind is \"{}\"; expected an IPv4 address (four numbers 0-255), an IPv6 address or a "
                            "host name of this machine",
                            args.bind),
                "bind");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(args.bind.c_str(), nullptr, &hints, &found);
  if (found != nullptr) freeaddrinfo(found);
  if (rc != 0) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("--bind is \"{}\"; expected an IP address or a host name of this machine ({})", args.bind,
                            gai_strerror(rc)),
                "bind");
  }
  return Ok();
}

int Serve(const ServeArgs& args, const Context& ctx) {
  auto catalogue = LoadCatalogue(ctx);
  if (!catalogue) return ReportError(catalogue.error());
  auto use = instruments::ParseUse(ctx.declared_use);
  if (!use) return ReportError(use.error());
  api::ServerOptions options;
  options.target = ToTarget(args.target);
  options.bind = args.bind;
  options.port = args.port;
  options.threads = args.threads;
  options.static_dir = args.static_dir;
  options.client_choice = !args.no_client_choice;
  options.model_refresh_seconds = args.model_refresh_seconds;
  options.use = *use;
  options.log = [](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  };
  // SIGTERM / SIGINT are taken by one thread (blocked everywhere else, before any thread starts):
  // it stops the server, which finishes in-flight requests before Run returns.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = api::Server::Create(*catalogue, options);
  if (!server) return ReportError(server.error());
  api::Server* running = server->get();
  std::atomic<bool> ended{false};  // Run returned by itself (e.g. it could not bind): no signal to report
  std::thread waiter([&signals, &ended, running] {
    int received = 0;
    sigwait(&signals, &received);
    if (ended) return;
    std::fprintf(stderr, "attune serve: signal %d, finishing in-flight requests\n", received);
    running->Stop();
  });
  auto ran = (*server)->Run();
  ended = true;
  pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter if Run ended by itself
  waiter.join();
  server->reset();
  if (!ran) return ReportError(ran.error());
  return 0;
}

int AddUser(const UserArgs& args) {
  auto store = store::Store::Open(ToTarget(args.target));
  if (!store) return ReportError(store.error());
  auto org = ResolveOrg(*store, args.target);
  if (!org) return ReportError(org.error());
  std::string password;
  bool generated = false;
  if (args.password_stdin) {
    std::getline(std::cin, password);
    // The line's end is not part of the password, also when it is a Windows one (CRLF): a "\r"
    // kept at the end could never be typed at sign-in.
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else {
    if (sodium_init() < 0) return ReportError(Error{ErrorCode::INTERNAL, "libsodium failed", ""});
    unsigned char raw[12];
    randombytes_buf(raw, sizeof raw);
    char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    password = b64;
    generated = true;
  }
  auto hash = service::HashPassword(password);
  if (!hash) return ReportError(hash.error());
  User user;
  user.handle = service::HandleForm(args.handle);
  user.role = args.role == "admin"         ? Role::ADMIN
              : args.role == "coordinator" ? Role::COORDINATOR
              : args.role == "therapist"   ? Role::THERAPIST
              : args.role == "researcher"  ? Role::RESEARCHER
                                           : Role::CLIENT;
  std::optional<Id> therapist, client;
  if (args.therapist_id != 0) therapist = args.therapist_id;
  if (args.client_id != 0) client = args.client_id;
  // The API's rule (POST /users): a therapist user names its therapist, a client user its client,
  // no other role either; checked before the user is written.
  if (auto links = store::CheckUserLinks(user.role, therapist, client); !links) return ReportError(links.error());
  // The row a user signs in as must exist (as POST /users requires), before anything is written.
  if (therapist) {
    if (auto row = store->GetTherapist(*org, *therapist); !row) {
      return ReportError(Error{row.error().code,
                               fmt::format("--therapist-id {} is not a therapist of organisation {}", *therapist, *org),
                               "therapist_id"});
    }
  }
  if (client) {
    if (auto row = store->GetClient(*org, *client); !row) {
      return ReportError(
          Error{row.error().code, fmt::format("--client-id {} is not a client of organisation {}", *client, *org),
                "client_id"});
    }
  }
  store::Actor actor{"cli"};
  auto id = store->AddUser(*org, user, actor);
  if (!id) return ReportError(id.error());
  auto set = store->SetUserLogin(*org, *id, *hash, therapist, client, actor);
  if (!set) return ReportError(set.error());
  if (generated) {
    fmt::print("user {} ({}) id {} in organisation {}; password: {}\n", user.handle, args.role, *id, *org, password);
  } else {
    fmt::print("user {} ({}) id {} in organisation {}\n", user.handle, args.role, *id, *org);
  }
  return 0;
}

}  // namespace

void AddServeCommands(CLI::App& app, Context& ctx) {
  auto serve_args = std::make_shared<ServeArgs>();
  auto* serve = app.add_subcommand("serve", "Run the HTTP API server (docs/api.md)");
  AddDbOptions(serve, serve_args->target);
  serve->add_option("--bind", serve_args->bind, "Address to listen on");
  InRange(serve->add_option("--port", serve_args->port, "Port to listen on (0 = any free port)"), 0, 65535);
  InRange(serve->add_option("--threads", serve_args->threads, "Worker threads (one database connection each)"), 1,
          1024);
  serve->add_option("--static", serve_args->static_dir, "Folder of the web app's built files (if present)");
  InRange(serve->add_option("--model-refresh", serve_args->model_refresh_seconds,
                    "Seconds between refreshes of the matching models (refit once data grew; 0 = only at start)"),
          0, 86400);
  serve->add_flag("--no-client-choice", serve_args->no_client_choice,
                  "Clients may not choose their therapist (POST /clients/{id}/choice is refused)");
  serve->callback([serve, serve_args, &ctx] {
    if (serve_args->target.db.empty() && serve_args->target.pg.empty()) {
      ctx.exit_code = ReportError(Error{ErrorCode::INVALID_ARGUMENT, "serve needs --db FILE or --pg URL", "db"});
      return;
    }
    if (auto ok = CheckServeArgs(*serve, *serve_args); !ok) {
      ctx.exit_code = ReportError(ok.error());
      return;
    }
    ctx.exit_code = Serve(*serve_args, ctx);
  });

  auto user_args = std::make_shared<UserArgs>();
  auto* user = app.add_subcommand("user", "Sign-in accounts");
  user->require_subcommand(1);
  auto* add = user->add_subcommand("add", "Add a user who can sign in; prints a generated password");
  AddDbOptions(add, user_args->target);
  AddOrgOption(add, user_args->target);
  StoredText(add->add_option("--handle", user_args->handle, "Sign-in name"))->required();
  OneOf(add->add_option("--role", user_args->role, "Role")->required(),
        {"admin", "coordinator", "therapist", "researcher", "client"});
  add->add_option("--therapist-id", user_args->therapist_id, "The therapist this user is (role therapist)");
  add->add_option("--client-id", user_args->client_id, "The client this user is (role client)");
  add->add_flag("--password-stdin", user_args->password_stdin, "Read the password from stdin instead of generating one");
  add->callback([user_args, &ctx] {
    if (user_args->target.db.empty() && user_args->target.pg.empty()) {
      ctx.exit_code = ReportError(Error{ErrorCode::INVALID_ARGUMENT, "user add needs --db FILE or --pg URL", "db"});
      return;
    }
    ctx.exit_code = AddUser(*user_args);
  });
}

}  // namespace attune::cli
