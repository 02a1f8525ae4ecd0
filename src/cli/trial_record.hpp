#pragma once
// Private to the cli module: recording a trial's allocation, shared by `attune trial create` and
// `attune sim clinic --trial` (both in docs/trial.md). Defined in trial_commands.cpp.

#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/store/store.hpp"
#include "attune/trial/allocation.hpp"

namespace attune::cli {

//! Allocates `participants` by `spec`, writes NAME.preregistration.json and .md into `out_dir`
//! (each whole, or not at all) and then stores the allocation in the organisation's audit log
//! (action trial.allocate, entity trial, id = the name). ALREADY_EXISTS when the name was used
//! before; INVALID_ARGUMENT naming --out-dir when a file cannot be written, and then nothing is
//! recorded. Returns the allocation and the audit entry's sequence number.
Result<std::pair<trial::Allocation, std::int64_t>> RecordAllocation(store::Store& store, OrgId org,
                                                                    const trial::TrialSpec& spec,
                                                                    const std::vector<trial::Participant>& participants,
                                                                    const std::string& out_dir,
                                                                    const std::string& actor);

}  // namespace attune::cli
