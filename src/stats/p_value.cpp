#include "attune/stats/p_value.hpp"

#include <fmt/core.h>

namespace attune::stats {

namespace {
constexpr double kSmallest = 0.0001;
}  // namespace

std::string FormatP(double p) {
  if (p < kSmallest) return "< 0.0001";
  // '#' keeps the trailing zeros that are significant digits: 0.25 is "0.250", not "0.25".
  return fmt::format("{:#.3g}", p);
}

std::string PText(double p) { return p < kSmallest ? "p < 0.0001" : "p = " + FormatP(p); }

}  // namespace attune::stats
