// The 2023 in-house cochleagram networks (cochdnn:) against a transcription of
// jenellefeather/cochdnn's Kell2018 and ResNet-50 (tests/reference/cochdnn_reference.py): tiny
// models of the real layer structure, saved as robustness/train.py saves a checkpoint, made by
// tests/neural/make_cochdnn_golden.py in a scratch folder; every hooked layer compared on
// chcochleagram's own cochleagram_1 output.
#include "brainalign/neural/families/cochdnn/cochdnn.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "brainalign/base/error.h"
#include "brainalign/dsp/spectemp.h"
#include "brainalign/models/model.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"
#include "brainalign/neural/model_families.h"
#include "common/error_message.h"
#include "common/generated_files.h"
#include "common/golden.h"

namespace brainalign::neural {
namespace {

namespace fs = std::filesystem;
using brainalign::testing::error_message;
using brainalign::testing::GeneratedFilesTest;
using brainalign::testing::golden_values;
using brainalign::testing::read_golden;
using brainalign::testing::relative_error;

constexpr double kTolerance = 1e-4;
const fs::path kFrontends = fs::path(BRAINALIGN_SHARED_DIR) / "golden/frontends";

class CochdnnTest : public GeneratedFilesTest<CochdnnTest> {
 protected:
  static void SetUpTestSuite() {
    register_model_families();
    generate("neural/make_cochdnn_golden.py", {(kFrontends / "cochleagram1_output.npy").string()});
  }
  static at::Tensor reference_cochleagram() {
    return read_golden(kFrontends / "cochleagram1_output.npy")
        .to(at::kFloat)
        .reshape({1, 1, CochdnnModel::kChannels, CochdnnModel::kFrames});
  }
};

struct Case {
  const char* file;
  CochdnnArchitecture architecture;
  std::vector<std::string> layers;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> list = {
      {"kell_word", CochdnnArchitecture::kKell2018, CochdnnModel::kell2018_layers()},
      {"kell_multitask", CochdnnArchitecture::kKell2018, CochdnnModel::kell2018_layers()},
      {"resnet_word", CochdnnArchitecture::kResNet50, CochdnnModel::resnet50_layers()},
  };
  return list;
}

TEST_F(CochdnnTest, ReadsTheReleaseCheckpointLayout) {
  // {'model': state_dict, 'optimizer': ..., 'schedule': ..., 'epoch': 5}, legacy format.
  const auto top = legacy_state_dict_keys(at("kell_word.pt"));
  for (const char* key : {"model", "optimizer", "schedule", "epoch"}) {
    EXPECT_NE(std::find(top.begin(), top.end(), key), top.end()) << key;
  }
  const auto inner = legacy_state_dict_keys(at("kell_word.pt"), "model");
  EXPECT_EQ(inner.front(), "module.model.1.batchnorm0.weight");
  EXPECT_EQ(std::find(inner.begin(), inner.end(), "optimizer"), inner.end());
  const auto tensors = read_legacy_state_dict(at("kell_word.pt"), "model");
  EXPECT_TRUE(tensors.contains("module.model.1.conv0.weight"));
  EXPECT_TRUE(tensors.contains("module.attacker.model.1.conv0.weight"));
  const std::string message =
      error_message<InputError>([&] { read_legacy_state_dict(at("kell_word.pt")); });
  EXPECT_NE(message.find("state_dict entry 'model' is a dict, not a tensor"), std::string::npos)
      << message;

  const CochdnnModel kell = CochdnnModel::load(at("kell_word.pt"));
  EXPECT_EQ(kell.architecture(), "Kell2018");
  EXPECT_EQ(kell.config().conv_channels, (std::vector<std::int64_t>{4, 6, 8, 8, 6}));
  EXPECT_EQ(kell.config().fc_width, 16);
  const CochdnnModel resnet = CochdnnModel::load(at("resnet_word.pt"));
  EXPECT_EQ(resnet.architecture(), "ResNet50");
  EXPECT_EQ(resnet.config().stem_width, 4);
  EXPECT_EQ(resnet.config().blocks, (std::vector<std::int64_t>{3, 4, 6, 3}));
}

TEST_F(CochdnnTest, MatchesEveryHookedLayer) {
  const at::Tensor input = reference_cochleagram();
  for (const Case& c : cases()) {
    const CochdnnModel model = CochdnnModel::load(at(std::string(c.file) + ".pt"));
    EXPECT_EQ(model.config().architecture, c.architecture);
    EXPECT_EQ(model.layer_names(), c.layers);
    const std::vector<HiddenState> states = model.forward(input);
    ASSERT_EQ(states.size(), c.layers.size());
    for (std::size_t i = 0; i < states.size(); ++i) {
      EXPECT_EQ(states[i].name, c.layers[i]);
      const double error = relative_error(
          states[i].value, at(std::string(c.file) + ".layer." + c.layers[i] + ".npy"));
      std::printf("cochdnn %-15s %-12s %-18s max relative error %.2e\n", c.file,
                  c.layers[i].c_str(), c10::str(states[i].value.sizes()).c_str(), error);
      EXPECT_LT(error, kTolerance) << c.file << " " << c.layers[i];
    }
  }
}

TEST_F(CochdnnTest, RegistryLayersPoolAsThe2023Measurement) {
  // forward_samples runs the native cochleagram; on the golden input's waveform its mean over
  // rows is the 2023 read-out (mean over time, channels x frequency flattened) of the network
  // on that cochleagram (the front end agrees with chcochleagram to ~4e-6).
  const std::vector<double> waveform = golden_values(kFrontends / "cochleagram1_input.npy");
  ASSERT_EQ(waveform.size(), 40000u);
  const at::Tensor native = CochdnnModel::cochleagram(waveform);
  const double front_end = relative_error(native, reference_cochleagram().to(at::kDouble));
  std::printf("cochdnn cochleagram max relative error %.2e\n", front_end);
  EXPECT_LT(front_end, 1e-4);
  for (const Case& c : cases()) {
    const CochdnnModel model = CochdnnModel::load(at(std::string(c.file) + ".pt"));
    const std::vector<at::Tensor> layers = model.forward_samples(waveform);
    ASSERT_EQ(layers.size(), c.layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const at::Tensor pooled = layers[i].to(at::kDouble).mean(0).reshape({-1});
      const double error =
          relative_error(pooled, at(std::string(c.file) + ".readout." + c.layers[i] + ".npy"));
      std::printf("cochdnn readout %-15s %-12s max relative error %.2e\n", c.file,
                  c.layers[i].c_str(), error);
      EXPECT_LT(error, kTolerance) << c.file << " " << c.layers[i];
    }
  }
}

TEST_F(CochdnnTest, RegistryModelByFamilyAndAuto) {
  for (const Case& c : cases()) {
    for (const std::string prefix : {"cochdnn:", "auto:"}) {
      const auto model = models::make_model(prefix + at(std::string(c.file) + ".pt").string());
      EXPECT_EQ(model->name(), "cochdnn:" + std::string(c.file));
      EXPECT_EQ(model->sample_rate(), 20000.0);
      EXPECT_EQ(model->layer_names(), c.layers);
      EXPECT_EQ(model->published_layers("tuckute2023"), c.layers);
      EXPECT_EQ(model->published_layers("pepino2025"), c.layers);
    }
  }
  // A 3 s clip at 16 kHz: cropped to 2 s, resampled to 20 kHz, one row per frame.
  std::vector<double> samples(48000);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = std::sin(0.05 * double(i));
  const auto model = models::make_model("cochdnn:" + at("kell_word.pt").string());
  const auto layers = model->forward(dsp::Audio{samples, 16000.0});
  ASSERT_EQ(layers.size(), 9u);
  EXPECT_EQ(layers[0].layer, "relu0");
  EXPECT_EQ(layers[0].values.rows(), 130);
  EXPECT_EQ(layers[0].values.cols(), 4 * 71);
  EXPECT_EQ(layers[8].values.rows(), 1);
  EXPECT_EQ(layers[8].values.cols(), 16);
}

TEST_F(CochdnnTest, BadInputGetsOneClearMessage) {
  // Another family's checkpoint.
  const std::string beats = (brainalign::testing::golden_dir("beats_like") / "model.pt").string();
  std::string message = error_message([&] { models::make_model("cochdnn:" + beats); });
  EXPECT_NE(message.find(beats + " is a BEATs checkpoint, not a cochdnn checkpoint"),
            std::string::npos)
      << message;
  message = error_message([&] { CochdnnModel::load(beats); });
  EXPECT_NE(message.find("not a cochdnn checkpoint"), std::string::npos) << message;
  // A truncated download.
  const fs::path cut = at("cut_resnet_word.pt");
  fs::copy_file(at("resnet_word.pt"), cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  message = error_message([&] { models::make_model("cochdnn:" + cut.string()); });
  EXPECT_NE(message.find(cut.string()), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  // A tensor of the wrong shape, a missing one, an extra one.
  const auto tensors = read_legacy_state_dict(at("kell_word.pt"), "model");
  auto broken = tensors;
  broken["module.model.1.conv1.weight"] = at::zeros({6, 5, 4, 8});
  message = error_message([&] { CochdnnModel::from_state_dict(broken, "x.pt"); });
  EXPECT_NE(message.find("x.pt: tensor 'module.model.1.conv1.weight' has shape [6, 5, 4, 8], "
                         "Kell2018 expects [*, 4, 4, 8]"),
            std::string::npos)
      << message;
  broken = tensors;
  broken.erase("module.model.1.fullyconnected.bias");
  message = error_message([&] { CochdnnModel::from_state_dict(broken, "x.pt"); });
  EXPECT_NE(message.find("tensor 'module.model.1.fullyconnected.bias' is missing"),
            std::string::npos)
      << message;
  broken = tensors;
  broken["module.model.1.conv9.weight"] = at::zeros({2});
  message = error_message([&] { CochdnnModel::from_state_dict(broken, "x.pt"); });
  EXPECT_NE(message.find("tensor 'module.model.1.conv9.weight' is not part of the cochdnn"),
            std::string::npos)
      << message;
  // Input of the wrong length or shape.
  const CochdnnModel model = CochdnnModel::load(at("kell_word.pt"));
  message = error_message<InputError>([&] { model.forward_samples(std::vector<double>(100)); });
  EXPECT_NE(message.find("exactly 40000 samples"), std::string::npos) << message;
  message = error_message<InputError>([&] { model.forward(at::zeros({1, 1, 64, 390})); });
  EXPECT_NE(message.find("(batch, 1, 211, 390)"), std::string::npos) << message;
}

}  // namespace
}  // namespace brainalign::neural
