#include "brainalign/dsp/kaldi_fbank.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "brainalign/base/error.h"
#include "dsp/npy_for_tests.h"

namespace brainalign::dsp {
namespace {

using testing::golden_frontend;
using testing::load_npy;

TEST(KaldiFbank, MatchesTorchaudioOn128Bins) {
  const auto input = load_npy(golden_frontend("kaldi_fbank128_input.npy"));
  const auto expected = load_npy(golden_frontend("kaldi_fbank128_output.npy"));
  std::vector<double> waveform = input.values;
  for (double& value : waveform) value *= 32768.0;
  KaldiFbankParams params;
  params.num_mel_bins = 128;
  const Matrix fbank = kaldi_fbank(waveform, params);
  ASSERT_EQ(fbank.rows(), 98);
  ASSERT_EQ(fbank.cols(), 128);
  ASSERT_EQ(expected.shape, (std::vector<std::size_t>{98, 128}));
  double max_difference = 0.0;
  for (Eigen::Index t = 0; t < fbank.rows(); ++t) {
    for (Eigen::Index b = 0; b < fbank.cols(); ++b) {
      const double golden = expected.values[static_cast<std::size_t>(t * 128 + b)];
      max_difference = std::max(max_difference, std::abs(fbank(t, b) - golden));
    }
  }
  std::printf("kaldi fbank max |difference| = %.3g\n", max_difference);
  EXPECT_LT(max_difference, 1e-3);
}

TEST(KaldiFbank, AstFeaturesMatchTransformers) {
  const auto input = load_npy(golden_frontend("ast_fbank_input.npy"));
  const auto expected = load_npy(golden_frontend("ast_fbank_output.npy"));
  AstFeatureParams params;
  params.max_length = 100;
  const Matrix features = ast_features(input.values, params);
  ASSERT_EQ(features.rows(), 100);
  ASSERT_EQ(features.cols(), 128);
  ASSERT_EQ(expected.values.size(), 100u * 128u);
  double max_difference = 0.0;
  for (Eigen::Index t = 0; t < features.rows(); ++t) {
    for (Eigen::Index b = 0; b < features.cols(); ++b) {
      const double golden = expected.values[static_cast<std::size_t>(t * 128 + b)];
      max_difference = std::max(max_difference, std::abs(features(t, b) - golden));
    }
  }
  std::printf("AST features max |difference| = %.3g\n", max_difference);
  EXPECT_LT(max_difference, 1e-3);
  // Frames 98 and 99 are padding: zeros normalised.
  EXPECT_NEAR(features(99, 0), 4.2677393 / (2 * 4.5689974), 1e-12);
}

TEST(KaldiFbank, CutsToMaxLength) {
  std::vector<double> waveform(16000);
  for (std::size_t i = 0; i < waveform.size(); ++i)
    waveform[i] = std::sin(0.05 * static_cast<double>(i));
  AstFeatureParams params;
  params.max_length = 10;
  const Matrix cut = ast_features(waveform, params);
  params.max_length = 98;
  const Matrix full = ast_features(waveform, params);
  ASSERT_EQ(cut.rows(), 10);
  EXPECT_TRUE(cut.isApprox(full.topRows(10)));
}

TEST(KaldiFbank, EnergyColumnAndEdges) {
  std::vector<double> waveform(4000);
  for (std::size_t i = 0; i < waveform.size(); ++i) {
    waveform[i] = 1000.0 * std::sin(0.1 * static_cast<double>(i));
  }
  KaldiFbankParams params;
  params.use_energy = true;
  const Matrix with_energy = kaldi_fbank(waveform, params);
  params.use_energy = false;
  const Matrix plain = kaldi_fbank(waveform, params);
  ASSERT_EQ(with_energy.cols(), 24);
  EXPECT_TRUE(with_energy.rightCols(23).isApprox(plain));
  params.snip_edges = false;
  const Matrix centred = kaldi_fbank(waveform, params);
  EXPECT_EQ(centred.rows(), (4000 + 80) / 160);
}

TEST(KaldiFbank, RejectsShortInput) {
  EXPECT_THROW(kaldi_fbank(std::vector<double>(100, 0.1)), InputError);
}

}  // namespace
}  // namespace brainalign::dsp
