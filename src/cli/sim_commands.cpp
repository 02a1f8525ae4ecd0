// attune sim clinic: a synthetic clinic with planted truth, written as CSV + truth.json (docs/sim.md).
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "attune/sim/sim.hpp"
#include "cli/commands.hpp"

namespace attune::cli {
namespace {

struct SimClinicArgs {
  sim::SimParams params;
  std::uint64_t seed = 1;
  std::string csv_dir;
};

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

  const std::filesystem::path dir(args.csv_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return ReportError(Error{ErrorCode::IO, fmt::format("--csv-dir: cannot create \"{}\": {}", args.csv_dir,
                                                        ec.message()), "csv-dir"});
  }
  const sim::Clinic& clinic = simulated->clinic;
  for (sim::Table table : {sim::Table::THERAPISTS, sim::Table::CLIENTS, sim::Table::EPISODES,
                           sim::Table::SESSIONS, sim::Table::RESPONSES}) {
    auto written = WriteFile(dir / sim::TableFileName(table),
                             [&](std::ostream& out) { sim::WriteCsv(clinic, table, out); });
    if (!written) return ReportError(written.error());
  }
  auto truth = WriteFile(dir / "truth.json", [&](std::ostream& out) { sim::WriteTruthJson(simulated->truth, out); });
  if (!truth) return ReportError(truth.error());
  const auto written_at = std::chrono::steady_clock::now();

  std::size_t waitlisted = 0;
  for (const auto& c : clinic.clients) waitlisted += c.waitlisted ? 1 : 0;
  auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  fmt::print("simulated {} therapists, {} clients ({} waitlisted), {} episodes, {} sessions, {} responses "
             "({} item answers) with seed {} in {:.2f} s; wrote {} in {:.2f} s\n",
             clinic.therapists.size(), clinic.clients.size(), waitlisted, clinic.episodes.size(),
             clinic.sessions.size(), clinic.responses.size(), clinic.values.size(), args.seed,
             seconds(start, simulated_at), args.csv_dir, seconds(simulated_at, written_at));
  return 0;
}

}  // namespace

void AddSimCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("sim", "Simulated clinics with planted, documented effects (docs/sim.md)");
  group->require_subcommand(1);
  auto args = std::make_shared<SimClinicArgs>();
  auto* clinic = group->add_subcommand("clinic", "Simulate a clinic; write CSV tables and truth.json");
  clinic->add_option("--therapists", args->params.therapists, "Number of therapists");
  clinic->add_option("--clients", args->params.clients, "Number of clients");
  clinic->add_option("--sessions", args->params.sessions, "Scheduled sessions per episode");
  clinic->add_option("--seed", args->seed, "Random seed (same seed, same output)");
  clinic->add_option("--csv-dir", args->csv_dir,
                     "Folder for therapists/clients/episodes/sessions/responses.csv and truth.json")
      ->required();
  clinic->callback([&ctx, args] { ctx.exit_code = RunSimClinic(ctx, *args); });
}

}  // namespace attune::cli
