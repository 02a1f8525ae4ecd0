// Runs every test/golden/instruments/<id>/*.case: input answers, then the expected rendering after "----".
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "attune/instruments/instruments.hpp"

namespace attune::instruments {
namespace {

namespace fs = std::filesystem;

struct GoldenCase {
  std::string path;
  std::string instrument;
  std::string answers;
  std::string expected;
};

// Names the case file in failure messages instead of dumping bytes.
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.path; }

std::string GoldenDir() { return std::string(ATTUNE_SOURCE_DIR) + "/test/golden/instruments"; }

std::vector<GoldenCase> LoadCases() {
  std::vector<GoldenCase> cases;
  if (!fs::is_directory(GoldenDir())) return cases;
  for (const auto& entry : fs::recursive_directory_iterator(GoldenDir())) {
    if (entry.path().extension() != ".case") continue;
    std::ifstream in(entry.path());
    GoldenCase c;
    c.path = entry.path().string();
    std::string line;
    bool in_expected = false;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (in_expected) {
        if (!line.empty()) c.expected += line + "\n";
      } else if (line == "----") {
        in_expected = true;
      } else if (line.rfind("instrument: ", 0) == 0) {
        c.instrument = line.substr(12);
      } else if (line.rfind("answers: ", 0) == 0) {
        c.answers = line.substr(9);
      } else if (line.rfind("answers:", 0) == 0) {
        c.answers = line.substr(8);
      }
    }
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return cases;
}

// The canonical rendering the .case files expect (documented in docs/instruments.md).
std::string Render(const Instrument& in, const std::string& answer_text) {
  auto answers = ParseAnswerList(in, answer_text);
  if (!answers) return "error: " + answers.error().message + "\n";
  auto result = Score(in, *answers);
  if (!result) return "error: " + result.error().message + "\n";
  std::string out = std::string("complete: ") + (result->complete ? "true" : "false") + "\n";
  for (const auto& s : result->scales) {
    const Scale& scale = in.scales[s.scale];
    if (!s.score) {
      out += "scale " + scale.id + ": not scorable (answered " + std::to_string(s.answered) + " of " +
             std::to_string(scale.items.size()) + ", needs " + std::to_string(scale.min_answered) + ")\n";
    } else {
      out += "scale " + scale.id + ": " + FormatScore(*s.score) + " (" + (s.band ? s.band->label : "-") + ")\n";
    }
  }
  for (const auto& flag : result->flags) {
    out += "flag: risk " + in.items[flag.item].id + " = " + FormatScore(flag.value) + "\n";
  }
  return out;
}

class InstrumentGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(InstrumentGolden, MatchesExpected) {
  const GoldenCase& c = GetParam();
  static const auto catalogue = Catalogue::LoadDirectory(std::string(ATTUNE_SOURCE_DIR) + "/instruments");
  ASSERT_TRUE(catalogue) << catalogue.error().message;
  auto in = catalogue->Get(c.instrument);
  ASSERT_TRUE(in) << c.path << ": " << in.error().message;
  ASSERT_FALSE(c.expected.empty()) << c.path << ": no expected output after ----";
  EXPECT_EQ(Render(**in, c.answers), c.expected) << c.path;
}

std::string CaseName(const ::testing::TestParamInfo<GoldenCase>& info) {
  fs::path p(info.param.path);
  std::string name = p.parent_path().filename().string() + "_" + p.stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, InstrumentGolden, ::testing::ValuesIn(LoadCases()), CaseName);

TEST(InstrumentGoldenSuite, EveryInstrumentHasCases) {
  auto catalogue = Catalogue::LoadDirectory(std::string(ATTUNE_SOURCE_DIR) + "/instruments");
  ASSERT_TRUE(catalogue) << catalogue.error().message;
  for (const auto& in : catalogue->All()) {
    EXPECT_TRUE(fs::is_directory(GoldenDir() + "/" + in.id)) << "no golden cases for " << in.id;
  }
}

}  // namespace
}  // namespace attune::instruments
