// End-to-end: attune db / audit / import / export as a user runs them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "attune/service/clinic.hpp"
#include "attune/store/store.hpp"
#include "cli/run.hpp"

namespace attune {
namespace {

using testing::RunAttune;

const char* kHeader = "key,subject_id,answered_at,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8,phq9_9,phq9_10\n";

class StoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir(std::string("store-cli-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    db_ = dir_ + "/clinic.sqlite";
    auto init = RunAttune({"db", "init", "--db", db_, "--org", "Demo clinic"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    ASSERT_NE(init.out.find("created organisation 1"), std::string::npos) << init.out;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::string db_;
};

TEST_F(StoreCliTest, StatusListsMigrationsAndMissingFileIsUsageError) {
  auto status = RunAttune({"db", "status", "--db", db_});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("applied  001_initial"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("integrity ok"), std::string::npos);
  auto migrate = RunAttune({"db", "migrate", "--db", db_});
  EXPECT_EQ(migrate.exit_code, 0);
  EXPECT_NE(migrate.out.find("up to date"), std::string::npos);
  auto missing = RunAttune({"db", "status", "--db", dir_ + "/none.sqlite"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/none.sqlite"));
}

TEST_F(StoreCliTest, OrgShowAndSetTheClientChoiceSetting) {
  auto shown = RunAttune({"org", "show", "--db", db_, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto j = nlohmann::json::parse(shown.out);
  EXPECT_EQ(j["name"], "Demo clinic");
  EXPECT_EQ(j["client_choice"], true);
  auto off = RunAttune({"org", "set", "--db", db_, "--client-choice", "off"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_NE(off.out.find("may not choose; the clinic assigns"), std::string::npos) << off.out;
  EXPECT_EQ(nlohmann::json::parse(RunAttune({"org", "show", "--db", db_, "--json"}).out)["client_choice"], false);
  // A value other than on/off, or an organisation that does not exist, is refused by name.
  auto bad = RunAttune({"org", "set", "--db", db_, "--client-choice", "maybe"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("maybe"), std::string::npos) << bad.err;
  auto missing = RunAttune({"org", "set", "--db", db_, "--org", "7", "--client-choice", "on"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("7"), std::string::npos) << missing.err;
  // The change is in the audit chain, which still verifies.
  EXPECT_EQ(RunAttune({"audit", "verify", "--db", db_}).exit_code, 0);
}

TEST_F(StoreCliTest, ImportIsAllOrNothingAndExportsWhatWasImported) {
  std::string clients = dir_ + "/c.csv";
  testing::WriteFile(clients, "external_id,pseudonym\nC1,Blue\nC2,Green\n");
  ASSERT_EQ(RunAttune({"import", "clients", clients, "--db", db_}).exit_code, 0);
  // A response about a client the organisation does not have is refused by line and column.
  std::string stray = dir_ + "/stray.csv";
  testing::WriteFile(stray, std::string(kHeader) + "z,999,2026-11-01T10:00:00Z,0,1,2,3,0,1,2,3,0,1\n");
  // A header without a required column names the file, as a refused row does.
  std::string headless = dir_ + "/headless.csv";
  testing::WriteFile(headless, "key,answered_at\nz,2026-11-01T10:00:00Z\n");
  auto no_column = RunAttune({"import", "responses", headless, "--instrument", "phq9", "--db", db_});
  EXPECT_EQ(no_column.exit_code, 2) << no_column.err;
  EXPECT_EQ(no_column.err.rfind("attune: " + headless + ": line 1", 0), 0u) << no_column.err;
  auto nobody = RunAttune({"import", "responses", stray, "--instrument", "phq9", "--db", db_});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_NE(nobody.err.find("line 2, column 2"), std::string::npos) << nobody.err;
  EXPECT_NE(nobody.err.find("subject_id 999 is not a client of this organisation"), std::string::npos) << nobody.err;
  std::string csv = dir_ + "/r.csv";
  testing::WriteFile(csv, std::string(kHeader) + "a,1,2026-11-01T10:00:00Z,0,1,2,3,0,1,2,3,0,1\n" +
                              "b,2,2026-11-02T10:00:00Z,0,1,4,3,0,1,2,3,0,1\n");
  auto refused = RunAttune({"import", "responses", csv, "--instrument", "phq9", "--db", db_});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("line 3, column 6"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("nothing was imported"), std::string::npos);
  auto empty = RunAttune({"export", "responses", "--db", db_});
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_EQ(empty.out.find("\n") + 1, empty.out.size()) << "only the header expected: " << empty.out;

  auto partial = RunAttune({"import", "responses", csv, "--instrument", "phq9", "--db", db_, "--partial"});
  EXPECT_EQ(partial.exit_code, 3) << partial.err;
  EXPECT_NE(partial.out.find("2 rows read, 1 imported, 1 refused"), std::string::npos) << partial.out;

  auto scores = RunAttune({"export", "scores", "--db", db_});
  EXPECT_EQ(scores.exit_code, 0) << scores.err;
  // 0+1+2+3+0+1+2+3+0 = 12
  EXPECT_NE(scores.out.find("1,phq9,1,2026-11-01T10:00:00Z,total,12,"), std::string::npos) << scores.out;

  auto research = RunAttune({"export", "responses", "--db", db_, "--instrument", "phq9", "--deidentify"});
  EXPECT_EQ(research.exit_code, 0);
  EXPECT_EQ(research.out.find(",a,"), std::string::npos) << research.out;
  EXPECT_NE(research.out.find("2026-11-01,"), std::string::npos) << research.out;
}

TEST_F(StoreCliTest, AuditVerifyDetectsAnEditAndADeletion) {
  std::string csv = dir_ + "/c.csv";
  testing::WriteFile(csv, "external_id,pseudonym\nC1,Blue\nC2,Green\nC3,Red\n");
  ASSERT_EQ(RunAttune({"import", "clients", csv, "--db", db_}).exit_code, 0);
  auto ok = RunAttune({"audit", "verify", "--db", db_});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("4 entries, chain intact"), std::string::npos) << ok.out;
  {
    auto store = store::Store::Open(store::Target::Sqlite(db_));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->ExecuteRawForTesting("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
                                            "UPDATE audit_log SET detail = 'C9' WHERE seq = 3;"));
  }
  auto edited = RunAttune({"audit", "verify", "--db", db_});
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_NE(edited.out.find("BROKEN at entry 3"), std::string::npos) << edited.out;

  // A second database: delete an entry from the middle of its chain.
  std::string other = dir_ + "/other.sqlite";
  ASSERT_EQ(RunAttune({"db", "init", "--db", other, "--org", "X"}).exit_code, 0);
  ASSERT_EQ(RunAttune({"import", "clients", csv, "--db", other}).exit_code, 0);
  {
    auto store = store::Store::Open(store::Target::Sqlite(other));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->ExecuteRawForTesting("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;"));
  }
  auto deleted = RunAttune({"audit", "verify", "--db", other});
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_NE(deleted.out.find("BROKEN at entry 2"), std::string::npos) << deleted.out;
}

TEST_F(StoreCliTest, BackupAndRestoreRoundTrip) {
  std::string csv = dir_ + "/t.csv";
  testing::WriteFile(csv, "external_id,display_name,approaches\nT1,Dr A,cbt;act\n");
  ASSERT_EQ(RunAttune({"import", "therapists", csv, "--db", db_}).exit_code, 0);
  std::string backup = dir_ + "/backup.sqlite";
  auto made = RunAttune({"db", "backup", backup, "--db", db_});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string copy = dir_ + "/copy.sqlite";
  auto restored = RunAttune({"db", "restore", backup, "--db", copy});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_NE(restored.out.find("integrity ok"), std::string::npos);
  auto store = store::Store::Open(store::Target::Sqlite(copy));
  ASSERT_TRUE(store);
  auto therapists = store->ListTherapists(1);
  ASSERT_TRUE(therapists);
  ASSERT_EQ(therapists->size(), 1u);
  EXPECT_EQ((*therapists)[0].approaches, (std::vector<std::string>{"cbt", "act"}));
  EXPECT_EQ(RunAttune({"audit", "verify", "--db", copy}).exit_code, 0);
}

// The probe: `db restore bk.db --db r.db` left bk.db-shm and bk.db-wal beside the backup. A backup
// is now one file in rollback-journal mode, and one in WAL mode (a copy of the database, or a
// backup made before) is read without leaving files beside it.
TEST_F(StoreCliTest, RestoreLeavesNoFilesBesideTheBackup) {
  const std::string backup = dir_ + "/bk.db";
  ASSERT_EQ(RunAttune({"db", "backup", backup, "--db", db_}).exit_code, 0);
  const std::string wal_copy = dir_ + "/wal-mode.db";
  std::filesystem::copy_file(db_, wal_copy);  // the database's own header: WAL mode
  for (const std::string& from : {backup, wal_copy}) {
    const std::string into = dir_ + "/r" + std::to_string(from.size()) + ".db";
    auto restored = RunAttune({"db", "restore", from, "--db", into});
    ASSERT_EQ(restored.exit_code, 0) << restored.err;
    EXPECT_NE(restored.out.find("integrity ok"), std::string::npos) << restored.out;
    EXPECT_FALSE(std::filesystem::exists(from + "-wal")) << from;
    EXPECT_FALSE(std::filesystem::exists(from + "-shm")) << from;
  }
}

TEST_F(StoreCliTest, RefusesWhatIsNotThere) {
  const std::string csv = dir_ + "/p.csv";
  testing::WriteFile(csv, "a,b\n1,2\n");
  auto migrate = RunAttune({"db", "migrate", "--db", csv});
  EXPECT_EQ(migrate.exit_code, 2);
  EXPECT_NE(migrate.err.find("not an Attune database"), std::string::npos) << migrate.err;
  EXPECT_EQ(migrate.err.find("sqlite3"), std::string::npos) << migrate.err;
  auto verify = RunAttune({"audit", "verify", "--db", db_, "--org", "99"});
  EXPECT_EQ(verify.exit_code, 2);
  EXPECT_NE(verify.err.find("--org 99 does not exist"), std::string::npos) << verify.err;
  // A backup over an existing directory would replace it.
  const std::string folder = dir_ + "/folder";
  std::filesystem::create_directories(folder);
  EXPECT_EQ(RunAttune({"db", "backup", folder, "--db", db_}).exit_code, 2);
  EXPECT_TRUE(std::filesystem::is_directory(folder));
  // --salt without --deidentify would export identified data.
  auto salt = RunAttune({"export", "responses", "--db", db_, "--salt", "abc"});
  EXPECT_EQ(salt.exit_code, 2);
  EXPECT_TRUE(salt.out.empty()) << salt.out;
}

TEST_F(StoreCliTest, UserAddLinksOnlyTheRowTheRoleSignsInAs) {
  std::string csv = dir_ + "/c.csv";
  testing::WriteFile(csv, "external_id,pseudonym\nC1,Blue\n");
  ASSERT_EQ(RunAttune({"import", "clients", csv, "--db", db_}).exit_code, 0);
  // The API's rule (POST /users): a coordinator is no client, a client no therapist as well.
  auto coordinator = RunAttune(
      {"user", "add", "--db", db_, "--handle", "c1", "--role", "coordinator", "--client-id", "1", "--password-stdin"},
      "long enough 1\n");
  EXPECT_EQ(coordinator.exit_code, 2) << coordinator.err;
  EXPECT_NE(coordinator.err.find("client_id is 1; expected none for role coordinator"), std::string::npos)
      << coordinator.err;
  auto both = RunAttune({"user", "add", "--db", db_, "--handle", "c2", "--role", "client", "--client-id", "1",
                         "--therapist-id", "1", "--password-stdin"},
                        "long enough 1\n");
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_NE(both.err.find("therapist_id is 1; expected none for role client"), std::string::npos) << both.err;
  auto blank = RunAttune({"user", "add", "--db", db_, "--handle", "  ", "--role", "researcher", "--password-stdin"},
                         "long enough 1\n");
  EXPECT_EQ(blank.exit_code, 2) << blank.err;
  EXPECT_NE(blank.err.find("handle is \"  \"; expected a handle, not blank"), std::string::npos) << blank.err;
  auto store = store::Store::Open(store::Target::Sqlite(db_));
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->ListLogins(1)->empty());  // nothing written
  // The row a user signs in as must exist.
  auto nobody = RunAttune(
      {"user", "add", "--db", db_, "--handle", "t9", "--role", "therapist", "--therapist-id", "9999", "--password-stdin"},
      "long enough 1\n");
  EXPECT_NE(nobody.exit_code, 0);
  EXPECT_NE(nobody.err.find("--therapist-id 9999 is not a therapist of organisation 1"), std::string::npos) << nobody.err;
  EXPECT_TRUE(store->ListLogins(1)->empty());  // nothing written
  auto client = RunAttune(
      {"user", "add", "--db", db_, "--handle", "c3", "--role", "client", "--client-id", "1", "--password-stdin"},
      "long enough 1\n");
  EXPECT_EQ(client.exit_code, 0) << client.err;
  // A password piped with a Windows line end (CRLF) is the line without it: a kept "\r" could
  // never be typed at sign-in.
  auto windows = RunAttune({"user", "add", "--db", db_, "--handle", "win", "--role", "researcher", "--password-stdin"},
                           "Windows pass \xC3\xA9\r\n");
  ASSERT_EQ(windows.exit_code, 0) << windows.err;
  auto logins = store->FindLogins("win");
  ASSERT_TRUE(logins);
  ASSERT_EQ(logins->size(), 1u);
  EXPECT_TRUE(service::VerifyPassword(logins->front().password_hash, "Windows pass \xC3\xA9"));
  EXPECT_FALSE(service::VerifyPassword(logins->front().password_hash, "Windows pass \xC3\xA9\r"));
}

TEST_F(StoreCliTest, TextThatIsNotUtf8IsRefusedNamingTheOptionOrLineAndColumn) {
  // Stored, such a handle made GET /users and GET /audit answer 500; such a pseudonym GET /clients/{id}.
  auto handle = RunAttune(
      {"user", "add", "--db", db_, "--handle", "bad\xFF", "--role", "researcher", "--password-stdin"},
      "long enough 1\n");
  EXPECT_EQ(handle.exit_code, 2) << handle.err;
  EXPECT_NE(handle.err.find("--handle is not valid UTF-8 (byte 0xFF at byte 4); expected UTF-8 text"),
            std::string::npos)
      << handle.err;
  std::string clients = dir_ + "/c.csv";
  testing::WriteFile(clients, "external_id,pseudonym\nC1,Blue\nC2,Gr\xFF" "en\n");
  auto import = RunAttune({"import", "clients", clients, "--db", db_});
  EXPECT_EQ(import.exit_code, 1) << import.err;
  EXPECT_NE(import.err.find("line 3, column 2: pseudonym is not valid UTF-8 (byte 0xFF at byte 3)"),
            std::string::npos)
      << import.err;
  auto init = RunAttune({"db", "init", "--db", dir_ + "/other.sqlite", "--org", "Clinic\xFF"});
  EXPECT_EQ(init.exit_code, 2) << init.err;
  EXPECT_NE(init.err.find("--org is not valid UTF-8"), std::string::npos) << init.err;
  auto store = store::Store::Open(store::Target::Sqlite(db_));
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->ListLogins(1)->empty());
  EXPECT_TRUE(store->ListClients(1)->empty());
}

TEST_F(StoreCliTest, UserAddRefusesAHandleThatLooksLikeAnother) {
  auto first = RunAttune({"user", "add", "--db", db_, "--handle", "coord", "--role", "coordinator", "--password-stdin"},
                         "long enough 1\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto upper = RunAttune({"user", "add", "--db", db_, "--handle", "Coord", "--role", "coordinator", "--password-stdin"},
                         "long enough 1\n");
  EXPECT_NE(upper.exit_code, 0);
  EXPECT_NE(upper.err.find("handle \"Coord\" is already taken by \"coord\""), std::string::npos) << upper.err;
  auto spaced = RunAttune({"user", "add", "--db", db_, "--handle", " coord", "--role", "coordinator",
                           "--password-stdin"},
                          "long enough 1\n");
  EXPECT_EQ(spaced.exit_code, 2) << spaced.err;
  EXPECT_NE(spaced.err.find("expected a handle without a space at either end"), std::string::npos) << spaced.err;
  auto store = store::Store::Open(store::Target::Sqlite(db_));
  ASSERT_TRUE(store);
  EXPECT_EQ(store->ListLogins(1)->size(), 1u);
}

// The API's mediation resamples therapists: with 2 of them its interval was reported (a cluster
// bootstrap accepted 2); fewer than 10 are refused naming the count, a clinic of 30 is analysed.
TEST_F(StoreCliTest, MediationByTherapistNeedsTenTherapists) {
  auto catalogue = instruments::Catalogue::LoadDirectory(std::string(ATTUNE_SOURCE_DIR) + "/instruments");
  ASSERT_TRUE(catalogue) << catalogue.error().message;
  for (const int therapists : {6, 30}) {
    const std::string db = dir_ + "/m" + std::to_string(therapists) + ".db";
    auto sim = RunAttune({"sim", "clinic", "--therapists", std::to_string(therapists), "--clients",
                          std::to_string(40 * therapists), "--sessions", "6", "--seed", "5", "--db", db, "--org-name",
                          "M"});
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
    auto store = store::Store::Open(store::Target::Sqlite(db));
    ASSERT_TRUE(store) << store.error().message;
    service::Clinic clinic(*store, *catalogue, instruments::Use::RESEARCH);
    const service::Actor researcher{1, 1, Role::RESEARCHER, std::nullopt, std::nullopt, "res", "test"};
    service::AnalysisRequest request;
    request.resamples = 200;
    auto result = clinic.MediationAnalysisOf(researcher, request);
    if (therapists < 10) {
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error().code, ErrorCode::FAILED_PRECONDITION);
      EXPECT_EQ(result.error().message.rfind(
                    "therapists with facets, alliance and improvement (the interval resamples therapists): ", 0),
                0u)
          << result.error().message;
      EXPECT_NE(result.error().message.find("; the analysis needs at least 10"), std::string::npos);
    } else {
      EXPECT_TRUE(result) << result.error().message;
    }
  }
}

}  // namespace
}  // namespace attune
