// attune import therapists|clients|responses and attune export responses|scores (docs/cli.md).
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "attune/service/service.hpp"
#include "attune/store/store.hpp"
#include "attune/core/files.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/db_target.hpp"

namespace attune::cli {
namespace {

// The shortest --salt: 16 characters (96 bits or more as random letters and digits).
constexpr std::size_t kMinSaltLength = 16;

enum class Kind { THERAPISTS, CLIENTS, RESPONSES, SCORES };

struct ImportArgs {
  DbTarget target;
  std::string file;
  std::string instrument;
  bool partial = false;
};

struct ExportArgs {
  DbTarget target;
  std::string format = "csv";
  std::string instrument;
  std::string output;
  std::string salt;
  bool deidentify = false;
};

int RunImport(const Context& ctx, Kind kind, const ImportArgs& args) {
  auto catalogue = LoadCatalogue(ctx);
  if (!catalogue) return ReportError(catalogue.error());
  auto use = instruments::ParseUse(ctx.declared_use);
  if (!use) return ReportError(use.error());
  // A folder opens as a stream that reads nothing, and would be reported as an empty file.
  if (auto ok = CheckInputFile(args.file, "file", "a CSV file"); !ok) return ReportError(ok.error());
  std::ifstream in(args.file, std::ios::binary);
  if (!in) {
    return ReportError(Error{ErrorCode::NOT_FOUND, fmt::format("cannot read {}", args.file), "file"});
  }
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = true, .create = false});
  if (!store) return ReportError(store.error());
  auto org = ResolveOrg(*store, args.target);
  if (!org) return ReportError(org.error());
  service::Service service(*store, *catalogue, *use);

  service::ImportOptions options;
  options.partial = args.partial;
  options.instrument_id = args.instrument;
  options.source = args.file;
  // A progress line on a terminal only; logs and pipes stay clean.
  const bool tty = isatty(STDERR_FILENO) != 0;
  if (tty) {
    options.progress = [](std::int64_t rows) {
      std::fprintf(stderr, "\rimporting: %lld rows read", static_cast<long long>(rows));
      std::fflush(stderr);
    };
  }
  store::Actor actor{"cli"};
  Result<service::ImportReport> report =
      kind == Kind::THERAPISTS ? service.ImportTherapists(*org, in, options, actor)
      : kind == Kind::CLIENTS  ? service.ImportClients(*org, in, options, actor)
                               : service.ImportResponses(*org, in, options, actor);
  if (tty) std::fprintf(stderr, "\n");
  if (!report) {
    // A fault of the file's header names the file, as a refused row does.
    return ReportError(report.error().field == "header" ? InFile(report.error(), args.file) : report.error());
  }
  for (const auto& row : report->refused) {
    if (row.column == 0) {
      fmt::print(stderr, "attune: {}: line {}: {}\n", args.file, row.line, row.reason);
    } else {
      fmt::print(stderr, "attune: {}: line {}, column {}: {}\n", args.file, row.line, row.column, row.reason);
    }
  }
  fmt::print("{}: {} rows read, {} imported, {} refused\n", args.file, report->rows, report->imported,
             report->refused.size());
  if (report->risk_alerts > 0) {
    fmt::print("{}: {} urgent risk alert{} raised for answers above a risk item's threshold (attune monitor "
               "alerts --open lists them)\n",
               args.file, report->risk_alerts, report->risk_alerts == 1 ? "" : "s");
  }
  if (report->refused.empty()) return 0;
  if (!args.partial) {
    fmt::print(stderr, "attune: nothing was imported; fix the rows above or pass --partial\n");
    return static_cast<int>(Exit::FAILURE);
  }
  return static_cast<int>(Exit::PARTIAL);
}

int RunExport(const Context& ctx, Kind kind, const ExportArgs& args) {
  auto catalogue = LoadCatalogue(ctx);
  if (!catalogue) return ReportError(catalogue.error());
  auto use = instruments::ParseUse(ctx.declared_use);
  if (!use) return ReportError(use.error());
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = false, .create = false});
  if (!store) return ReportError(store.error());
  auto org = ResolveOrg(*store, args.target);
  if (!org) return ReportError(org.error());
  service::Service service(*store, *catalogue, *use);
  service::ExportOptions options;
  options.format = args.format == "json" ? service::Format::JSON : service::Format::CSV;
  options.deidentify = args.deidentify;
  options.salt = args.salt;
  options.instrument_id = args.instrument;
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!args.output.empty()) {
    file.open(args.output, std::ios::binary);
    if (!file) {
      return ReportError(Error{ErrorCode::IO, fmt::format("--output: cannot write {}", args.output), "output"});
    }
    out = &file;
  }
  auto written = kind == Kind::RESPONSES ? service.ExportResponses(*org, *out, options)
                                         : service.ExportScores(*org, *out, options);
  if (!written) return ReportError(written.error());
  out->flush();
  if (!args.output.empty()) fmt::print(stderr, "wrote {} rows to {}\n", *written, args.output);
  return 0;
}

}  // namespace

void AddImportExportCommands(CLI::App& app, Context& ctx) {
  auto* import = app.add_subcommand("import", "Import CSV files (all or nothing unless --partial)");
  import->require_subcommand(1);
  for (auto [name, kind, help] :
       {std::tuple{"therapists", Kind::THERAPISTS, "Therapists: external_id,display_name[,approaches,...]"},
        std::tuple{"clients", Kind::CLIENTS, "Clients: external_id,pseudonym[,concerns,goals,constraints]"},
        std::tuple{"responses", Kind::RESPONSES,
                   "Responses of one instrument: key,subject_id,answered_at,<item ids>[,...]; scored on import"}}) {
    auto args = std::make_shared<ImportArgs>();
    auto* command = import->add_subcommand(name, help);
    command->add_option("file", args->file, "CSV file")->required();
    AddDbOptions(command, args->target);
    AddOrgOption(command, args->target);
    command->add_flag("--partial", args->partial, "Import the good rows even when some are refused (exit 3)");
    if (kind == Kind::RESPONSES) {
      command->add_option("--instrument", args->instrument, "Instrument id of every row")->required();
    }
    command->callback([&ctx, kind = kind, args] { ctx.exit_code = RunImport(ctx, kind, *args); });
  }

  auto* exporter = app.add_subcommand("export", "Export responses (item level) or scores (scale level)");
  exporter->require_subcommand(1);
  for (auto [name, kind, help] :
       {std::tuple{"responses", Kind::RESPONSES, "Responses with one column per item (with --instrument)"},
        std::tuple{"scores", Kind::SCORES, "Scores: one row per response and scale"}}) {
    auto args = std::make_shared<ExportArgs>();
    auto* command = exporter->add_subcommand(name, help);
    AddDbOptions(command, args->target);
    AddOrgOption(command, args->target);
    OneOf(command->add_option("--format", args->format, "csv or json"), {"csv", "json"});
    command->add_option("--instrument", args->instrument, "Only this instrument (gives item columns)");
    command->add_option("--output,-o", args->output, "File to write (default: standard output)");
    auto* deidentify = command->add_flag("--deidentify", args->deidentify,
                                         "Research export: pseudonymous ids, no keys, dates instead of times");
    // A salt alone would export identified data to someone who asked for pseudonyms.
    // A blank or short key is one an outsider can guess, and with it reverse every pseudonym.
    MinLength(command->add_option("--salt", args->salt,
                                  "With --deidentify: pseudonym key, at least 16 characters (default: random, "
                                  "unlinkable)"),
              kMinSaltLength, "a secret key (a blank or short key makes the pseudonyms reversible)")
        ->needs(deidentify);
    command->callback([&ctx, kind = kind, args] { ctx.exit_code = RunExport(ctx, kind, *args); });
  }
}

}  // namespace attune::cli
