// Nested cross-validated ridge regression with joint (penalty, layer) selection: the
// voxel-wise and component-wise regression of the pepino2025 protocol.
//
// For each outer fold, every (penalty, layer) candidate is scored on the training stimuli by
// inner cross-validation over the remaining folds (clipped r^2 of the concatenated
// out-of-fold predictions); the grid grows past its edges while the best penalty sits on
// one; the winner is refit on all training stimuli and predicts the held-out fold. The score
// of a target is the clipped r^2 of its concatenated held-out predictions.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::align {

struct NestedRidgeOptions {
  std::vector<double> alphas = {0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 50.0};
  double smallest_alpha = 1e-49;  // the grid extends down by halving while alpha/2 >= this
  double largest_alpha = 1e50;    // and up by doubling while alpha*2 <= this
  int threads = 0;                // 0: every core
  // Called after each outer fold with (folds done, folds in all).
  std::function<void(int, int)> progress;
};

struct NestedRidgeResult {
  Vector score;                  // per target: clipped r^2 over all stimuli
  ColMatrix predictions;         // stimuli x targets: held-out predictions
  Eigen::MatrixXi chosen_layer;  // outer folds x targets
  ColMatrix chosen_alpha;        // outer folds x targets
  ColMatrix inner_score;         // outer folds x targets: the winner's inner score
};

// layers: one matrix per layer, stimuli x features, rows in the same stimulus order as
// targets (stimuli x targets, no NaN). fold_of_stimulus: 0..k-1 for each stimulus.
NestedRidgeResult nested_ridge_regression(const std::vector<Matrix>& layers,
                                          const ColMatrix& targets,
                                          std::span<const int> fold_of_stimulus,
                                          const NestedRidgeOptions& options = {});

// Clipped r^2 of each column of `predicted` against the same column of `observed`: 0 where
// a prediction is constant, else max(r, 0)^2.
Vector clipped_r2_columns(const ColMatrix& observed, const ColMatrix& predicted);

}  // namespace brainalign::align