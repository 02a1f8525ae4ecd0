// Monitoring use cases (docs/monitor.md): the store supplies an episode's history, module
// monitor decides, and SubmitResponse writes the alerts in the response's transaction.
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "attune/service/service.hpp"
#include "service/raised.hpp"

namespace attune::service {
namespace {

constexpr const char* kCurvesModel = "monitor.curves";

// Observations of one episode's responses (in id order), sessions numbered by the session row
// when there is one, else by position among that instrument's responses.
std::vector<monitor::Observation> BuildObservations(const instruments::Catalogue& catalogue,
                                                    const std::vector<Response>& responses,
                                                    const std::map<Id, int>& session_numbers) {
  std::vector<monitor::Observation> out;
  std::map<std::string, int> ordinal;
  for (const auto& r : responses) {
    auto instrument = catalogue.Get(r.instrument_id);
    if (!instrument) continue;  // an instrument no longer installed: nothing to monitor
    auto scored = instruments::Score(**instrument, r.answers);
    if (!scored) continue;
    int position = ++ordinal[r.instrument_id];
    int session = position;
    if (r.session_id) {
      auto it = session_numbers.find(*r.session_id);
      if (it != session_numbers.end()) session = it->second;
    }
    out.push_back(monitor::MakeObservation(**instrument, *scored, r.id, std::max(1, session), &r.answers));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const monitor::Observation& a, const monitor::Observation& b) { return a.session < b.session; });
  return out;
}

Result<std::map<Id, int>> SessionNumbers(store::Store& store, OrgId org, Id episode_id) {
  ATTUNE_TRY(sessions, store.ListSessions(org, episode_id));
  std::map<Id, int> out;
  for (const auto& s : sessions) out[s.id] = s.number;
  return out;
}

}  // namespace

Result<std::vector<monitor::Observation>> Service::EpisodeObservations(OrgId org, Id episode_id) {
  store::ResponseFilter filter;
  filter.episode_id = episode_id;
  ATTUNE_TRY(responses, store_.ListResponses(org, filter));
  ATTUNE_TRY(numbers, SessionNumbers(store_, org, episode_id));
  return BuildObservations(catalogue_, responses, numbers);
}

Result<std::map<std::string, monitor::Curve>> Service::StoredCurves(OrgId org) {
  ATTUNE_TRY(body, store_.GetFittedModel(org, kCurvesModel));
  std::map<std::string, monitor::Curve> out;
  if (!body) return out;
  // Every submission reads the stored model; the same text parses to the same curves, so the
  // last parse is kept per thread (a refit changes the text and is parsed afresh).
  thread_local std::string last_body;
  thread_local std::map<std::string, monitor::Curve> last_curves;
  if (*body == last_body) return last_curves;
  try {
    for (const auto& item : nlohmann::json::parse(*body)) {
      ATTUNE_TRY(curve, monitor::CurveFromJson(item.dump()));
      out[curve.key] = curve;
    }
    last_body = *body;
    last_curves = out;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::INTERNAL, std::string("stored model monitor.curves is not JSON: ") + e.what());
  }
  return out;
}

std::string MonitoringSettingsView::Json() const {
  return nlohmann::json{{"settings", nlohmann::json::parse(settings)},
                        {"effective", nlohmann::json::parse(effective)},
                        {"defaults", nlohmann::json::parse(defaults)}}
      .dump();
}

Result<monitor::Config> Service::ConfigWith(OrgId org, const std::string& settings) const {
  auto parsed = monitor::ApplySettingsPatch({}, settings);
  if (!parsed) {
    return Fail(ErrorCode::INTERNAL, fmt::format("organisation {}: stored monitoring settings refused: {}", org,
                                                 parsed.error().message));
  }
  return monitor::WithSettings(monitor_config_, *parsed);
}

MonitoringSettingsView Service::ViewOf(const monitor::Config& config, const std::string& settings) const {
  return MonitoringSettingsView{settings, monitor::EffectiveSettingsJson(config),
                                monitor::EffectiveSettingsJson(monitor_config_)};
}

Result<monitor::Config> Service::MonitorConfigFor(OrgId org) {
  // Read at every submission, so a change (from the API or the CLI) applies to the next one.
  ATTUNE_TRY(organisation, store_.GetOrganisation(org));
  return ConfigWith(org, organisation.monitor_settings);
}

Result<MonitoringSettingsView> Service::MonitoringSettings(OrgId org) {
  ATTUNE_TRY(organisation, store_.GetOrganisation(org));
  ATTUNE_TRY(config, ConfigWith(org, organisation.monitor_settings));
  return ViewOf(config, organisation.monitor_settings);
}

Result<MonitoringSettingsView> Service::ChangeMonitoringSettings(OrgId org, const std::string& patch,
                                                                 const store::Actor& actor) {
  // The patch is applied to the settings as stored at the moment of writing (one transaction).
  ATTUNE_TRY(organisation, store_.ChangeMonitorSettings(
                               org,
                               [&](const std::string& stored) -> Result<std::string> {
                                 ATTUNE_TRY(current, monitor::ApplySettingsPatch({}, stored));
                                 ATTUNE_TRY(changed, monitor::ApplySettingsPatch(current, patch));
                                 return monitor::SettingsToJson(changed);
                               },
                               actor));
  ATTUNE_TRY(config, ConfigWith(org, organisation.monitor_settings));
  return ViewOf(config, organisation.monitor_settings);
}

Result<monitor::EpisodeAssessment> Service::AssessEpisode(OrgId org, Id episode_id) {
  ATTUNE_TRY(episode, store_.GetEpisode(org, episode_id));
  (void)episode;
  ATTUNE_TRY(observations, EpisodeObservations(org, episode_id));
  ATTUNE_TRY(curves, StoredCurves(org));
  ATTUNE_TRY(config, MonitorConfigFor(org));
  return monitor::AssessEpisode(observations, catalogue_, curves, config);
}

Result<std::vector<Alert>> Service::MonitorSubmission(OrgId org, const instruments::Instrument& instrument,
                                                      const Response& response) {
  std::vector<Alert> out;
  // Outside an episode (a waitlisted client's intake, a client between episodes) there is no
  // pair to watch, but a risk item is still raised at once, on the client, for the coordinators.
  const bool outside = !response.episode_id;
  if (outside && (instrument.respondent != instruments::Respondent::CLIENT || response.subject_id == 0)) return out;
  auto scored = instruments::Score(instrument, response.answers);
  if (!scored) return scored.error();
  std::vector<monitor::Observation> observations;
  std::map<std::string, monitor::Curve> curves;
  int session = 1;
  if (!outside) {
    store::ResponseFilter filter;
    filter.episode_id = response.episode_id;
    ATTUNE_TRY(history, store_.ListResponses(org, filter));
    ATTUNE_TRY(numbers, SessionNumbers(store_, org, *response.episode_id));
    observations = BuildObservations(catalogue_, history, numbers);
    for (const auto& o : observations) session += o.instrument == instrument.id ? 1 : 0;
    if (response.session_id) {
      auto it = numbers.find(*response.session_id);
      if (it != numbers.end()) session = it->second;
    }
    ATTUNE_TRY(stored, StoredCurves(org));
    curves = std::move(stored);
  }
  observations.push_back(monitor::MakeObservation(instrument, *scored, 0, session, &response.answers));
  ATTUNE_TRY(config, MonitorConfigFor(org));
  ATTUNE_TRY(assessment, monitor::AssessEpisode(observations, catalogue_, curves, config));
  for (const auto& raised : assessment.alerts.back()) {
    if (outside && raised.kind != "risk_item") continue;
    out.push_back(StoredAlert(org, response, raised, outside ? raised.detail + " (outside an episode)" : raised.detail));
  }
  return out;
}

Result<std::vector<monitor::Curve>> Service::FitExpectedResponse(OrgId org, const store::Actor& actor) {
  ATTUNE_TRY(episodes, store_.ListEpisodes(org));
  ATTUNE_TRY(config, MonitorConfigFor(org));
  std::map<std::string, std::vector<monitor::CurvePoint>> points, alliance_points;
  std::map<std::string, bool> higher_worse;
  for (const auto& e : episodes) {
    ATTUNE_TRY(observations, EpisodeObservations(org, e.id));
    for (const auto& o : observations) {
      for (const auto& [scale, score] : o.scores) {
        const std::string key = o.instrument + "." + scale;
        auto it = config.scales.find(key);
        if (it == config.scales.end()) continue;
        if (it->second.role == monitor::Role::ALLIANCE) {
          alliance_points[key].push_back({e.id, o.session, score});
          continue;
        }
        points[key].push_back({e.id, o.session, score});
        auto instrument = catalogue_.Get(o.instrument);
        const auto* s = instrument ? (*instrument)->FindScale(scale) : nullptr;
        higher_worse[key] = s == nullptr || s->direction == instruments::Direction::HIGHER_IS_WORSE;
      }
    }
  }
  std::vector<monitor::Curve> curves;
  nlohmann::json stored = nlohmann::json::array();
  for (const auto& [key, pts] : points) {
    ATTUNE_TRY(curve, monitor::FitCurve(key, higher_worse[key], pts, config));
    stored.push_back(nlohmann::json::parse(monitor::CurveToJson(curve)));
    curves.push_back(std::move(curve));
  }
  for (const auto& [key, pts] : alliance_points) {
    ATTUNE_TRY(curve, monitor::FitWithinPair(key, pts, config));
    stored.push_back(nlohmann::json::parse(monitor::CurveToJson(curve)));
    curves.push_back(std::move(curve));
  }
  ATTUNE_CHECK(store_.PutFittedModel(org, kCurvesModel, stored.dump(), actor));
  return curves;
}

Result<monitor::Report> Service::MonitorReport(OrgId org, std::optional<Id> therapist_id) {
  ATTUNE_TRY(episodes, store_.ListEpisodes(org));
  ATTUNE_TRY(curves, StoredCurves(org));
  ATTUNE_TRY(config, MonitorConfigFor(org));
  std::vector<monitor::EpisodeSummary> summaries;
  for (const auto& e : episodes) {
    ATTUNE_TRY(observations, EpisodeObservations(org, e.id));
    ATTUNE_TRY(assessment, monitor::AssessEpisode(observations, catalogue_, curves, config));
    summaries.push_back(
        monitor::Summarise(e.id, e.therapist_id, observations, assessment, catalogue_, config));
  }
  monitor::Report report = monitor::Aggregate(summaries);
  if (therapist_id) {
    std::erase_if(report.therapists, [&](const monitor::GroupReport& g) { return g.therapist != *therapist_id; });
    if (report.therapists.empty()) {
      return Fail(ErrorCode::NOT_FOUND,
                  fmt::format("therapist_id {} has no episodes in organisation {}", *therapist_id, org),
                  "therapist_id");
    }
  }
  return report;
}

}  // namespace attune::service
