// End-to-end tests of `attune trial` (docs/trial.md, docs/cli.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "cli/run.hpp"

namespace attune::testing {
namespace {

TEST(TrialCli, SimulatePrintsCoverageAndFalsePositiveRate) {
  auto r = RunAttune({"trial", "simulate", "--sims", "3", "--therapists", "12", "--clients-per-therapist", "8",
                      "--effect", "0.3", "--seed", "5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("coverage"));
  EXPECT_TRUE(j.contains("coverage_mcse"));
  EXPECT_TRUE(j.contains("false_positive_rate"));
  EXPECT_TRUE(j.contains("false_positive_rate_mcse"));
  EXPECT_EQ(j["sims"], 3);
  // Same seed, same figures.
  auto again = RunAttune({"trial", "simulate", "--sims", "3", "--therapists", "12", "--clients-per-therapist", "8",
                          "--effect", "0.3", "--seed", "5", "--json"});
  EXPECT_EQ(again.out, r.out);
}

TEST(TrialCli, PowerAndRefusals) {
  auto r = RunAttune({"trial", "power", "--therapists", "12", "--clients-per-therapist", "8", "--effect", "0.5",
                      "--icc", "0.1", "--sims", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out).contains("power"));

  auto bad = RunAttune({"trial", "power", "--therapists", "2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--therapists is \"2\"; expected a whole number from 4 to 100000"), std::string::npos)
      << bad.err;
  bad = RunAttune({"trial", "simulate", "--icc", "1.5", "--sims", "2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--icc is \"1.5\"; expected a number from 0 to 0.9"), std::string::npos) << bad.err;
  bad = RunAttune({"trial", "simulate", "--design", "crossover", "--sims", "2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("\"crossover\""), std::string::npos) << bad.err;
  bad = RunAttune({"trial", "simulate", "--sims", "0"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("sims: 0"), std::string::npos) << bad.err;
  for (const char* command : {"power", "simulate"}) {
    bad = RunAttune({"trial", command, "--sims", "2", "--design", "stepped-wedge", "--steps", "1"});
    EXPECT_EQ(bad.exit_code, 2) << command;
    EXPECT_NE(bad.err.find("steps: 1 for a stepped wedge; expected at least 2"), std::string::npos) << bad.err;
    EXPECT_TRUE(bad.out.empty()) << bad.out;
    // Every fit failing is a failed operation (exit 1), not power 0.
    bad = RunAttune({"trial", command, "--sims", "3", "--therapists", "4", "--clients-per-therapist", "2"});
    EXPECT_EQ(bad.exit_code, 1) << command;
    EXPECT_NE(bad.err.find("simulated trials"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("could be analysed (4 therapists x 2 clients, parallel)"), std::string::npos) << bad.err;
    EXPECT_TRUE(bad.out.empty()) << bad.out;
  }
}

TEST(TrialCli, CreateOverADatabaseConcealsAndRegisters) {
  const std::string dir = TempDir("trial_cli_create");
  const std::string db = dir + "/clinic.db";
  auto sim = RunAttune({"sim", "clinic", "--therapists", "12", "--clients", "60", "--sessions", "4", "--seed", "3",
                        "--db", db});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  auto r = RunAttune({"trial", "create", "--db", db, "--name", "mindful1", "--design", "parallel", "--arms",
                      "training:control", "--strata", "nonjudge", "--seed", "77", "--out-dir", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("12 therapists allocated"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("training"), std::string::npos) << "arms must stay concealed: " << r.out;
  const auto hash_at = r.out.find("(SHA-256): ");
  ASSERT_NE(hash_at, std::string::npos);
  const std::string hash = r.out.substr(hash_at + 11, 64);
  const auto reg = nlohmann::json::parse(ReadFile(dir + "/mindful1.preregistration.json"));
  EXPECT_EQ(reg["allocation_hash"], hash);
  EXPECT_NE(ReadFile(dir + "/mindful1.preregistration.md").find(hash), std::string::npos);

  auto twice = RunAttune({"trial", "create", "--db", db, "--name", "mindful1", "--seed", "1", "--out-dir", dir});
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.err.find("exists already"), std::string::npos) << twice.err;
  auto facet = RunAttune({"trial", "create", "--db", db, "--name", "m2", "--strata", "openness", "--seed", "1"});
  EXPECT_EQ(facet.exit_code, 2);
  EXPECT_NE(facet.err.find("--strata: \"openness\""), std::string::npos) << facet.err;

  // No clients after training yet: the analysis says so instead of printing an empty effect.
  auto a = RunAttune({"trial", "analyse", "--db", db, "--name", "mindful1", "--training-end", "2099-01-01"});
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_NE(a.err.find("untrained"), std::string::npos) << a.err;
  // A stepped wedge needs its period dates: one per step, recorded at creation.
  auto short_schedule = RunAttune({"trial", "create", "--db", db, "--name", "sw0", "--design", "stepped-wedge",
                                   "--steps", "3", "--seed", "5", "--period-starts", "2099-01-04", "--out-dir", dir});
  EXPECT_EQ(short_schedule.exit_code, 2);
  EXPECT_NE(short_schedule.err.find("period_starts: 1 dates; expected 3"), std::string::npos) << short_schedule.err;
  auto unscheduled = RunAttune({"trial", "create", "--db", db, "--name", "sw1", "--design", "stepped-wedge",
                                "--seed", "5", "--out-dir", dir});
  ASSERT_EQ(unscheduled.exit_code, 0) << unscheduled.err;
  auto no_dates = RunAttune({"trial", "analyse", "--db", db, "--name", "sw1"});
  EXPECT_EQ(no_dates.exit_code, 2);
  EXPECT_NE(no_dates.err.find("needs its period dates"), std::string::npos) << no_dates.err;
  auto missing = RunAttune({"trial", "analyse", "--db", db, "--name", "nope", "--training-end", "2099-01-01"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no trial \"nope\""), std::string::npos) << missing.err;
  std::filesystem::remove_all(dir);
}

// The whole workflow on a database: a simulated clinic that ran the trial (allocation recorded in
// the audit log with its schedule, training logs, FFMQ at baseline/post/follow-up, clients' sessions
// in every period), then `trial analyse` recovers the planted effect's sign and rough size.
nlohmann::json RunTrialWorkflow(const std::string& name, const std::string& design, const std::string& seed,
                                std::vector<std::string> extra = {},
                                const std::function<void(const std::string& db)>& more = {}) {
  const std::string dir = TempDir("trial_cli_" + name);
  const std::string db = dir + "/clinic.db";
  std::vector<std::string> args = {"sim", "clinic", "--therapists", "24", "--clients", "240", "--sessions", "6",
                                   "--seed", seed, "--db", db, "--trial", name, "--design", design,
                                   "--training-effect", "0.8"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto sim = RunAttune(args);
  EXPECT_EQ(sim.exit_code, 0) << sim.err;
  EXPECT_NE(sim.out.find("allocation recorded"), std::string::npos) << sim.out;
  // The pre-registration is written beside the database and publishes the recorded hash.
  const auto reg = nlohmann::json::parse(ReadFile(dir + "/" + name + ".preregistration.json"));
  EXPECT_NE(sim.out.find(reg["allocation_hash"].get<std::string>()), std::string::npos) << sim.out;
  EXPECT_NE(ReadFile(dir + "/" + name + ".preregistration.md").find(reg["allocation_hash"].get<std::string>()),
            std::string::npos);
  auto text = RunAttune({"trial", "analyse", "--db", db, "--name", name, "--resamples", "200"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("allocation hash " + reg["allocation_hash"].get<std::string>() + " verified"),
            std::string::npos)
      << text.out;
  auto r = RunAttune({"trial", "analyse", "--db", db, "--name", name, "--resamples", "200", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (more) more(db);
  std::filesystem::remove_all(dir);
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

// An analysis run with dates other than the registered ones says so, in the text and the JSON
// (it used to change the periods silently).
void CheckDateOverrideIsDisclosed(const std::string& db) {
  auto plain = RunAttune({"trial", "analyse", "--db", db, "--name", "par", "--resamples", "0", "--json"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const auto registered = nlohmann::json::parse(plain.out)["dates"];
  EXPECT_FALSE(registered["departs_from_registration"].get<bool>()) << registered.dump();
  EXPECT_EQ(registered["used"], registered["registered"]) << registered.dump();
  const std::string allocated_on = registered["allocated_on"];
  const std::string training_end = registered["registered"]["period_starts"][0];
  ASSERT_NE(allocated_on, training_end);
  // Training "ended" on the allocation day: a legal override, but not the plan.
  auto moved = RunAttune({"trial", "analyse", "--db", db, "--name", "par", "--resamples", "0", "--training-end",
                          allocated_on, "--json"});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  const auto j = nlohmann::json::parse(moved.out);
  EXPECT_TRUE(j["dates"]["departs_from_registration"].get<bool>()) << j["dates"].dump();
  EXPECT_EQ(j["dates"]["used"]["period_starts"][0], allocated_on);
  EXPECT_EQ(j["dates"]["registered"]["period_starts"][0], training_end);
  ASSERT_FALSE(j["notes"].empty());
  EXPECT_EQ(j["notes"][0].get<std::string>(),
            "dates: --training-end " + allocated_on + " instead of the registered " + training_end +
                "; this analysis departs from the pre-registered schedule");
  auto text = RunAttune({"trial", "analyse", "--db", db, "--name", "par", "--resamples", "0", "--training-end",
                         allocated_on});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("dates used: allocation " + allocated_on + ", period 1 from " + allocated_on),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("NOT the registered dates (registered: period 1 from " + training_end), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("note: dates: --training-end"), std::string::npos) << text.out;
}

TEST(TrialCli, ParallelTrialFromADatabaseRecoversThePlantedEffect) {
  const auto j = RunTrialWorkflow("par", "parallel", "21", {}, CheckDateOverrideIsDisclosed);
  ASSERT_TRUE(j.contains("alliance")) << j.dump();
  // CONSORT: every therapist allocated, the training arm trained (logs), FFMQ at every occasion.
  int allocated = 0;
  for (const auto& arm : j["consort"]) {
    allocated += arm["therapists_allocated"].get<int>();
    EXPECT_EQ(arm["baseline_measured"], arm["therapists_allocated"]);
    EXPECT_EQ(arm["post_measured"], arm["therapists_allocated"]);
    EXPECT_EQ(arm["followup_measured"], arm["therapists_allocated"]);
    EXPECT_GT(arm["clients_analysed"].get<int>(), 100);
    if (arm["arm"] == "training") {
      EXPECT_EQ(arm["received_training"], arm["therapists_allocated"]);
    } else {
      EXPECT_EQ(arm["received_training"], 0);
    }
  }
  EXPECT_EQ(allocated, 24);
  // Alliance: planted 0.8 SD of the latent alliance; the observed (standardised mean of session
  // ratings) effect is smaller but clearly positive.
  const auto& a = j["alliance"]["effect"];
  EXPECT_GT(a["estimate"].get<double>(), 0.2) << j["alliance"].dump();
  EXPECT_LT(a["estimate"].get<double>(), 1.2) << j["alliance"].dump();
  EXPECT_GT(a["ci_low"].get<double>(), 0.0) << j["alliance"].dump();
  EXPECT_NE(j["alliance"]["formula"].get<std::string>().find("trained"), std::string::npos);
  // Outcome change: better alliance, more improvement (negative = improvement).
  ASSERT_TRUE(j.contains("outcome_change"));
  EXPECT_LT(j["outcome_change"]["effect"]["estimate"].get<double>(), 0.1) << j["outcome_change"].dump();
  // Facets at post: training raised the nonjudge facet (ANCOVA on baseline).
  bool nonjudge = false;
  for (const auto& f : j["facets"]) {
    if (f["facet"] == "nonjudge" && f["occasion"] == "post") {
      nonjudge = true;
      EXPECT_GT(f["effect"]["estimate"].get<double>(), 0.0) << f.dump();
    }
  }
  EXPECT_TRUE(nonjudge) << j["facets"].dump();
  // Mediation: training raised the facets (a > 0).
  ASSERT_TRUE(j["mediation"].is_object()) << j.dump();
  EXPECT_GT(j["mediation"]["a"].get<double>(), 0.0) << j["mediation"].dump();
  // Every therapist CONSORT counts but an analysis leaves out is accounted for in notes (an FFMQ
  // returned with an item skipped leaves that facet unscored), so the numbers reconcile.
  std::string notes;
  for (const auto& n : j["notes"]) notes += n.get<std::string>() + "\n";
  for (const auto& f : j["facets"]) {
    const int n = f["n"];
    if (n == allocated) continue;
    const std::string occasion = f["occasion"];
    EXPECT_NE(notes.find("facets at " + occasion + ": " + std::to_string(allocated) + " therapists returned"),
              std::string::npos)
        << notes;
    EXPECT_NE(notes.find(f["facet"].get<std::string>() + " " + std::to_string(allocated - n)), std::string::npos)
        << f.dump() << "\n" << notes;
  }
  EXPECT_NE(notes.find("one skipped item leaves it unscored"), std::string::npos) << notes;
  const int mediated = j["mediation"]["therapists"];
  if (mediated < allocated) {
    EXPECT_NE(notes.find("mediation: " + std::to_string(mediated) + " of " + std::to_string(allocated)),
              std::string::npos)
        << notes;
  }
}

TEST(TrialCli, SteppedWedgeTrialFromADatabase) {
  const auto j = RunTrialWorkflow("sw", "stepped-wedge", "22", {"--steps", "3", "--trial-clients", "120"});
  ASSERT_TRUE(j.contains("alliance")) << j.dump();
  int allocated = 0;
  for (const auto& step : j["consort"]) {
    allocated += step["therapists_allocated"].get<int>();
    EXPECT_EQ(step["received_training"], step["therapists_allocated"]);  // everyone is trained in a stepped wedge
  }
  EXPECT_EQ(allocated, 24);
  EXPECT_EQ(j["consort"].size(), 3u);
  const auto& a = j["alliance"]["effect"];
  EXPECT_GT(a["estimate"].get<double>(), 0.2) << j["alliance"].dump();
  EXPECT_LT(a["estimate"].get<double>(), 1.2) << j["alliance"].dump();
  EXPECT_NE(j["alliance"]["formula"].get<std::string>().find("period"), std::string::npos);
}

TEST(TrialCli, NothingIsRecordedWhenTheFilesCannotBeWritten) {
  const std::string dir = TempDir("trial_cli_outdir");
  const std::string db = dir + "/tr.db";
  ASSERT_EQ(RunAttune({"sim", "clinic", "--therapists", "4", "--clients", "10", "--sessions", "3", "--seed", "2",
                       "--db", db})
                .exit_code,
            0);
  auto bad = RunAttune({"trial", "create", "--db", db, "--name", "TD", "--seed", "7", "--out-dir", "/proc/nope"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--out-dir"), std::string::npos) << bad.err;
  // A folder that does not exist (a typo) is refused, not created, and nothing is recorded.
  const std::string typo = dir + "/no-such/folder";
  bad = RunAttune({"trial", "create", "--db", db, "--name", "TD", "--seed", "7", "--out-dir", typo});
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.err.find("--out-dir is \"" + typo + "\"; expected an existing folder (nothing was recorded)"),
            std::string::npos)
      << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/no-such"));
  // The name is still free.
  auto good = RunAttune({"trial", "create", "--db", db, "--name", "TD", "--seed", "7", "--out-dir", dir});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("audit entry"), std::string::npos);
  // Follow-up cannot start before training ends.
  auto a = RunAttune({"trial", "analyse", "--db", db, "--name", "TD", "--training-end", "2099-12-01",
                      "--followup-from", "2099-06-01"});
  EXPECT_EQ(a.exit_code, 2) << a.err;
  EXPECT_NE(a.err.find("--followup-from: 2099-06-01 is before training ends (2099-12-01)"), std::string::npos)
      << a.err;
}

}  // namespace
}  // namespace attune::testing
