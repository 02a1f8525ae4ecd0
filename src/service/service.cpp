#include "attune/service/service.hpp"

#include <fmt/core.h>

#include "attune/core/dates.hpp"

namespace attune::service {

Result<store::ScoredResponse> ScoreForStorage(const instruments::Instrument& instrument,
                                              Response response) {
  auto scored = instruments::Score(instrument, response.answers);
  if (!scored) return scored.error();
  store::ScoredResponse out;
  out.response = std::move(response);
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

Service::Service(store::Store& store, const instruments::Catalogue& catalogue, instruments::Use use)
    : store_(store), catalogue_(catalogue), use_(use) {}

Result<store::SubmitOutcome> Service::SubmitResponse(OrgId org, const Submission& submission,
                                                     const store::Actor& actor) {
  ATTUNE_TRY(scored, PrepareSubmission(org, submission));
  return store_.SubmitResponse(org, scored, actor);
}

Result<store::ScoredResponse> Service::PrepareSubmission(OrgId org, const Submission& submission) {
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
  auto scored = ScoreForStorage(**instrument, std::move(response));
  if (!scored) return scored.error();
  // Alerts (docs/monitor.md) are stored in the response's transaction, with their evidence.
  auto alerts = MonitorSubmission(org, **instrument, scored->response);
  if (!alerts) return alerts.error();
  scored->alerts = std::move(*alerts);
  return scored;
}

}  // namespace attune::service
