// attune trial create|analyse|power|simulate: the randomised mindfulness-training trial (docs/trial.md).
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "attune/core/dates.hpp"
#include "attune/core/files.hpp"
#include "attune/store/store.hpp"
#include "attune/trial/trial.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/db_target.hpp"
#include "cli/trial_record.hpp"

namespace attune::cli {
namespace {

constexpr const char* kMindfulness = "ffmq39";
constexpr const char* kAlliance = "wai_sr";
const std::vector<std::string> kOutcomes = {"phq9", "gad7", "core10"};

std::string NowUtc() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Scores of every response of the organisation: response id -> scale -> value.
Result<std::map<Id, std::map<std::string, double>>> AllScores(store::Store& store, OrgId org) {
  std::map<Id, std::map<std::string, double>> out;
  ATTUNE_TRY(count, store.ForEachScore(org, [&](const Score& s) {
    if (s.value) out[s.response_id][s.scale_id] = *s.value;
  }));
  (void)count;
  return out;
}

struct CreateArgs {
  DbTarget target;
  std::string name, design = "parallel", arms = "training:control", strata, out_dir = ".";
  std::uint64_t seed = 0;
  bool seed_given = false;
  int steps = 3;
  std::string allocated_on, period_starts, followup_from;  // the schedule, if fixed now
};

int RunCreate(const CreateArgs& args) {
  auto run = [&]() -> Result<int> {
    ATTUNE_TRY(design, trial::ParseDesign(args.design));
    ATTUNE_TRY(arms, trial::ParseArms(args.arms));
    if (!args.strata.empty() &&
        std::find(trial::kFacetNames.begin(), trial::kFacetNames.end(), args.strata) == trial::kFacetNames.end()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("--strata: \"{}\" is not an FFMQ-39 facet (observe, describe, act_aware, nonjudge, "
                              "nonreact)",
                              args.strata),
                  "strata");
    }
    // A folder that does not exist is refused rather than created: a mistyped path must not leave
    // new folders behind and a pre-registration where no one will look for it.
    std::error_code ec;
    if (!std::filesystem::is_directory(args.out_dir, ec)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("--out-dir is \"{}\"; expected an existing folder (nothing was recorded)", args.out_dir),
                  "out-dir");
    }
    ATTUNE_TRY(store, store::Store::Open(ToTarget(args.target), {.migrate = true, .create = false}));
    ATTUNE_TRY(org, ResolveOrg(store, args.target));
    ATTUNE_TRY(therapists, store.ListTherapists(org));
    // Stratum score: the therapist's latest FFMQ-39 facet score so far.
    std::map<Id, std::pair<std::string, double>> latest;
    if (!args.strata.empty()) {
      ATTUNE_TRY(scores, AllScores(store, org));
      store::ResponseFilter filter;
      filter.instrument_id = kMindfulness;
      ATTUNE_TRY(responses, store.ListResponses(org, filter));
      for (const auto& r : responses) {
        if (r.respondent != RespondentKind::THERAPIST) continue;
        const auto s = scores.find(r.id);
        if (s == scores.end() || !s->second.count(args.strata)) continue;
        auto& slot = latest[r.respondent_id];
        if (slot.first.empty() || r.answered_at >= slot.first) slot = {r.answered_at, s->second.at(args.strata)};
      }
    }
    std::vector<trial::Participant> participants;
    for (const auto& t : therapists) {
      trial::Participant p{t.id, std::nullopt};
      if (const auto it = latest.find(t.id); it != latest.end()) p.stratum_score = it->second.second;
      participants.push_back(p);
    }
    trial::TrialSpec spec;
    spec.name = args.name;
    spec.design = design;
    spec.arms = arms;
    spec.strata_facet = args.strata;
    spec.steps = args.steps;
    spec.seed = args.seed;
    if (!args.period_starts.empty() || !args.followup_from.empty() || !args.allocated_on.empty()) {
      spec.allocated_on = args.allocated_on.empty() ? NowUtc().substr(0, 10) : args.allocated_on;
      std::size_t from = 0;
      while (from < args.period_starts.size()) {
        const auto comma = args.period_starts.find(',', from);
        const auto end = comma == std::string::npos ? args.period_starts.size() : comma;
        spec.period_starts.push_back(args.period_starts.substr(from, end - from));
        from = end + 1;
      }
      spec.followup_from = args.followup_from;
    }
    ATTUNE_TRY(recorded, RecordAllocation(store, org, spec, participants, args.out_dir, "attune trial create"));
    const auto& [allocation, seq] = recorded;
    std::map<std::string, int> strata;
    int missing = 0;
    for (const auto& a : allocation.assignments) {
      ++strata[a.stratum];
      missing += a.stratum == "missing" ? 1 : 0;
    }
    fmt::print("trial {}: {} design, {} therapists allocated (concealed; audit entry {})\n", args.name,
               trial::DesignName(design), allocation.assignments.size(), seq);
    for (const auto& [s, n] : strata) fmt::print("  stratum {}: {}\n", s, n);
    if (!args.strata.empty() && missing > 0) {
      fmt::print("  note: {} therapists have no {} score yet (stratum \"missing\")\n", missing, args.strata);
    }
    fmt::print("allocation hash (SHA-256): {}\npre-registration: {}/{}.preregistration.json and .md\n",
               allocation.hash, args.out_dir, args.name);
    return 0;
  };
  auto code = run();
  return code ? *code : ReportError(code.error());
}

// Says which dates of the analysis are not the registered ones: an override changes which clients
// and FFMQ forms fall in each period, so the reader must know the analysis departs from the plan.
std::string DatesNote(const trial::AnalysisDates& d) {
  std::vector<std::string> parts;
  const auto differs = [&parts](const char* option, const std::string& used, const std::string& registered) {
    if (used == registered) return;
    parts.push_back(registered.empty() ? fmt::format("{} {} (none registered)", option, used)
                    : used.empty()     ? fmt::format("{} not used (registered {})", option, registered)
                                       : fmt::format("{} {} instead of the registered {}", option, used, registered));
  };
  const auto first = [](const std::vector<std::string>& v) { return v.empty() ? std::string() : v.front(); };
  differs("--training-end", first(d.period_starts), first(d.registered_period_starts));
  differs("--followup-from", d.followup_from, d.registered_followup_from);
  std::string joined;
  for (const auto& p : parts) joined += (joined.empty() ? "" : "; ") + p;
  return fmt::format("dates: {}; this analysis departs from the pre-registered schedule", joined);
}

struct AnalyseArgs {
  DbTarget target;
  std::string name, training_end, followup_from;
  bool json = false;
  int resamples = 2000;
};

// Reads the trial's allocation from the audit log and the clinic's data from the store (docs/trial.md
// "Analysis from the database" gives the mapping), then analyses.
Result<int> Analyse(const AnalyseArgs& args) {
  ATTUNE_TRY(store, store::Store::Open(ToTarget(args.target), {.migrate = true, .create = false}));
  ATTUNE_TRY(org, ResolveOrg(store, args.target));
  ATTUNE_TRY(log, store.AuditLog(org));
  const AuditEntry* found = nullptr;
  for (const auto& e : log) {
    if (e.action == "trial.allocate" && e.entity_id == args.name) found = &e;
  }
  if (!found) return Fail(ErrorCode::NOT_FOUND, fmt::format("--name: no trial \"{}\"", args.name), "name");
  ATTUNE_TRY(audit, store.VerifyAudit(org));
  if (!audit.ok) return Fail(ErrorCode::CONFLICT, "audit log: " + audit.problem, "audit");
  ATTUNE_TRY(allocation, trial::ParseAllocationJson(found->detail));
  if (trial::Sha256Hex(trial::CanonicalText(allocation)) != allocation.hash) {
    return Fail(ErrorCode::CONFLICT, "allocation: the stored allocation does not match its hash", "hash");
  }
  // The schedule: recorded with the allocation, else from the options (parallel only).
  const trial::TrialSpec& spec = allocation.spec;
  const bool stepped = spec.design == trial::Design::STEPPED_WEDGE;
  const std::string start = spec.allocated_on.empty() ? found->at.substr(0, 10) : spec.allocated_on;
  std::vector<std::string> period_starts = spec.period_starts;
  if (!args.training_end.empty()) {
    if (stepped) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  "--training-end: a stepped-wedge trial takes its period dates from the allocation (trial create "
                  "--period-starts)",
                  "training-end");
    }
    period_starts = {args.training_end};
  }
  const std::string followup_from = args.followup_from.empty() ? spec.followup_from : args.followup_from;
  if (period_starts.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                stepped ? std::string("design: a stepped-wedge trial needs its period dates, recorded at creation "
                                      "(trial create --period-starts DATE,...); this allocation has none")
                        : std::string("--training-end: not given and not recorded with the allocation; expected "
                                      "the date training ended (YYYY-MM-DD)"),
                stepped ? "design" : "training-end");
  }
  for (const auto& d : period_starts) {
    if (!IsCalendarDate(d)) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("--training-end: \"{}\" is not a date (YYYY-MM-DD)", d),
                  "training-end");
    }
  }
  const std::string& training_end = period_starts.front();
  if (training_end < start) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("--training-end: {} is before the allocation ({})", training_end, start), "training-end");
  }
  if (!followup_from.empty()) {
    if (!IsCalendarDate(followup_from)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("--followup-from: \"{}\" is not a date (YYYY-MM-DD)", followup_from), "followup-from");
    }
    if (followup_from < training_end && args.followup_from.empty()) {
      // The follow-up date is the registered one: blame the option the user gave.
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("--training-end is \"{}\"; expected a date on or before the registered follow-up date "
                              "{} (recorded by trial create --followup-from)",
                              training_end, followup_from),
                  "training-end");
    }
    if (followup_from < training_end) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("--followup-from: {} is before training ends ({}); expected a date on or after it",
                              followup_from, training_end),
                  "followup-from");
    }
  }
  ATTUNE_TRY(scores, AllScores(store, org));
  ATTUNE_TRY(responses, store.ListResponses(org));
  ATTUNE_TRY(episodes, store.ListEpisodes(org));

  trial::TrialData data;
  data.design = allocation.spec.design;
  data.intervention_arm = allocation.spec.arms[0];
  data.steps = stepped ? spec.steps : 1;
  std::map<Id, trial::TherapistRecord> therapists;
  std::map<Id, std::string> first_post;  // answered_at of the FFMQ used as post
  for (const auto& a : allocation.assignments) {
    trial::TherapistRecord r;
    r.therapist_id = a.therapist_id;
    r.arm = a.arm;
    r.step = a.step;
    ATTUNE_TRY(training, store.ListTrainingRecords(org, a.therapist_id));
    // Log entries of a practice kind ("home_practice", "daily_practice") are practice minutes;
    // the others are programme sessions attended.
    for (const auto& t : training) {
      if (t.kind.find("practice") != std::string::npos) {
        r.practice_minutes += t.minutes;
      } else {
        ++r.training_sessions;
      }
    }
    therapists[a.therapist_id] = r;
  }
  // FFMQ occasions: baseline = latest before allocation; post = first from --training-end (and before
  // --followup-from); follow-up = first from --followup-from.
  std::map<Id, std::array<std::string, 3>> when;
  auto facets_of = [&](Id response_id) {
    trial::FacetScores f;
    const auto s = scores.find(response_id);
    for (std::size_t i = 0; i < trial::kFacetNames.size() && s != scores.end(); ++i) {
      if (const auto v = s->second.find(trial::kFacetNames[i]); v != s->second.end()) f[i] = v->second;
    }
    return f;
  };
  std::map<Id, std::vector<const Response*>> by_episode;
  for (const auto& r : responses) {
    if (r.instrument_id == kMindfulness && r.respondent == RespondentKind::THERAPIST) {
      auto t = therapists.find(r.respondent_id);
      if (t == therapists.end()) continue;
      const std::string day = r.answered_at.substr(0, 10);
      auto& w = when[r.respondent_id];
      if (day < start) {
        if (w[0].empty() || r.answered_at >= w[0]) {
          w[0] = r.answered_at;
          t->second.baseline = facets_of(r.id);
        }
      } else if (day >= training_end && (followup_from.empty() || day < followup_from)) {
        if (w[1].empty() || r.answered_at < w[1]) {
          w[1] = r.answered_at;
          t->second.post = facets_of(r.id);
        }
      } else if (!followup_from.empty() && day >= followup_from) {
        if (w[2].empty() || r.answered_at < w[2]) {
          w[2] = r.answered_at;
          t->second.followup = facets_of(r.id);
        }
      }
    } else if (r.episode_id) {
      by_episode[*r.episode_id].push_back(&r);
    }
  }
  // Clients: episodes started before the allocation are period 0, those started from period k's
  // start (parallel: --training-end) period k; episodes started between the allocation and the first
  // period (training) are left out. Severity is standardised per instrument.
  struct Raw {
    Id client = 0, therapist = 0;
    int period = 0;
    std::string instrument;
    std::optional<double> first, last, alliance;
    bool ended = false;
  };
  std::vector<Raw> raws;
  for (const auto& e : episodes) {
    if (!therapists.count(e.therapist_id) || e.started_on.empty()) continue;
    const std::string day = e.started_on.substr(0, 10);
    int period = -1;
    if (day < start) period = 0;
    for (std::size_t k = 0; k < period_starts.size(); ++k) {
      if (day >= period_starts[k]) period = static_cast<int>(k) + 1;
    }
    if (period < 0) continue;
    Raw raw{e.client_id, e.therapist_id, period, {}, {}, {}, {}, e.status == "ended"};
    auto& list = by_episode[e.id];
    std::sort(list.begin(), list.end(), [](const Response* a, const Response* b) { return a->answered_at < b->answered_at; });
    double sum = 0;
    int n = 0;
    for (const Response* r : list) {
      const auto s = scores.find(r->id);
      if (s == scores.end()) continue;
      const auto total = s->second.find("total");
      if (total == s->second.end()) continue;
      if (r->instrument_id == kAlliance) {
        sum += total->second;
        ++n;
      } else if (std::find(kOutcomes.begin(), kOutcomes.end(), r->instrument_id) != kOutcomes.end()) {
        if (raw.instrument.empty()) {
          raw.instrument = r->instrument_id;
          raw.first = total->second;
        } else if (r->instrument_id == raw.instrument) {
          raw.last = total->second;
        }
      }
    }
    if (n > 0) raw.alliance = sum / n;
    raws.push_back(raw);
  }
  auto moments = [](const std::vector<double>& v) {
    double m = 0, s = 0;
    for (double x : v) m += x;
    m /= std::max<std::size_t>(1, v.size());
    for (double x : v) s += (x - m) * (x - m);
    return std::pair<double, double>{m, v.size() > 1 ? std::sqrt(s / (v.size() - 1)) : 0.0};
  };
  std::vector<double> alliances;
  std::map<std::string, std::vector<double>> firsts;
  for (const auto& r : raws) {
    if (r.alliance) alliances.push_back(*r.alliance);
    if (r.first) firsts[r.instrument].push_back(*r.first);
  }
  const auto [alliance_mean, alliance_sd] = moments(alliances);
  for (const auto& r : raws) {
    trial::ClientRecord c;
    c.client_id = r.client;
    c.therapist_id = r.therapist;
    c.period = r.period;
    if (r.alliance && alliance_sd > 0) c.alliance = (*r.alliance - alliance_mean) / alliance_sd;
    if (r.first) {
      const auto [m, sd] = moments(firsts[r.instrument]);
      if (sd > 0) {
        c.baseline_severity = (*r.first - m) / sd;
        if (r.last) c.outcome_change = (*r.last - *r.first) / sd;
      }
    }
    c.dropped_out = !r.last;
    data.clients.push_back(c);
  }
  for (auto& [id, t] : therapists) data.therapists.push_back(t);

  trial::AnalysisOptions options;
  options.mediation_resamples = args.resamples;
  ATTUNE_TRY(analysis, trial::Analyse(data, options));
  analysis.dates = trial::AnalysisDates{start, spec.period_starts, spec.followup_from, period_starts, followup_from};
  if (analysis.dates->DepartsFromRegistration()) {
    analysis.notes.insert(analysis.notes.begin(), DatesNote(*analysis.dates));
  }
  if (args.json) {
    fmt::print("{}", trial::AnalysisJson(analysis));
  } else {
    fmt::print("trial {} (allocation hash {} verified)\n{}", args.name, allocation.hash,
               trial::AnalysisText(analysis));
  }
  return 0;
}

struct SimArgs {
  trial::TrialSimParams params;
  std::string design = "parallel";
  int sims = 500;
  std::uint64_t seed = 1;
  bool json = false;
  bool intercept_only = false;
  bool quiet = false;
};

Result<trial::TrialSimParams> SimParams(const SimArgs& args) {
  trial::TrialSimParams p = args.params;
  ATTUNE_TRY(design, trial::ParseDesign(args.design));
  p.design = design;
  ATTUNE_CHECK(trial::Validate(p));
  return p;
}

int RunPower(const SimArgs& args) {
  auto run = [&]() -> Result<int> {
    ATTUNE_TRY(p, SimParams(args));
    trial::AnalysisOptions options;
    options.random_slopes = !args.intercept_only;
    const auto start = std::chrono::steady_clock::now();
    ATTUNE_TRY(r, trial::Power(p, args.sims, args.seed, options));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (args.json) {
      fmt::print("{}", trial::PowerJson(r));
    } else {
      // Every figure is over the fitted simulations; when some failed, the count says how many.
      const std::string from = r.failed == 0 ? fmt::format("{} simulations (0 failed fits)", r.sims)
                                             : fmt::format("the {} fitted of {} simulations ({} failed fits, left out)",
                                                           r.power.of, r.sims, r.failed);
      fmt::print("{} therapists x {} clients, effect {} SD, ICC {}: power {:.3f} (Monte Carlo SE {:.3f}) from {}; "
                 "mean estimate {:.3f}, mean SE {:.3f}; {:.1f} s\n",
                 p.therapists, p.clients_per_therapist, p.effect, p.icc, r.power.value, r.power.mcse, from,
                 r.mean_estimate, r.mean_se, seconds);
    }
    return 0;
  };
  auto code = run();
  return code ? *code : ReportError(code.error());
}

int RunSimulate(const SimArgs& args) {
  auto run = [&]() -> Result<int> {
    ATTUNE_TRY(p, SimParams(args));
    trial::AnalysisOptions options;
    options.random_slopes = !args.intercept_only;
    const auto start = std::chrono::steady_clock::now();
    ATTUNE_TRY(r, trial::SimulationCheck(p, args.sims, args.seed, options));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (args.json) {
      fmt::print("{}", trial::CheckJson(r));
    } else {
      fmt::print("{} simulated trials with a planted effect of {} SD and {} with none ({} therapists x {} clients, "
                 "ICC {}, {}; {} failed fits{}; {:.1f} s)\n",
                 r.sims, p.effect, r.sims, p.therapists, p.clients_per_therapist, p.icc, trial::DesignName(p.design),
                 r.failed,
                 r.failed == 0 ? ""
                               : fmt::format(", left out: figures over {} fitted with the effect and {} without",
                                             r.coverage.of, r.false_positive_rate.of),
                 seconds);
      fmt::print("coverage of the 95% CI: {:.3f} (Monte Carlo SE {:.3f})\n", r.coverage.value, r.coverage.mcse);
      fmt::print("false-positive rate (no effect, p < .05): {:.3f} (Monte Carlo SE {:.3f})\n",
                 r.false_positive_rate.value, r.false_positive_rate.mcse);
      fmt::print("power: {:.3f} (SE {:.3f}); mean estimate {:.3f} (bias {:+.3f}); empirical SD {:.3f} vs mean SE "
                 "{:.3f}\n",
                 r.power.value, r.power.mcse, r.mean_estimate, r.bias, r.empirical_sd, r.mean_se);
    }
    return 0;
  };
  auto code = run();
  return code ? *code : ReportError(code.error());
}

void AddSimOptions(CLI::App* command, SimArgs& args) {
  const auto range = [](CLI::Option* option, trial::ParamRange r) { InRange(option, r.lo, r.hi); };
  range(command->add_option("--therapists", args.params.therapists, "Therapists in the trial"),
        trial::kTherapistsRange);
  command->add_option("--clients-per-therapist", args.params.clients_per_therapist,
                      "Clients per therapist over the whole trial (split evenly over the periods)");
  range(command->add_option("--effect", args.params.effect, "Training effect on client-rated alliance (SD units)"),
        trial::kEffectRange);
  range(command->add_option("--icc", args.params.icc, "Therapist share of alliance variance"), trial::kIccRange);
  command->add_option("--sims", args.sims, "Number of simulated trials");
  command->add_option("--seed", args.seed, "Random seed (same seed, same figures)");
  OneOf(command->add_option("--design", args.design, "parallel | stepped-wedge"), {"parallel", "stepped-wedge"});
  range(command->add_option("--steps", args.params.steps, "Stepped wedge: crossover steps"), trial::kStepsRange);
  command->add_flag("--intercept-only", args.intercept_only,
                    "Fit (1 | therapist) instead of (1 + period | therapist) (parallel design)");
  command->add_flag("--json", args.json, "Print JSON");
}

}  // namespace

Result<std::pair<trial::Allocation, std::int64_t>> RecordAllocation(store::Store& store, OrgId org,
                                                                    const trial::TrialSpec& spec,
                                                                    const std::vector<trial::Participant>& participants,
                                                                    const std::string& out_dir,
                                                                    const std::string& actor) {
  ATTUNE_TRY(log, store.AuditLog(org));
  for (const auto& e : log) {
    if (e.action == "trial.allocate" && e.entity_id == spec.name) {
      return Fail(ErrorCode::ALREADY_EXISTS,
                  fmt::format("--name: trial \"{}\" exists already (audit entry {})", spec.name, e.seq), "name");
    }
  }
  ATTUNE_TRY(allocation, trial::Allocate(spec, participants));
  // The pre-registration first, each file written whole under a temporary name and renamed: when
  // the directory cannot take them, nothing is recorded and the name stays free.
  const std::string at = NowUtc();
  const std::filesystem::path dir(out_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::vector<std::filesystem::path> written;
  const auto remove_written = [&written] {
    std::error_code ignored;
    for (const auto& path : written) std::filesystem::remove(path, ignored);
  };
  for (const auto& [ext, text] : {std::pair<std::string, std::string>{"json", trial::RegistrationJson(allocation, at)},
                                  {"md", trial::RegistrationMarkdown(allocation, at)}}) {
    const auto path = dir / fmt::format("{}.preregistration.{}", spec.name, ext);
    auto temporary = path;
    temporary += ".partial";
    {
      std::ofstream out(temporary, std::ios::binary);
      out << text;
      out.flush();
      if (!out) {
        out.close();
        std::filesystem::remove(temporary, ec);
        remove_written();
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("--out-dir: cannot write \"{}\" (nothing was recorded)", path.string()), "out-dir");
      }
    }
    // Durable before the allocation is audited: a crash never leaves a recorded trial without
    // its pre-registration on disk.
    if (auto placed = ReplaceDurably(temporary.string(), path.string()); !placed) {
      std::filesystem::remove(temporary, ec);
      remove_written();
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("--out-dir: cannot write \"{}\" (nothing was recorded): {}", path.string(),
                              placed.error().message),
                  "out-dir");
    }
    written.push_back(path);
  }
  auto entry = store.AppendAudit(org, store::Actor{actor}, "trial.allocate", "trial", spec.name,
                                 trial::AllocationJson(allocation));
  if (!entry) {
    remove_written();
    return std::move(entry).error();
  }
  return std::pair<trial::Allocation, std::int64_t>{std::move(allocation), entry->seq};
}

void AddTrialCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("trial", "The randomised mindfulness-training trial (docs/trial.md)");
  group->require_subcommand(1);

  auto create_args = std::make_shared<CreateArgs>();
  auto* create = group->add_subcommand("create", "Allocate the organisation's therapists; write the pre-registration");
  AddDbOptions(create, create_args->target);
  AddOrgOption(create, create_args->target);
  create->add_option("--name", create_args->name, "Trial name ([A-Za-z0-9_-])")->required();
  OneOf(create->add_option("--design", create_args->design, "parallel | stepped-wedge"), {"parallel", "stepped-wedge"});
  create->add_option("--arms", create_args->arms, "Arms, intervention first (parallel)");
  create->add_option("--strata", create_args->strata, "Stratify on this baseline FFMQ-39 facet (median split)");
  create->add_option("--steps", create_args->steps, "Stepped wedge: crossover steps");
  create->add_option("--seed", create_args->seed, "Allocation seed (recorded; disclosed only at unblinding)")
      ->required();
  create->add_option("--out-dir", create_args->out_dir, "Where to write NAME.preregistration.json and .md");
  create->add_option("--period-starts", create_args->period_starts,
                     "Schedule: date each period begins, comma-separated (parallel: training ends; stepped wedge: "
                     "one per step)");
  create->add_option("--followup-from", create_args->followup_from, "Schedule: date from which an FFMQ is follow-up");
  create->add_option("--allocated-on", create_args->allocated_on,
                     "Schedule: allocation date (default: today, when a schedule is given)");
  create->callback([&ctx, create_args] { ctx.exit_code = RunCreate(*create_args); });

  auto analyse_args = std::make_shared<AnalyseArgs>();
  auto* analyse = group->add_subcommand("analyse", "Analyse a trial from the database");
  AddDbOptions(analyse, analyse_args->target);
  AddOrgOption(analyse, analyse_args->target);
  analyse->add_option("--name", analyse_args->name, "Trial name")->required();
  analyse->add_option("--training-end", analyse_args->training_end,
                      "Date training ended (YYYY-MM-DD): episodes from then are period 1; FFMQ from then is post "
                      "(parallel; default: the schedule recorded with the allocation)");
  analyse->add_option("--followup-from", analyse_args->followup_from, "Date from which an FFMQ is follow-up");
  ZeroOrAtLeast(analyse->add_option("--resamples", analyse_args->resamples, "Mediation bootstrap resamples (0 = none)"),
                100, "no mediation");
  analyse->add_flag("--json", analyse_args->json, "Print JSON");
  analyse->callback([&ctx, analyse_args] {
    auto code = Analyse(*analyse_args);
    ctx.exit_code = code ? *code : ReportError(code.error());
  });

  auto power_args = std::make_shared<SimArgs>();
  power_args->sims = 200;
  auto* power = group->add_subcommand("power", "Power by simulation before the trial starts");
  AddSimOptions(power, *power_args);
  power->callback([&ctx, power_args] { ctx.exit_code = RunPower(*power_args); });

  auto sim_args = std::make_shared<SimArgs>();
  auto* simulate = group->add_subcommand(
      "simulate", "Check the analysis on simulated trials: coverage and false-positive rate");
  AddSimOptions(simulate, *sim_args);
  simulate->callback([&ctx, sim_args] { ctx.exit_code = RunSimulate(*sim_args); });
}

}  // namespace attune::cli
