// The beats:, dasheng: and encodecmae: model families through the CLI: `brainalign extract` on
// real sounds writes, for "embedding" and "encoder.1..N", the mean over tokens of the port's
// hidden states (which the golden tests check against the reference code), whatever the thread
// count; auto:PATH finds the family; a wrong family or a corrupt checkpoint is named.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

#include "brainalign/dsp/audio.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/families/beats/beats.h"
#include "brainalign/neural/families/dasheng/dasheng.h"
#include "brainalign/neural/families/encodecmae/encodecmae.h"
#include "brainalign/neural/model_families.h"
#include "common/command_run.h"
#include "common/error_message.h"
#include "common/golden.h"
#include "common/scratch_dir.h"

namespace brainalign::neural {
namespace {

namespace fs = std::filesystem;
using brainalign::testing::read_npz_contents;
using brainalign::testing::run_command;
using brainalign::testing::ScratchDir;
using testing::golden_dir;

const fs::path kSounds = fs::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/wav";
const std::vector<std::string> kStimuli = {"stim5_alarm_clock", "stim7_applause",
                                           "stim11_baby_crying"};

struct Family {
  std::string prefix;
  std::string golden;
  double sample_rate;
  dsp::ResampleQuality quality;
  // The port's states for a waveform, and the names of those that are the registry's layers.
  std::function<std::vector<HiddenState>(const std::vector<double>&)> forward;
  std::vector<std::string> sources;
  // Whether the last source is a final norm, the registry's layer "output".
  bool final_norm_output = false;
};

std::vector<std::string> sources(const std::string& embedding, const std::string& prefix,
                                 int layers) {
  std::vector<std::string> names = {embedding};
  for (int i = 0; i < layers; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

std::vector<Family> families() {
  static const auto beats = BeatsModel::load(golden_dir("beats_like") / "model.pt");
  static const auto dasheng = DashengModel::load(golden_dir("dasheng_like") / "model.pt");
  static const auto encodecmae = EncodecMaeModel::load(golden_dir("encodecmae_like") / "model.pt");
  return {
      {"beats", "beats_like", 16000.0, dsp::ResampleQuality::kVeryHigh,
       [](const std::vector<double>& x) { return beats.forward(x); },
       sources("encoder.layer_norm", "encoder.layers.", beats.config().encoder_layers)},
      {"dasheng", "dasheng_like", 16000.0, dsp::ResampleQuality::kVeryHigh,
       [](const std::vector<double>& x) { return dasheng.forward(x); },
       [] {
         auto names = sources("blocks.input", "blocks.", dasheng.config().depth);
         names.emplace_back("norm");
         return names;
       }(),
       true},
      {"encodecmae", "encodecmae_like", 24000.0, dsp::ResampleQuality::kHigh,
       [](const std::vector<double>& x) { return encodecmae.forward(x); },
       sources("masker.positional_encoder", "visible_encoder.encoder_layers.",
               encodecmae.config().encoder_layers)},
  };
}

fs::path copy_stimuli(const ScratchDir& dir) {
  const fs::path folder = dir / "sounds";
  fs::create_directories(folder);
  for (const auto& name : kStimuli) {
    fs::copy_file(kSounds / (name + ".wav"), folder / (name + ".wav"));
  }
  return folder;
}

brainalign::testing::CommandResult extract(const std::string& model, const fs::path& stimuli,
                                           const fs::path& out, int threads = 2) {
  return run_command({BRAINALIGN_CLI, "extract", "--model", model, "--stimuli", stimuli.string(),
                      "--out", out.string(), "--threads", std::to_string(threads), "--no-cache",
                      "--quiet"});
}

double relative_error(const std::vector<double>& actual, const std::vector<double>& expected) {
  EXPECT_EQ(actual.size(), expected.size());
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    diff = std::max(diff, std::abs(actual[i] - expected[i]));
    scale = std::max(scale, std::abs(expected[i]));
  }
  return diff / std::max(scale, 1e-30);
}

TEST(PtModelFamilies, CliWritesTheMeanOverTokensOfThePortsStates) {
  neural::register_model_families();
  for (const auto& family : families()) {
    const fs::path checkpoint = golden_dir(family.golden) / "model.pt";
    const ScratchDir dir;
    const fs::path stimuli = copy_stimuli(dir);
    const auto run =
        extract(family.prefix + ":" + checkpoint.string(), stimuli, dir / "features.npz");
    ASSERT_EQ(run.status, 0) << run.output;
    const auto written = read_npz_contents(dir / "features.npz");
    std::vector<std::string> names = {"embedding"};
    const std::size_t layers = family.sources.size() - (family.final_norm_output ? 2 : 1);
    for (std::size_t i = 1; i <= layers; ++i) names.push_back("encoder." + std::to_string(i));
    if (family.final_norm_output) names.emplace_back("output");
    const auto model = models::make_model("auto:" + checkpoint.string());
    EXPECT_EQ(model->name(), family.prefix + ":model");
    EXPECT_EQ(model->layer_names(), names);
    EXPECT_EQ(model->sample_rate(), family.sample_rate);
    names.push_back("__stimuli__");
    EXPECT_EQ(written.names, names) << family.prefix;

    std::vector<std::vector<double>> expected(family.sources.size());
    for (const auto& name : kStimuli) {
      const dsp::Audio audio = dsp::read_audio(kSounds / (name + ".wav"));
      const auto states = family.forward(
          dsp::resample(audio.samples, audio.sample_rate, family.sample_rate, family.quality));
      for (std::size_t l = 0; l < family.sources.size(); ++l) {
        const at::Tensor value = find_hidden_state(states, family.sources[l]).value;
        ASSERT_EQ(value.dim(), 3) << family.sources[l];
        const at::Tensor mean = value[0].to(at::kDouble).mean(0).contiguous();
        expected[l].insert(expected[l].end(), mean.data_ptr<double>(),
                           mean.data_ptr<double>() + mean.numel());
      }
    }
    for (std::size_t l = 0; l < expected.size(); ++l) {
      const double error = relative_error(written.arrays.at(names[l]).to_doubles(), expected[l]);
      EXPECT_LT(error, 1e-5) << family.prefix << " " << names[l];
    }
  }
}

TEST(PtModelFamilies, ThreadCountDoesNotChangeTheFeatures) {
  const ScratchDir dir;
  const fs::path stimuli = copy_stimuli(dir);
  for (const auto& family : families()) {
    const std::string model =
        family.prefix + ":" + (golden_dir(family.golden) / "model.pt").string();
    ASSERT_EQ(extract(model, stimuli, dir / "one.npz", 1).status, 0);
    ASSERT_EQ(extract(model, stimuli, dir / "two.npz", 2).status, 0);
    const auto one = read_npz_contents(dir / "one.npz");
    const auto two = read_npz_contents(dir / "two.npz");
    ASSERT_EQ(one.names, two.names);
    for (const auto& name : one.names) {
      if (name == "__stimuli__") continue;
      EXPECT_EQ(one.arrays.at(name).to_doubles(), two.arrays.at(name).to_doubles())
          << family.prefix << " " << name;
    }
  }
}

TEST(PtModelFamilies, WrongFamilyAndCorruptCheckpointsAreNamed) {
  neural::register_model_families();
  const std::string beats = (golden_dir("beats_like") / "model.pt").string();
  const std::string dasheng = (golden_dir("dasheng_like") / "model.pt").string();
  const std::string encodecmae = (golden_dir("encodecmae_like") / "model.pt").string();
  EXPECT_NE(brainalign::testing::error_message([&] {
              models::make_model("dasheng:" + beats);
            }).find(beats + " is a BEATs checkpoint, not a Dasheng checkpoint: name it beats:"),
            std::string::npos);
  EXPECT_NE(brainalign::testing::error_message([&] {
              models::make_model("beats:" + encodecmae);
            }).find(encodecmae + " is an EnCodecMAE checkpoint, not a BEATs checkpoint"),
            std::string::npos);
  EXPECT_NE(brainalign::testing::error_message([&] {
              models::make_model("encodecmae:" + dasheng);
            }).find(dasheng + " is a Dasheng checkpoint"),
            std::string::npos);

  const ScratchDir dir;
  {
    std::ifstream in(beats, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir / "truncated.pt", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  const std::string truncated = (dir / "truncated.pt").string();
  const auto run = extract("beats:" + truncated, copy_stimuli(dir), dir / "out.npz");
  EXPECT_NE(run.status, 0);
  EXPECT_NE(run.output.find(truncated), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(dir / "out.npz"));
  EXPECT_NE(brainalign::testing::error_message([&] {
              models::make_model("auto:" + truncated);
            }).find("is not a model of any known family"),
            std::string::npos);
  EXPECT_NE(brainalign::testing::error_message([&] {
              models::make_model("beats:" + (dir / "absent.pt").string());
            }).find((dir / "absent.pt").string() + " does not exist"),
            std::string::npos);
}

TEST(PtModelFamilies, MemoryEstimateGrowsWithTheClip) {
  neural::register_model_families();
  for (const auto& family : families()) {
    const auto model =
        models::make_model(family.prefix + ":" + (golden_dir(family.golden) / "model.pt").string());
    const auto rate = static_cast<std::size_t>(family.sample_rate);
    const std::size_t one = model->forward_memory_bytes(rate);
    const std::size_t thirty = model->forward_memory_bytes(30 * rate);
    EXPECT_GT(one, 0u) << family.prefix;
    EXPECT_GT(thirty, 10 * one) << family.prefix;              // at least linear in the length
    EXPECT_LT(thirty, std::size_t{1} << 32) << family.prefix;  // tiny models, small clips
  }
}

}  // namespace
}  // namespace brainalign::neural
