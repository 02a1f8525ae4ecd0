#pragma once
//! Simulated trials with a planted training effect: power by simulation, and the check that the
//! analysis's 95% intervals cover the truth and its false-positive rate is nominal (docs/trial.md).

#include <cstdint>
#include <functional>

#include "attune/core/result.hpp"
#include "attune/trial/allocation.hpp"
#include "attune/trial/analysis.hpp"

namespace attune::trial {

//! The generative model's parameters (docs/trial.md "Simulation"). Defaults for the facet shift
//! and facet weights follow sim::SimParams.
struct TrialSimParams {
  Design design = Design::PARALLEL;
  int therapists = 30;
  int clients_per_therapist = 20;  //!< over the whole trial, split evenly over the periods
  int steps = 3;                   //!< stepped wedge
  double effect = 0.3;             //!< planted training effect on client-rated alliance (SD units)
  double icc = 0.08;               //!< therapist share of alliance variance
  double facet_shift = 0.30;       //!< training raises each facet by this many SD
  double facet_change_sd = 0.10;   //!< therapist-to-therapist variation in facet change
  double facet_error_sd = 0.40;    //!< measurement error of an observed facet score
  double followup_retention = 0.7; //!< share of the facet gain kept at follow-up
  double severity_alliance = -0.10;  //!< alliance per SD of baseline severity
  double period_drift = 0.05;      //!< secular change in alliance per period
  double alliance_outcome = 0.40;  //!< improvement (severity SD) per SD of alliance
  double withdraw_prob = 0.05;     //!< a therapist leaves after allocation
  double dropout_base = 0.30;      //!< client dropout probability at average alliance
};

//! Refuses a parameter out of range: INVALID_ARGUMENT naming it, its value and the range.
Result<void> Validate(const TrialSimParams& params);

//! A parameter's accepted range [lo, hi], shared by Validate and the command line (which refuses a
//! value outside it naming its option).
struct ParamRange {
  double lo, hi;
};
inline constexpr ParamRange kTherapistsRange{4, 100000};
inline constexpr ParamRange kStepsRange{1, 24};
inline constexpr ParamRange kEffectRange{-5, 5};
inline constexpr ParamRange kIccRange{0, 0.9};

//! Allocates (Allocate with the seed) and simulates one trial. Deterministic for (params, seed).
Result<TrialData> SimulateTrial(const TrialSimParams& params, std::uint64_t seed);

//! Monte Carlo summary of a proportion: estimate and its standard error sqrt(p(1-p)/K).
struct Proportion {
  double value = 0, mcse = 0;
  int count = 0, of = 0;
};

//! Power by simulation.
struct PowerResult {
  TrialSimParams params;
  int sims = 0, failed = 0;
  Proportion power;  //!< share of fits with p < 0.05 for the alliance effect
  double mean_estimate = 0, mean_se = 0;
};

//! The simulation check: `sims` trials with the planted effect and `sims` with none.
struct CheckResult {
  TrialSimParams params;
  int sims = 0, failed = 0;
  Proportion coverage;             //!< 95% CI covers the planted effect (effect sims)
  Proportion power;                //!< p < 0.05 (effect sims)
  Proportion false_positive_rate;  //!< p < 0.05 (no-effect sims)
  Proportion null_coverage;        //!< 95% CI covers 0 (no-effect sims)
  double mean_estimate = 0, bias = 0, empirical_sd = 0, mean_se = 0;
};

//! Called after each simulation with (done, total).
using Progress = std::function<void(int, int)>;

//! Power by simulation over the fits that succeed (the others counted in `failed`);
//! INVALID_ARGUMENT for a bad parameter or sims < 1, FAILED_PRECONDITION (giving the first fit's
//! error) when no simulated trial could be fitted.
Result<PowerResult> Power(const TrialSimParams& params, int sims, std::uint64_t seed,
                          const AnalysisOptions& options = {}, const Progress& progress = {});

//! The check; INVALID_ARGUMENT for a bad parameter or sims < 1. Fits that fail are counted in
//! `failed` and left out of the proportions; FAILED_PRECONDITION when every fit with the effect,
//! or every one without, failed.
Result<CheckResult> SimulationCheck(const TrialSimParams& params, int sims, std::uint64_t seed,
                                    const AnalysisOptions& options = {}, const Progress& progress = {});

//! JSON text of a power result / a check (coverage and false_positive_rate with their MC errors).
std::string PowerJson(const PowerResult& result);
std::string CheckJson(const CheckResult& result);

}  // namespace attune::trial
