#pragma once
//! The authorised use cases behind the HTTP API (docs/api.md). Every call takes the Actor who
//! asks; access is deny-by-default and decided here, not in the API: a therapist reaches only
//! their own clients (those with an episode with them), a client only themselves, a coordinator
//! their organisation, a researcher only de-identified exports, an admin users and the audit
//! log; nobody another organisation (every query is scoped by the actor's org).
//!
//! Errors: UNAUTHENTICATED (bad sign-in / session), NOT_PERMITTED (role or ownership forbids),
//! NOT_FOUND, INVALID_ARGUMENT (field named), CONFLICT, IO.

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"
#include "attune/instruments/instruments.hpp"
#include "attune/service/episodes.hpp"
#include "attune/service/service.hpp"
#include "attune/service/workflows.hpp"
#include "attune/store/store.hpp"

namespace attune::service {

//! Who asks: the signed-in user, their organisation and role, and the person rows they are.
struct Actor {
  OrgId org = 0;
  Id user_id = 0;
  Role role = Role::CLIENT;
  std::optional<Id> therapist_id;  //!< set for therapists
  std::optional<Id> client_id;     //!< set for clients
  std::string handle;
  std::string address;  //!< where the request came from (audit "from where")
};

//! The audit actor string: "handle#user_id role@address".
store::Actor AuditActor(const Actor& actor);

//! A signed-in session as handed to the API (the token is never stored).
struct SignedIn {
  Actor actor;
  std::string token;       //!< 64 hex chars (256 random bits)
  std::string csrf;        //!< derived from the token; sent back in X-CSRF-Token
  std::string expires_at;  //!< ISO-8601 UTC
};

//! A therapist as recommended by the matching model, with the reasons for the rank.
struct Recommendation {
  Therapist therapist;
  double score = 0;        //!< predicted early alliance, SD units of the clinic's (0 = average); higher is better
  double uncertainty = 0;  //!< SD of that prediction (model coefficients and the therapist's own effect)
  std::vector<std::string> reasons;  //!< the client's hard filters met, then the model's 4 largest terms in words
};

//! What submitting a response did.
struct SubmitAnswer {
  store::SubmitOutcome outcome;
  std::vector<Alert> alerts;  //!< alerts raised by this submission (none on replay)
  //! Its change figures: per outcome scale, since intake and since the last session, each with
  //! its decision (Jacobson-Truax where the scale has norms); the same on a replay.
  std::vector<monitor::ScaleChange> changes;
};

//! An organisation as its users see it.
struct OrganisationView {
  Organisation organisation;
  bool clients_may_choose = false;  //!< its client_choice, unless the deployment refuses choice
};

//! One point of a client's trajectory on one scale.
struct TrajectoryPoint {
  Id response_id = 0;
  std::string answered_at;
  std::optional<Id> session_id;
  std::optional<Id> episode_id;
  std::optional<double> value;
  std::string band;
  //! The session the monitor places it at in its episode (Service::EpisodeObservations).
  std::optional<int> session_number;
};

//! Called for every read of client data (batched into the audit log by the caller).
using ReadAuditor = std::function<void(OrgId org, const store::AuditRecord& record)>;

//! What the Clinics of one server share (thread-safe): live sessions by token hash, so that a
//! request does not read the database to authenticate; each organisation's therapists prepared
//! for ranking; client ids known to exist. docs/api.md ("Performance") says what is cached for how
//! long. Each Clinic without one gets its own.
class ClinicCache;
std::shared_ptr<ClinicCache> MakeClinicCache();

//! Hashes a password, in Unicode NFKC (so that it signs in however a keyboard composes its
//! accents), with Argon2id (libsodium, interactive limits). INVALID_ARGUMENT when not UTF-8, when
//! it holds a control character, or when shorter than 8 characters.
Result<std::string> HashPassword(const std::string& password);
//! True when `password` matches `hash`: its NFKC form, or, for a hash made before passwords were
//! normalised, the password as typed.
bool VerifyPassword(const std::string& hash, const std::string& password);
//! A handle as it is stored and looked up: in Unicode NFC ("jose" + U+0301 is "jos\u00e9"); text
//! that is not UTF-8 is returned as it is, for the store's checks to refuse.
std::string HandleForm(const std::string& handle);
//! A handle as sign-in matches it and the sign-in rate limit counts it: HandleForm, then ASCII
//! letters lower-cased, the fold under which handles are unique ("DUP" is "dup").
std::string HandleKey(const std::string& handle);
//! Hex BLAKE2b-256 of a session token (what is stored).
std::string TokenHash(const std::string& token);
//! The CSRF token bound to a session token.
std::string CsrfFor(const std::string& token);

//! The use cases for one database connection (not thread-safe; one per worker thread).
class Clinic {
 public:
  Clinic(store::Store& store, const instruments::Catalogue& catalogue, instruments::Use use,
         ReadAuditor audit_read = {}, Committer commit = {}, std::shared_ptr<ClinicCache> cache = {});

  //! Sign-in: handle + password (+ organisation when the handle exists in several).
  //! UNAUTHENTICATED for any mismatch, never saying which part was wrong.
  Result<SignedIn> SignIn(const std::string& handle, const std::string& password,
                          std::optional<OrgId> org, const std::string& address,
                          int ttl_seconds = 8 * 3600);
  //! The actor of a live session token; UNAUTHENTICATED when unknown or expired.
  Result<Actor> Authenticate(const std::string& token, const std::string& address);
  //! Ends a session.
  Result<void> SignOut(const Actor& actor, const std::string& token);

  //! Users (admin). CreateUser sets the password and person link too.
  Result<std::vector<store::UserLogin>> ListUsers(const Actor& actor);
  Result<Id> CreateUser(const Actor& actor, const User& user, const std::string& password,
                        std::optional<Id> therapist_id, std::optional<Id> client_id);

  //! Instruments administrable in this deployment (any signed-in user).
  Result<std::vector<const instruments::Instrument*>> ListInstruments(const Actor& actor);
  Result<const instruments::Instrument*> GetInstrument(const Actor& actor, const std::string& id);
  instruments::Use use() const { return use_; }

  //! Therapists: every signed-in user of the organisation may read (clients see only the
  //! fields the therapist made client-visible); admins and coordinators create.
  Result<std::vector<Therapist>> ListTherapists(const Actor& actor);
  Result<Therapist> GetTherapist(const Actor& actor, Id id);
  Result<Id> CreateTherapist(const Actor& actor, const Therapist& therapist);
  //! Changes the given profile fields (partial: unset fields stay). A therapist their own
  //! profile; admins and coordinators any therapist of the organisation; nobody else.
  //! INVALID_ARGUMENT names the field, the value and what was expected.
  Result<Therapist> UpdateTherapist(const Actor& actor, Id id, const store::TherapistUpdate& update);

  //! Clients: coordinators all, therapists their own, clients themselves.
  Result<std::vector<Client>> ListClients(const Actor& actor);
  Result<Client> GetClient(const Actor& actor, Id id);
  Result<Id> CreateClient(const Actor& actor, const Client& client);
  //! Replaces the intake answers (the client themselves or a coordinator). A client's change keeps
  //! the clinic's constraints (exclude:, risk:) as stored, left out or not; one adding such a
  //! constraint is NOT_PERMITTED naming constraints[i].
  Result<Client> UpdateIntake(const Actor& actor, const Client& intake);

  //! Episodes and sessions: coordinators all; therapists and clients their own.
  Result<std::vector<Episode>> ListEpisodes(const Actor& actor);
  Result<Episode> GetEpisode(const Actor& actor, Id id);
  //! A coordinator opens an episode (OpenEpisode: one current episode per client, the pairing
  //! check, `overbook` past a full or not accepting therapist).
  Result<Id> CreateEpisode(const Actor& actor, const Episode& episode, bool overbook = false);
  //! A coordinator decides (docs/api.md "Episodes"): confirms or declines a waiting choice, ends
  //! therapy (ConfirmEpisode, DeclineEpisode, EndEpisode of attune/service/episodes.hpp).
  Result<Episode> ConfirmEpisode(const Actor& actor, Id id, const EpisodeDecision& decision);
  Result<Episode> DeclineEpisode(const Actor& actor, Id id, const EpisodeDecision& decision);
  Result<Episode> EndEpisode(const Actor& actor, Id id, const EpisodeDecision& decision);
  Result<std::vector<Session>> ListSessions(const Actor& actor, Id episode_id);
  Result<Id> CreateSession(const Actor& actor, const Session& session);

  //! Submits a questionnaire: a client for themselves, a therapist for their own clients (or a
  //! self-report), a coordinator for anyone in the organisation. Idempotent by key. Returns
  //! the alerts module monitor raised and stored with it (risk items, ruptures, not on track).
  Result<SubmitAnswer> SubmitResponse(const Actor& actor, Submission submission);
  //! Responses about one client, with their scores.
  Result<std::vector<Response>> ListResponses(const Actor& actor, Id client_id);
  Result<std::vector<Score>> ScoresOf(const Actor& actor, const Response& response);
  //! One scale of one instrument over time for a client.
  Result<std::vector<TrajectoryPoint>> Trajectory(const Actor& actor, Id client_id,
                                                  const std::string& instrument_id,
                                                  const std::string& scale_id);

  //! Alerts: coordinators all, therapists those of their episodes.
  //! An alert raised outside an episode (a risk item on a waitlisted client) is the coordinators'.
  Result<std::vector<Alert>> ListAlerts(const Actor& actor);

  //! Ranks accepting therapists with room for a client with the stored matching model
  //! (CurrentMatchModel, asked at most every 2 s per organisation): the client themselves or a
  //! coordinator. limit 0 = every eligible therapist.
  //! `unmatched` (if given) is set to why no therapist is eligible (match::NoneEligible), "" else.
  Result<std::vector<Recommendation>> Recommend(const Actor& actor, Id client_id, std::size_t limit,
                                                std::string* unmatched = nullptr);
  //! Loads the organisation's therapists and stored model and compiles its matcher into the
  //! shared cache, as the first recommendation would (the server does this before it listens).
  Result<void> WarmMatching(OrgId org);

  //! The audit log (admin).
  Result<std::vector<AuditEntry>> AuditLog(const Actor& actor);
  Result<store::AuditVerification> VerifyAudit(const Actor& actor);

  //! Exports: researchers always de-identified, coordinators either. Returns rows written.
  Result<std::int64_t> Export(const Actor& actor, const std::string& what, std::ostream& out,
                              ExportOptions options);

  // ---- the web app's daily work (src/service/care.cpp, assignments.cpp, analyses.cpp) ----

  //! Questionnaires due for a client's next session (coordinator, own therapist, the client).
  Result<std::vector<DueItem>> Due(const Actor& actor, Id client_id);
  //! The expected-response band of a client on an outcome scale (as Due). Not available (with a
  //! reason) when no curve is stored or the client has no intake score on the scale.
  Result<ExpectedBand> Expected(const Actor& actor, Id client_id, const std::string& instrument_id,
                                const std::string& scale_id);
  //! A client chooses a therapist (the client themselves, when the deployment allows it): a
  //! waiting episode assigned_by "client_choice", for the clinic to confirm or decline. CONFLICT
  //! when already in therapy or already chosen; INVALID_ARGUMENT (therapist_id) when the therapist
  //! fails a hard filter of the client's constraints (the clinic's exclude: among them);
  //! FAILED_PRECONDITION when the therapist is not accepting or has no room (CheckPairing).
  Result<Episode> ChooseTherapist(const Actor& actor, Id client_id, Id therapist_id);
  //! Whether this deployment lets any organisation's clients choose (attune serve
  //! --no-client-choice refuses for all, whatever each organisation's setting).
  void AllowClientChoice(bool allow) { client_choice_ = allow; }
  //! The caller's organisation (any signed-in user): its settings, and whether its clients may
  //! choose their therapist now (its setting, unless the deployment refuses choice).
  Result<OrganisationView> OwnOrganisation(const Actor& actor);
  //! An administrator sets whether the organisation's clients may choose their own therapist.
  Result<OrganisationView> SetClientChoice(const Actor& actor, bool allow);
  //! The organisation's monitoring thresholds (docs/monitor.md "Organisation settings"), for
  //! staff (not clients): `settings` holds the fields it changed, `effective` every value in
  //! force, `defaults` Attune's.
  Result<MonitoringSettingsView> MonitoringSettings(const Actor& actor);
  //! A coordinator (the clinical lead) changes them with a JSON patch (a number sets a field,
  //! null returns it to the default); INVALID_ARGUMENT naming the field, and nothing written,
  //! for anything else. Audited as organisation.monitor_settings; applies from the next response.
  Result<MonitoringSettingsView> SetMonitoringSettings(const Actor& actor, const std::string& patch);
  //! Outcome and alliance rates (docs/monitor.md "Aggregates"): a coordinator sees the
  //! organisation and every therapist (or one, `therapist_id`); a therapist sees the organisation
  //! and themselves only. Audited as one read ("report.read").
  Result<monitor::Report> OutcomeReport(const Actor& actor, std::optional<Id> therapist_id);
  //! Acknowledge / resolve with a note (store lifecycle: acknowledge needs a note).
  Result<Alert> AcknowledgeAlert(const Actor& actor, Id id, const std::string& note);
  Result<Alert> ResolveAlert(const Actor& actor, Id id, const std::string& note);
  //! A therapist's mindfulness training log (the therapist themselves).
  Result<std::vector<TrainingRecord>> TrainingLog(const Actor& actor, Id therapist_id);
  Result<TrainingRecord> AddTraining(const Actor& actor, TrainingRecord record);
  //! A therapist's FFMQ-39 self-reports over time (the therapist themselves), oldest first.
  Result<std::vector<MindfulnessPoint>> MindfulnessProfile(const Actor& actor, Id therapist_id);

  //! Batch assignment of the waitlist compared with assignment as usual (coordinator, admin).
  Result<AssignmentPreview> PreviewAssignments(const Actor& actor, std::uint64_t seed);
  //! Writes one active episode per row in one transaction, after checking every row against the
  //! current waitlist, the hard filters and remaining capacity (nothing is written on a refusal).
  Result<std::vector<Id>> CommitAssignments(const Actor& actor, const std::vector<PlanRow>& rows);

  //! Research analyses on the organisation's de-identified data (researcher).
  Result<Replication> ReplicationAnalysis(const Actor& actor);
  Result<TherapistEffects> TherapistEffectsAnalysis(const Actor& actor, const AnalysisRequest& request);
  Result<MediationAnalysis> MediationAnalysisOf(const Actor& actor, const AnalysisRequest& request);

 private:
  OrganisationView ViewOf(Organisation organisation) const;
  Result<void> RequireRole(const Actor& actor, std::initializer_list<Role> roles, const char* what) const;
  Result<void> RequireClientAccess(const Actor& actor, Id client_id, const char* what);
  //! OK when `client_id` is a client of `org` (NOT_FOUND otherwise); known clients from the cache.
  Result<void> RequireClient(OrgId org, Id client_id);
  Result<void> RequireEpisodeAccess(const Actor& actor, const Episode& episode, const char* what) const;
  void AuditRead(const Actor& actor, const std::string& action, const std::string& entity,
                 const std::string& entity_id, const std::string& detail = {});

  store::Store& store_;
  const instruments::Catalogue& catalogue_;
  instruments::Use use_;
  Service service_;
  ReadAuditor audit_read_;
  Committer commit_;
  std::shared_ptr<ClinicCache> cache_;
  bool client_choice_ = true;
};

}  // namespace attune::service
