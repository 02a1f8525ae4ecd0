#pragma once
//! Value types of the Clinic use cases added for the web app's daily work (docs/api.md):
//! questionnaires due, the expected-response band, a client's choice of therapist, the
//! mindfulness training log, batch assignment plans (preview, commit) and the research analyses
//! on the organisation's own de-identified data. Authorisation is decided by service::Clinic.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/types.hpp"
#include "attune/stats/correlation.hpp"
#include "attune/stats/lmm.hpp"
#include "attune/stats/mediation.hpp"
#include "attune/stats/regression.hpp"

namespace attune::service {

//! A questionnaire a client should answer now.
struct DueItem {
  std::string instrument_id;
  std::string reason;  //!< for people, e.g. "before session 5"
  std::optional<Id> episode_id;
  std::optional<Id> session_id;
};

//! One session of an expected-response band.
struct ExpectedPoint {
  int session = 0;
  double expected = 0, lower = 0, upper = 0;
};

//! The expected treatment response of one client on one outcome scale, from the organisation's
//! stored curves (module monitor): expected +- z * prediction SD, z = the not-on-track z.
struct ExpectedBand {
  std::string instrument_id, scale_id;
  bool available = false;
  std::string reason;  //!< why not available
  std::optional<Id> episode_id;
  std::optional<double> intake;
  double z = 0;
  std::vector<ExpectedPoint> points;
};

//! One FFMQ-39 self-report of a therapist: its scale scores (facets and total).
struct MindfulnessPoint {
  Id response_id = 0;
  std::string answered_at;
  std::vector<Score> scores;
};

//! One proposed (or committed) assignment.
struct PlanRow {
  Id client_id = 0;
  Id therapist_id = 0;
  double score = 0;                  //!< predicted fit on 0..1: Phi(predicted SD units)
  double predicted_sd = 0;           //!< the model's prediction in SD units of the clinic
  std::vector<std::string> reasons;  //!< the prediction's largest terms, in words
};

//! A batch assignment of the waitlist beside assignment as usual for the same clients.
struct AssignmentPreview {
  std::vector<PlanRow> plan;      //!< optimal (min-cost flow); clients left out are not listed
  std::vector<PlanRow> as_usual;  //!< first come, a random eligible therapist with room
  std::size_t waitlist = 0;       //!< clients considered
  std::size_t unassigned = 0;     //!< clients the plan could not place
  std::size_t chose_own = 0;      //!< clients waiting for the therapist they chose (not planned)
  double plan_mean = 0, as_usual_mean = 0;  //!< mean score of the assigned rows
  std::string model_note;         //!< how much data the model rests on
  std::uint64_t seed = 0;         //!< of the as-usual draw
};

//! What to analyse (defaults in docs/api.md).
struct AnalysisRequest {
  std::string outcome = "improvement";  //!< therapist effects: "improvement" | "alliance"
  std::string facet = "nonjudge";       //!< mediation: the FFMQ facet (or "total")
  int resamples = 1000;                 //!< mediation bootstrap
  std::uint64_t seed = 20150101;
};

//! The Razzaque, Okoro & Wood (2015) analysis on the organisation's therapist-level data: each
//! therapist's latest FFMQ-39 facets against the mean early client-rated alliance of their episodes.
struct Replication {
  std::size_t therapists = 0;         //!< in the organisation
  std::vector<stats::Correlation> correlations;  //!< facet with alliance
  stats::OlsFit fit;
  std::string alliance_measure;
};

//! Therapist effects: a random intercept per therapist on an episode-level outcome.
struct TherapistEffects {
  std::string outcome, formula;
  stats::LmmFit fit;
  double icc = 0, therapist_variance = 0, residual_variance = 0;
  struct Effect {
    std::string therapist;
    double effect = 0, se = 0;
  };
  std::vector<Effect> effects;  //!< sorted by effect
};

//! Mediation: therapist facet -> episode alliance -> episode improvement, clustered by therapist.
struct MediationAnalysis {
  std::string x, m, y;
  stats::Mediation result;
  double level = 0.95;
};

}  // namespace attune::service
