// attune sim clinic: a synthetic clinic with planted truth, written as CSV + truth.json (docs/simulation.md).
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "attune/instruments/scoring.hpp"
#include "attune/service/service.hpp"
#include "attune/sim/sim.hpp"
#include "attune/store/store.hpp"
#include "cli/commands.hpp"

namespace attune::cli {
namespace {

struct SimClinicArgs {
  sim::SimParams params;
  std::uint64_t seed = 1;
  std::string csv_dir;
  std::string db;
  std::string org_name;
};

// --- Writing a simulated clinic into a database (through store and service) ---
// The simulation has no calendar; here it is dated: episodes start over 26 weeks from
// kFirstDay, one session a week; baseline forms on kFirstDay.

constexpr int kFirstYear = 2026, kFirstMonth = 1, kFirstDayOfMonth = 5;

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm), and back.
long DaysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string CivilFromDays(long z) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  const long d = doy - (153 * mp + 2) / 5 + 1;
  const long m = mp < 10 ? mp + 3 : mp - 9;
  const long y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

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
  std::int64_t therapists = 0, clients = 0, episodes = 0, sessions = 0, responses = 0;
  OrgId org = 0;
};

Result<DbCounts> WriteToDb(const instruments::Catalogue& catalogue, const sim::Simulation& simulated,
                           const SimClinicArgs& args) {
  const sim::Clinic& clinic = simulated.clinic;
  auto opened = store::Store::Open(store::Target::Sqlite(args.db));
  if (!opened) return opened.error();
  store::Store& db = *opened;
  const store::Actor actor{"attune sim"};
  DbCounts counts;
  auto org = db.CreateOrganisation(
      args.org_name.empty() ? fmt::format("Simulated clinic (seed {})", args.seed) : args.org_name, actor);
  if (!org) return org.error();
  counts.org = *org;

  std::vector<const instruments::Instrument*> form_instrument;
  for (const auto& form : clinic.forms) {
    auto inst = catalogue.Get(form.instrument);
    if (!inst) return inst.error();
    form_instrument.push_back(*inst);
  }
  const std::size_t style_form = clinic.FormIndex(simulated.truth.params.style_instrument);
  std::vector<std::map<std::string, double>> therapist_style(clinic.therapists.size());
  std::vector<std::map<std::string, double>> client_preferences(clinic.clients.size());
  for (const auto& r : clinic.responses) {
    if (r.form != style_form || r.session != 0) continue;
    auto scores = ScaleScores(*form_instrument[r.form], clinic, r);
    if (r.client_id) {
      client_preferences[r.client_id - 1] = std::move(scores);
    } else {
      therapist_style[r.therapist_id - 1] = std::move(scores);
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
  auto therapist_ids = db.AddTherapists(*org, therapists, actor);
  if (!therapist_ids) return therapist_ids.error();
  counts.therapists = static_cast<std::int64_t>(therapist_ids->size());

  std::vector<Client> clients;
  for (const auto& c : clinic.clients) {
    Client row;
    row.external_id = fmt::format("sim-c{}", c.id);
    row.pseudonym = fmt::format("Client {}", c.id);
    row.concerns = c.concerns;
    row.preferences = client_preferences[c.id - 1];
    row.constraints.push_back("language:" + c.language);
    if (c.modality != sim::Modality::BOTH) row.constraints.push_back(fmt::format("modality:{}", sim::ModalityName(c.modality, true)));
    clients.push_back(std::move(row));
  }
  auto client_ids = db.AddClients(*org, clients, actor);
  if (!client_ids) return client_ids.error();
  counts.clients = static_cast<std::int64_t>(client_ids->size());

  const long first_day = DaysFromCivil(kFirstYear, kFirstMonth, kFirstDayOfMonth);
  const std::size_t n_episodes = clinic.episodes.size();
  std::vector<long> episode_start(n_episodes);
  std::vector<Episode> episode_rows;
  episode_rows.reserve(n_episodes);
  for (std::size_t e = 0; e < n_episodes; ++e) {
    const auto& ep = clinic.episodes[e];
    episode_start[e] = first_day + static_cast<long>(e * 182 / std::max<std::size_t>(1, n_episodes));
    Episode row;
    row.client_id = (*client_ids)[ep.client_id - 1];
    row.therapist_id = (*therapist_ids)[ep.therapist_id - 1];
    row.started_on = CivilFromDays(episode_start[e]);
    row.ended_on = CivilFromDays(episode_start[e] + 7L * (ep.last_session - 1));
    row.status = "ended";
    row.assigned_by = "random";
    episode_rows.push_back(std::move(row));
  }
  // One transaction per table (Store::AddEpisodes / AddSessions): one fsync, not one per row.
  auto added_episodes = db.AddEpisodes(*org, episode_rows, actor);
  if (!added_episodes) return added_episodes.error();
  const std::vector<Id>& episode_ids = *added_episodes;
  counts.episodes = static_cast<std::int64_t>(n_episodes);

  std::vector<Session> session_rows;
  std::vector<std::pair<std::uint32_t, int>> session_keys;
  for (const auto& s : clinic.sessions) {
    if (!s.attended) continue;
    Session row;
    row.episode_id = episode_ids[s.episode_id - 1];
    row.number = s.number;
    row.held_at = CivilFromDays(episode_start[s.episode_id - 1] + 7L * (s.number - 1)) + "T10:00:00Z";
    session_rows.push_back(std::move(row));
    session_keys.emplace_back(s.episode_id, s.number);
  }
  auto added_sessions = db.AddSessions(*org, session_rows, actor);
  if (!added_sessions) return added_sessions.error();
  std::map<std::pair<std::uint32_t, int>, Id> session_ids;
  for (std::size_t k = 0; k < session_keys.size(); ++k) session_ids[session_keys[k]] = (*added_sessions)[k];
  counts.sessions = static_cast<std::int64_t>(session_ids.size());

  std::size_t next = 0;
  Error failure;
  bool failed = false;
  store::ResponseSource source = [&](store::ScoredResponse& out) -> Result<bool> {
    if (next >= clinic.responses.size()) return false;
    const sim::Response& r = clinic.responses[next++];
    const instruments::Instrument& inst = *form_instrument[r.form];
    Response row;
    // The therapist answers the client form on C-NIP about their own style: who answered
    // follows the simulated response, not the instrument's usual respondent.
    const bool by_therapist = r.client_id == 0 || inst.respondent == instruments::Respondent::THERAPIST;
    row.respondent_id = by_therapist ? (*therapist_ids)[r.therapist_id - 1] : (*client_ids)[r.client_id - 1];
    row.subject_id = r.client_id ? (*client_ids)[r.client_id - 1] : (*therapist_ids)[r.therapist_id - 1];
    if (r.episode_id) {
      row.episode_id = episode_ids[r.episode_id - 1];
      auto it = session_ids.find({r.episode_id, r.session});
      if (it != session_ids.end()) row.session_id = it->second;
      row.answered_at = CivilFromDays(episode_start[r.episode_id - 1] + 7L * (r.session - 1)) + "T10:50:00Z";
    } else {
      row.answered_at = CivilFromDays(first_day) + "T09:00:00Z";
    }
    row.answers.resize(r.count);
    for (std::size_t i = 0; i < r.count; ++i) {
      if (clinic.Present(r)[i]) row.answers[i] = clinic.Values(r)[i];
    }
    row.idempotency_key = fmt::format("sim:{}:{}", counts.org, r.id);
    auto scored = service::ScoreForStorage(inst, std::move(row));
    if (!scored) {
      failure = scored.error();
      failed = true;
      return scored.error();
    }
    out = std::move(*scored);
    out.response.respondent = by_therapist ? RespondentKind::THERAPIST : RespondentKind::CLIENT;
    return true;
  };
  auto imported = db.ImportResponses(*org, source, "attune sim clinic", actor);
  if (!imported) return failed ? failure : imported.error();
  counts.responses = *imported;
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

int RunSimClinic(const Context& ctx, const SimClinicArgs& args) {
  auto catalogue = LoadCatalogue(ctx);
  if (!catalogue) return ReportError(catalogue.error());
  const auto start = std::chrono::steady_clock::now();
  auto simulated = sim::SimulateClinic(*catalogue, args.params, args.seed);
  if (!simulated) return ReportError(simulated.error());
  const auto simulated_at = std::chrono::steady_clock::now();

  if (args.csv_dir.empty() && args.db.empty()) {
    return ReportError(Error{ErrorCode::INVALID_ARGUMENT, "sim clinic: give --csv-dir DIR, --db FILE or both",
                             "csv-dir"});
  }
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
  std::optional<DbCounts> db_counts;
  if (!args.db.empty()) {
    auto counts = WriteToDb(*catalogue, *simulated, args);
    if (!counts) return ReportError(counts.error());
    db_counts = *counts;
  }
  const auto stored_at = std::chrono::steady_clock::now();

  std::size_t waitlisted = 0;
  for (const auto& c : clinic.clients) waitlisted += c.waitlisted ? 1 : 0;
  auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  fmt::print("simulated {} therapists, {} clients ({} waitlisted), {} episodes, {} sessions, {} responses "
             "({} item answers) with seed {} in {:.2f} s\n",
             clinic.therapists.size(), clinic.clients.size(), waitlisted, clinic.episodes.size(),
             clinic.sessions.size(), clinic.responses.size(), clinic.values.size(), args.seed,
             seconds(start, simulated_at));
  if (!args.csv_dir.empty()) {
    fmt::print("wrote CSV tables and truth.json to {} in {:.2f} s\n", args.csv_dir, seconds(simulated_at, written_at));
  }
  if (db_counts) {
    fmt::print("stored organisation {} in {}: {} therapists, {} clients, {} episodes, {} attended sessions, "
               "{} responses in {:.2f} s\n",
               db_counts->org, args.db, db_counts->therapists, db_counts->clients, db_counts->episodes,
               db_counts->sessions, db_counts->responses, seconds(written_at, stored_at));
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
  clinic->add_option("--org-name", args->org_name, "Name of that organisation (default: Simulated clinic (seed K))");
  clinic->callback([&ctx, args] { ctx.exit_code = RunSimClinic(ctx, *args); });
}

}  // namespace attune::cli
