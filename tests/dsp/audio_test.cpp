#include "brainalign/dsp/audio.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "brainalign/base/error.h"
#include "common/python_run.h"
#include "common/scratch_dir.h"
#include "dsp/npy_for_tests.h"

namespace brainalign::dsp {
namespace {

namespace fs = std::filesystem;

const fs::path kStimuli = fs::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/wav";

// A scratch folder for files written by the tests, removed afterwards.
class AudioFiles : public ::testing::Test {
 protected:
  // Runs a Python snippet with numpy and scipy imported and `folder` set to the scratch folder.
  void python(const std::string& code) {
    ASSERT_TRUE(brainalign::testing::run_python(folder_,
                                                "import scipy.io.wavfile as wavfile\n"
                                                "import scipy.signal\nfolder = '" +
                                                    folder_.string() + "'\n" + code));
  }

  const brainalign::testing::ScratchDir scratch_;
  const fs::path folder_ = scratch_.path();
};

TEST_F(AudioFiles, ReadsEveryStimulus) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kStimuli)) {
    if (entry.path().extension() != ".wav") continue;
    const Audio audio = read_audio(entry.path());
    EXPECT_EQ(audio.sample_rate, 44100.0) << entry.path();
    EXPECT_EQ(audio.samples.size(), 88200u) << entry.path();
    ++count;
  }
  EXPECT_EQ(count, 165);
}

TEST_F(AudioFiles, ScalesSixteenBitPcmLikeScipyDividedByFullScale) {
  const fs::path stimulus = kStimuli / "stim102_crumpling_paper.wav";
  python("rate, x = wavfile.read('" + stimulus.string() +
         "')\n"
         "np.save(folder + '/x.npy', x.astype(np.float64) / 32768.0)");
  const auto expected = testing::load_npy((folder_ / "x.npy").string());
  const Audio audio = read_audio(stimulus);
  ASSERT_EQ(audio.samples.size(), expected.values.size());
  for (std::size_t i = 0; i < audio.samples.size(); ++i) {
    ASSERT_EQ(audio.samples[i], expected.values[i]) << i;
  }
}

TEST_F(AudioFiles, MixesChannelsDownToTheirMean) {
  python(
      "t = np.arange(1000) / 8000.0\n"
      "left = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)\n"
      "right = (0.25 * np.cos(2 * np.pi * 300 * t)).astype(np.float32)\n"
      "wavfile.write(folder + '/stereo.wav', 8000, np.stack([left, right], axis=1))\n"
      "np.save(folder + '/mono.npy', (left.astype(np.float64) + right) / 2)");
  const Audio audio = read_audio(folder_ / "stereo.wav");
  const auto expected = testing::load_npy((folder_ / "mono.npy").string());
  EXPECT_EQ(audio.sample_rate, 8000.0);
  ASSERT_EQ(audio.samples.size(), 1000u);
  for (std::size_t i = 0; i < 1000; ++i) EXPECT_NEAR(audio.samples[i], expected.values[i], 1e-15);
}

TEST_F(AudioFiles, ReadsFlac) {
  const fs::path flac = folder_ / "tone.flac";
  const std::string command =
      "sox -n -r 22050 -b 16 " + flac.string() + " synth 0.5 sine 1000 vol 0.5 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const Audio audio = read_audio(flac);
  EXPECT_EQ(audio.sample_rate, 22050.0);
  EXPECT_EQ(audio.samples.size(), 11025u);
}

TEST_F(AudioFiles, RejectsBadFilesNamingThem) {
  const auto expect_input_error = [](const fs::path& path, const std::string& words) {
    try {
      read_audio(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const InputError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find(path.string()), std::string::npos) << message;
      EXPECT_NE(message.find(words), std::string::npos) << message;
    }
  };
  expect_input_error(folder_ / "missing.wav", "does not exist");

  std::ofstream(folder_ / "text.wav") << "this is not audio at all, just some words\n";
  expect_input_error(folder_ / "text.wav", "cannot read");

  std::ofstream(folder_ / "notes.xyz") << "plain text";
  expect_input_error(folder_ / "notes.xyz", "cannot read");

  python(
      "wavfile.write(folder + '/empty.wav', 16000, np.zeros(0, dtype=np.int16))\n"
      "x = np.zeros(100, dtype=np.float32); x[10] = np.nan\n"
      "wavfile.write(folder + '/nan.wav', 16000, x)\n"
      "x = np.zeros(100, dtype=np.float32); x[20] = np.inf\n"
      "wavfile.write(folder + '/inf.wav', 16000, x)\n"
      "data = open(folder + '/nan.wav', 'rb').read()\n"
      "open(folder + '/truncated.wav', 'wb').write(data[:30])");
  expect_input_error(folder_ / "empty.wav", "no samples");
  expect_input_error(folder_ / "nan.wav", "non-finite");
  expect_input_error(folder_ / "inf.wav", "non-finite");
  expect_input_error(folder_ / "truncated.wav", "cannot read");
}

// A FLAC stream's STREAMINFO declares its frame count (36 bits) and channels: a file of 4,000
// mono frames rewritten to declare 2^36 - 1 frames of 8 channels once made read_audio allocate
// 4 TB before reading (found by reading the reader while writing fuzz_audio).
TEST(Audio, AFlacDeclaringMoreFramesThanItHoldsIsAnInputError) {
  const fs::path file = fs::path(BRAINALIGN_TEST_DIR) /
                        "io/regressions/audio/flac_declaring_2e36_frames_of_8_channels.flac";
  try {
    (void)read_audio(file);
    FAIL() << "read " << file;
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    EXPECT_NE(message.find("of the 68719476735 frames its header declares"), std::string::npos)
        << message;
  }
}

TEST(Resample, KeepsASineAndItsLength) {
  std::vector<double> tone(44100);
  for (std::size_t i = 0; i < tone.size(); ++i) {
    tone[i] = std::sin(2.0 * M_PI * 440.0 * static_cast<double>(i) / 44100.0);
  }
  const std::vector<double> out = resample(tone, 44100.0, 16000.0);
  ASSERT_EQ(out.size(), 16000u);
  double worst = 0.0;
  for (std::size_t i = 1000; i < 15000; ++i) {
    const double expected = std::sin(2.0 * M_PI * 440.0 * static_cast<double>(i) / 16000.0);
    worst = std::max(worst, std::abs(out[i] - expected));
  }
  EXPECT_LT(worst, 1e-5);
  EXPECT_EQ(resample(tone, 44100.0, 44100.0), tone);
  EXPECT_THROW(resample(tone, 0.0, 16000.0), InputError);
}

TEST_F(AudioFiles, ResamplePolyMatchesScipy) {
  const fs::path stimulus = kStimuli / "stim103_crying.wav";
  python("rate, x = wavfile.read('" + stimulus.string() +
         "')\n"
         "x = x.astype(np.float64) / 32768.0\n"
         "np.save(folder + '/y.npy', scipy.signal.resample_poly(x, 20000, 44100))\n"
         "np.save(folder + '/z.npy', scipy.signal.resample_poly(x[:1001], 3, 2))");
  const Audio audio = read_audio(stimulus);
  const auto expected = testing::load_npy((folder_ / "y.npy").string());
  const std::vector<double> down = resample_poly(audio.samples, 20000, 44100);
  ASSERT_EQ(down.size(), 40000u);
  ASSERT_EQ(expected.values.size(), 40000u);
  double worst = 0.0;
  for (std::size_t i = 0; i < down.size(); ++i) {
    worst = std::max(worst, std::abs(down[i] - expected.values[i]));
  }
  EXPECT_LT(worst, 1e-12);

  const auto expected_up = testing::load_npy((folder_ / "z.npy").string());
  const std::vector<double> up =
      resample_poly(std::vector<double>(audio.samples.begin(), audio.samples.begin() + 1001), 3, 2);
  ASSERT_EQ(up.size(), expected_up.values.size());
  for (std::size_t i = 0; i < up.size(); ++i) EXPECT_NEAR(up[i], expected_up.values[i], 1e-12);
}

TEST(Level, CutOrPadAndRmsNormalise) {
  const std::vector<double> samples = {3.0, -4.0, 0.0, 0.0};
  EXPECT_EQ(cut_or_pad(samples, 2), (std::vector<double>{3.0, -4.0}));
  EXPECT_EQ(cut_or_pad(samples, 6), (std::vector<double>{3.0, -4.0, 0.0, 0.0, 0.0, 0.0}));
  const std::vector<double> scaled = rms_normalise(samples, 0.1);
  EXPECT_NEAR(scaled[0], 0.12, 1e-15);
  EXPECT_NEAR(scaled[1], -0.16, 1e-15);
  EXPECT_THROW(rms_normalise({0.0, 0.0}, 0.1), InputError);
  EXPECT_THROW(rms_normalise({}, 0.1), InputError);
}

}  // namespace
}  // namespace brainalign::dsp
