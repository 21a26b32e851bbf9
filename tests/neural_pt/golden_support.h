// Test support: the golden folders of the reference-repository models and the comparison
// rule of their README (max |a - b| below 1e-4 of max |b|).
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/io/npy.h"

namespace brainalign::neural_pt::testing {

inline std::filesystem::path golden_dir(const std::string& model) {
  return std::filesystem::path(BRAINALIGN_SHARED_DIR) / "golden" / model;
}

inline std::vector<double> golden_values(const std::filesystem::path& npy,
                                         std::vector<std::int64_t>* shape = nullptr) {
  const io::NpyArray array = io::read_npy(npy);
  if (shape != nullptr) shape->assign(array.shape().begin(), array.shape().end());
  return array.to_doubles();
}

// Max |actual - expected| / max |expected|, after checking the shapes agree.
inline double relative_error(const at::Tensor& actual, const std::filesystem::path& npy) {
  std::vector<std::int64_t> shape;
  const std::vector<double> expected = golden_values(npy, &shape);
  EXPECT_EQ(actual.sizes().vec(), shape) << npy;
  if (actual.sizes().vec() != shape) return INFINITY;
  const at::Tensor flat = actual.to(at::kDouble).contiguous().reshape({-1});
  const double* values = flat.data_ptr<double>();
  double max_diff = 0.0;
  double max_abs = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(values[i] - expected[i]));
    max_abs = std::max(max_abs, std::abs(expected[i]));
  }
  return max_diff / std::max(max_abs, 1e-30);
}

}  // namespace brainalign::neural_pt::testing
