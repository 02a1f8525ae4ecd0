#pragma once
//! The stats module's facade: data frames, formulas, correlation, OLS, reliability, mixed models
//! and mediation. Pure functions over values; errors are Result values (docs/stats.md).

#include "attune/stats/correlation.hpp"  // IWYU pragma: export
#include "attune/stats/data_frame.hpp"   // IWYU pragma: export
#include "attune/stats/formula.hpp"      // IWYU pragma: export
#include "attune/stats/lmm.hpp"          // IWYU pragma: export
#include "attune/stats/mediation.hpp"    // IWYU pragma: export
#include "attune/stats/p_value.hpp"      // IWYU pragma: export
#include "attune/stats/regression.hpp"   // IWYU pragma: export
#include "attune/stats/reliability.hpp"  // IWYU pragma: export
