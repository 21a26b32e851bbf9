#include "brainalign/dsp/cochleagram.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "brainalign/base/error.h"
#include "dsp/npy_for_tests.h"

namespace brainalign::dsp {
namespace {

using testing::golden_frontend;
using testing::load_npy;

const Cochleagram& reference_cochleagram() {
  static const Cochleagram cochleagram;
  return cochleagram;
}

TEST(Cochleagram, FilterbankLayout) {
  const Cochleagram& cochleagram = reference_cochleagram();
  ASSERT_EQ(cochleagram.num_channels(), 211);
  EXPECT_EQ(cochleagram.num_frames(), 390);
  EXPECT_EQ(cochleagram.filters().cols(), 20001);
  // Squared responses sum to one at every frequency.
  const Eigen::RowVectorXd power = cochleagram.filters().array().square().colwise().sum();
  EXPECT_NEAR(power.minCoeff(), 1.0, 1e-12);
  EXPECT_NEAR(power.maxCoeff(), 1.0, 1e-12);
  const auto& centres = cochleagram.centre_frequencies();
  EXPECT_NEAR(centres[4], 54.97, 0.01);
  EXPECT_NEAR(centres[206], 9820.96, 0.01);
  EXPECT_NEAR(centres[0], 35.6, 0.05);
  EXPECT_NEAR(centres[210], 10556, 1.0);
  EXPECT_NEAR(erb_number(50.0), 1.8308637, 1e-7);
  EXPECT_NEAR(erb_number(10000.0), 35.2062578, 1e-7);
}

TEST(Cochleagram, MatchesChcochleagramReference) {
  const auto input = load_npy(golden_frontend("cochleagram1_input.npy"));
  const auto expected = load_npy(golden_frontend("cochleagram1_output.npy"));
  ASSERT_EQ(expected.shape, (std::vector<std::size_t>{211, 390}));
  const auto start = std::chrono::steady_clock::now();
  const Matrix result = reference_cochleagram().compute(input.values);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(result.rows(), 211);
  ASSERT_EQ(result.cols(), 390);
  double worst = 0.0;
  for (Eigen::Index c = 0; c < 211; ++c) {
    for (Eigen::Index t = 0; t < 390; ++t) {
      worst = std::max(
          worst, std::abs(result(c, t) - expected.values[static_cast<std::size_t>(c * 390 + t)]));
    }
  }
  std::printf("cochleagram max |difference| = %.3g (%.1f ms)\n", worst, ms);
  EXPECT_LT(worst, 1e-5);
  EXPECT_NEAR(result(0, 0), 0.02799205, 1e-6);
  EXPECT_NEAR(result(100, 101), 0.08174214, 1e-6);
}

TEST(Cochleagram, PureToneExcitesItsChannel) {
  const Cochleagram& cochleagram = reference_cochleagram();
  const auto& centres = cochleagram.centre_frequencies();
  for (int channel : {30, 100, 180}) {
    const double hz = centres[static_cast<std::size_t>(channel)];
    std::vector<double> tone(40000);
    for (std::size_t i = 0; i < tone.size(); ++i) {
      tone[i] = 0.1 * std::sin(2.0 * M_PI * hz * static_cast<double>(i) / 20000.0);
    }
    const Matrix result = cochleagram.compute(tone);
    Eigen::Index loudest = 0;
    result.rowwise().mean().maxCoeff(&loudest);
    EXPECT_EQ(loudest, channel) << hz << " Hz";
  }
}

TEST(Cochleagram, RejectsWrongLength) {
  EXPECT_THROW(reference_cochleagram().compute(std::vector<double>(39999, 0.0)), InputError);
}

}  // namespace
}  // namespace brainalign::dsp
