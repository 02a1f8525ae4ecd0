#include "design.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace attune::stats::detail {

std::string CellText(const Column& c, std::size_t row) {
  if (!c.numeric) return c.text[row];
  return fmt::format("{}", c.values[row]);
}

Result<Eigen::VectorXd> NumericValues(const DataFrame& df, const Variable& v, const std::vector<std::size_t>& rows) {
  auto col = df.GetNumeric(v.column);
  if (!col) return std::move(col).error();
  Eigen::VectorXd out(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    double x = (*col)->values[rows[i]];
    if (v.log) {
      if (!(x > 0)) {
        return Fail(ErrorCode::INVALID_ARGUMENT,
                    fmt::format("log({}) needs positive values, {} has {}", v.column, df.Where(rows[i]), x), v.column);
      }
      x = std::log(x);
    }
    out[static_cast<Eigen::Index>(i)] = x;
  }
  return out;
}

std::vector<std::string> Levels(const Column& c, const std::vector<std::size_t>& rows) {
  if (c.numeric) {
    std::vector<double> v;
    v.reserve(rows.size());
    for (auto r : rows) v.push_back(c.values[r]);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    std::vector<std::string> out;
    out.reserve(v.size());
    for (double x : v) out.push_back(fmt::format("{}", x));
    return out;
  }
  std::vector<std::string> v;
  for (auto r : rows) v.push_back(c.text[r]);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

namespace {

// Level index of each row for one column and the sorted level labels (numeric levels sort
// numerically, text byte-wise).
std::vector<int> Codes(const Column& c, const std::vector<std::size_t>& rows, std::vector<std::string>* levels) {
  std::vector<int> codes(rows.size());
  if (c.numeric) {
    std::vector<double> v;
    v.reserve(rows.size());
    for (auto r : rows) v.push_back(c.values[r]);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      codes[i] = static_cast<int>(std::lower_bound(v.begin(), v.end(), c.values[rows[i]]) - v.begin());
    }
    levels->clear();
    levels->reserve(v.size());
    for (double x : v) levels->push_back(fmt::format("{}", x));
    return codes;
  }
  *levels = Levels(c, rows);
  std::unordered_map<std::string_view, int> pos;
  pos.reserve(levels->size());
  for (std::size_t i = 0; i < levels->size(); ++i) pos[(*levels)[i]] = static_cast<int>(i);
  for (std::size_t i = 0; i < rows.size(); ++i) codes[i] = pos[c.text[rows[i]]];
  return codes;
}

}  // namespace

namespace {

// A predictor read as categorical only because a few cells are text ("n/a" among 1..5) would
// silently become dummies for every number: refused when most of its present cells are numbers.
Result<void> CheckNotStrayText(const DataFrame& df, const Column& c, const std::vector<std::size_t>& rows) {
  std::size_t numbers = 0, present = 0;
  std::optional<std::size_t> first_text;
  for (auto r : rows) {
    if (c.missing[r]) continue;
    ++present;
    if (ReadsAsNumber(c.text[r])) {
      ++numbers;
    } else if (!first_text) {
      first_text = r;
    }
  }
  if (!first_text || 2 * numbers <= present) return Ok();
  return Fail(ErrorCode::INVALID_ARGUMENT,
              fmt::format("column '{}' holds numbers in {} of its {} cells but text in the others: '{}' at {}; "
                          "expected a number, or an empty cell or NA for a missing value (a categorical column "
                          "has text labels, e.g. g1, g2)",
                          c.name, numbers, present, c.text[*first_text], df.Where(*first_text)),
              c.name);
}

}  // namespace

Result<Design> BuildFixed(const DataFrame& df, const std::vector<Variable>& vars, bool intercept,
                          const std::vector<std::size_t>& rows) {
  std::vector<Eigen::VectorXd> cols;
  Design d;
  const auto n = static_cast<Eigen::Index>(rows.size());
  if (intercept) {
    cols.push_back(Eigen::VectorXd::Ones(n));
    d.names.push_back("(Intercept)");
  }
  for (const auto& v : vars) {
    auto c = df.Get(v.column);
    if (!c) return std::move(c).error();
    if ((*c)->numeric) {
      auto x = NumericValues(df, v, rows);
      if (!x) return std::move(x).error();
      cols.push_back(std::move(*x));
      d.names.push_back(v.Label());
      continue;
    }
    if (v.log) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("log({}) needs a numeric column", v.column), v.column);
    }
    ATTUNE_CHECK(CheckNotStrayText(df, **c, rows));
    auto levels = Levels(**c, rows);
    if (levels.size() < 2) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("categorical column '{}' has a single level ('{}') over the rows used",
                              v.column, levels.empty() ? "" : levels[0]),
                  v.column);
    }
    std::size_t first = intercept ? 1 : 0;
    if (!intercept && d.names.size() > 0) first = 1;
    for (std::size_t l = first; l < levels.size(); ++l) {
      Eigen::VectorXd x(n);
      for (Eigen::Index i = 0; i < n; ++i) x[i] = (*c)->text[rows[static_cast<std::size_t>(i)]] == levels[l] ? 1.0 : 0.0;
      cols.push_back(std::move(x));
      d.names.push_back(v.column + levels[l]);
    }
  }
  d.x.resize(n, static_cast<Eigen::Index>(cols.size()));
  for (std::size_t j = 0; j < cols.size(); ++j) d.x.col(static_cast<Eigen::Index>(j)) = cols[j];
  return d;
}

Result<Factor> BuildFactor(const DataFrame& df, const std::vector<std::string>& columns,
                           const std::vector<std::size_t>& rows) {
  std::vector<const Column*> cols;
  for (const auto& name : columns) {
    auto c = df.Get(name);
    if (!c) return std::move(c).error();
    cols.push_back(*c);
  }
  Factor f;
  if (cols.size() == 1) {
    f.index = Codes(*cols[0], rows, &f.levels);
    return f;
  }
  // Interaction a:b:...: R orders levels with the first factor varying slowest; keep observed ones.
  // Each row's combination is a mixed-radix number (first factor most significant), so sorting
  // the distinct numbers gives that order.
  std::vector<std::vector<int>> codes;
  std::vector<std::vector<std::string>> lev;
  for (const Column* c : cols) {
    lev.emplace_back();
    codes.push_back(Codes(*c, rows, &lev.back()));
  }
  std::uint64_t span = 1;
  for (const auto& l : lev) {
    const auto size = static_cast<std::uint64_t>(std::max<std::size_t>(l.size(), 1));
    if (span > std::numeric_limits<std::uint64_t>::max() / size) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("grouping factor {} has too many possible level combinations", fmt::join(columns, ":")),
                  columns[0]);
    }
    span *= size;
  }
  std::vector<std::uint64_t> key(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::uint64_t k = 0;
    for (std::size_t j = 0; j < cols.size(); ++j) k = k * lev[j].size() + static_cast<std::uint64_t>(codes[j][i]);
    key[i] = k;
  }
  std::vector<std::uint64_t> distinct = key;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  f.levels.reserve(distinct.size());
  std::vector<std::size_t> digit(cols.size());
  for (std::uint64_t k : distinct) {
    for (std::size_t j = cols.size(); j-- > 0;) {
      digit[j] = static_cast<std::size_t>(k % lev[j].size());
      k /= lev[j].size();
    }
    std::string label;
    for (std::size_t j = 0; j < cols.size(); ++j) label += (j ? ":" : "") + lev[j][digit[j]];
    f.levels.push_back(std::move(label));
  }
  f.index.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    f.index[i] = static_cast<int>(std::lower_bound(distinct.begin(), distinct.end(), key[i]) - distinct.begin());
  }
  return f;
}

Result<void> CheckResponseVaries(const Eigen::VectorXd& y, const Variable& response, bool intercept) {
  const bool constant = y.size() == 0 || (intercept ? (y.array() == y[0]).all() : (y.array() == 0).all());
  if (!constant) return Ok();
  return Fail(ErrorCode::INVALID_ARGUMENT,
              fmt::format("response '{}' is constant ({}) over the {} rows used; expected it to vary",
                          response.Label(), y.size() ? y[0] : 0.0, y.size()),
              response.column);
}

Result<void> CheckDesign(const Design& d, std::size_t min_extra_rows) {
  const Eigen::Index n = d.x.rows(), p = d.x.cols();
  if (static_cast<std::size_t>(n) < static_cast<std::size_t>(p) + min_extra_rows) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("too few rows: {} complete rows for {} coefficients (need at least {})", n, p,
                            static_cast<std::size_t>(p) + min_extra_rows),
                "rows");
  }
  for (Eigen::Index j = 0; j < p; ++j) {
    if (d.names[static_cast<std::size_t>(j)] == "(Intercept)") continue;
    const double first = d.x(0, j);
    if ((d.x.col(j).array() == first).all()) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("column '{}' is constant ({}) over the {} rows used", d.names[static_cast<std::size_t>(j)], first, n),
                  d.names[static_cast<std::size_t>(j)]);
    }
  }
  // Add columns one at a time; a column that does not raise the rank depends on earlier ones.
  // stableNorm: the plain norm squares the values, which overflows beyond 1e154.
  Eigen::VectorXd scale = d.x.colwise().stableNorm();
  Eigen::MatrixXd xs = d.x * scale.cwiseInverse().asDiagonal();
  {
    Eigen::ColPivHouseholderQR<Eigen::MatrixXd> full(xs);
    full.setThreshold(1e-10);
    if (full.rank() == p) return Ok();
  }
  for (Eigen::Index j = 1; j < p; ++j) {
    Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(xs.leftCols(j + 1));
    qr.setThreshold(1e-10);
    if (qr.rank() < j + 1) {
      // Which earlier columns enter the dependency: regress column j on the earlier ones.
      Eigen::ColPivHouseholderQR<Eigen::MatrixXd> q0(xs.leftCols(j));
      Eigen::VectorXd coef = q0.solve(xs.col(j));
      std::string others, earlier;
      for (Eigen::Index k = 0; k < j; ++k) {
        const std::string& name = d.names[static_cast<std::size_t>(k)];
        earlier += (earlier.empty() ? "" : ", ") + name;
        if (std::abs(coef[k]) > 1e-8) others += (others.empty() ? "" : ", ") + name;
      }
      if (others.empty()) others = earlier;  // no single coefficient stands out: name them all
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("perfect collinearity: column '{}' is a linear combination of {}",
                              d.names[static_cast<std::size_t>(j)], others),
                  d.names[static_cast<std::size_t>(j)]);
    }
  }
  return Ok();
}

}  // namespace attune::stats::detail
