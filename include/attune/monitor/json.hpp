#pragma once
//! JSON form of the outcome and alliance report: one mapping for `attune monitor report --json`
//! and GET /api/v1/reports/outcomes, so the field names stay one contract (docs/cli.md,
//! docs/openapi.yaml).

#include <nlohmann/json.hpp>

#include "attune/monitor/monitor.hpp"

namespace attune::monitor {

//! {"organisation": group, "therapists": [group...], "adjustment": text}; a group has each rate
//! as {events, n, rate, ci_low, ci_high[, adjusted, adjusted_clamped, adjusted_unclamped]}, mean_alliance (null without alliance
//! scores), ruptures_per_episode and therapist_id (therapists only).
nlohmann::json ToJson(const Report& report);

//! A stored alert: {id, episode_id (null outside an episode), client_id, response_id, kind,
//! severity, status (open | acknowledged | resolved), detail, raised_at, acknowledged_at,
//! resolved_at, note, evidence (the rule's numbers, an object)}: one contract for `attune monitor
//! alerts --json` and the API's alerts.
nlohmann::json ToJson(const Alert& alert);

//! A change decision: {before, after, change, threshold, method, reliable, improved,
//! classification} (alert evidence, and each "since" below).
nlohmann::json ToJson(const Change& change);

//! One response's change on one outcome scale: {scale, session, score, since_intake, since_last},
//! each "since" a decision, or null at the intake (`attune monitor episode --json`, the answer to
//! POST /api/v1/responses).
nlohmann::json ToJson(const ScaleChange& change);

}  // namespace attune::monitor
