#include "attune/trial/registration.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <map>
#include <nlohmann/json.hpp>

namespace attune::trial {
namespace {

struct Plan {
  std::vector<std::pair<std::string, std::string>> schedule;
  std::vector<std::pair<std::string, std::string>> outcomes;
  std::vector<std::pair<std::string, std::string>> analyses;
};

Plan MakePlan(const Allocation& allocation) {
  const bool parallel = allocation.spec.design == Design::PARALLEL;
  Plan p;
  p.schedule = {
      {"therapist_baseline", "FFMQ-39 (five facets) before allocation is revealed"},
      {"therapist_post", parallel ? "FFMQ-39 after the training period (both arms)"
                                  : "FFMQ-39 at the end of each period"},
      {"therapist_followup", "FFMQ-39 at follow-up, one period after post"},
      {"training_log", "per therapist: programme, sessions attended, practice minutes"},
      {"client_sessions", "WAI-SR (client-rated alliance) and the outcome measure at every session, as usual"},
  };
  const TrialSpec& s = allocation.spec;
  if (!s.allocated_on.empty()) p.schedule.emplace_back("allocated_on", s.allocated_on);
  for (std::size_t k = 0; k < s.period_starts.size(); ++k) {
    p.schedule.emplace_back(fmt::format("period_{}_starts", k + 1), s.period_starts[k]);
  }
  if (!s.followup_from.empty()) p.schedule.emplace_back("followup_from", s.followup_from);
  p.outcomes = {
      {"primary", "client-rated alliance: mean WAI-SR total of each client's sessions (standardised)"},
      {"secondary_outcome", "outcome change: last minus first severity on the client's outcome measure"},
      {"secondary_facets", "FFMQ-39 facets: observe, describe, act_aware, nonjudge, nonreact"},
  };
  const std::string slopes = parallel ? "(1 + period | therapist)" : "(1 | therapist)";
  const std::string period = parallel ? "period" : "factor(period)";
  p.analyses = {
      {"alliance", fmt::format("alliance ~ {}{} + trained + baseline_severity + {}; effect = trained "
                               "(arm x period); REML; 95% CI with t on (therapists - 2) df",
                               parallel ? "arm + " : "", period, slopes)},
      {"outcome_change", fmt::format("outcome_change ~ {}{} + trained + baseline_severity + {}; as above",
                                     parallel ? "arm + " : "", period, slopes)},
      {"facets", "ANCOVA per facet: facet_post ~ arm + facet_baseline (OLS), and at follow-up"},
      {"mediation", "therapist level: arm -> change in facet composite (nonjudge, nonreact mean) -> change in "
                    "mean client alliance; percentile bootstrap CI of a*b"},
      {"flow", "CONSORT: therapists allocated, trained, withdrawn, measured at each occasion; clients per arm "
               "with alliance, dropped out, with outcome; analysed"},
      {"principle", "intention to treat: therapists analysed in the arm allocated"},
  };
  return p;
}

std::map<std::string, int> StratumCounts(const Allocation& allocation) {
  std::map<std::string, int> counts;
  for (const auto& a : allocation.assignments) ++counts[a.stratum];
  return counts;
}

}  // namespace

std::string RegistrationJson(const Allocation& allocation, const std::string& registered_at) {
  const TrialSpec& s = allocation.spec;
  const Plan plan = MakePlan(allocation);
  nlohmann::ordered_json j;
  j["trial"] = s.name;
  j["registered_at"] = registered_at;
  j["question"] = "Does mindfulness training of therapists improve their clients' alliance and outcomes?";
  nlohmann::ordered_json design;
  design["design"] = DesignName(s.design);
  design["arms"] = s.arms;
  if (s.design == Design::STEPPED_WEDGE) design["steps"] = s.steps;
  design["allocation"] = s.design == Design::PARALLEL ? "stratified permuted blocks of random size"
                                                       : "randomised crossover order in permuted blocks of steps";
  design["block_sizes"] = nlohmann::ordered_json::array();
  const int k = s.design == Design::PARALLEL ? static_cast<int>(s.arms.size()) : s.steps;
  for (int m : s.block_multiples) design["block_sizes"].push_back(m * k);
  design["strata_facet"] = s.strata_facet;
  design["strata"] = StratumCounts(allocation);
  design["therapists"] = allocation.assignments.size();
  j["design"] = design;
  nlohmann::ordered_json schedule, outcomes, analyses;
  for (const auto& [k2, v] : plan.schedule) schedule[k2] = v;
  for (const auto& [k2, v] : plan.outcomes) outcomes[k2] = v;
  for (const auto& [k2, v] : plan.analyses) analyses[k2] = v;
  j["measurement_schedule"] = schedule;
  j["outcomes"] = outcomes;
  j["analysis_plan"] = analyses;
  j["allocation_hash"] = allocation.hash;
  j["concealment"] = "the allocation and its seed are stored, not shown; the hash (SHA-256 of the canonical "
                     "allocation text, seed included) is published now so the allocation can be audited later";
  return j.dump(2) + "\n";
}

std::string RegistrationMarkdown(const Allocation& allocation, const std::string& registered_at) {
  const TrialSpec& s = allocation.spec;
  const Plan plan = MakePlan(allocation);
  std::string out = fmt::format("# Pre-registration: {}\n\nRegistered {}.\n\n", s.name, registered_at);
  out += "**Question.** Does mindfulness training of therapists improve their clients' alliance and outcomes?\n\n";
  out += "## Design\n\n";
  out += fmt::format("- design: {}\n- arms: {}\n", DesignName(s.design), fmt::join(s.arms, ", "));
  if (s.design == Design::STEPPED_WEDGE) out += fmt::format("- crossover steps: {}\n", s.steps);
  out += fmt::format("- therapists: {}\n", allocation.assignments.size());
  out += fmt::format("- strata: {}\n", s.strata_facet.empty() ? std::string("none") : "median split of baseline " + s.strata_facet);
  for (const auto& [stratum, n] : StratumCounts(allocation)) out += fmt::format("  - {}: {}\n", stratum, n);
  out += "\n## Measurement schedule\n\n";
  for (const auto& [k, v] : plan.schedule) out += fmt::format("- {}: {}\n", k, v);
  out += "\n## Outcomes\n\n";
  for (const auto& [k, v] : plan.outcomes) out += fmt::format("- {}: {}\n", k, v);
  out += "\n## Analysis plan\n\n";
  for (const auto& [k, v] : plan.analyses) out += fmt::format("- {}: {}\n", k, v);
  out += fmt::format("\n## Allocation\n\nSHA-256 `{}`. The allocation and its seed are concealed until the "
                     "trial is unblinded; anyone can then recompute this hash.\n",
                     allocation.hash);
  return out;
}

}  // namespace attune::trial
