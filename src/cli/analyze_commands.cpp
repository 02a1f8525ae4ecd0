// attune analyze correlate|regress|reliability|lmm|mediate|replicate|therapist-effects (docs/cli.md).
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "attune/service/json.hpp"
#include "attune/stats/stats.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

namespace attune::cli {
namespace {

using Json = nlohmann::ordered_json;
using namespace attune::stats;

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto a = item.find_first_not_of(' ');
    auto b = item.find_last_not_of(' ');
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
  }
  return out;
}

// The fewest clusters analyze mediate --cluster resamples (stats::kMinBootstrapClusters).
constexpr std::size_t kMinClusters = kMinBootstrapClusters;

Json Ci(double lo, double hi) { return Json::array({lo, hi}); }

void PrintJson(const Json& j) { fmt::print("{}\n", j.dump(2)); }

// A correlation matrix file: a header of variable names and one row per variable; an optional
// first column of row names (text) is ignored.
struct CorTable {
  std::vector<std::string> names;
  std::vector<std::vector<double>> r;
};

Result<CorTable> ReadCorMatrix(const std::string& path) {
  auto df = ReadCsv(path);
  if (!df) return std::move(df).error();
  CorTable t;
  std::vector<const Column*> cols;
  for (const auto& c : df->Columns()) {
    if (!c.numeric) continue;  // row names
    t.names.push_back(c.name);
    cols.push_back(&c);
  }
  if (cols.size() != df->Rows()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("{}: a correlation matrix needs as many rows as numeric columns ({} rows, {} columns)", path,
                            df->Rows(), cols.size()),
                "cor-matrix");
  }
  t.r.assign(cols.size(), std::vector<double>(cols.size()));
  for (std::size_t i = 0; i < cols.size(); ++i)
    for (std::size_t j = 0; j < cols.size(); ++j) {
      if (cols[j]->missing[i]) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("{}: correlation of '{}' with '{}' is missing", path, t.names[i], t.names[j]), "cor-matrix");
      }
      t.r[i][j] = cols[j]->values[i];
    }
  return t;
}

Json CoefJson(const Coefficient& c) {
  Json j = {{"term", c.term}, {"estimate", c.estimate}, {"se", c.se},
            {"t", c.t},       {"p", c.p},               {"ci95", Ci(c.ci_low, c.ci_high)}};
  j["std_beta"] = c.std_beta ? Json(*c.std_beta) : Json(nullptr);
  j["vif"] = c.vif ? Json(*c.vif) : Json(nullptr);
  return j;
}

Json OlsJson(const OlsFit& f) {
  Json coef = Json::array();
  for (const auto& c : f.coef) coef.push_back(CoefJson(c));
  return {{"n", f.n},         {"dropped", f.dropped}, {"coef", coef},   {"r2", f.r2},     {"adj_r2", f.adj_r2},
          {"f", f.f},         {"df1", f.df1},         {"df2", f.df2},   {"f_p", f.f_p},   {"sigma", f.sigma ? Json(*f.sigma) : Json(nullptr)}};
}

void PrintOls(const OlsFit& f) {
  fmt::print("n = {} ({} rows dropped for missing values)\n", f.n, f.dropped);
  fmt::print("{:<16} {:>11} {:>10} {:>8} {:>10} {:>22} {:>8} {:>6}\n", "term", "estimate", "se", "t", "p", "95% CI",
             "beta", "VIF");
  for (const auto& c : f.coef) {
    fmt::print("{:<16} {:>11.5g} {:>10.4g} {:>8.3f} {:>10} [{:>9.4g}, {:>9.4g}] {:>8} {:>6}\n", c.term, c.estimate, c.se,
               c.t, stats::FormatP(c.p), c.ci_low, c.ci_high, c.std_beta ? fmt::format("{:.3f}", *c.std_beta) : "",
               c.vif ? fmt::format("{:.2f}", *c.vif) : "");
  }
  fmt::print("R^2 = {:.4f}, adjusted R^2 = {:.4f}, F({}, {}) = {:.3f}, {}\n", f.r2, f.adj_r2, f.df1, f.df2, f.f,
             stats::PText(f.f_p));
  // A fit from a correlation matrix has no scale, so no residual SD to print.
  if (f.sigma) fmt::print("residual standard error (sigma) = {:.5g} on {} df\n", *f.sigma, f.df2);
}

Json CorJson(const Correlation& c, CorrelationMethod m) {
  return {{"x", c.x},     {"y", c.y}, {"method", m == CorrelationMethod::SPEARMAN ? "spearman" : "pearson"},
          {"n", c.n},     {"dropped", c.dropped}, {"r", c.r}, {"t", c.t}, {"df", c.n - 2}, {"p", c.p},
          {"p_method", PMethodName(c.p_method)}, {"ci95", Ci(c.ci_low, c.ci_high)}};
}

// A p-value in text with the way it was found, when that is not the t test the line shows.
std::string PWithMethod(const Correlation& c, CorrelationMethod m) {
  if (m != CorrelationMethod::SPEARMAN) return stats::PText(c.p);
  switch (c.p_method) {
    case PMethod::EXACT:
      return stats::PText(c.p) + " (exact)";
    case PMethod::EDGEWORTH:
      return stats::PText(c.p) + " (AS 89 Edgeworth approximation)";
    case PMethod::T:
      break;
  }
  return stats::PText(c.p) + " (t approximation)";
}

Json LmmJson(const LmmFit& f, const std::string& formula, bool with_ranef) {
  Json fixef = Json::array();
  for (const auto& fe : f.fixef) fixef.push_back({{"term", fe.term}, {"estimate", fe.estimate}, {"se", fe.se}, {"t", fe.t}});
  Json vc = Json::array();
  for (const auto& v : f.varcorr) {
    vc.push_back({{"group", v.group},
                  {"var1", v.var1.empty() ? Json(nullptr) : Json(v.var1)},
                  {"var2", v.var2.empty() ? Json(nullptr) : Json(v.var2)},
                  {"variance", v.variance},
                  {"sd", v.sd}});
  }
  Json icc = Json::array();
  for (const auto& i : f.icc) icc.push_back({{"group", i.group}, {"icc", i.icc}});
  Json j = {{"formula", formula},
            {"objective", f.objective},
            {"objective_name", f.reml ? "REML criterion" : "deviance"},
            {"reml", f.reml},
            {"loglik", f.loglik},
            {"aic", f.aic},
            {"bic", f.bic},
            {"nobs", f.nobs},
            {"dropped", f.dropped},
            {"fixef", fixef},
            {"varcorr", vc},
            {"sigma", f.sigma},
            {"icc", icc},
            {"theta", f.theta},
            {"converged", f.convergence.converged},
            {"convergence",
             {{"evaluations", f.convergence.evaluations},
              {"max_abs_gradient", f.convergence.max_abs_gradient ? Json(*f.convergence.max_abs_gradient)
                                                                  : Json(nullptr)},
              {"singular", f.convergence.singular},
              {"optimizer_status", f.convergence.optimizer_status},
              {"messages", f.convergence.messages}}}};
  if (with_ranef) {
    Json re = Json::array();
    for (const auto& r : f.ranef) {
      Json levels = Json::array();
      for (std::size_t l = 0; l < r.levels.size(); ++l) {
        Json lv = {{"level", r.levels[l]}, {"values", r.values[l]}};
        if (!r.cond_var.empty()) lv["cond_var"] = r.cond_var[l];
        levels.push_back(lv);
      }
      re.push_back({{"group", r.group}, {"terms", r.terms}, {"levels", levels}});
    }
    j["ranef"] = re;
  }
  return j;
}

void PrintLmm(const LmmFit& f) {
  fmt::print("Linear mixed model fit by {}\n", f.reml ? "REML" : "maximum likelihood");
  fmt::print("{} = {:.4f}, logLik = {:.4f}, AIC = {:.2f}, BIC = {:.2f}\n", f.reml ? "REML criterion" : "deviance",
             f.objective, f.loglik, f.aic, f.bic);
  fmt::print("observations: {} ({} dropped for missing values)\n\nRandom effects:\n", f.nobs, f.dropped);
  fmt::print("  {:<20} {:<14} {:<14} {:>12} {:>10}\n", "group", "name", "", "variance", "sd/cor");
  for (const auto& v : f.varcorr) {
    fmt::print("  {:<20} {:<14} {:<14} {:>12.5g} {:>10.4g}\n", v.group, v.var1, v.var2, v.variance, v.sd);
  }
  fmt::print("\nFixed effects:\n  {:<16} {:>12} {:>10} {:>8}\n", "term", "estimate", "se", "t");
  for (const auto& fe : f.fixef) fmt::print("  {:<16} {:>12.5g} {:>10.4g} {:>8.3f}\n", fe.term, fe.estimate, fe.se, fe.t);
  for (const auto& i : f.icc) fmt::print("ICC({}) = {:.4f}\n", i.group, i.icc);
  const auto& gradient = f.convergence.max_abs_gradient;
  fmt::print("\nconvergence: {} after {} evaluations (optimizer {}, scaled gradient {}){}\n",
             f.convergence.converged ? "converged" : "NOT converged", f.convergence.evaluations,
             f.convergence.optimizer_status, gradient ? fmt::format("{:.2g}", *gradient) : "not available",
             f.convergence.singular ? "; singular fit" : "");
  for (const auto& m : f.convergence.messages) fmt::print("  note: {}\n", m);
}

// Razzaque, Okoro & Wood (2015), Mindfulness 6:170-174: published figures shown beside a replication.
constexpr const char* kPublished =
    "Published (Razzaque, Okoro & Wood 2015; n = 76 clinicians): every mindfulness facet correlated positively "
    "with clinician-rated alliance; together R^2 = .324; non-judgemental acceptance and openness to experience "
    "were the individually significant predictors.";

struct ReplicateArgs {
  std::string csv, cor_matrix, alliance, facets;
  std::size_t n = 0;
  bool json = false;
};

Result<Json> Replicate(const ReplicateArgs& a) {
  auto facets = SplitList(a.facets);
  if (facets.empty()) return Fail(ErrorCode::INVALID_ARGUMENT, "--facets needs at least one column", "facets");
  ATTUNE_CHECK(CheckDistinct(facets, "--facets"));
  std::string source;
  std::optional<std::size_t> dropped;
  std::vector<Correlation> cors;
  Result<OlsFit> fit = Fail(ErrorCode::INTERNAL, "unset");
  if (!a.cor_matrix.empty()) {
    if (a.n == 0) return Fail(ErrorCode::INVALID_ARGUMENT, "--cor-matrix needs --n (the sample size)", "n");
    auto t = ReadCorMatrix(a.cor_matrix);
    if (!t) return std::move(t).error();
    auto idx = [&](const std::string& name) -> std::optional<std::size_t> {
      for (std::size_t i = 0; i < t->names.size(); ++i)
        if (t->names[i] == name) return i;
      return std::nullopt;
    };
    auto ia = idx(a.alliance);
    if (!ia) return Fail(ErrorCode::NOT_FOUND, fmt::format("'{}' is not in the correlation matrix", a.alliance), "alliance");
    for (const auto& f : facets) {
      auto i = idx(f);
      if (!i) return Fail(ErrorCode::NOT_FOUND, fmt::format("'{}' is not in the correlation matrix", f), "facets");
      auto c = CorrelationFromR(t->r[*i][*ia], a.n);
      if (!c) return std::move(c).error();
      c->x = f;
      c->y = a.alliance;
      cors.push_back(*c);
    }
    fit = RegressFromCorrelation(t->r, t->names, a.n, a.alliance, facets);
    source = "correlation matrix";
  } else {
    if (a.csv.empty()) return Fail(ErrorCode::INVALID_ARGUMENT, "give --csv FILE or --cor-matrix FILE --n N", "csv");
    auto df = ReadCsv(a.csv);
    if (!df) return std::move(df).error();
    // Listwise over alliance and all facets, so the correlations and the regression share rows.
    std::vector<std::string> cols = facets;
    cols.push_back(a.alliance);
    auto rows = CompleteRows(*df, cols);
    if (!rows) return std::move(rows).error();
    DataFrame used;
    for (const auto& c : cols) {
      auto col = df->GetNumeric(c);
      if (!col) return std::move(col).error();
      std::vector<double> v;
      for (auto r : *rows) v.push_back((*col)->values[r]);
      if (auto ok = used.AddNumeric(c, v); !ok) return std::move(ok).error();
    }
    for (const auto& f : facets) {
      auto c = Correlate(used, f, a.alliance);
      if (!c) return std::move(c).error();
      cors.push_back(*c);
    }
    fit = Regress(used, a.alliance, facets);
    source = "csv";
    dropped = df->Rows() - rows->size();
  }
  if (!fit) return std::move(fit).error();
  return service::ReplicationJson(source, dropped, cors, *fit);  // one shape with POST /analyses/replication
}

void PrintReplicate(const Json& j) {
  fmt::print("Correlation of each facet with {} (n = {}):\n", j["correlations"][0]["y"].get<std::string>(),
             j["n"].get<std::size_t>());
  for (const auto& c : j["correlations"]) {
    fmt::print("  {:<24} r = {:>6.3f}  95% CI [{:.3f}, {:.3f}]  {}\n", c["x"].get<std::string>(),
               c["r"].get<double>(), c["ci95"][0].get<double>(), c["ci95"][1].get<double>(),
               stats::PText(c["p"].get<double>()));
  }
  const auto& r = j["regression"];
  fmt::print("Multiple regression: R^2 = {:.3f}, adjusted R^2 = {:.3f}, F({}, {}) = {:.2f}, {}\n",
             r["r2"].get<double>(), r["adj_r2"].get<double>(), r["df1"].get<double>(), r["df2"].get<double>(),
             r["f"].get<double>(), stats::PText(r["f_p"].get<double>()));
  for (const auto& b : r["std_betas"]) {
    fmt::print("  {:<24} beta = {:>6.3f}  {}{}\n", b["facet"].get<std::string>(), b["std_beta"].get<double>(),
               stats::PText(b["p"].get<double>()), b["significant"].get<bool>() ? "  *" : "");
  }
  fmt::print("\n{}\n{}\n", kPublished, j["caution"].get<std::string>());
}

struct TherapistArgs {
  std::string csv, outcome, therapist, client, covariates;
  bool json = false;
};

// Each column in one role: a therapist column that is also the client column (or a covariate, or
// the outcome) would be fitted against itself.
Result<void> CheckRoles(const TherapistArgs& a) {
  std::vector<std::pair<std::string, std::string>> roles = {{"--outcome", a.outcome}, {"--therapist", a.therapist}};
  if (!a.client.empty()) roles.emplace_back("--client", a.client);
  for (const auto& c : SplitList(a.covariates)) roles.emplace_back("--covariates", c);
  for (std::size_t i = 0; i < roles.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (roles[i].second != roles[j].second) continue;
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("{} names '{}', already given as {}; expected each column in one role", roles[i].first,
                              roles[i].second, roles[j].first),
                  roles[i].first.substr(2));
    }
  }
  return Ok();
}

Result<Json> TherapistEffects(const TherapistArgs& a) {
  ATTUNE_CHECK(CheckRoles(a));
  auto df = ReadCsv(a.csv);
  if (!df) return std::move(df).error();
  std::string formula = "`" + a.outcome + "` ~ 1";
  for (const auto& c : SplitList(a.covariates)) formula += " + `" + c + "`";
  if (a.client.empty()) {
    formula += " + (1|`" + a.therapist + "`)";
  } else {
    formula += " + (1|`" + a.therapist + "`/`" + a.client + "`)";
  }
  LmmOptions opt;
  auto fit = FitLmm(*df, formula, opt);
  if (!fit) return std::move(fit).error();
  Json out;
  out["formula"] = formula;
  out["nobs"] = fit->nobs;
  out["dropped"] = fit->dropped;
  double tvar = 0, cvar = 0;
  for (const auto& v : fit->varcorr) {
    if (v.group == a.therapist) tvar = v.variance;
    else if (v.group != "Residual") cvar = v.variance;
  }
  const double s2 = fit->sigma * fit->sigma;
  out["icc_therapist"] = tvar / (tvar + cvar + s2);
  if (!a.client.empty()) out["icc_client_within_therapist"] = cvar / (tvar + cvar + s2);
  out["therapist_variance"] = tvar;
  out["client_variance"] = a.client.empty() ? Json(nullptr) : Json(cvar);
  out["residual_variance"] = s2;
  out["intercept"] = fit->fixef[0].estimate;
  const RandomEffects* re = nullptr;
  for (const auto& r : fit->ranef)
    if (r.group == a.therapist) re = &r;
  Json effects = Json::array();
  if (re) {
    std::vector<std::size_t> order(re->levels.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return re->values[x][0] < re->values[y][0]; });
    for (auto l : order) {
      const double b = re->values[l][0];
      const double se = std::sqrt(re->cond_var[l][0]);
      effects.push_back({{"therapist", re->levels[l]},
                         {"effect", b},
                         {"se", se},
                         {"ci95", Ci(b - 1.959963984540054 * se, b + 1.959963984540054 * se)},
                         {"estimate", fit->fixef[0].estimate + b}});
    }
  }
  out["effects"] = effects;
  out["converged"] = fit->convergence.converged;
  out["singular"] = fit->convergence.singular;
  out["messages"] = fit->convergence.messages;
  out["note"] = "effect: the therapist's conditional mode (shrunken deviation from the intercept); ci95: +-1.96 conditional SD";
  return out;
}

void PrintTherapistEffects(const Json& j) {
  fmt::print("{} observations; ICC(therapist) = {:.4f}", j["nobs"].get<std::size_t>(), j["icc_therapist"].get<double>());
  if (j.contains("icc_client_within_therapist"))
    fmt::print(", ICC(client within therapist) = {:.4f}", j["icc_client_within_therapist"].get<double>());
  fmt::print("\n{:<16} {:>10} {:>10} {:>22}\n", "therapist", "effect", "se", "95% interval");
  for (const auto& e : j["effects"]) {
    fmt::print("{:<16} {:>10.4g} {:>10.4g} [{:>9.4g}, {:>9.4g}]\n", e["therapist"].get<std::string>(),
               e["effect"].get<double>(), e["se"].get<double>(), e["ci95"][0].get<double>(), e["ci95"][1].get<double>());
  }
  if (j["singular"].get<bool>()) fmt::print("note: singular fit (a variance estimated as zero)\n");
  if (!j["converged"].get<bool>()) fmt::print("note: the optimiser did not converge\n");
}

}  // namespace

void AddAnalyzeCommands(CLI::App& app, Context& ctx) {
  auto* analyze = app.add_subcommand("analyze", "Statistics on a CSV file: correlation, OLS, reliability, mixed models");
  analyze->require_subcommand(1);

  // correlate
  {
    struct Args {
      std::string csv, x, y, columns, method = "pearson", adjust = "holm";
      bool json = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = analyze->add_subcommand("correlate", "Pearson or Spearman correlation (a pair or a matrix)");
    cmd->add_option("--csv", args->csv, "CSV file")->required();
    cmd->add_option("--x", args->x, "First column");
    cmd->add_option("--y", args->y, "Second column");
    cmd->add_option("--columns", args->columns, "Comma-separated columns for a matrix");
    OneOf(cmd->add_option("--method", args->method, "pearson|spearman"), {"pearson", "spearman"});
    OneOf(cmd->add_option("--adjust", args->adjust, "p adjustment for a matrix: holm|bh|none"), {"holm", "bh", "none"});
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args, &ctx] {
      auto df = ReadCsv(args->csv);
      if (!df) {
        ctx.exit_code = ReportError(df.error());
        return;
      }
      auto method = args->method == "spearman" ? CorrelationMethod::SPEARMAN : CorrelationMethod::PEARSON;
      if (!args->columns.empty()) {
        auto adj = args->adjust == "bh" ? PAdjust::BH : (args->adjust == "none" ? PAdjust::NONE : PAdjust::HOLM);
        auto m = CorrelateAll(*df, SplitList(args->columns), method, adj);
        if (!m) {
          ctx.exit_code = ReportError(m.error());
          return;
        }
        Json pairs = Json::array();
        for (std::size_t i = 0; i < m->pairs.size(); ++i) {
          Json p = CorJson(m->pairs[i], method);
          p["p_adjusted"] = m->p_adjusted[i];
          pairs.push_back(p);
        }
        Json j = {{"method", args->method}, {"adjust", args->adjust}, {"n", m->n}, {"dropped", m->dropped},
                  {"names", m->names},     {"r", m->r},              {"pairs", pairs}};
        if (args->json) {
          PrintJson(j);
        } else {
          fmt::print("{} correlations, n = {} ({} dropped), p adjusted by {}\n", args->method, m->n, m->dropped, args->adjust);
          for (std::size_t i = 0; i < m->pairs.size(); ++i) {
            const auto& c = m->pairs[i];
            fmt::print("  {:<14} {:<14} r = {:>7.4f}  95% CI [{:.4f}, {:.4f}]  {}  adj {}\n", c.x, c.y, c.r,
                       c.ci_low, c.ci_high, PWithMethod(c, method), stats::PText(m->p_adjusted[i]));
          }
        }
        return;
      }
      if (args->x.empty() || args->y.empty()) {
        ctx.exit_code = ReportError(Error{ErrorCode::INVALID_ARGUMENT, "give --x and --y, or --columns A,B,...", "x"});
        return;
      }
      auto c = Correlate(*df, args->x, args->y, method);
      if (!c) {
        ctx.exit_code = ReportError(c.error());
        return;
      }
      if (args->json) {
        PrintJson(CorJson(*c, method));
      } else {
        // |r| = 1 makes t infinite; text says so in words (JSON has null), never "inf".
        const std::string t = std::isfinite(c->t) ? fmt::format("t({}) = {:.3f}", c->n - 2, c->t)
                                                  : std::string("t not defined: |r| = 1");
        fmt::print("{} r({}, {}) = {:.4f}, n = {} ({} dropped), {}, {}, 95% CI [{:.4f}, {:.4f}]\n", args->method,
                   c->x, c->y, c->r, c->n, c->dropped, t, PWithMethod(*c, method), c->ci_low, c->ci_high);
      }
    });
  }

  // regress
  {
    struct Args {
      std::string csv, formula, y, x, cor_matrix;
      std::size_t n = 0;
      bool json = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = analyze->add_subcommand("regress", "Ordinary least squares (or from a correlation matrix and n)");
    auto* csv = cmd->add_option("--csv", args->csv, "CSV file");
    auto* formula = cmd->add_option("--formula", args->formula, "e.g. \"alliance ~ nonjudging + openness\"");
    auto* y = cmd->add_option("--y", args->y, "Response column");
    auto* x = cmd->add_option("--x", args->x, "Comma-separated predictors");
    auto* cor_matrix =
        cmd->add_option("--cor-matrix", args->cor_matrix, "CSV correlation matrix instead of raw data (needs --n, --y, --x)");
    // One source of data and one model: an option the chosen way would not read is refused, not
    // silently ignored.
    cmd->add_option("--n", args->n, "Sample size for --cor-matrix")->needs(cor_matrix);
    csv->excludes(cor_matrix);
    formula->excludes(y)->excludes(x)->excludes(cor_matrix);
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args, &ctx] {
      Result<OlsFit> fit = Fail(ErrorCode::INVALID_ARGUMENT, "give --csv with --formula or --y/--x, or --cor-matrix with --n", "csv");
      if (!args->cor_matrix.empty()) {
        auto t = ReadCorMatrix(args->cor_matrix);
        if (!t) {
          ctx.exit_code = ReportError(t.error());
          return;
        }
        fit = RegressFromCorrelation(t->r, t->names, args->n, args->y, SplitList(args->x));
      } else if (!args->csv.empty()) {
        auto df = ReadCsv(args->csv);
        if (!df) {
          ctx.exit_code = ReportError(df.error());
          return;
        }
        if (!args->formula.empty()) {
          fit = Regress(*df, args->formula);
        } else if (!args->y.empty()) {
          fit = Regress(*df, args->y, SplitList(args->x));
        }
      }
      if (!fit) {
        ctx.exit_code = ReportError(fit.error());
        return;
      }
      if (args->json) PrintJson(OlsJson(*fit)); else PrintOls(*fit);
    });
  }

  // reliability
  {
    struct Args {
      std::string csv, items, reverse;
      std::optional<double> min, max;
      bool json = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = analyze->add_subcommand("reliability", "Cronbach's alpha (Feldt CI), item statistics, omega total");
    cmd->add_option("--csv", args->csv, "CSV file")->required();
    cmd->add_option("--items", args->items, "Comma-separated item columns")->required();
    cmd->add_option("--reverse", args->reverse, "Comma-separated reverse-keyed items (scored min + max - x)");
    cmd->add_option("--min", args->min, "Lowest possible response");
    cmd->add_option("--max", args->max, "Highest possible response");
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args, &ctx] {
      if (!args->reverse.empty() && (!args->min || !args->max)) {
        ctx.exit_code = ReportError(Error{
            ErrorCode::INVALID_ARGUMENT,
            fmt::format("--reverse is \"{}\"; expected --min and --max with it (a reverse-keyed item is scored "
                        "min + max - x)",
                        args->reverse),
            "reverse"});
        return;
      }
      auto df = ReadCsv(args->csv);
      if (!df) {
        ctx.exit_code = ReportError(df.error());
        return;
      }
      ReliabilityOptions opt;
      opt.reverse = SplitList(args->reverse);
      opt.min = args->min;
      opt.max = args->max;
      auto r = AnalyzeReliability(*df, SplitList(args->items), opt);
      if (!r) {
        ctx.exit_code = ReportError(r.error());
        return;
      }
      if (args->json) {
        Json items = Json::array();
        for (const auto& it : r->items) {
          items.push_back({{"item", it.item},
                           {"r_drop", it.r_drop},
                           {"alpha_if_dropped", it.alpha_if_dropped ? Json(*it.alpha_if_dropped) : Json(nullptr)},
                           {"loading", it.loading ? Json(*it.loading) : Json(nullptr)},
                           {"uniqueness", it.uniqueness ? Json(*it.uniqueness) : Json(nullptr)}});
        }
        PrintJson({{"n", r->n},
                   {"dropped", r->dropped},
                   {"k", r->k},
                   {"alpha", r->alpha},
                   {"alpha_std", r->alpha_std},
                   {"alpha_ci95", Ci(r->alpha_ci_low, r->alpha_ci_high)},
                   {"omega_total", r->omega_total ? Json(*r->omega_total) : Json(nullptr)},
                   {"omega_converged", r->omega_converged},
                   {"omega_note", r->omega_note.empty() ? Json(nullptr) : Json(r->omega_note)},
                   {"items", items}});
      } else {
        fmt::print("n = {} ({} dropped), k = {}\nalpha = {:.4f} (Feldt 95% CI [{:.4f}, {:.4f}]), standardised alpha = {:.4f}, "
                   "omega total {}\n",
                   r->n, r->dropped, r->k, r->alpha, r->alpha_ci_low, r->alpha_ci_high, r->alpha_std,
                   r->omega_total ? fmt::format("= {:.4f}", *r->omega_total) : r->omega_note);
        fmt::print("{:<12} {:>8} {:>16} {:>9}\n", "item", "r.drop", "alpha if dropped", "loading");
        for (const auto& it : r->items) {
          fmt::print("{:<12} {:>8.4f} {:>16} {:>9}\n", it.item, it.r_drop,
                     it.alpha_if_dropped ? fmt::format("{:.4f}", *it.alpha_if_dropped) : "-",
                     it.loading ? fmt::format("{:.4f}", *it.loading) : "-");
        }
      }
    });
  }

  // lmm
  {
    struct Args {
      std::string csv, formula;
      bool ml = false, json = false, ranef = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = analyze->add_subcommand("lmm", "Linear mixed model (REML unless --ml), lme4 formula syntax");
    cmd->add_option("--csv", args->csv, "CSV file")->required();
    cmd->add_option("--formula", args->formula, "e.g. \"Reaction ~ Days + (Days|Subject)\"")->required();
    cmd->add_flag("--ml", args->ml, "Fit by maximum likelihood instead of REML");
    cmd->add_flag("--ranef", args->ranef, "Include conditional modes and conditional variances");
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args, &ctx] {
      auto df = ReadCsv(args->csv);
      if (!df) {
        ctx.exit_code = ReportError(df.error());
        return;
      }
      LmmOptions opt;
      opt.reml = !args->ml;
      opt.conditional_variances = args->ranef;
      auto fit = FitLmm(*df, args->formula, opt);
      if (!fit) {
        ctx.exit_code = ReportError(fit.error());
        return;
      }
      if (args->json) PrintJson(LmmJson(*fit, args->formula, args->ranef)); else PrintLmm(*fit);
    });
  }

  // mediate
  {
    struct Args {
      std::string csv, x, m, y, covariates, cluster;
      int resamples = 5000;
      std::uint64_t seed = 20150101;
      double level = 0.95;
      bool json = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = analyze->add_subcommand("mediate", "Mediation X -> M -> Y with a percentile bootstrap CI for ab");
    cmd->add_option("--csv", args->csv, "CSV file")->required();
    cmd->add_option("--x", args->x, "Predictor")->required();
    cmd->add_option("--m", args->m, "Mediator")->required();
    cmd->add_option("--y", args->y, "Outcome")->required();
    cmd->add_option("--covariates", args->covariates, "Comma-separated covariates for both models");
    cmd->add_option("--cluster", args->cluster, "Resample whole clusters (e.g. therapist column)");
    InRange(cmd->add_option("--resamples", args->resamples, "Bootstrap resamples"), 100, kInfinity);
    cmd->add_option("--seed", args->seed, "Random seed");
    Between(cmd->add_option("--level", args->level, "Confidence level"), 0, 1);
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args, &ctx] {
      auto df = ReadCsv(args->csv);
      if (!df) {
        ctx.exit_code = ReportError(df.error());
        return;
      }
      MediationOptions opt;
      opt.resamples = args->resamples;
      opt.seed = args->seed;
      opt.cluster = args->cluster;
      opt.min_clusters = kMinClusters;
      opt.covariates = SplitList(args->covariates);
      opt.level = args->level;
      auto r = Mediate(*df, args->x, args->m, args->y, opt);
      if (!r) {
        ctx.exit_code = ReportError(r.error());
        return;
      }
      auto path = [](const Path& p) { return Json{{"estimate", p.estimate}, {"se", p.se}, {"p", p.p}}; };
      if (args->json) {
        PrintJson({{"n", r->n},
                   {"dropped", r->dropped},
                   {"a", path(r->a)},
                   {"b", path(r->b)},
                   {"c", path(r->c)},
                   {"c_prime", path(r->c_prime)},
                   {"ab", r->ab},
                   {"ab_ci", Ci(r->ab_ci_low, r->ab_ci_high)},
                   {"level", args->level},
                   {"resamples", r->resamples},
                   {"failed_resamples", r->failed_resamples},
                   {"seed", r->seed},
                   {"cluster", args->cluster.empty() ? Json(nullptr) : Json(args->cluster)},
                   {"clusters", r->clusters}});
      } else {
        fmt::print("n = {} ({} dropped)\na (X->M) = {:.4f} ({})\nb (M->Y|X) = {:.4f} ({})\n"
                   "c (total) = {:.4f} ({})\nc' (direct) = {:.4f} ({})\n"
                   "ab (indirect) = {:.4f}, {:.0f}% percentile bootstrap CI [{:.4f}, {:.4f}] ({} resamples{}, {} failed "
                   "(singular), interval from {}; seed {})\n",
                   r->n, r->dropped, r->a.estimate, stats::PText(r->a.p), r->b.estimate, stats::PText(r->b.p),
                   r->c.estimate, stats::PText(r->c.p), r->c_prime.estimate, stats::PText(r->c_prime.p), r->ab, args->level * 100, r->ab_ci_low, r->ab_ci_high, r->resamples,
                   args->cluster.empty() ? "" : fmt::format(" of {} clusters", r->clusters), r->failed_resamples,
                   r->resamples - r->failed_resamples, r->seed);
        // Failed resamples are those the data could not fit (e.g. no treated row drawn): leaving them
        // out conditions the interval on the resamples that could, so it is said, not buried in JSON.
        if (r->failed_resamples > 0) {
          fmt::print("warning: {} of {} bootstrap resamples ({:.1f}%) were singular and left out; the interval "
                     "comes from the other {} and may be too narrow (refused above 50%)\n",
                     r->failed_resamples, r->resamples, 100.0 * r->failed_resamples / r->resamples,
                     r->resamples - r->failed_resamples);
        }
      }
    });
  }

  // replicate
  {
    auto args = std::make_shared<ReplicateArgs>();
    auto* cmd = analyze->add_subcommand("replicate", "Razzaque, Okoro & Wood (2015) analysis on therapist-level data");
    auto* csv = cmd->add_option("--csv", args->csv, "CSV with one row per therapist");
    auto* cor_matrix =
        cmd->add_option("--cor-matrix", args->cor_matrix, "CSV correlation matrix (published table) instead of raw data");
    cmd->add_option("--n", args->n, "Sample size for --cor-matrix")->needs(cor_matrix);
    csv->excludes(cor_matrix);
    cmd->add_option("--alliance", args->alliance, "Alliance column")->required();
    cmd->add_option("--facets", args->facets, "Comma-separated mindfulness facet columns")->required();
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args, &ctx] {
      auto r = Replicate(*args);
      if (!r) {
        ctx.exit_code = ReportError(r.error());
        return;
      }
      if (args->json) PrintJson(*r); else PrintReplicate(*r);
    });
  }

  // therapist-effects
  {
    auto args = std::make_shared<TherapistArgs>();
    auto* cmd = analyze->add_subcommand("therapist-effects", "ICC of therapists and each therapist's shrunken effect");
    cmd->add_option("--csv", args->csv, "CSV file")->required();
    cmd->add_option("--outcome", args->outcome, "Outcome column")->required();
    cmd->add_option("--therapist", args->therapist, "Therapist column")->required();
    cmd->add_option("--client", args->client, "Client column (clients nested in therapists)");
    cmd->add_option("--covariates", args->covariates, "Comma-separated fixed covariates");
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args, &ctx] {
      auto r = TherapistEffects(*args);
      if (!r) {
        ctx.exit_code = ReportError(r.error());
        return;
      }
      if (args->json) PrintJson(*r); else PrintTherapistEffects(*r);
    });
  }
}

}  // namespace attune::cli
