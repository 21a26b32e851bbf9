#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/dsp/mel_spectrogram.h"
#include "brainalign/dsp/mfcc.h"
#include "brainalign/dsp/whisper_logmel.h"
#include "dsp/npy_for_tests.h"

namespace brainalign::dsp {
namespace {

using testing::golden_frontend;
using testing::load_npy;

// Largest |a - b| between a matrix and a C-order array of the same shape.
double max_difference(const Matrix& actual, const testing::NpyArray& expected) {
  EXPECT_EQ(static_cast<std::size_t>(actual.size()), expected.values.size());
  double worst = 0.0;
  for (Eigen::Index r = 0; r < actual.rows(); ++r) {
    for (Eigen::Index c = 0; c < actual.cols(); ++c) {
      const double golden = expected.values[static_cast<std::size_t>(r * actual.cols() + c)];
      worst = std::max(worst, std::abs(actual(r, c) - golden));
    }
  }
  return worst;
}

TEST(WhisperLogMel, MatchesTransformers) {
  const auto input = load_npy(golden_frontend("whisper_logmel_input.npy"));
  const auto expected = load_npy(golden_frontend("whisper_logmel_output.npy"));
  WhisperLogMelParams params;
  params.chunk_length_s = 1;
  const Matrix features = whisper_log_mel(input.values, params);
  ASSERT_EQ(features.rows(), 80);
  ASSERT_EQ(features.cols(), 100);
  const double difference = max_difference(features, expected);
  std::printf("whisper log-mel max |difference| = %.3g\n", difference);
  EXPECT_LT(difference, 1e-3);
}

TEST(WhisperLogMel, PadsShortInputTo30Seconds) {
  std::vector<double> waveform(8000);
  for (std::size_t i = 0; i < waveform.size(); ++i) {
    waveform[i] = 0.1 * std::sin(0.2 * static_cast<double>(i));
  }
  WhisperLogMelParams params;
  params.n_mels = 128;
  const Matrix features = whisper_log_mel(waveform, params);
  EXPECT_EQ(features.rows(), 128);
  EXPECT_EQ(features.cols(), 3000);
  // Silence after the signal sits on the floor 8 decades (2 after scaling) below the maximum.
  EXPECT_NEAR(features(5, 2999), features.maxCoeff() - 2.0, 1e-12);
}

TEST(MelSpectrogram, MatchesTorchaudioInDecibels) {
  const auto input = load_npy(golden_frontend("whisper_logmel_input.npy"));
  const auto expected = load_npy(golden_frontend("melspec64_db_output.npy"));
  MelSpectrogramParams params;
  params.n_fft = 512;
  params.win_length = 512;
  params.hop_length = 160;
  params.f_max = 8000.0;
  params.n_mels = 64;
  AmplitudeToDbParams db;
  db.top_db = 120.0;
  const Matrix mel_db = amplitude_to_db(mel_spectrogram(input.values, params), db);
  ASSERT_EQ(mel_db.rows(), 64);
  ASSERT_EQ(mel_db.cols(), 101);
  const double difference = max_difference(mel_db, expected);
  std::printf("mel spectrogram max |difference| = %.3g dB\n", difference);
  EXPECT_LT(difference, 1e-3);
}

TEST(MelSpectrogram, TopDbFloorsAtMaximumMinusTopDb) {
  Matrix power(2, 2);
  power << 1.0, 1e-20, 1e-3, 10.0;
  AmplitudeToDbParams db;
  db.top_db = 50.0;
  const Matrix result = amplitude_to_db(power, db);
  EXPECT_DOUBLE_EQ(result(0, 0), 0.0);
  EXPECT_DOUBLE_EQ(result(0, 1), -40.0);
  EXPECT_NEAR(result(1, 0), -30.0, 1e-12);
  EXPECT_DOUBLE_EQ(result(1, 1), 10.0);
}

TEST(MelSpectrogram, RejectsSignalShorterThanReflectPad) {
  EXPECT_THROW(mel_spectrogram(std::vector<double>(100, 0.5)), InputError);
}

TEST(Mfcc, DctMatrixIsOrthonormal) {
  const Matrix dct = dct_ortho_matrix(20, 20);
  EXPECT_TRUE((dct * dct.transpose()).isIdentity(1e-12));
  EXPECT_THROW(dct_ortho_matrix(41, 40), InputError);
}

// The reference: the same mel computation written with numpy and scipy.fft.dct(norm="ortho"),
// run by the test's Python interpreter.
TEST(Mfcc, MatchesNumpyScipyReference) {
  const auto input = load_npy(golden_frontend("whisper_logmel_input.npy"));
  MfccParams params;
  params.n_mfcc = 13;
  params.mel.n_fft = 512;
  params.mel.hop_length = 160;
  params.mel.n_mels = 40;
  params.mel.f_min = 20.0;
  const Matrix coefficients = mfcc(input.values, params);
  ASSERT_EQ(coefficients.rows(), 13);
  ASSERT_EQ(coefficients.cols(), 101);

  const std::filesystem::path output = std::filesystem::temp_directory_path() /
                                       ("brainalign_mfcc_" + std::to_string(::getpid()) + ".npy");
  const std::string command =
      std::string(BRAINALIGN_PYTHON) + " " + BRAINALIGN_TEST_DIR + "/dsp/mfcc_reference.py " +
      golden_frontend("whisper_logmel_input.npy") + " " + output.string() + " 13 512 160 40 20";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const auto expected = load_npy(output.string());
  std::filesystem::remove(output);
  const double difference = max_difference(coefficients, expected);
  std::printf("MFCC max |difference| = %.3g\n", difference);
  EXPECT_LT(difference, 1e-6);
}

}  // namespace
}  // namespace brainalign::dsp
