// The public data brainalign can download: each data set's files with their pinned sources
// and SHA-256 checksums (the facts, not the data). Files go under data_root() (the per-user
// cache unless $BRAINALIGN_DATA names a local copy), each downloaded to a .part file, resumed
// with HTTP Range requests, verified and only then renamed into place.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace brainalign::data {

struct RemoteFile {
  std::string path;    // where it goes, relative to the data root
  std::string url;     // the pinned public source
  std::string sha256;  // empty: not known in advance; printed and recorded on first download
};

struct PublicDataset {
  std::string name;
  std::string description;
  std::vector<RemoteFile> files;
  // Paths (relative to the data root) whose presence shows the data set is there; a local
  // copy that has them needs none of `files`.
  std::vector<std::string> provides;
  // Archives are unpacked under the data root with this many leading path components
  // dropped, then deleted.
  bool unpack = false;
  int strip_components = 0;
  // Builds derived files (such as a CSV from a pickled vector) once the files are there.
  std::function<void(const std::filesystem::path& root)> derive;
};

// Every registered data set: natsound165 (the 165 sounds, category labels and the six NH2015
// components), natsound165-folds (the 2025 study's 5-fold assignment, as folds_5x33.csv) and
// tuckute2023 (the 2023 study's data release: neural/NH2015, neural/B2021).
const std::vector<PublicDataset>& public_datasets();
// InputError listing the known names when `name` is not one.
const PublicDataset& find_public_dataset(const std::string& name);

struct FetchOptions {
  // Base URL serving the data root's layout (<mirror>/<path>) instead of the pinned sources;
  // empty: $BRAINALIGN_MIRROR, if set.
  std::string mirror;
  std::function<void(const std::string& stage, int done, int total)> progress;
  // Notes for the user, such as the checksum of a file downloaded without a pinned one.
  std::function<void(const std::string& line)> note;
};

// The `provides` paths of the data set that are missing under `root`.
std::vector<std::string> missing_paths(const PublicDataset& dataset,
                                       const std::filesystem::path& root);

// Makes the data set present under data_root() and returns the root. Nothing is downloaded
// when it is already there. With $BRAINALIGN_DATA set nothing is ever downloaded: a missing
// file is an InputError naming it and the variable. Download failures are IoErrors.
std::filesystem::path fetch_dataset(const std::string& name, const FetchOptions& options = {});

// natsound165/folds_5x33.csv (`stimulus,fold`, stimuli in ascending number) from the
// published joblib-pickled fold vector, whose entries follow that order.
void write_natsound165_folds(const std::filesystem::path& pickled_folds,
                             const std::filesystem::path& csv);

// The 165 stimulus names in the NH2015 release's original order (ascending number).
std::vector<std::string> natsound165_stimuli();

}  // namespace brainalign::data