// The ast: family against YuanGongND/ast (tests/reference/ast_reference.py, a transcription of
// its ASTModel on timm 0.4.5 and of its front end): a tiny model of the real architecture made
// by tests/neural/make_ast_golden.py in a scratch folder, every hooked layer compared.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "brainalign/base/error.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/dsp/kaldi_fbank.h"
#include "brainalign/models/model.h"
#include "brainalign/models/published_layers.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/families/ast/original_ast.h"
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
const std::vector<std::string> kTinyLayers = {"Embedding", "Encoder_1", "Encoder_2", "Final"};

class AstTest : public GeneratedFilesTest<AstTest> {
 protected:
  static void SetUpTestSuite() {
    register_model_families();
    std::vector<std::string> arguments = {kSounds.string()};
    arguments.insert(arguments.end(), kStimuli.begin(), kStimuli.end());
    generate("neural/make_ast_golden.py", arguments);
  }
  static std::vector<double> input() { return golden_values(at("input.npy")); }
};

TEST_F(AstTest, FrontEndMatchesTheLoader) {
  // The Kaldi fbank of the reference (78 frames of 0.8 s), then padded to input_tdim and
  // normalised as the data loader does.
  std::vector<std::int64_t> shape;
  const std::vector<double> expected = golden_values(at("fbank.npy"), &shape);
  dsp::KaldiFbankParams params;
  params.num_mel_bins = 128;
  params.window_type = dsp::KaldiWindow::kHanning;
  const Matrix fbank = dsp::kaldi_fbank(input(), params);
  ASSERT_EQ(shape, (std::vector<std::int64_t>{fbank.rows(), fbank.cols()}));
  double error = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    error = std::max(error, std::abs(fbank.data()[i] - expected[i]));
  }
  std::printf("ast fbank (%ld x %ld) max abs error %.2e\n", static_cast<long>(fbank.rows()),
              static_cast<long>(fbank.cols()), error);
  EXPECT_LT(error, 1e-8);

  const OriginalAstModel model = OriginalAstModel::load(at("ast_tiny.pth"));
  const at::Tensor features = model.features(input());
  EXPECT_EQ(features.sizes().vec(), (std::vector<std::int64_t>{1, 96, 128}));
  // input_tdim 100 and the model's 96 frames give the same 9 time patches; the first 96 rows
  // are the reference's.
  const at::Tensor reference = read_golden(at("features.npy"));
  const double feature_error =
      (features[0].to(at::kDouble) - reference.slice(0, 0, 96)).abs().max().item<double>();
  std::printf("ast features max abs error %.2e\n", feature_error);
  EXPECT_LT(feature_error, 1e-6);
  // Rows past the 78 frames are the padding, normalised.
  EXPECT_NEAR(features[0][90][5].item<double>(), 4.2677393 / (2 * 4.5689974), 1e-6);
}

TEST_F(AstTest, MatchesEveryHookedLayer) {
  const auto expected = layers();
  ASSERT_EQ(expected.size(), 4u);
  for (const std::string file : {"ast_tiny.pth", "ast_tiny_legacy.pth", "ast_tiny_bare.pth"}) {
    const OriginalAstModel model = OriginalAstModel::load(at(file));
    const OriginalAstConfig& c = model.config();
    EXPECT_EQ(c.embed_dim, 128);
    EXPECT_EQ(c.depth, 2);
    EXPECT_EQ(c.heads, 2);
    EXPECT_EQ(c.mlp_hidden, 512);
    EXPECT_EQ(c.frequency_patches, 12);
    EXPECT_EQ(c.time_patches, 9);
    EXPECT_EQ(c.frames, 96);
    EXPECT_EQ(c.classes, 10);
    EXPECT_EQ(model.layer_names(), kTinyLayers);
    // The reference's own 100-frame features, run as they are (the model takes 96: the last 4
    // frames reach no patch).
    const at::Tensor features =
        read_golden(at("features.npy")).slice(0, 0, 96).unsqueeze(0).to(at::kFloat);
    const std::vector<HiddenState> states = model.forward(features);
    ASSERT_EQ(states.size(), expected.size());
    for (std::size_t i = 0; i < states.size(); ++i) {
      const auto& [study, module] = expected[i];
      EXPECT_EQ(model.layer_names()[i], study);
      EXPECT_EQ(states[i].name, module);
      const double error = relative_error(states[i].value, at("layer." + study + ".npy"));
      std::printf("ast %-20s %-10s %-20s max relative error %.2e\n", file.c_str(), study.c_str(),
                  module.c_str(), error);
      EXPECT_LT(error, kTolerance) << file << " " << study;
    }
  }
}

TEST_F(AstTest, RegistryLayersAreTheStudysLayout) {
  // As an AudioModel: the patch embedding as (patches, D) frequency-major, the blocks' fc2 as
  // (tokens, D), Final as one row: their mean over rows is the 2023 read-out.
  const OriginalAstModel model = OriginalAstModel::load(at("ast_tiny.pth"));
  const std::vector<at::Tensor> layers = model.forward_samples(input());
  ASSERT_EQ(layers.size(), kTinyLayers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const at::Tensor reference = read_golden(at("layer." + kTinyLayers[i] + ".npy"));
    const at::Tensor expected =
        reference.dim() == 4 ? reference.flatten(2).transpose(1, 2)[0] : reference.squeeze(0);
    const auto rows = expected.dim() == 1 ? std::vector<std::int64_t>{1, expected.size(0)}
                                          : expected.sizes().vec();
    EXPECT_EQ(layers[i].sizes().vec(), rows) << kTinyLayers[i];
    const double error = relative_error(layers[i].reshape(expected.sizes()), expected);
    std::printf("ast waveform %-10s %s max relative error %.2e\n", kTinyLayers[i].c_str(),
                c10::str(layers[i].sizes()).c_str(), error);
    EXPECT_LT(error, kTolerance) << kTinyLayers[i];
  }
}

TEST_F(AstTest, RegistryModelByFamilyAndAuto) {
  for (const std::string file : {"ast_tiny.pth", "ast_tiny_legacy.pth"}) {
    for (const std::string prefix : {"ast:", "auto:"}) {
      const auto model = models::make_model(prefix + at(file).string());
      EXPECT_EQ(model->name(), "ast:" + fs::path(file).stem().string());
      EXPECT_EQ(model->sample_rate(), 16000.0);
      EXPECT_EQ(model->layer_names(), kTinyLayers);
      EXPECT_EQ(model->published_layers("tuckute2023"), kTinyLayers);
      EXPECT_EQ(model->published_layers("pepino2025"), kTinyLayers);
    }
  }
  // The released model's: Embedding, Encoder_1..12, Final in both studies (aud_dnn/resources.py
  // d_layer_reindex['AST']; braindnn src/specs.py layer_map['braindnn_ast'], the same modules).
  const std::vector<std::string> released = {
      "Embedding", "Encoder_1", "Encoder_2", "Encoder_3",  "Encoder_4",  "Encoder_5",  "Encoder_6",
      "Encoder_7", "Encoder_8", "Encoder_9", "Encoder_10", "Encoder_11", "Encoder_12", "Final"};
  for (const std::string study : {"tuckute2023", "pepino2025"}) {
    EXPECT_EQ(models::published_layers(study, models::StudyArchitecture{"ast", 12}), released);
    std::vector<std::string> names = released;
    names.insert(names.begin() + 3, "unrelated");
    EXPECT_EQ(models::published_layers(study, "ast", names), released);
  }
}

TEST_F(AstTest, ExtractGivesTheStudysReadOut) {
  // brainalign extract on real sounds (resampled to 16 kHz by the generator, so that both sides
  // read the same samples) against the 2023 extraction's averages of the reference's outputs.
  const ScratchDir out;
  const auto run =
      run_command({BRAINALIGN_CLI, "extract", "--model", "ast:" + at("ast_tiny.pth").string(),
                   "--stimuli", at("stimuli").string(), "--out", (out / "f.npz").string(),
                   "--layers", "all", "--threads", "2", "--no-cache", "--quiet"});
  ASSERT_EQ(run.status, 0) << run.output;
  const auto written = read_npz_contents(out / "f.npz");
  const auto reference = read_npz_contents(at("reference.npz"));
  ASSERT_EQ(reference.arrays.size(), kTinyLayers.size());
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
    std::printf("ast extract %-10s max relative error %.2e\n", layer.c_str(), diff / scale);
    EXPECT_LT(diff / scale, kTolerance) << layer;
  }
}

TEST_F(AstTest, BadInputGetsOneClearMessage) {
  // Another family's checkpoint named ast:.
  const std::string beats = (brainalign::testing::golden_dir("beats_like") / "model.pt").string();
  std::string message = error_message([&] { models::make_model("ast:" + beats); });
  EXPECT_NE(message.find(beats + " is a BEATs checkpoint, not an AST checkpoint"),
            std::string::npos)
      << message;
  message = error_message([&] { OriginalAstModel::load(beats); });
  EXPECT_NE(message.find("not an AST state_dict"), std::string::npos) << message;
  // Truncated downloads, both formats.
  for (const std::string file : {"ast_tiny.pth", "ast_tiny_legacy.pth"}) {
    const fs::path cut = at("cut_" + file);
    fs::copy_file(at(file), cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, fs::file_size(cut) / 2);
    message = error_message([&] { models::make_model("ast:" + cut.string()); });
    EXPECT_NE(message.find(cut.string()), std::string::npos) << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  }
  // A missing file.
  message = error_message([&] { models::make_model("ast:" + at("absent.pth").string()); });
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
  // A tensor of the wrong shape, a missing one, an extra one; DeiT's heads are ignored.
  const std::map<std::string, at::Tensor> tensors =
      read_legacy_state_dict(at("ast_tiny_legacy.pth"));
  auto broken = tensors;
  broken["module.v.blocks.1.attn.qkv.weight"] = at::zeros({384, 100});
  message = error_message([&] { OriginalAstModel::from_state_dict(broken, "x.pth"); });
  EXPECT_NE(message.find("x.pth: tensor 'module.v.blocks.1.attn.qkv.weight' has shape [384, "
                         "100], AST expects [384, 128]"),
            std::string::npos)
      << message;
  broken = tensors;
  broken.erase("module.v.norm.bias");
  message = error_message([&] { OriginalAstModel::from_state_dict(broken, "x.pth"); });
  EXPECT_NE(message.find("tensor 'module.v.norm.bias' is missing"), std::string::npos) << message;
  broken = tensors;
  broken["module.v.extra.weight"] = at::zeros({2});
  message = error_message([&] { OriginalAstModel::from_state_dict(broken, "x.pth"); });
  EXPECT_NE(message.find("tensor 'module.v.extra.weight' is not part of AST"), std::string::npos)
      << message;
  broken = tensors;
  broken["module.v.pos_embed"] = at::zeros({1, 100, 128});
  message = error_message([&] { OriginalAstModel::from_state_dict(broken, "x.pth"); });
  EXPECT_NE(message.find("tensor 'v.pos_embed' has shape [1, 100, 128]"), std::string::npos)
      << message;
  broken = tensors;
  ASSERT_TRUE(broken.contains("module.v.head_dist.weight"));
  broken.erase("module.v.head_dist.weight");
  broken.erase("module.v.head.weight");
  EXPECT_NO_THROW(OriginalAstModel::from_state_dict(broken, "x.pth"));
  // Audio shorter than one 25 ms frame.
  const auto model = models::make_model("ast:" + at("ast_tiny.pth").string());
  message = error_message<InputError>([&] {
    model->forward(dsp::Audio{std::vector<double>(300, 0.1), 16000.0});
  });
  EXPECT_NE(message.find("400"), std::string::npos) << message;
}

}  // namespace
}  // namespace brainalign::neural
