// Matching use cases: store -> model::TrainingData -> fit -> rank / assign (docs/matching.md).
#include "attune/service/matching.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

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

// A style or preference map as the four dimensions. Dimensions not given are 0, the neutral
// centre of the bipolar C-NIP scales; nothing given at all is "unknown".
std::optional<std::array<double, 4>> Dimensions(const std::map<std::string, double>& by_key) {
  std::array<double, 4> out{};
  bool any = false;
  for (const auto& [key, value] : by_key) {
    const int d = StyleDimension(key);
    if (d < 0) continue;
    out[static_cast<std::size_t>(d)] = value;
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

}  // namespace

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
  std::unordered_map<Id, int> active;
  std::unordered_map<Id, bool> placed;
  for (const auto& e : episodes) {
    if (e.status == "active") ++active[e.therapist_id];
    if (e.status == "active" || e.status == "ended") placed[e.client_id] = true;
  }
  // Facets: each therapist's latest ffmq39 response.
  ATTUNE_TRY(ffmq, store.ListResponses(org, store::ResponseFilter{"ffmq39", std::nullopt, std::nullopt, 0}));
  std::unordered_map<Id, Id> latest_ffmq;
  for (const auto& r : ffmq) {
    if (r.respondent == RespondentKind::THERAPIST) latest_ffmq[r.respondent_id] = r.id;
  }
  for (std::size_t t = 0; t < therapists.size(); ++t) {
    const Therapist& th = therapists[t];
    therapist_index[th.id] = t;
    model::TherapistData td;
    td.id = th.id;
    td.mindfulness_visible =
        std::find(th.client_visible.begin(), th.client_visible.end(), "mindfulness") != th.client_visible.end();
    if (auto it = latest_ffmq.find(th.id); it != latest_ffmq.end()) {
      std::array<double, 5> f{};
      bool all = true;
      for (std::size_t k = 0; k < 5; ++k) {
        auto& sc = scores[it->second];
        auto s = sc.find(model::kFacets[k]);
        if (s == sc.end()) {
          all = false;
          break;
        }
        f[k] = s->second;
      }
      if (all) td.facets = f;
    }
    td.style = Dimensions(th.style);
    out.training.therapists.push_back(td);

    match::TherapistProfile p;
    p.model = td;
    p.languages = th.languages;
    p.modality = ParseModality(th.modality);
    p.location = th.location;
    p.capacity = std::max(0, th.capacity - active[th.id]);
    p.accepting = th.accepting;
    out.therapists.push_back(std::move(p));
  }
  for (std::size_t c = 0; c < clients.size(); ++c) {
    const Client& cl = clients[c];
    client_index[cl.id] = c;
    model::ClientData cd;
    cd.id = cl.id;
    cd.domains = cl.concerns;
    cd.preferences = Dimensions(cl.preferences);
    out.training.clients.push_back(cd);
    if (placed[cl.id]) continue;
    match::ClientRequest req;
    req.model = cd;
    for (const auto& k : cl.constraints) {
      const auto colon = k.find(':');
      const std::string key = k.substr(0, colon), value = colon == std::string::npos ? "" : k.substr(colon + 1);
      if (key == "language") req.language = value;
      if (key == "modality") req.modality = ParseModality(value);
      if (key == "location") req.location = value;
      if (key == "exclude") req.excluded.push_back(std::strtoll(value.c_str(), nullptr, 10));
      if (key == "risk" && value == "high") req.high_risk = true;
    }
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

Result<RankAnswer> RankForClient(store::Store& store, OrgId org, Id client_id, model::Objective objective,
                                 double blend_weight, std::size_t top) {
  ATTUNE_TRY(client, store.GetClient(org, client_id));
  ATTUNE_TRY(data, LoadMatchData(store, org));
  RankAnswer answer;
  ATTUNE_TRY(fitted, model::Fit(data.training));
  answer.model = std::move(fitted);
  ATTUNE_TRY(ranker, match::Ranker::Build(answer.model, data.therapists, objective, blend_weight));
  // The client's request: as on the waitlist when waiting, else from the stored profile.
  match::ClientRequest request;
  bool found = false;
  for (std::size_t i = 0; i < data.waitlist_clients.size(); ++i) {
    if (data.waitlist_clients[i].id == client_id) {
      request = data.waitlist[i];
      found = true;
    }
  }
  if (!found) {
    for (const auto& cd : data.training.clients) {
      if (cd.id == client_id) request.model = cd;
    }
  }
  answer.ranking = ranker.Rank(request, top, true);
  ATTUNE_TRY(therapists, store.ListTherapists(org));
  std::unordered_map<Id, Therapist> by_id;
  for (auto& t : therapists) by_id[t.id] = t;
  for (const auto& r : answer.ranking.top) answer.therapists.push_back(by_id[r.therapist_id]);
  (void)client;
  return answer;
}

Result<AssignPlan> AssignWaitlist(store::Store& store, OrgId org, const AssignWaitlistOptions& options) {
  ATTUNE_TRY(data, LoadMatchData(store, org));
  AssignPlan plan;
  ATTUNE_TRY(fitted, model::Fit(data.training));
  plan.model = std::move(fitted);
  ATTUNE_TRY(ranker, match::Ranker::Build(plan.model, data.therapists, options.objective, options.blend_weight));
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
    auto id = store.AddEpisode(org, e, options.actor);
    if (!id) {
      return Fail(id.error().code,
                  fmt::format("client {}: episode not written ({} written before): {}", e.client_id,
                              plan.episode_ids.size(), id.error().message),
                  "commit");
    }
    plan.episode_ids.push_back(*id);
  }
  return plan;
}

}  // namespace attune::service
