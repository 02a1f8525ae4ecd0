// Clinic use cases for the web app's daily care work (docs/api.md): questionnaires due, the
// expected-response band, a client's choice of therapist, alert notes, the training log and the
// therapist's mindfulness self-reports. Authorisation first, then store + module monitor.
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "attune/core/dates.hpp"
#include "attune/service/clinic.hpp"
#include "attune/service/episodes.hpp"
#include "service/today.hpp"

namespace attune::service {
namespace {

Error DeniedTo(const Actor& actor, const std::string& what) {
  return Error{ErrorCode::NOT_PERMITTED, fmt::format("{} may not {}", store::RoleName(actor.role), what), ""};
}

// Outcome measures in order of preference (PHQ-9 unless the client has answered another more often).
constexpr const char* kOutcomes[] = {"phq9", "gad7", "core10"};

// The client's episodes, current first: active, then waiting, then ended, newest first within each.
std::vector<Episode> EpisodesCurrentFirst(const std::vector<Episode>& episodes, Id client_id) {
  std::vector<Episode> out;
  for (const auto& e : episodes) {
    if (e.client_id == client_id) out.push_back(e);
  }
  auto rank = [](const Episode& e) { return e.status == "active" ? 2 : e.status == "waiting" ? 1 : 0; };
  std::stable_sort(out.begin(), out.end(), [&](const Episode& a, const Episode& b) {
    return rank(a) != rank(b) ? rank(a) > rank(b) : a.id > b.id;
  });
  return out;
}

}  // namespace

// ---- questionnaires due ----

Result<std::vector<DueItem>> Clinic::Due(const Actor& actor, Id client_id) {
  ATTUNE_CHECK(RequireClientAccess(actor, client_id, "read this client's questionnaires"));
  ATTUNE_TRY(client, store_.GetClient(actor.org, client_id));
  ATTUNE_TRY(episodes, store_.ListEpisodes(actor.org));
  std::vector<DueItem> out;
  auto administrable = [&](const char* id) { return static_cast<bool>(catalogue_.GetForUse(id, use_)); };
  if (client.preferences.empty() && administrable("cnip")) {
    out.push_back({"cnip", "your preferences, so we can suggest therapists who fit", std::nullopt, std::nullopt});
  }
  // The client's own outcome measure: the one they have answered most (any episode).
  store::ResponseFilter mine;
  mine.subject_id = client_id;
  ATTUNE_TRY(answered, store_.ListResponses(actor.org, mine));
  std::map<std::string, int> counts;
  for (const auto& r : answered) {
    if (r.respondent == RespondentKind::CLIENT) ++counts[r.instrument_id];
  }
  std::string outcome;
  for (const char* o : kOutcomes) {
    if (!administrable(o)) continue;
    if (outcome.empty() || counts[o] > counts[outcome]) outcome = o;
  }
  for (const auto& e : episodes) {
    if (e.client_id != client_id || e.status != "active") continue;
    ATTUNE_TRY(sessions, store_.ListSessions(actor.org, e.id));
    const Session* last = nullptr;
    for (const auto& s : sessions) {
      if (last == nullptr || s.number > last->number) last = &s;
    }
    store::ResponseFilter filter;
    filter.episode_id = e.id;
    ATTUNE_TRY(responses, store_.ListResponses(actor.org, filter));
    // Answered since the last session (or ever in the episode when none was held yet).
    auto answered_since = [&](const std::string& instrument) {
      for (const auto& r : responses) {
        if (r.instrument_id != instrument || r.respondent != RespondentKind::CLIENT) continue;
        if (last == nullptr || r.answered_at >= last->held_at) return true;
      }
      return false;
    };
    const int next = last == nullptr ? 1 : last->number + 1;
    // Measurement-based care: the outcome measure before every session, the alliance after every
    // session held (docs/api.md).
    if (!outcome.empty() && !answered_since(outcome)) {
      out.push_back({outcome, fmt::format("before session {}", next), e.id, std::nullopt});
    }
    if (last != nullptr && administrable("wai_sr") && !answered_since("wai_sr")) {
      out.push_back({"wai_sr", fmt::format("about session {}", last->number), e.id, last->id});
    }
  }
  AuditRead(actor, "due.read", "client", std::to_string(client_id), fmt::format("{} due", out.size()));
  return out;
}

// ---- expected-response band ----

Result<ExpectedBand> Clinic::Expected(const Actor& actor, Id client_id, const std::string& instrument_id,
                                      const std::string& scale_id) {
  ATTUNE_CHECK(RequireClientAccess(actor, client_id, "read this client's expected response"));
  ATTUNE_TRY(instrument, catalogue_.Get(instrument_id));
  ExpectedBand band;
  band.instrument_id = instrument_id;
  band.scale_id = scale_id.empty() && !instrument->scales.empty() ? instrument->scales.front().id : scale_id;
  if (instrument->FindScale(band.scale_id) == nullptr) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("scale '{}' is not a scale of {}; expected one of its scale ids", band.scale_id,
                            instrument_id),
                "scale");
  }
  // The organisation's own band (its not_on_track_z), as its not-on-track alerts use.
  ATTUNE_TRY(config, service_.MonitorConfigFor(actor.org));
  band.z = config.not_on_track_z;
  ATTUNE_TRY(curves, service_.StoredCurves(actor.org));
  auto curve = curves.find(instrument_id + "." + band.scale_id);
  ATTUNE_TRY(episodes, store_.ListEpisodes(actor.org));
  AuditRead(actor, "expected.read", "client", std::to_string(client_id), instrument_id + "." + band.scale_id);
  auto settings = config.scales.find(instrument_id + "." + band.scale_id);
  const bool alliance = settings != config.scales.end() && settings->second.role == monitor::Role::ALLIANCE;
  if (alliance || (curve != curves.end() && curve->second.model != monitor::CurveModel::EXPECTED_RESPONSE)) {
    // Its stored model, if any, is its within-pair spread, not a curve over sessions.
    band.reason = instrument_id + "." + band.scale_id +
                  " is an alliance scale: it is watched against the pair's own level (rupture alerts), not an "
                  "expected-response curve";
    return band;
  }
  if (curve == curves.end()) {
    band.reason = "no expected-response curve is stored for " + instrument_id + "." + band.scale_id +
                  " (attune monitor fit)";
    return band;
  }
  if (!curve->second.available) {
    band.reason = curve->second.reason;
    return band;
  }
  // The current episode's intake on this scale; else the latest earlier episode that used it.
  int last_session = 0;
  for (const auto& episode : EpisodesCurrentFirst(episodes, client_id)) {
    ATTUNE_TRY(observations, service_.EpisodeObservations(actor.org, episode.id));
    for (const auto& o : observations) {
      if (o.instrument != instrument_id) continue;
      auto s = o.scores.find(band.scale_id);
      if (s == o.scores.end()) continue;
      if (!band.intake) band.intake = s->second;
      last_session = std::max(last_session, o.session);
    }
    if (band.intake) {
      band.episode_id = episode.id;
      break;
    }
  }
  if (!band.intake) {
    band.reason = "the client has no intake score on " + instrument_id + "." + band.scale_id + " in any episode";
    return band;
  }
  band.available = true;
  const int sessions = std::max(12, last_session + 2);
  // Within the scale's range: a PHQ-9 band reaching below 0 marks scores no one can have.
  const instruments::Scale* scale = instrument->FindScale(band.scale_id);
  auto on_scale = [&](double x) {
    return scale->range_max > scale->range_min ? std::clamp(x, scale->range_min, scale->range_max) : x;
  };
  for (int s = 1; s <= sessions; ++s) {
    const double expected = curve->second.Expected(s, *band.intake);
    const double sd = curve->second.PredictionSd(s);
    band.points.push_back(
        {s, on_scale(expected), on_scale(expected - band.z * sd), on_scale(expected + band.z * sd)});
  }
  return band;
}

// ---- outcome and alliance rates ----

Result<monitor::Report> Clinic::OutcomeReport(const Actor& actor, std::optional<Id> therapist_id) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::THERAPIST}, "read outcome rates"));
  if (actor.role == Role::THERAPIST) {
    // A therapist sign-in not tied to a therapist record sees nobody's rates, not everybody's.
    if (!actor.therapist_id || (therapist_id && therapist_id != actor.therapist_id)) {
      return DeniedTo(actor, "read another therapist's rates");
    }
    therapist_id = actor.therapist_id;
  }
  ATTUNE_TRY(report, service_.MonitorReport(actor.org, therapist_id));
  AuditRead(actor, "report.read", "therapist", therapist_id ? std::to_string(*therapist_id) : "*",
            fmt::format("{} episodes", report.organisation.episodes));
  return report;
}

// ---- a client's choice of therapist ----

// An organisation as its users see it: clients may choose when it and the deployment allow it.
OrganisationView Clinic::ViewOf(Organisation organisation) const {
  const bool may_choose = client_choice_ && organisation.client_choice;
  return OrganisationView{std::move(organisation), may_choose};
}

Result<OrganisationView> Clinic::OwnOrganisation(const Actor& actor) {
  ATTUNE_TRY(organisation, store_.GetOrganisation(actor.org));
  return ViewOf(std::move(organisation));
}

Result<OrganisationView> Clinic::SetClientChoice(const Actor& actor, bool allow) {
  ATTUNE_CHECK(RequireRole(actor, {Role::ADMIN}, "change the organisation's settings"));
  ATTUNE_TRY(organisation, store_.SetClientChoice(actor.org, allow, AuditActor(actor)));
  return ViewOf(std::move(organisation));
}

// ---- the organisation's monitoring thresholds ----

Result<MonitoringSettingsView> Clinic::MonitoringSettings(const Actor& actor) {
  ATTUNE_CHECK(RequireRole(actor, {Role::ADMIN, Role::COORDINATOR, Role::THERAPIST, Role::RESEARCHER},
                           "read the monitoring settings"));
  return service_.MonitoringSettings(actor.org);
}

Result<MonitoringSettingsView> Clinic::SetMonitoringSettings(const Actor& actor, const std::string& patch) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR}, "change the monitoring settings"));
  return service_.ChangeMonitoringSettings(actor.org, patch, AuditActor(actor));
}

Result<Episode> Clinic::ChooseTherapist(const Actor& actor, Id client_id, Id therapist_id) {
  if (actor.role != Role::CLIENT || !actor.client_id || *actor.client_id != client_id) {
    return DeniedTo(actor, "choose a therapist for this client");
  }
  if (!client_choice_) {
    return Fail(ErrorCode::NOT_PERMITTED,
                "this deployment assigns therapists itself; clients may not choose (attune serve --no-client-choice)");
  }
  ATTUNE_TRY(organisation, store_.GetOrganisation(actor.org));
  if (!organisation.client_choice) {
    return Fail(ErrorCode::NOT_PERMITTED,
                "this organisation assigns therapists itself; clients may not choose (its administrator can allow it "
                "with the organisation's client_choice setting)",
                "client_choice");
  }
  auto found = store_.GetTherapist(actor.org, therapist_id);
  if (!found) {
    Error e = found.error();
    if (e.code == ErrorCode::NOT_FOUND) e.field = "therapist_id";  // the store names its own key, "id"
    return e;
  }
  const Therapist& therapist = *found;
  ATTUNE_TRY(client, store_.GetClient(actor.org, client_id));
  Episode e;
  e.client_id = client_id;
  e.therapist_id = therapist_id;
  e.started_on = TodayUtc();
  e.status = "waiting";
  e.assigned_by = "client_choice";
  // Checked on the episodes as stored under the write lock: two clients choosing a therapist's
  // last place at once cannot both have it.
  auto guard = [&](const std::vector<Episode>& stored) -> Result<std::string> {
    for (const auto& other : stored) {
      if (other.client_id != client_id) continue;
      if (other.status == "active") {
        return Fail(ErrorCode::CONFLICT,
                    fmt::format("client {} is already in therapy (episode {}); expected a client on the waitlist",
                                client_id, other.id),
                    "client_id");
      }
      if (other.status == "waiting") {
        return Fail(ErrorCode::CONFLICT,
                    fmt::format("client {} already chose therapist {} (episode {} is waiting for the clinic)",
                                client_id, other.therapist_id, other.id),
                    "therapist_id");
      }
    }
    // The clinic's exclusions and the client's own constraints, then accepting and room (a
    // waiting choice holds a place as therapy does); a client never overbooks.
    return CheckPairing(therapist, client, stored, 0, false);
  };
  ATTUNE_TRY(id, store_.AddEpisode(actor.org, e, AuditActor(actor), guard));
  e.id = id;
  e.org_id = actor.org;
  return e;
}

// ---- alerts with notes ----

namespace {
// Who may change an alert: coordinators, and therapists of its episode (`episode_access`).
Result<void> AlertAccess(store::Store& store, const Actor& actor, Id id, const std::string& verb,
                         const std::function<Result<void>(const Episode&)>& episode_access) {
  if (actor.role != Role::COORDINATOR && actor.role != Role::THERAPIST) return DeniedTo(actor, verb + " alerts");
  ATTUNE_TRY(alert, store.GetAlert(actor.org, id));
  // Raised outside an episode: no therapist holds the client yet; the coordinators do.
  if (alert.episode_id == 0) {
    if (actor.role == Role::COORDINATOR) return Ok();
    return DeniedTo(actor, verb + " an alert raised outside an episode");
  }
  ATTUNE_TRY(episode, store.GetEpisode(actor.org, alert.episode_id));
  return episode_access(episode);
}
}  // namespace

Result<Alert> Clinic::AcknowledgeAlert(const Actor& actor, Id id, const std::string& note) {
  ATTUNE_CHECK(AlertAccess(store_, actor, id, "acknowledge", [&](const Episode& e) -> Result<void> {
    // A choice the clinic has not confirmed gives the therapist the episode's row, not its care.
    if (actor.role == Role::THERAPIST && e.status == "waiting") {
      return DeniedTo(actor, "acknowledge an alert of a choice the clinic has not confirmed");
    }
    return RequireEpisodeAccess(actor, e, "acknowledge this alert");
  }));
  // An alert is acknowledged with a note of what will be done (docs/monitor.md "Lifecycle"); a
  // blank one is none, and the store refuses it naming the note.
  const bool blank = std::all_of(note.begin(), note.end(), [](unsigned char c) { return std::isspace(c) != 0; });
  return store_.AcknowledgeAlertWithNote(actor.org, id, blank ? std::string() : note, AuditActor(actor));
}

Result<Alert> Clinic::ResolveAlert(const Actor& actor, Id id, const std::string& note) {
  ATTUNE_CHECK(AlertAccess(store_, actor, id, "resolve", [&](const Episode& e) -> Result<void> {
    // A choice the clinic has not confirmed gives the therapist the episode's row, not its care.
    if (actor.role == Role::THERAPIST && e.status == "waiting") {
      return DeniedTo(actor, "resolve an alert of a choice the clinic has not confirmed");
    }
    return RequireEpisodeAccess(actor, e, "resolve this alert");
  }));
  // With or without a note of its own, the answer carries the alert's whole note as stored.
  return store_.ResolveAlertWithNote(actor.org, id, note, AuditActor(actor));
}

// ---- the therapist's own mindfulness record ----

Result<std::vector<TrainingRecord>> Clinic::TrainingLog(const Actor& actor, Id therapist_id) {
  if (actor.role != Role::THERAPIST || actor.therapist_id != therapist_id) {
    return DeniedTo(actor, "read this therapist's training log");
  }
  return store_.ListTrainingRecords(actor.org, therapist_id);
}

Result<TrainingRecord> Clinic::AddTraining(const Actor& actor, TrainingRecord record) {
  if (actor.role != Role::THERAPIST || actor.therapist_id != record.therapist_id) {
    return DeniedTo(actor, "add to this therapist's training log");
  }
  if (record.kind.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "kind is empty; expected e.g. mbsr_session or daily_practice", "kind");
  }
  if (record.minutes < 1 || record.minutes > 24 * 60) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("minutes is {}; expected 1..1440", record.minutes),
                "minutes");
  }
  if (!IsCalendarDate(record.completed_on)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("completed_on is '{}'; expected a date YYYY-MM-DD", record.completed_on), "completed_on");
  }
  // Training is logged once done; a day's grace for clocks ahead of UTC.
  if (const std::string latest = TomorrowUtc(); record.completed_on > latest) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("completed_on is '{}'; expected a date on or before today ({} at the latest)",
                            record.completed_on, latest),
                "completed_on");
  }
  record.org_id = actor.org;
  ATTUNE_TRY(id, store_.AddTrainingRecord(actor.org, record, AuditActor(actor)));
  record.id = id;
  return record;
}

Result<std::vector<MindfulnessPoint>> Clinic::MindfulnessProfile(const Actor& actor, Id therapist_id) {
  if (actor.role != Role::THERAPIST || actor.therapist_id != therapist_id) {
    return DeniedTo(actor, "read this therapist's mindfulness profile");
  }
  store::ResponseFilter filter;
  filter.instrument_id = "ffmq39";
  ATTUNE_TRY(rows, store_.ListResponses(actor.org, filter));
  std::erase_if(rows, [&](const Response& r) {
    return r.respondent != RespondentKind::THERAPIST || r.respondent_id != therapist_id;
  });
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Response& a, const Response& b) { return a.answered_at < b.answered_at; });
  std::vector<MindfulnessPoint> out;
  for (const auto& r : rows) {
    ATTUNE_TRY(scores, store_.ScoresOf(actor.org, r.id));
    out.push_back({r.id, r.answered_at, std::move(scores)});
  }
  return out;
}

}  // namespace attune::service
