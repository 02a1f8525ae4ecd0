#include "attune/core/constraints.hpp"

#include <fmt/core.h>

#include <charconv>

namespace attune {

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

Result<Constraint> ParseConstraint(std::string_view text, const std::string& field) {
  auto refuse = [&] {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("{} is \"{}\"; expected {}", field, text, kConstraintForms),
                field);
  };
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return refuse();
  const std::string_view key = text.substr(0, colon), value = text.substr(colon + 1);
  // "language:" or "location: Leeds" would match no therapist: a filter that silently fails.
  if (value.empty() || IsSpace(value.front()) || IsSpace(value.back())) return refuse();
  Constraint c;
  c.value = std::string(value);
  if (key == "language") {
    c.kind = Constraint::Kind::LANGUAGE;
  } else if (key == "location") {
    c.kind = Constraint::Kind::LOCATION;
  } else if (key == "modality" && (value == "in_person" || value == "video")) {
    c.kind = Constraint::Kind::MODALITY;
  } else if (key == "risk" && value == "high") {
    c.kind = Constraint::Kind::RISK;
  } else if (key == "exclude") {
    c.kind = Constraint::Kind::EXCLUDE;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), c.therapist_id);
    if (ec != std::errc() || end != value.data() + value.size() || c.therapist_id < 1) return refuse();
  } else {
    return refuse();
  }
  return c;
}

}  // namespace attune
