// Random train/test splits of the stimuli, as the 2023 protocol draws them.
#pragma once

#include <cstdint>
#include <vector>

namespace brainalign::align {

// Stimulus indices of one split, in the order they were drawn.
struct TrainTestSplit {
  std::vector<std::int64_t> train;
  std::vector<std::int64_t> test;
};

// The splits of Tuckute et al. (2023): seed the legacy generator once, then per split
// train = choice(n_stimuli, n_train, replace=False) and
// test = choice(sorted remaining indices, n_test, replace=False).
std::vector<TrainTestSplit> tuckute2023_splits(int n_stimuli = 165, int n_splits = 10,
                                               int n_train = 83, int n_test = 82,
                                               std::uint32_t seed = 0);

// true for the stimuli in indices, over n_stimuli stimuli.
std::vector<bool> index_mask(const std::vector<std::int64_t>& indices, int n_stimuli);

}  // namespace brainalign::align