#include "attune/instruments/json.hpp"

namespace attune::instruments {
namespace {

using Json = nlohmann::json;

Json Permission(const std::optional<bool>& p) { return p ? Json(*p) : Json(nullptr); }

Json ResponseJson(const ResponseSpec& spec) {
  if (spec.IsRange()) return Json{{"min", spec.min}, {"max", spec.max}, {"step", spec.step}};
  Json options = Json::array();
  for (const auto& option : spec.options) options.push_back({{"value", option.value}, {"label", option.label}});
  return Json{{"options", options}, {"min", spec.min}, {"max", spec.max}};
}

const char* MethodName(Method m) { return m == Method::SUM ? "sum" : "mean"; }
const char* ProrationName(Proration p) {
  switch (p) {
    case Proration::NONE: return "none";
    case Proration::PRORATE: return "prorate";
    case Proration::MEAN_OF_ANSWERED: return "mean_of_answered";
  }
  return "none";
}
const char* DirectionName(Direction d) { return d == Direction::HIGHER_IS_WORSE ? "worse" : "better"; }

Json NormsJson(const Norms& norms) {
  Json out{{"sd", norms.sd}, {"reliability", norms.reliability}, {"confidence", norms.confidence},
           {"source", norms.source}};
  if (norms.clinical) out["clinical"] = {{"mean", norms.clinical->mean}, {"sd", norms.clinical->sd}};
  if (norms.nonclinical) out["nonclinical"] = {{"mean", norms.nonclinical->mean}, {"sd", norms.nonclinical->sd}};
  return out;
}

Json LicenceJson(const Licence& licence) {
  return Json{{"holder", licence.holder},
              {"terms", licence.terms},
              {"url", licence.url},
              {"reference", licence.reference},
              {"item_text_may_ship", licence.item_text_may_ship},
              {"permitted_uses",
               {{"clinical", Permission(licence.clinical)},
                {"research", Permission(licence.research)},
                {"commercial", Permission(licence.commercial)}}}};
}

}  // namespace

Json SummaryJson(const Instrument& instrument, Use declared_use) {
  return Json{{"id", instrument.id},
              {"version", instrument.version},
              {"title", instrument.title},
              {"respondent", instrument.respondent == Respondent::CLIENT ? "client" : "therapist"},
              {"item_count", instrument.items.size()},
              {"scale_count", instrument.scales.size()},
              {"item_text_shipped", instrument.licence.item_text_may_ship},
              {"administrable", instrument.licence.For(declared_use).value_or(false)},
              {"declared_use", UseName(declared_use)}};
}

Json ToJson(const Instrument& instrument, Use declared_use) {
  Json out = SummaryJson(instrument, declared_use);
  out["instructions"] = instrument.instructions.empty() ? Json(nullptr) : Json(instrument.instructions);
  Json items = Json::array();
  for (const auto& item : instrument.items) {
    Json j{{"id", item.id},
           {"label", item.label},
           {"text", item.text.empty() ? Json(nullptr) : Json(item.text)},
           {"response", ResponseJson(item.response)},
           {"reverse", item.reverse},
           {"scored", item.scored},
           {"loinc", item.loinc.empty() ? Json(nullptr) : Json(item.loinc)}};
    j["risk"] = item.risk ? Json{{"above", item.risk->above}, {"label", item.risk->label}} : Json(nullptr);
    items.push_back(std::move(j));
  }
  out["items"] = std::move(items);
  Json scales = Json::array();
  for (const auto& scale : instrument.scales) {
    Json ids = Json::array();
    for (auto index : scale.items) ids.push_back(instrument.items[index].id);
    Json bands = Json::array();
    for (const auto& band : scale.bands) bands.push_back({{"min", band.min}, {"max", band.max}, {"label", band.label}});
    Json j{{"id", scale.id},
           {"title", scale.title},
           {"items", ids},
           {"method", MethodName(scale.method)},
           {"min_answered", scale.min_answered},
           {"proration", ProrationName(scale.proration)},
           {"higher_is", DirectionName(scale.direction)},
           {"range", {scale.range_min, scale.range_max}},
           {"bands", bands},
           {"loinc", scale.loinc.empty() ? Json(nullptr) : Json(scale.loinc)}};
    j["caseness"] = scale.caseness ? Json{{scale.caseness->at_or_above ? "at_or_above" : "at_or_below",
                                           scale.caseness->cutoff},
                                          {"source", scale.caseness->source}}
                                   : Json(nullptr);
    j["norms"] = scale.norms ? NormsJson(*scale.norms) : Json(nullptr);
    scales.push_back(std::move(j));
  }
  out["scales"] = std::move(scales);
  out["loinc_panel"] = instrument.loinc_panel.empty() ? Json(nullptr) : Json(instrument.loinc_panel);
  out["citation"] = instrument.citation;
  out["scoring_source"] = instrument.scoring_source;
  out["licence"] = LicenceJson(instrument.licence);
  return out;
}

Json ToJson(const Instrument& instrument, const ScoreResult& result) {
  Json scales = Json::object();
  for (const auto& s : result.scales) {
    const Scale& scale = instrument.scales[s.scale];
    Json j{{"score", s.score ? Json(*s.score) : Json(nullptr)},
           {"band", s.band ? Json(s.band->label) : Json(nullptr)},
           {"caseness", s.caseness ? Json(*s.caseness) : Json(nullptr)},
           {"answered", s.answered},
           {"items", scale.items.size()},
           {"min_answered", scale.min_answered},
           {"prorated", s.prorated},
           {"higher_is", DirectionName(scale.direction)}};
    if (!s.score) {
      j["reason"] = "answered " + std::to_string(s.answered) + " of " + std::to_string(scale.items.size()) +
                    " items, needs " + std::to_string(scale.min_answered);
    }
    scales[scale.id] = std::move(j);
  }
  Json flags = Json::array();
  for (const auto& flag : result.flags) {
    const Item& item = instrument.items[flag.item];
    flags.push_back({{"kind", "risk"}, {"item", item.id}, {"value", flag.value}, {"label", item.risk->label}});
  }
  return Json{{"instrument", instrument.id},
              {"version", instrument.version},
              {"complete", result.complete},
              {"scales", scales},
              {"flags", flags}};
}

Json ToJson(const ChangeDecision& d) {
  const auto& t = d.thresholds;
  return Json{{"before", d.before},
              {"after", d.after},
              {"change", d.change},
              {"rci", d.rci},
              {"se_measurement", t.se_measurement},
              {"s_diff", t.s_diff},
              {"confidence", t.confidence},
              {"z", t.z},
              {"reliable_change_threshold", t.reliable_change},
              {"cutoff", t.cutoff ? Json(*t.cutoff) : Json(nullptr)},
              {"cutoff_kind", t.cutoff ? Json(std::string(1, t.cutoff_kind)) : Json(nullptr)},
              {"reliable", d.reliable},
              {"improved", d.improved},
              {"clinical_before", d.dysfunctional_before},
              {"functional_after", d.functional_after},
              {"classification", ChangeClassName(d.classification)}};
}

Json ToJson(const RuleSet& rules, const RuleMeasure& measure, const RuleDecision& d) {
  return Json{{"rule", {{"id", rules.id}, {"title", rules.title}, {"source", rules.source}}},
              {"before", d.before},
              {"after", d.after},
              {"change", d.change},
              {"caseness_at_or_above", measure.caseness_at_or_above},
              {"reliable_change_threshold", measure.reliable_change},
              {"case_before", d.case_before},
              {"case_after", d.case_after},
              {"reliable", d.reliable},
              {"improved", d.improved},
              {"classification", ChangeClassName(d.classification)}};
}

}  // namespace attune::instruments
