#include "brainalign/align/ridge.h"

#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "brainalign/base/error.h"
#include "gemm.h"

namespace brainalign::align {
namespace {

ColMatrix gather_rows(const Matrix& X, std::span<const int> rows) {
  ColMatrix out(static_cast<Eigen::Index>(rows.size()), X.cols());
  for (Eigen::Index i = 0; i < out.rows(); ++i) out.row(i) = X.row(rows[static_cast<size_t>(i)]);
  return out;
}

// Eigenpairs of a symmetric matrix (LAPACK's divide and conquer), descending, keeping those
// above rounding noise.
void dominant_eigenpairs(const ColMatrix& gram, Eigen::Index other_dim, Vector& values,
                         ColMatrix& vectors) {
  const Eigen::Index n = gram.rows();
  ColMatrix work = gram;
  Vector ascending(n);
  if (n > 0) {
    const lapack_int info =
        LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', static_cast<lapack_int>(n), work.data(),
                       static_cast<lapack_int>(n), ascending.data());
    if (info != 0)
      throw std::runtime_error("ridge: eigendecomposition failed (LAPACK info " +
                               std::to_string(info) + ")");
  }
  const double largest = n > 0 ? ascending(n - 1) : 0.0;
  const double tolerance = largest * static_cast<double>(std::max(n, other_dim)) *
                           std::numeric_limits<double>::epsilon();
  Eigen::Index kept = 0;
  while (kept < n && ascending(n - 1 - kept) > tolerance && largest > 0) ++kept;
  values.resize(kept);
  vectors.resize(n, kept);
  for (Eigen::Index j = 0; j < kept; ++j) {
    values(j) = ascending(n - 1 - j);
    vectors.col(j) = work.col(n - 1 - j);
  }
}

}  // namespace

RidgeSpectrum decompose_ridge(const Matrix& X, std::span<const int> train_rows,
                              std::span<const int> test_rows) {
  if (train_rows.size() < 2) throw InputError("ridge: at least two training rows are needed");
  // BLAS refuses an empty dimension (and inside Python its error handler is NumPy's).
  if (X.cols() == 0) throw InputError("ridge: the design has no features");
  ColMatrix train = gather_rows(X, train_rows);
  const Eigen::RowVectorXd means = train.colwise().mean();
  train.rowwise() -= means;
  ColMatrix test = gather_rows(X, test_rows);
  if (test.rows() > 0) test.rowwise() -= means;

  const Eigen::Index n = train.rows();
  const Eigen::Index p = train.cols();
  RidgeSpectrum s;
  if (p < n) {
    // Primal: eigenvectors V of X^T X; U = X V / s.
    ColMatrix gram = ColMatrix::Zero(p, p);
    gram.selfadjointView<Eigen::Lower>().rankUpdate(train.transpose());
    gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
    ColMatrix V;
    dominant_eigenpairs(gram, n, s.eigenvalues, V);
    const Vector root = s.eigenvalues.cwiseSqrt();
    s.basis = train * V;
    s.basis = s.basis * root.cwiseInverse().asDiagonal();
    if (test.rows() > 0) s.test_factor = (test * V) * root.asDiagonal();
  } else {
    // Dual: eigenvectors U of X X^T; the test factor is X_test X^T U.
    ColMatrix gram = ColMatrix::Zero(n, n);
    gram.selfadjointView<Eigen::Lower>().rankUpdate(train);
    gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
    dominant_eigenpairs(gram, p, s.eigenvalues, s.basis);
    if (test.rows() > 0) s.test_factor = (test * train.transpose()) * s.basis;
  }
  if (test.rows() == 0) s.test_factor.resize(0, s.eigenvalues.size());
  s.spans_centred_space = s.rank() == n - 1;
  return s;
}

RidgeSpectrum decompose_ridge(const Matrix& X_train) {
  std::vector<int> rows(static_cast<size_t>(X_train.rows()));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int>(i);
  return decompose_ridge(X_train, rows);
}

LayerGram layer_gram(const Matrix& X) {
  if (X.cols() == 0) throw InputError("ridge: the design has no features");
  ColMatrix centred = X;
  centred.rowwise() -= centred.colwise().mean();
  LayerGram g;
  g.features = X.cols();
  ColMatrix gram = ColMatrix::Zero(X.rows(), X.rows());
  gram.selfadjointView<Eigen::Lower>().rankUpdate(centred);
  gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
  g.gram = gram;
  return g;
}

RidgeSpectrum decompose_ridge(const LayerGram& g, std::span<const int> train_rows,
                              std::span<const int> test_rows) {
  if (train_rows.size() < 2) throw InputError("ridge: at least two training rows are needed");
  const auto n = static_cast<Eigen::Index>(train_rows.size());
  const auto m = static_cast<Eigen::Index>(test_rows.size());
  // Row means of the Gram matrix over the training columns, and its mean over the training
  // block: re-centring on the training mean is K(i,j) - r(i) - r(j) + mu.
  auto row_mean = [&](int row) {
    double sum = 0.0;
    for (int c : train_rows) sum += g.gram(row, c);
    return sum / static_cast<double>(n);
  };
  Vector r_train(n);
  for (Eigen::Index i = 0; i < n; ++i) r_train(i) = row_mean(train_rows[static_cast<size_t>(i)]);
  const double mu = r_train.mean();
  ColMatrix K(n, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < n; ++i)
      K(i, j) = g.gram(train_rows[static_cast<size_t>(i)], train_rows[static_cast<size_t>(j)]) -
                r_train(i) - r_train(j) + mu;
  RidgeSpectrum s;
  dominant_eigenpairs(K, g.features, s.eigenvalues, s.basis);
  if (m > 0) {
    ColMatrix cross(m, n);
    for (Eigen::Index i = 0; i < m; ++i) {
      const int row = test_rows[static_cast<size_t>(i)];
      const double r_test = row_mean(row);
      for (Eigen::Index j = 0; j < n; ++j)
        cross(i, j) = g.gram(row, train_rows[static_cast<size_t>(j)]) - r_test - r_train(j) + mu;
    }
    s.test_factor = cross * s.basis;
  } else {
    s.test_factor.resize(0, s.eigenvalues.size());
  }
  s.spans_centred_space = s.rank() == n - 1;
  return s;
}

Vector ridge_shrinkage(const RidgeSpectrum& spectrum, double alpha) {
  return (spectrum.eigenvalues.array() + alpha).inverse().matrix();
}

namespace {

// What one penalty contributes to the LOO computation; penalties whose weights are
// identical to the last bit give identical errors and are computed once.
struct LooWeights {
  Vector weights;   // d_j = 1/(lambda_j+alpha) if the basis spans, else lambda/(l+a)
  Vector diagonal;  // denominator of the LOO residual, per training row
};

LooWeights loo_weights(const RidgeSpectrum& s, double alpha, const ColMatrix& squared_basis) {
  LooWeights w;
  const auto lambda = s.eigenvalues.array();
  const double n = static_cast<double>(s.n_train());
  if (s.spans_centred_space) {
    w.weights = (lambda + alpha).inverse().matrix();
    w.diagonal = squared_basis * w.weights;
  } else {
    w.weights = (lambda / (lambda + alpha)).matrix();
    w.diagonal = (1.0 - 1.0 / n) - (squared_basis * w.weights).array();
  }
  return w;
}

constexpr double kTieTolerance = 1e-12;

bool same_bits(const Vector& a, const Vector& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(double)) == 0;
}

}  // namespace

LooSelection select_penalty_loo(const RidgeSpectrum& s, const ColMatrix& Y_centred,
                                std::span<const double> alphas, bool keep_mse) {
  const Eigen::Index n = s.n_train();
  const Eigen::Index T = Y_centred.cols();
  const Eigen::Index A = static_cast<Eigen::Index>(alphas.size());
  if (Y_centred.rows() != n) throw InputError("ridge: targets and design differ in rows");
  ColMatrix Y = Y_centred;
  Y.rowwise() -= Y.colwise().mean();  // exact centring, as RidgeCV re-centres its input
  ColMatrix Z = s.basis.transpose() * Y;
  const ColMatrix squared_basis = s.basis.cwiseAbs2();
  const double largest = s.rank() > 0 ? s.eigenvalues(0) : 0.0;

  LooSelection out;
  out.best.assign(static_cast<size_t>(T), 0);
  Eigen::RowVectorXd best_mse =
      Eigen::RowVectorXd::Constant(T, std::numeric_limits<double>::infinity());
  if (keep_mse) out.mse.resize(A, T);

  // Distinct penalties already computed: their weights and errors.
  std::vector<LooWeights> computed;
  std::vector<Eigen::RowVectorXd> computed_mse;
  int top_plateau = -1;  // penalties so large that lambda + alpha == alpha for every lambda

  ColMatrix residual(n, T), transformed;
  for (Eigen::Index a = 0; a < A; ++a) {
    const double alpha = alphas[static_cast<size_t>(a)];
    if (!(alpha > 0) || !std::isfinite(alpha))
      throw InputError("ridge: penalties must be positive and finite");
    int index = -1;
    const bool on_top = largest + alpha == alpha;
    LooWeights w;
    if (on_top && top_plateau >= 0) {
      index = top_plateau;  // mathematically identical errors: the mean predictor's
    } else {
      w = loo_weights(s, alpha, squared_basis);
      for (size_t k = 0; k < computed.size() && index < 0; ++k)
        if (same_bits(computed[k].weights, w.weights)) index = static_cast<int>(k);
    }
    if (index < 0) {
      const Vector inverse_diagonal = w.diagonal.cwiseInverse();
      Eigen::RowVectorXd mse(T);
      if (s.spans_centred_space && s.rank() > 0) {
        // The residuals are B z with B = diag(1/G) U diag(d); with B = QR their squared norm is
        // |R z|^2 (R is r x r, where forming the residuals would take n x r).
        const ColMatrix weighted = inverse_diagonal.asDiagonal() * s.basis * w.weights.asDiagonal();
        const Eigen::HouseholderQR<ColMatrix> qr(weighted);
        const ColMatrix R = qr.matrixQR().topRows(s.rank()).triangularView<Eigen::Upper>();
        detail::gemm(R, Z, transformed);
        mse = transformed.colwise().squaredNorm() / static_cast<double>(n);
      } else {
        residual = Y;
        detail::gemm(s.basis * w.weights.asDiagonal(), Z, residual, -1.0, 1.0);
        for (Eigen::Index t = 0; t < T; ++t) {
          double sum = 0.0;
          const double* column = residual.col(t).data();
          for (Eigen::Index i = 0; i < n; ++i) {
            const double e = column[i] * inverse_diagonal(i);
            sum += e * e;
          }
          mse(t) = sum / static_cast<double>(n);
        }
      }
      computed.push_back(std::move(w));
      computed_mse.push_back(std::move(mse));
      index = static_cast<int>(computed.size()) - 1;
      if (on_top) top_plateau = index;
    }
    const Eigen::RowVectorXd& mse = computed_mse[static_cast<size_t>(index)];
    for (Eigen::Index t = 0; t < T; ++t) {
      // Errors within rounding of each other are a tie, and ties keep the earlier penalty:
      // the choice then does not hinge on the last bits of a BLAS kernel.
      if (mse(t) < best_mse(t) * (1.0 - kTieTolerance)) {
        best_mse(t) = mse(t);
        out.best[static_cast<size_t>(t)] = static_cast<int>(a);
      }
    }
    if (keep_mse) out.mse.row(a) = mse;
  }
  out.projected = std::move(Z);
  return out;
}

RidgeCoefficients ridge_coefficients(const Matrix& X_train, const ColMatrix& Y,
                                     std::span<const double> alpha_per_target) {
  const Eigen::Index T = Y.cols();
  if (Y.rows() != X_train.rows()) throw InputError("ridge: targets and design differ in rows");
  if (static_cast<Eigen::Index>(alpha_per_target.size()) != T)
    throw InputError("ridge: " + std::to_string(alpha_per_target.size()) + " penalties for " +
                     std::to_string(T) + " targets");
  const RidgeSpectrum s = decompose_ridge(X_train);
  const Eigen::RowVectorXd x_means = X_train.colwise().mean();
  const Eigen::RowVectorXd y_means = Y.colwise().mean();
  // X_c^T U = V diag(s), so the weights are X_c^T U diag(1 / (lambda + alpha)) U^T y_c.
  const ColMatrix back = (X_train.rowwise() - x_means).transpose() * s.basis;
  ColMatrix projected = s.basis.transpose() * (Y.rowwise() - y_means);
  for (Eigen::Index t = 0; t < T; ++t) {
    const double alpha = alpha_per_target[static_cast<size_t>(t)];
    if (!(alpha > 0) || !std::isfinite(alpha))
      throw InputError("ridge: penalties must be positive and finite");
    projected.col(t).array() *= ridge_shrinkage(s, alpha).array();
  }
  RidgeCoefficients out;
  out.weights = back * projected;
  out.intercepts = y_means - x_means * out.weights;
  return out;
}

Vector loo_residuals(const RidgeSpectrum& s, const Vector& y_centred, double alpha) {
  const Vector y = y_centred.array() - y_centred.mean();
  const ColMatrix squared_basis = s.basis.cwiseAbs2();
  const LooWeights w = loo_weights(s, alpha, squared_basis);
  const Vector z = s.basis.transpose() * y;
  Vector r = s.spans_centred_space ? Vector(s.basis * w.weights.cwiseProduct(z))
                                   : Vector(y - s.basis * w.weights.cwiseProduct(z));
  return r.cwiseQuotient(w.diagonal);
}

}  // namespace brainalign::align