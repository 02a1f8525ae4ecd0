#include "attune/stats/lmm.hpp"

#include <fmt/core.h>

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <algorithm>
#include <cmath>
#include <nlopt.hpp>
#include <numeric>

#include "attune/stats/formula.hpp"
#include "dense_cholesky.hpp"
#include "design.hpp"

namespace attune::stats {

namespace {

using SpMat = Eigen::SparseMatrix<double>;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kLog2Pi = 1.8378770664093454836;

// One random-effects term after its grouping factor has been built.
struct Term {
  std::string group;
  std::vector<std::string> names;  // "(Intercept)", slopes
  Index p = 0;
  std::vector<std::string> levels;
  std::vector<int> index;  // level of each row
  MatrixXd z;              // n x p: the row's values of this term's effects
  Index offset = 0;        // first column of this term in u
  Index Q() const { return static_cast<Index>(levels.size()) * p; }
  Index NTheta() const { return p * (p + 1) / 2; }
};

// The profiled deviance of a linear mixed model as a function of theta.
//
// Random effects b = Lambda u with Lambda block diagonal (one lower-triangular T_k per level of
// term k). For given theta the penalised least-squares system has the Cholesky factor F of
// A = Lambda' Z'Z Lambda + I. The first term (the one with most levels) gives a block-diagonal
// A11, so F = [[L1, 0], [W', L2]] with W = L1^-1 A12 and L2 L2' = A22 - W'W (the Schur
// complement), factored densely when it is dense (crossed designs) and sparsely otherwise
// (nested designs). Everything per evaluation works on the sufficient statistics Z'Z, Z'X, Z'y,
// X'X, X'y, y'y, never on the n rows.
class Problem {
 public:
  Problem(std::vector<Term> terms, const MatrixXd& X, const VectorXd& y, bool reml)
      : terms_(std::move(terms)), reml_(reml) {
    n_ = X.rows();
    p_ = X.cols();
    q1_ = terms_[0].Q();
    q_ = 0;
    for (auto& t : terms_) {
      t.offset = q_;
      q_ += t.Q();
    }
    q2_ = q_ - q1_;
    XtX_ = X.transpose() * X;
    Xty_ = X.transpose() * y;
    yty_ = y.squaredNorm();
    // Z'Z diagonal blocks of term 0, accumulated row by row.
    const Term& t0 = terms_[0];
    zz11_ = MatrixXd::Zero(q1_, t0.p);
    for (Index i = 0; i < n_; ++i) {
      Index r = static_cast<Index>(t0.index[static_cast<std::size_t>(i)]) * t0.p;
      zz11_.block(r, 0, t0.p, t0.p).noalias() += t0.z.row(i).transpose() * t0.z.row(i);
    }
    std::vector<Eigen::Triplet<double>> trip1, trip2;
    trip1.reserve(static_cast<std::size_t>(n_ * t0.p));
    for (Index i = 0; i < n_; ++i) {
      Index c = static_cast<Index>(t0.index[static_cast<std::size_t>(i)]) * t0.p;
      for (Index k = 0; k < t0.p; ++k) trip1.emplace_back(i, c + k, t0.z(i, k));
    }
    SpMat Z1(n_, q1_);
    Z1.setFromTriplets(trip1.begin(), trip1.end());
    ZtX_.resize(q_, p_);
    Zty_.resize(q_);
    ZtX_.topRows(q1_) = Z1.transpose() * X;
    Zty_.head(q1_) = Z1.transpose() * y;
    ZtXy_.resize(q_, p_ + 1);
    if (q2_ > 0) {
      for (std::size_t k = 1; k < terms_.size(); ++k) {
        const Term& t = terms_[k];
        for (Index i = 0; i < n_; ++i) {
          Index c = t.offset - q1_ + static_cast<Index>(t.index[static_cast<std::size_t>(i)]) * t.p;
          for (Index j = 0; j < t.p; ++j) trip2.emplace_back(i, c + j, t.z(i, j));
        }
      }
      SpMat Z2(n_, q2_);
      Z2.setFromTriplets(trip2.begin(), trip2.end());
      ZtZ12_ = Z1.transpose() * Z2;
      ZtZ21_ = ZtZ12_.transpose();
      ZtZ22_ = Z2.transpose() * Z2;
      ZtX_.bottomRows(q2_) = Z2.transpose() * X;
      Zty_.tail(q2_) = Z2.transpose() * y;
    }
    ZtXy_ << ZtX_, Zty_;
    // Every term a random intercept or a single slope: Lambda is diagonal and every product with
    // it scales values in place on patterns fixed here (W = L1^-1 Lambda1' Z1'Z2 Lambda2 has the
    // pattern of Z1'Z2).
    scalar_ = std::all_of(terms_.begin(), terms_.end(), [](const Term& t) { return t.p == 1; });
    ZtZ12_.makeCompressed();
    ZtZ21_.makeCompressed();
    ZtZ22_.makeCompressed();
    if (scalar_) {
      col_term_.resize(static_cast<std::size_t>(q_));
      for (std::size_t k = 0; k < terms_.size(); ++k)
        for (Index j = 0; j < terms_[k].Q(); ++j) col_term_[static_cast<std::size_t>(terms_[k].offset + j)] = static_cast<int>(k);
      lam_.resize(q_);
      L1inv_.resize(q1_, q1_);
      L1inv_.setIdentity();
      L1inv_.makeCompressed();
      if (q2_ > 0) {
        W_ = ZtZ12_;
        Wt_ = ZtZ21_;
        A22_ = ZtZ22_;
        W_.makeCompressed();
        Wt_.makeCompressed();
        A22_.makeCompressed();
      }
    }
  }

  Index NTheta() const {
    Index s = 0;
    for (const auto& t : terms_) s += t.NTheta();
    return s;
  }
  const std::vector<Term>& Terms() const { return terms_; }
  Index N() const { return n_; }
  Index P() const { return p_; }
  bool DenseSchur() const { return dense_; }

  // Lower bounds: 0 for the diagonal of each T_k, none for the rest.
  std::vector<double> LowerBounds() const {
    std::vector<double> lb;
    for (const auto& t : terms_)
      for (Index c = 0; c < t.p; ++c)
        for (Index r = c; r < t.p; ++r) lb.push_back(r == c ? 0.0 : -HUGE_VAL);
    return lb;
  }
  std::vector<double> Start() const {
    std::vector<double> s;
    for (const auto& t : terms_)
      for (Index c = 0; c < t.p; ++c)
        for (Index r = c; r < t.p; ++r) s.push_back(r == c ? 1.0 : 0.0);
    return s;
  }

  // Evaluates the objective (REML criterion or deviance) and keeps the state for extraction.
  double Evaluate(const double* theta) {
    ++evaluations_;
    SetT(theta);
    if (!Factor()) return HUGE_VAL;
    // [R_ZX | c_u] = F^-1 Lambda' [Z'X | Z'y], one solve for both.
    MatrixXd lzxy(q_, p_ + 1);
    ApplyLambdaT(ZtXy_, &lzxy);
    MatrixXd sol = SolveF(lzxy);
    RZX_ = sol.leftCols(p_);
    cu_ = sol.col(p_);
    MatrixXd M = XtX_;
    M.noalias() -= RZX_.transpose() * RZX_;
    Eigen::LLT<MatrixXd> lx(M);
    if (lx.info() != Eigen::Success) return HUGE_VAL;
    LX_ = lx.matrixL();
    VectorXd rhs = Xty_ - RZX_.transpose() * cu_;
    VectorXd cbeta = LX_.triangularView<Eigen::Lower>().solve(rhs);
    beta_ = LX_.transpose().triangularView<Eigen::Upper>().solve(cbeta);
    r2_ = yty_ - cu_.squaredNorm() - cbeta.squaredNorm();
    if (!(r2_ > 0)) return HUGE_VAL;
    ldRX2_ = 2 * LX_.diagonal().array().log().sum();
    const double nd = static_cast<double>(n_);
    if (reml_) {
      const double nmp = nd - static_cast<double>(p_);
      return ldL2_ + ldRX2_ + nmp * (1 + kLog2Pi + std::log(r2_ / nmp));
    }
    return ldL2_ + nd * (1 + kLog2Pi + std::log(r2_ / nd));
  }

  int Evaluations() const { return evaluations_; }
  double Sigma2() const {
    return r2_ / (static_cast<double>(n_) - (reml_ ? static_cast<double>(p_) : 0.0));
  }
  const VectorXd& Beta() const { return beta_; }
  // Var(beta) = sigma^2 (X'X - RZX'RZX)^-1.
  MatrixXd BetaCov() const {
    MatrixXd inv = LX_.triangularView<Eigen::Lower>().solve(MatrixXd::Identity(p_, p_));
    return Sigma2() * inv.transpose() * inv;
  }
  const std::vector<MatrixXd>& T() const { return T_; }

  // Conditional modes b = Lambda u, u = F^-T (cu - RZX beta).
  VectorXd Modes() const {
    VectorXd u = SolveFt(cu_ - RZX_ * beta_);
    VectorXd b(q_);
    for (std::size_t k = 0; k < terms_.size(); ++k) {
      const Term& t = terms_[k];
      for (std::size_t l = 0; l < t.levels.size(); ++l) {
        Index o = t.offset + static_cast<Index>(l) * t.p;
        b.segment(o, t.p) = T_[k] * u.segment(o, t.p);
      }
    }
    return b;
  }

  // Var(b_J | y) for one level of a term: sigma^2 T (F^-1 E_J)'(F^-1 E_J) T'.
  MatrixXd CondVar(std::size_t k, std::size_t level) const {
    const Term& t = terms_[k];
    MatrixXd E = MatrixXd::Zero(q_, t.p);
    Index o = t.offset + static_cast<Index>(level) * t.p;
    for (Index c = 0; c < t.p; ++c) E(o + c, c) = 1.0;
    MatrixXd V = SolveF(E);
    MatrixXd inner = V.transpose() * V;
    return Sigma2() * T_[k] * inner * T_[k].transpose();
  }

 private:
  void SetT(const double* theta) {
    T_.resize(terms_.size());
    std::size_t pos = 0;
    for (std::size_t k = 0; k < terms_.size(); ++k) {
      const Index p = terms_[k].p;
      T_[k] = MatrixXd::Zero(p, p);
      for (Index c = 0; c < p; ++c)
        for (Index r = c; r < p; ++r) T_[k](r, c) = theta[pos++];
    }
    if (scalar_) {
      for (Index i = 0; i < q_; ++i) lam_[i] = T_[static_cast<std::size_t>(col_term_[static_cast<std::size_t>(i)])](0, 0);
    }
  }

  // Block-diagonal Lambda for terms [from, to) as a sparse matrix with rows offset by `base`.
  SpMat LambdaBlock(std::size_t from, std::size_t to, Index size, Index base) const {
    std::vector<Eigen::Triplet<double>> trip;
    for (std::size_t k = from; k < to; ++k) {
      const Term& t = terms_[k];
      for (std::size_t l = 0; l < t.levels.size(); ++l) {
        Index o = t.offset - base + static_cast<Index>(l) * t.p;
        for (Index c = 0; c < t.p; ++c)
          for (Index r = c; r < t.p; ++r) trip.emplace_back(o + r, o + c, T_[k](r, c));
      }
    }
    SpMat m(size, size);
    m.setFromTriplets(trip.begin(), trip.end());
    return m;
  }

  void ApplyLambdaT(const MatrixXd& in, MatrixXd* out) const {
    if (scalar_) {
      out->noalias() = lam_.asDiagonal() * in;
      return;
    }
    for (std::size_t k = 0; k < terms_.size(); ++k) {
      const Term& t = terms_[k];
      for (std::size_t l = 0; l < t.levels.size(); ++l) {
        Index o = t.offset + static_cast<Index>(l) * t.p;
        out->middleRows(o, t.p).noalias() = T_[k].transpose() * in.middleRows(o, t.p);
      }
    }
  }
  void ApplyLambdaT(const VectorXd& in, VectorXd* out) const {
    if (scalar_) {
      *out = lam_.cwiseProduct(in);
      return;
    }
    for (std::size_t k = 0; k < terms_.size(); ++k) {
      const Term& t = terms_[k];
      for (std::size_t l = 0; l < t.levels.size(); ++l) {
        Index o = t.offset + static_cast<Index>(l) * t.p;
        out->segment(o, t.p).noalias() = T_[k].transpose() * in.segment(o, t.p);
      }
    }
  }

  // Scalar terms: L1^-1 = diag(1/sqrt(lambda_r^2 (Z1'Z1)_rr + 1)), W and A22 scaled in place.
  void FactorScalarBlocks() {
    const double* zz = zz11_.data();
    double* li = L1inv_.valuePtr();
    for (Index r = 0; r < q1_; ++r) {
      const double d = std::sqrt(lam_[r] * lam_[r] * zz[r] + 1.0);
      ldL2_ += 2 * std::log(d);
      li[r] = 1.0 / d;
    }
    if (q2_ == 0) return;
    // W(r, c) = li_r lam_r lam_c Z1'Z2(r, c); Wt the same values on the transposed pattern.
    for (Index c = 0; c < q2_; ++c) {
      const double lc = lam_[q1_ + c];
      for (Index k = ZtZ12_.outerIndexPtr()[c]; k < ZtZ12_.outerIndexPtr()[c + 1]; ++k) {
        const Index r = ZtZ12_.innerIndexPtr()[k];
        W_.valuePtr()[k] = li[r] * lam_[r] * lc * ZtZ12_.valuePtr()[k];
      }
    }
    for (Index r = 0; r < q1_; ++r) {
      const double lr = li[r] * lam_[r];
      for (Index k = ZtZ21_.outerIndexPtr()[r]; k < ZtZ21_.outerIndexPtr()[r + 1]; ++k) {
        const Index c = ZtZ21_.innerIndexPtr()[k];
        Wt_.valuePtr()[k] = lr * lam_[q1_ + c] * ZtZ21_.valuePtr()[k];
      }
    }
    for (Index c = 0; c < q2_; ++c) {
      for (Index k = ZtZ22_.outerIndexPtr()[c]; k < ZtZ22_.outerIndexPtr()[c + 1]; ++k) {
        const Index r = ZtZ22_.innerIndexPtr()[k];
        A22_.valuePtr()[k] = lam_[q1_ + r] * lam_[q1_ + c] * ZtZ22_.valuePtr()[k];
      }
    }
  }

  bool Factor() {
    ldL2_ = 0;
    if (scalar_) {
      FactorScalarBlocks();
      if (q2_ == 0) return true;
      return FactorSchur(A22_);
    }
    const Term& t0 = terms_[0];
    const Index p1 = t0.p;
    std::vector<Eigen::Triplet<double>> trip;
    trip.reserve(static_cast<std::size_t>(q1_ * p1));
    const MatrixXd& T0 = T_[0];
    for (std::size_t l = 0; l < t0.levels.size(); ++l) {
      Index o = static_cast<Index>(l) * p1;
      MatrixXd B = T0.transpose() * zz11_.middleRows(o, p1) * T0;
      B.diagonal().array() += 1.0;
      if (p1 == 1) {
        double d = std::sqrt(B(0, 0));
        ldL2_ += 2 * std::log(d);
        trip.emplace_back(o, o, 1.0 / d);
        continue;
      }
      Eigen::LLT<MatrixXd> llt(B);
      if (llt.info() != Eigen::Success) return false;
      MatrixXd L = llt.matrixL();
      ldL2_ += 2 * L.diagonal().array().log().sum();
      MatrixXd Li = L.triangularView<Eigen::Lower>().solve(MatrixXd::Identity(p1, p1));
      for (Index c = 0; c < p1; ++c)
        for (Index r = c; r < p1; ++r) trip.emplace_back(o + r, o + c, Li(r, c));
    }
    L1inv_.resize(q1_, q1_);
    L1inv_.setFromTriplets(trip.begin(), trip.end());
    if (q2_ == 0) return true;
    SpMat Lam1 = LambdaBlock(0, 1, q1_, 0);
    SpMat Lam2 = LambdaBlock(1, terms_.size(), q2_, q1_);
    SpMat A12 = SpMat(Lam1.transpose()) * ZtZ12_ * Lam2;
    W_ = L1inv_ * A12;
    Wt_ = W_.transpose();
    return FactorSchur(SpMat(Lam2.transpose()) * ZtZ22_ * Lam2);
  }

  // L2 L2' = S = A22 + I - W'W, dense or sparse as the pattern of S demands.
  bool FactorSchur(const SpMat& A22) {
    if (!decided_) {
      // Dense when the Schur complement fills in (crossed factors), sparse when it stays sparse
      // (nested factors): judged on the pattern of W'W at the first evaluation.
      SpMat WtW = Wt_ * W_;
      const double density = static_cast<double>(WtW.nonZeros() + A22.nonZeros()) /
                             (static_cast<double>(q2_) * static_cast<double>(q2_));
      dense_ = density > 0.05 && q2_ <= 20000;
      decided_ = true;
    }
    if (dense_) {
      // S = A22 + I - W'W, lower triangle, accumulated row by row of W (few non-zeros each;
      // row indices within a column of W' are sorted, so the pairs b >= a are a suffix).
      MatrixXd& S = dense_L_;
      S.setZero(q2_, q2_);
      for (Index c = 0; c < q2_; ++c)
        for (SpMat::InnerIterator it(A22, c); it; ++it) S(it.row(), c) = it.value();
      S.diagonal().array() += 1.0;
      double* sd = S.data();
      const int* outer = Wt_.outerIndexPtr();
      const int* inner = Wt_.innerIndexPtr();
      const double* val = Wt_.valuePtr();
      for (Index r = 0; r < q1_; ++r) {
        for (int a = outer[r]; a < outer[r + 1]; ++a) {
          const double va = val[a];
          double* col = sd + static_cast<Index>(inner[a]) * q2_;
          for (int b = a; b < outer[r + 1]; ++b) col[inner[b]] -= va * val[b];
        }
      }
      if (!detail::CholeskyInPlace(S)) return false;
      ldL2_ += 2 * S.diagonal().array().log().sum();
      return true;
    }
    SpMat WtW = Wt_ * W_;
    SpMat I(q2_, q2_);
    I.setIdentity();
    SpMat S = A22 - WtW + I;
    if (S.nonZeros() != pattern_nnz_) {
      sparse_ldlt_.analyzePattern(S);
      pattern_nnz_ = S.nonZeros();
    }
    sparse_ldlt_.factorize(S);
    if (sparse_ldlt_.info() != Eigen::Success) return false;
    const VectorXd& D = sparse_ldlt_.vectorD();
    if (D.minCoeff() <= 0) return false;
    ldL2_ += D.array().log().sum();
    return true;
  }

  // F^-1 B for the factor F of A = F F'.
  MatrixXd SolveF(const MatrixXd& B) const {
    MatrixXd out(B.rows(), B.cols());
    out.topRows(q1_) = L1inv_ * B.topRows(q1_);
    if (q2_ == 0) return out;
    MatrixXd r = B.bottomRows(q2_) - Wt_ * out.topRows(q1_);
    if (dense_) {
      detail::SolveLowerInPlace(dense_L_, r);
      out.bottomRows(q2_) = r;
    } else {
      MatrixXd pr = sparse_ldlt_.permutationP() * r;
      sparse_ldlt_.matrixL().solveInPlace(pr);
      out.bottomRows(q2_) = sparse_ldlt_.vectorD().cwiseSqrt().cwiseInverse().asDiagonal() * pr;
    }
    return out;
  }
  VectorXd SolveF(const VectorXd& b) const { return SolveF(MatrixXd(b)).col(0); }

  // F^-T C.
  VectorXd SolveFt(const VectorXd& c) const {
    VectorXd out(c.size());
    if (q2_ > 0) {
      VectorXd c2;
      if (dense_) {
        c2 = dense_L_.triangularView<Eigen::Lower>().transpose().solve(c.tail(q2_));
      } else {
        VectorXd s = sparse_ldlt_.vectorD().cwiseSqrt().cwiseInverse().asDiagonal() * c.tail(q2_);
        sparse_ldlt_.matrixU().solveInPlace(s);
        c2 = sparse_ldlt_.permutationPinv() * s;
      }
      out.tail(q2_) = c2;
      out.head(q1_) = SpMat(L1inv_.transpose()) * (c.head(q1_) - W_ * c2);
    } else {
      out = SpMat(L1inv_.transpose()) * c;
    }
    return out;
  }

  std::vector<Term> terms_;
  bool reml_;
  Index n_ = 0, p_ = 0, q_ = 0, q1_ = 0, q2_ = 0;
  MatrixXd XtX_, ZtX_, ZtXy_, zz11_;
  VectorXd Xty_, Zty_;
  double yty_ = 0;
  SpMat ZtZ12_, ZtZ21_, ZtZ22_;
  bool scalar_ = false;       // every term has one column (Lambda diagonal)
  std::vector<int> col_term_;  // term of each column of Z (scalar case)
  VectorXd lam_;               // diagonal of Lambda (scalar case)
  SpMat A22_;                  // Lambda2' Z2'Z2 Lambda2 on the pattern of Z2'Z2 (scalar case)
  // per evaluation
  std::vector<MatrixXd> T_;
  SpMat L1inv_, W_, Wt_;
  bool decided_ = false, dense_ = false;
  Index pattern_nnz_ = -1;
  MatrixXd dense_L_;  // lower triangle: L2 when dense
  Eigen::SimplicialLDLT<SpMat, Eigen::Lower, Eigen::AMDOrdering<int>> sparse_ldlt_;
  VectorXd cu_, beta_;
  MatrixXd RZX_, LX_;
  double r2_ = 0, ldL2_ = 0, ldRX2_ = 0;
  int evaluations_ = 0;
};

const char* NloptName(nlopt::result r) {
  switch (r) {
    case nlopt::SUCCESS: return "success";
    case nlopt::STOPVAL_REACHED: return "stopval_reached";
    case nlopt::FTOL_REACHED: return "ftol_reached";
    case nlopt::XTOL_REACHED: return "xtol_reached";
    case nlopt::MAXEVAL_REACHED: return "maxeval_reached";
    case nlopt::MAXTIME_REACHED: return "maxtime_reached";
    case nlopt::FAILURE: return "failure";
    case nlopt::INVALID_ARGS: return "invalid_args";
    case nlopt::OUT_OF_MEMORY: return "out_of_memory";
    case nlopt::ROUNDOFF_LIMITED: return "roundoff_limited";
    case nlopt::FORCED_STOP: return "forced_stop";
    default: break;
  }
  return "unknown";
}

double Objective(unsigned n, const double* x, double* grad, void* data) {
  (void)n;
  (void)grad;
  return static_cast<Problem*>(data)->Evaluate(x);
}

}  // namespace

Result<LmmFit> FitLmm(const DataFrame& df, const std::string& formula, const LmmOptions& options) {
  auto f = ParseFormula(formula);
  if (!f) return std::move(f).error();
  if (f->random.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT,
                fmt::format("formula '{}' has no random-effects term such as (1|group); use regress for OLS", formula),
                "formula");
  }
  LmmFit fit;
  fit.reml = options.reml;
  auto rows = CompleteRows(df, f->Columns(), &fit.dropped);
  if (!rows) return std::move(rows).error();
  auto y = detail::NumericValues(df, f->response, *rows);
  if (!y) return std::move(y).error();
  // A constant response leaves no variance to partition (it fitted variances of 1e-15).
  ATTUNE_CHECK(detail::CheckResponseVaries(*y, f->response, true));
  auto d = detail::BuildFixed(df, f->fixed, f->intercept, *rows);
  if (!d) return std::move(d).error();
  if (auto ok = detail::CheckDesign(*d, 1); !ok) return std::move(ok).error();
  const auto n = static_cast<Index>(rows->size());
  std::vector<Term> terms;
  for (const auto& rt : f->random) {
    Term t;
    t.group = rt.GroupLabel();
    auto fac = detail::BuildFactor(df, rt.factors, *rows);
    if (!fac) return std::move(fac).error();
    t.levels = std::move(fac->levels);
    t.index = std::move(fac->index);
    t.p = (rt.intercept ? 1 : 0) + static_cast<Index>(rt.slopes.size());
    t.z.resize(n, t.p);
    Index c = 0;
    if (rt.intercept) {
      t.names.push_back("(Intercept)");
      t.z.col(c++).setOnes();
    }
    for (const auto& s : rt.slopes) {
      auto v = detail::NumericValues(df, s, *rows);
      if (!v) return std::move(v).error();
      t.names.push_back(s.Label());
      t.z.col(c++) = *v;
    }
    if (t.levels.size() < 2) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("grouping factor '{}' has {} level(s) over the {} rows used; a random effect needs at least 2",
                              t.group, t.levels.size(), n),
                  t.group);
    }
    if (static_cast<Index>(t.levels.size()) >= n) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("grouping factor '{}' has {} levels for {} observations; levels must be fewer than observations",
                              t.group, t.levels.size(), n),
                  t.group);
    }
    if (t.Q() >= n && t.p > 1) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("term '{}' has {} random effects for {} observations; it needs more observations", t.group,
                              t.Q(), n),
                  t.group);
    }
    terms.push_back(std::move(t));
  }
  // lme4 puts the terms with more levels first when any later term has more levels.
  {
    std::vector<std::size_t> nl;
    for (const auto& t : terms) nl.push_back(t.levels.size());
    bool increase = false;
    for (std::size_t i = 1; i < nl.size(); ++i)
      if (nl[i] > nl[i - 1]) increase = true;
    if (increase) {
      std::vector<std::size_t> ord(nl.size());
      std::iota(ord.begin(), ord.end(), 0);
      std::stable_sort(ord.begin(), ord.end(), [&](std::size_t a, std::size_t b) { return nl[a] < nl[b]; });
      std::reverse(ord.begin(), ord.end());
      std::vector<Term> sorted;
      for (auto i : ord) sorted.push_back(std::move(terms[i]));
      terms = std::move(sorted);
    }
  }
  Problem prob(std::move(terms), d->x, *y, options.reml);
  const auto nth = static_cast<unsigned>(prob.NTheta());
  std::vector<double> theta = prob.Start();
  nlopt::opt opt(nlopt::LN_BOBYQA, nth);
  std::vector<double> lb = prob.LowerBounds();
  opt.set_lower_bounds(lb);
  opt.set_min_objective(Objective, &prob);
  opt.set_ftol_rel(options.ftol_rel);
  opt.set_xtol_abs(options.xtol_abs);
  opt.set_maxeval(options.max_evaluations);
  double fmin = 0;
  nlopt::result status = nlopt::FAILURE;
  try {
    status = opt.optimize(theta, fmin);
  } catch (const nlopt::roundoff_limited&) {
    status = nlopt::ROUNDOFF_LIMITED;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::FAILED_PRECONDITION, fmt::format("lmm '{}': optimiser failed: {}", formula, e.what()), "formula");
  }
  fit.convergence.evaluations = prob.Evaluations();
  fit.convergence.optimizer_status = NloptName(status);
  // Convergence check as lme4 does it: finite-difference gradient and Hessian at the optimum;
  // the gradient is accepted when min(|g|, |chol(H)^-T g|) is small in every coordinate
  // (components held at an active lower bound and pushing against it are optimal there).
  // Central differences as lme4's deriv12: 2 evaluations per coordinate and 1 per pair. The
  // optimum itself is evaluated last, so the state left for what follows is the optimum's.
  Eigen::VectorXd grad = Eigen::VectorXd::Zero(nth);
  Eigen::MatrixXd hess = Eigen::MatrixXd::Zero(nth, nth);
  std::vector<double> step(nth);
  bool at_bound = false;
  for (unsigned i = 0; i < nth; ++i) {
    step[i] = 1e-4 * std::max(1.0, std::abs(theta[i]));
    if (lb[i] == 0.0 && theta[i] - step[i] < 0) at_bound = true;
  }
  auto eval_at = [&](unsigned i, double di, unsigned j, double dj) {
    std::vector<double> t = theta;
    t[i] += di;
    t[j] += dj;
    return prob.Evaluate(t.data());
  };
  std::vector<double> fp(nth), fm(nth);
  Eigen::MatrixXd fpp = Eigen::MatrixXd::Zero(nth, nth), fmm = Eigen::MatrixXd::Zero(nth, nth);
  for (unsigned i = 0; i < nth; ++i) {
    fp[i] = eval_at(i, step[i], i, 0);
    if (!at_bound) fm[i] = eval_at(i, -step[i], i, 0);
  }
  if (!at_bound) {
    for (unsigned i = 0; i < nth; ++i) {
      for (unsigned j = 0; j < i; ++j) {
        fpp(i, j) = eval_at(i, step[i], j, step[j]);
        fmm(i, j) = eval_at(i, -step[i], j, -step[j]);
      }
    }
  }
  fit.objective = prob.Evaluate(theta.data());
  const double f0 = fit.objective;
  if (!at_bound) {
    for (unsigned i = 0; i < nth; ++i) {
      grad[i] = (fp[i] - fm[i]) / (2 * step[i]);
      hess(i, i) = (fp[i] - 2 * f0 + fm[i]) / (step[i] * step[i]);
      for (unsigned j = 0; j < i; ++j) {
        // f(x + hi ei + hj ej) = f0 + g.h + (Hii hi^2 + 2 Hij hi hj + Hjj hj^2)/2 + O(h^3), and the
        // one-coordinate differences cancel the other terms to second order.
        hess(i, j) = hess(j, i) =
            (fpp(i, j) - fp[i] - fp[j] + 2 * f0 - fm[i] - fm[j] + fmm(i, j)) / (2 * step[i] * step[j]);
      }
    }
  } else {
    for (unsigned i = 0; i < nth; ++i) {
      double g = (fp[i] - f0) / step[i];
      if (lb[i] == 0.0 && theta[i] - step[i] < 0 && g > 0) g = 0;
      grad[i] = g;
    }
  }
  Eigen::VectorXd scaled = grad;
  if (!at_bound) {
    Eigen::LLT<Eigen::MatrixXd> hl(hess);
    if (hl.info() == Eigen::Success) scaled = hl.matrixL().solve(grad);
  }
  double maxg = 0;
  for (unsigned i = 0; i < nth; ++i) maxg = std::max(maxg, std::min(std::abs(grad[i]), std::abs(scaled[i])));
  if (!std::isfinite(fit.objective)) {
    return Fail(ErrorCode::FAILED_PRECONDITION,
                fmt::format("lmm '{}': the penalised least-squares system is not positive definite at the optimum", formula),
                "formula");
  }
  const bool gradient_known = std::isfinite(maxg);
  if (gradient_known) fit.convergence.max_abs_gradient = maxg;
  fit.theta = theta;
  const auto& T = prob.T();
  const auto& tt = prob.Terms();
  for (std::size_t k = 0; k < tt.size(); ++k) {
    for (Index j = 0; j < tt[k].p; ++j) {
      if (T[k](j, j) < 1e-4) fit.convergence.singular = true;
    }
  }
  const bool status_ok = status > 0 && status != nlopt::MAXEVAL_REACHED && status != nlopt::MAXTIME_REACHED;
  fit.convergence.converged = status_ok && gradient_known && maxg < options.gradient_tolerance;
  if (!status_ok) {
    fit.convergence.messages.push_back(fmt::format("optimiser stopped without converging ({})", NloptName(status)));
  }
  if (!gradient_known) {
    fit.convergence.messages.push_back(
        "the gradient check could not be made: the objective is not finite next to the optimum");
  } else if (maxg >= options.gradient_tolerance) {
    fit.convergence.messages.push_back(
        fmt::format("scaled gradient {:.3g} exceeds tolerance {:.3g} (as lme4's check)", maxg, options.gradient_tolerance));
  }
  if (fit.convergence.singular) fit.convergence.messages.push_back("boundary (singular) fit: a variance is (near) zero");
  fit.nobs = static_cast<std::size_t>(n);
  const double s2 = prob.Sigma2();
  fit.sigma = std::sqrt(s2);
  const VectorXd& beta = prob.Beta();
  MatrixXd vb = prob.BetaCov();
  for (Index j = 0; j < beta.size(); ++j) {
    FixedEffect fe;
    fe.term = d->names[static_cast<std::size_t>(j)];
    fe.estimate = beta[j];
    fe.se = std::sqrt(vb(j, j));
    fe.t = fe.estimate / fe.se;
    fit.fixef.push_back(fe);
  }
  fit.fixef_cov.assign(static_cast<std::size_t>(beta.size()), {});
  for (Index i = 0; i < beta.size(); ++i)
    for (Index j = 0; j < beta.size(); ++j) fit.fixef_cov[static_cast<std::size_t>(i)].push_back(vb(i, j));
  // Variance components.
  double intercept_var = 0;
  std::vector<std::pair<std::string, double>> intercepts;
  for (std::size_t k = 0; k < tt.size(); ++k) {
    MatrixXd S = s2 * T[k] * T[k].transpose();
    for (Index j = 0; j < tt[k].p; ++j) {
      fit.varcorr.push_back({tt[k].group, tt[k].names[static_cast<std::size_t>(j)], "", S(j, j), std::sqrt(S(j, j))});
    }
    for (Index a = 0; a < tt[k].p; ++a)
      for (Index b = a + 1; b < tt[k].p; ++b) {
        const double denom = std::sqrt(S(a, a)) * std::sqrt(S(b, b));
        // A zero variance leaves the correlation undefined; report 0 and flag the fit as singular.
        const double cor = denom > 0 ? S(a, b) / denom : 0.0;
        fit.varcorr.push_back(
            {tt[k].group, tt[k].names[static_cast<std::size_t>(a)], tt[k].names[static_cast<std::size_t>(b)], S(a, b), cor});
      }
    if (tt[k].names[0] == "(Intercept)") {
      intercept_var += S(0, 0);
      intercepts.emplace_back(tt[k].group, S(0, 0));
    }
  }
  fit.varcorr.push_back({"Residual", "", "", s2, fit.sigma});
  for (const auto& [g, v] : intercepts) fit.icc.push_back({g, v / (intercept_var + s2)});
  // Conditional modes and variances.
  VectorXd b = prob.Modes();
  for (std::size_t k = 0; k < tt.size(); ++k) {
    RandomEffects re;
    re.group = tt[k].group;
    re.terms = tt[k].names;
    re.levels = tt[k].levels;
    for (std::size_t l = 0; l < tt[k].levels.size(); ++l) {
      Index o = tt[k].offset + static_cast<Index>(l) * tt[k].p;
      re.values.emplace_back(b.data() + o, b.data() + o + tt[k].p);
      if (options.conditional_variances) {
        MatrixXd cv = prob.CondVar(k, l);
        std::vector<double> flat;
        for (Index r = 0; r < tt[k].p; ++r)
          for (Index c = 0; c < tt[k].p; ++c) flat.push_back(cv(r, c));
        re.cond_var.push_back(std::move(flat));
      }
    }
    fit.ranef.push_back(std::move(re));
  }
  fit.npar = static_cast<std::size_t>(beta.size()) + nth + 1;
  fit.loglik = -fit.objective / 2;
  fit.aic = fit.objective + 2 * static_cast<double>(fit.npar);
  fit.bic = fit.objective + static_cast<double>(fit.npar) * std::log(static_cast<double>(n));
  return fit;
}

}  // namespace attune::stats
