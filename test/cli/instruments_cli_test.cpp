// attune instruments list|show, attune score, attune change: documented exit codes and JSON fields.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/run.hpp"

namespace attune::testing {
namespace {

using Json = nlohmann::json;

TEST(CliInstruments, ListAndShow) {
  auto list = RunAttune({"instruments", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  Json ids = Json::parse(list.out);
  EXPECT_GE(ids.size(), 9u);
  auto show = RunAttune({"instruments", "show", "wai_sr", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  Json wai = Json::parse(show.out);
  EXPECT_EQ(wai["items"].size(), 12u);
  EXPECT_TRUE(wai["items"][0].contains("id"));
  std::vector<std::string> scales;
  for (const auto& s : wai["scales"]) scales.push_back(s["id"]);
  EXPECT_EQ(scales, (std::vector<std::string>{"goal", "task", "bond", "total"}));
  EXPECT_EQ(wai["scales"][0]["items"].size(), 4u);
  // docs/cli.md: instructions are null when the licence does not let text ship (they were "").
  EXPECT_TRUE(wai["instructions"].is_null()) << wai["instructions"];
  for (const char* id : {"core10", "cnip", "ffmq39"}) {
    auto other = RunAttune({"instruments", "show", id, "--json"});
    ASSERT_EQ(other.exit_code, 0) << other.err;
    EXPECT_TRUE(Json::parse(other.out)["instructions"].is_null()) << id;
  }
  auto phq9 = RunAttune({"instruments", "show", "phq9", "--json"});
  ASSERT_EQ(phq9.exit_code, 0) << phq9.err;
  EXPECT_EQ(Json::parse(phq9.out)["instructions"].get<std::string>().rfind("Over the last 2 weeks", 0), 0u);
  auto missing = RunAttune({"instruments", "show", "nope"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("\"nope\" is not a known instrument"), std::string::npos);
}

TEST(CliScore, AnswersAndJson) {
  // 1+2+3+0+1+2+3+0+1 = 13 -> moderate; item 9 = 1 raises the risk flag.
  auto r = RunAttune({"score", "phq9", "--answers", "1,2,3,0,1,2,3,0,1,0", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["instrument"], "phq9");
  EXPECT_EQ(j["complete"], true);
  EXPECT_EQ(j["scales"]["total"]["score"], 13);
  EXPECT_EQ(j["scales"]["total"]["band"], "moderate");
  ASSERT_EQ(j["flags"].size(), 1u);
  EXPECT_EQ(j["flags"][0]["item"], "phq9_9");

  auto by_id = RunAttune({"score", "gad7", "--answers-json",
                          R"({"gad7_1":3,"gad7_2":3,"gad7_3":3,"gad7_4":3,"gad7_5":3,"gad7_6":3,"gad7_7":null})",
                          "--json"});
  ASSERT_EQ(by_id.exit_code, 0) << by_id.err;
  Json g = Json::parse(by_id.out);
  EXPECT_EQ(g["complete"], false);
  EXPECT_TRUE(g["scales"]["total"]["score"].is_null()) << "GAD-7 needs all seven items; never 0";
}

TEST(CliScore, BadValueIsRefusedNamingItemAndValue) {
  auto r = RunAttune({"score", "phq9", "--answers", "1,2,4,0,1,2,3,0,1,0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "attune: item phq9_3: value 4 is not one of 0, 1, 2, 3\n");
  EXPECT_TRUE(r.out.empty());
}

TEST(CliScore, LicenceRefusal) {
  auto r = RunAttune({"score", "ors", "--answers", "1,2,3,4"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not permit clinical use"), std::string::npos);
  auto commercial = RunAttune({"--use", "commercial", "score", "wai_sr", "--answers", "1,1,1,1,1,1,1,1,1,1,1,1"});
  EXPECT_EQ(commercial.exit_code, 1);
}

TEST(CliScore, OverlayDeclaresALicence) {
  std::string dir = TempDir("overlay");
  WriteFile(dir + "/ors.json",
            R"({"instrument": "ors", "licence": {"reference": "test licence 1", "permitted_uses": {"clinical": true}}})");
  auto r = RunAttune({"--overlay", dir + "/ors.json", "score", "ors", "--answers", "6.3,6.3,6.2,6.2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_DOUBLE_EQ(Json::parse(r.out)["scales"]["total"]["score"].get<double>(), 25.0);
}

TEST(CliScore, CsvExitCodes) {
  std::string dir = TempDir("csv");
  WriteFile(dir + "/good.csv", "id,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8,phq9_9\n"
                               "a,0,0,0,0,0,0,0,0,0\nb,3,3,3,3,3,3,3,3,3\n");
  auto good = RunAttune({"score", "phq9", "--csv", dir + "/good.csv", "--out", dir + "/out.csv"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(ReadFile(dir + "/out.csv"),
            "id,complete,total,total_band,flags\na,true,0,minimal,\nb,true,27,severe,risk:phq9_9\n");

  WriteFile(dir + "/some.csv", "id,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8,phq9_9\n"
                               "a,0,0,0,0,0,0,0,0,0\nb,3,3,9,3,3,3,3,3,3\n");
  auto some = RunAttune({"score", "phq9", "--csv", dir + "/some.csv"});
  EXPECT_EQ(some.exit_code, 3);
  EXPECT_NE(some.err.find("line 3, column 4: item phq9_3: value 9 is not one of 0, 1, 2, 3"), std::string::npos)
      << some.err;
  EXPECT_EQ(some.out, "id,complete,total,total_band,flags\na,true,0,minimal,\n");  // item 10 is unscored

  WriteFile(dir + "/bad.csv", "id,q1\n1,2\n");
  auto bad = RunAttune({"score", "phq9", "--csv", dir + "/bad.csv"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(bad.out.empty());
  // Named as the file, as a refused row is (it said "csv: line 1, ...").
  EXPECT_EQ(bad.err.rfind("attune: " + dir + "/bad.csv: line 1, column 2: \"q1\" is not an item of phq9", 0), 0u)
      << bad.err;
  auto absent = RunAttune({"score", "phq9", "--csv", dir + "/absent.csv"});
  EXPECT_EQ(absent.exit_code, 2);
}

TEST(CliChange, Core10TestVector) {
  auto r = RunAttune({"change", "core10", "--before", "20", "--after", "8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["classification"], "recovered");
  EXPECT_NEAR(j["cutoff"].get<double>(), 10.46, 1e-9);
  EXPECT_NEAR(j["reliable_change_threshold"].get<double>(), 6.75, 0.005);
  auto out_of_range = RunAttune({"change", "core10", "--before", "50", "--after", "8"});
  EXPECT_EQ(out_of_range.exit_code, 2);
  EXPECT_NE(out_of_range.err.find("--before: 50 is outside the total scale's range 0..40"), std::string::npos);
}

TEST(CliScore, RefusalsShowTheValueAsGivenAndRepeatedKeys) {
  auto r = RunAttune({"score", "gad7", "--answers", "1.000001,0,0,0,0,0,0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("value 1.000001 is not one of"), std::string::npos) << r.err;
  auto dup = RunAttune({"score", "gad7", "--answers-json",
                        R"({"gad7_1":3,"gad7_1":0,"gad7_2":0,"gad7_3":0,"gad7_4":0,"gad7_5":0,"gad7_6":0,"gad7_7":0})"});
  EXPECT_EQ(dup.exit_code, 2);
  EXPECT_NE(dup.err.find("\"gad7_1\" is given twice"), std::string::npos) << dup.err;
}

TEST(CliScore, UnreadableInputsExit2AndAByteOrderMarkIsSkipped) {
  const std::string dir = TempDir("score-unreadable");
  EXPECT_EQ(RunAttune({"score", "gad7", "--csv", dir}).exit_code, 2);
  EXPECT_EQ(RunAttune({"--overlay", dir + "/nosuch.json", "score", "gad7", "--answers", "0,0,0,0,0,0,0"}).exit_code, 2);
  EXPECT_EQ(RunAttune({"--instruments-dir", "/nonexistent", "score", "gad7", "--answers", "0,0,0,0,0,0,0"}).exit_code,
            2);
  WriteFile(dir + "/bom.csv", "\xEF\xBB\xBFid,gad7_1,gad7_2,gad7_3,gad7_4,gad7_5,gad7_6,gad7_7\nr1,0,1,2,3,0,1,2\n");
  auto r = RunAttune({"score", "gad7", "--csv", dir + "/bom.csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("r1,"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace attune::testing
