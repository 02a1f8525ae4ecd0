#pragma once
//! Domain value types shared across modules: plain structs, no behaviour, no storage details.
//! Timestamps and dates are ISO-8601 strings in UTC ("2026-11-26T20:15:00Z", "2026-11-26").

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attune {

//! An organisation (tenant). Every stored row belongs to exactly one.
using OrgId = std::int64_t;
//! A row id, unique within its organisation and table.
using Id = std::int64_t;

//! What a user may do (checked by the service layer).
enum class Role { ADMIN, COORDINATOR, THERAPIST, RESEARCHER, CLIENT };

//! A tenant.
struct Organisation {
  OrgId id = 0;
  std::string name;
  std::string created_at;
  bool client_choice = true;  //!< clients may choose their own therapist (else the clinic assigns)
  //! Its own monitoring thresholds, a JSON object of the changed fields (docs/monitor.md).
  std::string monitor_settings = "{}";
};

//! A person who signs in.
struct User {
  OrgId org_id = 0;
  Id id = 0;
  std::string handle;
  Role role = Role::CLIENT;
};

//! A therapist's profile as the matcher and clients see it.
struct Therapist {
  OrgId org_id = 0;
  Id id = 0;
  std::string external_id;               //!< the clinic's own id (stable across imports)
  std::string display_name;
  std::vector<std::string> approaches;   //!< e.g. "cbt", "psychodynamic"
  std::map<std::string, double> style;   //!< C-NIP dimension -> position
  std::vector<std::string> languages;
  std::string modality;                  //!< "in_person" | "video" | "both"
  std::string location;
  int capacity = 0;                      //!< clients the therapist can hold at once
  bool accepting = true;                 //!< accepting new clients
  std::vector<std::string> client_visible;  //!< profile fields clients may see

  //! Whether the therapist shows `field` ("style", "mindfulness", ...) to clients.
  bool ShowsClients(std::string_view field) const {
    for (const auto& f : client_visible) {
      if (f == field) return true;
    }
    return false;
  }

  //! Calls `f(name, &Therapist::member)` for each profile field a therapist may show clients, in
  //! this order: the one list of them. A client's view of a therapist (service) keeps these when
  //! shown and nothing else but id, display_name, accepting and client_visible; the client's JSON
  //! (api) writes these only when shown; the store accepts these names in client_visible.
  template <typename F>
  static void ForEachShowable(F&& f) {
    f(std::string_view("approaches"), &Therapist::approaches);
    f(std::string_view("style"), &Therapist::style);
    f(std::string_view("languages"), &Therapist::languages);
    f(std::string_view("modality"), &Therapist::modality);
    f(std::string_view("location"), &Therapist::location);
  }
  //! The client_visible entry (not a profile field) that shows clients the therapist's raw
  //! FFMQ-39 facet scores in recommendations.
  static constexpr std::string_view kMindfulness = "mindfulness";

  bool operator==(const Therapist&) const = default;
};

//! A client, pseudonymous: no name, only a clinic-chosen pseudonym.
struct Client {
  OrgId org_id = 0;
  Id id = 0;
  std::string external_id;
  std::string pseudonym;
  std::vector<std::string> concerns;
  std::vector<std::string> goals;
  std::map<std::string, double> preferences;  //!< C-NIP dimension -> preferred position
  std::vector<std::string> constraints;       //!< e.g. "language:de", "modality:video"
};

//! A course of therapy of one client with one therapist.
struct Episode {
  OrgId org_id = 0;
  Id id = 0;
  Id client_id = 0;
  Id therapist_id = 0;
  std::string started_on;
  std::string ended_on;             //!< empty while open; the day it ended or was declined
  std::string status = "active";    //!< "waiting" | "active" | "ended" | "declined" (docs/api.md "Episodes")
  std::string assigned_by = "coordinator";  //!< | "match" | "random" | "client_choice" (store::detail::CheckEpisode)
  std::string note;                 //!< why a choice was declined or therapy ended (the coordinator's words)
};

//! Whether an episode is current: a client's choice waiting for the clinic, or therapy under way.
//! A client has at most one current episode, and each holds a place in its therapist's capacity.
inline bool IsCurrent(const Episode& e) {
  return e.status == "waiting" || e.status == "active";
}

//! One meeting within an episode.
struct Session {
  OrgId org_id = 0;
  Id id = 0;
  Id episode_id = 0;
  int number = 0;  //!< 1 to kMaxSessionNumber
  std::string held_at;
};

//! The highest session number accepted (weekly sessions for almost two centuries).
inline constexpr int kMaxSessionNumber = 10000;

//! Who answered a questionnaire.
enum class RespondentKind { CLIENT, THERAPIST };

//! One completed questionnaire.
struct Response {
  OrgId org_id = 0;
  Id id = 0;
  std::string instrument_id;
  std::string instrument_version;
  RespondentKind respondent = RespondentKind::CLIENT;
  Id respondent_id = 0;             //!< client or therapist id, by `respondent`
  Id subject_id = 0;                //!< whom the answers are about (client for outcomes)
  std::optional<Id> episode_id;
  std::optional<Id> session_id;
  std::string answered_at;
  std::vector<std::optional<double>> answers;  //!< item order; nullopt = not answered
  std::string idempotency_key;      //!< unique per organisation
};

//! Whether a response is a therapist's report about themself (FFMQ-39, the C-NIP style
//! questions): answered by a therapist outside any episode, so its subject_id is that therapist.
//! Every other response is about the client `subject_id` (a therapist's rating of a client, such
//! as the WAI-SR-T, always names the episode).
inline bool IsTherapistSelfReport(const Response& r) {
  return r.respondent == RespondentKind::THERAPIST && !r.episode_id;
}

//! One scale's score of a response.
struct Score {
  OrgId org_id = 0;
  Id response_id = 0;
  std::string scale_id;
  std::optional<double> value;      //!< nullopt = not scorable (never 0)
  std::string band;                 //!< empty when none
  std::optional<bool> caseness;
  int answered = 0;
  bool prorated = false;
};

//! Something a clinician should look at.
struct Alert {
  OrgId org_id = 0;
  Id id = 0;
  Id episode_id = 0;                //!< 0: raised outside an episode (then client_id is set)
  std::optional<Id> client_id;      //!< the client of an alert raised outside an episode
  std::optional<Id> response_id;
  std::string kind;                 //!< e.g. "risk_item", "not_on_track", "rupture"
  std::string severity;             //!< "info" | "warning" | "urgent"
  std::string detail;
  std::string raised_at;
  std::string note;                 //!< the clinician's note on acknowledging / resolving (docs/monitor.md)
  std::string evidence = "{}";      //!< JSON: the numbers the rule compared (docs/monitor.md)
  std::string acknowledged_at;      //!< empty until acknowledged
  std::string resolved_at;          //!< empty until resolved

  //! Where the alert is in its lifecycle: "open", "acknowledged" or "resolved".
  std::string_view Status() const {
    if (!resolved_at.empty()) return "resolved";
    return acknowledged_at.empty() ? "open" : "acknowledged";
  }
};

//! A therapist's mindfulness training activity.
struct TrainingRecord {
  OrgId org_id = 0;
  Id id = 0;
  Id therapist_id = 0;
  std::string kind;                 //!< e.g. "mbsr_session", "daily_practice"
  int minutes = 0;
  std::string completed_on;
  std::string note;
};

//! One entry of the hash-chained audit log.
struct AuditEntry {
  OrgId org_id = 0;
  std::int64_t seq = 0;             //!< 1, 2, ... per organisation, no gaps
  std::string at;
  std::string actor;
  std::string action;               //!< e.g. "response.create"
  std::string entity;
  std::string entity_id;
  std::string detail;
  std::string prev_hash;            //!< hex SHA-256 of the previous entry ("" for seq 1)
  std::string hash;                 //!< hex SHA-256 over this entry's fields and prev_hash
};

}  // namespace attune
