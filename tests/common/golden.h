// Test support: the golden files of the neural models (see shared/golden/README.md) as values
// and tensors, and the README's comparison rule: max |a - b| below 1e-4 of max |b|.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/io/npy.h"

namespace brainalign::testing {

constexpr double kTolerance = 1e-4;

inline std::filesystem::path golden_dir(const std::string& model) {
  return std::filesystem::path(BRAINALIGN_SHARED_DIR) / "golden" / model;
}

// The values of a golden .npy in row-major order, and its shape where `shape` is given.
inline std::vector<double> golden_values(const std::filesystem::path& npy,
                                         std::vector<std::int64_t>* shape = nullptr) {
  const io::NpyArray array = io::read_npy(npy);
  if (shape != nullptr) shape->assign(array.shape().begin(), array.shape().end());
  return array.to_doubles();
}

// A golden .npy as a float32 tensor of its shape (a model's input, or an expected output).
inline at::Tensor read_golden(const std::filesystem::path& npy) {
  std::vector<std::int64_t> shape;
  const std::vector<double> values = golden_values(npy, &shape);
  return at::tensor(values, at::kDouble).reshape(shape).to(at::kFloat);
}

inline std::string hidden_state_file(std::size_t index) {
  return std::string("hidden_state.") + (index < 10 ? "0" : "") + std::to_string(index) + ".npy";
}

// max |actual - expected| / max |expected|, in double precision.
inline double relative_error(const at::Tensor& actual, const at::Tensor& expected) {
  const at::Tensor a = actual.detach().to(at::kCPU, at::kDouble);
  const at::Tensor e = expected.detach().to(at::kCPU, at::kDouble);
  return (a - e).abs().max().item<double>() / std::max(e.abs().max().item<double>(), 1e-30);
}

// The same against a golden .npy read at full precision, after checking the shapes agree.
inline double relative_error(const at::Tensor& actual, const std::filesystem::path& npy) {
  std::vector<std::int64_t> shape;
  const std::vector<double> expected = golden_values(npy, &shape);
  EXPECT_EQ(actual.sizes().vec(), shape) << npy;
  if (actual.sizes().vec() != shape) return INFINITY;
  return relative_error(actual, at::tensor(expected, at::kDouble).reshape(shape));
}

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

}  // namespace brainalign::testing
