#include "attune/service/service.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "attune/core/dates.hpp"
#include "service/today.hpp"

namespace attune::service {

Result<store::ScoredResponse> ScoreForStorage(const instruments::Instrument& instrument,
                                              Response response) {
  // A form with every item blank measured nothing; stored, it would count as done (what is due).
  if (std::none_of(response.answers.begin(), response.answers.end(), [](const auto& a) { return a.has_value(); })) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("answers has no answered item; expected at least one of the {} items of {} answered",
                            instrument.items.size(), instrument.id),
                "answers");
  }
  auto scored = instruments::Score(instrument, response.answers);
  if (!scored) return scored.error();
  store::ScoredResponse out;
  out.response = std::move(response);
  // Stored as scored: an answer within the tolerance of an option is that option's value.
  for (std::size_t i = 0; i < out.response.answers.size(); ++i) {
    if (out.response.answers[i]) out.response.answers[i] = scored->values[i];
  }
  out.response.instrument_id = instrument.id;
  out.response.instrument_version = instrument.version;
  out.response.respondent = instrument.respondent == instruments::Respondent::THERAPIST
                                ? RespondentKind::THERAPIST
                                : RespondentKind::CLIENT;
  out.scores.reserve(scored->scales.size());
  for (const auto& scale : scored->scales) {
    Score row;
    row.scale_id = instrument.scales[scale.scale].id;
    row.value = scale.score;
    row.band = scale.band != nullptr ? scale.band->label : "";
    row.caseness = scale.caseness;
    row.answered = static_cast<int>(scale.answered);
    row.prorated = scale.prorated;
    out.scores.push_back(std::move(row));
  }
  return out;
}

namespace {

// What a response names must exist in the organisation and agree: its subject (a client, or the
// therapist of a self-report: IsTherapistSelfReport), its episode (that client's) and its session
// (that episode's). Clients, episodes and sessions are never deleted, so a check before the write
// holds at the write.
Result<void> CheckReferences(store::Store& store, OrgId org, const Response& r) {
  if (IsTherapistSelfReport(r)) {
    if (r.subject_id != r.respondent_id || !store.GetTherapist(org, r.respondent_id)) {
      return Fail(ErrorCode::NOT_FOUND,
                  fmt::format("respondent_id {} is not a therapist of this organisation answering about themself "
                              "(subject_id {}); a rating of a client needs its episode_id",
                              r.respondent_id, r.subject_id),
                  "respondent_id");
    }
  } else if (auto client = store.GetClient(org, r.subject_id); !client) {
    if (client.error().code != ErrorCode::NOT_FOUND) return client.error();
    return Fail(ErrorCode::NOT_FOUND, fmt::format("subject_id {} is not a client of this organisation", r.subject_id),
                "subject_id");
  }
  if (r.episode_id) {
    auto episode = store.GetEpisode(org, *r.episode_id);
    if (!episode) {
      if (episode.error().code != ErrorCode::NOT_FOUND) return episode.error();
      return Fail(ErrorCode::NOT_FOUND,
                  fmt::format("episode_id {} is not an episode of this organisation", *r.episode_id), "episode_id");
    }
    if (episode->client_id != r.subject_id) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("episode_id {} belongs to client {}, not subject {}", episode->id, episode->client_id,
                              r.subject_id),
                  "episode_id");
    }
    if (auto before = AnsweredBeforeStart(r.answered_at, *episode)) {
      return Fail(ErrorCode::INVALID_ARGUMENT, "answered_at is " + *before, "answered_at");
    }
  }
  if (r.session_id) {
    if (!r.episode_id) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("session_id {} is given without episode_id; expected the episode it belongs to",
                              *r.session_id),
                  "session_id");
    }
    // One answer whether the session is another episode's or no one's: the respondent may be a
    // client, who is not told which episode (whose therapy) a session id belongs to.
    auto session = store.GetSession(org, *r.session_id);
    if (!session && session.error().code != ErrorCode::NOT_FOUND) return session.error();
    if (!session || session->episode_id != *r.episode_id) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("session_id {} is not a session of episode_id {}; expected one of its sessions",
                              *r.session_id, *r.episode_id),
                  "session_id");
    }
  }
  return Ok();
}

}  // namespace

Service::Service(store::Store& store, const instruments::Catalogue& catalogue, instruments::Use use)
    : store_(store), catalogue_(catalogue), use_(use) {}

Result<store::SubmitOutcome> Service::SubmitResponse(OrgId org, const Submission& submission,
                                                     const store::Actor& actor, const Committer& commit,
                                                     std::vector<monitor::ScaleChange>* changes) {
  for (int attempt = 0; attempt < kSubmitAttempts; ++attempt) {
    ATTUNE_TRY(scored, PrepareSubmission(org, submission, changes));
    ATTUNE_TRY(outcome, commit ? commit(org, std::move(scored), actor) : store_.SubmitResponse(org, scored, actor));
    if (outcome.stale) continue;
    if (outcome.replayed && changes != nullptr) {
      // Prepared as if it were new; the figures are those of the stored response, in its episode.
      changes->clear();
      auto stored = store_.GetResponse(org, outcome.response_id);
      if (stored && stored->episode_id) {
        ATTUNE_TRY(assessment, AssessEpisode(org, *stored->episode_id));
        for (auto& change : assessment.changes) {
          if (change.response_id == outcome.response_id) changes->push_back(std::move(change));
        }
      }
    }
    return outcome;
  }
  return Fail(ErrorCode::CONFLICT,
              fmt::format("subject_id {}: other responses about this subject kept arriving while this one was "
                          "prepared ({} attempts); expected it to be sent again",
                          submission.subject_id, kSubmitAttempts),
              "subject_id");
}

Result<store::ScoredResponse> Service::PrepareSubmission(OrgId org, const Submission& submission,
                                                         std::vector<monitor::ScaleChange>* changes) {
  if (submission.idempotency_key.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "idempotency_key is empty; expected a key unique in the organisation",
                "idempotency_key");
  }
  if (!IsTimestamp(submission.answered_at)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("answered_at is \"{}\"; expected an RFC 3339 time such as 2026-11-27T10:50:00Z, "
                            "seconds 00-59 (or a date YYYY-MM-DD)",
                            submission.answered_at),
                "answered_at");
  }
  auto instrument = catalogue_.GetForUse(submission.instrument_id, use_);
  if (!instrument) return instrument.error();
  Response response;
  response.org_id = org;
  response.respondent_id = submission.respondent_id;
  response.subject_id = submission.subject_id;
  response.episode_id = submission.episode_id;
  response.session_id = submission.session_id;
  response.answered_at = NormalizeTimestamp(submission.answered_at);  // UTC, so stored times sort as they happened
  response.answers = submission.answers;
  response.idempotency_key = submission.idempotency_key;
  // Read before the history the monitor decides from, so a response stored in between makes
  // the mark stale rather than slipping past it (Store::SubmitResponse checks it).
  ATTUNE_TRY(history, store_.SubjectHistory(org, submission.subject_id));
  auto scored = ScoreForStorage(**instrument, std::move(response));
  if (!scored) return scored.error();
  scored->history = history;
  ATTUNE_CHECK(CheckReferences(store_, org, scored->response));
  // Alerts (docs/monitor.md) are stored in the response's transaction, with their evidence.
  auto check = MonitorSubmission(org, **instrument, scored->response);
  if (!check) return check.error();
  scored->alerts = std::move(check->alerts);
  if (changes != nullptr) *changes = std::move(check->changes);
  return scored;
}

}  // namespace attune::service
