#include "attune/stats/mediation.hpp"

#include <gtest/gtest.h>

#include <random>

namespace attune::stats {
namespace {

DataFrame Mediated(std::size_t therapists, std::size_t per) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> norm;
  std::vector<double> x, m, y, t;
  for (std::size_t j = 0; j < therapists; ++j) {
    const double u = norm(rng) * 0.5;
    for (std::size_t i = 0; i < per; ++i) {
      const double xi = norm(rng);
      const double mi = 0.5 * xi + u + norm(rng);
      x.push_back(xi);
      m.push_back(mi);
      y.push_back(0.4 * mi + 0.1 * xi + norm(rng));
      t.push_back(static_cast<double>(j));
    }
  }
  DataFrame df;
  (void)df.AddNumeric("x", x);
  (void)df.AddNumeric("m", m);
  (void)df.AddNumeric("y", y);
  (void)df.AddNumeric("therapist", t);
  return df;
}

TEST(Mediate, PathsAndSeededBootstrap) {
  DataFrame df = Mediated(20, 15);
  MediationOptions opt;
  opt.resamples = 500;
  opt.seed = 42;
  auto a = Mediate(df, "x", "m", "y", opt);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_NEAR(a->ab, a->a.estimate * a->b.estimate, 1e-15);
  // Total effect = direct + indirect exactly for OLS with the same rows.
  EXPECT_NEAR(a->c.estimate, a->c_prime.estimate + a->ab, 1e-10);
  EXPECT_LT(a->ab_ci_low, a->ab);
  EXPECT_GT(a->ab_ci_high, a->ab);
  EXPECT_GT(a->ab_ci_low, 0);  // a planted indirect effect of 0.2
  auto again = Mediate(df, "x", "m", "y", opt);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ab_ci_low, a->ab_ci_low);
  EXPECT_EQ(again->ab_ci_high, a->ab_ci_high);
  opt.seed = 43;
  auto other = Mediate(df, "x", "m", "y", opt);
  ASSERT_TRUE(other);
  EXPECT_NE(other->ab_ci_low, a->ab_ci_low);
}

TEST(Mediate, ClusterResampling) {
  DataFrame df = Mediated(20, 15);
  MediationOptions opt;
  opt.resamples = 400;
  opt.cluster = "therapist";
  auto r = Mediate(df, "x", "m", "y", opt);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->clusters, 20u);
  EXPECT_LT(r->ab_ci_low, r->ab_ci_high);
}

TEST(Mediate, Refusals) {
  DataFrame df = Mediated(2, 10);
  MediationOptions opt;
  opt.resamples = 10;
  EXPECT_FALSE(Mediate(df, "x", "m", "y", opt));
  opt.resamples = 200;
  EXPECT_FALSE(Mediate(df, "x", "m", "nope", opt));
  opt.level = 1.5;
  EXPECT_FALSE(Mediate(df, "x", "m", "y", opt));
}

}  // namespace
}  // namespace attune::stats
