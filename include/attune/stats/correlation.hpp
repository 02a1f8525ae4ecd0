#pragma once
//! Pearson and Spearman correlation with p-values, Fisher-z intervals, matrices and p adjustment.

#include <cstddef>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/stats/data_frame.hpp"

namespace attune::stats {

enum class CorrelationMethod { PEARSON, SPEARMAN };

//! One correlation: r, two-sided p (t with n-2 df, as R's cor.test for large n), Fisher-z 95% CI
//! (SE 1/sqrt(n-3); Spearman sqrt(1.06/(n-3))).
struct Correlation {
  std::string x, y;
  std::size_t n = 0;
  std::size_t dropped = 0;  //!< rows dropped for missing x or y
  double r = 0, t = 0, p = 1, ci_low = 0, ci_high = 0;
};

//! Correlates two columns of equal length. INVALID_ARGUMENT when n < 4 or a column is constant.
Result<Correlation> Correlate(const std::vector<double>& x, const std::vector<double>& y,
                              CorrelationMethod method = CorrelationMethod::PEARSON);

//! Correlates two columns of a data frame after pairwise deletion of missing rows.
Result<Correlation> Correlate(const DataFrame& df, const std::string& x, const std::string& y,
                              CorrelationMethod method = CorrelationMethod::PEARSON);

//! p and Fisher-z CI for a correlation known only as r and n (e.g. from a published table).
//! INVALID_ARGUMENT when |r| > 1 or n < 4.
Result<Correlation> CorrelationFromR(double r, std::size_t n, CorrelationMethod method = CorrelationMethod::PEARSON);

enum class PAdjust { NONE, HOLM, BH };

//! Holm or Benjamini-Hochberg adjusted p-values (as R's p.adjust), in input order.
std::vector<double> AdjustP(const std::vector<double>& p, PAdjust method);

//! Upper-triangle correlations of the named columns (listwise deletion), with adjusted p.
struct CorrelationMatrix {
  std::vector<std::string> names;
  std::size_t n = 0, dropped = 0;
  std::vector<std::vector<double>> r;  //!< full symmetric matrix
  std::vector<Correlation> pairs;      //!< i < j, row-major
  std::vector<double> p_adjusted;      //!< for pairs, by the requested method
};

//! Correlation matrix over complete rows. INVALID_ARGUMENT for fewer than 2 columns.
Result<CorrelationMatrix> CorrelateAll(const DataFrame& df, const std::vector<std::string>& columns,
                                       CorrelationMethod method = CorrelationMethod::PEARSON,
                                       PAdjust adjust = PAdjust::HOLM);

//! Average ranks (ties share their mean rank), 1-based as R's rank().
std::vector<double> Ranks(const std::vector<double>& x);

}  // namespace attune::stats
