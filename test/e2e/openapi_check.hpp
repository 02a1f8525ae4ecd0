#pragma once
// Reads docs/openapi.yaml (the plain YAML subset it is written in) and checks HTTP responses
// against it: the route and status must be documented and a JSON body must fit the schema.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace attune::testing {

//! Parses the YAML subset used by docs/openapi.yaml: block mappings and sequences, flow lists of
//! scalars, plain or double-quoted scalars, full-line comments. Throws std::runtime_error.
nlohmann::json ParseYamlSubset(const std::string& text);

//! Loads docs/openapi.yaml from the source tree.
const nlohmann::json& OpenApiSpec();

//! The spec path template ("/api/v1/clients/{id}") a concrete path matches, or "".
std::string SpecPathFor(const nlohmann::json& spec, const std::string& path);

//! Problems with one response: undocumented route/method/status/content type, or a body that does
//! not validate. Empty when it conforms.
std::vector<std::string> CheckResponse(const nlohmann::json& spec, const std::string& method,
                                       const std::string& path, int status,
                                       const std::string& content_type, const std::string& body);

//! Validates `value` against `schema` (type, enum, required, properties, additionalProperties,
//! items, $ref), appending problems named by JSON path.
void ValidateSchema(const nlohmann::json& spec, const nlohmann::json& schema, const nlohmann::json& value,
                    const std::string& where, std::vector<std::string>& problems);

}  // namespace attune::testing
