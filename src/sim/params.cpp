// Parameter checks: every refusal names the parameter, its value and the expected range.
#include <fmt/core.h>

#include <cmath>
#include <string>

#include "attune/sim/sim.hpp"
#include "sim/params.hpp"

namespace attune::sim {

std::optional<Matrix5> Cholesky(const Matrix5& m) {
  Matrix5 l{};
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j <= i; ++j) {
      double sum = m[i][j];
      for (std::size_t k = 0; k < j; ++k) sum -= l[i][k] * l[j][k];
      if (i == j) {
        if (!(sum > 1e-10)) return std::nullopt;
        l[i][i] = std::sqrt(sum);
      } else {
        l[i][j] = sum / l[j][j];
      }
    }
  }
  return l;
}

namespace {

Unexpected OutOfRange(const std::string& name, double value, const std::string& expected) {
  return Fail(ErrorCode::INVALID_ARGUMENT,
              fmt::format("sim: {} = {} is out of range; expected {}", name, value, expected), name);
}

Result<void> Range(const std::string& name, double value, double lo, double hi) {
  if (!std::isfinite(value) || value < lo || value > hi) {
    return OutOfRange(name, value, fmt::format("{} to {}", lo, hi));
  }
  return Ok();
}

Result<void> Weights(const std::string& name, const std::vector<Weighted>& list, bool need_positive,
                     double max_weight) {
  if (need_positive && list.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("sim: {} is empty; expected at least one entry", name),
                name);
  }
  double total = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", name, i);
    if (list[i].name.empty()) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("sim: {} has an empty name; expected a name", item),
                  item);
    }
    if (auto r = Range(item + "." + list[i].name, list[i].weight, 0, max_weight); !r) return r;
    total += list[i].weight;
  }
  if (need_positive && !(total > 0)) {
    return OutOfRange(name + " (sum of weights)", total, "more than 0");
  }
  return Ok();
}

template <std::size_t N>
Result<void> Probs(const std::string& name, const std::array<double, N>& probs) {
  double total = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (auto r = Range(fmt::format("{}[{}]", name, i), probs[i], 0, 1); !r) return r;
    total += probs[i];
  }
  if (!(total > 0)) return OutOfRange(name + " (sum)", total, "more than 0");
  return Ok();
}

}  // namespace

Result<void> Validate(const SimParams& p) {
#define ATTUNE_SIM_RANGE(field, lo, hi) \
  if (auto r = Range(#field, static_cast<double>(p.field), lo, hi); !r) return r
  ATTUNE_SIM_RANGE(therapists, 1, 200000);
  ATTUNE_SIM_RANGE(clients, 0, 5000000);
  ATTUNE_SIM_RANGE(sessions, 1, 104);
  for (const std::string* id :
       {&p.outcome_instrument_depression, &p.outcome_instrument_anxiety, &p.outcome_instrument_other,
        &p.client_alliance_instrument, &p.therapist_alliance_instrument, &p.mindfulness_instrument,
        &p.style_instrument}) {
    if (id->empty()) {
      return Fail(ErrorCode::INVALID_ARGUMENT, "sim: an instrument id is empty; expected an instrument id",
                  "instrument");
    }
  }
  ATTUNE_SIM_RANGE(target_alpha, 0.5, 0.97);
  ATTUNE_SIM_RANGE(rounding_attenuation, 0.5, 1);
  ATTUNE_SIM_RANGE(item_spread, 0.05, 1);
  ATTUNE_SIM_RANGE(symptom_item_centre, 0, 1);
  ATTUNE_SIM_RANGE(alliance_item_centre, 0, 1);
  ATTUNE_SIM_RANGE(therapist_alliance_item_centre, 0, 1);
  ATTUNE_SIM_RANGE(mindfulness_item_centre, 0, 1);
  ATTUNE_SIM_RANGE(style_item_centre, 0, 1);
  ATTUNE_SIM_RANGE(item_skip_prob, 0, 0.5);
  ATTUNE_SIM_RANGE(form_skip_prob, 0, 0.5);

  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < 5; ++j) {
      const std::string name = fmt::format("facet_correlations[{}][{}]", i, j);
      const double v = p.facet_correlations[i][j];
      if (i == j) {
        if (v != 1.0) return OutOfRange(name, v, "1 on the diagonal");
      } else {
        if (auto r = Range(name, v, -0.95, 0.95); !r) return r;
        if (v != p.facet_correlations[j][i]) {
          return OutOfRange(name, v, fmt::format("equal to facet_correlations[{}][{}] ({})", j, i,
                                                 p.facet_correlations[j][i]));
        }
      }
    }
  }
  if (!Cholesky(p.facet_correlations)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "sim: facet_correlations is not positive definite; expected a valid correlation matrix",
                "facet_correlations");
  }
  ATTUNE_SIM_RANGE(trained_fraction, 0, 1);
  ATTUNE_SIM_RANGE(training_facet_shift, -2, 2);
  ATTUNE_SIM_RANGE(capacity_min, 1, 10000);
  if (auto r = Range("capacity_max", p.capacity_max, p.capacity_min, 10000); !r) return r;
  if (auto r = Weights("second_languages", p.second_languages, false, 1); !r) return r;
  if (auto r = Probs("therapist_modality_probs", p.therapist_modality_probs); !r) return r;
  if (auto r = Weights("domains", p.domains, true, 1e6); !r) return r;

  ATTUNE_SIM_RANGE(therapist_alliance_icc, 0, 0.5);
  ATTUNE_SIM_RANGE(facet_r2, 0, 1);
  double weight_sum = 0;
  for (std::size_t f = 0; f < 5; ++f) {
    if (auto r = Range(fmt::format("facet_weights[{}] ({})", f, kFacets[f]), p.facet_weights[f], -5, 5); !r) {
      return r;
    }
    weight_sum += std::fabs(p.facet_weights[f]);
  }
  if (p.facet_r2 > 0 && !(weight_sum > 0)) {
    return OutOfRange("facet_weights (sum of absolute values)", weight_sum, "more than 0 when facet_r2 > 0");
  }

  ATTUNE_SIM_RANGE(secondary_concern_prob, 0, 1);
  if (auto r = Weights("client_languages", p.client_languages, true, 1e6); !r) return r;
  if (auto r = Probs("client_modality_probs", p.client_modality_probs); !r) return r;

  ATTUNE_SIM_RANGE(preference_fit_effect, 0, 0.5);
  const double residual = 1.0 - p.therapist_alliance_icc - p.preference_fit_effect * p.preference_fit_effect;
  if (residual < 0.05) {
    return OutOfRange("preference_fit_effect", p.preference_fit_effect,
                      fmt::format("therapist_alliance_icc + preference_fit_effect^2 at most 0.95 (now {})",
                                  1.0 - residual));
  }
  ATTUNE_SIM_RANGE(alliance_growth, -0.5, 0.5);
  ATTUNE_SIM_RANGE(alliance_session_sd, 0, 2);
  ATTUNE_SIM_RANGE(alliance_subscale_r, 0, 1);
  ATTUNE_SIM_RANGE(alliance_subscale_session_share, 0, 1);
  ATTUNE_SIM_RANGE(client_therapist_alliance_r, -1, 1);
  ATTUNE_SIM_RANGE(therapist_leniency_share, 0, 1);

  ATTUNE_SIM_RANGE(rupture_prob, 0, 0.5);
  ATTUNE_SIM_RANGE(rupture_depth, 0, 5);
  ATTUNE_SIM_RANGE(rupture_repair_prob, 0, 1);
  ATTUNE_SIM_RANGE(unrepaired_residual, 0, 1);

  ATTUNE_SIM_RANGE(improvement_base, -1, 1);
  ATTUNE_SIM_RANGE(alliance_outcome_effect, -1, 1);
  ATTUNE_SIM_RANGE(therapist_domain_effect_sd, 0, 1);
  ATTUNE_SIM_RANGE(therapist_domain_general_share, 0, 1);
  ATTUNE_SIM_RANGE(severity_session_sd, 0, 2);
  ATTUNE_SIM_RANGE(deterioration_prob, 0, 1);
  ATTUNE_SIM_RANGE(deterioration_rate, 0, 2);
  ATTUNE_SIM_RANGE(severity_floor, -10, 0);

  ATTUNE_SIM_RANGE(missed_session_prob, 0, 0.9);
  ATTUNE_SIM_RANGE(dropout_base_hazard, 1e-6, 0.99);
  ATTUNE_SIM_RANGE(dropout_alliance_slope, -5, 5);
  ATTUNE_SIM_RANGE(rupture_dropout_logit, -5, 5);
  ATTUNE_SIM_RANGE(waitlist, 0, 5000000);
  ATTUNE_SIM_RANGE(open_share, 0, 1);
#undef ATTUNE_SIM_RANGE
  return Ok();
}

Result<void> Validate(const TrialPlan& p, std::size_t therapists) {
  if (p.steps.size() != therapists) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("sim: trial steps has {} entries; expected one per therapist ({})", p.steps.size(),
                            therapists),
                "steps");
  }
#define ATTUNE_SIM_RANGE(field, lo, hi) \
  if (auto r = Range("trial " #field, static_cast<double>(p.field), lo, hi); !r) return r
  ATTUNE_SIM_RANGE(periods, 1, 52);
  for (std::size_t t = 0; t < p.steps.size(); ++t) {
    if (auto r = Range(fmt::format("trial steps[{}]", t), p.steps[t], 0, p.periods); !r) return r;
  }
  ATTUNE_SIM_RANGE(clients_per_period, 1, 1000000);
  ATTUNE_SIM_RANGE(effect, -5, 5);
  ATTUNE_SIM_RANGE(facet_change_sd, 0, 5);
  ATTUNE_SIM_RANGE(followup_retention, 0, 1);
  ATTUNE_SIM_RANGE(training_weeks, 1, 52);
  ATTUNE_SIM_RANGE(session_attendance, 0, 1);
  ATTUNE_SIM_RANGE(session_minutes, 0, 1440);
  ATTUNE_SIM_RANGE(practice_minutes, 0, 10080);
#undef ATTUNE_SIM_RANGE
  return Ok();
}

}  // namespace attune::sim
