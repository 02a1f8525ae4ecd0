#include "attune/core/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

namespace attune {
namespace {

bool Sync(const std::string& path, int flags) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

}  // namespace

Result<void> ReplaceDurably(const std::string& written, const std::string& file) {
  if (!Sync(written, O_RDONLY)) {
    return Fail(ErrorCode::IO, "cannot flush " + written + " to disk: " + std::strerror(errno), "file");
  }
  if (std::rename(written.c_str(), file.c_str()) != 0) {
    return Fail(ErrorCode::IO, "cannot rename " + written + " to " + file + ": " + std::strerror(errno), "file");
  }
  std::filesystem::path dir = std::filesystem::path(file).parent_path();
  if (dir.empty()) dir = ".";
  if (!Sync(dir.string(), O_RDONLY | O_DIRECTORY)) {
    return Fail(ErrorCode::IO, "cannot flush directory " + dir.string() + " to disk: " + std::strerror(errno), "file");
  }
  return Ok();
}

Result<void> CheckInputFile(const std::string& path, const std::string& option, const std::string& expected) {
  const std::string field = option.substr(option.find_first_not_of('-'));
  const auto refuse = [&](const std::string& what) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("{}: \"{}\" {}; expected {}", option, path, what, expected),
                field);
  };
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return refuse("does not exist");
  if (std::filesystem::is_directory(status)) return refuse("is a directory");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return refuse(fmt::format("cannot be read ({})", std::strerror(errno)));
  std::fclose(file);
  return Ok();
}

}  // namespace attune
