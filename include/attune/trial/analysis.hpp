#pragma once
//! Analysis of the mindfulness-training trial (docs/trial.md): ANCOVA on each FFMQ facet, mixed
//! models for client-rated alliance and outcome change (clients nested in therapists, arm x period,
//! adjusted for baseline severity), mediation by facet change, and the CONSORT flow.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"
#include "attune/trial/allocation.hpp"

namespace attune::trial {

//! The five FFMQ facets in the order used here (the ffmq39 scale ids).
inline constexpr std::array<const char*, 5> kFacetNames = {"observe", "describe", "act_aware", "nonjudge",
                                                           "nonreact"};

//! Facet scores at one measurement occasion (nullopt = not measured).
using FacetScores = std::array<std::optional<double>, 5>;

//! A therapist's trial record.
struct TherapistRecord {
  Id therapist_id = 0;
  std::string arm;  //!< as allocated
  int step = 0;     //!< stepped wedge: trained from this period on
  FacetScores baseline, post, followup;
  int training_sessions = 0;       //!< training log: sessions attended
  double practice_minutes = 0;     //!< training log: home practice
  bool withdrew = false;           //!< left the trial after allocation
};

//! A client's trial record; alliance is the mean of the client's session ratings.
struct ClientRecord {
  Id client_id = 0;
  Id therapist_id = 0;
  int period = 0;  //!< 0 = before any training; parallel: 1 = after; stepped wedge: 0..steps
  std::optional<double> baseline_severity;
  std::optional<double> alliance;
  std::optional<double> outcome_change;  //!< last minus first severity (negative = improvement)
  bool dropped_out = false;
};

//! Everything the analysis reads.
struct TrialData {
  Design design = Design::PARALLEL;
  std::string intervention_arm = "training";
  int steps = 1;  //!< stepped wedge: steps; parallel: 1 (periods 0 and 1)
  std::vector<TherapistRecord> therapists;
  std::vector<ClientRecord> clients;
};

//! What to compute.
struct AnalysisOptions {
  bool facets = true;
  bool alliance = true;
  bool outcome = true;
  int mediation_resamples = 2000;  //!< 0 = no mediation
  std::uint64_t seed = 20150101;   //!< bootstrap seed
  double level = 0.95;
  bool random_slopes = true;  //!< parallel: (1 + period | therapist); false: (1 | therapist)
  int min_training_sessions = 1;  //!< CONSORT: "received training" threshold
};

//! An effect with its interval. `df` is the t reference's degrees of freedom (0 = normal).
struct Estimate {
  double estimate = 0, se = 0, ci_low = 0, ci_high = 0, p = 1, df = 0;
};

//! ANCOVA of one facet at one occasion: facet ~ arm + baseline facet.
struct FacetEffect {
  std::string facet;
  std::string occasion;  //!< "post" | "followup"
  std::size_t n = 0;
  Estimate effect;  //!< intervention minus control, facet SD units of the scores given
};

//! The training effect in one mixed model.
struct ModelEffect {
  std::string outcome;  //!< "alliance" | "outcome_change"
  std::string formula;
  std::size_t nobs = 0, therapists = 0;
  Estimate effect;  //!< coefficient of `trained` (arm x period)
  double therapist_icc = 0;
  bool converged = false, singular = false;
  std::vector<std::string> messages;
};

//! Therapist-level mediation: arm -> change in facet composite -> change in mean client alliance.
struct MediationEffect {
  std::size_t therapists = 0;
  double a = 0, b = 0, c = 0, c_prime = 0, ab = 0, ab_ci_low = 0, ab_ci_high = 0;
  int resamples = 0;
};

//! CONSORT-style counts. Arms in allocation order; stepped wedge counts per step.
struct ConsortArm {
  std::string arm;
  int allocated = 0, received_training = 0, withdrew = 0;
  int baseline_measured = 0, post_measured = 0, followup_measured = 0;
  int clients = 0, clients_with_alliance = 0, clients_dropped_out = 0, clients_with_outcome = 0;
  int therapists_analysed = 0, clients_analysed = 0;
};

//! The trial's dates as registered with the allocation and as this analysis used them (an analysis
//! may override the registered schedule; the report then says so).
struct AnalysisDates {
  std::string allocated_on;                        //!< baseline FFMQ is the latest before it
  std::vector<std::string> registered_period_starts;  //!< empty = no schedule was recorded
  std::string registered_followup_from;            //!< "" = none recorded
  std::vector<std::string> period_starts;          //!< used: period k begins on period_starts[k - 1]
  std::string followup_from;                       //!< used; "" = no follow-up occasion

  //! Whether a date used differs from the registered one (or none was registered).
  bool DepartsFromRegistration() const {
    return period_starts != registered_period_starts || followup_from != registered_followup_from;
  }
};

//! The whole analysis.
struct TrialAnalysis {
  std::optional<AnalysisDates> dates;  //!< set when the analysis ran from a recorded allocation
  std::vector<ConsortArm> consort;
  std::vector<FacetEffect> facets;
  std::optional<ModelEffect> alliance;
  std::optional<ModelEffect> outcome;
  std::optional<MediationEffect> mediation;
  std::vector<std::string> notes;  //!< parts not computed and why
};

//! Runs the analyses asked for. INVALID_ARGUMENT for a client whose therapist is unknown, a period
//! outside 0..steps, or an arm not among the data's arms; FAILED_PRECONDITION when a requested
//! model cannot be fitted (too few therapists or clients), naming which.
Result<TrialAnalysis> Analyse(const TrialData& data, const AnalysisOptions& options = {});

//! Just the alliance model (the quantity the simulation check scores).
Result<ModelEffect> AllianceEffect(const TrialData& data, const AnalysisOptions& options = {});

//! The analysis as JSON text.
std::string AnalysisJson(const TrialAnalysis& analysis);
//! The analysis as a readable report.
std::string AnalysisText(const TrialAnalysis& analysis);

}  // namespace attune::trial
