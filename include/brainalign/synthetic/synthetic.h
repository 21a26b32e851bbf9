// Synthetic brain datasets and feature sets with planted ground truth, for tests and
// benchmarks: which layer drives each voxel and how reliable each voxel is are known.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "brainalign/data/brain_dataset.h"
#include "brainalign/features/feature_set.h"

namespace brainalign::synthetic {

struct SyntheticSpec {
  int stimuli = 165;
  int voxels = 1000;  // in all, spread evenly over subjects
  int subjects = 8;
  int repetitions = 3;
  int layers = 13;
  int features = 768;            // per layer
  int latent = 24;               // latent factors per layer
  double min_reliability = 0.1;  // test-retest correlation of single repetitions
  double max_reliability = 0.9;
  int folds = 5;
  std::uint64_t seed = 0;
};

struct SyntheticStudy {
  data::BrainDataset dataset;
  features::FeatureSet features;
  std::vector<int> driving_layer;     // per voxel
  std::vector<double> reliability;    // per voxel: planted repetition correlation
  std::vector<int> fold_of_stimulus;  // a balanced k-fold assignment
};

SyntheticStudy make_synthetic_study(const SyntheticSpec& spec);

// Writes DIR/dataset (generic layout, with its folds.csv), DIR/features.npz, DIR/folds.csv and
// DIR/ground_truth.csv (voxel_id,subject,layer,reliability).
void save_synthetic_study(const std::filesystem::path& dir, const SyntheticStudy& study);

}  // namespace brainalign::synthetic