// Scoring one model's feature set against one brain dataset under a published protocol:
// what `brainalign score` runs, as a library call.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "brainalign/data/brain_dataset.h"
#include "brainalign/features/feature_set.h"

namespace brainalign {

enum class Protocol { Pepino2025, Tuckute2023 };
enum class Analysis { Voxelwise, Components, Rsa };
enum class RsaMethod { CrossValidated, Layerwise };

Protocol parse_protocol(const std::string& name);
Analysis parse_analysis(const std::string& name);
RsaMethod parse_rsa_method(const std::string& name);
std::string to_string(Protocol p);
std::string to_string(Analysis a);
std::string to_string(RsaMethod m);

struct ScoreOptions {
  Protocol protocol = Protocol::Pepino2025;
  Analysis analysis = Analysis::Voxelwise;
  RsaMethod rsa_method = RsaMethod::CrossValidated;
  std::string roi;                                  // restrict voxels to one ROI
  std::optional<std::filesystem::path> folds_csv;   // stimulus,fold (default: the published)
  std::optional<std::filesystem::path> splits_csv;  // stimulus,split0.. (default: generated)
  // In-memory alternatives to the CSVs (they take precedence): a fold per dataset stimulus,
  // and per split the dataset rows of the train and test stimuli.
  std::optional<std::vector<int>> folds;
  std::optional<std::vector<std::vector<int>>> train_splits, test_splits;
  int threads = 0;
  bool detail = false;
  std::function<void(const std::string& stage, int done, int total)> progress;
};

struct ScoreTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

struct ScoreResult {
  nlohmann::json summary;  // protocol, analysis, dataset, layers, value, sem, per_subject, ...
  ScoreTable targets;      // voxels.csv: one row per voxel or component
  ScoreTable detail;       // detail.csv (when requested)
};

ScoreResult score(const FeatureSet& features, const BrainDataset& dataset,
                  const ScoreOptions& options);

// Writes summary.json, voxels.csv and (if any) detail.csv into `dir`, each atomically: all are
// flushed to disk before any is renamed into place (a failed write leaves an earlier result
// whole), and summary.json is removed first and renamed last, so a folder with a summary.json
// is complete. A detail.csv left by an earlier run without a new one is removed. Throws
// IoError.
void write_score_result(const std::filesystem::path& dir, const ScoreResult& result);

// The published fold assignment (stimulus -> fold) for the dataset's stimuli, read from a
// `stimulus,fold` CSV (default: natsound165/folds_5x33.csv under the data root).
std::vector<int> read_folds(const std::filesystem::path& csv,
                            const std::vector<std::string>& stimuli);

// Train/test splits for the dataset's stimuli: from a `stimulus,split0,...` CSV, or generated
// as the 2023 study did (numpy legacy seed 0) over the stimuli in their original order.
struct StimulusSplits {
  std::vector<std::vector<int>> train, test;  // row indices into the dataset's stimuli
};
StimulusSplits read_splits(const std::filesystem::path& csv,
                           const std::vector<std::string>& stimuli);
StimulusSplits default_splits(const std::vector<std::string>& stimuli);

// Noise ceiling of the dataset's RSA
// (pepino2025: each subject against the mean RDM of the others; tuckute2023: the same per
// split on the test stimuli, compared by Pearson as the published code does, median over splits.)
nlohmann::json rsa_ceiling(const BrainDataset& dataset, const std::string& roi = "",
                           Protocol protocol = Protocol::Pepino2025);

}  // namespace brainalign
