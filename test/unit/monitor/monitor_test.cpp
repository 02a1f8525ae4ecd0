#include "attune/monitor/monitor.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "attune/monitor/json.hpp"

namespace attune::monitor {
namespace {

const instruments::Catalogue& Cat() {
  static const instruments::Catalogue catalogue = [] {
    auto c = instruments::Catalogue::LoadDirectory(std::string(ATTUNE_SOURCE_DIR) + "/instruments");
    EXPECT_TRUE(c.has_value());
    return std::move(*c);
  }();
  return catalogue;
}

Observation Wai(int session, double total, double sub = 16) {
  Observation o;
  o.instrument = "wai_sr";
  o.session = session;
  o.scores = {{"goal", sub}, {"task", sub}, {"bond", sub}, {"total", total}};
  return o;
}

Observation Phq(int session, double total) {
  Observation o;
  o.instrument = "phq9";
  o.session = session;
  o.scores = {{"total", total}};
  return o;
}

std::vector<RaisedAlert> AlertsOf(const EpisodeAssessment& a, const std::string& kind) {
  std::vector<RaisedAlert> out;
  for (const auto& per : a.alerts)
    for (const auto& x : per)
      if (x.kind == kind) out.push_back(x);
  return out;
}

TEST(Monitor, RiskItemRaisedAtOnceWithEvidence) {
  auto phq = Cat().Get("phq9");
  ASSERT_TRUE(phq.has_value());
  instruments::Answers answers((*phq)->items.size(), 1.0);
  answers[8] = 2.0;  // item 9: thoughts of self-harm
  auto scored = instruments::Score(**phq, answers);
  ASSERT_TRUE(scored.has_value());
  Observation o = MakeObservation(**phq, *scored, 7, 1);
  auto a = AssessEpisode({o}, Cat(), {}, Config::Defaults());
  ASSERT_TRUE(a.has_value());
  auto risks = AlertsOf(*a, "risk_item");
  ASSERT_EQ(risks.size(), 1u);
  EXPECT_EQ(risks[0].severity, "urgent");
  auto ev = nlohmann::json::parse(risks[0].evidence);
  EXPECT_EQ(ev["item"], "phq9_9");
  EXPECT_EQ(ev["value"], 2.0);
  // Item 9 at 0 raises nothing.
  answers[8] = 0.0;
  scored = instruments::Score(**phq, answers);
  a = AssessEpisode({MakeObservation(**phq, *scored, 8, 1)}, Cat(), {}, Config::Defaults());
  EXPECT_TRUE(AlertsOf(*a, "risk_item").empty());
}

TEST(Monitor, RuptureOnReliableDropThenRepaired) {
  // No fitted within-pair SD: total SEM = 8 * sqrt(1 - .92) = 2.263; threshold with the three
  // earlier scores (z 1.4, shaped for a drop of 2.5 SD): 2.263 * ((1.4 - 1.25) * 4/3 + 1.25) = 3.28.
  std::vector<Observation> obs = {Wai(1, 48), Wai(2, 48), Wai(3, 48), Wai(4, 40), Wai(5, 48)};
  auto a = AssessEpisode(obs, Cat(), {}, Config::Defaults());
  ASSERT_TRUE(a.has_value());
  ASSERT_EQ(a->alerts[3].size(), 1u);
  const auto& r = a->alerts[3][0];
  EXPECT_EQ(r.kind, "rupture");
  EXPECT_EQ(r.scale, "wai_sr.total");
  auto ev = nlohmann::json::parse(r.evidence);
  EXPECT_EQ(ev["rule"], "reliable_drop");
  EXPECT_NEAR(ev["threshold"].get<double>(), 8 * std::sqrt(0.08) * (0.15 * 4.0 / 3.0 + 1.25), 1e-9);
  EXPECT_EQ(ev["sd_source"], "sem");
  EXPECT_NEAR(ev["level"].get<double>(), 48, 1e-12);
  EXPECT_EQ(r.detail,
            "wai_sr.total fell to 40 at session 4 from the pair's earlier level of 48.0: a drop of 8.0 points, beyond "
            "the 3.3 this pair's usual movement allows");
  ASSERT_EQ(a->alerts[4].size(), 1u);
  EXPECT_EQ(a->alerts[4][0].kind, "rupture_repaired");
  ASSERT_EQ(a->ruptures.size(), 1u);
  EXPECT_EQ(a->ruptures[0].status, "repaired");
  EXPECT_EQ(a->ruptures[0].repair_session, 5);
  // The plain rule (rupture_size 0): 1.4 * 2.263 * sqrt(4/3) = 3.66.
  Config plain = Config::Defaults();
  plain.rupture_size = 0;
  a = AssessEpisode(obs, Cat(), {}, plain);
  ev = nlohmann::json::parse(AlertsOf(*a, "rupture").at(0).evidence);
  EXPECT_NEAR(ev["threshold"].get<double>(), 1.4 * 8 * std::sqrt(0.08) * std::sqrt(4.0 / 3.0), 1e-9);
}

TEST(Monitor, ShapedThresholdIsLowerThanThePlainOneOnAShortHistory) {
  // One earlier score: shaped 2.263 * (0.15 * 2 + 1.25) = 3.51, plain 1.4 * 2.263 * sqrt 2 = 4.48.
  // A drop of 4 is a rupture only under the shaped rule: the likelihood ratio of a 2.5 SD rupture
  // is as high there as for a smaller drop from a long history.
  const std::vector<Observation> obs = {Wai(1, 48), Wai(2, 44)};
  auto a = AssessEpisode(obs, Cat(), {}, Config::Defaults());
  auto r = AlertsOf(*a, "rupture");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(nlohmann::json::parse(r[0].evidence)["threshold"].get<double>(), 8 * std::sqrt(0.08) * 1.55, 1e-9);
  Config plain = Config::Defaults();
  plain.rupture_size = 0;
  EXPECT_TRUE(AlertsOf(*AssessEpisode(obs, Cat(), {}, plain), "rupture").empty());
}

// The probe: z 0.5 with rupture_size 6 (both within the settings' ranges) made the shaped
// threshold SD * (2z - mu/2) = -0.25 SD at m = 1, so 43 after 43 was a rupture. The threshold is
// never below the known-level rule z * SD.
TEST(Monitor, ShapedThresholdIsNeverBelowTheKnownLevelRule) {
  Config low = Config::Defaults();
  low.rupture_z = 0.5;
  low.rupture_subscale_z = 0.5;
  low.rupture_size = 6;
  auto a = AssessEpisode({Wai(1, 43), Wai(2, 43), Wai(3, 46, 17)}, Cat(), {}, low);
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(AlertsOf(*a, "rupture").empty());
  a = AssessEpisode({Wai(1, 43), Wai(2, 40)}, Cat(), {}, low);
  auto r = AlertsOf(*a, "rupture");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(nlohmann::json::parse(r[0].evidence)["threshold"].get<double>(), 0.5 * 8 * std::sqrt(0.08), 1e-9);
}

// The probe: 48 48 47, 40 (a rupture), then 41 41 41. The rupture closes unrepaired at the third
// 41 (the repair window), and that 41 was a second rupture "from the pair's earlier level of 45.0"
// (the old scores and the low ones averaged). An unrepaired rupture is the pair's new normal.
TEST(Monitor, APairStayingLowAfterAnUnrepairedRuptureIsNotAlertedAgain) {
  auto a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 47), Wai(4, 40), Wai(5, 41), Wai(6, 41), Wai(7, 41),
                          Wai(8, 41)},
                         Cat(), {}, Config::Defaults());
  ASSERT_TRUE(a.has_value());
  auto r = AlertsOf(*a, "rupture");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].session, 4);
  ASSERT_EQ(a->ruptures.size(), 1u);
  EXPECT_EQ(a->ruptures[0].status, "unrepaired");
  // A fall from the new normal is a new rupture, measured from it (41), not from the old level.
  a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 47), Wai(4, 40), Wai(5, 41), Wai(6, 41), Wai(7, 41),
                     Wai(8, 33)},
                    Cat(), {}, Config::Defaults());
  r = AlertsOf(*a, "rupture");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].session, 8);
  EXPECT_NEAR(nlohmann::json::parse(r[1].evidence)["level"].get<double>(), 41.0, 1e-9);
}

TEST(Monitor, RepairNeedsAReturnToTheLevelUnlessAMarginIsConfigured) {
  // 47 is one point short of the level 48: not a return by default (margin 0), so after
  // repair_window = 3 observations the rupture is closed as unrepaired.
  std::vector<Observation> obs = {Wai(1, 48), Wai(2, 48), Wai(3, 48), Wai(4, 40), Wai(5, 47), Wai(6, 46), Wai(7, 47)};
  auto a = AssessEpisode(obs, Cat(), {}, Config::Defaults());
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(AlertsOf(*a, "rupture_repaired").empty());
  ASSERT_EQ(a->ruptures.size(), 1u);
  EXPECT_EQ(a->ruptures[0].status, "unrepaired");
  // With a margin of one SD (SEM 2.263 here) 47 is back.
  Config wide = Config::Defaults();
  wide.repair_margin = 1.0;
  a = AssessEpisode(obs, Cat(), {}, wide);
  ASSERT_EQ(a->ruptures.size(), 1u);
  EXPECT_EQ(a->ruptures[0].status, "repaired");
  EXPECT_EQ(a->ruptures[0].repair_session, 5);
  auto ev = nlohmann::json::parse(AlertsOf(*a, "rupture_repaired").at(0).evidence);
  EXPECT_NEAR(ev["margin"].get<double>(), 8 * std::sqrt(0.08), 1e-9);
}

TEST(Monitor, SmallDropIsNoRuptureButThreeAndAHalfIs) {
  auto a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 48), Wai(4, 45)}, Cat(), {}, Config::Defaults());
  EXPECT_TRUE(AlertsOf(*a, "rupture").empty());  // drop 3 < 3.28
  a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 48), Wai(4, 44.5)}, Cat(), {}, Config::Defaults());
  EXPECT_EQ(AlertsOf(*a, "rupture").size(), 1u);  // drop 3.5 > 3.28
}

TEST(Monitor, FittedWithinPairSdWidensTheThreshold) {
  // With the organisation's within-pair SD of the total at 4.2 (above the SEM 2.263) the
  // threshold is 4.2 * (0.15 * 4/3 + 1.25) = 6.09: a drop of 4.5 is ordinary movement, 8 is not.
  Curve within;
  within.key = "wai_sr.total";
  within.model = CurveModel::WITHIN_PAIR;
  within.available = true;
  within.sigma2 = 4.2 * 4.2;
  const std::map<std::string, Curve> fitted{{"wai_sr.total", within}};
  auto a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 48), Wai(4, 43.5)}, Cat(), fitted, Config::Defaults());
  EXPECT_TRUE(AlertsOf(*a, "rupture").empty());
  a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 48), Wai(4, 40)}, Cat(), fitted, Config::Defaults());
  auto r = AlertsOf(*a, "rupture");
  ASSERT_EQ(r.size(), 1u);
  auto ev = nlohmann::json::parse(r[0].evidence);
  EXPECT_EQ(ev["sd_source"], "within_pair");
  EXPECT_NEAR(ev["threshold"].get<double>(), 4.2 * (0.15 * 4.0 / 3.0 + 1.25), 1e-9);
  // A fitted SD below the SEM never narrows the threshold.
  within.sigma2 = 1.0;
  a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 48), Wai(4, 40)}, Cat(), {{"wai_sr.total", within}},
                    Config::Defaults());
  ev = nlohmann::json::parse(AlertsOf(*a, "rupture").at(0).evidence);
  EXPECT_NEAR(ev["sd"].get<double>(), 8 * std::sqrt(0.08), 1e-9);
}

TEST(Monitor, SidakZ) {
  EXPECT_NEAR(SidakZ(1.5, 1), 1.5, 1e-9);
  EXPECT_NEAR(SidakZ(1.5, 3), 1.9993, 1e-3);  // 1 - (1 - .0668)^(1/3) = .0228 one-sided
  EXPECT_NEAR(SidakZ(1.96, 3), 2.3909, 1e-3);  // 1 - .975^(1/3) = .00840
}

TEST(Monitor, RupturePerSubscale) {
  // Bond alone drops 16 -> 10: subscale SEM 3 * sqrt(.15) = 1.162, threshold (m = 2, subscale z 2.30)
  // 1.162 * (1.05 * 1.5 + 1.25) = 3.28; the total's 48 -> 46 stays under 2.263 * (0.15 * 1.5 + 1.25) = 3.34.
  Observation third = Wai(3, 46);
  third.scores["bond"] = 10;
  auto a = AssessEpisode({Wai(1, 48), Wai(2, 48), third}, Cat(), {}, Config::Defaults());
  auto r = AlertsOf(*a, "rupture");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].scale, "wai_sr.bond");
}

TEST(Monitor, CutoffCrossingAndUnrepairedAfterWindow) {
  // 35 at session 4 is not below the 35 that opened the rupture, so not a further fall.
  auto a = AssessEpisode({Wai(1, 38), Wai(2, 37), Wai(3, 35), Wai(4, 35), Wai(5, 35), Wai(6, 34)}, Cat(), {},
                         Config::Defaults());
  auto r = AlertsOf(*a, "rupture");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(r[0].evidence)["rule"], "cutoff");
  EXPECT_EQ(r[0].session, 3);
  ASSERT_EQ(a->ruptures.size(), 1u);
  EXPECT_EQ(a->ruptures[0].status, "unrepaired");
  EXPECT_TRUE(AlertsOf(*a, "rupture_repaired").empty());
}

TEST(Monitor, CutoffNeedsTheRecentLevelAboveIt) {
  // 34, 37, 35: the previous score (37) is above 36 but the recent level (35.5) is not: no alert.
  auto a = AssessEpisode({Wai(1, 34), Wai(2, 37), Wai(3, 35)}, Cat(), {}, Config::Defaults());
  EXPECT_TRUE(AlertsOf(*a, "rupture").empty());
}

// A WAI-SR response with every item at `value`, `skipped` items (0-based) left out.
Observation WaiAnswered(int session, double value, std::vector<std::size_t> skipped = {}) {
  auto wai = Cat().Get("wai_sr");
  EXPECT_TRUE(wai.has_value());
  instruments::Answers answers((*wai)->items.size(), value);
  for (std::size_t k : skipped) answers[k].reset();
  auto scored = instruments::Score(**wai, answers);
  EXPECT_TRUE(scored.has_value());
  return MakeObservation(**wai, *scored, 0, session, &answers);
}

TEST(Monitor, SkippedItemsLeaveTheScoreUnscorableButTheAllianceWatched) {
  // Item 1 (task) skipped: task and total are not scorable; the alliance is still watched on
  // estimates from the answered items (11 of 12 for the total, 3 of 4 for task).
  Observation o = WaiAnswered(4, 3, {0});
  EXPECT_FALSE(o.scores.count("total"));
  EXPECT_FALSE(o.scores.count("task"));
  EXPECT_EQ(o.scores.at("bond"), 12);
  ASSERT_TRUE(o.estimates.count("total"));
  EXPECT_NEAR(o.estimates.at("total").score, 33.0 * 12 / 11, 1e-9);
  EXPECT_EQ(o.estimates.at("total").answered, 11u);
  EXPECT_EQ(o.estimates.at("total").items, 12u);
  EXPECT_NEAR(o.estimates.at("task").score, 12, 1e-9);
  EXPECT_FALSE(o.estimates.count("bond"));  // scorable: the score itself is used
  // Below three in four answered (4 of 12 skipped: 8 < 9 for the total, goal 2 of 4): no estimate.
  Observation sparse = WaiAnswered(4, 3, {3, 5, 7, 10});
  EXPECT_FALSE(sparse.estimates.count("total"));
  EXPECT_FALSE(sparse.estimates.count("goal"));
  // Without the answers there is nothing to estimate from.
  auto wai = Cat().Get("wai_sr");
  instruments::Answers answers((*wai)->items.size(), 3.0);
  answers[0].reset();
  EXPECT_TRUE(MakeObservation(**wai, *instruments::Score(**wai, answers), 0, 4).estimates.empty());

  // 48, 48, 48, then all 3s with one item skipped: a rupture on the estimated total.
  auto a = AssessEpisode({WaiAnswered(1, 4), WaiAnswered(2, 4), WaiAnswered(3, 4), o}, Cat(), {}, Config::Defaults());
  ASSERT_TRUE(a.has_value());
  std::vector<RaisedAlert> total;
  for (const auto& r : AlertsOf(*a, "rupture")) {
    if (r.scale == "wai_sr.total") total.push_back(r);
  }
  ASSERT_EQ(total.size(), 1u);
  EXPECT_NE(total[0].detail.find("estimated from 11 of 12 items"), std::string::npos) << total[0].detail;
  auto ev = nlohmann::json::parse(total[0].evidence);
  EXPECT_EQ(ev["estimated_from"]["answered"], 11);
  EXPECT_NEAR(ev["score"].get<double>(), 36.0, 1e-9);
}

TEST(Monitor, ASecondRuptureWhileOneIsOpenNeedsAFurtherFall) {
  // 48 x3, 40 opens a rupture. 41 (not below 40) is the same rupture; 34 is a further fall from
  // the pair's level (48: the 40 that opened the rupture is not part of it) and a new rupture.
  auto a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 48), Wai(4, 40), Wai(5, 41), Wai(6, 34)}, Cat(), {},
                         Config::Defaults());
  ASSERT_TRUE(a.has_value());
  auto r = AlertsOf(*a, "rupture");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].session, 4);
  EXPECT_EQ(r[1].session, 6);
  auto ev = nlohmann::json::parse(r[1].evidence);
  EXPECT_EQ(ev["further_drop_since_session"], 4);
  EXPECT_NEAR(ev["level"].get<double>(), (48.0 * 3 + 41) / 4, 1e-9);
  ASSERT_EQ(a->ruptures.size(), 2u);
  EXPECT_EQ(a->ruptures[0].status, "unrepaired");
  EXPECT_EQ(a->ruptures[1].status, "open");
  // A return to the level before the first rupture repairs the second.
  a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 48), Wai(4, 40), Wai(5, 34), Wai(6, 48)}, Cat(), {},
                    Config::Defaults());
  ASSERT_EQ(a->ruptures.size(), 2u);
  EXPECT_EQ(a->ruptures[1].status, "repaired");
  EXPECT_EQ(a->ruptures[1].repair_session, 6);
}

// The probe: after 48, 36 (a rupture), 40, 28 (a further fall "from the pair's earlier level of
// 44.0"), 46 raised nothing and 48 was a repair "(level before the rupture at session 4: 48.0)":
// the level the repair needed was said nowhere, and named the wrong rupture. The further fall now
// says what repairs it, the episode view carries it, and the repair names the first rupture.
TEST(Monitor, AFurtherFallSaysTheLevelThatRepairsIt) {
  auto a = AssessEpisode({Wai(1, 48), Wai(2, 36), Wai(3, 40), Wai(4, 28), Wai(5, 46), Wai(6, 48)}, Cat(), {},
                         Config::Defaults());
  ASSERT_TRUE(a.has_value()) << a.error().message;
  std::vector<RaisedAlert> total;
  for (const auto& per : a->alerts)
    for (const auto& x : per)
      if (x.scale == "wai_sr.total" && x.kind.rfind("rupture", 0) == 0) total.push_back(x);
  ASSERT_EQ(total.size(), 3u);
  EXPECT_EQ(total[1].session, 4);
  EXPECT_NE(total[1].detail.find("from the pair's earlier level of 44.0"), std::string::npos) << total[1].detail;
  EXPECT_NE(total[1].detail.find("; it deepens the rupture at session 2, repaired by a return to 48.0, the level "
                                 "before that one"),
            std::string::npos)
      << total[1].detail;
  EXPECT_EQ(nlohmann::json::parse(total[1].evidence)["repair_level"], 48.0);
  EXPECT_EQ(total[2].kind, "rupture_repaired");
  EXPECT_EQ(total[2].detail,
            "wai_sr.total back to 48 at session 6 (level before the rupture at session 2, which fell further at "
            "session 4: 48.0)");
  const RuptureEvent* further = nullptr;
  for (const auto& r : a->ruptures)
    if (r.key == "wai_sr.total" && r.session == 4) further = &r;
  ASSERT_NE(further, nullptr);
  EXPECT_DOUBLE_EQ(further->level, 44.0);
  EXPECT_DOUBLE_EQ(further->repair_level, 48.0);
  EXPECT_EQ(further->repair_from_session, 2);
}

// The probe: in an ended episode the episode view showed ruptures "open" that the report counted
// as unrepaired. Therapy's end decides them.
TEST(Monitor, EndOfTherapyLeavesNoRuptureOpen) {
  auto a = AssessEpisode({Wai(1, 48), Wai(2, 48), Wai(3, 40)}, Cat(), {}, Config::Defaults());
  ASSERT_TRUE(a.has_value());
  ASSERT_FALSE(a->ruptures.empty());
  EXPECT_EQ(a->ruptures.back().status, "open");
  EndOfTherapy(*a);
  for (const auto& r : a->ruptures) EXPECT_EQ(r.status, "unrepaired") << r.key;
}

TEST(Monitor, ChangeAndReliableDeterioration) {
  auto a = AssessEpisode({Phq(1, 10), Phq(2, 15), Phq(3, 16), Phq(4, 17), Phq(5, 12), Phq(6, 17)}, Cat(), {},
                         Config::Defaults());
  ASSERT_TRUE(a.has_value());
  ASSERT_EQ(a->changes.size(), 6u);
  EXPECT_FALSE(a->changes[0].since_intake.has_value());
  EXPECT_EQ(a->changes[1].since_intake->classification, "unchanged");  // +5 < 6
  EXPECT_EQ(a->changes[2].since_intake->classification, "reliably_deteriorated");
  EXPECT_EQ(a->changes[2].since_intake->method, "rule_points");
  EXPECT_DOUBLE_EQ(a->changes[2].since_last->change, 1.0);
  auto d = AlertsOf(*a, "reliable_deterioration");
  ASSERT_EQ(d.size(), 2u);  // sessions 3 and 6: raised again after the state ended at session 5
  EXPECT_EQ(d[0].session, 3);
  EXPECT_EQ(d[1].session, 6);
  EXPECT_FALSE(a->notes.empty());  // no curve: says so
}

TEST(Monitor, RecoveryClassification) {
  auto a = AssessEpisode({Phq(1, 20), Phq(2, 8)}, Cat(), {}, Config::Defaults());
  EXPECT_EQ(a->changes[1].since_intake->classification, "recovered");
  a = AssessEpisode({Phq(1, 20), Phq(2, 13)}, Cat(), {}, Config::Defaults());
  EXPECT_EQ(a->changes[1].since_intake->classification, "reliably_improved");
}

TEST(Monitor, JacobsonTruaxWhenNormsExist) {
  Observation a1, a2;
  a1.instrument = a2.instrument = "core10";
  a1.session = 1;
  a2.session = 2;
  a1.scores["total"] = 20;
  a2.scores["total"] = 8;
  auto a = AssessEpisode({a1, a2}, Cat(), {}, Config::Defaults());
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->changes[1].since_intake->method, "jacobson_truax");
  // The file's 90% confidence (CORE-10's "RCI 6 (90%)"), not 95%'s 1.96 (6.75):
  // 1.644854 * sqrt(2) * 7.7 * sqrt(.1) = 5.66
  EXPECT_NEAR(a->changes[1].since_intake->threshold, 1.6448536 * std::sqrt(2.0) * 7.7 * std::sqrt(0.1), 1e-6);
  // A drop of 6 (20 -> 14) is a reliable improvement (unchanged at 95%).
  a2.scores["total"] = 14;
  a = AssessEpisode({a1, a2}, Cat(), {}, Config::Defaults());
  EXPECT_EQ(a->changes[1].since_intake->classification, "reliably_improved");
}

TEST(Monitor, NotOnTrackAgainstCurve) {
  Curve c;
  c.key = "phq9.total";
  c.available = true;
  c.b0 = 0;
  c.b_intake = 1;
  c.b_log_session = -3;  // expected at session 4 from 18: 18 - 3 ln 4 = 13.84
  c.sigma2 = 4;          // band 1.2816 * 2 = 2.56
  std::map<std::string, Curve> curves{{c.key, c}};
  auto a = AssessEpisode({Phq(1, 18), Phq(2, 18), Phq(4, 16)}, Cat(), curves, Config::Defaults());
  EXPECT_TRUE(AlertsOf(*a, "not_on_track").empty());  // 16 < 16.40
  a = AssessEpisode({Phq(1, 18), Phq(2, 18), Phq(4, 17)}, Cat(), curves, Config::Defaults());
  auto n = AlertsOf(*a, "not_on_track");
  ASSERT_EQ(n.size(), 1u);
  auto ev = nlohmann::json::parse(n[0].evidence);
  EXPECT_NEAR(ev["expected"].get<double>(), 18 - 3 * std::log(4.0), 1e-9);
  // Session 2 is before not_on_track_from_session: never flagged even far off.
  a = AssessEpisode({Phq(1, 18), Phq(2, 26)}, Cat(), curves, Config::Defaults());
  EXPECT_TRUE(AlertsOf(*a, "not_on_track").empty());
}

TEST(Monitor, RefusesBadInput) {
  auto a = AssessEpisode({Phq(0, 10)}, Cat(), {}, Config::Defaults());
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().field, "session");
  Observation o = Phq(1, 10);
  o.instrument = "nope";
  EXPECT_FALSE(AssessEpisode({o}, Cat(), {}, Config::Defaults()).has_value());
}

TEST(Curves, TooLittleDataSaysSo) {
  std::vector<CurvePoint> pts;
  for (int e = 1; e <= 5; ++e)
    for (int s = 1; s <= 4; ++s) pts.push_back({e, s, 15.0 - s});
  auto c = FitCurve("phq9.total", true, pts, Config::Defaults());
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->available);
  EXPECT_NE(c->reason.find("5 episodes"), std::string::npos) << c->reason;
}

TEST(Curves, RecoversPlantedGrowth) {
  // y = 2 + level_e + 0.9 intake + (-2 - 0.1 intake + slope_e) log(s) + e; slope_e ~ N(0, 0.8), level_e ~ N(0, 1), e ~ N(0, 1.5)
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n01(0, 1);
  std::vector<CurvePoint> pts;
  for (int e = 1; e <= 150; ++e) {
    const double intake = 15 + 4 * n01(rng);
    const double slope = 0.8 * n01(rng);
    const double level = 1.0 * n01(rng);
    pts.push_back({e, 1, intake});
    for (int s = 2; s <= 8; ++s) {
      const double ls = std::log(static_cast<double>(s));
      pts.push_back({e, s, 2 + level + 0.9 * intake + (-2 - 0.1 * intake + slope) * ls + 1.5 * n01(rng)});
    }
  }
  auto c = FitCurve("phq9.total", true, pts, Config::Defaults());
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(c->available) << c->reason;
  EXPECT_NEAR(c->b_intake, 0.9, 0.15);
  EXPECT_NEAR(c->b_interaction, -0.1, 0.1);
  EXPECT_NEAR(std::sqrt(c->sigma2), 1.5, 0.2);
  EXPECT_NEAR(c->Expected(4, 15), 2 + 0.9 * 15 + (-2 - 1.5) * std::log(4.0), 0.6);
  auto back = CurveFromJson(CurveToJson(*c));
  ASSERT_TRUE(back.has_value());
  EXPECT_DOUBLE_EQ(back->b_interaction, c->b_interaction);
  EXPECT_EQ(back->episodes, 150u);
  EXPECT_FALSE(CurveFromJson("{}").has_value());
}

TEST(Curves, WithinPairSdIsRobustToRuptures) {
  // 60 episodes x 8 sessions: level_e + N(0, 4^2) per session, and a 20-point dip in every fifth
  // episode. The trimmed SD of consecutive differences / sqrt 2 stays near 4; the plain SD would not.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01(0, 1);
  std::vector<CurvePoint> pts;
  for (int e = 1; e <= 60; ++e) {
    const double level = 45 + 5 * n01(rng);
    for (int s = 1; s <= 8; ++s) pts.push_back({e, s, level + 4 * n01(rng) - (e % 5 == 0 && s == 4 ? 20 : 0)});
  }
  auto c = FitWithinPair("wai_sr.total", pts, Config::Defaults());
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(c->available) << c->reason;
  EXPECT_EQ(c->model, CurveModel::WITHIN_PAIR);
  EXPECT_NEAR(std::sqrt(c->sigma2), 4.0, 0.5);
  EXPECT_EQ(c->episodes, 60u);
  auto back = CurveFromJson(CurveToJson(*c));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->model, CurveModel::WITHIN_PAIR);
  EXPECT_DOUBLE_EQ(back->sigma2, c->sigma2);
  // Too few episodes: says so.
  pts.resize(8 * 5);
  c = FitWithinPair("wai_sr.total", pts, Config::Defaults());
  EXPECT_FALSE(c->available);
  EXPECT_NE(c->reason.find("5 episodes"), std::string::npos) << c->reason;
}

TEST(Curves, WithinPairSdFollowsTheSpreadOnWholePointScores) {
  // Whole-point subscale scores (level + N(0, sd^2), rounded): the estimate follows sd between
  // whole points instead of snapping to the 1.05 or 2.10 a median of |difference| would give.
  for (double sd : {1.2, 1.5, 1.8}) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> n01(0, 1);
    std::vector<CurvePoint> pts;
    for (int e = 1; e <= 400; ++e) {
      const double level = 15 + 2 * n01(rng);
      for (int s = 1; s <= 10; ++s) pts.push_back({e, s, std::round(level + sd * n01(rng))});
    }
    auto c = FitWithinPair("wai_sr.bond", pts, Config::Defaults());
    ASSERT_TRUE(c.has_value());
    ASSERT_TRUE(c->available) << c->reason;
    // Rounding adds 1/12 to the variance of each score.
    EXPECT_NEAR(std::sqrt(c->sigma2), std::sqrt(sd * sd + 1.0 / 12.0), 0.06) << "sd " << sd;
  }
}

TEST(Aggregates, WilsonInterval) {
  // Wilson 95% for 5/10: (0.2366, 0.7634); 0/20: (0, 0.1611).
  Rate r = Wilson(5, 10);
  EXPECT_NEAR(r.low, 0.2366, 1e-4);
  EXPECT_NEAR(r.high, 0.7634, 1e-4);
  r = Wilson(0, 20);
  EXPECT_NEAR(r.low, 0.0, 1e-12);
  EXPECT_NEAR(r.high, 0.1611, 1e-4);
  r = Wilson(0, 0);
  EXPECT_EQ(r.high, 1.0);
}

TEST(Aggregates, RatesAndCaseMix) {
  std::vector<EpisodeSummary> eps;
  // Therapist 1: severe intakes, all reliably improve and recover; therapist 2: mild, none improve.
  for (int k = 0; k < 12; ++k) {
    std::vector<Observation> obs = {Phq(1, 20 + k % 3), Phq(2, 5), Wai(1, 50), Wai(2, 50)};
    auto a = AssessEpisode(obs, Cat(), {}, Config::Defaults());
    ASSERT_TRUE(a.has_value());
    eps.push_back(Summarise(k + 1, 1, obs, *a, Cat(), Config::Defaults()));
  }
  for (int k = 0; k < 8; ++k) {
    std::vector<Observation> obs = {Phq(1, 11 + k % 2), Phq(2, 11), Wai(1, 40), Wai(2, 30)};
    auto a = AssessEpisode(obs, Cat(), {}, Config::Defaults());
    eps.push_back(Summarise(100 + k, 2, obs, *a, Cat(), Config::Defaults()));
  }
  Report r = Aggregate(eps);
  EXPECT_EQ(r.organisation.episodes, 20u);
  EXPECT_EQ(r.organisation.reliable_improvement.events, 12u);
  EXPECT_EQ(r.organisation.recovery.n, 20u);  // all cases at intake (>= 10)
  EXPECT_EQ(r.organisation.recovery.events, 12u);
  ASSERT_EQ(r.therapists.size(), 2u);
  EXPECT_NEAR(*r.therapists[0].mean_alliance, 50, 1e-12);
  EXPECT_NEAR(r.therapists[1].ruptures_per_episode, 1.0, 1e-12);  // 40 -> 30 is a rupture
  EXPECT_NEAR(r.organisation.ruptures_per_episode, 8.0 / 20, 1e-12);
  // Each of those ruptures is at the episode's last observation: not decided yet, so counted in
  // neither share (they were shown as 0% repaired of 8).
  EXPECT_EQ(r.therapists[1].ruptures_undecided, 8u);
  EXPECT_EQ(r.therapists[1].repair.n, 0u);
  // Decided ones: repaired, and unrepaired once the window runs out.
  std::vector<EpisodeSummary> decided;
  for (int k = 0; k < 2; ++k) {
    // Back to the level at once (repaired), or a point under it for the whole window (unrepaired).
    std::vector<Observation> obs = {Wai(1, 50), Wai(2, 50), Wai(3, 30)};
    for (int j = 4; j <= 7; ++j) obs.push_back(Wai(j, k == 0 ? 50 : 49));
    auto a = AssessEpisode(obs, Cat(), {}, Config::Defaults());
    ASSERT_TRUE(a.has_value());
    decided.push_back(Summarise(200 + k, 3, obs, *a, Cat(), Config::Defaults()));
  }
  Report d = Aggregate(decided);
  EXPECT_EQ(d.organisation.ruptures_undecided, 0u);
  EXPECT_EQ(d.organisation.repair.n, 2u);
  EXPECT_EQ(d.organisation.repair.events, 1u);
  // Intake explains everything here, so adjusted rates move towards the organisation's.
  ASSERT_TRUE(r.therapists[0].reliable_improvement.adjusted.has_value());
  EXPECT_LT(*r.therapists[0].reliable_improvement.adjusted, 1.0);
  EXPECT_GT(*r.therapists[1].reliable_improvement.adjusted, 0.0);
  EXPECT_NE(r.adjustment.find("indirect"), std::string::npos);
}

// A PHQ-9 episode from intake to last: reliably improved when last is lower, else unchanged.
EpisodeSummary PhqEpisode(Id id, Id therapist, double intake, double last) {
  EpisodeSummary e;
  e.episode = id;
  e.therapist = therapist;
  e.outcome_key = "phq9.total";
  e.intake = intake;
  e.last = last;
  Change c;
  c.before = intake;
  c.after = last;
  c.change = last - intake;
  c.reliable = last < intake;
  c.improved = last < intake;
  e.change = c;
  return e;
}

TEST(Aggregates, NoRecoveriesIsNeverAdjustedAboveTheOrganisation) {
  // Therapist 1: intakes 13-27, recovering from 20 up; therapist 2: mild intakes 10-12, none
  // recover. A straight line through recovery on intake predicts below 0 at the mildest intakes;
  // unclamped, those negative expectations made therapist 2's 0 of 9 look better than average.
  std::vector<EpisodeSummary> eps;
  auto add = [&](Id id, Id therapist, double intake, bool recovered) {
    EpisodeSummary e = PhqEpisode(id, therapist, intake, recovered ? 5.0 : intake);
    e.case_at_intake = true;
    e.case_at_end = !recovered;
    eps.push_back(e);
  };
  for (int k = 0; k < 15; ++k) add(k + 1, 1, 13 + k, 13 + k >= 20);
  for (int k = 0; k < 9; ++k) add(100 + k, 2, 10 + k % 3, false);
  Report r = Aggregate(eps);
  ASSERT_EQ(r.therapists.size(), 2u);
  const Rate& recovery = r.therapists[1].recovery;
  EXPECT_EQ(recovery.events, 0u);
  EXPECT_EQ(recovery.n, 9u);
  ASSERT_TRUE(recovery.adjusted.has_value());
  EXPECT_LE(*recovery.adjusted, r.organisation.recovery.rate);
  EXPECT_GE(*recovery.adjusted, 0.0);
  EXPECT_NE(r.adjustment.find("clamped to [0, 1]"), std::string::npos) << r.adjustment;
}

TEST(Aggregates, AClampedAdjustedRateKeepsItsUnclampedValue) {
  // Therapist 1: 10 severe intakes (20-24), all reliably improve; therapist 2: 5 severe intakes,
  // none improve; therapist 3: 10 mild intakes (10-14), none improve. Organisation rate 10/25 = .4;
  // a severe episode is expected to improve with chance about 10/15 = .667, so therapist 2's
  // adjusted rate is .4 + (0 - .667) = -.267: shown as 0, with the value before the clamp kept
  // (it used to be a bare 0.0, indistinguishable from "as expected at a rate of 0").
  std::vector<EpisodeSummary> eps;
  auto add = [&](Id id, Id therapist, double intake, bool improved) {
    eps.push_back(PhqEpisode(id, therapist, intake, improved ? intake - 10 : intake));
  };
  for (int k = 0; k < 10; ++k) add(k + 1, 1, 20 + k % 5, true);
  for (int k = 0; k < 5; ++k) add(100 + k, 2, 20 + k % 5, false);
  for (int k = 0; k < 10; ++k) add(200 + k, 3, 10 + k % 5, false);
  Report r = Aggregate(eps);
  ASSERT_EQ(r.therapists.size(), 3u);
  const Rate& t2 = r.therapists[1].reliable_improvement;
  ASSERT_TRUE(t2.adjusted && t2.adjusted_unclamped);
  EXPECT_EQ(*t2.adjusted, 0.0);
  EXPECT_NEAR(*t2.adjusted_unclamped, 0.4 - 10.0 / 15, 0.05);
  EXPECT_TRUE(t2.AdjustedClamped());
  const Rate& t1 = r.therapists[0].reliable_improvement;
  ASSERT_TRUE(t1.adjusted && t1.adjusted_unclamped);
  EXPECT_FALSE(t1.AdjustedClamped());
  EXPECT_EQ(*t1.adjusted, *t1.adjusted_unclamped);
  const auto j = ToJson(r);
  EXPECT_EQ(j["therapists"][1]["reliable_improvement"]["adjusted_clamped"], true);
  EXPECT_LT(j["therapists"][1]["reliable_improvement"]["adjusted_unclamped"].get<double>(), 0.0);
  EXPECT_EQ(j["therapists"][0]["reliable_improvement"]["adjusted_clamped"], false);
  EXPECT_NE(r.adjustment.find("unclamped value is given beside it"), std::string::npos) << r.adjustment;
}

}  // namespace
}  // namespace attune::monitor
