// SQLite back end: WAL journal with synchronous=FULL (a commit is on disk when it returns),
// foreign keys on, BEGIN IMMEDIATE for writes, online backup API for backup and restore.

#include <soci/sqlite3/soci-sqlite3.h>  // declares the SQLite C API in namespace sqlite_api

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "store/dialect.hpp"

namespace attune::store::detail {

using namespace sqlite_api;  // NOLINT(google-build-using-namespace): SOCI wraps <sqlite3.h>

namespace {

sqlite3* Handle(soci::session& session) {
  return static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
}

// Copies every page of `from` into `to` (both open), in one step so the copy is consistent.
Result<void> CopyDatabase(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) {
    return Fail(ErrorCode::IO, what + ": " + sqlite3_errmsg(to));
  }
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(backup, -1);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(10);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return Fail(ErrorCode::IO, what + ": " + sqlite3_errstr(rc));
  }
  return Ok();
}

using StatementPtr = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

// The bulk path of imports: the raw SQLite API rather than SOCI (whose per-execution binding
// cost more than SQLite's own work), rows bound by position into one multi-row INSERT prepared
// once, text bound without copying (SQLITE_STATIC: the caller keeps it alive until Flush).
class SqliteBulkInsert final : public BulkInsert {
 public:
  // 64 rows per statement: 13 columns x 64 stays far below SQLite's parameter limit, and
  // statement overhead is already a small part of each row's cost.
  static constexpr std::size_t kRowsPerStatement = 64;

  SqliteBulkInsert(sqlite3* db, std::string table, std::vector<std::string> columns)
      : db_(db), table_(std::move(table)), columns_(std::move(columns)), full_(Prepare(kRowsPerStatement)) {
    queued_.reserve(kRowsPerStatement * columns_.size());
  }

  void Add(std::span<const BulkValue> row) override {
    queued_.insert(queued_.end(), row.begin(), row.end());
    if (queued_.size() == kRowsPerStatement * columns_.size()) Run(full_.get());
  }

  void Flush() override {
    if (queued_.empty()) return;
    StatementPtr rest = Prepare(queued_.size() / columns_.size());
    Run(rest.get());
  }

 private:
  StatementPtr Prepare(std::size_t rows) {
    std::string sql = MultiRowInsertSql(table_, columns_, rows, [](std::size_t) { return std::string("?"); });
    sqlite3_stmt* statement = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &statement, nullptr);
    StatementPtr owned(statement, &sqlite3_finalize);
    if (rc != SQLITE_OK) throw soci::soci_error("bulk insert into " + table_ + ": " + sqlite3_errmsg(db_));
    return owned;
  }

  void Run(sqlite3_stmt* statement) {
    for (std::size_t i = 0; i < queued_.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      const BulkValue& value = queued_[i];
      if (const auto* n = std::get_if<std::int64_t>(&value)) {
        sqlite3_bind_int64(statement, at, *n);
      } else if (const auto* x = std::get_if<double>(&value)) {
        sqlite3_bind_double(statement, at, *x);
      } else if (const auto* text = std::get_if<std::string_view>(&value)) {
        sqlite3_bind_text(statement, at, text->data(), static_cast<int>(text->size()), SQLITE_STATIC);
      } else {
        sqlite3_bind_null(statement, at);
      }
    }
    queued_.clear();
    int rc = sqlite3_step(statement);
    std::string message = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    sqlite3_reset(statement);
    if (rc != SQLITE_DONE) throw soci::soci_error("bulk insert into " + table_ + ": " + message);
  }

  sqlite3* db_;
  std::string table_;
  std::vector<std::string> columns_;
  StatementPtr full_;
  std::vector<BulkValue> queued_;
};

class SqliteDialect final : public Dialect {
 public:
  Backend backend() const override { return Backend::SQLITE; }
  const char* name() const override { return "sqlite"; }

  void Connect(soci::session& session, const std::string& location) override {
    session.open(soci::sqlite3, "db=\"" + location + "\" timeout=10");
    // WAL: readers never block the writer; FULL: the WAL is fsynced at every commit, so an
    // acknowledged write survives a crash of the process and of the machine.
    std::string mode;
    session << "PRAGMA journal_mode=WAL", soci::into(mode);
    if (mode != "wal") {
      throw soci::soci_error("cannot switch " + location + " to WAL (journal_mode is " + mode + ")");
    }
    session << "PRAGMA synchronous=FULL";
    session << "PRAGMA foreign_keys=ON";
    session << "PRAGMA busy_timeout=10000";
    // 128 MB page cache: bulk imports touch index pages all over the file.
    session << "PRAGMA cache_size=-131072";
    session << "PRAGMA temp_store=MEMORY";
  }

  const char* BeginWrite() const override { return "BEGIN IMMEDIATE"; }
  const char* ForUpdate() const override { return ""; }
  void LockSubject(soci::session&, std::int64_t, std::int64_t) override {}  // BEGIN IMMEDIATE holds the file

  void ExecScript(soci::session& session, const std::string& sql) override {
    char* message = nullptr;
    int rc = sqlite3_exec(Handle(session), sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string text = message != nullptr ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      throw soci::soci_error(text);
    }
  }

  void ForeignKeysForMigrations(soci::session& session, bool on) override {
    session << (on ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
  }

  std::string BrokenForeignKey(soci::session& session) override {
    std::string table;
    soci::indicator ind = soci::i_ok;
    session << "PRAGMA foreign_key_check", soci::into(table, ind);
    return session.got_data() ? table : std::string();
  }

  Result<std::string> IntegrityCheck(soci::session& session) override {
    try {
      std::string result;
      std::string all;
      soci::statement st = (session.prepare << "PRAGMA integrity_check", soci::into(result));
      st.execute();
      while (st.fetch()) {
        if (!all.empty()) all += "; ";
        all += result;
      }
      if (all != "ok") return all;
      if (std::string table = BrokenForeignKey(session); !table.empty()) {
        return "foreign key violation in table " + table;
      }
      return std::string("ok");
    } catch (const soci::soci_error& e) {
      return Fail(ErrorCode::IO, std::string("integrity check failed: ") + e.what());
    }
  }

  Result<void> Backup(soci::session& session, const std::string& location,
                      const std::string& file) override {
    std::error_code ec;
    std::filesystem::remove(file, ec);
    sqlite3* out = nullptr;
    if (sqlite3_open(file.c_str(), &out) != SQLITE_OK) {
      std::string message = out != nullptr ? sqlite3_errmsg(out) : "out of memory";
      sqlite3_close(out);
      return Fail(ErrorCode::IO, "backup file " + file + ": " + message, "file");
    }
    auto copied = CopyDatabase(Handle(session), out, "backup of " + location + " to " + file);
    // The copy carries the source's WAL mode in its header; a backup is one file, read without
    // leaving -wal and -shm files beside it, so it is switched to a rollback journal.
    if (copied && sqlite3_exec(out, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      copied = Fail(ErrorCode::IO, "backup file " + file + ": " + sqlite3_errmsg(out), "file");
    }
    sqlite3_close(out);
    return copied;
  }

  std::unique_ptr<BulkInsert> PrepareBulkInsert(soci::session& session, const std::string& table,
                                                const std::vector<std::string>& columns) override {
    return std::make_unique<SqliteBulkInsert>(Handle(session), table, columns);
  }

  // WAL readers keep their snapshot, so dropping an index inside a write transaction blocks no one.
  std::vector<std::pair<std::string, std::string>> DeferrableIndexes(soci::session& session,
                                                                     const std::string& table) override {
    std::vector<std::pair<std::string, std::string>> out;
    std::string name, sql;
    soci::statement st = (session.prepare << "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND "
                                             "tbl_name = :t AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
                          soci::use(table), soci::into(name), soci::into(sql));
    st.execute();
    while (st.fetch()) out.emplace_back(name, sql);
    return out;
  }

  bool IsUniqueViolation(const soci::soci_error& e) const override {
    std::string what = e.what();
    return what.find("UNIQUE constraint failed") != std::string::npos ||
           what.find("PRIMARY KEY") != std::string::npos;
  }
};

}  // namespace

std::unique_ptr<Dialect> MakeSqliteDialect() { return std::make_unique<SqliteDialect>(); }

Result<void> RestoreSqlite(const std::string& file, const std::string& backup_file) {
  if (!std::filesystem::exists(backup_file)) {
    return Fail(ErrorCode::NOT_FOUND, "backup file " + backup_file + " does not exist", "file");
  }
  // Read as immutable (no locks, no -wal or -shm files created beside it and left after exit: a
  // backup in WAL mode, as older ones are, made them even read-only) unless a -wal file beside it
  // holds part of its content.
  std::error_code ec;
  const bool wal_beside = std::filesystem::exists(backup_file + "-wal", ec);
  std::string uri = "file:";
  for (char c : backup_file) {
    if (c == '%' || c == '?' || c == '#') {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
      uri += escaped;
    } else {
      uri += c;
    }
  }
  if (!wal_beside) uri += "?immutable=1";
  sqlite3* from = nullptr;
  if (sqlite3_open_v2(uri.c_str(), &from, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
    sqlite3_close(from);
    return Fail(ErrorCode::IO, "cannot open backup file " + backup_file, "file");
  }
  char* message = nullptr;
  std::string check;
  int rc = sqlite3_exec(
      from, "PRAGMA quick_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] != nullptr ? values[0] : "";
        return 0;
      },
      &check, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK || check != "ok") {
    sqlite3_close(from);
    return Fail(ErrorCode::IO, "backup file " + backup_file + " is not a sound SQLite database",
                "file");
  }
  sqlite3* to = nullptr;
  if (sqlite3_open(file.c_str(), &to) != SQLITE_OK) {
    sqlite3_close(from);
    sqlite3_close(to);
    return Fail(ErrorCode::IO, "cannot open database " + file, "db");
  }
  sqlite3_busy_timeout(to, 10000);
  auto copied = CopyDatabase(from, to, "restore of " + backup_file + " into " + file);
  sqlite3_close(from);
  sqlite3_close(to);
  return copied;
}

}  // namespace attune::store::detail
