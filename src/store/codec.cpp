#include "store/codec.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <chrono>
#include <ctime>

namespace attune::store::detail {

std::string EncodeAnswers(const std::vector<std::optional<double>>& answers) {
  std::string out;
  out.reserve(answers.size() * 3);
  EncodeAnswersInto(answers, out);
  return out;
}

void EncodeAnswersInto(const std::vector<std::optional<double>>& answers, std::string& out) {
  out.clear();
  char buffer[32];
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (i > 0) out += ',';
    if (!answers[i]) continue;
    const double value = *answers[i];
    if (value >= 0 && value <= 9 && !std::signbit(value) && value == static_cast<double>(static_cast<int>(value))) {
      out += static_cast<char>('0' + static_cast<int>(value));  // the common case, as to_chars writes it
      continue;
    }
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
  }
}

Result<std::vector<std::optional<double>>> DecodeAnswers(std::string_view text) {
  std::vector<std::optional<double>> answers;
  if (text.empty()) return answers;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string_view field = text.substr(start, comma == std::string_view::npos ? text.size() - start : comma - start);
    if (field.empty()) {
      answers.emplace_back();
    } else {
      double value = 0;
      auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (ec != std::errc() || end != field.data() + field.size()) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("answer {} is '{}', expected a number", answers.size() + 1, field),
                    "answers");
      }
      answers.emplace_back(value);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return answers;
}

std::string EncodeList(const std::vector<std::string>& values) {
  return nlohmann::json(values).dump();
}

std::vector<std::string> DecodeList(const std::string& json) {
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_array()) return {};
  std::vector<std::string> out;
  for (const auto& value : parsed) {
    if (value.is_string()) out.push_back(value.get<std::string>());
  }
  return out;
}

std::string EncodeMap(const std::map<std::string, double>& values) {
  return nlohmann::json(values).dump();
}

std::map<std::string, double> DecodeMap(const std::string& json) {
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  std::map<std::string, double> out;
  if (!parsed.is_object()) return out;
  for (const auto& [key, value] : parsed.items()) {
    if (value.is_number()) out[key] = value.get<double>();
  }
  return out;
}

std::string NowUtc() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

}  // namespace attune::store::detail
