#pragma once
//! How every text report prints a p-value, so that a very small one never reads as 0.

#include <string>

namespace attune::stats {

//! A p-value for text: below 0.0001 it is "< 0.0001" (fixed-point printing showed "0.0000" and
//! "%g" showed "0" for an underflowed p); otherwise three significant digits, trailing zeros kept
//! ("0.0123", "0.456", "0.250", "1.00").
//! JSON keeps the number itself.
std::string FormatP(double p);

//! "p = 0.0123", or "p < 0.0001" below 0.0001.
std::string PText(double p);

}  // namespace attune::stats
