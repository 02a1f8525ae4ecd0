#include "attune/trial/analysis.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "attune/stats/stats.hpp"

namespace attune::trial {
namespace {

// Whether a therapist belongs to the contrast's intervention group: the intervention arm (parallel)
// or the first step (stepped wedge: trained during period 1 while the others are not yet).
bool Intervention(const TrialData& data, const TherapistRecord& t) {
  return data.design == Design::PARALLEL ? t.arm == data.intervention_arm : t.step == 1;
}

Estimate WithT(double estimate, double se, double df, double level) {
  Estimate e;
  e.estimate = estimate;
  e.se = se;
  e.df = df;
  double q = 0;
  double p = 1;
  if (df > 0) {
    boost::math::students_t dist(df);
    q = boost::math::quantile(dist, 0.5 + level / 2);
    if (se > 0) p = 2 * boost::math::cdf(boost::math::complement(dist, std::fabs(estimate / se)));
  } else {
    boost::math::normal dist;
    q = boost::math::quantile(dist, 0.5 + level / 2);
    if (se > 0) p = 2 * boost::math::cdf(boost::math::complement(dist, std::fabs(estimate / se)));
  }
  e.ci_low = estimate - q * se;
  e.ci_high = estimate + q * se;
  e.p = p;
  return e;
}

Result<void> CheckData(const TrialData& data, const AnalysisOptions& options) {
  if (!(options.level > 0 && options.level < 1)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("level: {} is outside (0, 1)", options.level), "level");
  }
  if (options.mediation_resamples != 0 && options.mediation_resamples < 100) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("mediation_resamples: {} is neither 0 (none) nor at least 100",
                            options.mediation_resamples),
                "mediation_resamples");
  }
  const int max_period = data.design == Design::PARALLEL ? 1 : data.steps;
  std::set<Id> ids;
  for (const auto& t : data.therapists) {
    if (!ids.insert(t.therapist_id).second) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("therapists: id {} appears twice", t.therapist_id),
                  "therapists");
    }
    if (data.design == Design::STEPPED_WEDGE && (t.step < 1 || t.step > data.steps)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("step: therapist {} has step {}; expected 1..{}", t.therapist_id, t.step, data.steps),
                  "step");
    }
  }
  for (const auto& c : data.clients) {
    if (!ids.count(c.therapist_id)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("therapist_id: client {} names therapist {}, who is not in the trial", c.client_id,
                              c.therapist_id),
                  "therapist_id");
    }
    if (c.period < 0 || c.period > max_period) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("period: client {} has period {}; expected 0..{}", c.client_id, c.period, max_period),
                  "period");
    }
  }
  return Ok();
}

Result<ModelEffect> FitTrainingModel(const TrialData& data, const AnalysisOptions& options, bool alliance) {
  std::map<Id, const TherapistRecord*> therapists;
  for (const auto& t : data.therapists) therapists[t.therapist_id] = &t;
  std::vector<std::string> therapist, period_text;
  std::vector<double> arm, period, trained, severity, y;
  std::set<Id> used;
  for (const auto& c : data.clients) {
    const std::optional<double>& value = alliance ? c.alliance : c.outcome_change;
    if (!value || !c.baseline_severity) continue;
    const TherapistRecord& t = *therapists.at(c.therapist_id);
    therapist.push_back(fmt::format("t{}", c.therapist_id));
    period.push_back(c.period);
    period_text.push_back(fmt::format("p{}", c.period));
    arm.push_back(t.arm == data.intervention_arm ? 1.0 : 0.0);
    const bool is_trained = data.design == Design::PARALLEL ? (c.period >= 1 && t.arm == data.intervention_arm)
                                                            : c.period >= t.step;
    trained.push_back(is_trained ? 1.0 : 0.0);
    severity.push_back(*c.baseline_severity);
    y.push_back(*value);
    used.insert(c.therapist_id);
  }
  ModelEffect m;
  m.outcome = alliance ? "alliance" : "outcome_change";
  m.nobs = y.size();
  m.therapists = used.size();
  if (used.size() < 4 || y.size() < 10) {
    return Fail(ErrorCode::FAILED_PRECONDITION,
                fmt::format("{}: {} clients of {} therapists have data; the model needs at least 10 clients of "
                            "4 therapists",
                            m.outcome, y.size(), used.size()),
                m.outcome);
  }
  const auto n_trained = std::count(trained.begin(), trained.end(), 1.0);
  if (n_trained == 0 || n_trained == static_cast<std::ptrdiff_t>(trained.size())) {
    return Fail(ErrorCode::FAILED_PRECONDITION,
                fmt::format("{}: all {} clients with data are {}; the training effect needs clients of trained and "
                            "untrained therapist-periods",
                            m.outcome, y.size(), n_trained == 0 ? "untrained (no period-1 data of the intervention arm?)"
                                                                : "trained"),
                m.outcome);
  }
  stats::DataFrame df;
  ATTUNE_CHECK(df.AddText("therapist", therapist));
  ATTUNE_CHECK(df.AddNumeric("y", y));
  ATTUNE_CHECK(df.AddNumeric("trained", trained));
  ATTUNE_CHECK(df.AddNumeric("baseline_severity", severity));
  if (data.design == Design::PARALLEL) {
    ATTUNE_CHECK(df.AddNumeric("arm", arm));
    ATTUNE_CHECK(df.AddNumeric("period", period));
    m.formula = options.random_slopes
                    ? "y ~ arm + period + trained + baseline_severity + (1 + period | therapist)"
                    : "y ~ arm + period + trained + baseline_severity + (1 | therapist)";
  } else {
    ATTUNE_CHECK(df.AddText("period", period_text));
    m.formula = "y ~ period + trained + baseline_severity + (1 | therapist)";
  }
  stats::LmmOptions lmm;
  lmm.conditional_variances = false;
  auto fit = stats::FitLmm(df, m.formula, lmm);
  if (!fit) {
    return Fail(ErrorCode::FAILED_PRECONDITION, fmt::format("{}: mixed model failed: {}", m.outcome, fit.error().message),
                m.outcome);
  }
  const auto it = std::find_if(fit->fixef.begin(), fit->fixef.end(),
                               [](const stats::FixedEffect& f) { return f.term == "trained"; });
  if (it == fit->fixef.end()) {
    return Fail(ErrorCode::INTERNAL, fmt::format("{}: the fit has no `trained` coefficient", m.outcome), m.outcome);
  }
  const double df_t = std::max(1.0, static_cast<double>(used.size()) - 2);
  m.effect = WithT(it->estimate, it->se, df_t, options.level);
  for (const auto& icc : fit->icc) {
    if (icc.group == "therapist") m.therapist_icc = icc.icc;
  }
  m.converged = fit->convergence.converged;
  m.singular = fit->convergence.singular;
  m.messages = fit->convergence.messages;
  return m;
}

// Whether any facet was scored on the occasion: the FFMQ-39 was returned (what CONSORT counts).
bool Measured(const FacetScores& f) {
  return std::any_of(f.begin(), f.end(), [](const auto& v) { return v.has_value(); });
}

std::vector<ConsortArm> Consort(const TrialData& data, int min_sessions) {
  std::vector<std::string> order;
  std::map<std::string, ConsortArm> arms;
  auto key = [&](const TherapistRecord& t) {
    return data.design == Design::PARALLEL ? t.arm : fmt::format("step_{}", t.step);
  };
  std::vector<TherapistRecord> sorted = data.therapists;
  std::sort(sorted.begin(), sorted.end(), [&](const auto& a, const auto& b) {
    if (data.design == Design::STEPPED_WEDGE) return a.step < b.step || (a.step == b.step && a.therapist_id < b.therapist_id);
    const bool ai = a.arm == data.intervention_arm, bi = b.arm == data.intervention_arm;
    return ai != bi ? ai : (a.arm != b.arm ? a.arm < b.arm : a.therapist_id < b.therapist_id);
  });
  std::map<Id, std::string> arm_of;
  std::map<std::string, std::set<Id>> analysed_therapists;
  for (const auto& t : sorted) {
    const std::string k = key(t);
    if (!arms.count(k)) {
      order.push_back(k);
      arms[k].arm = k;
    }
    ConsortArm& a = arms[k];
    arm_of[t.therapist_id] = k;
    ++a.allocated;
    a.received_training += t.training_sessions >= min_sessions ? 1 : 0;
    a.withdrew += t.withdrew ? 1 : 0;
    a.baseline_measured += Measured(t.baseline) ? 1 : 0;
    a.post_measured += Measured(t.post) ? 1 : 0;
    a.followup_measured += Measured(t.followup) ? 1 : 0;
  }
  for (const auto& c : data.clients) {
    ConsortArm& a = arms[arm_of[c.therapist_id]];
    ++a.clients;
    a.clients_with_alliance += c.alliance ? 1 : 0;
    a.clients_dropped_out += c.dropped_out ? 1 : 0;
    a.clients_with_outcome += c.outcome_change ? 1 : 0;
    if (c.alliance && c.baseline_severity) {
      ++a.clients_analysed;
      analysed_therapists[arm_of[c.therapist_id]].insert(c.therapist_id);
    }
  }
  std::vector<ConsortArm> out;
  for (const auto& k : order) {
    ConsortArm a = arms[k];
    a.therapists_analysed = static_cast<int>(analysed_therapists[k].size());
    out.push_back(a);
  }
  return out;
}

// Why a facet analysis has fewer therapists than CONSORT's forms: a form was returned, but the
// facet could not be scored on it.
constexpr const char* kUnscoredFacet =
    "a facet is scored only when every one of its items is answered (ffmq39 min_answered = its item count), so "
    "one skipped item leaves it unscored";

void FacetEffects(const TrialData& data, const AnalysisOptions& options, TrialAnalysis& out) {
  for (const char* occasion : {"post", "followup"}) {
    const bool post = std::string(occasion) == "post";
    std::size_t forms = 0;  // therapists with a form at baseline and at the occasion
    for (const auto& t : data.therapists) forms += Measured(t.baseline) && Measured(post ? t.post : t.followup) ? 1 : 0;
    std::vector<std::string> lost;
    for (std::size_t f = 0; f < kFacetNames.size(); ++f) {
      std::vector<double> y, x, base;
      for (const auto& t : data.therapists) {
        const auto& later = post ? t.post[f] : t.followup[f];
        if (!later || !t.baseline[f]) continue;
        y.push_back(*later);
        x.push_back(Intervention(data, t) ? 1.0 : 0.0);
        base.push_back(*t.baseline[f]);
      }
      if (y.size() < forms) lost.push_back(fmt::format("{} {}", kFacetNames[f], forms - y.size()));
      if (y.size() < 5) {
        out.notes.push_back(fmt::format("facet {} at {}: {} therapists measured at baseline and {}; ANCOVA needs 5",
                                        kFacetNames[f], occasion, y.size(), occasion));
        continue;
      }
      stats::DataFrame df;
      (void)df.AddNumeric("y", y);
      (void)df.AddNumeric("intervention", x);
      (void)df.AddNumeric("baseline", base);
      auto fit = stats::Regress(df, "y", {"intervention", "baseline"});
      if (!fit) {
        out.notes.push_back(fmt::format("facet {} at {}: ANCOVA failed: {}", kFacetNames[f], occasion,
                                        fit.error().message));
        continue;
      }
      FacetEffect e;
      e.facet = kFacetNames[f];
      e.occasion = occasion;
      e.n = fit->n;
      const auto& c = fit->coef[1];
      e.effect = WithT(c.estimate, c.se, fit->df2, options.level);
      out.facets.push_back(e);
    }
    if (!lost.empty()) {
      std::string joined;
      for (const auto& l : lost) joined += (joined.empty() ? "" : ", ") + l;
      out.notes.push_back(fmt::format("facets at {}: {} therapists returned an FFMQ-39 at baseline and {}; therapists "
                                      "lost to each facet's ANCOVA: {}; {}",
                                      occasion, forms, occasion, joined, kUnscoredFacet));
    }
  }
}

void MediationEffects(const TrialData& data, const AnalysisOptions& options, TrialAnalysis& out) {
  std::map<Id, std::array<double, 4>> sums;  // period-0 sum, count, period-1 sum, count
  for (const auto& c : data.clients) {
    if (!c.alliance || c.period > 1) continue;
    auto& s = sums[c.therapist_id];
    s[c.period == 0 ? 0 : 2] += *c.alliance;
    s[c.period == 0 ? 1 : 3] += 1;
  }
  std::vector<double> x, m, y;
  std::size_t no_forms = 0, unscored = 0, no_clients = 0;  // why therapists are left out
  for (const auto& t : data.therapists) {
    // Facet composite: the two facets Razzaque et al. found individually predictive.
    const auto& b3 = t.baseline[3];
    const auto& b4 = t.baseline[4];
    const auto& p3 = t.post[3];
    const auto& p4 = t.post[4];
    const auto it = sums.find(t.therapist_id);
    if (!Measured(t.baseline) || !Measured(t.post)) {
      ++no_forms;
      continue;
    }
    if (!b3 || !b4 || !p3 || !p4) {
      ++unscored;
      continue;
    }
    if (it == sums.end() || it->second[1] == 0 || it->second[3] == 0) {
      ++no_clients;
      continue;
    }
    x.push_back(Intervention(data, t) ? 1.0 : 0.0);
    m.push_back((*p3 + *p4) / 2 - (*b3 + *b4) / 2);
    y.push_back(it->second[2] / it->second[3] - it->second[0] / it->second[1]);
  }
  if (x.size() < data.therapists.size()) {
    out.notes.push_back(fmt::format("mediation: {} of {} therapists; left out: {} without an FFMQ-39 at baseline and "
                                    "post, {} with nonjudge or nonreact unscored at one of them (a skipped item), {} "
                                    "without clients rating the alliance in both period 0 and period 1",
                                    x.size(), data.therapists.size(), no_forms, unscored, no_clients));
  }
  if (x.size() < 8) {
    out.notes.push_back(fmt::format("mediation: {} therapists have facets at baseline and post and clients in periods "
                                    "0 and 1; it needs 8",
                                    x.size()));
    return;
  }
  stats::DataFrame df;
  (void)df.AddNumeric("x", x);
  (void)df.AddNumeric("m", m);
  (void)df.AddNumeric("y", y);
  stats::MediationOptions mo;
  mo.resamples = options.mediation_resamples;
  mo.seed = options.seed;
  mo.level = options.level;
  auto med = stats::Mediate(df, "x", "m", "y", mo);
  if (!med) {
    out.notes.push_back(fmt::format("mediation failed: {}", med.error().message));
    return;
  }
  MediationEffect e;
  e.therapists = med->n;
  e.a = med->a.estimate;
  e.b = med->b.estimate;
  e.c = med->c.estimate;
  e.c_prime = med->c_prime.estimate;
  e.ab = med->ab;
  e.ab_ci_low = med->ab_ci_low;
  e.ab_ci_high = med->ab_ci_high;
  e.resamples = med->resamples;
  out.mediation = e;
}

nlohmann::ordered_json EstimateJson(const Estimate& e) {
  return {{"estimate", e.estimate}, {"se", e.se}, {"ci_low", e.ci_low}, {"ci_high", e.ci_high}, {"p", e.p},
          {"df", e.df}};
}

nlohmann::ordered_json ModelJson(const ModelEffect& m) {
  return {{"outcome", m.outcome},       {"formula", m.formula},         {"nobs", m.nobs},
          {"therapists", m.therapists}, {"effect", EstimateJson(m.effect)}, {"therapist_icc", m.therapist_icc},
          {"converged", m.converged},   {"singular", m.singular},       {"messages", m.messages}};
}

}  // namespace

Result<ModelEffect> AllianceEffect(const TrialData& data, const AnalysisOptions& options) {
  ATTUNE_CHECK(CheckData(data, options));
  return FitTrainingModel(data, options, true);
}

Result<TrialAnalysis> Analyse(const TrialData& data, const AnalysisOptions& options) {
  ATTUNE_CHECK(CheckData(data, options));
  TrialAnalysis out;
  out.consort = Consort(data, options.min_training_sessions);
  if (options.facets) FacetEffects(data, options, out);
  if (options.alliance) {
    ATTUNE_TRY(m, FitTrainingModel(data, options, true));
    out.alliance = m;
  }
  if (options.outcome) {
    auto m = FitTrainingModel(data, options, false);
    if (m) {
      out.outcome = *m;
    } else {
      out.notes.push_back(m.error().message);
    }
  }
  if (options.mediation_resamples > 0) MediationEffects(data, options, out);
  return out;
}

std::string AnalysisJson(const TrialAnalysis& a) {
  nlohmann::ordered_json j;
  if (a.dates) {
    const auto& d = *a.dates;
    const auto or_null = [](const std::string& s) { return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s); };
    j["dates"] = {{"allocated_on", d.allocated_on},
                  {"registered", {{"period_starts", d.registered_period_starts},
                                  {"followup_from", or_null(d.registered_followup_from)}}},
                  {"used", {{"period_starts", d.period_starts}, {"followup_from", or_null(d.followup_from)}}},
                  {"departs_from_registration", d.DepartsFromRegistration()}};
  }
  auto& consort = j["consort"] = nlohmann::ordered_json::array();
  for (const auto& c : a.consort) {
    consort.push_back({{"arm", c.arm},
                       {"therapists_allocated", c.allocated},
                       {"received_training", c.received_training},
                       {"withdrew", c.withdrew},
                       {"baseline_measured", c.baseline_measured},
                       {"post_measured", c.post_measured},
                       {"followup_measured", c.followup_measured},
                       {"therapists_analysed", c.therapists_analysed},
                       {"clients", c.clients},
                       {"clients_with_alliance", c.clients_with_alliance},
                       {"clients_dropped_out", c.clients_dropped_out},
                       {"clients_with_outcome", c.clients_with_outcome},
                       {"clients_analysed", c.clients_analysed}});
  }
  auto& facets = j["facets"] = nlohmann::ordered_json::array();
  for (const auto& f : a.facets) {
    facets.push_back({{"facet", f.facet}, {"occasion", f.occasion}, {"n", f.n}, {"effect", EstimateJson(f.effect)}});
  }
  j["alliance"] = a.alliance ? ModelJson(*a.alliance) : nlohmann::ordered_json();
  j["outcome_change"] = a.outcome ? ModelJson(*a.outcome) : nlohmann::ordered_json();
  if (a.mediation) {
    const auto& m = *a.mediation;
    j["mediation"] = {{"therapists", m.therapists}, {"a", m.a}, {"b", m.b}, {"c", m.c}, {"c_prime", m.c_prime},
                      {"ab", m.ab}, {"ab_ci_low", m.ab_ci_low}, {"ab_ci_high", m.ab_ci_high},
                      {"resamples", m.resamples}};
  } else {
    j["mediation"] = nullptr;
  }
  j["notes"] = a.notes;
  return j.dump(2) + "\n";
}

std::string AnalysisText(const TrialAnalysis& a) {
  std::string out;
  if (a.dates) {
    const auto& d = *a.dates;
    const auto schedule = [&](const std::vector<std::string>& starts, const std::string& followup) {
      if (starts.empty() && followup.empty()) return std::string("none");
      std::string s;
      for (std::size_t k = 0; k < starts.size(); ++k) s += fmt::format("{}period {} from {}", k ? ", " : "", k + 1, starts[k]);
      return s + (followup.empty() ? "" : fmt::format("{}follow-up from {}", s.empty() ? "" : ", ", followup));
    };
    out += fmt::format("dates used: allocation {}, {}\n", d.allocated_on, schedule(d.period_starts, d.followup_from));
    if (d.DepartsFromRegistration()) {
      out += fmt::format("  NOT the registered dates (registered: {})\n",
                         schedule(d.registered_period_starts, d.registered_followup_from));
    }
  }
  out += "CONSORT flow\n";
  for (const auto& c : a.consort) {
    out += fmt::format("  {}: {} therapists allocated, {} trained, {} withdrew; FFMQ at baseline/post/follow-up "
                       "{}/{}/{}; {} clients ({} with alliance, {} dropped out, {} with outcome); analysed {} "
                       "therapists, {} clients\n",
                       c.arm, c.allocated, c.received_training, c.withdrew, c.baseline_measured, c.post_measured,
                       c.followup_measured, c.clients, c.clients_with_alliance, c.clients_dropped_out,
                       c.clients_with_outcome, c.therapists_analysed, c.clients_analysed);
  }
  auto model = [&](const std::optional<ModelEffect>& m, const char* label) {
    if (!m) return;
    out += fmt::format("{} (n = {} clients of {} therapists; {})\n  training effect {:.3f} (SE {:.3f}, 95% CI "
                       "{:.3f} to {:.3f}, {}, t on {} df); therapist ICC {:.3f}{}{}\n",
                       label, m->nobs, m->therapists, m->formula, m->effect.estimate, m->effect.se, m->effect.ci_low,
                       m->effect.ci_high, stats::PText(m->effect.p), m->effect.df, m->therapist_icc,
                       m->converged ? "" : "; NOT CONVERGED", m->singular ? "; singular fit" : "");
  };
  model(a.alliance, "Client-rated alliance");
  model(a.outcome, "Outcome change");
  if (!a.facets.empty()) out += "FFMQ facets (ANCOVA on baseline; intervention minus control)\n";
  for (const auto& f : a.facets) {
    out += fmt::format("  {:<9} {:<8} {:+.3f} (95% CI {:+.3f} to {:+.3f}, {}, n = {})\n", f.facet, f.occasion,
                       f.effect.estimate, f.effect.ci_low, f.effect.ci_high, stats::PText(f.effect.p), f.n);
  }
  if (a.mediation) {
    const auto& m = *a.mediation;
    out += fmt::format("Mediation (therapist level, n = {}): a = {:.3f}, b = {:.3f}, ab = {:.3f} (95% bootstrap CI "
                       "{:.3f} to {:.3f}), c = {:.3f}, c' = {:.3f}\n",
                       m.therapists, m.a, m.b, m.ab, m.ab_ci_low, m.ab_ci_high, m.c, m.c_prime);
  }
  for (const auto& n : a.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace attune::trial
