// attune sim clinic: a synthetic clinic with planted truth, written as CSV + truth.json (docs/simulation.md).
#include <fmt/core.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "attune/core/dates.hpp"
#include "attune/instruments/scoring.hpp"
#include "attune/service/service.hpp"
#include "attune/sim/sim.hpp"
#include "attune/store/store.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#ifdef ATTUNE_HAS_TRIAL
#include "cli/trial_record.hpp"
#endif

namespace attune::cli {
namespace {

struct SimClinicArgs {
  sim::SimParams params;
  std::uint64_t seed = 1;
  std::string csv_dir;
  std::string db;
  std::string org_name;
  // A trial run in the clinic after its history (docs/simulation.md "A trial").
  std::string trial_name;
  std::string trial_design = "parallel";
  int trial_steps = 3;
  int trial_clients = 0;  // per period; 0 = as many as --clients
  double training_effect = 0.3;
};

// --- Writing a simulated clinic into a database (through store and service) ---
// The simulation has no calendar; here it is dated: episodes start over 26 weeks from the first
// day, one session a week; baseline forms on the first day (see FirstDay).

constexpr const char* kFixedFirstDay = "2026-01-05";  // a Monday

// Scale scores of one response by scale id (for therapist style and client preferences).
std::map<std::string, double> ScaleScores(const instruments::Instrument& inst, const sim::Clinic& clinic,
                                          const sim::Response& r) {
  std::map<std::string, double> out;
  instruments::Answers answers(r.count);
  for (std::size_t i = 0; i < r.count; ++i) {
    if (clinic.Present(r)[i]) answers[i] = clinic.Values(r)[i];
  }
  auto scored = instruments::Score(inst, answers);
  if (!scored) return out;
  for (const auto& s : scored->scales) {
    if (s.score) out[inst.scales[s.scale].id] = *s.score;
  }
  return out;
}

struct DbCounts {
  std::int64_t therapists = 0, clients = 0, episodes = 0, open_episodes = 0, sessions = 0, responses = 0,
               live_responses = 0, alerts = 0, training = 0;
  OrgId org = 0;
  std::string first_day;  // the calendar's first day
  long weeks_back = 0;    // how far it was moved back from the fixed one to end by yesterday
};

// The simulated clinic's calendar (days since 1970-01-01). History: episodes start over 26 weeks
// from its first day (ChooseFirstDay), one session a week. The census day is "today": every ended episode is over by
// then, and each open episode had its last observed session in the week before. A trial is
// allocated on the census day; its periods follow (see docs/simulation.md "A trial").
struct Calendar {
  long first_day = 0, census = 0;
  std::vector<long> episode_start;         // by episode index
  std::array<long, 3> ffmq{};              // baseline, post, follow-up
  std::vector<long> period_start;          // period k at [k - 1]
  long period_days = 0;
  int training_weeks = 0;
};

constexpr long kPeriodWeeks = 12;

// The day the calendar starts: the fixed Monday, so that runs are dated alike, when every date the
// clinic stores (to the end of the trial's last period's episodes and its follow-up) falls by
// yesterday (a form answered at 10:50 today may still be ahead of the clock); else that Monday
// moved back by whole weeks until it does (docs/cli.md): nothing is stored in the future.
struct FirstDay {
  long day = 0;
  long weeks_back = 0;
};

FirstDay ChooseFirstDay(int sessions, int periods, int training_weeks) {
  const long fixed = static_cast<long>(DayNumber(kFixedFirstDay));
  const long census = fixed + 182 + 7L * sessions;
  const long last = periods == 0 ? census
                                 : census + 7L * training_weeks + periods * 7 * kPeriodWeeks + 7L * (sessions - 1);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const long yesterday = static_cast<long>(now / 86400) - 1;
  if (last <= yesterday) return {fixed, 0};
  const long weeks = (last - yesterday + 6) / 7;
  return {fixed - 7 * weeks, weeks};
}

Calendar MakeCalendar(const sim::Clinic& clinic, long first_day, int sessions, int periods, int training_weeks) {
  Calendar cal;
  cal.first_day = first_day;
  cal.census = cal.first_day + 182 + 7L * sessions;
  cal.training_weeks = training_weeks;
  cal.period_days = 7 * kPeriodWeeks;
  for (int k = 1; k <= periods; ++k) {
    cal.period_start.push_back(cal.census + 7L * training_weeks + (k - 1) * cal.period_days);
  }
  cal.ffmq = {cal.first_day, periods ? cal.period_start.front() : 0, periods ? cal.period_start.back() + cal.period_days : 0};
  std::size_t history = 0;
  std::vector<std::size_t> per_period(static_cast<std::size_t>(periods) + 1, 0);
  for (const auto& ep : clinic.episodes) ++per_period[static_cast<std::size_t>(ep.period)];
  history = per_period[0];
  std::vector<std::size_t> seen(per_period.size(), 0);
  cal.episode_start.resize(clinic.episodes.size());
  for (std::size_t e = 0; e < clinic.episodes.size(); ++e) {
    const auto& ep = clinic.episodes[e];
    const auto k = static_cast<std::size_t>(ep.period);
    const std::size_t i = seen[k]++;
    if (ep.open) {
      cal.episode_start[e] = cal.census - 1 - static_cast<long>(e % 7) - 7L * (ep.sessions_scheduled - 1);
    } else if (k == 0) {
      cal.episode_start[e] = cal.first_day + static_cast<long>(e * 182 / std::max<std::size_t>(1, history));
    } else {
      cal.episode_start[e] = cal.period_start[k - 1] + static_cast<long>(i) * cal.period_days /
                                                           static_cast<long>(std::max<std::size_t>(1, per_period[k]));
    }
  }
  return cal;
}

// What is stored so far: database ids by simulated id - 1, and how many rows of each table.
struct Stored {
  OrgId org = 0;
  std::vector<Id> therapists, clients, episodes;
  std::size_t responses = 0, training = 0;
  std::map<std::pair<std::uint32_t, int>, Id> sessions;
};

// A simulated response as the store keeps it (answers, who, when, session).
Response ResponseRow(const sim::Clinic& clinic, const sim::Response& r, const instruments::Instrument& inst,
                     const Stored& stored, const Calendar& cal) {
  Response row;
  // The therapist answers the client form on C-NIP about their own style: who answered
  // follows the simulated response, not the instrument's usual respondent.
  const bool by_therapist = r.client_id == 0 || inst.respondent == instruments::Respondent::THERAPIST;
  row.respondent_id = by_therapist ? stored.therapists[r.therapist_id - 1] : stored.clients[r.client_id - 1];
  row.subject_id = r.client_id ? stored.clients[r.client_id - 1] : stored.therapists[r.therapist_id - 1];
  if (r.episode_id) {
    row.episode_id = stored.episodes[r.episode_id - 1];
    auto it = stored.sessions.find({r.episode_id, r.session});
    if (it != stored.sessions.end()) row.session_id = it->second;
    row.answered_at = DateOfDay(cal.episode_start[r.episode_id - 1] + 7L * (r.session - 1)) + "T10:50:00Z";
  } else {
    row.answered_at = DateOfDay(cal.ffmq[static_cast<std::size_t>(r.occasion)]) + "T09:00:00Z";
  }
  row.answers.resize(r.count);
  for (std::size_t i = 0; i < r.count; ++i) {
    if (clinic.Present(r)[i]) row.answers[i] = clinic.Values(r)[i];
  }
  return row;
}

// Stores the rows of the simulation not stored yet: therapists (first call only), clients,
// episodes with their attended sessions, training logs, and the responses of ended episodes and
// outside episodes in one import. Open episodes' responses are submitted afterwards through the
// service, session by session, so the monitor raises their alerts as it would live (SubmitLive).
Result<void> StoreNew(store::Store& db, const instruments::Catalogue& catalogue, const sim::Simulation& simulated,
                      const Calendar& cal, Stored& stored, DbCounts& counts) {
  const sim::Clinic& clinic = simulated.clinic;
  const store::Actor actor{"attune sim"};
  std::vector<const instruments::Instrument*> form_instrument;
  for (const auto& form : clinic.forms) {
    auto inst = catalogue.Get(form.instrument);
    if (!inst) return inst.error();
    form_instrument.push_back(*inst);
  }
  if (stored.therapists.empty()) {
    const std::size_t style_form = clinic.FormIndex(simulated.truth.params.style_instrument);
    std::vector<std::map<std::string, double>> therapist_style(clinic.therapists.size());
    for (const auto& r : clinic.responses) {
      if (r.form == style_form && r.session == 0 && r.client_id == 0) {
        therapist_style[r.therapist_id - 1] = ScaleScores(*form_instrument[r.form], clinic, r);
      }
    }
    std::vector<Therapist> therapists;
    for (const auto& t : clinic.therapists) {
      Therapist row;
      row.external_id = fmt::format("sim-t{}", t.id);
      row.display_name = fmt::format("Therapist {}", t.id);
      row.style = therapist_style[t.id - 1];
      row.languages = t.languages;
      row.modality = sim::ModalityName(t.modality, false);
      row.capacity = t.capacity;
      therapists.push_back(std::move(row));
    }
    ATTUNE_TRY(ids, db.AddTherapists(stored.org, therapists, actor));
    stored.therapists = std::move(ids);
    counts.therapists = static_cast<std::int64_t>(stored.therapists.size());
  }

  if (stored.clients.size() < clinic.clients.size()) {
    const std::size_t style_form = clinic.FormIndex(simulated.truth.params.style_instrument);
    std::map<std::uint32_t, std::map<std::string, double>> preferences;
    for (std::size_t i = stored.responses; i < clinic.responses.size(); ++i) {
      const auto& r = clinic.responses[i];
      if (r.form == style_form && r.session == 0 && r.client_id != 0) {
        preferences[r.client_id] = ScaleScores(*form_instrument[r.form], clinic, r);
      }
    }
    std::vector<Client> clients;
    for (std::size_t i = stored.clients.size(); i < clinic.clients.size(); ++i) {
      const auto& c = clinic.clients[i];
      Client row;
      row.external_id = fmt::format("sim-c{}", c.id);
      row.pseudonym = fmt::format("Client {}", c.id);
      row.concerns = c.concerns;
      row.preferences = preferences[c.id];
      row.constraints.push_back("language:" + c.language);
      if (c.modality != sim::Modality::BOTH) {
        row.constraints.push_back(fmt::format("modality:{}", sim::ModalityName(c.modality, true)));
      }
      clients.push_back(std::move(row));
    }
    ATTUNE_TRY(ids, db.AddClients(stored.org, clients, actor));
    stored.clients.insert(stored.clients.end(), ids.begin(), ids.end());
    counts.clients = static_cast<std::int64_t>(stored.clients.size());
  }

  // One transaction per table (Store::AddEpisodes / AddSessions): one fsync, not one per row.
  const std::size_t first_episode = stored.episodes.size();
  std::vector<Episode> episode_rows;
  for (std::size_t e = first_episode; e < clinic.episodes.size(); ++e) {
    const auto& ep = clinic.episodes[e];
    Episode row;
    row.client_id = stored.clients[ep.client_id - 1];
    row.therapist_id = stored.therapists[ep.therapist_id - 1];
    row.started_on = DateOfDay(cal.episode_start[e]);
    if (ep.open) {
      row.status = "active";
      ++counts.open_episodes;
    } else {
      row.ended_on = DateOfDay(cal.episode_start[e] + 7L * (std::max(1, ep.last_session) - 1));
      row.status = "ended";
    }
    row.assigned_by = "random";
    episode_rows.push_back(std::move(row));
  }
  if (!episode_rows.empty()) {
    ATTUNE_TRY(ids, db.AddEpisodes(stored.org, episode_rows, actor));
    stored.episodes.insert(stored.episodes.end(), ids.begin(), ids.end());
  }
  counts.episodes = static_cast<std::int64_t>(stored.episodes.size());

  std::vector<Session> session_rows;
  std::vector<std::pair<std::uint32_t, int>> session_keys;
  for (const auto& s : clinic.sessions) {
    if (!s.attended || s.episode_id - 1 < first_episode) continue;
    Session row;
    row.episode_id = stored.episodes[s.episode_id - 1];
    row.number = s.number;
    row.held_at = DateOfDay(cal.episode_start[s.episode_id - 1] + 7L * (s.number - 1)) + "T10:00:00Z";
    session_rows.push_back(std::move(row));
    session_keys.emplace_back(s.episode_id, s.number);
  }
  if (!session_rows.empty()) {
    ATTUNE_TRY(ids, db.AddSessions(stored.org, session_rows, actor));
    for (std::size_t k = 0; k < session_keys.size(); ++k) stored.sessions[session_keys[k]] = ids[k];
  }
  counts.sessions = static_cast<std::int64_t>(stored.sessions.size());

  // Training logs: step k's programme runs in the weeks before period k begins.
  for (std::size_t i = stored.training; i < clinic.training.size(); ++i) {
    const auto& log = clinic.training[i];
    const int step = simulated.truth.trial[log.therapist_id - 1].step;
    TrainingRecord row;
    row.therapist_id = stored.therapists[log.therapist_id - 1];
    row.kind = log.kind;
    row.minutes = log.minutes;
    row.completed_on = DateOfDay(cal.period_start[static_cast<std::size_t>(step - 1)] -
                                     7L * (cal.training_weeks - log.week + 1) + 2);
    row.note = "simulated trial training";
    ATTUNE_CHECK(db.AddTrainingRecord(stored.org, row, actor));
    ++counts.training;
  }
  stored.training = clinic.training.size();

  std::size_t next = stored.responses;
  Error failure;
  bool failed = false;
  store::ResponseSource source = [&](store::ScoredResponse& out) -> Result<bool> {
    while (next < clinic.responses.size()) {
      const sim::Response& r = clinic.responses[next++];
      if (r.episode_id && clinic.episodes[r.episode_id - 1].open) continue;  // submitted live
      const instruments::Instrument& inst = *form_instrument[r.form];
      Response row = ResponseRow(clinic, r, inst, stored, cal);
      row.idempotency_key = fmt::format("sim:{}:{}", stored.org, r.id);
      auto scored = service::ScoreForStorage(inst, std::move(row));
      if (!scored) {
        failure = scored.error();
        failed = true;
        return scored.error();
      }
      out = std::move(*scored);
      const bool by_therapist = r.client_id == 0 || inst.respondent == instruments::Respondent::THERAPIST;
      out.response.respondent = by_therapist ? RespondentKind::THERAPIST : RespondentKind::CLIENT;
      return true;
    }
    return false;
  };
  auto imported = db.ImportResponses(stored.org, source, "attune sim clinic", actor);
  if (!imported) return failed ? failure : imported.error();
  counts.responses += *imported;
  stored.responses = clinic.responses.size();
  return Ok();
}

// Open episodes' answers go through the service as live submissions (Service::PrepareSubmission:
// validated, scored and monitored against the episode's stored history and the expected-response
// curves fitted on the ended episodes), so their alerts are the monitor's own. One group commit
// per round: the i-th answer of every open episode.
Result<void> SubmitLive(store::Store& db, const instruments::Catalogue& catalogue, instruments::Use use,
                        const sim::Simulation& simulated, const Calendar& cal, const Stored& stored,
                        DbCounts& counts) {
  const sim::Clinic& clinic = simulated.clinic;
  std::map<std::uint32_t, std::vector<const sim::Response*>> by_episode;
  for (const auto& r : clinic.responses) {
    if (r.episode_id && clinic.episodes[r.episode_id - 1].open) by_episode[r.episode_id].push_back(&r);
  }
  if (by_episode.empty()) return Ok();
  service::Service service(db, catalogue, use);
  const store::Actor actor{"attune sim"};
  if (counts.episodes > counts.open_episodes) ATTUNE_CHECK(service.FitExpectedResponse(stored.org, actor));
  for (std::size_t round = 0;; ++round) {
    std::vector<std::pair<store::ScoredResponse, store::Actor>> batch;
    std::vector<service::Submission> submitted;
    for (const auto& [episode, list] : by_episode) {
      if (round >= list.size()) continue;
      const sim::Response& r = *list[round];
      const sim::Form& form = clinic.forms[r.form];
      ATTUNE_TRY(inst, catalogue.Get(form.instrument));
      const Response row = ResponseRow(clinic, r, *inst, stored, cal);
      service::Submission submission;
      submission.instrument_id = form.instrument;
      submission.respondent_id = row.respondent_id;
      submission.subject_id = row.subject_id;
      submission.episode_id = row.episode_id;
      submission.session_id = row.session_id;
      submission.answered_at = row.answered_at;
      submission.answers = row.answers;
      submission.idempotency_key = fmt::format("sim:{}:{}", stored.org, r.id);
      ATTUNE_TRY(prepared, service.PrepareSubmission(stored.org, submission));
      for (auto& alert : prepared.alerts) alert.raised_at = row.answered_at;
      batch.emplace_back(std::move(prepared), actor);
      submitted.push_back(std::move(submission));
    }
    if (batch.empty()) break;
    ATTUNE_TRY(outcomes, db.SubmitResponses(stored.org, batch));
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      auto& outcome = outcomes[i];
      if (outcome && outcome->stale) {
        // Another answer about the same client went in first (a client with two open episodes):
        // this one again, from the history that now includes it.
        const auto& raised_at = submitted[i].answered_at;
        outcome = service.SubmitResponse(stored.org, submitted[i], actor,
                                         [&](OrgId org, store::ScoredResponse scored, const store::Actor& who) {
                                           for (auto& alert : scored.alerts) alert.raised_at = raised_at;
                                           return db.SubmitResponse(org, scored, who);
                                         });
      }
      if (!outcome) return outcome.error();
      counts.alerts += static_cast<std::int64_t>(outcome->alert_ids.size());
      ++counts.live_responses;
    }
  }
  counts.responses += counts.live_responses;
  return Ok();
}

#ifdef ATTUNE_HAS_TRIAL
// The trial (docs/simulation.md "A trial"): therapists allocated by module trial (stratified on
// their baseline nonjudge score; recorded in the audit log with the schedule, pre-registration
// written), then the trial's conduct simulated (sim::SimulateTrial) and stored.
Result<std::string> RunTrial(store::Store& db, const instruments::Catalogue& catalogue, sim::Simulation& simulated,
                             const SimClinicArgs& args, long first_day, Stored& stored, DbCounts& counts) {
  sim::Clinic& clinic = simulated.clinic;
  const sim::SimParams& p = simulated.truth.params;
  ATTUNE_TRY(design, trial::ParseDesign(args.trial_design));
  sim::TrialPlan plan;
  plan.periods = design == trial::Design::PARALLEL ? 1 : args.trial_steps;
  plan.clients_per_period = args.trial_clients > 0 ? args.trial_clients : p.clients;
  plan.effect = args.training_effect;
  const Calendar cal = MakeCalendar(clinic, first_day, p.sessions, plan.periods, plan.training_weeks);

  trial::TrialSpec spec;
  spec.name = args.trial_name;
  spec.design = design;
  spec.strata_facet = "nonjudge";
  spec.steps = args.trial_steps;
  spec.seed = args.seed;
  spec.allocated_on = DateOfDay(cal.census);
  for (long day : cal.period_start) spec.period_starts.push_back(DateOfDay(day));
  spec.followup_from = DateOfDay(cal.ffmq[2]);
  const std::size_t ffmq = clinic.FormIndex(p.mindfulness_instrument);
  ATTUNE_TRY(inst, catalogue.Get(p.mindfulness_instrument));
  std::vector<trial::Participant> participants;
  for (const auto& t : clinic.therapists) participants.push_back({stored.therapists[t.id - 1], std::nullopt});
  for (const auto& r : clinic.responses) {
    if (r.form != ffmq || r.client_id != 0 || r.occasion != 0) continue;
    const auto scores = ScaleScores(*inst, clinic, r);
    if (const auto it = scores.find(spec.strata_facet); it != scores.end()) {
      participants[r.therapist_id - 1].stratum_score = it->second;
    }
  }
  const std::string out_dir = !args.csv_dir.empty() ? args.csv_dir
                                                    : std::filesystem::path(args.db).parent_path().string();
  ATTUNE_TRY(recorded, RecordAllocation(db, stored.org, spec, participants, out_dir.empty() ? "." : out_dir,
                                        "attune sim clinic"));
  const trial::Allocation& allocation = recorded.first;
  std::map<Id, int> step_of;
  for (const auto& a : allocation.assignments) {
    step_of[a.therapist_id] = design == trial::Design::PARALLEL ? (a.arm == spec.arms.front() ? 1 : 0) : a.step;
  }
  for (const auto& t : clinic.therapists) plan.steps.push_back(step_of[stored.therapists[t.id - 1]]);
  ATTUNE_CHECK(sim::SimulateTrial(catalogue, plan, simulated));
  ATTUNE_CHECK(StoreNew(db, catalogue, simulated,
                        MakeCalendar(clinic, first_day, p.sessions, plan.periods, plan.training_weeks), stored,
                        counts));
  return allocation.hash;
}
#endif

Result<DbCounts> WriteToDb(const Context& ctx, const instruments::Catalogue& catalogue, sim::Simulation& simulated,
                           const SimClinicArgs& args, std::string& trial_hash) {
  ATTUNE_TRY(use, instruments::ParseUse(ctx.declared_use));
  ATTUNE_TRY(db, store::Store::Open(store::Target::Sqlite(args.db)));
  DbCounts counts;
  Stored stored;
  ATTUNE_TRY(org, db.CreateOrganisation(
                      args.org_name.empty() ? fmt::format("Simulated clinic (seed {})", args.seed) : args.org_name,
                      store::Actor{"attune sim"}));
  stored.org = counts.org = org;
  // The whole calendar, trial included, is fixed before the history is stored.
  const int periods = args.trial_name.empty() ? 0 : args.trial_design == "parallel" ? 1 : args.trial_steps;
  const FirstDay first = ChooseFirstDay(simulated.truth.params.sessions, periods, sim::TrialPlan{}.training_weeks);
  counts.first_day = DateOfDay(first.day);
  counts.weeks_back = first.weeks_back;
  const Calendar cal = MakeCalendar(simulated.clinic, first.day, simulated.truth.params.sessions, 0, 0);
  ATTUNE_CHECK(StoreNew(db, catalogue, simulated, cal, stored, counts));
  ATTUNE_CHECK(SubmitLive(db, catalogue, use, simulated, cal, stored, counts));
  if (!args.trial_name.empty()) {
#ifdef ATTUNE_HAS_TRIAL
    ATTUNE_TRY(hash, RunTrial(db, catalogue, simulated, args, first.day, stored, counts));
    trial_hash = hash;
#else
    return Fail(ErrorCode::FAILED_PRECONDITION, "--trial: this attune was built without module trial", "trial");
#endif
  }
  return counts;
}

Result<void> WriteFile(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write) {
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    return Fail(ErrorCode::IO, fmt::format("--csv-dir: cannot write \"{}\"", path.string()), "csv-dir");
  }
  write(out);
  out.flush();
  if (!out) return Fail(ErrorCode::IO, fmt::format("writing \"{}\" failed", path.string()), "csv-dir");
  return Ok();
}

// Every option checked before anything is written (docs/cli.md): the trial's design, name, steps,
// clients and effect as the allocation and the trial simulation will check them, on stand-ins.
Result<void> CheckTrialOptions(const SimClinicArgs& args) {
#ifdef ATTUNE_HAS_TRIAL
  ATTUNE_TRY(design, trial::ParseDesign(args.trial_design));
  trial::TrialSpec spec;
  spec.name = args.trial_name;
  spec.design = design;
  spec.strata_facet = "nonjudge";
  spec.steps = args.trial_steps;
  std::vector<trial::Participant> participants;
  for (int t = 1; t <= args.params.therapists; ++t) participants.push_back({t, 0.0});
  if (auto allocated = trial::Allocate(spec, participants); !allocated) {
    Error e = std::move(allocated).error();
    e.message = "--trial: " + e.message;
    return e;
  }
  sim::TrialPlan plan;
  plan.steps.assign(static_cast<std::size_t>(args.params.therapists), 0);
  plan.periods = design == trial::Design::PARALLEL ? 1 : args.trial_steps;
  plan.clients_per_period = args.trial_clients > 0 ? args.trial_clients : args.params.clients;
  plan.effect = args.training_effect;
  return sim::Validate(plan, plan.steps.size());
#else
  (void)args;
  return Fail(ErrorCode::FAILED_PRECONDITION, "--trial: this attune was built without module trial", "trial");
#endif
}

// A directory files can be written into (created if absent): checked before the database is.
Result<void> CheckWritableDir(const std::string& dir, const std::string& option) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto probe = std::filesystem::path(dir) / ".attune-write-check";
  std::ofstream out(probe, std::ios::binary);
  out << "x";
  out.flush();
  const bool ok = static_cast<bool>(out);
  out.close();
  std::filesystem::remove(probe, ec);
  if (!ok) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("{}: cannot write into \"{}\"", option, dir), option.substr(2));
  }
  return Ok();
}

// The simulation scores and stores answers to each of its instruments: a licence that refuses the
// declared use outright (permitted_uses.<use> false) refuses the run (docs/instruments.md).
Result<void> CheckLicences(const instruments::Catalogue& catalogue, const sim::Clinic& clinic, instruments::Use use) {
  for (const auto& form : clinic.forms) {
    ATTUNE_TRY(inst, catalogue.Get(form.instrument));
    if (inst->licence.For(use) == std::optional<bool>(false)) {
      return Fail(ErrorCode::NOT_PERMITTED,
                  fmt::format("sim: the clinic uses {}, whose licence does not permit {} use "
                              "(licence.permitted_uses.{} is false; holder {}); nothing was written",
                              inst->id, instruments::UseName(use), instruments::UseName(use), inst->licence.holder),
                  "use");
    }
  }
  return Ok();
}

Result<void> CheckSimOptions(const CLI::App& command, const SimClinicArgs& args) {
  if (args.csv_dir.empty() && args.db.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "sim clinic: give --csv-dir DIR, --db FILE or both", "csv-dir");
  }
  if (command.count("--org-name") > 0 && args.org_name.find_first_not_of(" \t") == std::string::npos) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("--org-name is \"{}\"; expected a name that is not blank", args.org_name), "org-name");
  }
  ATTUNE_CHECK(sim::Validate(args.params));
  if (command.count("--trial") > 0 && args.trial_name.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "--trial is \"\"; expected a trial name ([A-Za-z0-9_-])", "trial");
  }
  if (args.trial_name.empty()) {
    for (const char* option : {"--design", "--steps", "--trial-clients", "--training-effect"}) {
      if (command.count(option) > 0) {
        return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("{} goes with --trial NAME", option), option + 2);
      }
    }
    return Ok();
  }
  if (args.db.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "--trial: a trial is allocated and recorded in a database; give --db FILE",
                "trial");
  }
  ATTUNE_CHECK(CheckTrialOptions(args));
  if (args.csv_dir.empty()) {
    const std::string dir = std::filesystem::path(args.db).parent_path().string();
    return CheckWritableDir(dir.empty() ? "." : dir, "--db");
  }
  return Ok();
}

int RunSimClinic(const Context& ctx, const CLI::App& command, const SimClinicArgs& args) {
  if (auto ok = CheckSimOptions(command, args); !ok) return ReportError(ok.error());
  auto catalogue = LoadCatalogue(ctx);
  if (!catalogue) return ReportError(catalogue.error());
  auto use = instruments::ParseUse(ctx.declared_use);
  if (!use) return ReportError(use.error());
  const auto start = std::chrono::steady_clock::now();
  auto simulated = sim::SimulateClinic(*catalogue, args.params, args.seed);
  if (!simulated) return ReportError(simulated.error());
  const auto simulated_at = std::chrono::steady_clock::now();
  if (auto ok = CheckLicences(*catalogue, simulated->clinic, *use); !ok) return ReportError(ok.error());
  if (!args.csv_dir.empty()) {
    if (auto ok = CheckWritableDir(args.csv_dir, "--csv-dir"); !ok) return ReportError(ok.error());
  }

  // The database first: a trial adds its periods to the simulation there (the CSV then has them too).
  std::optional<DbCounts> db_counts;
  std::string trial_hash;
  if (!args.db.empty()) {
    auto counts = WriteToDb(ctx, *catalogue, *simulated, args, trial_hash);
    if (!counts) return ReportError(counts.error());
    db_counts = *counts;
  }
  const auto stored_at = std::chrono::steady_clock::now();
  const sim::Clinic& clinic = simulated->clinic;
  if (!args.csv_dir.empty()) {
    const std::filesystem::path dir(args.csv_dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return ReportError(Error{ErrorCode::IO,
                               fmt::format("--csv-dir: cannot create \"{}\": {}", args.csv_dir, ec.message()),
                               "csv-dir"});
    }
    for (sim::Table table : {sim::Table::THERAPISTS, sim::Table::CLIENTS, sim::Table::EPISODES,
                             sim::Table::SESSIONS, sim::Table::RESPONSES}) {
      auto written = WriteFile(dir / sim::TableFileName(table),
                               [&](std::ostream& out) { sim::WriteCsv(clinic, table, out); });
      if (!written) return ReportError(written.error());
    }
    auto truth =
        WriteFile(dir / "truth.json", [&](std::ostream& out) { sim::WriteTruthJson(simulated->truth, out); });
    if (!truth) return ReportError(truth.error());
  }
  const auto written_at = std::chrono::steady_clock::now();

  std::size_t waitlisted = 0;
  for (const auto& c : clinic.clients) waitlisted += c.waitlisted ? 1 : 0;
  auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  fmt::print("simulated {} therapists, {} clients ({} waitlisted), {} episodes, {} sessions, {} responses "
             "({} item answers) with seed {} in {:.2f} s\n",
             clinic.therapists.size(), clinic.clients.size(), waitlisted, clinic.episodes.size(),
             clinic.sessions.size(), clinic.responses.size(), clinic.values.size(), args.seed,
             seconds(start, simulated_at));
  if (db_counts) {
    fmt::print("stored organisation {} in {}: {} therapists, {} clients, {} episodes, {} attended sessions, "
               "{} responses in {:.2f} s\n",
               db_counts->org, args.db, db_counts->therapists, db_counts->clients, db_counts->episodes,
               db_counts->sessions, db_counts->responses, seconds(simulated_at, stored_at));
    if (db_counts->weeks_back > 0) {
      fmt::print("dated from {}: the fixed start {} moved back {} weeks so that no date is after today\n",
                 db_counts->first_day, kFixedFirstDay, db_counts->weeks_back);
    }
    if (db_counts->open_episodes > 0) {
      fmt::print("{} episodes still open: {} of their responses submitted through the monitor, {} alerts raised\n",
                 db_counts->open_episodes, db_counts->live_responses, db_counts->alerts);
    }
    if (!args.trial_name.empty()) {
      fmt::print("trial {} ({}): allocation recorded (hash {}), {} training log entries; analyse with "
                 "`attune trial analyse --db {} --name {}`\n",
                 args.trial_name, args.trial_design, trial_hash, db_counts->training, args.db, args.trial_name);
    }
  }
  if (!args.csv_dir.empty()) {
    fmt::print("wrote CSV tables and truth.json to {} in {:.2f} s\n", args.csv_dir, seconds(stored_at, written_at));
  }
  return 0;
}

}  // namespace

void AddSimCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("sim", "Simulated clinics with planted, documented effects (docs/simulation.md)");
  group->require_subcommand(1);
  auto args = std::make_shared<SimClinicArgs>();
  auto* clinic = group->add_subcommand("clinic", "Simulate a clinic; write CSV tables and truth.json");
  clinic->add_option("--therapists", args->params.therapists, "Number of therapists");
  clinic->add_option("--clients", args->params.clients, "Number of clients");
  clinic->add_option("--sessions", args->params.sessions, "Scheduled sessions per episode");
  clinic->add_option("--seed", args->seed, "Random seed (same seed, same output)");
  clinic->add_option("--csv-dir", args->csv_dir,
                     "Folder for therapists/clients/episodes/sessions/responses.csv and truth.json");
  clinic->add_option("--db", args->db,
                     "SQLite file to store the clinic in, as a new organisation (created and migrated if needed)");
  StoredText(clinic->add_option("--org-name", args->org_name, "Name of that organisation (default: Simulated clinic (seed K))"));
  clinic->add_option("--waitlist", args->params.waitlist,
                     "Further clients with their intake answered and no episode yet (default 0)");
  clinic->add_option("--open-share", args->params.open_share,
                     "Share of episodes still in progress (default 0: all ended); --db submits their answers "
                     "through the monitor, which raises their alerts");
  clinic->add_option("--trial", args->trial_name,
                     "Run a mindfulness-training trial after the history (needs --db; docs/simulation.md)");
  OneOf(clinic->add_option("--design", args->trial_design, "Trial design: parallel | stepped-wedge"),
        {"parallel", "stepped-wedge"});
  clinic->add_option("--steps", args->trial_steps, "Stepped wedge: crossover steps (default 3)");
  clinic->add_option("--trial-clients", args->trial_clients, "New clients per trial period (default: --clients)");
  clinic->add_option("--training-effect", args->training_effect,
                     "Planted training effect on client-rated alliance (SD of the latent alliance; default 0.3)");
  clinic->callback([&ctx, args, clinic] { ctx.exit_code = RunSimClinic(ctx, *clinic, *args); });
}

}  // namespace attune::cli
