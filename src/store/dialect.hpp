#pragma once
// Private to module store: what differs between the SQLite and PostgreSQL back ends. Everything
// else (every query of the repository) is one portable SQL text run through SOCI.

#include <soci/soci.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/store/store.hpp"

namespace attune::store::detail {

//! One column value of a bulk row: NULL, an integer, a real or text.
using BulkValue = std::variant<std::monostate, std::int64_t, double, std::string_view>;

//! INSERTs rows into one table several rows per statement (the bulk path of imports): far
//! fewer statement executions than one INSERT per row. Errors throw soci::soci_error, so a
//! unique violation is recognised by Dialect::IsUniqueViolation as for any other statement.
class BulkInsert {
 public:
  virtual ~BulkInsert() = default;
  //! Queues one row (a value per column, in the order given to PrepareBulkInsert); a full
  //! batch is written at once. Text must stay valid until Flush returns.
  virtual void Add(std::span<const BulkValue> row) = 0;
  //! Writes the queued rows.
  virtual void Flush() = 0;
};

//! "INSERT INTO table (c1, c2) VALUES (p, p), (p, p)" for `rows` rows; `placeholder(i)` names
//! parameter i (0-based, row-major).
template <typename Placeholder>
std::string MultiRowInsertSql(const std::string& table, const std::vector<std::string>& columns,
                              std::size_t rows, Placeholder placeholder) {
  std::string sql = "INSERT INTO " + table + " (";
  for (std::size_t c = 0; c < columns.size(); ++c) sql += (c > 0 ? ", " : "") + columns[c];
  sql += ") VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r > 0 ? ", (" : "(";
    for (std::size_t c = 0; c < columns.size(); ++c) {
      sql += (c > 0 ? ", " : "") + placeholder(r * columns.size() + c);
    }
    sql += ')';
  }
  return sql;
}

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
  //! Inside a write transaction: holds every other write transaction that locks the same
  //! (organisation, subject) until this one ends, so what it then reads about the subject
  //! stays true until it commits. SQLite's write transaction already excludes every other.
  virtual void LockSubject(soci::session& session, std::int64_t org, std::int64_t subject) = 0;
  //! Runs a script of several statements. Throws soci::soci_error on failure.
  virtual void ExecScript(soci::session& session, const std::string& sql) = 0;
  //! Foreign keys off (false) before migrations and on again (true) after them: SQLite rebuilds a
  //! table to change a CHECK, which with foreign keys on would delete the rows referring to it, and
  //! cannot switch them inside a transaction. A no-op where they need no switching (PostgreSQL).
  virtual void ForeignKeysForMigrations(soci::session& session, bool on) = 0;
  //! Inside a migration's transaction, before it commits: the table of a row whose foreign key
  //! the migration broke, or "" (PostgreSQL checks every statement itself).
  virtual std::string BrokenForeignKey(soci::session& session) = 0;
  //! "ok" or the problems found.
  virtual Result<std::string> IntegrityCheck(soci::session& session) = 0;
  //! Consistent copy of the live database into `file`.
  virtual Result<void> Backup(soci::session& session, const std::string& location,
                              const std::string& file) = 0;
  //! A bulk INSERT into `table` (`columns`) on `session`, which must outlive it. Throws
  //! soci::soci_error.
  virtual std::unique_ptr<BulkInsert> PrepareBulkInsert(soci::session& session, const std::string& table,
                                                        const std::vector<std::string>& columns) = 0;
  //! Name and CREATE statement of each plain (non-unique) secondary index of `table` that a
  //! bulk load may drop and rebuild inside its own transaction; empty where dropping would
  //! block other sessions (PostgreSQL's DROP INDEX locks the table against readers).
  virtual std::vector<std::pair<std::string, std::string>> DeferrableIndexes(soci::session& session,
                                                                             const std::string& table) = 0;
  //! True when `e` says a UNIQUE / PRIMARY KEY constraint was violated.
  virtual bool IsUniqueViolation(const soci::soci_error& e) const = 0;
};

std::unique_ptr<Dialect> MakeSqliteDialect();
std::unique_ptr<Dialect> MakePostgresDialect();

Result<void> RestoreSqlite(const std::string& file, const std::string& backup_file);
Result<void> RestorePostgres(const std::string& url, const std::string& backup_file);

//! Runs a program (argv[0] looked up on PATH) and waits; returns its exit status, or IO. The
//! program is killed if this process dies first.
Result<int> RunProgram(const std::vector<std::string>& argv);

}  // namespace attune::store::detail
