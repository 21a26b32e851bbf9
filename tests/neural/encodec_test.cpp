// The EnCodec encoder against the golden outputs of every module of encoder.layers.
#include "brainalign/neural/families/hf/encodec.h"

#include <gtest/gtest.h>

#include "brainalign/neural/families/hf/hf_folder.h"
#include "common/golden.h"

namespace brainalign::neural {
namespace {

using testing::expect_hidden_states;
using testing::golden_dir;
using testing::read_golden;
using testing::relative_error;

TEST(EncodecEncoderTest, MatchesTheOutputOfEveryModule) {
  const EncodecEncoder model = EncodecEncoder::load(golden_dir("encodec_encoder_like"));
  const at::Tensor waveform =
      read_golden(golden_dir("encodec_encoder_like") / "input.input_values.npy");
  expect_hidden_states("encodec_encoder_like", model.forward(waveform));
}

TEST(EncodecEncoderTest, AdapterReturnsFramesByChannels) {
  const auto model = load_audio_model(golden_dir("encodec_encoder_like"));
  EXPECT_EQ(model->sample_rate(), 16000.0);
  const std::vector<std::string> names = model->layer_names();
  ASSERT_EQ(names.size(), 13u);
  EXPECT_EQ(names.front(), "encoder.layers.0");
  EXPECT_EQ(names.back(), "encoder.layers.12");
  const at::Tensor waveform =
      read_golden(golden_dir("encodec_encoder_like") / "input.input_values.npy");
  const std::vector<at::Tensor> layers = model->forward_waveform(waveform.reshape({-1}));
  const at::Tensor expected =
      read_golden(golden_dir("encodec_encoder_like") / "hidden_state.12.npy");
  ASSERT_EQ(layers.back().sizes(), (std::vector<std::int64_t>{500, 32}));
  EXPECT_LT(relative_error(layers.back(), expected[0].t()), testing::kTolerance);
}

TEST(EncodecEncoderTest, ShortInputsArePaddedLikeTransformers) {
  // Shorter than the reflect padding of the first convolution.
  const EncodecEncoder model = EncodecEncoder::load(golden_dir("encodec_encoder_like"));
  const std::vector<at::Tensor> outputs = model.forward(at::ones({1, 1, 3}));
  EXPECT_EQ(outputs.front().size(2), 3);
  EXPECT_EQ(outputs.back().size(2), 1);
}

}  // namespace
}  // namespace brainalign::neural
