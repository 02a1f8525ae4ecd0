#pragma once
//! Matching use cases (docs/matching.md): assemble the organisation's stored therapists, clients,
//! episodes and scores into the model's training data, fit, then rank therapists for one client or
//! assign the waitlist (optionally randomised matched:usual, optionally committed as episodes).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"
#include "attune/match/match.hpp"
#include "attune/model/model.hpp"
#include "attune/store/store.hpp"

namespace attune::service {

//! What the matcher needs from the store.
//! Facets: the therapist's latest ffmq39 response; style and preferences: Therapist::style and
//! Client::preferences, keys matched to the C-NIP dimensions by name ("therapist_directiveness"),
//! a dimension not given = 0 (the scales' neutral centre); alliance: mean WAI-SR total of an episode's first three
//! wai_sr responses; improvement: first minus last total of its phq9/gad7/core10 responses, in SD
//! units of that instrument's first scores. Client constraints: "language:xx",
//! "modality:in_person|video", "location:X", "exclude:<therapist id>", "risk:high".
struct MatchData {
  model::TrainingData training;
  std::vector<match::TherapistProfile> therapists;  //!< capacity = capacity - active episodes
  std::vector<match::ClientRequest> waitlist;       //!< clients with no active or ended episode
  std::vector<Client> waitlist_clients;
};

//! Reads and assembles everything for `org`.
Result<MatchData> LoadMatchData(store::Store& store, OrgId org);

//! A ranking for one client with the model behind it.
struct RankAnswer {
  model::FittedModel model;
  match::Ranking ranking;
  std::vector<Therapist> therapists;  //!< the ranked therapists' profiles, in ranking order
};
//! Fits on the organisation's data and ranks its therapists for `client_id` (any client, on the
//! waitlist or not). NOT_FOUND when the client does not exist in `org`.
Result<RankAnswer> RankForClient(store::Store& store, OrgId org, Id client_id, model::Objective objective,
                                 double blend_weight, std::size_t top);

//! How to assign the waitlist.
struct AssignWaitlistOptions {
  model::Objective objective = model::Objective::ALLIANCE;
  double blend_weight = 0.5;
  match::AssignOptions assign;
  std::optional<match::Arms> randomise;  //!< matched:usual allocation
  bool commit = false;                   //!< write one episode per assigned client
  std::string started_on;                //!< date of committed episodes (the caller's clock)
  store::Actor actor;
};
//! The plan (and, when committed, the episodes written).
struct AssignPlan {
  model::FittedModel model;
  match::Solution solution;
  std::vector<Id> client_ids;          //!< waitlist order; solution.therapist_of is by index
  std::vector<Id> therapist_ids;       //!< index -> therapist id
  std::vector<unsigned char> matched;  //!< per client when randomised: 1 = by the model
  std::vector<Id> episode_ids;         //!< written episodes (commit)
};
//! Fits, then assigns the waitlist. Committed episodes carry assigned_by "match" (model arm or
//! plain assignment) or "random" (usual arm). The store has no batch insert for episodes yet:
//! they are written one by one and the first error stops, naming the client.
Result<AssignPlan> AssignWaitlist(store::Store& store, OrgId org, const AssignWaitlistOptions& options);

}  // namespace attune::service
