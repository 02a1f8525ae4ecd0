#include "attune/stats/formula.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

namespace attune::stats {

std::string RandomTerm::GroupLabel() const {
  std::string s;
  for (const auto& f : factors) s += (s.empty() ? "" : ":") + f;
  return s;
}

std::vector<std::string> Formula::Columns() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  add(response.column);
  for (const auto& v : fixed) add(v.column);
  for (const auto& t : random) {
    for (const auto& v : t.slopes) add(v.column);
    for (const auto& f : t.factors) add(f);
  }
  return out;
}

namespace {

Unexpected Bad(std::string_view text, const std::string& why) {
  return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("formula '{}': {}", text, why), "formula");
}

// Two terms on the same grouping factor that share an effect (both intercepts, or a slope on the
// same variable) give that effect two variances that only their sum identifies: `(1|g) + (1|g)`.
// Terms sharing nothing are lme4's uncorrelated form, `(1|g) + (0 + x|g)`.
Result<void> CheckRandomTermsDistinct(std::string_view text, const std::vector<RandomTerm>& terms) {
  for (std::size_t i = 0; i < terms.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const RandomTerm& a = terms[i];
      const RandomTerm& b = terms[j];
      if (a.GroupLabel() != b.GroupLabel()) continue;
      std::string shared = a.intercept && b.intercept ? "the intercept" : "";
      for (const auto& v : a.slopes) {
        const bool in_b = std::any_of(b.slopes.begin(), b.slopes.end(),
                                      [&](const Variable& w) { return w.Label() == v.Label(); });
        if (in_b && shared.empty()) shared = "'" + v.Label() + "'";
      }
      if (!shared.empty()) {
        return Bad(text, fmt::format("grouping factor '{}' has two random terms with {}; expected each effect once "
                                     "per grouping factor (e.g. (1 + x|{}))",
                                     a.GroupLabel(), shared, a.GroupLabel()));
      }
    }
  }
  return Ok();
}

std::string Trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

bool IsName(const std::string& s) {
  if (s.empty()) return false;
  if (s.size() >= 2 && s.front() == '`' && s.back() == '`') return s.find('`', 1) == s.size() - 1;
  unsigned char c0 = static_cast<unsigned char>(s[0]);
  if (!(std::isalpha(c0) || s[0] == '.' || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
  });
}

std::string Unquote(const std::string& s) {
  if (s.size() >= 2 && s.front() == '`') return s.substr(1, s.size() - 2);
  return s;
}

// Splits on a separator at parenthesis depth 0.
std::vector<std::string> SplitTop(std::string_view s, char sep) {
  std::vector<std::string> parts;
  int depth = 0;
  bool tick = false;
  std::string cur;
  for (char c : s) {
    if (c == '`') tick = !tick;
    if (!tick) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (c == sep && depth == 0) {
        parts.push_back(Trim(cur));
        cur.clear();
        continue;
      }
    }
    cur += c;
  }
  parts.push_back(Trim(cur));
  return parts;
}

Result<Variable> ParseVariable(std::string_view whole, const std::string& s) {
  Variable v;
  if (s.rfind("log(", 0) == 0 && s.back() == ')') {
    std::string inner = Trim(std::string_view(s).substr(4, s.size() - 5));
    if (!IsName(inner)) return Bad(whole, fmt::format("log() takes one column name, got '{}'", inner));
    v.column = Unquote(inner);
    v.log = true;
    return v;
  }
  if (!IsName(s)) {
    return Bad(whole, fmt::format("term '{}' is not supported (use column names, log(x), 1, 0 and "
                                  "random terms (expr | group))",
                                  s));
  }
  v.column = Unquote(s);
  return v;
}

Result<std::vector<RandomTerm>> ParseRandom(std::string_view whole, const std::string& inside) {
  auto bar = SplitTop(inside, '|');
  if (bar.size() != 2) return Bad(whole, fmt::format("random term '({})' must have exactly one '|'", inside));
  if (bar[1].empty() || bar[1][0] == '|') return Bad(whole, "'||' (uncorrelated random effects) is not supported");
  RandomTerm term;
  term.intercept = true;
  bool explicit_intercept = false;
  for (const auto& p : SplitTop(bar[0], '+')) {
    if (p == "1") {
      explicit_intercept = true;
    } else if (p == "0" || p == "-1") {
      term.intercept = false;
    } else if (p.empty()) {
      return Bad(whole, fmt::format("empty term in '({})'", inside));
    } else {
      auto v = ParseVariable(whole, p);
      if (!v) return std::move(v).error();
      term.slopes.push_back(*v);
    }
  }
  if (!term.intercept && explicit_intercept) return Bad(whole, fmt::format("'({})' both adds and removes the intercept", inside));
  if (!term.intercept && term.slopes.empty()) return Bad(whole, fmt::format("'({})' has no effects", inside));
  std::string group = bar[1];
  std::vector<RandomTerm> out;
  auto slash = SplitTop(group, '/');
  std::vector<std::string> names;
  for (const auto& g : slash) {
    auto colon = SplitTop(g, ':');
    for (const auto& c : colon) {
      if (!IsName(c)) return Bad(whole, fmt::format("grouping factor '{}' must be a column name", c));
    }
    names.push_back(g);
  }
  // a/b/c -> a, b:a, c:b:a (lme4's order of naming).
  std::vector<std::string> accumulated;
  for (const auto& g : names) {
    std::vector<std::string> parts;
    for (const auto& c : SplitTop(g, ':')) parts.push_back(Unquote(c));
    parts.insert(parts.end(), accumulated.begin(), accumulated.end());
    RandomTerm t = term;
    t.factors = parts;
    out.push_back(t);
    accumulated = parts;
  }
  return out;
}

}  // namespace

Result<Formula> ParseFormula(std::string_view text) {
  auto sides = SplitTop(text, '~');
  if (sides.size() != 2 || sides[0].empty() || sides[1].empty()) {
    return Bad(text, "expected 'response ~ terms'");
  }
  Formula f;
  auto resp = ParseVariable(text, sides[0]);
  if (!resp) return std::move(resp).error();
  f.response = *resp;
  std::string rhs = sides[1];
  // '-1' removes the intercept; rewrite as a '+' separated list.
  std::vector<std::string> terms;
  {
    std::string cur;
    int depth = 0;
    for (std::size_t i = 0; i < rhs.size(); ++i) {
      char c = rhs[i];
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (depth == 0 && (c == '+' || c == '-')) {
        terms.push_back(Trim(cur));
        cur.clear();
        if (c == '-') cur.push_back('-');
        continue;
      }
      cur += c;
    }
    terms.push_back(Trim(cur));
  }
  for (std::size_t i = 0; i < terms.size(); ++i) {
    std::string t = terms[i];
    if (t.empty()) {
      if (i == 0) continue;  // leading sign
      return Bad(text, "empty term");
    }
    if (t == "1") continue;
    if (t == "0" || t == "-1" || t == "- 1") {
      f.intercept = false;
      continue;
    }
    if (t[0] == '-') return Bad(text, fmt::format("removing term '{}' is not supported", t));
    if (t.front() == '(' && t.back() == ')') {
      auto r = ParseRandom(text, t.substr(1, t.size() - 2));
      if (!r) return std::move(r).error();
      f.random.insert(f.random.end(), r->begin(), r->end());
      continue;
    }
    if (t.find(':') != std::string::npos || t.find('*') != std::string::npos) {
      return Bad(text, fmt::format("interaction '{}' is not supported", t));
    }
    auto v = ParseVariable(text, t);
    if (!v) return std::move(v).error();
    f.fixed.push_back(*v);
  }
  ATTUNE_CHECK(CheckRandomTermsDistinct(text, f.random));
  return f;
}

}  // namespace attune::stats
