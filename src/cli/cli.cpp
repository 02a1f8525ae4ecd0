#include "attune/cli/cli.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "attune/core/files.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

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

Error InFile(Error error, const std::string& file) {
  constexpr std::string_view kModuleName = "csv: ";
  if (error.message.rfind(kModuleName, 0) == 0) error.message.erase(0, kModuleName.size());
  error.message = fmt::format("{}: {}", file, error.message);
  return error;
}

Result<instruments::Catalogue> LoadCatalogue(const Context& ctx) {
  // A folder or overlay that cannot be read is unusable input (exit 2), not a failed operation.
  const auto as_input = [](Error e) {
    if (e.code == ErrorCode::IO) e.code = ErrorCode::INVALID_ARGUMENT;
    return e;
  };
  auto catalogue = instruments::Catalogue::LoadDirectory(ctx.instruments_dir);
  if (!catalogue) return as_input(std::move(catalogue).error());
  for (const auto& overlay : ctx.overlays) {
    // Read as JSON, a directory failed as a parse error and a missing file as "cannot open file".
    ATTUNE_CHECK(CheckInputFile(overlay, "--overlay", "an overlay file (JSON; docs/instruments.md)"));
    if (auto applied = catalogue->ApplyOverlay(overlay); !applied) return as_input(std::move(applied).error());
  }
  return catalogue;
}

namespace {

std::string DefaultInstrumentsDir() {
  if (const char* env = std::getenv("ATTUNE_INSTRUMENTS_DIR")) return env;
  return ATTUNE_DEFAULT_INSTRUMENTS_DIR;
}

// CLI11's own messages in the form of the rest: "Could not convert: --n = x" names no expectation.
std::string Reword(const CLI::ParseError& e) {
  const std::string what = e.what();
  const std::string prefix = "Could not convert: ";
  if (what.rfind(prefix, 0) == 0) {
    const std::string rest = what.substr(prefix.size());
    const auto eq = rest.find(" = ");
    // Digits only, and yet not converted: more than the option's type holds. Options hold 64-bit
    // integers (larger values are refused by CheckNumericOptions) or int, so the bound is int's.
    if (eq != std::string::npos && rest.find_first_not_of("0123456789", eq + 3) == std::string::npos &&
        rest.size() > eq + 3) {
      return fmt::format("{} is \"{}\"; too large: expected a whole number of at most {}", rest.substr(0, eq),
                         rest.substr(eq + 3), std::numeric_limits<int>::max());
    }
    if (eq != std::string::npos) {
      return fmt::format("{} is \"{}\"; expected a value of its type within its range", rest.substr(0, eq),
                         rest.substr(eq + 3));
    }
  }
  return what + "; see attune --help";
}

// "attune foo" and "attune export foo": CLI11 says only that a subcommand is required. The
// deepest command given and the word it did not know, with the commands it has; "" when the
// fault is another.
std::string UnknownCommand(CLI::App& app) {
  CLI::App* at = &app;
  std::string path;
  while (!at->get_subcommands().empty()) {
    at = at->get_subcommands().front();
    path += at->get_name() + " ";
  }
  const auto commands = at->get_subcommands([](CLI::App* sub) { return !sub->get_name().empty(); });
  const auto rest = at->remaining(false);
  if (commands.empty() || rest.empty() || rest.front().rfind('-', 0) == 0) return "";
  std::string names;
  for (const CLI::App* sub : commands) names += (names.empty() ? "" : ", ") + sub->get_name();
  return fmt::format("unknown {}command \"{}\"; expected one of {}", path, rest.front(), names);
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
  OneOf(app.add_option("--use", ctx.declared_use, "The deployment's declared use (env ATTUNE_USE)"),
        {"clinical", "research", "commercial"});

  AddInstrumentCommands(app, ctx);
  AddAnalyzeCommands(app, ctx);
  AddDbCommands(app, ctx);
  AddAuditCommands(app, ctx);
  AddOrgCommands(app, ctx);
  AddImportExportCommands(app, ctx);
  AddSimCommands(app, ctx);
  AddMonitorCommands(app, ctx);
  AddMatchCommands(app, ctx);
  AddEpisodeCommands(app, ctx);
  AddServeCommands(app, ctx);
#ifdef ATTUNE_HAS_TRIAL
  AddTrialCommands(app, ctx);
#endif

  CheckNumericOptions(app);

  try {
    app.parse(argc, argv);
  } catch (const TooLargeError& e) {
    fmt::print(stderr, "attune: {} is \"{}\"; too large: expected a whole number of at most {}\n",
               e.option()->get_name(), e.value(), LargestWhole(e.option()));
    return static_cast<int>(Exit::USAGE);
  } catch (const OptionValueError& e) {
    fmt::print(stderr, "attune: {}\n", e.what());
    return static_cast<int>(Exit::USAGE);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    const std::string unknown = UnknownCommand(app);
    fmt::print(stderr, "attune: {}\n", unknown.empty() ? Reword(e) : unknown + "; see attune --help");
    return static_cast<int>(Exit::USAGE);
  }
  return ctx.exit_code;
}

}  // namespace attune::cli
