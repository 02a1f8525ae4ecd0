// Agreement of the stats module with R (lme4, psych, lavaan, lm) on the fixtures in
// test/oracle/data, byte-identical copies of ../shared/oracles (see data/PROVENANCE.md).

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "attune/stats/stats.hpp"

namespace attune::stats {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path DataDir() { return fs::path(ATTUNE_SOURCE_DIR) / "test" / "oracle" / "data"; }
fs::path SharedDir() { return fs::path(ATTUNE_SOURCE_DIR) / ".." / "shared" / "oracles"; }

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json LoadJson(const std::string& name) {
  fs::path p = DataDir() / name;
  if (!fs::exists(p)) ADD_FAILURE() << "oracle fixture missing: " << p;
  return json::parse(Slurp(p));
}

DataFrame LoadCsv(const std::string& name) {
  auto df = ReadCsv((DataDir() / name).string());
  if (!df) {
    ADD_FAILURE() << "cannot read fixture " << name << ": " << df.error().message;
    return {};
  }
  return *std::move(df);
}

// |a - e| <= rel * |e|, or <= abs when e is near zero.
::testing::AssertionResult Near(double actual, double expected, double rel, double abs_tol = 0) {
  const double diff = std::abs(actual - expected);
  if (diff <= rel * std::abs(expected) || diff <= abs_tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "actual " << std::setprecision(17) << actual << " expected " << expected
                                       << " (relative error " << diff / std::abs(expected) << ", allowed " << rel << ")";
}

TEST(OracleFixtures, CopyMatchesShared) {
  const std::vector<std::string> files = {"README.md",       "bfi.csv",         "bfi_scales.csv",
                                          "correlation.json", "lmm.json",        "regression.json",
                                          "regression_from_cor.json", "reliability.json", "sleepstudy.csv"};
  for (const auto& f : files) ASSERT_TRUE(fs::exists(DataDir() / f)) << "fixture missing from the copy: " << f;
  if (!fs::exists(SharedDir())) GTEST_SKIP() << SharedDir() << " not present; the copy is used as is";
  for (const auto& entry : fs::directory_iterator(SharedDir())) {
    const std::string name = entry.path().filename().string();
    ASSERT_TRUE(fs::exists(DataDir() / name)) << "shared oracle " << name << " has no copy in test/oracle/data";
    EXPECT_EQ(Slurp(entry.path()), Slurp(DataDir() / name)) << name << " differs from ../shared/oracles/" << name;
  }
}

TEST(OracleCorrelation, MatchesCorTest) {
  json cases = LoadJson("correlation.json");
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c["x"].get<std::string>() + " " + c["y"].get<std::string>() + " " + c["method"].get<std::string>());
    DataFrame df = LoadCsv(c["data"]);
    auto method = c["method"] == "spearman" ? CorrelationMethod::SPEARMAN : CorrelationMethod::PEARSON;
    auto r = Correlate(df, c["x"], c["y"], method);
    ASSERT_TRUE(r) << r.error().message;
    const auto& e = c["expected"];
    EXPECT_EQ(r->n, e["n"].get<std::size_t>());
    EXPECT_TRUE(Near(r->r, e["r"], 1e-10, 1e-10));
    EXPECT_TRUE(Near(r->p, e["p"], 1e-6));
    EXPECT_TRUE(Near(r->ci_low, e["ci95"][0], 1e-10, 1e-10));
    EXPECT_TRUE(Near(r->ci_high, e["ci95"][1], 1e-10, 1e-10));
  }
}

TEST(OracleRegression, MatchesLm) {
  json cases = LoadJson("regression.json");
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    DataFrame df = LoadCsv(c["data"]);
    auto fit = Regress(df, c["y"], c["x"].get<std::vector<std::string>>());
    ASSERT_TRUE(fit) << fit.error().message;
    const auto& e = c["expected"];
    EXPECT_EQ(fit->n, e["n"].get<std::size_t>());
    ASSERT_EQ(fit->coef.size(), e["coef"].size());
    for (std::size_t i = 0; i < fit->coef.size(); ++i) {
      const auto& ec = e["coef"][i];
      const auto& ac = fit->coef[i];
      SCOPED_TRACE(ac.term);
      EXPECT_EQ(ac.term, ec["term"].get<std::string>());
      EXPECT_TRUE(Near(ac.estimate, ec["b"], 1e-8));
      EXPECT_TRUE(Near(ac.se, ec["se"], 1e-8));
      EXPECT_TRUE(Near(ac.t, ec["t"], 1e-8));
      EXPECT_TRUE(Near(ac.p, ec["p"], 1e-6, 1e-12));
      EXPECT_TRUE(Near(ac.ci_low, ec["ci95"][0], 1e-8));
      EXPECT_TRUE(Near(ac.ci_high, ec["ci95"][1], 1e-8));
      if (ac.term != "(Intercept)") {
        ASSERT_TRUE(ac.std_beta && ac.vif);
        EXPECT_TRUE(Near(*ac.std_beta, e["std_beta"][ac.term], 1e-8));
        EXPECT_TRUE(Near(*ac.vif, e["vif"][ac.term], 1e-8));
      }
    }
    EXPECT_TRUE(Near(fit->r2, e["r2"], 1e-8));
    EXPECT_TRUE(Near(fit->adj_r2, e["adj_r2"], 1e-8));
    EXPECT_TRUE(Near(fit->f, e["f"], 1e-8));
    EXPECT_EQ(fit->df1, e["df1"].get<double>());
    EXPECT_EQ(fit->df2, e["df2"].get<double>());
    EXPECT_TRUE(Near(fit->f_p, e["f_p"], 1e-6, 1e-12));
  }
}

TEST(OracleRegression, FromCorrelationMatrix) {
  json c = LoadJson("regression_from_cor.json");
  auto fit = RegressFromCorrelation(c["cor"].get<std::vector<std::vector<double>>>(),
                                    c["variables"].get<std::vector<std::string>>(), c["n"].get<std::size_t>(), c["y"],
                                    c["x"].get<std::vector<std::string>>());
  ASSERT_TRUE(fit) << fit.error().message;
  const auto& e = c["expected"];
  for (const auto& coef : fit->coef) {
    EXPECT_TRUE(Near(*coef.std_beta, e["std_beta"][coef.term], 1e-10, 1e-10)) << coef.term;
  }
  EXPECT_TRUE(Near(fit->r2, e["r2"], 1e-10, 1e-10));
}

TEST(OracleReliability, MatchesPsychAlphaAndLavaanOmega) {
  json cases = LoadJson("reliability.json");
  ASSERT_FALSE(cases.empty());
  DataFrame df = LoadCsv("bfi.csv");
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    ReliabilityOptions opt;
    if (c["reverse"].is_string()) {
      opt.reverse = {c["reverse"].get<std::string>()};
    } else {
      opt.reverse = c["reverse"].get<std::vector<std::string>>();
    }
    opt.min = c["scale_min"].get<double>();
    opt.max = c["scale_max"].get<double>();
    auto rel = AnalyzeReliability(df, c["items"].get<std::vector<std::string>>(), opt);
    ASSERT_TRUE(rel) << rel.error().message;
    const auto& e = c["expected"];
    EXPECT_EQ(rel->n, e["n"].get<std::size_t>());
    EXPECT_TRUE(Near(rel->alpha, e["alpha"], 1e-8));
    EXPECT_TRUE(Near(rel->alpha_std, e["alpha_std"], 1e-8));
    // psych::alpha.ci lists the interval as (upper, lower).
    const double lo = std::min(e["feldt_ci95"][0].get<double>(), e["feldt_ci95"][1].get<double>());
    const double hi = std::max(e["feldt_ci95"][0].get<double>(), e["feldt_ci95"][1].get<double>());
    EXPECT_TRUE(Near(rel->alpha_ci_low, lo, 1e-8));
    EXPECT_TRUE(Near(rel->alpha_ci_high, hi, 1e-8));
    for (const auto& item : rel->items) {
      SCOPED_TRACE(item.item);
      EXPECT_TRUE(Near(item.r_drop, e["item_total_r_drop"][item.item], 1e-8));
      ASSERT_TRUE(item.alpha_if_dropped);
      EXPECT_TRUE(Near(*item.alpha_if_dropped, e["alpha_if_dropped"][item.item], 1e-8));
    }
    ASSERT_TRUE(rel->omega_total) << rel->omega_note;
    EXPECT_TRUE(Near(*rel->omega_total, e["omega_total"], 1e-4));
  }
}

TEST(OracleLmm, MatchesLme4) {
  json cases = LoadJson("lmm.json");
  ASSERT_FALSE(cases.empty());
  DataFrame df = LoadCsv("sleepstudy.csv");
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    LmmOptions opt;
    opt.reml = c["reml"].get<bool>();
    auto fit = FitLmm(df, c["formula"], opt);
    ASSERT_TRUE(fit) << fit.error().message;
    const auto& e = c["expected"];
    const double rel = 1e-5, abs_tol = 1e-6;
    EXPECT_TRUE(fit->convergence.converged);
    EXPECT_TRUE(Near(fit->objective, e["objective"], rel, abs_tol));
    EXPECT_TRUE(Near(fit->loglik, e["logLik"], rel, abs_tol));
    EXPECT_EQ(fit->nobs, e["nobs"].get<std::size_t>());
    EXPECT_TRUE(Near(fit->sigma, e["sigma"], rel, abs_tol));
    ASSERT_EQ(fit->fixef.size(), e["fixef"].size());
    for (const auto& fe : fit->fixef) {
      EXPECT_TRUE(Near(fe.estimate, e["fixef"][fe.term], rel, abs_tol)) << fe.term;
      EXPECT_TRUE(Near(fe.se, e["fixef_se"][fe.term], rel, abs_tol)) << fe.term;
    }
    ASSERT_EQ(fit->varcorr.size(), e["varcorr"].size());
    for (std::size_t i = 0; i < fit->varcorr.size(); ++i) {
      const auto& ev = e["varcorr"][i];
      const auto& av = fit->varcorr[i];
      EXPECT_EQ(av.group, ev["grp"].get<std::string>());
      EXPECT_EQ(av.var1, ev["var1"].is_null() ? "" : ev["var1"].get<std::string>());
      EXPECT_EQ(av.var2, ev["var2"].is_null() ? "" : ev["var2"].get<std::string>());
      EXPECT_TRUE(Near(av.sd, ev["sdcor"], rel, abs_tol)) << av.group << " " << av.var1 << " " << av.var2;
      EXPECT_TRUE(Near(av.variance, ev["vcov"], 1e-4, abs_tol)) << av.group << " " << av.var1 << " " << av.var2;
    }
    const auto& er = e["ranef_first_group"];
    ASSERT_FALSE(fit->ranef.empty());
    const auto& re = fit->ranef[0];
    EXPECT_EQ(re.group, er["group"].get<std::string>());
    for (std::size_t l = 0; l < er["levels"].size(); ++l) {
      EXPECT_EQ(re.levels[l], er["levels"][l].get<std::string>());
      for (std::size_t t = 0; t < re.terms.size(); ++t) {
        // Conditional modes are not in the stated tolerance list; 1e-4 relative is what the optimum allows.
        EXPECT_TRUE(Near(re.values[l][t], er["values"][l][re.terms[t]], 1e-4, 1e-4)) << re.levels[l] << " " << re.terms[t];
      }
    }
  }
}

}  // namespace
}  // namespace attune::stats
