// Monitoring use cases (docs/monitor.md): the store supplies an episode's history, module
// monitor decides, and SubmitResponse writes the alerts in the response's transaction.
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <set>
#include <nlohmann/json.hpp>

#include "attune/service/service.hpp"
#include "service/raised.hpp"

namespace attune::service {
namespace {

constexpr const char* kCurvesModel = "monitor.curves";

// Whether session `held` (as stored) was held by `at` (an answer's time as stored): by day when
// either is a date alone, which says only the day. `strictly`: held before it, not at it (an
// outcome measure answered at a session's start is that session's).
bool HeldBy(const std::string& held, const std::string& at, bool strictly) {
  if (held.size() == 10 || at.size() == 10) return held.substr(0, 10) <= at.substr(0, 10);
  return strictly ? held < at : held <= at;
}

// Whether `instrument` is answered after a session, about it (an alliance form, a therapist's
// rating), rather than before one (an outcome measure, as the questionnaires due ask for it).
bool AboutASessionHeld(const instruments::Instrument& instrument, const monitor::Config& config) {
  return instrument.respondent == instruments::Respondent::THERAPIST || monitor::RatesTheAlliance(instrument, config);
}

// Observations of one episode's responses (given in id order), in session order. A response's
// session: the one it names; else the one it was answered around, by its time among the sessions
// held (after the last held for a form about a session, before the next for an outcome
// measure); else, with no session recorded, its position among that instrument's responses.
std::vector<monitor::Observation> BuildObservations(const instruments::Catalogue& catalogue,
                                                    const monitor::Config& config,
                                                    const std::vector<Response>& responses,
                                                    const std::vector<Session>& sessions) {
  std::map<Id, int> numbers;
  for (const auto& s : sessions) numbers[s.id] = s.number;
  std::vector<monitor::Observation> out;
  std::map<std::string, int> ordinal;
  for (const auto& r : responses) {
    auto instrument = catalogue.Get(r.instrument_id);
    if (!instrument) continue;  // an instrument no longer installed: nothing to monitor
    auto scored = instruments::Score(**instrument, r.answers);
    if (!scored) continue;
    int session = ++ordinal[r.instrument_id];
    if (auto it = r.session_id ? numbers.find(*r.session_id) : numbers.end(); it != numbers.end()) {
      session = it->second;
    } else if (!sessions.empty()) {
      const bool about_held = AboutASessionHeld(**instrument, config);
      int last = 0;
      for (const auto& s : sessions) {
        if (HeldBy(s.held_at, r.answered_at, !about_held)) last = std::max(last, s.number);
      }
      session = about_held ? last : last + 1;
    }
    out.push_back(monitor::MakeObservation(**instrument, *scored, r.id, std::max(1, session), &r.answers));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const monitor::Observation& a, const monitor::Observation& b) { return a.session < b.session; });
  return out;
}

}  // namespace

Result<std::vector<monitor::Observation>> Service::EpisodeObservations(OrgId org, Id episode_id) {
  store::ResponseFilter filter;
  filter.episode_id = episode_id;
  ATTUNE_TRY(responses, store_.ListResponses(org, filter));
  ATTUNE_TRY(sessions, store_.ListSessions(org, episode_id));
  return BuildObservations(catalogue_, monitor_config_, responses, sessions);
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
  ATTUNE_TRY(observations, EpisodeObservations(org, episode_id));
  ATTUNE_TRY(curves, StoredCurves(org));
  ATTUNE_TRY(config, MonitorConfigFor(org));
  ATTUNE_TRY(assessment, monitor::AssessEpisode(observations, catalogue_, curves, config));
  // The report's verdict too: therapy that ended before the alliance came back left it unrepaired.
  if (episode.status == "ended") monitor::EndOfTherapy(assessment);
  return assessment;
}

Result<SubmissionCheck> Service::MonitorSubmission(OrgId org, const instruments::Instrument& instrument,
                                                   const Response& response) {
  SubmissionCheck out;
  // Outside an episode (a waitlisted client's intake, a client between episodes) there is no
  // pair to watch, but a risk item is still raised at once, on the client, for the coordinators.
  if (!response.episode_id) {
    if (instrument.respondent != instruments::Respondent::CLIENT || response.subject_id == 0) return out;
    auto scored = instruments::Score(instrument, response.answers);
    if (!scored) return scored.error();
    // Session 0: no session (the alert's evidence says "session": null; it said session 1).
    for (const auto& raised : monitor::RiskAlerts(monitor::MakeObservation(instrument, *scored, 0, 0))) {
      out.alerts.push_back(StoredAlert(org, response, raised, raised.detail + " (outside an episode)"));
    }
    return out;
  }
  // The episode's stored responses and this one (id 0: not stored yet, and the newest), in
  // session order as the episode's replay orders them.
  store::ResponseFilter filter;
  filter.episode_id = response.episode_id;
  ATTUNE_TRY(history, store_.ListResponses(org, filter));
  ATTUNE_TRY(sessions, store_.ListSessions(org, *response.episode_id));
  Response pending = response;
  pending.id = 0;
  history.push_back(std::move(pending));
  std::vector<monitor::Observation> observations = BuildObservations(catalogue_, monitor_config_, history, sessions);
  const auto at = static_cast<std::size_t>(
      std::find_if(observations.begin(), observations.end(), [](const auto& o) { return o.response_id == 0; }) -
      observations.begin());
  if (at == observations.size()) {  // not scorable: nothing to watch (scoring says why, if it refuses)
    auto scored = instruments::Score(instrument, response.answers);
    if (!scored) return scored.error();
    return out;
  }
  ATTUNE_TRY(curves, StoredCurves(org));
  ATTUNE_TRY(config, MonitorConfigFor(org));
  ATTUNE_TRY(assessment, monitor::AssessEpisode(observations, catalogue_, curves, config));
  for (const auto& raised : assessment.alerts[at]) out.alerts.push_back(StoredAlert(org, response, raised, raised.detail));
  for (auto& change : assessment.changes) {
    if (change.response_id == 0) out.changes.push_back(std::move(change));
  }
  if (at + 1 < observations.size()) {
    // A late form: what the later observations raise with it and did not without it.
    std::vector<monitor::Observation> without = observations;
    without.erase(without.begin() + static_cast<std::ptrdiff_t>(at));
    ATTUNE_TRY(before, monitor::AssessEpisode(without, catalogue_, curves, config));
    // Known already, by kind, scale and session: what the forms raise without the late one (under
    // today's settings), and what is stored (raised under the settings of its day, which no replay
    // knows). Neither is raised again.
    std::set<std::tuple<std::string, std::string, int>> known;
    for (const auto& raised : before.alerts) {
      for (const auto& a : raised) known.emplace(a.kind, a.scale, a.session);
    }
    ATTUNE_TRY(stored, store_.ListAlertsWithEvidence(org, *response.episode_id));
    for (const auto& a : stored) {
      const auto evidence = nlohmann::json::parse(a.evidence, nullptr, false);
      if (!evidence.is_object()) continue;
      const auto session = evidence.find("session");
      known.emplace(a.kind, evidence.value("scale", std::string()),
                    session != evidence.end() && session->is_number_integer() ? session->get<int>() : 0);
    }
    const int late_session = observations[at].session;
    for (std::size_t j = at + 1; j < observations.size(); ++j) {
      for (const auto& raised : assessment.alerts[j]) {
        if (known.contains({raised.kind, raised.scale, raised.session})) continue;
        out.alerts.push_back(StoredAlert(
            org, response, raised,
            fmt::format("{} (seen when the form of session {} was entered late)", raised.detail, late_session)));
      }
    }
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
    if (e.status == "waiting" || e.status == "declined") continue;  // no therapy to report on
    ATTUNE_TRY(observations, EpisodeObservations(org, e.id));
    ATTUNE_TRY(assessment, monitor::AssessEpisode(observations, catalogue_, curves, config));
    // Therapy that ended before the alliance came back left the rupture unrepaired: decided.
    if (e.status == "ended") monitor::EndOfTherapy(assessment);
    summaries.push_back(monitor::Summarise(e.id, e.therapist_id, observations, assessment, catalogue_, config));
  }
  monitor::Report report = monitor::Aggregate(summaries);
  if (therapist_id) {
    std::erase_if(report.therapists, [&](const monitor::GroupReport& g) { return g.therapist != *therapist_id; });
    if (report.therapists.empty()) {
      // A therapist of the organisation with no episodes yet has a report of no episodes (its
      // rates print "no episodes"); only an unknown id is refused.
      auto known = store_.GetTherapist(org, *therapist_id);
      if (!known && known.error().code != ErrorCode::NOT_FOUND) return known.error();
      if (!known) {
        return Fail(ErrorCode::NOT_FOUND,
                    fmt::format("therapist_id {} is not a therapist of organisation {}", *therapist_id, org),
                    "therapist_id");
      }
      monitor::GroupReport none;
      none.group = fmt::format("therapist {}", *therapist_id);
      none.therapist = *therapist_id;
      report.therapists.push_back(std::move(none));
    }
  }
  return report;
}

}  // namespace attune::service
