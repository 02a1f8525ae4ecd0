#include "attune/cli/cli.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"

namespace attune::cli {

int ReportError(const Error& error) {
  fmt::print(stderr, "attune: {}\n", error.message);
  switch (error.code) {
    case ErrorCode::INVALID_ARGUMENT:
    case ErrorCode::NOT_FOUND:
      return static_cast<int>(Exit::USAGE);
    default:
      return static_cast<int>(Exit::FAILURE);
  }
}

Result<instruments::Catalogue> LoadCatalogue(const Context& ctx) {
  ATTUNE_TRY(catalogue, instruments::Catalogue::LoadDirectory(ctx.instruments_dir));
  for (const auto& overlay : ctx.overlays) ATTUNE_CHECK(catalogue.ApplyOverlay(overlay));
  return catalogue;
}

namespace {

std::string DefaultInstrumentsDir() {
  if (const char* env = std::getenv("ATTUNE_INSTRUMENTS_DIR")) return env;
  return ATTUNE_DEFAULT_INSTRUMENTS_DIR;
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"Attune: choose the therapist with whom an alliance is most likely, and keep it in view"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "attune 0.1.0");

  Context ctx;
  ctx.instruments_dir = DefaultInstrumentsDir();
  if (const char* use = std::getenv("ATTUNE_USE")) ctx.declared_use = use;
  app.option_defaults()->always_capture_default();
  app.add_option("--instruments-dir", ctx.instruments_dir,
                 "Folder of instrument definitions (env ATTUNE_INSTRUMENTS_DIR)");
  app.add_option("--overlay", ctx.overlays,
                 "Operator overlay file: licensed item text or a declared licence (repeatable)");
  app.add_option("--use", ctx.declared_use, "The deployment's declared use (env ATTUNE_USE)")
      ->check(CLI::IsMember({"clinical", "research", "commercial"}));

  AddInstrumentCommands(app, ctx);
  AddAnalyzeCommands(app, ctx);
  AddDbCommands(app, ctx);
  AddAuditCommands(app, ctx);
  AddOrgCommands(app, ctx);
  AddImportExportCommands(app, ctx);
  AddSimCommands(app, ctx);
  AddMonitorCommands(app, ctx);
  AddMatchCommands(app, ctx);
  AddServeCommands(app, ctx);
#ifdef ATTUNE_HAS_TRIAL
  AddTrialCommands(app, ctx);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(Exit::USAGE);
  }
  return ctx.exit_code;
}

}  // namespace attune::cli
