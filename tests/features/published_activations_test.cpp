// The 2023 release's published activations read natively, checked against what NumPy and h5py
// read from the same files (tests/features/make_published_activations.py writes a miniature
// archive in the release's exact layout and the reference).
#include "brainalign/features/published_activations.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "brainalign/base/error.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/features/extract.h"
#include "brainalign/features/feature_set.h"
#include "brainalign/models/model_catalog.h"
#include "brainalign/models/registry.h"
#include "common/python_run.h"
#include "common/scratch_dir.h"

namespace brainalign {
namespace {

namespace fs = std::filesystem;
using brainalign::testing::ScratchDir;

const fs::path kSounds = fs::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/wav";

class PublishedActivations : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir();
    ASSERT_TRUE(testing::run_python_file(
        dir_->path(), fs::path(BRAINALIGN_TEST_DIR) / "features/make_published_activations.py",
        {(dir_->path() / "mini").string()}));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path mini() { return dir_->path() / "mini"; }
  static fs::path folder(const std::string& model) { return mini() / "model_actv" / model; }

  // The reference: each layer as NumPy read it (np.savez), rows named by __stimuli__.
  static features::FeatureSet reference(const std::string& name) {
    return features::load_feature_set(mini() / "expected" / (name + ".npz"));
  }

  static void expect_equal_to_reference(const features::FeatureSet& set, const std::string& name) {
    const features::FeatureSet ref = reference(name);
    EXPECT_EQ(set.stimuli, ref.stimuli) << name;
    ASSERT_EQ(set.layer_names(), ref.layer_names()) << name;  // the study's order
    for (std::size_t l = 0; l < ref.layers.size(); ++l) {
      ASSERT_EQ(set.layers[l].values.rows(), ref.layers[l].values.rows()) << name;
      ASSERT_EQ(set.layers[l].values.cols(), ref.layers[l].values.cols()) << name;
      EXPECT_TRUE(set.layers[l].values == ref.layers[l].values)
          << name << " " << ref.layers[l].name;
    }
  }

  static ScratchDir* dir_;
};
ScratchDir* PublishedActivations::dir_ = nullptr;

TEST_F(PublishedActivations, PicklesPerSoundReadAsNumpyReadsThem) {
  for (const std::string model : {"S2T", "sepformer"}) {
    const auto trained = features::read_published_activations(folder(model));
    EXPECT_EQ(trained.stimuli.size(), 165u);
    expect_equal_to_reference(trained, model);
    expect_equal_to_reference(features::read_published_activations(folder(model), true),
                              model + "_randnetw");
  }
  // The sepformer's study layers, named as the 2023 study names them.
  const auto set = features::read_published_activations(folder("sepformer"));
  ASSERT_EQ(set.layers.size(), 33u);
  EXPECT_EQ(set.layers.front().name, "Embedding");
  EXPECT_EQ(set.layers.back().name, "Encoder_32");
}

TEST_F(PublishedActivations, Hdf5LayersReadAsH5pyReadsThem) {
  expect_equal_to_reference(features::read_published_activations(folder("Kell2018word")),
                            "Kell2018word");
  expect_equal_to_reference(features::read_published_activations(folder("Kell2018word"), true),
                            "Kell2018word_randnetw");
  // ResNet50music stores conv1_relu1 as 'relu1'.
  expect_equal_to_reference(features::read_published_activations(folder("ResNet50music")),
                            "ResNet50music");
  expect_equal_to_reference(features::read_published_activations(folder("spectemp")), "spectemp");
  EXPECT_THROW(features::read_published_activations(folder("spectemp"), true), InputError);
}

TEST_F(PublishedActivations, ACopyUnderAnotherNameReadsAsTheModelGiven) {
  ScratchDir dir;
  fs::copy(folder("Kell2018word"), dir / "copy");
  expect_equal_to_reference(
      features::read_published_activations(dir / "copy", false, "Kell2018word"), "Kell2018word");
  try {
    features::read_published_activations(dir / "copy");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'copy' is not a model of the 2023 release"),
              std::string::npos)
        << e.what();
  }
}

std::string error_of(const fs::path& folder, const std::string& model = "") {
  try {
    features::read_published_activations(folder, false, model);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(PublishedActivations, BadInputIsOneClearMessage) {
  ScratchDir dir;
  const fs::path s2t = dir / "S2T";
  fs::copy(folder("S2T"), s2t);
  // A sound missing.
  fs::remove(s2t / "stim7_applause_activations.pkl");
  std::string e = error_of(s2t);
  EXPECT_NE(e.find("no activations for the sound 'stim7_applause' (expected "
                   "stim7_applause_activations.pkl)"),
            std::string::npos)
      << e;
  fs::copy_file(folder("S2T") / "stim7_applause_activations.pkl",
                s2t / "stim7_applause_activations.pkl");
  // A truncated pickle.
  const fs::path file = s2t / "stim11_baby_crying_activations.pkl";
  fs::resize_file(file, fs::file_size(file) / 2);
  e = error_of(s2t);
  EXPECT_NE(e.find(file.string()), std::string::npos) << e;
  fs::copy_file(folder("S2T") / "stim11_baby_crying_activations.pkl", file,
                fs::copy_options::overwrite_existing);
  // A sound that is not one of the 165.
  fs::copy_file(file, s2t / "stim999_other_activations.pkl");
  e = error_of(s2t);
  EXPECT_NE(e.find("'stim999_other' is not one of the 165 natural sounds"), std::string::npos) << e;
  fs::remove(s2t / "stim999_other_activations.pkl");
  // A pickle of something else than a dict of arrays.
  ASSERT_TRUE(testing::run_python(
      dir.path(), "import pickle\npickle.dump({'Embedding': [1.0, 2.0]}, open('" +
                      (s2t / "stim5_alarm_clock_activations.pkl").string() + "', 'wb'))"));
  e = error_of(s2t);
  EXPECT_NE(e.find("stim5_alarm_clock_activations.pkl: key 'Embedding': expected a NumPy array"),
            std::string::npos)
      << e;

  // An HDF5 file without a layer's dataset, or with rows that are not the 165 sounds.
  const fs::path kell = dir / "Kell2018word";
  fs::create_directories(kell);
  ASSERT_TRUE(testing::run_python(
      kell,
      "import h5py\nf = h5py.File('natsound_activations.h5', 'w')\n"
      "f['layer_list'] = np.array([b'relu0'])\nf['relu0'] = np.zeros((165, 3))\n"
      "f['maxpool0'] = np.zeros((164, 3))\nf.close()"));
  e = error_of(kell);
  EXPECT_NE(e.find("dataset 'maxpool0' has shape (164, 3), expected (165 sounds, features)"),
            std::string::npos)
      << e;
  EXPECT_NE(error_of(kell / "nothing", "Kell2018word").find("no natsound_activations.h5"),
            std::string::npos);
}

TEST_F(PublishedActivations, TheModelServesEachOfThe165SoundsByContent) {
  const auto model = features::make_published_activations_model(
      "sepformer-test", folder("sepformer"), false, "sepformer", kSounds);
  const auto set = features::read_published_activations(folder("sepformer"));
  EXPECT_EQ(model->layer_names(), set.layer_names());
  EXPECT_EQ(model->published_layers("tuckute2023"), set.layer_names());
  EXPECT_EQ(model->published_layers("pepino2025"), set.layer_names());
  for (const std::string sound : {"stim5_alarm_clock", "stim103_crying", "stim7_applause"}) {
    const auto row = static_cast<Eigen::Index>(
        std::find(set.stimuli.begin(), set.stimuli.end(), sound) - set.stimuli.begin());
    const auto layers = model->forward(model->prepare(dsp::read_audio(kSounds / (sound + ".wav"))));
    ASSERT_EQ(layers.size(), set.layers.size());
    for (std::size_t l = 0; l < layers.size(); ++l) {
      EXPECT_EQ(layers[l].layer, set.layers[l].name);
      ASSERT_EQ(layers[l].values.rows(), 1);
      EXPECT_TRUE(layers[l].values.row(0).isApprox(set.layers[l].values.row(row), 0.0)) << sound;
    }
  }
  // Any other audio.
  dsp::Audio other = dsp::read_audio(kSounds / "stim5_alarm_clock.wav");
  other.samples[100] += 1e-3;
  try {
    model->forward(other);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("exist only for the 165 natural sounds"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(PublishedActivations, CataloguedNamesRunFromThemThroughExtraction) {
  ScratchDir dir;
  // A data root holding the sounds and the unpacked archive.
  fs::create_directories(dir / "data/natsound165");
  fs::create_directory_symlink(kSounds, dir / "data/natsound165/wav");
  for (const auto* f : {"category_labels.csv", "components.mat"})
    fs::copy_file(kSounds.parent_path() / f, dir / "data/natsound165" / f);
  fs::copy(mini() / "model_actv", dir / "data/model_actv", fs::copy_options::recursive);
  ::setenv("BRAINALIGN_DATA", (dir / "data").c_str(), 1);
  features::register_published_activations();

  const auto* entry = models::find_published_model("speechbrain:sepformer-whamr");
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(entry->runs());
  EXPECT_EQ(entry->runs_as, "tuckute2023-activations:sepformer");
  EXPECT_NE(entry->notes.find("published activations"), std::string::npos);
  EXPECT_TRUE(models::is_fetched(*entry));
  EXPECT_EQ(models::model_folder(*entry), dir / "data/model_actv/sepformer");
  models::check_model_name("speechbrain:sepformer-whamr");

  const std::vector<fs::path> files = {kSounds / "stim11_baby_crying.wav",
                                       kSounds / "stim5_alarm_clock.wav"};
  features::ExtractOptions options;
  options.use_cache = false;
  for (const auto& [name, reference_name] :
       {std::pair{"speechbrain:sepformer-whamr", "sepformer"},
        {"cnn9:word:permuted", "Kell2018word_randnetw"},
        {"hf:facebook/s2t-large-librispeech-asr:permuted", "S2T_randnetw"}}) {
    const auto model = models::make_model(name);
    EXPECT_EQ(model->name(), name);
    const auto extracted =
        features::to_feature_set(features::extract_features(*model, files, options));
    const features::FeatureSet ref = reference(reference_name);
    ASSERT_EQ(extracted.layer_names(), ref.layer_names()) << name;
    for (std::size_t i = 0; i < files.size(); ++i) {
      const auto row = static_cast<Eigen::Index>(
          std::find(ref.stimuli.begin(), ref.stimuli.end(), extracted.stimuli[i]) -
          ref.stimuli.begin());
      for (std::size_t l = 0; l < ref.layers.size(); ++l)
        EXPECT_TRUE(extracted.layers[l].values.row(static_cast<Eigen::Index>(i)) ==
                    ref.layers[l].values.row(row))
            << name << " " << ref.layers[l].name << " " << extracted.stimuli[i];
    }
  }
  // A sound file that is not one of the 165: extraction names it and says why.
  ScratchDir sounds;
  ASSERT_TRUE(testing::run_python(sounds.path(),
                                  "import scipy.io.wavfile as w\nw.write('odd.wav', 16000, "
                                  "(np.sin(np.arange(32000) / 7.0) * 8000).astype(np.int16))"));
  try {
    features::ExtractOptions o;
    o.use_cache = false;
    const auto sepformer = models::make_model("speechbrain:sepformer-whamr");
    features::extract_features(*sepformer, {sounds / "odd.wav"}, o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("odd.wav"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("exist only for the 165 natural sounds"),
              std::string::npos)
        << e.what();
  }
  ::unsetenv("BRAINALIGN_DATA");
}

}  // namespace
}  // namespace brainalign

namespace brainalign {
namespace {

// The native spectemp port against the 2023 release's published spectemp activations, when the
// archive is here ($BRAINALIGN_TUCKUTE2023_ACTIVATIONS naming its model_actv folder, else
// <data root>/model_actv); skipped with a message when it is not.
TEST(PublishedActivationsParity, SpectempPortMatchesThePublishedActivations) {
  const char* env = std::getenv("BRAINALIGN_TUCKUTE2023_ACTIVATIONS");
  const std::filesystem::path root = env != nullptr && *env != '\0'
                                         ? std::filesystem::path(env)
                                         : features::published_activations_root();
  if (!std::filesystem::exists(root / "spectemp/natsound_activations.h5"))
    GTEST_SKIP() << "the 2023 release's activations are not here (" << root.string()
                 << "): `brainalign fetch tuckute2023-activations` or "
                    "BRAINALIGN_TUCKUTE2023_ACTIVATIONS=<model_actv folder>";
  const auto published = features::read_published_activations(root / "spectemp");
  const auto port = models::make_model("spectemp");
  const std::filesystem::path sounds =
      std::filesystem::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/wav";
  for (const std::string sound : {"stim5_alarm_clock", "stim103_crying", "stim232_man_speaking"}) {
    const auto row = static_cast<Eigen::Index>(
        std::find(published.stimuli.begin(), published.stimuli.end(), sound) -
        published.stimuli.begin());
    const auto layers = port->forward(port->prepare(dsp::read_audio(sounds / (sound + ".wav"))));
    const Eigen::RowVectorXd ours = layers.at(0).values.row(0);
    const Eigen::RowVectorXd theirs = published.layers.at(0).values.row(row);
    ASSERT_EQ(ours.size(), theirs.size());
    EXPECT_LT((ours - theirs).cwiseAbs().maxCoeff(), 1e-3 * theirs.cwiseAbs().maxCoeff()) << sound;
  }
}

}  // namespace
}  // namespace brainalign
