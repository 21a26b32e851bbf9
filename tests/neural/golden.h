// Golden files of the neural models (see shared/golden/README.md) as tensors, and the
// README's tolerance: max |a - b| below 1e-4 of max |b|.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/io/npy.h"
#include "brainalign/neural/blocks.h"

namespace brainalign::neural::testing {

inline std::filesystem::path golden_dir(const std::string& name) {
  return std::filesystem::path(BRAINALIGN_SHARED_DIR) / "golden" / name;
}

inline at::Tensor read_golden(const std::filesystem::path& path) {
  const io::NpyArray array = io::read_npy(path);
  const std::vector<double> values = array.to_doubles();
  std::vector<std::int64_t> shape(array.shape().begin(), array.shape().end());
  return at::tensor(values, at::kDouble).reshape(shape).to(at::kFloat);
}

inline std::string hidden_state_file(std::size_t index) {
  return std::string("hidden_state.") + (index < 10 ? "0" : "") + std::to_string(index) + ".npy";
}

// max |actual - expected| / max |expected|.
inline double relative_error(const at::Tensor& actual, const at::Tensor& expected) {
  const at::Tensor a = actual.detach().to(at::kCPU, at::kDouble);
  const at::Tensor e = expected.to(at::kDouble);
  return (a - e).abs().max().item<double>() / e.abs().max().item<double>();
}

constexpr double kTolerance = 1e-4;

// Checks every hidden_state.NN.npy of `folder` against `states` (same count, shapes, values).
inline void expect_hidden_states(const std::string& folder, const std::vector<at::Tensor>& states) {
  std::size_t count = 0;
  while (std::filesystem::exists(golden_dir(folder) / hidden_state_file(count))) ++count;
  ASSERT_EQ(states.size(), count) << folder;
  for (std::size_t i = 0; i < count; ++i) {
    const at::Tensor expected = read_golden(golden_dir(folder) / hidden_state_file(i));
    ASSERT_EQ(states[i].sizes(), expected.sizes()) << folder << " " << hidden_state_file(i);
    const double error = relative_error(states[i], expected);
    EXPECT_LT(error, kTolerance) << folder << " " << hidden_state_file(i);
    std::printf("  %s %s: max relative error %.2e\n", folder.c_str(), hidden_state_file(i).c_str(),
                error);
  }
}

}  // namespace brainalign::neural::testing
