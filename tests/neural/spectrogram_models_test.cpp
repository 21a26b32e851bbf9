// The models that run on spectrogram-like features (Whisper, AST, Speech2Text) against the
// golden outputs of transformers, from their features and from the waveform.
#include <gtest/gtest.h>

#include "brainalign/base/error.h"
#include "brainalign/dsp/speech2text_fbank.h"
#include "brainalign/neural/families/hf/ast.h"
#include "brainalign/neural/families/hf/hf_folder.h"
#include "brainalign/neural/families/hf/speech2text.h"
#include "brainalign/neural/families/hf/whisper.h"
#include "common/golden.h"

namespace brainalign::neural {
namespace {

using testing::expect_hidden_states;
using testing::golden_dir;
using testing::read_golden;
using testing::relative_error;

TEST(WhisperEncoderTest, MatchesEveryHiddenStateFromLogMel) {
  const WhisperEncoder model = WhisperEncoder::load(golden_dir("whisper_encoder_like"));
  const at::Tensor log_mel =
      read_golden(golden_dir("whisper_encoder_like") / "input.input_features.npy");
  expect_hidden_states("whisper_encoder_like", model.forward(log_mel));
}

TEST(WhisperEncoderTest, WaveformPathMatchesTheGoldenFrontEndAndOutputs) {
  const auto model = load_audio_model(golden_dir("whisper_encoder_like"));
  EXPECT_EQ(model->layer_names(),
            (std::vector<std::string>{"embedding", "encoder.1", "encoder.2", "encoder.3"}));
  const at::Tensor waveform =
      read_golden(golden_dir("frontends") / "whisper_logmel_input.npy").reshape({-1});
  const auto& whisper = dynamic_cast<const WhisperEncoder&>(*model);
  const at::Tensor log_mel = whisper.log_mel(waveform);
  const at::Tensor expected_mel =
      read_golden(golden_dir("whisper_encoder_like") / "input.input_features.npy");
  ASSERT_EQ(log_mel.sizes(), expected_mel.sizes());
  EXPECT_LT((log_mel - expected_mel).abs().max().item<double>(), 1e-4);
  const std::vector<at::Tensor> layers = model->forward_waveform(waveform);
  ASSERT_EQ(layers.size(), 4u);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const at::Tensor expected =
        read_golden(golden_dir("whisper_encoder_like") / testing::hidden_state_file(i));
    EXPECT_LT(relative_error(layers[i], expected[0]), testing::kTolerance) << i;
  }
}

TEST(WhisperEncoderTest, RejectsTooManyFrames) {
  const WhisperEncoder model = WhisperEncoder::load(golden_dir("whisper_encoder_like"));
  EXPECT_THROW(model.forward(at::zeros({1, 80, 101})), InputError);
}

TEST(AstModelTest, MatchesEveryHiddenStateFromFeatures) {
  const AstModel model = AstModel::load(golden_dir("ast_like"));
  const at::Tensor features = read_golden(golden_dir("ast_like") / "input.input_values.npy");
  expect_hidden_states("ast_like", model.forward(features));
}

TEST(AstModelTest, WaveformPathFollowsTheGoldenOutputs) {
  const auto model = load_audio_model(golden_dir("ast_like"));
  const at::Tensor waveform =
      read_golden(golden_dir("frontends") / "ast_fbank_input.npy").reshape({-1});
  EXPECT_EQ(model->layer_names(), (std::vector<std::string>{"embedding", "encoder.1", "encoder.2",
                                                            "encoder.3", "output"}));
  const std::vector<at::Tensor> layers = model->forward_waveform(waveform);
  ASSERT_EQ(layers.size(), 5u);  // the hidden states, then "output" (FinalNormOutput tests)
  for (std::size_t i = 0; i < 4; ++i) {
    const at::Tensor expected = read_golden(golden_dir("ast_like") / testing::hidden_state_file(i));
    EXPECT_LT(relative_error(layers[i], expected[0]), testing::kTolerance) << i;
  }
}

TEST(AstModelTest, RejectsFeaturesOfAnotherLength) {
  const AstModel model = AstModel::load(golden_dir("ast_like"));
  EXPECT_THROW(model.forward(at::zeros({1, 99, 128})), InputError);
}

TEST(Speech2TextEncoderTest, MatchesEveryHiddenStateFromFeatures) {
  const Speech2TextEncoder model = Speech2TextEncoder::load(golden_dir("s2t_encoder_like"));
  const at::Tensor features =
      read_golden(golden_dir("s2t_encoder_like") / "input.input_features.npy");
  expect_hidden_states("s2t_encoder_like", model.forward(features));
}

TEST(Speech2TextEncoderTest, FrontEndMatchesTheFeatureExtractor) {
  const at::Tensor waveform =
      read_golden(golden_dir("s2t_encoder_like") / "input.waveform.npy").reshape({-1});
  const Speech2TextEncoder model = Speech2TextEncoder::load(golden_dir("s2t_encoder_like"));
  const at::Tensor features = model.features(waveform);
  const at::Tensor expected =
      read_golden(golden_dir("s2t_encoder_like") / "input.input_features.npy");
  ASSERT_EQ(features.sizes(), expected.sizes());
  const double error = (features - expected).abs().max().item<double>();
  std::printf("  s2t features: max abs error %.2e\n", error);
  EXPECT_LT(error, 1e-3);
}

TEST(Speech2TextEncoderTest, WaveformPathFollowsTheGoldenOutputs) {
  const auto model = load_audio_model(golden_dir("s2t_encoder_like"));
  const at::Tensor waveform =
      read_golden(golden_dir("s2t_encoder_like") / "input.waveform.npy").reshape({-1});
  const std::vector<at::Tensor> layers = model->forward_waveform(waveform);
  ASSERT_EQ(layers.size(), 4u);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const at::Tensor expected =
        read_golden(golden_dir("s2t_encoder_like") / testing::hidden_state_file(i));
    EXPECT_LT(relative_error(layers[i], expected[0]), testing::kTolerance) << i;
  }
}

}  // namespace
}  // namespace brainalign::neural
