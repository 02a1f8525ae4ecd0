#pragma once
// Private to the cli module: each command area registers its subcommands on the app.
// A subcommand's callback stores its exit code in Context::exit_code.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "attune/cli/cli.hpp"
#include "attune/core/result.hpp"
#include "attune/instruments/instrument.hpp"

namespace attune::cli {

//! Options shared by all subcommands, and the exit code the chosen one sets.
struct Context {
  int exit_code = 0;
  std::string instruments_dir;         //!< where instrument JSON files live
  std::vector<std::string> overlays;   //!< operator overlay files (licensed text, licences)
  std::string declared_use = "clinical";  //!< deployment's declared use: clinical|research|commercial
};

//! Loads the instrument catalogue from ctx.instruments_dir and applies ctx.overlays.
Result<instruments::Catalogue> LoadCatalogue(const Context& ctx);

//! An error about the input file `file` as a whole, named the way refused rows are
//! ("FILE: line 1, column 2: ..."): the file's name in front, replacing a leading "csv: " (the
//! module's name for the text it was given).
Error InFile(Error error, const std::string& file);

//! Prints an Error on stderr as "attune: <message>" and returns the matching exit code.
int ReportError(const Error& error);

// One per command area (src/cli/<area>_commands.cpp).
void AddInstrumentCommands(CLI::App& app, Context& ctx);
void AddAnalyzeCommands(CLI::App& app, Context& ctx);  // analyze_commands.cpp
void AddDbCommands(CLI::App& app, Context& ctx);     // db_commands.cpp
void AddAuditCommands(CLI::App& app, Context& ctx);  // db_commands.cpp
void AddOrgCommands(CLI::App& app, Context& ctx);    // db_commands.cpp
void AddImportExportCommands(CLI::App& app, Context& ctx);
void AddSimCommands(CLI::App& app, Context& ctx);
void AddMonitorCommands(CLI::App& app, Context& ctx);  // monitor_commands.cpp
void AddMatchCommands(CLI::App& app, Context& ctx);  // match_commands.cpp
void AddEpisodeCommands(CLI::App& app, Context& ctx);  // episode_commands.cpp
void AddServeCommands(CLI::App& app, Context& ctx);  // serve_commands.cpp (serve, user)
void AddTrialCommands(CLI::App& app, Context& ctx);  // trial_commands.cpp (module trial)

}  // namespace attune::cli
