#include "attune/core/format.hpp"

#include <fmt/core.h>

namespace attune {

std::pair<std::string, std::string> Apart(double a, double b, int min_digits) {
  // 17 significant digits tell any two doubles apart; past 17 decimals nothing more is gained.
  for (int digits = min_digits; digits <= 17; ++digits) {
    auto x = fmt::format("{:.{}f}", a, digits), y = fmt::format("{:.{}f}", b, digits);
    if (x != y) return {x, y};
  }
  return {fmt::format("{:.{}f}", a, min_digits), fmt::format("{:.{}f}", b, min_digits)};
}

std::string Shown(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02X}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace attune
