#include "attune/monitor/json.hpp"

namespace attune::monitor {
namespace {

using nlohmann::json;

json RateJson(const Rate& r) {
  json j{{"events", r.events}, {"n", r.n}, {"rate", r.rate}, {"ci_low", r.low}, {"ci_high", r.high}};
  if (r.adjusted) {
    j["adjusted"] = *r.adjusted;
    j["adjusted_clamped"] = r.AdjustedClamped();
    j["adjusted_unclamped"] = r.adjusted_unclamped ? json(*r.adjusted_unclamped) : json(nullptr);
  }
  return j;
}

json GroupJson(const GroupReport& g) {
  json j{{"group", g.group},
         {"episodes", g.episodes},
         {"with_outcome", g.with_outcome},
         {"reliable_improvement", RateJson(g.reliable_improvement)},
         {"recovery", RateJson(g.recovery)},
         {"reliable_recovery", RateJson(g.reliable_recovery)},
         {"deterioration", RateJson(g.deterioration)},
         {"ruptures_per_episode", g.ruptures_per_episode},
         {"repair", RateJson(g.repair)}};
  if (g.therapist != 0) j["therapist_id"] = g.therapist;
  j["mean_alliance"] = g.mean_alliance ? json(*g.mean_alliance) : json(nullptr);
  return j;
}

}  // namespace

json ToJson(const Report& report) {
  json j{{"organisation", GroupJson(report.organisation)}, {"adjustment", report.adjustment}};
  j["therapists"] = json::array();
  for (const auto& g : report.therapists) j["therapists"].push_back(GroupJson(g));
  return j;
}

}  // namespace attune::monitor
