// Scoring one model's feature set against one brain dataset under a published protocol:
// what `brainalign score` runs, as a library call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "brainalign/data/brain_dataset.h"
#include "brainalign/features/feature_set.h"

namespace brainalign::protocols {

enum class Protocol { Pepino2025, Tuckute2023 };
enum class Analysis { Voxelwise, Components, Rsa };
enum class RsaMethod { CrossValidated, Layerwise };
// Which voxels pepino2025 analyses. Published: as the 2025 code, every voxel of the dataset
// (the NH2015 release's voxels measured in fewer than 3 scans too); regression and the
// cross-validated RSA skip voxels with a NaN response, the layerwise RSA and the noise
// ceiling build each subject's RDM from all its voxels, so a subject with a NaN voxel has no
// value (skipped in the means, dropped from the ceiling). Cleaned: the voxels measured in
// every scan, NaN voxels left out of every RDM. tuckute2023 always uses the voxels measured in
// every scan, as the 2023 analyses do.
enum class VoxelSelection { Published, Cleaned };

Protocol parse_protocol(const std::string& name);
Analysis parse_analysis(const std::string& name);
RsaMethod parse_rsa_method(const std::string& name);
VoxelSelection parse_voxel_selection(const std::string& name);
std::string to_string(Protocol p);
std::string to_string(Analysis a);
std::string to_string(RsaMethod m);
std::string to_string(VoxelSelection v);
// The RSA method each protocol's paper reports, used when none is given: pepino2025's Fig. 2
// and Table 1 show the best layer's mean (layerwise); tuckute2023 selects its layer on the
// train split of each of its 10 splits (its own procedure, whatever the method says).
RsaMethod default_rsa_method(Protocol p);

struct ScoreOptions {
  Protocol protocol = Protocol::Pepino2025;
  Analysis analysis = Analysis::Voxelwise;
  std::optional<RsaMethod> rsa_method;  // RSA only; unset: default_rsa_method(protocol)
  VoxelSelection voxel_selection = VoxelSelection::Published;  // pepino2025 only
  std::string roi;                                             // restrict voxels to one ROI
  // stimulus,fold (default: the dataset's own folds, else the published ones of the 165 sounds)
  std::optional<std::filesystem::path> folds_csv;
  std::optional<std::filesystem::path> splits_csv;  // stimulus,split0.. (default: generated)
  // In-memory alternatives to the CSVs (they take precedence): a fold per dataset stimulus,
  // and per split the dataset rows of the train and test stimuli.
  std::optional<std::vector<int>> folds;
  std::optional<std::vector<std::vector<int>>> train_splits, test_splits;
  int threads = 0;
  bool detail = false;
  std::function<void(const std::string& stage, int done, int total)> progress;
};

// One scored target: a voxel, a component, or (RSA) a subject, with the layers and penalties
// the protocol chose for it (one per outer fold, per iteration or per fold pair).
struct TargetScore {
  std::string id;
  std::string subject;
  double score = 0;
  std::vector<std::string> layers;
  std::vector<double> alphas;
};

// What summary.json holds: the protocol's score of one feature set on one dataset.
struct ScoreSummary {
  Protocol protocol = Protocol::Pepino2025;
  Analysis analysis = Analysis::Voxelwise;
  std::optional<RsaMethod> rsa_method;  // RSA only
  std::string dataset;
  std::string features;  // where the feature set came from
  std::string roi;       // empty: every voxel
  std::vector<std::string> layers;
  std::int64_t n_stimuli = 0;
  std::int64_t n_voxels_used = 0;
  std::int64_t n_voxels_skipped = 0;
  double value = 0;  // the mean over subjects (components: over components); NaN when undefined
  double sem = 0;
  std::map<std::string, double> per_subject;    // empty for components
  std::map<std::string, double> per_component;  // components by regression only
  std::string best_layer;                       // layerwise RSA only
  std::map<std::string, double> per_layer;      // layerwise RSA only: the mean over subjects
  std::optional<double> seconds;                // wall-clock time of the scoring
};

// summary.json's object: NaN and infinities as null, optional fields only when set.
nlohmann::json to_json(const ScoreSummary& summary);

// The rows of detail.csv: the numbers behind each score, with columns that depend on the
// protocol and analysis (--detail).
struct ScoreTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

struct ScoreResult {
  ScoreSummary summary;
  std::vector<TargetScore> targets;  // voxels.csv: one row per voxel, component or subject
  ScoreTable detail;                 // detail.csv, when ScoreOptions::detail asks for it
};

// voxels.csv as text: voxel_id,subject,score,layers,alphas (layers and penalties joined by ';').
ScoreTable targets_table(const std::vector<TargetScore>& targets);

ScoreResult score(const features::FeatureSet& features, const data::BrainDataset& dataset,
                  const ScoreOptions& options);

// Writes summary.json, voxels.csv and (if any) detail.csv into `dir`, each atomically: all are
// flushed to disk before any is renamed into place (a failed write leaves an earlier result
// whole), and summary.json is removed first and renamed last, so a folder with a summary.json
// is complete. A detail.csv left by an earlier run without a new one is removed. Throws
// IoError.
void write_score_result(const std::filesystem::path& dir, const ScoreResult& result);

// Train/test splits for the dataset's stimuli: from a `stimulus,split0,...` CSV, or generated
// as the 2023 study did (numpy legacy seed 0) over the positions of data::published_order.
struct StimulusSplits {
  std::vector<std::vector<int>> train, test;  // row indices into the dataset's stimuli
};
StimulusSplits read_splits(const std::filesystem::path& csv,
                           const std::vector<std::string>& stimuli);
StimulusSplits default_splits(const data::BrainDataset& dataset);

// The noise ceiling of a dataset's RSA: how well each subject's RDM is predicted by the
// others' (pepino2025: each subject against the mean RDM of the others; tuckute2023: the same
// per split on the test stimuli, compared by Pearson as the published code does, median over
// splits). An ROI restricts the voxels, except for pepino2025 with the published voxel
// selection: the 2025 code's ceiling ignores its ROI argument and uses every voxel.
struct NoiseCeilingResult {
  Protocol protocol = Protocol::Pepino2025;
  std::string dataset;
  std::string roi;
  // False when the ROI was asked for but, as in the 2025 code (pepino2025 with the published
  // voxel selection), the ceiling comes from every voxel of each subject.
  bool roi_applied = false;
  std::map<std::string, double> per_subject;
  double value = 0;
  double sem = 0;
  std::optional<std::int64_t> n_subjects_dropped;  // pepino2025: subjects without a ceiling
};
NoiseCeilingResult rsa_ceiling(const data::BrainDataset& dataset, const std::string& roi = "",
                               Protocol protocol = Protocol::Pepino2025,
                               VoxelSelection voxel_selection = VoxelSelection::Published);

// summary.json's object for a noise ceiling.
nlohmann::json to_json(const NoiseCeilingResult& ceiling);

// Writes summary.json and voxels.csv (subject,score) into `dir`, as write_score_result does.
void write_noise_ceiling(const std::filesystem::path& dir, const NoiseCeilingResult& ceiling);

}  // namespace brainalign::protocols