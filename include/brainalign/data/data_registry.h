// The public data brainalign can download: each data set's files with their pinned sources
// and SHA-256 checksums (the facts, not the data). Files go under data_root() (the per-user
// cache unless $BRAINALIGN_DATA names a local copy), fetched as io::fetch_remote_files does.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "brainalign/io/remote_files.h"

namespace brainalign::data {

using io::FetchOptions;
using io::RemoteFile;

struct PublicDataset {
  std::string name;
  std::string description;
  std::vector<RemoteFile> files;
  // Paths (relative to the data root) whose presence shows the data set is there; a local
  // copy that has them needs none of `files`.
  std::vector<std::string> provides;
  // Archives are unpacked under the data root (or `unpack_into` below it) with this many
  // leading path components dropped, then deleted.
  bool unpack = false;
  int strip_components = 0;
  std::string unpack_into;
  // The folder the data set is, relative to the data root, when it is one (a HEAR task).
  std::string folder;
  // Builds derived files (such as a CSV from a pickled vector) once the files are there.
  std::function<void(const std::filesystem::path& root)> derive;
};

// Every registered data set: natsound165 (the 165 sounds, category labels and the six NH2015
// components), natsound165-folds (the 2025 study's 5-fold assignment, as folds_5x33.csv),
// tuckute2023 (the 2023 study's data release: neural/NH2015, neural/B2021),
// tuckute2023-activations (its models' published activations: model_actv/) and the six HEAR
// tasks of the 2025 study (hear:esc50, hear:fsd50k, hear:nsynth_pitch, hear:speech_commands,
// hear:crema_d, hear:gtzan_genre: hear-preprocess folders at 48 kHz under hear/).
const std::vector<PublicDataset>& public_datasets();
// InputError listing the known names when `name` is not one.
const PublicDataset& find_public_dataset(const std::string& name);

// The `provides` paths of the data set that are missing under `root`.
std::vector<std::string> missing_paths(const PublicDataset& dataset,
                                       const std::filesystem::path& root);

// Makes the data set present under data_root() and returns the root. Nothing is downloaded
// when it is already there. With $BRAINALIGN_DATA set nothing is ever downloaded: a missing
// file is an InputError naming it and the variable. Download failures are IoErrors.
std::filesystem::path fetch_dataset(const std::string& name, const FetchOptions& options = {});

// The registered data set that provides the dataset or sounds a study names by `name`:
// natsound165 for "nh2015comp" and "natsound165", tuckute2023 for "nh2015" and "b2021", the
// data set itself for a registered name (hear:esc50); empty for anything else (a path).
std::string public_dataset_providing(const std::string& name);

// The folder of a registered HEAR task ("hear:esc50"), fetched first when it is not there (the
// download can be large: `options.before_download` hears of it first). Any other name is
// returned as the path it is.
std::filesystem::path hear_task_folder(const std::string& name_or_path,
                                       const FetchOptions& options = {});

// The folder under `staging` holding task_metadata.json for the HEAR task `hear_name` (the
// archives nest it under tasks/ or hear-2021.0.6/tasks/), moved to `destination`. InputError
// naming the archive's folder when it holds no such task.
void move_hear_task(const std::filesystem::path& staging, const std::string& hear_name,
                    const std::filesystem::path& destination);

// natsound165/folds_5x33.csv (`stimulus,fold`, stimuli in ascending number) from the
// published joblib-pickled fold vector, whose entries follow that order.
void write_natsound165_folds(const std::filesystem::path& pickled_folds,
                             const std::filesystem::path& csv);

// The 165 stimulus names in the NH2015 release's original order (ascending number).
std::vector<std::string> natsound165_stimuli();

}  // namespace brainalign::data