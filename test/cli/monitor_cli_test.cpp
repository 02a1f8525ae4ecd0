// attune monitor end to end (docs/monitor.md): evaluate against a simulated clinic's truth, and
// episode/alerts/fit/report/ack/resolve on a database filled by `attune sim clinic --db`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <vector>

#include "attune/stats/correlation.hpp"
#include "cli/run.hpp"

namespace attune::testing {
namespace {

using nlohmann::json;

TEST(MonitorCli, EvaluateReportsRuptureSensitivityAndSpecificity) {
  auto r = RunAttune({"monitor", "evaluate", "--therapists", "8", "--clients", "120", "--seed", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  const double sens = j.at("rupture_sensitivity").get<double>();
  const double spec = j.at("rupture_specificity").get<double>();
  EXPECT_GT(j.at("rupture_positives").get<int>(), 0);
  EXPECT_GT(sens, 0.3);  // the rules see planted ruptures at all
  EXPECT_LE(sens, 1.0);
  EXPECT_GT(spec, 0.5);
  EXPECT_LE(spec, 1.0);
  EXPECT_EQ(j.at("rupture_sweep").size(), 30u);  // 3 rule sets x 10 values of z
  // The default rules' own row is the headline, labelled with the subscale z it was scored at
  // (it read the Sidak z, 1.916 at z 1.40, while scored at 2.30).
  bool default_row = false;
  for (const auto& row : j.at("rupture_sweep")) {
    if (row.at("rules") != "default" || std::fabs(row.at("z").get<double>() - 1.4) > 1e-9) continue;
    default_row = true;
    EXPECT_DOUBLE_EQ(row.at("subscale_z").get<double>(), j.at("rupture_subscale_z").get<double>());
    EXPECT_DOUBLE_EQ(row.at("sensitivity").get<double>(), sens);
  }
  EXPECT_TRUE(default_row);
  // What the drop from the earlier level can reach with a threshold chosen knowing the truth:
  // on the latent alliance (no measurement error) more than on the observed total.
  const auto& bounds = j.at("rupture_drop_bounds");
  const double observed = bounds.at("observed_total").at("sensitivity_at_specificity_90").get<double>();
  const double latent = bounds.at("latent_alliance").at("sensitivity_at_specificity_90").get<double>();
  EXPECT_GT(observed, 0.3);
  EXPECT_GT(latent, observed);
  EXPECT_LE(latent, 1.0);
  // A wider not-on-track band (larger z) flags no more episodes, of either kind.
  const auto& band = j.at("not_on_track_sweep");
  ASSERT_EQ(band.size(), 5u);
  for (std::size_t i = 1; i < band.size(); ++i) {
    EXPECT_GT(band[i].at("z").get<double>(), band[i - 1].at("z").get<double>());
    EXPECT_LE(band[i].at("flagged").get<int>(), band[i - 1].at("flagged").get<int>());
    EXPECT_LE(band[i].at("improved_flagged_share").get<double>(), band[i - 1].at("improved_flagged_share").get<double>());
  }
  EXPECT_EQ(band[3].at("flagged"), j.at("not_on_track").at("flagged"));  // z 1.2816 is the default
  // Repair verdicts: margin 0 is the default, and a wider margin marks no fewer repaired.
  const auto& repair = j.at("repair_sweep");
  ASSERT_EQ(repair.size(), 5u);
  EXPECT_EQ(repair[0].at("planted_repaired_marked_repaired"), j.at("repair").at("planted_repaired_marked_repaired"));
  EXPECT_GE(repair[4].at("marked_repaired_share").get<double>(), repair[0].at("marked_repaired_share").get<double>());
  // Deterioration flags by latent change cover every scored episode once, and catch the truly
  // worse more often than the truly better.
  const auto& change = j.at("reliable_deterioration").at("by_latent_change");
  const auto& track = j.at("not_on_track");
  EXPECT_EQ(change.at("worse").at("episodes").get<int>() + change.at("unchanged").at("episodes").get<int>() +
                change.at("better").at("episodes").get<int>(),
            track.at("truly_unchanged_or_worse").get<int>() + track.at("improved_episodes").get<int>());
  EXPECT_GT(change.at("worse").at("flagged_share").get<double>(), change.at("better").at("flagged_share").get<double>());
  // Same seed, same figures.
  auto again = RunAttune({"monitor", "evaluate", "--therapists", "8", "--clients", "120", "--seed", "3", "--json"});
  EXPECT_EQ(json::parse(again.out).at("rupture_sensitivity").get<double>(), sens);
  EXPECT_NE(RunAttune({"monitor", "evaluate", "--clients", "0"}).exit_code, 0);
  // A clinic's own thresholds, as `monitor settings` takes them: a stricter z flags fewer
  // sessions (no more detections, no fewer correct rejections); a bad one is refused by name.
  auto strict = RunAttune({"monitor", "evaluate", "--therapists", "8", "--clients", "120", "--seed", "3",
                           "--rupture-z", "2.5", "--rupture-subscale-z", "3.5", "--json"});
  ASSERT_EQ(strict.exit_code, 0) << strict.err;
  auto sj = json::parse(strict.out);
  EXPECT_EQ(sj.at("rupture_z"), 2.5);
  EXPECT_LE(sj.at("rupture_sensitivity").get<double>(), sens);
  EXPECT_GE(sj.at("rupture_specificity").get<double>(), spec);
  auto bad = RunAttune({"monitor", "evaluate", "--rupture-cutoff", "70"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("rupture_cutoff = 70"), std::string::npos) << bad.err;
}

TEST(MonitorCli, EvaluateCatchesDeeperRupturesMoreOften) {
  auto at = [](const char* depth) {
    auto r = RunAttune({"monitor", "evaluate", "--therapists", "8", "--clients", "200", "--seed", "4", "--rupture-depth",
                        depth, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  };
  const json shallow = at("0.8"), deep = at("2.0");
  EXPECT_EQ(deep.at("rupture_depth").get<double>(), 2.0);
  EXPECT_GT(deep.at("rupture_sensitivity").get<double>(), shallow.at("rupture_sensitivity").get<double>() + 0.2);
  // The breakdown covers every positive, in three bands of the planted range.
  const auto& bands = deep.at("rupture_sensitivity_by_depth");
  ASSERT_EQ(bands.size(), 3u);
  EXPECT_DOUBLE_EQ(bands[0].at("depth_from").get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(bands[2].at("depth_to").get<double>(), 2.5);
  int positives = 0, detected = 0;
  for (const auto& b : bands) {
    positives += b.at("positives").get<int>();
    detected += b.at("detected").get<int>();
  }
  EXPECT_EQ(positives, deep.at("rupture_positives").get<int>());
  EXPECT_EQ(detected, deep.at("rupture_detected").get<int>());
  // Out of the simulator's range: refused, naming the parameter, its value and the range.
  auto bad = RunAttune({"monitor", "evaluate", "--rupture-depth", "7"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("rupture_depth"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("7"), std::string::npos) << bad.err;
}

TEST(MonitorCli, ReportFollowsThePlantedTherapistEffects) {
  // 30 therapists x 900 clients (about 30 episodes each): the report's per-therapist mean alliance
  // follows each therapist's planted alliance effect u_t, and the case-mix adjusted reliable
  // improvement rate follows it too (the alliance drives improvement in the simulator).
  const std::string dir = TempDir("monitor-report-truth");
  auto sim = RunAttune({"sim", "clinic", "--therapists", "30", "--clients", "900", "--seed", "11", "--db",
                        dir + "/clinic.sqlite", "--csv-dir", dir + "/csv"});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  auto report = RunAttune({"monitor", "report", "--db", dir + "/clinic.sqlite", "--json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const json truth = json::parse(ReadFile(dir + "/csv/truth.json"));
  std::map<long long, double> effect;
  for (const auto& t : truth.at("therapists")) effect[t.at("therapist_id").get<long long>()] = t.at("alliance_effect");
  std::vector<double> alliance, improvement, planted;
  const json rates = json::parse(report.out);
  for (const auto& t : rates.at("therapists")) {
    if (t.at("mean_alliance").is_null() || t.at("reliable_improvement").at("adjusted").is_null()) continue;
    alliance.push_back(t.at("mean_alliance"));
    improvement.push_back(t.at("reliable_improvement").at("adjusted"));
    planted.push_back(effect.at(t.at("therapist_id").get<long long>()));
  }
  ASSERT_EQ(planted.size(), 30u);
  auto r_alliance_result = stats::Correlate(alliance, planted);
  auto r_improvement_result = stats::Correlate(improvement, planted);
  ASSERT_TRUE(r_alliance_result && r_improvement_result);
  const double r_alliance = r_alliance_result->r, r_improvement = r_improvement_result->r;
  std::cout << "mean alliance vs planted u_t: r = " << r_alliance
            << "; adjusted reliable improvement vs u_t: r = " << r_improvement << "\n";
  EXPECT_GT(r_alliance, 0.7);      // measured .843 (seed 11)
  EXPECT_GT(r_improvement, 0.3);   // measured .547
  std::filesystem::remove_all(dir);
}

TEST(MonitorCli, DatabaseCommands) {
  const std::string dir = TempDir("monitor-cli");
  const std::string db = dir + "/clinic.sqlite";
  auto sim = RunAttune({"sim", "clinic", "--therapists", "4", "--clients", "40", "--seed", "5", "--db", db});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  auto fit = RunAttune({"monitor", "fit", "--db", db, "--json"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  std::size_t within_pair = 0;
  for (const auto& c : json::parse(fit.out)) {
    if (c.at("model") == "within_pair") {
      // Alliance variability needs only two consecutive sessions per episode: 40 clients suffice.
      ++within_pair;
      EXPECT_TRUE(c.at("available").get<bool>()) << c.at("reason");
      EXPECT_GT(c.at("sigma2").get<double>(), 0);
      continue;
    }
    EXPECT_FALSE(c.at("available").get<bool>());  // 40 clients: too little data, and it says so
    EXPECT_NE(c.at("reason").get<std::string>().find("too little data"), std::string::npos);
  }
  EXPECT_EQ(within_pair, 4u);  // WAI-SR goal, task, bond, total
  auto report = RunAttune({"monitor", "report", "--db", db, "--json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  auto rj = json::parse(report.out);
  EXPECT_GT(rj.at("organisation").at("episodes").get<int>(), 0);
  EXPECT_TRUE(rj.at("organisation").contains("reliable_improvement"));
  // --therapist 0 is not "no filter": ids start at 1, as the API's therapist_id (it printed the
  // whole organisation with exit 0).
  for (const char* id : {"0", "-1"}) {
    auto bad = RunAttune({"monitor", "report", "--db", db, "--therapist", id});
    EXPECT_EQ(bad.exit_code, 2) << id << ": " << bad.out;
    EXPECT_NE(bad.err.find(std::string("--therapist is \"") + id + "\"; expected a whole number from 1 to 999999999999"),
              std::string::npos)
        << bad.err;
    EXPECT_TRUE(bad.out.empty()) << bad.out;
  }
  auto one = RunAttune({"monitor", "report", "--db", db, "--therapist", "1", "--json"});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  // A therapist with no episodes yet has a report of none; an unknown id is refused as such (both
  // were "has no episodes in organisation 1", exit 2).
  const std::string csv = dir + "/new_therapist.csv";
  testing::WriteFile(csv, "external_id,display_name,approaches\nNEW1,Dr New,cbt\n");
  ASSERT_EQ(RunAttune({"import", "therapists", csv, "--db", db}).exit_code, 0);
  const std::string fresh = "5";  // after the simulated clinic's 4
  auto none = RunAttune({"monitor", "report", "--db", db, "--therapist", fresh});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("no episodes"), std::string::npos) << none.out;
  auto unknown = RunAttune({"monitor", "report", "--db", db, "--therapist", "999999"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("therapist_id 999999 is not a therapist of organisation 1"), std::string::npos)
      << unknown.err;
  auto episode = RunAttune({"monitor", "episode", "1", "--db", db, "--json"});
  ASSERT_EQ(episode.exit_code, 0) << episode.err;
  EXPECT_FALSE(json::parse(episode.out).at("changes").empty());
  auto alerts = RunAttune({"monitor", "alerts", "--db", db, "--open", "--json"});
  ASSERT_EQ(alerts.exit_code, 0) << alerts.err;
  EXPECT_TRUE(json::parse(alerts.out).is_array());
  auto missing = RunAttune({"monitor", "ack", "999999", "--note", "x", "--db", db});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("alert 999999"), std::string::npos);
  EXPECT_NE(RunAttune({"monitor", "episode", "999999", "--db", db}).exit_code, 0);
}

TEST(MonitorCli, SettingsChangeWhatTheMonitorRaises) {
  const std::string dir = TempDir("monitor-settings");
  const std::string db = dir + "/clinic.sqlite";
  ASSERT_EQ(RunAttune({"sim", "clinic", "--therapists", "4", "--clients", "40", "--seed", "5", "--db", db}).exit_code, 0);
  auto ruptures = [&] {
    auto report = RunAttune({"monitor", "report", "--db", db, "--json"});
    EXPECT_EQ(report.exit_code, 0) << report.err;
    return json::parse(report.out).at("organisation").at("ruptures_per_episode").get<double>();
  };
  const double by_default = ruptures();
  EXPECT_GT(by_default, 0);
  auto shown = RunAttune({"monitor", "settings", "--db", db, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out).at("settings"), json::object());
  // Stricter thresholds and no cutoff rule: fewer ruptures in the same history.
  auto strict = RunAttune({"monitor", "settings", "--db", db, "--rupture-z", "4", "--rupture-subscale-z", "4",
                           "--rupture-size", "0", "--rupture-cutoff", "0", "--json"});
  ASSERT_EQ(strict.exit_code, 0) << strict.err;
  EXPECT_EQ(json::parse(strict.out).at("effective").at("rupture_z"), 4.0);
  EXPECT_LT(ruptures(), by_default);
  // A value out of range names the field and what was expected, and writes nothing.
  auto bad = RunAttune({"monitor", "settings", "--db", db, "--rupture-z", "1.5", "--repair-window", "0"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("repair_window = 0"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("expected a whole number of observations from 1 to 12"), std::string::npos) << bad.err;
  auto unchanged = RunAttune({"monitor", "settings", "--db", db, "--json"});
  EXPECT_EQ(json::parse(unchanged.out).at("settings").at("rupture_z"), 4.0);
  // --default returns each field to Attune's value.
  ASSERT_EQ(RunAttune({"monitor", "settings", "--db", db, "--default", "rupture_z", "--default", "rupture_subscale_z",
                       "--default", "rupture_size", "--default", "rupture_cutoff"})
                .exit_code,
            0);
  EXPECT_DOUBLE_EQ(ruptures(), by_default);
}

TEST(MonitorCli, ANanThresholdIsRefusedAndNothingWritten) {
  const std::string dir = TempDir("monitor-nan");
  const std::string db = dir + "/clinic.sqlite";
  ASSERT_EQ(RunAttune({"db", "init", "--db", db, "--org", "Clinic"}).exit_code, 0);
  ASSERT_EQ(RunAttune({"monitor", "settings", "--db", db, "--not-on-track-z", "2"}).exit_code, 0);
  const auto audit_before = RunAttune({"audit", "verify", "--db", db}).out;
  auto bad = RunAttune({"monitor", "settings", "--db", db, "--not-on-track-z", "nan"});
  EXPECT_EQ(bad.exit_code, 2);
  auto shown = RunAttune({"monitor", "settings", "--db", db, "--json"});
  EXPECT_EQ(json::parse(shown.out).at("settings").at("not_on_track_z"), 2.0);
  EXPECT_EQ(RunAttune({"audit", "verify", "--db", db}).out, audit_before);
  // A field both set and returned to its default is refused; returning an unset field to its
  // default changes nothing and writes no audit entry.
  auto both = RunAttune({"monitor", "settings", "--db", db, "--default", "rupture_z", "--rupture-z", "1.7"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--default rupture_z and --rupture-z 1.7 both given"), std::string::npos) << both.err;
  ASSERT_EQ(RunAttune({"monitor", "settings", "--db", db, "--default", "rupture_z"}).exit_code, 0);
  EXPECT_EQ(RunAttune({"audit", "verify", "--db", db}).out, audit_before);
  auto unknown = RunAttune({"monitor", "settings", "--db", db, "--default", "foo"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("foo is not a setting; expected one of rupture_cutoff"), std::string::npos) << unknown.err;
  // An empty organisation has no episodes: it says so instead of "0.0% [0.0, 100.0] of 0".
  auto report = RunAttune({"monitor", "report", "--db", db});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(report.out.find("of 0"), std::string::npos) << report.out;
}

}  // namespace
}  // namespace attune::testing
