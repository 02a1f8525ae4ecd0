// An organisation's own monitoring thresholds (docs/monitor.md "Organisation settings"): parsed
// and checked here, applied over monitor::Config. Pure: text in, values out.
#include <fmt/core.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "attune/monitor/monitor.hpp"

namespace attune::monitor {
namespace {

using nlohmann::json;

// The WAI-SR total whose cutoff the setting moves, and its score range.
constexpr const char* kCutoffScale = "wai_sr.total";
constexpr double kCutoffLow = 12, kCutoffHigh = 60;

struct Field {
  const char* name;
  std::optional<double> Settings::*slot;
  double low, high;
  bool whole;  // an integer
  const char* expected;
};

constexpr Field kFields[] = {
    {"rupture_cutoff", &Settings::rupture_cutoff, 0, kCutoffHigh, false,
     "0 (no cutoff rule) or a WAI-SR total from 12 to 60"},
    {"rupture_z", &Settings::rupture_z, 0.5, 5, false, "a number from 0.5 to 5"},
    {"rupture_subscale_z", &Settings::rupture_subscale_z, 0.5, 5, false, "a number from 0.5 to 5"},
    {"rupture_size", &Settings::rupture_size, 0, 6, false, "a number from 0 (the plain rule) to 6"},
    {"repair_window", &Settings::repair_window, 1, 12, true, "a whole number of observations from 1 to 12"},
    {"repair_margin", &Settings::repair_margin, 0, 3, false, "a number of SDs from 0 to 3"},
    {"not_on_track_z", &Settings::not_on_track_z, 0.5, 3, false, "a number from 0.5 to 3"},
};

Unexpected Refuse(const std::string& field, const std::string& value, const std::string& expected) {
  return Fail(ErrorCode::INVALID_ARGUMENT,
              fmt::format("monitoring settings: {} = {} is not accepted; expected {}", field, value, expected), field);
}

// Shown values are cut so that a long value cannot flood a message.
std::string Shown(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 40) + "...";
  return text;
}

}  // namespace

Result<Settings> ApplySettingsPatch(Settings current, const std::string& patch) {
  json body;
  try {
    body = json::parse(patch);
  } catch (const json::exception&) {
    return Refuse("body", "(not JSON)", "a JSON object of monitoring settings");
  }
  if (!body.is_object()) return Refuse("body", Shown(body), "a JSON object of monitoring settings");
  for (const auto& [key, value] : body.items()) {
    const Field* field = nullptr;
    for (const auto& f : kFields) {
      if (key == f.name) field = &f;
    }
    if (field == nullptr) {
      std::string names;
      for (const auto& f : kFields) names += (names.empty() ? "" : ", ") + std::string(f.name);
      const std::string shown_key = key.size() > 40 ? key.substr(0, 40) + "..." : key;
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("monitoring settings: {} is not a setting; expected one of {}", shown_key, names),
                  shown_key);
    }
    if (value.is_null()) {
      (current.*field->slot).reset();
      continue;
    }
    if (!value.is_number()) return Refuse(key, Shown(value), std::string(field->expected) + ", or null for the default");
    const double v = value.get<double>();
    const bool in_range = std::isfinite(v) && v >= field->low && v <= field->high &&
                          !(field->whole && v != std::floor(v)) &&
                          !(key == "rupture_cutoff" && v != 0 && v < kCutoffLow);
    if (!in_range) return Refuse(key, Shown(value), field->expected);
    current.*field->slot = v;
  }
  return current;
}

std::string SettingsToJson(const Settings& s) {
  json out = json::object();
  for (const auto& f : kFields) {
    const auto& value = s.*f.slot;
    if (!value) continue;
    if (f.whole) {
      out[f.name] = static_cast<int>(*value);
    } else {
      out[f.name] = *value;
    }
  }
  return out.dump();
}

Config WithSettings(Config config, const Settings& s) {
  if (s.rupture_cutoff) {
    auto it = config.scales.find(kCutoffScale);
    if (it != config.scales.end()) {
      if (*s.rupture_cutoff == 0) {
        it->second.cutoff.reset();
      } else {
        it->second.cutoff = *s.rupture_cutoff;
      }
    }
  }
  if (s.rupture_z) config.rupture_z = *s.rupture_z;
  if (s.rupture_subscale_z) config.rupture_subscale_z = *s.rupture_subscale_z;
  if (s.rupture_size) config.rupture_size = *s.rupture_size;
  if (s.repair_window) config.repair_window = static_cast<int>(*s.repair_window);
  if (s.repair_margin) config.repair_margin = *s.repair_margin;
  if (s.not_on_track_z) config.not_on_track_z = *s.not_on_track_z;
  return config;
}

std::string EffectiveSettingsJson(const Config& config) {
  double cutoff = 0;
  auto it = config.scales.find(kCutoffScale);
  if (it != config.scales.end() && it->second.cutoff) cutoff = *it->second.cutoff;
  return json{{"rupture_cutoff", cutoff},
              {"rupture_z", config.rupture_z},
              {"rupture_subscale_z", config.rupture_subscale_z},
              {"rupture_size", config.rupture_size},
              {"repair_window", config.repair_window},
              {"repair_margin", config.repair_margin},
              {"not_on_track_z", config.not_on_track_z}}
      .dump();
}

}  // namespace attune::monitor
