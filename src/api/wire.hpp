#pragma once
// Private to module api: wire JSON <-> domain values. Readers refuse a wrong shape naming the
// field, the value and what was expected (INVALID_ARGUMENT).

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>

#include "attune/core/languages.hpp"
#include "attune/core/result.hpp"
#include "attune/core/types.hpp"
#include "attune/instruments/instrument.hpp"
#include "attune/service/clinic.hpp"

namespace attune::api::wire {

using nlohmann::json;

//! A string field of at most 10,000 characters (Unicode code points), without NUL or control
//! characters other than tab and line breaks; a required one must be present and not blank
//! (spaces, tabs and line breaks only). Array entries and object keys are held to the same rules.
Result<std::string> String(const json& j, const char* field, bool required);
//! The text of a header that is stored (Idempotency-Key): valid UTF-8 on one line, without
//! control characters, at most `max_characters` code points; refusals name the header.
Result<void> CheckHeader(const std::string& value, const char* header, std::size_t max_characters);
//! A reply body as JSON text. Bytes that are not UTF-8 (stored before the doors refused them)
//! come out as U+FFFD instead of failing the whole reply.
std::string Text(const json& j);
//! A value as refusals show it: as JSON, cut to 40 bytes (never inside a UTF-8 character).
std::string Shown(const json& v);
Result<std::int64_t> Int(const json& j, const char* field, bool required);
//! Refuses a key of `j` that is not one of `fields`, naming it (cut to 40 characters, after
//! `path`, e.g. "plan[1]."), as "{path}{key} is not a {noun}; expected a, b or c". Every reader
//! of a JSON body calls it first: an unknown key is refused, never ignored (a misspelt one would
//! silently lose what it meant, and a PUT would then write the fields it left out as empty).
Result<void> OnlyFields(const json& j, std::span<const char* const> fields, const char* noun,
                        const std::string& path = "");
//! A required true/false field.
Result<bool> Bool(const json& j, const char* field);
Result<std::optional<Id>> OptionalId(const json& j, const char* field);
Result<Role> ParseRole(const std::string& text);
Result<std::size_t> ParseCount(const std::string& text, const char* field, std::size_t min, std::size_t max);

Result<Therapist> TherapistFrom(const json& j);
//! A partial profile change (PATCH): only the keys present change; unknown keys and null are refused.
Result<store::TherapistUpdate> TherapistUpdateFrom(const json& j);
//! `with_identity`: external_id and pseudonym are read too (creation), else intake fields only
//! (and external_id or pseudonym refused as unknown), each of the four required: a PUT replaces
//! the intake, so a missing or null field is INVALID_ARGUMENT naming it, not an empty one. Array entries are strings of at most
//! 10,000 characters, refused naming the field and index ("concerns[0]").
Result<Client> ClientFrom(const json& j, bool with_identity);
Result<Episode> EpisodeFrom(const json& j);
//! The instrument a submission body names, once its keys are known ones (read first: the
//! instrument is needed to read the answers).
Result<std::string> SubmissionInstrument(const json& j);
//! answers: an array in item order (null = unanswered) or an object item id -> value.
Result<service::Submission> SubmissionFrom(const json& j, const instruments::Instrument& instrument);

json ActorJson(const service::Actor& actor);
json UserJson(const store::UserLogin& user);
// A therapist as JSON. `client_view`: as a client sees them (Clinic's ClientView): id, name,
// whether accepting, and only the fields the therapist shows to clients; hidden ones are absent.
json TherapistJson(const Therapist& t, bool client_view = false);
json ClientJson(const Client& c);
// A language as JSON: {code, name}.
json LanguageJson(const Language& l);
json SessionJson(const Session& s);
json ScoreJson(const Score& s);
json AlertJson(const Alert& a);
json ResponseJson(const Response& r, const std::vector<Score>& scores);
json AuditJson(const AuditEntry& e);
json OrganisationJson(const service::OrganisationView& o);

}  // namespace attune::api::wire
