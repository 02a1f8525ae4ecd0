// PostgreSQL back end: libpq through SOCI; synchronous_commit on (the default, asserted);
// SELECT ... FOR UPDATE where a row is read then written; pg_dump / psql for backup and restore.

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/dialect.hpp"

namespace attune::store::detail {
namespace {

PGconn* Handle(soci::session& session) {
  return static_cast<soci::postgresql_session_backend*>(session.get_backend())->conn_;
}

// The PostgreSQL client programs: $ATTUNE_PG_BIN, else Debian's versioned folder, else PATH.
std::string PgProgram(const std::string& name) {
  if (const char* dir = std::getenv("ATTUNE_PG_BIN")) return std::string(dir) + "/" + name;
  std::string debian = "/usr/lib/postgresql/15/bin/" + name;
  if (std::filesystem::exists(debian)) return debian;
  return name;
}

// SOCI 4.0 mangles "postgresql://" URLs; libpq parses them, so hand SOCI key='value' pairs.
std::string ToConninfo(const std::string& location) {
  if (location.rfind("postgresql://", 0) != 0 && location.rfind("postgres://", 0) != 0) {
    return location;
  }
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(location.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    throw soci::soci_error("invalid PostgreSQL URL: " + message);
  }
  std::string conninfo;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    std::string value;
    for (const char* c = option->val; *c != '\0'; ++c) {
      if (*c == '\'' || *c == '\\') value += '\\';
      value += *c;
    }
    if (!conninfo.empty()) conninfo += ' ';
    conninfo += std::string(option->keyword) + "='" + value + "'";
  }
  PQconninfoFree(options);
  return conninfo;
}

// The bulk path of imports: rows as text parameters of one multi-row INSERT prepared once
// (the server converts each to its column's type), so a batch is one round trip.
class PostgresBulkInsert final : public BulkInsert {
 public:
  static constexpr std::size_t kRowsPerStatement = 256;

  PostgresBulkInsert(soci::session& session, std::string table, std::vector<std::string> columns)
      : session_(session),
        table_(std::move(table)),
        columns_(std::move(columns)),
        text_(kRowsPerStatement * columns_.size()),
        null_(text_.size(), soci::i_ok),
        full_(Prepare(kRowsPerStatement)) {}

  void Add(std::span<const BulkValue> row) override {
    for (const BulkValue& value : row) {
      std::string& text = text_[queued_];
      null_[queued_] = soci::i_ok;
      char buffer[32];
      if (const auto* n = std::get_if<std::int64_t>(&value)) {
        text.assign(buffer, std::to_chars(buffer, buffer + sizeof buffer, *n).ptr);
      } else if (const auto* x = std::get_if<double>(&value)) {
        text.assign(buffer, std::to_chars(buffer, buffer + sizeof buffer, *x).ptr);  // round-trips
      } else if (const auto* view = std::get_if<std::string_view>(&value)) {
        text.assign(*view);
      } else {
        text.clear();
        null_[queued_] = soci::i_null;
      }
      ++queued_;
    }
    if (queued_ == text_.size()) {
      full_->execute(true);
      queued_ = 0;
    }
  }

  void Flush() override {
    if (queued_ == 0) return;
    Prepare(queued_ / columns_.size())->execute(true);
    queued_ = 0;
  }

 private:
  // Binds the first rows x columns text values by position.
  std::unique_ptr<soci::statement> Prepare(std::size_t rows) {
    auto statement = std::make_unique<soci::statement>(session_);
    for (std::size_t i = 0; i < rows * columns_.size(); ++i) statement->exchange(soci::use(text_[i], null_[i]));
    statement->alloc();
    statement->prepare(MultiRowInsertSql(table_, columns_, rows, [](std::size_t i) { return ":v" + std::to_string(i); }));
    statement->define_and_bind();
    return statement;
  }

  soci::session& session_;
  std::string table_;
  std::vector<std::string> columns_;
  std::vector<std::string> text_;
  std::vector<soci::indicator> null_;
  std::size_t queued_ = 0;
  std::unique_ptr<soci::statement> full_;
};

class PostgresDialect final : public Dialect {
 public:
  Backend backend() const override { return Backend::POSTGRESQL; }
  const char* name() const override { return "postgresql"; }

  void Connect(soci::session& session, const std::string& location) override {
    session.open(soci::postgresql, ToConninfo(location));
    session << "SET client_min_messages = warning";
    // An acknowledged commit must be flushed to the WAL on disk.
    session << "SET synchronous_commit = on";
  }

  const char* BeginWrite() const override { return "BEGIN"; }
  // NO KEY UPDATE, not UPDATE: an INSERT into a table whose foreign key names the locked row takes
  // KEY SHARE on it, which FOR UPDATE blocks. A settings change (organisation row, then audit
  // head) and any other write (audit head, then an audit_log row naming the organisation)
  // deadlocked on that; PostgreSQL aborted one with 503.
  const char* ForUpdate() const override { return " FOR NO KEY UPDATE"; }
  // A transaction-scoped advisory lock on one 64-bit key; two subjects sharing a key only wait
  // for each other.
  void LockSubject(soci::session& session, std::int64_t org, std::int64_t subject) override {
    const long long key = static_cast<long long>((static_cast<std::uint64_t>(org) << 40) ^
                                                 static_cast<std::uint64_t>(subject));
    session << "SELECT pg_advisory_xact_lock(CAST(:k AS BIGINT))", soci::use(key);
  }

  void ExecScript(soci::session& session, const std::string& sql) override {
    PGresult* result = PQexec(Handle(session), sql.c_str());
    ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string message = PQresultErrorMessage(result);
      PQclear(result);
      throw soci::soci_error(message);
    }
    PQclear(result);
  }

  void ForeignKeysForMigrations(soci::session&, bool) override {}
  std::string BrokenForeignKey(soci::session&) override { return ""; }

  Result<std::string> IntegrityCheck(soci::session& session) override {
    try {
      long tables = 0;
      session << "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
          soci::into(tables);
      if (tables == 0) return std::string("no tables in the current schema");
      return std::string("ok");
    } catch (const soci::soci_error& e) {
      return Fail(ErrorCode::IO, std::string("integrity check failed: ") + e.what());
    }
  }

  Result<void> Backup(soci::session&, const std::string& location,
                      const std::string& file) override {
    auto status = RunProgram({PgProgram("pg_dump"), "--dbname=" + location, "--file=" + file,
                              "--format=plain", "--no-owner", "--no-privileges"});
    if (!status) return status.error();
    if (*status != 0) {
      return Fail(ErrorCode::IO, "pg_dump exited with status " + std::to_string(*status));
    }
    return Ok();
  }

  std::unique_ptr<BulkInsert> PrepareBulkInsert(soci::session& session, const std::string& table,
                                                const std::vector<std::string>& columns) override {
    return std::make_unique<PostgresBulkInsert>(session, table, columns);
  }

  std::vector<std::pair<std::string, std::string>> DeferrableIndexes(soci::session&, const std::string&) override {
    return {};
  }

  bool IsUniqueViolation(const soci::soci_error& e) const override {
    return std::string(e.what()).find("duplicate key value") != std::string::npos;
  }
};

}  // namespace

std::unique_ptr<Dialect> MakePostgresDialect() { return std::make_unique<PostgresDialect>(); }

Result<void> RestorePostgres(const std::string& url, const std::string& backup_file) {
  if (!std::filesystem::exists(backup_file)) {
    return Fail(ErrorCode::NOT_FOUND, "backup file " + backup_file + " does not exist", "file");
  }
  auto status = RunProgram({PgProgram("psql"), "--dbname=" + url, "--quiet", "--no-psqlrc",
                            "--set=ON_ERROR_STOP=1", "--single-transaction",
                            "--file=" + backup_file, "--output=/dev/null"});
  if (!status) return status.error();
  if (*status != 0) {
    return Fail(ErrorCode::IO, "psql could not load " + backup_file + " (exit status " +
                                   std::to_string(*status) + "); the target must be an empty database");
  }
  return Ok();
}

}  // namespace attune::store::detail
