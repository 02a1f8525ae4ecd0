#pragma once
// Private to module store: the rules a therapist, client or user row keeps, checked before any
// write whichever door it came in by (the API, `attune import`, `attune user add`, the simulator).
// Each refusal is INVALID_ARGUMENT naming the field (with the index of a list entry), the value
// and what was expected; `where` prefixes the message for a row of a batch ("therapist 3: ").

#include <cstddef>
#include <string>
#include <string_view>

#include "attune/core/dates.hpp"
#include "attune/core/result.hpp"
#include "attune/core/types.hpp"
#include "attune/store/store.hpp"

namespace attune::store::detail {

//! Empty, or nothing but spaces, tabs and line breaks.
bool IsBlank(std::string_view text);

//! The profile fields an update gives (unset fields are not looked at): approaches and languages
//! without blank entries, modality in_person, video or both (or empty: not stated), capacity
//! 0..1000, client_visible each at most once of approaches, style, languages, modality, location,
//! mindfulness. Creating and changing a therapist go through this one check.
Result<void> CheckTherapistProfile(const TherapistUpdate& profile, const std::string& where = "");
//! A new therapist: external_id and display_name not blank, and the profile as above. `index`
//! is the row's 1-based position in a batch, 0 for a single row.
Result<void> CheckTherapist(const Therapist& therapist, std::size_t index);
//! What an intake holds: concerns and goals without blank entries, each constraint one of the
//! forms of ParseConstraint (attune/core/constraints.hpp).
Result<void> CheckIntake(const Client& intake, const std::string& where = "");
//! A new client: external_id and pseudonym not blank, and the intake as above.
Result<void> CheckClient(const Client& client, std::size_t index);
//! A new or changed episode: started_on a date on the calendar (YYYY-MM-DD); status one of
//! waiting, active, ended or declined; ended_on such a date, given exactly when status is "ended"
//! or "declined", and not before started_on; assigned_by one of coordinator, match, client_choice
//! or random; note text as the store keeps it; neither date after `latest.date` (today, with a
//! day's grace: LatestDone). `index` as for CheckTherapist; a batch reads the clock once.
Result<void> CheckEpisode(const Episode& episode, std::size_t index, const LatestDone& latest);
//! LatestDone at this moment, by the store's clock.
LatestDone Latest();
//! A session's held_at not in the future (a session is recorded once held); `index` as for CheckTherapist.
Result<void> CheckHeldAt(const Session& session, std::size_t index, const LatestDone& latest);
//! A date or time of a thing already done (answered_at, held_at) no later than `latest` allows;
//! `where` as above, `expected` what the field holds ("the time the form was answered").
Result<void> NotInFuture(const std::string& where, const char* field, const std::string& value,
                         const LatestDone& latest, const char* expected);
//! A new user: the handle not blank, one line of UTF-8 text without control characters, no space
//! at either end, and in Unicode NFC (so that "josé" written two ways is one handle).
Result<void> CheckUser(const User& user);
//! A training log entry: its kind one line of text, not blank; its note text.
Result<void> CheckTrainingRecord(const TrainingRecord& record);
//! Two handles that are one for uniqueness: equal but for the case of ASCII letters ("Coord" and
//! "coord"). Other letters are compared as written.
bool SameHandle(std::string_view a, std::string_view b);

}  // namespace attune::store::detail
