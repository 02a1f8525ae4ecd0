// Alliance and outcome prediction: Bayesian linear model with a therapist random effect, fitted by
// generalised least squares with a Gaussian prior on the coefficients (docs/matching.md).
#include "attune/model/model.hpp"

#include <fmt/core.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

namespace attune::model {
namespace {

constexpr std::size_t kCoefs = 10;  // intercept, 5 facets, 4 fit terms

bool Finite(double v) { return std::isfinite(v); }

struct Standardised {
  std::array<double, 5> z{};  // facets
  bool has_facets = false;
  std::array<double, 4> s{}, s2{};
  bool has_style = false;
};

Standardised StandardiseTherapist(const FittedModel& m, const TherapistData& t) {
  Standardised out;
  // An unknown facet is the clinic mean (z = 0); an unknown style dimension enters the fit term
  // by its expectations (s = 0, s^2 = 1).
  if (t.facets) {
    for (std::size_t f = 0; f < 5; ++f) {
      if (!t.facet_known[f]) continue;
      out.has_facets = true;
      out.z[f] = ((*t.facets)[f] - m.facet_mean[f]) / m.facet_sd[f];
    }
  }
  for (std::size_t d = 0; d < 4; ++d) {
    out.s[d] = 0;
    out.s2[d] = 1;
  }
  if (t.style) {
    for (std::size_t d = 0; d < 4; ++d) {
      if (!t.style_known[d]) continue;
      out.has_style = true;
      out.s[d] = ((*t.style)[d] - m.style_mean[d]) / m.style_sd[d];
      out.s2[d] = out.s[d] * out.s[d];
    }
  }
  return out;
}

void StandardiseClient(const FittedModel& m, const ClientData& c, std::array<double, 4>& p,
                       std::array<double, 4>& p2) {
  for (std::size_t d = 0; d < 4; ++d) {
    p[d] = 0;
    p2[d] = 1;
    if (c.preferences && c.preference_known[d]) {
      p[d] = ((*c.preferences)[d] - m.preference_mean[d]) / m.preference_sd[d];
      p2[d] = p[d] * p[d];
    }
  }
}

// Design row: 1, z (5), fit terms 2 - p^2 + 2ps - s^2 (4): the negative squared distance on each
// dimension, centred so that it averages 0 when p and s are independent standard normals.
std::array<double, kCoefs> Row(const Standardised& t, const std::array<double, 4>& p, const std::array<double, 4>& p2) {
  std::array<double, kCoefs> x{};
  x[0] = 1;
  for (std::size_t f = 0; f < 5; ++f) x[1 + f] = t.z[f];
  for (std::size_t d = 0; d < 4; ++d) x[6 + d] = 2.0 - p2[d] + 2.0 * p[d] * t.s[d] - t.s2[d];
  return x;
}

void MeanSd(const std::vector<double>& v, double& mean, double& sd) {
  mean = 0;
  sd = 1;
  if (v.empty()) return;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  if (v.size() < 2) return;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  const double s = std::sqrt(ss / static_cast<double>(v.size() - 1));
  if (s > 1e-12) sd = s;
}

struct Rows {
  std::vector<std::array<double, kCoefs>> x;
  std::vector<double> y;
  std::vector<std::size_t> group;  // therapist index
};

struct SubFit {
  Submodel sub;
  std::vector<OwnEffect> effects;  // per therapist index
  std::vector<double> residual;    // y - x beta - u (per row)
};

// One-way ANOVA moment estimates of between- and within-group variance of r.
bool Anova(const std::vector<double>& r, const std::vector<std::size_t>& group, std::size_t groups, double& tau2,
           double& sigma2, double& g_used, double& df_within) {
  std::vector<double> sum(groups, 0.0);
  std::vector<std::size_t> n(groups, 0);
  for (std::size_t i = 0; i < r.size(); ++i) {
    sum[group[i]] += r[i];
    ++n[group[i]];
  }
  std::size_t g = 0;
  double total = 0, n2 = 0;
  for (std::size_t k = 0; k < groups; ++k) {
    if (n[k] == 0) continue;
    ++g;
    total += sum[k];
    n2 += static_cast<double>(n[k]) * static_cast<double>(n[k]);
  }
  const double big_n = static_cast<double>(r.size());
  if (g < 2 || r.size() <= g) return false;
  const double grand = total / big_n;
  double ssw = 0, ssb = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double m = sum[group[i]] / static_cast<double>(n[group[i]]);
    ssw += (r[i] - m) * (r[i] - m);
  }
  for (std::size_t k = 0; k < groups; ++k) {
    if (n[k] == 0) continue;
    const double m = sum[k] / static_cast<double>(n[k]);
    ssb += static_cast<double>(n[k]) * (m - grand) * (m - grand);
  }
  const double msw = ssw / (big_n - static_cast<double>(g));
  const double msb = ssb / static_cast<double>(g - 1);
  const double n0 = (big_n - n2 / big_n) / static_cast<double>(g - 1);
  tau2 = std::max(0.0, (msb - msw) / n0);
  sigma2 = msw;
  g_used = static_cast<double>(g);
  df_within = big_n - static_cast<double>(g);
  return true;
}

SubFit FitSub(const Rows& rows, std::size_t groups, const std::array<double, kCoefs>& prior_mean,
              const std::array<double, kCoefs>& prior_sd, const std::array<std::string, kCoefs>& names,
              double tau2_prior, double pseudo, int iterations) {
  SubFit out;
  const std::size_t n = rows.y.size();
  out.sub.n = n;
  double tau2 = tau2_prior, sigma2 = std::max(1e-6, 1.0 - tau2_prior);
  Eigen::Matrix<double, kCoefs, 1> mu0, lambda0;
  for (std::size_t j = 0; j < kCoefs; ++j) {
    mu0(static_cast<Eigen::Index>(j)) = prior_mean[j];
    lambda0(static_cast<Eigen::Index>(j)) = 1.0 / (prior_sd[j] * prior_sd[j]);
  }
  // Rows grouped by therapist.
  std::vector<std::vector<std::size_t>> members(groups);
  for (std::size_t i = 0; i < n; ++i) members[rows.group[i]].push_back(i);

  Eigen::Matrix<double, kCoefs, 1> beta = mu0;
  Eigen::Matrix<double, kCoefs, kCoefs> cov = lambda0.cwiseInverse().asDiagonal();
  Eigen::Matrix<double, kCoefs, kCoefs> a_data = Eigen::Matrix<double, kCoefs, kCoefs>::Zero();
  Eigen::Matrix<double, kCoefs, 1> b_data = Eigen::Matrix<double, kCoefs, 1>::Zero();
  std::vector<double> resid(n);
  for (int it = 0; it < std::max(1, iterations); ++it) {
    // X' V^-1 X and X' V^-1 y with V_t = sigma2 I + tau2 J (compound symmetry per therapist).
    a_data.setZero();
    b_data.setZero();
    for (const auto& idx : members) {
      if (idx.empty()) continue;
      const double c = tau2 / (sigma2 + static_cast<double>(idx.size()) * tau2);
      Eigen::Matrix<double, kCoefs, 1> sx = Eigen::Matrix<double, kCoefs, 1>::Zero();
      double sy = 0;
      for (std::size_t i : idx) {
        Eigen::Map<const Eigen::Matrix<double, kCoefs, 1>> xi(rows.x[i].data());
        a_data.noalias() += xi * xi.transpose();
        b_data.noalias() += xi * rows.y[i];
        sx += xi;
        sy += rows.y[i];
      }
      a_data.noalias() -= c * sx * sx.transpose();
      b_data.noalias() -= c * sx * sy;
    }
    a_data /= sigma2;
    b_data /= sigma2;
    Eigen::Matrix<double, kCoefs, kCoefs> precision = a_data;
    precision.diagonal() += lambda0;
    Eigen::LDLT<Eigen::Matrix<double, kCoefs, kCoefs>> ldlt(precision);
    beta = ldlt.solve(b_data + lambda0.cwiseProduct(mu0));
    cov = ldlt.solve(Eigen::Matrix<double, kCoefs, kCoefs>::Identity());
    for (std::size_t i = 0; i < n; ++i) {
      Eigen::Map<const Eigen::Matrix<double, kCoefs, 1>> xi(rows.x[i].data());
      resid[i] = rows.y[i] - xi.dot(beta);
    }
    double tau2_hat = 0, sigma2_hat = 0, g = 0, dfw = 0;
    if (Anova(resid, rows.group, groups, tau2_hat, sigma2_hat, g, dfw)) {
      tau2 = (g * tau2_hat + pseudo * tau2_prior) / (g + pseudo);
      sigma2 = (dfw * sigma2_hat + pseudo * (1.0 - tau2_prior)) / (dfw + pseudo);
      sigma2 = std::max(sigma2, 1e-6);
    }
  }
  out.sub.therapist_variance = tau2;
  out.sub.residual_variance = sigma2;

  // Data-only estimate, when the data identify every coefficient.
  std::optional<Eigen::Matrix<double, kCoefs, 1>> data_beta;
  if (n > kCoefs) {
    Eigen::ColPivHouseholderQR<Eigen::Matrix<double, kCoefs, kCoefs>> qr(a_data);
    qr.setThreshold(1e-9);
    if (qr.rank() == static_cast<Eigen::Index>(kCoefs)) data_beta = qr.solve(b_data);
  }
  out.sub.covariance.assign(kCoefs, std::vector<double>(kCoefs));
  for (std::size_t j = 0; j < kCoefs; ++j) {
    const auto jj = static_cast<Eigen::Index>(j);
    Coefficient coef;
    coef.name = names[j];
    coef.prior_mean = prior_mean[j];
    coef.prior_sd = prior_sd[j];
    coef.mean = beta(jj);
    coef.sd = std::sqrt(std::max(0.0, cov(jj, jj)));
    coef.data_weight = std::clamp(1.0 - cov(jj, jj) * lambda0(jj), 0.0, 1.0);
    if (data_beta) coef.data_estimate = (*data_beta)(jj);
    out.sub.coefficients.push_back(coef);
    for (std::size_t k = 0; k < kCoefs; ++k) out.sub.covariance[j][k] = cov(jj, static_cast<Eigen::Index>(k));
  }

  // Therapists' own effects: BLUPs shrunk by their reliability n tau2 / (n tau2 + sigma2).
  out.effects.resize(groups);
  for (std::size_t g = 0; g < groups; ++g) {
    OwnEffect e;
    e.n = members[g].size();
    e.variance = tau2;
    if (e.n > 0) {
      double s = 0;
      for (std::size_t i : members[g]) s += resid[i];
      e.raw = s / static_cast<double>(e.n);
      const double w = static_cast<double>(e.n) * tau2 / (static_cast<double>(e.n) * tau2 + sigma2);
      e.shrunk = w * e.raw;
      e.variance = tau2 * (1.0 - w);
    }
    out.effects[g] = e;
  }
  out.residual.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.residual[i] = resid[i] - out.effects[rows.group[i]].shrunk;
  return out;
}

const Submodel& SubOf(const FittedModel& m, bool outcome) { return outcome ? m.outcome : m.alliance; }

double Coef(const Submodel& s, std::size_t j) { return s.coefficients[j].mean; }

Term TermOf(std::string key, double value, TermKind kind) {
  Term term;
  term.key = std::move(key);
  term.value = value;
  term.kind = kind;
  return term;
}

// Terms of one submodel for a pair; fills `x` with the design row.
void SubTerms(const FittedModel& m, bool outcome, const TherapistData& t, const ClientData& c,
              std::vector<Term>& terms, double& variance) {
  const Submodel& sub = SubOf(m, outcome);
  const Standardised st = StandardiseTherapist(m, t);
  std::array<double, 4> p{}, p2{};
  StandardiseClient(m, c, p, p2);
  const auto x = Row(st, p, p2);
  const Objective what = outcome ? Objective::OUTCOME : Objective::ALLIANCE;

  Term baseline = TermOf("baseline", Coef(sub, 0) * x[0], TermKind::BASELINE);
  baseline.outcome = what;
  terms.push_back(std::move(baseline));
  if (st.has_facets) {
    for (std::size_t f = 0; f < 5; ++f) {
      if (!t.facet_known[f]) continue;
      const double z = st.z[f];
      Term term = TermOf(fmt::format("facet.{}", kFacets[f]), Coef(sub, 1 + f) * x[1 + f], TermKind::FACET);
      term.dimension = f;
      term.level = z >= 0.5 ? Level::HIGH : z <= -0.5 ? Level::LOW : Level::ABOUT_AVERAGE;
      if (t.mindfulness_visible) term.raw_score = (*t.facets)[f];
      terms.push_back(std::move(term));
    }
  }
  for (std::size_t d = 0; d < 4; ++d) {
    Term term = TermOf(fmt::format("fit.{}", kStyles[d]), Coef(sub, 6 + d) * x[6 + d], TermKind::FIT);
    term.dimension = d;
    if (c.preferences && t.style && c.preference_known[d] && t.style_known[d]) {
      term.preferred = p[d] >= 0 ? Pole::HIGH : Pole::LOW;
    }
    terms.push_back(std::move(term));
  }
  variance = 0;
  for (std::size_t j = 0; j < kCoefs; ++j) {
    for (std::size_t k = 0; k < kCoefs; ++k) variance += x[j] * sub.covariance[j][k] * x[k];
  }
  const auto& effects = outcome ? m.outcome_effects : m.alliance_effects;
  auto it = effects.find(t.id);
  if (it != effects.end() && it->second.n > 0) {
    const OwnEffect& e = it->second;
    Term record = TermOf("own.record", e.raw, TermKind::OWN_RECORD);
    record.outcome = what;
    record.past_clients = e.n;
    terms.push_back(std::move(record));
    Term shrinkage = TermOf("own.shrinkage", e.shrunk - e.raw, TermKind::OWN_SHRINKAGE);
    shrinkage.reliability = e.raw != 0 ? e.shrunk / e.raw : 1.0;
    terms.push_back(std::move(shrinkage));
    variance += e.variance;
  } else {
    variance += sub.therapist_variance;
  }
  if (outcome && !c.domains.empty()) {
    auto dom = std::find(m.domains.begin(), m.domains.end(), c.domains.front());
    auto rec = m.domain_effects.find(t.id);
    if (dom != m.domains.end()) {
      const auto k = static_cast<std::size_t>(dom - m.domains.begin());
      if (rec != m.domain_effects.end() && rec->second[k].n > 0) {
        const OwnEffect& e = rec->second[k];
        Term term = TermOf(fmt::format("domain.{}", *dom), e.shrunk, TermKind::DOMAIN);
        term.past_clients = e.n;
        term.domain = *dom;
        terms.push_back(std::move(term));
        variance += e.variance;
      } else {
        variance += m.domain_variance;
      }
    }
  }
}

}  // namespace

const char* ObjectiveName(Objective objective) {
  switch (objective) {
    case Objective::ALLIANCE:
      return "alliance";
    case Objective::OUTCOME:
      return "outcome";
    case Objective::BLEND:
      return "blend";
  }
  return "alliance";
}

Result<Objective> ParseObjective(const std::string& name) {
  if (name == "alliance") return Objective::ALLIANCE;
  if (name == "outcome") return Objective::OUTCOME;
  if (name == "blend") return Objective::BLEND;
  return Fail(ErrorCode::INVALID_ARGUMENT,
              fmt::format("objective: \"{}\" is not one of alliance, outcome, blend", name), "objective");
}

Result<FittedModel> Fit(const TrainingData& data, const FitOptions& options) {
  const Priors& pr = options.priors;
  if (!(pr.facet_sd > 0) || !(pr.fit_sd > 0) || !(pr.therapist_share > 0 && pr.therapist_share < 1) ||
      !(pr.outcome_therapist_share > 0 && pr.outcome_therapist_share < 1) || !(pr.pseudo_therapists >= 0)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "priors: sds must be > 0, therapist shares in (0, 1), pseudo_therapists >= 0", "priors");
  }
  FittedModel m;
  m.fitted_at = options.fitted_at;
  m.therapists = data.therapists.size();
  std::unordered_map<Id, std::size_t> seen;
  for (std::size_t t = 0; t < data.therapists.size(); ++t) {
    const auto& th = data.therapists[t];
    if (!seen.emplace(th.id, t).second) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("therapists[{}].id: {} appears twice", t, th.id),
                  fmt::format("therapists[{}].id", t));
    }
    auto finite = [&](const auto& arr, const auto& known, const char* what) -> Result<void> {
      for (std::size_t k = 0; k < arr.size(); ++k) {
        const double v = arr[k];
        if (known[k] && !Finite(v)) {
          return Fail(ErrorCode::INVALID_ARGUMENT,
                      fmt::format("therapists[{}].{}: value {} is not a finite number", t, what, v),
                      fmt::format("therapists[{}].{}", t, what));
        }
      }
      return Ok();
    };
    if (th.facets) ATTUNE_CHECK(finite(*th.facets, th.facet_known, "facets"));
    if (th.style) ATTUNE_CHECK(finite(*th.style, th.style_known, "style"));
  }
  for (std::size_t c = 0; c < data.clients.size(); ++c) {
    if (!data.clients[c].preferences) continue;
    for (std::size_t d = 0; d < 4; ++d) {
      const double v = (*data.clients[c].preferences)[d];
      if (data.clients[c].preference_known[d] && !Finite(v)) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("clients[{}].preferences: value {} is not a finite number", c, v),
                    fmt::format("clients[{}].preferences", c));
      }
    }
  }
  for (std::size_t e = 0; e < data.episodes.size(); ++e) {
    const auto& ep = data.episodes[e];
    if (ep.therapist >= data.therapists.size()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("episodes[{}].therapist: index {} is not below {}", e, ep.therapist,
                              data.therapists.size()),
                  fmt::format("episodes[{}].therapist", e));
    }
    if (ep.client >= data.clients.size()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("episodes[{}].client: index {} is not below {}", e, ep.client, data.clients.size()),
                  fmt::format("episodes[{}].client", e));
    }
    if ((ep.alliance && !Finite(*ep.alliance)) || (ep.improvement && !Finite(*ep.improvement))) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("episodes[{}]: outcome is not a finite number", e),
                  fmt::format("episodes[{}]", e));
    }
  }

  // Standardisations.
  for (std::size_t f = 0; f < 5; ++f) {
    std::vector<double> v;
    for (const auto& th : data.therapists) {
      if (th.facets && th.facet_known[f]) v.push_back((*th.facets)[f]);
    }
    MeanSd(v, m.facet_mean[f], m.facet_sd[f]);
  }
  for (std::size_t d = 0; d < 4; ++d) {
    std::vector<double> s, p;
    for (const auto& th : data.therapists) {
      if (th.style && th.style_known[d]) s.push_back((*th.style)[d]);
    }
    for (const auto& cl : data.clients) {
      if (cl.preferences && cl.preference_known[d]) p.push_back((*cl.preferences)[d]);
    }
    MeanSd(s, m.style_mean[d], m.style_sd[d]);
    MeanSd(p, m.preference_mean[d], m.preference_sd[d]);
  }

  std::vector<Standardised> st(data.therapists.size());
  for (std::size_t t = 0; t < st.size(); ++t) st[t] = StandardiseTherapist(m, data.therapists[t]);
  Rows alliance_rows, outcome_rows;
  std::vector<std::size_t> outcome_client;
  std::vector<double> ya, yo;
  for (const auto& ep : data.episodes) {
    if (ep.alliance) ya.push_back(*ep.alliance);
    if (ep.improvement) yo.push_back(*ep.improvement);
  }
  MeanSd(ya, m.alliance.y_mean, m.alliance.y_sd);
  MeanSd(yo, m.outcome.y_mean, m.outcome.y_sd);
  std::set<std::size_t> with_data;
  for (const auto& ep : data.episodes) {
    std::array<double, 4> p{}, p2{};
    StandardiseClient(m, data.clients[ep.client], p, p2);
    const auto x = Row(st[ep.therapist], p, p2);
    if (ep.alliance) {
      alliance_rows.x.push_back(x);
      alliance_rows.y.push_back((*ep.alliance - m.alliance.y_mean) / m.alliance.y_sd);
      alliance_rows.group.push_back(ep.therapist);
      with_data.insert(ep.therapist);
    }
    if (ep.improvement) {
      outcome_rows.x.push_back(x);
      outcome_rows.y.push_back((*ep.improvement - m.outcome.y_mean) / m.outcome.y_sd);
      outcome_rows.group.push_back(ep.therapist);
      outcome_client.push_back(ep.client);
    }
  }
  m.episodes = data.episodes.size();
  m.therapists_with_data = with_data.size();

  std::array<std::string, kCoefs> names;
  names[0] = "intercept";
  for (std::size_t f = 0; f < 5; ++f) names[1 + f] = fmt::format("facet.{}", kFacets[f]);
  for (std::size_t d = 0; d < 4; ++d) names[6 + d] = fmt::format("fit.{}", kStyles[d]);
  std::array<double, kCoefs> mean_a{}, sd_a{}, mean_o{}, sd_o{};
  mean_a[0] = mean_o[0] = 0;
  sd_a[0] = sd_o[0] = 1;
  for (std::size_t f = 0; f < 5; ++f) {
    mean_a[1 + f] = pr.facet_mean[f];
    mean_o[1 + f] = pr.alliance_outcome_r * pr.facet_mean[f];
    sd_a[1 + f] = sd_o[1 + f] = pr.facet_sd;
  }
  for (std::size_t d = 0; d < 4; ++d) {
    mean_a[6 + d] = pr.fit_mean[d];
    mean_o[6 + d] = pr.alliance_outcome_r * pr.fit_mean[d];
    sd_a[6 + d] = sd_o[6 + d] = pr.fit_sd;
  }
  const std::size_t groups = data.therapists.size();
  SubFit fa = FitSub(alliance_rows, groups, mean_a, sd_a, names, pr.therapist_share, pr.pseudo_therapists,
                     options.iterations);
  SubFit fo = FitSub(outcome_rows, groups, mean_o, sd_o, names, pr.outcome_therapist_share,
                     pr.pseudo_therapists, options.iterations);
  fa.sub.y_mean = m.alliance.y_mean;
  fa.sub.y_sd = m.alliance.y_sd;
  fo.sub.y_mean = m.outcome.y_mean;
  fo.sub.y_sd = m.outcome.y_sd;
  m.alliance = std::move(fa.sub);
  m.outcome = std::move(fo.sub);
  for (std::size_t t = 0; t < groups; ++t) {
    m.alliance_effects[data.therapists[t].id] = fa.effects[t];
    m.outcome_effects[data.therapists[t].id] = fo.effects[t];
  }

  // Therapist-by-domain records on the outcome residuals (primary domain).
  std::set<std::string> domain_set;
  for (std::size_t c : outcome_client) {
    if (!data.clients[c].domains.empty()) domain_set.insert(data.clients[c].domains.front());
  }
  m.domains.assign(domain_set.begin(), domain_set.end());
  const std::size_t nd = m.domains.size();
  const double domain_prior = 0.5 * pr.outcome_therapist_share;
  m.domain_variance = domain_prior;
  if (nd > 0) {
    std::vector<double> r;
    std::vector<std::size_t> cell;
    for (std::size_t i = 0; i < outcome_client.size(); ++i) {
      const auto& doms = data.clients[outcome_client[i]].domains;
      if (doms.empty()) continue;
      const auto k = static_cast<std::size_t>(std::find(m.domains.begin(), m.domains.end(), doms.front()) -
                                              m.domains.begin());
      r.push_back(fo.residual[i]);
      cell.push_back(outcome_rows.group[i] * nd + k);
    }
    double tau2 = 0, sigma2 = 0, g = 0, dfw = 0;
    const double pseudo = pr.pseudo_therapists;
    if (Anova(r, cell, groups * nd, tau2, sigma2, g, dfw)) {
      m.domain_variance = (g * tau2 + pseudo * domain_prior) / (g + pseudo);
    }
    const double s2 = m.outcome.residual_variance;
    std::vector<double> sum(groups * nd, 0.0);
    std::vector<std::size_t> cnt(groups * nd, 0);
    for (std::size_t i = 0; i < r.size(); ++i) {
      sum[cell[i]] += r[i];
      ++cnt[cell[i]];
    }
    for (std::size_t t = 0; t < groups; ++t) {
      std::vector<OwnEffect> per(nd);
      for (std::size_t k = 0; k < nd; ++k) {
        OwnEffect& e = per[k];
        const std::size_t j = t * nd + k;
        e.n = cnt[j];
        e.variance = m.domain_variance;
        if (e.n > 0) {
          e.raw = sum[j] / static_cast<double>(e.n);
          const double w = static_cast<double>(e.n) * m.domain_variance /
                           (static_cast<double>(e.n) * m.domain_variance + s2);
          e.shrunk = w * e.raw;
          e.variance = m.domain_variance * (1.0 - w);
        }
      }
      m.domain_effects[data.therapists[t].id] = std::move(per);
    }
  }

  double w = 0;
  for (std::size_t j = 1; j < kCoefs; ++j) w += m.alliance.coefficients[j].data_weight;
  m.data_weight = w / static_cast<double>(kCoefs - 1);
  if (m.data_weight < 0.5) {
    m.notes.push_back(fmt::format(
        "few episodes ({}): predictions lean on literature priors (data weight {:.2f})", alliance_rows.y.size(),
        m.data_weight));
  }
  if (m.therapists_with_data < 10) {
    m.notes.push_back(fmt::format("only {} therapists with observed alliance: therapist variance is mostly the prior",
                                  m.therapists_with_data));
  }
  return m;
}

Result<Prediction> Predict(const FittedModel& model, const TherapistData& therapist, const ClientData& client,
                           Objective objective, double blend_weight) {
  if (!(blend_weight >= 0 && blend_weight <= 1)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("blend_weight: value {} is not in [0, 1]", blend_weight), "blend_weight");
  }
  Prediction pred;
  if (objective != Objective::BLEND) {
    double var = 0;
    SubTerms(model, objective == Objective::OUTCOME, therapist, client, pred.terms, var);
    pred.sd = std::sqrt(var);
  } else {
    std::vector<Term> ta, to;
    double va = 0, vo = 0;
    SubTerms(model, false, therapist, client, ta, va);
    SubTerms(model, true, therapist, client, to, vo);
    const double w = blend_weight;
    for (auto& t : ta) {
      t.value *= w;
      pred.terms.push_back(std::move(t));
    }
    for (auto& t : to) {
      auto same = std::find_if(pred.terms.begin(), pred.terms.end(), [&](const Term& x) { return x.key == t.key; });
      if (same != pred.terms.end()) {
        same->value += (1 - w) * t.value;
      } else {
        t.value *= (1 - w);
        pred.terms.push_back(std::move(t));
      }
    }
    pred.sd = std::sqrt(w * w * va + (1 - w) * (1 - w) * vo);
  }
  for (const auto& t : pred.terms) pred.mean += t.value;
  return pred;
}

namespace {

void CompileSub(const FittedModel& m, bool outcome, const TherapistData& t, double weight, CompiledTherapist& out) {
  const Submodel& sub = SubOf(m, outcome);
  const Standardised st = StandardiseTherapist(m, t);
  double c = Coef(sub, 0);
  for (std::size_t f = 0; f < 5; ++f) c += Coef(sub, 1 + f) * st.z[f];
  for (std::size_t d = 0; d < 4; ++d) {
    c += Coef(sub, 6 + d) * (2.0 - st.s2[d]);
    out.slope[d] += weight * 2.0 * Coef(sub, 6 + d) * st.s[d];
  }
  const auto& effects = outcome ? m.outcome_effects : m.alliance_effects;
  auto it = effects.find(t.id);
  if (it != effects.end()) c += it->second.shrunk;
  out.constant += weight * c;
  if (outcome) {
    auto rec = m.domain_effects.find(t.id);
    if (rec != m.domain_effects.end()) {
      for (std::size_t k = 0; k < m.domains.size(); ++k) out.domain[k] += weight * rec->second[k].shrunk;
    }
  }
}

void CompileClientSub(const FittedModel& m, bool outcome, const ClientData& c, double weight, CompiledClient& out) {
  const Submodel& sub = SubOf(m, outcome);
  std::array<double, 4> p{}, p2{};
  StandardiseClient(m, c, p, p2);
  out.p = p;
  for (std::size_t d = 0; d < 4; ++d) out.constant -= weight * Coef(sub, 6 + d) * p2[d];
}

}  // namespace

CompiledTherapist Compile(const FittedModel& model, const TherapistData& therapist, Objective objective,
                          double blend_weight) {
  CompiledTherapist out;
  out.domain.assign(model.domains.size(), 0.0);
  const double w = objective == Objective::ALLIANCE ? 1.0 : objective == Objective::OUTCOME ? 0.0 : blend_weight;
  if (w > 0) CompileSub(model, false, therapist, w, out);
  if (w < 1) CompileSub(model, true, therapist, 1 - w, out);
  return out;
}

CompiledClient Compile(const FittedModel& model, const ClientData& client, Objective objective,
                       double blend_weight) {
  CompiledClient out;
  const double w = objective == Objective::ALLIANCE ? 1.0 : objective == Objective::OUTCOME ? 0.0 : blend_weight;
  if (w > 0) CompileClientSub(model, false, client, w, out);
  if (w < 1) CompileClientSub(model, true, client, 1 - w, out);
  if (w < 1 && !client.domains.empty()) {
    auto it = std::find(model.domains.begin(), model.domains.end(), client.domains.front());
    if (it != model.domains.end()) out.domain = static_cast<int>(it - model.domains.begin());
  }
  return out;
}

}  // namespace attune::model
