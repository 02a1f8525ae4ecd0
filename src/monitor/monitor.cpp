#include "attune/monitor/monitor.hpp"
#include "attune/monitor/json.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <tuple>

#include "attune/core/format.hpp"
#include "attune/instruments/change.hpp"

namespace attune::monitor {

using nlohmann::json;

Config Config::Defaults() {
  Config c;
  const std::string nhs = "NHS Talking Therapies rule set (instruments/rules/nhs_talking_therapies.json)";
  c.scales["phq9.total"] = {Role::OUTCOME, 6.0, {}, {}, {}, nhs};
  c.scales["gad7.total"] = {Role::OUTCOME, 4.0, {}, {}, {}, nhs};
  c.scales["core10.total"] = {Role::OUTCOME, {}, {}, {}, {}, "norms in instruments/core10.json"};
  c.scales["ors.total"] = {Role::OUTCOME, 5.0, {}, {}, {}, "ORS reliable change 5 points (Miller & Duncan; judgement until checked)"};
  const std::string wai = "WAI-SR sizes as in Hatcher & Gillaspy 2006 / Munder et al. 2010 (judgement until checked)";
  for (const char* sub : {"goal", "task", "bond"}) {
    c.scales[std::string("wai_sr.") + sub] = {Role::ALLIANCE, {}, 3.0, 0.85, {}, wai};
  }
  c.scales["wai_sr.total"] = {Role::ALLIANCE, {}, 8.0, 0.92, 36.0, wai + "; cutoff = mean item 3 ('sometimes')"};
  c.scales["srs.total"] = {Role::ALLIANCE, {}, 4.5, 0.88, 36.0, "SRS cutoff 36 (Duncan et al. 2003); SD/alpha judgement"};
  return c;
}

bool RatesTheAlliance(const instruments::Instrument& instrument, const Config& config) {
  return std::any_of(instrument.scales.begin(), instrument.scales.end(), [&](const instruments::Scale& scale) {
    auto it = config.scales.find(instrument.id + "." + scale.id);
    return it != config.scales.end() && it->second.role == Role::ALLIANCE;
  });
}

double SidakZ(double z, int tests) {
  auto tail = [](double x) { return 0.5 * std::erfc(x / std::sqrt(2.0)); };
  const double share = 1.0 - std::pow(1.0 - tail(z), 1.0 / static_cast<double>(std::max(1, tests)));
  return instruments::UpperTailZ(share);
}

std::vector<RaisedAlert> RiskAlerts(const Observation& obs) {
  std::vector<RaisedAlert> raised;
  for (const auto& risk : obs.risks) {
    RaisedAlert a;
    a.kind = "risk_item";
    a.severity = "urgent";
    a.session = obs.session;
    a.detail = fmt::format("{} item {} answered {} (above {}): {}", obs.instrument, risk.item, risk.value,
                           risk.above, risk.label);
    json evidence{{"rule", "risk_item"}, {"instrument", obs.instrument}, {"item", risk.item},
                  {"value", risk.value}, {"above", risk.above},          {"label", risk.label}};
    // Outside an episode (session 0) there is no session: null, not a session number.
    evidence["session"] = obs.session >= 1 ? json(obs.session) : json(nullptr);
    a.evidence = evidence.dump();
    raised.push_back(std::move(a));
  }
  return raised;
}

Observation MakeObservation(const instruments::Instrument& instrument,
                            const instruments::ScoreResult& scored, Id response_id, int session,
                            const instruments::Answers* answers) {
  Observation o;
  o.response_id = response_id;
  o.instrument = instrument.id;
  o.session = session;
  std::vector<std::size_t> estimable;  // unscorable scales with enough items answered
  for (const auto& s : scored.scales) {
    const instruments::Scale& scale = instrument.scales[s.scale];
    if (s.score) {
      o.scores[scale.id] = *s.score;
    } else if (answers != nullptr && !scale.items.empty() &&
               static_cast<double>(s.answered) >= kEstimateShare * static_cast<double>(scale.items.size())) {
      estimable.push_back(s.scale);
    }
  }
  if (!estimable.empty()) {
    // The instrument's own scoring (keys, weights, ranges), prorating where it would not.
    instruments::Instrument prorating = instrument;
    for (std::size_t k : estimable) {
      auto& scale = prorating.scales[k];
      scale.proration = instruments::Proration::PRORATE;
      scale.min_answered = static_cast<std::size_t>(std::ceil(kEstimateShare * static_cast<double>(scale.items.size())));
    }
    if (auto estimated = instruments::Score(prorating, *answers)) {
      for (std::size_t k : estimable) {
        const auto& s = estimated->scales[k];
        if (s.score) o.estimates[instrument.scales[k].id] = {*s.score, s.answered, instrument.scales[k].items.size()};
      }
    }
  }
  for (const auto& f : scored.flags) {
    const auto& item = instrument.items[f.item];
    Observation::Risk r;
    r.item = item.id;
    r.value = f.value;
    if (item.risk) {
      r.above = item.risk->above;
      r.label = item.risk->label;
    }
    o.risks.push_back(std::move(r));
  }
  return o;
}

namespace {

bool IsCase(const instruments::Scale& scale, double score) {
  if (!scale.caseness) return false;
  return scale.caseness->at_or_above ? score >= scale.caseness->cutoff : score <= scale.caseness->cutoff;
}

// Change from `before` to `after`: Jacobson-Truax when the scale has norms, else the configured
// reliable change in points (a case -> not a case with a reliable improvement is "recovered").
Change ComputeChange(const instruments::Scale& scale, const ScaleSettings& settings, double before,
                     double after) {
  Change c;
  c.before = before;
  c.after = after;
  c.change = after - before;
  const bool higher_worse = scale.direction == instruments::Direction::HIGHER_IS_WORSE;
  c.improved = higher_worse ? c.change < 0 : c.change > 0;
  if (scale.norms) {
    auto d = instruments::JacobsonTruax(*scale.norms, scale.direction, before, after);
    if (d) {
      c.method = "jacobson_truax";
      c.threshold = d->thresholds.reliable_change;
      c.reliable = d->reliable;
      c.classification = instruments::ChangeClassName(d->classification);
      return c;
    }
  }
  if (settings.reliable_change) {
    c.method = "rule_points";
    c.threshold = *settings.reliable_change;
    c.reliable = std::fabs(c.change) >= c.threshold;
    if (!c.reliable) {
      c.classification = "unchanged";
    } else if (!c.improved) {
      c.classification = "reliably_deteriorated";
    } else if (scale.caseness && IsCase(scale, before) && !IsCase(scale, after)) {
      c.classification = "recovered";
    } else {
      c.classification = "reliably_improved";
    }
    return c;
  }
  c.method = "none";
  c.classification = "unknown";
  return c;
}

std::optional<double> Sem(const instruments::Scale& scale, const ScaleSettings& settings) {
  if (scale.norms && scale.norms->sd > 0 && scale.norms->reliability < 1) {
    return scale.norms->sd * std::sqrt(1.0 - scale.norms->reliability);
  }
  if (settings.sd && settings.reliability) return *settings.sd * std::sqrt(1.0 - *settings.reliability);
  return std::nullopt;
}

// Scores forming the "recent level" a fall below the cutoff is judged from.
constexpr std::size_t kCutoffRecent = 3;

struct OpenRupture {
  std::size_t event = 0;  // index into ruptures
  double level = 0;       // what a return must reach (the level before the first of a chain)
  int since_session = 0;  // the session of that first rupture
  int seen = 0;           // observations since the rupture
  std::size_t plateau = 0;  // where the pair's scores since the rupture begin in its history
};

struct AllianceState {
  std::vector<double> history;
  std::optional<OpenRupture> open;
};

struct OutcomeState {
  std::optional<double> intake;
  int intake_session = 0;
  double previous = 0;
  bool deteriorated = false;
  bool off_track = false;
};

}  // namespace

Result<EpisodeAssessment> AssessEpisode(const std::vector<Observation>& observations,
                                        const instruments::Catalogue& catalogue,
                                        const std::map<std::string, Curve>& curves, const Config& config) {
  if (config.rupture_baseline < 0) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("rupture_baseline: {} must be 0 (every earlier observation) or more", config.rupture_baseline),
                "rupture_baseline");
  }
  EpisodeAssessment out;
  std::map<std::string, AllianceState> alliance;
  std::map<std::string, OutcomeState> outcome;
  std::vector<std::string> noted;
  for (std::size_t index = 0; index < observations.size(); ++index) {
    const Observation& obs = observations[index];
    if (obs.session < 1) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("observation {}: session {} must be 1 or more", index + 1, obs.session), "session");
    }
    auto instrument = catalogue.Get(obs.instrument);
    if (!instrument) return instrument.error();
    std::vector<RaisedAlert> raised = RiskAlerts(obs);
    // Scores, then estimates of unscorable scales (used for the alliance only).
    std::vector<std::tuple<const std::string*, double, const Observation::Estimate*>> entries;
    for (const auto& [scale_id, score] : obs.scores) entries.emplace_back(&scale_id, score, nullptr);
    for (const auto& [scale_id, estimate] : obs.estimates) {
      if (!obs.scores.count(scale_id)) entries.emplace_back(&scale_id, estimate.score, &estimate);
    }
    for (const auto& [scale_id_ptr, score, estimate] : entries) {
      const std::string& scale_id = *scale_id_ptr;
      const std::string key = obs.instrument + "." + scale_id;
      auto settings_it = config.scales.find(key);
      if (settings_it == config.scales.end()) continue;
      const ScaleSettings& settings = settings_it->second;
      if (estimate != nullptr && settings.role != Role::ALLIANCE) continue;
      // "41" or "41 (estimated from 11 of 12 items)".
      const std::string shown =
          estimate == nullptr ? instruments::FormatScore(score)
                              : fmt::format("{} (estimated from {} of {} items)", instruments::FormatScore(score),
                                            estimate->answered, estimate->items);
      const instruments::Scale* scale = (*instrument)->FindScale(scale_id);
      if (scale == nullptr) continue;
      const bool higher_worse = scale->direction == instruments::Direction::HIGHER_IS_WORSE;
      if (settings.role == Role::ALLIANCE) {
        AllianceState& st = alliance[key];
        auto sem = Sem(*scale, settings);
        // One score's SD around the pair's own level: the organisation's fitted within-pair
        // variability (measurement error and ordinary session-to-session movement) when there is
        // one, never below the SEM; else the SEM alone.
        std::optional<double> spread = sem;
        std::string spread_source = "sem";
        auto fitted = curves.find(key);
        if (fitted != curves.end() && fitted->second.model == CurveModel::WITHIN_PAIR && fitted->second.available) {
          spread = std::max(std::sqrt(fitted->second.sigma2), sem.value_or(0.0));
          spread_source = "within_pair";
        }
        const bool subscale = scale->items.size() < (*instrument)->items.size();
        const double z = subscale ? config.rupture_subscale_z : config.rupture_z;
        // "worse by" = how far the score is on the bad side of x.
        auto worse_by = [&](double x) { return higher_worse ? score - x : x - score; };
        bool acted = false;
        if (st.open) {
          OpenRupture& open = *st.open;
          RuptureEvent& event = out.ruptures[open.event];
          ++open.seen;
          const double margin = config.repair_margin * spread.value_or(0.0);
          if (worse_by(open.level) <= margin) {
            event.status = "repaired";
            event.repair_session = obs.session;
            RaisedAlert a;
            a.kind = "rupture_repaired";
            a.severity = "info";
            a.scale = key;
            a.session = obs.session;
            a.detail = open.since_session == event.session
                           ? fmt::format("{} back to {} at session {} (level before the rupture at session {}: {:.1f})",
                                         key, shown, obs.session, event.session, open.level)
                           : fmt::format("{} back to {} at session {} (level before the rupture at session {}, which "
                                         "fell further at session {}: {:.1f})",
                                         key, shown, obs.session, open.since_session, event.session, open.level);
            a.evidence = json{{"rule", "repair"},        {"scale", key},
                              {"session", obs.session},  {"score", score},
                              {"rupture_session", event.session}, {"level", open.level},
                              {"level_since_session", open.since_session},
                              {"margin", margin}, {"margin_source", spread_source},    {"observations_since", open.seen}}.dump();
            raised.push_back(std::move(a));
            st.open.reset();
            acted = true;
          } else if (open.seen >= config.repair_window) {
            event.status = "unrepaired";
            // An unrepaired rupture is the pair's new normal: its level is now the scores since
            // the rupture, so a pair staying low is not alerted again for the same fall (with the
            // earlier level, 48 48 47 40 41 41 41 raised a second rupture at 41 against 45.0).
            st.history.erase(st.history.begin(), st.history.begin() + static_cast<std::ptrdiff_t>(open.plateau));
            st.open.reset();
          }
        }
        // A new drop is looked for even while a rupture is open (a second rupture must not wait
        // for the first to close), from the pair's level outside ruptures.
        bool opened = false;
        const std::vector<double>& earlier = st.history;  // outside ruptures when m = 0 (below)
        if (!acted && !earlier.empty()) {
          const std::size_t m = config.rupture_baseline == 0
                                    ? earlier.size()
                                    : std::min<std::size_t>(static_cast<std::size_t>(config.rupture_baseline),
                                                            earlier.size());
          std::vector<double> used(earlier.end() - static_cast<std::ptrdiff_t>(m), earlier.end());
          double level = 0;
          for (double v : used) level += v;
          level /= static_cast<double>(m);
          const double previous = st.history.back();
          std::optional<std::string> rule;
          json evidence{{"scale", key}, {"session", obs.session}, {"score", score}, {"earlier", used},
                        {"level", level}, {"m", m}};
          if (estimate != nullptr) {
            evidence["estimated_from"] = json{{"answered", estimate->answered}, {"items", estimate->items}};
          }
          const double drop = worse_by(level);
          double threshold = 0;  // of the drop rule (set when there is a spread)
          if (spread) {
            // Both the score and the level carry error: Var(score - level) = sd^2 (1 + 1/m).
            const double inflation = 1.0 + 1.0 / static_cast<double>(m);
            const double mu = config.rupture_size;
            threshold = mu > 0 ? *spread * ((z - mu / 2) * inflation + mu / 2) : z * *spread * std::sqrt(inflation);
            // Never below the known-level rule z * SD: with z < mu / 2 (settings allow z 0.5 and
            // mu 6) the shaped threshold falls as the history shortens, and below 0 once
            // z < mu / 4 at m = 1, where a score equal to the level would be a "drop".
            threshold = std::max(threshold, z * *spread);
            if (sem) evidence["sem"] = *sem;
            evidence["sd"] = *spread;
            evidence["sd_source"] = spread_source;
            evidence["z"] = z;
            evidence["rupture_size"] = mu;
            evidence["threshold"] = threshold;
            evidence["drop"] = drop;
            if (drop > threshold) rule = "reliable_drop";
            // While a rupture is open, only a fall below the score that opened it is a new one
            // (a pair staying low is the same rupture, not a new alert every session).
            if (rule && st.open && !(worse_by(out.ruptures[st.open->event].score) > 0)) rule.reset();
          }
          if (!rule && settings.cutoff && !st.open) {
            // A fall below the cutoff from a recent level (the last kCutoffRecent scores) at or
            // above it: a single earlier score near the cutoff would make every wobble across it
            // an alert, and the level of the whole episode would keep a pair that has settled
            // below the cutoff alerting.
            const std::size_t n = std::min(kCutoffRecent, earlier.size());
            double recent = 0;
            for (auto it = earlier.end() - static_cast<std::ptrdiff_t>(n); it != earlier.end(); ++it) recent += *it;
            recent /= static_cast<double>(n);
            const double cut = *settings.cutoff;
            const bool below = higher_worse ? score > cut : score < cut;
            const bool was_below = higher_worse ? recent > cut : recent < cut;
            if (below && !was_below) rule = "cutoff";
            evidence["cutoff"] = cut;
            evidence["recent_level"] = recent;
            evidence["previous"] = previous;
          }
          if (rule) {
            evidence["rule"] = *rule;
            // A further rupture is still repaired by a return to the level before the first,
            // which the alert and the episode view say (the probe: the alert said 44.0 and the
            // repair came at 48.0, the level before the first).
            const double before = st.open ? st.open->level : level;
            const int since = st.open ? st.open->since_session : obs.session;
            if (st.open) {
              evidence["further_drop_since_session"] = out.ruptures[st.open->event].session;
              out.ruptures[st.open->event].status = "unrepaired";
            }
            evidence["repair_level"] = before;
            RuptureEvent event{key, obs.session, level, score, "open", 0, before, since};
            out.ruptures.push_back(event);
            // The scores after this one (it stays out of the level) are the plateau.
            st.open = OpenRupture{out.ruptures.size() - 1, before, since, 0, st.history.size()};
            RaisedAlert a;
            a.kind = "rupture";
            a.severity = "warning";
            a.scale = key;
            a.session = obs.session;
            a.detail = *rule == "reliable_drop"
                           ? fmt::format("{} fell to {} at session {} from the pair's earlier level of {:.1f}: a drop "
                                         "of {} points, beyond the {} this pair's usual movement allows",
                                         key, shown, obs.session, level, Apart(drop, threshold).first,
                                         Apart(drop, threshold).second)
                           : fmt::format("{} fell to {} at session {}, below the cutoff {}", key, shown,
                                         obs.session, instruments::FormatScore(*settings.cutoff));
            if (since != obs.session) {
              a.detail += fmt::format("; it deepens the rupture at session {}, repaired by a return to {:.1f}, the "
                                      "level before that one",
                                      since, before);
            }
            a.evidence = evidence.dump();
            raised.push_back(std::move(a));
            opened = true;
          }
        }
        // The pair's level is its level outside ruptures: a score that opened one stays out.
        if (!(opened && config.rupture_baseline == 0)) st.history.push_back(score);
        continue;
      }
      // Outcome scale.
      OutcomeState& st = outcome[key];
      ScaleChange sc;
      sc.key = key;
      sc.response_id = obs.response_id;
      sc.session = obs.session;
      sc.score = score;
      if (!st.intake) {
        st.intake = score;
        st.intake_session = obs.session;
        st.previous = score;
        out.changes.push_back(std::move(sc));
        continue;
      }
      sc.since_intake = ComputeChange(*scale, settings, *st.intake, score);
      sc.since_last = ComputeChange(*scale, settings, st.previous, score);
      st.previous = score;
      const bool deteriorated = sc.since_intake->classification == "reliably_deteriorated";
      if (deteriorated && !st.deteriorated) {
        RaisedAlert a;
        a.kind = "reliable_deterioration";
        a.severity = "warning";
        a.scale = key;
        a.session = obs.session;
        a.detail = fmt::format("{} is {} at session {}, reliably worse than {} at intake (threshold {} points)",
                               key, instruments::FormatScore(score), obs.session,
                               instruments::FormatScore(*st.intake), instruments::FormatScore(sc.since_intake->threshold));
        json ev = ToJson(*sc.since_intake);
        ev["rule"] = "reliable_deterioration";
        ev["scale"] = key;
        ev["session"] = obs.session;
        ev["intake_session"] = st.intake_session;
        a.evidence = ev.dump();
        raised.push_back(std::move(a));
      }
      st.deteriorated = deteriorated;
      auto curve_it = curves.find(key);
      if (curve_it != curves.end() && curve_it->second.model != CurveModel::EXPECTED_RESPONSE) curve_it = curves.end();
      if (curve_it == curves.end() || !curve_it->second.available) {
        if (std::find(noted.begin(), noted.end(), key) == noted.end()) {
          noted.push_back(key);
          out.notes.push_back(fmt::format(
              "no expected treatment response curve for {} ({}); only the reliable-change rules apply", key,
              curve_it == curves.end() ? "none fitted" : curve_it->second.reason));
        }
      } else if (obs.session >= config.not_on_track_from_session) {
        const Curve& curve = curve_it->second;
        const double expected = curve.Expected(obs.session, *st.intake);
        const double sd = curve.PredictionSd(obs.session);
        const double band = config.not_on_track_z * sd;
        const bool off = higher_worse ? score > expected + band : score < expected - band;
        if (off && !st.off_track) {
          RaisedAlert a;
          a.kind = "not_on_track";
          a.severity = "warning";
          a.scale = key;
          a.session = obs.session;
          a.detail = fmt::format("{} is {} at session {}; expected {:.1f} for an intake of {} (band {:.1f})", key,
                                 instruments::FormatScore(score), obs.session, expected,
                                 instruments::FormatScore(*st.intake), band);
          a.evidence = json{{"rule", "not_on_track"},
                            {"scale", key},
                            {"session", obs.session},
                            {"score", score},
                            {"intake", *st.intake},
                            {"expected", expected},
                            {"prediction_sd", sd},
                            {"z", config.not_on_track_z},
                            {"band", band},
                            {"curve",
                             {{"b0", curve.b0},
                              {"b_log_session", curve.b_log_session},
                              {"b_intake", curve.b_intake},
                              {"b_interaction", curve.b_interaction},
                              {"intake_centre", curve.intake_centre},
                              {"tau00", curve.tau00},
                              {"tau01", curve.tau01},
                              {"tau11", curve.tau11},
                              {"sigma2", curve.sigma2},
                              {"episodes", curve.episodes}}}}
                           .dump();
          raised.push_back(std::move(a));
        }
        st.off_track = off;
      }
      out.changes.push_back(std::move(sc));
    }
    out.alerts.push_back(std::move(raised));
  }
  return out;
}

void EndOfTherapy(EpisodeAssessment& assessment) {
  for (auto& r : assessment.ruptures) {
    if (r.status == "open") r.status = "unrepaired";
  }
}

}  // namespace attune::monitor
