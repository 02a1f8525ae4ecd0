// An episode's course (docs/api.md "Episodes"): opening one, confirming or declining a client's
// choice, ending therapy. Each check that depends on other episodes runs inside the store's write
// (AddEpisode's guard, ChangeEpisode's decider), on the episodes as stored under the lock.
#include "attune/service/episodes.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "attune/core/constraints.hpp"
#include "attune/core/dates.hpp"
#include "attune/core/text.hpp"
#include "attune/service/json.hpp"
#include "attune/service/matching.hpp"
#include "service/today.hpp"

namespace attune::service {
namespace {

// A store read whose NOT_FOUND names the request's field ("client_id"), not the store's "id".
template <typename T>
Result<T> Named(Result<T> found, const char* field) {
  if (found || found.error().code != ErrorCode::NOT_FOUND) return found;
  Error e = found.error();
  e.field = field;
  return e;
}

// A move the episode's status does not allow; `hint` says what would (may be empty).
Error WrongStatus(const Episode& e, const char* move, const char* expected, const char* hint = "") {
  return Error{ErrorCode::CONFLICT,
               fmt::format("episode {} is {}; only {} episode can be {}{}", e.id, e.status, expected, move, hint),
               "status"};
}

bool Blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

// The client's current episode other than `except`, if any.
const Episode* CurrentOf(const std::vector<Episode>& episodes, Id client_id, Id except) {
  for (const auto& e : episodes) {
    if (e.client_id == client_id && e.id != except && IsCurrent(e)) return &e;
  }
  return nullptr;
}

}  // namespace

int CurrentEpisodes(const std::vector<Episode>& episodes, Id therapist_id, Id except) {
  return static_cast<int>(std::count_if(episodes.begin(), episodes.end(), [&](const Episode& e) {
    return e.therapist_id == therapist_id && e.id != except && IsCurrent(e);
  }));
}

Result<std::string> CheckPairing(const Therapist& therapist, const Client& client, const std::vector<Episode>& episodes,
                                 Id except, bool overbook) {
  const int current = CurrentEpisodes(episodes, therapist.id, except);
  // The matcher's own filters but accepting and room, which are checked below (and may be
  // overbooked); these are the client's constraints and are never passed over.
  match::TherapistProfile open = ProfileOf(therapist, nullptr, 0);
  open.accepting = true;
  open.capacity = 1;
  match::Filter why{};
  if (!match::Eligible(open, RequestOf(client), &why)) {
    // The constraints that filter therapists, which say why; a risk: entry never does (it caps a
    // therapist's high-risk clients in a batch plan) and a client does not read it (AsReadBy), so
    // it is not named to anyone here, the client making their own choice among them.
    std::string constraints;
    for (const auto& c : client.constraints) {
      auto parsed = ParseConstraint(c, "constraints");
      if (parsed && parsed->kind == Constraint::Kind::RISK) continue;
      constraints += (constraints.empty() ? "" : ", ") + c;
    }
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("therapist_id {} {} (client {}; the {} filter; constraints: {}); expected a therapist "
                            "who meets the client's constraints",
                            therapist.id, match::FilterReason(why), client.id, match::FilterName(why), constraints),
                "therapist_id");
  }
  std::string refusal;
  if (!therapist.accepting) {
    refusal = fmt::format("therapist {} is not accepting clients", therapist.id);
  } else if (current >= therapist.capacity) {
    refusal = fmt::format("therapist {} is full: {} current episode(s) (active or waiting) for a capacity of {}",
                          therapist.id, current, therapist.capacity);
  }
  if (refusal.empty()) return std::string();
  if (overbook) return "overbook: " + refusal;
  return Fail(ErrorCode::FAILED_PRECONDITION,
              fmt::format("therapist_id: {}; expected a therapist accepting clients with room", refusal),
              "therapist_id");
}

Result<std::string> PastDate(const std::string& value, const char* field, const std::string& earliest,
                             const char* earliest_is) {
  const std::string date = value.empty() ? TodayUtc() : value;
  if (!IsCalendarDate(date)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("{} is \"{}\"; expected a date YYYY-MM-DD", field, date),
                field);
  }
  // A day's grace for clocks ahead of UTC (as the training log).
  if (const std::string latest = TomorrowUtc(); date > latest) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("{} is {}, in the future; expected a date on or before today ({} at the latest)", field,
                            date, latest),
                field);
  }
  if (!earliest.empty() && date < earliest) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("{} is {}, before {} {}; expected a date on or after it", field, date, earliest_is,
                            earliest),
                field);
  }
  return date;
}

Result<Episode> OpenEpisode(store::Store& store, OrgId org, Episode episode, bool overbook,
                            const store::Actor& actor) {
  ATTUNE_TRY(client, Named(store.GetClient(org, episode.client_id), "client_id"));
  ATTUNE_TRY(therapist, Named(store.GetTherapist(org, episode.therapist_id), "therapist_id"));
  if (episode.started_on.empty()) episode.started_on = TodayUtc();
  // Its own fields first, so a malformed episode is 400 rather than a conflict with the current one.
  ATTUNE_CHECK(store::CheckEpisode(episode));
  if (episode.status == "declined") {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "status is \"declined\"; expected waiting, active or ended (a choice is declined by a decision: "
                "POST /episodes/{id}/decline)",
                "status");
  }
  ATTUNE_CHECK(PastDate(episode.started_on, "started_on"));
  if (!episode.ended_on.empty()) ATTUNE_CHECK(PastDate(episode.ended_on, "ended_on", episode.started_on, "started_on"));
  const bool current = IsCurrent(episode);
  auto guard = [&](const std::vector<Episode>& stored) -> Result<std::string> {
    // An ended episode records past therapy: it holds no place and the client may have another.
    if (!current) return std::string();
    // One current episode per client: the waitlist, choice and the caseloads all rely on it.
    if (const Episode* open = CurrentOf(stored, episode.client_id, 0)) {
      return Fail(ErrorCode::CONFLICT,
                  fmt::format("client_id {} already has episode {} ({}); expected a client without a current "
                              "episode (end or decline that one first)",
                              episode.client_id, open->id, open->status),
                  "client_id");
    }
    return CheckPairing(therapist, client, stored, 0, overbook);
  };
  ATTUNE_TRY(id, store.AddEpisode(org, episode, actor, guard));
  episode.id = id;
  episode.org_id = org;
  return episode;
}

Result<Episode> ConfirmEpisode(store::Store& store, OrgId org, Id id, const EpisodeDecision& decision,
                               const store::Actor& actor) {
  ATTUNE_TRY(before, store.GetEpisode(org, id));
  ATTUNE_TRY(client, store.GetClient(org, before.client_id));
  ATTUNE_TRY(therapist, store.GetTherapist(org, before.therapist_id));
  ATTUNE_CHECK(CheckText(decision.note, "note", TextLines::MANY));
  return store.ChangeEpisode(
      org, id,
      [&](const Episode& e, const std::vector<Episode>& stored) -> Result<store::EpisodeChange> {
        if (e.status != "waiting") return WrongStatus(e, "confirmed", "a waiting");
        ATTUNE_TRY(on, PastDate(decision.on, "started_on", e.started_on, "the choice made on"));
        ATTUNE_TRY(remark, CheckPairing(therapist, client, stored, e.id, decision.overbook));
        store::EpisodeChange change{e, "episode.confirm", ""};
        change.episode.status = "active";
        change.episode.started_on = on;
        if (!decision.note.empty()) change.episode.note = decision.note;
        change.detail = fmt::format("client {} with therapist {} from {}{}", e.client_id, e.therapist_id, on,
                                    remark.empty() ? "" : "; " + remark);
        return change;
      },
      actor);
}

Result<Episode> DeclineEpisode(store::Store& store, OrgId org, Id id, const EpisodeDecision& decision,
                               const store::Actor& actor) {
  if (Blank(decision.note)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "note is empty; expected why the choice is declined or withdrawn (the client is told)", "note");
  }
  ATTUNE_CHECK(CheckText(decision.note, "note", TextLines::MANY));
  return store.ChangeEpisode(
      org, id,
      [&](const Episode& e, const std::vector<Episode>&) -> Result<store::EpisodeChange> {
        if (e.status != "waiting") return WrongStatus(e, "declined", "a waiting");
        ATTUNE_TRY(on, PastDate(decision.on, "ended_on", e.started_on, "the choice made on"));
        store::EpisodeChange change{e, "episode.decline", ""};
        change.episode.status = "declined";
        change.episode.ended_on = on;
        change.episode.note = decision.note;
        change.detail = fmt::format("client {}'s choice of therapist {} declined on {}: {}", e.client_id,
                                    e.therapist_id, on, decision.note);
        return change;
      },
      actor);
}

Result<Episode> EndEpisode(store::Store& store, OrgId org, Id id, const EpisodeDecision& decision,
                           const store::Actor& actor) {
  ATTUNE_CHECK(CheckText(decision.note, "note", TextLines::MANY));
  return store.ChangeEpisode(
      org, id,
      [&](const Episode& e, const std::vector<Episode>&) -> Result<store::EpisodeChange> {
        if (e.status != "active") {
          return WrongStatus(e, "ended", "an active",
                             e.status == "waiting" ? " (a waiting choice is confirmed or declined)" : "");
        }
        ATTUNE_TRY(on, PastDate(decision.on, "ended_on", e.started_on, "started_on"));
        // Therapy ends on or after the last session held (a session is refused after ended_on);
        // read here, with the episode's row locked, so a session recorded meanwhile is seen. A
        // session's time is stored in UTC while the clinic's dates are local days: its day here
        // is the earliest it was anywhere, so that no zone's last day is refused.
        ATTUNE_TRY(sessions, store.ListSessions(org, id));
        const Session* last = nullptr;
        std::string last_day;
        for (const auto& s : sessions) {
          const std::string day = EarliestLocalDay(s.held_at);
          if (!last || day > last_day) {
            last = &s;
            last_day = day;
          }
        }
        if (last && on < last_day) {
          return Fail(ErrorCode::INVALID_ARGUMENT,
                      fmt::format("ended_on is {}, before session {} of episode {} was held ({}); expected a date on "
                                  "or after the last session held",
                                  on, last->number, e.id, last->held_at),
                      "ended_on");
        }
        store::EpisodeChange change{e, "episode.end", ""};
        change.episode.status = "ended";
        change.episode.ended_on = on;
        change.episode.note = decision.note;
        change.detail = fmt::format("client {} with therapist {} ended on {}{}", e.client_id, e.therapist_id, on,
                                    decision.note.empty() ? "" : ": " + decision.note);
        return change;
      },
      actor);
}

nlohmann::json ToJson(const Episode& e) {
  return {{"id", e.id},
          {"client_id", e.client_id},
          {"therapist_id", e.therapist_id},
          {"started_on", e.started_on},
          {"ended_on", e.ended_on.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.ended_on)},
          {"status", e.status},
          {"assigned_by", e.assigned_by},
          {"note", e.note}};
}

}  // namespace attune::service
