// Hard filters and ranking (docs/matching.md "Filters" and "Ranking").
#include "attune/match/match.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <unordered_map>

namespace attune::match {

namespace {

// Each filter's name and its sentence for people, in the order of enum Filter.
struct FilterText {
  Filter filter;
  const char* name;
  const char* reason;
  const char* label;  // in a count of therapists removed ("language: 28")
};
constexpr FilterText kFilterTexts[] = {
    {Filter::NOT_ACCEPTING, "not_accepting", "is not taking new clients", "not taking new clients"},
    {Filter::CAPACITY, "capacity", "has no place free", "no place free"},
    {Filter::LANGUAGE, "language", "speaks none of the client's languages", "language"},
    {Filter::MODALITY, "modality", "does not offer the client's way of meeting (in person or video)", "way of meeting"},
    {Filter::LOCATION, "location", "does not see clients in person at the client's location", "location"},
    {Filter::EXCLUDED, "excluded", "is excluded for this client by the clinic", "excluded by the clinic"},
};
constexpr bool InEnumOrder() {
  for (std::size_t i = 0; i < std::size(kFilterTexts); ++i) {
    if (static_cast<std::size_t>(kFilterTexts[i].filter) != i) return false;
  }
  return std::size(kFilterTexts) == kFilterCount;
}
static_assert(InEnumOrder(), "kFilterTexts holds every filter once, in the order of enum Filter");
constexpr FilterText kUnknownFilter{Filter::NOT_ACCEPTING, "unknown", "does not pass a filter", "a filter"};

const FilterText& TextOf(Filter filter) {
  const auto i = static_cast<std::size_t>(filter);
  return i < kFilterCount ? kFilterTexts[i] : kUnknownFilter;
}

}  // namespace

const char* FilterName(Filter filter) { return TextOf(filter).name; }

const char* FilterReason(Filter filter) { return TextOf(filter).reason; }

std::string NoneEligible(const Ranking& ranking) {
  if (ranking.eligible > 0) return "";
  std::size_t total = 0;
  std::string counts;
  for (std::size_t i = 0; i < kFilterCount; ++i) {
    if (ranking.filtered[i] == 0) continue;
    total += ranking.filtered[i];
    counts += fmt::format("{}{}: {}", counts.empty() ? "" : ", ", kFilterTexts[i].label, ranking.filtered[i]);
  }
  if (total == 0) return "the clinic has no therapists to suggest yet";
  if (total == 1) return fmt::format("the clinic's one therapist does not fit every need ({})", counts);
  return fmt::format("none of the {} therapists fits every need ({})", total, counts);
}

namespace {

// Ranking order: higher score first, then lower index (deterministic ties).
bool Better(const Candidate& a, const Candidate& b) {
  return a.score != b.score ? a.score > b.score : a.therapist < b.therapist;
}

// Which session formats a pair can share: bit 0 in person, bit 1 video.
unsigned Formats(Modality m) { return m == Modality::IN_PERSON ? 1u : m == Modality::VIDEO ? 2u : 3u; }

}  // namespace

bool Eligible(const TherapistProfile& t, const ClientRequest& c, Filter* why) {
  auto fail = [&](Filter f) {
    if (why != nullptr) *why = f;
    return false;
  };
  if (!t.accepting) return fail(Filter::NOT_ACCEPTING);
  if (t.capacity <= 0 || (c.high_risk && t.high_risk_cap == 0)) return fail(Filter::CAPACITY);
  if (!c.languages.empty() && std::none_of(c.languages.begin(), c.languages.end(), [&](const std::string& l) {
        return std::find(t.languages.begin(), t.languages.end(), l) != t.languages.end();
      })) {
    return fail(Filter::LANGUAGE);
  }
  const unsigned shared = Formats(t.modality) & Formats(c.modality);
  if (shared == 0) return fail(Filter::MODALITY);
  // Only in person shared: the locations must agree when both are known.
  if (shared == 1 && !c.location.empty() && !t.location.empty() && c.location != t.location) {
    return fail(Filter::LOCATION);
  }
  if (std::find(c.excluded.begin(), c.excluded.end(), t.model.id) != c.excluded.end()) return fail(Filter::EXCLUDED);
  return true;
}

// Structure of arrays over therapists so that scoring one client touches little memory.
struct Ranker::Impl {
  const model::FittedModel* model = nullptr;
  model::Objective objective = model::Objective::ALLIANCE;
  double blend = 0.5;
  std::vector<TherapistProfile> therapists;
  std::size_t domains = 0;
  // Single precision halves the memory one ranking streams through (scores are summed in double;
  // 1e-7 relative is far below the model's uncertainty).
  std::vector<float> coef;    // 5 per therapist: constant, slope[4]
  std::vector<float> domain;  // `domains` per therapist
  // Filters as small integers: language bit set, formats, location id, open (accepting + room).
  std::unordered_map<std::string, int> language_bit, location_id;
  std::vector<std::uint64_t> languages;
  std::vector<unsigned char> formats, open, hr_open;
  std::vector<int> location;
  std::unordered_map<Id, std::size_t> index_of;

  // Eligible therapists' scores for `client`; counts filter failures when `counts` is given.
  // With keep > 0 only the best `keep` are appended (unordered). Returns how many were eligible.
  std::size_t Score(const ClientRequest& client, std::size_t keep, std::vector<Candidate>& out,
                    std::array<std::size_t, kFilterCount>* counts) const;
};

std::size_t Ranker::Impl::Score(const ClientRequest& client, std::size_t keep, std::vector<Candidate>& out,
                                std::array<std::size_t, kFilterCount>* counts) const {
  const model::CompiledClient cc = model::Compile(*model, client.model, objective, blend);
  // Any of the client's languages: a language no therapist speaks adds no bit.
  const bool any_language = client.languages.empty();
  std::uint64_t need = 0;
  for (const auto& l : client.languages) {
    auto it = language_bit.find(l);
    if (it != language_bit.end()) need |= std::uint64_t{1} << it->second;
  }
  const unsigned want = Formats(client.modality);
  int loc = -2;  // -2: client gives none
  if (!client.location.empty()) {
    auto it = location_id.find(client.location);
    loc = it == location_id.end() ? -3 : it->second;  // -3: a place no therapist is at
  }
  const std::size_t n = therapists.size();
  const float* s = coef.data();
  const double p0 = cc.p[0], p1 = cc.p[1], p2 = cc.p[2], p3 = cc.p[3];
  const bool dom = cc.domain >= 0;
  const std::size_t dk = dom ? static_cast<std::size_t>(cc.domain) : 0;
  const unsigned char* is_open = client.high_risk ? hr_open.data() : open.data();
  // Exclusions are known before scoring: they are skipped (and counted) in the loop.
  std::vector<std::size_t> gone;
  for (Id id : client.excluded) {
    auto it = index_of.find(id);
    if (it != index_of.end()) gone.push_back(it->second);
  }
  std::sort(gone.begin(), gone.end());
  const std::size_t from = out.size();
  std::size_t eligible = 0;
  for (std::size_t t = 0; t < n; ++t) {
    Filter why = Filter::NOT_ACCEPTING;
    bool ok = true;
    if (!is_open[t]) {
      ok = false;
      why = therapists[t].accepting ? Filter::CAPACITY : Filter::NOT_ACCEPTING;
    } else if (!any_language && (languages[t] & need) == 0) {
      ok = false;
      why = Filter::LANGUAGE;
    } else {
      const unsigned shared = formats[t] & want;
      if (shared == 0) {
        ok = false;
        why = Filter::MODALITY;
      } else if (shared == 1 && loc != -2 && location[t] != -1 && location[t] != loc) {
        ok = false;
        why = Filter::LOCATION;
      }
    }
    if (ok && !gone.empty() && std::binary_search(gone.begin(), gone.end(), t)) {
      ok = false;
      why = Filter::EXCLUDED;
    }
    if (!ok) {
      if (counts != nullptr) ++(*counts)[static_cast<std::size_t>(why)];
      continue;
    }
    const float* ct = s + 5 * t;
    double v = cc.constant + double{ct[0]} + double{ct[1]} * p0 + double{ct[2]} * p1 + double{ct[3]} * p2 +
               double{ct[4]} * p3;
    if (dom) v += domain[t * domains + dk];
    ++eligible;
    if (keep == 0) {
      out.push_back({static_cast<std::uint32_t>(t), v});
    } else if (out.size() - from < keep) {
      // A bounded heap whose front is the worst kept candidate.
      out.push_back({static_cast<std::uint32_t>(t), v});
      std::push_heap(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(), Better);
    } else if (v > out[from].score) {
      std::pop_heap(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(), Better);
      out.back() = {static_cast<std::uint32_t>(t), v};
      std::push_heap(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(), Better);
    }
  }
  return eligible;
}

Ranker::Ranker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ranker::Ranker(Ranker&&) noexcept = default;
Ranker& Ranker::operator=(Ranker&&) noexcept = default;
Ranker::~Ranker() = default;

Result<Ranker> Ranker::Build(const model::FittedModel& model, std::vector<TherapistProfile> therapists,
                             model::Objective objective, double blend_weight) {
  if (!(blend_weight >= 0 && blend_weight <= 1)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("blend_weight: value {} is not in [0, 1]", blend_weight),
                "blend_weight");
  }
  auto impl = std::make_unique<Impl>();
  impl->model = &model;
  impl->objective = objective;
  impl->blend = blend_weight;
  impl->domains = model.domains.size();
  const std::size_t n = therapists.size();
  impl->coef.resize(5 * n);
  impl->domain.resize(impl->domains * n);
  impl->languages.resize(n);
  impl->formats.resize(n);
  impl->open.resize(n);
  impl->hr_open.resize(n);
  impl->location.resize(n);
  for (std::size_t t = 0; t < n; ++t) {
    const TherapistProfile& th = therapists[t];
    if (th.capacity < 0) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("therapists[{}].capacity: value {} is negative", t, th.capacity),
                  fmt::format("therapists[{}].capacity", t));
    }
    if (!impl->index_of.emplace(th.model.id, t).second) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("therapists[{}].id: {} appears twice", t, th.model.id),
                  fmt::format("therapists[{}].id", t));
    }
    const model::CompiledTherapist ct = model::Compile(model, th.model, objective, blend_weight);
    impl->coef[5 * t] = static_cast<float>(ct.constant);
    for (std::size_t d = 0; d < 4; ++d) impl->coef[5 * t + 1 + d] = static_cast<float>(ct.slope[d]);
    for (std::size_t k = 0; k < impl->domains; ++k) {
      impl->domain[t * impl->domains + k] = static_cast<float>(ct.domain[k]);
    }
    std::uint64_t bits = 0;
    for (const auto& lang : th.languages) {
      auto it = impl->language_bit.find(lang);
      if (it == impl->language_bit.end()) {
        if (impl->language_bit.size() >= 64) {
          return Fail(ErrorCode::INVALID_ARGUMENT,
                      fmt::format("therapists[{}].languages: more than 64 distinct languages", t),
                      fmt::format("therapists[{}].languages", t));
        }
        it = impl->language_bit.emplace(lang, static_cast<int>(impl->language_bit.size())).first;
      }
      bits |= std::uint64_t{1} << it->second;
    }
    impl->languages[t] = bits;
    impl->formats[t] = static_cast<unsigned char>(Formats(th.modality));
    impl->open[t] = th.accepting && th.capacity > 0 ? 1 : 0;
    impl->hr_open[t] = impl->open[t] && th.high_risk_cap != 0 ? 1 : 0;
    if (th.location.empty()) {
      impl->location[t] = -1;
    } else {
      auto it = impl->location_id.emplace(th.location, static_cast<int>(impl->location_id.size())).first;
      impl->location[t] = it->second;
    }
  }
  impl->therapists = std::move(therapists);
  return Ranker(std::move(impl));
}

const std::vector<TherapistProfile>& Ranker::therapists() const { return impl_->therapists; }

void Ranker::Candidates(const ClientRequest& client, std::size_t k, std::vector<Candidate>& out) const {
  const std::size_t from = out.size();
  impl_->Score(client, k, out, nullptr);
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(), Better);
}

Ranking Ranker::Rank(const ClientRequest& client, std::size_t top, bool explain) const {
  Ranking ranking;
  std::vector<Candidate> best;
  best.reserve(top + 1);
  ranking.eligible = impl_->Score(client, top == 0 ? 1 : top, best, &ranking.filtered);
  std::sort(best.begin(), best.end(), Better);
  for (const auto& c : best) {
    Ranked r;
    r.index = c.therapist;
    r.therapist_id = impl_->therapists[c.therapist].model.id;
    r.score = c.score;
    if (explain) {
      auto p = model::Predict(*impl_->model, impl_->therapists[c.therapist].model, client.model, impl_->objective,
                              impl_->blend);
      if (p) r.prediction = std::move(*p);
    }
    ranking.top.push_back(std::move(r));
  }
  return ranking;
}

Result<Ranking> Rank(const model::FittedModel& model, const std::vector<TherapistProfile>& therapists,
                     const ClientRequest& client, const RankOptions& options) {
  ATTUNE_TRY(ranker, Ranker::Build(model, therapists, options.objective, options.blend_weight));
  return ranker.Rank(client, options.top, true);
}

}  // namespace attune::match
