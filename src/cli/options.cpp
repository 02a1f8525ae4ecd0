#include "cli/options.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace attune::cli {

namespace {

// The value as a finite plain decimal number (12, -0.5, 1e3), or nothing: the whole text must be
// read. std::from_chars reads what `score --answers` takes, as strtod does not: no hexadecimal
// (0x10, 0x1p3), no leading '+' or blanks, no locale.
bool ReadNumber(const std::string& text, double* out) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool IsWholeNumber(const std::string& text) {
  if (text.empty() || text.size() > 19) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The largest whole number any option holds (a signed 64-bit integer; an int holds less).
constexpr long long kMaxWhole = std::numeric_limits<long long>::max();

// Digits only, and more than kMaxWhole: a whole number, but too large for any option.
bool IsTooLarge(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  const std::string digits = text.substr(std::min(text.find_first_not_of('0'), text.size()));
  const std::string max = std::to_string(kMaxWhole);
  return digits.size() > max.size() || (digits.size() == max.size() && digits > max);
}

[[noreturn]] void Refuse(const CLI::Option* option, const std::string& value, const std::string& expected) {
  throw OptionValueError(fmt::format("{} is \"{}\"; expected {}", option->get_name(), value, expected));
}

std::string Bound(double v) { return fmt::format("{}", v); }

}  // namespace

CLI::Option* InRange(CLI::Option* option, double lo, double hi) {
  const bool whole = option->get_type_name().rfind("INT", 0) == 0 || option->get_type_name().rfind("UINT", 0) == 0;
  option->check(CLI::Validator(
      [option, lo, hi, whole](std::string& value) -> std::string {
        double v = 0;
        if (!ReadNumber(value, &v)) return {};  // CheckNumericOptions names the fault
        if (v >= lo && v <= hi) return {};
        const std::string kind = whole ? "a whole number" : "a number";
        if (std::isinf(hi)) Refuse(option, value, fmt::format("{} of at least {}", kind, Bound(lo)));
        if (std::isinf(lo)) Refuse(option, value, fmt::format("{} of at most {}", kind, Bound(hi)));
        Refuse(option, value, fmt::format("{} from {} to {}", kind, Bound(lo), Bound(hi)));
      },
      ""));
  return option;
}

CLI::Option* Between(CLI::Option* option, double lo, double hi) {
  option->check(CLI::Validator(
      [option, lo, hi](std::string& value) -> std::string {
        double v = 0;
        if (!ReadNumber(value, &v)) return {};  // CheckNumericOptions names the fault
        if (v > lo && v < hi) return {};
        Refuse(option, value, fmt::format("a number greater than {} and less than {}", Bound(lo), Bound(hi)));
      },
      ""));
  return option;
}

CLI::Option* OneOf(CLI::Option* option, std::vector<std::string> values) {
  option->check(CLI::Validator(
      [option, values = std::move(values)](std::string& value) -> std::string {
        if (std::find(values.begin(), values.end(), value) != values.end()) return {};
        std::string list;
        for (const auto& v : values) list += (list.empty() ? "" : ", ") + v;
        Refuse(option, value, "one of " + list);
      },
      ""));
  return option;
}

CLI::Option* ZeroOrAtLeast(CLI::Option* option, double least, const std::string& zero_means) {
  option->check(CLI::Validator(
      [option, least, zero_means](std::string& value) -> std::string {
        double v = 0;
        if (!ReadNumber(value, &v)) return {};  // CheckNumericOptions names the fault
        if (v == 0 || v >= least) return {};
        Refuse(option, value, fmt::format("0 ({}) or at least {}", zero_means, Bound(least)));
      },
      ""));
  return option;
}

CLI::Option* NotBlank(CLI::Option* option) {
  option->check(CLI::Validator(
      [option](std::string& value) -> std::string {
        if (value.find_first_not_of(" \t\r\n") == std::string::npos) Refuse(option, value, "a value that is not blank");
        return {};
      },
      ""));
  return option;
}

CLI::Option* MinLength(CLI::Option* option, std::size_t least, const std::string& what) {
  option->check(CLI::Validator(
      [option, least, what](std::string& value) -> std::string {
        const auto first = value.find_first_not_of(" \t\r\n");
        const std::size_t length =
            first == std::string::npos ? 0 : value.find_last_not_of(" \t\r\n") - first + 1;
        if (length < least) Refuse(option, value, fmt::format("{}, at least {} characters", what, least));
        return {};
      },
      ""));
  return option;
}

CLI::Option* StoredText(CLI::Option* option, TextLines lines) {
  option->check(CLI::Validator(
      [option, lines](std::string& value) -> std::string {
        // The value is not shown: it may not be printable.
        if (auto text = CheckText(value, option->get_name(), lines); !text) throw OptionValueError(text.error().message);
        return {};
      },
      ""));
  return option;
}

std::string LargestWhole(CLI::Option* option) {
  // The one narrower type options have is int: its largest value plus one does not convert.
  const auto int_max = static_cast<long long>(std::numeric_limits<int>::max());
  try {
    option->clear();
    option->add_result(std::to_string(int_max + 1));
    option->run_callback();
  } catch (const std::exception&) {
    return std::to_string(int_max);
  }
  return std::to_string(kMaxWhole);
}

void CheckNumericOptions(CLI::App& app) {
  for (CLI::Option* option : app.get_options([](CLI::Option*) { return true; })) {
    if (option->get_expected_min() == 0) continue;  // a flag
    const std::string type = option->get_type_name();
    const std::string base = type.substr(0, type.find(':'));
    if (base == "INT" || base == "UINT") {
      option->check(CLI::Validator(
          [option](std::string& value) -> std::string {
            if (IsTooLarge(value)) throw TooLargeError(option, value);
            if (!IsWholeNumber(value)) Refuse(option, value, "a whole number (0 or more)");
            return {};
          },
          ""));
    } else if (base == "FLOAT") {
      option->check(CLI::Validator(
          [option](std::string& value) -> std::string {
            double v = 0;
            if (!ReadNumber(value, &v)) Refuse(option, value, "a number (decimal, such as 12 or -0.5)");
            return {};
          },
          ""));
    }
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) CheckNumericOptions(*sub);
}

}  // namespace attune::cli
