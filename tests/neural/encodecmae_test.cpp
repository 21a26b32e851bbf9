// EnCodecMAE against the reference implementation's activations (golden/encodecmae_like).
#include "brainalign/neural/families/encodecmae/encodecmae.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>

#include "brainalign/base/error.h"
#include "brainalign/dsp/audio.h"
#include "common/golden.h"

namespace brainalign::neural {
namespace {

using testing::golden_dir;
using testing::golden_values;
using testing::relative_error;

constexpr double kTolerance = 1e-4;

const EncodecMaeModel& model() {
  static const EncodecMaeModel mae =
      EncodecMaeModel::load(golden_dir("encodecmae_like") / "model.pt");
  return mae;
}

std::vector<double> input_24k(const char* name = "input_24k.npy") {
  return golden_values(golden_dir("encodecmae_like") / name);
}

// The layer states of `states` from index `first`, stacked as (layers, frames, dim).
at::Tensor stacked(const std::vector<HiddenState>& states, std::size_t first, std::size_t count) {
  std::vector<at::Tensor> layers;
  for (std::size_t i = first; i < first + count; ++i) layers.push_back(states[i].value[0]);
  return at::stack(layers);
}

TEST(EncodecMae, ReadsTheGinConfiguration) {
  const EncodecMaeConfig& c = model().config();
  EXPECT_EQ(c.model_dim, 64);
  EXPECT_EQ(c.encoder_layers, 3);
  EXPECT_EQ(c.encoder_heads, 4);
  EXPECT_EQ(c.decoder_layers, 2);
  EXPECT_EQ(c.encoder_ff_dim, 128);
  EXPECT_EQ(c.chunk_seconds, 4.0);
  EXPECT_EQ(c.padding_mask_hop, 320);
  EXPECT_EQ(c.fbank.num_mel_bins, 256);
  EXPECT_EQ(c.fbank.frame_shift_ms, 13.28);
  EXPECT_EQ(c.fbank.window_type, dsp::KaldiWindow::kHanning);
  EXPECT_TRUE(c.fbank.htk_compat);
  EXPECT_EQ(c.norm_mean, -6.12);
  EXPECT_EQ(c.norm_std, 4.82);
}

TEST(EncodecMae, ParsesGinMacrosBlocksAndOverrides) {
  const auto bindings = parse_gin_bindings(
      "A=1\nB=%A\n# comment\nscope/mod.Class:\n    x = %B  # trailing\n    y = [1,\n  2]\n"
      "mod.Other.z = 'a#b'\nA=2\n",
      "test.gin");
  std::map<std::string, std::string> values(bindings.begin(), bindings.end());
  EXPECT_EQ(values.at("A"), "2");
  EXPECT_EQ(values.at("scope/mod.Class.x"), "2");
  EXPECT_EQ(values.at("scope/mod.Class.y"), "[1, 2]");
  EXPECT_EQ(values.at("mod.Other.z"), "'a#b'");
  EXPECT_THROW(parse_gin_bindings("x = %MISSING\n", "test.gin"), InputError);
}

TEST(EncodecMae, MatchesEveryHiddenState) {
  const auto dir = golden_dir("encodecmae_like");
  const std::vector<HiddenState> states = model().forward(input_24k());
  const std::vector<std::string> names = {"mel",
                                          "wav_encoder.post_net",
                                          "masker.positional_encoder",
                                          "visible_encoder.encoder_layers.0",
                                          "visible_encoder.encoder_layers.1",
                                          "visible_encoder.encoder_layers.2"};
  ASSERT_EQ(states.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(states[i].name, names[i]);
    char file[32];
    std::snprintf(file, sizeof(file), "hidden_state.%02zu.npy", i);
    const double error = relative_error(states[i].value, dir / file);
    EXPECT_LT(error, kTolerance) << names[i];
    std::printf("encodecmae %-20s %-33s max relative error %.2e\n", file, names[i].c_str(), error);
  }
}

TEST(EncodecMae, MatchesTheExtractionVariants) {
  const auto dir = golden_dir("encodecmae_like");
  EncodecMaeOptions options;
  options.postnorm_last_activation = false;
  double error = relative_error(model().forward(input_24k(), options).back().value,
                                dir / "last_layer_no_postnorm.npy");
  EXPECT_LT(error, kTolerance);
  std::printf("encodecmae last_layer_no_postnorm.npy max relative error %.2e\n", error);

  options.residual_branch = 1;
  error = relative_error(stacked(model().forward(input_24k(), options), 3, 3),
                         dir / "residual_branch1.npy");
  EXPECT_LT(error, kTolerance);
  std::printf("encodecmae residual_branch1.npy max relative error %.2e\n", error);

  options = EncodecMaeOptions{};
  options.extract_decoder = true;
  const std::vector<HiddenState> states = model().forward(input_24k(), options);
  ASSERT_EQ(states.size(), 8u);
  EXPECT_EQ(states[7].name, "decoder.encoder_layers.1");
  error = relative_error(stacked(states, 6, 2), dir / "decoder_activations.npy");
  EXPECT_LT(error, kTolerance);
  std::printf("encodecmae decoder_activations.npy max relative error %.2e\n", error);
}

TEST(EncodecMae, ChunksFiveSecondsIntoFourAndOne) {
  const auto dir = golden_dir("encodecmae_like");
  const std::vector<HiddenState> states = model().forward(input_24k("input_24k_5s.npy"));
  const double error = relative_error(states.back().value, dir / "output_5s.npy");
  EXPECT_LT(error, kTolerance);
  std::printf("encodecmae output_5s.npy max relative error %.2e\n", error);
}

// 16 kHz audio resampled with libsoxr's HQ recipe (what librosa.load(sr=24000) does) is the
// reference's model input, and the model's output follows.
TEST(EncodecMae, RunsOnSixteenKilohertzAudioResampledLikeLibrosa) {
  const auto dir = golden_dir("encodecmae_like");
  const std::vector<double> resampled = dsp::resample(golden_values(dir / "input.npy"), 16000.0,
                                                      24000.0, dsp::ResampleQuality::kHigh);
  const std::vector<double> expected = input_24k();
  ASSERT_EQ(resampled.size(), expected.size());
  double max_diff = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(resampled[i] - expected[i]));
  }
  EXPECT_LT(max_diff, 1e-5);
  const double error =
      relative_error(model().forward(resampled).back().value, dir / "hidden_state.05.npy");
  EXPECT_LT(error, kTolerance);
  std::printf(
      "encodecmae 16 kHz input: resampling max |diff| %.2e, output max relative error "
      "%.2e\n",
      max_diff, error);
}

}  // namespace
}  // namespace brainalign::neural
