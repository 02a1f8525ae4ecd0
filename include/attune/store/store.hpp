#pragma once
//! Facade of module `store`: one repository over SQLite (default, embedded) and PostgreSQL,
//! numbered migrations, and the hash-chained audit log (docs/storage.md).
//!
//! Every call names the organisation it acts for; no query crosses organisations. Every write
//! runs in one transaction together with its audit entry: on error nothing is written.
//! Errors: IO for database failures (message carries the database's own words), NOT_FOUND,
//! ALREADY_EXISTS, CONFLICT (an idempotency key reused for different content), INVALID_ARGUMENT.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"

namespace attune::store {

//! Which database engine.
enum class Backend { SQLITE, POSTGRESQL };

//! Where the database is: a SQLite file or a PostgreSQL connection URL / conninfo string.
struct Target {
  Backend backend = Backend::SQLITE;
  std::string location;
  static Target Sqlite(std::string file) { return {Backend::SQLITE, std::move(file)}; }
  static Target Postgres(std::string url) { return {Backend::POSTGRESQL, std::move(url)}; }
};

//! One numbered schema migration (migrations/NNN_name[.dialect].sql).
struct Migration {
  int version = 0;
  std::string name;
};

//! Which migrations a database has, and which it lacks.
struct MigrationStatus {
  std::vector<Migration> applied;
  std::vector<Migration> pending;
};

//! How to open a database.
struct OpenOptions {
  bool migrate = true;  //!< apply pending migrations on open (start-up behaviour)
  bool create = true;   //!< SQLite: create the file if absent (false: NOT_FOUND instead)
};

//! Who does a write, for the audit log.
struct Actor {
  std::string name = "system";
};

//! The stored responses about one subject as of one moment: how many. Responses are never
//! deleted, so two marks differ exactly when a response about the subject was stored in between.
struct HistoryMark {
  std::int64_t responses = 0;
  friend bool operator==(const HistoryMark&, const HistoryMark&) = default;
};

//! A response with the scores computed for it, ready to store together.
struct ScoredResponse {
  Response response;
  std::vector<Score> scores;
  //! Alerts this response raises (module monitor): stored in the same transaction with
  //! response_id set to the new response; raised_at empty = now.
  std::vector<Alert> alerts;
  //! The subject's history the alerts were decided from (read before it): when set, the
  //! response is stored only if the subject's history is still this, checked under a lock on
  //! the subject inside the write transaction, so a submission prepared by another process
  //! in the meantime is not overlooked; otherwise nothing is written (SubmitOutcome::stale).
  std::optional<HistoryMark> history;
};

//! What storing a response did.
struct SubmitOutcome {
  Id response_id = 0;
  bool replayed = false;        //!< true: the key was seen before; nothing was written
  std::vector<Score> scores;    //!< the stored scores (the first submission's on replay)
  std::vector<Id> alert_ids;    //!< ids of the alerts stored with it (the first submission's on replay)
  //! true: the subject's history changed after ScoredResponse::history was read; nothing was
  //! written, and the response is to be prepared again from the new history.
  bool stale = false;
};

//! Result of checking an organisation's audit chain.
struct AuditVerification {
  bool ok = true;
  std::int64_t entries = 0;
  std::int64_t first_bad_seq = 0;  //!< 0 when ok
  std::string problem;             //!< what is wrong, naming the entry
};

//! Filter for listing responses; unset fields do not filter.
struct ResponseFilter {
  std::string instrument_id;
  std::optional<Id> subject_id;
  std::optional<Id> episode_id;
  std::size_t limit = 0;  //!< 0 = no limit
};

//! A user as sign-in sees them (module api): the stored password hash and the therapist or
//! client row the user is, if any.
struct UserLogin {
  User user;
  std::string password_hash;        //!< libsodium Argon2id string; empty = cannot sign in
  std::optional<Id> therapist_id;
  std::optional<Id> client_id;
};

//! A server-side sign-in session; only the token's hash is stored.
struct AuthSession {
  std::string token_hash;
  OrgId org_id = 0;
  Id user_id = 0;
  std::string created_at;
  std::string expires_at;           //!< ISO-8601 UTC; compared as text
};

//! One audit entry to append (AppendAuditBatch).
struct AuditRecord {
  Actor actor;
  std::string action, entity, entity_id, detail;
};

//! A partial change to a therapist's profile (Store::UpdateTherapist): unset fields stay as
//! they are. The identity (external id, display name) is not changed here.
struct TherapistUpdate {
  std::optional<std::vector<std::string>> approaches;
  std::optional<std::map<std::string, double>> style;
  std::optional<std::vector<std::string>> languages;
  std::optional<std::string> modality;
  std::optional<std::string> location;
  std::optional<int> capacity;
  std::optional<bool> accepting;
  std::optional<std::vector<std::string>> client_visible;  //!< profile fields clients may see
};

//! A check of a new episode against the organisation's episodes as stored (Store::AddEpisode): an
//! error ends the write with nothing written; a value is a remark for the audit entry ("" none).
using EpisodeGuard = std::function<Result<std::string>(const std::vector<Episode>& stored)>;

//! A check of a new session against its episode and the episode's sessions as stored
//! (Store::AddSession), read with the episode's row locked: an error ends the write.
using SessionGuard = std::function<Result<void>(const Episode& episode, const std::vector<Session>& stored)>;

//! The intake to write, decided from the client as stored (Store::UpdateClientIntake).
using IntakeMerge = std::function<Result<Client>(const Client& stored)>;

//! A decision about one episode (Store::ChangeEpisode): the episode as it is to be, the audit
//! action ("episode.confirm") and the audit detail.
struct EpisodeChange {
  Episode episode;
  std::string action;
  std::string detail;
};
//! Decides a change from the episode and every episode of the organisation, as stored.
using EpisodeDecider = std::function<Result<EpisodeChange>(const Episode& current, const std::vector<Episode>& stored)>;

//! Supplies the next response of an import: fills `out` and returns true, returns false at
//! the end, or an error that aborts the import.
using ResponseSource = std::function<Result<bool>(ScoredResponse& out)>;

//! An open database. Not thread-safe: use one Store per thread.
class Store {
 public:
  //! Opens (and by default migrates) the database. IO when it cannot be reached or a
  //! migration fails; NOT_FOUND when a SQLite file is absent and options.create is false.
  static Result<Store> Open(const Target& target, OpenOptions options = {});

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  //! Which engine this is.
  Backend backend() const;

  //! Every migration this build knows, in order.
  static std::vector<Migration> KnownMigrations();
  //! Applied and pending migrations.
  Result<MigrationStatus> Status();
  //! Applies pending migrations, each in its own transaction; returns those applied.
  Result<std::vector<Migration>> Migrate();

  //! Creates an organisation with the next free id.
  Result<OrgId> CreateOrganisation(const std::string& name, const Actor& actor = {});
  //! All organisations.
  Result<std::vector<Organisation>> ListOrganisations();
  //! One organisation; NOT_FOUND when there is none with this id.
  Result<Organisation> GetOrganisation(OrgId org);
  //! Whether the organisation's clients may choose their own therapist; audited
  //! ("organisation.settings"). Returns the organisation as it now is.
  Result<Organisation> SetClientChoice(OrgId org, bool allow, const Actor& actor);
  //! Replaces the organisation's monitoring settings (JSON text, checked by the caller) and
  //! audits the change as organisation.monitor_settings with the new text. NOT_FOUND for an
  //! unknown organisation, before anything is written.
  Result<Organisation> SetMonitorSettings(OrgId org, const std::string& settings, const Actor& actor);
  //! The same as one read-modify-write: `change` gets the stored settings (read under the write
  //! lock, so two changes at once cannot lose one another) and returns the new ones; its error
  //! ends the transaction with nothing written.
  Result<Organisation> ChangeMonitorSettings(OrgId org,
                                             const std::function<Result<std::string>(const std::string&)>& change,
                                             const Actor& actor);

  //! Adds users, therapists, clients, episodes, sessions, alerts and training records;
  //! each returns the new id. ALREADY_EXISTS names a duplicate handle / external id.
  //! INVALID_ARGUMENT, before anything is written: a blank handle, external id, display name or
  //! pseudonym; a blank entry of approaches, languages, concerns or goals; a modality other than
  //! in_person, video or both; a capacity outside 0..1000; a client_visible entry other than
  //! approaches, style, languages, modality, location or mindfulness, or one given twice; a
  //! constraint that is not one of the forms of attune/core/constraints.hpp.
  Result<Id> AddUser(OrgId org, const User& user, const Actor& actor = {});
  Result<Id> AddTherapist(OrgId org, const Therapist& therapist, const Actor& actor = {});
  Result<Id> AddClient(OrgId org, const Client& client, const Actor& actor = {});
  //! AddEpisode with a `guard` runs it inside the write transaction on every episode of the
  //! organisation, read with the rows of the episode's client and therapist locked: two writes at
  //! once (two clients choosing a therapist's last place) are checked one after the other.
  Result<Id> AddEpisode(OrgId org, const Episode& episode, const Actor& actor = {}, const EpisodeGuard& guard = {});
  //! AddSession with a `guard` runs it inside the write on the session's episode (its row locked:
  //! ending it waits) and that episode's sessions: two sessions recorded at once are checked one
  //! after the other (on PostgreSQL both were accepted out of order).
  Result<Id> AddSession(OrgId org, const Session& session, const Actor& actor = {}, const SessionGuard& guard = {});
  Result<Id> AddAlert(OrgId org, const Alert& alert, const Actor& actor = {});
  Result<Id> AddTrainingRecord(OrgId org, const TrainingRecord& record, const Actor& actor = {});

  //! Adds many therapists / clients in one transaction: all or none.
  Result<std::vector<Id>> AddTherapists(OrgId org, const std::vector<Therapist>& therapists,
                                        const Actor& actor = {});
  Result<std::vector<Id>> AddClients(OrgId org, const std::vector<Client>& clients,
                                     const Actor& actor = {});
  //! Adds many episodes / sessions in one transaction (all or none), the INSERT prepared once;
  //! one audit entry ("episode.import" / "session.import") covers the batch. Ids in input
  //! order. For bulk loads such as `attune sim clinic --db` (src/store/bulk.inc). A `guard`
  //! checks the batch against every episode of the organisation as stored, read with the rows of
  //! every client and therapist in the batch locked (as AddEpisode's guard).
  Result<std::vector<Id>> AddEpisodes(OrgId org, const std::vector<Episode>& episodes,
                                      const Actor& actor = {}, const EpisodeGuard& guard = {});
  Result<std::vector<Id>> AddSessions(OrgId org, const std::vector<Session>& sessions,
                                      const Actor& actor = {});

  //! Reads by id within the organisation; NOT_FOUND otherwise (also for another org's id).
  Result<Therapist> GetTherapist(OrgId org, Id id);
  Result<Client> GetClient(OrgId org, Id id);
  Result<Episode> GetEpisode(OrgId org, Id id);
  Result<std::vector<Therapist>> ListTherapists(OrgId org);
  Result<std::vector<Client>> ListClients(OrgId org);
  Result<std::vector<Episode>> ListEpisodes(OrgId org);
  //! Every alert of the organisation, as ListAlertsWithEvidence(org, nullopt).
  Result<std::vector<Alert>> ListAlerts(OrgId org);
  Result<std::vector<TrainingRecord>> ListTrainingRecords(OrgId org, Id therapist_id);

  //! Alerts with their note and evidence, of one episode or (nullopt) all, in id order.
  Result<std::vector<Alert>> ListAlertsWithEvidence(OrgId org, std::optional<Id> episode_id);
  //! open -> acknowledged with a required note (INVALID_ARGUMENT when empty); CONFLICT when the
  //! alert is not open. Audit "alert.acknowledge" with the note, in the same transaction.
  Result<Alert> AcknowledgeAlertWithNote(OrgId org, Id id, const std::string& note, const Actor& actor = {});
  //! acknowledged -> resolved, appending `note` (may be empty) to the alert's note; CONFLICT
  //! when the alert is not acknowledged or already resolved. Audit "alert.resolve".
  Result<Alert> ResolveAlertWithNote(OrgId org, Id id, const std::string& note, const Actor& actor = {});
  //! Stores (replaces) a fitted model's JSON body under `name`; audit "model.fit".
  Result<void> PutFittedModel(OrgId org, const std::string& name, const std::string& body,
                              const Actor& actor = {});
  //! A fitted model's body, or nullopt when none is stored.
  Result<std::optional<std::string>> GetFittedModel(OrgId org, const std::string& name);

  //! The stored responses about `subject` now (ScoredResponse::history).
  Result<HistoryMark> SubjectHistory(OrgId org, Id subject);
  //! Stores a response and its scores in one transaction, idempotent by
  //! response.idempotency_key: a key seen before returns the first outcome and writes nothing;
  //! CONFLICT when that key was used for a different instrument or different answers. With
  //! scored.history set and the subject's history changed since, writes nothing and answers
  //! stale (a replayed key is answered first).
  Result<SubmitOutcome> SubmitResponse(OrgId org, const ScoredResponse& scored,
                                       const Actor& actor = {});
  //! Group commit: stores each submission as SubmitResponse would, all in one transaction (one
  //! fsync), each in its own savepoint so one refused does not refuse the others. The outer
  //! error is for the transaction as a whole (nothing written); else one outcome per input.
  Result<std::vector<Result<SubmitOutcome>>> SubmitResponses(
      OrgId org, const std::vector<std::pair<ScoredResponse, Actor>>& batch);
  //! Stores every response `next` supplies in one transaction (all or none); ALREADY_EXISTS
  //! when an idempotency key is present already or repeated. One audit entry covers the
  //! import. Returns how many were stored.
  Result<std::int64_t> ImportResponses(OrgId org, const ResponseSource& next,
                                       const std::string& source, const Actor& actor = {});
  //! A response by id / by idempotency key.
  Result<Response> GetResponse(OrgId org, Id id);
  Result<std::optional<Response>> FindResponseByKey(OrgId org, const std::string& key);
  //! Responses in id order.
  Result<std::vector<Response>> ListResponses(OrgId org, const ResponseFilter& filter = {});
  //! Calls `visit` for each response in id order without holding them all in memory.
  Result<std::int64_t> ForEachResponse(OrgId org, const std::function<void(const Response&)>& visit);
  //! Scores of one response, in scale order as stored.
  Result<std::vector<Score>> ScoresOf(OrgId org, Id response_id);
  //! Calls `visit` for each score in (response id, scale) order.
  Result<std::int64_t> ForEachScore(OrgId org, const std::function<void(const Score&)>& visit);
  //! Number of responses of an organisation.
  Result<std::int64_t> CountResponses(OrgId org);

  //! Appends an audit entry on its own (writes append one themselves).
  Result<AuditEntry> AppendAudit(OrgId org, const Actor& actor, const std::string& action,
                                 const std::string& entity, const std::string& entity_id,
                                 const std::string& detail);
  //! The organisation's audit log in order.
  Result<std::vector<AuditEntry>> AuditLog(OrgId org);
  //! Recomputes the chain: detects an edited, inserted or deleted entry.
  Result<AuditVerification> VerifyAudit(OrgId org);

  //! Sign-in (module api, migration 003). SetUserLogin sets the password hash and the
  //! person links of an existing user (NOT_FOUND otherwise); FindLogins returns the users with
  //! `handle` in every organisation, equal but for the case of ASCII letters as uniqueness reads
  //! handles (login names the organisation only when ambiguous).
  Result<void> SetUserLogin(OrgId org, Id user_id, const std::string& password_hash,
                            std::optional<Id> therapist_id, std::optional<Id> client_id,
                            const Actor& actor = {});
  Result<std::vector<UserLogin>> FindLogins(const std::string& handle);
  Result<UserLogin> GetLogin(OrgId org, Id user_id);
  Result<std::vector<UserLogin>> ListLogins(OrgId org);
  //! Sessions by token hash; FindAuthSession ignores expiry (the caller compares).
  Result<void> CreateAuthSession(const AuthSession& session);
  Result<std::optional<AuthSession>> FindAuthSession(const std::string& token_hash);
  Result<void> DeleteAuthSession(const std::string& token_hash);

  //! An alert by id; resolves one without a note (CONFLICT when already resolved or not yet
  //! acknowledged). Acknowledging takes a note: AcknowledgeAlertWithNote.
  Result<Alert> GetAlert(OrgId org, Id id);
  Result<Alert> ResolveAlert(OrgId org, Id id, const Actor& actor = {});
  //! Changes one episode's status, dates and note (docs/api.md "Episodes") in one transaction with
  //! the audit entry `decide` names: `decide` gets the episode and every episode of the
  //! organisation, read as AddEpisode's guard reads them (locked), and its error ends the
  //! transaction with nothing written. NOT_FOUND (field "id") for an id not in `org`;
  //! INVALID_ARGUMENT when the result breaks CheckEpisode or changes the client, therapist or
  //! assigned_by.
  Result<Episode> ChangeEpisode(OrgId org, Id id, const EpisodeDecider& decide, const Actor& actor = {});
  //! Sessions of one episode in number order.
  Result<std::vector<Session>> ListSessions(OrgId org, Id episode_id);
  //! One session by id; NOT_FOUND (field "id") when the organisation has none with it.
  Result<Session> GetSession(OrgId org, Id id);
  //! Changes the given profile fields of a therapist of `org` (read, merged and written in one
  //! transaction with audit "therapist.update" naming the fields given) and returns the result.
  //! NOT_FOUND for an id not in `org`; INVALID_ARGUMENT for a given field that breaks the rules
  //! AddTherapist checks (the same check).
  Result<Therapist> UpdateTherapist(OrgId org, Id id, const TherapistUpdate& update,
                                    const Actor& actor = {});
  //! Replaces a client's intake (concerns, goals, preferences, constraints); INVALID_ARGUMENT for
  //! a blank concern or goal or a constraint AddClient would refuse. A `merge` decides the intake
  //! written from the client as stored, read with its row locked inside the write, so a change
  //! committed in between (by any process) is merged, not overwritten.
  Result<Client> UpdateClientIntake(OrgId org, const Client& intake, const Actor& actor = {},
                                    const IntakeMerge& merge = {});
  //! Appends many audit entries in one transaction (read audits are batched by the caller).
  Result<void> AppendAuditBatch(OrgId org, const std::vector<AuditRecord>& records);

  //! The engine's integrity check ("ok" when sound): SQLite PRAGMA integrity_check +
  //! foreign_key_check; PostgreSQL: a catalogue query (amcheck is not assumed).
  Result<std::string> IntegrityCheck();

  //! Copies the whole database to `file` while it stays usable: SQLite online backup API,
  //! PostgreSQL pg_dump (plain SQL). The copy is consistent.
  Result<void> Backup(const std::string& file);
  //! Replaces a SQLite database file with a backup made by Backup (PostgreSQL: loads a dump
  //! into an empty database with psql).
  static Result<void> Restore(const Target& target, const std::string& backup_file);

  //! Runs raw SQL: for tests that tamper with the database behind Attune's back.
  Result<void> ExecuteRawForTesting(const std::string& sql);

 private:
  struct Impl;
  Result<std::int64_t> ImportResponsesInTx(OrgId org, const ResponseSource& next,
                                           const std::string& source, const Actor& actor);
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

//! Lower-case name of a backend.
const char* BackendName(Backend backend);
//! "client" | "therapist".
const char* RespondentName(RespondentKind kind);
//! Lower-case name of a role.
const char* RoleName(Role role);
//! The checks AddTherapist and AddClient make before writing (INVALID_ARGUMENT as listed there),
//! for a caller that reports each refused row itself (the CSV import).
Result<void> CheckTherapist(const Therapist& therapist);
Result<void> CheckClient(const Client& client);
//! The check AddEpisode makes before writing, for a caller that must refuse a malformed episode
//! before its own checks (a new episode's conflict with a current one).
Result<void> CheckEpisode(const Episode& episode);
//! The rows a user of `role` signs in as: a therapist user names its therapist and a client user
//! its client (each required), and no other role names either. INVALID_ARGUMENT names the
//! missing or the extra field. The API and `attune user add` check this before writing anything.
Result<void> CheckUserLinks(Role role, std::optional<Id> therapist_id, std::optional<Id> client_id);

}  // namespace attune::store
