#include "attune/service/clinic.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <iterator>
#include <limits>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "attune/core/constraints.hpp"
#include "attune/core/dates.hpp"
#include "attune/core/languages.hpp"
#include "attune/core/text.hpp"
#include "attune/match/match.hpp"
#include "attune/service/matching.hpp"
#include "service/today.hpp"

namespace attune::service {

namespace {


std::string HexOf(const unsigned char* data, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, n);
  out.pop_back();
  return out;
}

bool Initialised() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

Error Denied(const Actor& actor, const char* what) {
  return Error{ErrorCode::NOT_PERMITTED,
               fmt::format("{} may not {}", store::RoleName(actor.role), what), ""};
}

// What a client may see of a therapist: id, display name, whether accepting, and the profile
// fields the therapist made client-visible (Therapist::ForEachShowable); the rest is cleared.
Therapist ClientView(const Therapist& t) {
  Therapist v;
  v.org_id = t.org_id;
  v.id = t.id;
  v.display_name = t.display_name;
  v.accepting = t.accepting;
  v.client_visible = t.client_visible;
  Therapist::ForEachShowable([&](std::string_view field, auto member) {
    if (t.ShowsClients(field)) v.*member = t.*member;
  });
  return v;
}

// Whether `e` gives its therapist the client's data: an episode the clinic confirmed (active) or
// one that has ended. A client's choice waiting for the clinic gives nothing until it is confirmed
// (docs/api.md, Authorisation).
bool GivesTherapistAccess(const Episode& e) { return e.status == "active" || e.status == "ended"; }

// The episodes of therapist `therapist_id`, whatever their status.
Result<std::set<Id>> EpisodesOf(store::Store& store, OrgId org, Id therapist_id) {
  ATTUNE_TRY(episodes, store.ListEpisodes(org));
  std::set<Id> out;
  for (const auto& e : episodes) {
    if (e.therapist_id == therapist_id) out.insert(e.id);
  }
  return out;
}

// The episodes whose therapist ratings `actor` reads as their own: a therapist's; none for anyone
// else (RatingHiddenFrom decides with them).
Result<std::set<Id>> RatedEpisodes(store::Store& store, const Actor& actor) {
  if (actor.role != Role::THERAPIST) return std::set<Id>{};
  return EpisodesOf(store, actor.org, actor.therapist_id.value_or(0));
}

// Whether `r` is another therapist's rating of the client (WAI-SR-T), from an episode that is not
// one of `own` (the reading therapist's episodes). A therapist reads the client's own answers from
// every episode (their history), but another therapist's judgement of their alliance is not
// theirs to read.
bool OthersRating(const Response& r, const std::set<Id>& own) {
  return r.respondent == RespondentKind::THERAPIST && !IsTherapistSelfReport(r) &&
         (!r.episode_id || own.count(*r.episode_id) == 0);
}

// Whether `actor` is kept from `r`, a response about a client: a therapist from another
// therapist's rating of the client (`own`: the therapist's episodes), the client from every
// therapist's rating. A therapist's judgement of their alliance with a client is that
// therapist's and the clinic's; the client reads their own answers.
bool RatingHiddenFrom(const Actor& actor, const Response& r, const std::set<Id>& own) {
  if (actor.role == Role::CLIENT) return r.respondent == RespondentKind::THERAPIST;
  return actor.role == Role::THERAPIST && OthersRating(r, own);
}

// Whether stored time `a` is before `b`: as times when both are, else by day (a date alone says only
// the day, so it is neither before nor after a time on the same day).
bool HeldBefore(const std::string& a, const std::string& b) {
  if (a.size() == 10 || b.size() == 10) return a.substr(0, 10) < b.substr(0, 10);
  return a < b;
}

// A session of `episode` held at `written` (as given; `stored.held_at` as stored, in UTC): a session
// is a meeting held (docs/api.md), so not in the future, and within the episode, on or after the
// day it started and on or before the day it ended. The day compared is the one written, in the
// writer's own zone (the clinic's dates are local days).
Result<void> CheckSessionTime(const Episode& episode, const std::string& written, const Session& stored) {
  const std::string day = written.substr(0, 10);
  if (day < episode.started_on) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("held_at is \"{}\", before episode {} started (started_on {}); expected a time on or "
                            "after its start",
                            written, episode.id, episode.started_on),
                "held_at");
  }
  if (!episode.ended_on.empty() && day > episode.ended_on) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("held_at is \"{}\", after episode {} ended (ended_on {}); expected a time on or before "
                            "its end",
                            written, episode.id, episode.ended_on),
                "held_at");
  }
  if (const auto latest = AfterLatestDone(stored.held_at)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("held_at is \"{}\", in the future; expected the time a session was held ({} at the "
                            "latest): sessions are recorded once held, not when booked",
                            written, *latest),
                "held_at");
  }
  return Ok();
}

// `result` of looking up what a request's `field` refers to: a missing row is NOT_FOUND on that field.
template <typename R>
R Referenced(R result, const char* field) {
  if (result || result.error().code != ErrorCode::NOT_FOUND) return result;
  Error error = result.error();
  error.field = field;
  return error;
}

// A client's own intake `given` against the `stored` constraints: the client sets their own kinds
// (ClientOwns: languages, modality); the clinic's (location, exclusions, risk) are kept as stored,
// whether the client's form sends them back or leaves them out (it does not show them); one the
// clinic did not set is NOT_PERMITTED, naming the entry. The wording of a list that is not one of
// the forms is the store's (CheckIntake).
Result<std::vector<std::string>> KeepClinicConstraints(const std::vector<std::string>& stored,
                                                       const std::vector<std::string>& given) {
  ATTUNE_TRY(wanted, ParseConstraints(given));
  auto same = [](const Constraint& a, const Constraint& b) {
    return a.kind == b.kind && (a.kind == Constraint::Kind::EXCLUDE ? a.therapist_id == b.therapist_id : a.value == b.value);
  };
  std::vector<std::pair<Constraint, std::string>> clinics;  // as parsed, as stored
  for (const auto& text : stored) {
    auto c = ParseConstraint(text, "constraints");
    if (c && !ClientOwns(c->kind)) clinics.emplace_back(std::move(*c), text);
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (ClientOwns(wanted[i].kind)) {
      out.push_back(given[i]);
    } else if (wanted[i].kind == Constraint::Kind::RISK ||
               std::none_of(clinics.begin(), clinics.end(), [&](const auto& c) { return same(c.first, wanted[i]); })) {
      // A client never reads a risk: entry (AsReadBy), so one sent back is refused whether or not
      // it is stored: an answer that differed would tell them.
      return Fail(ErrorCode::NOT_PERMITTED,
                  fmt::format("constraints[{}] is \"{}\"; a client may set only language: and modality: constraints "
                              "(location:, exclude: and risk: are the clinic's)",
                              i, given[i]),
                  fmt::format("constraints[{}]", i));
    }
  }
  for (const auto& [kept, text] : clinics) out.push_back(text);
  return out;
}

// `c` as `actor` reads it: a client does not read the clinic's risk assessment of them (`risk:`
// constraints), a clinician's judgement kept for matching; their own saves keep it as stored.
Client AsReadBy(const Actor& actor, Client c) {
  if (actor.role == Role::CLIENT) {
    std::erase_if(c.constraints, [](const std::string& text) {
      auto parsed = ParseConstraint(text, "constraints");
      return parsed && parsed->kind == Constraint::Kind::RISK;
    });
  }
  return c;
}

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ" (as TimeUtc writes); nullopt otherwise.
std::optional<std::chrono::system_clock::time_point> ParseTimeUtc(const std::string& text) {
  std::tm tm{};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// One organisation's therapists prepared for ranking: the rows (for the answer) and, in the same
// order, the profiles the matcher compiles (latest FFMQ-39 facets, remaining capacity).
struct TherapistIndex {
  std::vector<Therapist> therapists;
  std::vector<match::TherapistProfile> profiles;
  std::shared_ptr<const ScoresByResponse> facet_scores;  // read so far; the next reload reads only new ones
};

// The organisation's matcher: the therapist index and model it was compiled from, kept alive with it.
struct Matcher {
  std::shared_ptr<const TherapistIndex> index;
  std::shared_ptr<const model::FittedModel> model;
  match::Ranker ranker;
};

}  // namespace

class ClinicCache {
 public:
  using Steady = std::chrono::steady_clock;
  // A session is trusted from memory at most this long before the database is asked again (a
  // login removed by another process is refused within it); sign-out here drops it at once.
  static constexpr std::chrono::seconds kSessionTtl{10};
  // Therapists are re-read after this long (writes through any Clinic sharing the cache drop
  // them at once; writes by another process are seen within it).
  static constexpr std::chrono::seconds kTherapistTtl{2};
  static constexpr std::chrono::seconds kClientTtl{2};
  static constexpr std::size_t kMaxEntries = 200000;

  std::optional<Actor> FindSession(const std::string& token_hash) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(token_hash);
    if (it == sessions_.end()) return std::nullopt;
    if (Steady::now() >= it->second.until) {
      sessions_.erase(it);
      return std::nullopt;
    }
    if (it->second.signed_out) return std::nullopt;
    return it->second.actor;
  }
  void PutSession(const std::string& token_hash, const Actor& actor, std::chrono::system_clock::time_point expires) {
    auto left = std::chrono::duration_cast<Steady::duration>(expires - std::chrono::system_clock::now());
    if (left <= Steady::duration::zero()) return;
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= kMaxEntries) sessions_.clear();
    auto& entry = sessions_[token_hash];
    // A request that read the session before a sign-out must not bring it back.
    if (entry.signed_out && Steady::now() < entry.until) return;
    entry = SessionEntry{actor, Steady::now() + std::min<Steady::duration>(left, kSessionTtl), false};
  }
  void DropSession(const std::string& token_hash) {
    std::lock_guard lock(mutex_);
    sessions_[token_hash] = SessionEntry{{}, Steady::now() + kSessionTtl, true};
  }

  // Clients are never deleted, so a client once seen stays known.
  bool KnownClient(OrgId org, Id id) {
    std::lock_guard lock(mutex_);
    return clients_.count({org, id}) > 0;
  }
  // A client's row as read at most kClientTtl ago (recommendations need preferences and
  // constraints); intake changes through any Clinic sharing the cache drop it at once.
  Result<std::shared_ptr<const Client>> ClientRow(OrgId org, Id id, const std::function<Result<Client>()>& load) {
    {
      std::lock_guard lock(mutex_);
      auto it = client_rows_.find({org, id});
      if (it != client_rows_.end() && Steady::now() - it->second.loaded < kClientTtl) return it->second.row;
    }
    auto started = Steady::now();
    ATTUNE_TRY(row, load());
    auto shared = std::make_shared<const Client>(std::move(row));
    std::lock_guard lock(mutex_);
    if (clients_.size() >= kMaxEntries) clients_.clear();
    clients_.insert({org, id});
    if (client_rows_.size() >= kMaxEntries) client_rows_.clear();
    auto& entry = client_rows_[{org, id}];
    if (entry.dropped_after <= started) entry = ClientEntry{shared, started, {}};
    return shared;
  }
  void AddKnownClient(OrgId org, Id id) {
    std::lock_guard lock(mutex_);
    if (clients_.size() >= kMaxEntries) clients_.clear();
    clients_.insert({org, id});
  }
  void DropClient(OrgId org, Id id) {
    std::lock_guard lock(mutex_);
    client_rows_[{org, id}] = ClientEntry{nullptr, {}, Steady::now()};
  }

  // The organisation's therapist index; a stale one is served while one caller reloads it.
  Result<std::shared_ptr<const TherapistIndex>> Therapists(
      OrgId org,
      const std::function<Result<std::shared_ptr<const TherapistIndex>>(const TherapistIndex* previous)>& load) {
    std::shared_ptr<const TherapistIndex> previous;  // what the reload may reuse
    bool* loading = nullptr;                         // the entry's flag (map entries stay put)
    {
      std::unique_lock lock(mutex_);
      auto& entry = therapists_[org];
      // With nothing to serve yet, wait for the caller already loading rather than load again
      // (32 connections arriving at a cold server would otherwise all read every therapist).
      loaded_.wait(lock, [&] { return entry.index || !entry.loading; });
      if (entry.index && (Steady::now() - entry.loaded < kTherapistTtl || entry.loading)) return entry.index;
      entry.loading = true;
      loading = &entry.loading;
      previous = entry.index;
    }
    const LoadEnds ends(*this, *loading);
    auto started = Steady::now();
    auto loaded = load(previous.get());
    std::lock_guard lock(mutex_);
    auto& entry = therapists_[org];
    if (!loaded) return loaded.error();
    // A write that dropped the entry while we read keeps it dropped (our rows may predate it).
    auto index = std::move(*loaded);
    if (entry.dropped_after <= started) {
      entry.index = index;
      entry.loaded = started;
    }
    return index;
  }
  void DropTherapists(OrgId org) {
    std::lock_guard lock(mutex_);
    auto& entry = therapists_[org];
    entry.index.reset();
    entry.dropped_after = Steady::now();
  }

  // The organisation's matching model: `load` (CurrentMatchModel) is asked at most every
  // kModelCheck; meanwhile, or while another caller asks, or when asking fails, the model last
  // had is served (the first call per organisation must succeed).
  Result<std::shared_ptr<const model::FittedModel>> Model(OrgId org,
                                                         const std::function<Result<CurrentModel>()>& load) {
    bool* loading = nullptr;
    {
      std::lock_guard lock(mutex_);
      auto& entry = models_[org];
      if (entry.model && (Steady::now() - entry.checked < kModelCheck || entry.loading)) return entry.model;
      entry.loading = true;
      loading = &entry.loading;
    }
    const LoadEnds ends(*this, *loading);
    // One caller asks at a time: without a model yet, the others wait for its answer rather than
    // each fitting one.
    std::lock_guard load_lock(model_load_mutex_);
    {
      std::lock_guard lock(mutex_);
      auto& entry = models_[org];
      if (entry.model && Steady::now() - entry.checked < kModelCheck) return entry.model;
    }
    auto started = Steady::now();
    auto current = load();
    std::lock_guard lock(mutex_);
    auto& entry = models_[org];
    if (!current || !current->model) {
      if (entry.model) return entry.model;
      if (!current) return current.error();
      return Fail(ErrorCode::INTERNAL, fmt::format("organisation {}: no matching model", org));
    }
    entry.model = current->model;
    entry.checked = started;
    return entry.model;
  }
  // The matcher compiled from `index` and `model`, built once per (index, model); it keeps both
  // alive (match::Ranker points into the model). A request may rank with the matcher of the
  // previous index or model (at most one refresh old) while another compiles the new one.
  Result<std::shared_ptr<const Matcher>> MatcherFor(OrgId org, const std::shared_ptr<const TherapistIndex>& index,
                                                    const std::shared_ptr<const model::FittedModel>& model) {
    bool* building = nullptr;
    {
      std::unique_lock lock(mutex_);
      auto& entry = matchers_[org];
      loaded_.wait(lock, [&] { return entry.matcher || !entry.building; });
      // While one caller compiles the new one, the others keep ranking with the one before.
      if (entry.matcher && ((entry.matcher->index == index && entry.matcher->model == model) || entry.building)) {
        return entry.matcher;
      }
      entry.building = true;
      building = &entry.building;
    }
    const LoadEnds ends(*this, *building);
    auto ranker = match::Ranker::Build(*model, index->profiles, kObjective, kBlendWeight);
    std::lock_guard lock(mutex_);
    auto& entry = matchers_[org];
    if (!ranker) return ranker.error();
    entry.matcher = std::make_shared<const Matcher>(Matcher{index, model, std::move(*ranker)});
    return entry.matcher;
  }

  // Submissions about one subject (a client, or a therapist's self-report) are prepared and
  // committed one at a time: the monitor reads the history and decides what state begins (not on
  // track, deterioration, a rupture) from it, so two at once would each see the state begin and
  // raise it twice. One of kSubjectStripes locks per (organisation, subject); other subjects go on.
  std::mutex& SubjectLock(OrgId org, Id subject) {
    return subject_locks_[PairHash()({org, subject}) % kSubjectStripes];
  }

  static constexpr std::chrono::seconds kModelCheck{2};
  static constexpr model::Objective kObjective = model::Objective::ALLIANCE;
  static constexpr double kBlendWeight = 0.5;

 private:
  // Ends one caller's load however it ends (a load may throw): clears its flag (loading,
  // building) and wakes the callers waiting for it. Declared before the caller's own lock, so
  // the result is stored before the flag clears.
  class LoadEnds {
   public:
    LoadEnds(ClinicCache& cache, bool& flag) : cache_(cache), flag_(flag) {}
    LoadEnds(const LoadEnds&) = delete;
    LoadEnds& operator=(const LoadEnds&) = delete;
    ~LoadEnds() {
      std::lock_guard lock(cache_.mutex_);
      flag_ = false;
      cache_.loaded_.notify_all();
    }

   private:
    ClinicCache& cache_;
    bool& flag_;
  };

  struct SessionEntry {
    Actor actor;
    Steady::time_point until;
    bool signed_out = false;  // kept until `until` so a late PutSession cannot revive it
  };
  struct TherapistEntry {
    std::shared_ptr<const TherapistIndex> index;
    Steady::time_point loaded{}, dropped_after{};
    bool loading = false;
  };
  struct ModelEntry {
    std::shared_ptr<const model::FittedModel> model;
    Steady::time_point checked{};
    bool loading = false;
  };
  struct MatcherEntry {
    std::shared_ptr<const Matcher> matcher;
    bool building = false;
  };
  struct ClientEntry {
    std::shared_ptr<const Client> row;
    Steady::time_point loaded{}, dropped_after{};
  };
  struct PairHash {
    std::size_t operator()(const std::pair<OrgId, Id>& p) const {
      return std::hash<Id>()(p.second) * 31 + std::hash<OrgId>()(p.first);
    }
  };
  std::mutex mutex_;
  std::unordered_map<std::string, SessionEntry> sessions_;
  std::unordered_set<std::pair<OrgId, Id>, PairHash> clients_;
  std::unordered_map<std::pair<OrgId, Id>, ClientEntry, PairHash> client_rows_;
  std::map<OrgId, TherapistEntry> therapists_;
  std::map<OrgId, ModelEntry> models_;
  std::map<OrgId, MatcherEntry> matchers_;
  std::mutex model_load_mutex_;
  std::condition_variable loaded_;  // a first therapist index or matcher finished (or failed)
  static constexpr std::size_t kSubjectStripes = 4096;
  std::array<std::mutex, kSubjectStripes> subject_locks_;
};

std::shared_ptr<ClinicCache> MakeClinicCache() { return std::make_shared<ClinicCache>(); }

store::Actor AuditActor(const Actor& actor) {
  return store::Actor{fmt::format("{}#{} {}@{}", actor.handle, actor.user_id,
                                  store::RoleName(actor.role),
                                  actor.address.empty() ? "local" : actor.address)};
}

Result<std::string> HashPassword(const std::string& password) {
  if (!Initialised()) return Fail(ErrorCode::INTERNAL, "libsodium failed to initialise");
  // Control characters (a pasted line break, a NUL) are never typed at a sign-in form, so a
  // password holding one could not be entered again; the length counts characters, not bytes.
  // The messages name no byte of the password.
  const auto characters = Utf8Length(password);
  if (!characters) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "password is not valid UTF-8; expected UTF-8 text", "password");
  }
  // What one line of stored text may not hold (C0, DEL, C1 such as NEL, U+2028 and U+2029), in
  // a message of its own, which names no byte of the password.
  const bool control = !CheckText(password, "password", TextLines::ONE);
  if (control) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "password contains a control character (a line break, a tab or another); expected characters that "
                "can be typed",
                "password");
  }
  if (*characters < 8) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("password has {} characters; expected at least 8", *characters),
                "password");
  }
  // Valid UTF-8 (checked above), so it has a normal form.
  const std::string normal = Normalised(password, Normalisation::NFKC).value_or(password);
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, normal.data(), normal.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(ErrorCode::INTERNAL, "password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  if (!Initialised() || hash.empty()) return false;
  const auto verify = [&](const std::string& p) {
    return crypto_pwhash_str_verify(hash.c_str(), p.data(), p.size()) == 0;
  };
  const auto normal = Normalised(password, Normalisation::NFKC);
  if (normal && verify(*normal)) return true;
  // A hash made before passwords were normalised holds the password as it was typed.
  return (!normal || *normal != password) && verify(password);
}

std::string HandleForm(const std::string& handle) {
  return Normalised(handle, Normalisation::NFC).value_or(handle);
}

std::string HandleKey(const std::string& handle) {
  std::string key = HandleForm(handle);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

std::string TokenHash(const std::string& token) {
  Initialised();
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  return HexOf(h, sizeof h);
}

std::string CsrfFor(const std::string& token) {
  Initialised();
  static const std::string kContext = "attune-csrf-v1";
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(kContext.data()),
                     kContext.size(), reinterpret_cast<const unsigned char*>(token.data()),
                     std::min<std::size_t>(token.size(), crypto_generichash_KEYBYTES_MAX));
  return HexOf(h, sizeof h);
}

Clinic::Clinic(store::Store& store, const instruments::Catalogue& catalogue, instruments::Use use,
               ReadAuditor audit_read, Committer commit, std::shared_ptr<ClinicCache> cache)
    : store_(store), catalogue_(catalogue), use_(use), service_(store, catalogue, use),
      audit_read_(std::move(audit_read)), commit_(std::move(commit)),
      cache_(cache ? std::move(cache) : MakeClinicCache()) {}

Result<void> Clinic::RequireRole(const Actor& actor, std::initializer_list<Role> roles,
                                 const char* what) const {
  if (std::find(roles.begin(), roles.end(), actor.role) != roles.end()) return Ok();
  return Denied(actor, what);
}

Result<void> Clinic::RequireClientAccess(const Actor& actor, Id client_id, const char* what) {
  switch (actor.role) {
    case Role::COORDINATOR:
      // Any client of the organisation; an id that is not one is NOT_FOUND, not an empty answer.
      return RequireClient(actor.org, client_id);
    case Role::CLIENT:
      if (actor.client_id && *actor.client_id == client_id) return Ok();
      return Denied(actor, what);
    case Role::THERAPIST: {
      if (!actor.therapist_id) return Denied(actor, what);
      ATTUNE_TRY(episodes, store_.ListEpisodes(actor.org));
      for (const auto& e : episodes) {
        if (e.client_id == client_id && e.therapist_id == *actor.therapist_id && GivesTherapistAccess(e)) return Ok();
      }
      return Denied(actor, what);
    }
    default:
      return Denied(actor, what);
  }
}

Result<void> Clinic::RequireClient(OrgId org, Id client_id) {
  if (cache_->KnownClient(org, client_id)) return Ok();
  ATTUNE_CHECK(store_.GetClient(org, client_id));
  cache_->AddKnownClient(org, client_id);
  return Ok();
}

Result<void> Clinic::RequireEpisodeAccess(const Actor& actor, const Episode& episode,
                                          const char* what) const {
  if (actor.role == Role::COORDINATOR) return Ok();
  // A declined choice never made the client the therapist's.
  if (actor.role == Role::THERAPIST && actor.therapist_id && *actor.therapist_id == episode.therapist_id &&
      episode.status != "declined") {
    return Ok();
  }
  if (actor.role == Role::CLIENT && actor.client_id && *actor.client_id == episode.client_id) return Ok();
  return Denied(actor, what);
}

void Clinic::AuditRead(const Actor& actor, const std::string& action, const std::string& entity,
                       const std::string& entity_id, const std::string& detail) {
  store::AuditRecord record{AuditActor(actor), action, entity, entity_id, detail};
  if (audit_read_) {
    audit_read_(actor.org, record);
  } else {
    (void)store_.AppendAudit(actor.org, record.actor, action, entity, entity_id, detail);
  }
}

// ---- sign-in ----

Result<SignedIn> Clinic::SignIn(const std::string& handle, const std::string& password,
                                std::optional<OrgId> org, const std::string& address, int ttl_seconds) {
  auto refused = [] { return Fail(ErrorCode::UNAUTHENTICATED, "handle or password not recognised"); };
  if (!Initialised()) return Fail(ErrorCode::INTERNAL, "libsodium failed to initialise");
  // As stored (NFC), whichever way the keyboard composed its accents; a handle stored before
  // handles were normalised is found as it was typed.
  const std::string normal = HandleForm(handle);
  ATTUNE_TRY(logins, store_.FindLogins(normal));
  if (normal != handle) {
    ATTUNE_TRY(typed, store_.FindLogins(handle));
    logins.insert(logins.end(), typed.begin(), typed.end());
  }
  // The password is checked before anything about the handle is said: a handle in several
  // organisations is answered "expected org_id" only to someone whose password fits more than one
  // of them, so the answer never tells a stranger that a handle exists.
  const store::UserLogin* login = nullptr;
  std::size_t fitting = 0, candidates = 0;
  for (const auto& l : logins) {
    if (org && l.user.org_id != *org) continue;
    ++candidates;
    if (!VerifyPassword(l.password_hash, password)) continue;
    ++fitting;
    login = &l;
  }
  if (candidates == 0) {
    // Spend the same time as a real check so timing does not reveal which handles exist.
    static const std::string dummy = *HashPassword("not-a-real-password");
    (void)VerifyPassword(dummy, password);
  }
  if (fitting == 0) return refused();
  if (fitting > 1) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "handle and password fit accounts in several organisations; expected org_id",
                "org_id");
  }
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  SignedIn out;
  out.token = HexOf(raw, sizeof raw);
  out.csrf = CsrfFor(out.token);
  auto now = std::chrono::system_clock::now();
  out.expires_at = TimeUtc(now + std::chrono::seconds(ttl_seconds));
  out.actor = Actor{login->user.org_id, login->user.id, login->user.role, login->therapist_id,
                    login->client_id, login->user.handle, address};
  ATTUNE_CHECK(store_.CreateAuthSession(
      store::AuthSession{TokenHash(out.token), out.actor.org, out.actor.user_id, TimeUtc(now), out.expires_at}));
  // Not "session.create": that is a therapy session recorded (docs/api.md "Audit").
  (void)store_.AppendAudit(out.actor.org, AuditActor(out.actor), "auth.sign_in", "user",
                           std::to_string(out.actor.user_id), "signed in");
  return out;
}

Result<Actor> Clinic::Authenticate(const std::string& token, const std::string& address) {
  auto refused = [] { return Fail(ErrorCode::UNAUTHENTICATED, "session unknown or expired; sign in again"); };
  if (token.size() != 64) return refused();
  const std::string hash = TokenHash(token);
  if (auto cached = cache_->FindSession(hash)) {
    cached->address = address;
    return *cached;
  }
  ATTUNE_TRY(session, store_.FindAuthSession(hash));
  if (!session) return refused();
  if (session->expires_at <= TimeUtc(std::chrono::system_clock::now())) {
    (void)store_.DeleteAuthSession(session->token_hash);
    return refused();
  }
  auto login = store_.GetLogin(session->org_id, session->user_id);
  if (!login || login->password_hash.empty()) return refused();
  Actor actor{login->user.org_id, login->user.id, login->user.role, login->therapist_id,
              login->client_id, login->user.handle, address};
  if (auto expires = ParseTimeUtc(session->expires_at)) cache_->PutSession(hash, actor, *expires);
  return actor;
}

Result<void> Clinic::SignOut(const Actor& actor, const std::string& token) {
  cache_->DropSession(TokenHash(token));
  ATTUNE_CHECK(store_.DeleteAuthSession(TokenHash(token)));
  (void)store_.AppendAudit(actor.org, AuditActor(actor), "auth.sign_out", "user",
                           std::to_string(actor.user_id), "signed out");
  return Ok();
}

// ---- users ----

Result<std::vector<store::UserLogin>> Clinic::ListUsers(const Actor& actor) {
  ATTUNE_CHECK(RequireRole(actor, {Role::ADMIN}, "list users"));
  ATTUNE_TRY(users, store_.ListLogins(actor.org));
  for (auto& u : users) u.password_hash.clear();
  return users;
}

Result<Id> Clinic::CreateUser(const Actor& actor, const User& user, const std::string& password,
                              std::optional<Id> therapist_id, std::optional<Id> client_id) {
  ATTUNE_CHECK(RequireRole(actor, {Role::ADMIN}, "create users"));
  ATTUNE_CHECK(store::CheckUserLinks(user.role, therapist_id, client_id));
  if (therapist_id) ATTUNE_CHECK(Referenced(store_.GetTherapist(actor.org, *therapist_id), "therapist_id"));
  if (client_id) ATTUNE_CHECK(Referenced(store_.GetClient(actor.org, *client_id), "client_id"));
  ATTUNE_TRY(hash, HashPassword(password));
  User normal = user;
  normal.handle = HandleForm(user.handle);
  ATTUNE_TRY(id, store_.AddUser(actor.org, normal, AuditActor(actor)));
  ATTUNE_CHECK(store_.SetUserLogin(actor.org, id, hash, therapist_id, client_id, AuditActor(actor)));
  return id;
}

// ---- instruments ----

Result<std::vector<const instruments::Instrument*>> Clinic::ListInstruments(const Actor&) {
  std::vector<const instruments::Instrument*> out;
  for (const auto& i : catalogue_.All()) out.push_back(&i);
  return out;
}

Result<const instruments::Instrument*> Clinic::GetInstrument(const Actor&, const std::string& id) {
  return catalogue_.Get(id);
}

// ---- therapists ----

Result<std::vector<Therapist>> Clinic::ListTherapists(const Actor& actor) {
  ATTUNE_TRY(all, store_.ListTherapists(actor.org));
  if (actor.role == Role::CLIENT) {
    for (auto& t : all) t = ClientView(t);
  }
  return all;
}

Result<Therapist> Clinic::GetTherapist(const Actor& actor, Id id) {
  ATTUNE_TRY(t, store_.GetTherapist(actor.org, id));
  if (actor.role == Role::CLIENT) return ClientView(t);
  return t;
}

namespace {

// The questionnaire whose scales are the style dimensions of therapists and clients' preferences.
constexpr const char* kStyleInstrument = "cnip";

// A therapist's style or a client's preferences (`field`): each key a scale of the C-NIP and each
// position within that scale's range (the matching model reads them on the scale's own metric).
// Without the C-NIP in the catalogue, any named dimension with a finite position.
Result<void> CheckPositions(const char* field, const std::map<std::string, double>& positions,
                            const instruments::Catalogue& catalogue) {
  auto cnip = catalogue.Get(kStyleInstrument);
  for (const auto& [key, value] : positions) {
    const std::string name = fmt::format("{}.{}", field, key);
    if (!cnip) {
      if (key.empty() || !std::isfinite(value)) {
        return Error{ErrorCode::INVALID_ARGUMENT,
                     fmt::format("{} is {{\"{}\": {}}}; expected dimension names with finite positions", field,
                                 key, value),
                     field};
      }
      continue;
    }
    const instruments::Scale* scale = (*cnip)->FindScale(key);
    if (scale == nullptr) {
      std::vector<std::string> ids;
      for (const auto& sc : (*cnip)->scales) ids.push_back(sc.id);
      return Error{ErrorCode::INVALID_ARGUMENT,
                   fmt::format("{} has \"{}\"; expected the C-NIP dimensions {}", field, key, fmt::join(ids, ", ")),
                   field};
    }
    if (!std::isfinite(value) || value < scale->range_min || value > scale->range_max) {
      return Error{ErrorCode::INVALID_ARGUMENT,
                   fmt::format("{} is {}; expected a number from {} to {} (the C-NIP {} scale)", name, value,
                               scale->range_min, scale->range_max, key),
                   name};
    }
  }
  return Ok();
}


}  // namespace

Result<Id> Clinic::CreateTherapist(const Actor& actor, const Therapist& therapist) {
  ATTUNE_CHECK(RequireRole(actor, {Role::ADMIN, Role::COORDINATOR}, "create therapists"));
  ATTUNE_CHECK(CheckPositions("style", therapist.style, catalogue_));
  auto id = store_.AddTherapist(actor.org, therapist, AuditActor(actor));
  cache_->DropTherapists(actor.org);
  return id;
}

Result<Therapist> Clinic::UpdateTherapist(const Actor& actor, Id id, const store::TherapistUpdate& update) {
  bool own = actor.role == Role::THERAPIST && actor.therapist_id && *actor.therapist_id == id;
  if (!own) ATTUNE_CHECK(RequireRole(actor, {Role::ADMIN, Role::COORDINATOR}, "change this therapist's profile"));
  if (update.style) ATTUNE_CHECK(CheckPositions("style", *update.style, catalogue_));
  auto updated = store_.UpdateTherapist(actor.org, id, update, AuditActor(actor));
  cache_->DropTherapists(actor.org);
  return updated;
}

// ---- clients ----

Result<std::vector<Client>> Clinic::ListClients(const Actor& actor) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::THERAPIST, Role::CLIENT}, "list clients"));
  ATTUNE_TRY(all, store_.ListClients(actor.org));
  std::set<Id> mine;
  if (actor.role == Role::THERAPIST) {
    ATTUNE_TRY(episodes, store_.ListEpisodes(actor.org));
    for (const auto& e : episodes) {
      if (actor.therapist_id && e.therapist_id == *actor.therapist_id && GivesTherapistAccess(e)) {
        mine.insert(e.client_id);
      }
    }
  } else if (actor.role == Role::CLIENT && actor.client_id) {
    mine.insert(*actor.client_id);
  }
  if (actor.role != Role::COORDINATOR) {
    std::erase_if(all, [&](const Client& c) { return !mine.count(c.id); });
  }
  for (auto& c : all) c = AsReadBy(actor, std::move(c));
  AuditRead(actor, "client.list", "client", "*", fmt::format("{} clients", all.size()));
  return all;
}

Result<Client> Clinic::GetClient(const Actor& actor, Id id) {
  ATTUNE_CHECK(RequireClientAccess(actor, id, "read this client"));
  ATTUNE_TRY(c, store_.GetClient(actor.org, id));
  AuditRead(actor, "client.read", "client", std::to_string(id));
  return AsReadBy(actor, std::move(c));
}

Result<Id> Clinic::CreateClient(const Actor& actor, const Client& client) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR}, "create clients"));
  ATTUNE_CHECK(CheckPositions("preferences", client.preferences, catalogue_));
  return store_.AddClient(actor.org, client, AuditActor(actor));
}

Result<Client> Clinic::UpdateIntake(const Actor& actor, const Client& intake) {
  if (actor.role != Role::COORDINATOR && !(actor.role == Role::CLIENT && actor.client_id == intake.id)) {
    return Denied(actor, "change this client's intake");
  }
  ATTUNE_CHECK(CheckPositions("preferences", intake.preferences, catalogue_));
  // A client's own change keeps the clinic's constraints as stored when it is written (read in
  // the write, under the row's lock), so a coordinator's change committed meanwhile, by this
  // server or another, is not undone by it.
  store::IntakeMerge keep_clinics;
  if (actor.role == Role::CLIENT) {
    keep_clinics = [&intake](const Client& stored) -> Result<Client> {
      ATTUNE_TRY(kept, KeepClinicConstraints(stored.constraints, intake.constraints));
      Client changed = intake;
      changed.constraints = std::move(kept);
      return changed;
    };
  }
  auto updated = store_.UpdateClientIntake(actor.org, intake, AuditActor(actor), keep_clinics);
  cache_->DropClient(actor.org, intake.id);
  if (!updated) return updated.error();
  return AsReadBy(actor, std::move(*updated));
}

// ---- episodes and sessions ----

Result<std::vector<Episode>> Clinic::ListEpisodes(const Actor& actor) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::THERAPIST, Role::CLIENT}, "list episodes"));
  ATTUNE_TRY(all, store_.ListEpisodes(actor.org));
  std::erase_if(all, [&](const Episode& e) { return !RequireEpisodeAccess(actor, e, ""); });
  AuditRead(actor, "episode.list", "episode", "*", fmt::format("{} episodes", all.size()));
  return all;
}

Result<Episode> Clinic::GetEpisode(const Actor& actor, Id id) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::THERAPIST, Role::CLIENT}, "read episodes"));
  ATTUNE_TRY(e, store_.GetEpisode(actor.org, id));
  ATTUNE_CHECK(RequireEpisodeAccess(actor, e, "read this episode"));
  AuditRead(actor, "episode.read", "episode", std::to_string(id));
  return e;
}

Result<Id> Clinic::CreateEpisode(const Actor& actor, const Episode& episode, bool overbook) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR}, "create episodes"));
  ATTUNE_TRY(opened, OpenEpisode(store_, actor.org, episode, overbook, AuditActor(actor)));
  return opened.id;
}

Result<Episode> Clinic::ConfirmEpisode(const Actor& actor, Id id, const EpisodeDecision& decision) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR}, "confirm a client's choice"));
  return service::ConfirmEpisode(store_, actor.org, id, decision, AuditActor(actor));
}

Result<Episode> Clinic::DeclineEpisode(const Actor& actor, Id id, const EpisodeDecision& decision) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR}, "decline a client's choice"));
  return service::DeclineEpisode(store_, actor.org, id, decision, AuditActor(actor));
}

Result<Episode> Clinic::EndEpisode(const Actor& actor, Id id, const EpisodeDecision& decision) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR}, "end episodes"));
  return service::EndEpisode(store_, actor.org, id, decision, AuditActor(actor));
}

Result<std::vector<Session>> Clinic::ListSessions(const Actor& actor, Id episode_id) {
  ATTUNE_TRY(episode, GetEpisode(actor, episode_id));
  return store_.ListSessions(actor.org, episode.id);
}

Result<Id> Clinic::CreateSession(const Actor& actor, const Session& session) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::THERAPIST}, "record sessions"));
  ATTUNE_TRY(episode, store_.GetEpisode(actor.org, session.episode_id));
  ATTUNE_CHECK(RequireEpisodeAccess(actor, episode, "record sessions of this episode"));
  if (episode.status == "waiting") {
    return Fail(ErrorCode::CONFLICT,
                fmt::format("episode_id {} is waiting (a client's choice the clinic has not confirmed); expected an "
                            "active or ended episode",
                            episode.id),
                "episode_id");
  }
  if (session.number < 1 || session.number > kMaxSessionNumber) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("number is {}; expected a whole number from 1 to {}", session.number, kMaxSessionNumber),
                "number");
  }
  if (!IsTimestamp(session.held_at)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("held_at is \"{}\"; expected an RFC 3339 time such as 2026-11-27T10:00:00Z, seconds "
                            "00-59 (or a date YYYY-MM-DD)",
                            session.held_at),
                "held_at");
  }
  Session stored = session;
  stored.held_at = NormalizeTimestamp(session.held_at);
  // Checked against the episode and its sessions as stored, with the episode's row locked, so
  // that two sessions recorded at once (or a session beside the episode's end) are checked one
  // after the other.
  auto guard = [&](const Episode& current, const std::vector<Session>& sessions) -> Result<void> {
    ATTUNE_CHECK(CheckSessionTime(current, session.held_at, stored));
    for (const auto& s : sessions) {
      // Numbers count the sessions held, so they follow the order in which they were held.
      const bool earlier_number = s.number < stored.number, later_number = s.number > stored.number;
      if ((earlier_number && HeldBefore(stored.held_at, s.held_at)) ||
          (later_number && HeldBefore(s.held_at, stored.held_at))) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("held_at is \"{}\", {} session {} (held {}); expected session {} {} it (session "
                                "numbers follow the order sessions were held)",
                                session.held_at, earlier_number ? "before" : "after", s.number, s.held_at,
                                stored.number, earlier_number ? "on or after" : "on or before"),
                    "held_at");
      }
    }
    return Ok();
  };
  return store_.AddSession(actor.org, stored, AuditActor(actor), guard);
}

// ---- responses ----

Result<SubmitAnswer> Clinic::SubmitResponse(const Actor& actor, Submission submission) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::THERAPIST, Role::CLIENT}, "submit responses"));
  // A form is answered before it is sent: a time ahead of the clock would place it after
  // sessions not yet held (docs/monitor.md, "Inputs"). Malformed times are refused below.
  if (IsTimestamp(submission.answered_at)) {
    if (const auto latest = AfterLatestDone(NormalizeTimestamp(submission.answered_at))) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("answered_at is \"{}\", in the future; expected the time the form was answered ({} "
                              "at the latest)",
                              submission.answered_at, *latest),
                  "answered_at");
    }
  }
  ATTUNE_TRY(instrument, catalogue_.GetForUse(submission.instrument_id, use_));
  bool therapist_form = instrument->respondent == instruments::Respondent::THERAPIST;
  if (actor.role == Role::CLIENT) {
    if (therapist_form) return Denied(actor, "submit a therapist-rated instrument");
    submission.respondent_id = actor.client_id.value_or(0);
    if (submission.subject_id == 0) submission.subject_id = submission.respondent_id;
    if (submission.subject_id != submission.respondent_id) return Denied(actor, "answer about another client");
  } else if (actor.role == Role::THERAPIST) {
    if (!therapist_form) return Denied(actor, "submit a client-rated instrument");
    submission.respondent_id = actor.therapist_id.value_or(0);
    if (!submission.episode_id && submission.subject_id == 0) submission.subject_id = submission.respondent_id;
    const bool about_self = !submission.episode_id && submission.subject_id == submission.respondent_id;
    if (!about_self) ATTUNE_CHECK(RequireClientAccess(actor, submission.subject_id, "rate this client"));
  } else {
    // A coordinator enters a form on the respondent's behalf: a client's form is the client's own
    // (it was stored with respondent 0, no one); a therapist's is the episode's therapist's (set
    // below), or without an episode the therapist's report about themself.
    if (submission.subject_id == 0) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  therapist_form && !submission.episode_id
                      ? "subject_id is missing; expected the therapist whose report about themself this is"
                      : "subject_id is missing; expected the client the form is about",
                  "subject_id");
    }
    submission.respondent_id = submission.subject_id;
  }
  // A client's alliance questionnaire (WAI-SR, SRS) rates therapy with a therapist: it names the
  // episode (a probe saved a WAI-SR from a client whose choice the clinic had not yet confirmed).
  if (!therapist_form && !submission.episode_id) {
    // Which scales are alliance scales is the monitor's, not a clinic setting (those are
    // thresholds): no read of the organisation (a read per submission took api_wrk from 4,305
    // to about 3,550 submissions a second).
    if (monitor::RatesTheAlliance(*instrument, service_.BaseMonitorConfig())) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("episode_id is missing; {} rates the alliance with a therapist, so it belongs to an "
                              "episode of therapy (expected the episode it is about)",
                              instrument->id),
                  "episode_id");
    }
  }
  // A therapist's form outside an episode is their report about themself (IsTherapistSelfReport);
  // a rating of a client names the episode, so that it is read as the client's.
  const bool self_report = therapist_form && !submission.episode_id;
  if (self_report && submission.subject_id != submission.respondent_id) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("episode_id is missing; a therapist's rating of client {} belongs to an episode "
                            "(without one, a therapist's form is their report about themself, subject_id {})",
                            submission.subject_id, submission.respondent_id),
                "episode_id");
  }
  if (self_report) ATTUNE_CHECK(Referenced(store_.GetTherapist(actor.org, submission.respondent_id), "respondent_id"));
  // Otherwise the subject must be a client of this organisation.
  if (!self_report) ATTUNE_CHECK(Referenced(RequireClient(actor.org, submission.subject_id), "subject_id"));
  if (submission.episode_id) {
    ATTUNE_TRY(episode, Referenced(store_.GetEpisode(actor.org, *submission.episode_id), "episode_id"));
    // Access first: whose episode it is is said only to someone who may read it.
    ATTUNE_CHECK(RequireEpisodeAccess(actor, episode, "submit responses in this episode"));
    if (episode.client_id != submission.subject_id) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("episode_id {} belongs to client {}, not subject {}", episode.id,
                              episode.client_id, submission.subject_id),
                  "episode_id");
    }
    // A form belongs to therapy that has begun: not to a choice the clinic has not confirmed, nor
    // to one it declined (before therapy a client's questionnaire names no episode).
    if (episode.status == "waiting" || episode.status == "declined") {
      return Fail(ErrorCode::CONFLICT,
                  fmt::format("episode_id {} is {}; expected an active or ended episode ({})", episode.id,
                              episode.status == "waiting" ? "waiting (a client's choice the clinic has not confirmed)"
                                                          : "declined (a choice the clinic did not confirm)",
                              therapist_form ? "a therapist rates an alliance that has begun"
                                             : "a questionnaire before therapy begins names no episode_id"),
                  "episode_id");
    }
    if (actor.role == Role::COORDINATOR && therapist_form) submission.respondent_id = episode.therapist_id;
  }
  store::SubmitOutcome outcome;
  std::vector<monitor::ScaleChange> changes;
  {
    // Held from the history read to the commit, no longer: reading the alerts back needs no lock.
    // The lock keeps this process's submissions about one subject from preparing against the same
    // history; the store's history check catches another process's.
    std::lock_guard one_at_a_time(cache_->SubjectLock(actor.org, submission.subject_id));
    ATTUNE_TRY(committed, service_.SubmitResponse(actor.org, submission, AuditActor(actor), commit_, &changes));
    outcome = std::move(committed);
  }
  SubmitAnswer answer{outcome, {}, std::move(changes)};
  // Alerts (risk items, ruptures, not on track) are raised by module monitor inside
  // Service::SubmitResponse and stored in the response's transaction; return them.
  for (Id id : outcome.alert_ids) {
    ATTUNE_TRY(alert, store_.GetAlert(actor.org, id));
    answer.alerts.push_back(std::move(alert));
  }
  return answer;
}

Result<std::vector<Response>> Clinic::ListResponses(const Actor& actor, Id client_id) {
  ATTUNE_CHECK(RequireClientAccess(actor, client_id, "read this client's responses"));
  store::ResponseFilter filter;
  filter.subject_id = client_id;
  ATTUNE_TRY(rows, store_.ListResponses(actor.org, filter));
  std::erase_if(rows, IsTherapistSelfReport);  // about therapist `client_id`, not this client
  ATTUNE_TRY(own, RatedEpisodes(store_, actor));
  std::erase_if(rows, [&](const Response& r) { return RatingHiddenFrom(actor, r, own); });
  AuditRead(actor, "response.list", "client", std::to_string(client_id),
            fmt::format("{} responses", rows.size()));
  return rows;
}

Result<std::vector<Score>> Clinic::ScoresOf(const Actor& actor, const Response& response) {
  if (IsTherapistSelfReport(response)) {
    // Only the therapist themself reads their own self-report (docs/api.md, mindfulness).
    if (actor.role != Role::THERAPIST || actor.therapist_id != response.respondent_id) {
      return Denied(actor, "read this therapist's own questionnaire");
    }
    return store_.ScoresOf(actor.org, response.id);
  }
  ATTUNE_CHECK(RequireClientAccess(actor, response.subject_id, "read this client's scores"));
  ATTUNE_TRY(own, RatedEpisodes(store_, actor));
  if (RatingHiddenFrom(actor, response, own)) {
    return Denied(actor, actor.role == Role::CLIENT ? "read a therapist's rating of this client"
                                                    : "read another therapist's rating of this client");
  }
  return store_.ScoresOf(actor.org, response.id);
}

Result<std::vector<TrajectoryPoint>> Clinic::Trajectory(const Actor& actor, Id client_id,
                                                        const std::string& instrument_id,
                                                        const std::string& scale_id) {
  ATTUNE_CHECK(RequireClientAccess(actor, client_id, "read this client's trajectory"));
  ATTUNE_TRY(instrument, catalogue_.Get(instrument_id));
  std::string scale = scale_id.empty() && !instrument->scales.empty() ? instrument->scales.front().id : scale_id;
  if (instrument->FindScale(scale) == nullptr) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("scale {} is not a scale of {}", scale, instrument_id), "scale");
  }
  store::ResponseFilter filter;
  filter.subject_id = client_id;
  filter.instrument_id = instrument_id;
  ATTUNE_TRY(rows, store_.ListResponses(actor.org, filter));
  ATTUNE_TRY(own, RatedEpisodes(store_, actor));
  std::vector<TrajectoryPoint> out;
  std::map<Id, std::map<Id, int>> placed;  // episode -> response -> the monitor's session number
  for (const auto& r : rows) {
    if (IsTherapistSelfReport(r)) continue;  // about therapist `client_id`, not this client
    if (RatingHiddenFrom(actor, r, own)) continue;
    std::optional<int> number;
    if (r.episode_id) {
      if (!placed.contains(*r.episode_id)) {
        ATTUNE_TRY(observations, service_.EpisodeObservations(actor.org, *r.episode_id));
        auto& sessions = placed[*r.episode_id];
        for (const auto& o : observations) sessions[o.response_id] = o.session;
      }
      const auto& sessions = placed[*r.episode_id];
      if (auto it = sessions.find(r.id); it != sessions.end()) number = it->second;
    }
    ATTUNE_TRY(scores, store_.ScoresOf(actor.org, r.id));
    for (const auto& s : scores) {
      if (s.scale_id == scale) out.push_back({r.id, r.answered_at, r.session_id, r.episode_id, s.value, s.band, number});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.answered_at < b.answered_at; });
  AuditRead(actor, "trajectory.read", "client", std::to_string(client_id), instrument_id + "." + scale);
  return out;
}

// ---- alerts ----

Result<std::vector<Alert>> Clinic::ListAlerts(const Actor& actor) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::THERAPIST}, "list alerts"));
  // With the lifecycle columns, so each alert carries its acknowledge / resolve note.
  ATTUNE_TRY(all, store_.ListAlertsWithEvidence(actor.org, std::nullopt));
  if (actor.role == Role::THERAPIST) {
    ATTUNE_TRY(episodes, store_.ListEpisodes(actor.org));
    std::set<Id> mine;
    for (const auto& e : episodes) {
      if (e.therapist_id == actor.therapist_id.value_or(-1) && GivesTherapistAccess(e)) mine.insert(e.id);
    }
    std::erase_if(all, [&](const Alert& a) { return !mine.count(a.episode_id); });
  }
  AuditRead(actor, "alert.list", "alert", "*", fmt::format("{} alerts", all.size()));
  return all;
}

// ---- recommendations ----

// The organisation's therapist index, stored matching model and the matcher compiled from both,
// through the shared cache (each is loaded or compiled once however many requests ask at once).
static Result<std::shared_ptr<const Matcher>> MatcherOf(store::Store& store, ClinicCache& cache, OrgId org,
                                                        const store::Actor& audit_actor) {
  auto load = [&](const TherapistIndex* previous) -> Result<std::shared_ptr<const TherapistIndex>> {
    ATTUNE_TRY(rows, store.ListTherapists(org));
    auto facet_scores = std::make_shared<ScoresByResponse>();
    if (previous != nullptr && previous->facet_scores) *facet_scores = *previous->facet_scores;
    ATTUNE_TRY(profiles, LoadTherapistProfiles(store, org, rows, facet_scores.get()));
    auto built = std::make_shared<TherapistIndex>();
    built->therapists = std::move(rows);
    built->profiles = std::move(profiles);
    built->facet_scores = std::move(facet_scores);
    return std::shared_ptr<const TherapistIndex>(std::move(built));
  };
  ATTUNE_TRY(index, cache.Therapists(org, load));
  // The stored model (priors when the organisation has too little data for a fit), compiled with
  // the therapists once per (index, model); each request only filters, scores and explains.
  // A request never refits a stored model (that can take seconds on a large organisation): the
  // server refits on its schedule (api::ServerOptions::model_refresh_seconds) and this picks the
  // new one up within kModelCheck. Only an organisation with no stored model is fitted here.
  ModelFreshness reuse;
  reuse.refit_growth = std::numeric_limits<double>::infinity();
  ATTUNE_TRY(model, cache.Model(org, [&] { return CurrentMatchModel(store, org, reuse, audit_actor); }));
  return cache.MatcherFor(org, index, model);
}

// The model terms given as reasons per recommended therapist: the largest by size.
constexpr std::size_t kReasonTerms = 4;

namespace {

// "German", "German and Polish", "German, Polish and Welsh".
std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " and " : ", ";
    out += words[i];
  }
  return out;
}

}  // namespace

Result<void> Clinic::WarmMatching(OrgId org) {
  auto matcher = MatcherOf(store_, *cache_, org, store::Actor{"scheduler"});
  if (!matcher) return matcher.error();
  return Ok();
}

Result<std::vector<Recommendation>> Clinic::Recommend(const Actor& actor, Id client_id, std::size_t limit,
                                                      std::string* unmatched) {
  if (actor.role != Role::COORDINATOR && !(actor.role == Role::CLIENT && actor.client_id == client_id)) {
    return Denied(actor, "see recommendations for this client");
  }
  ATTUNE_TRY(client_row, cache_->ClientRow(actor.org, client_id, [&] { return store_.GetClient(actor.org, client_id); }));
  const Client& client = *client_row;
  ATTUNE_TRY(matcher, MatcherOf(store_, *cache_, actor.org, AuditActor(actor)));
  const match::ClientRequest request = RequestOf(client);
  const std::size_t top = limit == 0 ? matcher->index->therapists.size() : limit;
  const match::Ranking ranking = matcher->ranker.Rank(request, top, true);
  if (unmatched != nullptr) *unmatched = match::NoneEligible(ranking);
  std::vector<Recommendation> out;
  out.reserve(ranking.top.size());
  for (const auto& r : ranking.top) {
    const Therapist& t = matcher->index->therapists[r.index];
    Recommendation rec{actor.role == Role::CLIENT ? ClientView(t) : t, r.score, r.prediction.sd, {}};
    // The hard filters the client asked for, then the model's explanation in plain words (the
    // terms' reasons never carry a raw mindfulness score unless the therapist opted in).
    // Of several languages (any of them), the ones this therapist speaks: the filter passed on those.
    std::vector<std::string> spoken;
    for (const auto& l : request.languages) {
      if (std::find(t.languages.begin(), t.languages.end(), l) != t.languages.end()) spoken.push_back(LanguageName(l));
    }
    if (!spoken.empty()) rec.reasons.push_back("speaks " + JoinWords(spoken));
    if (request.modality == match::Modality::VIDEO) rec.reasons.push_back("offers video");
    if (request.modality == match::Modality::IN_PERSON) {
      rec.reasons.push_back(request.location.empty() ? "offers in-person sessions"
                                                     : "sees clients in " + request.location);
    }
    std::vector<const model::Term*> terms;
    for (const auto& term : r.prediction.terms) {
      // The clinic's baseline is the same for everyone and a zero term moves nothing.
      if (term.kind != model::TermKind::BASELINE && term.value != 0) terms.push_back(&term);
    }
    std::stable_sort(terms.begin(), terms.end(), [](const model::Term* a, const model::Term* b) {
      return std::abs(a->value) > std::abs(b->value);
    });
    if (terms.size() > kReasonTerms) terms.resize(kReasonTerms);
    const Reader reader = actor.role == Role::CLIENT ? Reader::CLIENT : Reader::STAFF;
    for (const model::Term* term : terms) {
      std::string reason = TermReason(*term, reader, t.ShowsClients("style"));
      if (std::find(rec.reasons.begin(), rec.reasons.end(), reason) == rec.reasons.end()) {
        rec.reasons.push_back(std::move(reason));
      }
    }
    out.push_back(std::move(rec));
  }
  AuditRead(actor, "recommendation.read", "client", std::to_string(client_id),
            fmt::format("{} therapists ranked", out.size()));
  return out;
}

// ---- audit and exports ----

Result<std::vector<AuditEntry>> Clinic::AuditLog(const Actor& actor) {
  ATTUNE_CHECK(RequireRole(actor, {Role::ADMIN}, "read the audit log"));
  return store_.AuditLog(actor.org);
}

Result<store::AuditVerification> Clinic::VerifyAudit(const Actor& actor) {
  ATTUNE_CHECK(RequireRole(actor, {Role::ADMIN}, "verify the audit log"));
  return store_.VerifyAudit(actor.org);
}

Result<std::int64_t> Clinic::Export(const Actor& actor, const std::string& what, std::ostream& out,
                                    ExportOptions options) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::RESEARCHER}, "export data"));
  if (actor.role == Role::RESEARCHER) options.deidentify = true;
  if (what != "responses" && what != "scores") {
    return Fail(ErrorCode::INVALID_ARGUMENT, "export '" + what + "' is unknown; expected responses or scores",
                "what");
  }
  // An instrument filter must name one this deployment knows: a misspelt one is not an empty export.
  if (!options.instrument_id.empty()) ATTUNE_CHECK(catalogue_.Get(options.instrument_id));
  auto rows = what == "responses" ? service_.ExportResponses(actor.org, out, options)
                                  : service_.ExportScores(actor.org, out, options);
  if (rows) {
    AuditRead(actor, "export." + what, "export", options.instrument_id,
              fmt::format("{} rows{}", *rows, options.deidentify ? ", de-identified" : ""));
  }
  return rows;
}

}  // namespace attune::service
