#pragma once
//! Episodes as JSON: one shape for the API (docs/openapi.yaml `Episode`) and `attune episode --json`.

#include <nlohmann/json.hpp>

#include "attune/core/types.hpp"

namespace attune::service {

//! {id, client_id, therapist_id, started_on, ended_on (null while open), status, assigned_by, note}.
nlohmann::json ToJson(const Episode& episode);

}  // namespace attune::service
