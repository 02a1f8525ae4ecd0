#pragma once
//! Internal consistency of a scale: Cronbach's alpha, item statistics, omega total.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/stats/data_frame.hpp"

namespace attune::stats {

//! How to read the items.
struct ReliabilityOptions {
  std::vector<std::string> reverse;  //!< items scored as (min + max - x)
  std::optional<double> min, max;    //!< response range; required when `reverse` is not empty
};

//! Per-item statistics.
struct ItemStats {
  std::string item;
  double r_drop = 0;            //!< correlation with the sum of the other items
  std::optional<double> alpha_if_dropped;  //!< raw alpha of the other items (absent for 2 items)
  std::optional<double> loading;     //!< one-factor ML loading (covariance metric); absent below 3 items
  std::optional<double> uniqueness;  //!< one-factor ML residual variance; absent below 3 items
};

//! The fewest items whose one-factor model is identified (with 2, only l1·l2 is fixed).
inline constexpr std::size_t kOmegaMinItems = 3;

//! A standardised uniqueness (residual over item variance) below this is a Heywood case.
inline constexpr double kHeywoodUniqueness = 1e-3;

//! Reliability as psych::alpha and a one-factor ML CFA (lavaan, std.lv) report it.
struct Reliability {
  std::size_t n = 0, dropped = 0, k = 0;
  double alpha = 0, alpha_std = 0;
  double alpha_ci_low = 0, alpha_ci_high = 0;  //!< Feldt 95%
  std::optional<double> omega_total;  //!< absent when not available; `omega_note` says why
  bool omega_converged = false;
  std::string omega_note;  //!< why omega is not available (fewer than 3 items, Heywood case, no convergence)
  std::vector<ItemStats> items;
};

//! Computes reliability over complete rows. INVALID_ARGUMENT for fewer than 2 items, unknown or
//! non-numeric items, values outside [min, max], constant items, or fewer than 3 complete rows.
Result<Reliability> AnalyzeReliability(const DataFrame& df, const std::vector<std::string>& items,
                                       const ReliabilityOptions& options = {});

}  // namespace attune::stats
