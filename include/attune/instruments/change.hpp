#pragma once
//! Change between two scores: Jacobson & Truax (1991) reliable change and clinically significant
//! change, aware of each scale's direction; and rule sets such as NHS Talking Therapies'.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/instruments/instrument.hpp"

namespace attune::instruments {

//! Jacobson-Truax classification.
enum class ChangeClass { RECOVERED, RELIABLY_IMPROVED, UNCHANGED, RELIABLY_DETERIORATED };
//! Stable lower-case name ("recovered", "reliably_improved", "unchanged", "reliably_deteriorated").
const char* ChangeClassName(ChangeClass c);

//! The standard normal z whose upper tail P(Z > z) is `tail` (0 < tail < 1), to 1e-12.
double UpperTailZ(double tail);

//! The two-sided normal quantile for `confidence` in (0, 1): z with P(|Z| <= z) = confidence
//! (0.95 gives 1.959964, 0.90 gives 1.644854). Precondition: 0 < confidence < 1.
double TwoSidedZ(double confidence);

//! Thresholds derived from norms.
struct ChangeThresholds {
  double se_measurement = 0;   //!< SD x sqrt(1 - r)
  double s_diff = 0;           //!< sqrt(2) x SE
  double confidence = 0.95;    //!< of the reliable change criterion (Norms::confidence)
  double z = 0;                //!< TwoSidedZ(confidence)
  double reliable_change = 0;  //!< z x S_diff: a change beyond this many points is reliable
  std::optional<double> cutoff;  //!< clinically significant change cutoff
  char cutoff_kind = '-';        //!< 'c' (both norms), 'a' (clinical only), 'b' (non-clinical only)
};

//! Computes thresholds; INVALID_ARGUMENT when SD <= 0, reliability outside [0, 1) or confidence
//! outside (0, 1).
Result<ChangeThresholds> Thresholds(const Norms& norms, Direction direction);

//! One Jacobson-Truax decision with its numbers.
struct ChangeDecision {
  double before = 0;
  double after = 0;
  double change = 0;  //!< after - before
  double rci = 0;     //!< change / S_diff
  ChangeThresholds thresholds;
  bool reliable = false;   //!< |rci| > z
  bool improved = false;   //!< change in the scale's better direction
  bool dysfunctional_before = false;  //!< on the clinical side of the cutoff before
  bool functional_after = false;      //!< on the non-clinical side of the cutoff after
  ChangeClass classification = ChangeClass::UNCHANGED;
};

//! The decision for a change from `before` to `after` on a scale with these norms.
Result<ChangeDecision> JacobsonTruax(const Norms& norms, Direction direction, double before, double after);

//! One measure of a rule set (e.g. PHQ-9 total: case at >= 10, reliable change 6 points).
struct RuleMeasure {
  std::string instrument;
  std::string scale;
  double caseness_at_or_above = 0;
  double reliable_change = 0;  //!< points; improvement is a drop of at least this much
};

//! Caseness, reliable improvement, recovery and reliable recovery over several measures.
struct RuleSet {
  std::string id;
  std::string title;
  std::string source;
  std::vector<RuleMeasure> measures;
};

//! Parses a rule set file (instruments/rules/*.json).
Result<RuleSet> ParseRuleSet(std::string_view json_text, const std::string& file);

//! Loads every rule set file (*.json) in `dir`, sorted by file name; none when `dir` does not
//! exist. A broken file is refused naming the file, the JSON path and the reason.
Result<std::vector<RuleSet>> LoadRuleSets(const std::string& dir);

//! A rule set's measure for one scale.
struct FoundRule {
  const RuleSet* rules = nullptr;
  const RuleMeasure* measure = nullptr;
};

//! The first measure of `sets` for instrument.scale, or nullopt.
std::optional<FoundRule> FindRule(const std::vector<RuleSet>& sets, std::string_view instrument,
                                  std::string_view scale);

//! One measure's decision from a change: reliable when |change| reaches the measure's points;
//! improved when the score fell (rule sets measure symptoms: higher is worse).
struct RuleDecision {
  double before = 0;
  double after = 0;
  double change = 0;        //!< after - before
  bool case_before = false;  //!< at or above the caseness cutoff before
  bool case_after = false;
  bool reliable = false;
  bool improved = false;
  ChangeClass classification = ChangeClass::UNCHANGED;  //!< recovered: a case before, not after, reliably improved
};

//! The decision of `measure` for a change from `before` to `after` (finite numbers, else
//! INVALID_ARGUMENT naming before or after).
Result<RuleDecision> ApplyRule(const RuleMeasure& measure, double before, double after);

//! Scores before and after for one measure (key "instrument.scale").
struct PrePost {
  double before = 0;
  double after = 0;
};

//! What a rule set concludes for one episode.
struct RuleOutcome {
  bool case_at_start = false;
  bool case_at_end = false;
  bool reliable_improvement = false;    //!< some measure reliably improved, none reliably worse
  bool reliable_deterioration = false;  //!< some measure reliably worse
  bool recovery = false;                //!< a case at the start and not at the end
  bool reliable_recovery = false;       //!< recovery and reliable improvement
};

//! Applies `rules` to pre/post scores keyed "instrument.scale"; every measure must be present.
Result<RuleOutcome> ApplyRules(const RuleSet& rules, const std::map<std::string, PrePost>& scores);

}  // namespace attune::instruments
