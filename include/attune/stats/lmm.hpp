#pragma once
//! Linear mixed models fitted by REML or ML, as lme4 does: the profiled deviance of the penalised
//! least-squares system, minimised over the relative covariance factor theta by BOBYQA.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/stats/data_frame.hpp"

namespace attune::stats {

//! How to fit. `FitLmm(df, formula)` uses these defaults.
struct LmmOptions {
  bool reml = true;                    //!< REML criterion; false gives ML (deviance)
  bool conditional_variances = true;   //!< compute Var(b | y) per level (costly for very many levels)
  int max_evaluations = 20000;         //!< deviance evaluations allowed to the optimiser
  double ftol_rel = 1e-13;             //!< optimiser's relative tolerance on the objective
  double xtol_abs = 1e-9;              //!< optimiser's absolute tolerance on theta
  double gradient_tolerance = 2e-3;    //!< max min(|g|, |chol(H)^-T g|) accepted as converged (lme4's rule)
};

//! One fixed effect: estimate, standard error and t value (no p: its df are not defined).
struct FixedEffect {
  std::string term;
  double estimate = 0, se = 0, t = 0;
};

//! One row of VarCorr as R's as.data.frame(VarCorr(m)): a variance (var2 empty; sd = its root) or
//! a covariance (var2 set; variance = covariance, sd = correlation). Residual: var1 empty.
struct VarCorrRow {
  std::string group;
  std::string var1;
  std::string var2;
  double variance = 0;
  double sd = 0;
};

//! Conditional modes of one grouping factor: values[level][term], cond_var[level] row-major p x p.
struct RandomEffects {
  std::string group;
  std::vector<std::string> terms;
  std::vector<std::string> levels;
  std::vector<std::vector<double>> values;
  std::vector<std::vector<double>> cond_var;  //!< empty when not requested
};

//! Intraclass correlation of a grouping factor's intercept: its variance over the sum of all
//! intercept variances and the residual variance.
struct Icc {
  std::string group;
  double icc = 0;
};

//! What the optimiser did, stated plainly.
struct LmmConvergence {
  bool converged = false;
  int evaluations = 0;
  //! max over theta of min(|g|, |chol(H)^-T g|), finite differences; absent when the objective
  //! next to the optimum is not finite (the check could not be made; the fit is not converged)
  std::optional<double> max_abs_gradient;
  bool singular = false;         //!< a variance at zero or a correlation at +-1 (boundary fit)
  std::string optimizer_status;  //!< NLopt's result code name
  std::vector<std::string> messages;
};

//! A fitted linear mixed model.
struct LmmFit {
  bool reml = true;
  double objective = 0;  //!< REML criterion or deviance (-2 log-likelihood), as lme4 reports
  double loglik = 0, aic = 0, bic = 0;
  std::size_t nobs = 0, dropped = 0, npar = 0;
  std::vector<FixedEffect> fixef;
  std::vector<std::vector<double>> fixef_cov;
  std::vector<VarCorrRow> varcorr;  //!< grouping factors in lme4's order, then Residual
  double sigma = 0;
  std::vector<double> theta;
  std::vector<RandomEffects> ranef;
  std::vector<Icc> icc;
  LmmConvergence convergence;
};

//! Fits a formula such as "y ~ x + (1|g)", "(x|g)", "(1|g1/g2)", "(1|g1) + (1|g2)" with listwise
//! deletion. INVALID_ARGUMENT for a formula without random terms, a grouping factor with fewer
//! than 2 levels or as many levels as observations, or a rank-deficient fixed-effects matrix.
Result<LmmFit> FitLmm(const DataFrame& df, const std::string& formula, const LmmOptions& options = {});

}  // namespace attune::stats
