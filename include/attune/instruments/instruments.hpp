#pragma once
//! Facade of module `instruments`: definitions, scoring and change.
#include "attune/instruments/change.hpp"      // IWYU pragma: export
#include "attune/instruments/instrument.hpp"  // IWYU pragma: export
#include "attune/instruments/scoring.hpp"     // IWYU pragma: export
