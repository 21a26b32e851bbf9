// Split-half ridge regression with leave-one-out penalty selection and voxel-wise noise
// correction (Spearman-Brown on repetition reliabilities): the voxel-wise regression of the
// tuckute2023 protocol, one layer at a time over fixed train/test splits.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::align {

struct NoiseCorrectedOptions {
  // 10^x for x = 49 down to -50: searched from largest to smallest, ties go to the larger.
  std::vector<double> alphas = default_alphas();
  bool correct = true;               // false: plain r^2 (components, or single repetitions)
  double reliability_floor = 0.182;  // floor of the Spearman-Brown voxel reliability
  double prediction_reliability_floor = 0.183;  // floor for the predictions' reliability
  int threads = 0;
  std::function<void(int, int)> progress;  // (layer x split units done, units in all)

  static std::vector<double> default_alphas();
};

// Every number of one layer: splits x targets.
struct NoiseCorrectedLayer {
  ColMatrix r2;                   // r^2 of the repetition-mean model on the test stimuli
  ColMatrix corrected;            // r2 / (rv * rv_hat); equals r2 when not correcting
  ColMatrix alpha;                // the penalty chosen for the repetition-mean model
  ColMatrix rv;                   // Spearman-Brown corrected reliability of the voxel (train)
  ColMatrix rv_hat;               // Spearman-Brown corrected reliability of the predictions (test)
  Eigen::MatrixXi alpha_at_edge;  // 1 at the largest penalty, 2 at the smallest, else 0
};

// repetitions: R matrices stimuli x targets (R = 1 without correction); the model is fit on
// their mean. train/test: stimulus rows of each split. Targets must have no NaN.
std::vector<NoiseCorrectedLayer> noise_corrected_regression(
    const std::vector<Matrix>& layers, const std::vector<ColMatrix>& repetitions,
    const std::vector<std::vector<int>>& train, const std::vector<std::vector<int>>& test,
    const NoiseCorrectedOptions& options = {});

// Held-out best-layer selection: per iteration i (seed i of numpy's legacy generator), for
// each layer then each target, a shuffled mask [0,1,0,1,...] over the splits picks the
// selection half (1) and the readout half (0); medians clipped at 1. Returns, per iteration
// and target, the readout value at the layer with the best selection value; where several
// layers tie for it (common: medians clipped at 1, or all 0), one of them drawn as the
// published code does (np.random.seed(0), then np.random.choice over the tied layers, target
// by target, in every iteration).
struct LayerSelection {
  ColMatrix value;             // iterations x targets
  Eigen::MatrixXi best_layer;  // iterations x targets
};
LayerSelection select_layer_held_out(const std::vector<NoiseCorrectedLayer>& layers,
                                     int iterations = 10);

// Per layer and target: the median over splits of the corrected r^2, clipped at 1.
ColMatrix median_over_splits(const std::vector<NoiseCorrectedLayer>& layers);

}  // namespace brainalign::align