#pragma once
//! Facade of module `sim`: synthetic clinics with planted, documented effects (docs/simulation.md).
//! Pure logic: instrument definitions come in as a Catalogue, output goes to streams.

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "attune/core/result.hpp"
#include "attune/instruments/instrument.hpp"

namespace attune::sim {

//! The five FFMQ-39 facets, in this order everywhere in `sim` (names = the ffmq39 scale ids).
inline constexpr std::array<const char*, 5> kFacets = {"observe", "describe", "act_aware",
                                                       "nonjudge", "nonreact"};
//! The four C-NIP dimensions, in this order (matched to the style instrument's scales by name).
inline constexpr std::array<const char*, 4> kStyleDimensions = {
    "directiveness", "emotional_intensity", "past_orientation", "warm_support"};

//! A named category and its relative weight.
struct Weighted {
  std::string name;
  double weight = 0;
};

//! Every planted effect and design choice, with the defaults documented in docs/simulation.md.
struct SimParams {
  // Size of the clinic.
  int therapists = 30;
  int clients = 300;
  int sessions = 12;  //!< scheduled sessions per episode

  // Instruments (ids in the catalogue).
  std::string outcome_instrument_depression = "phq9";
  std::string outcome_instrument_anxiety = "gad7";
  std::string outcome_instrument_other = "core10";
  std::string client_alliance_instrument = "wai_sr";
  std::string therapist_alliance_instrument = "wai_srt";
  std::string mindfulness_instrument = "ffmq39";
  std::string style_instrument = "cnip";

  // Measurement.
  double target_alpha = 0.86;
  double rounding_attenuation = 0.92;
  double item_spread = 0.28;
  double symptom_item_centre = 0.55;
  double alliance_item_centre = 0.72;
  double therapist_alliance_item_centre = 0.62;
  double mindfulness_item_centre = 0.60;
  double style_item_centre = 0.50;
  double item_skip_prob = 0.02;
  double form_skip_prob = 0.03;

  // Therapists.
  std::array<std::array<double, 5>, 5> facet_correlations = {{{1.00, 0.25, 0.09, -0.08, 0.29},
                                                              {0.25, 1.00, 0.30, 0.21, 0.22},
                                                              {0.09, 0.30, 1.00, 0.34, 0.15},
                                                              {-0.08, 0.21, 0.34, 1.00, 0.15},
                                                              {0.29, 0.22, 0.15, 0.15, 1.00}}};
  double trained_fraction = 0.30;
  double training_facet_shift = 0.30;
  int capacity_min = 10;
  int capacity_max = 40;
  std::vector<Weighted> second_languages = {{"es", 0.12}, {"pl", 0.05}};  //!< probabilities
  std::array<double, 3> therapist_modality_probs = {0.30, 0.20, 0.50};  //!< in person, video, both
  std::vector<Weighted> domains = {{"depression", 0.35}, {"anxiety", 0.30},
                                   {"trauma", 0.10},     {"relationships", 0.12},
                                   {"substance_use", 0.05}, {"stress", 0.08}};

  // Planted therapist effects on the alliance.
  double therapist_alliance_icc = 0.08;
  double facet_r2 = 0.33;
  std::array<double, 5> facet_weights = {0.05, 0.10, 0.10, 0.45, 0.40};

  // Clients.
  double secondary_concern_prob = 0.40;
  std::vector<Weighted> client_languages = {{"en", 0.85}, {"es", 0.10}, {"pl", 0.05}};
  std::array<double, 3> client_modality_probs = {0.30, 0.25, 0.45};  //!< in person, video, either

  // Alliance.
  double preference_fit_effect = 0.15;
  double alliance_growth = 0.03;
  double alliance_session_sd = 0.35;
  double alliance_subscale_r = 0.80;
  //! Share of a subscale's own part (the part not shared with the alliance) that is drawn afresh
  //! at each response; the rest is the episode's stable profile (docs/simulation.md "Alliance").
  double alliance_subscale_session_share = 0.11;
  double client_therapist_alliance_r = 0.35;
  double therapist_leniency_share = 0.30;

  // Ruptures.
  double rupture_prob = 0.05;
  double rupture_depth = 1.2;
  double rupture_repair_prob = 0.6;
  double unrepaired_residual = 0.5;

  // Symptoms.
  double improvement_base = 0.08;
  double alliance_outcome_effect = 0.04;
  double therapist_domain_effect_sd = 0.02;
  double therapist_domain_general_share = 0.50;
  double severity_session_sd = 0.25;
  double deterioration_prob = 0.07;
  double deterioration_rate = 0.25;
  double severity_floor = -3.0;

  // Attendance and dropout.
  double missed_session_prob = 0.08;
  double dropout_base_hazard = 0.035;
  double dropout_alliance_slope = 0.55;
  double rupture_dropout_logit = 0.70;

  // A living clinic (docs/simulation.md "Waitlist and open episodes"); the defaults keep the
  // clinic as it was: every episode ended, no one waiting beyond those without room.
  int waitlist = 0;       //!< further clients with their intake answered and no episode yet
  double open_share = 0;  //!< share of episodes still in progress, observed up to a random session
};

//! Refuses a parameter out of range: INVALID_ARGUMENT naming the parameter (also in `field`),
//! its value and the expected range.
Result<void> Validate(const SimParams& params);

//! How a therapist works / what a client can attend.
enum class Modality { IN_PERSON, VIDEO, BOTH };
//! Lower-case name: "in_person" | "video" | "both" (clients: "either" for BOTH).
const char* ModalityName(Modality modality, bool client);

//! A therapist as the clinic sees them (answers to forms are in Clinic::responses).
struct Therapist {
  std::uint32_t id = 0;  //!< 1-based
  std::vector<std::string> languages;
  Modality modality = Modality::BOTH;
  int capacity = 0;  //!< clients they can take during the simulated period
  bool mindfulness_trained = false;
  double training_hours = 0;
};

//! A client as the clinic sees them.
struct Client {
  std::uint32_t id = 0;  //!< 1-based
  std::string primary_domain;
  std::vector<std::string> concerns;  //!< primary first
  std::string language;
  Modality modality = Modality::BOTH;  //!< BOTH = either
  std::string outcome_instrument;
  bool waitlisted = false;  //!< no therapist had room, or joined the waitlist (SimParams::waitlist)
  int period = 0;           //!< trial period of the client's episode (0 = before the trial)
};

//! A client's course of therapy with one therapist.
struct Episode {
  std::uint32_t id = 0;  //!< 1-based
  std::uint32_t client_id = 0;
  std::uint32_t therapist_id = 0;
  int sessions_scheduled = 0;  //!< up to the dropout, or all
  int sessions_attended = 0;
  bool dropped_out = false;
  int last_session = 0;  //!< last attended session
  bool open = false;     //!< still in progress: observed up to `sessions_scheduled` (SimParams::open_share)
  int period = 0;        //!< trial period (0 = before the trial)
};

//! One scheduled session.
struct Session {
  std::uint32_t episode_id = 0;
  int number = 0;  //!< 1-based
  bool attended = false;
};

//! One completed form. Its answers are Clinic::values/present[offset, offset + count), one per
//! item in the instrument's item order (present = 0: the item was skipped).
struct Response {
  std::uint32_t id = 0;  //!< 1-based
  std::uint32_t therapist_id = 0;
  std::uint32_t client_id = 0;   //!< 0 for a therapist's own forms
  std::uint32_t episode_id = 0;  //!< 0 outside an episode (baseline forms)
  int session = 0;               //!< 0 = baseline (before any episode)
  std::uint16_t form = 0;        //!< index into Clinic::forms
  std::size_t offset = 0;
  std::size_t count = 0;
  int occasion = 0;  //!< a therapist's FFMQ in a trial: 0 baseline, 1 post, 2 follow-up
};

//! An instrument as used by the simulation: its id, respondent and item ids.
struct Form {
  std::string instrument;
  instruments::Respondent respondent = instruments::Respondent::CLIENT;
  std::vector<std::string> item_ids;
};

//! One entry of a therapist's mindfulness-training log (a trial's training programme).
struct TrainingLog {
  std::uint32_t therapist_id = 0;
  int week = 0;  //!< 1-based week of the programme
  std::string kind;  //!< "mbsr_session" | "home_practice"
  int minutes = 0;
};

//! The observable organisation.
struct Clinic {
  std::vector<Form> forms;
  std::vector<Therapist> therapists;
  std::vector<Client> clients;
  std::vector<Episode> episodes;
  std::vector<Session> sessions;
  std::vector<Response> responses;
  std::vector<double> values;          //!< answer pool
  std::vector<unsigned char> present;  //!< 1 = answered
  std::vector<TrainingLog> training;   //!< trial training logs (SimulateTrial)

  //! The answers of one response (spans into the pools; usable with instruments::ScoreInto).
  std::span<const double> Values(const Response& r) const { return {values.data() + r.offset, r.count}; }
  std::span<const unsigned char> Present(const Response& r) const {
    return {present.data() + r.offset, r.count};
  }
  //! Index of a form by instrument id, or forms.size() when absent.
  std::size_t FormIndex(const std::string& instrument) const;
};

//! A planted rupture.
struct RuptureTruth {
  int session = 0;
  double depth = 0;  //!< SD units of the alliance
  bool repaired = false;
  int repair_session = 0;  //!< 0 when not repaired
};

//! A therapist's latent truths.
struct TherapistTruth {
  std::uint32_t id = 0;
  std::array<double, 5> facets{};  //!< kFacets order
  double alliance_effect = 0;      //!< u_t
  double facet_part = 0;           //!< the share of u_t carried by the facets
  double leniency = 0;             //!< therapist-rated alliance bias
  std::vector<double> domain_effects;  //!< per session, SimParams::domains order
  std::array<double, 4> style{};       //!< kStyleDimensions order
};

//! A client's latent truths.
struct ClientTruth {
  std::uint32_t id = 0;
  double intake_severity = 0;
  std::array<double, 4> preferences{};
};

//! An episode's latent truths; arrays have one entry per scheduled session.
struct EpisodeTruth {
  std::uint32_t id = 0;
  double fit = 0;             //!< preference-style fit
  double alliance_level = 0;  //!< A_e
  std::vector<double> alliance;
  std::vector<double> severity;
  std::vector<RuptureTruth> ruptures;
  bool deteriorated = false;
  int deterioration_onset = 0;  //!< 0 when not deteriorated
  bool dropped_out = false;
  int last_session = 0;
  bool open = false;  //!< observed up to last_session only; its future is not in the data
};

//! A therapist's planted truths in a trial (SimulateTrial).
struct TherapistTrialTruth {
  std::uint32_t id = 0;
  int step = 0;                        //!< trained from this period on; 0 = never
  std::array<double, 5> facet_change{};  //!< latent facet gain from training (kFacets order)
  double alliance_gain = 0;            //!< added to the alliance of clients in trained periods
};

//! Everything planted: the parameters and every latent truth.
struct Truth {
  std::uint64_t seed = 0;
  SimParams params;
  std::vector<TherapistTruth> therapists;
  std::vector<ClientTruth> clients;
  std::vector<EpisodeTruth> episodes;
  std::array<double, 5> implied_facet_correlations{};  //!< corr(facet, u_t) the parameters imply
  std::vector<TherapistTrialTruth> trial;  //!< empty unless SimulateTrial ran
};

//! A simulated clinic and its truth.
struct Simulation {
  Clinic clinic;
  Truth truth;
};

//! Simulates a clinic. Deterministic for (catalogue, params, seed).
//! Errors: INVALID_ARGUMENT for a bad parameter (see Validate); NOT_FOUND for a missing
//! instrument; FAILED_PRECONDITION when an instrument lacks a scale the model needs.
Result<Simulation> SimulateClinic(const instruments::Catalogue& catalogue, const SimParams& params,
                                  std::uint64_t seed);

//! A therapist-training trial run in a simulated clinic (docs/simulation.md "A trial"): the
//! allocation comes in (module trial allocates), the conduct comes out.
struct TrialPlan {
  std::vector<int> steps;  //!< per therapist in id order: trained from this period on; 0 = never
  int periods = 1;         //!< periods after the clinic's history: parallel 1, stepped wedge S
  int clients_per_period = 100;  //!< new clients (and episodes) in each period
  double effect = 0.3;     //!< alliance gain of a trained therapist's clients (SD of the latent alliance)
  double facet_change_sd = 0.10;    //!< therapist-to-therapist variation in facet gain (SD)
  double followup_retention = 0.7;  //!< share of the facet gain kept at follow-up
  int training_weeks = 8;           //!< weekly group sessions of the programme
  double session_attendance = 0.85; //!< chance a session is attended
  int session_minutes = 150;
  double practice_minutes = 180;    //!< mean weekly home practice (SD a third of it)
};

//! Appends a trial to a simulated clinic: per therapist a training log (when trained), FFMQ-39
//! answers at post (start of period 1) and follow-up (after the last period) with `occasion` 1
//! and 2, and for each period `clients_per_period` new clients assigned at random among
//! therapists who speak their language, whose episodes' alliance carries the therapist's gain
//! from the period they are trained in. Deterministic for (simulation, plan).
//! INVALID_ARGUMENT naming the field for steps not one per therapist or outside 0..periods,
//! periods < 1, clients_per_period < 1 or a negative parameter.
Result<void> SimulateTrial(const instruments::Catalogue& catalogue, const TrialPlan& plan, Simulation& simulation);

//! Refuses a trial plan out of range for a clinic of `therapists`: INVALID_ARGUMENT naming the
//! field, its value and the expected range (SimulateTrial checks the same first).
Result<void> Validate(const TrialPlan& plan, std::size_t therapists);

//! Writes the truth as JSON (parameters, seed, latent truths).
void WriteTruthJson(const Truth& truth, std::ostream& out);

//! The CSV tables a clinic is written as.
enum class Table { THERAPISTS, CLIENTS, EPISODES, SESSIONS, RESPONSES };
//! File name of a table ("therapists.csv", ...).
const char* TableFileName(Table table);
//! Writes one table as CSV with a header row (responses: one row per item answer).
void WriteCsv(const Clinic& clinic, Table table, std::ostream& out);

}  // namespace attune::sim
