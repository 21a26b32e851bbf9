// Probes on small HEAR tasks synthesized on the fly: real audio through real front ends must
// beat chance by a wide margin; features without label information must stay at chance.
// Epochs are capped (ProbeOptions::epoch_cap) to keep the tests short; the protocol's other
// settings are its own.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "brainalign/base/error.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/hear/downstream.h"
#include "brainalign/hear/metrics.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/probes/probe_training.h"
#include "common/python_exchange.h"
#include "hear/hear_task_builder.h"

namespace brainalign::neural {
namespace {

namespace fs = std::filesystem;
using namespace hear;
using testing::SynthClip;

// The probes train with libtorch, registered as the neural plugin registers it.
const bool kTrainerRegistered = (neural::register_probe_trainer(), true);

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

// A pre-LN encoder's "output" (its final norm) is the embedding hear2021 probes, and no layer
// of the pepino2025 weighted sum (the 2025 layer lists do not hold it).
TEST(DownstreamProbe, FinalNormOutputOnlyInHear2021) {
  testing::PythonExchange tmp;
  testing::write_hear_task(tmp.dir() / "t", "t", pitch_splits(3, 2, 8), false, false, "top1_acc",
                           kRate, kPitchLabels);
  const hear::HearTask task = hear::read_hear_task(tmp.dir() / "t");
  hear::TaskEmbeddings embeddings;
  embeddings.layers = {"embedding", "encoder.1", "encoder.2", "output"};
  std::mt19937 rng(12);
  std::normal_distribution<double> g(0, 1);
  for (const auto& split : task.splits) {
    std::vector<Matrix> layers;
    for (int l = 0; l < 4; ++l) {
      Matrix m(static_cast<Eigen::Index>(split.clips.size()), 5);
      for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = g(rng);
      layers.push_back(m);
    }
    embeddings.splits[split.name] = layers;
  }
  ProbeOptions options = quick_options();
  options.epoch_cap = 2;
  const TaskResult pepino = evaluate_task(task, embeddings, Protocol::kPepino2025, options);
  EXPECT_EQ(pepino.layers, (std::vector<std::string>{"embedding", "encoder.1", "encoder.2"}));
  EXPECT_EQ(pepino.folds[0].layer_weights.size(), 3u);
  options = ProbeOptions::for_protocol(Protocol::kHear2021);
  options.epoch_cap = 2;
  const TaskResult hear = evaluate_task(task, embeddings, Protocol::kHear2021, options);
  EXPECT_EQ(hear.layers, std::vector<std::string>{"output"});
  // A value float16 cannot hold is named with its task, split and layer.
  hear::TaskEmbeddings loud = embeddings;
  loud.splits.at(task.splits[1].name)[1](0, 2) = -8e4;
  options = quick_options();
  options.epoch_cap = 2;
  try {
    evaluate_task(task, loud, Protocol::kPepino2025, options);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("layer encoder.1"), std::string::npos) << message;
    EXPECT_NE(message.find(task.splits[1].name), std::string::npos) << message;
    EXPECT_NE(message.find("--probe-float32"), std::string::npos) << message;
  }
  options.float16_inputs = false;
  EXPECT_NO_THROW(evaluate_task(task, loud, Protocol::kPepino2025, options));
  // A model without the transformer scheme keeps a layer that happens to be called "output".
  embeddings.layers = {"conv", "pool", "fc", "output"};
  options = quick_options();
  options.epoch_cap = 2;
  EXPECT_EQ(evaluate_task(task, embeddings, Protocol::kPepino2025, options).layers.size(), 4u);
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

// numpy's float64 -> float16 cast, value by value: ties to even, subnormals, overflow to
// infinity, and values whose rounding through float32 first would land elsewhere.
TEST(DownstreamProbe, Float16RoundingAsNumpysCast) {
  std::vector<double> values = {0.0,
                                -0.0,
                                1.0,
                                1.0 + std::ldexp(1.0, -11),      // tie: to even (1.0)
                                1.0 + 3 * std::ldexp(1.0, -11),  // tie: to even (up)
                                1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40),  // not a tie
                                -(2049.0 + std::ldexp(1.0, -30)),
                                65503.9,
                                65519.99,
                                65520.0,  // rounds to infinity
                                -70000.0,
                                std::ldexp(1.0, -24),  // the smallest subnormal
                                std::ldexp(1.0, -25),  // tie with 0: to even (0)
                                std::ldexp(1.0, -25) + std::ldexp(1.0, -60),
                                3 * std::ldexp(1.0, -26),
                                std::ldexp(1.0, -14) - std::ldexp(1.0, -30),  // to the normals
                                0.1,
                                -300.07,
                                1e-30};
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> mantissa(-1, 1);
  std::uniform_int_distribution<int> exponent(-28, 17);
  for (int i = 0; i < 2000; ++i) values.push_back(std::ldexp(mantissa(rng), exponent(rng)));
  Matrix x(1, static_cast<Eigen::Index>(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i) x(0, static_cast<Eigen::Index>(i)) = values[i];
  testing::PythonExchange py;
  py.put("x", x);
  py.run("sys.path.insert(0, '" + std::string(BRAINALIGN_TEST_DIR) + "/reference')\n" +
         "import downstream_reference as ref\n" + "x = np.fromfile('x', '<f8')\n" +
         "ref.probe_inputs(x).astype('<f8').tofile('y')\n" +
         "x.astype(np.float32).astype(np.float16).astype('<f8').tofile('via32')\n");
  const Matrix expected = py.get("y", 1, x.cols());
  const Matrix via_float32 = py.get("via32", 1, x.cols());
  int differs_via_float32 = 0;
  for (Eigen::Index i = 0; i < x.cols(); ++i) {
    const double got = round_to_float16(x(0, i));
    EXPECT_EQ(got, expected(0, i)) << "x = " << x(0, i);
    EXPECT_EQ(std::signbit(got), std::signbit(expected(0, i))) << "x = " << x(0, i);
    if (via_float32(0, i) != expected(0, i)) ++differs_via_float32;
  }
  EXPECT_EQ(round_to_float16(65520.0), HUGE_VAL);
  EXPECT_EQ(round_to_float16(65519.99), kFloat16Max);
  EXPECT_TRUE(std::isnan(round_to_float16(std::nan(""))));
  // The direct cast is what the published code does; through float32 first, 1 + 2^-11 + 2^-40
  // and -(2049 + 2^-30) would round the other way.
  EXPECT_GE(differs_via_float32, 2);
}

// Inputs that differ only below float16's resolution: 300 -+ 0.05 (spacing 0.25 there) by
// class. Cast to float16 (pepino2025) every clip becomes 300 exactly, so every test clip gets
// the same logits and the probe cannot tell the classes apart; in float32 it can.
TEST(DownstreamProbe, Pepino2025CastsTheInputsToFloat16) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> jitter(-0.02, 0.02);
  auto split = [&](int clips) {
    ProbeSplit s{{Matrix(clips, 8)}, Matrix::Zero(clips, 2)};
    for (int i = 0; i < clips; ++i) {
      const int c = i % 2;
      s.targets(i, c) = 1;
      for (int j = 0; j < 8; ++j) s.layers[0](i, j) = 300.0 + (c ? 0.05 : -0.05) + jitter(rng);
    }
    return s;
  };
  const ProbeSplit train = split(64), valid = split(32), test = split(32);
  ProbeOptions options = ProbeOptions::for_protocol(Protocol::kPepino2025);
  EXPECT_TRUE(options.float16_inputs);
  EXPECT_TRUE(options.score_logits);
  options.patience = 1000;  // the batch-norm running statistics need the 200 epochs
  const ProbeConfig config{1, 1024, false, 3.2e-3};
  const ProbeResult half = train_probe(train, valid, test, false, "top1_acc", config, options, 0);
  // The same input for every clip: the same logits, up to the rounding of the matrix product's
  // blocks (about 1e-6 of their size), whatever the class.
  const auto spread = [](const Matrix& p) {
    return (p.rowwise() - p.row(0)).cwiseAbs().maxCoeff() / p.cwiseAbs().maxCoeff();
  };
  EXPECT_LT(spread(half.test_predictions), 1e-5);
  EXPECT_DOUBLE_EQ(half.test_score, 0.5);
  options.float16_inputs = false;
  const ProbeResult full = train_probe(train, valid, test, false, "top1_acc", config, options, 0);
  EXPECT_GT(spread(full.test_predictions), 0.1);
  EXPECT_GT(full.test_score, 0.9);
  std::printf("  float16 inputs: top1 %.3f, spread %.1e; float32: top1 %.3f, spread %.2f\n",
              half.test_score, spread(half.test_predictions), full.test_score,
              spread(full.test_predictions));
  EXPECT_FALSE(ProbeOptions::for_protocol(Protocol::kHear2021).float16_inputs);

  // A value float16 cannot hold is named with its split.
  ProbeSplit loud = test;
  loud.layers[0](3, 5) = 7e4;
  options.float16_inputs = true;
  try {
    train_probe(train, valid, loud, false, "top1_acc", config, options, 0);
    ADD_FAILURE() << "no error";
  } catch (const ArgumentError& e) {
    EXPECT_EQ(e.argument(), "test");
    EXPECT_NE(e.detail().find("70000"), std::string::npos) << e.what();
  }
}

// The metrics score the raw logits under pepino2025 (the 2025 code) and the softmax
// probabilities under hear2021 (the HEAR kit). On a multiclass mAP task the two differ: the
// softmax renormalises every clip, which reorders the clips within a class.
TEST(DownstreamProbe, Pepino2025ScoresTheRawLogits) {
  std::mt19937 rng(9);
  std::normal_distribution<double> g(0, 1);
  auto split = [&](int clips) {
    ProbeSplit s{{Matrix(clips, 6)}, Matrix::Zero(clips, 4)};
    for (int i = 0; i < clips; ++i) {
      const int c = i % 4;
      s.targets(i, c) = 1;
      for (int j = 0; j < 6; ++j) s.layers[0](i, j) = (j == c ? 0.8 : 0.0) + g(rng);
    }
    return s;
  };
  const ProbeSplit train = split(80), valid = split(40), test = split(40);
  const ProbeConfig config{1, 1024, false, 1e-3};
  for (Protocol protocol : {Protocol::kPepino2025, Protocol::kHear2021}) {
    ProbeOptions options = ProbeOptions::for_protocol(protocol);
    options.epoch_cap = 15;
    const ProbeResult r = train_probe(train, valid, test, false, "mAP", config, options, 3);
    ASSERT_EQ(r.test_predictions.rows(), 40);
    ASSERT_EQ(r.test_predictions.cols(), 4);
    testing::PythonExchange py;
    py.put("p", r.test_predictions);
    py.put("t", test.targets);
    py.run("sys.path.insert(0, '" + std::string(BRAINALIGN_TEST_DIR) + "/reference')\n" + R"(
import downstream_reference as ref
p = np.fromfile('p', '<f8').reshape(40, 4); t = np.fromfile('t', '<f8').reshape(40, 4)
labels = t.argmax(1)
logits_map = ref.probe_metric('mAP', labels, p)
softmax_map = ref.probe_metric('mAP', labels, ref.hear_kit_probabilities(p, False))
row_sums = p.sum(1)
np.array([logits_map, softmax_map, np.abs(row_sums - 1).max(), p.min()]).astype('<f8').tofile('r')
)");
    const Matrix ref = py.get("r", 1, 4);
    if (protocol == Protocol::kPepino2025) {
      // Logits: rows do not sum to 1, some are negative; the score is sklearn's on them, which
      // differs from the score of their softmax.
      EXPECT_GT(ref(0, 2), 0.1);
      EXPECT_LT(ref(0, 3), 0.0);
      EXPECT_NEAR(r.test_score, ref(0, 0), 1e-12);
      EXPECT_GT(std::abs(ref(0, 0) - ref(0, 1)), 1e-3)
          << "logits " << ref(0, 0) << ", softmax " << ref(0, 1);
      std::printf("  pepino2025 test mAP %.4f on the logits (%.4f on their softmax)\n",
                  r.test_score, ref(0, 1));
    } else {
      // Probabilities: rows sum to 1 (float32), scored as they are.
      EXPECT_LT(ref(0, 2), 1e-5);
      EXPECT_GE(ref(0, 3), 0.0);
      EXPECT_NEAR(r.test_score, ref(0, 0), 1e-12);
    }
  }
}

TEST(DownstreamProbe, CommandLineWritesSummariesAndReusesTheCache) {
  testing::PythonExchange tmp;
  testing::write_hear_task(tmp.dir() / "pitch", "pitch", pitch_splits(3, 3, 7), false, false,
                           "pitch_acc", kRate, kPitchLabels);
  const std::string base = std::string("BRAINALIGN_CACHE=") + (tmp.dir() / "cache").string() + " " +
                           BRAINALIGN_CLI + " downstream --model mel --task " +
                           (tmp.dir() / "pitch").string() + " --max-epochs 10 --threads 2 ";
  ASSERT_EQ(std::system((base + "--probe-float32 --out " + (tmp.dir() / "out").string()).c_str()),
            0);
  const auto task_summary =
      nlohmann::json::parse(std::ifstream(tmp.dir() / "out" / "pitch" / "summary.json"));
  EXPECT_EQ(task_summary["metric"], "pitch_acc");
  EXPECT_EQ(task_summary["probe_inputs"], "float32");
  EXPECT_EQ(task_summary["scored"], "logits");
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
  const auto hear_summary =
      nlohmann::json::parse(std::ifstream(tmp.dir() / "out2" / "pitch" / "summary.json"));
  EXPECT_EQ(hear_summary["probe_inputs"], "float32");
  EXPECT_EQ(hear_summary["scored"], "probabilities");
  const std::string help =
      std::string(BRAINALIGN_CLI) + " downstream --help > " + (tmp.dir() / "help.txt").string();
  ASSERT_EQ(std::system(help.c_str()), 0);
  std::stringstream help_text;
  help_text << std::ifstream(tmp.dir() / "help.txt").rdbuf();
  EXPECT_NE(help_text.str().find("--probe-float32"), std::string::npos);
  EXPECT_NE(help_text.str().find("float16"), std::string::npos);
  const std::string bad = std::string(BRAINALIGN_CLI) + " downstream --model mel --task " +
                          tmp.dir().string() + "/none --out " + tmp.dir().string() +
                          "/x 2>/dev/null";
  EXPECT_EQ(WEXITSTATUS(std::system(bad.c_str())), 2);
}

}  // namespace
}  // namespace brainalign::neural
