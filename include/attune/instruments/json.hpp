#pragma once
//! JSON forms of instruments, scores and change decisions: one mapping for the CLI and the API,
//! so field names stay one stable contract (docs/cli.md, docs/openapi.yaml).

#include <nlohmann/json.hpp>

#include "attune/instruments/change.hpp"
#include "attune/instruments/instrument.hpp"
#include "attune/instruments/scoring.hpp"

namespace attune::instruments {

//! The whole definition, with `administrable` for the deployment's declared use.
nlohmann::json ToJson(const Instrument& instrument, Use declared_use);
//! A one-line summary (id, version, title, respondent, counts, licence status).
nlohmann::json SummaryJson(const Instrument& instrument, Use declared_use);
//! `{"instrument", "version", "complete", "scales": {id: {...}}, "flags": [...]}`.
nlohmann::json ToJson(const Instrument& instrument, const ScoreResult& result);
//! A Jacobson-Truax decision with its numbers.
nlohmann::json ToJson(const ChangeDecision& decision);
//! A rule set's decision: {"rule": {"id", "title", "source"}, "before", "after", "change",
//! "caseness_at_or_above", "reliable_change_threshold", "case_before", "case_after", "reliable",
//! "improved", "classification"}.
nlohmann::json ToJson(const RuleSet& rules, const RuleMeasure& measure, const RuleDecision& decision);

}  // namespace attune::instruments
