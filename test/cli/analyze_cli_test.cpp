// attune analyze: documented JSON fields, exit codes and messages (docs/cli.md "attune analyze").
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <nlohmann/json.hpp>

#include "cli/run.hpp"

namespace attune::testing {
namespace {

using Json = nlohmann::json;

std::string Data(const std::string& name) { return std::string(ATTUNE_SOURCE_DIR) + "/test/oracle/data/" + name; }

TEST(CliAnalyze, LmmJsonHasTheDocumentedFieldsInROrder) {
  auto r = RunAttune({"analyze", "lmm", "--csv", Data("sleepstudy.csv"), "--formula", "Reaction ~ Days + (Days|Subject)",
                      "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["reml"], true);
  EXPECT_NEAR(j["objective"].get<double>(), 1743.62827195995, 1743.6 * 1e-6);  // lme4 1.1-31 REMLcrit
  EXPECT_NEAR(j["loglik"].get<double>(), -871.814135979976, 871.8 * 1e-6);
  EXPECT_EQ(j["nobs"], 180);
  EXPECT_EQ(j["converged"], true);
  ASSERT_EQ(j["fixef"].size(), 2u);
  EXPECT_EQ(j["fixef"][1]["term"], "Days");
  EXPECT_TRUE(j["fixef"][1].contains("se"));
  ASSERT_EQ(j["varcorr"].size(), 4u);
  EXPECT_EQ(j["varcorr"][0]["var1"], "(Intercept)");
  EXPECT_TRUE(j["varcorr"][0]["var2"].is_null());
  EXPECT_EQ(j["varcorr"][2]["var2"], "Days");
  EXPECT_NEAR(j["varcorr"][2]["sd"].get<double>(), 0.0655512382381282, 1e-4);  // a correlation
  EXPECT_EQ(j["varcorr"][3]["group"], "Residual");
  EXPECT_TRUE(j["varcorr"][3]["var1"].is_null());
  EXPECT_NEAR(j["sigma"].get<double>(), 25.5917957216753, 25.59 * 1e-5);
  EXPECT_FALSE(j.contains("ranef"));

  auto ml = RunAttune({"analyze", "lmm", "--csv", Data("sleepstudy.csv"), "--formula", "Reaction ~ Days + (1|Subject)",
                       "--ml", "--ranef", "--json"});
  ASSERT_EQ(ml.exit_code, 0) << ml.err;
  Json m = Json::parse(ml.out);
  EXPECT_EQ(m["reml"], false);
  EXPECT_NEAR(m["objective"].get<double>(), 1794.07864300523, 1794.1 * 1e-6);
  ASSERT_EQ(m["ranef"][0]["levels"].size(), 18u);
  EXPECT_EQ(m["ranef"][0]["levels"][0]["level"], "308");
  EXPECT_TRUE(m["ranef"][0]["levels"][0].contains("cond_var"));
}

TEST(CliAnalyze, LmmRefusesBadFormulaAndUnknownColumn) {
  auto bad = RunAttune({"analyze", "lmm", "--csv", Data("sleepstudy.csv"), "--formula", "Reaction ~ Days*Subject"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("interaction 'Days*Subject' is not supported"), std::string::npos) << bad.err;
  auto unknown = RunAttune({"analyze", "lmm", "--csv", Data("sleepstudy.csv"), "--formula", "Reaction ~ Days + (1|Patient)"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("column 'Patient' not found"), std::string::npos) << unknown.err;
  EXPECT_TRUE(unknown.out.empty());
}

TEST(CliAnalyze, ReliabilityJson) {
  auto r = RunAttune({"analyze", "reliability", "--csv", Data("bfi.csv"), "--items", "C1,C2,C3,C4,C5", "--reverse", "C4,C5",
                      "--min", "1", "--max", "6", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["n"], 2707);
  EXPECT_NEAR(j["alpha"].get<double>(), 0.729277203170442, 1e-9);  // psych::alpha
  EXPECT_NEAR(j["alpha_ci95"][0].get<double>(), 0.712811398858658, 1e-9);
  EXPECT_NEAR(j["alpha_ci95"][1].get<double>(), 0.745074314438724, 1e-9);
  EXPECT_NEAR(j["omega_total"].get<double>(), 0.733022335494254, 1e-4);
  auto bad = RunAttune({"analyze", "reliability", "--csv", Data("bfi.csv"), "--items", "C1,C2", "--reverse", "C2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--reverse is \"C2\"; expected --min and --max with it"), std::string::npos) << bad.err;
}

TEST(CliAnalyze, CorrelateAndRegress) {
  auto c = RunAttune({"analyze", "correlate", "--csv", Data("bfi_scales.csv"), "--x", "A", "--y", "O", "--json"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  Json cj = Json::parse(c.out);
  EXPECT_NEAR(cj["r"].get<double>(), 0.141305145998489, 1e-12);
  EXPECT_EQ(cj["n"], 2436);
  auto m = RunAttune({"analyze", "correlate", "--csv", Data("bfi_scales.csv"), "--columns", "A,C,E", "--adjust", "bh", "--json"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(Json::parse(m.out)["pairs"].size(), 3u);
  auto r = RunAttune({"analyze", "regress", "--csv", Data("bfi_scales.csv"), "--formula", "O ~ age + education", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json rj = Json::parse(r.out);
  EXPECT_EQ(rj["n"], 2236);
  EXPECT_NEAR(rj["r2"].get<double>(), 0.014749492550718, 1e-12);
  EXPECT_TRUE(rj["coef"][0]["std_beta"].is_null());
  auto dup = RunAttune({"analyze", "regress", "--csv", Data("bfi_scales.csv"), "--formula", "O ~ A + A"});
  EXPECT_EQ(dup.exit_code, 2);
}

// A p-value too small to show in the text's digits reads "< 0.0001", never "p = 0" (JSON keeps the
// number). Reaction ~ Days in sleepstudy: t = 9.05 on 178 df, p about 1e-16.
TEST(CliAnalyze, TinyPValuesPrintAsBelowTheSmallestShown) {
  auto r = RunAttune({"analyze", "regress", "--csv", Data("sleepstudy.csv"), "--formula", "Reaction ~ Days"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("p < 0.0001"), std::string::npos) << r.out;   // the F test
  EXPECT_NE(r.out.find("  < 0.0001 ["), std::string::npos) << r.out;  // the coefficient table's p column
  EXPECT_EQ(r.out.find("p = 0\n"), std::string::npos) << r.out;
  auto c = RunAttune({"analyze", "correlate", "--csv", Data("sleepstudy.csv"), "--x", "Days", "--y", "Reaction"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find(", p < 0.0001, "), std::string::npos) << c.out;
  auto j = RunAttune({"analyze", "regress", "--csv", Data("sleepstudy.csv"), "--formula", "Reaction ~ Days", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_LT(Json::parse(j.out)["coef"][1]["p"].get<double>(), 1e-4);
}

TEST(CliAnalyze, ReplicateFromCorrelationMatrixAndTherapistEffects) {
  std::string dir = TempDir("analyze");
  // The published-table route: correlations of alliance with two facets.
  WriteFile(dir + "/cor.csv", "name,alliance,nonjudging,openness\nalliance,1,0.4,0.35\nnonjudging,0.4,1,0.3\nopenness,0.35,0.3,1\n");
  auto r = RunAttune({"analyze", "replicate", "--cor-matrix", dir + "/cor.csv", "--n", "76", "--alliance", "alliance",
                      "--facets", "nonjudging,openness", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  // R^2 = r'R^-1 r = (0.16 + 0.1225 - 2*0.3*0.4*0.35) / (1 - 0.09)
  EXPECT_NEAR(j["regression"]["r2"].get<double>(), (0.16 + 0.1225 - 2 * 0.3 * 0.4 * 0.35) / 0.91, 1e-12);
  EXPECT_EQ(j["published"]["n"], 76);
  EXPECT_NE(j["caution"].get<std::string>().find("cross-sectional"), std::string::npos);
  auto text = RunAttune({"analyze", "replicate", "--cor-matrix", dir + "/cor.csv", "--n", "76", "--alliance", "alliance",
                         "--facets", "nonjudging,openness"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("R^2 = .324"), std::string::npos);
  auto t = RunAttune({"analyze", "therapist-effects", "--csv", Data("sleepstudy.csv"), "--outcome", "Reaction",
                      "--therapist", "Subject", "--json"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  Json tj = Json::parse(t.out);
  EXPECT_EQ(tj["effects"].size(), 18u);
  EXPECT_GT(tj["icc_therapist"].get<double>(), 0);
  EXPECT_LE(tj["effects"][0]["effect"].get<double>(), tj["effects"][17]["effect"].get<double>());
}

TEST(CliAnalyze, RegressFromACorrelationMatrixHasNoSigma) {
  // A correlation matrix has no scale: sigma is null in JSON and not printed (it read 0.0).
  const std::string dir = TempDir("analyze-cm-sigma");
  WriteFile(dir + "/cor.csv", "name,y,a,b\ny,1,0.4,0.35\na,0.4,1,0.3\nb,0.35,0.3,1\n");
  auto j = RunAttune({"analyze", "regress", "--cor-matrix", dir + "/cor.csv", "--n", "76", "--y", "y", "--x", "a,b",
                      "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_TRUE(Json::parse(j.out)["sigma"].is_null()) << j.out;
  auto text = RunAttune({"analyze", "regress", "--cor-matrix", dir + "/cor.csv", "--n", "76", "--y", "y", "--x", "a,b"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.find("sigma"), std::string::npos) << text.out;
  auto raw = RunAttune({"analyze", "regress", "--csv", Data("sleepstudy.csv"), "--formula", "Reaction ~ Days"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_NE(raw.out.find("residual standard error (sigma) = 47.715 on 178 df"), std::string::npos) << raw.out;
}

TEST(CliAnalyze, MediateTextSaysHowManyResamplesFailed) {
  // One treated row in 10: about (9/10)^10 = 35% of resamples draw no treated row and are
  // singular. JSON had failed_resamples; the text hid it.
  const std::string dir = TempDir("analyze-mediate-failed");
  WriteFile(dir + "/m.csv", "x,m,y\n1,2.1,3\n0,1.2,2\n0,0.5,1.4\n0,1.1,2.2\n0,0.7,1.1\n0,0.2,0.9\n0,1.5,2.5\n"
                            "0,0.9,1.3\n0,1.0,2.0\n0,0.4,1.2\n");
  const std::vector<std::string> args = {"analyze", "mediate", "--csv", dir + "/m.csv", "--x", "x", "--m", "m",
                                         "--y", "y", "--resamples", "1000", "--seed", "3"};
  auto j = RunAttune([&] { auto a = args; a.push_back("--json"); return a; }());
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const int failed = Json::parse(j.out)["failed_resamples"].get<int>();
  EXPECT_GT(failed, 250);
  EXPECT_LT(failed, 450);
  auto text = RunAttune(args);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("1000 resamples, " + std::to_string(failed) + " failed (singular), interval from " +
                          std::to_string(1000 - failed)),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("warning: " + std::to_string(failed) + " of 1000 bootstrap resamples"), std::string::npos)
      << text.out;
}

TEST(CliAnalyze, ProbedDefectsAreRefusedOrReported) {
  const std::string dir = TempDir("analyze-probed");
  // A constant response in a mixed model: refused as regress refuses it (it printed t 257011047).
  WriteFile(dir + "/c.csv", "y,g\n5,1\n5,1\n5,2\n5,2\n5,3\n5,3\n");
  auto lmm = RunAttune({"analyze", "lmm", "--csv", dir + "/c.csv", "--formula", "y ~ 1 + (1|g)"});
  EXPECT_EQ(lmm.exit_code, 2) << lmm.out;
  EXPECT_NE(lmm.err.find("response 'y' is constant"), std::string::npos) << lmm.err;
  EXPECT_TRUE(lmm.out.empty()) << lmm.out;
  // Spearman's p as R's exact test, the method named in text and JSON.
  WriteFile(dir + "/s.csv", "x,y\n1,2\n2,1\n3,4\n4,3\n5,7\n6,5\n7,6\n");
  auto sp = RunAttune({"analyze", "correlate", "--csv", dir + "/s.csv", "--x", "x", "--y", "y", "--method", "spearman"});
  ASSERT_EQ(sp.exit_code, 0) << sp.err;
  EXPECT_NE(sp.out.find("p = 0.0341 (exact)"), std::string::npos) << sp.out;
  auto spj = RunAttune({"analyze", "correlate", "--csv", dir + "/s.csv", "--x", "x", "--y", "y", "--method", "spearman",
                        "--json"});
  ASSERT_EQ(spj.exit_code, 0) << spj.err;
  EXPECT_EQ(Json::parse(spj.out)["p_method"], "exact");
  // Omega of 2 items is not identified: null with the reason, alpha still given.
  auto rel = RunAttune({"analyze", "reliability", "--csv", Data("bfi.csv"), "--items", "A2,A3", "--json"});
  ASSERT_EQ(rel.exit_code, 0) << rel.err;
  Json rj = Json::parse(rel.out);
  EXPECT_TRUE(rj["omega_total"].is_null()) << rel.out;
  EXPECT_EQ(rj["omega_converged"], false);
  EXPECT_NE(rj["omega_note"].get<std::string>().find("not identified"), std::string::npos) << rel.out;
  EXPECT_TRUE(rj["alpha"].is_number());
  // A stray text cell in a numeric predictor is refused with its line.
  std::string csv = "y,x\n";
  for (int i = 0; i < 60; ++i) csv += std::to_string(i % 7) + "," + (i == 10 ? std::string("n/a") : std::to_string(i % 5 + 1)) + "\n";
  WriteFile(dir + "/n.csv", csv);
  auto stray = RunAttune({"analyze", "regress", "--csv", dir + "/n.csv", "--formula", "y ~ x"});
  EXPECT_EQ(stray.exit_code, 2) << stray.out;
  EXPECT_NE(stray.err.find("'n/a' at line 12"), std::string::npos) << stray.err;
  // Tiny data fit as at unit scale; no inf anywhere.
  WriteFile(dir + "/t.csv", "x,y\n1e-155,2e-155\n2e-155,4.1e-155\n3e-155,5.9e-155\n4e-155,8.2e-155\n5e-155,9.9e-155\n");
  auto tiny = RunAttune({"analyze", "regress", "--csv", dir + "/t.csv", "--formula", "y ~ x"});
  ASSERT_EQ(tiny.exit_code, 0) << tiny.err;
  EXPECT_NE(tiny.out.find("R^2 = 0.9983"), std::string::npos) << tiny.out;
  EXPECT_EQ(tiny.out.find("inf"), std::string::npos) << tiny.out;
}

TEST(CliAnalyze, MediateIsReproducibleBySeed) {
  std::vector<std::string> args = {"analyze", "mediate", "--csv", Data("bfi_scales.csv"), "--x", "C", "--m", "E", "--y", "A",
                                   "--resamples", "300", "--seed", "7", "--json"};
  auto a = RunAttune(args);
  auto b = RunAttune(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  Json j = Json::parse(a.out);
  EXPECT_LT(j["ab_ci"][0].get<double>(), j["ab"].get<double>());
  EXPECT_GT(j["ab_ci"][1].get<double>(), j["ab"].get<double>());
}

TEST(CliAnalyze, UnusableInputIsRefusedWithExit2) {
  const std::string dir = TempDir("analyze-unusable");
  // A directory or a missing file is unusable input (it crashed with bad_alloc).
  for (const std::string& csv : {dir, dir + "/nosuch.csv"}) {
    auto r = RunAttune({"analyze", "correlate", "--csv", csv, "--x", "a", "--y", "b"});
    EXPECT_EQ(r.exit_code, 2) << csv << r.err;
    auto m = RunAttune({"analyze", "regress", "--cor-matrix", csv, "--n", "100", "--y", "y", "--x", "a,b"});
    EXPECT_EQ(m.exit_code, 2) << csv << m.err;
  }
  // Symmetric, every entry in [-1, 1], but no data have these correlations (it aborted in boost).
  WriteFile(dir + "/cm.csv", "name,y,a,b\ny,1,0.9,0.9\na,0.9,1,-0.9\nb,0.9,-0.9,1\n");
  auto pd = RunAttune({"analyze", "regress", "--cor-matrix", dir + "/cm.csv", "--n", "100", "--y", "y", "--x", "a,b"});
  EXPECT_EQ(pd.exit_code, 2) << pd.err;
  EXPECT_NE(pd.err.find("not positive definite"), std::string::npos) << pd.err;
  auto rep = RunAttune({"analyze", "replicate", "--cor-matrix", dir + "/cm.csv", "--n", "100", "--alliance", "y",
                        "--facets", "a,b"});
  EXPECT_EQ(rep.exit_code, 2) << rep.err;
  EXPECT_NE(rep.err.find("not positive definite"), std::string::npos) << rep.err;
}

TEST(CliAnalyze, RepeatedNamesAreRefused) {
  const std::string dir = TempDir("analyze-repeated");
  WriteFile(dir + "/d.csv", "i1,i2,a\n1,2,1\n2,2,3\n3,4,2\n4,3,5\n5,5,4\n");
  auto rel = RunAttune({"analyze", "reliability", "--csv", dir + "/d.csv", "--items", "i1,i1,i2"});
  EXPECT_EQ(rel.exit_code, 2);
  EXPECT_NE(rel.err.find("'i1' is given twice"), std::string::npos) << rel.err;
  auto cols = RunAttune({"analyze", "correlate", "--csv", dir + "/d.csv", "--columns", "a,a,i1"});
  EXPECT_EQ(cols.exit_code, 2);
  EXPECT_NE(cols.err.find("'a' is given twice"), std::string::npos) << cols.err;
  auto same = RunAttune({"analyze", "correlate", "--csv", dir + "/d.csv", "--x", "a", "--y", "a"});
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_EQ(same.out.find("inf"), std::string::npos) << same.out;
}

// The probe: perfectly correlated data printed "t(2) = inf"; the text says it in words, JSON null.
TEST(CliAnalyze, APerfectCorrelationPrintsNoInfinity) {
  const std::string dir = TempDir("analyze-perfect");
  WriteFile(dir + "/d.csv", "a,b\n1,2\n2,4\n3,6\n4,8\n");
  auto r = RunAttune({"analyze", "correlate", "--csv", dir + "/d.csv", "--x", "a", "--y", "b"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("inf"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", t not defined: |r| = 1, "), std::string::npos) << r.out;
  auto j = RunAttune({"analyze", "correlate", "--csv", dir + "/d.csv", "--x", "a", "--y", "b", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_TRUE(Json::parse(j.out)["t"].is_null()) << j.out;
}

// The probe: one column in two roles (--therapist and --client, or a covariate) was fitted.
TEST(CliAnalyze, TherapistEffectsRefusesAColumnInTwoRoles) {
  for (const auto& [extra, needle] :
       {std::pair{std::vector<std::string>{"--client", "Subject"}, "--client names 'Subject', already given as --therapist"},
        std::pair{std::vector<std::string>{"--covariates", "Days,Subject"},
                  "--covariates names 'Subject', already given as --therapist"},
        std::pair{std::vector<std::string>{"--covariates", "Reaction"},
                  "--covariates names 'Reaction', already given as --outcome"}}) {
    std::vector<std::string> args = {"analyze", "therapist-effects", "--csv", Data("sleepstudy.csv"), "--outcome",
                                     "Reaction", "--therapist", "Subject"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunAttune(args);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

// The probe: options the chosen route does not read were silently ignored.
TEST(CliAnalyze, ConflictingInputsAreRefusedNamingBoth) {
  const std::string dir = TempDir("analyze-conflict");
  WriteFile(dir + "/cor.csv", "name,y,a\ny,1,0.4\na,0.4,1\n");
  const std::string csv = Data("sleepstudy.csv");
  for (const auto& [args, first, second] : {
           std::tuple{std::vector<std::string>{"regress", "--csv", csv, "--formula", "Reaction ~ Days", "--y", "Days",
                                               "--x", "Reaction"},
                      "--formula", "--y"},
           std::tuple{std::vector<std::string>{"regress", "--csv", csv, "--cor-matrix", dir + "/cor.csv", "--n", "50",
                                               "--y", "y", "--x", "a"},
                      "--csv", "--cor-matrix"},
           std::tuple{std::vector<std::string>{"regress", "--csv", csv, "--formula", "Reaction ~ Days", "--n", "5"},
                      "--n", "--cor-matrix"},
           std::tuple{std::vector<std::string>{"replicate", "--csv", csv, "--cor-matrix", dir + "/cor.csv", "--n", "50",
                                               "--alliance", "y", "--facets", "a"},
                      "--csv", "--cor-matrix"},
       }) {
    std::vector<std::string> full = {"analyze"};
    full.insert(full.end(), args.begin(), args.end());
    auto r = RunAttune(full);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << r.out;
    EXPECT_NE(r.err.find(first), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(second), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

// The probe: --cluster with 2 clusters gave a cluster-bootstrap CI with no warning; analyze
// mediate asks for 10 (docs/cli.md) and names the count.
TEST(CliAnalyze, MediateRefusesTooFewClusters) {
  const std::string dir = TempDir("analyze-clusters");
  std::string rows = "x,m,y,c\n";
  for (int i = 0; i < 40; ++i) {
    rows += std::to_string(i % 7) + "," + std::to_string((i * 3) % 11) + "," + std::to_string((i * 5) % 13) +
            (i < 20 ? ",a\n" : ",b\n");
  }
  WriteFile(dir + "/d.csv", rows);
  auto r = RunAttune({"analyze", "mediate", "--csv", dir + "/d.csv", "--x", "x", "--m", "m", "--y", "y", "--cluster",
                      "c", "--resamples", "200"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("cluster column 'c' has 2 cluster(s); resampling clusters needs at least 10"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CliAnalyze, TextInANumericColumnIsQuotedWithItsLine) {
  const std::string dir = TempDir("analyze-text");
  // A byte order mark before the header is not part of the first name.
  WriteFile(dir + "/d.csv", "\xEF\xBB\xBFx,y\n1,2\n2,3\nfoo,4\n4,6\n5,5\n");
  auto r = RunAttune({"analyze", "correlate", "--csv", dir + "/d.csv", "--x", "x", "--y", "y"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'foo' at line 4"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace attune::testing
