// SQLite back end for the shared repository suite: one temp file per test.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "unit/store/harness.hpp"

namespace attune::store::testing {
namespace {

class SqliteHarness final : public Harness {
 public:
  SqliteHarness() {
    dir_ = std::filesystem::temp_directory_path() /
           ("attune-store-test-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);  // a finished process with the same id may have left it
    std::filesystem::create_directories(dir_);
  }
  ~SqliteHarness() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Target Fresh() override { return Target::Sqlite(TempPath("db.sqlite")); }
  std::string TempPath(const std::string& name) override {
    return (dir_ / (std::to_string(counter_++) + "-" + name)).string();
  }

 private:
  std::filesystem::path dir_;
  std::atomic<int> counter_{0};
};

}  // namespace

Harness& CurrentHarness() {
  static SqliteHarness harness;
  return harness;
}

}  // namespace attune::store::testing
