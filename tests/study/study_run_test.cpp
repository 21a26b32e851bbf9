// Running studies: models of a registered family given as a checkpoint series of model files
// (extracted once per checkpoint, with the family's weights), and downstream tasks computed
// from HEAR folders into task units. With libtorch the stored task scores are compared with
// the probes run directly on the same embeddings; without it such a study is refused.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>

#include "brainalign/base/error.h"
#include "brainalign/features/extract.h"
#include "brainalign/hear/probe.h"
#include "brainalign/models/registry.h"
#include "brainalign/study/results_store.h"
#include "brainalign/study/study_file.h"
#include "brainalign/study/study_runner.h"
#include "brainalign/synthetic/synthetic.h"
#include "common/scratch_dir.h"
#include "hear/hear_task_builder.h"
#ifdef BRAINALIGN_WITH_TORCH
#include "brainalign/hear/downstream.h"
#include "brainalign/hear/task_embeddings.h"
#include "brainalign/neural/probes/probe_training.h"
#endif

namespace brainalign {
namespace {

namespace fs = std::filesystem;

constexpr int kRate = 16000;

// A model family whose files hold one number: the mel front end with its output scaled by it.
// Its checkpoints differ by their weights like a trained model's, and are told apart by them.
class GainModel : public models::Model {
 public:
  GainModel(double gain, std::string id) : mel_(models::make_model("mel")), gain_(gain), id_(id) {}
  std::string name() const override { return "gain"; }
  double sample_rate() const override { return mel_->sample_rate(); }
  std::vector<std::string> layer_names() const override { return mel_->layer_names(); }
  std::string weights_id() const override { return id_; }
  dsp::Audio prepare(dsp::Audio audio) const override { return mel_->prepare(std::move(audio)); }
  std::vector<models::LayerActivations> forward(const dsp::Audio& audio) const override {
    auto layers = mel_->forward(audio);
    for (auto& l : layers) l.values *= gain_;
    return layers;
  }

 private:
  std::unique_ptr<models::Model> mel_;
  double gain_;
  std::string id_;
};

void register_gain_family() {
  models::ModelFamily f;
  f.prefix = "gain";
  f.description = "the mel front end scaled by the number in PATH";
  f.recognises = [](const fs::path& p) { return p.extension() == ".gain"; };
  f.load = [](const fs::path& p) -> std::unique_ptr<models::Model> {
    std::ifstream in(p);
    double gain = 0;
    if (!(in >> gain)) throw InputError(p.string() + ": expected a number");
    return std::make_unique<GainModel>(gain, "gain=" + std::to_string(gain));
  };
  models::register_model_family(f);
}

class StudyRun : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("BRAINALIGN_CACHE", (dir_ / "cache").c_str(), 1);
    register_gain_family();
    // 24 sounds (tones) and a synthetic voxel dataset over them.
    std::mt19937 rng(1);
    synthetic::SyntheticSpec spec;
    spec.stimuli = 24;
    spec.voxels = 24;
    spec.subjects = 2;
    spec.layers = 2;
    spec.features = 8;
    spec.latent = 4;
    synthetic::SyntheticStudy syn = synthetic::make_synthetic_study(spec);
    fs::create_directories(dir_ / "sounds");
    for (int i = 0; i < spec.stimuli; ++i) {
      const std::string name = "s" + std::to_string(100 + i);
      syn.dataset.stimuli[static_cast<size_t>(i)] = name;
      syn.features.stimuli[static_cast<size_t>(i)] = name;
      testing::write_wav(dir_ / "sounds" / (name + ".wav"),
                         testing::tone(200.0 + 37.0 * i, kRate, 0.5, rng), kRate);
    }
    synthetic::save_synthetic_study(dir_ / "syn", syn);
    fs::create_directories(dir_ / "ck");
    for (auto [step, gain] : {std::pair{10, 1.0}, {200, 3.0}, {30, 2.0}})
      std::ofstream(dir_ / "ck" / ("step_" + std::to_string(step) + ".gain")) << gain << "\n";
  }
  void TearDown() override { unsetenv("BRAINALIGN_CACHE"); }

  // Two tasks of tones whose pitch class a probe can learn: k-fold and train/valid/test.
  void write_tasks() {
    std::mt19937 rng(2);
    const double pitches[] = {150, 300, 600};
    const auto splits = [&](int n, int per_class) {
      std::vector<std::vector<testing::SynthClip>> out(static_cast<size_t>(n));
      for (auto& split : out)
        for (int c = 0; c < 3; ++c)
          for (int k = 0; k < per_class; ++k)
            split.push_back({testing::tone(pitches[c] * (1 + 0.03 * k), kRate, 0.5, rng),
                             {"p" + std::to_string(c)}});
      return out;
    };
    testing::write_hear_task(dir_ / "tasks" / "pitch-kfold", "pitch_kfold", splits(3, 2), true,
                             false, "top1_acc", kRate, {"p0", "p1", "p2"});
    testing::write_hear_task(dir_ / "tasks" / "pitch-tvt", "pitch_tvt", splits(3, 2), false, false,
                             "top1_acc", kRate, {"p0", "p1", "p2"});
  }

  fs::path write_study(const std::string& name, const std::string& extra,
                       const std::string& series_extra = "") {
    const fs::path file = dir_ / (name + ".toml");
    std::ofstream(file) << "[study]\nname = \"" << name << "\"\nseed = 4\nthreads = 2\n"
                        << R"(
[[models]]
name = "mel"
[[models]]
name = "series"
kind = "checkpoints"
model = "gain:ck/step_*.gain"
)" << series_extra << R"(
[[datasets]]
name = "syn"
source = "syn/dataset"
stimuli = "sounds"
[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
)" << extra;
    return file;
  }

  const testing::ScratchDir scratch_;
  const fs::path dir_ = scratch_.path();
};

TEST_F(StudyRun, CheckpointSeriesOfModelFilesAreExtractedPerCheckpoint) {
  const study::Study study = study::load_study(write_study("series", ""));
  ASSERT_EQ(study.models[1].checkpoints.size(), 3u);
  EXPECT_EQ(study.models[1].checkpoints[2].label, "step_200");
  study::ProcessGroup group;
  const study::StudyRunSummary first = study::run_study(study, group);
  EXPECT_EQ(first.units, 4);  // mel + 3 checkpoints, one RSA unit each
  EXPECT_EQ(first.computed, 4);
  EXPECT_EQ(study::run_study(study, group).computed, 0);  // all stored: nothing again

  // Each checkpoint's features are its own weights' (gain x mel), cached per checkpoint.
  const auto cached = [&](const std::string& prefix) {
    for (const auto& e : fs::directory_iterator(study.output / "features"))
      if (e.path().filename().string().rfind(prefix, 0) == 0)
        return features::load_feature_set(e.path());
    ADD_FAILURE() << "no cached features " << prefix;
    return features::FeatureSet{};
  };
  const features::FeatureSet mel = cached("mel__");
  for (auto [label, gain] : {std::pair{"step_10", 1.0}, {"step_30", 2.0}, {"step_200", 3.0}}) {
    const features::FeatureSet f = cached(std::string("series__") + label + "__");
    ASSERT_EQ(f.layers.size(), mel.layers.size());
    EXPECT_EQ(f.stimuli, mel.stimuli);
    for (size_t l = 0; l < f.layers.size(); ++l)
      EXPECT_LT((f.layers[l].values - gain * mel.layers[l].values).cwiseAbs().maxCoeff(),
                1e-9 * (1 + mel.layers[l].values.cwiseAbs().maxCoeff()))
          << label;
  }
  study::ResultsStore store(study::results_store_path(study));
  const auto units = store.units();
  ASSERT_EQ(units.size(), 4u);
  EXPECT_EQ(units[1].unit.key(), "series|step_10|syn|rsa-layerwise|pepino2025|");
  EXPECT_NE(units[1].features_sha256, units[2].features_sha256);
  EXPECT_EQ(units[3].unit.step, 30);
}

// A unit whose inputs are refused fails alone: the others run and are stored, the failure is
// recorded in the store (until the unit is stored) and returned.
TEST_F(StudyRun, AUnitWithBadInputFailsAloneAndIsRecorded) {
  const fs::path file = write_study("typo", R"(
[[models]]
name = "x"
model = "mell"
[[datasets]]
name = "gone"
source = "nowhere/dataset"
)");
  study::ProcessGroup group;
  const study::Study study = study::load_study(file);
  const study::StudyRunSummary s = study::run_study(study, group);
  EXPECT_EQ(s.units, 10);    // (mel + 3 checkpoints + x) x 2 datasets
  EXPECT_EQ(s.computed, 4);  // mel and the checkpoints on syn
  ASSERT_EQ(s.failures.size(), 6u);
  std::map<std::string, study::UnitFailure> failed;
  for (const auto& f : s.failures) failed[f.unit_key] = f;
  const study::UnitFailure& model = failed.at("x||syn|rsa-layerwise|pepino2025|");
  EXPECT_EQ(model.kind, "input");
  EXPECT_NE(model.message.find("'mell'"), std::string::npos) << model.message;
  EXPECT_NE(model.message.find(file.string()), std::string::npos) << model.message;
  const study::UnitFailure& dataset = failed.at("mel||gone|rsa-layerwise|pepino2025|");
  EXPECT_NE(dataset.message.find("[[datasets]] 'gone'"), std::string::npos) << dataset.message;
  study::ResultsStore store(study::results_store_path(study));
  EXPECT_EQ(store.completed_units().size(), 4u);
  EXPECT_EQ(store.failures().size(), 6u);
}

// A study none of whose units can run is refused whole, and leaves no store behind.
TEST_F(StudyRun, AStudyThatCannotStartLeavesNothingBehind) {
  const fs::path file = dir_ / "none.toml";
  std::ofstream(file) << "[study]\nname = \"none\"\n[[models]]\nname = \"x\"\nmodel = "
                         "\"mell\"\n[[datasets]]\nname = \"syn\"\nsource = \"syn/dataset\"\n"
                         "stimuli = \"sounds\"\n[[analyses]]\nanalysis = \"rsa\"\n";
  study::ProcessGroup group;
  try {
    study::run_study(study::load_study(file), group);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("none of the 1 units can run"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "none"));
  const fs::path family = write_study("family",
                                      "[[models]]\nname = \"x\"\n"
                                      "model = \"nofamily:ck/step_10.gain\"\n");
  const study::StudyRunSummary s = study::run_study(study::load_study(family), group);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].unit_key, "x||syn|rsa-layerwise|pepino2025|");
}

TEST_F(StudyRun, ComputedTasksNeedAnEvaluator) {
  write_tasks();
  const study::Study study =
      study::load_study(write_study("refused", "[[tasks]]\npath = \"tasks/pitch-tvt\"\n"));
  study::ProcessGroup group;
  // No evaluator and no probe trainer, as a build without libtorch runs it: the task units
  // fail, the others run.
  hear::register_probe_trainer({});
  ASSERT_FALSE(hear::has_probe_trainer());
  const study::StudyRunSummary s = study::run_study(study, group);
  ASSERT_EQ(s.failures.size(), 4u);
  for (const auto& f : s.failures) {
    EXPECT_NE(f.message.find("task 'pitch-tvt'"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("without libtorch"), std::string::npos) << f.message;
  }
  study::ResultsStore store(study::results_store_path(study));
  EXPECT_EQ(store.completed_units().size(), 4u);
  EXPECT_TRUE(store.task_units().empty());
}

#ifdef BRAINALIGN_WITH_TORCH
TEST_F(StudyRun, TaskUnitsScoreAsTheProbesDoDirectly) {
  write_tasks();
  const study::Study study = study::load_study(write_study("tasks", R"(
[downstream]
max_epochs = 3
[[tasks]]
path = "tasks/pitch-kfold"
[[tasks]]
name = "tvt"
path = "tasks/pitch-tvt"
protocol = "hear2021"
[[tasks]]
name = "f32"
path = "tasks/pitch-kfold"
probe_float32 = true
)",
                                                           "layers = \"melspec_db\"\n"));
  study::ProcessGroup group;
  // The study trains its probes with the default evaluator, on libtorch's trainer as the neural
  // plugin registers it.
  neural::register_probe_trainer();
  study::StudyRunOptions options;
  const study::StudyRunSummary s = study::run_study(study, group, options);
  EXPECT_EQ(s.task_units, 12);  // (mel + 3 checkpoints) x 3 tasks
  EXPECT_EQ(s.units, 16);
  EXPECT_EQ(s.computed, 16);
  EXPECT_EQ(study::run_study(study, group, options).computed, 0);

  study::ResultsStore store(study::results_store_path(study));
  const auto units = store.task_units();
  ASSERT_EQ(units.size(), 12u);
  const auto find = [&](const std::string& key) -> const study::TaskRecord& {
    for (const auto& r : units)
      if (r.unit.key() == key) return r;
    throw std::runtime_error("no task unit " + key);
  };
  for (const auto& [key, model_name, task_dir, protocol, float32] :
       {std::tuple{"mel||pitch-kfold|pepino2025", std::string("mel"), "pitch-kfold",
                   hear::Protocol::kPepino2025, false},
        {"series|step_30|tvt|hear2021", "gain:" + (dir_ / "ck/step_30.gain").string(), "pitch-tvt",
         hear::Protocol::kHear2021, true},
        {"mel||f32|pepino2025", std::string("mel"), "pitch-kfold", hear::Protocol::kPepino2025,
         true}}) {
    const study::TaskRecord& r = find(key);
    const auto model = models::make_model(model_name);
    const auto task = hear::read_hear_task(dir_ / "tasks" / task_dir);
    hear::ProbeOptions probe = hear::ProbeOptions::for_protocol(protocol);
    probe.seed = 4;
    probe.epoch_cap = 3;
    probe.threads = 1;
    probe.float16_inputs = !float32;
    // The series' probes combine the layers its [[models]] entry names; mel, which the 2025
    // study did not use, gets the protocol's own choice.
    if (model_name != "mel") probe.layers = {"melspec_db"};
    EXPECT_EQ(nlohmann::json::parse(r.options_json).value("layers", nlohmann::json()),
              model_name == "mel" ? nlohmann::json() : nlohmann::json({"melspec_db"}))
        << key;
    EXPECT_EQ(nlohmann::json::parse(r.options_json).at("probe_inputs"),
              float32 ? "float32" : "float16")
        << key;
    const auto expected =
        hear::evaluate_task(task, hear::embed_task(*model, task), protocol, probe);
    EXPECT_EQ(r.score, expected.score) << key;
    auto summary = hear::task_summary_json(expected);
    summary.erase("seconds");
    EXPECT_EQ(nlohmann::json::parse(r.summary_json), summary) << key;
    EXPECT_EQ(r.metric, "top1_acc");
    EXPECT_EQ(r.seed, 4u);
    EXPECT_EQ(r.model_id, model->name() + "@" + model->weights_id());
    EXPECT_EQ(r.task_sha256.size(), 64u);
  }
  EXPECT_GT(find("mel||pitch-kfold|pepino2025").score, 0.5);  // chance is 1/3
  EXPECT_NE(find("series|step_10|tvt|hear2021").model_id,
            find("series|step_200|tvt|hear2021").model_id);
}
#endif

}  // namespace
}  // namespace brainalign
