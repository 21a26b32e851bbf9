// The wav2vec 2.0 family against the golden outputs of transformers.
#include "brainalign/neural/families/hf/wav2vec2.h"

#include <gtest/gtest.h>

#include "brainalign/neural/families/hf/hf_folder.h"
#include "common/golden.h"

namespace brainalign::neural {
namespace {

using testing::expect_hidden_states;
using testing::golden_dir;
using testing::read_golden;
using testing::relative_error;

class Wav2Vec2GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(Wav2Vec2GoldenTest, MatchesEveryHiddenState) {
  const std::string folder = GetParam();
  const Wav2Vec2Model model = Wav2Vec2Model::load(golden_dir(folder));
  const at::Tensor input = read_golden(golden_dir(folder) / "input.input_values.npy");
  const Wav2Vec2Model::Outputs outputs = model.run(input);
  expect_hidden_states(folder, outputs.hidden_states);
  const auto extract = golden_dir(folder) / "extract_features.npy";
  if (std::filesystem::exists(extract)) {
    const at::Tensor expected = read_golden(extract);
    ASSERT_EQ(outputs.extract_features.sizes(), expected.sizes());
    EXPECT_LT(relative_error(outputs.extract_features, expected), testing::kTolerance);
  }
  EXPECT_EQ(model.hidden_state_names().size(), outputs.hidden_states.size());
}

INSTANTIATE_TEST_SUITE_P(Golden, Wav2Vec2GoldenTest,
                         ::testing::Values("wav2vec2_base_like", "wav2vec2_large_like",
                                           "hubert_base_like", "wavlm_base_like",
                                           "data2vec_audio_like"));

TEST(Wav2Vec2Test, AdapterNamesEveryLayerAndReturnsFramesByFeatures) {
  const auto model = load_audio_model(golden_dir("wavlm_base_like"));
  EXPECT_EQ(model->architecture(), "WavLMModel");
  const std::vector<std::string> names = model->layer_names();
  ASSERT_EQ(names.size(), 3u + 4u);
  EXPECT_EQ(names.front(), "cnn.1");
  EXPECT_EQ(names[3], "embedding");
  EXPECT_EQ(names.back(), "encoder.3");
  const at::Tensor input = read_golden(golden_dir("wavlm_base_like") / "input.input_values.npy");
  const std::vector<at::Tensor> layers = model->forward_waveform(input[0]);
  ASSERT_EQ(layers.size(), names.size());
  EXPECT_EQ(layers.back().sizes(), (std::vector<std::int64_t>{799, 64}));
  const at::Tensor expected = read_golden(golden_dir("wavlm_base_like") / "hidden_state.03.npy");
  EXPECT_LT(relative_error(layers.back(), expected[0]), testing::kTolerance);
}

}  // namespace
}  // namespace brainalign::neural
