// Recovery check with the statistics engine (issue 5, "Uses"): on large simulated clinics the
// stats module's REML mixed model recovers the planted therapist ICC of the client-rated alliance,
// and its OLS recovers the planted facet weights and R² of the therapist alliance effect, each
// within two standard errors. Prints planted vs estimated (docs/simulation.md, "Checks").
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "attune/instruments/instrument.hpp"
#include "attune/sim/sim.hpp"
#include "attune/stats/data_frame.hpp"
#include "attune/stats/lmm.hpp"
#include "attune/stats/regression.hpp"

namespace attune::sim {
namespace {

const instruments::Catalogue& Catalogue() {
  static const instruments::Catalogue catalogue = [] {
    auto loaded = instruments::Catalogue::LoadDirectory(ATTUNE_SOURCE_DIR "/instruments");
    if (!loaded) ADD_FAILURE() << loaded.error().message;
    return loaded ? std::move(*loaded) : instruments::Catalogue{};
  }();
  return catalogue;
}

// Fixed seeds; ATTUNE_SIM_TEST_SEED=<n> tries other draws (as in sim_test.cpp).
std::uint64_t Seed(std::uint64_t fallback) {
  const char* env = std::getenv("ATTUNE_SIM_TEST_SEED");
  return env ? std::strtoull(env, nullptr, 10) * 1000 + fallback : fallback;
}

// Mean of the keyed answered items of the instrument's "total" scale; NaN when fewer than half
// were answered.
double TotalMean(const Clinic& clinic, const Response& r, const instruments::Instrument& inst) {
  const auto* scale = inst.FindScale("total");
  if (!scale) return std::nan("");
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t i : scale->items) {
    if (!clinic.Present(r)[i]) continue;
    const auto& range = inst.items[i].response;
    const double v = clinic.Values(r)[i];
    sum += inst.items[i].reverse ? range.min + range.max - v : v;
    ++n;
  }
  return n * 2 < scale->items.size() ? std::nan("") : sum / static_cast<double>(n);
}

// Mindfulness training shifts every facet of the trained therapists by training_facet_shift, which
// adds (shift · Σw)² f (1 − f) to the facet composite's variance w'Rw (f = trained_fraction). The
// population values the parameters imply are therefore, with k = 1 + that share:
//   R²  = facet_r2 · k / (facet_r2 · k + 1 − facet_r2)
//   ICC = icc · (facet_r2 · k + 1 − facet_r2) / (icc · (facet_r2 · k + 1 − facet_r2) + 1 − icc)
// Both are printed beside the nominal parameter; the checks compare with them.
struct Implied {
  double composite_var = 0, k = 1, r2 = 0, icc = 0;
};

Implied ImpliedByParameters(const SimParams& p) {
  Implied out;
  double weight_sum = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    weight_sum += p.facet_weights[i];
    for (std::size_t j = 0; j < 5; ++j) out.composite_var += p.facet_weights[i] * p.facet_correlations[i][j] * p.facet_weights[j];
  }
  const double shift = p.training_facet_shift * weight_sum;
  out.k = 1 + shift * shift * p.trained_fraction * (1 - p.trained_fraction) / out.composite_var;
  out.r2 = p.facet_r2 * out.k / (p.facet_r2 * out.k + 1 - p.facet_r2);
  const double u_var = p.therapist_alliance_icc * (p.facet_r2 * out.k + 1 - p.facet_r2);
  out.icc = u_var / (u_var + 1 - p.therapist_alliance_icc);
  return out;
}

double Variance(const stats::LmmFit& fit, const std::string& group) {
  for (const auto& row : fit.varcorr) {
    if (row.group == group && row.var2.empty()) return row.variance;
  }
  ADD_FAILURE() << "no variance for " << group;
  return 0;
}

// The planted ICC is the therapist share of the latent episode alliance A_e (docs: Alliance).
// Session-level WAI-SR totals add session noise, ruptures and item error below the episode, so
// the model has three levels: sessions in episodes in therapists, with the session number fixed
// (alliance growth). ICC estimate = var(therapist) / (var(therapist) + var(episode)).
//
// Standard error: the large-sample variance of a one-way intraclass correlation (Fisher 1925;
// Smith 1956; Donner 1986), Var(ICC) = 2 (1-ICC)^2 (1+(n-1) ICC)^2 / (n (n-1) (k-1)), with k
// therapists and n the (unbalanced, Snedecor's n0) number of episodes per therapist, evaluated
// at the planted ICC (with the training share, see ImpliedByParameters). It treats episode levels
// as observed without error, so it is slightly too small. The seeds are fixed: a check "within
// 2 SE" fails for about one draw in twenty by design, so other seeds (ATTUNE_SIM_TEST_SEED) may.
TEST(SimRecoveryTest, LmmRecoversThePlantedTherapistIccOfClientRatedAlliance) {
  SimParams p;
  p.therapists = 120;
  p.clients = 2400;
  p.sessions = 6;
  auto simulated = SimulateClinic(Catalogue(), p, Seed(5001));
  ASSERT_TRUE(simulated) << simulated.error().message;
  const Clinic& clinic = simulated->clinic;
  const auto& wai = **Catalogue().Get(p.client_alliance_instrument);
  const std::size_t form = clinic.FormIndex(p.client_alliance_instrument);

  std::vector<double> alliance, session;
  std::vector<std::string> therapist, episode;
  for (const auto& r : clinic.responses) {
    if (r.form != form || r.episode_id == 0) continue;
    const double y = TotalMean(clinic, r, wai);
    if (std::isnan(y)) continue;
    alliance.push_back(y);
    session.push_back(r.session);
    therapist.push_back("t" + std::to_string(r.therapist_id));
    episode.push_back("e" + std::to_string(r.episode_id));
  }
  stats::DataFrame df;
  ASSERT_TRUE(df.AddNumeric("alliance", alliance));
  ASSERT_TRUE(df.AddNumeric("session", session));
  ASSERT_TRUE(df.AddText("therapist", therapist));
  ASSERT_TRUE(df.AddText("episode", episode));
  stats::LmmOptions options;
  options.conditional_variances = false;
  auto fit = stats::FitLmm(df, "alliance ~ session + (1|therapist) + (1|episode)", options);
  ASSERT_TRUE(fit) << fit.error().message;
  const double var_t = Variance(*fit, "therapist"), var_e = Variance(*fit, "episode");
  const double estimate = var_t / (var_t + var_e);

  std::map<std::uint32_t, double> per_therapist;
  for (const auto& e : clinic.episodes) per_therapist[e.therapist_id] += 1;
  double n_total = 0, sum_sq = 0;
  for (const auto& [id, n] : per_therapist) {
    n_total += n;
    sum_sq += n * n;
  }
  const double k = static_cast<double>(per_therapist.size());
  const double n0 = (n_total - sum_sq / n_total) / (k - 1);
  const double planted = ImpliedByParameters(p).icc;
  const double se = std::sqrt(2 * std::pow(1 - planted, 2) * std::pow(1 + (n0 - 1) * planted, 2) /
                              (n0 * (n0 - 1) * (k - 1)));
  std::printf("therapist ICC of client-rated alliance (WAI-SR, %zu sessions, %zu episodes, %.0f therapists): "
              "planted %.3f (parameter %.3f + training), REML estimate %.3f (therapist var %.4f, episode var %.4f, residual var %.4f), "
              "SE %.3f (large-sample one-way ICC formula)\n",
              alliance.size(), clinic.episodes.size(), k, planted, p.therapist_alliance_icc, estimate, var_t, var_e,
              fit->sigma * fit->sigma, se);
  EXPECT_NEAR(estimate, planted, 2 * se);
}

// The planted facet effects: u_t = b' facets + noise with b_f = sqrt(icc) sqrt(R²) w_f / sd(c)
// and sd(c) = sqrt(w' R w) (docs: Planted therapist effects). OLS of the therapists' alliance
// effects (truth) on their latent facet scores must give each b_f within two of its OLS SEs and
// R² within two large-sample SEs, SE(R²) = sqrt(4 R² (1-R²)² / n) (Olkin & Finn 1995; Cohen et
// al. 2003), at the planted R² (with the training share, see ImpliedByParameters). Training moves
// only the intercept, not the weights.
TEST(SimRecoveryTest, OlsRecoversThePlantedFacetWeightsAndR2) {
  SimParams p;
  p.therapists = 2000;
  p.clients = 20;
  p.sessions = 1;
  auto simulated = SimulateClinic(Catalogue(), p, Seed(5002));
  ASSERT_TRUE(simulated) << simulated.error().message;
  const Truth& truth = simulated->truth;

  const Implied implied = ImpliedByParameters(p);
  const double scale = std::sqrt(p.therapist_alliance_icc) * std::sqrt(p.facet_r2) / std::sqrt(implied.composite_var);

  stats::DataFrame df;
  std::vector<double> effect;
  std::array<std::vector<double>, 5> facets;
  for (const auto& t : truth.therapists) {
    effect.push_back(t.alliance_effect);
    for (std::size_t f = 0; f < 5; ++f) facets[f].push_back(t.facets[f]);
  }
  ASSERT_TRUE(df.AddNumeric("alliance_effect", effect));
  std::vector<std::string> names;
  for (std::size_t f = 0; f < 5; ++f) {
    names.emplace_back(kFacets[f]);
    ASSERT_TRUE(df.AddNumeric(kFacets[f], facets[f]));
  }
  auto fit = stats::Regress(df, "alliance_effect", names);
  ASSERT_TRUE(fit) << fit.error().message;
  ASSERT_EQ(fit->coef.size(), 6u);
  for (std::size_t f = 0; f < 5; ++f) {
    const auto& c = fit->coef[f + 1];
    const double planted = scale * p.facet_weights[f];
    std::printf("facet %-9s weight: planted %.4f, OLS %.4f (SE %.4f)\n", kFacets[f], planted, c.estimate, c.se);
    EXPECT_NEAR(c.estimate, planted, 2 * c.se) << kFacets[f];
  }
  const double n = static_cast<double>(fit->n);
  const double r2_se = std::sqrt(4 * implied.r2 * std::pow(1 - implied.r2, 2) / n);
  std::printf("R² of therapist alliance effect on the five facets (%zu therapists): planted %.3f (parameter "
              "%.3f + training), OLS %.3f (SE %.3f, large-sample)\n",
              fit->n, implied.r2, p.facet_r2, fit->r2, r2_se);
  EXPECT_NEAR(fit->r2, implied.r2, 2 * r2_se);
}

}  // namespace
}  // namespace attune::sim
