// End-to-end: every numeric option refuses what is not a number of its kind before any command
// runs (src/cli/options.cpp; docs/cli.md "Exit codes").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/run.hpp"

namespace attune::testing {
namespace {

// Runs `args`, expects exit 2 and an error naming `needle` (the option, value and expectation).
void ExpectRefused(const std::vector<std::string>& args, const std::string& needle) {
  auto r = RunAttune(args);
  std::string cmd;
  for (const auto& a : args) cmd += a + " ";
  EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << cmd << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("attune: ", 0), 0u) << r.err;
}

TEST(OptionsCli, NegativeWholeNumbersAreRefusedNotWrapped) {
  const std::string whole = "expected a whole number (0 or more)";
  ExpectRefused({"match", "rank", "--db", "c.db", "--client", "26", "--top", "-3"}, "--top is \"-3\"; " + whole);
  ExpectRefused({"match", "assign", "--db", "m.db", "--candidates", "-1"}, "--candidates is \"-1\"");
  ExpectRefused({"analyze", "regress", "--cor-matrix", "cm.csv", "--n", "-5", "--y", "y", "--x", "a"},
                "--n is \"-5\"; " + whole);
  ExpectRefused({"analyze", "replicate", "--cor-matrix", "cm.csv", "--n", "-1", "--alliance", "y", "--facets", "a"},
                "--n is \"-1\"");
  ExpectRefused({"sim", "clinic", "--seed", "-1", "--csv-dir", "x"}, "--seed is \"-1\"");
  ExpectRefused({"analyze", "mediate", "--csv", "x.csv", "--x", "a", "--m", "b", "--y", "c", "--seed", "-1"},
                "--seed is \"-1\"");
  ExpectRefused({"trial", "create", "--db", "t.db", "--name", "T", "--seed", "-1"}, "--seed is \"-1\"");
  ExpectRefused({"sim", "clinic", "--trial-clients", "-3", "--csv-dir", "x"}, "--trial-clients is \"-3\"");
  ExpectRefused({"match", "evaluate", "--waitlist", "-1"}, "--waitlist is \"-1\"");
  ExpectRefused({"match", "evaluate", "--candidates", "-1"}, "--candidates is \"-1\"");
  ExpectRefused({"audit", "verify", "--db", "c.db", "--org", "-1"}, "--org is \"-1\"");
  ExpectRefused({"org", "show", "--db", "c.db", "--org", "0"}, "--org is \"0\"; expected a whole number of at least 1");
}

TEST(OptionsCli, EmptyAndMalformedNumbersNameTheOptionAndValue) {
  ExpectRefused({"change", "core10", "--before", "", "--after", "8"}, "--before is \"\"; expected a number");
  ExpectRefused({"change", "core10", "--before", "abc", "--after", "8"}, "attune: --before is \"abc\"; expected a number");
  ExpectRefused({"sim", "clinic", "--therapists", "", "--csv-dir", "x"}, "--therapists is \"\"");
  ExpectRefused({"monitor", "settings", "--db", "f.db", "--rupture-z", ""}, "--rupture-z is \"\"");
}

// strtod read "0x10" as 16 and "+12" as 12; a numeric option takes a plain decimal number, as
// `score --answers` does.
TEST(OptionsCli, HexadecimalAndSignedNumbersAreRefused) {
  for (const char* v : {"0x10", "0x1p3", "0X0A", "+12", " 12", "12 ", "1e400"}) {
    ExpectRefused({"change", "core10", "--before", v, "--after", "8"},
                  std::string("attune: --before is \"") + v + "\"; expected a number (decimal, such as 12 or -0.5)");
  }
  ExpectRefused({"monitor", "evaluate", "--rupture-z", "0x2"}, "--rupture-z is \"0x2\"");
  for (const char* v : {"16", "7.5", "1e1", ".5"}) {
    auto r = RunAttune({"change", "core10", "--before", v, "--after", "8"});
    EXPECT_EQ(r.exit_code, 0) << v << "\n" << r.err;
  }
}

TEST(OptionsCli, NanAndInfinityAreRefused) {
  for (const char* v : {"nan", "NaN", "inf", "-inf"}) {
    ExpectRefused({"monitor", "settings", "--db", "f.db", "--not-on-track-z", v},
                  std::string("--not-on-track-z is \"") + v + "\"; expected a number");
    ExpectRefused({"monitor", "settings", "--db", "f.db", "--rupture-z", v}, "--rupture-z is");
  }
  ExpectRefused({"monitor", "evaluate", "--rupture-z", "nan"}, "--rupture-z is \"nan\"");
  ExpectRefused({"monitor", "evaluate", "--floor-sensitivity", "nan"}, "--floor-sensitivity is \"nan\"");
  ExpectRefused({"monitor", "evaluate", "--floor-sensitivity", "2"},
                "--floor-sensitivity is \"2\"; expected a number from 0 to 1");
}

TEST(OptionsCli, ParseErrorsReadLikeTheRest) {
  auto r = RunAttune({"export", "responses", "--db", "f.db", "--salt", "a-key-of-16-chars"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("attune: --salt requires --deidentify"), std::string::npos) << r.err;
  ExpectRefused({"monitor", "ack", "4", "--note", "x", "--db", "f.db", "--actor", ""},
                "--actor is \"\"; expected a value that is not blank");
  ExpectRefused({"monitor", "ack", "4", "--note", "   ", "--db", "f.db"}, "--note is \"   \"");
  ExpectRefused({"monitor", "resolve", "4", "--note", " ", "--db", "f.db"}, "--note is \" \"");
  ExpectRefused({"db", "init", "--db", "f.db", "--org", ""}, "--org is \"\"");
}

// Choices and ranges read like the rest (they were CLI11's "--format: xml not in {csv,json}" and
// "--threads: Value -1 not in range 1 to 1024", or a module's field name instead of the option).
TEST(OptionsCli, ChoicesAndRangesNameTheOptionValueAndExpectation) {
  ExpectRefused({"serve", "--db", "s.db", "--threads", "-1"},
                "attune: --threads is \"-1\"; expected a whole number from 1 to 1024");
  ExpectRefused({"export", "responses", "--db", "e.db", "--format", "xml"},
                "attune: --format is \"xml\"; expected one of csv, json");
  ExpectRefused({"user", "add", "--db", "u.db", "--handle", "n", "--role", "boss"},
                "--role is \"boss\"; expected one of admin, coordinator, therapist, researcher, client");
  ExpectRefused({"org", "set", "--db", "o.db", "--client-choice", "maybe"},
                "--client-choice is \"maybe\"; expected one of on, off");
  ExpectRefused({"--use", "personal", "instruments", "list"},
                "--use is \"personal\"; expected one of clinical, research, commercial");
  ExpectRefused({"analyze", "correlate", "--csv", "x.csv", "--method", "kendall"},
                "--method is \"kendall\"; expected one of pearson, spearman");
  ExpectRefused({"trial", "create", "--db", "t.db", "--name", "T", "--seed", "1", "--design", "crossover"},
                "attune: --design is \"crossover\"; expected one of parallel, stepped-wedge");
  ExpectRefused({"trial", "power", "--therapists", "2"},
                "attune: --therapists is \"2\"; expected a whole number from 4 to 100000");
  ExpectRefused({"trial", "analyse", "--db", "t.db", "--name", "T", "--resamples", "1"},
                "attune: --resamples is \"1\"; expected 0 (no mediation) or at least 100");
  ExpectRefused({"analyze", "mediate", "--csv", "x.csv", "--x", "a", "--m", "b", "--y", "c", "--level", "1.5"},
                "attune: --level is \"1.5\"; expected a number greater than 0 and less than 1");
}

// The probe: a blank --salt was taken (pseudonyms keyed by a known empty key are reversible); a
// salt has at least 16 characters.
TEST(OptionsCli, ABlankOrShortSaltIsRefused) {
  for (const std::string salt : {"", "   ", "short-salt"}) {
    ExpectRefused({"export", "responses", "--db", "f.db", "--deidentify", "--salt", salt},
                  "--salt is \"" + salt + "\"; expected a secret key (a blank or short key makes the pseudonyms "
                  "reversible), at least 16 characters");
  }
}

// The probe: --usual-runs 0 reported a gain over no baseline.
TEST(OptionsCli, UsualRunsStartsAtOne) {
  ExpectRefused({"match", "evaluate", "--usual-runs", "0"}, "--usual-runs is \"0\"; expected a whole number of at least 1");
}

// The probe: options a command would not read were silently ignored.
TEST(OptionsCli, AnOptionWithoutTheOneItNeedsIsRefused) {
  ExpectRefused({"match", "assign", "--db", "f.db", "--started-on", "2026-11-01"}, "--started-on requires --commit");
}

// The probe: a blank --note was stored by episode open and end; monitor ack refused it already.
TEST(OptionsCli, ABlankEpisodeNoteIsRefused) {
  ExpectRefused({"episode", "open", "--db", "f.db", "--client", "1", "--therapist", "1", "--note", "  "},
                "--note is \"  \"; expected a value that is not blank");
  ExpectRefused({"episode", "end", "3", "--db", "f.db", "--note", " \t"}, "--note is \" \t\"");
}

// The probe's messages that named neither the word nor the fault.
TEST(OptionsCli, MessagesNameWhatWasWrong) {
  ExpectRefused({"foo"}, "unknown command \"foo\"; expected one of ");
  ExpectRefused({"export", "foo"}, "unknown export command \"foo\"; expected one of responses, scores");
  ExpectRefused({"db", "status"}, "--db FILE or --pg URL is required");
  ExpectRefused({"sim", "clinic", "--therapists", "99999999999999999999"},
                "--therapists is \"99999999999999999999\"; too large: expected a whole number of at most 2147483647");
  ExpectRefused({"sim", "clinic", "--seed", "99999999999999999999"},
                "--seed is \"99999999999999999999\"; too large: expected a whole number of at most 9223372036854775807");
  ExpectRefused({"sim", "clinic", "--therapists", "99999999999"},
                "--therapists is \"99999999999\"; too large: expected a whole number of at most 2147483647");
  const std::string dir = TempDir("options-messages");
  WriteFile(dir + "/file", "x");
  ExpectRefused({"--instruments-dir", dir + "/file", "instruments", "list"},
                "\"" + dir + "/file\" is not a directory; expected a folder of instrument definitions");
  ExpectRefused({"import", "therapists", dir, "--db", dir + "/none.db"},
                "file: \"" + dir + "\" is a directory; expected a CSV file");
  ExpectRefused({"score", "gad7", "--csv", dir}, "--csv: \"" + dir + "\" is a directory; expected a CSV file");
  // An overlay was read as JSON: a directory failed as a parse error, a missing file said only
  // "cannot open file" (docs/cli.md: "saying which").
  ExpectRefused({"--overlay", dir, "instruments", "list"},
                "--overlay: \"" + dir + "\" is a directory; expected an overlay file (JSON; docs/instruments.md)");
  ExpectRefused({"--overlay", dir + "/nosuch.json", "instruments", "list"},
                "--overlay: \"" + dir + "/nosuch.json\" does not exist; expected an overlay file (JSON; "
                "docs/instruments.md)");
}

}  // namespace
}  // namespace attune::testing
