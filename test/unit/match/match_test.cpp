#include "attune/match/match.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace attune::match {
namespace {

struct World {
  model::FittedModel model;
  std::vector<TherapistProfile> therapists;
};

World MakeWorld(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0.0, 1.0);
  model::TrainingData data;
  World w;
  for (std::size_t t = 0; t < n; ++t) {
    TherapistProfile p;
    p.model.id = static_cast<Id>(t + 1);
    p.model.facets = std::array<double, 5>{n01(rng), n01(rng), n01(rng), n01(rng), n01(rng)};
    p.model.style = std::array<double, 4>{n01(rng), n01(rng), n01(rng), n01(rng)};
    p.languages = {"en"};
    if (t % 4 == 0) p.languages.push_back("es");
    p.modality = t % 3 == 0 ? Modality::IN_PERSON : t % 3 == 1 ? Modality::VIDEO : Modality::BOTH;
    p.location = t % 2 == 0 ? "leeds" : "york";
    p.capacity = 2;
    data.therapists.push_back(p.model);
    w.therapists.push_back(p);
  }
  auto m = model::Fit(data);  // no episodes: the priors
  w.model = std::move(*m);
  return w;
}

ClientRequest Client(double pref) {
  ClientRequest c;
  c.model.id = 1;
  c.model.preferences = std::array<double, 4>{pref, 0, 0, 0};
  c.languages = {"en"};
  return c;
}

TEST(Filters, EachHardFilterRemovesAndIsCounted) {
  TherapistProfile t;
  t.model.id = 7;
  t.languages = {"en"};
  t.modality = Modality::IN_PERSON;
  t.location = "leeds";
  t.capacity = 1;
  ClientRequest c = Client(0);
  Filter why{};
  EXPECT_TRUE(Eligible(t, c, &why));
  auto check = [&](auto change, Filter expected) {
    TherapistProfile tt = t;
    ClientRequest cc = c;
    change(tt, cc);
    Filter w{};
    EXPECT_FALSE(Eligible(tt, cc, &w));
    EXPECT_EQ(w, expected) << FilterName(expected);
  };
  check([](TherapistProfile& x, ClientRequest&) { x.accepting = false; }, Filter::NOT_ACCEPTING);
  check([](TherapistProfile& x, ClientRequest&) { x.capacity = 0; }, Filter::CAPACITY);
  check([](TherapistProfile& x, ClientRequest& y) { x.high_risk_cap = 0; y.high_risk = true; }, Filter::CAPACITY);
  check([](TherapistProfile&, ClientRequest& y) { y.languages = {"pl"}; }, Filter::LANGUAGE);
  check([](TherapistProfile&, ClientRequest& y) { y.languages = {"pl", "es"}; }, Filter::LANGUAGE);
  check([](TherapistProfile&, ClientRequest& y) { y.modality = Modality::VIDEO; }, Filter::MODALITY);
  check([](TherapistProfile&, ClientRequest& y) { y.location = "york"; }, Filter::LOCATION);
  check([](TherapistProfile&, ClientRequest& y) { y.excluded = {7}; }, Filter::EXCLUDED);
  // Video therapists are not bound to a location.
  TherapistProfile v = t;
  v.modality = Modality::BOTH;
  ClientRequest far = c;
  far.location = "york";
  EXPECT_TRUE(Eligible(v, far));
  // Several languages are any of them: a bilingual client is seen by a therapist speaking either.
  ClientRequest bilingual = c;
  bilingual.languages = {"pl", "en"};
  EXPECT_TRUE(Eligible(t, bilingual));
  // No language asked: a therapist who lists none is not filtered out.
  TherapistProfile silent = t;
  silent.languages.clear();
  ClientRequest any = c;
  any.languages.clear();
  EXPECT_TRUE(Eligible(silent, any));
}

// The probe: a client no therapist could see got an empty list and no reason.
TEST(Filters, NoneEligibleSaysWhichFiltersRemovedWhom) {
  Ranking some;
  some.eligible = 2;
  EXPECT_EQ(NoneEligible(some), "");
  Ranking none;
  none.filtered[static_cast<std::size_t>(Filter::LANGUAGE)] = 28;
  none.filtered[static_cast<std::size_t>(Filter::MODALITY)] = 1;
  none.filtered[static_cast<std::size_t>(Filter::EXCLUDED)] = 1;
  EXPECT_EQ(NoneEligible(none),
            "none of the 30 therapists fits every need (language: 28, way of meeting: 1, excluded by the clinic: 1)");
  Ranking one;
  one.filtered[static_cast<std::size_t>(Filter::CAPACITY)] = 1;
  EXPECT_EQ(NoneEligible(one), "the clinic's one therapist does not fit every need (no place free: 1)");
  EXPECT_EQ(NoneEligible(Ranking{}), "the clinic has no therapists to suggest yet");
}

TEST(Rank, AgreesWithFiltersAndBruteForce) {
  World w = MakeWorld(200, 3);
  w.therapists[5].accepting = false;
  w.therapists[6].capacity = 0;
  ClientRequest c = Client(1.2);
  c.languages = {"es"};
  c.modality = Modality::IN_PERSON;
  c.location = "leeds";
  c.excluded = {9};
  auto ranker = Ranker::Build(w.model, w.therapists);
  ASSERT_TRUE(ranker);
  Ranking r = ranker->Rank(c, 5);

  std::vector<std::pair<double, Id>> expected;
  std::array<std::size_t, kFilterCount> counts{};
  for (const auto& t : w.therapists) {
    Filter why{};
    if (!Eligible(t, c, &why)) {
      ++counts[static_cast<std::size_t>(why)];
      continue;
    }
    auto p = model::Predict(w.model, t.model, c.model);
    ASSERT_TRUE(p);
    expected.emplace_back(p->mean, t.model.id);
  }
  EXPECT_EQ(r.eligible, expected.size());
  EXPECT_EQ(r.filtered, counts);
  std::sort(expected.begin(), expected.end(), [](auto& a, auto& b) { return a.first > b.first; });
  ASSERT_EQ(r.top.size(), std::min<std::size_t>(5, expected.size()));
  for (std::size_t i = 0; i < r.top.size(); ++i) {
    EXPECT_EQ(r.top[i].therapist_id, expected[i].second);
    EXPECT_NEAR(r.top[i].score, expected[i].first, 1e-5);  // the ranker stores single precision
    double sum = 0;
    for (const auto& term : r.top[i].prediction.terms) sum += term.value;
    EXPECT_NEAR(sum, r.top[i].score, 1e-5);
  }
}

// The probe: ["language:es", "language:pl"] ranked only Polish speakers (the last language won).
// The ranker's bit sets agree with Eligible for several languages and for none.
TEST(Rank, SeveralLanguagesAreAnyOfThemAndAgreeWithTheFilters) {
  World w = MakeWorld(60, 4);
  for (std::size_t t = 0; t < w.therapists.size(); ++t) {
    if (t % 5 == 1) w.therapists[t].languages = {"pl"};
    if (t % 7 == 2) w.therapists[t].languages.clear();
  }
  auto ranker = Ranker::Build(w.model, w.therapists);
  ASSERT_TRUE(ranker);
  for (const std::vector<std::string>& languages :
       std::vector<std::vector<std::string>>{{"es", "pl"}, {"pl"}, {"es"}, {}, {"xx"}, {"xx", "pl"}}) {
    ClientRequest c = Client(0.5);
    c.languages = languages;
    Ranking r = ranker->Rank(c, 100, false);
    std::size_t eligible = 0, spanish = 0, polish = 0;
    for (const auto& t : w.therapists) {
      if (!Eligible(t, c)) continue;
      ++eligible;
      auto speaks = [&](const char* l) { return std::find(t.languages.begin(), t.languages.end(), l) != t.languages.end(); };
      spanish += speaks("es") ? 1 : 0;
      polish += speaks("pl") ? 1 : 0;
    }
    EXPECT_EQ(r.eligible, eligible) << languages.size();
    EXPECT_EQ(r.top.size(), eligible);
    if (languages == std::vector<std::string>{"es", "pl"}) {
      EXPECT_GT(spanish, 0u);
      EXPECT_GT(polish, 0u);
    }
  }
}

TEST(Rank, PreferenceFitChangesTheOrder) {
  World w = MakeWorld(50, 8);
  auto ranker = Ranker::Build(w.model, w.therapists);
  ASSERT_TRUE(ranker);
  Ranking directive = ranker->Rank(Client(2.0), 50, false);
  Ranking nondirective = ranker->Rank(Client(-2.0), 50, false);
  ASSERT_FALSE(directive.top.empty());
  // The best therapist for a client wanting directiveness is more directive than the best for
  // a client wanting the opposite.
  const auto style = [&](const Ranked& r) { return (*w.therapists[r.index].model.style)[0]; };
  EXPECT_GT(style(directive.top.front()), style(nondirective.top.front()));
}

TEST(Rank, RefusesBadInput) {
  World w = MakeWorld(3, 1);
  w.therapists[1].capacity = -1;
  auto r = Ranker::Build(w.model, w.therapists);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "therapists[1].capacity");
  World d = MakeWorld(3, 1);
  d.therapists[2].model.id = 1;
  auto dup = Ranker::Build(d.model, d.therapists);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().field, "therapists[2].id");
  auto blend = Rank(d.model, {}, Client(0), RankOptions{model::Objective::BLEND, 2.0, 10});
  ASSERT_FALSE(blend);
}

TEST(AssignFacade, WaitlistWithinCapacity) {
  World w = MakeWorld(40, 5);
  std::vector<ClientRequest> waitlist;
  for (int i = 0; i < 100; ++i) {
    ClientRequest c = Client(i % 5 - 2.0);
    c.model.id = i + 1;
    waitlist.push_back(c);
  }
  auto ranker = Ranker::Build(w.model, w.therapists);
  ASSERT_TRUE(ranker);
  auto opt = Assign(*ranker, waitlist);
  AssignOptions greedy_options;
  greedy_options.method = AssignOptions::Method::GREEDY;
  auto greedy = Assign(*ranker, waitlist, greedy_options);
  ASSERT_TRUE(opt && greedy);
  EXPECT_EQ(opt->assigned, 80u);  // 40 therapists x 2 places
  EXPECT_TRUE(opt->certificate.optimal);
  EXPECT_GE(opt->objective, greedy->objective);
  const Problem p = BuildProblem(*ranker, waitlist, 50, 10);
  EXPECT_TRUE(CheckFeasible(p, *opt));
}

}  // namespace
}  // namespace attune::match
