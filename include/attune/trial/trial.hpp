#pragma once
//! Facade of module `trial`: the randomised therapist mindfulness-training trial (docs/trial.md).
//! Pure logic: allocation, pre-registration, analysis and simulation over values.

#include "attune/trial/allocation.hpp"    // IWYU pragma: export
#include "attune/trial/analysis.hpp"      // IWYU pragma: export
#include "attune/trial/registration.hpp"  // IWYU pragma: export
#include "attune/trial/simulate.hpp"      // IWYU pragma: export
