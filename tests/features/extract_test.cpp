#include "brainalign/features/extract.h"

#include <gtest/gtest.h>

#include <fstream>

#include "brainalign/base/error.h"
#include "brainalign/dsp/spectemp.h"
#include "brainalign/features/feature_cache.h"
#include "brainalign/io/npz.h"
#include "brainalign/models/registry.h"
#include "common/python_run.h"
#include "common/scratch_dir.h"

namespace brainalign {
namespace {

namespace fs = std::filesystem;
using brainalign::testing::ScratchDir;

const fs::path kSounds = fs::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/wav";
const std::vector<std::string> kStimuli = {"stim5_alarm_clock", "stim7_applause",
                                           "stim11_baby_crying", "stim103_crying"};

// A folder holding a few of the real stimuli.
fs::path copy_stimuli(const ScratchDir& dir) {
  const fs::path folder = dir / "sounds";
  fs::create_directories(folder);
  for (const auto& name : kStimuli)
    fs::copy_file(kSounds / (name + ".wav"), folder / (name + ".wav"));
  return folder;
}

features::ExtractOptions options_in(const ScratchDir& dir, int threads = 2) {
  features::ExtractOptions options;
  options.cache_dir = dir / "cache";
  options.threads = threads;
  return options;
}

TEST(ModelRegistry, ModelsHaveNamedLayersAndRates) {
  for (const auto& [name, layers, rate] :
       std::vector<std::tuple<std::string, std::vector<std::string>, double>>{
           {"spectemp", {"avgpool"}, 20000.0},
           {"cochleagram", {"cochleagram"}, 20000.0},
           {"mel", {"melspec", "melspec_db"}, 16000.0},
           {"mfcc", {"mfcc"}, 16000.0}}) {
    const auto model = models::make_model(name);
    EXPECT_EQ(model->name(), name);
    EXPECT_EQ(model->layer_names(), layers);
    EXPECT_EQ(model->sample_rate(), rate);
  }
  EXPECT_THROW(models::make_model("wav2vec9"), InputError);
  try {
    models::make_model("spectemp", fs::path("weights.pt"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no weights"), std::string::npos) << e.what();
  }
}

TEST(Extract, FeatureFileMatchesTheModelCalledDirectly) {
  ScratchDir dir;
  const auto files = features::list_audio_files(copy_stimuli(dir));
  ASSERT_EQ(files.size(), kStimuli.size());
  const auto model = models::make_model("spectemp");
  const auto extracted = features::extract_features(*model, files, options_in(dir));
  EXPECT_EQ(extracted.stimuli, kStimuli) << "natural order: stim5 < stim7 < stim11 < stim103";
  EXPECT_EQ(extracted.computed, 4);
  features::save_extracted_features(dir / "spectemp.npz", extracted);

  const features::FeatureSet loaded = features::load_feature_set(dir / "spectemp.npz");
  EXPECT_EQ(loaded.stimuli, kStimuli);
  ASSERT_EQ(loaded.layer_names(), std::vector<std::string>{"avgpool"});
  ASSERT_EQ(loaded.layers[0].values.rows(), 4);
  ASSERT_EQ(loaded.layers[0].values.cols(), 111 * 211);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto direct = model->forward(model->prepare(dsp::read_audio(files[i])));
    ASSERT_EQ(direct.size(), 1u);
    const Matrix expected = direct[0].values.colwise().mean();
    EXPECT_EQ(loaded.layers[0].values.row(static_cast<Eigen::Index>(i)), expected.row(0))
        << kStimuli[i];
  }
  // The shape of the time-averaged filters x channels map, flattened row-major.
  const dsp::SpectempModel reference;
  const Matrix map = reference.features(dsp::read_audio(files[0]));
  EXPECT_DOUBLE_EQ(loaded.layers[0].values(0, 5 * 211 + 17), map(5, 17));
}

TEST(Extract, RerunReadsTheCacheAndCorruptEntriesAreRedone) {
  ScratchDir dir;
  const auto files = features::list_audio_files(copy_stimuli(dir));
  const auto model = models::make_model("cochleagram");
  const auto first = features::extract_features(*model, files, options_in(dir));
  EXPECT_EQ(first.computed, 4);
  EXPECT_EQ(first.from_cache, 0);
  const auto second = features::extract_features(*model, files, options_in(dir));
  EXPECT_EQ(second.computed, 0);
  EXPECT_EQ(second.from_cache, 4);
  EXPECT_EQ(second.values, first.values);

  // Flip a byte in one entry and truncate another: both are computed again.
  const features::FeatureCache cache(dir / "cache");
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(dir / "cache" / "cochleagram")) {
    entries.push_back(entry.path());
  }
  ASSERT_EQ(entries.size(), 4u);
  {
    std::fstream f(entries[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  }
  fs::resize_file(entries[1], fs::file_size(entries[1]) / 2);
  const auto third = features::extract_features(*model, files, options_in(dir));
  EXPECT_EQ(third.computed, 2);
  EXPECT_EQ(third.from_cache, 2);
  EXPECT_EQ(third.values, first.values);

  // Another pooling is another key.
  auto none = options_in(dir);
  none.pooling = features::Pooling::kNone;
  EXPECT_EQ(features::extract_features(*model, files, none).computed, 4);
}

TEST(Extract, ThreadCountDoesNotChangeTheNumbers) {
  ScratchDir dir;
  const auto files = features::list_audio_files(copy_stimuli(dir));
  const auto model = models::make_model("mel");
  auto one = options_in(dir, 1);
  one.use_cache = false;
  auto three = options_in(dir, 3);
  three.use_cache = false;
  const auto a = features::extract_features(*model, files, one);
  const auto b = features::extract_features(*model, files, three);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.layers, (std::vector<std::string>{"melspec", "melspec_db"}));
  EXPECT_EQ(a.values[0][0].cols(), 128);
}

TEST(Extract, KeepingTimeNeedsClipsOfEqualLength) {
  ScratchDir dir;
  const fs::path folder = copy_stimuli(dir);
  const auto model = models::make_model("mfcc");
  auto options = options_in(dir);
  options.pooling = features::Pooling::kNone;
  const auto extracted =
      features::extract_features(*model, features::list_audio_files(folder), options);
  features::save_extracted_features(dir / "mfcc.npz", extracted);
  const auto members = io::read_npz(dir / "mfcc.npz");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].first, "mfcc");
  // 2 s at 16 kHz, hop 200, centred: 161 frames of 40 coefficients.
  EXPECT_EQ(members[0].second.shape(), (std::vector<std::size_t>{4, 161, 40}));

  ASSERT_TRUE(brainalign::testing::run_python(folder, R"(
import scipy.io.wavfile as wavfile
wavfile.write('short.wav', 16000, (0.1 * np.sin(np.arange(8000) * 0.05) * 32767).astype(np.int16))
)"));
  fs::remove(folder / "snippet.py");
  const auto mixed =
      features::extract_features(*model, features::list_audio_files(folder), options);
  try {
    features::save_extracted_features(dir / "mixed.npz", mixed);
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_EQ(e.argument(), "pool");
    EXPECT_NE(std::string(e.what()).find("short"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("pool with 'mean'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "mixed.npz"));
}

TEST(Extract, BadAudioNamesTheFile) {
  ScratchDir dir;
  const fs::path folder = copy_stimuli(dir);
  std::ofstream(folder / "stim900_broken.wav") << "RIFF but not really a wave file";
  const auto model = models::make_model("spectemp");
  try {
    features::extract_features(*model, features::list_audio_files(folder), options_in(dir));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("stim900_broken.wav"), std::string::npos) << e.what();
  }
  fs::remove(folder / "stim900_broken.wav");
  // Silence, which the spectemp model cannot scale to its RMS: the message names file and model.
  ASSERT_TRUE(brainalign::testing::run_python(folder, R"(
import scipy.io.wavfile as wavfile
wavfile.write('stim901_silent.wav', 20000, np.zeros(40000, dtype=np.int16))
)"));
  try {
    features::extract_features(*model, features::list_audio_files(folder), options_in(dir));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("stim901_silent.wav"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("spectemp"), std::string::npos) << e.what();
  }
  EXPECT_THROW(features::list_audio_files(dir / "nowhere"), InputError);
  EXPECT_THROW(features::resolve_stimuli((dir / "nowhere").string()), InputError);
}

}  // namespace
}  // namespace brainalign
