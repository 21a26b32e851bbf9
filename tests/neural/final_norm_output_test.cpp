// The layer "output" of the pre-LN encoders: the last layer's output after the encoder's final
// layer norm, what the reference model returns (transformers' last_hidden_state, Dasheng's
// forward) and what HEAR embeddings are made of. The golden Dasheng files hold it
// (hidden_state.07 = model(x)); the transformers goldens of wav2vec2-large and AST hold the
// last hidden state before the final norm, so their reference output is that state through
// the checkpoint's final LayerNorm, computed here in numpy from the golden files.
#include <gtest/gtest.h>

#include <algorithm>

#include "brainalign/neural/families/dasheng/dasheng.h"
#include "brainalign/neural/families/hf/hf_folder.h"
#include "common/golden.h"
#include "common/python_exchange.h"

namespace brainalign::neural {
namespace {

using testing::golden_dir;
using testing::read_golden;
using testing::relative_error;

// transformers' last_hidden_state = layer_norm(last hidden state), in float64 numpy, from the
// golden hidden state and the final norm's tensors of the golden model.safetensors.
at::Tensor reference_final_norm(const std::string& folder, const std::string& norm,
                                const std::string& last_state) {
  const testing::PythonExchange py;
  const auto dir = golden_dir(folder);
  py.run(
      "import json, struct\n"
      "dir = '" +
      dir.string() + "'\nnorm = '" + norm + "'\nlast = '" + last_state + "'\n" + R"(
raw = open(dir + '/model.safetensors', 'rb').read()
size = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + size])
def tensor(name):
    entry = header[name]
    assert entry['dtype'] == 'F32', entry
    start, end = entry['data_offsets']
    return np.frombuffer(raw[8 + size + start:8 + size + end], '<f4').reshape(entry['shape'])
eps = json.load(open(dir + '/config.json'))['layer_norm_eps']
h = np.load(dir + '/' + last)[0].astype(np.float64)
centred = h - h.mean(axis=-1, keepdims=True)
out = centred / np.sqrt((centred ** 2).mean(axis=-1, keepdims=True) + eps)
out = out * tensor(norm + '.weight') + tensor(norm + '.bias')
np.array(out.shape, '<f8').tofile('shape')
out.astype('<f8').tofile('out')
)");
  const Matrix shape = py.get("shape", 1, 2);
  const Matrix values =
      py.get("out", static_cast<Eigen::Index>(shape(0, 0)), static_cast<Eigen::Index>(shape(0, 1)));
  return at::from_blob(const_cast<double*>(values.data()), {values.rows(), values.cols()},
                       at::kDouble)
      .clone();
}

void expect_output_is_the_final_norm(const AudioModel& model, const at::Tensor& waveform,
                                     const at::Tensor& expected, const std::string& what) {
  const std::vector<std::string> names = model.layer_names();
  ASSERT_GE(names.size(), 2u) << what;
  EXPECT_EQ(names.back(), "output") << what;
  EXPECT_EQ(std::count(names.begin(), names.end(), "output"), 1) << what;
  EXPECT_EQ(names[names.size() - 2], "encoder.3") << what;
  const std::vector<at::Tensor> layers = model.forward_waveform(waveform);
  ASSERT_EQ(layers.size(), names.size()) << what;
  const double error = relative_error(layers.back(), expected);
  EXPECT_LT(error, testing::kTolerance) << what;
  // The final norm changes the state well beyond the tolerance: "output" is not "encoder.3".
  EXPECT_GT(relative_error(layers[layers.size() - 2], expected), 0.05) << what;
  std::printf("  %s output: max relative error %.2e\n", what.c_str(), error);
}

TEST(FinalNormOutput, Wav2Vec2LargeOutputIsTheNormalisedLastState) {
  const auto model = load_audio_model(golden_dir("wav2vec2_large_like"));
  const at::Tensor input =
      read_golden(golden_dir("wav2vec2_large_like") / "input.input_values.npy");
  expect_output_is_the_final_norm(
      *model, input[0],
      reference_final_norm("wav2vec2_large_like", "encoder.layer_norm", "hidden_state.03.npy"),
      "wav2vec2_large_like");
}

TEST(FinalNormOutput, AstOutputIsTheNormalisedLastState) {
  const auto model = load_audio_model(golden_dir("ast_like"));
  const at::Tensor waveform =
      read_golden(golden_dir("frontends") / "ast_fbank_input.npy").reshape({-1});
  expect_output_is_the_final_norm(
      *model, waveform, reference_final_norm("ast_like", "layernorm", "hidden_state.03.npy"),
      "ast_like");
}

TEST(FinalNormOutput, DashengOutputIsTheModelsForward) {
  const DashengModel model = DashengModel::load(golden_dir("dasheng_like") / "model.pt");
  const at::Tensor input = read_golden(golden_dir("dasheng_like") / "input.npy");
  // hidden_state.07: the final norm, model(x) of the reference; .06: the last block.
  const at::Tensor expected = read_golden(golden_dir("dasheng_like") / "hidden_state.07.npy")[0];
  expect_output_is_the_final_norm(model, input[0], expected, "dasheng_like");
  const std::vector<at::Tensor> layers = model.forward_waveform(input[0]);
  const at::Tensor last_block = read_golden(golden_dir("dasheng_like") / "hidden_state.06.npy")[0];
  EXPECT_LT(relative_error(layers[layers.size() - 2], last_block), testing::kTolerance);
}

// Post-LN encoders have no final norm (their output is encoder.N); Whisper and Speech2Text
// put theirs into encoder.N, as transformers' hidden_states: none of them has "output".
TEST(FinalNormOutput, OnlyPreLnEncodersWithASeparateFinalNormHaveIt) {
  for (const char* folder :
       {"wav2vec2_base_like", "hubert_base_like", "wavlm_base_like", "data2vec_audio_like",
        "whisper_encoder_like", "s2t_encoder_like", "encodec_encoder_like"}) {
    const auto model = load_audio_model(golden_dir(folder));
    const auto names = model->layer_names();
    EXPECT_EQ(std::count(names.begin(), names.end(), "output"), 0) << folder;
  }
  for (const char* folder : {"wav2vec2_large_like", "ast_like"}) {
    const auto names = load_audio_model(golden_dir(folder))->layer_names();
    EXPECT_EQ(names.back(), "output") << folder;
  }
}

}  // namespace
}  // namespace brainalign::neural
