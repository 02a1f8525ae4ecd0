#pragma once
// Private to module store: the migration scripts compiled into the library from migrations/.

#include <string>
#include <vector>

namespace attune::store::detail {

//! One file migrations/NNN_name.sql (dialect empty) or NNN_name.<dialect>.sql.
struct MigrationScript {
  int version;
  const char* name;
  const char* dialect;
  const char* sql;
};

//! Every embedded script, in file-name order (generated at configure time).
const std::vector<MigrationScript>& EmbeddedMigrations();

}  // namespace attune::store::detail
