#pragma once
//! Ordinary least squares, and regression from a correlation matrix (published tables).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/stats/data_frame.hpp"

namespace attune::stats {

//! One coefficient. std_beta and vif are absent for the intercept.
struct Coefficient {
  std::string term;
  double estimate = 0, se = 0, t = 0, p = 1, ci_low = 0, ci_high = 0;
  std::optional<double> std_beta;
  std::optional<double> vif;
};

//! An OLS fit as R's lm() + summary() report it, with standardised betas and VIFs.
struct OlsFit {
  std::size_t n = 0, dropped = 0;
  std::vector<Coefficient> coef;
  double r2 = 0, adj_r2 = 0, f = 0, f_p = 1;
  std::optional<double> sigma;  //!< residual SD; absent from a correlation matrix (no scale)
  double df1 = 0, df2 = 0;
  std::vector<double> residuals;  //!< in the order of the rows used
};

//! Fits `formula` (fixed effects only, e.g. "y ~ x1 + log(x2) + group") by least squares with
//! listwise deletion. INVALID_ARGUMENT for random terms, collinear or constant columns, too few rows.
Result<OlsFit> Regress(const DataFrame& df, const std::string& formula);

//! Fits y on the named columns (intercept included).
Result<OlsFit> Regress(const DataFrame& df, const std::string& y, const std::vector<std::string>& x);

//! Regression of y on x from a correlation matrix and n: standardised betas with SE, t and p
//! (df n-k-1), R^2, adjusted R^2, F. `names` label the matrix rows. INVALID_ARGUMENT when the
//! matrix is not square, symmetric, unit-diagonal, positive definite, or n <= k + 1.
Result<OlsFit> RegressFromCorrelation(const std::vector<std::vector<double>>& cor,
                                      const std::vector<std::string>& names, std::size_t n,
                                      const std::string& y, const std::vector<std::string>& x);

}  // namespace attune::stats
