// The hf: and torchscript: model families through the CLI: `brainalign extract` on real
// sounds writes, for every layer, the mean over time of what the network computes (the
// library's direct forward for the Hugging Face ports, which the golden tests check; PyTorch
// itself for TorchScript archives), whatever the thread count; auto:PATH finds the family;
// errors name the file.
#include "brainalign/neural/model_families.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "brainalign/base/error.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/families/hf/hf_folder.h"
#include "brainalign/neural/families/torchscript/torchscript_model.h"
#include "common/command_run.h"
#include "common/error_message.h"
#include "common/generated_files.h"
#include "common/golden.h"
#include "common/scratch_dir.h"

namespace brainalign::neural {
namespace {

namespace fs = std::filesystem;
using brainalign::testing::GeneratedFilesTest;
using brainalign::testing::read_npz_contents;
using brainalign::testing::run_command;
using brainalign::testing::ScratchDir;
using testing::golden_dir;

const fs::path kSounds = fs::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/wav";
const std::vector<std::string> kStimuli = {"stim5_alarm_clock", "stim7_applause",
                                           "stim11_baby_crying"};

fs::path copy_stimuli(const ScratchDir& dir) {
  const fs::path folder = dir / "sounds";
  fs::create_directories(folder);
  for (const auto& name : kStimuli) {
    fs::copy_file(kSounds / (name + ".wav"), folder / (name + ".wav"));
  }
  return folder;
}

// max |a - b| / max |b| over a layer's stimuli x features.
double relative_error(const std::vector<double>& actual, const std::vector<double>& expected) {
  EXPECT_EQ(actual.size(), expected.size());
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    diff = std::max(diff, std::abs(actual[i] - expected[i]));
    scale = std::max(scale, std::abs(expected[i]));
  }
  return diff / std::max(scale, 1e-30);
}

brainalign::testing::CommandResult extract(const std::string& model, const fs::path& stimuli,
                                           const fs::path& out, int threads = 2) {
  return run_command({BRAINALIGN_CLI, "extract", "--model", model, "--stimuli", stimuli.string(),
                      "--out", out.string(), "--threads", std::to_string(threads), "--no-cache",
                      "--quiet"});
}

class HfFamilyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { register_model_families(); }
};

TEST_P(HfFamilyTest, CliWritesTheMeanOverTimeOfTheDirectForward) {
  const fs::path folder = golden_dir(GetParam());
  const ScratchDir dir;
  const fs::path stimuli = copy_stimuli(dir);
  const auto run = extract("hf:" + folder.string(), stimuli, dir / "features.npz");
  ASSERT_EQ(run.status, 0) << run.output;
  const auto written = read_npz_contents(dir / "features.npz");

  const auto network = load_audio_model(folder);
  std::vector<std::string> expected_names = network->layer_names();
  expected_names.push_back("__stimuli__");
  EXPECT_EQ(written.names, expected_names);

  std::vector<std::vector<double>> expected(network->layer_names().size());
  for (const auto& name : kStimuli) {
    dsp::Audio audio = dsp::read_audio(kSounds / (name + ".wav"));
    const std::vector<double> samples =
        dsp::resample(audio.samples, audio.sample_rate, network->sample_rate());
    const auto layers = network->forward_waveform(at::tensor(samples, at::kDouble).to(at::kFloat));
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const at::Tensor mean = layers[l].to(at::kDouble).mean(0).contiguous();
      expected[l].insert(expected[l].end(), mean.data_ptr<double>(),
                         mean.data_ptr<double>() + mean.numel());
    }
  }
  for (std::size_t l = 0; l < expected.size(); ++l) {
    const auto& array = written.arrays.at(network->layer_names()[l]);
    ASSERT_EQ(array.shape().size(), 2u);
    EXPECT_EQ(array.shape()[0], kStimuli.size());
    const double error = relative_error(array.to_doubles(), expected[l]);
    EXPECT_LT(error, 1e-5) << GetParam() << " layer " << network->layer_names()[l];
  }

  const auto model = models::make_model("auto:" + folder.string());
  EXPECT_EQ(model->name(), "hf:" + GetParam());
  EXPECT_EQ(model->layer_names(), network->layer_names());
  EXPECT_EQ(model->weights_id().size(), 64u);
}

INSTANTIATE_TEST_SUITE_P(Golden, HfFamilyTest,
                         ::testing::Values("wav2vec2_base_like", "wav2vec2_large_like",
                                           "hubert_base_like", "wavlm_base_like",
                                           "data2vec_audio_like", "whisper_encoder_like",
                                           "ast_like", "s2t_encoder_like", "encodec_encoder_like"));

TEST(HfFamily, ThreadCountDoesNotChangeTheFeatures) {
  register_model_families();
  const ScratchDir dir;
  const fs::path stimuli = copy_stimuli(dir);
  const std::string model = "hf:" + golden_dir("wavlm_base_like").string();
  ASSERT_EQ(extract(model, stimuli, dir / "one.npz", 1).status, 0);
  ASSERT_EQ(extract(model, stimuli, dir / "two.npz", 2).status, 0);
  const auto one = read_npz_contents(dir / "one.npz");
  const auto two = read_npz_contents(dir / "two.npz");
  ASSERT_EQ(one.names, two.names);
  for (const auto& name : one.names) {
    if (name == "__stimuli__") continue;
    EXPECT_EQ(one.arrays.at(name).to_doubles(), two.arrays.at(name).to_doubles()) << name;
  }
}

TEST(HfFamily, ErrorsNameTheFolderOrFile) {
  register_model_families();
  const ScratchDir dir;
  EXPECT_NE(brainalign::testing::error_message([&] {
              models::make_model("hf:" + (dir / "absent").string());
            }).find((dir / "absent").string() + " does not exist"),
            std::string::npos);
  fs::create_directories(dir / "half");
  fs::copy_file(golden_dir("hubert_base_like") / "config.json", dir / "half" / "config.json");
  EXPECT_NE(brainalign::testing::error_message([&] {
              models::make_model("hf:" + (dir / "half").string());
            }).find((dir / "half" / "model.safetensors").string() + " does not exist"),
            std::string::npos);
  const std::string beats = (golden_dir("beats_like") / "model.pt").string();
  EXPECT_NE(brainalign::testing::error_message([&] {
              models::make_model("hf:" + beats);
            }).find(beats + " is a BEATs checkpoint, not a Hugging Face model folder"),
            std::string::npos);
  // A folder of a .pt port also has config.json + model.safetensors, but no model_type.
  EXPECT_EQ(models::make_model("auto:" + golden_dir("beats_like").string() + "/model.pt")->name(),
            "beats:model");
  EXPECT_NE(brainalign::testing::error_message([&] {
              models::make_model("auto:" + golden_dir("beats_like").string());
            }).find("is not a model of any known family"),
            std::string::npos);
}

// The archives and PyTorch's answers for them (tests/neural/torchscript_archives.py).
class TorchScriptFamilyTest : public GeneratedFilesTest<TorchScriptFamilyTest> {
 protected:
  static void SetUpTestSuite() {
    register_model_families();
    std::vector<std::string> arguments = {kSounds.string()};
    arguments.insert(arguments.end(), kStimuli.begin(), kStimuli.end());
    generate("neural/torchscript_archives.py", arguments);
  }
};

TEST_F(TorchScriptFamilyTest, LayersAreTheMeanOverTimeOfPyTorchsOutputs) {
  for (const std::string& archive : std::vector<std::string>{"tuple", "traced", "list", "dict"}) {
    for (const std::string& prefix : std::vector<std::string>{"torchscript:", "auto:"}) {
      const fs::path out = at(archive + "_" + prefix.substr(0, prefix.size() - 1) + ".npz");
      const auto run = extract(prefix + at(archive + ".pt").string(), at("stimuli"), out);
      ASSERT_EQ(run.status, 0) << run.output;
      const auto written = read_npz_contents(out);
      const auto reference = read_npz_contents(at("reference_" + archive + ".npz"));
      std::vector<std::string> names = reference.names;
      names.push_back("__stimuli__");
      EXPECT_EQ(written.names, names) << archive;
      for (const auto& layer : reference.names) {
        const double error = relative_error(written.arrays.at(layer).to_doubles(),
                                            reference.arrays.at(layer).to_doubles());
        EXPECT_LT(error, 1e-5) << archive << " " << layer;
      }
    }
  }
  const auto model = models::make_model("torchscript:" + at("dict.pt").string());
  EXPECT_EQ(model->name(), "torchscript:dict");
  EXPECT_EQ(model->layer_names(), (std::vector<std::string>{"conv", "grid", "summary"}));
}

TEST_F(TorchScriptFamilyTest, SampleRateFromSidecarAttributeOrDefault) {
  EXPECT_EQ(models::make_model("torchscript:" + at("tuple.pt").string())->sample_rate(), 16000.0);
  EXPECT_EQ(models::make_model("torchscript:" + at("rate_attr.pt").string())->sample_rate(),
            8000.0);
  EXPECT_EQ(models::make_model("torchscript:" + at("sidecar.pt").string())->sample_rate(), 22050.0);
  const std::string bad = brainalign::testing::error_message(
      [&] { models::make_model("torchscript:" + at("bad_sidecar.pt").string()); });
  EXPECT_NE(bad.find(at("bad_sidecar.json").string()), std::string::npos) << bad;
  EXPECT_NE(bad.find("'rate' is not a known key"), std::string::npos) << bad;
  // The weights of an archive include its sidecar.
  EXPECT_NE(models::make_model("torchscript:" + at("sidecar.pt").string())->weights_id(),
            models::make_model("torchscript:" + at("tuple.pt").string())->weights_id());
}

TEST_F(TorchScriptFamilyTest, BadArchivesAreRefusedNamingTheFile) {
  const auto refused = [&](const std::string& archive, const std::string& what) {
    const auto run =
        extract("torchscript:" + at(archive).string(), at("stimuli"), at("refused.npz"));
    EXPECT_EQ(run.status, 2) << archive << ": " << run.output;
    EXPECT_NE(run.output.find(at(archive).string()), std::string::npos) << run.output;
    EXPECT_NE(run.output.find(what), std::string::npos) << run.output;
  };
  refused("returns_int.pt", "forward returned Int; expected a tensor");
  refused("batch2.pt", "batch size 2, expected 1");
  refused("truncated.pt", "not a TorchScript archive libtorch can load");
  refused("sdpa.pt", "scaled_dot_product_attention do not load in libtorch 1.13");
  const auto missing =
      extract("torchscript:" + at("absent.pt").string(), at("stimuli"), at("refused.npz"));
  EXPECT_EQ(missing.status, 3) << missing.output;
  EXPECT_NE(missing.output.find(at("absent.pt").string() + " does not exist"), std::string::npos)
      << missing.output;
  const auto wrong = extract("torchscript:" + golden_dir("dasheng_like").string() + "/model.pt",
                             at("stimuli"), at("refused.npz"));
  EXPECT_EQ(wrong.status, 2) << wrong.output;
  EXPECT_NE(wrong.output.find("is a Dasheng checkpoint, not a TorchScript archive"),
            std::string::npos)
      << wrong.output;
}

}  // namespace
}  // namespace brainalign::neural
