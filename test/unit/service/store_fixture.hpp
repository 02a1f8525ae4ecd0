#pragma once
// A fresh SQLite database in a temporary directory with the shipped instrument catalogue and one
// organisation, for service tests (each test gets its own directory, removed afterwards).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attune/instruments/instruments.hpp"
#include "attune/store/store.hpp"

namespace attune::service {

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("attune-service-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto catalogue = instruments::Catalogue::LoadDirectory(ATTUNE_SOURCE_DIR "/instruments");
    ASSERT_TRUE(catalogue) << catalogue.error().message;
    catalogue_.emplace(std::move(*catalogue));
    auto store = store::Store::Open(store::Target::Sqlite((dir_ / "db.sqlite").string()));
    ASSERT_TRUE(store) << store.error().message;
    store_.emplace(std::move(*store));
    auto org = store_->CreateOrganisation("Clinic");
    ASSERT_TRUE(org) << org.error().message;
    org_ = *org;
  }
  // A client named `name` (its external id and pseudonym) with these constraints and preferences;
  // 0 when it could not be stored.
  Id AddClient(const std::string& name, std::vector<std::string> constraints = {},
               std::map<std::string, double> preferences = {}) {
    Client c;
    c.pseudonym = name;
    c.external_id = name;
    c.constraints = std::move(constraints);
    c.preferences = std::move(preferences);
    auto client = store_->AddClient(org_, c);
    EXPECT_TRUE(client) << client.error().message;
    return client ? *client : 0;
  }

  // An episode of `client` with `therapist` in `status`, not yet stored (a waiting one is a
  // client's choice, any other a coordinator's).
  static Episode EpisodeOf(Id client, Id therapist, const std::string& status, const std::string& started_on,
                           const std::string& ended_on = "") {
    Episode e;
    e.client_id = client;
    e.therapist_id = therapist;
    e.started_on = started_on;
    e.ended_on = ended_on;
    e.status = status;
    e.assigned_by = status == "waiting" ? "client_choice" : "coordinator";
    return e;
  }
  // The same, written as the store takes it; 0 when it could not be.
  Id AddEpisodeIn(const std::string& status, Id client, Id therapist, const std::string& started_on,
                  const std::string& ended_on = "") {
    auto id = store_->AddEpisode(org_, EpisodeOf(client, therapist, status, started_on, ended_on));
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : 0;
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::optional<instruments::Catalogue> catalogue_;
  std::optional<store::Store> store_;
  OrgId org_ = 0;
};

}  // namespace attune::service
