// Batch assignment plans (docs/api.md, docs/matching.md): the coordinator previews an optimal
// assignment of the waitlist beside assignment as usual for the same clients, adjusts it, and
// commits it. The model, filters and solvers are module match's; the data is LoadMatchData's.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "attune/service/clinic.hpp"
#include "attune/service/matching.hpp"
#include "service/today.hpp"

namespace attune::service {
namespace {

// A prediction in SD units of the clinic as a 0..1 fit: the share of the clinic's typical
// pairings it is predicted to beat (standard normal CDF).
double FitOf(double sd_units) { return 0.5 * std::erfc(-sd_units / std::sqrt(2.0)); }

// Clients waiting on their own choice of therapist: not on the waitlist (LoadMatchData leaves out
// every client with a current episode), they wait for the clinic to confirm that choice.
std::size_t ChoseOwn(const std::vector<Episode>& episodes) {
  std::set<Id> chose;
  for (const auto& e : episodes) {
    if (e.status == "waiting") chose.insert(e.client_id);
  }
  return chose.size();
}

std::vector<std::string> Reasons(const model::FittedModel& fitted, const match::TherapistProfile& therapist,
                                 const match::ClientRequest& client) {
  std::vector<std::string> out;
  auto prediction = model::Predict(fitted, therapist.model, client.model, model::Objective::ALLIANCE);
  if (!prediction) return out;
  auto terms = prediction->terms;
  std::stable_sort(terms.begin(), terms.end(),
                   [](const model::Term& a, const model::Term& b) { return std::abs(a.value) > std::abs(b.value); });
  for (const auto& t : terms) {
    if (out.size() < 3) out.push_back(TermReason(t, Reader::STAFF));  // for the coordinator or admin
  }
  return out;
}

}  // namespace

Result<AssignmentPreview> Clinic::PreviewAssignments(const Actor& actor, std::uint64_t seed) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::ADMIN}, "plan assignments"));
  ATTUNE_TRY(data, LoadMatchData(store_, actor.org));
  ATTUNE_TRY(episodes, store_.ListEpisodes(actor.org));
  AssignmentPreview out;
  out.chose_own = ChoseOwn(episodes);
  out.waitlist = data.waitlist.size();
  out.seed = seed;
  ATTUNE_TRY(fitted, model::Fit(data.training));
  out.model_note = fmt::format("model fitted on {} episodes of {} therapists", fitted.episodes, fitted.therapists);
  for (const auto& n : fitted.notes) out.model_note += "; " + n;
  ATTUNE_TRY(ranker, match::Ranker::Build(fitted, data.therapists, model::Objective::ALLIANCE));
  match::AssignOptions defaults;
  const match::Problem problem = match::BuildProblem(ranker, data.waitlist, 0, defaults.unassigned_penalty);
  ATTUNE_TRY(optimal, match::SolveOptimal(problem));
  ATTUNE_TRY(usual, match::SolveUsual(problem, seed));
  auto rows = [&](const match::Solution& solution, bool explain) {
    std::vector<PlanRow> out_rows;
    for (std::size_t c = 0; c < problem.clients(); ++c) {
      const int t = solution.therapist_of[c];
      if (t < 0) continue;
      PlanRow row;
      row.client_id = data.waitlist_clients[c].id;
      row.therapist_id = data.therapists[static_cast<std::size_t>(t)].model.id;
      for (std::size_t k = problem.offsets[c]; k < problem.offsets[c + 1]; ++k) {
        if (problem.candidates[k].therapist == static_cast<std::uint32_t>(t)) row.predicted_sd = problem.candidates[k].score;
      }
      row.score = FitOf(row.predicted_sd);
      if (explain) row.reasons = Reasons(fitted, data.therapists[static_cast<std::size_t>(t)], data.waitlist[c]);
      out_rows.push_back(std::move(row));
    }
    return out_rows;
  };
  out.plan = rows(optimal, true);
  out.as_usual = rows(usual, false);
  out.unassigned = problem.clients() - optimal.assigned;
  auto mean = [](const std::vector<PlanRow>& r) {
    double s = 0;
    for (const auto& x : r) s += x.score;
    return r.empty() ? 0.0 : s / static_cast<double>(r.size());
  };
  out.plan_mean = mean(out.plan);
  out.as_usual_mean = mean(out.as_usual);
  AuditRead(actor, "assignment.preview", "client", "*",
            fmt::format("{} waiting, {} planned, {} unassigned", out.waitlist, out.plan.size(), out.unassigned));
  return out;
}

Result<std::vector<Id>> Clinic::CommitAssignments(const Actor& actor, const std::vector<PlanRow>& rows) {
  ATTUNE_CHECK(RequireRole(actor, {Role::COORDINATOR, Role::ADMIN}, "commit assignments"));
  if (rows.empty()) return Fail(ErrorCode::INVALID_ARGUMENT, "plan is empty; expected at least one row", "plan");
  ATTUNE_TRY(data, LoadMatchData(store_, actor.org));
  std::unordered_map<Id, std::size_t> waiting, therapist_index;
  for (std::size_t i = 0; i < data.waitlist_clients.size(); ++i) waiting[data.waitlist_clients[i].id] = i;
  for (std::size_t t = 0; t < data.therapists.size(); ++t) therapist_index[data.therapists[t].model.id] = t;
  auto not_waiting = [&rows](std::size_t i) {
    const std::string at = fmt::format("plan[{}]", i);
    return Fail(ErrorCode::CONFLICT,
                fmt::format("{}.client_id {} is not on the waitlist (assigned meanwhile, chose a therapist, or "
                            "not a client here); preview the plan again",
                            at, rows[i].client_id),
                at + ".client_id");
  };
  auto no_room = [&rows](std::size_t i, int room, int given) {
    const std::string at = fmt::format("plan[{}]", i);
    return Fail(ErrorCode::CONFLICT,
                fmt::format("{}: therapist {} has room for {} more client(s); the plan gives them {}", at,
                            rows[i].therapist_id, std::max(room, 0), given),
                at + ".therapist_id");
  };
  std::unordered_map<Id, int> taken;
  std::set<Id> seen;
  std::vector<Episode> episodes;
  const std::string today = TodayUtc();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const PlanRow& row = rows[i];
    const std::string at = fmt::format("plan[{}]", i);
    if (!seen.insert(row.client_id).second) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("{}.client_id {} appears twice; expected each client once", at, row.client_id),
                  at + ".client_id");
    }
    auto c = waiting.find(row.client_id);
    if (c == waiting.end()) return not_waiting(i);
    auto t = therapist_index.find(row.therapist_id);
    if (t == therapist_index.end()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("{}.therapist_id {} is not a therapist of this organisation", at, row.therapist_id),
                  at + ".therapist_id");
    }
    const match::TherapistProfile& profile = data.therapists[t->second];
    match::Filter why{};
    if (!match::Eligible(profile, data.waitlist[c->second], &why) && why != match::Filter::CAPACITY) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("{}: therapist {} {} (client {}; the {} filter)", at, row.therapist_id,
                              match::FilterReason(why), row.client_id, match::FilterName(why)),
                  at + ".therapist_id");
    }
    if (++taken[row.therapist_id] > profile.capacity) return no_room(i, profile.capacity, taken[row.therapist_id]);
    Episode e;
    e.client_id = row.client_id;
    e.therapist_id = row.therapist_id;
    e.started_on = today;
    e.status = "active";
    e.assigned_by = "match";
    episodes.push_back(std::move(e));
  }
  // The waitlist and the places are checked again as stored, with every client's and
  // therapist's row of the plan locked: an episode written since the plan was read (another
  // coordinator's commit, a client's own choice) refuses the plan, and nothing is written.
  ATTUNE_TRY(therapists, store_.ListTherapists(actor.org));
  std::unordered_map<Id, int> capacity;
  for (const auto& th : therapists) capacity[th.id] = th.capacity;
  auto still_open = [&](const std::vector<Episode>& stored) -> Result<std::string> {
    std::set<Id> placed;
    std::unordered_map<Id, int> current, given;
    for (const auto& e : stored) {
      if (e.status == "declined") continue;
      placed.insert(e.client_id);
      if (e.status == "waiting" || e.status == "active") ++current[e.therapist_id];
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (placed.contains(rows[i].client_id)) return not_waiting(i);
      const Id t = rows[i].therapist_id;
      if (current[t] + ++given[t] > capacity[t]) return no_room(i, capacity[t] - current[t], given[t]);
    }
    return std::string();
  };
  return store_.AddEpisodes(actor.org, episodes, AuditActor(actor), still_open);
}

}  // namespace attune::service
