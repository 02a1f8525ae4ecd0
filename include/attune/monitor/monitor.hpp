#pragma once
//! Facade of module `monitor`: per-response change, alerts (risk items, alliance ruptures and
//! repairs, reliable deterioration, not on track), expected treatment response curves, and
//! aggregate rates (docs/monitor.md). Pure logic: values in, values out.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"
#include "attune/instruments/instruments.hpp"

namespace attune::monitor {

//! What a scale is watched for.
enum class Role { OUTCOME, ALLIANCE };

//! How change on one scale ("instrument.scale") is judged when its file has no norms.
struct ScaleSettings {
  Role role = Role::OUTCOME;
  std::optional<double> reliable_change;  //!< points (outcome scales without norms)
  std::optional<double> sd;               //!< alliance scales: SD for the SEM
  std::optional<double> reliability;      //!< alliance scales: reliability for the SEM
  std::optional<double> cutoff;           //!< alliance scales: a rupture when falling below this
  std::string source;
};

//! Every threshold of the rules; defaults as in docs/monitor.md.
struct Config {
  std::map<std::string, ScaleSettings> scales;  //!< key "instrument.scale"
  //! m: earlier observations forming the pair's level (0: every earlier one except those that
  //! opened a rupture).
  int rupture_baseline = 0;
  double rupture_z = 1.40;  //!< z of the drop of a whole-form scale from the pair's level
  //! z for each subscale (goal, task, bond). Chosen with `monitor evaluate` on seeds 2 and 3 so
  //! that all rules together keep specificity >= .90 (docs/monitor.md).
  double rupture_subscale_z = 2.30;
  //! Size of the rupture the drop rule is shaped for, in SDs of one score (0: the plain rule
  //! z SD sqrt(1 + 1/m)). With size mu the threshold is SD ((z - mu/2) (1 + 1/m) + mu/2): the
  //! likelihood-ratio test of a drop of mu against none, z SD when the level is known exactly.
  //! Chosen with z on seeds 2 and 3 (docs/monitor.md).
  double rupture_size = 2.5;
  int repair_window = 3;           //!< observations within which a return counts as repair
  //! A return counts as repair when the score is at most this many SDs (the spread of the drop
  //! rule) on the bad side of the level before the rupture.
  double repair_margin = 0.0;
  double not_on_track_z = 1.2816;  //!< one-sided band of the expected response
  int not_on_track_from_session = 3;
  std::size_t min_curve_episodes = 20;  //!< episodes with 3+ observations needed for a curve
  std::string alliance_summary_key = "wai_sr.total";  //!< the alliance averaged in reports
  //! Defaults: PHQ-9/GAD-7 from NHS Talking Therapies, CORE-10 norms, WAI-SR/SRS alliance.
  static Config Defaults();
};

//! An organisation's own thresholds (docs/monitor.md "Organisation settings"). An unset field
//! keeps the default of monitor::Config.
struct Settings {
  std::optional<double> rupture_cutoff;  //!< WAI-SR total cutoff; 0 turns the cutoff rule off
  std::optional<double> rupture_z, rupture_subscale_z, rupture_size, repair_margin, not_on_track_z;
  std::optional<double> repair_window;  //!< a whole number of observations
};

//! `current` changed by `patch`, a JSON object of Settings fields: a number sets a field, null
//! returns it to the default. INVALID_ARGUMENT naming the field, the value and what was expected
//! for anything else (not an object, an unknown field, a wrong type, a value out of range); then
//! nothing is changed. Stored settings are read with ApplySettingsPatch({}, stored).
Result<Settings> ApplySettingsPatch(Settings current, const std::string& patch);
//! The set fields as a JSON object ("{}" when none).
std::string SettingsToJson(const Settings& settings);
//! `config` with the set fields of `settings` in place of its own.
Config WithSettings(Config config, const Settings& settings);
//! Every field's value in `config`, as a JSON object (rupture_cutoff 0 when the rule is off).
std::string EffectiveSettingsJson(const Config& config);

//! True when one of `instrument`'s scales is an alliance scale in `config` (WAI-SR, SRS): the
//! form rates therapy with a therapist, so it belongs to an episode and is about a session held.
bool RatesTheAlliance(const instruments::Instrument& instrument, const Config& config);

//! The z whose one-sided tail is Sidak's share of the tail of `z` over `tests` tests:
//! 1 - (1 - alpha)^(1/tests). SidakZ(1.5, 3) = 2.00. Precondition: tests >= 1.
double SidakZ(double z, int tests);

//! One scored response inside an episode.
struct Observation {
  Id response_id = 0;
  std::string instrument;
  int session = 0;  //!< 1-based
  std::map<std::string, double> scores;  //!< scale id -> score (scorable scales only)
  //! For watching the alliance only, never reported as a score: a scale left unscorable by
  //! skipped items, estimated from the items answered (sum x items / answered) when at least
  //! three in four of its items were answered (kEstimateShare).
  struct Estimate {
    double score = 0;
    std::size_t answered = 0;
    std::size_t items = 0;
  };
  std::map<std::string, Estimate> estimates;  //!< scale id -> estimate (unscorable scales only)
  struct Risk {
    std::string item;
    double value = 0;
    double above = 0;
    std::string label;
  };
  std::vector<Risk> risks;
};

//! Share of a scale's items that must be answered for an Observation::Estimate.
inline constexpr double kEstimateShare = 0.75;

//! Builds an Observation from a scoring result; with the answers, also the estimates of scales
//! that skipped items left unscorable.
Observation MakeObservation(const instruments::Instrument& instrument,
                            const instruments::ScoreResult& scored, Id response_id, int session,
                            const instruments::Answers* answers = nullptr);

//! What a stored Curve holds.
enum class CurveModel {
  EXPECTED_RESPONSE,  //!< outcome scale: growth in log(session) by intake severity
  WITHIN_PAIR,        //!< alliance scale: one pair's session-to-session SD (sigma2 only)
};

//! An expected treatment response curve for one outcome scale, or the within-pair variability of
//! one alliance scale (docs/monitor.md).
struct Curve {
  std::string key;  //!< "instrument.scale"
  CurveModel model = CurveModel::EXPECTED_RESPONSE;
  bool available = false;
  std::string reason;  //!< why not available
  double b0 = 0, b_log_session = 0, b_intake = 0, b_interaction = 0;
  double intake_centre = 0;  //!< intake enters the model centred at this value
  double tau00 = 0, tau01 = 0, tau11 = 0, sigma2 = 0;
  std::size_t episodes = 0, observations = 0;
  bool higher_is_worse = true;
  //! Expected score at `session` for a client with this intake score.
  double Expected(int session, double intake) const;
  //! Prediction SD of one new observation at `session`.
  double PredictionSd(int session) const;
};

//! One data point for fitting a curve.
struct CurvePoint {
  Id episode = 0;
  int session = 0;
  double score = 0;
};

//! Fits the curve of `key` from observations grouped by episode (the first per episode is the
//! intake). Always returns a Curve; `available` is false with a reason when there is too little
//! data or the fit fails. INVALID_ARGUMENT only for a session below 1.
Result<Curve> FitCurve(const std::string& key, bool higher_is_worse, const std::vector<CurvePoint>& points,
                       const Config& config);

//! Fits the within-pair variability of alliance scale `key`: sigma2 = Var(d) / 2 over every
//! difference d between consecutive sessions of one episode, Var(d) estimated from the smallest
//! nine tenths of |d| (robust to the ruptures themselves, and smooth on whole-point scores).
//! `available` is false with a reason when fewer than `min_curve_episodes` episodes have two
//! consecutive observations. INVALID_ARGUMENT only for a session below 1.
Result<Curve> FitWithinPair(const std::string& key, const std::vector<CurvePoint>& points, const Config& config);

//! Curve as JSON text / parsed back (for storage).
std::string CurveToJson(const Curve& curve);
Result<Curve> CurveFromJson(const std::string& text);

//! A change decision (intake -> now, or previous -> now).
struct Change {
  double before = 0, after = 0, change = 0;
  double threshold = 0;  //!< reliable change in points
  std::string method;    //!< "jacobson_truax" | "rule_points" | "none"
  bool reliable = false, improved = false;
  std::string classification;  //!< instruments::ChangeClassName, or "unknown"
};

//! Change of one outcome scale at one observation.
struct ScaleChange {
  std::string key;
  Id response_id = 0;  //!< the observation's
  int session = 0;
  double score = 0;
  std::optional<Change> since_intake;
  std::optional<Change> since_last;
};

//! An alert raised by an observation, with its evidence as JSON text.
struct RaisedAlert {
  std::string kind;      //!< risk_item | rupture | rupture_repaired | reliable_deterioration | not_on_track
  std::string severity;  //!< info | warning | urgent
  std::string scale;     //!< "instrument.scale" (empty for risk items)
  int session = 0;
  std::string detail;    //!< one sentence for people
  std::string evidence;  //!< JSON object
};

//! The urgent risk_item alerts of one observation (one per risk flag), as AssessEpisode raises
//! them; the evidence names the session only when it is known (1 or more).
std::vector<RaisedAlert> RiskAlerts(const Observation& obs);

//! A rupture as the replay saw it.
struct RuptureEvent {
  std::string key;
  int session = 0;
  double level = 0;  //!< the pair's level the drop was measured from
  double score = 0;
  std::string status;  //!< "open" | "repaired" | "unrepaired"
  int repair_session = 0;
  //! What a return must reach to repair it: `level`, or for a further drop while a rupture was
  //! open, the level before that first rupture (at `repair_from_session`).
  double repair_level = 0;
  int repair_from_session = 0;
};

//! What replaying an episode gives.
struct EpisodeAssessment {
  std::vector<ScaleChange> changes;               //!< one per outcome scale per observation
  std::vector<std::vector<RaisedAlert>> alerts;   //!< per observation, same order as input
  std::vector<RuptureEvent> ruptures;
  std::vector<std::string> notes;                 //!< e.g. curves unavailable
};

//! Therapy has ended: a rupture still open was not repaired before it ended, so it is marked
//! "unrepaired" (the episode view and the report give one verdict; docs/monitor.md).
void EndOfTherapy(EpisodeAssessment& assessment);

//! Replays an episode's observations (in order) and raises alerts for each. `catalogue` gives
//! scale directions and norms; `curves` maps "instrument.scale" to a curve.
//! INVALID_ARGUMENT when an observation names an unknown instrument or a session below 1.
Result<EpisodeAssessment> AssessEpisode(const std::vector<Observation>& observations,
                                        const instruments::Catalogue& catalogue,
                                        const std::map<std::string, Curve>& curves, const Config& config);

//! A rate with its 95% Wilson interval.
struct Rate {
  std::size_t events = 0, n = 0;
  double rate = 0, low = 0, high = 0;
  std::optional<double> adjusted;  //!< case-mix adjusted rate (therapists), clamped to [0, 1]
  //! organisation rate + (observed - expected) before the clamp: below 0 (or above 1) when the
  //! therapist did better (worse) than expected by more than the organisation's rate allows.
  std::optional<double> adjusted_unclamped;
  //! Whether `adjusted` was clamped (it then differs from `adjusted_unclamped`).
  bool AdjustedClamped() const { return adjusted && adjusted_unclamped && *adjusted != *adjusted_unclamped; }
};
//! Wilson score interval; n = 0 gives rate 0 and [0, 1].
Rate Wilson(std::size_t events, std::size_t n, double z = 1.959964);

//! One episode's summary for aggregates.
struct EpisodeSummary {
  Id episode = 0;
  Id therapist = 0;
  std::string outcome_key;
  std::optional<double> intake, last;  //!< outcome scores
  std::optional<Change> change;        //!< intake -> last
  bool case_at_intake = false, case_at_end = false;
  std::optional<double> mean_alliance;
  //! Ruptures (one per session), those repaired, and those not yet decided (their repair window
  //! still open when the episode's observations end).
  int ruptures = 0, repaired = 0, undecided = 0;
};

//! Summarises an assessed episode.
EpisodeSummary Summarise(Id episode, Id therapist, const std::vector<Observation>& observations,
                         const EpisodeAssessment& assessment, const instruments::Catalogue& catalogue,
                         const Config& config);

//! Rates for one group of episodes.
struct GroupReport {
  std::string group;  //!< "organisation" or "therapist <id>"
  Id therapist = 0;
  std::size_t episodes = 0, with_outcome = 0;
  Rate reliable_improvement, recovery, reliable_recovery, deterioration;
  std::optional<double> mean_alliance;
  double ruptures_per_episode = 0;
  std::size_t ruptures_undecided = 0;  //!< ruptures whose repair is not decided yet
  Rate repair;  //!< repaired / ruptures decided (repaired or unrepaired)
};

//! Organisation report and one per therapist, case-mix adjusted for intake severity.
struct Report {
  GroupReport organisation;
  std::vector<GroupReport> therapists;
  std::string adjustment;  //!< how (or why not) adjusted
};

//! Aggregates episode summaries.
Report Aggregate(const std::vector<EpisodeSummary>& episodes);

}  // namespace attune::monitor
