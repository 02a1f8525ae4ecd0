#pragma once
//! Numbers and text as messages show them, so that what is printed agrees with what was decided
//! and a value given is shown as given, control characters included.

#include <string>
#include <string_view>
#include <utility>

namespace attune {

//! `a` and `b` written with `min_digits` decimals, or with as many more as it takes for them to
//! read apart ("6.750 ... 6.749", not "6.75 ... 6.75"); equal values with `min_digits`.
std::pair<std::string, std::string> Apart(double a, double b, int min_digits = 1);

//! `text` for a message: control characters written as escapes (a carriage return as \r, a line
//! feed as \n, a tab as \t, others as \xNN), the rest as it is.
std::string Shown(std::string_view text);

}  // namespace attune
