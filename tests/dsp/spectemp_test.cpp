#include "brainalign/dsp/spectemp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>
#include <utility>

#include "brainalign/base/error.h"
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

constexpr double kRate = 20000.0;

// Index of a filter in the reference order.
int filter_index(double rate_hz, double scale) {
  const auto& filters = model().filterbank().filters();
  for (std::size_t f = 0; f < filters.size(); ++f) {
    if (filters[f].rate_hz == rate_hz && filters[f].scale == scale) return static_cast<int>(f);
  }
  ADD_FAILURE() << "no filter " << rate_hz << " Hz, scale " << scale;
  return 0;
}

// Channel position (in channels of the cochleagram) of a frequency.
double channel_position(double hz) {
  const double step = (erb_number(10000.0) - erb_number(50.0)) / 204.0;
  return (erb_number(hz) - erb_number(50.0)) / step + 3.0;
}

// Many tones spread evenly in ERB number from 100 Hz to 8 kHz, each with the amplitude
// 1 + depth sin(2 pi (scale / 6 * channel - rate * t)): a ripple that moves towards higher
// channels over time when rate > 0.
Audio moving_ripple(double scale, double rate, double depth) {
  Audio audio{std::vector<double>(40000, 0.0), kRate};
  const int tones = 600;
  const double low = erb_number(100.0), high = erb_number(8000.0);
  unsigned state = 12345;
  for (int i = 0; i < tones; ++i) {
    const double hz = erb_number_to_hz(low + (high - low) * i / (tones - 1));
    state = state * 1664525u + 1013904223u;
    const double phase = 2.0 * M_PI * (state >> 8) / double(1 << 24);
    const double ripple_phase = 2.0 * M_PI * scale / 6.0 * channel_position(hz);
    for (std::size_t n = 0; n < audio.samples.size(); ++n) {
      const double t = static_cast<double>(n) / kRate;
      const double amplitude = 1.0 + depth * std::sin(ripple_phase - 2.0 * M_PI * rate * t);
      audio.samples[n] += amplitude * std::sin(2.0 * M_PI * hz * t + phase);
    }
  }
  return audio;
}

// Mean over the middle channels (away from the filterbank's edges) of one feature row.
double middle_mean(const Matrix& features, int filter) {
  return features.row(filter).segment(40, 130).mean();
}

// The excitation of a tone spans its channel +-3 (the filters are 8 steps wide), so the
// spectral filter whose period (12 channels) matches that bump peaks on the tone's channel.
TEST(Spectemp, PureToneExcitesItsChannel) {
  const auto& centres = model().cochleagram().centre_frequencies();
  for (int channel : {50, 120, 170}) {
    Audio tone{std::vector<double>(40000), kRate};
    for (std::size_t n = 0; n < tone.samples.size(); ++n) {
      tone.samples[n] = std::sin(2.0 * M_PI * centres[static_cast<std::size_t>(channel)] *
                                 static_cast<double>(n) / kRate);
    }
    const Matrix features = model().features(tone);
    Eigen::Index peak = 0;
    features.row(filter_index(0.0, 0.5)).maxCoeff(&peak);
    EXPECT_EQ(peak, channel);
  }
}

// Every filter also sees the sound's onset (the model zero-pads before the first frame), so
// the modulation shows as the gain over the same carrier without modulation.
TEST(Spectemp, AmplitudeModulationExcitesItsRate) {
  const auto tone = [](double rate, double depth) {
    Audio sound{std::vector<double>(40000), kRate};
    for (std::size_t n = 0; n < sound.samples.size(); ++n) {
      const double t = static_cast<double>(n) / kRate;
      sound.samples[n] =
          (1.0 + depth * std::sin(2.0 * M_PI * rate * t)) * std::sin(2.0 * M_PI * 1000.0 * t);
    }
    return model().features(sound);
  };
  const Matrix steady = tone(0.0, 0.0);
  for (double rate : {4.0, 16.0}) {
    const Matrix modulated = tone(rate, 0.9);
    double best_rate = 0.0, best = -1.0;
    for (double candidate : {0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0}) {
      const int filter = filter_index(-candidate, 0.0);
      const double gain = modulated.row(filter).mean() / steady.row(filter).mean();
      if (gain > best) best = gain, best_rate = candidate;
    }
    EXPECT_EQ(best_rate, rate);
  }
}

// As for modulation, the gain over the same tone complex without ripple; among the band-pass
// scales (the top scale, 2, is a high-pass that also takes the compression's harmonics).
TEST(Spectemp, SpectralRippleExcitesItsScale) {
  const Matrix flat = model().features(moving_ripple(0.5, 0.0, 0.0));
  for (double scale : {0.25, 0.5, 1.0}) {
    const Matrix rippled = model().features(moving_ripple(scale, 0.0, 0.9));
    double best_scale = 0.0, best = -1.0;
    for (double candidate : {0.0625, 0.125, 0.25, 0.5, 1.0}) {
      const int filter = filter_index(0.0, candidate);
      const double gain = middle_mean(rippled, filter) / middle_mean(flat, filter);
      if (gain > best) best = gain, best_scale = candidate;
    }
    EXPECT_EQ(best_scale, scale);
  }
}

TEST(Spectemp, MovingRippleExcitesItsDirection) {
  const Matrix upward = model().features(moving_ripple(0.5, 8.0, 0.9));
  const Matrix downward = model().features(moving_ripple(0.5, -8.0, 0.9));
  const int up_filter = filter_index(-8.0, 0.5), down_filter = filter_index(8.0, 0.5);
  EXPECT_GT(middle_mean(upward, up_filter), 20.0 * middle_mean(upward, down_filter));
  EXPECT_GT(middle_mean(downward, down_filter), 20.0 * middle_mean(downward, up_filter));
}

TEST(Spectemp, PreprocessingCropsResamplesAndNormalises) {
  Audio tone{std::vector<double>(3 * 44100), 44100.0};
  for (std::size_t n = 0; n < tone.samples.size(); ++n) {
    tone.samples[n] = 0.3 + 0.5 * std::sin(2.0 * M_PI * 440.0 * static_cast<double>(n) / 44100.0);
  }
  const std::vector<double> x = spectemp_waveform(tone);
  ASSERT_EQ(x.size(), 40000u);
  double sum = 0.0, energy = 0.0;
  for (double value : x) sum += value, energy += value * value;
  EXPECT_NEAR(sum / 40000.0, 0.0, 1e-12);
  EXPECT_NEAR(std::sqrt(energy / 40000.0), 0.1, 1e-12);
  // A clip shorter than 2 s is the clip followed by silence, up to 2 s at its own rate.
  Audio short_tone{std::vector<double>(tone.samples.begin(), tone.samples.begin() + 44100),
                   44100.0};
  Audio padded = short_tone;
  padded.samples.resize(2 * 44100, 0.0);
  const std::vector<double> from_short = spectemp_waveform(short_tone);
  EXPECT_EQ(from_short, spectemp_waveform(padded));
  ASSERT_EQ(from_short.size(), 40000u);
  // Its second half, silence once demeaned, is one constant below zero.
  EXPECT_LT(from_short[30000], 0.0);
  EXPECT_NEAR(from_short[39999], from_short[30000], 1e-12);
  EXPECT_NE(from_short[10000], from_short[30000]);
  EXPECT_THROW(spectemp_waveform(Audio{{}, 20000.0}), InputError);

  // Crumpling paper has peaks above 10 x its RMS: they are clamped to full scale.
  const Audio audio = read_audio(std::string(BRAINALIGN_SHARED_DIR) +
                                 "/data/natsound165/wav/stim102_crumpling_paper.wav");
  const std::vector<double> clipped = spectemp_waveform(audio);
  double peak = 0.0;
  for (double value : clipped) peak = std::max(peak, std::abs(value));
  EXPECT_EQ(peak, 1.0);
  const Matrix features = model().features(audio);
  EXPECT_EQ(features.rows(), 111);
  EXPECT_EQ(features.cols(), 211);
}

TEST(Spectemp, SharedModelGivesTheSameFeaturesFromSeveralThreads) {
  std::vector<Audio> sounds;
  for (double hz : {300.0, 700.0, 1500.0, 3100.0}) {
    Audio sound{std::vector<double>(40000), kRate};
    for (std::size_t n = 0; n < sound.samples.size(); ++n) {
      const double t = static_cast<double>(n) / kRate;
      sound.samples[n] =
          std::sin(2.0 * M_PI * hz * t) * (1.0 + 0.5 * std::sin(2.0 * M_PI * 3.0 * t));
    }
    sounds.push_back(std::move(sound));
  }
  std::vector<Matrix> serial, parallel(sounds.size());
  for (const Audio& sound : sounds) serial.push_back(model().features(sound));
  std::vector<std::thread> threads;
  for (std::size_t worker = 0; worker < 2; ++worker) {
    threads.emplace_back([&, worker] {
      for (std::size_t i = worker; i < sounds.size(); i += 2)
        parallel[i] = model().features(sounds[i]);
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < sounds.size(); ++i) EXPECT_EQ(parallel[i], serial[i]) << i;
}

TEST(Spectemp, RejectsWrongShape) {
  EXPECT_THROW(model().filterbank().avgpool(Matrix::Zero(211, 389)), InputError);
}

}  // namespace
}  // namespace brainalign::dsp
