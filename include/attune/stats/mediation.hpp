#pragma once
//! Simple mediation X -> M -> Y with a percentile bootstrap interval for the indirect effect.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/stats/data_frame.hpp"

namespace attune::stats {

//! Bootstrap settings. The same seed gives the same interval on every platform.
//! The fewest clusters a cluster bootstrap should resample (attune analyze mediate --cluster and the
//! API's mediation by therapist): with G clusters a resample is one of at most C(2G-1, G)
//! distinct draws (126 for G = 5), and the percentile interval under-covers with few clusters
//! (Cameron, Gelbach & Miller 2008, Rev. Econ. Stat. 90:414-427).
inline constexpr std::size_t kMinBootstrapClusters = 10;

struct MediationOptions {
  int resamples = 5000;
  std::uint64_t seed = 20150101;
  std::string cluster;                 //!< resample whole clusters (e.g. therapists) when set
  //! fewest clusters a cluster bootstrap accepts: with few, the resamples take few distinct values
  //! and the percentile interval is too narrow (analyze mediate asks for 10)
  std::size_t min_clusters = 2;
  std::vector<std::string> covariates; //!< added to both the M and the Y model
  double level = 0.95;
};

//! A path coefficient with its OLS standard error and p.
struct Path {
  double estimate = 0, se = 0, p = 1;
};

//! a: X -> M; b: M -> Y given X; c: total X -> Y; c_prime: direct X -> Y given M; ab = a * b.
struct Mediation {
  std::size_t n = 0, dropped = 0, clusters = 0;
  Path a, b, c, c_prime;
  double ab = 0;
  double ab_ci_low = 0, ab_ci_high = 0;
  int resamples = 0;
  int failed_resamples = 0;  //!< resamples whose regressions were singular (left out of the CI)
  std::uint64_t seed = 0;
};

//! Fits the three regressions and bootstraps ab. INVALID_ARGUMENT for unknown or non-numeric
//! columns, resamples < 100, level outside (0, 1), fewer than 2 clusters, or singular models.
Result<Mediation> Mediate(const DataFrame& df, const std::string& x, const std::string& m, const std::string& y,
                          const MediationOptions& options = {});

}  // namespace attune::stats
