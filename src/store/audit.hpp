#pragma once
// Private to module store: the audit chain's hash.

#include <string>

#include "attune/core/types.hpp"

namespace attune::store::detail {

//! Hex SHA-256 over the entry's fields (each length-prefixed, so no two entries collide by
//! shifting text between fields) and its prev_hash. The stored `hash` field is not included.
std::string AuditHash(const AuditEntry& entry);

}  // namespace attune::store::detail
