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
         {"repair", RateJson(g.repair)},
         {"ruptures_undecided", g.ruptures_undecided}};
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

json ToJson(const Alert& a) {
  auto optional = [](const std::optional<Id>& id) { return id ? json(*id) : json(nullptr); };
  auto time = [](const std::string& at) { return at.empty() ? json(nullptr) : json(at); };
  return json{{"id", a.id},
              {"episode_id", a.episode_id ? json(a.episode_id) : json(nullptr)},
              {"client_id", optional(a.client_id)},
              {"response_id", optional(a.response_id)},
              {"kind", a.kind},
              {"severity", a.severity},
              {"status", std::string(a.Status())},
              {"detail", a.detail},
              {"raised_at", a.raised_at},
              {"acknowledged_at", time(a.acknowledged_at)},
              {"resolved_at", time(a.resolved_at)},
              {"note", a.note},
              {"evidence", json::parse(a.evidence.empty() ? "{}" : a.evidence, nullptr, false)}};
}

json ToJson(const Change& c) {
  return json{{"before", c.before},       {"after", c.after},       {"change", c.change},
              {"threshold", c.threshold}, {"method", c.method},     {"reliable", c.reliable},
              {"improved", c.improved},   {"classification", c.classification}};
}

json ToJson(const ScaleChange& change) {
  auto decision = [](const std::optional<Change>& c) { return c ? ToJson(*c) : json(nullptr); };
  return json{{"scale", change.key},
              {"session", change.session},
              {"score", change.score},
              {"since_intake", decision(change.since_intake)},
              {"since_last", decision(change.since_last)}};
}

}  // namespace attune::monitor
