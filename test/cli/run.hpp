#pragma once
// Runs the attune binary as a user would, capturing exit code, stdout and stderr.
#include <string>
#include <vector>

namespace attune::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

//! Runs build/attune with `args` (no shell); `input` is written to its stdin.
RunResult RunAttune(const std::vector<std::string>& args, const std::string& input = "");

//! A fresh temporary directory for one test, removed by the caller if wanted.
std::string TempDir(const std::string& name);

//! A small stored clinic for the matching and episode commands: `attune sim clinic` with 6
//! therapists, 60 history clients (4 sessions each, seed 9) and 7 waiting, in a new SQLite file
//! under a TempDir(`name`). Returns the file, or "" (with the command's stderr in `error`).
std::string SmallStoredClinic(const std::string& name, std::string& error);

//! Writes `text` to `path`.
void WriteFile(const std::string& path, const std::string& text);

//! Reads a whole file.
std::string ReadFile(const std::string& path);

}  // namespace attune::testing
