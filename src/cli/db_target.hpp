#pragma once
// Private to the cli module: the --db FILE / --pg URL pair every database command takes.

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "attune/core/result.hpp"
#include "attune/store/store.hpp"

namespace attune::cli {

//! Where a database command works.
struct DbTarget {
  std::string db;  //!< SQLite file
  std::string pg;  //!< PostgreSQL URL
  long long org = 0;  //!< organisation; 0 = the only one (refused when there are several)
};

//! Adds --db and --pg (exactly one required) to `command`.
void AddDbOptions(CLI::App* command, DbTarget& target);
//! Adds --org.
void AddOrgOption(CLI::App* command, DbTarget& target);

//! The store target chosen on the command line.
store::Target ToTarget(const DbTarget& target);

//! The organisation to act for: --org, or the only organisation in the database.
Result<OrgId> ResolveOrg(store::Store& store, const DbTarget& target);

}  // namespace attune::cli
