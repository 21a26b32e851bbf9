#include "brainalign/align/splits.h"

#include <string>

#include "brainalign/base/error.h"
#include "brainalign/base/legacy_random.h"

namespace brainalign::align {

std::vector<TrainTestSplit> tuckute2023_splits(int n_stimuli, int n_splits, int n_train, int n_test,
                                               std::uint32_t seed) {
  if (n_stimuli < 0 || n_splits < 0 || n_train < 0 || n_test < 0 || n_train + n_test > n_stimuli) {
    throw InputError("tuckute2023 splits: cannot draw " + std::to_string(n_train) + " train and " +
                     std::to_string(n_test) + " test stimuli from " + std::to_string(n_stimuli));
  }
  LegacyRandom random(seed);
  std::vector<TrainTestSplit> splits;
  splits.reserve(static_cast<std::size_t>(n_splits));
  for (int s = 0; s < n_splits; ++s) {
    TrainTestSplit split;
    split.train = random.choice_without_replacement(n_stimuli, n_train);
    const std::vector<bool> in_train = index_mask(split.train, n_stimuli);
    std::vector<std::int64_t> remaining;
    for (int i = 0; i < n_stimuli; ++i) {
      if (!in_train[static_cast<std::size_t>(i)]) remaining.push_back(i);
    }
    // The published code draws the test set even when it is all the remaining stimuli; the
    // draw advances the generator for the next split.
    const std::vector<std::int64_t> picks =
        random.choice_without_replacement(static_cast<std::int64_t>(remaining.size()), n_test);
    for (std::int64_t p : picks) split.test.push_back(remaining[static_cast<std::size_t>(p)]);
    splits.push_back(std::move(split));
  }
  return splits;
}

std::vector<bool> index_mask(const std::vector<std::int64_t>& indices, int n_stimuli) {
  std::vector<bool> mask(static_cast<std::size_t>(n_stimuli), false);
  for (std::int64_t i : indices) {
    if (i < 0 || i >= n_stimuli) {
      throw InputError("stimulus index " + std::to_string(i) + " outside [0, " +
                       std::to_string(n_stimuli) + ")");
    }
    mask[static_cast<std::size_t>(i)] = true;
  }
  return mask;
}

}  // namespace brainalign::align