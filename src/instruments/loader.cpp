// Loading and validating instrument definitions (docs/instruments.md describes the schema).
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "attune/instruments/instrument.hpp"
#include "instruments/json_reader.hpp"

namespace attune::instruments {
namespace {

using detail::Node;
using Json = nlohmann::json;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

bool IsIdentifier(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Result<std::string> Identifier(const Node& node, const char* key) {
  ATTUNE_TRY(text, node.StringField(key));
  if (!IsIdentifier(text)) {
    ATTUNE_TRY(child, node.Child(key));
    return child.Refuse(fmt::format("\"{}\" is not an identifier (expected lower-case letters, digits, _)", text));
  }
  return text;
}

Result<std::vector<Option>> ParseOptions(const Node& node) {
  ATTUNE_TRY(size, node.ArraySize());
  if (size == 0) return node.Refuse("a response set needs at least one option");
  std::vector<Option> options;
  std::set<double> seen;
  for (std::size_t i = 0; i < size; ++i) {
    Node entry = node.At(i);
    Option option;
    ATTUNE_TRY(value, entry.NumberField("value"));
    ATTUNE_TRY(label, entry.OptionalString("label"));
    if (!seen.insert(value).second) {
      return entry.Refuse(fmt::format("value {} appears twice in the response set", value));
    }
    option.value = value;
    option.label = std::move(label);
    options.push_back(std::move(option));
  }
  return options;
}

void SetBounds(ResponseSpec& spec) {
  auto [lo, hi] = std::minmax_element(spec.options.begin(), spec.options.end(),
                                      [](const Option& a, const Option& b) { return a.value < b.value; });
  spec.min = lo->value;
  spec.max = hi->value;
  for (const auto& option : spec.options) {
    if (option.value >= 0 && option.value < 64 && option.value == std::floor(option.value)) {
      spec.small_int_mask |= std::uint64_t{1} << static_cast<unsigned>(option.value);
    }
  }
}

Result<ResponseSpec> ParseResponse(const Node& item, const std::map<std::string, ResponseSpec>& sets) {
  ATTUNE_TRY(node, item.Child("response"));
  if (node.value().is_string()) {
    std::string name = node.value().get<std::string>();
    auto it = sets.find(name);
    if (it == sets.end()) return node.Refuse(fmt::format("unknown response set \"{}\"", name));
    return it->second;
  }
  if (!node.value().is_object()) {
    return node.Refuse("expected the name of a response set or {\"min\", \"max\", \"step\"}");
  }
  ResponseSpec spec;
  ATTUNE_TRY(lo, node.NumberField("min"));
  ATTUNE_TRY(hi, node.NumberField("max"));
  if (!(lo < hi)) return node.Refuse(fmt::format("min {} must be below max {}", lo, hi));
  spec.min = lo;
  spec.max = hi;
  if (node.Has("step")) {
    ATTUNE_TRY(step, node.NumberField("step"));
    if (step < 0) return node.Refuse(fmt::format("step {} must be >= 0", step));
    spec.step = step;
  }
  return spec;
}

Result<Item> ParseItem(const Node& node, const std::map<std::string, ResponseSpec>& sets, bool text_may_ship) {
  Item item;
  ATTUNE_TRY(id, Identifier(node, "id"));
  ATTUNE_TRY(label, node.StringField("label"));
  ATTUNE_TRY(text, node.OptionalString("text"));
  if (!text.empty() && !text_may_ship) {
    return node.Refuse("item text is present but licence.item_text_may_ship is false");
  }
  ATTUNE_TRY(response, ParseResponse(node, sets));
  ATTUNE_TRY(reverse, node.OptionalBool("reverse", false));
  ATTUNE_TRY(scored, node.OptionalBool("scored", true));
  ATTUNE_TRY(loinc, node.OptionalString("loinc"));
  item.id = std::move(id);
  item.label = std::move(label);
  item.text = std::move(text);
  item.response = std::move(response);
  item.reverse = reverse;
  item.scored = scored;
  item.loinc = std::move(loinc);
  if (node.Has("risk")) {
    ATTUNE_TRY(risk, node.Child("risk"));
    ATTUNE_TRY(above, risk.NumberField("above"));
    ATTUNE_TRY(risk_label, risk.OptionalString("label"));
    item.risk = RiskRule{above, std::move(risk_label)};
  }
  return item;
}

Result<GroupNorm> ParseGroup(const Node& node) {
  ATTUNE_TRY(mean, node.NumberField("mean"));
  ATTUNE_TRY(sd, node.NumberField("sd"));
  if (!(sd > 0)) return node.Refuse(fmt::format("sd {} must be > 0", sd));
  return GroupNorm{mean, sd};
}

Result<Norms> ParseNorms(const Node& node) {
  Norms norms;
  ATTUNE_TRY(sd, node.NumberField("sd"));
  ATTUNE_TRY(reliability, node.NumberField("reliability"));
  ATTUNE_TRY(source, node.StringField("source"));
  if (!(sd > 0)) return node.Refuse(fmt::format("sd {} must be > 0", sd));
  if (!(reliability > 0 && reliability < 1)) {
    return node.Refuse(fmt::format("reliability {} must be between 0 and 1 (exclusive)", reliability));
  }
  norms.sd = sd;
  norms.reliability = reliability;
  norms.source = std::move(source);
  if (node.Has("confidence")) {
    ATTUNE_TRY(confidence_node, node.Child("confidence"));
    ATTUNE_TRY(confidence, confidence_node.Number());
    if (!(confidence > 0 && confidence < 1)) {
      return confidence_node.Refuse(
          fmt::format("confidence {} must be between 0 and 1 (exclusive), such as 0.95 or 0.90", confidence));
    }
    norms.confidence = confidence;
  }
  if (node.Has("clinical")) {
    ATTUNE_TRY(child, node.Child("clinical"));
    ATTUNE_TRY(group, ParseGroup(child));
    norms.clinical = group;
  }
  if (node.Has("nonclinical")) {
    ATTUNE_TRY(child, node.Child("nonclinical"));
    ATTUNE_TRY(group, ParseGroup(child));
    norms.nonclinical = group;
  }
  return norms;
}

// The smallest step a scale's score moves by when every item is answered: the smallest difference
// between an option item's values, a range item's step (0 for a line without one), over the items
// (divided by their number for a mean). Bands may leave gaps up to this and no more.
double Resolution(const Scale& scale, const Instrument& instrument) {
  double resolution = kInfinity;
  for (std::size_t index : scale.items) {
    const ResponseSpec& spec = instrument.items[index].response;
    if (spec.IsRange()) {
      resolution = std::min(resolution, spec.step);
      continue;
    }
    std::vector<double> values;
    for (const auto& option : spec.options) values.push_back(option.value);
    std::sort(values.begin(), values.end());
    for (std::size_t i = 1; i < values.size(); ++i) resolution = std::min(resolution, values[i] - values[i - 1]);
  }
  if (std::isinf(resolution)) return 0;  // one-option items only: the score cannot move
  return scale.method == Method::MEAN ? resolution / static_cast<double>(scale.items.size()) : resolution;
}

// Equal up to a relative 1e-9 (24.9 + 0.1 is 25.000000000000004).
bool Near(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)}); }

// Bands in order, each inside the range, and together covering it: the first starts at the range's
// minimum, the last ends at its maximum, and between two the gap is at most the scale's resolution
// (4 to 5 on integer items; 24.9 to 25 on 0.1 steps). A score is labelled by the last band whose min
// it reaches, so a prorated 4.5 between "0..4" and "5..9" is in the first.
Result<std::vector<Band>> ParseBands(const Node& node, const Scale& scale, const Instrument& instrument) {
  const double lo = scale.range_min;
  const double hi = scale.range_max;
  const std::string where = fmt::format("instrument {}, scale {}", instrument.id, scale.id);
  const double resolution = Resolution(scale, instrument);
  ATTUNE_TRY(size, node.ArraySize());
  std::vector<Band> bands;
  for (std::size_t i = 0; i < size; ++i) {
    Node entry = node.At(i);
    ATTUNE_TRY(bmin, entry.NumberField("min"));
    ATTUNE_TRY(bmax, entry.NumberField("max"));
    ATTUNE_TRY(label, entry.StringField("label"));
    if (bmin > bmax) return entry.Refuse(fmt::format("min {} is above max {}", bmin, bmax));
    if (bmin < lo || bmax > hi) {
      return entry.Refuse(fmt::format("band {}..{} lies outside the scale's range {}..{}", bmin, bmax, lo, hi));
    }
    if (!bands.empty() && bmin <= bands.back().max) {
      return entry.Refuse(fmt::format("band starting at {} overlaps or precedes the band ending at {}", bmin,
                                      bands.back().max));
    }
    if (bands.empty() && !Near(bmin, lo)) {
      return entry.Refuse(fmt::format("{}: the first band \"{}\" ({}..{}) starts at {}, not at the scale's minimum "
                                      "{}; bands must cover the range {}..{}",
                                      where, label, bmin, bmax, bmin, lo, lo, hi));
    }
    if (!bands.empty() && bmin - bands.back().max > resolution && !Near(bmin - bands.back().max, resolution)) {
      const Band& before = bands.back();
      return entry.Refuse(fmt::format("{}: band \"{}\" ({}..{}) starts at {} but band \"{}\" ({}..{}) ends at {}: a "
                                      "gap of {:.10g}, wider than the scale's resolution {:.10g}; bands must cover "
                                      "the range {}..{}",
                                      where, label, bmin, bmax, bmin, before.label, before.min, before.max,
                                      before.max, bmin - before.max, resolution, lo, hi));
    }
    if (i + 1 == size && !Near(bmax, hi)) {
      return entry.Refuse(fmt::format("{}: the last band \"{}\" ({}..{}) ends at {}, not at the scale's maximum "
                                      "{}; bands must cover the range {}..{}",
                                      where, label, bmin, bmax, bmax, hi, lo, hi));
    }
    bands.push_back(Band{bmin, bmax, std::move(label)});
  }
  return bands;
}

Result<Proration> ParseProration(const Node& scale) {
  ATTUNE_TRY(text, scale.StringField("proration"));
  if (text == "none") return Proration::NONE;
  if (text == "prorate") return Proration::PRORATE;
  if (text == "mean_of_answered") return Proration::MEAN_OF_ANSWERED;
  ATTUNE_TRY(node, scale.Child("proration"));
  return node.Refuse(fmt::format("\"{}\" is not one of none, prorate, mean_of_answered", text));
}

Result<Scale> ParseScale(const Node& node, const Instrument& instrument) {
  Scale scale;
  ATTUNE_TRY(id, Identifier(node, "id"));
  ATTUNE_TRY(title, node.OptionalString("title"));
  scale.id = std::move(id);
  scale.title = title.empty() ? scale.id : std::move(title);

  ATTUNE_TRY(items, node.Child("items"));
  ATTUNE_TRY(count, items.ArraySize());
  if (count == 0) return items.Refuse("a scale needs at least one item");
  for (std::size_t i = 0; i < count; ++i) {
    Node entry = items.At(i);
    ATTUNE_TRY(item_id, entry.String());
    auto index = instrument.ItemIndex(item_id);
    if (!index) return entry.Refuse(fmt::format("unknown item \"{}\"", item_id));
    if (!instrument.items[*index].scored) {
      return entry.Refuse(fmt::format("item \"{}\" is marked \"scored\": false", item_id));
    }
    if (std::find(scale.items.begin(), scale.items.end(), *index) != scale.items.end()) {
      return entry.Refuse(fmt::format("item \"{}\" is listed twice", item_id));
    }
    scale.items.push_back(*index);
  }

  ATTUNE_TRY(method, node.StringField("method"));
  if (method == "sum") {
    scale.method = Method::SUM;
  } else if (method == "mean") {
    scale.method = Method::MEAN;
  } else {
    ATTUNE_TRY(child, node.Child("method"));
    return child.Refuse(fmt::format("\"{}\" is not one of sum, mean", method));
  }

  ATTUNE_TRY(min_node, node.Child("min_answered"));
  ATTUNE_TRY(min_answered, min_node.Count());
  if (min_answered < 1 || min_answered > count) {
    return min_node.Refuse(fmt::format("{} is not between 1 and the scale's {} items", min_answered, count));
  }
  scale.min_answered = min_answered;
  ATTUNE_TRY(proration, ParseProration(node));
  scale.proration = proration;
  if (proration == Proration::NONE && min_answered != count) {
    return min_node.Refuse(
        fmt::format("proration \"none\" needs every item: min_answered must be {}, got {}", count, min_answered));
  }

  ATTUNE_TRY(direction, node.StringField("higher_is"));
  if (direction == "worse") {
    scale.direction = Direction::HIGHER_IS_WORSE;
  } else if (direction == "better") {
    scale.direction = Direction::HIGHER_IS_BETTER;
  } else {
    ATTUNE_TRY(child, node.Child("higher_is"));
    return child.Refuse(fmt::format("\"{}\" is not one of worse, better", direction));
  }

  ATTUNE_TRY(range, node.Child("range"));
  if (!range.value().is_array() || range.value().size() != 2 || !range.value()[0].is_number() ||
      !range.value()[1].is_number()) {
    return range.Refuse(fmt::format("expected [min, max], got {}", range.value().dump()));
  }
  scale.range_min = range.value()[0].get<double>();
  scale.range_max = range.value()[1].get<double>();
  if (!(scale.range_min < scale.range_max)) return range.Refuse("min must be below max");

  if (node.Has("bands")) {
    ATTUNE_TRY(bands_node, node.Child("bands"));
    ATTUNE_TRY(bands, ParseBands(bands_node, scale, instrument));
    scale.bands = std::move(bands);
  }
  if (node.Has("caseness")) {
    ATTUNE_TRY(caseness, node.Child("caseness"));
    Caseness rule;
    if (caseness.Has("at_or_above")) {
      ATTUNE_TRY(cutoff, caseness.NumberField("at_or_above"));
      rule.cutoff = cutoff;
      rule.at_or_above = true;
    } else if (caseness.Has("at_or_below")) {
      ATTUNE_TRY(cutoff, caseness.NumberField("at_or_below"));
      rule.cutoff = cutoff;
      rule.at_or_above = false;
    } else {
      return caseness.Refuse("expected \"at_or_above\" or \"at_or_below\"");
    }
    if (rule.cutoff < scale.range_min || rule.cutoff > scale.range_max) {
      return caseness.Refuse(fmt::format("instrument {}, scale {}: caseness cutoff {} ({}) is outside the scale's "
                                         "range {}..{}",
                                         instrument.id, scale.id, rule.cutoff,
                                         rule.at_or_above ? "at_or_above" : "at_or_below", scale.range_min,
                                         scale.range_max));
    }
    ATTUNE_TRY(source, caseness.OptionalString("source"));
    rule.source = std::move(source);
    scale.caseness = rule;
  }
  if (node.Has("norms")) {
    ATTUNE_TRY(norms_node, node.Child("norms"));
    ATTUNE_TRY(norms, ParseNorms(norms_node));
    scale.norms = std::move(norms);
  }
  ATTUNE_TRY(loinc, node.OptionalString("loinc"));
  scale.loinc = std::move(loinc);
  return scale;
}

Result<std::optional<bool>> ParsePermission(const Node& uses, const char* key) {
  if (!uses.Has(key)) return std::optional<bool>();
  ATTUNE_TRY(child, uses.Child(key));
  if (child.value().is_null()) return std::optional<bool>();
  ATTUNE_TRY(value, child.Bool());
  return std::optional<bool>(value);
}

Result<Licence> ParseLicence(const Node& node) {
  Licence licence;
  ATTUNE_TRY(holder, node.StringField("holder"));
  ATTUNE_TRY(terms, node.StringField("terms"));
  ATTUNE_TRY(url, node.OptionalString("url"));
  ATTUNE_TRY(may_ship, node.Child("item_text_may_ship"));
  ATTUNE_TRY(ship, may_ship.Bool());
  licence.holder = std::move(holder);
  licence.terms = std::move(terms);
  licence.url = std::move(url);
  licence.item_text_may_ship = ship;
  ATTUNE_TRY(uses, node.Child("permitted_uses"));
  if (!uses.value().is_object()) return uses.Refuse("expected an object of use -> true | false | null");
  for (const auto& [key, value] : uses.value().items()) {
    if (key != "clinical" && key != "research" && key != "commercial") {
      return uses.Refuse(fmt::format("unknown use \"{}\" (expected clinical, research, commercial)", key));
    }
  }
  ATTUNE_TRY(clinical, ParsePermission(uses, "clinical"));
  ATTUNE_TRY(research, ParsePermission(uses, "research"));
  ATTUNE_TRY(commercial, ParsePermission(uses, "commercial"));
  licence.clinical = clinical;
  licence.research = research;
  licence.commercial = commercial;
  return licence;
}

Result<Instrument> ParseRoot(const Node& root, const std::string& file) {
  Instrument instrument;
  if (!root.value().is_object()) return root.Refuse("expected an object");
  ATTUNE_TRY(id, Identifier(root, "id"));
  ATTUNE_TRY(version, root.StringField("version"));
  ATTUNE_TRY(title, root.StringField("title"));
  ATTUNE_TRY(respondent, root.StringField("respondent"));
  instrument.id = std::move(id);
  instrument.version = std::move(version);
  instrument.title = std::move(title);
  if (respondent == "client") {
    instrument.respondent = Respondent::CLIENT;
  } else if (respondent == "therapist") {
    instrument.respondent = Respondent::THERAPIST;
  } else {
    ATTUNE_TRY(child, root.Child("respondent"));
    return child.Refuse(fmt::format("\"{}\" is not one of client, therapist", respondent));
  }
  ATTUNE_TRY(licence_node, root.Child("licence"));
  ATTUNE_TRY(licence, ParseLicence(licence_node));
  instrument.licence = std::move(licence);
  ATTUNE_TRY(instructions, root.OptionalString("instructions"));
  instrument.instructions = std::move(instructions);
  ATTUNE_TRY(citation, root.StringField("citation"));
  ATTUNE_TRY(scoring_source, root.StringField("scoring_source"));
  instrument.citation = std::move(citation);
  instrument.scoring_source = std::move(scoring_source);
  if (root.Has("loinc")) {
    ATTUNE_TRY(loinc, root.Child("loinc"));
    ATTUNE_TRY(panel, loinc.OptionalString("panel"));
    instrument.loinc_panel = std::move(panel);
  }

  std::map<std::string, ResponseSpec> sets;
  if (root.Has("response_sets")) {
    ATTUNE_TRY(sets_node, root.Child("response_sets"));
    if (!sets_node.value().is_object()) return sets_node.Refuse("expected an object of name -> options");
    for (const auto& [name, value] : sets_node.value().items()) {
      Node set(value, sets_node.path() + "." + name, file);
      ATTUNE_TRY(options, ParseOptions(set));
      ResponseSpec spec;
      spec.options = std::move(options);
      SetBounds(spec);
      sets.emplace(name, std::move(spec));
    }
  }

  ATTUNE_TRY(items, root.Child("items"));
  ATTUNE_TRY(item_count, items.ArraySize());
  if (item_count == 0) return items.Refuse("an instrument needs at least one item");
  for (std::size_t i = 0; i < item_count; ++i) {
    ATTUNE_TRY(item, ParseItem(items.At(i), sets, instrument.licence.item_text_may_ship));
    if (instrument.ItemIndex(item.id)) return items.At(i).Refuse(fmt::format("duplicate item id \"{}\"", item.id));
    instrument.items.push_back(std::move(item));
  }

  ATTUNE_TRY(scales, root.Child("scales"));
  ATTUNE_TRY(scale_count, scales.ArraySize());
  if (scale_count == 0) return scales.Refuse("an instrument needs at least one scale");
  for (std::size_t i = 0; i < scale_count; ++i) {
    ATTUNE_TRY(scale, ParseScale(scales.At(i), instrument));
    if (instrument.FindScale(scale.id)) {
      return scales.At(i).Refuse(fmt::format("duplicate scale id \"{}\"", scale.id));
    }
    instrument.scales.push_back(std::move(scale));
  }
  return instrument;
}

}  // namespace

Result<Instrument> ParseInstrument(std::string_view json_text, const std::string& file) {
  ATTUNE_TRY(json, detail::ParseJson(json_text, file));
  Node root(json, "$", file);
  ATTUNE_TRY(instrument, ParseRoot(root, file));
  instrument.file = file;
  return instrument;
}

Result<Catalogue> Catalogue::LoadDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return Fail(ErrorCode::IO,
                fmt::format("instruments directory \"{}\" is not a directory; expected a folder of instrument "
                            "definitions (*.json)",
                            dir),
                "instruments_dir");
  }
  if (!fs::is_directory(dir, ec)) {
    return Fail(ErrorCode::IO, fmt::format("instruments directory \"{}\" does not exist", dir), "instruments_dir");
  }
  Catalogue catalogue;
  for (const auto& path : detail::JsonFiles(dir)) {
    ATTUNE_TRY(text, detail::ReadFile(path.string()));
    ATTUNE_TRY(instrument, ParseInstrument(text, path.string()));
    if (instrument.id != path.stem().string()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("{}: $.id: \"{}\" does not match the file name \"{}\"", path.string(), instrument.id,
                              path.stem().string()),
                  "$.id");
    }
    ATTUNE_CHECK(catalogue.Add(std::move(instrument)));
  }
  return catalogue;
}

Result<void> Catalogue::Add(Instrument instrument) {
  for (const auto& existing : instruments_) {
    if (existing.id == instrument.id) {
      return Fail(ErrorCode::ALREADY_EXISTS,
                  fmt::format("{}: $.id: instrument \"{}\" is already defined in {}", instrument.file, instrument.id,
                              existing.file),
                  "$.id");
    }
  }
  auto at = std::lower_bound(instruments_.begin(), instruments_.end(), instrument.id,
                             [](const Instrument& a, const std::string& id) { return a.id < id; });
  instruments_.insert(at, std::move(instrument));
  return Ok();
}

Result<const Instrument*> Catalogue::Get(std::string_view id) const {
  for (const auto& instrument : instruments_) {
    if (instrument.id == id) return &instrument;
  }
  std::string known;
  for (const auto& instrument : instruments_) known += (known.empty() ? "" : ", ") + instrument.id;
  return Fail(ErrorCode::NOT_FOUND, fmt::format("instrument: \"{}\" is not a known instrument (known: {})", id, known),
              "instrument");
}

Result<const Instrument*> Catalogue::GetForUse(std::string_view id, Use use) const {
  ATTUNE_TRY(instrument, Get(id));
  ATTUNE_CHECK(CheckPermitted(*instrument, use));
  return instrument;
}

Result<void> Catalogue::ApplyOverlay(const std::string& file) {
  ATTUNE_TRY(text, detail::ReadFile(file));
  ATTUNE_TRY(json, detail::ParseJson(text, file));
  Node root(json, "$", file);
  ATTUNE_TRY(id, root.StringField("instrument"));
  Instrument* target = nullptr;
  for (auto& instrument : instruments_) {
    if (instrument.id == id) target = &instrument;
  }
  if (target == nullptr) {
    ATTUNE_TRY(child, root.Child("instrument"));
    return child.Refuse(fmt::format("unknown instrument \"{}\"", id));
  }
  // Validate everything before changing anything: an overlay applies whole or not at all.
  Licence licence = target->licence;
  if (root.Has("licence")) {
    ATTUNE_TRY(node, root.Child("licence"));
    ATTUNE_TRY(reference, node.OptionalString("reference"));
    if (reference.empty()) return node.Refuse("a declared licence needs a \"reference\" (licence number or agreement)");
    licence.reference = std::move(reference);
    if (node.Has("permitted_uses")) {
      ATTUNE_TRY(uses, node.Child("permitted_uses"));
      for (const char* key : {"clinical", "research", "commercial"}) {
        ATTUNE_TRY(permission, ParsePermission(uses, key));
        if (!uses.Has(key)) continue;
        ATTUNE_TRY(use, ParseUse(key));
        switch (use) {
          case Use::CLINICAL: licence.clinical = permission; break;
          case Use::RESEARCH: licence.research = permission; break;
          case Use::COMMERCIAL: licence.commercial = permission; break;
        }
      }
    }
  }
  std::vector<std::pair<std::size_t, std::string>> texts;
  if (root.Has("item_text")) {
    ATTUNE_TRY(node, root.Child("item_text"));
    if (!node.value().is_object()) return node.Refuse("expected an object of item id -> text");
    for (const auto& [item_id, value] : node.value().items()) {
      auto index = target->ItemIndex(item_id);
      if (!index) return node.Refuse(fmt::format("unknown item \"{}\" in instrument {}", item_id, id));
      if (!value.is_string()) return node.Refuse(fmt::format("text of item \"{}\" must be a string", item_id));
      texts.emplace_back(*index, value.get<std::string>());
    }
  }
  target->licence = std::move(licence);
  for (auto& [index, item_text] : texts) target->items[index].text = std::move(item_text);
  return Ok();
}

}  // namespace attune::instruments
