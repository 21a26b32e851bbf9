// A study: many models x datasets x analyses x protocols (x ROIs), downstream task scores,
// and where the results go. Read from a TOML file (docs/study.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace brainalign {

enum class ModelKind {
  kRegistry,     // a registered model run over the dataset's sounds (spectemp, mel, ...)
  kFeatures,     // one feature-set file
  kCheckpoints,  // a series of feature-set files, one per training checkpoint (a glob)
};

struct Checkpoint {
  std::string label;              // the file's stem; empty for a model without checkpoints
  std::int64_t step = -1;         // the last integer in the stem; -1 when none
  std::filesystem::path features; // empty for registry models until extracted
};

struct StudyModel {
  std::string name;
  ModelKind kind = ModelKind::kRegistry;
  std::string registry_name;          // kRegistry
  std::filesystem::path features;     // kFeatures: the file; kCheckpoints: the glob
  std::vector<Checkpoint> checkpoints;  // kFeatures: one; kCheckpoints: by step
};

struct StudyDataset {
  std::string name;
  std::string source;        // a path or a registered name (nh2015comp, nh2015, b2021)
  std::string stimuli = "natsound165";  // sounds that registry models run over
  std::filesystem::path folds;   // optional stimulus,fold CSV
  std::filesystem::path splits;  // optional stimulus,split0.. CSV
};

struct StudyAnalysis {
  std::string name;                    // unique; names the unit's analysis
  std::string analysis;                // voxelwise, components or rsa
  std::string rsa_method = "xval";     // xval or layerwise
  std::vector<std::string> protocols{"pepino2025"};
  std::vector<std::string> datasets;   // empty: every dataset the analysis fits
  std::vector<std::string> rois{""};   // "" is the whole dataset
};

struct StudyTask {
  std::string name;
  std::string metric;        // for the report
  std::filesystem::path scores;  // CSV model,task,score (empty: the [downstream] file)
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
  std::filesystem::path file;    // the study file
  std::string name;
  std::filesystem::path output;  // the study folder (results.sqlite, features/, ...)
  std::uint64_t seed = 0;
  int threads = 0;
  std::vector<StudyModel> models;
  std::vector<StudyDataset> datasets;
  std::vector<StudyAnalysis> analyses;
  std::vector<StudyTask> tasks;
  std::filesystem::path downstream_scores;  // CSV model,task,score
  AlignmentPerformanceOptions alignment_performance;
  DynamicsOptions dynamics;

  const StudyModel& model(const std::string& name) const;
  const StudyDataset& dataset(const std::string& name) const;
  const StudyAnalysis& analysis(const std::string& name) const;
};

// Reads and checks a study file; relative paths are taken from the file's folder and
// checkpoint globs are expanded. InputError naming the file and the field for anything wrong.
Study load_study(const std::filesystem::path& path);

std::string to_string(ModelKind kind);

}  // namespace brainalign
