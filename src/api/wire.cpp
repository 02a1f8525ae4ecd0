#include "api/wire.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <iterator>

#include "attune/core/text.hpp"
#include "attune/instruments/scoring.hpp"
#include "attune/monitor/json.hpp"

namespace attune::api::wire {

namespace {

// The first `n` bytes of `text`, or fewer so as not to end inside a UTF-8 character (refusals go
// out as JSON, which must stay valid UTF-8).
std::string Cut(const std::string& text, std::size_t n) {
  if (text.size() <= n) return text;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

Error Wrong(const char* field, const json& v, const char* expected) {
  return Error{ErrorCode::INVALID_ARGUMENT, fmt::format("{} is {}; expected {}", field, Shown(v), expected), field};
}

// The longest string a body may carry, at the top level or inside an array.
constexpr std::size_t kMaxString = 10000;

Error TooLong(const std::string& field) {
  return Error{ErrorCode::INVALID_ARGUMENT, fmt::format("{} is longer than {} characters", field, kMaxString), field};
}

// A string read from a body: no NUL or control character but tab and line breaks (the parser has
// refused invalid UTF-8 already; checked again for text from elsewhere), at most kMaxString
// characters (code points: 2,500 emoji are 10,000 bytes but 2,500 characters).
Result<void> CheckString(const std::string& text, const std::string& field) {
  ATTUNE_CHECK(CheckText(text, field, TextLines::MANY));
  if (text.size() > kMaxString && Utf8Length(text).value_or(0) > kMaxString) return TooLong(field);
  return Ok();
}

Result<std::vector<std::string>> StringList(const json& j, const char* field) {
  std::vector<std::string> out;
  if (!j.contains(field) || j[field].is_null()) return out;
  const auto& v = j[field];
  if (!v.is_array()) return Wrong(field, v, "an array of strings");
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) return Wrong(field, v, "an array of strings");
    ATTUNE_CHECK(CheckString(v[i].get_ref<const std::string&>(), fmt::format("{}[{}]", field, i)));
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

Result<std::map<std::string, double>> NumberMap(const json& j, const char* field) {
  std::map<std::string, double> out;
  if (!j.contains(field) || j[field].is_null()) return out;
  const auto& v = j[field];
  if (!v.is_object()) return Wrong(field, v, "an object of numbers");
  for (const auto& [k, e] : v.items()) {
    if (!e.is_number()) return Wrong(field, v, "an object of numbers");
    ATTUNE_CHECK(CheckString(k, fmt::format("{} key {}", field, Shown(json(k)))));
    out[k] = e.get<double>();
  }
  return out;
}

json OptionalJson(const std::optional<Id>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

std::string Shown(const json& v) {
  std::string text = v.dump();
  if (text.size() > 40) text = Cut(text, 37) + "...";
  return text;
}

Result<void> OnlyFields(const json& j, std::span<const char* const> fields, const char* noun, const std::string& path) {
  for (const auto& [key, value] : j.items()) {
    if (std::none_of(fields.begin(), fields.end(), [&](const char* f) { return key == f; })) {
      std::string expected = fields.empty() ? "no fields" : "";
      for (std::size_t i = 0; i < fields.size(); ++i) {
        expected += i == 0 ? "" : i + 1 == fields.size() ? " or " : ", ";
        expected += fields[i];
      }
      const std::string name = path + Cut(key, 40);
      return Error{ErrorCode::INVALID_ARGUMENT, fmt::format("{} is not a {}; expected {}", name, noun, expected), name};
    }
  }
  return Ok();
}

Result<bool> Bool(const json& j, const char* field) {
  if (!j.contains(field)) {
    return Error{ErrorCode::INVALID_ARGUMENT, fmt::format("{} is missing; expected true or false", field), field};
  }
  if (!j[field].is_boolean()) return Wrong(field, j[field], "true or false");
  return j[field].get<bool>();
}

Result<std::string> String(const json& j, const char* field, bool required) {
  if (!j.contains(field) || j[field].is_null()) {
    if (required) return Error{ErrorCode::INVALID_ARGUMENT, fmt::format("{} is missing; expected a string", field), field};
    return std::string();
  }
  if (!j[field].is_string()) return Wrong(field, j[field], "a string");
  std::string s = j[field].get<std::string>();
  if (required && s.find_first_not_of(" \t\n\r\f\v") == std::string::npos) {
    return Wrong(field, j[field], "a string that is not blank");
  }
  ATTUNE_CHECK(CheckString(s, field));
  return s;
}

Result<void> CheckHeader(const std::string& value, const char* header, std::size_t max_characters) {
  if (auto text = CheckText(value, fmt::format("{} header", header), TextLines::ONE); !text) {
    return Error{ErrorCode::INVALID_ARGUMENT, text.error().message, header};
  }
  if (Utf8Length(value).value_or(0) > max_characters) {
    return Error{ErrorCode::INVALID_ARGUMENT,
                 fmt::format("{} header is longer than {} characters", header, max_characters), header};
  }
  return Ok();
}

std::string Text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<std::int64_t> Int(const json& j, const char* field, bool required) {
  if (!j.contains(field) || j[field].is_null()) {
    if (required) return Error{ErrorCode::INVALID_ARGUMENT, fmt::format("{} is missing; expected an integer", field), field};
    return std::int64_t{0};
  }
  if (!j[field].is_number_integer()) return Wrong(field, j[field], "an integer");
  return j[field].get<std::int64_t>();
}

Result<std::optional<Id>> OptionalId(const json& j, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return std::optional<Id>{};
  if (!j[field].is_number_integer() || j[field].get<std::int64_t>() < 1) return Wrong(field, j[field], "a positive integer id");
  return std::optional<Id>{j[field].get<std::int64_t>()};
}

Result<Role> ParseRole(const std::string& text) {
  if (text == "admin") return Role::ADMIN;
  if (text == "coordinator") return Role::COORDINATOR;
  if (text == "therapist") return Role::THERAPIST;
  if (text == "researcher") return Role::RESEARCHER;
  if (text == "client") return Role::CLIENT;
  return Error{ErrorCode::INVALID_ARGUMENT,
               fmt::format("role is \"{}\"; expected admin, coordinator, therapist, researcher or client", text),
               "role"};
}

Result<std::size_t> ParseCount(const std::string& text, const char* field, std::size_t min, std::size_t max) {
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < min || n > max) {
    return Error{ErrorCode::INVALID_ARGUMENT,
                 fmt::format("{} is \"{}\"; expected an integer from {} to {}", field, text.substr(0, 20), min, max),
                 field};
  }
  return n;
}

Result<Therapist> TherapistFrom(const json& j) {
  static const char* const kFields[] = {"external_id", "display_name", "approaches", "style",     "languages",
                                        "modality",    "location",     "capacity",   "accepting", "client_visible"};
  ATTUNE_CHECK(OnlyFields(j, kFields, "field of a therapist"));
  Therapist t;
  ATTUNE_TRY(external_id, String(j, "external_id", true));
  ATTUNE_TRY(display_name, String(j, "display_name", true));
  ATTUNE_TRY(approaches, StringList(j, "approaches"));
  ATTUNE_TRY(style, NumberMap(j, "style"));
  ATTUNE_TRY(languages, StringList(j, "languages"));
  ATTUNE_TRY(modality, String(j, "modality", false));
  ATTUNE_TRY(location, String(j, "location", false));
  ATTUNE_TRY(capacity, Int(j, "capacity", false));
  ATTUNE_TRY(visible, StringList(j, "client_visible"));
  if (!modality.empty() && modality != "in_person" && modality != "video" && modality != "both") {
    return Wrong("modality", j["modality"], "in_person, video or both");
  }
  if (capacity < 0 || capacity > 1000) return Wrong("capacity", j["capacity"], "an integer from 0 to 1000");
  if (j.contains("accepting") && !j["accepting"].is_boolean()) return Wrong("accepting", j["accepting"], "true or false");
  t.external_id = external_id;
  t.display_name = display_name;
  t.approaches = approaches;
  t.style = style;
  t.languages = languages;
  t.modality = modality.empty() ? "both" : modality;
  t.location = location;
  t.capacity = static_cast<int>(capacity);
  t.accepting = j.value("accepting", true);
  t.client_visible = visible;
  return t;
}

Result<store::TherapistUpdate> TherapistUpdateFrom(const json& j) {
  static const char* const kFields[] = {"approaches", "style",    "languages", "modality",
                                        "location",   "capacity", "accepting", "client_visible"};
  if (j.empty()) {
    return Error{ErrorCode::INVALID_ARGUMENT,
                 "request body is {}; expected at least one of approaches, style, languages, modality, location, "
                 "capacity, accepting, client_visible",
                 "body"};
  }
  ATTUNE_CHECK(OnlyFields(j, kFields, "changeable field"));
  for (const auto& [key, value] : j.items()) {
    if (value.is_null()) {
      return Error{ErrorCode::INVALID_ARGUMENT, fmt::format("{} is null; expected a value (leave it out to keep it)", key),
                   key};
    }
  }
  store::TherapistUpdate u;
  if (j.contains("approaches")) {
    ATTUNE_TRY(approaches, StringList(j, "approaches"));
    u.approaches = std::move(approaches);
  }
  if (j.contains("style")) {
    ATTUNE_TRY(style, NumberMap(j, "style"));
    u.style = std::move(style);
  }
  if (j.contains("languages")) {
    ATTUNE_TRY(languages, StringList(j, "languages"));
    u.languages = std::move(languages);
  }
  if (j.contains("modality")) {
    ATTUNE_TRY(modality, String(j, "modality", true));
    u.modality = std::move(modality);
  }
  if (j.contains("location")) {
    ATTUNE_TRY(location, String(j, "location", false));
    u.location = std::move(location);
  }
  if (j.contains("capacity")) {
    ATTUNE_TRY(capacity, Int(j, "capacity", true));
    if (capacity < 0 || capacity > 1000) return Wrong("capacity", j["capacity"], "an integer from 0 to 1000");
    u.capacity = static_cast<int>(capacity);
  }
  if (j.contains("accepting")) {
    if (!j["accepting"].is_boolean()) return Wrong("accepting", j["accepting"], "true or false");
    u.accepting = j["accepting"].get<bool>();
  }
  if (j.contains("client_visible")) {
    ATTUNE_TRY(client_visible, StringList(j, "client_visible"));
    u.client_visible = std::move(client_visible);
  }
  return u;
}

Result<Client> ClientFrom(const json& j, bool with_identity) {
  static const char* const kClientFields[] = {"external_id", "pseudonym",   "concerns",
                                              "goals",       "preferences", "constraints"};
  // An intake (PUT) replaces these four; the identity is not changed there.
  static const char* const kIntakeFields[] = {"concerns", "goals", "preferences", "constraints"};
  if (with_identity) {
    ATTUNE_CHECK(OnlyFields(j, kClientFields, "field of a client"));
  } else {
    ATTUNE_CHECK(OnlyFields(j, kIntakeFields, "field of an intake"));
  }
  Client c;
  if (with_identity) {
    ATTUNE_TRY(external_id, String(j, "external_id", true));
    ATTUNE_TRY(pseudonym, String(j, "pseudonym", true));
    c.external_id = external_id;
    c.pseudonym = pseudonym;
  }
  ATTUNE_TRY(concerns, StringList(j, "concerns"));
  ATTUNE_TRY(goals, StringList(j, "goals"));
  ATTUNE_TRY(preferences, NumberMap(j, "preferences"));
  ATTUNE_TRY(constraints, StringList(j, "constraints"));
  if (!with_identity) {
    // PUT replaces the whole intake: a field left out would be written empty, so "concerns" alone
    // erased the goals, preferences and constraints. Every field is asked for (an empty list or
    // object clears it on purpose; null is not one), after the values given are checked.
    for (const char* field : kIntakeFields) {
      if (!j.contains(field) || j[field].is_null()) {
        return Error{ErrorCode::INVALID_ARGUMENT,
                     fmt::format("{} is missing; expected the whole intake (concerns, goals, preferences and "
                                 "constraints: PUT replaces it, so a field left out is not taken as empty)",
                                 field),
                     field};
      }
    }
  }
  c.concerns = concerns;
  c.goals = goals;
  c.preferences = preferences;
  c.constraints = constraints;
  return c;
}

Result<Episode> EpisodeFrom(const json& j) {
  static const char* const kFields[] = {"client_id", "therapist_id", "started_on", "ended_on",
                                        "status",    "assigned_by",  "note",       "overbook"};
  ATTUNE_CHECK(OnlyFields(j, kFields, "field of an episode"));
  Episode e;
  ATTUNE_TRY(client, OptionalId(j, "client_id"));
  ATTUNE_TRY(therapist, OptionalId(j, "therapist_id"));
  ATTUNE_TRY(started_on, String(j, "started_on", true));
  ATTUNE_TRY(status, String(j, "status", false));
  ATTUNE_TRY(assigned_by, String(j, "assigned_by", false));
  ATTUNE_TRY(ended_on, String(j, "ended_on", false));
  ATTUNE_TRY(note, String(j, "note", false));
  if (!client) return Error{ErrorCode::INVALID_ARGUMENT, "client_id is missing; expected a client id", "client_id"};
  if (!therapist) return Error{ErrorCode::INVALID_ARGUMENT, "therapist_id is missing; expected a therapist id", "therapist_id"};
  if (!status.empty() && status != "waiting" && status != "active" && status != "ended") {
    return Wrong("status", j["status"], "waiting, active or ended");
  }
  e.client_id = *client;
  e.therapist_id = *therapist;
  e.started_on = started_on;
  e.ended_on = ended_on;
  e.status = status.empty() ? "active" : status;
  e.assigned_by = j.contains("assigned_by") && !j["assigned_by"].is_null() ? assigned_by : "coordinator";
  e.note = note;
  return e;
}

Result<std::string> SubmissionInstrument(const json& j) {
  static const char* const kFields[] = {"instrument_id", "subject_id",  "episode_id",
                                        "session_id",    "answered_at", "answers"};
  ATTUNE_CHECK(OnlyFields(j, kFields, "field of a response"));
  return String(j, "instrument_id", true);
}

Result<service::Submission> SubmissionFrom(const json& j, const instruments::Instrument& instrument) {
  service::Submission s;
  s.instrument_id = instrument.id;
  ATTUNE_TRY(subject, OptionalId(j, "subject_id"));
  ATTUNE_TRY(episode, OptionalId(j, "episode_id"));
  ATTUNE_TRY(session, OptionalId(j, "session_id"));
  ATTUNE_TRY(answered_at, String(j, "answered_at", true));
  s.subject_id = subject.value_or(0);
  s.episode_id = episode;
  s.session_id = session;
  s.answered_at = answered_at;
  if (!j.contains("answers")) {
    return Error{ErrorCode::INVALID_ARGUMENT, "answers is missing; expected an array or an object of item values", "answers"};
  }
  const auto& a = j["answers"];
  if (a.is_array()) {
    if (a.size() > 1000) return Wrong("answers", a, "at most 1000 answers");
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].is_null()) {
        s.answers.push_back(std::nullopt);
      } else if (a[i].is_number()) {
        s.answers.push_back(a[i].get<double>());
      } else {
        return Error{ErrorCode::INVALID_ARGUMENT,
                     fmt::format("answers[{}] is {}; expected a number or null", i, Shown(a[i])),
                     fmt::format("answers[{}]", i)};
      }
    }
  } else if (a.is_object()) {
    std::map<std::string, std::optional<double>> by_item;
    for (const auto& [k, v] : a.items()) {
      if (v.is_null()) {
        by_item[k] = std::nullopt;
      } else if (v.is_number()) {
        by_item[k] = v.get<double>();
      } else {
        return Error{ErrorCode::INVALID_ARGUMENT, fmt::format("answers.{} is {}; expected a number or null", k, Shown(v)),
                     "answers." + k};
      }
    }
    ATTUNE_TRY(answers, instruments::AnswersFromMap(instrument, by_item));
    s.answers = answers;
  } else {
    return Wrong("answers", a, "an array or an object of item values");
  }
  return s;
}

json ActorJson(const service::Actor& a) {
  return {{"user_id", a.user_id},
          {"org_id", a.org},
          {"handle", a.handle},
          {"role", store::RoleName(a.role)},
          {"therapist_id", OptionalJson(a.therapist_id)},
          {"client_id", OptionalJson(a.client_id)}};
}

json UserJson(const store::UserLogin& u) {
  return {{"id", u.user.id},
          {"handle", u.user.handle},
          {"role", store::RoleName(u.user.role)},
          {"therapist_id", OptionalJson(u.therapist_id)},
          {"client_id", OptionalJson(u.client_id)}};
}

json TherapistJson(const Therapist& t, bool client_view) {
  if (!client_view) {
    return {{"id", t.id},
            {"external_id", t.external_id},
            {"display_name", t.display_name},
            {"approaches", t.approaches},
            {"style", t.style},
            {"languages", t.languages},
            {"modality", t.modality},
            {"location", t.location},
            {"capacity", t.capacity},
            {"accepting", t.accepting},
            {"client_visible", t.client_visible}};
  }
  // A client sees only what the therapist chose to show: a hidden field is absent, not a zero value.
  json j = {{"id", t.id},
            {"display_name", t.display_name},
            {"accepting", t.accepting},
            {"client_visible", t.client_visible}};
  Therapist::ForEachShowable([&](std::string_view field, auto member) {
    if (t.ShowsClients(field)) j[std::string(field)] = t.*member;
  });
  return j;
}

json LanguageJson(const Language& l) { return {{"code", std::string(l.code)}, {"name", std::string(l.name)}}; }

json ClientJson(const Client& c) {
  return {{"id", c.id},
          {"external_id", c.external_id},
          {"pseudonym", c.pseudonym},
          {"concerns", c.concerns},
          {"goals", c.goals},
          {"preferences", c.preferences},
          {"constraints", c.constraints}};
}


json SessionJson(const Session& s) {
  return {{"id", s.id}, {"episode_id", s.episode_id}, {"number", s.number}, {"held_at", s.held_at}};
}

json ScoreJson(const Score& s) {
  return {{"scale_id", s.scale_id},
          {"value", s.value ? json(*s.value) : json(nullptr)},
          {"band", s.band},
          {"caseness", s.caseness ? json(*s.caseness) : json(nullptr)},
          {"answered", s.answered},
          {"prorated", s.prorated}};
}

json AlertJson(const Alert& a) { return monitor::ToJson(a); }

json ResponseJson(const Response& r, const std::vector<Score>& scores) {
  json answers = json::array();
  for (const auto& a : r.answers) answers.push_back(a ? json(*a) : json(nullptr));
  json s = json::array();
  for (const auto& score : scores) s.push_back(ScoreJson(score));
  return {{"id", r.id},
          {"instrument_id", r.instrument_id},
          {"instrument_version", r.instrument_version},
          {"respondent", store::RespondentName(r.respondent)},
          {"respondent_id", r.respondent_id},
          {"subject_id", r.subject_id},
          {"episode_id", OptionalJson(r.episode_id)},
          {"session_id", OptionalJson(r.session_id)},
          {"answered_at", r.answered_at},
          {"answers", answers},
          {"scores", s}};
}

json AuditJson(const AuditEntry& e) {
  return {{"seq", e.seq},       {"at", e.at},         {"actor", e.actor},
          {"action", e.action}, {"entity", e.entity}, {"entity_id", e.entity_id},
          {"detail", e.detail}, {"hash", e.hash}};
}

json OrganisationJson(const service::OrganisationView& o) {
  return {{"id", o.organisation.id},
          {"name", o.organisation.name},
          {"created_at", o.organisation.created_at},
          {"client_choice", o.organisation.client_choice},
          {"clients_may_choose", o.clients_may_choose}};
}

}  // namespace attune::api::wire
