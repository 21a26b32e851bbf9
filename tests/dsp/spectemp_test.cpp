#include "brainalign/dsp/spectemp.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "brainalign/error.h"
#include "dsp/npy_for_tests.h"

namespace brainalign::dsp {
namespace {

using testing::golden_frontend;
using testing::load_npy;

const SpectempModel& model() {
  static const SpectempModel instance;
  return instance;
}

Matrix reference_cochleagram() {
  const auto array = load_npy(golden_frontend("cochleagram1_output.npy"));
  Matrix cochleagram(211, 390);
  for (Eigen::Index i = 0; i < cochleagram.size(); ++i) {
    cochleagram.data()[i] = array.values[static_cast<std::size_t>(i)];
  }
  return cochleagram;
}

TEST(Spectemp, FilterListFollowsTheReference) {
  const auto& filters = model().filterbank().filters();
  ASSERT_EQ(filters.size(), 111u);
  EXPECT_EQ(filters[0].rate_hz, 0.0);
  EXPECT_EQ(filters[0].scale, 0.0);
  EXPECT_EQ(filters[1].rate_hz, -0.5);
  EXPECT_EQ(filters[8].rate_hz, -64.0);
  EXPECT_EQ(filters[9].scale, 0.0625);
  EXPECT_EQ(filters[62].rate_hz, -64.0);
  EXPECT_EQ(filters[62].scale, 2.0);
  EXPECT_EQ(filters[63].rate_hz, 0.5);
  EXPECT_EQ(filters[63].scale, 0.0625);
  EXPECT_EQ(filters[110].rate_hz, 64.0);
  EXPECT_EQ(filters[110].scale, 2.0);
}

// Reference values of docs/spectemp.md section 6 (sections 3-6 run on the reference cochleagram).
TEST(Spectemp, ReproducesReferenceFeatures) {
  const Matrix cochleagram = reference_cochleagram();
  const auto start = std::chrono::steady_clock::now();
  const Matrix features = model().filterbank().avgpool(cochleagram);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("spectemp avgpool: %.1f ms, sum %.7f\n", ms, features.sum());
  ASSERT_EQ(features.rows(), 111);
  ASSERT_EQ(features.cols(), 211);
  EXPECT_NEAR(features.sum(), 1398.5328, 1e-3);
  EXPECT_NEAR(features.mean(), 0.0597128, 1e-7);
  EXPECT_NEAR(features.maxCoeff(), 3.08304, 1e-5);
  EXPECT_EQ(features.minCoeff(), 1e-8);
  EXPECT_NEAR(features.row(0).minCoeff(), 0.7152164, 1e-6);
  EXPECT_NEAR(features.row(0).maxCoeff(), 0.7152164, 1e-6);
  EXPECT_NEAR(features.row(1).minCoeff(), 1.1060715, 1e-6);
  EXPECT_NEAR(features.row(1).maxCoeff(), 1.1060715, 1e-6);
  const double row63[] = {0.02667869, 0.02578039, 0.02499376, 0.02431382, 0.02373455};
  const double row110[] = {0.00402231, 0.00264976, 0.00420594, 0.00661498, 0.00564365};
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(features(63, 100 + i), row63[i], 1e-7) << i;
    EXPECT_NEAR(features(110, 100 + i), row110[i], 1e-7) << i;
  }
  const double channel_means[] = {0.7152164, 1.1060715, 0.1319671, 0.0303163, 0.0295794,
                                  0.0144292, 0.0049815, 0.0024198, 0.0018391, 0.1439220};
  for (int f = 0; f < 10; ++f) {
    EXPECT_NEAR(features.row(f).mean(), channel_means[f], 1e-6) << f;
  }
}

TEST(Spectemp, RejectsWrongShape) {
  EXPECT_THROW(model().filterbank().avgpool(Matrix::Zero(211, 389)), InputError);
}

}  // namespace
}  // namespace brainalign::dsp
