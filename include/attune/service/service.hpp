#pragma once
//! Facade of module `service`: the use cases that combine the store with instrument logic.
//! Each use case validates at the door (instrument licence, permitted values, required
//! fields), then writes through one store transaction: nothing partial is ever written.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"
#include "attune/instruments/instruments.hpp"
#include "attune/monitor/monitor.hpp"
#include "attune/store/store.hpp"

namespace attune::service {

//! A questionnaire as submitted by a client or therapist.
struct Submission {
  std::string instrument_id;
  Id respondent_id = 0;              //!< who answered (kind follows the instrument)
  Id subject_id = 0;                 //!< whom it is about
  std::optional<Id> episode_id;
  std::optional<Id> session_id;
  std::string answered_at;           //!< ISO-8601 UTC
  instruments::Answers answers;      //!< one per item, in item order
  std::string idempotency_key;       //!< chosen by the submitter; unique in the organisation
};

//! Scores `response` with `instrument` into the rows the store keeps. INVALID_ARGUMENT names
//! the item and value when an answer is not permitted.
Result<store::ScoredResponse> ScoreForStorage(const instruments::Instrument& instrument,
                                              Response response);

//! A row an import refused.
struct RefusedRow {
  std::size_t line = 0;    //!< 1-based line of the file
  std::size_t column = 0;  //!< 1-based column; 0 = the whole row
  std::string reason;
};

//! What an import did.
struct ImportReport {
  std::int64_t rows = 0;      //!< data rows read
  std::int64_t imported = 0;  //!< rows written (0 when refused rows stopped an all-or-nothing import)
  std::int64_t risk_alerts = 0;  //!< urgent risk_item alerts stored with the written rows
  std::vector<RefusedRow> refused;
};

//! How to import.
struct ImportOptions {
  bool partial = false;        //!< write the good rows even when some are refused
  std::string instrument_id;   //!< responses: the instrument of every row
  std::string source;          //!< file name, for the audit log
  //! Called now and then with the rows read so far (for a progress bar).
  std::function<void(std::int64_t rows)> progress;
};

//! Export formats.
enum class Format { CSV, JSON };

//! How to export.
struct ExportOptions {
  Format format = Format::CSV;
  //! Research export: no idempotency keys, respondent and subject ids replaced by keyed-hash
  //! pseudonyms (stable within one export, unlinkable across exports with different salts),
  //! times coarsened to the date.
  bool deidentify = false;
  std::string salt;  //!< pseudonym key; empty = a random one per export
  std::string instrument_id;  //!< responses: only this instrument (needed for item columns)
};

//! An organisation's monitoring thresholds, each a JSON object (docs/api.md).
struct MonitoringSettingsView {
  std::string settings;   //!< the fields the organisation changed
  std::string effective;  //!< every field's value in force
  std::string defaults;   //!< Attune's value of every field
  //! {"settings": ..., "effective": ..., "defaults": ...}: one form for the API and the CLI.
  std::string Json() const;
};

//! What the monitor makes of one submitted response (Service::MonitorSubmission).
struct SubmissionCheck {
  std::vector<Alert> alerts;                  //!< to store with the response
  std::vector<monitor::ScaleChange> changes;  //!< its change figures, one per outcome scale
};

//! Commits a prepared response (the API's group commit); empty = Store::SubmitResponse.
using Committer = std::function<Result<store::SubmitOutcome>(OrgId org, store::ScoredResponse scored,
                                                             const store::Actor& actor)>;

//! The use cases, for one deployment (store + instrument catalogue + declared use).
class Service {
 public:
  Service(store::Store& store, const instruments::Catalogue& catalogue, instruments::Use use);

  //! Validates the answers against the instrument (licence for the declared use, item count,
  //! permitted values), scores them, and stores response + scores + audit entry in one
  //! transaction. Idempotent: a key seen before returns the first outcome, writing nothing;
  //! CONFLICT when the key was used for different answers. The alerts are decided from the
  //! subject's history; when another writer (another server process) stored a response about
  //! the subject in the meantime, it is prepared again from the new history, up to
  //! kSubmitAttempts times (then CONFLICT). `commit` stores one prepared response (empty:
  //! Store::SubmitResponse).
  //! `changes`, when given, receives the response's change figures (monitor::ScaleChange, one
  //! per outcome scale: since intake and since the last session with their decisions), also for
  //! a replay.
  Result<store::SubmitOutcome> SubmitResponse(OrgId org, const Submission& submission,
                                              const store::Actor& actor = {}, const Committer& commit = {},
                                              std::vector<monitor::ScaleChange>* changes = nullptr);
  static constexpr int kSubmitAttempts = 8;
  //! The first half of SubmitResponse without the write: validates, scores and runs the monitor,
  //! giving what the store keeps (for a caller that commits in groups: Store::SubmitResponses),
  //! and the change figures in `changes` when given.
  Result<store::ScoredResponse> PrepareSubmission(OrgId org, const Submission& submission,
                                                  std::vector<monitor::ScaleChange>* changes = nullptr);

  //! Monitoring (docs/monitor.md). An episode's responses as monitor observations, in session
  //! order. A response's session is the session it names; without one, the session it was
  //! answered around, from its time among the sessions held (an outcome measure before the next
  //! session, an alliance form or a therapist's rating about the last one held); in an episode
  //! with no session recorded, its position among that instrument's responses.
  Result<std::vector<monitor::Observation>> EpisodeObservations(OrgId org, Id episode_id);
  //! Replays an episode through the monitor with the organisation's stored curves.
  Result<monitor::EpisodeAssessment> AssessEpisode(OrgId org, Id episode_id);
  //! Fits expected treatment response curves for every outcome scale from the organisation's
  //! episodes and stores them (model "monitor.curves"); unavailable curves say why.
  Result<std::vector<monitor::Curve>> FitExpectedResponse(OrgId org, const store::Actor& actor = {});
  //! The stored curves by "instrument.scale" (empty when none were fitted).
  Result<std::map<std::string, monitor::Curve>> StoredCurves(OrgId org);
  //! Rates per organisation and therapist over every episode (one therapist when given).
  Result<monitor::Report> MonitorReport(OrgId org, std::optional<Id> therapist_id = std::nullopt);
  //! What `response` (not yet stored) raises, given the episode's stored history: replayed in
  //! session order with it, the alerts at its place; a late form (of a session before others
  //! already answered) also raises what the later observations now raise and did not without it
  //! (a rupture it opened, repaired by a later form), so the stored alerts follow the replay.
  Result<SubmissionCheck> MonitorSubmission(OrgId org, const instruments::Instrument& instrument,
                                            const Response& response);
  //! The organisation's monitoring thresholds (docs/monitor.md "Organisation settings").
  Result<MonitoringSettingsView> MonitoringSettings(OrgId org);
  //! Changes them with a JSON patch (a number sets a field, null returns it to the default);
  //! INVALID_ARGUMENT naming the field, the value and the range, and nothing written, for
  //! anything else. Audited as organisation.monitor_settings; applies from the next response.
  Result<MonitoringSettingsView> ChangeMonitoringSettings(OrgId org, const std::string& patch,
                                                          const store::Actor& actor);
  //! The monitoring thresholds of `org`: the service's (SetMonitorConfig) with the
  //! organisation's own settings in place (docs/monitor.md "Organisation settings").
  Result<monitor::Config> MonitorConfigFor(OrgId org);
  //! Monitoring thresholds under every organisation's own settings (defaults:
  //! monitor::Config::Defaults()).
  void SetMonitorConfig(monitor::Config config) { monitor_config_ = std::move(config); }
  //! The monitor's scales and their roles before any organisation's thresholds (no read).
  const monitor::Config& BaseMonitorConfig() const { return monitor_config_; }

  //! Imports a CSV file (docs/cli.md gives the columns). INVALID_ARGUMENT when the header is
  //! unusable; refused rows are reported in the ImportReport; by default any refused row means
  //! nothing is written.
  Result<ImportReport> ImportTherapists(OrgId org, std::istream& in, const ImportOptions& options,
                                        const store::Actor& actor = {});
  Result<ImportReport> ImportClients(OrgId org, std::istream& in, const ImportOptions& options,
                                     const store::Actor& actor = {});
  Result<ImportReport> ImportResponses(OrgId org, std::istream& in, const ImportOptions& options,
                                       const store::Actor& actor = {});

  //! Writes responses (item-level columns) or scores (scale-level) in response id order;
  //! returns the number of rows written.
  Result<std::int64_t> ExportResponses(OrgId org, std::ostream& out, const ExportOptions& options);
  Result<std::int64_t> ExportScores(OrgId org, std::ostream& out, const ExportOptions& options);

 private:
  //! The service's thresholds with the organisation's stored settings text applied.
  Result<monitor::Config> ConfigWith(OrgId org, const std::string& settings) const;
  MonitoringSettingsView ViewOf(const monitor::Config& config, const std::string& settings) const;

  store::Store& store_;
  const instruments::Catalogue& catalogue_;
  instruments::Use use_;
  monitor::Config monitor_config_ = monitor::Config::Defaults();
};

}  // namespace attune::service
