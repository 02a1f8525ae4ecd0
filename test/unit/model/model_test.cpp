#include "attune/model/model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace attune::model {
namespace {

// A small synthetic clinic: alliance = 0.25 z(nonjudge) + 0.10 (2 - (p0 - s0)^2) + u_t + noise.
struct Planted {
  TrainingData data;
  std::vector<double> u;  // true therapist effects
};

Planted MakeClinic(std::size_t therapists, std::size_t clients, unsigned seed, double tau = 0.25) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0.0, 1.0);
  Planted out;
  for (std::size_t t = 0; t < therapists; ++t) {
    TherapistData th;
    th.id = static_cast<Id>(t + 1);
    std::array<double, 5> f{};
    for (double& v : f) v = 25 + 5 * n01(rng);  // raw facet scores, mean 25, SD 5
    th.facets = f;
    th.style = std::array<double, 4>{n01(rng), n01(rng), n01(rng), n01(rng)};
    out.data.therapists.push_back(th);
    out.u.push_back(tau * n01(rng));
  }
  for (std::size_t c = 0; c < clients; ++c) {
    ClientData cl;
    cl.id = static_cast<Id>(c + 1);
    cl.preferences = std::array<double, 4>{n01(rng), n01(rng), n01(rng), n01(rng)};
    cl.domains = {c % 2 == 0 ? "depression" : "anxiety"};
    out.data.clients.push_back(cl);
    const std::size_t t = c % therapists;
    const auto& th = out.data.therapists[t];
    const double z = ((*th.facets)[3] - 25) / 5;
    const double d0 = (*cl.preferences)[0] - (*th.style)[0];
    const double alliance = 0.25 * z + 0.10 * (2 - d0 * d0) + out.u[t] + 0.9 * n01(rng);
    EpisodeData ep;
    ep.therapist = t;
    ep.client = c;
    ep.alliance = alliance;
    ep.improvement = 0.3 * alliance + n01(rng);
    out.data.episodes.push_back(ep);
  }
  return out;
}

const Coefficient& CoefNamed(const Submodel& s, const std::string& name) {
  for (const auto& c : s.coefficients) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no coefficient " + name);
}

TEST(ModelFit, WithoutEpisodesTheModelIsThePriors) {
  Planted p = MakeClinic(10, 0, 1);
  auto m = Fit(p.data);
  ASSERT_TRUE(m) << m.error().message;
  const Priors priors;
  EXPECT_DOUBLE_EQ(CoefNamed(m->alliance, "facet.nonjudge").mean, priors.facet_mean[3]);
  EXPECT_DOUBLE_EQ(CoefNamed(m->alliance, "facet.nonjudge").data_weight, 0.0);
  EXPECT_FALSE(CoefNamed(m->alliance, "facet.nonjudge").data_estimate.has_value());
  EXPECT_DOUBLE_EQ(m->data_weight, 0.0);
  EXPECT_FALSE(m->notes.empty());
  // Priors alone still rank a high non-judging therapist above a low one.
  TherapistData hi = p.data.therapists[0], lo = p.data.therapists[0];
  (*hi.facets)[3] = m->facet_mean[3] + 2 * m->facet_sd[3];
  (*lo.facets)[3] = m->facet_mean[3] - 2 * m->facet_sd[3];
  hi.id = 100;
  lo.id = 101;
  ClientData c;
  auto ph = Predict(*m, hi, c);
  auto pl = Predict(*m, lo, c);
  ASSERT_TRUE(ph && pl);
  EXPECT_GT(ph->mean, pl->mean);
}

TEST(ModelFit, MovesFromPriorToDataGradually) {
  double last_weight = -1;
  double last_gap = 1e9;
  for (std::size_t clients : {40u, 400u, 4000u}) {
    Planted p = MakeClinic(40, clients, 7);
    auto m = Fit(p.data);
    ASSERT_TRUE(m) << m.error().message;
    const auto& nj = CoefNamed(m->alliance, "facet.nonjudge");
    // The data weight grows with n, strictly between the extremes (no switch).
    EXPECT_GT(nj.data_weight, last_weight) << clients;
    EXPECT_GT(nj.data_weight, 0.0);
    EXPECT_LT(nj.data_weight, 1.0);
    last_weight = nj.data_weight;
    const double planted = 0.25 / m->alliance.y_sd;
    const double gap = std::abs(nj.mean - planted);
    EXPECT_LT(gap, last_gap + 0.02) << clients;
    last_gap = gap;
  }
  // With 200 therapists and 4,000 episodes the planted coefficients are recovered.
  Planted p = MakeClinic(200, 4000, 7);
  auto m = Fit(p.data);
  ASSERT_TRUE(m);
  const double sd = m->alliance.y_sd;
  EXPECT_NEAR(CoefNamed(m->alliance, "facet.nonjudge").mean, 0.25 / sd, 0.06);
  EXPECT_NEAR(CoefNamed(m->alliance, "fit.directiveness").mean, 0.10 / sd, 0.03);
  EXPECT_NEAR(CoefNamed(m->alliance, "fit.past_orientation").mean, 0.0, 0.03);
  EXPECT_GT(m->data_weight, 0.5);
  EXPECT_NEAR(m->alliance.therapist_variance, 0.25 * 0.25 / (sd * sd), 0.03);
}

TEST(ModelFit, OwnEffectsAreShrunkMoreWithFewerClients) {
  Planted p = MakeClinic(20, 400, 3, 0.4);
  // Therapist 0 keeps only 2 episodes.
  std::vector<EpisodeData> kept;
  int n0 = 0;
  for (const auto& ep : p.data.episodes) {
    if (ep.therapist == 0 && ++n0 > 2) continue;
    kept.push_back(ep);
  }
  p.data.episodes = kept;
  auto m = Fit(p.data);
  ASSERT_TRUE(m);
  const OwnEffect& few = m->alliance_effects.at(1);
  const OwnEffect& many = m->alliance_effects.at(2);
  EXPECT_EQ(few.n, 2u);
  EXPECT_EQ(many.n, 20u);
  EXPECT_LT(std::abs(few.shrunk), std::abs(few.raw));
  EXPECT_GT(few.variance, many.variance);
  EXPECT_LT(few.shrunk / few.raw, many.shrunk / many.raw);
  // BLUPs track the planted effects.
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t t = 1; t < 20; ++t) {
    const double a = m->alliance_effects.at(static_cast<Id>(t + 1)).shrunk, b = p.u[t];
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  EXPECT_GT(sxy / std::sqrt(sxx * syy), 0.6);
  // A therapist with few clients is predicted less surely, and the explanation says it was shrunk.
  auto pf = Predict(*m, p.data.therapists[0], p.data.clients[0]);
  auto pm = Predict(*m, p.data.therapists[1], p.data.clients[0]);
  ASSERT_TRUE(pf && pm);
  EXPECT_GT(pf->sd, pm->sd);
  bool said = false;
  for (const auto& t : pf->terms) said |= t.kind == TermKind::OWN_SHRINKAGE && t.reliability < 0.5;
  EXPECT_TRUE(said);
}

TEST(ModelPredict, TermsAddUpAndCompiledScoresAgree) {
  Planted p = MakeClinic(30, 600, 11);
  auto m = Fit(p.data);
  ASSERT_TRUE(m);
  for (Objective o : {Objective::ALLIANCE, Objective::OUTCOME, Objective::BLEND}) {
    for (std::size_t i = 0; i < 20; ++i) {
      const auto& t = p.data.therapists[i % 30];
      const auto& c = p.data.clients[(i * 7) % 600];
      auto pred = Predict(*m, t, c, o, 0.7);
      ASSERT_TRUE(pred);
      double sum = 0;
      for (const auto& term : pred->terms) sum += term.value;
      EXPECT_NEAR(sum, pred->mean, 1e-12);
      for (const auto& term : pred->terms) {
        // Each term says what it is about (the service words it): a fit term, the dimension and
        // the end of it the client leans to, a merged blend term as much as a single one.
        EXPECT_EQ(term.key.rfind("fit.", 0) == 0, term.kind == TermKind::FIT) << term.key;
        if (term.kind == TermKind::FIT) {
          EXPECT_EQ(term.key, std::string("fit.") + kStyles.at(term.dimension));
          EXPECT_TRUE(term.preferred.has_value()) << term.key;
        }
        if (term.kind == TermKind::FACET) {
          EXPECT_EQ(term.key, std::string("facet.") + kFacets.at(term.dimension));
        }
      }
      EXPECT_GT(pred->sd, 0.0);
      const double compiled = Score(Compile(*m, t, o, 0.7), Compile(*m, c, o, 0.7));
      EXPECT_NEAR(compiled, pred->mean, 1e-9) << ObjectiveName(o);
    }
  }
  // Outcome predictions carry the therapist's record in the client's main domain.
  auto out = Predict(*m, p.data.therapists[0], p.data.clients[0], Objective::OUTCOME);
  ASSERT_TRUE(out);
  bool domain = false;
  for (const auto& t : out->terms) domain |= t.key == "domain.depression";
  EXPECT_TRUE(domain);
}

TEST(ModelPredict, RawMindfulnessScoresOnlyWhenOptedIn) {
  Planted p = MakeClinic(5, 50, 2);
  auto m = Fit(p.data);
  ASSERT_TRUE(m);
  TherapistData t = p.data.therapists[0];
  auto hidden = Predict(*m, t, p.data.clients[0]);
  ASSERT_TRUE(hidden);
  for (const auto& term : hidden->terms) {
    EXPECT_FALSE(term.raw_score.has_value()) << term.key;
  }
  t.mindfulness_visible = true;
  auto shown = Predict(*m, t, p.data.clients[0]);
  ASSERT_TRUE(shown);
  int raw = 0;
  for (const auto& term : shown->terms) raw += term.raw_score.has_value() ? 1 : 0;
  EXPECT_EQ(raw, 5);
}

// A scale left unscorable is unknown on its own: the other dimensions still count, the unknown
// one enters by its expectation (s = 0, s^2 = 1), and its value is never read (NaN is accepted).
TEST(ModelPredict, UnknownDimensionsAreExpectationsNotZeros) {
  Planted p = MakeClinic(30, 600, 13);
  auto m = Fit(p.data);
  ASSERT_TRUE(m);
  TherapistData t = p.data.therapists[0];
  ClientData c = p.data.clients[0];
  (*c.preferences)[0] = 2.0;
  (*t.style)[0] = 2.0;
  auto full = Predict(*m, t, c);
  ASSERT_TRUE(full);
  auto term = [](const Prediction& pred, const std::string& key) {
    for (const auto& x : pred.terms) {
      if (x.key == key) return x;
    }
    return Term{};
  };
  EXPECT_GT(term(*full, "fit.directiveness").value, 0.0);

  TherapistData partial = t;
  (*partial.style)[0] = std::nan("");
  partial.style_known[0] = false;
  (*partial.facets)[3] = std::nan("");
  partial.facet_known[3] = false;
  auto pred = Predict(*m, partial, c);
  ASSERT_TRUE(pred);
  EXPECT_TRUE(std::isfinite(pred->mean));
  // Dimension 1..3 terms unchanged; dimension 0 as if the style were unknown: c (2 - p^2 - 1).
  for (const char* key : {"fit.emotional_intensity", "fit.past_orientation", "fit.warm_support"}) {
    EXPECT_NEAR(term(*pred, key).value, term(*full, key).value, 1e-12) << key;
  }
  const double z = ((*c.preferences)[0] - m->preference_mean[0]) / m->preference_sd[0];
  const double coef = CoefNamed(m->alliance, "fit.directiveness").mean;
  EXPECT_NEAR(term(*pred, "fit.directiveness").value, coef * (1.0 - z * z), 1e-12);
  EXPECT_FALSE(term(*pred, "fit.directiveness").preferred.has_value());  // unknown: no end named
  EXPECT_EQ(term(*pred, "fit.warm_support").preferred, (*c.preferences)[3] >= m->preference_mean[3] ? Pole::HIGH : Pole::LOW);
  EXPECT_TRUE(term(*pred, "facet.nonjudge").key.empty());  // no reason about an unmeasured facet
  EXPECT_FALSE(term(*pred, "facet.nonreact").key.empty());
  EXPECT_NEAR(Score(Compile(*m, partial, Objective::ALLIANCE), Compile(*m, c, Objective::ALLIANCE)), pred->mean,
              1e-9);

  // Fitting with unknown entries uses the known ones (and never reads the NaNs).
  Planted q = MakeClinic(30, 600, 13);
  for (std::size_t i = 0; i < q.data.therapists.size(); i += 3) {
    (*q.data.therapists[i].style)[1] = std::nan("");
    q.data.therapists[i].style_known[1] = false;
  }
  for (std::size_t i = 0; i < q.data.clients.size(); i += 4) {
    (*q.data.clients[i].preferences)[0] = std::nan("");
    q.data.clients[i].preference_known[0] = false;
  }
  auto mq = Fit(q.data);
  ASSERT_TRUE(mq) << mq.error().message;
  EXPECT_TRUE(std::isfinite(mq->style_mean[1]));
  EXPECT_GT(CoefNamed(mq->alliance, "fit.directiveness").mean, 0.05);  // planted 0.10 on dimension 0
}

TEST(ModelRefusals, NameTheField) {
  Planted p = MakeClinic(3, 10, 5);
  p.data.episodes[4].therapist = 9;
  auto bad = Fit(p.data);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error().field, "episodes[4].therapist");
  EXPECT_NE(bad.error().message.find("9"), std::string::npos);

  Planted q = MakeClinic(3, 10, 5);
  (*q.data.therapists[1].facets)[2] = std::nan("");
  auto nan = Fit(q.data);
  ASSERT_FALSE(nan);
  EXPECT_EQ(nan.error().field, "therapists[1].facets");

  Planted r = MakeClinic(3, 10, 5);
  auto m = Fit(r.data);
  ASSERT_TRUE(m);
  auto blend = Predict(*m, r.data.therapists[0], r.data.clients[0], Objective::BLEND, 1.5);
  ASSERT_FALSE(blend);
  EXPECT_EQ(blend.error().field, "blend_weight");
  EXPECT_FALSE(ParseObjective("speed"));
  EXPECT_EQ(*ParseObjective("outcome"), Objective::OUTCOME);
}

}  // namespace
}  // namespace attune::model
