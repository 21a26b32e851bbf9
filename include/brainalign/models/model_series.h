// Checkpoint series: the checkpoints one training run saved along the way, each run in the
// architecture of a released model of the catalogue. The 2025 study's pretraining dynamics
// load EnCodecMAE's fine-grained pretraining checkpoints into mel256-ec-base this way. A
// series' checkpoints are listed from their source the first time they are needed (the listing,
// with each file's size and SHA-256, is kept and trusted from then on); each checkpoint is a
// model named "<series>@<step>", fetched on first use like a catalogued checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "brainalign/io/remote_files.h"

namespace brainalign::models {

struct ModelSeries {
  std::string name;         // "encodecmae:mel256-ec-base-pretraining"
  std::string description;  // one line
  // The catalogued model whose architecture every checkpoint's weights fill.
  std::string architecture;
  std::vector<std::string> studies;  // "pepino2025"
  std::string licence;
  // Where the checkpoints are listed: a Hugging Face tree listing (JSON: [{type, path, size,
  // lfs: {oid, size}}]); each listed file `path` comes from file_url_prefix + path.
  std::string listing_url;
  std::string file_url_prefix;
  std::string file_suffix;  // only listed files ending so are checkpoints: ".ckpt"
  std::string notes;
};

struct SeriesCheckpoint {
  // The step, as the 2025 study names it: the file's stem after its last '='
  // ("epoch=3-step=12000.ckpt" -> "12000").
  std::string step;
  io::RemoteFile file;  // path relative to the series' folder
};

// Every registered series.
const std::vector<ModelSeries>& model_series();
// The series `name`, or nullptr.
const ModelSeries* find_model_series(const std::string& name);

// "<series>@<step>" split into the series and the step, when `name` has that form and names a
// registered series; nullopt otherwise.
std::optional<std::pair<const ModelSeries*, std::string>> split_series_model(
    const std::string& name);

// models_root()/<name with ':' as '/'>.
std::filesystem::path series_folder(const ModelSeries& series);

// The checkpoints as listed before (in step order: numbers ascending, then other names), or
// nullopt when the series was never listed here. InputError naming the listing when the
// recorded listing is malformed. No network.
std::optional<std::vector<SeriesCheckpoint>> listed_checkpoints(const ModelSeries& series);

// The checkpoints, listing them from their source first when they were never listed
// ($BRAINALIGN_MIRROR serves <mirror>/models/<series folder>/listing.json). IoError naming the
// URL for network failures; InputError when the listing is malformed or names no checkpoint.
std::vector<SeriesCheckpoint> list_checkpoints(const ModelSeries& series,
                                               const io::FetchOptions& options = {});

// The checkpoint of `step`; InputError naming the series, the step and the steps nearest to it
// when it has none.
const SeriesCheckpoint& find_checkpoint(const ModelSeries& series,
                                        const std::vector<SeriesCheckpoint>& checkpoints,
                                        const std::string& step);

// Downloads the checkpoints of `steps` (every listed one when empty) that are missing into
// series_folder() (resumable, verified against the listed SHA-256, atomic) and returns their
// paths in the order of `steps`.
std::vector<std::filesystem::path> fetch_series_checkpoints(const ModelSeries& series,
                                                            const std::vector<std::string>& steps,
                                                            const io::FetchOptions& options = {});

}  // namespace brainalign::models
