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

// A header without a scored item's column used to score every row silently (prorated), a risk
// item's too: now one warning line names the columns and says which risk flag cannot be raised.
TEST(CliScore, CsvWarnsOfAbsentScoredColumnsAndRiskItems) {
  std::string dir = TempDir("csv-absent");
  WriteFile(dir + "/no9.csv", "id,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8\na,3,3,3,3,3,3,3,3\n");
  auto no9 = RunAttune({"score", "phq9", "--csv", dir + "/no9.csv"});
  EXPECT_EQ(no9.exit_code, 0) << no9.err;
  EXPECT_EQ(no9.err, "attune: warning: " + dir +
                         "/no9.csv: column phq9_9 (a risk item) is absent: no row can raise its risk flag; rows are "
                         "scored without it\n");
  // 8 answered: 24 x 9 / 8 = 27, prorated, and no flag.
  EXPECT_EQ(no9.out, "id,complete,total,total_band,flags\na,false,27,severe,\n");

  WriteFile(dir + "/two.csv", "core10_1,core10_2,core10_3,core10_4,core10_5,core10_7,core10_8,core10_9,core10_10\n"
                              "1,1,1,1,1,1,1,1,1\n");
  auto two = RunAttune({"score", "core10", "--csv", dir + "/two.csv"});
  EXPECT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(two.err, "attune: warning: " + dir +
                         "/two.csv: column core10_6 (a risk item) is absent: no row can raise its risk flag; rows are "
                         "scored without it\n");
  WriteFile(dir + "/plain.csv", "gad7_1,gad7_2,gad7_4,gad7_5,gad7_6,gad7_7\n1,1,1,1,1,1\n");
  auto plain = RunAttune({"score", "gad7", "--csv", dir + "/plain.csv"});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.err, "attune: warning: " + dir + "/plain.csv: column gad7_3 is absent; rows are scored without it\n");
  WriteFile(dir + "/many.csv", "phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_8\n0,0,0,0,0,0,0\n");
  auto many = RunAttune({"score", "phq9", "--csv", dir + "/many.csv"});
  EXPECT_EQ(many.exit_code, 0) << many.err;
  EXPECT_NE(many.err.find("columns phq9_7, phq9_9 (a risk item) are absent: no row can raise the risk flag of phq9_9; "
                          "rows are scored without them\n"),
            std::string::npos)
      << many.err;
}

TEST(CliChange, Core10TestVector) {
  auto r = RunAttune({"change", "core10", "--before", "20", "--after", "8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["classification"], "recovered");
  EXPECT_NEAR(j["cutoff"].get<double>(), 10.46, 1e-9);
  // At CORE-10's 90% confidence (core10.json): 1.645 x sqrt(2) x 7.7 x sqrt(.1) = 5.66 (6.75 at 95%).
  EXPECT_NEAR(j["reliable_change_threshold"].get<double>(), 5.6642, 1e-4);
  EXPECT_EQ(j["confidence"], 0.9);
  EXPECT_EQ(j["method"], "jacobson_truax");
  auto text = RunAttune({"change", "core10", "--before", "20", "--after", "14"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("reliable change at 90% confidence: |change| must exceed 5.66 points (z 1.645); |change| "
                          "6.00, RCI -1.742"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("classification: reliably_improved"), std::string::npos) << text.out;
  auto out_of_range = RunAttune({"change", "core10", "--before", "50", "--after", "8"});
  EXPECT_EQ(out_of_range.exit_code, 2);
  EXPECT_NE(out_of_range.err.find("--before: 50 is outside the total scale's range 0..40"), std::string::npos);
}

// 20 -> 14.34: |change| 5.66 against a threshold of 5.6642 printed "5.66" both, yet was judged
// not reliable; the figures are printed with the digits that tell them apart.
TEST(CliChange, PrintedFiguresAgreeWithTheDecision) {
  auto below = RunAttune({"change", "core10", "--before", "20", "--after", "14.34"});
  ASSERT_EQ(below.exit_code, 0) << below.err;
  // |change| 5.66 (5.659999...), RCI 5.66 / 3.4435 = 1.6436 against z 1.6449
  EXPECT_NE(below.out.find("|change| must exceed 5.664 points (z 1.645); |change| 5.660, RCI -1.644"),
            std::string::npos)
      << below.out;
  EXPECT_NE(below.out.find("classification: unchanged"), std::string::npos) << below.out;
  auto above = RunAttune({"change", "core10", "--before", "20", "--after", "14.33"});
  ASSERT_EQ(above.exit_code, 0) << above.err;
  EXPECT_NE(above.out.find("|change| must exceed 5.66 points (z 1.645); |change| 5.67, RCI -1.647"),
            std::string::npos)
      << above.out;
  EXPECT_NE(above.out.find("classification: reliably_improved"), std::string::npos) << above.out;
}

// PHQ-9 has no norms; its change is judged by the NHS Talking Therapies rule set
// (instruments/rules/nhs_talking_therapies.json: caseness >= 10, reliable change 6 points).
TEST(CliChange, AppliesTheInstrumentsRuleWithoutNorms) {
  auto r = RunAttune({"change", "phq9", "--before", "20", "--after", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rule: NHS Talking Therapies"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(nhs_talking_therapies)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("caseness at or above 10: before yes, after no"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("|change| of 6.00 points or more; |change| 12.00"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("classification: recovered"), std::string::npos) << r.out;
  // NHS recovery reads PHQ-9 and GAD-7 together; one measure's "recovered" says it is that one's.
  EXPECT_NE(r.out.find("on phq9 alone: the rule set reads its 2 measures together"), std::string::npos) << r.out;
  auto j = Json::parse(RunAttune({"change", "gad7", "--before", "12", "--after", "9", "--json"}).out);
  EXPECT_EQ(j["method"], "rule");
  EXPECT_EQ(j["rule"]["id"], "nhs_talking_therapies");
  EXPECT_EQ(j["caseness_at_or_above"], 8);
  EXPECT_EQ(j["reliable_change_threshold"], 4);
  EXPECT_EQ(j["reliable"], false);  // a drop of 3 < 4
  EXPECT_EQ(j["classification"], "unchanged");
  auto small = Json::parse(RunAttune({"change", "phq9", "--before", "11", "--after", "5", "--json"}).out);
  EXPECT_EQ(small["classification"], "recovered");  // a drop of 6 reaches 6 (the monitor's rule too)
  auto worse = Json::parse(RunAttune({"change", "phq9", "--before", "5", "--after", "11", "--json"}).out);
  EXPECT_EQ(worse["classification"], "reliably_deteriorated");
  // Neither norms nor a rule: said of the instrument, not of an arbitrary scale.
  auto none = RunAttune({"change", "wai_sr", "--before", "30", "--after", "50"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.err, "attune: wai_sr has no norms (SD and reliability) and no change rule (instruments/rules) for "
                      "any scale, so change cannot be judged; see docs/instruments.md\n");
  auto scale = RunAttune({"change", "wai_sr", "--scale", "bond", "--before", "10", "--after", "12"});
  EXPECT_EQ(scale.exit_code, 1);
  EXPECT_NE(scale.err.find("scale bond of wai_sr has no norms"), std::string::npos) << scale.err;
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

// A number too large for a double said only "expected a JSON object"; a key repeated inside a
// value that is not a number was reported as an item given twice.
TEST(CliScore, AnswersJsonNamesTheItemAndValueAtFault) {
  auto huge = RunAttune({"score", "gad7", "--answers-json", R"({"gad7_1":1e400})"});
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_EQ(huge.err, "attune: item gad7_1: value 1e400 is out of range for a number; expected one of 0, 1, 2, 3\n");
  auto nested = RunAttune({"score", "gad7", "--answers-json", R"({"a":{"b":1,"b":2}})"});
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_EQ(nested.err.find("given twice"), std::string::npos) << nested.err;
  EXPECT_NE(nested.err.find("\"a\" is not an item of gad7"), std::string::npos) << nested.err;
  auto object = RunAttune({"score", "gad7", "--answers-json", R"({"gad7_1":{"b":1,"b":2}})"});
  EXPECT_EQ(object.exit_code, 2);
  EXPECT_EQ(object.err, "attune: item gad7_1: value {\"b\":2} is not a number or null\n");
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
