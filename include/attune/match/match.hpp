#pragma once
//! Facade of module `match`: hard filters, ranking with explanations, batch assignment of a
//! waitlist as a min-cost flow (LEMON NetworkSimplex) with an optimality certificate, greedy and
//! as-usual baselines, and randomised matched:usual allocation (docs/matching.md). Pure logic.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/model/model.hpp"

namespace attune::match {

//! How a therapist works, or what a client can attend (BOTH = either, for a client).
enum class Modality { IN_PERSON, VIDEO, BOTH };

//! A therapist as the matcher sees them.
struct TherapistProfile {
  model::TherapistData model;
  std::vector<std::string> languages;
  Modality modality = Modality::BOTH;
  std::string location;      //!< where in-person sessions happen
  int capacity = 0;          //!< remaining places
  bool accepting = true;
  int high_risk_cap = -1;    //!< remaining places for high-risk clients; -1 = no cap
};

//! A client waiting for a therapist.
struct ClientRequest {
  model::ClientData model;
  std::vector<std::string> languages;  //!< languages the client can have therapy in, any of them; empty = any
  Modality modality = Modality::BOTH;
  std::string location;      //!< for in-person sessions; empty = anywhere
  std::vector<Id> excluded;  //!< therapists the client does not want
  bool high_risk = false;
};

//! Why a therapist was filtered out, in the order the filters run.
enum class Filter { NOT_ACCEPTING, CAPACITY, LANGUAGE, MODALITY, LOCATION, EXCLUDED };
inline constexpr std::size_t kFilterCount = 6;
//! Lower-case name ("not_accepting", "capacity", ...).
const char* FilterName(Filter filter);
//! What a failed filter says about the therapist, for people ("speaks none of the client's languages").
const char* FilterReason(Filter filter);
//! Why no therapist is eligible, for people: "none of the 30 therapists fits every need (language:
//! 28, way of meeting: 1, excluded by the clinic: 1)", each filter with the therapists it removed
//! first; "" when some are eligible. Defined below Ranking.
//! True when `therapist` passes every hard filter for `client`; otherwise `why` (if given) says
//! which filter failed first. A therapist speaking any one of the client's languages passes; in
//! person needs the same location (when both give one).
bool Eligible(const TherapistProfile& therapist, const ClientRequest& client, Filter* why = nullptr);

//! One ranked therapist.
struct Ranked {
  Id therapist_id = 0;
  std::size_t index = 0;        //!< into the Ranker's therapists
  double score = 0;             //!< predicted objective, SD units
  model::Prediction prediction; //!< empty terms when explanations were not asked for
};

//! A ranking for one client.
struct Ranking {
  std::vector<Ranked> top;                     //!< best first
  std::size_t eligible = 0;                    //!< therapists passing every filter
  std::array<std::size_t, kFilterCount> filtered{};  //!< how many each filter removed
};

//! See FilterReason: why `ranking` has no eligible therapist, or "".
std::string NoneEligible(const Ranking& ranking);

//! A candidate therapist for one client, with the score the assignment maximises.
struct Candidate {
  std::uint32_t therapist = 0;  //!< index into the therapists
  double score = 0;
};

//! Therapists compiled once for one objective; ranks a client in time linear in therapists.
class Ranker {
 public:
  //! Compiles the therapists. INVALID_ARGUMENT for a negative capacity, duplicate id or a
  //! blend weight outside [0, 1].
  static Result<Ranker> Build(const model::FittedModel& model, std::vector<TherapistProfile> therapists,
                              model::Objective objective = model::Objective::ALLIANCE, double blend_weight = 0.5);
  Ranker(Ranker&&) noexcept;
  Ranker& operator=(Ranker&&) noexcept;
  ~Ranker();

  //! The `top` eligible therapists, best first, with explanations when `explain`.
  Ranking Rank(const ClientRequest& client, std::size_t top = 10, bool explain = true) const;
  //! At most `k` best eligible therapists (0 = all), best first, appended to `out`.
  void Candidates(const ClientRequest& client, std::size_t k, std::vector<Candidate>& out) const;
  //! The therapists, in the order given.
  const std::vector<TherapistProfile>& therapists() const;

 private:
  struct Impl;
  explicit Ranker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

//! Options for Rank.
struct RankOptions {
  model::Objective objective = model::Objective::ALLIANCE;
  double blend_weight = 0.5;  //!< alliance share for BLEND
  std::size_t top = 10;
};
//! One-off ranking (builds a Ranker): filters, scores, explains the top.
Result<Ranking> Rank(const model::FittedModel& model, const std::vector<TherapistProfile>& therapists,
                     const ClientRequest& client, const RankOptions& options = {});

//! A waitlist as an assignment problem: per client a list of candidates (CSR layout).
struct Problem {
  std::vector<int> capacity;              //!< per therapist
  std::vector<int> high_risk_cap;         //!< per therapist, -1 = none; empty = no caps
  std::vector<unsigned char> high_risk;   //!< per client; empty = nobody high-risk
  std::vector<std::size_t> offsets{0};    //!< client c's candidates: [offsets[c], offsets[c + 1])
  std::vector<Candidate> candidates;
  double unassigned_penalty = 10;         //!< SD units lost for leaving a client unassigned
  std::size_t clients() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};

//! Post-hoc proof of optimality: flow conservation, bounds and complementary slackness of the
//! reduced costs cost(uv) + pi(u) - pi(v) against the solver's node potentials.
struct Certificate {
  bool checked = false;
  bool conserved = false;   //!< every node's flow balance equals its supply; bounds respected
  bool optimal = false;     //!< no arc with residual capacity has negative reduced cost
  long long worst_violation = 0;  //!< in integer cost units (0 when optimal)
  std::string problem;      //!< what failed, naming the arc or node
};

//! An assignment of every client to a therapist index or -1.
struct Solution {
  std::string method;             //!< "optimal" | "greedy" | "usual" | "randomised"
  std::vector<int> therapist_of;  //!< per client
  std::size_t assigned = 0;
  double total_score = 0;         //!< sum of the assigned candidates' scores
  double objective = 0;           //!< total_score - penalty * unassigned
  Certificate certificate;        //!< checked for "optimal"
};

//! Checks a problem's shape. INVALID_ARGUMENT naming the field (negative capacity, therapist
//! index out of range, a client listing a therapist twice, non-finite score).
Result<void> Validate(const Problem& problem);
//! Optimal assignment as a min-cost flow (LEMON NetworkSimplex), certificate checked.
Result<Solution> SolveOptimal(const Problem& problem);
//! Greedy baseline: best remaining (client, therapist) pair first.
Result<Solution> SolveGreedy(const Problem& problem);
//! Assignment as usual: clients in order, each to a uniformly random candidate with room.
Result<Solution> SolveUsual(const Problem& problem, std::uint64_t seed);
//! Checks `solution` against `problem`: capacities, caps and candidate lists respected.
Result<void> CheckFeasible(const Problem& problem, const Solution& solution);

//! Ratio of the randomised allocation, e.g. matched:usual = 1:1.
struct Arms {
  int matched = 1;
  int usual = 1;
};
//! Parses "matched:usual=1:1"; INVALID_ARGUMENT otherwise.
Result<Arms> ParseArms(const std::string& text);
//! A randomised allocation: which arm each client is in, and the combined assignment.
struct Allocation {
  std::vector<unsigned char> matched;  //!< per client: 1 = assigned by the model, 0 = as usual
  Solution solution;
};
//! Randomises clients to arms in permuted blocks of matched + usual, splits every therapist's
//! capacity between the arms in the same ratio, assigns the matched arm optimally and the usual
//! arm as usual. Deterministic for a seed.
Result<Allocation> Randomise(const Problem& problem, Arms arms, std::uint64_t seed);

//! How to assign a waitlist.
struct AssignOptions {
  //! Best eligible therapists kept per client (0 = all eligible). A limit makes the flow smaller
  //! but is exact only for the restricted problem: when the same therapists top every list,
  //! clients can be left out who had eligible therapists with room.
  std::size_t candidates_per_client = 0;
  double unassigned_penalty = 10;
  enum class Method { OPTIMAL, GREEDY, USUAL } method = Method::OPTIMAL;
  std::uint64_t seed = 1;  //!< for USUAL
};
//! The waitlist as a Problem over the Ranker's therapists (filters applied, scores from the model).
Problem BuildProblem(const Ranker& ranker, const std::vector<ClientRequest>& waitlist,
                     std::size_t candidates_per_client, double unassigned_penalty);
//! Assigns a waitlist: BuildProblem then the chosen method.
Result<Solution> Assign(const Ranker& ranker, const std::vector<ClientRequest>& waitlist,
                        const AssignOptions& options = {});

}  // namespace attune::match
