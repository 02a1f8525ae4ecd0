#include "attune/trial/simulate.hpp"

#include <fmt/core.h>

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "attune/sim/sim.hpp"
#include "trial/random.hpp"

namespace attune::trial {
namespace {

Result<void> Range(const char* field, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("{}: {} is outside {}..{}", field, value, lo, hi), field);
  }
  return Ok();
}

int Periods(const TrialSimParams& p) { return p.design == Design::PARALLEL ? 2 : p.steps + 1; }

// Cholesky factor of the facet correlations sim uses (docs/simulation.md), so facets are as correlated here.
std::array<std::array<double, 5>, 5> FacetCholesky() {
  const auto r = sim::SimParams{}.facet_correlations;
  std::array<std::array<double, 5>, 5> l{};
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j <= i; ++j) {
      double s = r[i][j];
      for (int k = 0; k < j; ++k) s -= l[i][k] * l[j][k];
      l[i][j] = i == j ? std::sqrt(s) : s / l[j][j];
    }
  }
  return l;
}

Proportion Prop(int count, int of) {
  Proportion p;
  p.count = count;
  p.of = of;
  if (of > 0) {
    p.value = static_cast<double>(count) / of;
    p.mcse = std::sqrt(p.value * (1 - p.value) / of);
  }
  return p;
}

// Figures over no fit would read as 0 (power 0, coverage 0, bias 0): refuse instead, saying why
// the first fit failed. FAILED_PRECONDITION: the parameters are valid, the simulated data unusable.
Result<void> SomeFitted(int fitted, int sims, const char* which, const TrialSimParams& p, const Error* first) {
  if (fitted > 0) return Ok();
  return Fail(ErrorCode::FAILED_PRECONDITION,
              fmt::format("none of the {} simulated trials{} could be analysed ({} therapists x {} clients, {}): {}; "
                          "expected more therapists or clients per therapist",
                          sims, which, p.therapists, p.clients_per_therapist, DesignName(p.design),
                          first ? first->message : "no fit"),
              "sims");
}

nlohmann::ordered_json ParamsJson(const TrialSimParams& p) {
  return {{"design", DesignName(p.design)},
          {"therapists", p.therapists},
          {"clients_per_therapist", p.clients_per_therapist},
          {"steps", p.steps},
          {"effect", p.effect},
          {"icc", p.icc},
          {"facet_shift", p.facet_shift},
          {"facet_change_sd", p.facet_change_sd},
          {"facet_error_sd", p.facet_error_sd},
          {"followup_retention", p.followup_retention},
          {"severity_alliance", p.severity_alliance},
          {"period_drift", p.period_drift},
          {"alliance_outcome", p.alliance_outcome},
          {"withdraw_prob", p.withdraw_prob},
          {"dropout_base", p.dropout_base}};
}

nlohmann::ordered_json PropJson(const Proportion& p) {
  return {{"value", p.value}, {"mcse", p.mcse}, {"count", p.count}, {"of", p.of}};
}

}  // namespace

Result<void> Validate(const TrialSimParams& p) {
  ATTUNE_CHECK(Range("therapists", p.therapists, kTherapistsRange.lo, kTherapistsRange.hi));
  ATTUNE_CHECK(Range("steps", p.steps, kStepsRange.lo, kStepsRange.hi));
  ATTUNE_CHECK(CheckWedgeSteps(p.design, p.steps));
  if (p.clients_per_therapist < Periods(p) || p.clients_per_therapist > 100000) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("clients_per_therapist: {} is outside {}..100000 (at least one client per period)",
                            p.clients_per_therapist, Periods(p)),
                "clients_per_therapist");
  }
  ATTUNE_CHECK(Range("effect", p.effect, kEffectRange.lo, kEffectRange.hi));
  ATTUNE_CHECK(Range("icc", p.icc, kIccRange.lo, kIccRange.hi));
  ATTUNE_CHECK(Range("facet_shift", p.facet_shift, 0.01, 3));
  ATTUNE_CHECK(Range("facet_change_sd", p.facet_change_sd, 0, 3));
  ATTUNE_CHECK(Range("facet_error_sd", p.facet_error_sd, 0, 3));
  ATTUNE_CHECK(Range("followup_retention", p.followup_retention, 0, 1));
  ATTUNE_CHECK(Range("severity_alliance", p.severity_alliance, -0.3, 0.3));
  ATTUNE_CHECK(Range("period_drift", p.period_drift, -1, 1));
  ATTUNE_CHECK(Range("alliance_outcome", p.alliance_outcome, -3, 3));
  ATTUNE_CHECK(Range("withdraw_prob", p.withdraw_prob, 0, 0.5));
  ATTUNE_CHECK(Range("dropout_base", p.dropout_base, 0.001, 0.9));
  if (1 - p.icc - p.severity_alliance * p.severity_alliance <= 0.05) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("icc: {} leaves no client-level alliance variance with severity_alliance {}", p.icc,
                            p.severity_alliance),
                "icc");
  }
  return Ok();
}

Result<TrialData> SimulateTrial(const TrialSimParams& p, std::uint64_t seed) {
  ATTUNE_CHECK(Validate(p));
  const auto chol = FacetCholesky();
  const auto weights = sim::SimParams{}.facet_weights;
  double weight_sum = 0;
  for (double w : weights) weight_sum += w;

  // Therapists' latent and observed baseline facets (their own stream, independent of allocation).
  detail::Rng trng(detail::SplitMix64(seed ^ 0x7468657261706973ULL));
  const auto n = static_cast<std::size_t>(p.therapists);
  std::vector<std::array<double, 5>> latent(n);
  std::vector<FacetScores> baseline(n);
  std::vector<Participant> participants;
  for (std::size_t t = 0; t < n; ++t) {
    std::array<double, 5> z{};
    for (double& v : z) v = trng.Normal();
    for (int i = 0; i < 5; ++i) {
      double s = 0;
      for (int k = 0; k <= i; ++k) s += chol[i][k] * z[k];
      latent[t][i] = s;
      baseline[t][i] = s + p.facet_error_sd * trng.Normal();
    }
    participants.push_back({static_cast<Id>(t + 1), baseline[t][3]});
  }
  TrialSpec spec;
  spec.name = "simulated";
  spec.design = p.design;
  spec.strata_facet = "nonjudge";
  spec.steps = p.steps;
  spec.seed = seed;
  ATTUNE_TRY(allocation, Allocate(spec, participants));

  TrialData data;
  data.design = p.design;
  data.intervention_arm = spec.arms[0];
  data.steps = p.design == Design::PARALLEL ? 1 : p.steps;
  const int periods = Periods(p);
  const double client_sd = std::sqrt(1 - p.icc - p.severity_alliance * p.severity_alliance);
  const double base_logit = std::log(p.dropout_base / (1 - p.dropout_base));
  Id next_client = 1;
  for (std::size_t t = 0; t < n; ++t) {
    const Assignment& a = allocation.assignments[t];
    TherapistRecord r;
    r.therapist_id = a.therapist_id;
    r.arm = a.arm;
    r.step = a.step;
    r.baseline = baseline[t];
    const bool parallel = p.design == Design::PARALLEL;
    const bool ever_trained = parallel ? a.arm == data.intervention_arm : true;
    r.withdrew = trng.Bernoulli(p.withdraw_prob);
    // Facet change: the training shift for the trained plus therapist-to-therapist variation.
    std::array<double, 5> noise{};
    double noise_composite = 0;
    for (int f = 0; f < 5; ++f) {
      noise[f] = p.facet_change_sd * trng.Normal();
      noise_composite += weights[f] * noise[f] / weight_sum;
    }
    // Post = end of period 1; follow-up = end of period 2 (parallel: one period later).
    const bool trained_at_post = parallel ? ever_trained : a.step == 1;
    const double followup_shift = parallel ? (ever_trained ? p.followup_retention : 0)
                                           : (a.step == 1 ? p.followup_retention : a.step == 2 ? 1.0 : 0.0);
    if (!r.withdrew) {
      for (int f = 0; f < 5; ++f) {
        r.post[f] = latent[t][f] + (trained_at_post ? p.facet_shift : 0) + noise[f] + p.facet_error_sd * trng.Normal();
        r.followup[f] = latent[t][f] + followup_shift * p.facet_shift + noise[f] + p.facet_error_sd * trng.Normal();
      }
      if (ever_trained) {
        for (int s = 0; s < 8; ++s) r.training_sessions += trng.Bernoulli(0.9) ? 1 : 0;
        r.practice_minutes = std::max(0.0, r.training_sessions * (60 + 20 * trng.Normal()));
      }
    }
    const double u = std::sqrt(p.icc) * trng.Normal();
    data.therapists.push_back(r);

    // Clients: an even share per period; a withdrawn therapist sees no clients after period 0.
    detail::Rng crng(detail::SplitMix64(seed ^ (0x636c69656e7473ULL + 0x100000001b3ULL * (t + 1))));
    for (int period = 0; period < periods; ++period) {
      if (r.withdrew && period > 0) break;
      const int count = p.clients_per_therapist / periods + (period < p.clients_per_therapist % periods ? 1 : 0);
      const bool trained = parallel ? (ever_trained && period >= 1) : period >= a.step;
      // The alliance gain follows the therapist's facet gain: effect per facet_shift of composite change.
      const double gain = p.effect / p.facet_shift * ((trained ? p.facet_shift : 0) + (period >= 1 ? noise_composite : 0));
      for (int i = 0; i < count; ++i) {
        ClientRecord c;
        c.client_id = next_client++;
        c.therapist_id = r.therapist_id;
        c.period = period;
        const double severity = crng.Normal();
        c.baseline_severity = severity;
        const double alliance =
            u + p.period_drift * period + gain + p.severity_alliance * severity + client_sd * crng.Normal();
        const double observed = alliance + 0.25 * crng.Normal();  // mean of session ratings
        if (!crng.Bernoulli(0.03)) c.alliance = observed;
        const double logit = base_logit - 0.55 * alliance;
        c.dropped_out = crng.Uniform() < 1 / (1 + std::exp(-logit));
        const double change = -(0.8 + p.alliance_outcome * alliance) - 0.3 * severity + 0.7 * crng.Normal();
        if (!c.dropped_out) c.outcome_change = change;
        data.clients.push_back(c);
      }
    }
  }
  return data;
}

Result<PowerResult> Power(const TrialSimParams& params, int sims, std::uint64_t seed, const AnalysisOptions& options,
                          const Progress& progress) {
  ATTUNE_CHECK(Validate(params));
  if (sims < 1 || sims > 1000000) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("sims: {} is outside 1..1000000", sims), "sims");
  }
  PowerResult out;
  out.params = params;
  out.sims = sims;
  int significant = 0, fitted = 0;
  std::optional<Error> first_failure;
  for (int i = 0; i < sims; ++i) {
    ATTUNE_TRY(data, SimulateTrial(params, detail::SplitMix64(seed + static_cast<std::uint64_t>(i))));
    auto fit = AllianceEffect(data, options);
    if (fit) {
      ++fitted;
      significant += fit->effect.p < 0.05 ? 1 : 0;
      out.mean_estimate += fit->effect.estimate;
      out.mean_se += fit->effect.se;
    } else {
      ++out.failed;
      if (!first_failure) first_failure = fit.error();
    }
    if (progress) progress(i + 1, sims);
  }
  ATTUNE_CHECK(SomeFitted(fitted, sims, "", params, first_failure ? &*first_failure : nullptr));
  out.power = Prop(significant, fitted);
  out.mean_estimate /= fitted;
  out.mean_se /= fitted;
  return out;
}

Result<CheckResult> SimulationCheck(const TrialSimParams& params, int sims, std::uint64_t seed,
                                    const AnalysisOptions& options, const Progress& progress) {
  ATTUNE_CHECK(Validate(params));
  if (sims < 1 || sims > 1000000) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("sims: {} is outside 1..1000000", sims), "sims");
  }
  CheckResult out;
  out.params = params;
  out.sims = sims;
  TrialSimParams null_params = params;
  null_params.effect = 0;
  int covered = 0, significant = 0, fitted = 0, null_sig = 0, null_covered = 0, null_fitted = 0;
  double sum = 0, sum_sq = 0, sum_se = 0;
  std::optional<Error> first_failure, null_first_failure;
  for (int i = 0; i < sims; ++i) {
    const auto s = static_cast<std::uint64_t>(i);
    ATTUNE_TRY(with_effect, SimulateTrial(params, detail::SplitMix64(seed + 2 * s)));
    auto fit = AllianceEffect(with_effect, options);
    if (fit) {
      ++fitted;
      covered += fit->effect.ci_low <= params.effect && params.effect <= fit->effect.ci_high ? 1 : 0;
      significant += fit->effect.p < 0.05 ? 1 : 0;
      sum += fit->effect.estimate;
      sum_sq += fit->effect.estimate * fit->effect.estimate;
      sum_se += fit->effect.se;
    } else {
      ++out.failed;
      if (!first_failure) first_failure = fit.error();
    }
    ATTUNE_TRY(without, SimulateTrial(null_params, detail::SplitMix64(seed + 2 * s + 1)));
    auto null_fit = AllianceEffect(without, options);
    if (null_fit) {
      ++null_fitted;
      null_sig += null_fit->effect.p < 0.05 ? 1 : 0;
      null_covered += null_fit->effect.ci_low <= 0 && 0 <= null_fit->effect.ci_high ? 1 : 0;
    } else {
      ++out.failed;
      if (!null_first_failure) null_first_failure = null_fit.error();
    }
    if (progress) progress(i + 1, sims);
  }
  ATTUNE_CHECK(SomeFitted(fitted, sims, " with the planted effect", params, first_failure ? &*first_failure : nullptr));
  ATTUNE_CHECK(SomeFitted(null_fitted, sims, " without an effect", params,
                          null_first_failure ? &*null_first_failure : nullptr));
  out.coverage = Prop(covered, fitted);
  out.power = Prop(significant, fitted);
  out.false_positive_rate = Prop(null_sig, null_fitted);
  out.null_coverage = Prop(null_covered, null_fitted);
  out.mean_estimate = sum / fitted;
  out.bias = out.mean_estimate - params.effect;
  out.mean_se = sum_se / fitted;
  if (fitted > 1) out.empirical_sd = std::sqrt(std::max(0.0, (sum_sq - sum * sum / fitted) / (fitted - 1)));
  return out;
}

std::string PowerJson(const PowerResult& r) {
  nlohmann::ordered_json j;
  j["params"] = ParamsJson(r.params);
  j["sims"] = r.sims;
  j["failed"] = r.failed;
  j["power"] = r.power.value;
  j["power_mcse"] = r.power.mcse;
  j["mean_estimate"] = r.mean_estimate;
  j["mean_se"] = r.mean_se;
  return j.dump(2) + "\n";
}

std::string CheckJson(const CheckResult& r) {
  nlohmann::ordered_json j;
  j["params"] = ParamsJson(r.params);
  j["sims"] = r.sims;
  j["failed"] = r.failed;
  j["coverage"] = r.coverage.value;
  j["coverage_mcse"] = r.coverage.mcse;
  j["false_positive_rate"] = r.false_positive_rate.value;
  j["false_positive_rate_mcse"] = r.false_positive_rate.mcse;
  j["power"] = r.power.value;
  j["power_mcse"] = r.power.mcse;
  j["null_coverage"] = r.null_coverage.value;
  j["mean_estimate"] = r.mean_estimate;
  j["bias"] = r.bias;
  j["empirical_sd"] = r.empirical_sd;
  j["mean_se"] = r.mean_se;
  j["detail"] = {{"coverage", PropJson(r.coverage)},
                 {"power", PropJson(r.power)},
                 {"false_positive_rate", PropJson(r.false_positive_rate)},
                 {"null_coverage", PropJson(r.null_coverage)}};
  return j.dump(2) + "\n";
}

}  // namespace attune::trial
