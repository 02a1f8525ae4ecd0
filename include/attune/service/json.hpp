#pragma once
//! JSON written alike by the API and the `attune` command: episodes (docs/openapi.yaml `Episode`,
//! `attune episode --json`) and the replication analysis (`attune analyze replicate --json`,
//! `POST /analyses/replication`).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attune/core/types.hpp"
#include "attune/stats/correlation.hpp"
#include "attune/stats/regression.hpp"

namespace attune::service {

//! {id, client_id, therapist_id, started_on, ended_on (null while open), status, assigned_by, note}.
nlohmann::json ToJson(const Episode& episode);

//! The Razzaque, Okoro & Wood (2015) replication: {source, n, dropped (the rows, or therapists,
//! left out for a missing value; absent when `dropped` is nullopt), correlations: [{x, y, method,
//! n, dropped, r, t, df, p, ci95}], regression: {r2, adj_r2, f, df1, df2, f_p, std_betas: [{facet,
//! std_beta, t, p, significant}], significant}, published, caution} (docs/cli.md).
nlohmann::ordered_json ReplicationJson(const std::string& source, std::optional<std::size_t> dropped,
                               const std::vector<stats::Correlation>& correlations, const stats::OlsFit& fit);

}  // namespace attune::service
