// BEATs against the reference implementation's activations (golden/beats_like).
#include "brainalign/neural/families/beats/beats.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "brainalign/base/error.h"
#include "common/golden.h"
#include "common/python_run.h"
#include "common/scratch_dir.h"

namespace brainalign::neural {
namespace {

using testing::golden_dir;
using testing::golden_values;
using testing::relative_error;

constexpr double kTolerance = 1e-4;

const BeatsModel& model() {
  static const BeatsModel beats = BeatsModel::load(golden_dir("beats_like") / "model.pt");
  return beats;
}

TEST(Beats, ReadsTheCheckpointConfiguration) {
  const BeatsConfig& c = model().config();
  EXPECT_EQ(c.encoder_layers, 3);
  EXPECT_EQ(c.encoder_embed_dim, 64);
  EXPECT_EQ(c.embed_dim, 32);
  EXPECT_EQ(c.max_distance, 800);
  EXPECT_TRUE(c.deep_norm);
  EXPECT_TRUE(c.gru_rel_pos);
}

TEST(Beats, MatchesEveryHiddenState) {
  const auto dir = golden_dir("beats_like");
  const std::vector<HiddenState> states = model().forward(golden_values(dir / "input.npy"));
  const std::vector<std::string> names = {
      "preprocess",        "patch_embedding",  "layer_norm",
      "post_extract_proj", "encoder.pos_conv", "encoder.layer_norm",
      "encoder.layers.0",  "encoder.layers.1", "encoder.layers.2"};
  ASSERT_EQ(states.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(states[i].name, names[i]);
    char file[32];
    std::snprintf(file, sizeof(file), "hidden_state.%02zu.npy", i);
    const double error = relative_error(states[i].value, dir / file);
    EXPECT_LT(error, kTolerance) << names[i];
    std::printf("beats %-20s %s max relative error %.2e\n", file, names[i].c_str(), error);
  }
}

TEST(Beats, MatchesThreeSecondsWithLogarithmicBuckets) {
  const auto dir = golden_dir("beats_like");
  const std::vector<HiddenState> states = model().forward(golden_values(dir / "input_3s.npy"));
  const double error = relative_error(states.back().value, dir / "output_3s.npy");
  EXPECT_LT(error, kTolerance);
  std::printf("beats output_3s.npy max relative error %.2e\n", error);
}

TEST(Beats, RelativePositionBucketsMatchExactly) {
  const auto dir = golden_dir("beats_like");
  const at::Tensor offsets = at::arange(-1000, 1001, at::kLong);
  const at::Tensor buckets = beats_relative_position_buckets(offsets, 320, 800);
  const std::vector<double> expected = golden_values(dir / "rel_pos_bucket.npy");
  ASSERT_EQ(buckets.numel(), static_cast<std::int64_t>(expected.size()));
  for (std::int64_t i = 0; i < buckets.numel(); ++i) {
    ASSERT_EQ(static_cast<double>(buckets[i].item<std::int64_t>()), expected[i])
        << "offset " << i - 1000;
  }
}

TEST(Beats, NamesTheTensorThatDisagreesWithTheConfiguration) {
  brainalign::testing::ScratchDir dir;
  ASSERT_TRUE(brainalign::testing::run_python(dir.path(), R"(
import torch
ck = torch.load(')" + (golden_dir("beats_like") / "model.pt").string() +
                                                              R"(')
ck['cfg']['encoder_ffn_embed_dim'] = 96
torch.save(ck, 'ffn.pt')
ck['cfg']['encoder_ffn_embed_dim'] = 128
del ck['model']['encoder.layers.1.self_attn.grep_a']
torch.save(ck, 'missing.pt')
)"));
  try {
    BeatsModel::load(dir / "ffn.pt");
    ADD_FAILURE() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("'encoder.layers.0.fc1.weight' has shape [128, 64], "
                        "expected [96, 64]"),
              std::string::npos)
        << error.what();
  }
  try {
    BeatsModel::load(dir / "missing.pt");
    ADD_FAILURE() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("'encoder.layers.1.self_attn.grep_a' is missing"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace brainalign::neural
