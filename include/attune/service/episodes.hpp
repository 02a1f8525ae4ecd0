#pragma once
//! An episode's course (docs/api.md "Episodes"): a client's choice waits for the clinic, which
//! confirms it (active) or declines it; therapy ends. One current (waiting or active) episode per
//! client, and each current episode holds a place in its therapist's capacity. The rules are here
//! once, for the API (service::Clinic) and the CLI (`attune episode`).
//!
//! Errors: NOT_FOUND (field "id", or client_id / therapist_id of a new episode), CONFLICT (status:
//! the move is not one the episode can make; client_id: the client has a current episode),
//! INVALID_ARGUMENT (a date or note, or a hard filter the pairing fails, field named),
//! FAILED_PRECONDITION (therapist_id: not accepting or full, unless overbooked), IO.

#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/core/types.hpp"
#include "attune/store/store.hpp"

namespace attune::service {

//! What a coordinator decides about an episode.
struct EpisodeDecision {
  std::string on;         //!< confirm: the first day of therapy; decline, end: the last day; "" = today (UTC)
  std::string note;       //!< why (required to decline; kept on the episode)
  bool overbook = false;  //!< confirm: even when the therapist is full or not accepting
};

//! The current episodes of a therapist, other than `except` (an episode's own place).
int CurrentEpisodes(const std::vector<Episode>& episodes, Id therapist_id, Id except = 0);

//! Whether `therapist` may take `client` in a current episode, given every episode stored (the
//! episode `except` not counted): the hard filters of module match on the client's constraints
//! (INVALID_ARGUMENT naming therapist_id and the filter), then accepting and room (current
//! episodes < capacity; FAILED_PRECONDITION naming therapist_id with the count) unless
//! `overbook`. Returns the audit remark: "" or, when overbooked past a refusal, what was passed.
Result<std::string> CheckPairing(const Therapist& therapist, const Client& client, const std::vector<Episode>& episodes,
                                 Id except, bool overbook);

//! A date a coordinator gives for today or the past: `value` a date YYYY-MM-DD ("" = today, UTC),
//! not before `earliest` (when given) and not after today (one day's grace for clocks ahead of
//! UTC). INVALID_ARGUMENT names `field`.
Result<std::string> PastDate(const std::string& value, const char* field, const std::string& earliest = "",
                             const char* earliest_is = "");

//! Writes a new episode after the checks of docs/api.md: the client has no current episode
//! (unless the new one is ended), started_on ("" = today) not after today, and a current one passes
//! CheckPairing against the episodes as stored (under the write lock). Returns the episode stored.
Result<Episode> OpenEpisode(store::Store& store, OrgId org, Episode episode, bool overbook,
                            const store::Actor& actor);
//! waiting -> active, started on `decision.on` (not before the choice nor after today), after
//! CheckPairing (its own place not counted twice). Audit "episode.confirm".
Result<Episode> ConfirmEpisode(store::Store& store, OrgId org, Id id, const EpisodeDecision& decision,
                               const store::Actor& actor);
//! waiting -> declined on `decision.on` with a required note (the clinic declines the choice, or
//! the client withdraws it). Audit "episode.decline" with the note.
Result<Episode> DeclineEpisode(store::Store& store, OrgId org, Id id, const EpisodeDecision& decision,
                               const store::Actor& actor);
//! active -> ended on `decision.on` (not before it started nor after today), with an optional
//! note. Audit "episode.end".
Result<Episode> EndEpisode(store::Store& store, OrgId org, Id id, const EpisodeDecision& decision,
                           const store::Actor& actor);

}  // namespace attune::service
