#pragma once
// Private to module store: what differs between the SQLite and PostgreSQL back ends. Everything
// else (every query of the repository) is one portable SQL text run through SOCI.

#include <soci/soci.h>

#include <memory>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/store/store.hpp"

namespace attune::store::detail {

class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual Backend backend() const = 0;
  //! Suffix of dialect-specific migration files: "sqlite" | "postgresql".
  virtual const char* name() const = 0;
  //! Opens `session` on `location` and sets durability options. Throws soci::soci_error.
  virtual void Connect(soci::session& session, const std::string& location) = 0;
  //! Statement that starts a write transaction (SQLite takes the write lock at once).
  virtual const char* BeginWrite() const = 0;
  //! Appended to a SELECT that reads a row the transaction then updates.
  virtual const char* ForUpdate() const = 0;
  //! Runs a script of several statements. Throws soci::soci_error on failure.
  virtual void ExecScript(soci::session& session, const std::string& sql) = 0;
  //! "ok" or the problems found.
  virtual Result<std::string> IntegrityCheck(soci::session& session) = 0;
  //! Consistent copy of the live database into `file`.
  virtual Result<void> Backup(soci::session& session, const std::string& location,
                              const std::string& file) = 0;
  //! True when `e` says a UNIQUE / PRIMARY KEY constraint was violated.
  virtual bool IsUniqueViolation(const soci::soci_error& e) const = 0;
};

std::unique_ptr<Dialect> MakeSqliteDialect();
std::unique_ptr<Dialect> MakePostgresDialect();

Result<void> RestoreSqlite(const std::string& file, const std::string& backup_file);
Result<void> RestorePostgres(const std::string& url, const std::string& backup_file);

//! Runs a program (argv[0] looked up on PATH) and waits; returns its exit status, or IO.
Result<int> RunProgram(const std::vector<std::string>& argv);

}  // namespace attune::store::detail
