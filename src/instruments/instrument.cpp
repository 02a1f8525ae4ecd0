#include "attune/instruments/instrument.hpp"

#include <fmt/core.h>

namespace attune::instruments {

Result<Use> ParseUse(std::string_view text) {
  if (text == "clinical") return Use::CLINICAL;
  if (text == "research") return Use::RESEARCH;
  if (text == "commercial") return Use::COMMERCIAL;
  return Fail(ErrorCode::INVALID_ARGUMENT,
              fmt::format("use: \"{}\" is not one of clinical, research, commercial", text), "use");
}

const char* UseName(Use use) {
  switch (use) {
    case Use::CLINICAL: return "clinical";
    case Use::RESEARCH: return "research";
    case Use::COMMERCIAL: return "commercial";
  }
  return "unknown";
}

std::optional<bool> Licence::For(Use use) const {
  switch (use) {
    case Use::CLINICAL: return clinical;
    case Use::RESEARCH: return research;
    case Use::COMMERCIAL: return commercial;
  }
  return std::nullopt;
}

std::optional<std::size_t> Instrument::ItemIndex(std::string_view item_id) const {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].id == item_id) return i;
  }
  return std::nullopt;
}

const Scale* Instrument::FindScale(std::string_view scale_id) const {
  for (const auto& scale : scales) {
    if (scale.id == scale_id) return &scale;
  }
  return nullptr;
}

Result<void> CheckPermitted(const Instrument& instrument, Use use) {
  std::optional<bool> permitted = instrument.licence.For(use);
  if (permitted.value_or(false)) return Ok();
  std::string holder = instrument.licence.holder.empty() ? "the licence holder" : instrument.licence.holder;
  return Fail(ErrorCode::NOT_PERMITTED,
              fmt::format("instrument {}: its licence does not permit {} use (permitted_uses.{} is {}); "
                          "obtain a licence from {} and declare it in an overlay file (--overlay)",
                          instrument.id, UseName(use), UseName(use),
                          permitted.has_value() ? "false" : "unknown", holder),
              "instrument");
}

}  // namespace attune::instruments
