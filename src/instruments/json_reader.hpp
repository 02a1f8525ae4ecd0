#pragma once
// Private: reads nlohmann::json with a JSON path, so every refusal names file, path and reason.

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "attune/core/result.hpp"

namespace attune::instruments::detail {

//! A JSON value and where it sits ("$.scales[0].items[3]") in which file.
class Node {
 public:
  Node(const nlohmann::json& value, std::string path, const std::string& file)
      : value_(&value), path_(std::move(path)), file_(&file) {}

  const nlohmann::json& value() const { return *value_; }
  const std::string& path() const { return path_; }

  //! Error naming the file, this node's path and the reason.
  Unexpected Refuse(const std::string& reason) const {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("{}: {}: {}", *file_, path_, reason), path_);
  }

  bool Has(const char* key) const { return value_->is_object() && value_->contains(key); }

  Result<Node> Child(const char* key) const {
    if (!value_->is_object()) return Refuse("expected an object");
    auto it = value_->find(key);
    if (it == value_->end()) return Refuse(fmt::format("missing required field \"{}\"", key));
    return Node(*it, path_ + "." + key, *file_);
  }
  Node At(std::size_t i) const { return Node((*value_)[i], fmt::format("{}[{}]", path_, i), *file_); }

  Result<std::string> String() const {
    if (!value_->is_string()) return Refuse(fmt::format("expected a string, got {}", value_->dump()));
    return value_->get<std::string>();
  }
  Result<double> Number() const {
    if (!value_->is_number()) return Refuse(fmt::format("expected a number, got {}", value_->dump()));
    return value_->get<double>();
  }
  Result<bool> Bool() const {
    if (!value_->is_boolean()) return Refuse(fmt::format("expected true or false, got {}", value_->dump()));
    return value_->get<bool>();
  }
  Result<std::size_t> Count() const {
    if (!value_->is_number_unsigned()) {
      return Refuse(fmt::format("expected a whole number >= 0, got {}", value_->dump()));
    }
    return value_->get<std::size_t>();
  }
  Result<std::size_t> ArraySize() const {
    if (!value_->is_array()) return Refuse(fmt::format("expected an array, got {}", value_->dump()));
    return value_->size();
  }

  Result<std::string> StringField(const char* key) const {
    auto child = Child(key);
    if (!child) return child.error();
    return child->String();
  }
  Result<std::string> OptionalString(const char* key) const {
    if (!Has(key)) return std::string();
    return StringField(key);
  }
  Result<double> NumberField(const char* key) const {
    auto child = Child(key);
    if (!child) return child.error();
    return child->Number();
  }
  Result<bool> OptionalBool(const char* key, bool fallback) const {
    if (!Has(key)) return fallback;
    auto child = Child(key);
    if (!child) return child.error();
    return child->Bool();
  }

 private:
  const nlohmann::json* value_;
  std::string path_;
  const std::string* file_;
};

//! Parses JSON text; a syntax error names the file and where the parser stopped.
inline Result<nlohmann::json> ParseJson(std::string_view text, const std::string& file) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("{}: $: not valid JSON (byte {}: {})", file, e.byte, e.what()), "$");
  }
}

//! The whole text of `path`; IO naming the file when it cannot be opened.
inline Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::IO, fmt::format("{}: cannot open file", path), "file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

//! The *.json files directly in `dir`, sorted by name (none when it cannot be listed).
inline std::vector<std::filesystem::path> JsonFiles(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace attune::instruments::detail
