#include "attune/core/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

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

}  // namespace attune
