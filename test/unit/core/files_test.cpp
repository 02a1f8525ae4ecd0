#include "attune/core/files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace attune {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attune_files_test_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static void Write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
  static std::string Read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  fs::path dir_;
};

TEST_F(FilesTest, ReplacesTheFileWithTheWrittenOne) {
  Write(dir_ / "report.json", "old");
  Write(dir_ / "report.json.partial", "new");
  auto done = ReplaceDurably((dir_ / "report.json.partial").string(), (dir_ / "report.json").string());
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(Read(dir_ / "report.json"), "new");
  EXPECT_FALSE(fs::exists(dir_ / "report.json.partial"));
}

TEST_F(FilesTest, PlacesAFileWhereThereWasNone) {
  Write(dir_ / "a.partial", "text");
  ASSERT_TRUE(ReplaceDurably((dir_ / "a.partial").string(), (dir_ / "a").string()));
  EXPECT_EQ(Read(dir_ / "a"), "text");
}

TEST_F(FilesTest, AMissingWrittenFileIsAnIoErrorNamingItAndLeavesTheOldFile) {
  Write(dir_ / "keep", "old");
  auto done = ReplaceDurably((dir_ / "missing.partial").string(), (dir_ / "keep").string());
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::IO);
  EXPECT_EQ(done.error().field, "file");
  EXPECT_NE(done.error().message.find("missing.partial"), std::string::npos) << done.error().message;
  EXPECT_EQ(Read(dir_ / "keep"), "old");
}

TEST_F(FilesTest, ATargetInADirectoryThatDoesNotExistIsRefusedAndTheWrittenFileStays) {
  Write(dir_ / "b.partial", "text");
  auto done = ReplaceDurably((dir_ / "b.partial").string(), (dir_ / "no_such_dir" / "b").string());
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::IO);
  EXPECT_NE(done.error().message.find("no_such_dir"), std::string::npos) << done.error().message;
  EXPECT_EQ(Read(dir_ / "b.partial"), "text");
}

}  // namespace
}  // namespace attune
