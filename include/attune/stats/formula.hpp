#pragma once
//! Model formulas in lme4's syntax: `y ~ x1 + log(x2) + (1 + x1 | g)`, `(1|g1/g2)`, `(1|g1) + (1|g2)`.

#include <string>
#include <string_view>
#include <vector>

#include "attune/core/result.hpp"

namespace attune::stats {

//! A variable as used in a formula: a column, optionally through log().
struct Variable {
  std::string column;
  bool log = false;
  //! How R names it: `x` or `log(x)`.
  std::string Label() const { return log ? "log(" + column + ")" : column; }
};

//! A random-effects term `(intercept + slopes | factor1:factor2...)`.
struct RandomTerm {
  bool intercept = true;
  std::vector<Variable> slopes;
  std::vector<std::string> factors;  //!< one grouping column, or several forming an interaction
  //! How lme4 names the grouping factor, e.g. `Subject` or `client:therapist`.
  std::string GroupLabel() const;
};

//! A parsed formula. Nested `(1|a/b)` is expanded to `(1|a) + (1|b:a)` as lme4 does.
struct Formula {
  Variable response;
  bool intercept = true;
  std::vector<Variable> fixed;
  std::vector<RandomTerm> random;
  //! Every column the formula uses (response, fixed, slopes, factors), without repeats.
  std::vector<std::string> Columns() const;
};

//! Parses a formula; INVALID_ARGUMENT naming the offending text for anything outside the syntax
//! above (interactions in fixed effects, functions other than log, `||`, etc.).
Result<Formula> ParseFormula(std::string_view text);

}  // namespace attune::stats
