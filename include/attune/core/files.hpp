#pragma once
//! Files written so that a crash leaves the old file or the new one, never a part of one.

#include <string>

#include "attune/core/result.hpp"

namespace attune {

//! Makes `written` (a complete file) durable and renames it to `file`, replacing any file there,
//! then makes the rename durable. Errors are IO with field "file".
Result<void> ReplaceDurably(const std::string& written, const std::string& file);

}  // namespace attune
