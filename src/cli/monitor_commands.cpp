// attune monitor episode|alerts|ack|resolve|fit|report|evaluate (docs/monitor.md, docs/cli.md).
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>

#include "attune/monitor/json.hpp"
#include "attune/monitor/monitor.hpp"
#include "attune/service/service.hpp"
#include "attune/sim/sim.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/db_target.hpp"

namespace attune::cli {
namespace {

using nlohmann::json;

std::string Pct(const monitor::Rate& r) {
  if (r.n == 0) return "no episodes";  // 0 of 0 is not a rate
  std::string s = fmt::format("{:5.1f}% [{:.1f}, {:.1f}] of {}", 100 * r.rate, 100 * r.low, 100 * r.high, r.n);
  if (r.AdjustedClamped()) {
    // Two significant digits where one decimal would read as 0 ("clamped from -0.0%" said nothing).
    const double unclamped = 100 * *r.adjusted_unclamped;
    s += std::abs(unclamped) < 0.05 ? fmt::format(" (adjusted {:.1f}%, clamped from {:.2g}%)", 100 * *r.adjusted, unclamped)
                                    : fmt::format(" (adjusted {:.1f}%, clamped from {:.1f}%)", 100 * *r.adjusted, unclamped);
  } else if (r.adjusted) {
    s += fmt::format(" (adjusted {:.1f}%)", 100 * *r.adjusted);
  }
  return s;
}

struct DbArgs {
  DbTarget target;
  bool json = false;
};

// Opens the store and the service for a command; returns an exit code on failure.
struct Opened {
  std::optional<instruments::Catalogue> catalogue;
  std::optional<store::Store> store;
  std::unique_ptr<service::Service> service;
  OrgId org = 0;
};

Result<std::unique_ptr<Opened>> Open(const Context& ctx, const DbTarget& target) {
  auto opened = std::make_unique<Opened>();
  ATTUNE_TRY(catalogue, LoadCatalogue(ctx));
  opened->catalogue.emplace(std::move(catalogue));
  ATTUNE_TRY(use, instruments::ParseUse(ctx.declared_use));
  ATTUNE_TRY(store, store::Store::Open(ToTarget(target), {.migrate = true, .create = false}));
  opened->store.emplace(std::move(store));
  ATTUNE_TRY(org, ResolveOrg(*opened->store, target));
  opened->org = org;
  opened->service = std::make_unique<service::Service>(*opened->store, *opened->catalogue, use);
  return opened;
}

int RunEpisode(const Context& ctx, const DbArgs& args, long long episode_id) {
  auto o = Open(ctx, args.target);
  if (!o) return ReportError(o.error());
  auto& op = **o;
  auto episode = op.store->GetEpisode(op.org, episode_id);
  if (!episode) return ReportError(episode.error());
  auto assessment = op.service->AssessEpisode(op.org, episode_id);
  if (!assessment) return ReportError(assessment.error());
  auto alerts = op.store->ListAlertsWithEvidence(op.org, episode_id);
  if (!alerts) return ReportError(alerts.error());
  if (args.json) {
    json j{{"episode_id", episode_id}, {"therapist_id", episode->therapist_id}, {"client_id", episode->client_id}};
    j["changes"] = json::array();
    for (const auto& c : assessment->changes) j["changes"].push_back(monitor::ToJson(c));
    j["ruptures"] = json::array();
    for (const auto& r : assessment->ruptures) {
      j["ruptures"].push_back(json{{"scale", r.key},
                                   {"session", r.session},
                                   {"level", r.level},
                                   {"score", r.score},
                                   {"status", r.status},
                                   {"repair_session", r.repair_session ? json(r.repair_session) : json(nullptr)},
                                   {"repair_level", r.repair_level},
                                   {"repair_level_since_session", r.repair_from_session}});
    }
    j["alerts"] = json::array();
    for (const auto& a : *alerts) j["alerts"].push_back(monitor::ToJson(a));
    j["notes"] = assessment->notes;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("episode {}: client {}, therapist {}\n", episode_id, episode->client_id, episode->therapist_id);
  for (const auto& c : assessment->changes) {
    std::string since = c.since_intake ? fmt::format("{:+g} since intake ({}), {:+g} since last ({})",
                                                     c.since_intake->change, c.since_intake->classification,
                                                     c.since_last->change, c.since_last->classification)
                                       : "intake";
    fmt::print("  session {:2}  {:<14} {:>6g}  {}\n", c.session, c.key, c.score, since);
  }
  for (const auto& r : assessment->ruptures) {
    fmt::print("  rupture  {} at session {}: {:g} from a level of {:.1f}, {}{}{}\n", r.key, r.session, r.score, r.level,
               r.status, r.repair_session ? fmt::format(" at session {}", r.repair_session) : "",
               r.repair_from_session != r.session
                   ? fmt::format(" (repaired by a return to {:.1f}, the level before the rupture at session {})",
                                 r.repair_level, r.repair_from_session)
                   : "");
  }
  for (const auto& a : *alerts) {
    fmt::print("  alert {} [{} {}] {}: {}\n", a.id, a.severity, a.Status(), a.kind, a.detail);
  }
  for (const auto& n : assessment->notes) fmt::print("  note: {}\n", n);
  return 0;
}

int RunAlerts(const Context& ctx, const DbArgs& args, bool open_only) {
  auto o = Open(ctx, args.target);
  if (!o) return ReportError(o.error());
  auto& op = **o;
  auto alerts = op.store->ListAlertsWithEvidence(op.org, std::nullopt);
  if (!alerts) return ReportError(alerts.error());
  if (open_only) std::erase_if(*alerts, [](const Alert& a) { return a.Status() != "open"; });
  if (args.json) {
    json j = json::array();
    for (const auto& a : *alerts) j.push_back(monitor::ToJson(a));
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  for (const auto& a : *alerts) {
    const std::string where = a.episode_id ? fmt::format("episode {:<6}", a.episode_id)
                                           : fmt::format("client  {:<6}", a.client_id.value_or(0));
    fmt::print("{:>6}  {} {:<8} {:<13} {:<22} {}\n", a.id, where, a.severity, a.Status(), a.kind,
               a.detail);
  }
  fmt::print("{} alert{}\n", alerts->size(), alerts->size() == 1 ? "" : "s");
  return 0;
}

int RunTransition(const Context& ctx, const DbArgs& args, long long id, const std::string& note, bool resolve,
                  const std::string& actor) {
  auto o = Open(ctx, args.target);
  if (!o) return ReportError(o.error());
  auto& op = **o;
  store::Actor who{actor};
  auto done = resolve ? op.store->ResolveAlertWithNote(op.org, id, note, who)
                      : op.store->AcknowledgeAlertWithNote(op.org, id, note, who);
  if (!done) return ReportError(done.error());
  if (args.json) {
    fmt::print("{}\n", monitor::ToJson(*done).dump(2));
  } else {
    fmt::print("alert {} {}\n", id, done->Status());
  }
  return 0;
}

int RunFit(const Context& ctx, const DbArgs& args) {
  auto o = Open(ctx, args.target);
  if (!o) return ReportError(o.error());
  auto& op = **o;
  auto curves = op.service->FitExpectedResponse(op.org);
  if (!curves) return ReportError(curves.error());
  json j = json::array();
  for (const auto& c : *curves) {
    j.push_back(json::parse(monitor::CurveToJson(c)));
    if (!args.json) {
      if (c.available && c.model == monitor::CurveModel::WITHIN_PAIR) {
        fmt::print("{}: within-pair SD {:.2f} from {} consecutive-session differences in {} episodes\n", c.key,
                   std::sqrt(c.sigma2), c.observations, c.episodes);
      } else if (c.available) {
        fmt::print("{}: fitted on {} episodes ({} observations): expected = {:.2f} {:+.2f} log(s) {:+.3f} (intake - {:.1f}) "
                   "{:+.3f} log(s) (intake - {:.1f})\n",
                   c.key, c.episodes, c.observations, c.b0, c.b_log_session, c.b_intake, c.intake_centre,
                   c.b_interaction, c.intake_centre);
      } else {
        fmt::print("{}: not available: {}\n", c.key, c.reason);
      }
    }
  }
  if (args.json) fmt::print("{}\n", j.dump(2));
  if (curves->empty() && !args.json) fmt::print("no outcome responses in episodes: no curves\n");
  return 0;
}

int RunReport(const Context& ctx, const DbArgs& args, long long therapist) {
  auto o = Open(ctx, args.target);
  if (!o) return ReportError(o.error());
  auto& op = **o;
  auto report = op.service->MonitorReport(op.org, therapist ? std::optional<Id>(therapist) : std::nullopt);
  if (!report) return ReportError(report.error());
  if (args.json) {
    fmt::print("{}\n", monitor::ToJson(*report).dump(2));
    return 0;
  }
  auto print = [](const monitor::GroupReport& g) {
    fmt::print("{}: {} episodes, {} with an outcome\n", g.group, g.episodes, g.with_outcome);
    fmt::print("  reliable improvement  {}\n", Pct(g.reliable_improvement));
    fmt::print("  recovery              {}\n", Pct(g.recovery));
    fmt::print("  reliable recovery     {}\n", Pct(g.reliable_recovery));
    fmt::print("  deterioration         {}\n", Pct(g.deterioration));
    fmt::print("  mean alliance         {}\n", g.mean_alliance ? fmt::format("{:.1f}", *g.mean_alliance) : "-");
    fmt::print("  ruptures per episode  {:.2f}; repaired {}{}\n", g.ruptures_per_episode,
               g.repair.n == 0 ? "(none decided)" : Pct(g.repair) + " decided",
               g.ruptures_undecided == 0 ? "" : fmt::format(" ({} not yet decided)", g.ruptures_undecided));
  };
  print(report->organisation);
  for (const auto& g : report->therapists) print(g);
  fmt::print("case mix: {}\n", report->adjustment);
  return 0;
}

// ---- settings: the organisation's own monitoring thresholds ----

// One option per threshold (docs/monitor.md "Organisation settings"), shared by `settings` (which
// stores them) and `evaluate` (which tries them on a simulated clinic); values land in `set` by
// field name into a JSON patch, checked by monitor::ApplySettingsPatch.
void AddThresholdOptions(CLI::App* c, json& patch) {
  static const char* const kFields[][2] = {
      {"rupture-cutoff", "WAI-SR total below which a fall is a rupture (0: no cutoff rule; else 12-60; default 36)"},
      {"rupture-z", "z of the drop rule on the WAI-SR total (0.5-5; default 1.4)"},
      {"rupture-subscale-z", "z of the drop rule on each subscale (0.5-5; default 2.3)"},
      {"rupture-size", "drop in SDs the rule is shaped for (0: the plain rule; up to 6; default 2.5)"},
      {"repair-window", "observations within which a return counts as repair (1-12; default 3)"},
      {"repair-margin", "SDs below the earlier level a return may stay and count as repair (0-3; default 0)"},
      {"not-on-track-z", "one-sided z of the expected-response band (0.5-3; default 1.2816)"}};
  for (const auto& [flag, what] : kFields) {
    std::string field = flag;
    std::replace(field.begin(), field.end(), '-', '_');
    c->add_option_function<double>(
        std::string("--") + flag, [&patch, field](double v) { patch[field] = v; }, what);
  }
}

struct SettingsArgs {
  DbTarget target;
  nlohmann::json patch = nlohmann::json::object();  //!< field -> value (flags --rupture-z etc.)
  std::vector<std::string> reset;                   //!< fields returned to the default (--default FIELD)
  bool json = false;
};

int RunSettings(const Context& ctx, const SettingsArgs& args) {
  auto o = Open(ctx, args.target);
  if (!o) return ReportError(o.error());
  auto& op = **o;
  json patch = args.patch;
  for (const auto& field : args.reset) {
    if (patch.contains(field) && !patch[field].is_null()) {
      std::string flag = field;
      std::replace(flag.begin(), flag.end(), '_', '-');
      return ReportError(Error{ErrorCode::INVALID_ARGUMENT,
                               fmt::format("--default {} and --{} {} both given; expected one of them", field, flag,
                                           patch[field].dump()),
                               field});
    }
    patch[field] = nullptr;
  }
  auto view = patch.empty() ? op.service->MonitoringSettings(op.org)
                            : op.service->ChangeMonitoringSettings(op.org, patch.dump(), store::Actor{"cli"});
  if (!view) return ReportError(view.error());
  const json shown = json::parse(view->Json());
  if (args.json) {
    fmt::print("{}\n", shown.dump(2));
    return 0;
  }
  const json &settings = shown["settings"], &effective = shown["effective"], &defaults = shown["defaults"];
  fmt::print("monitoring settings of organisation {}{}:\n", op.org, settings.empty() ? " (all defaults)" : "");
  for (const auto& [field, value] : effective.items()) {
    fmt::print("  {:<20} {}{}\n", field, value.dump(),
               settings.contains(field) ? fmt::format("  (default {})", defaults[field].dump()) : "");
  }
  return 0;
}

// ---- evaluate: simulate, replay through the monitor, score against the planted truth ----

struct EvalArgs {
  int therapists = 20;
  int clients = 300;
  int sessions = 12;
  long long seed = 1;
  double rupture_depth = sim::SimParams{}.rupture_depth;  //!< planted depth, latent SD units
  //! Thresholds to score instead of the defaults (a clinic trying its own), field -> value as
  //! `monitor settings` takes them.
  nlohmann::json thresholds = nlohmann::json::object();
  bool json = false;
  //! Regression floors: exit 1 when a figure falls below (0 = no check).
  double floor_sensitivity = 0, floor_specificity = 0, floor_not_on_track = 0;
};

// Every episode's observations of a simulated clinic, by episode id.
std::map<std::uint32_t, std::vector<monitor::Observation>> Observations(const instruments::Catalogue& catalogue,
                                                                       const sim::Clinic& clinic) {
  std::vector<const instruments::Instrument*> forms;
  for (const auto& f : clinic.forms) {
    auto i = catalogue.Get(f.instrument);
    forms.push_back(i ? *i : nullptr);
  }
  std::map<std::uint32_t, std::vector<monitor::Observation>> out;
  for (const auto& r : clinic.responses) {
    if (r.episode_id == 0 || r.session < 1 || forms[r.form] == nullptr) continue;
    const auto& inst = *forms[r.form];
    if (inst.respondent != instruments::Respondent::CLIENT) continue;
    instruments::Answers answers(r.count);
    for (std::size_t i = 0; i < r.count; ++i) {
      if (clinic.Present(r)[i]) answers[i] = clinic.Values(r)[i];
    }
    auto scored = instruments::Score(inst, answers);
    if (!scored) continue;
    out[r.episode_id].push_back(monitor::MakeObservation(inst, *scored, r.id, r.session, &answers));
  }
  for (auto& [id, obs] : out) {
    std::stable_sort(obs.begin(), obs.end(), [](const auto& a, const auto& b) { return a.session < b.session; });
  }
  return out;
}

// a / b, or 0 when b is 0.
double Share(std::size_t a, std::size_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

struct RuptureScore {
  std::string variant;
  double z = 0;
  double subscale_z = 0;  //!< the subscales' z the row was scored with
  std::size_t positives = 0, detected = 0, negatives = 0, false_alarms = 0;
  std::size_t detected_within_1 = 0;  //!< at the rupture session or the session after it
  std::size_t positives_scorable = 0, detected_scorable = 0;  //!< total scorable now and earlier
  std::vector<std::pair<double, bool>> by_depth;  //!< each positive's planted depth and whether it was caught
  double Sensitivity() const { return Share(detected, positives); }
  double Specificity() const {
    return negatives ? 1.0 - static_cast<double>(false_alarms) / static_cast<double>(negatives) : 0;
  }
};

// The monitor's verdicts on planted ruptures the WAI-SR total caught at their session, once
// decided, against the planted outcome: n[planted repaired][marked repaired].
struct RepairScore {
  std::size_t n[2][2] = {{0, 0}, {0, 0}};
  void Add(const sim::EpisodeTruth& truth, const monitor::EpisodeAssessment& assessment) {
    for (const auto& r : truth.ruptures) {
      for (const auto& e : assessment.ruptures) {
        if (e.key == "wai_sr.total" && e.session == r.session && e.status != "open") {
          ++n[r.repaired ? 1 : 0][e.status == "repaired" ? 1 : 0];
        }
      }
    }
  }
  json Json() const {
    const std::size_t all = n[0][0] + n[0][1] + n[1][0] + n[1][1];
    return json{{"planted_repaired", n[1][0] + n[1][1]},
                {"planted_repaired_marked_repaired", Share(n[1][1], n[1][0] + n[1][1])},
                {"planted_unrepaired", n[0][0] + n[0][1]},
                {"planted_unrepaired_marked_unrepaired", Share(n[0][0], n[0][0] + n[0][1])},
                {"marked_repaired_share", Share(n[0][1] + n[1][1], all)},
                {"planted_repaired_share", Share(n[1][0] + n[1][1], all)}};
  }
};

// Not on track and reliable deterioration against the outcome truth: an episode whose latent
// severity at its last attended session is not 0.5 SD below intake truly ended unchanged or worse.
struct OutcomeScore {
  std::size_t poor = 0, poor_flagged = 0, good = 0, good_flagged = 0;
  std::vector<int> lead;  //!< sessions from the first not-on-track flag to the last session
  std::size_t det_true = 0, det_flagged = 0, det_false = 0, nondet = 0;
  //! Reliable deterioration flags by the latent change from intake to the last session:
  //! [0] worse by more than 0.5 SD, [1] within 0.5 SD, [2] better by more than 0.5 SD.
  std::size_t by_change[3] = {0, 0, 0}, by_change_flagged[3] = {0, 0, 0};
  void Add(const sim::EpisodeTruth& tr, const monitor::EpisodeAssessment& assessment) {
    if (tr.last_session < 2 || tr.severity.size() < static_cast<std::size_t>(tr.last_session)) return;
    const double change = tr.severity[static_cast<std::size_t>(tr.last_session - 1)] - tr.severity[0];
    int first_flag = 0, first_det = 0;
    for (const auto& per : assessment.alerts) {
      for (const auto& a : per) {
        if (a.kind == "not_on_track" && first_flag == 0) first_flag = a.session;
        if (a.kind == "reliable_deterioration" && first_det == 0) first_det = a.session;
      }
    }
    if (change > -0.5) {
      ++poor;
      if (first_flag) {
        ++poor_flagged;
        lead.push_back(tr.last_session - first_flag);
      }
    } else {
      ++good;
      good_flagged += first_flag ? 1 : 0;
    }
    const int band = change > 0.5 ? 0 : change >= -0.5 ? 1 : 2;
    ++by_change[band];
    by_change_flagged[band] += first_det ? 1 : 0;
    if (tr.deteriorated) {
      ++det_true;
      det_flagged += first_det ? 1 : 0;
    } else {
      ++nondet;
      det_false += first_det ? 1 : 0;
    }
  }
  double MeanLead() const {
    double sum = 0;
    for (int l : lead) sum += l;
    return lead.empty() ? 0.0 : sum / static_cast<double>(lead.size());
  }
  double MedianLead() const {
    std::vector<int> sorted = lead;
    std::sort(sorted.begin(), sorted.end());
    return sorted.empty() ? 0.0 : sorted[sorted.size() / 2];
  }
  json NotOnTrack() const {
    return json{{"truly_unchanged_or_worse", poor},
                {"flagged", poor_flagged},
                {"share_flagged", Share(poor_flagged, poor)},
                {"sessions_before_end_mean", MeanLead()},
                {"sessions_before_end_median", MedianLead()},
                {"improved_episodes", good},
                {"improved_flagged_share", Share(good_flagged, good)}};
  }
};

// What the drop from the mean of every earlier score can reach: its sensitivity at the threshold
// that gives specificity .90, chosen knowing the truth (no threshold on that drop does better at
// that specificity), once on the observed WAI-SR total (or its estimate when items were skipped)
// and once on the simulator's latent alliance, which no questionnaire observes.
// Positives and negatives as in the evaluation; a positive without a drop (no earlier score, or
// none now) counts as missed.
json DropBounds(const std::map<std::uint32_t, std::vector<monitor::Observation>>& observations,
                const std::map<std::uint32_t, const sim::EpisodeTruth*>& truth) {
  std::vector<double> observed_pos, observed_neg, latent_pos, latent_neg;
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  for (const auto& [episode, obs] : observations) {
    auto t = truth.find(episode);
    if (t == truth.end()) continue;
    std::set<int> starts;
    for (const auto& r : t->second->ruptures) starts.insert(r.session);
    std::vector<double> earlier_observed, earlier_latent;
    for (const auto& o : obs) {
      if (o.instrument != "wai_sr") continue;
      std::optional<double> value;
      if (auto it = o.scores.find("total"); it != o.scores.end()) value = it->second;
      if (auto it = o.estimates.find("total"); !value && it != o.estimates.end()) value = it->second.score;
      const auto k = static_cast<std::size_t>(o.session - 1);
      const double latent = k < t->second->alliance.size() ? t->second->alliance[k] : 0.0;
      auto drop = [](const std::vector<double>& before, double now) {
        double level = 0;
        for (double v : before) level += v;
        return level / static_cast<double>(before.size()) - now;
      };
      const double d_observed = value && !earlier_observed.empty() ? drop(earlier_observed, *value) : kNone;
      const double d_latent = !earlier_latent.empty() ? drop(earlier_latent, latent) : kNone;
      const int s = o.session;
      if (starts.count(s)) {
        observed_pos.push_back(d_observed);
        latent_pos.push_back(d_latent);
      } else if (s >= 2 && !starts.count(s - 1) && !starts.count(s - 2)) {
        observed_neg.push_back(d_observed);
        latent_neg.push_back(d_latent);
      }
      if (value) earlier_observed.push_back(*value);
      earlier_latent.push_back(latent);
    }
  }
  auto bound = [](std::vector<double> pos, std::vector<double> neg) {
    if (pos.empty() || neg.empty()) return json(nullptr);
    std::sort(neg.begin(), neg.end());
    const double threshold = neg[static_cast<std::size_t>(0.90 * static_cast<double>(neg.size()))];
    std::size_t caught = 0;
    for (double d : pos) caught += d > threshold ? 1 : 0;
    return json{{"sensitivity_at_specificity_90", static_cast<double>(caught) / static_cast<double>(pos.size())},
                {"threshold", threshold}};
  };
  return json{{"observed_total", bound(observed_pos, observed_neg)},
              {"latent_alliance", bound(latent_pos, latent_neg)}};
}

// Sensitivity by planted depth, in the three equal bands of its range (rupture_depth x 0.75-1.25).
json ByDepth(const std::vector<std::pair<double, bool>>& positives, double depth) {
  json out = json::array();
  for (int band = 0; band < 3; ++band) {
    const double lo = depth * (0.75 + band / 6.0), hi = depth * (0.75 + (band + 1) / 6.0);
    std::size_t n = 0, caught = 0;
    for (const auto& [d, detected] : positives) {
      if (d < lo || (d >= hi && band < 2)) continue;
      ++n;
      caught += detected ? 1 : 0;
    }
    out.push_back(json{{"depth_from", lo}, {"depth_to", hi}, {"positives", n}, {"detected", caught},
                       {"sensitivity", Share(caught, n)}});
  }
  return out;
}

int RunEvaluate(const Context& ctx, const EvalArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  auto settings = monitor::ApplySettingsPatch({}, args.thresholds.dump());  // refused before simulating
  if (!settings) return ReportError(settings.error());
  auto catalogue = LoadCatalogue(ctx);
  if (!catalogue) return ReportError(catalogue.error());
  sim::SimParams params;
  params.therapists = args.therapists;
  params.clients = args.clients;
  params.sessions = args.sessions;
  params.rupture_depth = args.rupture_depth;
  auto train = sim::SimulateClinic(*catalogue, params, static_cast<std::uint64_t>(args.seed) + 1000003);
  if (!train) return ReportError(train.error());
  auto test = sim::SimulateClinic(*catalogue, params, static_cast<std::uint64_t>(args.seed));
  if (!test) return ReportError(test.error());
  monitor::Config base = monitor::WithSettings(monitor::Config::Defaults(), *settings);

  // Curves and within-pair alliance variability from the training clinic.
  std::map<std::string, std::vector<monitor::CurvePoint>> points, alliance_points;
  std::map<std::string, bool> higher_worse;
  for (const auto& [episode, obs] : Observations(*catalogue, train->clinic)) {
    for (const auto& o : obs) {
      for (const auto& [scale, score] : o.scores) {
        const std::string key = o.instrument + "." + scale;
        auto it = base.scales.find(key);
        if (it == base.scales.end()) continue;
        if (it->second.role == monitor::Role::ALLIANCE) {
          alliance_points[key].push_back({static_cast<Id>(episode), o.session, score});
          continue;
        }
        points[key].push_back({static_cast<Id>(episode), o.session, score});
        auto inst = catalogue->Get(o.instrument);
        const auto* s = inst ? (*inst)->FindScale(scale) : nullptr;
        higher_worse[key] = s == nullptr || s->direction == instruments::Direction::HIGHER_IS_WORSE;
      }
    }
  }
  std::map<std::string, monitor::Curve> curves;
  json curves_json = json::array();
  for (const auto& [key, pts] : points) {
    auto c = monitor::FitCurve(key, higher_worse[key], pts, base);
    if (!c) return ReportError(c.error());
    curves_json.push_back(json{{"scale", key}, {"available", c->available}, {"reason", c->reason},
                               {"episodes", c->episodes}});
    curves[key] = *c;
  }
  for (const auto& [key, pts] : alliance_points) {
    auto c = monitor::FitWithinPair(key, pts, base);
    if (!c) return ReportError(c.error());
    curves_json.push_back(json{{"scale", key}, {"available", c->available}, {"reason", c->reason},
                               {"episodes", c->episodes}, {"within_pair_sd", std::sqrt(c->sigma2)}});
    curves[key] = *c;
  }

  const auto test_obs = Observations(*catalogue, test->clinic);
  std::map<std::uint32_t, const sim::EpisodeTruth*> truth;
  for (const auto& t : test->truth.episodes) truth[t.id] = &t;

  std::vector<RuptureScore> sweep;
  json missed = json::array();
  RuptureScore main_score;
  // Not on track / deterioration, at the default configuration.
  OutcomeScore outcomes;
  RepairScore repairs;
  // Variants: the default rules, and the WAI-SR total alone without its cutoff.
  static const char* kVariants[] = {"default", "total_only_no_cutoff", "no_cutoff"};
  // z of the total; the subscales take the Sidak z of the same one-sided rate over three tests.
  std::vector<double> zs{1.28, 1.35, 1.4, 1.45, 1.5, 1.55, 1.6, 1.645, 1.96, 2.33};
  if (std::none_of(zs.begin(), zs.end(), [&](double z) { return std::fabs(z - base.rupture_z) < 1e-9; })) {
    zs.insert(std::upper_bound(zs.begin(), zs.end(), base.rupture_z), base.rupture_z);
  }
  for (int variant = 0; variant < 3; ++variant)
  for (double z : zs) {
    monitor::Config config = base;
    config.rupture_z = z;
    const bool is_default = variant == 0 && std::fabs(z - base.rupture_z) < 1e-9;
    if (!is_default) config.rupture_subscale_z = monitor::SidakZ(z, 3);
    if (variant == 1) {
      for (const char* sub : {"wai_sr.goal", "wai_sr.task", "wai_sr.bond"}) config.scales.erase(sub);
    }
    if (variant >= 1) config.scales["wai_sr.total"].cutoff.reset();
    RuptureScore score;
    score.variant = kVariants[variant];
    score.z = z;
    score.subscale_z = config.rupture_subscale_z;
    for (const auto& [episode, obs] : test_obs) {
      auto t = truth.find(episode);
      if (t == truth.end()) continue;
      auto assessment = monitor::AssessEpisode(obs, *catalogue, curves, config);
      if (!assessment) return ReportError(assessment.error());
      std::set<int> answered, alerted, scorable;
      for (std::size_t k = 0; k < obs.size(); ++k) {
        if (obs[k].instrument != "wai_sr") continue;
        answered.insert(obs[k].session);
        if (obs[k].scores.count("total")) scorable.insert(obs[k].session);
        for (const auto& a : assessment->alerts[k]) {
          if (a.kind == "rupture") alerted.insert(a.session);
        }
      }
      std::set<int> starts;
      for (const auto& r : t->second->ruptures) starts.insert(r.session);
      for (int s : answered) {
        if (starts.count(s)) {
          ++score.positives;
          score.detected += alerted.count(s);
          for (const auto& r : t->second->ruptures) {
            if (r.session != s) continue;
            score.by_depth.emplace_back(r.depth, alerted.count(s) > 0);
          }
          score.detected_within_1 += alerted.count(s) || (answered.count(s + 1) && alerted.count(s + 1)) ? 1 : 0;
          if (scorable.count(s) && !scorable.empty() && *scorable.begin() < s) {
            ++score.positives_scorable;
            score.detected_scorable += alerted.count(s);
          }
          if (is_default && !alerted.count(s) && missed.size() < 8) {
            json m{{"episode", episode}, {"session", s}};
            json totals = json::array();
            for (const auto& o : obs) {
              auto it = o.scores.find("total");
              if (o.instrument == "wai_sr") totals.push_back(json{o.session, it == o.scores.end() ? json(nullptr) : json(it->second)});
            }
            m["wai_sr_totals"] = totals;
            json planted = json::array();
            for (const auto& r : t->second->ruptures) planted.push_back(json{r.session, r.depth, r.repaired});
            m["planted"] = planted;
            missed.push_back(m);
          }
        } else if (s >= 2 && !starts.count(s - 1) && !starts.count(s - 2)) {
          ++score.negatives;
          score.false_alarms += alerted.count(s);
        }
      }
      if (!is_default) continue;
      outcomes.Add(*t->second, *assessment);
      repairs.Add(*t->second, *assessment);
    }
    if (is_default) main_score = score;
    sweep.push_back(score);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  json j{{"therapists", args.therapists},
         {"clients", args.clients},
         {"sessions", args.sessions},
         {"seed", args.seed},
         {"training_seed", args.seed + 1000003},
         {"rupture_z", base.rupture_z},
         {"rupture_sensitivity", main_score.Sensitivity()},
         {"rupture_specificity", main_score.Specificity()},
         {"rupture_subscale_z", base.rupture_subscale_z},
         {"rupture_size", base.rupture_size},
         {"rupture_positives", main_score.positives},
         {"rupture_sensitivity_within_1_session", Share(main_score.detected_within_1, main_score.positives)},
         {"rupture_sensitivity_scorable", Share(main_score.detected_scorable, main_score.positives_scorable)},
         {"rupture_positives_scorable", main_score.positives_scorable},
         {"rupture_detected", main_score.detected},
         {"rupture_negatives", main_score.negatives},
         {"rupture_false_alarms", main_score.false_alarms},
         {"target_met", main_score.Sensitivity() >= 0.80 && main_score.Specificity() >= 0.90},
         {"not_on_track", outcomes.NotOnTrack()},
         {"reliable_deterioration",
          {{"planted", outcomes.det_true},
           {"flagged_share", Share(outcomes.det_flagged, outcomes.det_true)},
           {"false_alarm_share", Share(outcomes.det_false, outcomes.nondet)},
           {"by_latent_change",
            {{"worse", {{"episodes", outcomes.by_change[0]}, {"flagged_share", Share(outcomes.by_change_flagged[0], outcomes.by_change[0])}}},
             {"unchanged", {{"episodes", outcomes.by_change[1]}, {"flagged_share", Share(outcomes.by_change_flagged[1], outcomes.by_change[1])}}},
             {"better", {{"episodes", outcomes.by_change[2]}, {"flagged_share", Share(outcomes.by_change_flagged[2], outcomes.by_change[2])}}}}}}},
         {"curves", curves_json},
         {"rupture_missed_examples", missed},
         {"rupture_drop_bounds", DropBounds(test_obs, truth)},
         {"rupture_depth", args.rupture_depth},
         {"rupture_sensitivity_by_depth", ByDepth(main_score.by_depth, args.rupture_depth)},
         {"repair", repairs.Json()},
         {"seconds", seconds}};
  j["rupture_sweep"] = json::array();
  for (const auto& s : sweep) {
    j["rupture_sweep"].push_back(
        json{{"rules", s.variant}, {"z", s.z}, {"subscale_z", s.variant == "total_only_no_cutoff" ? json(nullptr) : json(s.subscale_z)},
             {"sensitivity", s.Sensitivity()}, {"specificity", s.Specificity()}});
  }
  // Other settings of the default rules, one at a time: each value replays every episode into a
  // fresh copy of `empty` (a RepairScore or an OutcomeScore) and gives one row of its scores.
  auto sweep_setting = [&](const char* name, std::initializer_list<double> values, const char* key,
                           const auto& empty, auto set, auto row_of) -> Result<void> {
    j[name] = json::array();
    for (double v : values) {
      monitor::Config config = base;
      set(config, v);
      auto score = empty;
      for (const auto& [episode, obs] : test_obs) {
        auto t = truth.find(episode);
        if (t == truth.end()) continue;
        ATTUNE_TRY(assessment, monitor::AssessEpisode(obs, *catalogue, curves, config));
        score.Add(*t->second, assessment);
      }
      json row = row_of(score);
      row[key] = v;
      j[name].push_back(std::move(row));
    }
    return Ok();
  };
  auto swept = sweep_setting(
      "repair_sweep", {0.0, 0.25, 0.5, 0.75, 1.0}, "margin", RepairScore{},
      [](monitor::Config& c, double v) { c.repair_margin = v; }, [](const RepairScore& r) { return r.Json(); });
  if (swept) {
    swept = sweep_setting(
        "not_on_track_sweep", {0.6745, 0.8416, 1.0364, 1.2816, 1.6449}, "z", OutcomeScore{},
        [](monitor::Config& c, double v) { c.not_on_track_z = v; }, [](const OutcomeScore& o) { return o.NotOnTrack(); });
  }
  if (!swept) return ReportError(swept.error());
  std::vector<std::string> regressions;
  auto check = [&](const char* name, double value, double floor) {
    if (value < floor) regressions.push_back(fmt::format("{} {:.3f} is below the floor {:.3f}", name, value, floor));
  };
  check("rupture_sensitivity", main_score.Sensitivity(), args.floor_sensitivity);
  check("rupture_specificity", main_score.Specificity(), args.floor_specificity);
  check("not_on_track.share_flagged", Share(outcomes.poor_flagged, outcomes.poor), args.floor_not_on_track);
  j["regressions"] = regressions;
  const int code = regressions.empty() ? 0 : 1;
  for (const auto& r : regressions) fmt::print(stderr, "regression: {}\n", r);
  if (args.json) {
    fmt::print("{}\n", j.dump(2));
    return code;
  }
  fmt::print("simulated {} therapists x {} clients x {} sessions (seed {}; curves fitted on seed {})\n", args.therapists,
             args.clients, args.sessions, args.seed, args.seed + 1000003);
  fmt::print("ruptures (z = {} total, {} subscales; shaped for a drop of {} SD): sensitivity {:.3f} ({} of {}), specificity {:.3f} ({} false alarms in {})  target "
             "sensitivity >= .80 at specificity >= .90: {}\n",
             base.rupture_z, base.rupture_subscale_z, base.rupture_size, main_score.Sensitivity(), main_score.detected, main_score.positives,
             main_score.Specificity(), main_score.false_alarms, main_score.negatives,
             j["target_met"].get<bool>() ? "met" : "NOT met");
  fmt::print("  with an alert at the rupture session or the session after it: sensitivity {:.3f} ({} of {})\n",
             j["rupture_sensitivity_within_1_session"].get<double>(), main_score.detected_within_1,
             main_score.positives);
  fmt::print("  sensitivity where the WAI-SR total was scorable then and before: {:.3f} ({} of {})\n",
             j["rupture_sensitivity_scorable"].get<double>(), main_score.detected_scorable,
             main_score.positives_scorable);
  for (const auto& s : sweep) {
    fmt::print("  {:<21} z = {:<5} sensitivity {:.3f}  specificity {:.3f}\n", s.variant, s.z, s.Sensitivity(),
               s.Specificity());
  }
  const json& bounds = j["rupture_drop_bounds"];
  if (!bounds["observed_total"].is_null() && !bounds["latent_alliance"].is_null()) {
    fmt::print("  the drop from the mean of every earlier score at the best threshold for specificity .90, chosen "
               "knowing the truth: sensitivity {:.3f} on the observed WAI-SR total, {:.3f} on the latent alliance\n",
               bounds["observed_total"]["sensitivity_at_specificity_90"].get<double>(),
               bounds["latent_alliance"]["sensitivity_at_specificity_90"].get<double>());
  }
  fmt::print("  by planted depth (latent SD):");
  for (const auto& b : j["rupture_sensitivity_by_depth"]) {
    fmt::print(" {:.2f}-{:.2f}: {:.3f} ({} of {});", b["depth_from"].get<double>(), b["depth_to"].get<double>(),
               b["sensitivity"].get<double>(), b["detected"].get<std::size_t>(), b["positives"].get<std::size_t>());
  }
  fmt::print("\n");
  const json& repair = j["repair"];
  fmt::print("repair, for planted ruptures caught on the total and decided: {:.3f} of {} planted repaired marked repaired, "
             "{:.3f} of {} planted unrepaired marked unrepaired\n",
             repair["planted_repaired_marked_repaired"].get<double>(), repair["planted_repaired"].get<std::size_t>(),
             repair["planted_unrepaired_marked_unrepaired"].get<double>(),
             repair["planted_unrepaired"].get<std::size_t>());
  const OutcomeScore& o = outcomes;
  fmt::print("not on track: {} of {} episodes that truly ended unchanged or worse flagged ({:.1f}%), median {} "
             "sessions (mean {:.1f}) before the last session; {:.1f}% of improving episodes flagged\n",
             o.poor_flagged, o.poor, 100 * Share(o.poor_flagged, o.poor), o.MedianLead(), o.MeanLead(),
             100 * Share(o.good_flagged, o.good));
  for (const auto& row : j["not_on_track_sweep"]) {
    fmt::print("  band z = {:<6} flagged {:.1f}% of unchanged or worse, {:.1f}% of improving\n", row["z"].get<double>(),
               100 * row["share_flagged"].get<double>(), 100 * row["improved_flagged_share"].get<double>());
  }
  fmt::print("reliable deterioration: {:.1f}% of {} planted deteriorations flagged; {:.1f}% of the others\n",
             100 * Share(o.det_flagged, o.det_true), o.det_true, 100 * Share(o.det_false, o.nondet));
  fmt::print("  by latent change from intake to the last session: flagged {:.1f}% of {} worse by > 0.5 SD, {:.1f}% of {} "
             "within 0.5 SD, {:.1f}% of {} better by > 0.5 SD\n",
             100 * Share(o.by_change_flagged[0], o.by_change[0]), o.by_change[0],
             100 * Share(o.by_change_flagged[1], o.by_change[1]), o.by_change[1],
             100 * Share(o.by_change_flagged[2], o.by_change[2]), o.by_change[2]);
  for (const auto& c : curves_json) {
    std::string fitted = fmt::format("fitted on {} episodes", c["episodes"].get<std::size_t>());
    if (c.contains("within_pair_sd")) fitted += fmt::format(" (within-pair SD {:.2f})", c["within_pair_sd"].get<double>());
    fmt::print("curve {}: {}\n", c["scale"].get<std::string>(),
               c["available"].get<bool>() ? fitted : c["reason"].get<std::string>());
  }
  fmt::print("{:.1f} s\n", seconds);
  return code;
}

}  // namespace

void AddMonitorCommands(CLI::App& app, Context& ctx) {
  auto* monitor = app.add_subcommand("monitor", "Alerts, change and rates session by session (docs/monitor.md)");
  monitor->require_subcommand(1);

  {
    auto args = std::make_shared<DbArgs>();
    auto id = std::make_shared<long long>(0);
    auto* c = monitor->add_subcommand("episode", "Change, ruptures and alerts of one episode");
    c->add_option("id", *id, "Episode id")->required();
    AddDbOptions(c, args->target);
    AddOrgOption(c, args->target);
    c->add_flag("--json", args->json, "JSON output");
    c->callback([&ctx, args, id] { ctx.exit_code = RunEpisode(ctx, *args, *id); });
  }
  {
    auto args = std::make_shared<DbArgs>();
    auto open = std::make_shared<bool>(false);
    auto* c = monitor->add_subcommand("alerts", "Stored alerts with their status");
    AddDbOptions(c, args->target);
    AddOrgOption(c, args->target);
    c->add_flag("--open", *open, "Only open alerts");
    c->add_flag("--json", args->json, "JSON output (with evidence)");
    c->callback([&ctx, args, open] { ctx.exit_code = RunAlerts(ctx, *args, *open); });
  }
  for (bool resolve : {false, true}) {
    auto args = std::make_shared<DbArgs>();
    auto id = std::make_shared<long long>(0);
    auto note = std::make_shared<std::string>();
    auto actor = std::make_shared<std::string>("cli");
    auto* c = monitor->add_subcommand(resolve ? "resolve" : "ack",
                                      resolve ? "Resolve an acknowledged alert" : "Acknowledge an open alert with a note");
    c->add_option("id", *id, "Alert id")->required();
    auto* n = StoredText(NotBlank(c->add_option("--note", *note, "What was done or decided")), TextLines::MANY);
    if (!resolve) n->required();
    StoredText(NotBlank(c->add_option("--actor", *actor, "Who, for the audit log")));
    AddDbOptions(c, args->target);
    AddOrgOption(c, args->target);
    c->add_flag("--json", args->json, "JSON output");
    c->callback([&ctx, args, id, note, actor, resolve] {
      ctx.exit_code = RunTransition(ctx, *args, *id, *note, resolve, *actor);
    });
  }
  {
    auto args = std::make_shared<SettingsArgs>();
    auto* c = monitor->add_subcommand(
        "settings", "Show or change the organisation's monitoring thresholds (audited as organisation.monitor_settings)");
    AddDbOptions(c, args->target);
    AddOrgOption(c, args->target);
    AddThresholdOptions(c, args->patch);
    c->add_option("--default", args->reset, "Return this field to Attune's default (e.g. rupture_z); repeatable");
    c->add_flag("--json", args->json, "JSON output");
    c->callback([&ctx, args] { ctx.exit_code = RunSettings(ctx, *args); });
  }
  {
    auto args = std::make_shared<DbArgs>();
    auto* c = monitor->add_subcommand("fit", "Fit and store expected treatment response curves");
    AddDbOptions(c, args->target);
    AddOrgOption(c, args->target);
    c->add_flag("--json", args->json, "JSON output");
    c->callback([&ctx, args] { ctx.exit_code = RunFit(ctx, *args); });
  }
  {
    auto args = std::make_shared<DbArgs>();
    auto therapist = std::make_shared<long long>(0);
    auto* c = monitor->add_subcommand("report", "Improvement, recovery, deterioration, alliance and rupture rates");
    AddDbOptions(c, args->target);
    AddOrgOption(c, args->target);
    // An id starts at 1, as the API's therapist_id: 0 must not fall back to the whole organisation.
    InRange(c->add_option("--therapist", *therapist, "Only this therapist (rates still case-mix adjusted on all)"), 1,
            999999999999);
    c->add_flag("--json", args->json, "JSON output");
    c->callback([&ctx, args, therapist] { ctx.exit_code = RunReport(ctx, *args, *therapist); });
  }
  {
    auto args = std::make_shared<EvalArgs>();
    auto* c = monitor->add_subcommand("evaluate", "Simulate a clinic and score the alerts against the planted truth");
    InRange(c->add_option("--therapists", args->therapists, "Therapists"), 1, 100000);
    InRange(c->add_option("--clients", args->clients, "Clients"), 1, 10000000);
    InRange(c->add_option("--sessions", args->sessions, "Scheduled sessions per episode"), 3, 100);
    c->add_option("--seed", args->seed, "Seed of the evaluated clinic (curves use another)");
    c->add_option("--rupture-depth", args->rupture_depth,
                  "Planted rupture depth in latent alliance SD (each rupture 0.75-1.25 times it; default 1.2)");
    AddThresholdOptions(c, args->thresholds);
    InRange(c->add_option("--floor-sensitivity", args->floor_sensitivity,
                          "Exit 1 when rupture sensitivity is below this (0-1)"),
            0, 1);
    InRange(c->add_option("--floor-specificity", args->floor_specificity,
                          "Exit 1 when rupture specificity is below this (0-1)"),
            0, 1);
    InRange(c->add_option("--floor-not-on-track", args->floor_not_on_track,
                          "Exit 1 when the share of truly unchanged-or-worse episodes flagged not on track is below "
                          "this (0-1)"),
            0, 1);
    c->add_flag("--json", args->json, "JSON output");
    c->callback([&ctx, args] { ctx.exit_code = RunEvaluate(ctx, *args); });
  }
}

}  // namespace attune::cli
