#pragma once
//! The `attune` command line: parses arguments and calls the library (docs/cli.md).

namespace attune::cli {

//! Exit codes shared by every subcommand.
enum class Exit : int {
  OK = 0,          //!< everything succeeded
  FAILURE = 1,     //!< the operation failed (message on stderr)
  USAGE = 2,       //!< unusable input: bad arguments, unreadable or malformed files
  PARTIAL = 3,     //!< some rows were refused, the rest processed
};

//! Runs the command line; returns the process exit code.
int Run(int argc, char** argv);

}  // namespace attune::cli
