#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "attune/monitor/monitor.hpp"
#include "attune/stats/data_frame.hpp"
#include "attune/stats/regression.hpp"

namespace attune::monitor {

Rate Wilson(std::size_t events, std::size_t n, double z) {
  Rate r;
  r.events = events;
  r.n = n;
  if (n == 0) {
    r.high = 1;
    return r;
  }
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(events) / nn;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
  r.rate = p;
  r.low = std::max(0.0, centre - half);
  r.high = std::min(1.0, centre + half);
  return r;
}

EpisodeSummary Summarise(Id episode, Id therapist, const std::vector<Observation>& observations,
                         const EpisodeAssessment& assessment, const instruments::Catalogue& catalogue,
                         const Config& config) {
  EpisodeSummary s;
  s.episode = episode;
  s.therapist = therapist;
  // The primary outcome is the outcome scale observed most often (ties: the first seen).
  std::map<std::string, int> counts;
  std::vector<std::string> order;
  for (const auto& c : assessment.changes) {
    if (counts[c.key]++ == 0) order.push_back(c.key);
  }
  int best = 0;
  for (const auto& k : order) {
    if (counts[k] > best) {
      best = counts[k];
      s.outcome_key = k;
    }
  }
  const ScaleChange* first = nullptr;
  const ScaleChange* last = nullptr;
  for (const auto& c : assessment.changes) {
    if (c.key != s.outcome_key) continue;
    if (first == nullptr) first = &c;
    last = &c;
  }
  if (first != nullptr) {
    s.intake = first->score;
    s.last = last->score;
    if (last != first) s.change = last->since_intake;
    const auto dot = s.outcome_key.find('.');
    auto instrument = catalogue.Get(s.outcome_key.substr(0, dot));
    if (instrument) {
      const auto* scale = (*instrument)->FindScale(s.outcome_key.substr(dot + 1));
      if (scale != nullptr && scale->caseness) {
        auto is_case = [&](double x) {
          return scale->caseness->at_or_above ? x >= scale->caseness->cutoff : x <= scale->caseness->cutoff;
        };
        s.case_at_intake = is_case(first->score);
        s.case_at_end = is_case(last->score);
      }
    }
  }
  double sum = 0;
  int n = 0;
  for (const auto& o : observations) {
    if (o.instrument + ".total" != config.alliance_summary_key) continue;
    auto it = o.scores.find("total");
    if (it == o.scores.end()) continue;
    sum += it->second;
    ++n;
  }
  if (n > 0) s.mean_alliance = sum / n;
  // Ruptures counted once per session (several dimensions may dip together): repaired when any
  // dimension was, else unrepaired when any was decided so, else still open (its repair window
  // has not run out: undecided, so counted in neither share).
  enum Verdict { OPEN = 0, UNREPAIRED = 1, REPAIRED = 2 };
  std::map<int, int> by_session;
  for (const auto& r : assessment.ruptures) {
    const int verdict = r.status == "repaired" ? REPAIRED : r.status == "unrepaired" ? UNREPAIRED : OPEN;
    by_session[r.session] = std::max(by_session[r.session], verdict);
  }
  s.ruptures = static_cast<int>(by_session.size());
  for (const auto& [session, verdict] : by_session) {
    s.repaired += verdict == REPAIRED ? 1 : 0;
    s.undecided += verdict == OPEN ? 1 : 0;
  }
  return s;
}

namespace {

struct Indicators {
  bool ri = false, rec = false, rrec = false, det = false;
};

Indicators Of(const EpisodeSummary& e) {
  Indicators i;
  if (!e.change) return i;
  i.ri = e.change->reliable && e.change->improved;
  i.det = e.change->reliable && !e.change->improved;
  i.rec = e.case_at_intake && !e.case_at_end;
  i.rrec = i.rec && i.ri;
  return i;
}

GroupReport Group(const std::string& name, Id therapist, const std::vector<const EpisodeSummary*>& eps) {
  GroupReport g;
  g.group = name;
  g.therapist = therapist;
  g.episodes = eps.size();
  std::size_t ri = 0, det = 0, cases = 0, rec = 0, rrec = 0, ruptures = 0, repaired = 0, undecided = 0,
              with_alliance = 0;
  double alliance = 0;
  for (const auto* e : eps) {
    ruptures += static_cast<std::size_t>(e->ruptures);
    repaired += static_cast<std::size_t>(e->repaired);
    undecided += static_cast<std::size_t>(e->undecided);
    if (e->mean_alliance) {
      alliance += *e->mean_alliance;
      ++with_alliance;
    }
    if (!e->change) continue;
    ++g.with_outcome;
    Indicators i = Of(*e);
    ri += i.ri;
    det += i.det;
    if (e->case_at_intake) {
      ++cases;
      rec += i.rec;
      rrec += i.rrec;
    }
  }
  g.reliable_improvement = Wilson(ri, g.with_outcome);
  g.deterioration = Wilson(det, g.with_outcome);
  g.recovery = Wilson(rec, cases);
  g.reliable_recovery = Wilson(rrec, cases);
  if (with_alliance > 0) g.mean_alliance = alliance / static_cast<double>(with_alliance);
  g.ruptures_per_episode = eps.empty() ? 0.0 : static_cast<double>(ruptures) / static_cast<double>(eps.size());
  g.ruptures_undecided = undecided;
  g.repair = Wilson(repaired, ruptures - undecided);
  return g;
}

}  // namespace

Report Aggregate(const std::vector<EpisodeSummary>& episodes) {
  Report report;
  std::vector<const EpisodeSummary*> all;
  std::map<Id, std::vector<const EpisodeSummary*>> by_therapist;
  for (const auto& e : episodes) {
    all.push_back(&e);
    by_therapist[e.therapist].push_back(&e);
  }
  report.organisation = Group("organisation", 0, all);
  for (const auto& [t, eps] : by_therapist) {
    report.therapists.push_back(Group(fmt::format("therapist {}", t), t, eps));
  }
  // Case-mix adjustment: intake standardised within each outcome scale; a linear probability
  // model of each indicator on it gives each episode its expected value; a therapist's adjusted
  // rate = organisation rate + (observed - expected) over the therapist's episodes.
  std::map<std::string, std::pair<double, double>> moments;  // key -> (mean, sd)
  {
    std::map<std::string, std::vector<double>> values;
    for (const auto& e : episodes) {
      if (e.change && e.intake) values[e.outcome_key].push_back(*e.intake);
    }
    for (const auto& [k, v] : values) {
      double m = 0;
      for (double x : v) m += x;
      m /= static_cast<double>(v.size());
      double ss = 0;
      for (double x : v) ss += (x - m) * (x - m);
      const double sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
      moments[k] = {m, sd};
    }
  }
  std::vector<const EpisodeSummary*> used;
  std::vector<double> z, ri, det, rec_z, rec, rrec;
  std::vector<const EpisodeSummary*> used_cases;
  for (const auto& e : episodes) {
    if (!e.change || !e.intake) continue;
    const auto [m, sd] = moments[e.outcome_key];
    const double zi = sd > 0 ? (*e.intake - m) / sd : 0.0;
    Indicators i = Of(e);
    used.push_back(&e);
    z.push_back(zi);
    ri.push_back(i.ri ? 1.0 : 0.0);
    det.push_back(i.det ? 1.0 : 0.0);
    if (e.case_at_intake) {
      used_cases.push_back(&e);
      rec_z.push_back(zi);
      rec.push_back(i.rec ? 1.0 : 0.0);
      rrec.push_back(i.rrec ? 1.0 : 0.0);
    }
  }
  if (used.size() < 10) {
    report.adjustment = fmt::format("not adjusted: {} episodes with an outcome, need 10", used.size());
    return report;
  }
  // Expected value of an indicator for each row from an OLS on standardised intake.
  auto expected = [](const std::vector<double>& x, const std::vector<double>& y) -> std::optional<std::vector<double>> {
    stats::DataFrame df;
    if (!df.AddNumeric("y", y) || !df.AddNumeric("z", x)) return std::nullopt;
    auto fit = stats::Regress(df, "y ~ z");
    if (!fit) {
      // A constant indicator (all 0 or all 1) cannot be regressed: its expectation is itself.
      return std::vector<double>(y.begin(), y.end());
    }
    // A linear model can predict below 0 or above 1 at the extremes of intake: an episode's
    // expected chance is clamped to [0, 1], so a therapist whose episodes were expected to do
    // badly is never credited with more than observed-minus-nothing.
    std::vector<double> out(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) out[k] = std::clamp(y[k] - fit->residuals[k], 0.0, 1.0);
    return out;
  };
  auto e_ri = expected(z, ri), e_det = expected(z, det);
  auto e_rec = rec.size() >= 10 ? expected(rec_z, rec) : std::nullopt;
  auto e_rrec = rrec.size() >= 10 ? expected(rec_z, rrec) : std::nullopt;
  auto adjust = [&](Rate& r, Id t, const std::vector<const EpisodeSummary*>& rows, const std::vector<double>& obs,
                    const std::optional<std::vector<double>>& exp, double org_rate) {
    if (!exp) return;
    double o = 0, ex = 0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      if (rows[k]->therapist != t) continue;
      o += obs[k];
      ex += (*exp)[k];
      ++n;
    }
    if (n == 0) return;
    // A rate outside [0, 1] cannot be read as a share of episodes: the rate is clamped and the
    // unclamped value kept, so a reader sees how far past the bound the therapist was.
    r.adjusted_unclamped = org_rate + (o - ex) / static_cast<double>(n);
    r.adjusted = std::clamp(*r.adjusted_unclamped, 0.0, 1.0);
  };
  for (auto& g : report.therapists) {
    adjust(g.reliable_improvement, g.therapist, used, ri, e_ri, report.organisation.reliable_improvement.rate);
    adjust(g.deterioration, g.therapist, used, det, e_det, report.organisation.deterioration.rate);
    adjust(g.recovery, g.therapist, used_cases, rec, e_rec, report.organisation.recovery.rate);
    adjust(g.reliable_recovery, g.therapist, used_cases, rrec, e_rrec, report.organisation.reliable_recovery.rate);
  }
  report.adjustment = fmt::format(
      "indirect standardisation on intake severity (z within outcome scale): OLS of each indicator on intake "
      "over {} episodes, each episode's expected chance clamped to [0, 1]; adjusted = organisation rate + "
      "(observed - expected), clamped to [0, 1]: a therapist shown at 0% or 100% is further from what their "
      "case mix predicts than the organisation's rate allows (at 0%: fewer events than expected, which for "
      "deterioration is better and for improvement and recovery worse), and the unclamped value is given beside it",
      used.size());
  return report;
}

}  // namespace attune::monitor
