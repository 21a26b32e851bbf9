// Ridge regression for many targets and many penalties at once.
//
// A design matrix is decomposed once (eigendecomposition of its smaller Gram matrix, primal
// or dual by shape); every target, penalty and repetition then reuses that decomposition.
// Inputs are centred with the training means and the intercept is not penalised, as
// scikit-learn's Ridge / RidgeCV with fit_intercept=True.
#pragma once

#include <span>
#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::align {

// The spectral form of a centred training design X_c (n x p):
//   X_c = U diag(sqrt(lambda)) V^T, keeping the components with lambda above rounding noise.
// Test predictions for a centred target y_c at penalty alpha are
//   test_factor * diag(1 / (lambda + alpha)) * U^T y_c  (+ the training mean of y).
struct RidgeSpectrum {
  ColMatrix basis;        // n x r: U, orthonormal, orthogonal to the constant vector
  Vector eigenvalues;     // r: lambda_j = s_j^2, descending
  ColMatrix test_factor;  // m x r: X_test_c V diag(s); empty without a test design
  // True when U spans every direction the centred training data can take (rank n - 1):
  // leave-one-out then needs no 1/alpha term for the null space.
  bool spans_centred_space = false;

  Eigen::Index n_train() const { return basis.rows(); }
  Eigen::Index rank() const { return basis.cols(); }
};

// Decomposes the training rows `train_rows` of `X` (centred with their own column means);
// the test rows, if any, are centred with the same means. Row indices refer to X.
RidgeSpectrum decompose_ridge(const Matrix& X, std::span<const int> train_rows,
                              std::span<const int> test_rows = {});

// Convenience: decomposes a whole training design (no test rows).
RidgeSpectrum decompose_ridge(const Matrix& X_train);

// A layer's Gram matrix over all its rows, centred with the mean of all rows. The centred
// Gram matrix of any training subset (and its cross-products with test rows) follows from it
// in O(rows^2), so designs with more features than training rows are decomposed without
// touching the features again.
struct LayerGram {
  Matrix gram;  // stimuli x stimuli
  Eigen::Index features = 0;
};
LayerGram layer_gram(const Matrix& X);

// As decompose_ridge(X, train_rows, test_rows), in the dual form, from a LayerGram.
RidgeSpectrum decompose_ridge(const LayerGram& gram, std::span<const int> train_rows,
                              std::span<const int> test_rows = {});

// Shrinkage factors 1 / (lambda_j + alpha).
Vector ridge_shrinkage(const RidgeSpectrum& spectrum, double alpha);

// Penalty selection by efficient leave-one-out (scikit-learn RidgeCV semantics): for each
// target (column of Y_centred, centred with its training mean), the index of the first
// penalty in `alphas` order that minimises the mean squared leave-one-out error. Errors that
// differ by less than 1e-12 relative count as ties (rounding cannot pick the penalty).
struct LooSelection {
  std::vector<int> best;  // per target: index into alphas
  ColMatrix mse;          // alphas x targets: mean squared LOO error (filled if requested)
  ColMatrix projected;    // rank x targets: U^T y of each (re-centred) target
};
LooSelection select_penalty_loo(const RidgeSpectrum& spectrum, const ColMatrix& Y_centred,
                                std::span<const double> alphas, bool keep_mse = false);

// Fitted coefficients of ridge regressions sharing one training design, each target with its
// own penalty (scikit-learn Ridge with fit_intercept=True, one fit per target).
struct RidgeCoefficients {
  ColMatrix weights;              // p x T
  Eigen::RowVectorXd intercepts;  // T: mean(y) - mean(x) . weights
};
// X_train: n x p; Y: n x T targets (uncentred); alpha_per_target: T positive penalties.
RidgeCoefficients ridge_coefficients(const Matrix& X_train, const ColMatrix& Y,
                                     std::span<const double> alpha_per_target);

// Leave-one-out residuals of one target at one penalty (for tests and diagnostics).
Vector loo_residuals(const RidgeSpectrum& spectrum, const Vector& y_centred, double alpha);

}  // namespace brainalign::align