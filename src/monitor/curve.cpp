#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "attune/monitor/monitor.hpp"
#include "attune/stats/data_frame.hpp"
#include "attune/stats/lmm.hpp"

namespace attune::monitor {

double Curve::Expected(int session, double intake) const {
  const double ls = std::log(static_cast<double>(session));
  const double i = intake - intake_centre;
  return b0 + b_log_session * ls + b_intake * i + b_interaction * ls * i;
}

double Curve::PredictionSd(int session) const {
  const double ls = std::log(static_cast<double>(session));
  return std::sqrt(std::max(0.0, tau00 + 2.0 * ls * tau01 + ls * ls * tau11 + sigma2));
}

namespace {

// Points grouped by episode, each group in session order; INVALID_ARGUMENT for a session below 1.
Result<std::map<Id, std::vector<const CurvePoint*>>> ByEpisode(const std::vector<CurvePoint>& points) {
  std::map<Id, std::vector<const CurvePoint*>> by_episode;
  for (const auto& p : points) {
    if (p.session < 1) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("episode {}: session {} must be 1 or more", p.episode, p.session), "session");
    }
    by_episode[p.episode].push_back(&p);
  }
  for (auto& [id, pts] : by_episode) {
    std::stable_sort(pts.begin(), pts.end(), [](const CurvePoint* a, const CurvePoint* b) { return a->session < b->session; });
  }
  return by_episode;
}

}  // namespace

Result<Curve> FitCurve(const std::string& key, bool higher_is_worse, const std::vector<CurvePoint>& points,
                       const Config& config) {
  Curve curve;
  curve.key = key;
  curve.higher_is_worse = higher_is_worse;
  ATTUNE_TRY(by_episode, ByEpisode(points));
  // Rows: every observation after the intake, with the intake as a covariate.
  std::vector<double> y, ls, intake, interaction;
  std::vector<std::string> episode;
  for (auto& [id, pts] : by_episode) {
    if (pts.size() < 3) continue;
    ++curve.episodes;
    const double i0 = pts.front()->score;
    for (std::size_t k = 1; k < pts.size(); ++k) {
      const double l = std::log(static_cast<double>(pts[k]->session));
      y.push_back(pts[k]->score);
      ls.push_back(l);
      intake.push_back(i0);
      interaction.push_back(l * i0);
      episode.push_back(std::to_string(id));
    }
  }
  curve.observations = y.size();
  // Centre the intake: keeps the interaction column well conditioned.
  if (!intake.empty()) {
    double mean = 0;
    for (double v : intake) mean += v;
    mean /= static_cast<double>(intake.size());
    curve.intake_centre = mean;
    for (std::size_t k = 0; k < intake.size(); ++k) {
      intake[k] -= mean;
      interaction[k] = ls[k] * intake[k];
    }
  }
  if (curve.episodes < config.min_curve_episodes) {
    curve.reason = fmt::format("too little data: {} episodes with 3+ observations, need {}", curve.episodes,
                               config.min_curve_episodes);
    return curve;
  }
  stats::DataFrame df;
  ATTUNE_CHECK(df.AddNumeric("y", y));
  ATTUNE_CHECK(df.AddNumeric("ls", ls));
  ATTUNE_CHECK(df.AddNumeric("intake", intake));
  ATTUNE_CHECK(df.AddNumeric("ls_intake", interaction));
  ATTUNE_CHECK(df.AddText("episode", episode));
  stats::LmmOptions options;
  options.conditional_variances = false;
  auto fit = stats::FitLmm(df, "y ~ ls + intake + ls_intake + (ls | episode)", options);
  if (!fit) {
    curve.reason = "the growth model could not be fitted: " + fit.error().message;
    return curve;
  }
  // A boundary fit (a variance at zero) is usable: the gradient check is not meaningful there.
  if (!fit->convergence.converged && !fit->convergence.singular) {
    std::string why = fit->convergence.optimizer_status;
    for (const auto& m : fit->convergence.messages) why += "; " + m;
    curve.reason = "the growth model did not converge (" + why + ")";
    return curve;
  }
  for (const auto& f : fit->fixef) {
    if (f.term == "(Intercept)") curve.b0 = f.estimate;
    if (f.term == "ls") curve.b_log_session = f.estimate;
    if (f.term == "intake") curve.b_intake = f.estimate;
    if (f.term == "ls_intake") curve.b_interaction = f.estimate;
  }
  for (const auto& v : fit->varcorr) {
    if (v.group != "episode") continue;
    if (v.var1 == "(Intercept)" && v.var2.empty()) curve.tau00 = v.variance;
    if (v.var1 == "ls" && v.var2.empty()) curve.tau11 = v.variance;
    if (!v.var2.empty()) curve.tau01 = v.variance;
  }
  curve.sigma2 = fit->sigma * fit->sigma;
  curve.available = true;
  return curve;
}

Result<Curve> FitWithinPair(const std::string& key, const std::vector<CurvePoint>& points, const Config& config) {
  Curve curve;
  curve.key = key;
  curve.model = CurveModel::WITHIN_PAIR;
  curve.higher_is_worse = false;
  ATTUNE_TRY(by_episode, ByEpisode(points));
  std::vector<double> gaps;
  for (auto& [id, pts] : by_episode) {
    bool counted = false;
    for (std::size_t k = 1; k < pts.size(); ++k) {
      if (pts[k]->session != pts[k - 1]->session + 1) continue;
      gaps.push_back(std::fabs(pts[k]->score - pts[k - 1]->score));
      counted = true;
    }
    curve.episodes += counted ? 1 : 0;
  }
  curve.observations = gaps.size();
  if (curve.episodes < config.min_curve_episodes) {
    curve.reason = fmt::format("too little data: {} episodes with 2+ consecutive observations, need {}",
                               curve.episodes, config.min_curve_episodes);
    return curve;
  }
  // A difference of two sessions has twice the variance of one. The largest tenth of the
  // differences is left out (it holds most ruptures); for a normal difference d, the mean of d^2
  // over |d| below its 90th centile (q = 1.6449) is 1 - 2 q phi(q) / 0.9 = 0.62302 of Var(d).
  // Unlike the median |d|, this does not jump by whole points on whole-point scores (on a
  // subscale the median |d| is 1 or 2, so the SD it gives would be 1.05 or 2.10 and nothing between).
  const std::size_t kept = std::max<std::size_t>(1, (gaps.size() * 9 + 5) / 10);
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(kept - 1), gaps.end());
  double sum_sq = 0;
  for (std::size_t i = 0; i < kept; ++i) sum_sq += gaps[i] * gaps[i];
  constexpr double kTrimmedSecondMoment = 0.62302;
  const double sd = std::sqrt(sum_sq / static_cast<double>(kept) / kTrimmedSecondMoment / 2.0);
  if (!(sd > 0)) {
    curve.reason = "no session-to-session variation: nine in ten differences are 0";
    return curve;
  }
  curve.sigma2 = sd * sd;
  curve.available = true;
  return curve;
}

std::string CurveToJson(const Curve& c) {
  nlohmann::json j{{"key", c.key},         {"available", c.available}, {"reason", c.reason},
                   {"b0", c.b0},           {"b_log_session", c.b_log_session},
                   {"b_intake", c.b_intake}, {"b_interaction", c.b_interaction}, {"intake_centre", c.intake_centre},
                   {"tau00", c.tau00},     {"tau01", c.tau01},         {"tau11", c.tau11},
                   {"sigma2", c.sigma2},   {"episodes", c.episodes},   {"observations", c.observations},
                   {"higher_is_worse", c.higher_is_worse},
                   {"model", c.model == CurveModel::WITHIN_PAIR ? "within_pair" : "expected_response"}};
  return j.dump();
}

Result<Curve> CurveFromJson(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    Curve c;
    c.key = j.at("key").get<std::string>();
    c.available = j.at("available").get<bool>();
    c.reason = j.at("reason").get<std::string>();
    c.b0 = j.at("b0").get<double>();
    c.b_log_session = j.at("b_log_session").get<double>();
    c.b_intake = j.at("b_intake").get<double>();
    c.b_interaction = j.at("b_interaction").get<double>();
    c.intake_centre = j.at("intake_centre").get<double>();
    c.tau00 = j.at("tau00").get<double>();
    c.tau01 = j.at("tau01").get<double>();
    c.tau11 = j.at("tau11").get<double>();
    c.sigma2 = j.at("sigma2").get<double>();
    c.episodes = j.at("episodes").get<std::size_t>();
    c.observations = j.at("observations").get<std::size_t>();
    c.higher_is_worse = j.at("higher_is_worse").get<bool>();
    // Curves stored before within-pair models existed have no "model".
    const std::string model = j.value("model", std::string("expected_response"));
    if (model != "expected_response" && model != "within_pair") {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("curve JSON: model \"{}\"; expected \"expected_response\" or \"within_pair\"", model),
                  "model");
    }
    c.model = model == "within_pair" ? CurveModel::WITHIN_PAIR : CurveModel::EXPECTED_RESPONSE;
    return c;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::INVALID_ARGUMENT, std::string("curve JSON: ") + e.what() + "; expected a stored curve",
                "curve");
  }
}

}  // namespace attune::monitor
