#pragma once
//! Facade of module `model`: predicts early client-rated alliance and symptom improvement for a
//! client-therapist pair, with literature priors, stated uncertainty and additive explanations
//! (docs/matching.md). Pure logic: fitted from values, no database, network or clock.

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"

namespace attune::model {

//! The five FFMQ facets (ffmq39 scale ids), in this order everywhere in `model`.
inline constexpr std::array<const char*, 5> kFacets = {"observe", "describe", "act_aware", "nonjudge",
                                                       "nonreact"};
//! The four C-NIP dimensions, in this order.
inline constexpr std::array<const char*, 4> kStyles = {"directiveness", "emotional_intensity",
                                                       "past_orientation", "warm_support"};

//! What the model knows about a therapist. Raw scores: the model standardises them itself.
struct TherapistData {
  Id id = 0;
  std::optional<std::array<double, 5>> facets;  //!< FFMQ facet scores (kFacets order)
  std::optional<std::array<double, 4>> style;   //!< own style on the C-NIP dimensions
  //! Which entries of `facets` / `style` were measured (a scale left unscorable by a skipped
  //! item is unknown, not 0); an unknown entry's value is ignored.
  std::array<bool, 5> facet_known = {true, true, true, true, true};
  std::array<bool, 4> style_known = {true, true, true, true};
  bool mindfulness_visible = false;  //!< the therapist opted in to show clients raw facet scores
};

//! What the model knows about a client.
struct ClientData {
  Id id = 0;
  std::optional<std::array<double, 4>> preferences;  //!< C-NIP preferences (kStyles order)
  std::array<bool, 4> preference_known = {true, true, true, true};  //!< as TherapistData::style_known
  std::vector<std::string> domains;                  //!< problem domains, primary first
};

//! One past episode: indices into TrainingData's therapists and clients, and what was observed.
struct EpisodeData {
  std::size_t therapist = 0;
  std::size_t client = 0;
  std::optional<double> alliance;     //!< early client-rated alliance (any scale; standardised)
  std::optional<double> improvement;  //!< symptom improvement, higher = better (standardised)
};

//! Everything a fit uses.
struct TrainingData {
  std::vector<TherapistData> therapists;
  std::vector<ClientData> clients;
  std::vector<EpisodeData> episodes;
};

//! Literature priors (docs/matching.md gives the sources). Coefficients are in SD units of the
//! outcome per SD of a standardised facet, or per unit of a style-fit term.
struct Priors {
  std::array<double, 5> facet_mean = {0.02, 0.02, 0.02, 0.07, 0.06};
  double facet_sd = 0.08;
  std::array<double, 4> fit_mean = {0.02, 0.02, 0.02, 0.02};
  double fit_sd = 0.03;
  double alliance_outcome_r = 0.28;    //!< outcome priors = this times the alliance priors
  double therapist_share = 0.08;       //!< prior therapist share of alliance variance
  double outcome_therapist_share = 0.05;
  double pseudo_therapists = 20;       //!< weight of the variance priors, in therapists
};

//! How to fit.
struct FitOptions {
  Priors priors;
  std::string fitted_at;  //!< supplied by the caller (the model has no clock)
  int iterations = 3;     //!< variance components <-> coefficients alternations
};

//! One coefficient: prior, what the data alone say, and the posterior.
struct Coefficient {
  std::string name;
  double prior_mean = 0, prior_sd = 0;
  std::optional<double> data_estimate;  //!< absent when the data cannot identify it
  double mean = 0, sd = 0;              //!< posterior
  double data_weight = 0;               //!< 1 - posterior variance / prior variance, in [0, 1]
};

//! A therapist's own effect, estimated from past clients and shrunk towards 0.
struct OwnEffect {
  std::size_t n = 0;       //!< past clients with the outcome observed
  double raw = 0;          //!< mean residual of those clients
  double shrunk = 0;       //!< raw times the reliability weight
  double variance = 0;     //!< posterior variance of the effect
};

//! One objective's fitted model.
struct Submodel {
  std::vector<Coefficient> coefficients;  //!< intercept, 5 facets, 4 fit terms
  std::vector<std::vector<double>> covariance;  //!< posterior covariance of the coefficients
  double therapist_variance = 0;  //!< tau^2
  double residual_variance = 0;   //!< sigma^2
  std::size_t n = 0;              //!< episodes used
  double y_mean = 0, y_sd = 1;    //!< standardisation of the observed outcome
};

//! A fitted model: both objectives, standardisations and per-therapist effects.
struct FittedModel {
  std::string fitted_at;
  std::size_t episodes = 0, therapists = 0, therapists_with_data = 0;
  std::array<double, 5> facet_mean{}, facet_sd{};
  std::array<double, 4> style_mean{}, style_sd{}, preference_mean{}, preference_sd{};
  Submodel alliance, outcome;
  std::map<Id, OwnEffect> alliance_effects, outcome_effects;
  std::vector<std::string> domains;  //!< domains with a therapist-by-domain record
  double domain_variance = 0;        //!< variance of therapist-by-domain outcome effects
  std::map<Id, std::vector<OwnEffect>> domain_effects;  //!< per therapist, `domains` order
  double data_weight = 0;  //!< mean data weight of the alliance coefficients (0 = all prior)
  std::vector<std::string> notes;  //!< e.g. "few episodes: predictions lean on literature priors"
};

//! Which quantity to predict or rank by.
enum class Objective { ALLIANCE, OUTCOME, BLEND };
//! "alliance" | "outcome" | "blend".
const char* ObjectiveName(Objective objective);
//! Parses an objective name; INVALID_ARGUMENT naming the value otherwise.
Result<Objective> ParseObjective(const std::string& name);

//! What a Term stands for; the kind says which of Term's fields describe it.
enum class TermKind { BASELINE, FACET, FIT, OWN_RECORD, OWN_SHRINKAGE, DOMAIN };
//! Where a therapist's facet lies among the organisation's therapists (z >= 0.5 high, <= -0.5 low).
enum class Level { LOW, ABOUT_AVERAGE, HIGH };
//! One end of a C-NIP dimension: HIGH = more of it (a directive style), LOW = less.
enum class Pole { HIGH, LOW };

//! One additive part of a prediction; the terms of a prediction add up to its mean. The model
//! gives what the term is about, not sentences: whoever shows it words it for its reader
//! (service::TermReason), so no reason is reworded after the fact.
struct Term {
  std::string key;   //!< stable id, e.g. "facet.nonjudge", "fit.directiveness", "own.shrinkage"
  double value = 0;  //!< SD units
  TermKind kind = TermKind::BASELINE;
  //! BASELINE, OWN_RECORD: the submodel's outcome, ALLIANCE or OUTCOME (a blend's merged
  //! own.record keeps the alliance's).
  Objective outcome = Objective::ALLIANCE;
  std::size_t dimension = 0;           //!< FACET: index into kFacets; FIT: index into kStyles
  Level level = Level::ABOUT_AVERAGE;  //!< FACET
  //! FIT: the end of the dimension the client's preference leans to (a preference of 0 counts
  //! as HIGH); absent when the preference or the therapist's style is unknown (average fit assumed).
  std::optional<Pole> preferred;
  std::size_t past_clients = 0;  //!< OWN_RECORD, DOMAIN: past clients with the outcome observed
  double reliability = 1;        //!< OWN_SHRINKAGE: shrunk / raw, the weight the own record gets
  std::string domain;            //!< DOMAIN: the client's main concern
  std::optional<double> raw_score;  //!< FACET: the therapist's raw facet score, only when opted in
};

//! A prediction in SD units of the clinic's outcome distribution (0 = the clinic average).
struct Prediction {
  double mean = 0;
  double sd = 0;  //!< uncertainty of the mean (coefficients and own effect), not client noise
  std::vector<Term> terms;  //!< sum of values == mean
};

//! Fits both submodels. Never refuses thin data: with no episodes the model is the priors.
//! INVALID_ARGUMENT for an episode index out of range or a non-finite value (field named).
Result<FittedModel> Fit(const TrainingData& data, const FitOptions& options = {});

//! Predicts for one pair; `blend_weight` is the alliance share for Objective::BLEND.
//! INVALID_ARGUMENT when blend_weight is outside [0, 1].
Result<Prediction> Predict(const FittedModel& model, const TherapistData& therapist, const ClientData& client,
                           Objective objective = Objective::ALLIANCE, double blend_weight = 0.5);

//! A therapist compiled for fast scoring: score = constant + sum_d slope[d] * p[d]
//! + domain[client domain] + client constant (see CompiledClient).
struct CompiledTherapist {
  double constant = 0;
  std::array<double, 4> slope{};
  std::vector<double> domain;  //!< FittedModel::domains order
};
//! A client compiled for fast scoring.
struct CompiledClient {
  std::array<double, 4> p{};  //!< standardised preferences (0 when unknown)
  double constant = 0;
  int domain = -1;  //!< index into FittedModel::domains, -1 when none
};
//! Compiles for one objective; Score(Compile(t), Compile(c)) == Predict(t, c).mean.
CompiledTherapist Compile(const FittedModel& model, const TherapistData& therapist, Objective objective,
                          double blend_weight = 0.5);
CompiledClient Compile(const FittedModel& model, const ClientData& client, Objective objective,
                       double blend_weight = 0.5);
//! The compiled score.
inline double Score(const CompiledTherapist& t, const CompiledClient& c) {
  double s = t.constant + c.constant + t.slope[0] * c.p[0] + t.slope[1] * c.p[1] + t.slope[2] * c.p[2] +
             t.slope[3] * c.p[3];
  if (c.domain >= 0) s += t.domain[static_cast<std::size_t>(c.domain)];
  return s;
}

}  // namespace attune::model
