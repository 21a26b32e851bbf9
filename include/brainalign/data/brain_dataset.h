// Brain responses to a set of stimuli: voxels of listeners (with repetitions), or the
// components of NH2015. Layouts read: the six NH2015 components (`components.mat`), the
// 2023 data release (NH2015 and B2021 voxels), and a generic layout for any dataset:
//   responses.npy  stimuli x targets (x repetitions)
//   voxels.csv     voxel_id,subject[,roi]   one row per target, in column order
//   stimuli.txt    one stimulus name a line, in row order
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::data {

struct Target {
  std::string id;       // voxel id, or component name
  std::string subject;  // empty for components
  std::string roi;      // roi_label_general (Primary, Anterior, Lateral, Posterior) or empty
};

struct BrainDataset {
  std::string name;
  std::string source;                  // where it was read from, for messages
  std::vector<std::string> stimuli;    // row order
  std::vector<ColMatrix> repetitions;  // each stimuli x targets
  std::vector<Target> targets;
  bool components = false;  // targets are NH2015 components (no subjects)
  // Per target, the scans it was measured in (the NH2015 release's n_reps; its other
  // repetitions are not data); empty when every target was measured in every scan.
  std::vector<int> scans;
  // The dataset's own fold per stimulus (the generic layout's optional folds.csv, as a
  // synthetic dataset carries it); empty when it has none.
  std::vector<int> folds;
  // True when the rows are in the order of a data release, the order the published code
  // indexes by position (NH2015's neural_stim_meta.npy, B2021's stim_info_v4.mat).
  bool release_order = false;

  Eigen::Index n_stimuli() const { return static_cast<Eigen::Index>(stimuli.size()); }
  Eigen::Index n_targets() const { return static_cast<Eigen::Index>(targets.size()); }
  // Mean over repetitions (NaN where any repetition is NaN).
  ColMatrix mean_response() const;
  // Subjects in order of first appearance.
  std::vector<std::string> subjects() const;
  // Targets whose every response is finite.
  std::vector<int> finite_targets() const;
  // Targets measured in every scan (one per repetition): the voxels the 2023 analyses use.
  std::vector<int> every_scan_targets() const;
  // The same dataset restricted to the listed targets (column order kept).
  BrainDataset subset(const std::vector<int>& target_indices) const;
  // The targets of one ROI; InputError if none carries it.
  BrainDataset select_roi(const std::string& roi) const;
  // The first `n` stimuli (B2021's analyses use its first 165 of 192 sounds).
  BrainDataset first_stimuli(Eigen::Index n) const;
};

// Loads a dataset from a path (a components.mat, a release folder such as
// .../neural/NH2015, or a generic folder) or a registered name: nh2015comp, nh2015, b2021.
BrainDataset load_dataset(const std::string& path_or_name);

// Where load_dataset finds `path_or_name`, without reading it: the path itself, or for a
// registered name its place under the data root. InputError (as load_dataset's) when neither
// exists.
std::filesystem::path dataset_path(const std::string& path_or_name);
// Whether the dataset at `path` is the NH2015 components (a components.mat, or a folder with
// one that is not a 2023 release folder), as load_dataset decides.
bool holds_components(const std::filesystem::path& path);

// Folder holding the public data (natsound165/, neural/): $BRAINALIGN_DATA, else the
// per-user cache ($XDG_CACHE_HOME/brainalign, ~/.cache/brainalign).
std::filesystem::path data_root();

BrainDataset load_nh2015_components(const std::filesystem::path& components_mat);
BrainDataset load_release2023(const std::filesystem::path& folder);
// The generic layout: responses.npy (stimuli x targets x repetitions), voxels.csv
// (voxel_id,subject[,roi]), stimuli.txt, and optionally folds.csv (stimulus,fold).
BrainDataset load_generic_dataset(const std::filesystem::path& folder);

// The dataset's rows in the order in which the published code indexes its stimuli by position
// (the 2025 fold vector, the 2023 splits and category blocks): a release's own order when the
// rows carry it (`release_order`); else, for the 165 natural sounds, NH2015's release order
// (natsound165_stimuli()); else the dataset's own row order. InputError when only some of
// the stimuli are natural sounds: their order cannot be established.
std::vector<int> published_order(const BrainDataset& dataset);

// A fold assignment (stimulus -> fold) for `stimuli`, read from a `stimulus,fold` CSV:
// ArgumentError ("folds") when the file is missing, InputError naming the file and line for a
// bad fold or a stimulus without one, or folds not numbered 0..k-1 with k >= 3.
std::vector<int> read_folds(const std::filesystem::path& csv,
                            const std::vector<std::string>& stimuli);
void save_generic_dataset(const std::filesystem::path& folder, const BrainDataset& dataset);

}  // namespace brainalign::data