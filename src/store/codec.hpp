#pragma once
// Private to module store: how list- and map-valued fields are kept in TEXT columns.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attune/core/result.hpp"

namespace attune::store::detail {

//! Answers as "v1,v2,,v4" (empty = not answered); numbers in shortest round-trip form.
std::string EncodeAnswers(const std::vector<std::optional<double>>& answers);
//! EncodeAnswers into `out` (replacing its text, reusing its storage: the bulk import's path).
void EncodeAnswersInto(const std::vector<std::optional<double>>& answers, std::string& out);
//! Inverse of EncodeAnswers; INVALID_ARGUMENT names the position of a bad number.
Result<std::vector<std::optional<double>>> DecodeAnswers(std::string_view text);

std::string EncodeList(const std::vector<std::string>& values);
std::vector<std::string> DecodeList(const std::string& json);
std::string EncodeMap(const std::map<std::string, double>& values);
std::map<std::string, double> DecodeMap(const std::string& json);

//! Current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string NowUtc();

}  // namespace attune::store::detail
