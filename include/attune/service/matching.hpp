#pragma once
//! Matching use cases (docs/matching.md): assemble the organisation's stored therapists, clients,
//! episodes and scores into the model's training data, fit, then rank therapists for one client or
//! assign the waitlist (optionally randomised matched:usual, optionally committed as episodes).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
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
//! a dimension not given is unknown to the model; alliance: mean WAI-SR total of an episode's first three
//! wai_sr responses; improvement: first minus last total of its phq9/gad7/core10 responses, in SD
//! units of that instrument's first scores. Client constraints: "language:xx",
//! "modality:in_person|video", "location:X", "exclude:<therapist id>", "risk:high".
struct MatchData {
  model::TrainingData training;
  std::vector<match::TherapistProfile> therapists;  //!< capacity = capacity - current (active or waiting) episodes
  std::vector<match::ClientRequest> waitlist;       //!< clients with no current or ended episode
  std::vector<Client> waitlist_clients;
};

//! A therapist as the matcher sees them: `facet_scores` are the scale scores of their latest
//! ffmq39 response (null = none; facets known only when all five are scorable), capacity is
//! what `current_episodes` (active or waiting) leave of it.
match::TherapistProfile ProfileOf(const Therapist& therapist, const std::map<std::string, double>* facet_scores,
                                  int current_episodes);
//! A client's request from the stored row: preferences, concerns and constraints (as MatchData).
match::ClientRequest RequestOf(const Client& client);
//! Scale scores by response id (a stored response's scores do not change).
using ScoresByResponse = std::unordered_map<Id, std::map<std::string, double>>;
//! ProfileOf for each of `therapists` (in their order), reading only their latest ffmq39 scores
//! and the current episodes: what the API's recommendations need without LoadMatchData. `memo`
//! (optional) holds scores read before: only responses not in it are read, and added to it.
Result<std::vector<match::TherapistProfile>> LoadTherapistProfiles(store::Store& store, OrgId org,
                                                                   const std::vector<Therapist>& therapists,
                                                                   ScoresByResponse* memo = nullptr);

//! Reads and assembles everything for `org`.
Result<MatchData> LoadMatchData(store::Store& store, OrgId org);

//! How the stored matching model is kept fresh (docs/matching.md, "Stored model and refits").
struct ModelFreshness {
  //! Refit once the organisation's stored responses have grown by more than this fraction since
  //! the stored fit (or shrunk): the "schedule" is data-driven, not calendar-driven.
  double refit_growth = 0.10;
  bool force_refit = false;  //!< refit now whatever is stored (`attune match ... --refit`)
};

//! The matching model in use, with its date and the data size it was fitted on.
struct CurrentModel {
  std::shared_ptr<const model::FittedModel> model;  //!< fitted_at and episodes inside
  std::int64_t responses_at_fit = 0;                //!< stored responses when it was fitted
  std::int64_t responses_now = 0;                   //!< stored responses now
  bool refitted = false;                            //!< fitted (and stored) by this call
  std::string reason;  //!< why it was refitted or reused, e.g. "responses grew 12% (> 10%)"
};

//! Fits the matching model on the organisation's stored data now and stores it (fitted_models
//! rows "match.model" and "match.model.meta"; audit "model.fit"), replacing any stored one.
Result<CurrentModel> FitMatchModel(store::Store& store, OrgId org, const store::Actor& actor = {});

//! The organisation's current matching model, cheaply: reads the stored model's small meta row
//! and counts the responses; a fresh stored model is parsed once per (org, fitted_at) and then
//! served from a process-wide cache (thread-safe). Refits and stores (as FitMatchModel) when none
//! is stored, when the responses grew past `freshness.refit_growth`, or when forced. For the
//! API's recommendations and for rank / assign.
Result<CurrentModel> CurrentMatchModel(store::Store& store, OrgId org, const ModelFreshness& freshness = {},
                                       const store::Actor& actor = {});

//! A ranking for one client with the model behind it.
struct RankAnswer {
  CurrentModel model;
  match::Ranking ranking;
  std::vector<Therapist> therapists;  //!< the ranked therapists' profiles, in ranking order
};
//! Ranks the organisation's therapists for `client_id` (any client, on the waitlist or not) with
//! the current model (CurrentMatchModel). NOT_FOUND when the client does not exist in `org`.
Result<RankAnswer> RankForClient(store::Store& store, OrgId org, Id client_id, model::Objective objective,
                                 double blend_weight, std::size_t top, const ModelFreshness& freshness = {});

//! Who reads a model term's reason.
enum class Reader { CLIENT, STAFF };
//! A model term in words for `reader` (docs/matching.md, "Uncertainty and explanations"): a
//! client reads about their own preferences ("fits your preference for a directive style") and no
//! number of past clients (caseload is not a field a therapist can show); staff read about the
//! client ("fits the client's preference for ..."). `style_shown`: the therapist shows clients
//! their style; when not, a client's fit term does not name it. A fit term says "fits" or
//! "differs from" by the sign of its value, so a reason never contradicts it. A facet's raw
//! FFMQ-39 score only when the term carries it (Term::raw_score: the therapist opted in).
std::string TermReason(const model::Term& term, Reader reader, bool style_shown = true);

//! How to assign the waitlist.
struct AssignWaitlistOptions {
  model::Objective objective = model::Objective::ALLIANCE;
  double blend_weight = 0.5;
  match::AssignOptions assign;
  std::optional<match::Arms> randomise;  //!< matched:usual allocation
  bool commit = false;                   //!< write one episode per assigned client
  ModelFreshness freshness;              //!< when to refit the stored model
  std::string started_on;                //!< date of committed episodes (the caller's clock)
  store::Actor actor;
};
//! The plan (and, when committed, the episodes written).
struct AssignPlan {
  CurrentModel model;
  match::Solution solution;
  std::vector<Id> client_ids;          //!< waitlist order; solution.therapist_of is by index
  std::vector<Id> therapist_ids;       //!< index -> therapist id
  std::vector<unsigned char> matched;  //!< per client when randomised: 1 = by the model
  std::vector<Id> episode_ids;         //!< written episodes (commit)
};
//! Takes the current model (CurrentMatchModel), then assigns the waitlist (clients with no current
//! or ended episode: one waiting on their own choice is not on it). Committed episodes carry
//! assigned_by "match" (model arm or plain assignment) or "random" (usual arm); each is written as
//! OpenEpisode writes one (the client still without a current episode, the therapist with room,
//! checked under the write lock), one by one, and the first error stops, naming the client.
Result<AssignPlan> AssignWaitlist(store::Store& store, OrgId org, const AssignWaitlistOptions& options);

}  // namespace attune::service
