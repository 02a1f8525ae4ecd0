#include "attune/store/store.hpp"

#include <fmt/core.h>
#include <soci/soci.h>

#include <algorithm>
#include <filesystem>
#include <unistd.h>
#include <set>
#include <utility>

#include "store/audit.hpp"
#include "attune/core/dates.hpp"
#include "attune/core/files.hpp"
#include "attune/core/text.hpp"
#include "store/checks.hpp"
#include "store/codec.hpp"
#include "store/dialect.hpp"
#include "store/migrations.hpp"

namespace attune::store {

using detail::DecodeAnswers;
using detail::DecodeList;
using detail::DecodeMap;
using detail::EncodeAnswers;
using detail::EncodeList;
using detail::EncodeMap;
using detail::CheckHeldAt;
using detail::Latest;
using detail::NowUtc;

const char* BackendName(Backend backend) {
  return backend == Backend::SQLITE ? "sqlite" : "postgresql";
}

const char* RespondentName(RespondentKind kind) {
  return kind == RespondentKind::CLIENT ? "client" : "therapist";
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::ADMIN: return "admin";
    case Role::COORDINATOR: return "coordinator";
    case Role::THERAPIST: return "therapist";
    case Role::RESEARCHER: return "researcher";
    case Role::CLIENT: return "client";
  }
  return "client";
}

namespace {

using ll = long long;

// The script to run for each version: the dialect's own file when there is one, else the
// portable file.
std::vector<detail::MigrationScript> ScriptsFor(const std::string& dialect) {
  std::vector<detail::MigrationScript> chosen;
  for (const auto& script : detail::EmbeddedMigrations()) {
    std::string own = script.dialect;
    if (!own.empty() && own != dialect) continue;
    auto same = std::find_if(chosen.begin(), chosen.end(),
                             [&](const auto& c) { return c.version == script.version; });
    if (same == chosen.end()) {
      chosen.push_back(script);
    } else if (!own.empty()) {
      *same = script;
    }
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  return chosen;
}

// Binds the columns of one row to a statement; Params are bound as use() in order.
template <typename Row, typename OnRow, typename... Params>
void Query(soci::session& sql, const std::string& query, Row& row, OnRow on_row,
           Params&... params) {
  soci::statement st(sql);
  row.Bind(st);
  (st.exchange(soci::use(params)), ...);
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute();
  while (st.fetch()) on_row();
}

struct AlertRow {
  ll id = 0, episode = 0, client = 0, response = 0;
  std::string kind, severity, detail, raised, ack, resolved;
  soci::indicator episode_ind = soci::i_ok, client_ind = soci::i_ok, response_ind = soci::i_ok, ack_ind = soci::i_ok,
                  resolved_ind = soci::i_ok;
  static constexpr const char* kColumns =
      "id, episode_id, client_id, response_id, kind, severity, detail, raised_at, acknowledged_at, resolved_at";
  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(episode, episode_ind));
    st.exchange(soci::into(client, client_ind));
    st.exchange(soci::into(response, response_ind));
    st.exchange(soci::into(kind));
    st.exchange(soci::into(severity));
    st.exchange(soci::into(detail));
    st.exchange(soci::into(raised));
    st.exchange(soci::into(ack, ack_ind));
    st.exchange(soci::into(resolved, resolved_ind));
  }
  Alert ToDomain(OrgId org) const {
    Alert a;
    a.org_id = org;
    a.id = id;
    a.episode_id = episode_ind == soci::i_null ? 0 : episode;
    if (client_ind != soci::i_null) a.client_id = client;
    if (response_ind != soci::i_null) a.response_id = response;
    a.kind = kind;
    a.severity = severity;
    a.detail = detail;
    a.raised_at = raised;
    a.acknowledged_at = ack_ind == soci::i_null ? "" : ack;
    a.resolved_at = resolved_ind == soci::i_null ? "" : resolved;
    return a;
  }
};

// An alert with its lifecycle columns: the clinician's note and the evidence behind it.
struct AlertWithNoteRow : AlertRow {
  std::string note, evidence;
  static std::string Columns() { return std::string(kColumns) + ", note, evidence"; }
  void Bind(soci::statement& st) {
    AlertRow::Bind(st);
    st.exchange(soci::into(note));
    st.exchange(soci::into(evidence));
  }
  Alert ToDomain(OrgId org) const {
    Alert a = AlertRow::ToDomain(org);
    a.note = note;
    a.evidence = evidence;
    return a;
  }
};

// A single id column.
struct IdRow {
  ll id = 0;
  void Bind(soci::statement& st) { st.exchange(soci::into(id)); }
};

struct TherapistRow {
  ll id = 0;
  std::string external_id, display_name, approaches, style, languages, modality, location,
      client_visible;
  int capacity = 0;
  int accepting = 0;
  static constexpr const char* kColumns =
      "id, external_id, display_name, approaches, style, languages, modality, location, "
      "capacity, accepting, client_visible";
  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(external_id));
    st.exchange(soci::into(display_name));
    st.exchange(soci::into(approaches));
    st.exchange(soci::into(style));
    st.exchange(soci::into(languages));
    st.exchange(soci::into(modality));
    st.exchange(soci::into(location));
    st.exchange(soci::into(capacity));
    st.exchange(soci::into(accepting));
    st.exchange(soci::into(client_visible));
  }
  Therapist ToDomain(OrgId org) const {
    Therapist t;
    t.org_id = org;
    t.id = id;
    t.external_id = external_id;
    t.display_name = display_name;
    t.approaches = DecodeList(approaches);
    t.style = DecodeMap(style);
    t.languages = DecodeList(languages);
    t.modality = modality;
    t.location = location;
    t.capacity = capacity;
    t.accepting = accepting != 0;
    t.client_visible = DecodeList(client_visible);
    return t;
  }
};

struct ClientRow {
  ll id = 0;
  std::string external_id, pseudonym, concerns, goals, preferences, constraints;
  static constexpr const char* kColumns =
      "id, external_id, pseudonym, concerns, goals, preferences, constraints";
  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(external_id));
    st.exchange(soci::into(pseudonym));
    st.exchange(soci::into(concerns));
    st.exchange(soci::into(goals));
    st.exchange(soci::into(preferences));
    st.exchange(soci::into(constraints));
  }
  Client ToDomain(OrgId org) const {
    Client c;
    c.org_id = org;
    c.id = id;
    c.external_id = external_id;
    c.pseudonym = pseudonym;
    c.concerns = DecodeList(concerns);
    c.goals = DecodeList(goals);
    c.preferences = DecodeMap(preferences);
    c.constraints = DecodeList(constraints);
    return c;
  }
};

struct EpisodeRow {
  ll id = 0, client_id = 0, therapist_id = 0;
  std::string started_on, ended_on, status, assigned_by, note;
  soci::indicator ended_ind = soci::i_ok;
  static constexpr const char* kColumns =
      "id, client_id, therapist_id, started_on, ended_on, status, assigned_by, note";
  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(client_id));
    st.exchange(soci::into(therapist_id));
    st.exchange(soci::into(started_on));
    st.exchange(soci::into(ended_on, ended_ind));
    st.exchange(soci::into(status));
    st.exchange(soci::into(assigned_by));
    st.exchange(soci::into(note));
  }
  Episode ToDomain(OrgId org) const {
    Episode e;
    e.org_id = org;
    e.id = id;
    e.client_id = client_id;
    e.therapist_id = therapist_id;
    e.started_on = started_on;
    e.ended_on = ended_ind == soci::i_null ? "" : ended_on;
    e.status = status;
    e.assigned_by = assigned_by;
    e.note = note;
    return e;
  }
};

struct ResponseRow {
  ll id = 0, respondent_id = 0, subject_id = 0, episode_id = 0, session_id = 0;
  std::string instrument_id, instrument_version, respondent, answered_at, answers, key;
  soci::indicator episode_ind = soci::i_ok, session_ind = soci::i_ok;
  static constexpr const char* kColumns =
      "id, instrument_id, instrument_version, respondent, respondent_id, subject_id, "
      "episode_id, session_id, answered_at, answers, idempotency_key";
  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(instrument_id));
    st.exchange(soci::into(instrument_version));
    st.exchange(soci::into(respondent));
    st.exchange(soci::into(respondent_id));
    st.exchange(soci::into(subject_id));
    st.exchange(soci::into(episode_id, episode_ind));
    st.exchange(soci::into(session_id, session_ind));
    st.exchange(soci::into(answered_at));
    st.exchange(soci::into(answers));
    st.exchange(soci::into(key));
  }
  Response ToDomain(OrgId org) const {
    Response r;
    r.org_id = org;
    r.id = id;
    r.instrument_id = instrument_id;
    r.instrument_version = instrument_version;
    r.respondent = respondent == "therapist" ? RespondentKind::THERAPIST : RespondentKind::CLIENT;
    r.respondent_id = respondent_id;
    r.subject_id = subject_id;
    if (episode_ind != soci::i_null) r.episode_id = episode_id;
    if (session_ind != soci::i_null) r.session_id = session_id;
    r.answered_at = answered_at;
    auto decoded = DecodeAnswers(answers);
    if (decoded) r.answers = std::move(*decoded);
    r.idempotency_key = key;
    return r;
  }
};

struct ScoreRow {
  ll response_id = 0;
  std::string scale_id, band;
  double value = 0;
  int caseness = 0, answered = 0, prorated = 0;
  soci::indicator value_ind = soci::i_ok, caseness_ind = soci::i_ok;
  static constexpr const char* kColumns =
      "response_id, scale_id, value, band, caseness, answered, prorated";
  void Bind(soci::statement& st) {
    st.exchange(soci::into(response_id));
    st.exchange(soci::into(scale_id));
    st.exchange(soci::into(value, value_ind));
    st.exchange(soci::into(band));
    st.exchange(soci::into(caseness, caseness_ind));
    st.exchange(soci::into(answered));
    st.exchange(soci::into(prorated));
  }
  Score ToDomain(OrgId org) const {
    Score s;
    s.org_id = org;
    s.response_id = response_id;
    s.scale_id = scale_id;
    if (value_ind != soci::i_null) s.value = value;
    s.band = band;
    if (caseness_ind != soci::i_null) s.caseness = caseness != 0;
    s.answered = answered;
    s.prorated = prorated != 0;
    return s;
  }
};

struct AuditRow {
  ll seq = 0;
  std::string at, actor, action, entity, entity_id, detail, prev_hash, hash;
  void Bind(soci::statement& st) {
    st.exchange(soci::into(seq));
    st.exchange(soci::into(at));
    st.exchange(soci::into(actor));
    st.exchange(soci::into(action));
    st.exchange(soci::into(entity));
    st.exchange(soci::into(entity_id));
    st.exchange(soci::into(detail));
    st.exchange(soci::into(prev_hash));
    st.exchange(soci::into(hash));
  }
  AuditEntry ToDomain(OrgId org) const {
    return AuditEntry{org, seq, at, actor, action, entity, entity_id, detail, prev_hash, hash};
  }
};

Result<void> Require(bool condition, const std::string& field, const std::string& message) {
  if (condition) return Ok();
  return Fail(ErrorCode::INVALID_ARGUMENT, message, field);
}

// The unique keys a caller can collide with, as SQLite ("table.column" of its last column) and
// PostgreSQL (the constraint's default name) report them, with the field and what was expected.
struct UniqueKey {
  const char* sqlite;
  const char* postgres;
  const char* field;
  const char* expected;
};
constexpr UniqueKey kUniqueKeys[] = {
    {"users.handle", "users_org_id_handle_key", "handle", "a handle no other user of the organisation has"},
    {"therapists.external_id", "therapists_org_id_external_id_key", "external_id",
     "an id no other therapist of the organisation has"},
    {"clients.external_id", "clients_org_id_external_id_key", "external_id",
     "an id no other client of the organisation has"},
    {"sessions.number", "sessions_org_id_episode_id_number_key", "number",
     "a session number the episode does not have yet"},
    {"responses.idempotency_key", "responses_org_id_idempotency_key_key", "idempotency_key",
     "a key unique in the organisation"},
};

// ALREADY_EXISTS for a unique-key violation, naming the field and what was expected; never the
// database's own text (it quotes the statement and its values).
Error UniqueViolation(const soci::soci_error& e) {
  const std::string what = e.what();
  for (const UniqueKey& key : kUniqueKeys) {
    if (what.find(key.sqlite) != std::string::npos || what.find(key.postgres) != std::string::npos) {
      return Error{ErrorCode::ALREADY_EXISTS, fmt::format("{} is already taken; expected {}", key.field, key.expected),
                   key.field};
    }
  }
  return Error{ErrorCode::ALREADY_EXISTS, "a record with the same key is already stored", ""};
}

// `result`, with the value that collided named in an ALREADY_EXISTS on `field`.
template <typename T>
Result<T> NamingTheValue(Result<T> result, const std::string& field, const std::string& value) {
  if (result || result.error().code != ErrorCode::ALREADY_EXISTS || result.error().field != field) return result;
  Error error = result.error();
  error.message = fmt::format("{} \"{}\"{}", field, value, error.message.substr(field.size()));
  return error;
}

}  // namespace

struct Store::Impl {
  Target target;
  std::unique_ptr<detail::Dialect> dialect;
  soci::session sql;

  void Rollback() noexcept {
    try {
      sql << "ROLLBACK";
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to undo when no transaction is open
    }
  }

  // Runs `body` inside one write transaction: commits on a value, rolls back on an error or an
  // exception, so nothing partial is ever written.
  template <typename T, typename F>
  Result<T> Write(F&& body) {
    try {
      sql << dialect->BeginWrite();
    } catch (const std::exception& e) {
      return Fail(ErrorCode::IO, std::string("cannot start a write transaction: ") + e.what());
    }
    try {
      Result<T> result = body();
      if (!result) {
        Rollback();
        return result;
      }
      sql << "COMMIT";
      return result;
    } catch (const soci::soci_error& e) {
      Rollback();
      if (dialect->IsUniqueViolation(e)) return UniqueViolation(e);
      return Fail(ErrorCode::IO, std::string("database write failed: ") + e.what());
    } catch (const std::exception& e) {
      Rollback();
      return Fail(ErrorCode::INTERNAL, std::string("write failed: ") + e.what());
    }
  }

  template <typename T, typename F>
  Result<T> Read(F&& body) {
    try {
      return body();
    } catch (const std::exception& e) {
      return Fail(ErrorCode::IO, std::string("database read failed: ") + e.what());
    }
  }

  // One row of `table` by id within the organisation; NOT_FOUND names the noun, the id and the
  // organisation. RowT supplies kColumns and ToDomain(org) -> T.
  template <typename RowT, typename T>
  Result<T> GetById(OrgId org, Id id, const char* table, const char* noun) {
    return Read<T>([&]() -> Result<T> { return FindByIdInTx<RowT, T>(org, id, table, noun); });
  }

  // The same inside the caller's open transaction. A write that reads the row it changes says
  // `lock`: the row is then locked until the write ends (PostgreSQL; SQLite's write transaction
  // holds the database), so a change decided from it cannot undo one committed in between.
  template <typename RowT, typename T>
  Result<T> FindByIdInTx(OrgId org, Id id, const char* table, const char* noun, bool lock = false) {
    RowT row;
    ll o = org, i = id;
    std::optional<T> found;
    Query(sql,
          std::string("SELECT ") + RowT::kColumns + " FROM " + table + " WHERE org_id = :o AND id = :i" +
              (lock ? dialect->ForUpdate() : ""),
          row, [&] { found = row.ToDomain(org); }, o, i);
    if (!found) {
      return Fail(ErrorCode::NOT_FOUND, fmt::format("{} {} not found in organisation {}", noun, id, org), "id");
    }
    return *found;
  }

  // Inside a write: every episode of the organisation, after locking the rows of `episode`'s
  // client and therapist (PostgreSQL; SQLite's write transaction holds the database), so that a
  // check of one current episode per client and of the therapist's places sees every write
  // before it and none can slip in between the check and the write.
  Result<std::vector<Episode>> EpisodesLockedFor(OrgId org, const Episode& episode) {
    return EpisodesLockedFor(org, std::vector<Episode>{episode});
  }
  // The same for a batch: every client row first, then every therapist row, each in id order,
  // so two writers lock in one order whatever their batches hold.
  Result<std::vector<Episode>> EpisodesLockedFor(OrgId org, const std::vector<Episode>& episodes) {
    std::set<ll> clients, therapists;
    for (const auto& e : episodes) {
      clients.insert(static_cast<ll>(e.client_id));
      therapists.insert(static_cast<ll>(e.therapist_id));
    }
    ll o = org, locked = 0;
    for (ll c : clients) {
      sql << std::string("SELECT id FROM clients WHERE org_id = :o AND id = :c") + dialect->ForUpdate(),
          soci::use(o), soci::use(c), soci::into(locked);
    }
    for (ll t : therapists) {
      sql << std::string("SELECT id FROM therapists WHERE org_id = :o AND id = :t") + dialect->ForUpdate(),
          soci::use(o), soci::use(t), soci::into(locked);
    }
    return ListAll<EpisodeRow, Episode>(org, "episodes");
  }

  // Every row of `table` in the organisation, by id.
  template <typename RowT, typename T>
  Result<std::vector<T>> ListAll(OrgId org, const char* table) {
    return Read<std::vector<T>>([&]() -> Result<std::vector<T>> {
      RowT row;
      ll o = org;
      std::vector<T> out;
      Query(sql, std::string("SELECT ") + RowT::kColumns + " FROM " + table + " WHERE org_id = :o ORDER BY id",
            row, [&] { out.push_back(row.ToDomain(org)); }, o);
      return out;
    });
  }

  // Allocates `count` consecutive ids from the organisation's counter `name`; returns the first.
  // UPDATE first so PostgreSQL holds the row lock before reading the value.
  Id NextIds(OrgId org, const std::string& name, ll count) {
    ll o = org;
    soci::statement update = (sql.prepare << "UPDATE counters SET next_value = next_value + :c "
                                             "WHERE org_id = :o AND name = :n",
                              soci::use(count), soci::use(o), soci::use(name));
    update.execute(true);
    if (update.get_affected_rows() == 0) {
      ll next = 1 + count;
      sql << "INSERT INTO counters (org_id, name, next_value) VALUES (:o, :n, :v)", soci::use(o),
          soci::use(name), soci::use(next);
      return 1;
    }
    ll next = 0;
    sql << "SELECT next_value FROM counters WHERE org_id = :o AND name = :n", soci::use(o),
        soci::use(name), soci::into(next);
    return next - count;
  }

  // Appends one audit entry; the caller's transaction is open.
  AuditEntry AppendAuditInTx(OrgId org, const Actor& actor, const std::string& action,
                             const std::string& entity, const std::string& entity_id,
                             const std::string& detail) {
    return AppendAuditManyInTx(org, {AuditRecord{actor, action, entity, entity_id, detail}}).back();
  }

  // Appends `records` in order to the organisation's hash chain: the head is read (and locked)
  // once, the entries go in through one prepared statement (kBulkAudit or more: the dialect's
  // multi-row INSERTs), and the head is written once. All carry the time of the append.
  static constexpr std::size_t kBulkAudit = 16;
  std::vector<AuditEntry> AppendAuditManyInTx(OrgId org, const std::vector<AuditRecord>& records) {
    ll o = org;
    ll last_seq = 0;
    std::string last_hash;
    sql << std::string("SELECT last_seq, last_hash FROM audit_head WHERE org_id = :o") +
               dialect->ForUpdate(),
        soci::use(o), soci::into(last_seq), soci::into(last_hash);
    const bool have_head = sql.got_data();
    std::vector<AuditEntry> entries;
    entries.reserve(records.size());  // bound as text below: must not move
    const std::string now = NowUtc();
    for (const auto& r : records) {
      AuditEntry entry;
      entry.org_id = org;
      entry.seq = entries.empty() ? (have_head ? last_seq + 1 : 1) : entries.back().seq + 1;
      entry.at = now;
      entry.actor = r.actor.name;
      entry.action = r.action;
      entry.entity = r.entity;
      entry.entity_id = r.entity_id;
      entry.detail = r.detail;
      entry.prev_hash = entries.empty() ? (have_head ? last_hash : "") : entries.back().hash;
      entry.hash = detail::AuditHash(entry);
      entries.push_back(std::move(entry));
    }
    ll seq = 0;
    if (entries.size() >= kBulkAudit) {
      // Batches (the server's read audit): several rows per statement.
      auto bulk = dialect->PrepareBulkInsert(
          sql, "audit_log",
          {"org_id", "seq", "at", "actor", "action", "entity", "entity_id", "detail", "prev_hash", "hash"});
      for (const auto& e : entries) {
        const detail::BulkValue row[] = {static_cast<std::int64_t>(org), static_cast<std::int64_t>(e.seq),
                                         std::string_view(e.at),        std::string_view(e.actor),
                                         std::string_view(e.action),    std::string_view(e.entity),
                                         std::string_view(e.entity_id), std::string_view(e.detail),
                                         std::string_view(e.prev_hash), std::string_view(e.hash)};
        bulk->Add(row);
      }
      bulk->Flush();
    } else {
      AuditEntry entry;
      soci::statement insert =
          (sql.prepare << "INSERT INTO audit_log (org_id, seq, at, actor, action, entity, entity_id, detail, "
                          "prev_hash, hash) VALUES (:o, :s, :at, :actor, :action, :entity, :eid, :detail, :prev, :hash)",
           soci::use(o), soci::use(seq), soci::use(entry.at), soci::use(entry.actor), soci::use(entry.action),
           soci::use(entry.entity), soci::use(entry.entity_id), soci::use(entry.detail), soci::use(entry.prev_hash),
           soci::use(entry.hash));
      for (const auto& e : entries) {
        entry = e;
        seq = e.seq;
        insert.execute(true);
      }
    }
    if (entries.empty()) return entries;
    seq = entries.back().seq;
    if (have_head) {
      sql << "UPDATE audit_head SET last_seq = :s, last_hash = :h WHERE org_id = :o", soci::use(seq),
          soci::use(entries.back().hash), soci::use(o);
    } else {
      sql << "INSERT INTO audit_head (org_id, last_seq, last_hash) VALUES (:o, :s, :h)", soci::use(o),
          soci::use(seq), soci::use(entries.back().hash);
    }
    return entries;
  }

  // Stores one response with its scores and alerts in the caller's open transaction, which
  // already holds the lock on its subject when scored.history is set (Dialect::LockSubject).
  // Defined beside Store::SubmitResponse.
  Result<SubmitOutcome> SubmitInTx(OrgId org, const ScoredResponse& scored, const Actor& actor);
  Result<SubmitOutcome> ReplayOf(OrgId org, const Response& first, const Response& r);

  // The responses about `subject` as the caller's transaction (or statement) sees them; the
  // index responses_by_subject answers the count without reading a row.
  HistoryMark SubjectHistoryInTx(OrgId org, Id subject) {
    ll o = org, s = subject, count = 0;
    sql << "SELECT COUNT(*) FROM responses WHERE org_id = :o AND subject_id = :s", soci::use(o), soci::use(s),
        soci::into(count);
    return HistoryMark{static_cast<std::int64_t>(count)};
  }

  // Inserts one alert row under `id` with its note and evidence; the caller's transaction is
  // open and appends its audit entry (AlertCreated). An empty raised_at means now.
  void InsertAlertRowInTx(OrgId org, Id id, const Alert& alert) {
    ll o = org, i = id, e = alert.episode_id, c = alert.client_id.value_or(0), r = alert.response_id.value_or(0);
    soci::indicator e_ind = alert.episode_id ? soci::i_ok : soci::i_null;
    soci::indicator c_ind = alert.client_id ? soci::i_ok : soci::i_null;
    soci::indicator r_ind = alert.response_id ? soci::i_ok : soci::i_null;
    std::string raised = alert.raised_at.empty() ? NowUtc() : alert.raised_at;
    sql << "INSERT INTO alerts (org_id, id, episode_id, client_id, response_id, kind, severity, detail, "
           "raised_at, note, evidence) VALUES (:o, :i, :e, :c, :r, :k, :s, :d, :ra, :n, :ev)",
        soci::use(o), soci::use(i), soci::use(e, e_ind), soci::use(c, c_ind), soci::use(r, r_ind),
        soci::use(alert.kind), soci::use(alert.severity), soci::use(alert.detail), soci::use(raised),
        soci::use(alert.note), soci::use(alert.evidence);
  }
  static AuditRecord AlertCreated(const Actor& actor, Id id, const Alert& alert) {
    return AuditRecord{actor, "alert.create", "alert", std::to_string(id),
                       alert.episode_id ? fmt::format("{} {} episode {}", alert.kind, alert.severity, alert.episode_id)
                                        : fmt::format("{} {} client {} (no episode)", alert.kind, alert.severity,
                                                      alert.client_id.value_or(0))};
  }

  bool OrganisationExists(OrgId org) {
    ll o = org;
    ll found = 0;
    sql << "SELECT org_id FROM organisations WHERE org_id = :o", soci::use(o), soci::into(found);
    return sql.got_data();
  }

  Result<void> RequireOrganisation(OrgId org) {
    if (OrganisationExists(org)) return Ok();
    return Fail(ErrorCode::NOT_FOUND, fmt::format("organisation {} does not exist", org), "org_id");
  }

  std::vector<int> AppliedVersions() {
    std::vector<int> versions;
    try {
      int version = 0;
      soci::statement st =
          (sql.prepare << "SELECT version FROM schema_migrations ORDER BY version", soci::into(version));
      st.execute();
      while (st.fetch()) versions.push_back(version);
    } catch (const soci::soci_error&) {
      versions.clear();  // no migrations table yet: nothing applied
    }
    return versions;
  }

  std::optional<Response> ResponseByKey(OrgId org, const std::string& key) {
    ResponseRow row;
    ll o = org;
    std::string k = key;
    std::optional<Response> found;
    Query(sql,
          std::string("SELECT ") + ResponseRow::kColumns +
              " FROM responses WHERE org_id = :o AND idempotency_key = :k",
          row, [&] { found = row.ToDomain(org); }, o, k);
    return found;
  }

  std::vector<Score> Scores(OrgId org, Id response_id) {
    ScoreRow row;
    ll o = org;
    ll r = response_id;
    std::vector<Score> scores;
    Query(sql,
          std::string("SELECT ") + ScoreRow::kColumns +
              " FROM scores WHERE org_id = :o AND response_id = :r ORDER BY scale_id",
          row, [&] { scores.push_back(row.ToDomain(org)); }, o, r);
    return scores;
  }

  void InsertScore(OrgId org, Id response_id, const Score& score) {
    ll o = org;
    ll r = response_id;
    double value = score.value.value_or(0);
    soci::indicator value_ind = score.value ? soci::i_ok : soci::i_null;
    int caseness = score.caseness.value_or(false) ? 1 : 0;
    soci::indicator caseness_ind = score.caseness ? soci::i_ok : soci::i_null;
    int answered = score.answered;
    int prorated = score.prorated ? 1 : 0;
    sql << "INSERT INTO scores (org_id, response_id, scale_id, value, band, caseness, answered, "
           "prorated) VALUES (:o, :r, :scale, :v, :band, :c, :a, :p)",
        soci::use(o), soci::use(r), soci::use(score.scale_id), soci::use(value, value_ind),
        soci::use(score.band), soci::use(caseness, caseness_ind), soci::use(answered),
        soci::use(prorated);
  }

  // Therapists or clients: every row checked (`check(row, position)`, position 0 for a single
  // row), then all inserted in one transaction, each with its "<entity>.create" audit entry.
  template <typename Row, typename Check, typename Insert>
  Result<std::vector<Id>> AddAll(OrgId org, const std::vector<Row>& rows, const Actor& actor,
                                 const std::string& entity, Check check, Insert insert) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (auto ok = check(rows[i], rows.size() == 1 ? 0 : i + 1); !ok) return ok.error();
    }
    return Write<std::vector<Id>>([&]() -> Result<std::vector<Id>> {
      if (auto ok = RequireOrganisation(org); !ok) return ok.error();
      std::vector<Id> ids;
      for (const auto& row : rows) {
        ids.push_back(insert(org, row));
        AppendAuditInTx(org, actor, entity + ".create", entity, std::to_string(ids.back()), row.external_id);
      }
      return ids;
    });
  }

  Id InsertTherapist(OrgId org, const Therapist& t) {
    Id id = NextIds(org, "therapists", 1);
    ll o = org;
    ll i = id;
    std::string approaches = EncodeList(t.approaches), style = EncodeMap(t.style),
                languages = EncodeList(t.languages), visible = EncodeList(t.client_visible),
                now = NowUtc();
    int capacity = t.capacity;
    int accepting = t.accepting ? 1 : 0;
    sql << "INSERT INTO therapists (org_id, id, external_id, display_name, approaches, style, "
           "languages, modality, location, capacity, accepting, client_visible, created_at) VALUES "
           "(:o, :i, :x, :d, :ap, :st, :la, :mo, :lo, :ca, :ac, :cv, :now)",
        soci::use(o), soci::use(i), soci::use(t.external_id), soci::use(t.display_name),
        soci::use(approaches), soci::use(style), soci::use(languages), soci::use(t.modality),
        soci::use(t.location), soci::use(capacity), soci::use(accepting), soci::use(visible),
        soci::use(now);
    return id;
  }

  Id InsertClient(OrgId org, const Client& c) {
    Id id = NextIds(org, "clients", 1);
    ll o = org;
    ll i = id;
    std::string concerns = EncodeList(c.concerns), goals = EncodeList(c.goals),
                preferences = EncodeMap(c.preferences), constraints = EncodeList(c.constraints),
                now = NowUtc();
    sql << "INSERT INTO clients (org_id, id, external_id, pseudonym, concerns, goals, preferences, "
           "constraints, created_at) VALUES (:o, :i, :x, :p, :c, :g, :pr, :co, :now)",
        soci::use(o), soci::use(i), soci::use(c.external_id), soci::use(c.pseudonym),
        soci::use(concerns), soci::use(goals), soci::use(preferences), soci::use(constraints),
        soci::use(now);
    return id;
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Backend Store::backend() const { return impl_->target.backend; }

namespace {

// A directory is refused by name. The file itself is never opened here: closing any descriptor of
// a SQLite file drops every POSIX lock this process holds on it (the server's other connections
// then fail with "disk I/O error"), so a file that is not a database is recognised from the
// driver's own refusal (NotADatabase).
Result<void> CheckSqliteFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "--db " + path + " is a directory; expected an Attune (SQLite) database file",
                "db");
  }
  return Ok();
}

bool NotADatabase(const std::string& driver_message) {
  return driver_message.find("file is not a database") != std::string::npos;  // SQLITE_NOTADB
}

}  // namespace

Result<Store> Store::Open(const Target& target, OpenOptions options) {
  if (target.location.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                target.backend == Backend::SQLITE ? "--db is empty; expected a SQLite file path"
                                                  : "--pg is empty; expected a PostgreSQL URL",
                target.backend == Backend::SQLITE ? "db" : "pg");
  }
  if (target.backend == Backend::SQLITE && !options.create &&
      !std::filesystem::exists(target.location)) {
    return Fail(ErrorCode::NOT_FOUND,
                "database file " + target.location + " does not exist (create it with attune db init)",
                "db");
  }
  if (target.backend == Backend::SQLITE) ATTUNE_CHECK(CheckSqliteFile(target.location));
  auto impl = std::make_unique<Impl>();
  impl->target = target;
  impl->dialect = target.backend == Backend::SQLITE ? detail::MakeSqliteDialect()
                                                     : detail::MakePostgresDialect();
  try {
    impl->dialect->Connect(impl->sql, target.location);
  } catch (const std::exception& e) {
    // A PostgreSQL URL may carry a password: name only the SQLite file.
    if (target.backend == Backend::SQLITE && NotADatabase(e.what())) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  "--db " + target.location +
                      " is not an Attune database (not a SQLite file); expected a file made by attune db init",
                  "db");
    }
    std::string where = target.backend == Backend::SQLITE ? "SQLite database " + target.location
                                                          : std::string("PostgreSQL database");
    return Fail(ErrorCode::IO, "cannot open " + where + ": " + e.what(),
                target.backend == Backend::SQLITE ? "db" : "pg");
  }
  Store store(std::move(impl));
  if (options.migrate) {
    auto migrated = store.Migrate();
    if (!migrated) return migrated.error();
  }
  return store;
}

std::vector<Migration> Store::KnownMigrations() {
  std::vector<Migration> known;
  for (const auto& script : ScriptsFor("sqlite")) known.push_back({script.version, script.name});
  return known;
}

Result<MigrationStatus> Store::Status() {
  return impl_->Read<MigrationStatus>([&]() -> Result<MigrationStatus> {
    auto applied = impl_->AppliedVersions();
    MigrationStatus status;
    for (const auto& script : ScriptsFor(impl_->dialect->name())) {
      bool done = std::find(applied.begin(), applied.end(), script.version) != applied.end();
      (done ? status.applied : status.pending).push_back({script.version, script.name});
    }
    for (int version : applied) {
      if (std::none_of(status.applied.begin(), status.applied.end(),
                       [&](const Migration& m) { return m.version == version; })) {
        status.applied.push_back({version, "(unknown to this build)"});
      }
    }
    return status;
  });
}

Result<std::vector<Migration>> Store::Migrate() {
  try {
    impl_->sql << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY "
                  "KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
  } catch (const std::exception& e) {
    return Fail(ErrorCode::IO, std::string("cannot create schema_migrations: ") + e.what());
  }
  auto scripts = ScriptsFor(impl_->dialect->name());
  auto applied = impl_->AppliedVersions();
  if (!applied.empty() && !scripts.empty() && applied.back() > scripts.back().version) {
    return Fail(ErrorCode::FAILED_PRECONDITION,
                fmt::format("database schema version {} is newer than this build knows ({}); "
                            "upgrade attune",
                            applied.back(), scripts.back().version));
  }
  std::vector<Migration> done;
  // Foreign keys are checked per migration before it commits (BrokenForeignKey), then on again.
  try {
    impl_->dialect->ForeignKeysForMigrations(impl_->sql, false);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::IO, std::string("cannot prepare migrations: ") + e.what());
  }
  struct ForeignKeysBack {
    Impl& impl;
    ~ForeignKeysBack() {
      try {
        impl.dialect->ForeignKeysForMigrations(impl.sql, true);
      } catch (...) {  // NOLINT(bugprone-empty-catch): the connection is unusable; the next call says so
      }
    }
  } back{*impl_};
  for (const auto& script : scripts) {
    if (std::find(applied.begin(), applied.end(), script.version) != applied.end()) continue;
    auto step = impl_->Write<bool>([&]() -> Result<bool> {
      // Another process may have applied it while we waited for the write lock.
      int version = script.version;
      int seen = 0;
      impl_->sql << "SELECT version FROM schema_migrations WHERE version = :v", soci::use(version),
          soci::into(seen);
      if (impl_->sql.got_data()) return false;
      impl_->dialect->ExecScript(impl_->sql, script.sql);
      if (std::string table = impl_->dialect->BrokenForeignKey(impl_->sql); !table.empty()) {
        return Fail(ErrorCode::IO, fmt::format("it leaves a row of {} whose foreign key refers to nothing", table));
      }
      std::string name = script.name;
      std::string now = NowUtc();
      impl_->sql << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :a)",
          soci::use(version), soci::use(name), soci::use(now);
      return true;
    });
    if (!step) {
      return Fail(step.error().code, fmt::format("migration {:03}_{} failed: {}", script.version,
                                                 script.name, step.error().message));
    }
    if (*step) done.push_back({script.version, script.name});
  }
  return done;
}

Result<OrgId> Store::CreateOrganisation(const std::string& name, const Actor& actor) {
  if (auto ok = Require(!name.empty(), "name", "organisation name is empty; expected a name"); !ok) {
    return ok.error();
  }
  ATTUNE_CHECK(CheckText(name, "name", TextLines::ONE));
  return impl_->Write<OrgId>([&]() -> Result<OrgId> {
    ll next = 0;
    impl_->sql << "SELECT COALESCE(MAX(org_id), 0) + 1 FROM organisations", soci::into(next);
    std::string now = NowUtc();
    impl_->sql << "INSERT INTO organisations (org_id, name, created_at) VALUES (:o, :n, :c)",
        soci::use(next), soci::use(name), soci::use(now);
    OrgId org = next;
    impl_->AppendAuditInTx(org, actor, "organisation.create", "organisation", std::to_string(org),
                           name);
    return org;
  });
}

Result<std::vector<Organisation>> Store::ListOrganisations() {
  return impl_->Read<std::vector<Organisation>>([&]() -> Result<std::vector<Organisation>> {
    std::vector<Organisation> out;
    ll id = 0, choice = 1;
    std::string name, created, settings;
    soci::statement st = (impl_->sql.prepare << "SELECT org_id, name, created_at, client_choice, monitor_settings "
                                                "FROM organisations ORDER BY org_id",
                          soci::into(id), soci::into(name), soci::into(created), soci::into(choice),
                          soci::into(settings));
    st.execute();
    while (st.fetch()) out.push_back({id, name, created, choice != 0, settings});
    return out;
  });
}

Result<Organisation> Store::GetOrganisation(OrgId org) {
  return impl_->Read<Organisation>([&]() -> Result<Organisation> {
    ll id = org, choice = 1;
    std::string name, created, settings;
    impl_->sql << "SELECT name, created_at, client_choice, monitor_settings FROM organisations WHERE org_id = :o",
        soci::use(id), soci::into(name), soci::into(created), soci::into(choice), soci::into(settings);
    if (!impl_->sql.got_data()) {
      return Fail(ErrorCode::NOT_FOUND, fmt::format("organisation {} does not exist", org), "org");
    }
    return Organisation{org, name, created, choice != 0, settings};
  });
}

Result<Organisation> Store::SetClientChoice(OrgId org, bool allow, const Actor& actor) {
  ATTUNE_TRY(organisation, GetOrganisation(org));  // NOT_FOUND before anything is written
  ATTUNE_CHECK(impl_->Write<bool>([&]() -> Result<bool> {
    const ll value = allow ? 1 : 0;
    ll o = org;
    impl_->sql << "UPDATE organisations SET client_choice = :c WHERE org_id = :o", soci::use(value), soci::use(o);
    impl_->AppendAuditInTx(org, actor, "organisation.settings", "organisation", std::to_string(org),
                           allow ? "client_choice=on" : "client_choice=off");
    return true;
  }));
  organisation.client_choice = allow;
  return organisation;
}

Result<Organisation> Store::SetMonitorSettings(OrgId org, const std::string& settings, const Actor& actor) {
  return ChangeMonitorSettings(org, [&](const std::string&) -> Result<std::string> { return settings; }, actor);
}

Result<Organisation> Store::ChangeMonitorSettings(
    OrgId org, const std::function<Result<std::string>(const std::string&)>& change, const Actor& actor) {
  ATTUNE_TRY(organisation, GetOrganisation(org));  // NOT_FOUND before anything is written
  ATTUNE_TRY(settings, impl_->Write<std::string>([&]() -> Result<std::string> {
    ll o = org;
    std::string current;
    impl_->sql << std::string("SELECT monitor_settings FROM organisations WHERE org_id = :o") +
                      impl_->dialect->ForUpdate(),
        soci::use(o), soci::into(current);
    ATTUNE_TRY(next, change(current));
    if (next == current) return next;  // nothing changed: nothing written, nothing audited
    impl_->sql << "UPDATE organisations SET monitor_settings = :s WHERE org_id = :o", soci::use(next), soci::use(o);
    impl_->AppendAuditInTx(org, actor, "organisation.monitor_settings", "organisation", std::to_string(org), next);
    return next;
  }));
  organisation.monitor_settings = settings;
  return organisation;
}

Result<Id> Store::AddUser(OrgId org, const User& user, const Actor& actor) {
  ATTUNE_CHECK(detail::CheckUser(user));
  return NamingTheValue(impl_->Write<Id>([&]() -> Result<Id> {
    if (auto ok = impl_->RequireOrganisation(org); !ok) return ok.error();
    ll o = org;
    // One user per handle whatever its ASCII case ("Coord" beside "coord" would be two accounts
    // that read as one). The organisation's row is locked first so that two such handles added at
    // once are checked one after the other.
    ll locked = 0;
    impl_->sql << std::string("SELECT org_id FROM organisations WHERE org_id = :o") + impl_->dialect->ForUpdate(),
        soci::use(o), soci::into(locked);
    std::string existing;
    soci::statement handles =
        (impl_->sql.prepare << "SELECT handle FROM users WHERE org_id = :o", soci::use(o), soci::into(existing));
    handles.execute();
    while (handles.fetch()) {
      if (existing != user.handle && detail::SameHandle(existing, user.handle)) {
        return Fail(ErrorCode::ALREADY_EXISTS,
                    fmt::format("handle is already taken by \"{}\" (handles differ in more than upper and lower "
                                "case); expected a handle no other user of the organisation has",
                                existing),
                    "handle");
      }
    }
    Id id = impl_->NextIds(org, "users", 1);
    ll i = id;
    std::string role = RoleName(user.role);
    std::string now = NowUtc();
    impl_->sql << "INSERT INTO users (org_id, id, handle, role, created_at) VALUES (:o, :i, :h, :r, :c)",
        soci::use(o), soci::use(i), soci::use(user.handle), soci::use(role), soci::use(now);
    impl_->AppendAuditInTx(org, actor, "user.create", "user", std::to_string(id),
                           user.handle + " as " + role);
    return id;
  }), "handle", user.handle);
}

Result<Id> Store::AddTherapist(OrgId org, const Therapist& therapist, const Actor& actor) {
  auto ids = NamingTheValue(AddTherapists(org, {therapist}, actor), "external_id", therapist.external_id);
  if (!ids) return ids.error();
  return ids->front();
}

Result<std::vector<Id>> Store::AddTherapists(OrgId org, const std::vector<Therapist>& therapists,
                                             const Actor& actor) {
  return impl_->AddAll(org, therapists, actor, "therapist", detail::CheckTherapist,
                       [this](OrgId o, const Therapist& t) { return impl_->InsertTherapist(o, t); });
}

Result<Id> Store::AddClient(OrgId org, const Client& client, const Actor& actor) {
  auto ids = NamingTheValue(AddClients(org, {client}, actor), "external_id", client.external_id);
  if (!ids) return ids.error();
  return ids->front();
}

Result<std::vector<Id>> Store::AddClients(OrgId org, const std::vector<Client>& clients,
                                          const Actor& actor) {
  return impl_->AddAll(org, clients, actor, "client", detail::CheckClient,
                       [this](OrgId o, const Client& c) { return impl_->InsertClient(o, c); });
}

Result<Id> Store::AddEpisode(OrgId org, const Episode& episode, const Actor& actor, const EpisodeGuard& guard) {
  ATTUNE_CHECK(detail::CheckEpisode(episode, 0, Latest()));
  return impl_->Write<Id>([&]() -> Result<Id> {
    std::string remark;
    if (guard) {
      ATTUNE_TRY(stored, impl_->EpisodesLockedFor(org, episode));
      ATTUNE_TRY(said, guard(stored));
      remark = said;
    }
    Id id = impl_->NextIds(org, "episodes", 1);
    ll o = org, i = id, c = episode.client_id, t = episode.therapist_id;
    std::string ended = episode.ended_on;
    soci::indicator ended_ind = ended.empty() ? soci::i_null : soci::i_ok;
    std::string now = NowUtc();
    impl_->sql << "INSERT INTO episodes (org_id, id, client_id, therapist_id, started_on, ended_on, "
                  "status, assigned_by, created_at, note) VALUES (:o, :i, :c, :t, :s, :e, :st, :a, :now, :n)",
        soci::use(o), soci::use(i), soci::use(c), soci::use(t), soci::use(episode.started_on),
        soci::use(ended, ended_ind), soci::use(episode.status), soci::use(episode.assigned_by),
        soci::use(now), soci::use(episode.note);
    impl_->AppendAuditInTx(org, actor, "episode.create", "episode", std::to_string(id),
                           fmt::format("client {} with therapist {} ({}, {}){}", c, t, episode.assigned_by,
                                       episode.status, remark.empty() ? "" : "; " + remark));
    return id;
  });
}

Result<Episode> Store::ChangeEpisode(OrgId org, Id id, const EpisodeDecider& decide, const Actor& actor) {
  return impl_->Write<Episode>([&]() -> Result<Episode> {
    ATTUNE_TRY(current, (impl_->FindByIdInTx<EpisodeRow, Episode>(org, id, "episodes", "episode", true)));
    ATTUNE_TRY(stored, impl_->EpisodesLockedFor(org, current));
    ATTUNE_TRY(change, decide(current, stored));
    Episode& next = change.episode;
    if (next.client_id != current.client_id || next.therapist_id != current.therapist_id ||
        next.assigned_by != current.assigned_by) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("episode {}: a decision changes its status, dates and note, not its client, therapist "
                              "or assigner",
                              id),
                  "id");
    }
    ATTUNE_CHECK(detail::CheckEpisode(next, 0, Latest()));
    ll o = org, i = id;
    std::string ended = next.ended_on;
    soci::indicator ended_ind = ended.empty() ? soci::i_null : soci::i_ok;
    impl_->sql << "UPDATE episodes SET started_on = :s, ended_on = :e, status = :st, note = :n "
                  "WHERE org_id = :o AND id = :i",
        soci::use(next.started_on), soci::use(ended, ended_ind), soci::use(next.status), soci::use(next.note),
        soci::use(o), soci::use(i);
    impl_->AppendAuditInTx(org, actor, change.action, "episode", std::to_string(id), change.detail);
    next.org_id = org;
    next.id = id;
    return next;
  });
}

Result<Id> Store::AddSession(OrgId org, const Session& session, const Actor& actor, const SessionGuard& guard) {
  ATTUNE_CHECK(CheckHeldAt(session, 0, Latest()));
  auto added = impl_->Write<Id>([&]() -> Result<Id> {
    if (guard) {
      ATTUNE_TRY(episode, (impl_->FindByIdInTx<EpisodeRow, Episode>(org, session.episode_id, "episodes", "episode",
                                                                    true)));
      ATTUNE_TRY(stored, ListSessions(org, session.episode_id));
      ATTUNE_CHECK(guard(episode, stored));
    }
    Id id = impl_->NextIds(org, "sessions", 1);
    ll o = org, i = id, e = session.episode_id;
    int number = session.number;
    impl_->sql << "INSERT INTO sessions (org_id, id, episode_id, number, held_at) VALUES "
                  "(:o, :i, :e, :n, :h)",
        soci::use(o), soci::use(i), soci::use(e), soci::use(number), soci::use(session.held_at);
    impl_->AppendAuditInTx(org, actor, "session.create", "session", std::to_string(id),
                           fmt::format("episode {} session {}", e, number));
    return id;
  });
  if (!added && added.error().code == ErrorCode::ALREADY_EXISTS && added.error().field == "number") {
    return Fail(ErrorCode::ALREADY_EXISTS,
                fmt::format("number {}: episode {} already has a session {}; expected a session number it does "
                            "not have yet",
                            session.number, session.episode_id, session.number),
                "number");
  }
  return added;
}

Result<Id> Store::AddAlert(OrgId org, const Alert& alert, const Actor& actor) {
  return impl_->Write<Id>([&]() -> Result<Id> {
    Id id = impl_->NextIds(org, "alerts", 1);
    ll o = org, i = id, e = alert.episode_id, c = alert.client_id.value_or(0), r = alert.response_id.value_or(0);
    soci::indicator e_ind = alert.episode_id ? soci::i_ok : soci::i_null;
    soci::indicator c_ind = alert.client_id ? soci::i_ok : soci::i_null;
    soci::indicator r_ind = alert.response_id ? soci::i_ok : soci::i_null;
    std::string ack = alert.acknowledged_at;
    soci::indicator ack_ind = ack.empty() ? soci::i_null : soci::i_ok;
    impl_->sql << "INSERT INTO alerts (org_id, id, episode_id, client_id, response_id, kind, severity, detail, "
                  "raised_at, acknowledged_at) VALUES (:o, :i, :e, :c, :r, :k, :s, :d, :ra, :ack)",
        soci::use(o), soci::use(i), soci::use(e, e_ind), soci::use(c, c_ind), soci::use(r, r_ind),
        soci::use(alert.kind), soci::use(alert.severity), soci::use(alert.detail), soci::use(alert.raised_at),
        soci::use(ack, ack_ind);
    impl_->AppendAuditInTx(org, actor, "alert.create", "alert", std::to_string(id), alert.kind);
    return id;
  });
}

Result<Id> Store::AddTrainingRecord(OrgId org, const TrainingRecord& record, const Actor& actor) {
  if (auto ok = Require(record.minutes >= 0, "minutes",
                        fmt::format("minutes is {}; expected 0 or more", record.minutes));
      !ok) {
    return ok.error();
  }
  ATTUNE_CHECK(detail::CheckTrainingRecord(record));
  return impl_->Write<Id>([&]() -> Result<Id> {
    Id id = impl_->NextIds(org, "training_records", 1);
    ll o = org, i = id, t = record.therapist_id;
    int minutes = record.minutes;
    impl_->sql << "INSERT INTO training_records (org_id, id, therapist_id, kind, minutes, "
                  "completed_on, note) VALUES (:o, :i, :t, :k, :m, :c, :n)",
        soci::use(o), soci::use(i), soci::use(t), soci::use(record.kind), soci::use(minutes),
        soci::use(record.completed_on), soci::use(record.note);
    impl_->AppendAuditInTx(org, actor, "training.create", "training_record", std::to_string(id),
                           fmt::format("therapist {}: {} min {}", t, minutes, record.kind));
    return id;
  });
}

Result<Therapist> Store::GetTherapist(OrgId org, Id id) {
  return impl_->GetById<TherapistRow, Therapist>(org, id, "therapists", "therapist");
}

Result<std::vector<Therapist>> Store::ListTherapists(OrgId org) {
  return impl_->ListAll<TherapistRow, Therapist>(org, "therapists");
}

Result<Client> Store::GetClient(OrgId org, Id id) {
  return impl_->GetById<ClientRow, Client>(org, id, "clients", "client");
}

Result<std::vector<Client>> Store::ListClients(OrgId org) {
  return impl_->ListAll<ClientRow, Client>(org, "clients");
}

Result<Episode> Store::GetEpisode(OrgId org, Id id) {
  return impl_->GetById<EpisodeRow, Episode>(org, id, "episodes", "episode");
}

Result<std::vector<Episode>> Store::ListEpisodes(OrgId org) {
  return impl_->ListAll<EpisodeRow, Episode>(org, "episodes");
}

Result<std::vector<Alert>> Store::ListAlerts(OrgId org) { return ListAlertsWithEvidence(org, std::nullopt); }

Result<std::vector<TrainingRecord>> Store::ListTrainingRecords(OrgId org, Id therapist_id) {
  return impl_->Read<std::vector<TrainingRecord>>([&]() -> Result<std::vector<TrainingRecord>> {
    std::vector<TrainingRecord> out;
    ll o = org, t = therapist_id, id = 0;
    int minutes = 0;
    std::string kind, completed, note;
    soci::statement st =
        (impl_->sql.prepare << "SELECT id, kind, minutes, completed_on, note FROM training_records "
                               "WHERE org_id = :o AND therapist_id = :t ORDER BY id",
         soci::into(id), soci::into(kind), soci::into(minutes), soci::into(completed),
         soci::into(note), soci::use(o), soci::use(t));
    st.execute();
    while (st.fetch()) out.push_back({org, id, therapist_id, kind, minutes, completed, note});
    return out;
  });
}

namespace {

Result<void> CheckResponse(const Response& r, const LatestDone& latest) {
  if (r.idempotency_key.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "idempotency_key is empty; expected a key unique in the organisation",
                "idempotency_key");
  }
  ATTUNE_CHECK(CheckText(r.idempotency_key, "idempotency_key", TextLines::ONE));
  if (r.instrument_id.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "instrument_id is empty; expected an instrument id",
                "instrument_id");
  }
  if (r.answers.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "answers are empty; expected one per item", "answers");
  }
  if (r.answered_at.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "answered_at is empty; expected an ISO-8601 time",
                "answered_at");
  }
  // As the API refuses a submission (docs/api.md): a form is answered before it is stored.
  return detail::NotInFuture("", "answered_at", r.answered_at, latest, "the time the form was answered");
}

}  // namespace

// Stores one response inside the caller's open transaction (Store::SubmitResponse and the
// group commit of Store::SubmitResponses share it).
Result<SubmitOutcome> Store::Impl::SubmitInTx(OrgId org, const ScoredResponse& scored, const Actor& actor) {
  const Response& r = scored.response;
  const std::string answers = EncodeAnswers(r.answers);
  if (auto existing = ResponseByKey(org, r.idempotency_key)) return ReplayOf(org, *existing, r);
  if (auto ok = RequireOrganisation(org); !ok) return ok.error();
  if (scored.history) {
    // The alerts were decided from this history: store them only if it is still the history.
    // The caller locked the subject when the transaction began.
    if (SubjectHistoryInTx(org, r.subject_id) != *scored.history) {
      SubmitOutcome stale;
      stale.stale = true;
      return stale;
    }
  }
  Id id = NextIds(org, "responses", 1);
  ll o = org, i = id, respondent_id = r.respondent_id, subject_id = r.subject_id,
     episode = r.episode_id.value_or(0), session = r.session_id.value_or(0);
  soci::indicator episode_ind = r.episode_id ? soci::i_ok : soci::i_null;
  soci::indicator session_ind = r.session_id ? soci::i_ok : soci::i_null;
  std::string respondent = RespondentName(r.respondent);
  std::string now = NowUtc();
  sql << "INSERT INTO responses (org_id, id, instrument_id, instrument_version, respondent, "
                "respondent_id, subject_id, episode_id, session_id, answered_at, answers, "
                "idempotency_key, created_at) VALUES (:o, :i, :inst, :ver, :resp, :rid, :sid, "
                ":eid, :sess, :at, :ans, :key, :now)",
      soci::use(o), soci::use(i), soci::use(r.instrument_id), soci::use(r.instrument_version),
      soci::use(respondent), soci::use(respondent_id), soci::use(subject_id),
      soci::use(episode, episode_ind), soci::use(session, session_ind), soci::use(r.answered_at),
      soci::use(answers), soci::use(r.idempotency_key), soci::use(now);
  SubmitOutcome outcome{id, false, {}, {}};
  for (const auto& score : scored.scores) {
    InsertScore(org, id, score);
    Score stored = score;
    stored.org_id = org;
    stored.response_id = id;
    outcome.scores.push_back(std::move(stored));
  }
  std::sort(outcome.scores.begin(), outcome.scores.end(),
            [](const Score& a, const Score& b) { return a.scale_id < b.scale_id; });
  // The alerts' ids in one reservation, and the response's and alerts' audit entries in one pass
  // over the hash chain (in that order).
  std::vector<AuditRecord> audit{AuditRecord{actor, "response.create", "response", std::to_string(id),
                                             r.instrument_id + " key " + r.idempotency_key}};
  if (!scored.alerts.empty()) {
    Id alert_id = NextIds(org, "alerts", static_cast<ll>(scored.alerts.size()));
    for (const auto& alert : scored.alerts) {
      Alert row = alert;
      row.response_id = id;
      InsertAlertRowInTx(org, alert_id, row);
      audit.push_back(AlertCreated(actor, alert_id, row));
      outcome.alert_ids.push_back(alert_id++);
    }
  }
  AppendAuditManyInTx(org, audit);
  return outcome;
}

// The outcome of a key seen before: the first submission's, or CONFLICT for a different response.
// A replay answers the first submission's ids, scores and alerts, so it must be the same
// response: the same person answering about the same subject in the same episode and session,
// the same instrument and answers (the time may be stamped again on a retry). Otherwise another
// client's key would be answered with that client's response. The refusal does not say whose or
// which response holds the key.
Result<SubmitOutcome> Store::Impl::ReplayOf(OrgId org, const Response& first, const Response& r) {
  const bool same = first.instrument_id == r.instrument_id && first.subject_id == r.subject_id &&
                    first.respondent_id == r.respondent_id && first.episode_id == r.episode_id &&
                    first.session_id == r.session_id && EncodeAnswers(first.answers) == EncodeAnswers(r.answers);
  if (!same) {
    return Fail(ErrorCode::CONFLICT,
                fmt::format("idempotency_key '{}' was already used for a different response; expected a new key "
                            "for a new response (a retry must repeat the same instrument, subject, episode, "
                            "session and answers)",
                            r.idempotency_key),
                "idempotency_key");
  }
  // The first submission's alerts too: a client retrying after a lost answer is told of the risk
  // item the first one raised.
  std::vector<Id> alert_ids;
  IdRow row;
  ll o = org;
  ll response = first.id;
  Query(sql, "SELECT id FROM alerts WHERE org_id = :o AND response_id = :r ORDER BY id", row,
        [&] { alert_ids.push_back(row.id); }, o, response);
  return SubmitOutcome{first.id, true, Scores(org, first.id), std::move(alert_ids)};
}

Result<SubmitOutcome> Store::SubmitResponse(OrgId org, const ScoredResponse& scored,
                                            const Actor& actor) {
  const Response& r = scored.response;
  if (auto ok = CheckResponse(r, Latest()); !ok) return ok.error();
  auto attempt = impl_->Write<SubmitOutcome>([&]() -> Result<SubmitOutcome> {
    if (scored.history) impl_->dialect->LockSubject(impl_->sql, org, static_cast<ll>(r.subject_id));
    return impl_->SubmitInTx(org, scored, actor);
  });
  if (!attempt && attempt.error().code == ErrorCode::ALREADY_EXISTS) {
    // A concurrent submission with the same key committed first (PostgreSQL): replay it.
    auto first = impl_->Read<std::optional<Response>>(
        [&]() -> Result<std::optional<Response>> { return impl_->ResponseByKey(org, r.idempotency_key); });
    if (first && *first) return impl_->ReplayOf(org, **first, r);
  }
  return attempt;
}

Result<std::vector<Result<SubmitOutcome>>> Store::SubmitResponses(
    OrgId org, const std::vector<std::pair<ScoredResponse, Actor>>& batch) {
  std::vector<Result<SubmitOutcome>> outcomes;
  outcomes.reserve(batch.size());
  const LatestDone latest = Latest();
  for (const auto& [scored, actor] : batch) {
    auto ok = CheckResponse(scored.response, latest);
    outcomes.push_back(ok ? Result<SubmitOutcome>(SubmitOutcome{}) : Result<SubmitOutcome>(ok.error()));
  }
  auto written = impl_->Write<bool>([&]() -> Result<bool> {
    // Every subject whose history is checked, locked first and in one order: a submission's
    // subject lock is otherwise taken after an earlier one's id counter and audit head, and two
    // writers could each hold what the other waits for.
    std::vector<Id> subjects;
    for (const auto& [scored, actor] : batch) {
      if (scored.history) subjects.push_back(scored.response.subject_id);
    }
    std::sort(subjects.begin(), subjects.end());
    subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
    for (Id subject : subjects) impl_->dialect->LockSubject(impl_->sql, org, static_cast<ll>(subject));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!outcomes[i]) continue;
      // Each submission in its own savepoint: one refused (conflict, missing episode) leaves the
      // others in the batch intact.
      impl_->sql << "SAVEPOINT submit_one";
      try {
        outcomes[i] = impl_->SubmitInTx(org, batch[i].first, batch[i].second);
      } catch (const soci::soci_error& e) {
        outcomes[i] = impl_->dialect->IsUniqueViolation(e)
                          ? Result<SubmitOutcome>(UniqueViolation(e))
                          : Fail(ErrorCode::IO, std::string("database write failed: ") + e.what());
      }
      impl_->sql << (outcomes[i] ? "RELEASE SAVEPOINT submit_one" : "ROLLBACK TO SAVEPOINT submit_one");
      if (!outcomes[i]) impl_->sql << "RELEASE SAVEPOINT submit_one";
    }
    return true;
  });
  if (!written) return written.error();
  return outcomes;
}

namespace {

// Reads alerts with every lifecycle column (note, evidence, resolved_at) for `where`; `lock` (the
// dialect's FOR UPDATE) for a write deciding from the alert's state: on PostgreSQL eight
// acknowledgements at once all read it open and all succeeded, each note overwriting the last.
std::vector<Alert> ReadAlerts(soci::session& sql, OrgId org, const std::string& where, ll key,
                              const char* lock = "") {
  AlertWithNoteRow row;
  ll o = org;
  std::vector<Alert> out;
  Query(sql,
        "SELECT " + AlertWithNoteRow::Columns() + " FROM alerts WHERE org_id = :o AND " + where + " ORDER BY id" + lock,
        row, [&] { out.push_back(row.ToDomain(org)); }, o, key);
  return out;
}

}  // namespace

Result<std::vector<Alert>> Store::ListAlertsWithEvidence(OrgId org, std::optional<Id> episode_id) {
  return impl_->Read<std::vector<Alert>>([&]() -> Result<std::vector<Alert>> {
    if (episode_id) return ReadAlerts(impl_->sql, org, "episode_id = :k", *episode_id);
    return ReadAlerts(impl_->sql, org, "id > :k", 0);
  });
}

Result<Alert> Store::AcknowledgeAlertWithNote(OrgId org, Id id, const std::string& note, const Actor& actor) {
  if (note.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("alert {}: note is empty; expected what was done or decided", id), "note");
  }
  ATTUNE_CHECK(CheckText(note, "note", TextLines::MANY));
  return impl_->Write<Alert>([&]() -> Result<Alert> {
    auto found = ReadAlerts(impl_->sql, org, "id = :k", id, impl_->dialect->ForUpdate());
    if (found.empty()) {
      return Fail(ErrorCode::NOT_FOUND, fmt::format("alert {} not found in organisation {}", id, org), "id");
    }
    if (!found[0].acknowledged_at.empty() || !found[0].resolved_at.empty()) {
      return Fail(ErrorCode::CONFLICT, fmt::format("alert {} is not open (acknowledged at {})", id,
                                                   found[0].acknowledged_at), "id");
    }
    ll o = org, i = id;
    std::string now = NowUtc();
    impl_->sql << "UPDATE alerts SET acknowledged_at = :a, note = :n WHERE org_id = :o AND id = :i",
        soci::use(now), soci::use(note), soci::use(o), soci::use(i);
    impl_->AppendAuditInTx(org, actor, "alert.acknowledge", "alert", std::to_string(id), note);
    Alert a = found[0];
    a.acknowledged_at = now;
    a.note = note;
    return a;
  });
}

Result<Alert> Store::ResolveAlertWithNote(OrgId org, Id id, const std::string& note, const Actor& actor) {
  ATTUNE_CHECK(CheckText(note, "note", TextLines::MANY));
  return impl_->Write<Alert>([&]() -> Result<Alert> {
    auto found = ReadAlerts(impl_->sql, org, "id = :k", id, impl_->dialect->ForUpdate());
    if (found.empty()) {
      return Fail(ErrorCode::NOT_FOUND, fmt::format("alert {} not found in organisation {}", id, org), "id");
    }
    if (found[0].acknowledged_at.empty() || !found[0].resolved_at.empty()) {
      return Fail(ErrorCode::CONFLICT,
                  fmt::format("alert {} is {}; expected an acknowledged alert", id,
                              found[0].acknowledged_at.empty() ? "open (acknowledge it first)" : "resolved already"),
                  "id");
    }
    ll o = org, i = id;
    std::string now = NowUtc();
    std::string combined = note.empty() ? found[0].note : found[0].note + "\n" + note;
    impl_->sql << "UPDATE alerts SET resolved_at = :r, note = :n WHERE org_id = :o AND id = :i",
        soci::use(now), soci::use(combined), soci::use(o), soci::use(i);
    impl_->AppendAuditInTx(org, actor, "alert.resolve", "alert", std::to_string(id), note);
    Alert a = found[0];
    a.resolved_at = now;
    a.note = combined;
    return a;
  });
}

Result<void> Store::PutFittedModel(OrgId org, const std::string& name, const std::string& body,
                                   const Actor& actor) {
  return impl_->Write<void>([&]() -> Result<void> {
    if (auto ok = impl_->RequireOrganisation(org); !ok) return ok.error();
    ll o = org;
    std::string now = NowUtc();
    impl_->sql << "DELETE FROM fitted_models WHERE org_id = :o AND name = :n", soci::use(o), soci::use(name);
    impl_->sql << "INSERT INTO fitted_models (org_id, name, fitted_at, body) VALUES (:o, :n, :f, :b)",
        soci::use(o), soci::use(name), soci::use(now), soci::use(body);
    impl_->AppendAuditInTx(org, actor, "model.fit", "fitted_model", name, fmt::format("{} bytes", body.size()));
    return Ok();
  });
}

Result<std::optional<std::string>> Store::GetFittedModel(OrgId org, const std::string& name) {
  return impl_->Read<std::optional<std::string>>([&]() -> Result<std::optional<std::string>> {
    ll o = org;
    std::string body;
    impl_->sql << "SELECT body FROM fitted_models WHERE org_id = :o AND name = :n", soci::use(o),
        soci::use(name), soci::into(body);
    if (!impl_->sql.got_data()) return std::optional<std::string>();
    return std::optional<std::string>(body);
  });
}

Result<std::int64_t> Store::ImportResponses(OrgId org, const ResponseSource& next,
                                            const std::string& source, const Actor& actor) {
  auto imported = ImportResponsesInTx(org, next, source, actor);
  if (!imported && imported.error().code == ErrorCode::ALREADY_EXISTS) {
    return Fail(ErrorCode::ALREADY_EXISTS,
                fmt::format("an idempotency key in {} is already stored or repeated in it; nothing "
                            "was imported",
                            source.empty() ? std::string("the import") : source),
                "key");
  }
  return imported;
}

namespace {

// A bulk load's plain secondary indexes (Dialect::DeferrableIndexes), dropped once the load has
// written at least as many rows as the table held before it and at least kAfterRows, then
// rebuilt after its last row in the same transaction: one sort beats a million scattered index
// inserts, and the rebuild never costs more than about twice the rows loaded. Small loads into a
// large table never touch the schema.
class DeferredIndexes {
 public:
  static constexpr std::int64_t kAfterRows = 65536;

  DeferredIndexes(soci::session& sql, detail::Dialect& dialect, std::string table)
      : sql_(sql), table_(std::move(table)), indexes_(dialect.DeferrableIndexes(sql, table_)) {}

  //! Called after each batch with the rows this load has written so far.
  void Written(std::int64_t rows) {
    if (indexes_.empty() || dropped_ || rows < kAfterRows) return;
    if (!rows_before_) {
      ll count = 0;
      sql_ << "SELECT COUNT(*) FROM " + table_, soci::into(count);
      rows_before_ = count - rows;
    }
    if (rows < *rows_before_) return;
    for (const auto& index : indexes_) sql_ << "DROP INDEX \"" + index.first + "\"";
    dropped_ = true;
  }

  //! Rebuilds what was dropped; call after the last row, before the commit.
  void Rebuild() {
    if (!dropped_) return;
    for (const auto& index : indexes_) sql_ << index.second;
    dropped_ = false;
  }

 private:
  soci::session& sql_;
  std::string table_;
  std::vector<std::pair<std::string, std::string>> indexes_;
  std::optional<std::int64_t> rows_before_;
  bool dropped_ = false;
};

}  // namespace

Result<std::int64_t> Store::ImportResponsesInTx(OrgId org, const ResponseSource& next,
                                                const std::string& source, const Actor& actor) {
  return impl_->Write<std::int64_t>([&]() -> Result<std::int64_t> {
    if (auto ok = impl_->RequireOrganisation(org); !ok) return ok.error();
    // Pulled in chunks so ids are allocated with one counter update per chunk; each chunk's
    // rows go through the dialect's multi-row INSERTs, responses before their scores (the
    // scores' foreign key), text bound straight from the chunk (alive until Flush).
    constexpr std::size_t kChunk = 8192;
    auto responses = impl_->dialect->PrepareBulkInsert(
        impl_->sql, "responses",
        {"org_id", "id", "instrument_id", "instrument_version", "respondent", "respondent_id", "subject_id",
         "episode_id", "session_id", "answered_at", "answers", "idempotency_key", "created_at"});
    auto scores = impl_->dialect->PrepareBulkInsert(
        impl_->sql, "scores",
        {"org_id", "response_id", "scale_id", "value", "band", "caseness", "answered", "prorated"});
    DeferredIndexes deferred(impl_->sql, *impl_->dialect, "responses");
    auto optional = [](const auto& value) -> detail::BulkValue {
      if (!value) return std::monostate{};
      return static_cast<std::int64_t>(*value);
    };
    std::int64_t total = 0;
    Id first_id = 0;
    Id last_id = 0;
    const std::string now = NowUtc();
    const LatestDone latest = Latest();  // one clock reading for the load: a comparison per row
    std::vector<Alert> alerts;  // the rows' risk alerts, response_id set, stored after the rows
    std::vector<ScoredResponse> chunk(kChunk);
    std::vector<std::string> answers(kChunk);
    bool more = true;
    while (more) {
      std::size_t filled = 0;
      while (filled < kChunk) {
        auto got = next(chunk[filled]);
        if (!got) return got.error();
        if (!*got) {
          more = false;
          break;
        }
        if (auto ok = CheckResponse(chunk[filled].response, latest); !ok) {
          Error error = ok.error();
          error.message = fmt::format("response {}: {}", total + static_cast<std::int64_t>(filled) + 1,
                                      error.message);
          return error;
        }
        ++filled;
      }
      if (filled == 0) break;
      const Id base = impl_->NextIds(org, "responses", static_cast<ll>(filled));
      if (first_id == 0) first_id = base;
      last_id = base + static_cast<Id>(filled) - 1;
      for (std::size_t k = 0; k < filled; ++k) {
        const Response& r = chunk[k].response;
        detail::EncodeAnswersInto(r.answers, answers[k]);
        const detail::BulkValue row[] = {org,
                                         base + static_cast<Id>(k),
                                         r.instrument_id,
                                         r.instrument_version,
                                         RespondentName(r.respondent),
                                         r.respondent_id,
                                         r.subject_id,
                                         optional(r.episode_id),
                                         optional(r.session_id),
                                         r.answered_at,
                                         answers[k],
                                         r.idempotency_key,
                                         now};
        responses->Add(row);
      }
      responses->Flush();
      for (std::size_t k = 0; k < filled; ++k) {
        for (const Score& score : chunk[k].scores) {
          const detail::BulkValue row[] = {
              org,
              base + static_cast<Id>(k),
              score.scale_id,
              score.value ? detail::BulkValue(*score.value) : detail::BulkValue(std::monostate{}),
              score.band,
              optional(score.caseness),
              std::int64_t{score.answered},
              std::int64_t{score.prorated ? 1 : 0}};
          scores->Add(row);
        }
      }
      scores->Flush();
      for (std::size_t k = 0; k < filled; ++k) {
        for (const Alert& alert : chunk[k].alerts) {
          alerts.push_back(alert);
          alerts.back().response_id = base + static_cast<Id>(k);
        }
      }
      total += static_cast<std::int64_t>(filled);
      deferred.Written(total);
    }
    deferred.Rebuild();
    std::vector<AuditRecord> audit{AuditRecord{actor, "responses.import", "response",
                                               total == 0 ? "" : fmt::format("{}-{}", first_id, last_id),
                                               fmt::format("{} responses from {}", total, source)}};
    if (!alerts.empty()) {
      Id alert_id = impl_->NextIds(org, "alerts", static_cast<ll>(alerts.size()));
      for (const Alert& alert : alerts) {
        impl_->InsertAlertRowInTx(org, alert_id, alert);
        audit.push_back(Impl::AlertCreated(actor, alert_id++, alert));
      }
    }
    impl_->AppendAuditManyInTx(org, audit);
    return total;
  });
}

Result<Response> Store::GetResponse(OrgId org, Id id) {
  return impl_->GetById<ResponseRow, Response>(org, id, "responses", "response");
}

Result<std::optional<Response>> Store::FindResponseByKey(OrgId org, const std::string& key) {
  return impl_->Read<std::optional<Response>>(
      [&]() -> Result<std::optional<Response>> { return impl_->ResponseByKey(org, key); });
}

Result<std::vector<Response>> Store::ListResponses(OrgId org, const ResponseFilter& filter) {
  return impl_->Read<std::vector<Response>>([&]() -> Result<std::vector<Response>> {
    ResponseRow row;
    ll o = org;
    int any_instrument = filter.instrument_id.empty() ? 1 : 0;
    std::string instrument = filter.instrument_id;
    int any_subject = filter.subject_id ? 0 : 1;
    ll subject = filter.subject_id.value_or(0);
    int any_episode = filter.episode_id ? 0 : 1;
    ll episode = filter.episode_id.value_or(0);
    std::string query = std::string("SELECT ") + ResponseRow::kColumns +
                        " FROM responses WHERE org_id = :o AND (:ai = 1 OR instrument_id = :inst) "
                        "AND (:as = 1 OR subject_id = :sub) AND (:ae = 1 OR episode_id = :ep) "
                        "ORDER BY id";
    if (filter.limit > 0) query += fmt::format(" LIMIT {}", filter.limit);
    std::vector<Response> out;
    Query(impl_->sql, query, row, [&] { out.push_back(row.ToDomain(org)); }, o, any_instrument,
          instrument, any_subject, subject, any_episode, episode);
    return out;
  });
}

Result<std::int64_t> Store::ForEachResponse(OrgId org,
                                            const std::function<void(const Response&)>& visit) {
  return impl_->Read<std::int64_t>([&]() -> Result<std::int64_t> {
    ResponseRow row;
    ll o = org;
    std::int64_t count = 0;
    Query(impl_->sql,
          std::string("SELECT ") + ResponseRow::kColumns + " FROM responses WHERE org_id = :o ORDER BY id",
          row,
          [&] {
            visit(row.ToDomain(org));
            ++count;
          },
          o);
    return count;
  });
}

Result<std::vector<Score>> Store::ScoresOf(OrgId org, Id response_id) {
  return impl_->Read<std::vector<Score>>(
      [&]() -> Result<std::vector<Score>> { return impl_->Scores(org, response_id); });
}

Result<std::int64_t> Store::ForEachScore(OrgId org, const std::function<void(const Score&)>& visit) {
  return impl_->Read<std::int64_t>([&]() -> Result<std::int64_t> {
    ScoreRow row;
    ll o = org;
    std::int64_t count = 0;
    Query(impl_->sql,
          std::string("SELECT ") + ScoreRow::kColumns +
              " FROM scores WHERE org_id = :o ORDER BY response_id, scale_id",
          row,
          [&] {
            visit(row.ToDomain(org));
            ++count;
          },
          o);
    return count;
  });
}

Result<HistoryMark> Store::SubjectHistory(OrgId org, Id subject) {
  return impl_->Read<HistoryMark>([&]() -> Result<HistoryMark> { return impl_->SubjectHistoryInTx(org, subject); });
}

Result<std::int64_t> Store::CountResponses(OrgId org) {
  return impl_->Read<std::int64_t>([&]() -> Result<std::int64_t> {
    ll o = org, count = 0;
    impl_->sql << "SELECT COUNT(*) FROM responses WHERE org_id = :o", soci::use(o), soci::into(count);
    return static_cast<std::int64_t>(count);
  });
}

Result<AuditEntry> Store::AppendAudit(OrgId org, const Actor& actor, const std::string& action,
                                      const std::string& entity, const std::string& entity_id,
                                      const std::string& detail) {
  return impl_->Write<AuditEntry>([&]() -> Result<AuditEntry> {
    if (auto ok = impl_->RequireOrganisation(org); !ok) return ok.error();
    return impl_->AppendAuditInTx(org, actor, action, entity, entity_id, detail);
  });
}

Result<std::vector<AuditEntry>> Store::AuditLog(OrgId org) {
  return impl_->Read<std::vector<AuditEntry>>([&]() -> Result<std::vector<AuditEntry>> {
    AuditRow row;
    ll o = org;
    std::vector<AuditEntry> out;
    Query(impl_->sql,
          "SELECT seq, at, actor, action, entity, entity_id, detail, prev_hash, hash FROM audit_log "
          "WHERE org_id = :o ORDER BY seq",
          row, [&] { out.push_back(row.ToDomain(org)); }, o);
    return out;
  });
}

Result<AuditVerification> Store::VerifyAudit(OrgId org) {
  auto log = AuditLog(org);
  if (!log) return log.error();
  return impl_->Read<AuditVerification>([&]() -> Result<AuditVerification> {
    AuditVerification v;
    auto bad = [&](std::int64_t seq, std::string problem) {
      v.ok = false;
      v.first_bad_seq = seq;
      v.problem = std::move(problem);
      return v;
    };
    std::string prev;
    std::int64_t expected = 1;
    for (const auto& entry : *log) {
      if (entry.seq != expected) {
        return bad(expected, fmt::format("entry {} is missing (next present entry is {})", expected,
                                         entry.seq));
      }
      if (entry.prev_hash != prev) {
        return bad(entry.seq, fmt::format("entry {} does not link to entry {} (prev_hash differs)",
                                          entry.seq, entry.seq - 1));
      }
      if (detail::AuditHash(entry) != entry.hash) {
        return bad(entry.seq, fmt::format("entry {} was altered (its hash does not match its fields)",
                                          entry.seq));
      }
      prev = entry.hash;
      ++expected;
      ++v.entries;
    }
    ll o = org, head_seq = 0;
    std::string head_hash;
    impl_->sql << "SELECT last_seq, last_hash FROM audit_head WHERE org_id = :o", soci::use(o),
        soci::into(head_seq), soci::into(head_hash);
    bool have_head = impl_->sql.got_data();
    if (!have_head && v.entries > 0) return bad(1, "the audit head is missing");
    if (have_head && (head_seq != v.entries || head_hash != prev)) {
      return bad(v.entries + 1,
                 fmt::format("the log ends at entry {} but its head records entry {}: entries "
                             "after {} were deleted",
                             v.entries, head_seq, v.entries));
    }
    return v;
  });
}

Result<std::string> Store::IntegrityCheck() { return impl_->dialect->IntegrityCheck(impl_->sql); }

Result<void> Store::Backup(const std::string& file) {
  if (file.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "backup file is empty; expected a path", "file");
  }
  // Written beside the destination under another name, then renamed over it: a backup cut short
  // (a crash, a full disk) leaves the previous backup whole, not replaced by a part of a new one.
  const std::string partial = file + ".partial-" + std::to_string(getpid());
  auto made = impl_->dialect->Backup(impl_->sql, impl_->target.location, partial);
  if (made) made = ReplaceDurably(partial, file);
  if (!made) {
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    std::filesystem::remove(partial + "-journal", ec);
  }
  return made;
}

Result<void> Store::Restore(const Target& target, const std::string& backup_file) {
  if (target.backend == Backend::SQLITE) return detail::RestoreSqlite(target.location, backup_file);
  return detail::RestorePostgres(target.location, backup_file);
}

Result<void> Store::ExecuteRawForTesting(const std::string& sql) {
  try {
    impl_->dialect->ExecScript(impl_->sql, sql);
    return Ok();
  } catch (const std::exception& e) {
    return Fail(ErrorCode::IO, e.what());
  }
}

// ---- Sign-in, sessions, alert state, intake (migration 003; module api, docs/api.md) ----

namespace {

struct LoginRow {
  ll org = 0, id = 0, therapist = 0, client = 0;
  std::string handle, role, hash;
  soci::indicator hash_ind = soci::i_ok, therapist_ind = soci::i_ok, client_ind = soci::i_ok;
  static constexpr const char* kColumns =
      "org_id, id, handle, role, password_hash, therapist_id, client_id";
  void Bind(soci::statement& st) {
    st.exchange(soci::into(org));
    st.exchange(soci::into(id));
    st.exchange(soci::into(handle));
    st.exchange(soci::into(role));
    st.exchange(soci::into(hash, hash_ind));
    st.exchange(soci::into(therapist, therapist_ind));
    st.exchange(soci::into(client, client_ind));
  }
  UserLogin ToDomain() const {
    UserLogin u;
    u.user.org_id = org;
    u.user.id = id;
    u.user.handle = handle;
    u.user.role = role == "admin"         ? Role::ADMIN
                  : role == "coordinator" ? Role::COORDINATOR
                  : role == "therapist"   ? Role::THERAPIST
                  : role == "researcher"  ? Role::RESEARCHER
                                          : Role::CLIENT;
    if (hash_ind != soci::i_null) u.password_hash = hash;
    if (therapist_ind != soci::i_null) u.therapist_id = therapist;
    if (client_ind != soci::i_null) u.client_id = client;
    return u;
  }
};

}  // namespace

Result<void> Store::SetUserLogin(OrgId org, Id user_id, const std::string& password_hash,
                                 std::optional<Id> therapist_id, std::optional<Id> client_id,
                                 const Actor& actor) {
  return impl_->Write<void>([&]() -> Result<void> {
    ll o = org, u = user_id, t = therapist_id.value_or(0), c = client_id.value_or(0);
    soci::indicator t_ind = therapist_id ? soci::i_ok : soci::i_null;
    soci::indicator c_ind = client_id ? soci::i_ok : soci::i_null;
    std::string hash = password_hash;
    soci::indicator h_ind = hash.empty() ? soci::i_null : soci::i_ok;
    soci::statement st = (impl_->sql.prepare << "UPDATE users SET password_hash = :h, therapist_id = :t, "
                                                "client_id = :c WHERE org_id = :o AND id = :u",
                          soci::use(hash, h_ind), soci::use(t, t_ind), soci::use(c, c_ind),
                          soci::use(o), soci::use(u));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return Fail(ErrorCode::NOT_FOUND, fmt::format("user {} not found in organisation {}", user_id, org),
                  "user_id");
    }
    impl_->AppendAuditInTx(org, actor, "user.login_set", "user", std::to_string(user_id),
                           hash.empty() ? "sign-in disabled" : "password set");
    return Ok();
  });
}

Result<std::vector<UserLogin>> Store::FindLogins(const std::string& handle) {
  return impl_->Read<std::vector<UserLogin>>([&]() -> Result<std::vector<UserLogin>> {
    LoginRow row;
    std::string h = handle;
    std::vector<UserLogin> out;
    // One user per handle whatever its ASCII case (AddUser), so sign-in finds it whatever the case
    // typed: LOWER narrows the rows (both sides folded alike by either engine), SameHandle then
    // keeps the ASCII-only fold (PostgreSQL's LOWER also folds other letters, which stay distinct).
    Query(impl_->sql,
          std::string("SELECT ") + LoginRow::kColumns + " FROM users WHERE LOWER(handle) = LOWER(:h) ORDER BY org_id",
          row,
          [&] {
            UserLogin login = row.ToDomain();
            if (detail::SameHandle(login.user.handle, handle)) out.push_back(std::move(login));
          },
          h);
    return out;
  });
}

Result<UserLogin> Store::GetLogin(OrgId org, Id user_id) {
  return impl_->Read<UserLogin>([&]() -> Result<UserLogin> {
    LoginRow row;
    ll o = org, u = user_id;
    std::optional<UserLogin> found;
    Query(impl_->sql,
          std::string("SELECT ") + LoginRow::kColumns + " FROM users WHERE org_id = :o AND id = :u",
          row, [&] { found = row.ToDomain(); }, o, u);
    if (!found) {
      return Fail(ErrorCode::NOT_FOUND, fmt::format("user {} not found in organisation {}", user_id, org),
                  "user_id");
    }
    return *found;
  });
}

Result<std::vector<UserLogin>> Store::ListLogins(OrgId org) {
  return impl_->Read<std::vector<UserLogin>>([&]() -> Result<std::vector<UserLogin>> {
    LoginRow row;
    ll o = org;
    std::vector<UserLogin> out;
    Query(impl_->sql,
          std::string("SELECT ") + LoginRow::kColumns + " FROM users WHERE org_id = :o ORDER BY id",
          row, [&] { out.push_back(row.ToDomain()); }, o);
    return out;
  });
}

Result<void> Store::CreateAuthSession(const AuthSession& session) {
  return impl_->Write<void>([&]() -> Result<void> {
    ll o = session.org_id, u = session.user_id;
    impl_->sql << "INSERT INTO auth_sessions (token_hash, org_id, user_id, created_at, expires_at) "
                  "VALUES (:t, :o, :u, :c, :e)",
        soci::use(session.token_hash), soci::use(o), soci::use(u), soci::use(session.created_at),
        soci::use(session.expires_at);
    return Ok();
  });
}

Result<std::optional<AuthSession>> Store::FindAuthSession(const std::string& token_hash) {
  return impl_->Read<std::optional<AuthSession>>([&]() -> Result<std::optional<AuthSession>> {
    ll o = 0, u = 0;
    std::string created, expires;
    impl_->sql << "SELECT org_id, user_id, created_at, expires_at FROM auth_sessions WHERE token_hash = :t",
        soci::use(token_hash), soci::into(o), soci::into(u), soci::into(created), soci::into(expires);
    if (!impl_->sql.got_data()) return std::optional<AuthSession>{};
    return std::optional<AuthSession>{AuthSession{token_hash, o, u, created, expires}};
  });
}

Result<void> Store::DeleteAuthSession(const std::string& token_hash) {
  return impl_->Write<void>([&]() -> Result<void> {
    impl_->sql << "DELETE FROM auth_sessions WHERE token_hash = :t", soci::use(token_hash);
    return Ok();
  });
}

Result<Alert> Store::GetAlert(OrgId org, Id id) {
  return impl_->Read<Alert>([&]() -> Result<Alert> {
    auto found = ReadAlerts(impl_->sql, org, "id = :k", id);
    if (found.empty()) return Fail(ErrorCode::NOT_FOUND, fmt::format("alert {} not found in organisation {}", id, org), "id");
    return found.front();
  });
}

namespace {

Result<Alert> SetAlertTime(soci::session& sql, OrgId org, Id id, const char* column) {
  ll o = org, i = id;
  std::string now = NowUtc();
  soci::statement st = (sql.prepare << fmt::format("UPDATE alerts SET {0} = :now WHERE org_id = :o AND "
                                                    "id = :i AND {0} IS NULL",
                                                    column),
                        soci::use(now), soci::use(o), soci::use(i));
  st.execute(true);
  auto read = ReadAlerts(sql, org, "id = :k", id);
  if (read.empty()) {
    return Fail(ErrorCode::NOT_FOUND, fmt::format("alert {} not found in organisation {}", id, org), "id");
  }
  if (st.get_affected_rows() == 0) {
    return Fail(ErrorCode::CONFLICT, fmt::format("alert {}: {} is set already", id, column), column);
  }
  return read.front();
}

}  // namespace

Result<Alert> Store::ResolveAlert(OrgId org, Id id, const Actor& actor) {
  return impl_->Write<Alert>([&]() -> Result<Alert> {
    ATTUNE_TRY(alert, SetAlertTime(impl_->sql, org, id, "resolved_at"));
    impl_->AppendAuditInTx(org, actor, "alert.resolve", "alert", std::to_string(id), alert.kind);
    return alert;
  });
}

Result<std::vector<Session>> Store::ListSessions(OrgId org, Id episode_id) {
  return impl_->Read<std::vector<Session>>([&]() -> Result<std::vector<Session>> {
    std::vector<Session> out;
    ll o = org, e = episode_id, id = 0;
    int number = 0;
    std::string held;
    soci::statement st = (impl_->sql.prepare << "SELECT id, number, held_at FROM sessions WHERE "
                                                "org_id = :o AND episode_id = :e ORDER BY number",
                          soci::into(id), soci::into(number), soci::into(held), soci::use(o),
                          soci::use(e));
    st.execute();
    while (st.fetch()) out.push_back(Session{org, id, episode_id, number, held});
    return out;
  });
}

Result<Session> Store::GetSession(OrgId org, Id id) {
  return impl_->Read<Session>([&]() -> Result<Session> {
    ll o = org, i = id, episode = 0;
    int number = 0;
    std::string held;
    impl_->sql << "SELECT episode_id, number, held_at FROM sessions WHERE org_id = :o AND id = :i",
        soci::into(episode), soci::into(number), soci::into(held), soci::use(o), soci::use(i);
    if (!impl_->sql.got_data()) {
      return Fail(ErrorCode::NOT_FOUND, fmt::format("session {} not found in organisation {}", id, org), "id");
    }
    return Session{org, id, episode, number, held};
  });
}

Result<Client> Store::UpdateClientIntake(OrgId org, const Client& intake, const Actor& actor,
                                         const IntakeMerge& merge) {
  ATTUNE_CHECK(detail::CheckIntake(intake));
  return impl_->Write<Client>([&]() -> Result<Client> {
    Client next = intake;
    if (merge) {
      ATTUNE_TRY(stored, (impl_->FindByIdInTx<ClientRow, Client>(org, intake.id, "clients", "client", true)));
      ATTUNE_TRY(merged, merge(stored));
      ATTUNE_CHECK(detail::CheckIntake(merged));
      next = std::move(merged);
    }
    ll o = org, i = intake.id;
    std::string concerns = EncodeList(next.concerns), goals = EncodeList(next.goals),
                preferences = EncodeMap(next.preferences),
                constraints = EncodeList(next.constraints);
    soci::statement st = (impl_->sql.prepare << "UPDATE clients SET concerns = :c, goals = :g, "
                                                "preferences = :p, constraints = :k WHERE org_id = :o "
                                                "AND id = :i",
                          soci::use(concerns), soci::use(goals), soci::use(preferences),
                          soci::use(constraints), soci::use(o), soci::use(i));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return Fail(ErrorCode::NOT_FOUND, fmt::format("client {} not found in organisation {}", intake.id, org),
                  "id");
    }
    impl_->AppendAuditInTx(org, actor, "client.intake", "client", std::to_string(intake.id), "");
    ClientRow row;
    std::optional<Client> found;
    Query(impl_->sql,
          std::string("SELECT ") + ClientRow::kColumns + " FROM clients WHERE org_id = :o AND id = :i",
          row, [&] { found = row.ToDomain(org); }, o, i);
    return *found;
  });
}

Result<Therapist> Store::UpdateTherapist(OrgId org, Id id, const TherapistUpdate& update, const Actor& actor) {
  ATTUNE_CHECK(detail::CheckTherapistProfile(update));
  return impl_->Write<Therapist>([&]() -> Result<Therapist> {
    ATTUNE_TRY(t, (impl_->FindByIdInTx<TherapistRow, Therapist>(org, id, "therapists", "therapist", true)));
    ll o = org, i = id;
    std::string given;  // the audit detail: the fields the update gave
    auto take = [&](auto& field, const auto& value, const char* name) {
      if (!value) return;
      field = *value;
      given += given.empty() ? name : std::string(", ") + name;
    };
    take(t.approaches, update.approaches, "approaches");
    take(t.style, update.style, "style");
    take(t.languages, update.languages, "languages");
    take(t.modality, update.modality, "modality");
    take(t.location, update.location, "location");
    take(t.capacity, update.capacity, "capacity");
    take(t.accepting, update.accepting, "accepting");
    take(t.client_visible, update.client_visible, "client_visible");
    std::string approaches = EncodeList(t.approaches), style = EncodeMap(t.style),
                languages = EncodeList(t.languages), visible = EncodeList(t.client_visible);
    int capacity = t.capacity;
    int accepting = t.accepting ? 1 : 0;
    impl_->sql << "UPDATE therapists SET approaches = :ap, style = :st, languages = :la, modality = :mo, "
                  "location = :lo, capacity = :ca, accepting = :ac, client_visible = :cv "
                  "WHERE org_id = :o AND id = :i",
        soci::use(approaches), soci::use(style), soci::use(languages), soci::use(t.modality),
        soci::use(t.location), soci::use(capacity), soci::use(accepting), soci::use(visible), soci::use(o),
        soci::use(i);
    impl_->AppendAuditInTx(org, actor, "therapist.update", "therapist", std::to_string(id), given);
    return t;
  });
}

Result<void> Store::AppendAuditBatch(OrgId org, const std::vector<AuditRecord>& records) {
  if (records.empty()) return Ok();
  return impl_->Write<void>([&]() -> Result<void> {
    impl_->AppendAuditManyInTx(org, records);
    return Ok();
  });
}

}  // namespace attune::store

// Bulk loads (Store::AddEpisodes / AddSessions) use Impl, defined only in this file.
#include "store/bulk.inc"  // NOLINT(bugprone-suspicious-include)
