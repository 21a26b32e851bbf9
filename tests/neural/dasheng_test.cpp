// Dasheng against the reference implementation's activations (golden/dasheng_like).
#include "brainalign/neural/families/dasheng/dasheng.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "brainalign/base/error.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/model_families.h"
#include "common/error_message.h"
#include "common/golden.h"
#include "common/python_run.h"
#include "common/scratch_dir.h"

namespace brainalign::neural {
namespace {

using testing::error_message;
using testing::golden_dir;
using testing::golden_values;
using testing::relative_error;

constexpr double kTolerance = 1e-4;

const DashengModel& model() {
  static const DashengModel dasheng = DashengModel::load(golden_dir("dasheng_like") / "model.pt");
  return dasheng;
}

TEST(Dasheng, ReadsTheCheckpointConfiguration) {
  const DashengConfig& c = model().config();
  EXPECT_EQ(c.embed_dim, 64);
  EXPECT_EQ(c.depth, 3);
  EXPECT_EQ(c.num_heads, 4);
  EXPECT_EQ(c.mlp_hidden, 128);
  EXPECT_EQ(c.target_length, 1008);
}

TEST(Dasheng, MatchesEveryHiddenState) {
  const auto dir = golden_dir("dasheng_like");
  const std::vector<HiddenState> states = model().forward(golden_values(dir / "input.npy"));
  const std::vector<std::string> names = {"front_end", "init_bn",  "patch_embed", "blocks.input",
                                          "blocks.0",  "blocks.1", "blocks.2",    "norm"};
  ASSERT_EQ(states.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(states[i].name, names[i]);
    char file[48];
    std::snprintf(file, sizeof(file), "hidden_state.%02zu.npy", i);
    const double error = relative_error(states[i].value, dir / file);
    std::printf("dasheng %-20s %-13s max relative error %.2e\n", file, names[i].c_str(), error);
    if (i == 0) {
      // The front end's tolerance is absolute: 1e-3 dB.
      std::vector<std::int64_t> shape;
      const std::vector<double> expected = golden_values(dir / file, &shape);
      const at::Tensor flat = states[i].value.to(at::kDouble).contiguous().reshape({-1});
      double max_db = 0.0;
      for (std::size_t j = 0; j < expected.size(); ++j) {
        max_db = std::max(max_db, std::abs(flat.data_ptr<double>()[j] - expected[j]));
      }
      EXPECT_LT(max_db, 1e-3);
    } else {
      EXPECT_LT(error, kTolerance) << names[i];
    }
  }
}

TEST(Dasheng, SplitsLongInputIntoChunks) {
  const auto dir = golden_dir("dasheng_like");
  const std::vector<HiddenState> states = model().forward(golden_values(dir / "input_long.npy"));
  const double error = relative_error(states.back().value, dir / "output_long.npy");
  EXPECT_LT(error, kTolerance);
  std::printf("dasheng output_long.npy max relative error %.2e\n", error);
}

// Weights files for the golden architecture, written by torch: other weights as a bare
// state_dict with an AudioSet head (zip and legacy format), the same weights as a released
// checkpoint, and state_dicts that do not fit the architecture.
class DashengWeights : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::ScratchDir();
    ASSERT_TRUE(testing::run_python(dir_->path(), R"(
from collections import OrderedDict
import torch
release = torch.load(')" + (golden_dir("dasheng_like") / "model.pt").string() +
                                                      R"(')
generator = torch.Generator().manual_seed(7)
other = OrderedDict()
for name, value in release['model'].items():
    moved = value.is_floating_point() and not name.startswith('front_end.')
    other[name] = (value + 0.05 * torch.randn(value.shape, generator=generator, dtype=value.dtype)
                   if moved else value.clone())
head = OrderedDict(other)
dim = other['norm.weight'].shape[0]
head['outputlayer.0.weight'] = torch.ones(dim)
head['outputlayer.0.bias'] = torch.zeros(dim)
head['outputlayer.1.weight'] = torch.randn(527, dim, generator=generator)
head['outputlayer.1.bias'] = torch.zeros(527)
torch.save(head, 'finetuned.pt')
torch.save(head, 'finetuned_legacy.pt', _use_new_zipfile_serialization=False)
torch.save({'model': other, 'config': release['config']}, 'released.pt')
torch.save({'model': head, 'config': release['config']}, 'released_with_head.pt')
missing = OrderedDict(head)
del missing['blocks.1.attn.proj.weight']
torch.save(missing, 'missing.pt')
extra = OrderedDict(head)
extra['decoder.weight'] = torch.zeros(3)
torch.save(extra, 'extra.pt')
reshaped = OrderedDict(head)
reshaped['norm.weight'] = torch.zeros(dim + 1)
torch.save(reshaped, 'reshaped.pt')
)"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path at(const std::string& name) { return dir_->path() / name; }
  static std::filesystem::path architecture() { return golden_dir("dasheng_like") / "model.pt"; }

 private:
  static testing::ScratchDir* dir_;
};

testing::ScratchDir* DashengWeights::dir_ = nullptr;

void expect_same_states(const DashengModel& a, const DashengModel& b, bool same = true) {
  const std::vector<double> input = golden_values(golden_dir("dasheng_like") / "input.npy");
  const std::vector<HiddenState> one = a.forward(input);
  const std::vector<HiddenState> two = b.forward(input);
  ASSERT_EQ(one.size(), two.size());
  bool all_equal = true;
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].name, two[i].name);
    const bool equal = at::equal(one[i].value, two[i].value);
    if (same) {
      EXPECT_TRUE(equal) << one[i].name;
    }
    all_equal = all_equal && equal;
  }
  if (!same) {
    EXPECT_FALSE(all_equal);
  }
}

TEST_F(DashengWeights, StateDictGivesTheLayersOfAReleasedCheckpointHoldingItsWeights) {
  const DashengModel released = DashengModel::load(at("released.pt"));
  // The head in the state_dict is ignored, in either torch.save format.
  expect_same_states(DashengModel::load(architecture(), at("finetuned.pt")), released);
  expect_same_states(DashengModel::load(architecture(), at("finetuned_legacy.pt")), released);
  // A released-format checkpoint with a head loads too, as the same network.
  expect_same_states(DashengModel::load(at("released_with_head.pt")), released);
  // Other weights than the architecture's own.
  expect_same_states(DashengModel::load(architecture()), released, false);
}

TEST_F(DashengWeights, FamilyLoadsTheWeightsFileIntoTheArchitecture) {
  register_model_families();
  const std::string name = "dasheng:" + architecture().string();
  const auto weighted = models::make_model(name, at("finetuned.pt"));
  const auto released = models::make_model("dasheng:" + at("released.pt").string());
  EXPECT_EQ(weighted->layer_names(), released->layer_names());
  EXPECT_NE(weighted->weights_id(), models::make_model(name)->weights_id());
  dsp::Audio audio;
  audio.sample_rate = 16000.0;
  audio.samples = golden_values(golden_dir("dasheng_like") / "input.npy");
  const auto one = weighted->forward(audio);
  const auto two = released->forward(audio);
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].layer, two[i].layer);
    EXPECT_TRUE(one[i].values == two[i].values) << one[i].layer;
  }
  EXPECT_EQ(weighted->published_layers("pepino2025"), released->published_layers("pepino2025"));
}

TEST_F(DashengWeights, TensorsThatDoNotFitAreRefusedNamingTheTensorAndTheFile) {
  const auto refused = [&](const std::string& file) {
    return error_message<InputError>([&] { DashengModel::load(architecture(), at(file)); });
  };
  const std::string missing = refused("missing.pt");
  EXPECT_NE(missing.find("misses 'blocks.1.attn.proj.weight'"), std::string::npos) << missing;
  EXPECT_NE(missing.find("missing.pt"), std::string::npos) << missing;
  const std::string extra = refused("extra.pt");
  EXPECT_NE(extra.find("'decoder.weight' is not a tensor of"), std::string::npos) << extra;
  EXPECT_NE(extra.find("extra.pt"), std::string::npos) << extra;
  const std::string reshaped = refused("reshaped.pt");
  EXPECT_NE(reshaped.find("'norm.weight' has shape [65]"), std::string::npos) << reshaped;
  EXPECT_NE(reshaped.find("reshaped.pt"), std::string::npos) << reshaped;
}

}  // namespace
}  // namespace brainalign::neural
