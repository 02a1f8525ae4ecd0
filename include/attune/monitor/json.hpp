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

}  // namespace attune::monitor
