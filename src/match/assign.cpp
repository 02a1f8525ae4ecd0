// Batch assignment: min-cost flow with certificate, greedy and as-usual baselines, randomised
// matched:usual allocation (docs/matching.md "Assignment").
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "attune/match/match.hpp"
#include "match/flow.hpp"

namespace attune::match {
namespace {

// Scores become integer costs in millionths of an SD: exact arithmetic in the certificate.
constexpr double kCostScale = 1e6;

int HighRiskCap(const Problem& p, std::size_t t) { return p.high_risk_cap.empty() ? -1 : p.high_risk_cap[t]; }
bool IsHighRisk(const Problem& p, std::size_t c) { return !p.high_risk.empty() && p.high_risk[c] != 0; }

void Finish(const Problem& p, Solution& s) {
  s.assigned = 0;
  s.total_score = 0;
  for (std::size_t c = 0; c < p.clients(); ++c) {
    const int t = s.therapist_of[c];
    if (t < 0) continue;
    ++s.assigned;
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) {
      if (p.candidates[k].therapist == static_cast<std::uint32_t>(t)) {
        s.total_score += p.candidates[k].score;
        break;
      }
    }
  }
  s.objective = s.total_score - p.unassigned_penalty * static_cast<double>(p.clients() - s.assigned);
}

// Uniform integer in [0, n) from a 64-bit engine (same on every standard library; the modulo
// bias is below n / 2^64).
std::size_t Uniform(std::mt19937_64& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }

}  // namespace

Result<void> Validate(const Problem& p) {
  const std::size_t nt = p.capacity.size(), nc = p.clients();
  if (p.offsets.empty() || p.offsets.front() != 0 || p.offsets.back() != p.candidates.size()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "offsets: must start at 0 and end at the number of candidates",
                "offsets");
  }
  for (std::size_t t = 0; t < nt; ++t) {
    if (p.capacity[t] < 0) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("capacity[{}]: value {} is negative", t, p.capacity[t]),
                  fmt::format("capacity[{}]", t));
    }
  }
  if (!p.high_risk_cap.empty() && p.high_risk_cap.size() != nt) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("high_risk_cap: {} entries, expected one per therapist ({})", p.high_risk_cap.size(), nt),
                "high_risk_cap");
  }
  if (!p.high_risk.empty() && p.high_risk.size() != nc) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("high_risk: {} entries, expected one per client ({})", p.high_risk.size(), nc),
                "high_risk");
  }
  if (!std::isfinite(p.unassigned_penalty) || p.unassigned_penalty < 0 || p.unassigned_penalty > 1e6) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("unassigned_penalty: value {} is not in [0, 1e6]", p.unassigned_penalty),
                "unassigned_penalty");
  }
  std::vector<std::size_t> seen(nt, static_cast<std::size_t>(-1));
  for (std::size_t c = 0; c < nc; ++c) {
    if (p.offsets[c + 1] < p.offsets[c]) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("offsets[{}]: decreases", c + 1),
                  fmt::format("offsets[{}]", c + 1));
    }
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) {
      const Candidate& cand = p.candidates[k];
      const std::string field = fmt::format("candidates[{}]", k);
      if (cand.therapist >= nt) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("{}.therapist: index {} is not below {} (client {})", field, cand.therapist, nt, c),
                    field);
      }
      if (!std::isfinite(cand.score) || std::abs(cand.score) > 1e6) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("{}.score: value {} is not a finite number within +-1e6", field, cand.score), field);
      }
      if (seen[cand.therapist] == c) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("{}: client {} lists therapist {} twice", field, c, cand.therapist), field);
      }
      seen[cand.therapist] = c;
    }
  }
  return Ok();
}

Result<void> CheckFeasible(const Problem& p, const Solution& s) {
  if (s.therapist_of.size() != p.clients()) {
    return Fail(ErrorCode::INTERNAL, "solution: one entry per client expected", "therapist_of");
  }
  std::vector<int> load(p.capacity.size(), 0), hr_load(p.capacity.size(), 0);
  for (std::size_t c = 0; c < p.clients(); ++c) {
    const int t = s.therapist_of[c];
    if (t < 0) continue;
    bool listed = false;
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) listed |= p.candidates[k].therapist == static_cast<std::uint32_t>(t);
    if (!listed) return Fail(ErrorCode::INTERNAL, fmt::format("client {}: therapist {} is not a candidate", c, t));
    const auto ti = static_cast<std::size_t>(t);
    if (++load[ti] > p.capacity[ti]) return Fail(ErrorCode::INTERNAL, fmt::format("therapist {}: over capacity", t));
    if (IsHighRisk(p, c) && HighRiskCap(p, ti) >= 0 && ++hr_load[ti] > HighRiskCap(p, ti)) {
      return Fail(ErrorCode::INTERNAL, fmt::format("therapist {}: over the high-risk cap", t));
    }
  }
  return Ok();
}

namespace {

// One min-cost flow over the whole problem (p is valid).
Result<Solution> SolveFlow(const Problem& p) {
  const std::size_t nc = p.clients(), nt = p.capacity.size();
  // Nodes: clients [0, nc), therapists [nc, nc + nt), high-risk gates [nc + nt, nc + 2 nt), sink.
  const bool gates = !p.high_risk.empty() && !p.high_risk_cap.empty();
  const int sink = static_cast<int>(nc + (gates ? 2 : 1) * nt);
  const int nodes = sink + 1;
  std::vector<detail::FlowArc> arcs;
  arcs.reserve(p.candidates.size() + nc + 2 * nt);
  std::vector<long long> supply(static_cast<std::size_t>(nodes), 0);
  for (std::size_t c = 0; c < nc; ++c) {
    supply[c] = 1;
    const bool hr = gates && IsHighRisk(p, c);
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) {
      const auto t = p.candidates[k].therapist;
      const bool gated = hr && p.high_risk_cap[t] >= 0;
      const int to = static_cast<int>(nc + (gated ? nt : 0) + t);
      arcs.push_back({static_cast<int>(c), to, 1,
                      -std::llround((p.candidates[k].score + p.unassigned_penalty) * kCostScale)});
    }
  }
  const std::size_t unassigned_arcs = arcs.size();
  for (std::size_t c = 0; c < nc; ++c) arcs.push_back({static_cast<int>(c), sink, 1, 0});
  for (std::size_t t = 0; t < nt; ++t) {
    arcs.push_back({static_cast<int>(nc + t), sink, p.capacity[t], 0});
    if (gates && p.high_risk_cap[t] >= 0) {
      arcs.push_back({static_cast<int>(nc + nt + t), static_cast<int>(nc + t), p.high_risk_cap[t], 0});
    }
  }
  supply[static_cast<std::size_t>(sink)] = -static_cast<long long>(nc);

  const detail::FlowResult flow = detail::SolveMinCostFlow(nodes, arcs, supply);
  if (!flow.feasible) return Fail(ErrorCode::INTERNAL, "min-cost flow reported infeasible (every client has an unassigned arc)");

  Solution s;
  s.method = "optimal";
  s.therapist_of.assign(nc, -1);
  for (std::size_t c = 0, a = 0; c < nc; ++c) {
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k, ++a) {
      if (flow.flow[a] > 0) s.therapist_of[c] = static_cast<int>(p.candidates[k].therapist);
    }
  }
  (void)unassigned_arcs;

  // Certificate, recomputed from our own arc list: bounds, conservation, reduced costs.
  Certificate& cert = s.certificate;
  cert.checked = true;
  cert.conserved = true;
  cert.optimal = true;
  std::vector<long long> balance(static_cast<std::size_t>(nodes), 0);
  for (std::size_t a = 0; a < arcs.size(); ++a) {
    const auto& arc = arcs[a];
    const long long f = flow.flow[a];
    if (f < 0 || f > arc.capacity) {
      cert.conserved = false;
      cert.problem = fmt::format("arc {} ({} -> {}): flow {} outside [0, {}]", a, arc.from, arc.to, f, arc.capacity);
    }
    balance[static_cast<std::size_t>(arc.from)] += f;
    balance[static_cast<std::size_t>(arc.to)] -= f;
    const long long rc = arc.cost + flow.potential[static_cast<std::size_t>(arc.from)] -
                         flow.potential[static_cast<std::size_t>(arc.to)];
    long long violation = 0;
    if (f < arc.capacity && rc < 0) violation = -rc;
    if (f > 0 && rc > 0) violation = std::max(violation, rc);
    if (violation > cert.worst_violation) {
      cert.worst_violation = violation;
      cert.optimal = false;
      cert.problem = fmt::format("arc {} ({} -> {}): reduced cost {} with flow {} of {}", a, arc.from, arc.to, rc, f,
                                 arc.capacity);
    }
  }
  for (std::size_t v = 0; v < balance.size(); ++v) {
    if (balance[v] != supply[v]) {
      cert.conserved = false;
      cert.problem = fmt::format("node {}: net outflow {} but supply {}", v, balance[v], supply[v]);
    }
  }
  Finish(p, s);
  if (!cert.conserved || !cert.optimal) {
    return Fail(ErrorCode::INTERNAL, "assignment certificate failed: " + cert.problem);
  }
  return s;
}

std::size_t Root(std::vector<std::size_t>& parent, std::size_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

}  // namespace

Result<Solution> SolveOptimal(const Problem& p) {
  ATTUNE_CHECK(Validate(p));
  // Clients who share no therapist, directly or through others, are independent problems (a
  // clinic's location and language filters make many): solve each connected component apart.
  const std::size_t nc = p.clients(), nt = p.capacity.size();
  std::vector<std::size_t> parent(nc + nt);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  for (std::size_t c = 0; c < nc; ++c) {
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) {
      const std::size_t a = Root(parent, c), b = Root(parent, nc + p.candidates[k].therapist);
      if (a != b) parent[a] = b;
    }
  }
  std::vector<std::size_t> component(nc), first_client;
  std::vector<std::size_t> id_of_root(nc + nt, static_cast<std::size_t>(-1));
  for (std::size_t c = 0; c < nc; ++c) {
    const std::size_t r = Root(parent, c);
    if (id_of_root[r] == static_cast<std::size_t>(-1)) {
      id_of_root[r] = first_client.size();
      first_client.push_back(c);
    }
    component[c] = id_of_root[r];
  }
  const std::size_t parts = first_client.size();
  if (parts <= 1) return SolveFlow(p);

  std::vector<std::vector<std::size_t>> clients_of(parts);
  for (std::size_t c = 0; c < nc; ++c) clients_of[component[c]].push_back(c);
  Solution s;
  s.method = "optimal";
  s.therapist_of.assign(nc, -1);
  s.certificate.checked = s.certificate.conserved = s.certificate.optimal = true;
  std::vector<int> local(nt, -1);
  std::vector<std::uint32_t> global;
  for (std::size_t part = 0; part < parts; ++part) {
    Problem sub;
    sub.unassigned_penalty = p.unassigned_penalty;
    global.clear();
    for (std::size_t c : clients_of[part]) {
      for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) {
        const std::uint32_t t = p.candidates[k].therapist;
        if (local[t] < 0) {
          local[t] = static_cast<int>(global.size());
          global.push_back(t);
          sub.capacity.push_back(p.capacity[t]);
          if (!p.high_risk_cap.empty()) sub.high_risk_cap.push_back(p.high_risk_cap[t]);
        }
        sub.candidates.push_back({static_cast<std::uint32_t>(local[t]), p.candidates[k].score});
      }
      sub.offsets.push_back(sub.candidates.size());
      if (!p.high_risk.empty()) sub.high_risk.push_back(p.high_risk[c]);
    }
    ATTUNE_TRY(part_solution, SolveFlow(sub));
    for (std::size_t i = 0; i < clients_of[part].size(); ++i) {
      const int t = part_solution.therapist_of[i];
      s.therapist_of[clients_of[part][i]] = t < 0 ? -1 : static_cast<int>(global[static_cast<std::size_t>(t)]);
    }
    s.certificate.worst_violation = std::max(s.certificate.worst_violation, part_solution.certificate.worst_violation);
    for (std::uint32_t t : global) local[t] = -1;
  }
  Finish(p, s);
  return s;
}

Result<Solution> SolveGreedy(const Problem& p) {
  ATTUNE_CHECK(Validate(p));
  const std::size_t nc = p.clients();
  std::vector<std::pair<double, std::size_t>> order;  // (score, candidate index)
  order.reserve(p.candidates.size());
  std::vector<std::size_t> owner(p.candidates.size());
  for (std::size_t c = 0; c < nc; ++c) {
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) {
      owner[k] = c;
      if (p.candidates[k].score + p.unassigned_penalty > 0) order.emplace_back(p.candidates[k].score, k);
    }
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  Solution s;
  s.method = "greedy";
  s.therapist_of.assign(nc, -1);
  std::vector<int> room = p.capacity;
  std::vector<int> hr_room = p.high_risk_cap;
  for (const auto& [score, k] : order) {
    const std::size_t c = owner[k];
    const std::uint32_t t = p.candidates[k].therapist;
    if (s.therapist_of[c] >= 0 || room[t] <= 0) continue;
    const bool capped = IsHighRisk(p, c) && HighRiskCap(p, t) >= 0;
    if (capped && hr_room[t] <= 0) continue;
    s.therapist_of[c] = static_cast<int>(t);
    --room[t];
    if (capped) --hr_room[t];
  }
  Finish(p, s);
  return s;
}

Result<Solution> SolveUsual(const Problem& p, std::uint64_t seed) {
  ATTUNE_CHECK(Validate(p));
  std::mt19937_64 rng(seed);
  Solution s;
  s.method = "usual";
  s.therapist_of.assign(p.clients(), -1);
  std::vector<int> room = p.capacity;
  std::vector<int> hr_room = p.high_risk_cap;
  std::vector<std::uint32_t> open;
  for (std::size_t c = 0; c < p.clients(); ++c) {
    open.clear();
    const bool hr = IsHighRisk(p, c);
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) {
      const std::uint32_t t = p.candidates[k].therapist;
      if (room[t] > 0 && !(hr && HighRiskCap(p, t) >= 0 && hr_room[t] <= 0)) open.push_back(t);
    }
    if (open.empty()) continue;
    const std::uint32_t t = open[Uniform(rng, open.size())];
    s.therapist_of[c] = static_cast<int>(t);
    --room[t];
    if (hr && HighRiskCap(p, t) >= 0) --hr_room[t];
  }
  Finish(p, s);
  return s;
}

Result<Arms> ParseArms(const std::string& text) {
  const std::string prefix = "matched:usual=";
  auto bad = [&] {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("randomize: \"{}\" is not of the form matched:usual=A:B with whole A, B >= 0, A + B > 0",
                            text),
                "randomize");
  };
  if (text.rfind(prefix, 0) != 0) return bad();
  const std::string rest = text.substr(prefix.size());
  const auto colon = rest.find(':');
  if (colon == std::string::npos) return bad();
  auto number = [](const std::string& s, int& out) {
    if (s.empty() || s.size() > 4 || !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      return false;
    }
    out = std::stoi(s);
    return true;
  };
  Arms arms;
  if (!number(rest.substr(0, colon), arms.matched) || !number(rest.substr(colon + 1), arms.usual) ||
      arms.matched + arms.usual == 0) {
    return bad();
  }
  return arms;
}

Result<Allocation> Randomise(const Problem& p, Arms arms, std::uint64_t seed) {
  ATTUNE_CHECK(Validate(p));
  if (arms.matched < 0 || arms.usual < 0 || arms.matched + arms.usual == 0) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("arms: matched {} and usual {} must be >= 0 with a positive sum", arms.matched, arms.usual),
                "arms");
  }
  const std::size_t nc = p.clients();
  const auto block = static_cast<std::size_t>(arms.matched + arms.usual);
  std::mt19937_64 rng(seed);
  Allocation out;
  out.matched.assign(nc, 0);
  std::vector<unsigned char> pattern(block, 0);
  for (std::size_t c = 0; c < nc; c += block) {
    std::fill(pattern.begin(), pattern.end(), 0);
    std::fill(pattern.begin(), pattern.begin() + arms.matched, 1);
    for (std::size_t i = block; i > 1; --i) std::swap(pattern[i - 1], pattern[Uniform(rng, i)]);
    for (std::size_t i = 0; i < block && c + i < nc; ++i) out.matched[c + i] = pattern[i];
  }
  // Each arm gets its share of every therapist's capacity (remainders spread by therapist index).
  auto share = [&](int cap, std::size_t t) {
    if (cap < 0) return cap;
    return (cap * arms.matched + static_cast<int>(t % block)) / static_cast<int>(block);
  };
  Problem sub[2];
  std::vector<std::size_t> members[2];
  for (int arm = 0; arm < 2; ++arm) {
    sub[arm].unassigned_penalty = p.unassigned_penalty;
    sub[arm].capacity.resize(p.capacity.size());
    if (!p.high_risk_cap.empty()) sub[arm].high_risk_cap.resize(p.capacity.size());
  }
  for (std::size_t t = 0; t < p.capacity.size(); ++t) {
    const int m = share(p.capacity[t], t);
    sub[1].capacity[t] = m;
    sub[0].capacity[t] = p.capacity[t] - m;
    if (!p.high_risk_cap.empty()) {
      const int hm = share(p.high_risk_cap[t], t);
      sub[1].high_risk_cap[t] = hm;
      sub[0].high_risk_cap[t] = p.high_risk_cap[t] < 0 ? -1 : p.high_risk_cap[t] - hm;
    }
  }
  for (std::size_t c = 0; c < nc; ++c) {
    const int arm = out.matched[c];
    members[arm].push_back(c);
    for (std::size_t k = p.offsets[c]; k < p.offsets[c + 1]; ++k) sub[arm].candidates.push_back(p.candidates[k]);
    sub[arm].offsets.push_back(sub[arm].candidates.size());
    if (!p.high_risk.empty()) sub[arm].high_risk.push_back(p.high_risk[c]);
  }
  ATTUNE_TRY(matched, SolveOptimal(sub[1]));
  ATTUNE_TRY(usual, SolveUsual(sub[0], seed ^ 0x9e3779b97f4a7c15ULL));
  out.solution.method = "randomised";
  out.solution.therapist_of.assign(nc, -1);
  for (std::size_t i = 0; i < members[1].size(); ++i) out.solution.therapist_of[members[1][i]] = matched.therapist_of[i];
  for (std::size_t i = 0; i < members[0].size(); ++i) out.solution.therapist_of[members[0][i]] = usual.therapist_of[i];
  out.solution.certificate = matched.certificate;
  Finish(p, out.solution);
  return out;
}

Problem BuildProblem(const Ranker& ranker, const std::vector<ClientRequest>& waitlist,
                     std::size_t candidates_per_client, double unassigned_penalty) {
  Problem p;
  p.unassigned_penalty = unassigned_penalty;
  const auto& ts = ranker.therapists();
  p.capacity.resize(ts.size());
  bool any_cap = false;
  for (std::size_t t = 0; t < ts.size(); ++t) {
    p.capacity[t] = ts[t].accepting ? ts[t].capacity : 0;
    any_cap |= ts[t].high_risk_cap >= 0;
  }
  if (any_cap) {
    p.high_risk_cap.resize(ts.size());
    for (std::size_t t = 0; t < ts.size(); ++t) p.high_risk_cap[t] = ts[t].high_risk_cap;
  }
  bool any_hr = false;
  for (const auto& c : waitlist) any_hr |= c.high_risk;
  if (any_hr) {
    for (const auto& c : waitlist) p.high_risk.push_back(c.high_risk ? 1 : 0);
  }
  p.offsets.reserve(waitlist.size() + 1);
  p.candidates.reserve(waitlist.size() * (candidates_per_client == 0 ? 16 : candidates_per_client));
  for (const auto& c : waitlist) {
    ranker.Candidates(c, candidates_per_client, p.candidates);
    p.offsets.push_back(p.candidates.size());
  }
  return p;
}

Result<Solution> Assign(const Ranker& ranker, const std::vector<ClientRequest>& waitlist,
                        const AssignOptions& options) {
  const Problem p = BuildProblem(ranker, waitlist, options.candidates_per_client, options.unassigned_penalty);
  switch (options.method) {
    case AssignOptions::Method::GREEDY:
      return SolveGreedy(p);
    case AssignOptions::Method::USUAL:
      return SolveUsual(p, options.seed);
    case AssignOptions::Method::OPTIMAL:
      break;
  }
  return SolveOptimal(p);
}

}  // namespace attune::match
