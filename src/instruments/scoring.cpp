#include "attune/instruments/scoring.hpp"

#include "attune/core/format.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace attune::instruments {
namespace {

constexpr double kValueTolerance = 1e-9;

// Whether a range item's value lies on its steps from the minimum: 6.2 is 62 steps of 0.1
// (61.99999999999999 in binary) and 6.2000000001 as typed is close enough (a relative 1e-9);
// 6.24 is 62.4 steps and is not.
bool OnStep(const ResponseSpec& spec, double value) {
  if (spec.step <= 0) return true;
  const double steps = (value - spec.min) / spec.step;
  return std::fabs(steps - std::round(steps)) <= kValueTolerance * std::max(1.0, std::fabs(steps));
}

}  // namespace

std::string PermittedValues(const ResponseSpec& spec) {
  if (spec.IsRange()) {
    if (spec.step <= 0) return fmt::format("a number from {} to {}", FormatScore(spec.min), FormatScore(spec.max));
    if (spec.min == 0) {
      return fmt::format("a multiple of {} from 0 to {}", FormatScore(spec.step), FormatScore(spec.max));
    }
    return fmt::format("a number from {} to {} in steps of {} from {}", FormatScore(spec.min),
                       FormatScore(spec.max), FormatScore(spec.step), FormatScore(spec.min));
  }
  std::string text;
  for (const auto& option : spec.options) {
    if (!text.empty()) text += ", ";
    text += FormatScore(option.value);
  }
  return "one of " + text;
}

Result<double> AcceptedValue(const Item& item, double value) {
  const ResponseSpec& spec = item.response;
  if (spec.IsRange()) {
    if (!(std::isfinite(value) && value >= spec.min && value <= spec.max)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("item {}: value {} is outside {}..{}", item.id, value, FormatScore(spec.min),
                              FormatScore(spec.max)),
                  item.id);
    }
    if (!OnStep(spec, value)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("item {}: value {} is off the item's steps of {}; expected {}", item.id, value,
                              FormatScore(spec.step), PermittedValues(spec)),
                  item.id);
    }
    return value + 0.0;  // -0 is 0
  }
  if (value >= 0 && value < 64) {
    auto whole = static_cast<unsigned>(value);
    if (static_cast<double>(whole) == value && ((spec.small_int_mask >> whole) & 1U) != 0) {
      return static_cast<double>(whole);  // -0 is 0
    }
  }
  // Within the tolerance of an option the answer is that option, exactly: 1.0000000001 is 1 and
  // 1e-10 is 0 for the score, the stored answer and a risk rule ("above 0") alike.
  for (const auto& option : spec.options) {
    if (std::fabs(option.value - value) <= kValueTolerance) return option.value;
  }
  return Fail(ErrorCode::INVALID_ARGUMENT,
              fmt::format("item {}: value {} is not {}", item.id, value, PermittedValues(spec)), item.id);
}

namespace {

const Band* FindBand(const std::vector<Band>& bands, double score) {
  const Band* found = nullptr;
  for (const auto& band : bands) {
    if (band.min <= score) found = &band;
  }
  return found;
}

}  // namespace

std::string FormatScore(double score) {
  // Far beyond any score (an answer of 1e308 sent to be refused): as written, in exponent form.
  // Rounding to two decimals would overflow to "inf" or print hundreds of digits.
  if (!std::isfinite(score) || std::fabs(score) >= 1e15) return fmt::format("{}", score);
  double rounded = std::round(score * 100.0) / 100.0;
  if (rounded == std::floor(rounded) && std::fabs(rounded) < 1e15) {
    return fmt::format("{}", static_cast<long long>(rounded));
  }
  std::string text = fmt::format("{:.2f}", rounded);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

Result<void> ScoreInto(const Instrument& instrument, std::span<const double> values,
                       std::span<const unsigned char> present, ScoreResult& out) {
  const std::size_t n = instrument.items.size();
  if (values.size() != n || present.size() != n) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("answers: expected {} values (one per item), got {}", n, values.size()), "answers");
  }
  out.flags.clear();
  out.complete = true;
  out.values.assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const Item& item = instrument.items[i];
    if (!present[i]) {
      if (item.scored) out.complete = false;
      continue;
    }
    ATTUNE_TRY(value, AcceptedValue(item, values[i]));
    out.values[i] = value;
    if (item.risk && value > item.risk->above) out.flags.push_back(Flag{i, value});
  }

  out.scales.resize(instrument.scales.size());
  for (std::size_t s = 0; s < instrument.scales.size(); ++s) {
    const Scale& scale = instrument.scales[s];
    ScaleScore& result = out.scales[s];
    result = ScaleScore{};
    result.scale = s;
    double sum = 0;
    for (std::size_t index : scale.items) {
      if (!present[index]) continue;
      const Item& item = instrument.items[index];
      double v = out.values[index];
      sum += item.reverse ? item.response.min + item.response.max - v : v;
      ++result.answered;
    }
    if (result.answered < scale.min_answered) continue;  // not scorable: score stays empty
    const auto items = static_cast<double>(scale.items.size());
    const auto answered = static_cast<double>(result.answered);
    result.prorated = result.answered < scale.items.size();
    double score = scale.method == Method::MEAN ? sum / answered : sum * items / answered;
    // Decimal answers (0.1 steps on a line) must not miss a cutoff by a binary rounding error:
    // 6.3 + 6.3 + 6.2 + 6.2 is 25, not 24.999999999999996.
    score = std::round(score * 1e9) / 1e9;
    result.score = score;
    result.band = FindBand(scale.bands, score);
    if (scale.caseness) {
      result.caseness = scale.caseness->at_or_above ? score >= scale.caseness->cutoff : score <= scale.caseness->cutoff;
    }
  }
  return Ok();
}

Result<ScoreResult> Score(const Instrument& instrument, const Answers& answers) {
  const std::size_t n = instrument.items.size();
  if (answers.size() != n) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("answers: expected {} values (one per item), got {}", n, answers.size()), "answers");
  }
  std::vector<double> values(n, 0.0);
  std::vector<unsigned char> present(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (answers[i]) {
      values[i] = *answers[i];
      present[i] = 1;
    }
  }
  ScoreResult result;
  ATTUNE_CHECK(ScoreInto(instrument, values, present, result));
  return result;
}

Result<Answers> AnswersFromMap(const Instrument& instrument,
                               const std::map<std::string, std::optional<double>>& by_item) {
  Answers answers(instrument.items.size());
  for (const auto& [item_id, value] : by_item) {
    auto index = instrument.ItemIndex(item_id);
    if (!index) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("answers: \"{}\" is not an item of {} (items are {}..{})", item_id, instrument.id,
                              instrument.items.front().id, instrument.items.back().id),
                  "answers." + item_id);
    }
    answers[*index] = value;
  }
  return answers;
}

Result<Answers> ParseAnswerList(const Instrument& instrument, std::string_view text) {
  Answers answers;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string_view cell = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t')) cell.remove_prefix(1);
    while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t')) cell.remove_suffix(1);
    if (cell.empty()) {
      answers.emplace_back();
    } else {
      double value = 0;
      auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
      if (ec != std::errc() || end != cell.data() + cell.size()) {
        std::string item = answers.size() < instrument.items.size() ? instrument.items[answers.size()].id
                                                                     : fmt::format("#{}", answers.size() + 1);
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("item {}: value \"{}\" is not a number", item, Shown(cell)), item);
      }
      answers.emplace_back(value);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (answers.size() != instrument.items.size()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("answers: expected {} values (one per item), got {}", instrument.items.size(),
                            answers.size()),
                "answers");
  }
  return answers;
}

}  // namespace attune::instruments
