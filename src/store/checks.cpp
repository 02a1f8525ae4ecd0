#include "store/checks.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "attune/core/constraints.hpp"
#include "attune/core/dates.hpp"
#include "attune/core/text.hpp"

namespace attune::store {
namespace detail {

namespace {

// The entries client_visible may hold: the profile fields a therapist may show clients, and
// "mindfulness", the opt-in to show clients their raw FFMQ-39 facet scores in recommendations.
const std::vector<std::string_view>& ClientVisibleNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    Therapist::ForEachShowable([&](std::string_view field, auto) { out.push_back(field); });
    out.push_back(Therapist::kMindfulness);
    return out;
  }();
  return names;
}

// A value as a refusal shows it: quoted, line breaks and tabs escaped, cut to 40 bytes (not
// inside a UTF-8 character: the refusal goes out as JSON).
std::string Shown(std::string_view text) {
  std::size_t cut = std::min<std::size_t>(text.size(), 40);
  while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out = "\"";
  for (char c : text.substr(0, cut)) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      default: out += c;
    }
  }
  return out + (cut < text.size() ? "...\"" : "\"");
}

Error Wrong(const std::string& where, const std::string& field, const std::string& value, const std::string& expected) {
  return Error{ErrorCode::INVALID_ARGUMENT, fmt::format("{}{} is {}; expected {}", where, field, value, expected),
               field};
}

Result<void> NotBlank(const std::string& where, const char* field, const std::string& value, const char* what) {
  if (!IsBlank(value)) return Ok();
  return Wrong(where, field, Shown(value), fmt::format("{}, not blank", what));
}

Result<void> NoBlankEntry(const std::string& where, const char* field, const std::vector<std::string>& list,
                          const char* what) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (IsBlank(list[i]))
      return Wrong(where, fmt::format("{}[{}]", field, i), Shown(list[i]), fmt::format("{}, not blank", what));
  }
  return Ok();
}

// No entry of `list` twice: a repeated concern or goal says nothing more and would be counted twice.
Result<void> NoRepeatedEntry(const std::string& where, const char* field, const std::vector<std::string>& list,
                             const char* what) {
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto [at, fresh] = first.emplace(list[i], i);
    if (!fresh) {
      return Wrong(where, fmt::format("{}[{}]", field, i),
                   Shown(list[i]) + fmt::format(", the same as {}[{}]", field, at->second),
                   fmt::format("each {} once", what));
    }
  }
  return Ok();
}

// Text as the store keeps it (attune/core/text.hpp): valid UTF-8 without NUL; names and ids on
// one line without control characters.
Result<void> Text(const std::string& where, const std::string& field, const std::string& value, TextLines lines) {
  auto ok = CheckText(value, field, lines);
  if (ok) return ok;
  Error e = ok.error();
  e.message = where + e.message;
  return e;
}

Result<void> TextList(const std::string& where, const char* field, const std::vector<std::string>& list,
                      TextLines lines) {
  for (std::size_t i = 0; i < list.size(); ++i) ATTUNE_CHECK(Text(where, fmt::format("{}[{}]", field, i), list[i], lines));
  return Ok();
}

Result<void> KeyText(const std::string& where, const char* field, const std::map<std::string, double>& map) {
  for (const auto& [key, value] : map) ATTUNE_CHECK(Text(where, fmt::format("{} key", field), key, TextLines::ONE));
  return Ok();
}

std::string Where(const char* entity, std::size_t index) {
  return index == 0 ? "" : fmt::format("{} {}: ", entity, index);
}

}  // namespace

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos;
}

Result<void> CheckTherapistProfile(const TherapistUpdate& profile, const std::string& where) {
  if (profile.approaches) ATTUNE_CHECK(NoBlankEntry(where, "approaches", *profile.approaches, "an approach"));
  if (profile.languages) ATTUNE_CHECK(NoBlankEntry(where, "languages", *profile.languages, "a language code"));
  if (profile.approaches) ATTUNE_CHECK(TextList(where, "approaches", *profile.approaches, TextLines::ONE));
  if (profile.languages) ATTUNE_CHECK(TextList(where, "languages", *profile.languages, TextLines::ONE));
  if (profile.client_visible) ATTUNE_CHECK(TextList(where, "client_visible", *profile.client_visible, TextLines::ONE));
  if (profile.modality) ATTUNE_CHECK(Text(where, "modality", *profile.modality, TextLines::ONE));
  if (profile.location) ATTUNE_CHECK(Text(where, "location", *profile.location, TextLines::ONE));
  if (profile.style) ATTUNE_CHECK(KeyText(where, "style", *profile.style));
  if (const auto& m = profile.modality; m && !m->empty() && *m != "in_person" && *m != "video" && *m != "both") {
    return Wrong(where, "modality", Shown(*m), "in_person, video or both");
  }
  if (profile.capacity && (*profile.capacity < 0 || *profile.capacity > 1000)) {
    return Wrong(where, "capacity", std::to_string(*profile.capacity), "an integer from 0 to 1000");
  }
  if (profile.client_visible) {
    std::set<std::string> seen;
    const auto& visible = *profile.client_visible;
    for (std::size_t i = 0; i < visible.size(); ++i) {
      const auto& names = ClientVisibleNames();
      const bool known = std::find(names.begin(), names.end(), visible[i]) != names.end();
      if (!known || !seen.insert(visible[i]).second) {
        return Wrong(where, fmt::format("client_visible[{}]", i), Shown(visible[i]) + (known ? " again" : ""),
                     fmt::format("each at most once of {}", fmt::join(names, ", ")));
      }
    }
  }
  return Ok();
}

Result<void> CheckTherapist(const Therapist& t, std::size_t index) {
  const std::string where = Where("therapist", index);
  ATTUNE_CHECK(NotBlank(where, "external_id", t.external_id, "the clinic's id"));
  ATTUNE_CHECK(NotBlank(where, "display_name", t.display_name, "a name"));
  ATTUNE_CHECK(Text(where, "external_id", t.external_id, TextLines::ONE));
  ATTUNE_CHECK(Text(where, "display_name", t.display_name, TextLines::ONE));
  TherapistUpdate profile;
  profile.style = t.style;
  profile.location = t.location;
  profile.approaches = t.approaches;
  profile.languages = t.languages;
  profile.modality = t.modality;
  profile.capacity = t.capacity;
  profile.client_visible = t.client_visible;
  return CheckTherapistProfile(profile, where);
}

Result<void> NotInFuture(const std::string& where, const char* field, const std::string& value,
                         const LatestDone& latest, const char* expected) {
  const auto limit = latest.Exceeded(value);
  if (!limit) return Ok();
  // As the service words it: a date bare ("started_on is 2030-01-07, in the future"), a time quoted.
  return Wrong(where, field, (value.size() == 10 ? value : Shown(value)) + ", in the future",
               fmt::format("{} ({} at the latest)", expected, *limit));
}

LatestDone Latest() { return LatestDone::At(std::chrono::system_clock::now()); }

Result<void> CheckHeldAt(const Session& session, std::size_t index, const LatestDone& latest) {
  return NotInFuture(Where("session", index), "held_at", session.held_at, latest, "the time a session was held");
}

Result<void> CheckEpisode(const Episode& e, std::size_t index, const LatestDone& latest) {
  const std::string where = Where("episode", index);
  if (!IsCalendarDate(e.started_on)) return Wrong(where, "started_on", Shown(e.started_on), "a date YYYY-MM-DD");
  if (!e.ended_on.empty() && !IsCalendarDate(e.ended_on)) {
    return Wrong(where, "ended_on", Shown(e.ended_on), "a date YYYY-MM-DD");
  }
  static constexpr const char* kAssigners[] = {"coordinator", "match", "client_choice", "random"};
  if (std::none_of(std::begin(kAssigners), std::end(kAssigners), [&](const char* a) { return e.assigned_by == a; })) {
    return Wrong(where, "assigned_by", Shown(e.assigned_by), "coordinator, match, client_choice or random");
  }
  static constexpr const char* kStatuses[] = {"waiting", "active", "ended", "declined"};
  if (std::none_of(std::begin(kStatuses), std::end(kStatuses), [&](const char* s) { return e.status == s; })) {
    return Wrong(where, "status", Shown(e.status), "waiting, active, ended or declined");
  }
  const bool closed = e.status == "ended" || e.status == "declined";
  if (closed && e.ended_on.empty()) {
    return Error{ErrorCode::INVALID_ARGUMENT,
                 fmt::format("{}ended_on is missing; expected the date {}", where,
                             e.status == "ended" ? "an ended episode ended" : "a declined choice was declined"),
                 "ended_on"};
  }
  if (!closed && !e.ended_on.empty()) {
    return Wrong(where, "ended_on", Shown(e.ended_on) + " for an episode whose status is " + Shown(e.status),
                 "no end date unless status is ended or declined");
  }
  ATTUNE_CHECK(Text(where, "note", e.note, TextLines::MANY));
  if (!e.ended_on.empty() && e.ended_on < e.started_on) {
    return Wrong(where, "ended_on", Shown(e.ended_on) + ", before started_on " + e.started_on,
                 "a date on or after it");
  }
  ATTUNE_CHECK(NotInFuture(where, "started_on", e.started_on, latest, "a date on or before today"));
  if (!e.ended_on.empty()) ATTUNE_CHECK(NotInFuture(where, "ended_on", e.ended_on, latest, "a date on or before today"));
  return Ok();
}

Result<void> CheckIntake(const Client& intake, const std::string& where) {
  ATTUNE_CHECK(NoBlankEntry(where, "concerns", intake.concerns, "a concern"));
  ATTUNE_CHECK(NoBlankEntry(where, "goals", intake.goals, "a goal"));
  ATTUNE_CHECK(TextList(where, "concerns", intake.concerns, TextLines::MANY));
  ATTUNE_CHECK(TextList(where, "goals", intake.goals, TextLines::MANY));
  ATTUNE_CHECK(TextList(where, "constraints", intake.constraints, TextLines::ONE));
  ATTUNE_CHECK(KeyText(where, "preferences", intake.preferences));
  ATTUNE_CHECK(NoRepeatedEntry(where, "concerns", intake.concerns, "concern"));
  ATTUNE_CHECK(NoRepeatedEntry(where, "goals", intake.goals, "goal"));
  // One grammar with the matcher, which reads several languages as any of them and at most one
  // modality and location (a second was silently dropped).
  auto parsed = ParseConstraints(intake.constraints);
  if (!parsed) {
    Error e = parsed.error();
    e.message = where + e.message;
    return e;
  }
  return Ok();
}

Result<void> CheckClient(const Client& c, std::size_t index) {
  const std::string where = Where("client", index);
  ATTUNE_CHECK(NotBlank(where, "external_id", c.external_id, "the clinic's id"));
  ATTUNE_CHECK(NotBlank(where, "pseudonym", c.pseudonym, "a pseudonym"));
  ATTUNE_CHECK(Text(where, "external_id", c.external_id, TextLines::ONE));
  ATTUNE_CHECK(Text(where, "pseudonym", c.pseudonym, TextLines::ONE));
  return CheckIntake(c, where);
}

Result<void> CheckUser(const User& user) {
  const std::string& handle = user.handle;
  ATTUNE_CHECK(NotBlank("", "handle", handle, "a handle"));
  ATTUNE_CHECK(Text("", "handle", handle, TextLines::ONE));
  if (handle.front() == ' ' || handle.back() == ' ') {
    return Wrong("", "handle", Shown(handle), "a handle without a space at either end");
  }
  // One spelling per handle: "jose" + U+0301 looks like "jos\u00e9" (U+00E9) but is other bytes.
  // The service stores and looks handles up in NFC (service::HandleForm); a handle in another
  // form reaching the store is refused, naming the form expected.
  if (auto nfc = Normalised(handle, Normalisation::NFC); nfc && *nfc != handle) {
    return Wrong("", "handle", Shown(handle),
                 fmt::format("a handle in Unicode NFC (composed accents: \"{}\")", *nfc));
  }
  return Ok();
}

Result<void> CheckTrainingRecord(const TrainingRecord& record) {
  ATTUNE_CHECK(NotBlank("", "kind", record.kind, "the kind of training"));
  ATTUNE_CHECK(Text("", "kind", record.kind, TextLines::ONE));
  return Text("", "note", record.note, TextLines::MANY);
}

bool SameHandle(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace detail

Result<void> CheckTherapist(const Therapist& therapist) {
  return detail::CheckTherapist(therapist, 0);
}

Result<void> CheckEpisode(const Episode& episode) {
  return detail::CheckEpisode(episode, 0, detail::Latest());
}

Result<void> CheckClient(const Client& client) {
  return detail::CheckClient(client, 0);
}

Result<void> CheckUserLinks(Role role, std::optional<Id> therapist_id, std::optional<Id> client_id) {
  const char* name = RoleName(role);
  if (role == Role::THERAPIST && !therapist_id) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "therapist_id is missing; expected the therapist a user of role therapist signs in as", "therapist_id");
  }
  if (role == Role::CLIENT && !client_id) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                "client_id is missing; expected the client a user of role client signs in as", "client_id");
  }
  if (role != Role::THERAPIST && therapist_id) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("therapist_id is {}; expected none for role {} (only a therapist user is linked to a "
                            "therapist)",
                            *therapist_id, name),
                "therapist_id");
  }
  if (role != Role::CLIENT && client_id) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("client_id is {}; expected none for role {} (only a client user is linked to a client)",
                            *client_id, name),
                "client_id");
  }
  return Ok();
}

}  // namespace attune::store
