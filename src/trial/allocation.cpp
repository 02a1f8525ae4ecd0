#include "attune/trial/allocation.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "attune/core/dates.hpp"
#include "trial/random.hpp"

namespace attune::trial {

Result<void> CheckWedgeSteps(Design design, int steps) {
  if (design == Design::STEPPED_WEDGE && steps < kMinWedgeSteps) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("steps: {} for a stepped wedge; expected at least {} (with one step every therapist "
                            "starts training at once, so training is confounded with period)",
                            steps, kMinWedgeSteps),
                "steps");
  }
  return Ok();
}

namespace {

bool NameChar(char c, bool upper) {
  return (c >= 'a' && c <= 'z') || (upper && c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

Result<void> CheckName(const std::string& value, const char* field, bool upper) {
  if (value.empty() || value.size() > 64 ||
      !std::all_of(value.begin(), value.end(), [&](char c) { return NameChar(c, upper); })) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("{}: \"{}\" is not 1-64 characters of {}", field, value,
                            upper ? "[A-Za-z0-9_-]" : "[a-z0-9_-]"),
                field);
  }
  return Ok();
}

Result<void> CheckSchedule(const TrialSpec& spec);

Result<void> CheckSpec(const TrialSpec& spec) {
  ATTUNE_CHECK(CheckName(spec.name, "name", true));
  if (spec.arms.size() < 2) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("arms: \"{}\" has {} arm(s); expected at least 2", fmt::join(spec.arms, ":"),
                            spec.arms.size()),
                "arms");
  }
  std::set<std::string> seen;
  for (const auto& arm : spec.arms) {
    ATTUNE_CHECK(CheckName(arm, "arms", false));
    if (!seen.insert(arm).second) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("arms: \"{}\" is repeated", arm), "arms");
    }
  }
  if (!spec.strata_facet.empty()) ATTUNE_CHECK(CheckName(spec.strata_facet, "strata", false));
  if (spec.steps < 1 || spec.steps > 24) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("steps: {} is outside 1..24", spec.steps), "steps");
  }
  ATTUNE_CHECK(CheckWedgeSteps(spec.design, spec.steps));
  if (spec.block_multiples.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "block_multiples: empty; expected one or more of 1..10",
                "block_multiples");
  }
  for (int m : spec.block_multiples) {
    if (m < 1 || m > 10) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("block_multiples: {} is outside 1..10", m),
                  "block_multiples");
    }
  }
  return CheckSchedule(spec);
}

Result<void> CheckSchedule(const TrialSpec& spec) {
  std::vector<std::pair<std::string, std::string>> dates;  // field, date in schedule order
  if (!spec.allocated_on.empty()) dates.emplace_back("allocated_on", spec.allocated_on);
  for (std::size_t k = 0; k < spec.period_starts.size(); ++k) {
    dates.emplace_back(fmt::format("period_starts[{}]", k), spec.period_starts[k]);
  }
  if (!spec.followup_from.empty()) dates.emplace_back("followup_from", spec.followup_from);
  for (std::size_t i = 0; i < dates.size(); ++i) {
    const auto& [field, date] = dates[i];
    if (!IsCalendarDate(date)) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("{}: \"{}\" is not a date (YYYY-MM-DD)", field, date),
                  field);
    }
    if (i > 0 && !(dates[i - 1].second < date)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("{}: {} is not after {} ({})", field, date, dates[i - 1].first, dates[i - 1].second),
                  field);
    }
  }
  const std::size_t periods = spec.design == Design::PARALLEL ? 1 : static_cast<std::size_t>(spec.steps);
  if (!spec.period_starts.empty() && spec.period_starts.size() != periods) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("period_starts: {} dates; expected {} (one per period after allocation)",
                            spec.period_starts.size(), periods),
                "period_starts");
  }
  return Ok();
}

// The "treatments" blocks are built from: the arms (parallel) or the crossover steps.
std::vector<std::string> Treatments(const TrialSpec& spec) {
  if (spec.design == Design::PARALLEL) return spec.arms;
  std::vector<std::string> steps;
  for (int s = 1; s <= spec.steps; ++s) steps.push_back(fmt::format("step_{}", s));
  return steps;
}

std::string Hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace

const char* DesignName(Design design) { return design == Design::PARALLEL ? "parallel" : "stepped-wedge"; }

Result<Design> ParseDesign(std::string_view text) {
  if (text == "parallel") return Design::PARALLEL;
  if (text == "stepped-wedge") return Design::STEPPED_WEDGE;
  return Fail(ErrorCode::INVALID_ARGUMENT,
              fmt::format("design: \"{}\" is not one of parallel, stepped-wedge", text), "design");
}

Result<std::vector<std::string>> ParseArms(std::string_view text) {
  std::vector<std::string> arms;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = text.find(':', start);
    arms.emplace_back(text.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  TrialSpec probe;
  probe.name = "probe";
  probe.arms = arms;
  if (arms.size() < 2) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("arms: \"{}\" names {} arm; expected at least 2 separated by ':' "
                            "(e.g. training:control)",
                            text, arms.size()),
                "arms");
  }
  ATTUNE_CHECK(CheckSpec(probe));
  return arms;
}

std::string Sha256Hex(std::string_view text) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return Hex(digest.data(), digest.size());
}

Result<Allocation> Allocate(const TrialSpec& spec, const std::vector<Participant>& participants) {
  ATTUNE_CHECK(CheckSpec(spec));
  if (participants.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "therapists: none to allocate; expected at least 2", "therapists");
  }
  std::vector<Participant> sorted = participants;
  std::sort(sorted.begin(), sorted.end(),
            [](const Participant& a, const Participant& b) { return a.therapist_id < b.therapist_id; });
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i].therapist_id <= 0) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("therapists: id {} is not positive", sorted[i].therapist_id), "therapists");
    }
    if (i > 0 && sorted[i].therapist_id == sorted[i - 1].therapist_id) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("therapists: id {} appears more than once", sorted[i].therapist_id), "therapists");
    }
    if (sorted[i].stratum_score && !std::isfinite(*sorted[i].stratum_score)) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("strata: therapist {} has a non-finite score", sorted[i].therapist_id), "strata");
    }
  }
  if (sorted.size() < 2) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "therapists: 1 to allocate; expected at least 2", "therapists");
  }
  if (spec.design == Design::STEPPED_WEDGE && static_cast<int>(sorted.size()) < spec.steps) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("steps: {} steps need at least {} therapists; {} given", spec.steps, spec.steps,
                            sorted.size()),
                "steps");
  }

  Allocation allocation;
  allocation.spec = spec;
  // Strata: median split of the baseline facet, so both strata are as equal as ties allow.
  std::map<std::string, std::vector<Id>> strata;
  if (spec.strata_facet.empty()) {
    for (const auto& p : sorted) strata["all"].push_back(p.therapist_id);
  } else {
    std::vector<double> scores;
    for (const auto& p : sorted) {
      if (p.stratum_score) scores.push_back(*p.stratum_score);
    }
    if (!scores.empty()) {
      std::sort(scores.begin(), scores.end());
      const std::size_t n = scores.size();
      allocation.stratum_cut = n % 2 == 1 ? scores[n / 2] : (scores[n / 2 - 1] + scores[n / 2]) / 2;
    }
    for (const auto& p : sorted) {
      const char* stratum = !p.stratum_score                              ? "missing"
                            : *p.stratum_score <= allocation.stratum_cut ? "low"
                                                                          : "high";
      strata[stratum].push_back(p.therapist_id);
    }
  }

  detail::Rng rng(spec.seed);
  const std::vector<std::string> treatments = Treatments(spec);
  std::map<Id, Assignment> by_id;
  for (auto& [stratum, ids] : strata) {  // std::map: strata in a fixed order
    rng.Shuffle(ids);                     // the order in which the stratum's therapists are dealt
    std::size_t next = 0;
    int block = 0;
    while (next < ids.size()) {
      ++block;
      const int multiple = spec.block_multiples[rng.Below(spec.block_multiples.size())];
      std::vector<std::string> contents;
      for (const auto& t : treatments) {
        for (int m = 0; m < multiple; ++m) contents.push_back(t);
      }
      rng.Shuffle(contents);
      for (std::size_t i = 0; i < contents.size() && next < ids.size(); ++i, ++next) {
        Assignment a;
        a.therapist_id = ids[next];
        a.stratum = stratum;
        a.block = block;
        a.block_size = static_cast<int>(contents.size());
        a.arm = contents[i];
        if (spec.design == Design::STEPPED_WEDGE) a.step = std::stoi(contents[i].substr(5));
        by_id[a.therapist_id] = a;
      }
    }
  }
  for (auto& [id, a] : by_id) allocation.assignments.push_back(a);
  allocation.hash = Sha256Hex(CanonicalText(allocation));
  return allocation;
}

std::string CanonicalText(const Allocation& allocation) {
  const TrialSpec& s = allocation.spec;
  std::string out = "attune-trial-allocation v1\n";
  out += fmt::format("name={}\ndesign={}\narms={}\nstrata_facet={}\nsteps={}\nblock_multiples={}\nseed={}\n",
                     s.name, DesignName(s.design), fmt::join(s.arms, ":"), s.strata_facet, s.steps,
                     fmt::join(s.block_multiples, ","), s.seed);
  if (!s.allocated_on.empty() || !s.period_starts.empty() || !s.followup_from.empty()) {
    out += fmt::format("allocated_on={}\nperiod_starts={}\nfollowup_from={}\n", s.allocated_on,
                       fmt::join(s.period_starts, ","), s.followup_from);
  }
  out += fmt::format("stratum_cut={}\n", allocation.stratum_cut);
  for (const auto& a : allocation.assignments) {
    out += fmt::format("therapist={} stratum={} block={} block_size={} arm={} step={}\n", a.therapist_id, a.stratum,
                       a.block, a.block_size, a.arm, a.step);
  }
  return out;
}

Result<void> VerifyAllocation(const Allocation& allocation, const std::vector<Participant>& participants) {
  const std::string recomputed = Sha256Hex(CanonicalText(allocation));
  if (recomputed != allocation.hash) {
    return Fail(ErrorCode::CONFLICT,
                fmt::format("hash: recorded {} but the allocation hashes to {}; the record was altered",
                            allocation.hash, recomputed),
                "hash");
  }
  ATTUNE_TRY(again, Allocate(allocation.spec, participants));
  if (again.assignments.size() != allocation.assignments.size()) {
    return Fail(ErrorCode::CONFLICT,
                fmt::format("assignments: recorded {} therapists but the seed allocates {}",
                            allocation.assignments.size(), again.assignments.size()),
                "assignments");
  }
  for (std::size_t i = 0; i < again.assignments.size(); ++i) {
    const Assignment& want = again.assignments[i];
    const Assignment& got = allocation.assignments[i];
    if (want.therapist_id != got.therapist_id || want.arm != got.arm || want.stratum != got.stratum ||
        want.block != got.block || want.step != got.step) {
      return Fail(ErrorCode::CONFLICT,
                  fmt::format("assignments: therapist {} is recorded in {} (stratum {}) but seed {} allocates "
                              "therapist {} to {} (stratum {})",
                              got.therapist_id, got.arm, got.stratum, allocation.spec.seed, want.therapist_id,
                              want.arm, want.stratum),
                  "assignments");
    }
  }
  if (again.hash != allocation.hash) {
    return Fail(ErrorCode::CONFLICT, "hash: the recorded stratum cut differs from the participants' median",
                "stratum_cut");
  }
  return Ok();
}

std::string AllocationJson(const Allocation& allocation) {
  const TrialSpec& s = allocation.spec;
  nlohmann::ordered_json j;
  j["name"] = s.name;
  j["design"] = DesignName(s.design);
  j["arms"] = s.arms;
  j["strata_facet"] = s.strata_facet;
  j["steps"] = s.steps;
  j["block_multiples"] = s.block_multiples;
  j["seed"] = s.seed;
  if (!s.allocated_on.empty()) j["allocated_on"] = s.allocated_on;
  if (!s.period_starts.empty()) j["period_starts"] = s.period_starts;
  if (!s.followup_from.empty()) j["followup_from"] = s.followup_from;
  j["stratum_cut"] = allocation.stratum_cut;
  auto& list = j["assignments"] = nlohmann::ordered_json::array();
  for (const auto& a : allocation.assignments) {
    list.push_back({{"therapist_id", a.therapist_id},
                    {"stratum", a.stratum},
                    {"block", a.block},
                    {"block_size", a.block_size},
                    {"arm", a.arm},
                    {"step", a.step}});
  }
  j["hash"] = allocation.hash;
  return j.dump(2);
}

Result<Allocation> ParseAllocationJson(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "allocation: not a JSON object", "allocation");
  }
  Allocation a;
  std::string path;
  try {
    path = "name";
    a.spec.name = j.at(path).get<std::string>();
    path = "design";
    ATTUNE_TRY(design, ParseDesign(j.at(path).get<std::string>()));
    a.spec.design = design;
    path = "arms";
    a.spec.arms = j.at(path).get<std::vector<std::string>>();
    path = "strata_facet";
    a.spec.strata_facet = j.at(path).get<std::string>();
    path = "steps";
    a.spec.steps = j.at(path).get<int>();
    path = "block_multiples";
    a.spec.block_multiples = j.at(path).get<std::vector<int>>();
    path = "seed";
    a.spec.seed = j.at(path).get<std::uint64_t>();
    path = "allocated_on";
    if (j.contains(path)) a.spec.allocated_on = j.at(path).get<std::string>();
    path = "period_starts";
    if (j.contains(path)) a.spec.period_starts = j.at(path).get<std::vector<std::string>>();
    path = "followup_from";
    if (j.contains(path)) a.spec.followup_from = j.at(path).get<std::string>();
    path = "stratum_cut";
    a.stratum_cut = j.at(path).get<double>();
    path = "hash";
    a.hash = j.at(path).get<std::string>();
    path = "assignments";
    const auto& list = j.at(path);
    for (std::size_t i = 0; i < list.size(); ++i) {
      path = fmt::format("assignments[{}]", i);
      const auto& e = list.at(i);
      Assignment x;
      x.therapist_id = e.at("therapist_id").get<Id>();
      x.stratum = e.at("stratum").get<std::string>();
      x.block = e.at("block").get<int>();
      x.block_size = e.at("block_size").get<int>();
      x.arm = e.at("arm").get<std::string>();
      x.step = e.at("step").get<int>();
      a.assignments.push_back(std::move(x));
    }
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("allocation: {}: {}", path, e.what()), path);
  }
  return a;
}

}  // namespace attune::trial
