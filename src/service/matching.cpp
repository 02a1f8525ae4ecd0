// Matching use cases: store -> model::TrainingData -> fit -> rank / assign (docs/matching.md).
#include "attune/service/matching.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "attune/core/constraints.hpp"
#include "attune/instruments/scoring.hpp"
#include "attune/service/episodes.hpp"

namespace attune::service {
namespace {

const char* kOutcomeInstruments[] = {"phq9", "gad7", "core10"};

// Which kStyles dimension a stored C-NIP key follows ("therapist_directiveness" -> 0), or -1.
int StyleDimension(const std::string& key) {
  auto has = [&](const char* part) { return key.find(part) != std::string::npos; };
  if (has("direct")) return 0;
  if (has("emotion") || has("intens")) return 1;
  if (has("past") || has("orient")) return 2;
  if (has("warm") || has("support") || has("challeng")) return 3;
  return -1;
}

// A style or preference map as the four dimensions; `known` says which were given (a dimension
// not given is unknown to the model, which then uses its expectation).
std::optional<std::array<double, 4>> Dimensions(const std::map<std::string, double>& by_key,
                                                std::array<bool, 4>& known) {
  std::array<double, 4> out{};
  known = {false, false, false, false};
  bool any = false;
  for (const auto& [key, value] : by_key) {
    const int d = StyleDimension(key);
    if (d < 0) continue;
    out[static_cast<std::size_t>(d)] = value;
    known[static_cast<std::size_t>(d)] = true;
    any = true;
  }
  if (!any) return std::nullopt;
  return out;
}

match::Modality ParseModality(const std::string& s) {
  if (s == "in_person") return match::Modality::IN_PERSON;
  if (s == "video") return match::Modality::VIDEO;
  return match::Modality::BOTH;
}

// --- The stored model: two fitted_models rows, the model and a small meta row read first. ---

using Json = nlohmann::json;
constexpr const char* kModelName = "match.model";
constexpr const char* kMetaName = "match.model.meta";
constexpr int kModelFormat = 1;

Json EffectJson(const model::OwnEffect& e) { return Json::array({e.n, e.raw, e.shrunk, e.variance}); }
model::OwnEffect EffectFrom(const Json& j) {
  return {j.at(0).get<std::size_t>(), j.at(1).get<double>(), j.at(2).get<double>(), j.at(3).get<double>()};
}

Json SubmodelJson(const model::Submodel& s) {
  Json coefs = Json::array();
  for (const auto& c : s.coefficients) {
    coefs.push_back({{"name", c.name}, {"prior_mean", c.prior_mean}, {"prior_sd", c.prior_sd},
                     {"data_estimate", c.data_estimate ? Json(*c.data_estimate) : Json(nullptr)},
                     {"mean", c.mean}, {"sd", c.sd}, {"data_weight", c.data_weight}});
  }
  return {{"coefficients", coefs}, {"covariance", s.covariance}, {"therapist_variance", s.therapist_variance},
          {"residual_variance", s.residual_variance}, {"n", s.n}, {"y_mean", s.y_mean}, {"y_sd", s.y_sd}};
}

model::Submodel SubmodelFrom(const Json& j) {
  model::Submodel s;
  for (const auto& c : j.at("coefficients")) {
    model::Coefficient k;
    k.name = c.at("name").get<std::string>();
    k.prior_mean = c.at("prior_mean").get<double>();
    k.prior_sd = c.at("prior_sd").get<double>();
    if (!c.at("data_estimate").is_null()) k.data_estimate = c.at("data_estimate").get<double>();
    k.mean = c.at("mean").get<double>();
    k.sd = c.at("sd").get<double>();
    k.data_weight = c.at("data_weight").get<double>();
    s.coefficients.push_back(std::move(k));
  }
  s.covariance = j.at("covariance").get<std::vector<std::vector<double>>>();
  s.therapist_variance = j.at("therapist_variance").get<double>();
  s.residual_variance = j.at("residual_variance").get<double>();
  s.n = j.at("n").get<std::size_t>();
  s.y_mean = j.at("y_mean").get<double>();
  s.y_sd = j.at("y_sd").get<double>();
  return s;
}

Json EffectsJson(const std::map<Id, model::OwnEffect>& effects) {
  Json out = Json::array();
  for (const auto& [id, e] : effects) out.push_back({id, EffectJson(e)});
  return out;
}

std::map<Id, model::OwnEffect> EffectsFrom(const Json& j) {
  std::map<Id, model::OwnEffect> out;
  for (const auto& row : j) out[row.at(0).get<Id>()] = EffectFrom(row.at(1));
  return out;
}

// The whole fitted model: the objectives it serves and every parameter.
Json ModelJson(const model::FittedModel& m, std::int64_t responses) {
  Json domain_effects = Json::array();
  for (const auto& [id, per] : m.domain_effects) {
    Json cells = Json::array();
    for (const auto& e : per) cells.push_back(EffectJson(e));
    domain_effects.push_back({id, cells});
  }
  return {{"format", kModelFormat},
          {"fitted_at", m.fitted_at},
          {"episodes", m.episodes},
          {"responses", responses},
          {"objectives", {"alliance", "outcome", "blend"}},
          {"therapists", m.therapists},
          {"therapists_with_data", m.therapists_with_data},
          {"facet_mean", m.facet_mean},
          {"facet_sd", m.facet_sd},
          {"style_mean", m.style_mean},
          {"style_sd", m.style_sd},
          {"preference_mean", m.preference_mean},
          {"preference_sd", m.preference_sd},
          {"alliance", SubmodelJson(m.alliance)},
          {"outcome", SubmodelJson(m.outcome)},
          {"alliance_effects", EffectsJson(m.alliance_effects)},
          {"outcome_effects", EffectsJson(m.outcome_effects)},
          {"domains", m.domains},
          {"domain_variance", m.domain_variance},
          {"domain_effects", domain_effects},
          {"data_weight", m.data_weight},
          {"notes", m.notes}};
}

Result<model::FittedModel> ModelFrom(const std::string& body) {
  try {
    const Json j = Json::parse(body);
    if (j.at("format").get<int>() != kModelFormat) {
      return Fail(ErrorCode::FAILED_PRECONDITION,
                  fmt::format("stored model {}: format {} is not {}", kModelName, j.at("format").dump(), kModelFormat),
                  kModelName);
    }
    model::FittedModel m;
    m.fitted_at = j.at("fitted_at").get<std::string>();
    m.episodes = j.at("episodes").get<std::size_t>();
    m.therapists = j.at("therapists").get<std::size_t>();
    m.therapists_with_data = j.at("therapists_with_data").get<std::size_t>();
    m.facet_mean = j.at("facet_mean").get<std::array<double, 5>>();
    m.facet_sd = j.at("facet_sd").get<std::array<double, 5>>();
    m.style_mean = j.at("style_mean").get<std::array<double, 4>>();
    m.style_sd = j.at("style_sd").get<std::array<double, 4>>();
    m.preference_mean = j.at("preference_mean").get<std::array<double, 4>>();
    m.preference_sd = j.at("preference_sd").get<std::array<double, 4>>();
    m.alliance = SubmodelFrom(j.at("alliance"));
    m.outcome = SubmodelFrom(j.at("outcome"));
    m.alliance_effects = EffectsFrom(j.at("alliance_effects"));
    m.outcome_effects = EffectsFrom(j.at("outcome_effects"));
    m.domains = j.at("domains").get<std::vector<std::string>>();
    m.domain_variance = j.at("domain_variance").get<double>();
    for (const auto& row : j.at("domain_effects")) {
      std::vector<model::OwnEffect> per;
      for (const auto& cell : row.at(1)) per.push_back(EffectFrom(cell));
      m.domain_effects[row.at(0).get<Id>()] = std::move(per);
    }
    m.data_weight = j.at("data_weight").get<double>();
    m.notes = j.at("notes").get<std::vector<std::string>>();
    return m;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::INTERNAL, fmt::format("stored model {} is not readable: {}", kModelName, e.what()),
                kModelName);
  }
}

// Now in UTC to the millisecond: a fit's identity in the cache.
std::string FitTimestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms));
}

// Parsed stored models by (org, fitted_at): parsing is the costly part of reading one.
struct ModelCache {
  std::mutex mutex;
  std::map<std::pair<OrgId, std::string>, std::shared_ptr<const model::FittedModel>> models;
};
ModelCache& Cache() {
  static ModelCache cache;
  return cache;
}

void Remember(OrgId org, const std::shared_ptr<const model::FittedModel>& m) {
  ModelCache& c = Cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto it = c.models.begin(); it != c.models.end();) {
    it = it->first.first == org ? c.models.erase(it) : std::next(it);  // one model per org
  }
  c.models[{org, m->fitted_at}] = m;
}

Result<CurrentModel> FitAndStore(store::Store& store, OrgId org, const MatchData& data, const store::Actor& actor,
                                 std::int64_t responses, std::string reason) {
  model::FitOptions options;
  options.fitted_at = FitTimestamp();
  ATTUNE_TRY(fitted, model::Fit(data.training, options));
  auto shared = std::make_shared<const model::FittedModel>(std::move(fitted));
  const Json meta = {{"format", kModelFormat}, {"fitted_at", shared->fitted_at}, {"episodes", shared->episodes},
                     {"responses", responses}};
  // The model first, then the meta row readers look at: a reader never sees meta without its model.
  ATTUNE_CHECK(store.PutFittedModel(org, kModelName, ModelJson(*shared, responses).dump(), actor));
  ATTUNE_CHECK(store.PutFittedModel(org, kMetaName, meta.dump(), actor));
  Remember(org, shared);
  CurrentModel out;
  out.model = std::move(shared);
  out.responses_at_fit = out.responses_now = responses;
  out.refitted = true;
  out.reason = std::move(reason);
  return out;
}

// The current model; `loaded` is the organisation's data when the caller has it already.
Result<CurrentModel> Current(store::Store& store, OrgId org, const ModelFreshness& freshness,
                             const store::Actor& actor, const MatchData* loaded) {
  if (!(freshness.refit_growth >= 0)) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("refit_growth: value {} is not a fraction >= 0", freshness.refit_growth), "refit_growth");
  }
  ATTUNE_TRY(responses, store.CountResponses(org));
  auto refit = [&](std::string reason) -> Result<CurrentModel> {
    if (loaded) return FitAndStore(store, org, *loaded, actor, responses, std::move(reason));
    ATTUNE_TRY(data, LoadMatchData(store, org));
    return FitAndStore(store, org, data, actor, responses, std::move(reason));
  };
  if (freshness.force_refit) return refit("refit requested");
  ATTUNE_TRY(meta_body, store.GetFittedModel(org, kMetaName));
  if (!meta_body) return refit("no stored model");
  std::string fitted_at;
  std::int64_t at_fit = 0;
  try {
    const Json meta = Json::parse(*meta_body);
    if (meta.at("format").get<int>() != kModelFormat) return refit("stored model has an older format");
    fitted_at = meta.at("fitted_at").get<std::string>();
    at_fit = meta.at("responses").get<std::int64_t>();
  } catch (const std::exception&) {
    return refit("stored model meta is not readable");
  }
  const double growth = at_fit > 0 ? static_cast<double>(responses - at_fit) / static_cast<double>(at_fit)
                                   : (responses > 0 ? 1e300 : 0.0);
  if (responses < at_fit) return refit(fmt::format("responses fell from {} to {}", at_fit, responses));
  if (growth > freshness.refit_growth) {
    return refit(at_fit > 0 ? fmt::format("responses grew {:.0f}% (> {:.0f}%) since {}", 100 * growth,
                                          100 * freshness.refit_growth, fitted_at)
                            : std::string("first responses since the stored fit"));
  }
  CurrentModel out;
  out.responses_at_fit = at_fit;
  out.responses_now = responses;
  out.reason = fmt::format("stored model of {} is fresh (responses grew {:.0f}%, refit above {:.0f}%)", fitted_at,
                           100 * growth, 100 * freshness.refit_growth);
  {
    ModelCache& c = Cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.models.find({org, fitted_at});
    if (it != c.models.end()) {
      out.model = it->second;
      return out;
    }
  }
  ATTUNE_TRY(body, store.GetFittedModel(org, kModelName));
  if (!body) return refit("stored model row is missing");
  ATTUNE_TRY(parsed, ModelFrom(*body));
  auto shared = std::make_shared<const model::FittedModel>(std::move(parsed));
  Remember(org, shared);
  out.model = std::move(shared);
  return out;
}

}  // namespace

namespace {
// Each therapist's latest ffmq39 self-report: therapist id -> response id.
Result<std::unordered_map<Id, Id>> LatestFfmq(store::Store& store, OrgId org) {
  ATTUNE_TRY(ffmq, store.ListResponses(org, store::ResponseFilter{"ffmq39", std::nullopt, std::nullopt, 0}));
  std::unordered_map<Id, Id> latest;
  for (const auto& r : ffmq) {
    if (r.respondent == RespondentKind::THERAPIST) latest[r.respondent_id] = r.id;
  }
  return latest;
}
}  // namespace

match::TherapistProfile ProfileOf(const Therapist& th, const std::map<std::string, double>* facet_scores,
                                  int current_episodes) {
  match::TherapistProfile p;
  model::TherapistData& td = p.model;
  td.id = th.id;
  td.mindfulness_visible = th.ShowsClients(Therapist::kMindfulness);
  if (facet_scores != nullptr) {
    std::array<double, 5> f{};
    bool all = true;
    for (std::size_t k = 0; k < 5 && all; ++k) {
      auto s = facet_scores->find(model::kFacets[k]);
      all = s != facet_scores->end();
      if (all) f[k] = s->second;
    }
    if (all) td.facets = f;
  }
  td.style = Dimensions(th.style, td.style_known);
  p.languages = th.languages;
  p.modality = ParseModality(th.modality);
  p.location = th.location;
  p.capacity = std::max(0, th.capacity - current_episodes);
  p.accepting = th.accepting;
  return p;
}

match::ClientRequest RequestOf(const Client& cl) {
  match::ClientRequest req;
  req.model.id = cl.id;
  req.model.domains = cl.concerns;
  req.model.preferences = Dimensions(cl.preferences, req.model.preference_known);
  for (const auto& text : cl.constraints) {
    // Constraints are checked with the same grammar when written (ParseConstraints: at most one
    // modality and location); one stored before that check that it does not accept has no meaning
    // to filter by, and of repeated modalities or locations stored before it the first counts.
    auto c = ParseConstraint(text, "constraints");
    if (!c) continue;
    switch (c->kind) {
      case Constraint::Kind::LANGUAGE:
        if (std::find(req.languages.begin(), req.languages.end(), c->value) == req.languages.end()) {
          req.languages.push_back(c->value);
        }
        break;
      case Constraint::Kind::MODALITY:
        if (req.modality == match::Modality::BOTH) req.modality = ParseModality(c->value);
        break;
      case Constraint::Kind::LOCATION:
        if (req.location.empty()) req.location = c->value;
        break;
      case Constraint::Kind::EXCLUDE: req.excluded.push_back(c->therapist_id); break;
      case Constraint::Kind::RISK: req.high_risk = true; break;
    }
  }
  return req;
}

Result<std::vector<match::TherapistProfile>> LoadTherapistProfiles(store::Store& store, OrgId org,
                                                                   const std::vector<Therapist>& therapists,
                                                                   ScoresByResponse* memo) {
  ATTUNE_TRY(episodes, store.ListEpisodes(org));
  std::unordered_map<Id, int> current;  // a waiting choice holds a place as therapy does
  for (const auto& e : episodes) {
    if (IsCurrent(e)) ++current[e.therapist_id];
  }
  ATTUNE_TRY(latest_ffmq, LatestFfmq(store, org));
  ScoresByResponse local;
  ScoresByResponse& known = memo != nullptr ? *memo : local;
  std::vector<match::TherapistProfile> out;
  out.reserve(therapists.size());
  for (const auto& th : therapists) {
    const std::map<std::string, double>* facet_scores = nullptr;
    if (auto it = latest_ffmq.find(th.id); it != latest_ffmq.end()) {
      auto seen = known.find(it->second);
      if (seen == known.end()) {
        ATTUNE_TRY(scores, store.ScoresOf(org, it->second));
        seen = known.emplace(it->second, std::map<std::string, double>{}).first;
        for (const auto& s : scores) {
          if (s.value) seen->second[s.scale_id] = *s.value;
        }
      }
      facet_scores = &seen->second;
    }
    out.push_back(ProfileOf(th, facet_scores, current[th.id]));
  }
  return out;
}

Result<MatchData> LoadMatchData(store::Store& store, OrgId org) {
  ATTUNE_TRY(therapists, store.ListTherapists(org));
  ATTUNE_TRY(clients, store.ListClients(org));
  ATTUNE_TRY(episodes, store.ListEpisodes(org));
  // Every score by response id and scale.
  std::unordered_map<Id, std::map<std::string, double>> scores;
  ATTUNE_CHECK(store.ForEachScore(org, [&](const Score& s) {
    if (s.value) scores[s.response_id][s.scale_id] = *s.value;
  }));
  auto total = [&](Id response) -> std::optional<double> {
    auto it = scores.find(response);
    if (it == scores.end()) return std::nullopt;
    auto t = it->second.find("total");
    if (t == it->second.end()) return std::nullopt;
    return t->second;
  };

  MatchData out;
  std::unordered_map<Id, std::size_t> therapist_index, client_index;
  std::unordered_map<Id, int> current;
  std::unordered_map<Id, bool> placed;
  for (const auto& e : episodes) {
    // A waiting choice holds a place as therapy does, and its client waits for the clinic's
    // decision, not for a plan; a declined choice does neither.
    if (IsCurrent(e)) ++current[e.therapist_id];
    if (IsCurrent(e) || e.status == "ended") placed[e.client_id] = true;
  }
  // Facets: each therapist's latest ffmq39 response.
  ATTUNE_TRY(latest_ffmq, LatestFfmq(store, org));
  for (std::size_t t = 0; t < therapists.size(); ++t) {
    const Therapist& th = therapists[t];
    therapist_index[th.id] = t;
    const std::map<std::string, double>* facet_scores = nullptr;
    if (auto it = latest_ffmq.find(th.id); it != latest_ffmq.end()) facet_scores = &scores[it->second];
    match::TherapistProfile p = ProfileOf(th, facet_scores, current[th.id]);
    out.training.therapists.push_back(p.model);
    out.therapists.push_back(std::move(p));
  }
  for (std::size_t c = 0; c < clients.size(); ++c) {
    const Client& cl = clients[c];
    client_index[cl.id] = c;
    match::ClientRequest req = RequestOf(cl);
    out.training.clients.push_back(req.model);
    if (placed[cl.id]) continue;
    out.waitlist.push_back(std::move(req));
    out.waitlist_clients.push_back(cl);
  }

  // Alliance and improvement per episode.
  std::unordered_map<Id, std::size_t> episode_row;
  for (const auto& e : episodes) {
    auto t = therapist_index.find(e.therapist_id);
    auto c = client_index.find(e.client_id);
    if (t == therapist_index.end() || c == client_index.end()) continue;
    episode_row[e.id] = out.training.episodes.size();
    out.training.episodes.push_back({t->second, c->second, std::nullopt, std::nullopt});
  }
  ATTUNE_TRY(wai, store.ListResponses(org, store::ResponseFilter{"wai_sr", std::nullopt, std::nullopt, 0}));
  std::unordered_map<Id, std::pair<double, int>> alliance;  // episode -> (sum, n) of the first three
  for (const auto& r : wai) {
    if (!r.episode_id) continue;
    auto& a = alliance[*r.episode_id];
    if (a.second >= 3) continue;
    if (auto v = total(r.id)) {
      a.first += *v;
      ++a.second;
    }
  }
  for (const auto& [episode, a] : alliance) {
    auto row = episode_row.find(episode);
    if (row != episode_row.end() && a.second > 0) out.training.episodes[row->second].alliance = a.first / a.second;
  }
  for (const char* instrument : kOutcomeInstruments) {
    ATTUNE_TRY(rs, store.ListResponses(org, store::ResponseFilter{instrument, std::nullopt, std::nullopt, 0}));
    std::unordered_map<Id, std::pair<std::optional<double>, std::optional<double>>> first_last;
    std::unordered_map<Id, int> n;
    for (const auto& r : rs) {
      if (!r.episode_id) continue;
      auto v = total(r.id);
      if (!v) continue;
      auto& fl = first_last[*r.episode_id];
      if (!fl.first) fl.first = v;
      fl.second = v;
      ++n[*r.episode_id];
    }
    double s = 0, ss = 0, k = 0;
    for (const auto& [e, fl] : first_last) {
      s += *fl.first;
      ss += *fl.first * *fl.first;
      ++k;
    }
    if (k < 2) continue;
    const double sd = std::sqrt(std::max(1e-12, (ss - s * s / k) / (k - 1)));
    for (const auto& [e, fl] : first_last) {
      auto row = episode_row.find(e);
      if (row == episode_row.end() || n[e] < 2) continue;
      out.training.episodes[row->second].improvement = (*fl.first - *fl.second) / sd;
    }
  }
  return out;
}

Result<CurrentModel> FitMatchModel(store::Store& store, OrgId org, const store::Actor& actor) {
  return Current(store, org, ModelFreshness{0.0, true}, actor, nullptr);
}

Result<CurrentModel> CurrentMatchModel(store::Store& store, OrgId org, const ModelFreshness& freshness,
                                       const store::Actor& actor) {
  return Current(store, org, freshness, actor, nullptr);
}

Result<RankAnswer> RankForClient(store::Store& store, OrgId org, Id client_id, model::Objective objective,
                                 double blend_weight, std::size_t top, const ModelFreshness& freshness) {
  ATTUNE_TRY(client, store.GetClient(org, client_id));
  ATTUNE_TRY(data, LoadMatchData(store, org));
  RankAnswer answer;
  ATTUNE_TRY(current, Current(store, org, freshness, store::Actor{}, &data));
  answer.model = std::move(current);
  ATTUNE_TRY(ranker, match::Ranker::Build(*answer.model.model, data.therapists, objective, blend_weight));
  // The client's request from the stored row, constraints included, on the waitlist or not (a
  // client waiting on their own choice is not on it).
  const match::ClientRequest request = RequestOf(client);
  answer.ranking = ranker.Rank(request, top, true);
  ATTUNE_TRY(therapists, store.ListTherapists(org));
  std::unordered_map<Id, Therapist> by_id;
  for (auto& t : therapists) by_id[t.id] = t;
  for (const auto& r : answer.ranking.top) answer.therapists.push_back(by_id[r.therapist_id]);
  return answer;
}

namespace {

// The FFMQ-39 facets (model::kFacets order) as people read them.
// Each facet's highest FFMQ-39 score (8 items of 1-5, non-reactivity 7; Baer et al. 2006).
constexpr std::array<int, 5> kFacetMax = {40, 40, 40, 40, 35};
constexpr std::array<const char*, 5> kFacetWords = {"observing", "describing", "acting with awareness",
                                                    "non-judging acceptance", "non-reactivity to inner experience"};
// Each C-NIP dimension (model::kStyles order) as people read it.
constexpr std::array<const char*, 4> kDimensionWords = {"how directive the therapist is", "how emotionally intense",
                                                        "past or present focus", "warm support or challenge"};
// The ends of each C-NIP dimension (model::kStyles order) as people read them: {HIGH, LOW}.
constexpr std::array<std::array<const char*, 2>, 4> kPoleWords = {{{"a directive style", "a non-directive style"},
                                                                  {"emotionally intense work", "a calm, contained style"},
                                                                  {"a focus on the past", "a focus on the present"},
                                                                  {"warm support", "focused challenge"}}};

// Which way a term leans, from its sign (its contribution to the prediction).
const char* Leaning(double value) {
  return value > 0 ? "better than" : value < 0 ? "below what" : "as";
}
std::string ComparedWithExpected(double value) {
  return value > 0 ? "better than we would expect" : value < 0 ? "less well than we would expect" : "as we would expect";
}

}  // namespace

std::string TermReason(const model::Term& term, Reader reader, bool style_shown) {
  const bool client = reader == Reader::CLIENT;
  const char* outcome = term.outcome == model::Objective::OUTCOME ? "improvement" : "alliance";
  switch (term.kind) {
    case model::TermKind::BASELINE:
      return fmt::format("average expected {} in this clinic", outcome);
    case model::TermKind::FACET: {
      const char* level = term.level == model::Level::HIGH  ? "high"
                          : term.level == model::Level::LOW ? "low"
                                                            : "about average";
      // The raw score only when the therapist opted in (the model sets it then, not otherwise).
      if (term.raw_score) {
        return fmt::format("{} {} (therapist's mindfulness profile: FFMQ-39 score {} of {})", level,
                           kFacetWords.at(term.dimension), instruments::FormatScore(*term.raw_score),
                           kFacetMax.at(term.dimension));
      }
      return fmt::format("{} {} (therapist's mindfulness profile)", level, kFacetWords.at(term.dimension));
    }
    case model::TermKind::FIT: {
      const char* verb = term.value >= 0 ? "fits" : "differs from";
      // Checked first: a client who gave no preference is not told a therapist fits it.
      if (!term.preferred) {
        // A client reading about a therapist who does not show their style is not told whether it
        // is the style that is missing (the probe: "your preference or the therapist's style not
        // given" to a client who had given theirs told them this style had a gap).
        if (client && !style_shown) {
          return fmt::format("{}: average fit assumed (this therapist's style is not shown)",
                             kDimensionWords.at(term.dimension));
        }
        return fmt::format("{}: {} preference or the therapist's style not given, average fit assumed",
                           kDimensionWords.at(term.dimension), client ? "your" : "the client's");
      }
      if (client && !style_shown) {
        return fmt::format("{} your preferences for how therapy feels (this therapist's style is not shown)", verb);
      }
      return fmt::format("{} {} preference for {}", verb, client ? "your" : "the client's",
                         kPoleWords.at(term.dimension)[*term.preferred == model::Pole::HIGH ? 0 : 1]);
    }
    // A client reads these in plain words (the probe: "estimate shrunk towards the average" is the
    // statistician's, not theirs).
    // A record says which way it leans (the probe: "got on with them, beyond what we would expect"
    // said neither better nor worse).
    case model::TermKind::OWN_RECORD:
      if (client) {
        return fmt::format("this therapist's past clients here got on with them {}", ComparedWithExpected(term.value));
      }
      return fmt::format("{} of this therapist's {} past clients: {} the model expects", outcome, term.past_clients,
                         Leaning(term.value));
    case model::TermKind::OWN_SHRINKAGE:
      if (client) {
        return term.reliability < 0.5 ? "this therapist has seen few clients here yet, so we keep the guess close to "
                                        "the clinic's average"
                                      : "kept a little closer to the clinic's average, as every guess is";
      }
      if (term.reliability < 0.5) return "few past clients, estimate shrunk towards the average";
      return "estimate shrunk towards the average";
    case model::TermKind::DOMAIN:
      if (client) {
        return fmt::format("this therapist's past clients whose main concern was {} got on {}", term.domain,
                           ComparedWithExpected(term.value));
      }
      return fmt::format("record with {} past clients whose main concern was {}: {} the model expects (shrunk)",
                         term.past_clients, term.domain, Leaning(term.value));
  }
  return term.key;
}

Result<AssignPlan> AssignWaitlist(store::Store& store, OrgId org, const AssignWaitlistOptions& options) {
  ATTUNE_TRY(data, LoadMatchData(store, org));
  AssignPlan plan;
  ATTUNE_TRY(current, Current(store, org, options.freshness, options.actor, &data));
  plan.model = std::move(current);
  ATTUNE_TRY(ranker,
             match::Ranker::Build(*plan.model.model, data.therapists, options.objective, options.blend_weight));
  for (const auto& t : data.therapists) plan.therapist_ids.push_back(t.model.id);
  for (const auto& c : data.waitlist_clients) plan.client_ids.push_back(c.id);
  if (options.randomise) {
    const match::Problem problem = match::BuildProblem(ranker, data.waitlist, options.assign.candidates_per_client,
                                                       options.assign.unassigned_penalty);
    ATTUNE_TRY(allocation, match::Randomise(problem, *options.randomise, options.assign.seed));
    plan.solution = std::move(allocation.solution);
    plan.matched = std::move(allocation.matched);
  } else {
    ATTUNE_TRY(solution, match::Assign(ranker, data.waitlist, options.assign));
    plan.solution = std::move(solution);
  }
  if (!options.commit) return plan;
  if (options.started_on.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "started_on: a date is needed to commit episodes", "started_on");
  }
  for (std::size_t i = 0; i < plan.client_ids.size(); ++i) {
    const int t = plan.solution.therapist_of[i];
    if (t < 0) continue;
    Episode e;
    e.client_id = plan.client_ids[i];
    e.therapist_id = plan.therapist_ids[static_cast<std::size_t>(t)];
    e.started_on = options.started_on;
    e.status = "active";
    e.assigned_by = !plan.matched.empty() && plan.matched[i] == 0 ? "random" : "match";
    // Checked again under the write lock as any new episode is (OpenEpisode): a client who chose
    // or was placed meanwhile keeps their one current episode, a therapist filled meanwhile is not
    // overbooked.
    auto id = OpenEpisode(store, org, e, false, options.actor);
    if (!id) {
      return Fail(id.error().code,
                  fmt::format("client {}: episode not written ({} written before): {}", e.client_id,
                              plan.episode_ids.size(), id.error().message),
                  "commit");
    }
    plan.episode_ids.push_back(id->id);
  }
  return plan;
}

}  // namespace attune::service
