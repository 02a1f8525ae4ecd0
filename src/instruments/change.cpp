#include "attune/instruments/change.hpp"

#include <fmt/core.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "instruments/json_reader.hpp"

namespace attune::instruments {

namespace {

// Before and after scores must be finite numbers; INVALID_ARGUMENT names the one that is not.
Result<void> CheckScores(double before, double after) {
  if (!std::isfinite(before)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("before: {} is not a finite number", before), "before");
  }
  if (!std::isfinite(after)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("after: {} is not a finite number", after), "after");
  }
  return Ok();
}

}  // namespace

const char* ChangeClassName(ChangeClass c) {
  switch (c) {
    case ChangeClass::RECOVERED: return "recovered";
    case ChangeClass::RELIABLY_IMPROVED: return "reliably_improved";
    case ChangeClass::UNCHANGED: return "unchanged";
    case ChangeClass::RELIABLY_DETERIORATED: return "reliably_deteriorated";
  }
  return "unchanged";
}

double UpperTailZ(double tail) {
  // Bisection on 0.5 erfc(x / sqrt 2) = tail, which falls as x rises, to 1e-12: exact enough for
  // any threshold, and no dependency for one quantile.
  double lo = -40, hi = 40;
  while (hi - lo > 1e-12) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(mid / std::sqrt(2.0)) > tail ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double TwoSidedZ(double confidence) { return UpperTailZ((1.0 - confidence) / 2.0); }

Result<ChangeThresholds> Thresholds(const Norms& norms, Direction direction) {
  if (!(norms.sd > 0)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("norms.sd: {} must be > 0", norms.sd), "norms.sd");
  }
  if (!(norms.reliability >= 0 && norms.reliability < 1)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("norms.reliability: {} must be in [0, 1)", norms.reliability), "norms.reliability");
  }
  if (!(norms.confidence > 0 && norms.confidence < 1)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("norms.confidence: {} must be between 0 and 1 (exclusive)", norms.confidence),
                "norms.confidence");
  }
  ChangeThresholds t;
  t.se_measurement = norms.sd * std::sqrt(1.0 - norms.reliability);
  t.s_diff = std::sqrt(2.0) * t.se_measurement;
  t.confidence = norms.confidence;
  t.z = TwoSidedZ(norms.confidence);
  t.reliable_change = t.z * t.s_diff;
  // Direction decides on which side of the clinical mean the functional population lies.
  const double toward_functional = direction == Direction::HIGHER_IS_WORSE ? -1.0 : 1.0;
  if (norms.clinical && norms.nonclinical) {
    const GroupNorm& clin = *norms.clinical;
    const GroupNorm& func = *norms.nonclinical;
    t.cutoff = (func.sd * clin.mean + clin.sd * func.mean) / (func.sd + clin.sd);
    t.cutoff_kind = 'c';
  } else if (norms.clinical) {
    t.cutoff = norms.clinical->mean + toward_functional * 2.0 * norms.clinical->sd;
    t.cutoff_kind = 'a';
  } else if (norms.nonclinical) {
    t.cutoff = norms.nonclinical->mean - toward_functional * 2.0 * norms.nonclinical->sd;
    t.cutoff_kind = 'b';
  }
  return t;
}

Result<ChangeDecision> JacobsonTruax(const Norms& norms, Direction direction, double before, double after) {
  ATTUNE_CHECK(CheckScores(before, after));
  ATTUNE_TRY(thresholds, Thresholds(norms, direction));
  ChangeDecision d;
  d.before = before;
  d.after = after;
  d.change = after - before;
  d.thresholds = thresholds;
  d.rci = thresholds.s_diff > 0 ? d.change / thresholds.s_diff : 0.0;
  d.reliable = thresholds.s_diff > 0 ? std::fabs(d.rci) > thresholds.z : d.change != 0;
  const bool higher_worse = direction == Direction::HIGHER_IS_WORSE;
  d.improved = higher_worse ? d.change < 0 : d.change > 0;
  if (thresholds.cutoff) {
    const double c = *thresholds.cutoff;
    auto functional = [&](double x) { return higher_worse ? x < c : x > c; };
    d.dysfunctional_before = !functional(before);
    d.functional_after = functional(after);
  }
  if (!d.reliable) {
    d.classification = ChangeClass::UNCHANGED;
  } else if (!d.improved) {
    d.classification = ChangeClass::RELIABLY_DETERIORATED;
  } else if (thresholds.cutoff && d.dysfunctional_before && d.functional_after) {
    d.classification = ChangeClass::RECOVERED;
  } else {
    d.classification = ChangeClass::RELIABLY_IMPROVED;
  }
  return d;
}

Result<RuleSet> ParseRuleSet(std::string_view json_text, const std::string& file) {
  ATTUNE_TRY(json, detail::ParseJson(json_text, file));
  detail::Node root(json, "$", file);
  RuleSet rules;
  ATTUNE_TRY(id, root.StringField("id"));
  ATTUNE_TRY(title, root.StringField("title"));
  ATTUNE_TRY(source, root.StringField("source"));
  rules.id = std::move(id);
  rules.title = std::move(title);
  rules.source = std::move(source);
  ATTUNE_TRY(measures, root.Child("measures"));
  ATTUNE_TRY(count, measures.ArraySize());
  if (count == 0) return measures.Refuse("a rule set needs at least one measure");
  for (std::size_t i = 0; i < count; ++i) {
    detail::Node m = measures.At(i);
    RuleMeasure measure;
    ATTUNE_TRY(instrument, m.StringField("instrument"));
    ATTUNE_TRY(scale, m.StringField("scale"));
    ATTUNE_TRY(cutoff, m.NumberField("caseness_at_or_above"));
    ATTUNE_TRY(reliable, m.NumberField("reliable_change"));
    if (!(reliable > 0)) return m.Refuse(fmt::format("reliable_change {} must be > 0", reliable));
    measure.instrument = std::move(instrument);
    measure.scale = std::move(scale);
    measure.caseness_at_or_above = cutoff;
    measure.reliable_change = reliable;
    rules.measures.push_back(std::move(measure));
  }
  return rules;
}

Result<std::vector<RuleSet>> LoadRuleSets(const std::string& dir) {
  std::vector<RuleSet> sets;
  for (const auto& path : detail::JsonFiles(dir)) {
    ATTUNE_TRY(text, detail::ReadFile(path.string()));
    ATTUNE_TRY(rules, ParseRuleSet(text, path.string()));
    sets.push_back(std::move(rules));
  }
  return sets;
}

std::optional<FoundRule> FindRule(const std::vector<RuleSet>& sets, std::string_view instrument,
                                  std::string_view scale) {
  for (const auto& rules : sets) {
    for (const auto& measure : rules.measures) {
      if (measure.instrument == instrument && measure.scale == scale) return FoundRule{&rules, &measure};
    }
  }
  return std::nullopt;
}

Result<RuleDecision> ApplyRule(const RuleMeasure& measure, double before, double after) {
  ATTUNE_CHECK(CheckScores(before, after));
  RuleDecision d;
  d.before = before;
  d.after = after;
  d.change = after - before;
  d.case_before = before >= measure.caseness_at_or_above;
  d.case_after = after >= measure.caseness_at_or_above;
  d.reliable = std::fabs(d.change) >= measure.reliable_change;
  d.improved = d.change < 0;
  if (!d.reliable) {
    d.classification = ChangeClass::UNCHANGED;
  } else if (!d.improved) {
    d.classification = ChangeClass::RELIABLY_DETERIORATED;
  } else if (d.case_before && !d.case_after) {
    d.classification = ChangeClass::RECOVERED;
  } else {
    d.classification = ChangeClass::RELIABLY_IMPROVED;
  }
  return d;
}

Result<RuleOutcome> ApplyRules(const RuleSet& rules, const std::map<std::string, PrePost>& scores) {
  RuleOutcome out;
  bool any_improved = false;
  for (const auto& measure : rules.measures) {
    std::string key = measure.instrument + "." + measure.scale;
    auto it = scores.find(key);
    if (it == scores.end()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("scores: rule set {} needs \"{}\" before and after, which is missing", rules.id, key),
                  "scores." + key);
    }
    ATTUNE_TRY(d, ApplyRule(measure, it->second.before, it->second.after));
    if (d.case_before) out.case_at_start = true;
    if (d.case_after) out.case_at_end = true;
    if (d.reliable && d.improved) any_improved = true;
    if (d.reliable && !d.improved) out.reliable_deterioration = true;
  }
  out.reliable_improvement = any_improved && !out.reliable_deterioration;
  out.recovery = out.case_at_start && !out.case_at_end;
  out.reliable_recovery = out.recovery && out.reliable_improvement;
  return out;
}

}  // namespace attune::instruments
