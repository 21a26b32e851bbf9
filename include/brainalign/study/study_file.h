// A study: many models x datasets x analyses x protocols (x ROIs), downstream task scores,
// and where the results go. Read from a TOML file (docs/study.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "brainalign/io/remote_files.h"

namespace brainalign::study {

enum class ModelKind {
  kRegistry,     // a model the registry makes ("mel", "hf:PATH", ...) run over the sounds
  kFeatures,     // one feature-set file
  kCheckpoints,  // a series of checkpoints given by a glob: feature-set files or model files
};

struct Checkpoint {
  std::string label;               // the file's stem; empty for a model without checkpoints
  std::int64_t step = -1;          // the last integer in the stem; -1 when none
  std::filesystem::path features;  // a feature-set file; empty for a model that is run
  std::string model;               // the registry name of a model that is run (paths absolute)
};

struct StudyModel {
  std::string name;
  ModelKind kind = ModelKind::kRegistry;
  std::string registry_name;            // kRegistry: the registry name (paths absolute)
  std::filesystem::path features;       // kFeatures: the file; kCheckpoints: the glob
  std::string model;                    // kCheckpoints of model files: "<family>:GLOB"
  std::vector<Checkpoint> checkpoints;  // kRegistry, kFeatures: one; kCheckpoints: by step
  // kCheckpoints of a registered series (model = "encodecmae:mel256-ec-base-pretraining"): its
  // checkpoints once listed here (list_model_series), each "<series>@<step>"; `steps` keeps
  // only those (empty: all).
  std::string series;
  std::vector<std::string> steps;
  // The analyses and tasks (by name) the model takes part in; unset: every one.
  std::optional<std::vector<std::string>> analyses, tasks;

  bool takes_part_in_analysis(const std::string& analysis) const;
  bool takes_part_in_task(const std::string& task) const;
  // The layers downstream probes combine (models::choose_layers): "all", a study, or names
  // joined by commas; empty: each task protocol's own choice.
  std::string layers;

  // Whether the model is run over sounds (a registry model or a series of model files), so
  // that it can be evaluated on downstream tasks; else its features come from files.
  bool runs() const { return !checkpoints.empty() && !checkpoints.front().model.empty(); }
};

struct StudyDataset {
  std::string name;
  std::string source;                   // a path or a registered name (nh2015comp, nh2015, b2021)
  std::string stimuli = "natsound165";  // sounds that registry models run over
  std::filesystem::path folds;          // optional stimulus,fold CSV
  std::filesystem::path splits;         // optional stimulus,split0.. CSV
};

struct StudyAnalysis {
  std::string name;  // unique; names the unit's analysis
  // voxelwise, components, rsa, or ceiling (the RSA noise ceiling of each dataset, ROI and
  // protocol, as `brainalign ceiling` computes it: units without a model)
  std::string analysis;
  std::string rsa_method;  // rsa: xval or layerwise; empty: each protocol's default_rsa_method
  std::vector<std::string> protocols{"pepino2025"};
  std::vector<std::string> datasets;  // empty: every dataset the analysis fits
  std::vector<std::string> rois{""};  // "" is the whole dataset
};

struct StudyTask {
  std::string name;
  std::string metric;            // for the report
  std::filesystem::path scores;  // CSV model,task,score (empty: the [downstream] file)
  // A HEAR task folder (hear-preprocess layout): the study computes the scores of the models
  // it runs. Empty: the scores are read from `scores`.
  std::filesystem::path path;
  // A registered task ("hear:esc50", path = "hear:esc50"): `path` is its folder under the data
  // root, fetched when the study first needs it.
  std::string registered;
  std::string protocol = "pepino2025";  // pepino2025 or hear2021
  int max_epochs = 0;  // cap on probe training epochs, for quick checks only (0: protocol's)
  // pepino2025: train the probes on float32 inputs instead of the published float16 cast.
  bool probe_float32 = false;

  bool computed() const { return !path.empty(); }
};

struct AlignmentPerformanceOptions {
  int bootstrap = 1000;
  int permutations = 1000;
  double subset_threshold = -1.0;  // the robustness subset keeps overall > threshold
};

struct DynamicsOptions {
  std::vector<std::string> models;  // empty: every checkpoint series
  int smooth_window = 10;
  int smooth_order = 3;
};

struct Study {
  std::filesystem::path file;  // the study file
  std::string name;
  std::filesystem::path output;  // the study folder (results.sqlite, features/, ...)
  std::uint64_t seed = 0;
  int threads = 0;
  // [study] baseline: the model the report's figures draw as the baseline (a reference line);
  // empty: the first model whose registry name is "spectemp", if any (baseline_model()).
  std::string baseline;
  std::vector<StudyModel> models;
  std::vector<StudyDataset> datasets;
  std::vector<StudyAnalysis> analyses;
  std::vector<StudyTask> tasks;
  std::filesystem::path downstream_scores;  // CSV model,task,score
  int downstream_max_epochs = 0;            // [downstream] max_epochs: every task's default
  bool downstream_probe_float32 = false;    // [downstream] probe_float32: every task's default
  AlignmentPerformanceOptions alignment_performance;
  DynamicsOptions dynamics;

  const StudyModel& model(const std::string& name) const;
  const StudyDataset& dataset(const std::string& name) const;
  const StudyAnalysis& analysis(const std::string& name) const;
  const StudyTask& task(const std::string& name) const;
  // The baseline model ([study] baseline, else the first registry model "spectemp"); null
  // when there is none.
  const StudyModel* baseline_model() const;
};

// Reads and checks a study file; relative paths are taken from the file's folder (also the
// PATH of model names "<family>:PATH" and "auto:PATH") and checkpoint globs are expanded, as
// are the registered series listed here before (no network). InputError naming the file and
// the field for anything wrong.
Study load_study(const std::filesystem::path& path);

// The models of registered series that were never listed here: their names.
std::vector<std::string> unlisted_series(const Study& study);

// Lists the checkpoints of every registered series the study names that load_study could not
// expand (network: each series' listing is fetched once and kept), and expands them. IoError
// naming the URL for network failures; InputError (naming the study file and the model) for a
// step in `steps` that the series has not.
void list_model_series(Study& study, const io::FetchOptions& options = {});

std::string to_string(ModelKind kind);

// A model name with the PATH of "<family>:PATH" taken from `base` when relative; other names
// are returned as they are.
std::string resolve_model_name(const std::string& name, const std::filesystem::path& base);

}  // namespace brainalign::study