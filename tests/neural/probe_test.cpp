// Probes on small HEAR tasks synthesized on the fly: real audio through real front ends must
// beat chance by a wide margin; features without label information must stay at chance.
// Epochs are capped (ProbeOptions::epoch_cap) to keep the tests short; the protocol's other
// settings are its own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "brainalign/base/error.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/hear/metrics.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/probes/evaluate.h"
#include "common/python_exchange.h"
#include "hear/hear_task_builder.h"

namespace brainalign::neural {
namespace {

namespace fs = std::filesystem;
using testing::SynthClip;

constexpr int kRate = 16000;

ProbeOptions quick_options(int threads = 2) {
  ProbeOptions options = ProbeOptions::for_protocol(Protocol::kPepino2025);
  options.epoch_cap = 25;
  options.threads = threads;
  return options;
}

TaskResult run(const fs::path& dir, const std::string& model_name, const fs::path& cache,
               Protocol protocol = Protocol::kPepino2025) {
  const hear::HearTask task = hear::read_hear_task(dir);
  const auto model = models::make_model(model_name);
  features::ExtractOptions extract;
  extract.cache_dir = cache;
  extract.threads = 2;
  const hear::TaskEmbeddings embeddings = hear::embed_task(*model, task, extract);
  ProbeOptions options = quick_options();
  if (protocol == Protocol::kHear2021) {
    options = ProbeOptions::for_protocol(protocol);
    options.epoch_cap = 30;
    options.threads = 2;
  }
  return evaluate_task(task, embeddings, protocol, options);
}

const std::vector<std::string> kPitchLabels = {"p0", "p1", "p2", "p3", "p4", "p5"};

// 6 pitches, harmonic tones with random timbre and level, in 5 folds or train/valid/test.
std::vector<std::vector<SynthClip>> pitch_splits(int n_splits, int per_class, unsigned seed) {
  std::mt19937 rng(seed);
  const double pitches[] = {196.0, 262.0, 330.0, 440.0, 587.0, 784.0};
  std::vector<std::vector<SynthClip>> splits(static_cast<std::size_t>(n_splits));
  for (auto& split : splits) {
    for (int p = 0; p < 6; ++p) {
      for (int i = 0; i < per_class; ++i) {
        split.push_back({testing::tone(pitches[p], kRate, 0.4, rng), {kPitchLabels[p]}});
      }
    }
  }
  return splits;
}

TEST(DownstreamProbe, PitchTaskBeatsChanceInBothSplitModes) {
  testing::PythonExchange tmp;
  testing::write_hear_task(tmp.dir() / "pitch5", "pitch5", pitch_splits(5, 3, 1), true, false,
                           "pitch_acc", kRate, kPitchLabels);
  const TaskResult kfold = run(tmp.dir() / "pitch5", "mel", tmp.dir() / "cache");
  EXPECT_EQ(kfold.folds.size(), 5u);
  EXPECT_EQ(kfold.grid_valid_scores.size(), 16u);
  EXPECT_GT(kfold.score, 0.6) << "chance is 1/6";
  ASSERT_EQ(kfold.folds[0].layer_weights.size(), 2u);
  EXPECT_NEAR(kfold.folds[0].layer_weights[0] + kfold.folds[0].layer_weights[1], 1.0, 1e-5);

  testing::write_hear_task(tmp.dir() / "pitch_tvt", "pitch_tvt", pitch_splits(3, 4, 2), false,
                           false, "pitch_acc", kRate, kPitchLabels);
  const TaskResult tvt = run(tmp.dir() / "pitch_tvt", "mel", tmp.dir() / "cache");
  EXPECT_EQ(tvt.folds.size(), 1u);
  EXPECT_GT(tvt.score, 0.6);
}

TEST(DownstreamProbe, NoiseColourAndMultilabelMixtures) {
  testing::PythonExchange tmp;
  std::mt19937 rng(3);
  std::vector<std::vector<SynthClip>> noise(3);
  for (auto& split : noise) {
    for (int c = 0; c < 3; ++c) {
      for (int i = 0; i < 5; ++i) {
        split.push_back({testing::coloured_noise(c, kRate, 0.4, rng),
                         {std::vector<std::string>{"white", "pink", "brown"}[c]}});
      }
    }
  }
  testing::write_hear_task(tmp.dir() / "noise", "noise", noise, false, false, "top1_acc", kRate,
                           {"white", "pink", "brown"});
  EXPECT_GT(run(tmp.dir() / "noise", "mel", tmp.dir() / "cache").score, 0.8) << "chance is 1/3";

  // Mixtures of a low tone, a high tone and brown noise: any subset (multilabel, mAP).
  std::vector<std::vector<SynthClip>> mixtures(5);
  std::uniform_int_distribution<int> subset(1, 7);
  for (auto& split : mixtures) {
    for (int i = 0; i < 14; ++i) {
      const int bits = subset(rng);
      SynthClip clip{std::vector<double>(static_cast<std::size_t>(kRate * 0.4), 0.0), {}};
      auto add = [&](const std::vector<double>& x, const char* label) {
        for (std::size_t k = 0; k < x.size(); ++k) clip.samples[k] += x[k];
        clip.labels.push_back(label);
      };
      if (bits & 1) add(testing::tone(220, kRate, 0.4, rng), "low");
      if (bits & 2) add(testing::tone(1760, kRate, 0.4, rng), "high");
      if (bits & 4) add(testing::coloured_noise(2, kRate, 0.4, rng), "rumble");
      split.push_back(std::move(clip));
    }
  }
  testing::write_hear_task(tmp.dir() / "mix", "mix", mixtures, true, true, "mAP", kRate,
                           {"low", "high", "rumble"});
  EXPECT_GT(run(tmp.dir() / "mix", "mel", tmp.dir() / "cache").score, 0.8)
      << "chance is about 0.57 (label prevalence)";
}

TEST(DownstreamProbe, SpokenWordsInSeveralVoices) {
  if (std::system("command -v espeak-ng > /dev/null 2>&1") != 0) GTEST_SKIP() << "no espeak-ng";
  testing::PythonExchange tmp;
  const fs::path dir = tmp.dir() / "words";
  const std::vector<std::string> words = {"yes", "stop", "seven"};
  const std::vector<std::string> voices = {"en",    "en-us",      "en+f3", "en+m3", "en+f2",
                                           "en+m7", "en-gb-x-rp", "en+f4", "en+m1"};
  std::vector<std::vector<SynthClip>> splits(3);
  fs::create_directories(tmp.dir() / "raw");
  for (std::size_t v = 0; v < voices.size(); ++v) {
    for (const auto& word : words) {
      const fs::path wav = tmp.dir() / "raw" / (word + std::to_string(v) + ".wav");
      const std::string cmd = "espeak-ng -v " + voices[v] + " -s " + std::to_string(140 + 10 * v) +
                              " -w " + wav.string() + " " + word;
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
      const auto audio = dsp::read_audio(wav);
      splits[v % 3].push_back(
          {dsp::cut_or_pad(dsp::resample(audio.samples, audio.sample_rate, kRate),
                           static_cast<std::size_t>(kRate * 0.8)),
           {word}});
    }
  }
  testing::write_hear_task(dir, "words", splits, false, false, "top1_acc", kRate, words);
  EXPECT_GT(run(dir, "mfcc", tmp.dir() / "cache").score, 0.65) << "chance is 1/3";
}

TEST(DownstreamProbe, UninformativeFeaturesStayAtChanceAndThreadsDoNotMatter) {
  testing::PythonExchange tmp;
  testing::write_hear_task(tmp.dir() / "t", "t", pitch_splits(5, 8, 4), true, false, "top1_acc",
                           kRate, kPitchLabels);
  const hear::HearTask task = hear::read_hear_task(tmp.dir() / "t");
  hear::TaskEmbeddings random;
  random.layers = {"a", "b", "c"};
  std::mt19937 rng(5);
  std::normal_distribution<double> g(0, 1);
  for (const auto& split : task.splits) {
    std::vector<Matrix> layers;
    for (int l = 0; l < 3; ++l) {
      Matrix m(static_cast<Eigen::Index>(split.clips.size()), 20 + 10 * l);  // PCA to 20
      for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = g(rng);
      layers.push_back(m);
    }
    random.splits[split.name] = layers;
  }
  const TaskResult one = evaluate_task(task, random, Protocol::kPepino2025, quick_options(1));
  EXPECT_LT(one.score, 0.32) << "chance is 1/6";
  const TaskResult two = evaluate_task(task, random, Protocol::kPepino2025, quick_options(2));
  ASSERT_EQ(one.folds.size(), two.folds.size());
  for (std::size_t f = 0; f < one.folds.size(); ++f) {
    EXPECT_EQ(one.folds[f].test_score, two.folds[f].test_score);
    EXPECT_EQ(one.folds[f].layer_weights, two.folds[f].layer_weights);
  }
  EXPECT_EQ(one.grid_valid_scores, two.grid_valid_scores);
}

TEST(DownstreamProbe, Hear2021UsesTheLastLayerAndEightGridPoints) {
  testing::PythonExchange tmp;
  testing::write_hear_task(tmp.dir() / "p", "p", pitch_splits(3, 3, 6), false, false, "pitch_acc",
                           kRate, kPitchLabels);
  const TaskResult r = run(tmp.dir() / "p", "mel", tmp.dir() / "cache", Protocol::kHear2021);
  EXPECT_EQ(r.grid_valid_scores.size(), 8u);
  EXPECT_EQ(r.layers, std::vector<std::string>{"melspec_db"});
  EXPECT_GT(r.score, 0.5);
}

TEST(DownstreamProbe, CommandLineWritesSummariesAndReusesTheCache) {
  testing::PythonExchange tmp;
  testing::write_hear_task(tmp.dir() / "pitch", "pitch", pitch_splits(3, 3, 7), false, false,
                           "pitch_acc", kRate, kPitchLabels);
  const std::string base = std::string("BRAINALIGN_CACHE=") + (tmp.dir() / "cache").string() + " " +
                           BRAINALIGN_CLI + " downstream --model mel --task " +
                           (tmp.dir() / "pitch").string() + " --max-epochs 10 --threads 2 ";
  ASSERT_EQ(std::system((base + "--out " + (tmp.dir() / "out").string()).c_str()), 0);
  const auto task_summary =
      nlohmann::json::parse(std::ifstream(tmp.dir() / "out" / "pitch" / "summary.json"));
  EXPECT_EQ(task_summary["metric"], "pitch_acc");
  EXPECT_EQ(task_summary["per_fold"].size(), 1u);
  EXPECT_TRUE(task_summary.contains("chosen_config"));
  EXPECT_TRUE(task_summary.contains("layer_weights"));
  const auto summary = nlohmann::json::parse(std::ifstream(tmp.dir() / "out" / "summary.json"));
  EXPECT_EQ(summary["tasks"].size(), 1u);
  // A second protocol reads every clip from the cache (the progress line says so).
  const std::string second = base + "--protocol hear2021 --seed 3 --out " +
                             (tmp.dir() / "out2").string() + " > " +
                             (tmp.dir() / "stdout.txt").string() + " 2>/dev/null";
  ASSERT_EQ(std::system(second.c_str()), 0);
  std::stringstream printed;
  printed << std::ifstream(tmp.dir() / "stdout.txt").rdbuf();
  EXPECT_NE(printed.str().find("(0 computed, 54 from cache)"), std::string::npos) << printed.str();
  EXPECT_TRUE(fs::exists(tmp.dir() / "out2" / "summary.json"));
  const std::string bad = std::string(BRAINALIGN_CLI) + " downstream --model mel --task " +
                          tmp.dir().string() + "/none --out " + tmp.dir().string() +
                          "/x 2>/dev/null";
  EXPECT_EQ(WEXITSTATUS(std::system(bad.c_str())), 2);
}

}  // namespace
}  // namespace brainalign::neural
