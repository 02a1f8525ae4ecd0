#pragma once
//! Pearson and Spearman correlation with p-values, Fisher-z intervals, matrices and p adjustment.

#include <cstddef>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/stats/data_frame.hpp"

namespace attune::stats {

enum class CorrelationMethod { PEARSON, SPEARMAN };

//! How a correlation's p-value was found, as R's cor.test does by default.
enum class PMethod {
  T,          //!< t with n-2 df (Pearson; Spearman with ties or n > kSpearmanExactLimit)
  EXACT,      //!< Spearman, no ties, n <= kSpearmanEnumerateLimit: counting all n! permutations
  EDGEWORTH,  //!< Spearman, no ties, larger n up to kSpearmanExactLimit: AS 89's Edgeworth series
};

//! "t", "exact" or "edgeworth" (the JSON's `p_method`).
const char* PMethodName(PMethod method);

//! Spearman p-values without ties: by enumeration up to this n, by AS 89 up to the next (R's limits).
inline constexpr std::size_t kSpearmanEnumerateLimit = 9;
inline constexpr std::size_t kSpearmanExactLimit = 1290;

//! One correlation: r, two-sided p (`p_method`), Fisher-z 95% CI (SE 1/sqrt(n-3); Spearman
//! sqrt(1.06/(n-3))).
struct Correlation {
  std::string x, y;
  std::size_t n = 0;
  std::size_t dropped = 0;  //!< rows dropped for missing x or y
  double r = 0, t = 0, p = 1, ci_low = 0, ci_high = 0;
  PMethod p_method = PMethod::T;
};

//! Pr[S >= s] (or Pr[S < s] with `lower`) for Spearman's S = sum of squared rank differences of n
//! untied pairs under independence (n >= 2): exact for n <= kSpearmanEnumerateLimit, else AS 89's
//! Edgeworth series approximation (Best & Roberts 1975), as R's prho.
double SpearmanTail(std::size_t n, double s, bool lower);

//! Correlates two columns of equal length; Spearman's p as R's cor.test (exact = TRUE default):
//! exact or AS 89 without ties up to n = 1290, else t. INVALID_ARGUMENT when n < 4 or a column is
//! constant.
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

//! Pearson's r of two equally long, non-constant vectors (n >= 2), safe at any scale of the data
//! (each is divided by its largest magnitude first).
double PearsonR(const std::vector<double>& x, const std::vector<double>& y);

//! Average ranks (ties share their mean rank), 1-based as R's rank().
std::vector<double> Ranks(const std::vector<double>& x);

}  // namespace attune::stats
