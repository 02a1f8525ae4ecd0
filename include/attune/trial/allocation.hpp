#pragma once
//! Concealed, auditable allocation of therapists for the mindfulness-training trial (docs/trial.md):
//! stratified permuted blocks (parallel design) or randomised crossover order (stepped wedge),
//! recorded with its seed and a SHA-256 hash of a canonical text.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"

namespace attune::trial {

//! How therapists are allocated.
enum class Design { PARALLEL, STEPPED_WEDGE };
//! "parallel" | "stepped-wedge".
const char* DesignName(Design design);
//! Parses a design name; INVALID_ARGUMENT naming `design` and the value otherwise.
Result<Design> ParseDesign(std::string_view text);

//! Arms from "training:control" (first = the intervention arm). INVALID_ARGUMENT for fewer than
//! two arms, an empty or repeated name, or characters outside [a-z0-9_-].
Result<std::vector<std::string>> ParseArms(std::string_view text);

//! Everything that fixes an allocation besides the therapists.
struct TrialSpec {
  std::string name;                                    //!< [A-Za-z0-9_-], 1-64 characters
  Design design = Design::PARALLEL;
  std::vector<std::string> arms = {"training", "control"};  //!< parallel: first = intervention
  std::string strata_facet;                            //!< stratify on this baseline facet; empty = none
  int steps = 3;                                       //!< stepped wedge: crossover steps (periods = steps + 1)
  std::vector<int> block_multiples = {1, 2};           //!< block sizes = multiple x number of arms, drawn at random
  std::uint64_t seed = 0;
  //! The schedule, when fixed at creation (YYYY-MM-DD; empty = not recorded): the allocation
  //! date, the date each period 1..P begins (parallel: training has ended; stepped wedge: step k's
  //! therapists are trained from period k) and the date from which an FFMQ counts as follow-up.
  //! Part of the canonical text (and so of the hash) only when recorded.
  std::string allocated_on;
  std::vector<std::string> period_starts;
  std::string followup_from;
};

//! A therapist to allocate, with their baseline score on the strata facet (if any).
struct Participant {
  Id therapist_id = 0;
  std::optional<double> stratum_score;
};

//! One therapist's allocation.
struct Assignment {
  Id therapist_id = 0;
  std::string stratum;   //!< "all", or "low" / "high" (median split) / "missing"
  int block = 0;         //!< 1-based within the stratum (parallel); 0 for stepped wedge
  int block_size = 0;
  std::string arm;       //!< parallel: the arm; stepped wedge: "step_k"
  int step = 0;          //!< stepped wedge: trained from period `step` (1..steps); parallel: 0
};

//! A complete allocation: the spec, one assignment per therapist (in therapist id order) and the
//! hex SHA-256 of CanonicalText.
struct Allocation {
  TrialSpec spec;
  double stratum_cut = 0;  //!< median of the strata facet (scores <= cut are "low")
  std::vector<Assignment> assignments;
  std::string hash;
};

//! The fewest crossover steps of a stepped wedge: with one, training coincides with period 1.
inline constexpr int kMinWedgeSteps = 2;

//! INVALID_ARGUMENT naming `steps` for a stepped wedge of fewer than kMinWedgeSteps steps.
Result<void> CheckWedgeSteps(Design design, int steps);

//! Allocates. Deterministic for (spec, participants) whatever their order. INVALID_ARGUMENT naming
//! the field for a bad name, fewer than 2 arms, steps < 1 (< 2 for a stepped wedge), block multiples < 1, no participants,
//! a repeated therapist id, fewer therapists than steps (stepped wedge), or a schedule whose dates
//! are not YYYY-MM-DD, not increasing, or not one period start per period (parallel 1, else steps).
Result<Allocation> Allocate(const TrialSpec& spec, const std::vector<Participant>& participants);

//! The text that is hashed: one `key=value` line per spec field, the cut, then one line per
//! assignment. Any change to the spec, seed or any assignment changes it.
std::string CanonicalText(const Allocation& allocation);

//! Lower-case hex SHA-256 of `text`.
std::string Sha256Hex(std::string_view text);

//! Audits an allocation: its hash must match CanonicalText, and re-running Allocate from its spec
//! (seed included) and the participants must reproduce every assignment. CONFLICT naming the first
//! discrepancy (hash, or therapist and field) otherwise.
Result<void> VerifyAllocation(const Allocation& allocation, const std::vector<Participant>& participants);

//! The allocation as JSON text (spec, cut, assignments, hash) and back. ParseAllocationJson
//! refuses malformed text with INVALID_ARGUMENT naming the JSON path; it does not verify the hash.
std::string AllocationJson(const Allocation& allocation);
Result<Allocation> ParseAllocationJson(std::string_view text);

}  // namespace attune::trial
