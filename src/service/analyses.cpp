// Research analyses on the organisation's own data (docs/api.md): the data are assembled by
// LoadMatchData (therapists' latest FFMQ-39 facets, episodes' early client-rated alliance and
// standardised improvement) and analysed by module stats, the same functions `attune analyze`
// runs on a CSV file. Nothing identifying leaves: therapists are labelled by id, clients never
// appear.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "attune/service/clinic.hpp"
#include "attune/service/json.hpp"
#include "attune/service/matching.hpp"
#include "attune/stats/data_frame.hpp"

namespace attune::service {
namespace {

constexpr const char* kAllianceMeasure =
    "mean WAI-SR total of each episode's first three client ratings, averaged over the therapist's episodes";

std::vector<std::string> FacetNames() { return {model::kFacets.begin(), model::kFacets.end()}; }

// Facets with an unanswered item are not scorable (unknown): the analyses use complete rows only.
bool AllFacetsKnown(const model::TherapistData& t) {
  return t.facets && std::all_of(t.facet_known.begin(), t.facet_known.end(), [](bool k) { return k; });
}

std::string TherapistLabel(const model::TherapistData& t) { return fmt::format("therapist {}", t.id); }

// Adds a numeric column, turning the library's refusal into the caller's error.
Result<void> Column(stats::DataFrame& df, const std::string& name, const std::vector<double>& values) {
  return df.AddNumeric(name, values);
}

Error TooFew(const std::string& what, std::size_t have, std::size_t need) {
  return Error{ErrorCode::FAILED_PRECONDITION,
               fmt::format("{}: {} in this organisation; the analysis needs at least {}", what, have, need), "data"};
}

}  // namespace

Result<Replication> Clinic::ReplicationAnalysis(const Actor& actor) {
  ATTUNE_CHECK(RequireRole(actor, {Role::RESEARCHER}, "run research analyses"));
  ATTUNE_TRY(data, LoadMatchData(store_, actor.org));
  const auto& therapists = data.training.therapists;
  std::vector<double> sum(therapists.size(), 0), count(therapists.size(), 0);
  for (const auto& e : data.training.episodes) {
    if (!e.alliance) continue;
    sum[e.therapist] += *e.alliance;
    count[e.therapist] += 1;
  }
  std::vector<std::vector<double>> facets(5);
  std::vector<double> alliance;
  for (std::size_t t = 0; t < therapists.size(); ++t) {
    if (!AllFacetsKnown(therapists[t]) || count[t] == 0) continue;
    for (std::size_t k = 0; k < 5; ++k) facets[k].push_back((*therapists[t].facets)[k]);
    alliance.push_back(sum[t] / count[t]);
  }
  if (alliance.size() < 8) {
    return TooFew("therapists with an FFMQ-39 and client-rated alliance", alliance.size(), 8);
  }
  stats::DataFrame df;
  const auto names = FacetNames();
  for (std::size_t k = 0; k < 5; ++k) ATTUNE_CHECK(Column(df, names[k], facets[k]));
  ATTUNE_CHECK(Column(df, "alliance", alliance));
  Replication out;
  out.therapists = therapists.size();
  out.alliance_measure = kAllianceMeasure;
  for (const auto& f : names) {
    ATTUNE_TRY(c, stats::Correlate(df, f, "alliance"));
    out.correlations.push_back(std::move(c));
  }
  ATTUNE_TRY(fit, stats::Regress(df, "alliance", names));
  out.fit = std::move(fit);
  AuditRead(actor, "analysis.replication", "analysis", "replication",
            fmt::format("{} therapists, de-identified", alliance.size()));
  return out;
}

Result<TherapistEffects> Clinic::TherapistEffectsAnalysis(const Actor& actor, const AnalysisRequest& request) {
  ATTUNE_CHECK(RequireRole(actor, {Role::RESEARCHER}, "run research analyses"));
  if (request.outcome != "improvement" && request.outcome != "alliance") {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("outcome is '{}'; expected improvement or alliance", request.outcome), "outcome");
  }
  ATTUNE_TRY(data, LoadMatchData(store_, actor.org));
  std::vector<double> y;
  std::vector<std::string> group;
  for (const auto& e : data.training.episodes) {
    const auto& v = request.outcome == "alliance" ? e.alliance : e.improvement;
    if (!v) continue;
    y.push_back(*v);
    group.push_back(TherapistLabel(data.training.therapists[e.therapist]));
  }
  if (y.size() < 10) return TooFew("episodes with " + request.outcome, y.size(), 10);
  stats::DataFrame df;
  ATTUNE_CHECK(Column(df, request.outcome, y));
  ATTUNE_CHECK(df.AddText("therapist", group));
  TherapistEffects out;
  out.outcome = request.outcome;
  out.formula = request.outcome + " ~ 1 + (1|therapist)";
  ATTUNE_TRY(fit, stats::FitLmm(df, out.formula, stats::LmmOptions{}));
  out.fit = std::move(fit);
  for (const auto& v : out.fit.varcorr) {
    if (v.group == "therapist") out.therapist_variance = v.variance;
  }
  out.residual_variance = out.fit.sigma * out.fit.sigma;
  const double total = out.therapist_variance + out.residual_variance;
  out.icc = total > 0 ? out.therapist_variance / total : 0;
  for (const auto& re : out.fit.ranef) {
    if (re.group != "therapist") continue;
    for (std::size_t l = 0; l < re.levels.size(); ++l) {
      const double var = re.cond_var.empty() ? 0 : re.cond_var[l][0];
      out.effects.push_back({re.levels[l], re.values[l][0], std::sqrt(std::max(0.0, var))});
    }
  }
  std::sort(out.effects.begin(), out.effects.end(),
            [](const auto& a, const auto& b) { return a.effect < b.effect; });
  AuditRead(actor, "analysis.therapist_effects", "analysis", request.outcome,
            fmt::format("{} episodes, de-identified", y.size()));
  return out;
}

Result<MediationAnalysis> Clinic::MediationAnalysisOf(const Actor& actor, const AnalysisRequest& request) {
  ATTUNE_CHECK(RequireRole(actor, {Role::RESEARCHER}, "run research analyses"));
  const auto names = FacetNames();
  std::ptrdiff_t facet = -1;  // -1 = total of the five facets
  if (request.facet != "total") {
    auto it = std::find(names.begin(), names.end(), request.facet);
    if (it == names.end()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("facet is '{}'; expected total or one of observe, describe, act_aware, nonjudge, "
                              "nonreact",
                              request.facet),
                  "facet");
    }
    facet = it - names.begin();
  }
  if (request.resamples < 200 || request.resamples > 10000) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("resamples is {}; expected 200..10000", request.resamples),
                "resamples");
  }
  ATTUNE_TRY(data, LoadMatchData(store_, actor.org));
  std::vector<double> x, m, y;
  std::vector<std::string> cluster;
  for (const auto& e : data.training.episodes) {
    const auto& t = data.training.therapists[e.therapist];
    const bool known = facet < 0 ? AllFacetsKnown(t)
                                 : t.facets && t.facet_known[static_cast<std::size_t>(facet)];
    if (!known || !e.alliance || !e.improvement) continue;
    double value = 0;
    if (facet < 0) {
      for (double f : *t.facets) value += f;
    } else {
      value = (*t.facets)[static_cast<std::size_t>(facet)];
    }
    x.push_back(value);
    m.push_back(*e.alliance);
    y.push_back(*e.improvement);
    cluster.push_back(TherapistLabel(t));
  }
  if (x.size() < 10) return TooFew("episodes with facets, alliance and improvement", x.size(), 10);
  // The interval resamples therapists: with few, it is too narrow to mean anything (2 were taken).
  const std::size_t therapists = std::set<std::string>(cluster.begin(), cluster.end()).size();
  if (therapists < stats::kMinBootstrapClusters) {
    return TooFew("therapists with facets, alliance and improvement (the interval resamples therapists)", therapists,
                  stats::kMinBootstrapClusters);
  }
  MediationAnalysis out;
  out.x = "mindfulness_" + request.facet;
  out.m = "alliance";
  out.y = "improvement";
  stats::DataFrame df;
  ATTUNE_CHECK(Column(df, out.x, x));
  ATTUNE_CHECK(Column(df, out.m, m));
  ATTUNE_CHECK(Column(df, out.y, y));
  ATTUNE_CHECK(df.AddText("therapist", cluster));
  stats::MediationOptions options;
  options.resamples = request.resamples;
  options.seed = request.seed;
  options.cluster = "therapist";
  out.level = options.level;
  ATTUNE_TRY(result, stats::Mediate(df, out.x, out.m, out.y, options));
  out.result = std::move(result);
  AuditRead(actor, "analysis.mediation", "analysis", request.facet,
            fmt::format("{} episodes, de-identified", x.size()));
  return out;
}

nlohmann::ordered_json ReplicationJson(const std::string& source, std::optional<std::size_t> dropped,
                               const std::vector<stats::Correlation>& correlations, const stats::OlsFit& fit) {
  using json = nlohmann::ordered_json;  // the command prints its keys in this order
  json out = {{"source", source}};
  if (dropped) out["dropped"] = *dropped;
  json cors = json::array(), betas = json::array(), sig = json::array();
  for (const auto& c : correlations) {
    cors.push_back({{"x", c.x}, {"y", c.y}, {"method", "pearson"}, {"n", c.n}, {"dropped", c.dropped}, {"r", c.r},
                    {"t", c.t}, {"df", c.n - 2}, {"p", c.p}, {"ci95", json::array({c.ci_low, c.ci_high})}});
  }
  for (const auto& c : fit.coef) {
    if (c.term == "(Intercept)") continue;
    betas.push_back({{"facet", c.term},
                     {"std_beta", c.std_beta ? json(*c.std_beta) : json(nullptr)},
                     {"t", c.t},
                     {"p", c.p},
                     {"significant", c.p < 0.05}});
    if (c.p < 0.05) sig.push_back(c.term);
  }
  out["n"] = fit.n;
  out["correlations"] = std::move(cors);
  out["regression"] = {{"r2", fit.r2},   {"adj_r2", fit.adj_r2}, {"f", fit.f},           {"df1", fit.df1},
                       {"df2", fit.df2}, {"f_p", fit.f_p},       {"std_betas", betas}, {"significant", sig}};
  out["published"] = {{"study", "Razzaque, Okoro & Wood (2015), Mindfulness 6:170-174"},
                      {"n", 76},
                      {"r2", 0.324},
                      {"significant", {"non-judgemental acceptance", "openness to experience"}},
                      {"all_correlations_positive", true}};
  out["caution"] =
      "These data are cross-sectional: they show association, not that mindfulness causes a stronger alliance.";
  return out;
}

}  // namespace attune::service
