// The generator: the generative model of docs/simulation.md, step by step.
#include "attune/sim/sim.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "sim/params.hpp"
#include "sim/random.hpp"

namespace attune::sim {

const char* ModalityName(Modality modality, bool client) {
  switch (modality) {
    case Modality::IN_PERSON:
      return "in_person";
    case Modality::VIDEO:
      return "video";
    case Modality::BOTH:
      return client ? "either" : "both";
  }
  return "both";
}

std::size_t Clinic::FormIndex(const std::string& instrument) const {
  for (std::size_t i = 0; i < forms.size(); ++i) {
    if (forms[i].instrument == instrument) return i;
  }
  return forms.size();
}

namespace {

using instruments::Instrument;

// How one item turns its latent score into an answer.
struct ItemPlan {
  std::size_t slot = 0;  // index of the latent (the instrument's scale index)
  double loading = 0;
  double noise = 0;  // sqrt(1 - loading^2)
  double centre = 0;
  bool reverse = false;
  bool range = false;
  double min = 0, max = 0, step = 0;  // range items
  std::vector<double> values;         // option values, ascending
};

// How one instrument is answered: one latent per scale.
struct FormPlan {
  std::uint16_t form = 0;
  const Instrument* instrument = nullptr;
  std::vector<ItemPlan> items;
};

enum class Role { SYMPTOM, ALLIANCE, THERAPIST_ALLIANCE, MINDFULNESS, STYLE };

double RoleCentre(const SimParams& p, Role role) {
  switch (role) {
    case Role::SYMPTOM:
      return p.symptom_item_centre;
    case Role::ALLIANCE:
      return p.alliance_item_centre;
    case Role::THERAPIST_ALLIANCE:
      return p.therapist_alliance_item_centre;
    case Role::MINDFULNESS:
      return p.mindfulness_item_centre;
    case Role::STYLE:
      return p.style_item_centre;
  }
  return 0.5;
}

// Loading that gives Cronbach's alpha `alpha` for a scale of k items after rounding.
double LoadingFor(const SimParams& p, std::size_t k) {
  if (k < 2) return std::sqrt(0.5);
  const double kk = static_cast<double>(k);
  const double r = p.target_alpha / (kk - (kk - 1) * p.target_alpha);
  return std::sqrt(std::min(0.95, r / p.rounding_attenuation));
}

Result<FormPlan> PlanForm(const instruments::Catalogue& catalogue, const std::string& id, Role role,
                          const SimParams& p, Clinic& clinic) {
  auto found = catalogue.Get(id);
  if (!found) return Error(found.error());
  const Instrument& inst = **found;
  if (inst.items.empty() || inst.scales.empty()) {
    return Fail(ErrorCode::FAILED_PRECONDITION,
                fmt::format("sim: instrument \"{}\" has no items or no scales; expected both", id), "instrument");
  }
  FormPlan plan;
  plan.instrument = &inst;
  std::size_t index = clinic.FormIndex(id);
  if (index == clinic.forms.size()) {
    Form form;
    form.instrument = id;
    form.respondent = inst.respondent;
    for (const auto& item : inst.items) form.item_ids.push_back(item.id);
    clinic.forms.push_back(std::move(form));
  }
  plan.form = static_cast<std::uint16_t>(index);

  // Each item follows the smallest scale that contains it (a subscale, not the total).
  std::vector<std::size_t> slot(inst.items.size(), 0);
  std::vector<std::size_t> slot_size(inst.items.size(), 0);
  for (std::size_t s = 0; s < inst.scales.size(); ++s) {
    const auto& scale = inst.scales[s];
    for (std::size_t i : scale.items) {
      if (i >= inst.items.size()) continue;
      if (slot_size[i] == 0 || scale.items.size() < slot_size[i]) {
        slot[i] = s;
        slot_size[i] = scale.items.size();
      }
    }
  }
  for (std::size_t i = 0; i < inst.items.size(); ++i) {
    const auto& item = inst.items[i];
    ItemPlan ip;
    ip.slot = slot[i];
    // Unscored items (PHQ-9 item 10) follow the first scale, with that scale's reliability.
    const auto& scale = inst.scales[ip.slot];
    ip.loading = LoadingFor(p, slot_size[i] > 0 ? slot_size[i] : scale.items.size());
    ip.noise = std::sqrt(1.0 - ip.loading * ip.loading);
    ip.centre = RoleCentre(p, role);
    if (role == Role::SYMPTOM && scale.norms && scale.norms->clinical && scale.range_max > scale.range_min) {
      ip.centre = std::clamp((scale.norms->clinical->mean - scale.range_min) / (scale.range_max - scale.range_min),
                             0.05, 0.95);
    }
    ip.reverse = item.reverse;
    if (item.response.IsRange()) {
      ip.range = true;
      ip.min = item.response.min;
      ip.max = item.response.max;
      ip.step = item.response.step;
    } else {
      for (const auto& option : item.response.options) ip.values.push_back(option.value);
      std::sort(ip.values.begin(), ip.values.end());
    }
    plan.items.push_back(std::move(ip));
  }
  return plan;
}

// Appends one response: answers drawn from `latents` (one per scale of the instrument).
void Answer(const FormPlan& plan, const std::vector<double>& latents, const SimParams& p, Rng& rng,
            Response header, Clinic& clinic) {
  header.id = static_cast<std::uint32_t>(clinic.responses.size() + 1);
  header.form = plan.form;
  header.offset = clinic.values.size();
  header.count = plan.items.size();
  for (const ItemPlan& ip : plan.items) {
    const double y = ip.loading * latents[ip.slot] + ip.noise * rng.Normal();
    const bool skipped = rng.Bernoulli(p.item_skip_prob);
    double value = 0;
    if (ip.range) {
      double frac = std::clamp(ip.centre + p.item_spread * y, 0.0, 1.0);
      if (ip.reverse) frac = 1.0 - frac;
      value = ip.min + frac * (ip.max - ip.min);
      if (ip.step > 0) value = ip.min + std::round((value - ip.min) / ip.step) * ip.step;
      value = std::clamp(value, ip.min, ip.max);
    } else {
      const double last = static_cast<double>(ip.values.size() - 1);
      const double position = std::clamp(std::round(last * (ip.centre + p.item_spread * y)), 0.0, last);
      auto index = static_cast<std::size_t>(position);
      if (ip.reverse) index = ip.values.size() - 1 - index;
      value = ip.values[index];
    }
    clinic.values.push_back(skipped ? 0.0 : value);
    clinic.present.push_back(skipped ? 0 : 1);
  }
  clinic.responses.push_back(header);
}

// Which kFacets entry each scale of the mindfulness instrument measures.
Result<std::vector<std::size_t>> FacetSlots(const Instrument& inst) {
  std::vector<std::size_t> slots(inst.scales.size(), 0);
  for (std::size_t f = 0; f < kFacets.size(); ++f) {
    bool found = false;
    for (std::size_t s = 0; s < inst.scales.size(); ++s) {
      if (inst.scales[s].id == kFacets[f]) {
        slots[s] = f;
        found = true;
      }
    }
    if (!found) {
      return Fail(ErrorCode::FAILED_PRECONDITION,
                  fmt::format("sim: instrument \"{}\" has no scale \"{}\"; expected the five FFMQ facets", inst.id,
                              kFacets[f]),
                  "mindfulness_instrument");
    }
  }
  return slots;
}

// Which kStyleDimensions entry each scale of the style instrument follows: by name, else order.
std::vector<std::size_t> StyleSlots(const Instrument& inst) {
  std::vector<std::size_t> slots(inst.scales.size(), 0);
  for (std::size_t s = 0; s < inst.scales.size(); ++s) {
    const std::string& id = inst.scales[s].id;
    auto has = [&](std::string_view part) { return id.find(part) != std::string::npos; };
    if (has("direct")) {
      slots[s] = 0;
    } else if (has("emotion") || has("intens")) {
      slots[s] = 1;
    } else if (has("past") || has("orient")) {
      slots[s] = 2;
    } else if (has("warm") || has("support") || has("challeng")) {
      slots[s] = 3;
    } else {
      slots[s] = s % kStyleDimensions.size();
    }
  }
  return slots;
}

double Logit(double p) { return std::log(p / (1.0 - p)); }

std::vector<double> WeightsOf(const std::vector<Weighted>& list) {
  std::vector<double> w;
  w.reserve(list.size());
  for (const auto& entry : list) w.push_back(entry.weight);
  return w;
}

struct Plans {
  FormPlan mindfulness, style, alliance, therapist_alliance;
  std::vector<FormPlan> outcomes;  // depression, anxiety, other
  std::vector<std::size_t> facet_slots, style_slots;
};

// The forms of the model, planned in a fixed order (it fixes Clinic::forms).
Result<Plans> MakePlans(const instruments::Catalogue& catalogue, const SimParams& p, Clinic& clinic) {
  Plans plans;
  auto m = PlanForm(catalogue, p.mindfulness_instrument, Role::MINDFULNESS, p, clinic);
  if (!m) return Error(m.error());
  plans.mindfulness = std::move(*m);
  auto s = PlanForm(catalogue, p.style_instrument, Role::STYLE, p, clinic);
  if (!s) return Error(s.error());
  plans.style = std::move(*s);
  for (const std::string* id :
       {&p.outcome_instrument_depression, &p.outcome_instrument_anxiety, &p.outcome_instrument_other}) {
    auto o = PlanForm(catalogue, *id, Role::SYMPTOM, p, clinic);
    if (!o) return Error(o.error());
    plans.outcomes.push_back(std::move(*o));
  }
  auto a = PlanForm(catalogue, p.client_alliance_instrument, Role::ALLIANCE, p, clinic);
  if (!a) return Error(a.error());
  plans.alliance = std::move(*a);
  auto t = PlanForm(catalogue, p.therapist_alliance_instrument, Role::THERAPIST_ALLIANCE, p, clinic);
  if (!t) return Error(t.error());
  plans.therapist_alliance = std::move(*t);
  auto f = FacetSlots(*plans.mindfulness.instrument);
  if (!f) return Error(f.error());
  plans.facet_slots = std::move(*f);
  plans.style_slots = StyleSlots(*plans.style.instrument);
  return plans;
}

// What client and episode generation share: the plans, parameters, seed and scratch space.
struct Model {
  const SimParams& p;
  const Plans& plans;
  std::uint64_t seed = 0;
  std::vector<double> domain_weights, language_weights;
  std::vector<std::size_t> client_domain, client_outcome;  // by client index
  std::vector<double> latents, dips, client_profile, therapist_profile;
  double client_sd = 0, base_logit = 0, sub_a = 0, sub_e = 0, tr_r = 0, tr_e = 0, len_a = 0, len_e = 0;
  double profile_w = 0, fresh_w = 0;  // weights of a subscale's stable and fresh own parts

  Model(const SimParams& params, const Plans& form_plans, std::uint64_t s)
      : p(params), plans(form_plans), seed(s), domain_weights(WeightsOf(params.domains)),
        language_weights(WeightsOf(params.client_languages)),
        dips(static_cast<std::size_t>(params.sessions) + 2) {
    client_sd = std::sqrt(1.0 - p.therapist_alliance_icc - p.preference_fit_effect * p.preference_fit_effect);
    base_logit = Logit(p.dropout_base_hazard);
    sub_a = std::sqrt(p.alliance_subscale_r);
    sub_e = std::sqrt(1.0 - p.alliance_subscale_r);
    fresh_w = std::sqrt(p.alliance_subscale_session_share);
    profile_w = std::sqrt(1.0 - p.alliance_subscale_session_share);
    tr_r = p.client_therapist_alliance_r;
    tr_e = std::sqrt(1.0 - tr_r * tr_r);
    len_a = std::sqrt(p.therapist_leniency_share);
    len_e = std::sqrt(1.0 - p.therapist_leniency_share);
  }
};

// Appends client `id` from its own stream: concerns, language, modality, outcome measure,
// intake severity and the C-NIP preference answers.
void AddClient(Model& m, std::uint32_t id, Simulation& sim) {
  const SimParams& p = m.p;
  Clinic& clinic = sim.clinic;
  const std::size_t n_domains = p.domains.size();
  Rng rng(StreamSeed(m.seed, Stream::CLIENT, id));
  Client cl;
  ClientTruth ct;
  cl.id = ct.id = id;
  const std::size_t domain = rng.Pick(m.domain_weights);
  m.client_domain.push_back(domain);
  cl.primary_domain = p.domains[domain].name;
  cl.concerns.push_back(cl.primary_domain);
  if (n_domains > 1 && rng.Bernoulli(p.secondary_concern_prob)) {
    std::vector<double> others = m.domain_weights;
    others[domain] = 0;
    double total = 0;
    for (double w : others) total += w;
    if (total > 0) cl.concerns.push_back(p.domains[rng.Pick(others)].name);
  }
  cl.language = p.client_languages[rng.Pick(m.language_weights)].name;
  cl.modality = static_cast<Modality>(rng.Pick(p.client_modality_probs));
  const std::size_t outcome = cl.primary_domain == "depression" ? 0 : cl.primary_domain == "anxiety" ? 1 : 2;
  m.client_outcome.push_back(outcome);
  cl.outcome_instrument = m.plans.outcomes[outcome].instrument->id;
  ct.intake_severity = rng.Normal();
  for (double& v : ct.preferences) v = rng.Normal();

  Response header;
  header.client_id = cl.id;
  m.latents.assign(m.plans.style_slots.size(), 0.0);
  for (std::size_t s = 0; s < m.latents.size(); ++s) m.latents[s] = ct.preferences[m.plans.style_slots[s]];
  Answer(m.plans.style, m.latents, p, rng, header, clinic);

  clinic.clients.push_back(std::move(cl));
  sim.truth.clients.push_back(ct);
}

// Simulates one episode session by session from its own stream; `shift` is added to its
// alliance level (a trained therapist's gain in a trial; 0 otherwise).
void SimulateEpisode(Model& m, Episode& ep, double shift, Simulation& sim) {
  const SimParams& p = m.p;
  const Plans& plans = m.plans;
  Clinic& clinic = sim.clinic;
  const int n_sessions = p.sessions;
  const auto& alliance_scales = plans.alliance.instrument->scales;
  const auto& therapist_scales = plans.therapist_alliance.instrument->scales;
  std::vector<double>& latents = m.latents;
  std::vector<double>& dips = m.dips;
  // Latents of an alliance form: "total" (and any scale holding every item) follows the
  // session's alliance; each subscale is sqrt(rho) a + sqrt(1 - rho) xi, where its own part xi
  // is the episode's stable profile plus a fresh draw in the proportion the alliance itself varies.
  auto alliance_latents = [&](const std::vector<instruments::Scale>& scales, std::size_t n_items,
                              const std::vector<double>& profile, double a, Rng& rng) {
    latents.assign(scales.size(), a);
    for (std::size_t s = 0; s < scales.size(); ++s) {
      const double xi = m.profile_w * profile[s] + m.fresh_w * rng.Normal();
      if (scales[s].items.size() < n_items) latents[s] = m.sub_a * a + m.sub_e * xi;
    }
  };
  {
    Rng profile_rng(StreamSeed(m.seed, Stream::PROFILE, ep.id));
    m.client_profile.resize(alliance_scales.size());
    for (double& v : m.client_profile) v = profile_rng.Normal();
    m.therapist_profile.resize(therapist_scales.size());
    for (double& v : m.therapist_profile) v = profile_rng.Normal();
  }

  Rng rng(StreamSeed(m.seed, Stream::EPISODE, ep.id));
  const std::size_t ci = ep.client_id - 1, ti = ep.therapist_id - 1;
  const ClientTruth& ct = sim.truth.clients[ci];
  const TherapistTruth& tt = sim.truth.therapists[ti];
  EpisodeTruth et;
  et.id = ep.id;
  double msd = 0;
  for (std::size_t d = 0; d < 4; ++d) msd += (ct.preferences[d] - tt.style[d]) * (ct.preferences[d] - tt.style[d]);
  et.fit = (2.0 - msd / 4.0) / std::sqrt(2.0);
  et.alliance_level = tt.alliance_effect + p.preference_fit_effect * et.fit + m.client_sd * rng.Normal();
  if (shift != 0) et.alliance_level += shift;
  const double domain_effect = tt.domain_effects[m.client_domain[ci]];
  const FormPlan& outcome_plan = plans.outcomes[m.client_outcome[ci]];

  et.deteriorated = n_sessions >= 3 && rng.Bernoulli(p.deterioration_prob);
  if (et.deteriorated) et.deterioration_onset = rng.UniformInt(2, n_sessions - 1);
  std::fill(dips.begin(), dips.end(), 0.0);
  int unrepaired_open = 0;  // count of unrepaired ruptures so far
  double severity = ct.intake_severity;

  Response header;
  header.therapist_id = ep.therapist_id;
  header.client_id = ep.client_id;
  header.episode_id = ep.id;
  for (int k = 1; k <= n_sessions; ++k) {
    const auto ks = static_cast<std::size_t>(k);
    const bool attended = k == 1 || !rng.Bernoulli(p.missed_session_prob);
    if (attended && k >= 2 && rng.Bernoulli(p.rupture_prob)) {
      RuptureTruth rupture;
      rupture.session = k;
      rupture.depth = p.rupture_depth * (0.75 + 0.5 * rng.Uniform());
      rupture.repaired = rng.Bernoulli(p.rupture_repair_prob) && k < n_sessions;
      dips[ks] += rupture.depth;
      if (rupture.repaired) {
        rupture.repair_session = k + 1;
        dips[ks + 1] += 0.5 * rupture.depth;
      } else {
        for (std::size_t j = ks + 1; j < dips.size(); ++j) dips[j] += p.unrepaired_residual * rupture.depth;
        ++unrepaired_open;
      }
      et.ruptures.push_back(rupture);
    }
    const double alliance =
        et.alliance_level + p.alliance_growth * (k - 1) + p.alliance_session_sd * rng.Normal() - dips[ks];
    et.alliance.push_back(alliance);
    et.severity.push_back(severity);
    clinic.sessions.push_back(Session{ep.id, k, attended});
    ep.sessions_scheduled = k;

    if (attended) {
      ++ep.sessions_attended;
      ep.last_session = k;
      header.session = k;
      // Outcome at the start (always at intake), then both alliance forms at the end.
      if (k == 1 || !rng.Bernoulli(p.form_skip_prob)) {
        latents.assign(outcome_plan.instrument->scales.size(), severity);
        Answer(outcome_plan, latents, p, rng, header, clinic);
      }
      if (!rng.Bernoulli(p.form_skip_prob)) {
        alliance_latents(alliance_scales, plans.alliance.items.size(), m.client_profile, alliance, rng);
        Answer(plans.alliance, latents, p, rng, header, clinic);
      }
      if (!rng.Bernoulli(p.form_skip_prob)) {
        const double rated = m.tr_r * alliance + m.tr_e * (m.len_a * tt.leniency + m.len_e * rng.Normal());
        alliance_latents(therapist_scales, plans.therapist_alliance.items.size(), m.therapist_profile, rated, rng);
        Answer(plans.therapist_alliance, latents, p, rng, header, clinic);
      }
      if (k < n_sessions) {
        const double logit = m.base_logit - p.dropout_alliance_slope * alliance +
                             (unrepaired_open > 0 ? p.rupture_dropout_logit : 0.0);
        if (rng.Bernoulli(1.0 / (1.0 + std::exp(-logit)))) {
          ep.dropped_out = true;
          break;
        }
      }
    }
    double change = attended ? p.improvement_base + p.alliance_outcome_effect * alliance + domain_effect : 0.0;
    if (et.deteriorated && k >= et.deterioration_onset) change -= p.deterioration_rate;
    severity = std::max(p.severity_floor, severity - change + p.severity_session_sd * rng.Normal());
  }
  et.dropped_out = ep.dropped_out;
  et.last_session = ep.last_session;
  // A deterioration counts only if a measurement after its onset was taken.
  if (et.deteriorated && et.deterioration_onset >= ep.last_session) {
    et.deteriorated = false;
    et.deterioration_onset = 0;
  }
  sim.truth.episodes.push_back(std::move(et));
}

// Open episodes (SimParams::open_share): each episode, from its own stream, is still in progress
// with probability open_share, observed up to a session drawn uniformly before its last attended
// one (its first, when it has only one). Its later sessions, answers, ruptures and dropout are
// the future: not in the data, and not in the truth either.
void OpenEpisodes(const SimParams& p, std::uint64_t seed, Simulation& sim) {
  Clinic& clinic = sim.clinic;
  std::vector<int> cut(clinic.episodes.size() + 1, 0);  // by episode id; 0 = ended
  bool any = false;
  for (std::size_t e = 0; e < clinic.episodes.size(); ++e) {
    Episode& ep = clinic.episodes[e];
    Rng rng(StreamSeed(seed, Stream::CENSUS, ep.id));
    if (!rng.Bernoulli(p.open_share)) continue;
    const int c = ep.last_session >= 2 ? rng.UniformInt(1, ep.last_session - 1) : 1;
    cut[ep.id] = c;
    any = true;
    ep.open = true;
    ep.dropped_out = false;
    ep.sessions_scheduled = c;
    ep.sessions_attended = 0;
    ep.last_session = 0;
    EpisodeTruth& et = sim.truth.episodes[e];
    et.open = true;
    et.dropped_out = false;
    et.alliance.resize(static_cast<std::size_t>(c));
    et.severity.resize(static_cast<std::size_t>(c));
    std::erase_if(et.ruptures, [c](const RuptureTruth& r) { return r.session > c; });
    for (auto& r : et.ruptures) {
      if (r.repaired && r.repair_session > c) {
        r.repaired = false;
        r.repair_session = 0;
      }
    }
  }
  if (!any) return;
  std::erase_if(clinic.sessions, [&](const Session& s) { return cut[s.episode_id] > 0 && s.number > cut[s.episode_id]; });
  for (const Session& s : clinic.sessions) {
    if (cut[s.episode_id] == 0 || !s.attended) continue;
    Episode& ep = clinic.episodes[s.episode_id - 1];
    ++ep.sessions_attended;
    ep.last_session = std::max(ep.last_session, s.number);
  }
  for (std::size_t e = 0; e < clinic.episodes.size(); ++e) {
    const Episode& ep = clinic.episodes[e];
    EpisodeTruth& et = sim.truth.episodes[e];
    if (!ep.open) continue;
    et.last_session = ep.last_session;
    if (et.deteriorated && et.deterioration_onset >= ep.last_session) {
      et.deteriorated = false;
      et.deterioration_onset = 0;
    }
  }
  // Drop the future's answers and renumber the responses.
  std::vector<Response> kept;
  std::vector<double> values;
  std::vector<unsigned char> present;
  for (const Response& r : clinic.responses) {
    if (r.episode_id && cut[r.episode_id] > 0 && r.session > cut[r.episode_id]) continue;
    Response moved = r;
    moved.id = static_cast<std::uint32_t>(kept.size() + 1);
    moved.offset = values.size();
    values.insert(values.end(), clinic.values.begin() + static_cast<std::ptrdiff_t>(r.offset),
                  clinic.values.begin() + static_cast<std::ptrdiff_t>(r.offset + r.count));
    present.insert(present.end(), clinic.present.begin() + static_cast<std::ptrdiff_t>(r.offset),
                   clinic.present.begin() + static_cast<std::ptrdiff_t>(r.offset + r.count));
    kept.push_back(moved);
  }
  clinic.responses = std::move(kept);
  clinic.values = std::move(values);
  clinic.present = std::move(present);
}

}  // namespace

Result<Simulation> SimulateClinic(const instruments::Catalogue& catalogue, const SimParams& params,
                                  std::uint64_t seed) {
  if (auto ok = Validate(params); !ok) return Error(ok.error());
  const SimParams& p = params;
  Simulation sim;
  Clinic& clinic = sim.clinic;
  Truth& truth = sim.truth;
  truth.seed = seed;
  truth.params = params;

  auto planned = MakePlans(catalogue, p, clinic);
  if (!planned) return Error(planned.error());
  const Plans& plans = *planned;

  // The facet composite: c = w'facets, sd(c) = sqrt(w' R w); corr(facet_f, u_t) = sqrt(R²) (R w)_f / sd(c).
  const Matrix5 chol = *Cholesky(p.facet_correlations);
  std::array<double, 5> rw{};
  double composite_var = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < 5; ++j) rw[i] += p.facet_correlations[i][j] * p.facet_weights[j];
    composite_var += p.facet_weights[i] * rw[i];
  }
  const double composite_sd = composite_var > 0 ? std::sqrt(composite_var) : 1.0;
  for (std::size_t f = 0; f < 5; ++f) {
    truth.implied_facet_correlations[f] = composite_var > 0 ? std::sqrt(p.facet_r2) * rw[f] / composite_sd : 0.0;
  }
  const double sqrt_icc = std::sqrt(p.therapist_alliance_icc);
  const std::size_t n_domains = p.domains.size();

  // --- Therapists ---
  clinic.therapists.reserve(static_cast<std::size_t>(p.therapists));
  truth.therapists.reserve(static_cast<std::size_t>(p.therapists));
  std::vector<double> latents;
  for (int t = 1; t <= p.therapists; ++t) {
    Rng rng(StreamSeed(seed, Stream::THERAPIST, static_cast<std::uint64_t>(t)));
    Therapist th;
    TherapistTruth tt;
    th.id = tt.id = static_cast<std::uint32_t>(t);
    th.languages.push_back("en");
    for (const auto& lang : p.second_languages) {
      if (rng.Bernoulli(lang.weight) && lang.name != "en") th.languages.push_back(lang.name);
    }
    th.modality = static_cast<Modality>(rng.Pick(p.therapist_modality_probs));
    th.capacity = rng.UniformInt(p.capacity_min, p.capacity_max);
    th.mindfulness_trained = rng.Bernoulli(p.trained_fraction);
    th.training_hours = th.mindfulness_trained ? rng.UniformInt(8, 100) : 0;

    std::array<double, 5> z{};
    for (double& v : z) v = rng.Normal();
    double composite = 0;
    for (std::size_t i = 0; i < 5; ++i) {
      double v = 0;
      for (std::size_t j = 0; j <= i; ++j) v += chol[i][j] * z[j];
      tt.facets[i] = v + (th.mindfulness_trained ? p.training_facet_shift : 0.0);
      composite += p.facet_weights[i] * tt.facets[i];
    }
    tt.facet_part = composite_var > 0 ? sqrt_icc * std::sqrt(p.facet_r2) * composite / composite_sd : 0.0;
    tt.alliance_effect = tt.facet_part + sqrt_icc * std::sqrt(1.0 - p.facet_r2) * rng.Normal();
    tt.leniency = rng.Normal();
    const double general = rng.Normal();
    tt.domain_effects.resize(n_domains);
    for (auto& d : tt.domain_effects) {
      d = p.therapist_domain_effect_sd * (std::sqrt(p.therapist_domain_general_share) * general +
                                          std::sqrt(1.0 - p.therapist_domain_general_share) * rng.Normal());
    }
    for (double& s : tt.style) s = rng.Normal();

    Response header;
    header.therapist_id = th.id;
    latents.assign(plans.facet_slots.size(), 0.0);
    for (std::size_t s = 0; s < latents.size(); ++s) latents[s] = tt.facets[plans.facet_slots[s]];
    Answer(plans.mindfulness, latents, p, rng, header, clinic);
    latents.assign(plans.style_slots.size(), 0.0);
    for (std::size_t s = 0; s < latents.size(); ++s) latents[s] = tt.style[plans.style_slots[s]];
    Answer(plans.style, latents, p, rng, header, clinic);

    clinic.therapists.push_back(std::move(th));
    truth.therapists.push_back(std::move(tt));
  }

  // --- Clients ---
  Model model(p, plans, seed);
  clinic.clients.reserve(static_cast<std::size_t>(p.clients + p.waitlist));
  truth.clients.reserve(static_cast<std::size_t>(p.clients + p.waitlist));
  for (int c = 1; c <= p.clients; ++c) AddClient(model, static_cast<std::uint32_t>(c), sim);

  // --- Assignment as usual: random among therapists with room (language and modality fit) ---
  {
    Rng rng(StreamSeed(seed, Stream::ASSIGNMENT, 0));
    // Language sets as bit masks over the clients' languages (a client language no therapist
    // speaks matches nobody: that client waits).
    const std::size_t n_lang = std::min<std::size_t>(p.client_languages.size(), 64);
    auto language_bit = [&](const std::string& name) -> std::uint64_t {
      for (std::size_t i = 0; i < n_lang; ++i) {
        if (p.client_languages[i].name == name) return std::uint64_t{1} << i;
      }
      return 0;
    };
    std::vector<std::uint64_t> speaks(clinic.therapists.size(), 0);
    std::vector<int> room(clinic.therapists.size());
    std::vector<std::size_t> open;  // therapists with room, in a deterministic order
    for (std::size_t t = 0; t < clinic.therapists.size(); ++t) {
      for (const auto& lang : clinic.therapists[t].languages) speaks[t] |= language_bit(lang);
      room[t] = clinic.therapists[t].capacity;
      open.push_back(t);
    }
    std::vector<std::size_t> eligible;  // positions in `open`
    eligible.reserve(open.size());
    for (auto& cl : clinic.clients) {
      const std::uint64_t need = language_bit(cl.language);
      for (int relax = 0; relax < 2 && eligible.empty(); ++relax) {
        for (std::size_t k = 0; k < open.size(); ++k) {
          const Therapist& th = clinic.therapists[open[k]];
          const bool offers = relax == 1 || th.modality == Modality::BOTH || cl.modality == Modality::BOTH ||
                              th.modality == cl.modality;
          if ((speaks[open[k]] & need) != 0 && offers) eligible.push_back(k);
        }
      }
      if (eligible.empty()) {
        cl.waitlisted = true;
        continue;
      }
      const std::size_t k =
          eligible[static_cast<std::size_t>(rng.UniformInt(0, static_cast<int>(eligible.size()) - 1))];
      eligible.clear();
      const std::size_t t = open[k];
      if (--room[t] == 0) {
        open[k] = open.back();
        open.pop_back();
      }
      Episode ep;
      ep.id = static_cast<std::uint32_t>(clinic.episodes.size() + 1);
      ep.client_id = cl.id;
      ep.therapist_id = clinic.therapists[t].id;
      clinic.episodes.push_back(ep);
    }
  }

  // --- Episodes and sessions ---
  truth.episodes.reserve(clinic.episodes.size());
  clinic.sessions.reserve(clinic.episodes.size() * static_cast<std::size_t>(p.sessions));
  for (Episode& ep : clinic.episodes) SimulateEpisode(model, ep, 0.0, sim);

  // --- A living clinic: open episodes, then the waitlist (clients after all the others) ---
  if (p.open_share > 0) OpenEpisodes(p, seed, sim);
  for (int w = 1; w <= p.waitlist; ++w) {
    AddClient(model, static_cast<std::uint32_t>(clinic.clients.size() + 1), sim);
    clinic.clients.back().waitlisted = true;
  }
  return sim;
}

Result<void> SimulateTrial(const instruments::Catalogue& catalogue, const TrialPlan& plan, Simulation& simulation) {
  Clinic& clinic = simulation.clinic;
  Truth& truth = simulation.truth;
  const SimParams& p = truth.params;
  if (auto ok = Validate(plan, clinic.therapists.size()); !ok) return Error(ok.error());
  auto planned = MakePlans(catalogue, p, clinic);
  if (!planned) return Error(planned.error());
  const Plans& plans = *planned;
  Model model(p, plans, truth.seed);
  // Domains and outcome measures of the clients so far (the new ones are appended by AddClient).
  for (const Client& cl : clinic.clients) {
    std::size_t domain = 0;
    while (domain + 1 < p.domains.size() && p.domains[domain].name != cl.primary_domain) ++domain;
    model.client_domain.push_back(domain);
    model.client_outcome.push_back(cl.primary_domain == "depression" ? 0 : cl.primary_domain == "anxiety" ? 1 : 2);
  }

  // --- Therapists: facet gain, alliance gain, training log, FFMQ at post and follow-up ---
  double weight_sum = 0;
  for (double w : p.facet_weights) weight_sum += w;
  truth.trial.clear();
  for (std::size_t t = 0; t < clinic.therapists.size(); ++t) {
    const Therapist& th = clinic.therapists[t];
    const TherapistTruth& tt = truth.therapists[t];
    Rng rng(StreamSeed(truth.seed, Stream::TRIAL, th.id));
    TherapistTrialTruth tr;
    tr.id = th.id;
    tr.step = plan.steps[t];
    std::array<double, 5> change{};
    double weighted = 0;
    for (std::size_t f = 0; f < 5; ++f) {
      change[f] = p.training_facet_shift + plan.facet_change_sd * rng.Normal();
      weighted += p.facet_weights[f] * change[f];
    }
    // The gain follows the therapist's facet gain: `effect` for the average gain.
    const double scale = p.training_facet_shift > 0 && weight_sum > 0 ? p.training_facet_shift * weight_sum : 0.0;
    const double gain = scale > 0 ? plan.effect * weighted / scale : plan.effect;
    if (tr.step > 0) {
      tr.facet_change = change;
      tr.alliance_gain = gain;
      for (int week = 1; week <= plan.training_weeks; ++week) {
        if (rng.Bernoulli(plan.session_attendance)) {
          clinic.training.push_back({th.id, week, "mbsr_session", plan.session_minutes});
        }
        const double minutes = std::round(plan.practice_minutes * (1.0 + rng.Normal() / 3.0));
        if (minutes > 0) clinic.training.push_back({th.id, week, "home_practice", static_cast<int>(minutes)});
      }
    }
    for (int occasion = 1; occasion <= 2; ++occasion) {
      // Post is measured at the start of period 1 (only step-1 therapists trained by then);
      // follow-up after the last period (every trained therapist, keeping part of the gain).
      const double kept = occasion == 1 ? (tr.step == 1 ? 1.0 : 0.0) : (tr.step > 0 ? plan.followup_retention : 0.0);
      Response header;
      header.therapist_id = th.id;
      header.occasion = occasion;
      model.latents.assign(plans.facet_slots.size(), 0.0);
      for (std::size_t s = 0; s < model.latents.size(); ++s) {
        const std::size_t f = plans.facet_slots[s];
        model.latents[s] = tt.facets[f] + kept * tr.facet_change[f];
      }
      Answer(plans.mindfulness, model.latents, p, rng, header, clinic);
    }
    truth.trial.push_back(tr);
  }

  // --- Periods: new clients, assigned at random among therapists who speak their language ---
  for (int period = 1; period <= plan.periods; ++period) {
    Rng rng(StreamSeed(truth.seed, Stream::ASSIGNMENT, static_cast<std::uint64_t>(period)));
    const std::size_t first_episode = clinic.episodes.size();
    std::vector<std::size_t> eligible;
    for (int c = 0; c < plan.clients_per_period; ++c) {
      AddClient(model, static_cast<std::uint32_t>(clinic.clients.size() + 1), simulation);
      Client& cl = clinic.clients.back();
      cl.period = period;
      eligible.clear();
      for (std::size_t t = 0; t < clinic.therapists.size(); ++t) {
        const auto& langs = clinic.therapists[t].languages;
        if (std::find(langs.begin(), langs.end(), cl.language) != langs.end()) eligible.push_back(t);
      }
      if (eligible.empty()) {
        for (std::size_t t = 0; t < clinic.therapists.size(); ++t) eligible.push_back(t);
      }
      const std::size_t t =
          eligible[static_cast<std::size_t>(rng.UniformInt(0, static_cast<int>(eligible.size()) - 1))];
      Episode ep;
      ep.id = static_cast<std::uint32_t>(clinic.episodes.size() + 1);
      ep.client_id = cl.id;
      ep.therapist_id = clinic.therapists[t].id;
      ep.period = period;
      clinic.episodes.push_back(ep);
    }
    for (std::size_t e = first_episode; e < clinic.episodes.size(); ++e) {
      Episode& ep = clinic.episodes[e];
      const TherapistTrialTruth& tr = truth.trial[ep.therapist_id - 1];
      const bool trained = tr.step > 0 && period >= tr.step;
      SimulateEpisode(model, ep, trained ? tr.alliance_gain : 0.0, simulation);
    }
  }
  return Ok();
}

}  // namespace attune::sim
