// VGGish against torchvggish (tests/reference/torchvggish_reference.py, checked to give the
// same numbers as harritaylor/torchvggish's own code): a tiny model of the real architecture
// made by tests/neural/make_vggish_golden.py in a scratch folder, every hooked layer compared.
#include "brainalign/neural/families/vggish/vggish.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "brainalign/base/error.h"
#include "brainalign/dsp/vggish_logmel.h"
#include "brainalign/models/model.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"
#include "brainalign/neural/model_families.h"
#include "common/command_run.h"
#include "common/error_message.h"
#include "common/generated_files.h"
#include "common/golden.h"
#include "common/scratch_dir.h"

namespace brainalign::neural {
namespace {

namespace fs = std::filesystem;
using brainalign::testing::error_message;
using brainalign::testing::GeneratedFilesTest;
using brainalign::testing::golden_values;
using brainalign::testing::read_golden;
using brainalign::testing::read_npz_contents;
using brainalign::testing::relative_error;
using brainalign::testing::run_command;
using brainalign::testing::ScratchDir;

constexpr double kTolerance = 1e-4;
const fs::path kSounds = fs::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/wav";
const std::vector<std::string> kStimuli = {"stim5_alarm_clock", "stim7_applause"};

class VggishTest : public GeneratedFilesTest<VggishTest> {
 protected:
  static void SetUpTestSuite() {
    register_model_families();
    std::vector<std::string> arguments = {kSounds.string()};
    arguments.insert(arguments.end(), kStimuli.begin(), kStimuli.end());
    generate("neural/make_vggish_golden.py", arguments);
  }
  static std::vector<double> input() { return golden_values(at("input.npy")); }
};

TEST_F(VggishTest, FrontEndMatchesMelFeatures) {
  std::vector<std::int64_t> shape;
  const std::vector<double> expected = golden_values(at("log_mel.npy"), &shape);
  const Matrix log_mel = dsp::vggish_log_mel(input());
  ASSERT_EQ(shape, (std::vector<std::int64_t>{log_mel.rows(), log_mel.cols()}));
  double error = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    error = std::max(error, std::abs(log_mel.data()[i] - expected[i]));
  }
  std::printf("vggish log mel (%ld x %ld) max abs error %.2e\n", static_cast<long>(log_mel.rows()),
              static_cast<long>(log_mel.cols()), error);
  EXPECT_LT(error, 1e-9);

  const at::Tensor examples = VggishModel::examples(input());
  const double example_error = relative_error(examples.squeeze(1), read_golden(at("examples.npy")));
  std::printf("vggish examples %s max relative error %.2e\n", c10::str(examples.sizes()).c_str(),
              example_error);
  EXPECT_EQ(examples.sizes().vec(), (std::vector<std::int64_t>{2, 1, 96, 64}));
  EXPECT_LT(example_error, 1e-7);
}

TEST_F(VggishTest, FrontEndFramesWholeExamplesOnly) {
  // 15600 samples: 96 frames of 400 every 160, exactly one example; one fewer is too short.
  EXPECT_EQ(dsp::vggish_examples(std::vector<double>(15600, 0.1)).size(), 1u);
  EXPECT_EQ(dsp::vggish_examples(std::vector<double>(15600 + 96 * 160 - 1, 0.1)).size(), 1u);
  EXPECT_EQ(dsp::vggish_examples(std::vector<double>(15600 + 96 * 160, 0.1)).size(), 2u);
  const std::string message =
      error_message<InputError>([] { dsp::vggish_examples(std::vector<double>(15599, 0.1)); });
  EXPECT_NE(message.find("VGGish needs at least 15600 samples"), std::string::npos) << message;
  // The mel matrix: no weight on the DC bin, each band a triangle peaking near 1.
  const Matrix weights = dsp::vggish_mel_matrix(257, 16000.0, 64, 125.0, 7500.0);
  EXPECT_EQ(weights.row(0).norm(), 0.0);
  EXPECT_GT(weights.colwise().maxCoeff().minCoeff(), 0.5);
}

TEST_F(VggishTest, MatchesEveryHookedLayer) {
  const VggishModel model = VggishModel::load(at("vggish_tiny.pth"));
  EXPECT_EQ(model.config().conv_channels, (std::vector<std::int64_t>{4, 8, 8, 8, 16, 16}));
  EXPECT_EQ(model.config().fc_widths, (std::vector<std::int64_t>{32, 32, 16}));
  const auto expected = layers();
  ASSERT_EQ(expected.size(), 22u);
  EXPECT_EQ(model.layer_names().size(), expected.size());
  const std::vector<HiddenState> states = model.forward(VggishModel::examples(input()));
  ASSERT_EQ(states.size(), expected.size());
  for (std::size_t i = 0; i < states.size(); ++i) {
    const auto& [study, module] = expected[i];
    EXPECT_EQ(model.layer_names()[i], study);
    EXPECT_EQ(states[i].name, module);
    const double error = relative_error(states[i].value, at("layer." + study + ".npy"));
    std::printf("vggish %-12s %-14s max relative error %.2e\n", study.c_str(), module.c_str(),
                error);
    EXPECT_LT(error, kTolerance) << study;
  }
}

TEST_F(VggishTest, RegistryLayersAreTheStudysLayout) {
  // As an AudioModel: conv layers as (examples * time, channels, mel), examples in turn; their
  // mean over rows is the 2023 read-out (mean over time, then over examples).
  const VggishModel model = VggishModel::load(at("vggish_tiny.pth"));
  const std::vector<at::Tensor> layers = model.forward_samples(input());
  const auto names = model.layer_names();
  ASSERT_EQ(layers.size(), names.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const at::Tensor reference = read_golden(at("layer." + names[i] + ".npy"));
    at::Tensor expected = reference;
    if (reference.dim() == 4) {
      expected = reference.permute({0, 2, 1, 3})
                     .reshape({reference.size(0) * reference.size(2), reference.size(1),
                               reference.size(3)});
    }
    EXPECT_EQ(layers[i].sizes().vec(), expected.sizes().vec()) << names[i];
    EXPECT_LT(relative_error(layers[i], expected), kTolerance) << names[i];
  }
}

TEST_F(VggishTest, LegacyFormatLoadsTheSameWeights) {
  EXPECT_TRUE(is_legacy_torch_file(at("vggish_tiny_legacy.pth")));
  EXPECT_FALSE(is_legacy_torch_file(at("vggish_tiny.pth")));
  const std::map<std::string, at::Tensor> legacy =
      read_legacy_state_dict(at("vggish_tiny_legacy.pth"));
  ASSERT_EQ(legacy.size(), 18u);
  const auto keys = legacy_state_dict_keys(at("vggish_tiny_legacy.pth"));
  EXPECT_NE(std::find(keys.begin(), keys.end(), "embeddings.4.bias"), keys.end());
  const VggishModel zip = VggishModel::load(at("vggish_tiny.pth"));
  const VggishModel old = VggishModel::load(at("vggish_tiny_legacy.pth"));
  const at::Tensor examples = VggishModel::examples(input());
  const auto a = zip.forward(examples);
  const auto b = old.forward(examples);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i].value, b[i].value));
}

TEST_F(VggishTest, RegistryModelByFamilyAndAuto) {
  for (const std::string file : {"vggish_tiny.pth", "vggish_tiny_legacy.pth"}) {
    for (const std::string prefix : {"vggish:", "auto:"}) {
      const auto model = models::make_model(prefix + at(file).string());
      EXPECT_EQ(model->name(), "vggish:" + fs::path(file).stem().string());
      EXPECT_EQ(model->sample_rate(), 16000.0);
      EXPECT_EQ(model->layer_names().size(), 22u);
      const std::vector<std::string> tuckute = {
          "ReLU_1", "MaxPool2d_1", "ReLU_2",      "MaxPool2d_2", "ReLU_3", "ReLU_4", "MaxPool2d_3",
          "ReLU_5", "ReLU_6",      "MaxPool2d_4", "ReLU_7",      "ReLU_8", "ReLU_9"};
      EXPECT_EQ(model->published_layers("tuckute2023"), tuckute);
      const std::vector<std::string> pepino = {
          "ReLU_1", "ReLU_2", "ReLU_3",      "ReLU_4",      "ReLU_5",      "ReLU_6",     "ReLU_7",
          "ReLU_8", "ReLU_9", "MaxPool2d_1", "MaxPool2d_2", "MaxPool2d_3", "MaxPool2d_4"};
      EXPECT_EQ(model->published_layers("pepino2025"), pepino);
    }
  }
}

TEST_F(VggishTest, BadInputGetsOneClearMessage) {
  // Another family's checkpoint.
  const std::string beats = (brainalign::testing::golden_dir("beats_like") / "model.pt").string();
  std::string message = error_message([&] { models::make_model("vggish:" + beats); });
  EXPECT_NE(message.find(beats + " is a BEATs checkpoint, not a VGGish checkpoint"),
            std::string::npos)
      << message;
  // A state_dict of something else (Dasheng's weights alone are no family's).
  message = error_message([&] { VggishModel::load(beats); });
  EXPECT_NE(message.find("not a VGGish state_dict"), std::string::npos) << message;
  // Truncated downloads, both formats.
  for (const std::string file : {"vggish_tiny.pth", "vggish_tiny_legacy.pth"}) {
    const fs::path cut = at("cut_" + file);
    fs::copy_file(at(file), cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, fs::file_size(cut) / 2);
    message = error_message([&] { models::make_model("vggish:" + cut.string()); });
    EXPECT_NE(message.find(cut.string()), std::string::npos) << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  }
  // A tensor of the wrong shape, a missing one, an extra one.
  std::map<std::string, at::Tensor> tensors = read_legacy_state_dict(at("vggish_tiny_legacy.pth"));
  auto broken = tensors;
  broken["features.3.weight"] = at::zeros({8, 5, 3, 3});
  message = error_message([&] { VggishModel::from_state_dict(broken, "x.pth"); });
  EXPECT_NE(message.find("x.pth: tensor 'features.3.weight' has shape [8, 5, 3, 3], VGGish "
                         "expects [*, 4, 3, 3]"),
            std::string::npos)
      << message;
  broken = tensors;
  broken.erase("embeddings.2.bias");
  message = error_message([&] { VggishModel::from_state_dict(broken, "x.pth"); });
  EXPECT_NE(message.find("tensor 'embeddings.2.bias' is missing"), std::string::npos) << message;
  broken = tensors;
  broken["head.weight"] = at::zeros({2});
  message = error_message([&] { VggishModel::from_state_dict(broken, "x.pth"); });
  EXPECT_NE(message.find("tensor 'head.weight' is not part of VGGish"), std::string::npos)
      << message;
  // The postprocessor's PCA tensors are not VGGish's but do not make it fail.
  broken = tensors;
  broken["pproc.pca_means"] = at::zeros({16, 1});
  EXPECT_NO_THROW(VggishModel::from_state_dict(broken, "x.pth"));
  // Audio shorter than one example.
  const auto model = models::make_model("vggish:" + at("vggish_tiny.pth").string());
  message = error_message<InputError>([&] {
    model->forward(dsp::Audio{std::vector<double>(8000, 0.1), 16000.0});
  });
  EXPECT_NE(message.find("VGGish needs at least 15600 samples"), std::string::npos) << message;
}

TEST_F(VggishTest, ExtractGivesTheStudysReadOut) {
  // brainalign extract on real sounds (resampled to 16 kHz by the generator, so that both sides
  // read the same samples) against the 2023 extraction's averages of torchvggish's outputs.
  const ScratchDir out;
  for (const std::string file : {"vggish_tiny.pth", "vggish_tiny_legacy.pth"}) {
    const auto run =
        run_command({BRAINALIGN_CLI, "extract", "--model", "vggish:" + at(file).string(),
                     "--stimuli", at("stimuli").string(), "--out", (out / "f.npz").string(),
                     "--layers", "all", "--threads", "2", "--no-cache", "--quiet"});
    ASSERT_EQ(run.status, 0) << run.output;
    const auto written = read_npz_contents(out / "f.npz");
    const auto reference = read_npz_contents(at("reference.npz"));
    for (const auto& [layer, expected] : reference.arrays) {
      ASSERT_TRUE(written.arrays.contains(layer)) << layer;
      const std::vector<double> a = written.arrays.at(layer).to_doubles();
      const std::vector<double> b = expected.to_doubles();
      ASSERT_EQ(a.size(), b.size()) << layer;
      double diff = 0.0, scale = 0.0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(a[i] - b[i]));
        scale = std::max(scale, std::abs(b[i]));
      }
      std::printf("vggish extract %-24s %-12s max relative error %.2e\n", file.c_str(),
                  layer.c_str(), diff / scale);
      EXPECT_LT(diff / scale, kTolerance) << layer;
    }
  }
}

}  // namespace
}  // namespace brainalign::neural
