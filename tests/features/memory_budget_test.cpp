// Extraction keeps the clips it runs at once within ExtractOptions::memory_budget, using each
// model's forward_memory_bytes().
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "brainalign/features/extract.h"
#include "brainalign/models/registry.h"
#include "common/scratch_dir.h"

namespace brainalign {
namespace {

namespace fs = std::filesystem;
using brainalign::testing::ScratchDir;

const fs::path kSounds = fs::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/wav";

// The mel model, declaring `bytes` per clip and recording how many clips run at once.
class CountingModel final : public models::Model {
 public:
  explicit CountingModel(std::size_t bytes) : inner_(models::make_model("mel")), bytes_(bytes) {}
  std::string name() const override { return "mel"; }
  double sample_rate() const override { return inner_->sample_rate(); }
  std::vector<std::string> layer_names() const override { return inner_->layer_names(); }
  std::size_t forward_memory_bytes(std::size_t samples) const override {
    EXPECT_GT(samples, 0u);
    return bytes_;
  }
  std::vector<models::LayerActivations> forward(const dsp::Audio& audio) const override {
    const int now = ++running_;
    int seen = most_.load();
    while (now > seen && !most_.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // let the clips overlap
    auto layers = inner_->forward(audio);
    --running_;
    return layers;
  }
  int most_at_once() const { return most_; }

 private:
  std::unique_ptr<models::Model> inner_;
  std::size_t bytes_;
  mutable std::atomic<int> running_{0};
  mutable std::atomic<int> most_{0};
};

std::vector<fs::path> six_sounds() {
  std::vector<fs::path> files = features::list_audio_files(kSounds);
  files.resize(6);
  return files;
}

int most_at_once(std::size_t clip_bytes, std::size_t budget,
                 features::ExtractedFeatures* out = nullptr) {
  const CountingModel model(clip_bytes);
  features::ExtractOptions options;
  options.threads = 4;
  options.use_cache = false;
  options.memory_budget = budget;
  features::ExtractedFeatures features = features::extract_features(model, six_sounds(), options);
  if (out != nullptr) *out = std::move(features);
  return model.most_at_once();
}

TEST(ExtractMemoryBudget, ClipsInFlightStayWithinTheBudget) {
  features::ExtractedFeatures free_run, two_at_once, alone, too_big;
  EXPECT_GE(most_at_once(100, 1000, &free_run), 3) << "four threads overlap without a limit";
  EXPECT_LE(most_at_once(100, 250, &two_at_once), 2);
  EXPECT_EQ(most_at_once(100, 199, &alone), 1);
  // A clip needing more than the whole budget still runs, alone.
  EXPECT_EQ(most_at_once(5000, 1000, &too_big), 1);
  for (const auto* run : {&two_at_once, &alone, &too_big}) {
    ASSERT_EQ(run->values.size(), free_run.values.size());
    for (std::size_t l = 0; l < run->values.size(); ++l) {
      for (std::size_t i = 0; i < run->values[l].size(); ++i) {
        EXPECT_EQ(run->values[l][i], free_run.values[l][i]) << "layer " << l << " clip " << i;
      }
    }
  }
}

TEST(ExtractMemoryBudget, DefaultBudgetIsHalfOfTheAvailableMemory) {
  const std::size_t budget = features::default_memory_budget();
  EXPECT_GT(budget, std::size_t{16} << 20);
  EXPECT_LT(budget, std::size_t{1} << 50);
}

}  // namespace
}  // namespace brainalign
