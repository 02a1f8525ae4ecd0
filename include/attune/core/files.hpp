#pragma once
//! Files written so that a crash leaves the old file or the new one, never a part of one; input
//! files checked before they are read.

#include <string>

#include "attune/core/result.hpp"

namespace attune {

//! Makes `written` (a complete file) durable and renames it to `file`, replacing any file there,
//! then makes the rename durable. Errors are IO with field "file".
Result<void> ReplaceDurably(const std::string& written, const std::string& file);

//! A file the user named as input, before it is opened: INVALID_ARGUMENT when it does not exist,
//! is a directory or cannot be read, saying which, e.g. `--overlay: "/tmp" is a directory;
//! expected an overlay file (JSON)`. `option` is the option or argument that named it ("--csv",
//! "file"; the error's field without the dashes); `expected` what it should be.
Result<void> CheckInputFile(const std::string& path, const std::string& option, const std::string& expected);

}  // namespace attune
