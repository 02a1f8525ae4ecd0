// Serialisation: truth as JSON, the clinic as CSV tables (pure: writes to a stream).
#include <fmt/core.h>
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>

#include "attune/sim/sim.hpp"

namespace attune::sim {

namespace {

using Json = nlohmann::ordered_json;

Json WeightedJson(const std::vector<Weighted>& list) {
  Json out = Json::object();
  for (const auto& w : list) out[w.name] = w.weight;
  return out;
}

Json ParamsJson(const SimParams& p) {
  Json j;
  j["therapists"] = p.therapists;
  j["clients"] = p.clients;
  j["sessions"] = p.sessions;
  j["outcome_instrument_depression"] = p.outcome_instrument_depression;
  j["outcome_instrument_anxiety"] = p.outcome_instrument_anxiety;
  j["outcome_instrument_other"] = p.outcome_instrument_other;
  j["client_alliance_instrument"] = p.client_alliance_instrument;
  j["therapist_alliance_instrument"] = p.therapist_alliance_instrument;
  j["mindfulness_instrument"] = p.mindfulness_instrument;
  j["style_instrument"] = p.style_instrument;
  j["target_alpha"] = p.target_alpha;
  j["rounding_attenuation"] = p.rounding_attenuation;
  j["item_spread"] = p.item_spread;
  j["symptom_item_centre"] = p.symptom_item_centre;
  j["alliance_item_centre"] = p.alliance_item_centre;
  j["therapist_alliance_item_centre"] = p.therapist_alliance_item_centre;
  j["mindfulness_item_centre"] = p.mindfulness_item_centre;
  j["style_item_centre"] = p.style_item_centre;
  j["item_skip_prob"] = p.item_skip_prob;
  j["form_skip_prob"] = p.form_skip_prob;
  Json corr = Json::object();
  for (std::size_t i = 0; i < 5; ++i) {
    Json row = Json::object();
    for (std::size_t k = 0; k < 5; ++k) row[kFacets[k]] = p.facet_correlations[i][k];
    corr[kFacets[i]] = row;
  }
  j["facet_correlations"] = corr;
  j["trained_fraction"] = p.trained_fraction;
  j["training_facet_shift"] = p.training_facet_shift;
  j["capacity_min"] = p.capacity_min;
  j["capacity_max"] = p.capacity_max;
  j["second_languages"] = WeightedJson(p.second_languages);
  j["therapist_modality_probs"] = {{"in_person", p.therapist_modality_probs[0]},
                                   {"video", p.therapist_modality_probs[1]},
                                   {"both", p.therapist_modality_probs[2]}};
  j["domains"] = WeightedJson(p.domains);
  j["therapist_alliance_icc"] = p.therapist_alliance_icc;
  j["facet_r2"] = p.facet_r2;
  Json weights = Json::object();
  for (std::size_t f = 0; f < 5; ++f) weights[kFacets[f]] = p.facet_weights[f];
  j["facet_weights"] = weights;
  j["secondary_concern_prob"] = p.secondary_concern_prob;
  j["client_languages"] = WeightedJson(p.client_languages);
  j["client_modality_probs"] = {{"in_person", p.client_modality_probs[0]},
                                {"video", p.client_modality_probs[1]},
                                {"either", p.client_modality_probs[2]}};
  j["preference_fit_effect"] = p.preference_fit_effect;
  j["alliance_growth"] = p.alliance_growth;
  j["alliance_session_sd"] = p.alliance_session_sd;
  j["alliance_subscale_r"] = p.alliance_subscale_r;
  j["alliance_subscale_session_share"] = p.alliance_subscale_session_share;
  j["client_therapist_alliance_r"] = p.client_therapist_alliance_r;
  j["therapist_leniency_share"] = p.therapist_leniency_share;
  j["rupture_prob"] = p.rupture_prob;
  j["rupture_depth"] = p.rupture_depth;
  j["rupture_repair_prob"] = p.rupture_repair_prob;
  j["unrepaired_residual"] = p.unrepaired_residual;
  j["improvement_base"] = p.improvement_base;
  j["alliance_outcome_effect"] = p.alliance_outcome_effect;
  j["therapist_domain_effect_sd"] = p.therapist_domain_effect_sd;
  j["therapist_domain_general_share"] = p.therapist_domain_general_share;
  j["severity_session_sd"] = p.severity_session_sd;
  j["deterioration_prob"] = p.deterioration_prob;
  j["deterioration_rate"] = p.deterioration_rate;
  j["severity_floor"] = p.severity_floor;
  j["missed_session_prob"] = p.missed_session_prob;
  j["dropout_base_hazard"] = p.dropout_base_hazard;
  j["dropout_alliance_slope"] = p.dropout_alliance_slope;
  j["rupture_dropout_logit"] = p.rupture_dropout_logit;
  // Written only when used, so a clinic simulated without them keeps its bytes.
  if (p.waitlist != 0) j["waitlist"] = p.waitlist;
  if (p.open_share != 0) j["open_share"] = p.open_share;
  return j;
}

template <std::size_t N>
Json Named(const std::array<double, N>& values, const std::array<const char*, N>& names) {
  Json out = Json::object();
  for (std::size_t i = 0; i < N; ++i) out[names[i]] = values[i];
  return out;
}

}  // namespace

void WriteTruthJson(const Truth& truth, std::ostream& out) {
  Json j;
  j["generator"] = "attune sim (docs/simulation.md)";
  j["seed"] = truth.seed;
  j["params"] = ParamsJson(truth.params);
  j["implied_facet_alliance_correlations"] = Named(truth.implied_facet_correlations, kFacets);
  Json therapists = Json::array();
  for (const auto& t : truth.therapists) {
    Json domains = Json::object();
    for (std::size_t d = 0; d < t.domain_effects.size() && d < truth.params.domains.size(); ++d) {
      domains[truth.params.domains[d].name] = t.domain_effects[d];
    }
    therapists.push_back({{"therapist_id", t.id},
                          {"facets", Named(t.facets, kFacets)},
                          {"alliance_effect", t.alliance_effect},
                          {"alliance_effect_from_facets", t.facet_part},
                          {"leniency", t.leniency},
                          {"domain_effects", domains},
                          {"style", Named(t.style, kStyleDimensions)}});
  }
  j["therapists"] = std::move(therapists);
  Json clients = Json::array();
  for (const auto& c : truth.clients) {
    clients.push_back({{"client_id", c.id},
                       {"intake_severity", c.intake_severity},
                       {"preferences", Named(c.preferences, kStyleDimensions)}});
  }
  j["clients"] = std::move(clients);
  Json episodes = Json::array();
  for (const auto& e : truth.episodes) {
    Json ruptures = Json::array();
    for (const auto& r : e.ruptures) {
      ruptures.push_back({{"session", r.session},
                          {"depth", r.depth},
                          {"repaired", r.repaired},
                          {"repair_session", r.repaired ? Json(r.repair_session) : Json(nullptr)}});
    }
    Json episode = {{"episode_id", e.id},
                        {"fit", e.fit},
                        {"alliance_level", e.alliance_level},
                        {"alliance", e.alliance},
                        {"severity", e.severity},
                        {"ruptures", std::move(ruptures)},
                        {"deteriorated", e.deteriorated},
                        {"deterioration_onset", e.deteriorated ? Json(e.deterioration_onset) : Json(nullptr)},
                        {"dropped_out", e.dropped_out},
                        {"last_session", e.last_session}};
    if (truth.params.open_share != 0) episode["open"] = e.open;
    episodes.push_back(std::move(episode));
  }
  j["episodes"] = std::move(episodes);
  if (!truth.trial.empty()) {
    Json trial = Json::array();
    for (const auto& t : truth.trial) {
      trial.push_back({{"therapist_id", t.id},
                       {"step", t.step},
                       {"facet_change", Named(t.facet_change, kFacets)},
                       {"alliance_gain", t.alliance_gain}});
    }
    j["trial"] = std::move(trial);
  }
  out << j.dump(1) << '\n';
}

const char* TableFileName(Table table) {
  switch (table) {
    case Table::THERAPISTS:
      return "therapists.csv";
    case Table::CLIENTS:
      return "clients.csv";
    case Table::EPISODES:
      return "episodes.csv";
    case Table::SESSIONS:
      return "sessions.csv";
    case Table::RESPONSES:
      return "responses.csv";
  }
  return "table.csv";
}

namespace {

std::string JoinList(const std::vector<std::string>& list) {
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ';';
    out += list[i];
  }
  return out;
}

void Flush(fmt::memory_buffer& buf, std::ostream& out, bool force) {
  if (force || buf.size() > (1u << 20)) {
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.clear();
  }
}

}  // namespace

void WriteCsv(const Clinic& clinic, Table table, std::ostream& out) {
  fmt::memory_buffer buf;
  auto it = fmt::appender(buf);
  switch (table) {
    case Table::THERAPISTS:
      fmt::format_to(it, "therapist_id,languages,modality,capacity,mindfulness_trained,training_hours\n");
      for (const auto& t : clinic.therapists) {
        fmt::format_to(it, "{},{},{},{},{},{}\n", t.id, JoinList(t.languages), ModalityName(t.modality, false),
                       t.capacity, t.mindfulness_trained ? 1 : 0, t.training_hours);
        Flush(buf, out, false);
      }
      break;
    case Table::CLIENTS:
      fmt::format_to(it, "client_id,primary_domain,concerns,language,modality,outcome_instrument,waitlisted\n");
      for (const auto& c : clinic.clients) {
        fmt::format_to(it, "{},{},{},{},{},{},{}\n", c.id, c.primary_domain, JoinList(c.concerns), c.language,
                       ModalityName(c.modality, true), c.outcome_instrument, c.waitlisted ? 1 : 0);
        Flush(buf, out, false);
      }
      break;
    case Table::EPISODES:
      fmt::format_to(it, "episode_id,client_id,therapist_id,sessions_scheduled,sessions_attended,dropped_out,"
                         "last_session\n");
      for (const auto& e : clinic.episodes) {
        fmt::format_to(it, "{},{},{},{},{},{},{}\n", e.id, e.client_id, e.therapist_id, e.sessions_scheduled,
                       e.sessions_attended, e.dropped_out ? 1 : 0, e.last_session);
        Flush(buf, out, false);
      }
      break;
    case Table::SESSIONS:
      fmt::format_to(it, "episode_id,session,attended\n");
      for (const auto& s : clinic.sessions) {
        fmt::format_to(it, "{},{},{}\n", s.episode_id, s.number, s.attended ? 1 : 0);
        Flush(buf, out, false);
      }
      break;
    case Table::RESPONSES: {
      // Ids of 0 (no client / no episode) are written as empty cells.
      fmt::format_to(it, "response_id,therapist_id,client_id,episode_id,session,instrument,respondent,item_id,value\n");
      fmt::memory_buffer prefix;
      for (const auto& r : clinic.responses) {
        const Form& form = clinic.forms[r.form];
        const char* respondent = form.respondent == instruments::Respondent::THERAPIST ? "therapist" : "client";
        prefix.clear();
        auto pit = fmt::appender(prefix);
        fmt::format_to(pit, "{},{},", r.id, r.therapist_id);
        if (r.client_id) fmt::format_to(pit, "{}", r.client_id);
        prefix.push_back(',');
        if (r.episode_id) fmt::format_to(pit, "{}", r.episode_id);
        fmt::format_to(pit, ",{},{},{},", r.session, form.instrument, respondent);
        const auto values = clinic.Values(r);
        const auto present = clinic.Present(r);
        for (std::size_t i = 0; i < r.count; ++i) {
          buf.append(prefix);
          buf.append(form.item_ids[i]);
          buf.push_back(',');
          if (present[i]) {
            const double v = values[i];
            if (v == std::floor(v) && std::fabs(v) < 1e15) {
              fmt::format_to(it, "{}", static_cast<long long>(v));
            } else {
              fmt::format_to(it, "{}", v);
            }
          }
          buf.push_back('\n');
        }
        Flush(buf, out, false);
      }
      break;
    }
  }
  Flush(buf, out, true);
}

}  // namespace attune::sim
