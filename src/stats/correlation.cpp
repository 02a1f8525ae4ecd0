#include "attune/stats/correlation.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>

#include "attune/stats/data_frame.hpp"

namespace attune::stats {

std::vector<double> Ranks(const std::vector<double>& x) {
  std::vector<std::size_t> idx(x.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  std::size_t i = 0;
  while (i < idx.size()) {
    std::size_t j = i;
    while (j + 1 < idx.size() && x[idx[j + 1]] == x[idx[i]]) ++j;
    double mean_rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) r[idx[k]] = mean_rank;
    i = j + 1;
  }
  return r;
}

namespace {

// Each value over the largest magnitude: r does not change, and neither the sums of squares nor
// their product can overflow (data near 1e155 and beyond) or underflow (near 1e-155).
std::vector<double> OverLargest(const std::vector<double>& v) {
  double largest = 0;
  for (double a : v) largest = std::max(largest, std::abs(a));
  std::vector<double> out(v);
  if (largest > 0) {
    for (double& a : out) a /= largest;
  }
  return out;
}

bool Constant(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [&](double a) { return a == v.front(); });
}

}  // namespace

double PearsonR(const std::vector<double>& x_in, const std::vector<double>& y_in) {
  const std::vector<double> x = OverLargest(x_in), y = OverLargest(y_in);
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // Scaled to at most 1 in magnitude, sxx and syy are at most n and at least ~1e-32 (doubles carry
  // 16 digits), so their product neither overflows nor underflows; one sqrt of it keeps an exact
  // linear relation at r = 1 exactly. Rounding can still carry |r| a hair past 1.
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

const char* PMethodName(PMethod method) {
  switch (method) {
    case PMethod::EXACT:
      return "exact";
    case PMethod::EDGEWORTH:
      return "edgeworth";
    case PMethod::T:
      break;
  }
  return "t";
}

double SpearmanTail(std::size_t n, double s, bool lower) {
  const double nd = static_cast<double>(n);
  const double largest = nd * (nd * nd - 1) / 3;  // S of the reversed order
  if (s <= 0) return lower ? 0.0 : 1.0;
  if (s > largest) return lower ? 1.0 : 0.0;
  if (n <= kSpearmanEnumerateLimit) {
    // Every ordering of the ranks 1..n is equally likely under independence: count those whose S
    // reaches s (n! <= 362880 orderings).
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 1);
    long long orderings = 0, reaching = 0;
    do {
      long long sum = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const long long d = static_cast<long long>(i) + 1 - order[i];
        sum += d * d;
      }
      ++orderings;
      if (static_cast<double>(sum) >= s) ++reaching;
    } while (std::next_permutation(order.begin(), order.end()));
    const long long counted = lower ? orderings - reaching : reaching;
    return static_cast<double>(counted) / static_cast<double>(orderings);
  }
  // AS 89: standardise s - 1 (a continuity step) to z = -rho sqrt(n - 1) and correct the normal
  // tail by the Edgeworth terms, with the coefficients published with the algorithm.
  const double b = 1 / nd;
  const double z = (6 * (s - 1) * b / (nd * nd - 1) - 1) * std::sqrt(nd - 1);
  const double z2 = z * z;
  const double inner = 0.0072 - 0.0831 * b + z2 * b * (0.0131 - 4.6e-4 * z2);
  const double poly = 0.2274 + b * (0.2531 + 0.1745 * b) +
                      z2 * (-0.0758 + b * (0.1033 + 0.3932 * b) - z2 * b * (0.0879 + 0.0151 * b - z2 * inner));
  const double correction = z * b * poly / std::exp(z2 / 2);
  const boost::math::normal normal;
  const double tail = lower ? boost::math::cdf(normal, z) - correction
                            : boost::math::cdf(boost::math::complement(normal, z)) + correction;
  return std::clamp(tail, 0.0, 1.0);
}

namespace {

bool HasTies(const std::vector<double>& v) {
  std::vector<double> sorted(v);
  std::sort(sorted.begin(), sorted.end());
  return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

// R's cor.test for Spearman without ties: S = (n^3 - n)(1 - rho)/6 against its exact or AS 89
// distribution, the tail on the side S falls, doubled (at most 1).
double SpearmanP(double rho, std::size_t n) {
  const double nd = static_cast<double>(n);
  const double s = std::round((nd * nd * nd - nd) * (1 - rho) / 6);
  // S is even without ties, so Pr[S <= s] = Pr[S < s + 2].
  const double one_sided = s > (nd * nd * nd - nd) / 6 ? SpearmanTail(n, s, false) : SpearmanTail(n, s + 2, true);
  return std::min(2 * one_sided, 1.0);
}

}  // namespace

Result<Correlation> Correlate(const std::vector<double>& x, const std::vector<double>& y, CorrelationMethod method) {
  if (x.size() != y.size()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("x has {} values but y has {}", x.size(), y.size()), "y");
  }
  const std::size_t n = x.size();
  if (n < 4) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("correlation needs at least 4 complete pairs, got {}", n), "n");
  }
  if (Constant(x)) return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("x is constant ({}) over {} rows", x.front(), n), "x");
  if (Constant(y)) return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("y is constant ({}) over {} rows", y.front(), n), "y");
  const double r = method == CorrelationMethod::SPEARMAN ? PearsonR(Ranks(x), Ranks(y)) : PearsonR(x, y);
  auto c = CorrelationFromR(r, n, method);
  if (c && method == CorrelationMethod::SPEARMAN && n <= kSpearmanExactLimit && !HasTies(x) && !HasTies(y)) {
    c->p = SpearmanP(c->r, n);
    c->p_method = n <= kSpearmanEnumerateLimit ? PMethod::EXACT : PMethod::EDGEWORTH;
  }
  return c;
}

Result<Correlation> CorrelationFromR(double r, std::size_t n, CorrelationMethod method) {
  if (n < 4) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("correlation needs at least 4 complete pairs, got {}", n), "n");
  }
  if (!(std::abs(r) <= 1)) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("a correlation must lie in [-1, 1], got {}", r), "r");
  }
  Correlation c;
  c.n = n;
  c.r = r;
  const double nd = static_cast<double>(n);
  const double df = nd - 2;
  if (std::abs(c.r) >= 1.0) {
    c.r = c.r > 0 ? 1.0 : -1.0;
    c.t = c.r > 0 ? HUGE_VAL : -HUGE_VAL;
    c.p = 0;
    c.ci_low = c.ci_high = c.r;
    return c;
  }
  c.t = c.r * std::sqrt(df / (1 - c.r * c.r));
  boost::math::students_t tdist(df);
  c.p = 2 * boost::math::cdf(boost::math::complement(tdist, std::abs(c.t)));
  const double z = std::atanh(c.r);
  const double se = method == CorrelationMethod::SPEARMAN ? std::sqrt(1.06 / (nd - 3)) : 1 / std::sqrt(nd - 3);
  const double q = boost::math::quantile(boost::math::normal(), 0.975);
  c.ci_low = std::tanh(z - q * se);
  c.ci_high = std::tanh(z + q * se);
  return c;
}

Result<Correlation> Correlate(const DataFrame& df, const std::string& x, const std::string& y,
                              CorrelationMethod method) {
  if (x == y) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("x and y are both '{}'; expected two different columns", x), "y");
  }
  auto cx = df.GetNumeric(x);
  if (!cx) return std::move(cx).error();
  auto cy = df.GetNumeric(y);
  if (!cy) return std::move(cy).error();
  std::vector<double> vx, vy;
  for (std::size_t i = 0; i < df.Rows(); ++i) {
    if ((*cx)->missing[i] || (*cy)->missing[i]) continue;
    vx.push_back((*cx)->values[i]);
    vy.push_back((*cy)->values[i]);
  }
  auto c = Correlate(vx, vy, method);
  if (!c) {
    Error e = std::move(c).error();
    if (e.field == "x") e.field = x;
    if (e.field == "y") e.field = y;
    e.message = fmt::format("{} with {}: {}", x, y, e.message);
    return e;
  }
  c->x = x;
  c->y = y;
  c->dropped = df.Rows() - c->n;
  return c;
}

std::vector<double> AdjustP(const std::vector<double>& p, PAdjust method) {
  const std::size_t m = p.size();
  std::vector<double> out(p);
  if (method == PAdjust::NONE || m == 0) return out;
  std::vector<std::size_t> idx(m);
  std::iota(idx.begin(), idx.end(), 0);
  const double md = static_cast<double>(m);
  if (method == PAdjust::HOLM) {
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
    double running = 0;
    for (std::size_t i = 0; i < m; ++i) {
      running = std::max(running, std::min(1.0, (md - static_cast<double>(i)) * p[idx[i]]));
      out[idx[i]] = running;
    }
  } else {
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    double running = 1;
    for (std::size_t i = 0; i < m; ++i) {
      const double rank = md - static_cast<double>(i);
      running = std::min(running, md / rank * p[idx[i]]);
      out[idx[i]] = std::min(1.0, running);
    }
  }
  return out;
}

Result<CorrelationMatrix> CorrelateAll(const DataFrame& df, const std::vector<std::string>& columns,
                                       CorrelationMethod method, PAdjust adjust) {
  if (columns.size() < 2) {
    return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("a correlation matrix needs at least 2 columns, got {}", columns.size()),
                "columns");
  }
  if (auto distinct = CheckDistinct(columns, "columns"); !distinct) return std::move(distinct).error();
  for (const auto& c : columns) {
    auto col = df.GetNumeric(c);
    if (!col) return std::move(col).error();
  }
  CorrelationMatrix m;
  auto rows = CompleteRows(df, columns, &m.dropped);
  if (!rows) return std::move(rows).error();
  m.names = columns;
  m.n = rows->size();
  std::vector<std::vector<double>> data;
  for (const auto& c : columns) {
    const Column* col = df.Find(c);
    std::vector<double> v;
    v.reserve(rows->size());
    for (auto r : *rows) v.push_back(col->values[r]);
    data.push_back(std::move(v));
  }
  const std::size_t k = columns.size();
  m.r.assign(k, std::vector<double>(k, 1.0));
  std::vector<double> ps;
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = i + 1; j < k; ++j) {
      auto c = Correlate(data[i], data[j], method);
      if (!c) {
        Error e = std::move(c).error();
        e.field = e.field == "x" ? columns[i] : columns[j];
        e.message = fmt::format("{} with {}: {}", columns[i], columns[j], e.message);
        return e;
      }
      c->x = columns[i];
      c->y = columns[j];
      c->dropped = m.dropped;
      m.r[i][j] = m.r[j][i] = c->r;
      ps.push_back(c->p);
      m.pairs.push_back(*c);
    }
  }
  m.p_adjusted = AdjustP(ps, adjust);
  return m;
}

}  // namespace attune::stats
