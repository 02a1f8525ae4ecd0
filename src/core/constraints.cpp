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

Result<std::vector<Constraint>> ParseConstraints(const std::vector<std::string>& texts) {
  std::vector<Constraint> out;
  out.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string field = fmt::format("constraints[{}]", i);
    ATTUNE_TRY(c, ParseConstraint(texts[i], field));
    for (std::size_t k = 0; k < out.size(); ++k) {
      const Constraint& earlier = out[k];
      if (earlier.kind != c.kind) continue;
      const bool same = c.kind == Constraint::Kind::EXCLUDE ? earlier.therapist_id == c.therapist_id
                                                            : earlier.value == c.value;
      if (same) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("{} is \"{}\", the same as constraints[{}] \"{}\"; expected each constraint once", field,
                                texts[i], k, texts[k]),
                    field);
      }
      if (c.kind == Constraint::Kind::MODALITY) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("{} is \"{}\" after constraints[{}] \"{}\"; expected one modality:in_person or "
                                "modality:video (a client who can meet either way gives none)",
                                field, texts[i], k, texts[k]),
                    field);
      }
      if (c.kind == Constraint::Kind::LOCATION) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("{} is \"{}\" after constraints[{}] \"{}\"; expected one location:<place>", field,
                                texts[i], k, texts[k]),
                    field);
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool ClientOwns(Constraint::Kind kind) {
  return kind == Constraint::Kind::LANGUAGE || kind == Constraint::Kind::MODALITY;
}

}  // namespace attune
