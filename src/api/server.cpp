#include "attune/api/api.hpp"

#include <fmt/core.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "api/wire.hpp"
#include "attune/instruments/json.hpp"
#include "attune/monitor/json.hpp"
#include "attune/service/clinic.hpp"
#include "attune/service/json.hpp"
#include "attune/service/matching.hpp"

namespace attune::api {

using nlohmann::json;
using service::Actor;
using service::Clinic;
using Clock = std::chrono::steady_clock;

int StatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::INVALID_ARGUMENT: return 400;
    case ErrorCode::UNAUTHENTICATED: return 401;
    case ErrorCode::NOT_PERMITTED: return 403;
    case ErrorCode::NOT_FOUND: return 404;
    case ErrorCode::ALREADY_EXISTS: return 409;
    case ErrorCode::CONFLICT: return 409;
    case ErrorCode::FAILED_PRECONDITION: return 422;
    case ErrorCode::RATE_LIMITED: return 429;
    case ErrorCode::IO: return 503;
    case ErrorCode::INTERNAL: return 500;
  }
  return 500;
}

namespace {

const char* TitleOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::INVALID_ARGUMENT: return "Invalid argument";
    case ErrorCode::NOT_FOUND: return "Not found";
    case ErrorCode::ALREADY_EXISTS: return "Already exists";
    case ErrorCode::NOT_PERMITTED: return "Forbidden";
    case ErrorCode::UNAUTHENTICATED: return "Unauthenticated";
    case ErrorCode::CONFLICT: return "Conflict";
    case ErrorCode::FAILED_PRECONDITION: return "Failed precondition";
    case ErrorCode::RATE_LIMITED: return "Too many requests";
    case ErrorCode::IO: return "Service unavailable";
    case ErrorCode::INTERNAL: return "Internal error";
  }
  return "Internal error";
}

// The problem+json body (RFC 9457). IO and INTERNAL messages may carry database or library
// words: they are logged, never sent.
json Problem(const Error& error, int status) {
  json p;
  p["type"] = std::string("https://attune.invalid/problems/") + ErrorCodeName(error.code);
  p["title"] = TitleOf(error.code);
  p["status"] = status;
  p["code"] = ErrorCodeName(error.code);
  if (error.code == ErrorCode::IO || error.code == ErrorCode::INTERNAL) {
    p["detail"] = "the request could not be completed; it has been logged";
  } else {
    p["detail"] = error.message;
    if (!error.field.empty()) p["field"] = error.field;
  }
  return p;
}

// ---- metrics ----

constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
constexpr std::size_t kBucketCount = sizeof kBuckets / sizeof kBuckets[0];

struct Histogram {
  std::uint64_t buckets[kBucketCount + 1] = {};
  std::uint64_t count = 0;
  double sum = 0;
  void Observe(double seconds) {
    std::size_t i = 0;
    while (i < kBucketCount && seconds > kBuckets[i]) ++i;
    ++buckets[i];
    ++count;
    sum += seconds;
  }
};

class Metrics {
 public:
  void Record(const std::string& route, int status, double total, double handler) {
    std::lock_guard lock(mutex_);
    ++counts_[{route, status}];
    requests_[route].Observe(total);
    handlers_[route].Observe(handler);
  }
  void RecordAuditFlush(double seconds, std::size_t entries) {
    std::lock_guard lock(mutex_);
    audit_flush_.Observe(seconds);
    audit_entries_ += entries;
  }
  void RecordCommit(double seconds, std::size_t submissions) {
    std::lock_guard lock(mutex_);
    commit_.Observe(seconds);
    committed_ += submissions;
  }
  std::string Text() {
    std::lock_guard lock(mutex_);
    std::string out;
    Header(out, "attune_http_requests_total", "HTTP requests by route and status.", "counter");
    for (const auto& [key, n] : counts_) {
      out += fmt::format("attune_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first,
                         key.second, n);
    }
    Write(out, "attune_http_request_duration_seconds",
          "Time from routing to response, by route.", requests_);
    Write(out, "attune_handler_duration_seconds",
          "Time in the service call (database and logic), by route.", handlers_);
    Header(out, "attune_audit_flush_seconds", "Time to append one batch of read-audit entries.", "histogram");
    WriteOne(out, "attune_audit_flush_seconds", "", audit_flush_);
    Header(out, "attune_audit_read_entries_total", "Read-audit entries appended.", "counter");
    out += fmt::format("attune_audit_read_entries_total {}\n", audit_entries_);
    Header(out, "attune_submit_commit_seconds", "Time to commit one group of submissions (one transaction).",
           "histogram");
    WriteOne(out, "attune_submit_commit_seconds", "", commit_);
    Header(out, "attune_submit_committed_total", "Submissions written by the group commit.", "counter");
    out += fmt::format("attune_submit_committed_total {}\n", committed_);
    return out;
  }

 private:
  static void WriteOne(std::string& out, const std::string& name, const std::string& labels,
                       const Histogram& h) {
    std::uint64_t cumulative = 0;
    std::string sep = labels.empty() ? "" : ",";
    for (std::size_t i = 0; i < kBucketCount; ++i) {
      cumulative += h.buckets[i];
      out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBuckets[i], cumulative);
    }
    out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, h.count);
    std::string braces = labels.empty() ? "" : "{" + labels + "}";
    out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, h.sum, name, braces, h.count);
  }
  // A metric's HELP and TYPE lines (Prometheus text format).
  static void Header(std::string& out, const char* name, const char* help, const char* type) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  static void Write(std::string& out, const char* name, const char* help,
                    const std::map<std::string, Histogram>& by_route) {
    Header(out, name, help, "histogram");
    for (const auto& [route, h] : by_route) WriteOne(out, name, "route=\"" + route + "\"", h);
  }

  std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> counts_;
  std::map<std::string, Histogram> requests_, handlers_;
  Histogram audit_flush_, commit_;
  std::uint64_t audit_entries_ = 0, committed_ = 0;
};

// ---- login rate limiting: failures per account and per address within a window ----

class LoginLimiter {
 public:
  LoginLimiter(int per_account, int per_address, int window)
      : per_account_(per_account), per_address_(per_address), window_(window) {}
  //! Seconds to wait when either key is over its limit, else 0.
  int RetryAfter(const std::string& account, const std::string& address) {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    int wait = 0;
    wait = std::max(wait, Check(accounts_[account], per_account_, now));
    wait = std::max(wait, Check(addresses_[address], per_address_, now));
    return wait;
  }
  void Failed(const std::string& account, const std::string& address) {
    std::lock_guard lock(mutex_);
    accounts_[account].push_back(Clock::now());
    addresses_[address].push_back(Clock::now());
  }
  void Succeeded(const std::string& account) {
    std::lock_guard lock(mutex_);
    accounts_.erase(account);
  }

 private:
  int Check(std::deque<Clock::time_point>& times, int limit, Clock::time_point now) {
    auto window = std::chrono::seconds(window_);
    while (!times.empty() && now - times.front() > window) times.pop_front();
    if (static_cast<int>(times.size()) < limit) return 0;
    return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(times.front() + window - now).count()) + 1;
  }
  int per_account_, per_address_, window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> accounts_, addresses_;
};

// ---- the read audit: batched appends from a background thread with its own connection ----

class ReadAuditWriter {
 public:
  ReadAuditWriter(store::Store store, Metrics& metrics, std::function<void(const std::string&)> log,
                  std::mutex* write_mutex)
      : store_(std::move(store)), metrics_(metrics), log_(std::move(log)), write_mutex_(write_mutex),
        thread_([this] { Loop(); }) {}
  ~ReadAuditWriter() { Stop(); }
  void Add(OrgId org, const store::AuditRecord& record) {
    bool full = false;
    {
      std::lock_guard lock(mutex_);
      pending_.push_back(Pending{org, record, 0});
      full = pending_.size() >= 512;
    }
    if (full) wake_.notify_one();
  }
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait_for(lock, std::chrono::milliseconds(200));
      std::vector<Pending> batch;
      batch.swap(pending_);
      bool stop = stopping_;
      lock.unlock();
      std::vector<Pending> failed = Flush(batch);
      lock.lock();
      // A batch the database refused (a lock held by another process, a deadlock it broke, a
      // lost connection) goes again with the next one, ahead of the reads since, until kMaxFailures.
      pending_.insert(pending_.begin(), std::make_move_iterator(failed.begin()), std::make_move_iterator(failed.end()));
      if (stop && pending_.empty()) return;
    }
  }

  struct Pending {
    OrgId org = 0;
    store::AuditRecord record;
    int failures = 0;
  };
  static constexpr int kMaxFailures = 25;  // tried for about 5 s (one flush per 200 ms)

  // Appends `batch`, one transaction per organisation; answers the records to try again.
  std::vector<Pending> Flush(std::vector<Pending>& batch) {
    std::vector<Pending> again;
    if (batch.empty()) return again;
    auto start = Clock::now();
    std::map<OrgId, std::vector<Pending*>> by_org;
    for (auto& p : batch) by_org[p.org].push_back(&p);
    std::unique_lock<std::mutex> serialised;
    if (write_mutex_ != nullptr) serialised = std::unique_lock(*write_mutex_);
    for (const auto& [org, items] : by_org) {
      std::vector<store::AuditRecord> records;
      records.reserve(items.size());
      for (const Pending* p : items) records.push_back(p->record);
      auto ok = store_.AppendAuditBatch(org, records);
      if (ok) continue;
      std::size_t dropped = 0;
      for (Pending* p : items) {
        if (++p->failures < kMaxFailures) {
          again.push_back(std::move(*p));
        } else {
          ++dropped;
        }
      }
      if (log_) {
        log_(dropped == 0 ? fmt::format("read audit append failed ({} records kept to try again): {}",
                                        items.size(), ok.error().message)
                          : fmt::format("read audit append failed {} times; {} records lost: {}", kMaxFailures,
                                        dropped, ok.error().message));
      }
    }
    metrics_.RecordAuditFlush(std::chrono::duration<double>(Clock::now() - start).count(), batch.size() - again.size());
    return again;
  }

  store::Store store_;
  Metrics& metrics_;
  std::function<void(const std::string&)> log_;
  std::mutex* write_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

// Group commit of submissions: request threads hand over prepared responses and wait; one thread
// with its own connection commits everything waiting in one transaction (one fsync), so durable
// throughput grows with concurrency instead of being bounded by fsync latency.
class GroupCommitter {
 public:
  GroupCommitter(store::Store store, Metrics& metrics, std::mutex* write_mutex)
      : store_(std::move(store)), metrics_(metrics), write_mutex_(write_mutex), thread_([this] { Loop(); }) {}
  ~GroupCommitter() { Stop(); }

  Result<store::SubmitOutcome> Submit(OrgId org, store::ScoredResponse scored, const store::Actor& actor) {
    auto item = std::make_shared<Item>();
    item->org = org;
    item->scored = std::move(scored);
    item->actor = actor;
    auto answer = item->promise.get_future();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return Fail(ErrorCode::IO, "the server is shutting down");
      pending_.push_back(item);
    }
    wake_.notify_one();
    return answer.get();
  }

  //! Commits what is queued, then stops.
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  struct Item {
    OrgId org = 0;
    store::ScoredResponse scored;
    store::Actor actor;
    std::promise<Result<store::SubmitOutcome>> promise;
  };

  void Loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty() && stopping_) return;
      std::vector<std::shared_ptr<Item>> batch;
      batch.swap(pending_);
      lock.unlock();
      Commit(batch);
      lock.lock();
    }
  }

  void Commit(std::vector<std::shared_ptr<Item>>& batch) {
    auto start = Clock::now();
    std::map<OrgId, std::vector<std::shared_ptr<Item>>> by_org;
    for (auto& item : batch) by_org[item->org].push_back(item);
    std::unique_lock<std::mutex> serialised;
    if (write_mutex_ != nullptr) serialised = std::unique_lock(*write_mutex_);
    for (auto& [org, items] : by_org) {
      std::vector<std::pair<store::ScoredResponse, store::Actor>> input;
      input.reserve(items.size());
      for (auto& item : items) input.emplace_back(std::move(item->scored), item->actor);
      auto outcomes = store_.SubmitResponses(org, input);
      metrics_.RecordCommit(std::chrono::duration<double>(Clock::now() - start).count(), items.size());
      start = Clock::now();
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (!outcomes) {
          items[i]->promise.set_value(outcomes.error());
        } else {
          items[i]->promise.set_value(std::move((*outcomes)[i]));
        }
      }
    }
  }

  store::Store store_;
  Metrics& metrics_;
  std::mutex* write_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::shared_ptr<Item>> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

// Keeps every organisation's stored matching model fresh on a schedule (the "refit on a
// schedule" of docs/matching.md), on its own connection, so that no request waits for a fit.
class ModelRefresher {
 public:
  ModelRefresher(store::Store store, int period_seconds, std::function<void(const std::string&)> log)
      : store_(std::move(store)), period_(period_seconds), log_(std::move(log)) {}
  ~ModelRefresher() { Stop(); }
  // Once for every organisation, on the caller's thread (the server's start-up).
  void RefreshAll() {
    auto orgs = store_.ListOrganisations();
    if (!orgs) {
      Log("attune serve: matching models not refreshed: " + orgs.error().message);
      return;
    }
    for (const auto& org : *orgs) {
      auto current = service::CurrentMatchModel(store_, org.id, {}, store::Actor{"scheduler"});
      if (!current) {
        Log(fmt::format("attune serve: organisation {}: matching model: {}", org.id, current.error().message));
      } else if (current->refitted) {
        Log(fmt::format("attune serve: organisation {}: matching model refitted ({})", org.id, current->reason));
      }
    }
  }
  void Start() {
    if (period_ > 0) thread_ = std::thread([this] { Loop(); });
  }
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::seconds(period_), [this] { return stopping_; })) {
      lock.unlock();
      RefreshAll();
      lock.lock();
    }
  }
  void Log(const std::string& line) {
    if (log_) log_(line);
  }

  store::Store store_;
  int period_;
  std::function<void(const std::string&)> log_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// One database connection and its use cases, per worker thread.
struct Worker {
  store::Store store;
  Clinic clinic;  // refers to `store` above
  Worker(store::Store s, const instruments::Catalogue& catalogue, instruments::Use use,
         service::ReadAuditor audit, service::Committer commit, std::shared_ptr<service::ClinicCache> cache)
      : store(std::move(s)), clinic(store, catalogue, use, std::move(audit), std::move(commit), std::move(cache)) {}
};

// What a handler gets.
struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  Clinic& clinic;
  Actor actor;
  std::string token;
  std::string address;
};

// What a handler returns on success.
struct Reply {
  int status = 200;
  json body;
  std::string text;           // used when non-empty (content_type below)
  std::string content_type;
};

// Server-wide state the handlers may reach.
struct Context {
  ServerOptions options;
  Metrics metrics;
  LoginLimiter limiter;
  explicit Context(ServerOptions o)
      : options(std::move(o)),
        limiter(options.login_failures_per_account, options.login_failures_per_address,
                options.login_window_seconds) {}
};

using Handler = Result<Reply> (*)(Call&, Context&);

struct RouteDef {
  const char* method;
  const char* path;
  bool authenticated;
  Handler handler;
  const char* query = "";  // the query parameters the route reads, comma-separated (CheckQuery)
};


Id PathId(const Call& call, int index) {
  const auto& text = call.req.matches[index];
  return std::stoll(text.str());
}

// The instrument (required) and scale (optional: left out, the instrument's first) of a
// trajectory or band query. Given empty, either is refused as the value it is, not read as absent.
Result<std::pair<std::string, std::string>> InstrumentAndScale(const Call& call) {
  if (!call.req.has_param("instrument")) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "query parameter instrument is missing; expected an instrument id",
                "instrument");
  }
  std::string instrument = call.req.get_param_value("instrument");
  if (instrument.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "instrument is \"\"; expected an instrument id", "instrument");
  }
  std::string scale;
  if (call.req.has_param("scale")) {
    scale = call.req.get_param_value("scale");
    if (scale.empty()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("scale is \"\"; expected a scale of {} (leave scale out for its first)", instrument),
                  "scale");
    }
  }
  return std::pair{std::move(instrument), std::move(scale)};
}

// A query parameter as given, or nullopt when it is absent. Given empty ("?state=") is a value
// like any other, refused when it is not one the route takes: only leaving a parameter out
// asks for its default.
std::optional<std::string> QueryGiven(const Call& call, const char* name) {
  if (!call.req.has_param(name)) return std::nullopt;
  return call.req.get_param_value(name);
}

// How deeply a body's arrays and objects may nest. No body Attune reads goes past 4; the limit
// stops a small body of many brackets from exhausting the parser's stack (80,000 of them, 160 KB,
// crashed the server before this check).
constexpr std::size_t kMaxBodyDepth = 64;

// The deepest nesting of arrays and objects in `text`, counted outside strings; stops counting
// once past `limit`.
std::size_t NestingDepth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// The body as a JSON object. Its reader then refuses the keys it does not know (wire::OnlyFields).
Result<json> Body(const Call& call) {
  if (call.req.body.empty()) return Fail(ErrorCode::INVALID_ARGUMENT, "request body is empty; expected JSON", "body");
  if (NestingDepth(call.req.body, kMaxBodyDepth) > kMaxBodyDepth) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("request body nests arrays or objects more than {} deep; expected a JSON object of "
                            "at most that depth",
                            kMaxBodyDepth),
                "body");
  }
  json j;
  // Keys seen in each object being read: a repeated key is refused, not read as its last value
  // (nothing in a body is silently ignored).
  std::vector<std::set<std::string>> keys;
  std::optional<std::string> repeated;
  const json::parser_callback_t note_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == json::parse_event_t::key && !keys.empty() && parsed.is_string()) {
      if (!keys.back().insert(parsed.get_ref<const std::string&>()).second && !repeated) {
        repeated = parsed.get<std::string>();
      }
    }
    return true;
  };
  try {
    j = json::parse(call.req.body, note_keys);
  } catch (const json::parse_error& e) {
    // The parser's own message quotes the bytes it read, which may be anything; give the place.
    const bool utf8 = std::string_view(e.what()).find("UTF-8") != std::string_view::npos;
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("request body is not valid JSON ({} at byte {}); expected a JSON object in UTF-8",
                            utf8 ? "invalid UTF-8" : "syntax error", e.byte),
                "body");
  } catch (const json::out_of_range&) {
    // 1e999: a number past what a double holds (it was a 500).
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "request body holds a number too large for a double (such as 1e999); expected numbers within "
                "+-1.8e308",
                "body");
  }
  if (!j.is_object()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("request body is {}; expected a JSON object", wire::Shown(j)),
                "body");
  }
  if (repeated) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("request body repeats the key {} in one object; expected each key once",
                            wire::Shown(json(*repeated))),
                "body");
  }
  return j;
}

Reply Ok200(json body) { return Reply{200, std::move(body), {}, {}}; }
Reply Created(json body) { return Reply{201, std::move(body), {}, {}}; }

// ---- handlers ----

Result<Reply> Login(Call& call, Context& ctx) {
  ATTUNE_TRY(body, Body(call));
  static const char* const kFields[] = {"handle", "password", "org_id"};
  ATTUNE_CHECK(wire::OnlyFields(body, kFields, "sign-in field"));
  ATTUNE_TRY(handle, wire::String(body, "handle", true));
  ATTUNE_TRY(password, wire::String(body, "password", true));
  ATTUNE_TRY(org, wire::OptionalId(body, "org_id"));
  // Counted per handle as sign-in finds it: "DUP" and "dup" are one account, so one count.
  const std::string key = service::HandleKey(handle);
  if (int wait = ctx.limiter.RetryAfter(key, call.address); wait > 0) {
    call.res.set_header("Retry-After", std::to_string(wait));
    return Error{ErrorCode::RATE_LIMITED,
                 fmt::format("too many failed sign-ins for this handle or address; try again in {} seconds", wait), ""};
  }
  auto signed_in = call.clinic.SignIn(handle, password, org, call.address, ctx.options.session_ttl_seconds);
  if (!signed_in) {
    if (signed_in.error().code == ErrorCode::UNAUTHENTICATED) ctx.limiter.Failed(key, call.address);
    return signed_in.error();
  }
  ctx.limiter.Succeeded(key);
  call.res.set_header("Set-Cookie", "attune_session=" + signed_in->token +
                                        "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=" +
                                        std::to_string(ctx.options.session_ttl_seconds));
  json out = {{"token", signed_in->token},
              {"csrf_token", signed_in->csrf},
              {"expires_at", signed_in->expires_at},
              {"user", wire::ActorJson(signed_in->actor)}};
  return Ok200(out);
}

Result<Reply> Logout(Call& call, Context&) {
  ATTUNE_CHECK(call.clinic.SignOut(call.actor, call.token));
  call.res.set_header("Set-Cookie", "attune_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
  return Reply{204, {}, {}, {}};
}

// Who is signed in, with the CSRF token of this session: a tab that restored the session from the
// cookie (a new tab, a restored window) has no sign-in answer to take it from and could not sign out
// or write without it. Only a caller holding the session gets it; another site cannot read the
// answer (same-origin policy), which is what the double-submit check relies on.
Result<Reply> Me(Call& call, Context&) {
  json me = wire::ActorJson(call.actor);
  me["csrf_token"] = service::CsrfFor(call.token);
  return Ok200(std::move(me));
}

// A list answer: {"<name>": [one JSON object per row]}.
template <typename Rows, typename ToJson>
Reply ListOf(const char* name, const Rows& rows, ToJson to_json) {
  json out = json::array();
  for (const auto& row : rows) out.push_back(to_json(row));
  json body = json::object();
  body[name] = std::move(out);
  return Ok200(std::move(body));
}

Result<Reply> ListUsers(Call& call, Context&) {
  ATTUNE_TRY(users, call.clinic.ListUsers(call.actor));
  return ListOf("users", users, [&](const auto& u) { return wire::UserJson(u); });
}

Result<Reply> CreateUser(Call& call, Context&) {
  ATTUNE_TRY(body, Body(call));
  static const char* const kFields[] = {"handle", "role", "password", "therapist_id", "client_id"};
  ATTUNE_CHECK(wire::OnlyFields(body, kFields, "field of a user"));
  User user;
  ATTUNE_TRY(handle, wire::String(body, "handle", true));
  ATTUNE_TRY(role, wire::String(body, "role", true));
  ATTUNE_TRY(password, wire::String(body, "password", true));
  ATTUNE_TRY(therapist_id, wire::OptionalId(body, "therapist_id"));
  ATTUNE_TRY(client_id, wire::OptionalId(body, "client_id"));
  ATTUNE_TRY(parsed_role, wire::ParseRole(role));
  user.handle = handle;
  user.role = parsed_role;
  ATTUNE_TRY(id, call.clinic.CreateUser(call.actor, user, password, therapist_id, client_id));
  return Created({{"id", id}});
}

Result<Reply> ListInstruments(Call& call, Context&) {
  ATTUNE_TRY(all, call.clinic.ListInstruments(call.actor));
  return ListOf("instruments", all, [&](const auto* i) { return instruments::SummaryJson(*i, call.clinic.use()); });
}

// The languages Attune names (attune/core/languages.hpp): the web app's choices and names.
Result<Reply> ListLanguages(Call&, Context&) {
  return ListOf("languages", Languages(), [](const Language& l) { return wire::LanguageJson(l); });
}

Result<Reply> GetInstrument(Call& call, Context&) {
  ATTUNE_TRY(instrument, call.clinic.GetInstrument(call.actor, call.req.matches[1].str()));
  return Ok200(instruments::ToJson(*instrument, call.clinic.use()));
}

Result<Reply> ListTherapists(Call& call, Context&) {
  ATTUNE_TRY(all, call.clinic.ListTherapists(call.actor));
  const bool client_view = call.actor.role == Role::CLIENT;
  return ListOf("therapists", all, [&](const auto& t) { return wire::TherapistJson(t, client_view); });
}

Result<Reply> GetTherapist(Call& call, Context&) {
  ATTUNE_TRY(t, call.clinic.GetTherapist(call.actor, PathId(call, 1)));
  return Ok200(wire::TherapistJson(t, call.actor.role == Role::CLIENT));
}

Result<Reply> CreateTherapist(Call& call, Context&) {
  ATTUNE_TRY(body, Body(call));
  ATTUNE_TRY(t, wire::TherapistFrom(body));
  ATTUNE_TRY(id, call.clinic.CreateTherapist(call.actor, t));
  return Created({{"id", id}});
}

Result<Reply> UpdateTherapist(Call& call, Context&) {
  ATTUNE_TRY(body, Body(call));
  ATTUNE_TRY(update, wire::TherapistUpdateFrom(body));
  ATTUNE_TRY(t, call.clinic.UpdateTherapist(call.actor, PathId(call, 1), update));
  return Ok200(wire::TherapistJson(t, call.actor.role == Role::CLIENT));
}

Result<Reply> ListClients(Call& call, Context&) {
  ATTUNE_TRY(all, call.clinic.ListClients(call.actor));
  return ListOf("clients", all, [&](const auto& c) { return wire::ClientJson(c); });
}

Result<Reply> GetClient(Call& call, Context&) {
  ATTUNE_TRY(c, call.clinic.GetClient(call.actor, PathId(call, 1)));
  return Ok200(wire::ClientJson(c));
}

Result<Reply> CreateClient(Call& call, Context&) {
  ATTUNE_TRY(body, Body(call));
  ATTUNE_TRY(c, wire::ClientFrom(body, true));
  ATTUNE_TRY(id, call.clinic.CreateClient(call.actor, c));
  return Created({{"id", id}});
}

Result<Reply> PutIntake(Call& call, Context&) {
  ATTUNE_TRY(body, Body(call));
  ATTUNE_TRY(c, wire::ClientFrom(body, false));
  c.id = PathId(call, 1);
  ATTUNE_TRY(updated, call.clinic.UpdateIntake(call.actor, c));
  return Ok200(wire::ClientJson(updated));
}

Result<Reply> ListEpisodes(Call& call, Context&) {
  ATTUNE_TRY(all, call.clinic.ListEpisodes(call.actor));
  return ListOf("episodes", all, [&](const auto& e) { return service::ToJson(e); });
}

Result<Reply> GetEpisode(Call& call, Context&) {
  ATTUNE_TRY(e, call.clinic.GetEpisode(call.actor, PathId(call, 1)));
  return Ok200(service::ToJson(e));
}

// An optional true/false body field (absent or null = false).
Result<bool> OptionalFlag(const json& body, const char* field) {
  if (!body.contains(field) || body[field].is_null()) return false;
  return wire::Bool(body, field);
}

Result<Reply> CreateEpisode(Call& call, Context&) {
  ATTUNE_TRY(body, Body(call));
  ATTUNE_TRY(e, wire::EpisodeFrom(body));
  ATTUNE_TRY(overbook, OptionalFlag(body, "overbook"));
  ATTUNE_TRY(id, call.clinic.CreateEpisode(call.actor, e, overbook));
  return Created({{"id", id}});
}

Result<Reply> ListSessions(Call& call, Context&) {
  ATTUNE_TRY(all, call.clinic.ListSessions(call.actor, PathId(call, 1)));
  return ListOf("sessions", all, [&](const auto& s) { return wire::SessionJson(s); });
}

Result<Reply> CreateSession(Call& call, Context&) {
  ATTUNE_TRY(body, Body(call));
  static const char* const kFields[] = {"number", "held_at"};
  ATTUNE_CHECK(wire::OnlyFields(body, kFields, "field of a session"));
  Session s;
  s.episode_id = PathId(call, 1);
  ATTUNE_TRY(number, wire::Int(body, "number", true));
  ATTUNE_TRY(held_at, wire::String(body, "held_at", true));
  if (number < 1 || number > kMaxSessionNumber) {  // before narrowing to int
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("number is {}; expected a whole number from 1 to {}", number, kMaxSessionNumber), "number");
  }
  s.number = static_cast<int>(number);
  s.held_at = held_at;
  ATTUNE_TRY(id, call.clinic.CreateSession(call.actor, s));
  return Created({{"id", id}});
}

Result<Reply> SubmitResponse(Call& call, Context&) {
  std::string key = call.req.get_header_value("Idempotency-Key");
  if (key.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "Idempotency-Key header is missing; expected a key unique in the organisation (at most 200 "
                "characters)",
                "Idempotency-Key");
  }
  ATTUNE_CHECK(wire::CheckHeader(key, "Idempotency-Key", 200));
  ATTUNE_TRY(body, Body(call));
  ATTUNE_TRY(instrument_id, wire::SubmissionInstrument(body));
  ATTUNE_TRY(instrument, call.clinic.GetInstrument(call.actor, instrument_id));
  ATTUNE_TRY(submission, wire::SubmissionFrom(body, *instrument));
  submission.idempotency_key = key;
  ATTUNE_TRY(answer, call.clinic.SubmitResponse(call.actor, submission));
  json scores = json::array();
  for (const auto& s : answer.outcome.scores) scores.push_back(wire::ScoreJson(s));
  json alerts = json::array();
  for (const auto& a : answer.alerts) alerts.push_back(wire::AlertJson(a));
  json changes = json::array();
  for (const auto& c : answer.changes) changes.push_back(monitor::ToJson(c));
  json out = {{"response_id", answer.outcome.response_id},
              {"replayed", answer.outcome.replayed},
              {"scores", scores},
              {"changes", changes},
              {"alerts", alerts}};
  return Reply{answer.outcome.replayed ? 200 : 201, out, {}, {}};
}

Result<Reply> ListResponses(Call& call, Context&) {
  ATTUNE_TRY(rows, call.clinic.ListResponses(call.actor, PathId(call, 1)));
  json out = json::array();
  for (const auto& r : rows) {
    ATTUNE_TRY(scores, call.clinic.ScoresOf(call.actor, r));
    out.push_back(wire::ResponseJson(r, scores));
  }
  return Ok200({{"responses", out}});
}

Result<Reply> Trajectory(Call& call, Context&) {
  ATTUNE_TRY(query, InstrumentAndScale(call));
  const auto& [instrument, scale] = query;
  ATTUNE_TRY(points, call.clinic.Trajectory(call.actor, PathId(call, 1), instrument, scale));
  json out = json::array();
  for (const auto& p : points) {
    json j = {{"response_id", p.response_id}, {"answered_at", p.answered_at},
              {"value", p.value ? json(*p.value) : json(nullptr)}, {"band", p.band}};
    j["session_id"] = p.session_id ? json(*p.session_id) : json(nullptr);
    j["episode_id"] = p.episode_id ? json(*p.episode_id) : json(nullptr);
    j["session_number"] = p.session_number ? json(*p.session_number) : json(nullptr);
    out.push_back(j);
  }
  return Ok200({{"client_id", PathId(call, 1)}, {"instrument", instrument}, {"points", out}});
}

// A therapist as JSON text, serialised once per thread and reused while the therapist (as this
// caller may see them: clients get ClientView) is unchanged; the same bytes as
// wire::Text(wire::TherapistJson(t, client_view)).
const std::string& TherapistText(const Therapist& t, bool client_view) {
  struct View {
    Therapist therapist;
    bool client_view;
    std::string text;
  };
  thread_local std::unordered_map<Id, std::vector<View>> cache;
  if (cache.size() > 100000) cache.clear();
  auto& views = cache[t.id];  // a coordinator's and a client's view of the same therapist
  for (const auto& v : views) {
    if (v.client_view == client_view && v.therapist == t) return v.text;
  }
  if (views.size() >= 2) views.erase(views.begin());
  views.push_back(View{t, client_view, wire::Text(wire::TherapistJson(t, client_view))});
  return views.back().text;
}

Result<Reply> Recommendations(Call& call, Context&) {
  std::size_t limit = 10;
  if (auto l = QueryGiven(call, "limit")) {
    ATTUNE_TRY(n, wire::ParseCount(*l, "limit", 1, 1000));
    limit = n;
  }
  const Id client_id = PathId(call, 1);
  std::string unmatched;
  ATTUNE_TRY(recs, call.clinic.Recommend(call.actor, client_id, limit, &unmatched));
  // The busiest read, written as text rather than built as a json value and dumped: the
  // therapist objects, most of the answer, come from TherapistText. Keys in json's (sorted)
  // order, numbers as json writes them: the bytes json::dump would give.
  std::string text = fmt::format("{{\"client_id\":{},\"recommendations\":[", client_id);
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const auto& r = recs[i];
    if (i > 0) text += ',';
    text += "{\"reasons\":";
    text += wire::Text(json(r.reasons));
    text += ",\"score\":";
    text += json(r.score).dump();
    text += ",\"therapist\":";
    text += TherapistText(r.therapist, call.actor.role == Role::CLIENT);
    text += ",\"uncertainty\":";
    text += json(r.uncertainty).dump();
    text += '}';
  }
  // Why the list is empty, when no therapist passes the client's filters (null otherwise).
  text += "],\"unmatched\":";
  text += unmatched.empty() ? "null" : wire::Text(json(unmatched));
  text += '}';
  return Reply{200, {}, std::move(text), "application/json"};
}

Result<Reply> ListAlerts(Call& call, Context&) {
  const auto state = QueryGiven(call, "state");
  if (state && *state != "open" && *state != "acknowledged" && *state != "resolved") {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("state is \"{}\"; expected open, acknowledged or resolved", *state), "state");
  }
  ATTUNE_TRY(all, call.clinic.ListAlerts(call.actor));
  json out = json::array();
  for (const auto& a : all) {
    if (state && *state != a.Status()) continue;
    out.push_back(wire::AlertJson(a));
  }
  return Ok200({{"alerts", out}});
}

// The note is optional: {"note": "..."} (acknowledge or resolve with a note, kept with the alert).
Result<std::string> AlertNote(const Call& call) {
  if (call.req.body.empty()) return std::string();
  ATTUNE_TRY(body, Body(call));
  static const char* const kFields[] = {"note"};
  ATTUNE_CHECK(wire::OnlyFields(body, kFields, "field of an alert note"));
  return wire::String(body, "note", false);
}

Result<Reply> AcknowledgeAlert(Call& call, Context&) {
  ATTUNE_TRY(note, AlertNote(call));
  ATTUNE_TRY(a, call.clinic.AcknowledgeAlert(call.actor, PathId(call, 1), note));
  return Ok200(wire::AlertJson(a));
}

Result<Reply> ResolveAlert(Call& call, Context&) {
  ATTUNE_TRY(note, AlertNote(call));
  ATTUNE_TRY(a, call.clinic.ResolveAlert(call.actor, PathId(call, 1), note));
  return Ok200(wire::AlertJson(a));
}

Result<Reply> AuditLog(Call& call, Context&) {
  ATTUNE_TRY(entries, call.clinic.AuditLog(call.actor));
  std::size_t limit = 1000;
  if (auto l = QueryGiven(call, "limit")) {
    ATTUNE_TRY(n, wire::ParseCount(*l, "limit", 1, 100000));
    limit = n;
  }
  json out = json::array();
  std::size_t first = entries.size() > limit ? entries.size() - limit : 0;
  for (std::size_t i = first; i < entries.size(); ++i) out.push_back(wire::AuditJson(entries[i]));
  return Ok200({{"entries", out}, {"total", entries.size()}});
}

Result<Reply> VerifyAudit(Call& call, Context&) {
  ATTUNE_TRY(v, call.clinic.VerifyAudit(call.actor));
  return Ok200({{"ok", v.ok}, {"entries", v.entries}, {"first_bad_seq", v.first_bad_seq}, {"problem", v.problem}});
}

Result<Reply> Export(Call& call, Context&) {
  service::ExportOptions options;
  const auto format = QueryGiven(call, "format");
  if (!format || *format == "csv") {
    options.format = service::Format::CSV;
  } else if (*format == "json") {
    options.format = service::Format::JSON;
  } else {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("format is \"{}\"; expected csv or json", *format), "format");
  }
  if (auto instrument = QueryGiven(call, "instrument")) {
    if (instrument->empty()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  "instrument is \"\"; expected an instrument id (leave it out for every instrument)", "instrument");
    }
    options.instrument_id = *instrument;
  }
  // De-identified unless asked otherwise in so many words: a misspelt value must not reveal ids.
  const auto deidentify = QueryGiven(call, "deidentify");
  if (deidentify && *deidentify != "true" && *deidentify != "false") {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("deidentify is \"{}\"; expected true or false", *deidentify),
                "deidentify");
  }
  options.deidentify = !(deidentify && *deidentify == "false");
  std::ostringstream out;
  ATTUNE_TRY(rows, call.clinic.Export(call.actor, call.req.matches[1].str(), out, options));
  call.res.set_header("X-Row-Count", std::to_string(rows));
  return Reply{200, {}, out.str(), options.format == service::Format::CSV ? "text/csv" : "application/json"};
}

#include "api/routes_care.inc"

const RouteDef kRoutes[] = {
    {"POST", "/api/v1/auth/login", false, Login, ""},
    {"POST", "/api/v1/auth/logout", true, Logout, ""},
    {"GET", "/api/v1/auth/me", true, Me, ""},
    {"GET", "/api/v1/users", true, ListUsers, ""},
    {"POST", "/api/v1/users", true, CreateUser, ""},
    {"GET", "/api/v1/instruments", true, ListInstruments, ""},
    {"GET", "/api/v1/instruments/{instrument_id}", true, GetInstrument, ""},
    {"GET", "/api/v1/languages", true, ListLanguages, ""},
    {"GET", "/api/v1/therapists", true, ListTherapists, ""},
    {"POST", "/api/v1/therapists", true, CreateTherapist, ""},
    {"GET", "/api/v1/therapists/{id}", true, GetTherapist, ""},
    {"PATCH", "/api/v1/therapists/{id}", true, UpdateTherapist, ""},
    {"GET", "/api/v1/clients", true, ListClients, ""},
    {"POST", "/api/v1/clients", true, CreateClient, ""},
    {"GET", "/api/v1/clients/{id}", true, GetClient, ""},
    {"PUT", "/api/v1/clients/{id}/intake", true, PutIntake, ""},
    {"GET", "/api/v1/clients/{id}/responses", true, ListResponses, ""},
    {"GET", "/api/v1/clients/{id}/trajectory", true, Trajectory, "instrument,scale"},
    {"GET", "/api/v1/clients/{id}/recommendations", true, Recommendations, "limit"},
    {"GET", "/api/v1/episodes", true, ListEpisodes, ""},
    {"POST", "/api/v1/episodes", true, CreateEpisode, ""},
    {"GET", "/api/v1/episodes/{id}", true, GetEpisode, ""},
    {"POST", "/api/v1/episodes/{id}/confirm", true, ConfirmEpisode, ""},
    {"POST", "/api/v1/episodes/{id}/decline", true, DeclineEpisode, ""},
    {"POST", "/api/v1/episodes/{id}/end", true, EndEpisode, ""},
    {"GET", "/api/v1/episodes/{id}/sessions", true, ListSessions, ""},
    {"POST", "/api/v1/episodes/{id}/sessions", true, CreateSession, ""},
    {"POST", "/api/v1/responses", true, SubmitResponse, ""},
    {"GET", "/api/v1/alerts", true, ListAlerts, "state"},
    {"POST", "/api/v1/alerts/{id}/acknowledge", true, AcknowledgeAlert, ""},
    {"POST", "/api/v1/alerts/{id}/resolve", true, ResolveAlert, ""},
    {"GET", "/api/v1/audit", true, AuditLog, "limit"},
    {"GET", "/api/v1/audit/verify", true, VerifyAudit, ""},
    {"GET", "/api/v1/exports/{what}", true, Export, "format,instrument,deidentify"},
    {"GET", "/api/v1/clients/{id}/due", true, Due, ""},
    {"GET", "/api/v1/clients/{id}/expected", true, Expected, "instrument,scale"},
    {"POST", "/api/v1/clients/{id}/choice", true, ChooseTherapist, ""},
    {"GET", "/api/v1/reports/outcomes", true, OutcomeReport, "therapist_id"},
    {"GET", "/api/v1/organisation", true, GetOrganisation, ""},
    {"PATCH", "/api/v1/organisation", true, UpdateOrganisation, ""},
    {"GET", "/api/v1/organisation/monitoring", true, GetMonitoringSettings, ""},
    {"PATCH", "/api/v1/organisation/monitoring", true, UpdateMonitoringSettings, ""},
    {"GET", "/api/v1/therapists/{id}/training", true, TrainingLog, ""},
    {"POST", "/api/v1/therapists/{id}/training", true, AddTraining, ""},
    {"GET", "/api/v1/therapists/{id}/mindfulness", true, Mindfulness, ""},
    {"POST", "/api/v1/assignments/plan", true, PlanAssignments, ""},
    {"POST", "/api/v1/assignments/commit", true, CommitAssignments, ""},
    {"POST", "/api/v1/analyses/replication", true, Replication, ""},
    {"POST", "/api/v1/analyses/therapist-effects", true, TherapistEffectsRoute, ""},
    {"POST", "/api/v1/analyses/mediation", true, MediationRoute, ""},
};

// A RouteDef's query list ("format,instrument,deidentify") as names.
std::vector<std::string> QueryNames(std::string_view list) {
  std::vector<std::string> names;
  for (std::size_t at = 0; at < list.size();) {
    const std::size_t end = std::min(list.find(',', at), list.size());
    names.emplace_back(list.substr(at, end - at));
    at = end + 1;
  }
  return names;
}

// The query parameters of the route's list and no other: a misspelt one ("?status=open" for
// state) is refused rather than ignored, as a body's unknown key is (docs/api.md). Checked here
// for every route from its RouteDef, the list beside the handler that reads them.
Result<void> CheckQuery(const httplib::Request& req, const char* accepted) {
  if (req.params.empty()) return Ok();
  const std::vector<std::string> names = QueryNames(accepted);
  for (const auto& param : req.params) {
    const std::string& name = param.first;
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    const std::string shown = name.size() > 64 ? name.substr(0, 64) + "..." : name;
    std::string expected = "no query parameters";
    if (!names.empty()) {
      expected = "one of " + names.front();
      for (std::size_t k = 1; k < names.size(); ++k) expected += ", " + names[k];
    }
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("query parameter \"{}\" is not one this route takes; expected {}", shown, expected),
                shown);
  }
  return Ok();
}

// "/api/v1/clients/{id}" -> "/api/v1/clients/(\d+)"; "{instrument_id}"/"{what}" -> a name.
std::string PathRegex(const std::string& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      std::size_t end = path.find('}', i);
      std::string name = path.substr(i + 1, end - i - 1);
      out += name == "id" ? "(\\d{1,18})" : "([a-z0-9_]{1,64})";
      i = end;
    } else {
      out += path[i];
    }
  }
  return out;
}

std::string Cookie(const httplib::Request& req, const std::string& name) {
  std::string header = req.get_header_value("Cookie");
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    std::size_t start = part.find_first_not_of(' ');
    if (start != std::string::npos) part = part.substr(start);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

void SecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                 "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  res.set_header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

}  // namespace

std::vector<RouteInfo> Routes() {
  std::vector<RouteInfo> out;
  out.push_back({"GET", "/healthz", false, {}});
  out.push_back({"GET", "/metrics", false, {}});
  for (const auto& r : kRoutes) out.push_back({r.method, r.path, r.authenticated, QueryNames(r.query)});
  return out;
}

struct Server::Impl {
  const instruments::Catalogue& catalogue;
  Context ctx;
  httplib::Server http;
  std::unique_ptr<ReadAuditWriter> audit;
  std::unique_ptr<GroupCommitter> committer;
  std::unique_ptr<ModelRefresher> models;
  // Sessions, therapists prepared for ranking and known clients, shared by every worker.
  std::shared_ptr<service::ClinicCache> cache = service::MakeClinicCache();
  std::mutex workers_mutex;
  std::unordered_map<std::thread::id, std::unique_ptr<Worker>> workers;
  // SQLite has one writer at a time; queueing writers here instead of in SQLite's busy handler
  // (which sleeps in steps of up to 100 ms) keeps write latency flat. Null for PostgreSQL.
  std::mutex sqlite_writes;
  bool serialise_writes = false;
  std::atomic<int> bound_port{0};
  std::atomic<bool> stopping{false};

  Impl(const instruments::Catalogue& c, ServerOptions o) : catalogue(c), ctx(std::move(o)) {}

  void Log(const std::string& line) {
    if (ctx.options.log) ctx.options.log(line);
  }

  Result<Worker*> ThisWorker() {
    auto id = std::this_thread::get_id();
    {
      std::lock_guard lock(workers_mutex);
      auto it = workers.find(id);
      if (it != workers.end()) return it->second.get();
    }
    store::OpenOptions open;
    open.migrate = false;
    ATTUNE_TRY(store, store::Store::Open(ctx.options.target, open));
    auto worker = std::make_unique<Worker>(
        std::move(store), catalogue, ctx.options.use,
        [this](OrgId org, const store::AuditRecord& r) { audit->Add(org, r); },
        [this](OrgId org, store::ScoredResponse scored, const store::Actor& actor) {
          return committer->Submit(org, std::move(scored), actor);
        },
        cache);
    worker->clinic.AllowClientChoice(ctx.options.client_choice);
    std::lock_guard lock(workers_mutex);
    return workers.emplace(id, std::move(worker)).first->second.get();
  }

  void SendError(httplib::Response& res, const Error& error) {
    int status = StatusOf(error.code);
    if (error.code == ErrorCode::IO || error.code == ErrorCode::INTERNAL) {
      Log(fmt::format("error {}: {}", ErrorCodeName(error.code), error.message));
    }
    res.status = status;
    res.set_content(wire::Text(Problem(error, status)), "application/problem+json");
  }

  void Install(const RouteDef& def) {
    std::string pattern = PathRegex(def.path);
    std::string route = def.path;
    auto handler = [this, def, route](const httplib::Request& req, httplib::Response& res) {
      auto start = Clock::now();
      double handler_seconds = 0;
      SecurityHeaders(res);
      res.set_header("Cache-Control", "no-store");
      auto fail = [&](const Error& e) { SendError(res, e); };
      try {
        auto worker = ThisWorker();
        if (!worker) {
          fail(worker.error());
        } else {
          Call call{req, res, (*worker)->clinic, {}, {}, req.remote_addr};
          bool ok = true;
          if (def.authenticated) {
            std::string auth = req.get_header_value("Authorization");
            bool from_cookie = false;
            if (auth.rfind("Bearer ", 0) == 0) {
              call.token = auth.substr(7);
            } else {
              call.token = Cookie(req, "attune_session");
              from_cookie = true;
            }
            auto actor = call.clinic.Authenticate(call.token, call.address);
            if (!actor) {
              fail(actor.error());
              ok = false;
            } else if (from_cookie && req.method != "GET" &&
                       req.get_header_value("X-CSRF-Token") != service::CsrfFor(call.token)) {
              fail(Error{ErrorCode::NOT_PERMITTED,
                         "X-CSRF-Token header is missing or wrong; expected the csrf_token given at sign-in",
                         "X-CSRF-Token"});
              ok = false;
            } else {
              call.actor = *actor;
            }
          }
          if (ok) {
            if (auto known = CheckQuery(req, def.query); !known) {
              fail(known.error());
              ok = false;
            }
          }
          if (ok) {
            auto h0 = Clock::now();
            std::unique_lock<std::mutex> serialised;
            if (serialise_writes && std::string_view(def.method) != "GET" && def.handler != Login &&
                def.handler != SubmitResponse && !ReadOnlyPost(def.handler)) {
              serialised = std::unique_lock(sqlite_writes);
            }
            auto reply = def.handler(call, ctx);
            if (serialised) serialised.unlock();
            handler_seconds = std::chrono::duration<double>(Clock::now() - h0).count();
            if (!reply) {
              fail(reply.error());
            } else {
              res.status = reply->status;
              if (!reply->text.empty() || !reply->content_type.empty()) {
                res.set_content(reply->text, reply->content_type.c_str());
              } else if (reply->status != 204) {
                res.set_content(wire::Text(reply->body), "application/json");
              }
            }
          }
        }
      } catch (const std::exception& e) {
        fail(Error{ErrorCode::INTERNAL, std::string("exception: ") + e.what(), ""});
      }
      ctx.metrics.Record(std::string(def.method) + " " + route, res.status,
                         std::chrono::duration<double>(Clock::now() - start).count(), handler_seconds);
    };
    std::string method = def.method;
    if (method == "GET") http.Get(pattern, handler);
    else if (method == "POST") http.Post(pattern, handler);
    else if (method == "PUT") http.Put(pattern, handler);
    else if (method == "PATCH") http.Patch(pattern, handler);
    else if (method == "DELETE") http.Delete(pattern, handler);
  }

  void Setup() {
    http.new_task_queue = [n = ctx.options.threads] { return new httplib::ThreadPool(static_cast<std::size_t>(n)); };
    http.set_payload_max_length(ctx.options.max_body_bytes);
    http.set_read_timeout(ctx.options.io_timeout_seconds, 0);
    http.set_write_timeout(ctx.options.io_timeout_seconds, 0);
    http.set_keep_alive_timeout(5);
    http.set_keep_alive_max_count(100000);
    // Without TCP_NODELAY a small answer written after its headers waits for the peer's delayed
    // ACK (40 ms on Linux): measured as a 44 ms p50 for submissions whose commit took 1 ms.
    http.set_tcp_nodelay(true);
    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      SecurityHeaders(res);
      auto worker = ThisWorker();
      bool ok = worker && !stopping.load();
      res.status = ok ? 200 : 503;
      res.set_content(json{{"status", ok ? "ok" : "unavailable"}}.dump(), "application/json");
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      SecurityHeaders(res);
      res.set_content(ctx.metrics.Text(), "text/plain; version=0.0.4");
    });
    for (const auto& def : kRoutes) Install(def);
    // A request with neither Content-Length nor chunked Transfer-Encoding has no body (RFC 9112
    // section 6.3), but cpp-httplib 0.11 reads a POST, PUT or PATCH like that until the peer
    // closes, and answers 400 when its read times out (`curl -X POST` with no data sends one).
    // Saying so in the request, before it reads, makes it read the empty body. The request is
    // httplib's own modifiable object; only this hook's signature shows it as const.
    // httplib's default sets SO_REUSEPORT, which lets a second server bind a port one already
    // listens on (the kernel then splits the requests between the two). SO_REUSEADDR alone still
    // allows a restart over connections in TIME_WAIT, and a second server is refused.
    http.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // A body sent in chunks is refused before it is read (411): cpp-httplib 0.11 reads a chunked
    // body whole without the payload limit (a probe stored a 30 MB client), and Content-Length
    // lets the limit refuse a large body before reading it. Browsers' fetch sends Content-Length.
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (req.has_header("Transfer-Encoding")) {
        SecurityHeaders(res);
        res.status = 411;
        res.set_header("Cache-Control", "no-store");
        res.set_header("Connection", "close");  // the unread body is not taken for the next request
        Error e{ErrorCode::INVALID_ARGUMENT,
                fmt::format("request body is sent with Transfer-Encoding \"{}\"; expected a Content-Length header "
                            "(bodies are at most {} bytes)",
                            req.get_header_value("Transfer-Encoding").substr(0, 40), ctx.options.max_body_bytes),
                "Transfer-Encoding"};
        res.set_content(wire::Text(Problem(e, 411)), "application/problem+json");
        return httplib::Server::HandlerResponse::Handled;
      }
      if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH") && !req.has_header("Content-Length")) {
        const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // cpp-httplib calls this for every status >= 400, also after a route answered: only fill in
    // answers that have no body yet (no route, body too large, malformed request).
    http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                       httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      SecurityHeaders(res);
      if (res.status == 404 && req.path.rfind("/api/", 0) != 0 && !ctx.options.static_dir.empty()) {
        // Single-page app: unknown non-API paths get index.html.
        std::ifstream index(ctx.options.static_dir + "/index.html");
        if (index) {
          std::stringstream text;
          text << index.rdbuf();
          res.status = 200;
          res.set_content(text.str(), "text/html");
          return httplib::Server::HandlerResponse::Handled;
        }
      }
      res.set_header("Cache-Control", "no-store");
      Error e{ErrorCode::NOT_FOUND, fmt::format("no route {} {}", req.method, req.path), "path"};
      if (res.status == 413) e = Error{ErrorCode::INVALID_ARGUMENT,
                                       fmt::format("request body is larger than {} bytes", ctx.options.max_body_bytes),
                                       "body"};
      if (res.status == 400) e = Error{ErrorCode::INVALID_ARGUMENT, "malformed HTTP request", ""};
      // cpp-httplib refuses a request line whose path and query pass 8,192 bytes (it was answered
      // 404 "no route  ", the request unread).
      if (res.status == 414) {
        e = Error{ErrorCode::INVALID_ARGUMENT,
                  "request path and query are longer than 8192 bytes; expected a shorter request line", "path"};
      }
      int status = res.status == 413 ? 413 : res.status == 400 ? 400 : 404;
      if (res.status == 405 || res.status == 414) status = res.status;
      res.status = status;
      res.set_content(wire::Text(Problem(e, status)), "application/problem+json");
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      SendError(res, Error{ErrorCode::INTERNAL, "unhandled exception", ""});
    });
    if (!ctx.options.static_dir.empty() && std::filesystem::is_directory(ctx.options.static_dir)) {
      http.set_mount_point("/", ctx.options.static_dir);
      http.set_file_request_handler([](const httplib::Request&, httplib::Response& res) { SecurityHeaders(res); });
    } else {
      ctx.options.static_dir.clear();
    }
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() {
  Stop();
  if (impl_->models) impl_->models->Stop();
  if (impl_->committer) impl_->committer->Stop();
  if (impl_->audit) impl_->audit->Stop();
}

Result<std::unique_ptr<Server>> Server::Create(const instruments::Catalogue& catalogue, ServerOptions options) {
  if (options.port < 0 || options.port > 65535) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("port {} is out of range; expected 0..65535", options.port),
                "port");
  }
  if (options.threads < 1) options.threads = 1;
  // Open once with migrations, so workers can open without.
  ATTUNE_TRY(first, store::Store::Open(options.target));
  auto impl = std::make_unique<Impl>(catalogue, std::move(options));
  impl->serialise_writes = impl->ctx.options.target.backend == store::Backend::SQLITE;
  impl->audit = std::make_unique<ReadAuditWriter>(std::move(first), impl->ctx.metrics, impl->ctx.options.log,
                                                  impl->serialise_writes ? &impl->sqlite_writes : nullptr);
  store::OpenOptions open;
  open.migrate = false;
  ATTUNE_TRY(writer, store::Store::Open(impl->ctx.options.target, open));
  impl->committer = std::make_unique<GroupCommitter>(std::move(writer), impl->ctx.metrics,
                                                     impl->serialise_writes ? &impl->sqlite_writes : nullptr);
  ATTUNE_TRY(refresher, store::Store::Open(impl->ctx.options.target, open));
  impl->models = std::make_unique<ModelRefresher>(std::move(refresher), impl->ctx.options.model_refresh_seconds,
                                                  impl->ctx.options.log);
  impl->models->RefreshAll();  // the first recommendation must not wait for a fit
  impl->models->Start();
  // Nor for the therapist index and matcher: every connection of a cold server would wait on them.
  {
    ATTUNE_TRY(warm_store, store::Store::Open(impl->ctx.options.target, open));
    service::Clinic warm(warm_store, catalogue, impl->ctx.options.use, {}, {}, impl->cache);
    ATTUNE_TRY(orgs, warm_store.ListOrganisations());
    for (const auto& org : orgs) {
      if (auto ready = warm.WarmMatching(org.id); !ready) {
        impl->Log(fmt::format("attune serve: organisation {}: matching not prepared: {}", org.id,
                              ready.error().message));
      }
    }
  }
  impl->Setup();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

namespace {

// Debian's cpp-httplib is a compiled library whose listen backlog is fixed at 5: when more
// clients connect at once than that, the kernel drops their handshakes and they wait a 1 s
// retransmission (under wrk's 32 connections: a p99 above one second). Listening again on the
// same socket raises the backlog (Linux; the kernel caps it at somaxconn). The socket is found as
// the listening one bound to `port`, since httplib does not expose it.
void RaiseListenBacklog(int port, int backlog) {
  for (int fd = 3; fd < 4096; ++fd) {
    int listening = 0;
    socklen_t length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening == 0) continue;
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) continue;
    int bound = -1;
    if (address.ss_family == AF_INET) bound = ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
    if (address.ss_family == AF_INET6) bound = ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
    if (bound == port) ::listen(fd, backlog);
  }
}

}  // namespace

Result<void> Server::Run() {
  int port = impl_->ctx.options.port;
  // httplib says only that binding failed; the system's reason (errno of the failed bind, e.g.
  // "Address already in use") is what the operator needs.
  auto reason = [] { return errno != 0 ? std::string(": ") + std::strerror(errno) : std::string(); };
  errno = 0;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(impl_->ctx.options.bind);
    if (port < 0) return Fail(ErrorCode::IO, "cannot bind " + impl_->ctx.options.bind + reason(), "bind");
  } else if (!impl_->http.bind_to_port(impl_->ctx.options.bind, port)) {
    return Fail(ErrorCode::IO, fmt::format("cannot bind {}:{}{}", impl_->ctx.options.bind, port, reason()), "port");
  }
  impl_->bound_port = port;
  RaiseListenBacklog(port, 1024);
  impl_->Log(fmt::format("attune serve: listening on http://{}:{}", impl_->ctx.options.bind, port));
  impl_->http.listen_after_bind();
  // listen_after_bind returns after stop(): the thread pool has finished every accepted request
  // (each submission waited for its commit).
  impl_->models->Stop();
  impl_->committer->Stop();
  impl_->audit->Stop();
  impl_->Log("attune serve: stopped");
  return Ok();
}

void Server::Stop() {
  impl_->stopping = true;
  impl_->http.stop();
}

int Server::port() const { return impl_->bound_port.load(); }

}  // namespace attune::api
