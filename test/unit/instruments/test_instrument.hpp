#pragma once
// A small hand-written instrument for unit tests, and the shipped catalogue.
#include <string>

#include "attune/instruments/instruments.hpp"

namespace attune::instruments::testing {

// Four items 0-3 (item b reverse keyed, item d a risk item), scale "total" = sum of a..d with
// proration from 3 answered, bands 0-3 low, 4-7 mid, 8-12 high; caseness at or above 8.
inline std::string TinyJson() {
  return R"({
    "id": "tiny", "version": "1.0", "title": "Tiny", "respondent": "client",
    "response_sets": {"f4": [{"value": 0, "label": "never"}, {"value": 1, "label": "sometimes"},
                             {"value": 2, "label": "often"}, {"value": 3, "label": "always"}]},
    "items": [
      {"id": "a", "label": "Item a", "response": "f4"},
      {"id": "b", "label": "Item b", "response": "f4", "reverse": true},
      {"id": "c", "label": "Item c", "response": "f4"},
      {"id": "d", "label": "Item d", "response": "f4", "risk": {"above": 0, "label": "risk"}},
      {"id": "e", "label": "Item e", "response": "f4", "scored": false}
    ],
    "scales": [{"id": "total", "items": ["a", "b", "c", "d"], "method": "sum", "min_answered": 3,
                "proration": "prorate", "higher_is": "worse", "range": [0, 12],
                "bands": [{"min": 0, "max": 3, "label": "low"}, {"min": 4, "max": 7, "label": "mid"},
                          {"min": 8, "max": 12, "label": "high"}],
                "caseness": {"at_or_above": 8}}],
    "citation": "test", "scoring_source": "test",
    "licence": {"holder": "nobody", "terms": "test", "item_text_may_ship": false,
                "permitted_uses": {"clinical": true, "research": null}}
  })";
}

inline Instrument Tiny() {
  auto parsed = ParseInstrument(TinyJson(), "tiny.json");
  if (!parsed) throw std::runtime_error(parsed.error().message);
  return std::move(*parsed);
}

inline const Catalogue& Shipped() {
  static const Catalogue catalogue = [] {
    auto loaded = Catalogue::LoadDirectory(std::string(ATTUNE_SOURCE_DIR) + "/instruments");
    if (!loaded) throw std::runtime_error(loaded.error().message);
    return std::move(*loaded);
  }();
  return catalogue;
}

}  // namespace attune::instruments::testing
