// The layer lists of the published studies: for full-size architectures, exactly the lists of
// Tuckute et al. 2023 (aud_dnn/resources.py) and Pepino et al. 2025 (src/specs.py), written
// out here in brainalign's names; for the tiny golden models, the studies' rules sized by
// their layer count; `brainalign extract --layers` keeps exactly those arrays of the full
// extraction.
#include "brainalign/models/published_layers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/model_families.h"
#include "common/command_run.h"
#include "common/golden.h"
#include "common/scratch_dir.h"

namespace brainalign::neural {
namespace {

namespace fs = std::filesystem;
using Layers = std::vector<std::string>;
using brainalign::testing::read_npz_contents;
using brainalign::testing::run_command;
using brainalign::testing::ScratchDir;
using testing::golden_dir;

Layers for_arch(const std::string& study, const std::string& family, int layers) {
  return models::published_layers(study, models::StudyArchitecture{family, layers});
}

// Tuckute's Embedding, Encoder_1 ... Encoder_12 (and Pepino's for wav2vec2, S2T, BEATs_0..12).
const Layers kEmbeddingAnd12 = {"embedding",  "encoder.1",  "encoder.2", "encoder.3", "encoder.4",
                                "encoder.5",  "encoder.6",  "encoder.7", "encoder.8", "encoder.9",
                                "encoder.10", "encoder.11", "encoder.12"};

TEST(PublishedLayers, Tuckute2023FullSizeModels) {
  // wav2vec2-base-960h and S2T (LibriSpeech small): 12 transformer layers each.
  EXPECT_EQ(for_arch("tuckute2023", "wav2vec2", 12), kEmbeddingAnd12);
  EXPECT_EQ(for_arch("tuckute2023", "speech_to_text", 12), kEmbeddingAnd12);
  // Its AST hooks the patch convolution and the feed-forward outputs: not brainalign layers.
  for (const char* family : {"audio-spectrogram-transformer", "hubert", "wavlm", "data2vec-audio",
                             "whisper", "encodec", "beats", "dasheng", "encodecmae"}) {
    EXPECT_TRUE(for_arch("tuckute2023", family, 12).empty()) << family;
  }
}

TEST(PublishedLayers, Pepino2025FullSizeModels) {
  EXPECT_EQ(for_arch("pepino2025", "wav2vec2", 12), kEmbeddingAnd12);
  EXPECT_EQ(for_arch("pepino2025", "speech_to_text", 12), kEmbeddingAnd12);
  EXPECT_EQ(for_arch("pepino2025", "beats", 12), kEmbeddingAnd12);  // BEATs_*_0..12
  // dasheng_base_0..11: the 12 layers' outputs.
  EXPECT_EQ(for_arch("pepino2025", "dasheng", 12),
            Layers(kEmbeddingAnd12.begin() + 1, kEmbeddingAnd12.end()));
  // dasheng_06B_{0,3,...,30,31} of 32 layers; dasheng_12B_{0,4,...,36,39} of 40.
  EXPECT_EQ(
      for_arch("pepino2025", "dasheng", 32),
      (Layers{"encoder.1", "encoder.4", "encoder.7", "encoder.10", "encoder.13", "encoder.16",
              "encoder.19", "encoder.22", "encoder.25", "encoder.28", "encoder.31", "encoder.32"}));
  EXPECT_EQ(for_arch("pepino2025", "dasheng", 40),
            (Layers{"encoder.1", "encoder.5", "encoder.9", "encoder.13", "encoder.17", "encoder.21",
                    "encoder.25", "encoder.29", "encoder.33", "encoder.37", "encoder.40"}));
  // mel256-ec-small_0..4, mel256-ec-base_0..9, mel256-ec-large_{0,2,...,18,19}.
  EXPECT_EQ(for_arch("pepino2025", "encodecmae", 5),
            (Layers{"encoder.1", "encoder.2", "encoder.3", "encoder.4", "encoder.5"}));
  EXPECT_EQ(for_arch("pepino2025", "encodecmae", 10),
            (Layers{"encoder.1", "encoder.2", "encoder.3", "encoder.4", "encoder.5", "encoder.6",
                    "encoder.7", "encoder.8", "encoder.9", "encoder.10"}));
  EXPECT_EQ(for_arch("pepino2025", "encodecmae", 20),
            (Layers{"encoder.1", "encoder.3", "encoder.5", "encoder.7", "encoder.9", "encoder.11",
                    "encoder.13", "encoder.15", "encoder.17", "encoder.19", "encoder.20"}));
  // braindnn_ast hooks modules that are not brainalign layers.
  EXPECT_TRUE(for_arch("pepino2025", "audio-spectrogram-transformer", 12).empty());
  for (const char* family : {"hubert", "wavlm", "data2vec-audio", "whisper", "encodec"}) {
    EXPECT_TRUE(for_arch("pepino2025", family, 12).empty()) << family;
  }
}

TEST(PublishedLayers, UnknownStudyIsNamed) {
  try {
    for_arch("kell2018", "wav2vec2", 12);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'kell2018'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tuckute2023"), std::string::npos) << e.what();
  }
  EXPECT_THROW(models::make_model("spectemp")->published_layers("Tuckute2023"), InputError);
}

TEST(PublishedLayers, FixedFrontEnds) {
  for (const char* study : {"tuckute2023", "pepino2025"}) {
    EXPECT_EQ(models::make_model("spectemp")->published_layers(study), Layers{"avgpool"});
    for (const char* name : {"mel", "mfcc", "cochleagram"}) {
      EXPECT_TRUE(models::make_model(name)->published_layers(study).empty()) << name;
    }
  }
}

// N of a model's "encoder.<i>" layers, counted independently of the library.
int transformer_layers(const Layers& names) {
  int n = 0;
  while (std::find(names.begin(), names.end(), "encoder." + std::to_string(n + 1)) != names.end()) {
    ++n;
  }
  return n;
}

Layers embedding_and(int n) {
  Layers out{"embedding"};
  for (int i = 1; i <= n; ++i) out.push_back("encoder." + std::to_string(i));
  return out;
}

Layers layers_only(int n) {
  Layers out = embedding_and(n);
  out.erase(out.begin());
  return out;
}

struct GoldenCase {
  std::string model;  // registry name
  bool tuckute_all = false, pepino_all = false, pepino_outputs_only = false;
};

TEST(PublishedLayers, GoldenModelsFollowTheRuleAtTheirDepth) {
  register_model_families();
  const auto hf = [](const char* folder) { return "hf:" + golden_dir(folder).string(); };
  const auto pt = [](const char* folder) {
    return "auto:" + (golden_dir(folder) / "model.pt").string();
  };
  const std::vector<GoldenCase> cases = {
      {hf("wav2vec2_base_like"), true, true, false},
      {hf("wav2vec2_large_like"), true, true, false},
      {hf("ast_like")},
      {hf("s2t_encoder_like"), true, true, false},
      {hf("hubert_base_like")},
      {hf("wavlm_base_like")},
      {hf("data2vec_audio_like")},
      {hf("whisper_encoder_like")},
      {hf("encodec_encoder_like")},
      {pt("beats_like"), false, true, false},
      {pt("dasheng_like"), false, false, true},
      {pt("encodecmae_like"), false, false, true},
  };
  for (const auto& c : cases) {
    const auto model = models::make_model(c.model);
    const int n = transformer_layers(model->layer_names());
    const Layers tuckute = c.tuckute_all ? embedding_and(n) : Layers{};
    const Layers pepino =
        c.pepino_all ? embedding_and(n) : (c.pepino_outputs_only ? layers_only(n) : Layers{});
    EXPECT_EQ(model->published_layers("tuckute2023"), tuckute) << c.model;
    EXPECT_EQ(model->published_layers("pepino2025"), pepino) << c.model;
    if (c.tuckute_all || c.pepino_all || c.pepino_outputs_only) {
      EXPECT_GT(n, 0) << c.model;
    }
  }
}

brainalign::testing::CommandResult extract(const std::string& model, const fs::path& stimuli,
                                           const fs::path& out, const std::string& layers) {
  std::vector<std::string> args = {
      BRAINALIGN_CLI, "extract",    "--model",   model, "--stimuli",  stimuli.string(),
      "--out",        out.string(), "--threads", "2",   "--no-cache", "--quiet"};
  if (!layers.empty()) {
    args.push_back("--layers");
    args.push_back(layers);
  }
  return run_command(args);
}

TEST(PublishedLayers, ExtractKeepsExactlyTheStudysLayers) {
  const ScratchDir dir;
  const fs::path stimuli = dir / "sounds";
  fs::create_directories(stimuli);
  const fs::path sounds = fs::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/wav";
  for (const std::string name : {"stim5_alarm_clock", "stim7_applause"}) {
    fs::copy_file(sounds / (name + ".wav"), stimuli / (name + ".wav"));
  }
  const std::string model = "hf:" + golden_dir("wav2vec2_base_like").string();
  const auto full = extract(model, stimuli, dir / "full.npz", "");
  ASSERT_EQ(full.status, 0) << full.output;
  const auto kept = extract(model, stimuli, dir / "kept.npz", "pepino2025");
  ASSERT_EQ(kept.status, 0) << kept.output;
  const auto all = read_npz_contents(dir / "full.npz");
  const auto some = read_npz_contents(dir / "kept.npz");
  // The golden wav2vec2 has 3 transformer layers; its cnn.* layers are left out.
  Layers expected = {"embedding", "encoder.1", "encoder.2", "encoder.3", "__stimuli__"};
  EXPECT_EQ(some.names, expected);
  ASSERT_GT(all.names.size(), expected.size());
  for (const auto& name : expected) {
    ASSERT_TRUE(all.arrays.count(name)) << name;
    EXPECT_EQ(some.arrays.at(name).shape(), all.arrays.at(name).shape()) << name;
    if (name == "__stimuli__") {
      EXPECT_EQ(some.arrays.at(name).to_strings(), all.arrays.at(name).to_strings());
    } else {
      EXPECT_EQ(some.arrays.at(name).to_doubles(), all.arrays.at(name).to_doubles()) << name;
    }
  }

  const std::string whisper = "hf:" + golden_dir("whisper_encoder_like").string();
  const auto none = extract(whisper, stimuli, dir / "none.npz", "tuckute2023");
  EXPECT_NE(none.status, 0);
  EXPECT_NE(none.output.find("whisper_encoder_like"), std::string::npos) << none.output;
  EXPECT_NE(none.output.find("tuckute2023"), std::string::npos) << none.output;
  EXPECT_FALSE(fs::exists(dir / "none.npz"));

  const auto bad = extract(model, stimuli, dir / "bad.npz", "kell2018");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.output.find("kell2018"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace brainalign::neural
