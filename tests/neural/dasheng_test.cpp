// Dasheng against the reference implementation's activations (golden/dasheng_like).
#include "brainalign/neural/families/dasheng/dasheng.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "common/golden.h"

namespace brainalign::neural {
namespace {

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
    char file[32];
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

}  // namespace
}  // namespace brainalign::neural
