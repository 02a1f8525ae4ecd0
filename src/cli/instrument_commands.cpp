// attune instruments list|show, attune score, attune change (docs/cli.md).
#include <fmt/core.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attune/core/format.hpp"
#include "attune/instruments/batch.hpp"
#include "attune/instruments/instruments.hpp"
#include "attune/instruments/json.hpp"
#include "attune/core/files.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

namespace attune::cli {
namespace {

using instruments::Catalogue;
using instruments::Instrument;
using Json = nlohmann::json;

std::string YesNo(const std::optional<bool>& value) {
  if (!value) return "unknown";
  return *value ? "yes" : "no";
}

void PrintInstrument(const Instrument& in, instruments::Use use) {
  fmt::print("{} {} — {} ({} items, respondent: {})\n", in.id, in.version, in.title, in.items.size(),
             in.respondent == instruments::Respondent::CLIENT ? "client" : "therapist");
  fmt::print("licence: {}; clinical {}, research {}, commercial {}; item text {}\n", in.licence.holder,
             YesNo(in.licence.clinical), YesNo(in.licence.research), YesNo(in.licence.commercial),
             in.licence.item_text_may_ship ? "ships" : "not shipped (neutral labels)");
  fmt::print("administrable for declared use ({}): {}\n", instruments::UseName(use),
             in.licence.For(use).value_or(false) ? "yes" : "no");
  fmt::print("items:\n");
  for (const auto& item : in.items) {
    std::string options;
    if (item.response.IsRange()) {
      options = fmt::format("{}..{}", instruments::FormatScore(item.response.min),
                            instruments::FormatScore(item.response.max));
    } else {
      for (const auto& o : item.response.options) {
        options += (options.empty() ? "" : " ") + instruments::FormatScore(o.value);
      }
    }
    fmt::print("  {:<12} [{}]{}{}{} {}\n", item.id, options, item.reverse ? " reverse" : "",
               item.scored ? "" : " unscored", item.risk ? " RISK" : "", item.text.empty() ? item.label : item.text);
  }
  fmt::print("scales:\n");
  for (const auto& scale : in.scales) {
    fmt::print("  {:<12} {} of {} items, needs {}, range {}..{}, higher is {}\n", scale.id,
               scale.method == instruments::Method::SUM ? "sum" : "mean", scale.items.size(), scale.min_answered,
               instruments::FormatScore(scale.range_min), instruments::FormatScore(scale.range_max),
               scale.direction == instruments::Direction::HIGHER_IS_WORSE ? "worse" : "better");
  }
  fmt::print("citation: {}\nscoring checked against: {}\n", in.citation, in.scoring_source);
}

void PrintScore(const Instrument& in, const instruments::ScoreResult& result) {
  fmt::print("{} {}: {}\n", in.id, in.version, result.complete ? "complete" : "incomplete");
  for (const auto& s : result.scales) {
    const auto& scale = in.scales[s.scale];
    if (!s.score) {
      fmt::print("  {}: not scorable (answered {} of {}, needs {})\n", scale.id, s.answered, scale.items.size(),
                 scale.min_answered);
      continue;
    }
    std::string extra;
    if (s.band) extra += fmt::format(" ({})", s.band->label);
    if (s.prorated) extra += fmt::format(", prorated from {} of {} items", s.answered, scale.items.size());
    if (s.caseness) extra += *s.caseness ? ", caseness: yes" : ", caseness: no";
    fmt::print("  {}: {}{}\n", scale.id, instruments::FormatScore(*s.score), extra);
  }
  for (const auto& flag : result.flags) {
    const auto& item = in.items[flag.item];
    fmt::print("  FLAG risk {} = {} ({})\n", item.id, instruments::FormatScore(flag.value), item.risk->label);
  }
}

std::string JoinIds(const Instrument& in, const std::vector<std::size_t>& items, bool mark_risk) {
  std::string text;
  for (std::size_t i : items) {
    text += (text.empty() ? "" : ", ") + in.items[i].id;
    if (mark_risk && in.items[i].risk) text += " (a risk item)";
  }
  return text;
}

// One line for the scored item columns a CSV header leaves out: they are missing in every row,
// and a risk item among them can raise its flag in no row.
std::string AbsentColumnsWarning(const Instrument& in, const std::vector<std::size_t>& absent,
                                 const std::string& file) {
  std::vector<std::size_t> risky;
  for (std::size_t i : absent) {
    if (in.items[i].risk) risky.push_back(i);
  }
  const bool one = absent.size() == 1;
  std::string text = fmt::format("attune: warning: {}: column{} {} {} absent", file, one ? "" : "s",
                                 JoinIds(in, absent, true), one ? "is" : "are");
  if (!risky.empty()) {
    text += one ? ": no row can raise its risk flag"
                : fmt::format(": no row can raise the risk flag{} of {}", risky.size() == 1 ? "" : "s",
                              JoinIds(in, risky, false));
  }
  return text + fmt::format("; rows are scored without {}", one ? "it" : "them");
}

Result<std::string> ReadAll(const std::string& path) {
  ATTUNE_CHECK(CheckInputFile(path, "--csv", "a CSV file"));
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("--csv: cannot open \"{}\"", path), "csv");
  }
  std::string text;
  char buffer[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("--csv: reading \"{}\" failed", path), "csv");
  return text;
}

Result<instruments::Answers> AnswersFromJson(const Instrument& in, const std::string& text) {
  // A key given twice would silently keep the last value: find it while parsing. Only the top
  // level holds items; a repeat inside a nested value is that value's fault, reported below.
  std::vector<std::set<std::string>> keys;
  std::string repeated;
  std::string last_item;  // the top-level key whose value is being read
  const Json::parser_callback_t note_keys = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !keys.empty()) {
      keys.pop_back();
    } else if (event == Json::parse_event_t::key && keys.size() == 1) {
      last_item = parsed.get<std::string>();
      if (repeated.empty() && !keys.back().insert(last_item).second) repeated = last_item;
    }
    return true;
  };
  Json json;
  try {
    json = Json::parse(text, note_keys);
  } catch (const Json::out_of_range& e) {
    // A number too large for a double (1e400): nlohmann names the token; say whose it is.
    const std::string what = e.what();
    const auto open = what.find('\''), close = what.rfind('\'');
    const std::string token = open < close ? what.substr(open + 1, close - open - 1) : "";
    auto index = in.ItemIndex(last_item);
    if (keys.size() == 1 && index) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("item {}: value {} is out of range for a number; expected {}", last_item, token,
                              instruments::PermittedValues(in.items[*index].response)),
                  last_item);
    }
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("--answers-json: the number {} is out of range; expected a JSON object of item id -> "
                            "number or null",
                            token),
                "answers-json");
  } catch (const Json::exception&) {
    json = Json(Json::value_t::discarded);
  }
  if (!repeated.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("--answers-json: item \"{}\" is given twice; expected each item once", repeated),
                "answers-json");
  }
  if (json.is_discarded() || !json.is_object()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "--answers-json: expected a JSON object of item id -> number or null, e.g. {\"phq9_1\": 2}",
                "answers-json");
  }
  std::map<std::string, std::optional<double>> by_item;
  for (const auto& [key, value] : json.items()) {
    if (!in.ItemIndex(key)) return instruments::AnswersFromMap(in, {{key, std::nullopt}});  // names the unknown key
    if (value.is_null()) {
      by_item[key] = std::nullopt;
    } else if (value.is_number()) {
      by_item[key] = value.get<double>();
    } else {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("item {}: value {} is not a number or null", key, value.dump()), key);
    }
  }
  return instruments::AnswersFromMap(in, by_item);
}

// The catalogue, and the instrument `id` from it when the deployment's declared use permits it.
// The catalogue is held by pointer so `instrument` stays valid however the result is moved.
struct Administrable {
  std::unique_ptr<Catalogue> catalogue;
  const Instrument* instrument = nullptr;
};

Result<Administrable> LoadAdministrable(const Context& ctx, const std::string& id) {
  ATTUNE_TRY(catalogue, LoadCatalogue(ctx));
  ATTUNE_TRY(use, instruments::ParseUse(ctx.declared_use));
  Administrable out;
  out.catalogue = std::make_unique<Catalogue>(std::move(catalogue));
  ATTUNE_TRY(found, out.catalogue->GetForUse(id, use));
  out.instrument = found;
  return out;
}

struct ScoreArgs {
  std::string id;
  std::string answers;
  std::string answers_json;
  std::string csv;
  std::string out;
  bool json = false;
};

int RunScore(const Context& ctx, const ScoreArgs& args) {
  auto loaded = LoadAdministrable(ctx, args.id);
  if (!loaded) return ReportError(loaded.error());
  const Instrument& in = *loaded->instrument;

  if (!args.csv.empty()) {
    auto input = ReadAll(args.csv);
    if (!input) return ReportError(input.error());
    std::string output;
    output.reserve(input->size() + input->size() / 2);
    auto batch = instruments::ScoreCsv(in, *input, output);
    if (!batch) return ReportError(InFile(batch.error(), args.csv));
    if (!batch->absent.empty()) fmt::print(stderr, "{}\n", AbsentColumnsWarning(in, batch->absent, args.csv));
    for (const auto& row : batch->refused) {
      if (row.column > 0) {
        fmt::print(stderr, "attune: {}: line {}, column {}: {}\n", args.csv, row.line, row.column, row.reason);
      } else {
        fmt::print(stderr, "attune: {}: line {}: {}\n", args.csv, row.line, row.reason);
      }
    }
    std::FILE* out = stdout;
    if (!args.out.empty()) {
      out = std::fopen(args.out.c_str(), "wb");
      if (out == nullptr) {
        return ReportError(Error{ErrorCode::INVALID_ARGUMENT, fmt::format("--out: cannot write \"{}\"", args.out), "out"});
      }
    }
    bool written = std::fwrite(output.data(), 1, output.size(), out) == output.size();
    written = (out == stdout ? std::fflush(out) : std::fclose(out)) == 0 && written;
    if (!written) return ReportError(Error{ErrorCode::IO, "writing the scored CSV failed", "out"});
    if (!batch->refused.empty()) {
      fmt::print(stderr, "attune: scored {} of {} rows; {} refused\n", batch->scored, batch->rows,
                 batch->refused.size());
      return static_cast<int>(Exit::PARTIAL);
    }
    return 0;
  }

  Result<instruments::Answers> answers = !args.answers_json.empty() ? AnswersFromJson(in, args.answers_json)
                                                                    : instruments::ParseAnswerList(in, args.answers);
  if (!answers) return ReportError(answers.error());
  auto result = instruments::Score(in, *answers);
  if (!result) return ReportError(result.error());
  if (args.json) {
    fmt::print("{}\n", instruments::ToJson(in, *result).dump(2));
  } else {
    PrintScore(in, *result);
  }
  return 0;
}

struct ChangeArgs {
  std::string id;
  double before = 0;
  double after = 0;
  std::string scale;
  bool json = false;
};

std::string HigherIs(const instruments::Scale& scale) {
  return scale.direction == instruments::Direction::HIGHER_IS_WORSE ? "worse" : "better";
}

std::string Percent(double share) { return instruments::FormatScore(share * 100.0) + "%"; }

int PrintJacobsonTruax(const Instrument& in, const instruments::Scale& scale, const ChangeArgs& args) {
  auto decision = instruments::JacobsonTruax(*scale.norms, scale.direction, args.before, args.after);
  if (!decision) return ReportError(decision.error());
  if (args.json) {
    Json j = instruments::ToJson(*decision);
    j["instrument"] = in.id;
    j["scale"] = scale.id;
    j["higher_is"] = HigherIs(scale);
    j["method"] = "jacobson_truax";
    j["norms_source"] = scale.norms->source;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  const auto& d = *decision;
  const auto& t = d.thresholds;
  fmt::print("{} {}: {} -> {} (change {:+.2f})\n", in.id, scale.id, instruments::FormatScore(d.before),
             instruments::FormatScore(d.after), d.change);
  // The figures the decision compares are printed with the digits that tell them apart, so that
  // they agree with it: |change| 6.750 exceeds 6.749 (both "6.75" at two decimals).
  const auto [change, threshold] = Apart(std::fabs(d.change), t.reliable_change, 2);
  const auto [rci, z] = Apart(std::fabs(d.rci), t.z, 3);  // z as tables give it: 1.960, 1.645
  fmt::print("  reliable change at {} confidence: |change| must exceed {} points (z {}); |change| {}, RCI {}{} "
             "(SE {:.2f}, S_diff {:.2f})\n",
             Percent(t.confidence), threshold, z, change, d.rci < 0 ? "-" : "", rci, t.se_measurement, t.s_diff);
  if (t.cutoff) {
    fmt::print("  clinical cutoff {}: {:.2f}; before {} the clinical range, after {} the functional range\n",
               t.cutoff_kind, *t.cutoff, d.dysfunctional_before ? "in" : "outside",
               d.functional_after ? "in" : "outside");
  } else {
    fmt::print("  no clinical cutoff: the scale has no clinical or non-clinical norms\n");
  }
  fmt::print("  classification: {}\n", instruments::ChangeClassName(d.classification));
  fmt::print("  norms: {}\n", scale.norms->source);
  return 0;
}

int PrintRule(const Instrument& in, const instruments::Scale& scale, const instruments::FoundRule& found,
              const ChangeArgs& args) {
  const auto& measure = *found.measure;
  auto decision = instruments::ApplyRule(measure, args.before, args.after);
  if (!decision) return ReportError(decision.error());
  if (args.json) {
    Json j = instruments::ToJson(*found.rules, measure, *decision);
    j["instrument"] = in.id;
    j["scale"] = scale.id;
    j["higher_is"] = HigherIs(scale);
    j["method"] = "rule";
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  const auto& d = *decision;
  const auto yes_no = [](bool b) { return b ? "yes" : "no"; };
  fmt::print("{} {}: {} -> {} (change {:+.2f})\n", in.id, scale.id, instruments::FormatScore(d.before),
             instruments::FormatScore(d.after), d.change);
  fmt::print("  rule: {} ({})\n", found.rules->title, found.rules->id);
  fmt::print("  caseness at or above {}: before {}, after {}\n", instruments::FormatScore(measure.caseness_at_or_above),
             yes_no(d.case_before), yes_no(d.case_after));
  const auto [change, points] = Apart(std::fabs(d.change), measure.reliable_change, 2);
  fmt::print("  reliable change: |change| of {} points or more; |change| {}\n", points, change);
  fmt::print("  classification: {}\n", instruments::ChangeClassName(d.classification));
  if (found.rules->measures.size() > 1) {
    // The rule set's own recovery reads its measures together (a case on either at the start, on
    // neither at the end: instruments::ApplyRules); one measure alone cannot say that.
    fmt::print("  on {} alone: the rule set reads its {} measures together, so this is recovery on this measure "
               "only\n",
               in.id, found.rules->measures.size());
  }
  fmt::print("  rule source: {}\n", found.rules->source);
  return 0;
}

int RunChange(const Context& ctx, const ChangeArgs& args) {
  auto loaded = LoadAdministrable(ctx, args.id);
  if (!loaded) return ReportError(loaded.error());
  const Instrument& in = *loaded->instrument;
  auto rule_sets = instruments::LoadRuleSets(ctx.instruments_dir + "/rules");
  if (!rule_sets) return ReportError(rule_sets.error());
  const auto rule_of = [&](const instruments::Scale& s) { return instruments::FindRule(*rule_sets, in.id, s.id); };
  const instruments::Scale* scale = nullptr;
  if (!args.scale.empty()) {
    scale = in.FindScale(args.scale);
    if (scale == nullptr) {
      std::string known;
      for (const auto& s : in.scales) known += (known.empty() ? "" : ", ") + s.id;
      return ReportError(Error{ErrorCode::INVALID_ARGUMENT,
                               fmt::format("--scale: \"{}\" is not a scale of {} (scales: {})", args.scale, in.id, known),
                               "scale"});
    }
    if (!scale->norms && !rule_of(*scale)) {
      return ReportError(Error{ErrorCode::FAILED_PRECONDITION,
                               fmt::format("scale {} of {} has no norms (SD and reliability) and no change rule "
                                           "(instruments/rules); see docs/instruments.md",
                                           scale->id, in.id),
                               "scale"});
    }
  } else {
    // The first scale with norms, else the first a rule set measures.
    for (const auto& s : in.scales) {
      if (s.norms && scale == nullptr) scale = &s;
    }
    for (const auto& s : in.scales) {
      if (rule_of(s) && scale == nullptr) scale = &s;
    }
    if (scale == nullptr) {
      return ReportError(Error{ErrorCode::FAILED_PRECONDITION,
                               fmt::format("{} has no norms (SD and reliability) and no change rule (instruments/rules) "
                                           "for any scale, so change cannot be judged; see docs/instruments.md",
                                           in.id),
                               "instrument"});
    }
  }
  for (auto [name, value] : {std::pair{"--before", args.before}, std::pair{"--after", args.after}}) {
    if (value < scale->range_min || value > scale->range_max) {
      return ReportError(Error{ErrorCode::INVALID_ARGUMENT,
                               fmt::format("{}: {} is outside the {} scale's range {}..{}", name,
                                           instruments::FormatScore(value), scale->id,
                                           instruments::FormatScore(scale->range_min),
                                           instruments::FormatScore(scale->range_max)),
                               name});
    }
  }
  if (scale->norms) return PrintJacobsonTruax(in, *scale, args);
  return PrintRule(in, *scale, *rule_of(*scale), args);
}

}  // namespace

void AddInstrumentCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("instruments", "List and show questionnaire definitions");
  group->require_subcommand(1);

  auto* list = group->add_subcommand("list", "List the loaded instruments");
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback([&ctx, list_json] {
    auto catalogue = LoadCatalogue(ctx);
    if (!catalogue) {
      ctx.exit_code = ReportError(catalogue.error());
      return;
    }
    auto use = instruments::ParseUse(ctx.declared_use);
    if (!use) {
      ctx.exit_code = ReportError(use.error());
      return;
    }
    if (*list_json) {
      Json out = Json::array();
      for (const auto& in : catalogue->All()) out.push_back(instruments::SummaryJson(in, *use));
      fmt::print("{}\n", out.dump(2));
      return;
    }
    for (const auto& in : catalogue->All()) {
      fmt::print("{:<8} {:<6} {:<10} {:>3} items  {:<16} {}\n", in.id, in.version,
                 in.respondent == instruments::Respondent::CLIENT ? "client" : "therapist", in.items.size(),
                 in.licence.For(*use).value_or(false) ? "administrable" : "not permitted", in.title);
    }
  });

  auto* show = group->add_subcommand("show", "Show one instrument's items, scales, norms and licence");
  auto show_id = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  show->add_option("id", *show_id, "Instrument id")->required();
  show->add_flag("--json", *show_json, "Print JSON");
  show->callback([&ctx, show_id, show_json] {
    auto catalogue = LoadCatalogue(ctx);
    if (!catalogue) {
      ctx.exit_code = ReportError(catalogue.error());
      return;
    }
    auto use = instruments::ParseUse(ctx.declared_use);
    auto found = catalogue->Get(*show_id);
    if (!found) {
      ctx.exit_code = ReportError(found.error());
      return;
    }
    if (*show_json) {
      fmt::print("{}\n", instruments::ToJson(**found, *use).dump(2));
    } else {
      PrintInstrument(**found, *use);
    }
  });

  auto score_args = std::make_shared<ScoreArgs>();
  auto* score = app.add_subcommand("score", "Score one response, or a CSV of responses");
  score->add_option("id", score_args->id, "Instrument id")->required();
  auto* answers = score->add_option("--answers", score_args->answers, "Values in item order, e.g. \"1,2,,3\" (empty = missing)");
  auto* answers_json = score->add_option("--answers-json", score_args->answers_json, "JSON object item id -> value");
  auto* csv = score->add_option("--csv", score_args->csv, "CSV file: header of item ids (optional first column id)");
  score->add_option("--out", score_args->out, "With --csv: write scores here instead of stdout")->needs(csv);
  score->add_flag("--json", score_args->json, "Print JSON (single response)");
  answers->excludes(answers_json)->excludes(csv);
  answers_json->excludes(csv);
  score->callback([&ctx, score_args, score] {
    if (score_args->answers.empty() && score_args->answers_json.empty() && score_args->csv.empty() &&
        score->count("--answers") == 0) {
      ctx.exit_code = ReportError(Error{ErrorCode::INVALID_ARGUMENT,
                                        "score: give one of --answers, --answers-json or --csv", "answers"});
      return;
    }
    ctx.exit_code = RunScore(ctx, *score_args);
  });

  auto change_args = std::make_shared<ChangeArgs>();
  auto* change = app.add_subcommand("change", "Reliable and clinically significant change (norms or the instrument's rule)");
  change->add_option("id", change_args->id, "Instrument id")->required();
  change->add_option("--before", change_args->before, "Score before")->required();
  change->add_option("--after", change_args->after, "Score after")->required();
  change->add_option("--scale", change_args->scale,
                     "Scale id (default: the first scale with norms, else the first with a change rule)");
  change->add_flag("--json", change_args->json, "Print JSON");
  change->callback([&ctx, change_args] { ctx.exit_code = RunChange(ctx, *change_args); });
}

}  // namespace attune::cli
