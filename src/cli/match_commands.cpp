// attune match rank|assign|evaluate (docs/matching.md, docs/cli.md "attune match").
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "attune/instruments/scoring.hpp"
#include "attune/match/match.hpp"
#include "attune/model/model.hpp"
#include "attune/service/matching.hpp"
#include "attune/sim/sim.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/db_target.hpp"

namespace attune::cli {
namespace {

using Json = nlohmann::ordered_json;

struct EvaluateArgs {
  int therapists = 200;
  int clients = 5000;
  int waitlist = -1;  // -1: as many as --clients
  std::uint64_t seed = 1;
  std::string objective = "alliance";
  std::size_t candidates = 0;
  int usual_runs = 5;
  bool json = false;
};

// Which kStyles dimension a C-NIP scale follows (by name, as the simulator does).
int StyleSlot(const std::string& id, std::size_t position) {
  auto has = [&](const char* part) { return id.find(part) != std::string::npos; };
  if (has("direct")) return 0;
  if (has("emotion") || has("intens")) return 1;
  if (has("past") || has("orient")) return 2;
  if (has("warm") || has("support") || has("challeng")) return 3;
  return static_cast<int>(position % 4);
}

match::Modality ToMatch(sim::Modality m) {
  return m == sim::Modality::IN_PERSON ? match::Modality::IN_PERSON
         : m == sim::Modality::VIDEO   ? match::Modality::VIDEO
                                       : match::Modality::BOTH;
}

// What the clinic observed, scored from the simulated answers (never the latent truth).
// Scores of the scales that could be scored; a scale left unscorable (a skipped item: these
// instruments do not prorate) is unknown on its own, not the whole form.
template <std::size_t N>
struct Partial {
  std::optional<std::array<double, N>> value;
  std::array<bool, N> known{};
};
struct Observed {
  std::vector<Partial<5>> facets;       // per therapist
  std::vector<Partial<4>> style;        // per therapist
  std::vector<Partial<4>> preferences;  // per client
  std::vector<std::optional<double>> alliance;                    // per episode: mean WAI-SR total, sessions 1-3
  std::vector<std::optional<double>> improvement;                 // per episode: first - last outcome, z by instrument
};

Result<Observed> Observe(const instruments::Catalogue& catalogue, const sim::Simulation& simulation,
                         const sim::SimParams& params) {
  const sim::Clinic& clinic = simulation.clinic;
  Observed o;
  o.facets.resize(clinic.therapists.size());
  o.style.resize(clinic.therapists.size());
  o.preferences.resize(clinic.clients.size());
  o.alliance.resize(clinic.episodes.size());
  o.improvement.resize(clinic.episodes.size());
  std::vector<const instruments::Instrument*> inst(clinic.forms.size());
  for (std::size_t f = 0; f < clinic.forms.size(); ++f) {
    ATTUNE_TRY(i, catalogue.Get(clinic.forms[f].instrument));
    inst[f] = i;
  }
  const std::size_t mind = clinic.FormIndex(params.mindfulness_instrument);
  const std::size_t style = clinic.FormIndex(params.style_instrument);
  const std::size_t wai = clinic.FormIndex(params.client_alliance_instrument);
  auto scale_index = [](const instruments::Instrument& in, const char* id) -> std::optional<std::size_t> {
    for (std::size_t s = 0; s < in.scales.size(); ++s) {
      if (in.scales[s].id == id) return s;
    }
    return std::nullopt;
  };
  std::vector<double> alliance_sum(clinic.episodes.size(), 0.0);
  std::vector<int> alliance_n(clinic.episodes.size(), 0);
  struct FirstLast {
    std::optional<double> first, last;
    int first_session = 1 << 30, last_session = -1;
    std::size_t form = 0;
  };
  std::vector<FirstLast> outcome(clinic.episodes.size());
  instruments::ScoreResult scored;
  for (const sim::Response& r : clinic.responses) {
    const std::size_t f = r.form;
    const bool is_outcome = f != mind && f != style && f != wai && inst[f]->respondent == instruments::Respondent::CLIENT;
    if (f != mind && f != style && f != wai && !is_outcome) continue;
    ATTUNE_CHECK(instruments::ScoreInto(*inst[f], clinic.Values(r), clinic.Present(r), scored));
    if (f == mind && r.client_id == 0) {
      Partial<5> v;
      v.value.emplace();
      for (std::size_t k = 0; k < 5; ++k) {
        auto s = scale_index(*inst[f], model::kFacets[k]);
        if (!s || !scored.scales[*s].score) continue;
        (*v.value)[k] = *scored.scales[*s].score;
        v.known[k] = true;
      }
      if (std::any_of(v.known.begin(), v.known.end(), [](bool k) { return k; })) o.facets[r.therapist_id - 1] = v;
    } else if (f == style && r.episode_id == 0) {
      std::array<double, 4> v{};
      std::array<int, 4> n{};
      for (std::size_t s = 0; s < inst[f]->scales.size(); ++s) {
        if (!scored.scales[s].score) continue;
        const auto d = static_cast<std::size_t>(StyleSlot(inst[f]->scales[s].id, s));
        // Mean item score, so scales of different lengths are comparable.
        v[d] += *scored.scales[s].score / static_cast<double>(std::max<std::size_t>(1, inst[f]->scales[s].items.size()));
        ++n[d];
      }
      Partial<4> part;
      for (std::size_t d = 0; d < 4; ++d) {
        part.known[d] = n[d] > 0;
        if (n[d] > 0) v[d] /= n[d];
      }
      if (std::any_of(n.begin(), n.end(), [](int x) { return x > 0; })) {
        part.value = v;
        if (r.client_id == 0) {
          o.style[r.therapist_id - 1] = part;
        } else {
          o.preferences[r.client_id - 1] = part;
        }
      }
    } else if (f == wai && r.episode_id != 0 && r.session >= 1 && r.session <= 3) {
      auto s = scale_index(*inst[f], "total");
      if (s && scored.scales[*s].score) {
        alliance_sum[r.episode_id - 1] += *scored.scales[*s].score;
        ++alliance_n[r.episode_id - 1];
      }
    } else if (is_outcome && r.episode_id != 0 && !scored.scales.empty() && scored.scales.back().score) {
      FirstLast& fl = outcome[r.episode_id - 1];
      const double v = *scored.scales.back().score;
      fl.form = f;
      if (r.session < fl.first_session) {
        fl.first_session = r.session;
        fl.first = v;
      }
      if (r.session > fl.last_session) {
        fl.last_session = r.session;
        fl.last = v;
      }
    }
  }
  for (std::size_t e = 0; e < clinic.episodes.size(); ++e) {
    if (alliance_n[e] > 0) o.alliance[e] = alliance_sum[e] / alliance_n[e];
  }
  // Improvement in SD units of the intake scores of the same instrument.
  std::map<std::size_t, std::pair<double, double>> sd_of;  // form -> (sum, sum of squares) then (mean, sd)
  std::map<std::size_t, int> count;
  for (const auto& fl : outcome) {
    if (!fl.first) continue;
    sd_of[fl.form].first += *fl.first;
    sd_of[fl.form].second += *fl.first * *fl.first;
    ++count[fl.form];
  }
  for (auto& [form, s] : sd_of) {
    const double n = count[form];
    const double mean = s.first / n;
    s.second = n > 1 ? std::sqrt(std::max(1e-12, (s.second - n * mean * mean) / (n - 1))) : 1.0;
  }
  for (std::size_t e = 0; e < clinic.episodes.size(); ++e) {
    const FirstLast& fl = outcome[e];
    if (fl.first && fl.last && fl.last_session > fl.first_session) {
      o.improvement[e] = (*fl.first - *fl.last) / sd_of[fl.form].second;
    }
  }
  return o;
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

int RunEvaluate(const Context& ctx, const EvaluateArgs& args) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  auto objective = model::ParseObjective(args.objective);
  if (!objective) return ReportError(objective.error());
  if (*objective != model::Objective::ALLIANCE) {
    return ReportError(Error{ErrorCode::INVALID_ARGUMENT,
                             fmt::format("--objective: \"{}\" cannot be scored yet: the planted truth of a "
                                         "client-therapist pair is defined for the alliance only",
                                         args.objective),
                             "objective"});
  }
  if (args.therapists < 1 || args.clients < 1) {
    return ReportError(Error{ErrorCode::INVALID_ARGUMENT, "--therapists and --clients: must be at least 1", "clients"});
  }
  auto catalogue = LoadCatalogue(ctx);
  if (!catalogue) return ReportError(catalogue.error());
  const auto t0 = Clock::now();
  sim::SimParams params;
  params.therapists = args.therapists;
  const int waitlist_size = args.waitlist < 0 ? args.clients : args.waitlist;
  // History: the first --clients clients fill the therapists' places as usual; the clients
  // beyond them find no room and wait. The waitlist is every client left without a therapist.
  params.clients = args.clients + waitlist_size;
  auto simulated = sim::SimulateClinic(*catalogue, params, args.seed);
  if (!simulated) return ReportError(simulated.error());
  const sim::Clinic& clinic = simulated->clinic;
  const sim::Truth& truth = simulated->truth;
  auto observed = Observe(*catalogue, *simulated, params);
  if (!observed) return ReportError(observed.error());
  const auto t1 = Clock::now();

  // Fit on the history.
  model::TrainingData data;
  for (std::size_t t = 0; t < clinic.therapists.size(); ++t) {
    model::TherapistData td;
    td.id = clinic.therapists[t].id;
    td.facets = observed->facets[t].value;
    td.facet_known = observed->facets[t].known;
    td.style = observed->style[t].value;
    td.style_known = observed->style[t].known;
    data.therapists.push_back(td);
  }
  std::vector<std::size_t> client_row(clinic.clients.size(), static_cast<std::size_t>(-1));
  for (std::size_t e = 0; e < clinic.episodes.size(); ++e) {
    const auto& ep = clinic.episodes[e];
    const std::size_t c = ep.client_id - 1;
    if (client_row[c] == static_cast<std::size_t>(-1)) {
      client_row[c] = data.clients.size();
      model::ClientData cd;
      cd.id = ep.client_id;
      cd.preferences = observed->preferences[c].value;
      cd.preference_known = observed->preferences[c].known;
      cd.domains = clinic.clients[c].concerns;
      data.clients.push_back(cd);
    }
    model::EpisodeData ed;
    ed.therapist = ep.therapist_id - 1;
    ed.client = client_row[c];
    ed.alliance = observed->alliance[e];
    ed.improvement = observed->improvement[e];
    data.episodes.push_back(ed);
  }
  auto fitted = model::Fit(data);
  if (!fitted) return ReportError(fitted.error());
  const auto t2 = Clock::now();

  // The waitlist, and every therapist with a fresh period's capacity.
  std::vector<match::TherapistProfile> profiles;
  for (std::size_t t = 0; t < clinic.therapists.size(); ++t) {
    match::TherapistProfile p;
    p.model = data.therapists[t];
    p.languages = clinic.therapists[t].languages;
    p.modality = ToMatch(clinic.therapists[t].modality);
    p.capacity = clinic.therapists[t].capacity;
    profiles.push_back(std::move(p));
  }
  std::vector<match::ClientRequest> waitlist;
  std::vector<std::size_t> waitlist_client;
  for (std::size_t c = 0; c < clinic.clients.size(); ++c) {
    if (!clinic.clients[c].waitlisted) continue;
    match::ClientRequest r;
    r.model.id = clinic.clients[c].id;
    r.model.preferences = observed->preferences[c].value;
    r.model.preference_known = observed->preferences[c].known;
    r.model.domains = clinic.clients[c].concerns;
    if (!clinic.clients[c].language.empty()) r.languages = {clinic.clients[c].language};
    r.modality = ToMatch(clinic.clients[c].modality);
    waitlist.push_back(std::move(r));
    waitlist_client.push_back(c);
  }
  auto ranker = match::Ranker::Build(*fitted, profiles, *objective);
  if (!ranker) return ReportError(ranker.error());

  // Every eligible pair, with the model's and the true expected alliance.
  const double pfe = truth.params.preference_fit_effect;
  auto true_alliance = [&](std::size_t client, std::size_t therapist) {
    const auto& ct = truth.clients[client];
    const auto& tt = truth.therapists[therapist];
    double msd = 0;
    for (std::size_t d = 0; d < 4; ++d) msd += (ct.preferences[d] - tt.style[d]) * (ct.preferences[d] - tt.style[d]);
    return tt.alliance_effect + pfe * (2.0 - msd / 4.0) / std::sqrt(2.0);
  };
  match::Problem full, by_model;
  std::vector<match::Candidate> all;
  for (std::size_t i = 0; i < waitlist.size(); ++i) {
    all.clear();
    ranker->Candidates(waitlist[i], 0, all);
    for (const auto& c : all) full.candidates.push_back({c.therapist, true_alliance(waitlist_client[i], c.therapist)});
    full.offsets.push_back(full.candidates.size());
    const std::size_t keep = args.candidates == 0 ? all.size() : std::min(args.candidates, all.size());
    by_model.candidates.insert(by_model.candidates.end(), all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep));
    by_model.offsets.push_back(by_model.candidates.size());
  }
  for (const auto& p : profiles) {
    full.capacity.push_back(p.capacity);
    by_model.capacity.push_back(p.capacity);
  }
  const auto t3 = Clock::now();
  auto matched = match::SolveOptimal(by_model);
  if (!matched) return ReportError(matched.error());
  const auto t4 = Clock::now();
  auto greedy = match::SolveGreedy(by_model);
  auto oracle = match::SolveOptimal(full);
  if (!greedy) return ReportError(greedy.error());
  if (!oracle) return ReportError(oracle.error());

  // Mean true expected alliance of the assigned clients under an assignment, and its therapist
  // part (mean u_t) in `therapist_part`: the rest is preference-style fit.
  std::map<std::string, double> therapist_part;
  auto score = [&](const match::Solution& s, std::size_t& assigned, const char* name) {
    std::vector<double> v, u;
    for (std::size_t i = 0; i < waitlist.size(); ++i) {
      if (s.therapist_of[i] < 0) continue;
      const auto t = static_cast<std::size_t>(s.therapist_of[i]);
      v.push_back(true_alliance(waitlist_client[i], t));
      u.push_back(truth.therapists[t].alliance_effect);
    }
    assigned = v.size();
    therapist_part[name] += Mean(u);
    return Mean(v);
  };
  std::size_t n_matched = 0, n_greedy = 0, n_oracle = 0, n_usual = 0;
  const double m_matched = score(*matched, n_matched, "matched");
  const double m_greedy = score(*greedy, n_greedy, "greedy");
  const double m_oracle = score(*oracle, n_oracle, "oracle");
  std::vector<double> usual_means;
  for (int run = 0; run < args.usual_runs; ++run) {
    auto usual = match::SolveUsual(full, args.seed * 1000003ULL + static_cast<std::uint64_t>(run));
    if (!usual) return ReportError(usual.error());
    usual_means.push_back(score(*usual, n_usual, "usual"));
  }
  const double m_usual = Mean(usual_means);
  therapist_part["usual"] /= static_cast<double>(usual_means.size());
  const double gain = m_matched - m_usual, oracle_gain = m_oracle - m_usual;
  const double fraction = oracle_gain > 0 ? gain / oracle_gain : 0.0;

  // How well the model's pair scores track the truth over all eligible pairs.
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, np = 0;
  {
    std::vector<match::Candidate> scored;
    for (std::size_t i = 0; i < waitlist.size(); ++i) {
      scored.clear();
      ranker->Candidates(waitlist[i], 0, scored);
      for (const auto& c : scored) {
        const double x = c.score, y = true_alliance(waitlist_client[i], c.therapist);
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
        ++np;
      }
    }
  }
  const double pair_r = np > 1 ? (sxy - sx * sy / np) / std::sqrt((sxx - sx * sx / np) * (syy - sy * sy / np)) : 0.0;

  Json j;
  j["therapists"] = args.therapists;
  j["history_clients"] = args.clients;
  j["seed"] = args.seed;
  j["objective"] = args.objective;
  j["episodes_fitted"] = fitted->episodes;
  j["waitlist"] = waitlist.size();
  j["candidates_per_client"] = args.candidates;
  j["gain_sd"] = gain;
  j["oracle_gain_sd"] = oracle_gain;
  j["fraction_of_oracle"] = fraction;
  j["greedy_gain_sd"] = m_greedy - m_usual;
  j["mean_true_alliance"] = {{"matched", m_matched}, {"greedy", m_greedy}, {"usual", m_usual}, {"oracle", m_oracle}};
  j["assigned"] = {{"matched", n_matched}, {"greedy", n_greedy}, {"usual", n_usual}, {"oracle", n_oracle}};
  // The gains split into the therapist part (who gets the better therapists' places) and the
  // fit part (which client goes to which therapist).
  j["gain_from_therapist_sd"] = {{"matched", therapist_part["matched"] - therapist_part["usual"]},
                                 {"oracle", therapist_part["oracle"] - therapist_part["usual"]}};
  j["gain_from_fit_sd"] = {
      {"matched", (m_matched - therapist_part["matched"]) - (m_usual - therapist_part["usual"])},
      {"oracle", (m_oracle - therapist_part["oracle"]) - (m_usual - therapist_part["usual"])}};
  j["pair_correlation_with_truth"] = pair_r;
  j["certificate_optimal"] = matched->certificate.optimal && oracle->certificate.optimal;
  j["model_data_weight"] = fitted->data_weight;
  Json coefs = Json::object();
  for (const auto& c : fitted->alliance.coefficients) coefs[c.name] = {{"prior", c.prior_mean}, {"posterior", c.mean}, {"sd", c.sd}};
  j["alliance_coefficients"] = coefs;
  j["therapist_variance"] = fitted->alliance.therapist_variance;
  j["seconds"] = {{"simulate_and_score", seconds(t0, t1)},
                  {"fit", seconds(t1, t2)},
                  {"candidates", seconds(t2, t3)},
                  {"assign", seconds(t3, t4)}};
  j["notes"] = fitted->notes;
  if (args.json) {
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("simulated {} therapists, {} history clients ({} episodes fitted), waitlist {} (seed {})\n",
               args.therapists, args.clients, fitted->episodes, waitlist.size(), args.seed);
    fmt::print("mean true early alliance (SD units) of assigned clients: matched {:.3f} ({} assigned), greedy {:.3f}, "
               "as usual {:.3f} ({}), oracle {:.3f} ({})\n",
               m_matched, n_matched, m_greedy, m_usual, n_usual, m_oracle, n_oracle);
    fmt::print("gain over usual: {:.3f} SD; oracle gain {:.3f} SD; fraction of oracle {:.2f}\n", gain, oracle_gain,
               fraction);
    fmt::print("model pair scores vs truth: r = {:.2f}; assignment {:.2f} s, certificate {}\n", pair_r,
               seconds(t3, t4), matched->certificate.optimal ? "optimal" : "FAILED");
  }
  return 0;
}


struct RankArgs {
  DbTarget target;
  long long client = 0;
  std::size_t top = 10;
  std::string objective = "alliance";
  double blend = 0.5;
  service::ModelFreshness freshness;
  bool json = false;
};

struct AssignArgs {
  DbTarget target;
  std::string objective = "alliance";
  double blend = 0.5;
  std::size_t candidates = 0;
  double penalty = 10;
  std::string randomize;
  std::uint64_t seed = 1;
  bool commit = false;
  std::string started_on;
  service::ModelFreshness freshness;
  bool json = false;
};

Json TermsJson(const model::Prediction& p) {
  Json terms = Json::array();
  for (const auto& t : p.terms) {
    Json j = {{"key", t.key}, {"value", t.value}, {"reason", service::TermReason(t, service::Reader::STAFF)}};
    if (t.raw_score) j["raw_score"] = *t.raw_score;
    terms.push_back(j);
  }
  return terms;
}

Json ModelJson(const service::CurrentModel& current) {
  const model::FittedModel& m = *current.model;
  return {{"fitted_at", m.fitted_at},
          {"episodes", m.episodes},
          {"responses_at_fit", current.responses_at_fit},
          {"responses_now", current.responses_now},
          {"refitted", current.refitted},
          {"reason", current.reason},
          {"therapists_with_data", m.therapists_with_data},
          {"data_weight", m.data_weight},
          {"notes", m.notes}};
}

// One line on the model in use, for the plain-text outputs.
std::string ModelLine(const service::CurrentModel& current) {
  const model::FittedModel& m = *current.model;
  return fmt::format("model fitted {} on {} episodes ({} responses), data weight {:.2f}; {}", m.fitted_at, m.episodes,
                     current.responses_at_fit, m.data_weight, current.reason);
}

struct FitArgs {
  DbTarget target;
  bool json = false;
};

int RunFit(const FitArgs& args) {
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = true, .create = false});
  if (!store) return ReportError(store.error());
  auto org = ResolveOrg(*store, args.target);
  if (!org) return ReportError(org.error());
  auto current = service::FitMatchModel(*store, *org, store::Actor{"cli:match-fit"});
  if (!current) return ReportError(current.error());
  const model::FittedModel& m = *current->model;
  if (args.json) {
    Json j;
    j["model"] = ModelJson(*current);
    Json coefs = Json::object();
    for (const auto& c : m.alliance.coefficients) {
      coefs[c.name] = {{"prior", c.prior_mean}, {"posterior", c.mean}, {"sd", c.sd}, {"data_weight", c.data_weight}};
    }
    j["alliance_coefficients"] = coefs;
    j["therapist_variance"] = m.alliance.therapist_variance;
    j["residual_variance"] = m.alliance.residual_variance;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("{}\n", ModelLine(*current));
  for (const auto& note : m.notes) fmt::print("note: {}\n", note);
  for (const auto& c : m.alliance.coefficients) {
    fmt::print("  alliance {:<26} prior {:+.3f}  posterior {:+.3f} (sd {:.3f}, data weight {:.2f})\n", c.name,
               c.prior_mean, c.mean, c.sd, c.data_weight);
  }
  return 0;
}

int RunRank(const RankArgs& args) {
  auto objective = model::ParseObjective(args.objective);
  if (!objective) return ReportError(objective.error());
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = true, .create = false});
  if (!store) return ReportError(store.error());
  auto org = ResolveOrg(*store, args.target);
  if (!org) return ReportError(org.error());
  auto answer =
      service::RankForClient(*store, *org, args.client, *objective, args.blend, args.top, args.freshness);
  if (!answer) return ReportError(answer.error());
  if (args.json) {
    Json j;
    j["client"] = args.client;
    j["objective"] = args.objective;
    j["model"] = ModelJson(answer->model);
    j["eligible"] = answer->ranking.eligible;
    Json filtered = Json::object();
    for (std::size_t f = 0; f < match::kFilterCount; ++f) {
      filtered[match::FilterName(static_cast<match::Filter>(f))] = answer->ranking.filtered[f];
    }
    j["filtered"] = filtered;
    Json top = Json::array();
    for (std::size_t i = 0; i < answer->ranking.top.size(); ++i) {
      const auto& r = answer->ranking.top[i];
      top.push_back({{"rank", i + 1}, {"therapist_id", r.therapist_id},
                     {"name", answer->therapists[i].display_name}, {"score_sd", r.score},
                     {"sd", r.prediction.sd}, {"terms", TermsJson(r.prediction)}});
    }
    j["top"] = top;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("client {}: {} eligible therapists, ranked by {} (SD units)\n", args.client, answer->ranking.eligible,
             args.objective);
  if (const std::string none = match::NoneEligible(answer->ranking); !none.empty()) fmt::print("{}\n", none);
  fmt::print("{}\n", ModelLine(answer->model));
  for (const auto& note : answer->model.model->notes) fmt::print("note: {}\n", note);
  for (std::size_t i = 0; i < answer->ranking.top.size(); ++i) {
    const auto& r = answer->ranking.top[i];
    fmt::print("{:>3}. therapist {} {}: {:+.2f} SD (± {:.2f})\n", i + 1, r.therapist_id,
               answer->therapists[i].display_name, r.score, r.prediction.sd);
    for (const auto& t : r.prediction.terms) {
      if (std::abs(t.value) >= 0.005) fmt::print("       {:+.2f} SD: {}\n", t.value, service::TermReason(t, service::Reader::STAFF));
    }
  }
  return 0;
}

int RunAssign(const AssignArgs& args) {
  auto objective = model::ParseObjective(args.objective);
  if (!objective) return ReportError(objective.error());
  service::AssignWaitlistOptions options;
  options.objective = *objective;
  options.blend_weight = args.blend;
  options.assign.candidates_per_client = args.candidates;
  options.assign.unassigned_penalty = args.penalty;
  options.assign.seed = args.seed;
  options.commit = args.commit;
  options.started_on = args.started_on;
  options.freshness = args.freshness;
  options.actor.name = "cli:match-assign";
  if (!args.randomize.empty()) {
    auto arms = match::ParseArms(args.randomize);
    if (!arms) return ReportError(arms.error());
    options.randomise = *arms;
  }
  if (args.commit && args.started_on.empty()) {
    return ReportError(Error{ErrorCode::INVALID_ARGUMENT, "--commit needs --started-on DATE (YYYY-MM-DD)", "started-on"});
  }
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = true, .create = false});
  if (!store) return ReportError(store.error());
  auto org = ResolveOrg(*store, args.target);
  if (!org) return ReportError(org.error());
  auto plan = service::AssignWaitlist(*store, *org, options);
  if (!plan) return ReportError(plan.error());
  const auto& s = plan->solution;
  if (args.json) {
    Json j;
    j["method"] = s.method;
    j["objective"] = args.objective;
    j["model"] = ModelJson(plan->model);
    j["waitlist"] = plan->client_ids.size();
    j["assigned"] = s.assigned;
    j["total_score_sd"] = s.total_score;
    j["certificate"] = {{"checked", s.certificate.checked}, {"optimal", s.certificate.optimal},
                        {"conserved", s.certificate.conserved}};
    j["committed"] = args.commit;
    Json rows = Json::array();
    for (std::size_t i = 0; i < plan->client_ids.size(); ++i) {
      Json row = {{"client_id", plan->client_ids[i]}};
      const int t = s.therapist_of[i];
      row["therapist_id"] = t < 0 ? Json(nullptr) : Json(plan->therapist_ids[static_cast<std::size_t>(t)]);
      if (!plan->matched.empty()) row["arm"] = plan->matched[i] ? "matched" : "usual";
      rows.push_back(row);
    }
    j["assignments"] = rows;
    if (args.commit) j["episode_ids"] = plan->episode_ids;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("{}\n", ModelLine(plan->model));
  fmt::print("{} of {} waiting clients assigned ({}), total predicted {} {:+.2f} SD; certificate {}{}\n", s.assigned,
             plan->client_ids.size(), s.method, args.objective, s.total_score,
             s.certificate.optimal ? "optimal" : "not checked",
             args.commit ? fmt::format("; {} episodes written", plan->episode_ids.size()) : "; dry run (--commit writes)");
  for (std::size_t i = 0; i < plan->client_ids.size(); ++i) {
    const int t = s.therapist_of[i];
    fmt::print("client {} -> {}{}\n", plan->client_ids[i],
               t < 0 ? std::string("unassigned") : fmt::format("therapist {}", plan->therapist_ids[static_cast<std::size_t>(t)]),
               plan->matched.empty() ? "" : plan->matched[i] ? " (matched arm)" : " (usual arm)");
  }
  return 0;
}

}  // namespace

void AddMatchCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("match", "Rank and assign therapists (docs/matching.md)");
  group->require_subcommand(1);

  auto args = std::make_shared<EvaluateArgs>();
  auto* evaluate = group->add_subcommand(
      "evaluate", "Simulate a clinic, fit the model, assign its waitlist and score against the planted truth");
  evaluate->add_option("--therapists", args->therapists, "Therapists in the simulated clinic");
  evaluate->add_option("--clients", args->clients, "Clients seen before the waitlist (the fitting data)");
  evaluate->add_option("--waitlist", args->waitlist, "Further clients who wait (default: as many as --clients)");
  evaluate->add_option("--seed", args->seed, "Random seed");
  evaluate->add_option("--objective", args->objective, "alliance (the truth is defined for the alliance)");
  evaluate->add_option("--candidates", args->candidates, "Best therapists kept per client for the flow (0 = all)");
  // No run is no baseline: a gain over an average of nothing would be reported as a gain over 0.
  InRange(evaluate->add_option("--usual-runs", args->usual_runs, "Assignment-as-usual runs averaged (at least 1)"), 1,
          kInfinity);
  evaluate->add_flag("--json", args->json, "Print JSON");
  evaluate->callback([&ctx, args] { ctx.exit_code = RunEvaluate(ctx, *args); });

  // The stored model's refit rule, shared by rank and assign.
  auto add_freshness = [](CLI::App* cmd, service::ModelFreshness& f) {
    cmd->add_flag("--refit", f.force_refit, "Refit the stored model first, whatever its age");
    InRange(cmd->add_option("--refit-growth", f.refit_growth,
                            "Refit when stored responses grew by more than this fraction since the fit (default 0.10)"),
            0, kInfinity);
  };

  auto add_objective = [](CLI::App* cmd, std::string& objective, double& blend) {
    OneOf(cmd->add_option("--objective", objective, "alliance | outcome | blend"), {"alliance", "outcome", "blend"});
    InRange(cmd->add_option("--blend-weight", blend, "Alliance share of the blend"), 0, 1);
  };

  auto fit_args = std::make_shared<FitArgs>();
  auto* fit = group->add_subcommand("fit", "Fit the matching model on the organisation's data now and store it");
  AddDbOptions(fit, fit_args->target);
  AddOrgOption(fit, fit_args->target);
  fit->add_flag("--json", fit_args->json, "Print JSON");
  fit->callback([&ctx, fit_args] { ctx.exit_code = RunFit(*fit_args); });

  auto rank_args = std::make_shared<RankArgs>();
  auto* rank = group->add_subcommand("rank", "Rank the organisation's therapists for one client, with reasons");
  AddDbOptions(rank, rank_args->target);
  AddOrgOption(rank, rank_args->target);
  rank->add_option("--client", rank_args->client, "Client id")->required();
  rank->add_option("--top", rank_args->top, "How many therapists to show");
  add_objective(rank, rank_args->objective, rank_args->blend);
  add_freshness(rank, rank_args->freshness);
  rank->add_flag("--json", rank_args->json, "Print JSON");
  rank->callback([&ctx, rank_args] { ctx.exit_code = RunRank(*rank_args); });

  auto assign_args = std::make_shared<AssignArgs>();
  auto* assign = group->add_subcommand("assign", "Assign the waitlist within capacity (min-cost flow); dry run unless --commit");
  AddDbOptions(assign, assign_args->target);
  AddOrgOption(assign, assign_args->target);
  add_objective(assign, assign_args->objective, assign_args->blend);
  assign->add_option("--candidates", assign_args->candidates, "Best eligible therapists per client (0 = all)");
  assign->add_option("--unassigned-penalty", assign_args->penalty, "SD units lost per client left waiting");
  assign->add_option("--randomize", assign_args->randomize, "Randomised allocation, e.g. matched:usual=1:1");
  assign->add_option("--seed", assign_args->seed, "Seed of the randomised allocation");
  auto* commit = assign->add_flag("--commit", assign_args->commit, "Write one episode per assigned client");
  // A dry run writes no episode, so a start date for one would be silently ignored.
  assign->add_option("--started-on", assign_args->started_on, "Start date of committed episodes (YYYY-MM-DD)")
      ->needs(commit);
  add_freshness(assign, assign_args->freshness);
  assign->add_flag("--json", assign_args->json, "Print JSON");
  assign->callback([&ctx, assign_args] { ctx.exit_code = RunAssign(*assign_args); });
}

}  // namespace attune::cli
