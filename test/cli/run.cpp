#include "cli/run.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace attune::testing {

RunResult RunAttune(const std::vector<std::string>& args, const std::string& input) {
  std::string dir = TempDir("run");
  std::string in_path = dir + "/stdin";
  std::string out_path = dir + "/stdout";
  std::string err_path = dir + "/stderr";
  WriteFile(in_path, input);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (!std::freopen(in_path.c_str(), "r", stdin) || !std::freopen(out_path.c_str(), "w", stdout) ||
        !std::freopen(err_path.c_str(), "w", stderr)) {
      _exit(127);
    }
    std::vector<std::string> argv_storage;
    argv_storage.push_back(std::string(ATTUNE_BINARY_DIR) + "/attune");
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  std::filesystem::remove_all(dir);
  return result;
}

std::string TempDir(const std::string& name) {
  static int counter = 0;
  std::string dir = std::string(ATTUNE_BINARY_DIR) + "/test-tmp/" + name + "-" + std::to_string(getpid()) + "-" +
                    std::to_string(counter++);
  // Process ids are reused (pid_max is 32768 here) and earlier runs' folders stay: a folder of a
  // finished process with this id held its clinic.sqlite, and a test's sim then added a second
  // organisation to it ("the database has 2 organisations").
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string SmallStoredClinic(const std::string& name, std::string& error) {
  const std::string db = TempDir(name) + "/clinic.db";
  auto sim = RunAttune({"sim", "clinic", "--therapists", "6", "--clients", "60", "--sessions", "4", "--seed", "9",
                        "--waitlist", "7", "--db", db});
  error = sim.err;
  return sim.exit_code == 0 ? db : std::string();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace attune::testing
