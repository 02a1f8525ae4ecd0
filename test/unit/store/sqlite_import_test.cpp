// SQLite only: a large import drops the responses table's plain secondary indexes while it
// loads and rebuilds them before committing (Store::ImportResponses); checked in the file's
// own schema, since queries give the same answers with or without an index.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <set>
#include <string>

#include "attune/store/store.hpp"
#include "unit/store/harness.hpp"

namespace attune::store {
namespace {

// More rows than the import loads before it defers the indexes (65,536).
constexpr int kRows = 70000;

std::set<std::string> ResponseIndexes(const std::string& file) {
  sqlite3* db = nullptr;
  std::set<std::string> names;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_exec(
        db, "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'responses'",
        [](void* out, int, char** values, char**) {
          static_cast<std::set<std::string>*>(out)->insert(values[0]);
          return 0;
        },
        &names, nullptr);
  }
  sqlite3_close(db);
  return names;
}

ResponseSource Rows(const std::string& prefix, int count, std::string last_key = "") {
  auto next = std::make_shared<int>(0);
  return [=](ScoredResponse& out) -> Result<bool> {
    if (*next >= count) return false;
    const int i = (*next)++;
    Response& r = out.response;
    r.instrument_id = "phq9";
    r.instrument_version = "1";
    r.respondent_id = r.subject_id = i % 500;
    r.answered_at = "2026-11-26T10:00:00Z";
    r.answers = {1, 2, 0};
    r.idempotency_key = (i == count - 1 && !last_key.empty()) ? last_key : prefix + std::to_string(i);
    out.scores.assign(1, Score{});
    out.scores[0].scale_id = "total";
    out.scores[0].value = 3;
    out.scores[0].answered = 3;
    return true;
  };
}

TEST(SqliteImport, LargeImportRebuildsTheIndexesItDeferredAndAFailedOneKeepsThem) {
  const std::string file = testing::CurrentHarness().TempPath("import.sqlite");
  auto store = Store::Open(Target::Sqlite(file));
  ASSERT_TRUE(store) << store.error().message;
  auto org = store->CreateOrganisation("Import clinic");
  ASSERT_TRUE(org);
  const std::set<std::string> before = ResponseIndexes(file);
  ASSERT_TRUE(before.count("responses_by_subject") && before.count("responses_by_episode"));

  auto imported = store->ImportResponses(*org, Rows("a", kRows), "large.csv");
  ASSERT_TRUE(imported) << imported.error().message;
  EXPECT_EQ(*imported, kRows);
  EXPECT_EQ(ResponseIndexes(file), before);
  EXPECT_EQ(*store->IntegrityCheck(), "ok");  // every index holds exactly the table's rows

  // Twice the rows, so the indexes are dropped again; the last key repeats one stored: the
  // whole import is refused after the drop, and the rollback brings the indexes back.
  auto refused = store->ImportResponses(*org, Rows("b", 2 * kRows + 1, "a5"), "repeat.csv");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::ALREADY_EXISTS);
  EXPECT_EQ(*store->CountResponses(*org), kRows);
  EXPECT_EQ(ResponseIndexes(file), before);
  EXPECT_EQ(*store->IntegrityCheck(), "ok");
}

}  // namespace
}  // namespace attune::store
