#include "brainalign/models/model_series.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "brainalign/base/error.h"
#include "brainalign/models/model_catalog.h"

namespace brainalign::models {
namespace fs = std::filesystem;
namespace {

constexpr const char* kListing = "listing.json";

std::string folder_name(const ModelSeries& series) {
  std::string relative = series.name;
  std::replace(relative.begin(), relative.end(), ':', '/');
  return relative;
}

// "epoch=3-step=12000.ckpt" -> "12000"; what the 2025 code calls a checkpoint
// (Path(file).stem.split('=')[-1]).
std::string step_of(const std::string& file_name) {
  std::string stem = fs::path(file_name).stem().string();
  const std::size_t equals = stem.rfind('=');
  return equals == std::string::npos ? stem : stem.substr(equals + 1);
}

bool is_number(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Numbers ascending, then other names in text order.
bool step_before(const std::string& a, const std::string& b) {
  const bool na = is_number(a);
  const bool nb = is_number(b);
  if (na != nb) return na;
  if (na && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::vector<SeriesCheckpoint> parse_listing(const ModelSeries& series, const fs::path& listing) {
  std::ifstream in(listing);
  if (!in) throw IoError(listing.string() + ": cannot be read");
  nlohmann::json json;
  try {
    in >> json;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(listing.string() + ": not a JSON listing (" + e.what() + ")");
  }
  if (!json.is_array()) {
    throw InputError(listing.string() + ": expected a JSON array of {type, path, size, lfs}");
  }
  std::vector<SeriesCheckpoint> checkpoints;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const nlohmann::json& entry = json[i];
    const std::string at = listing.string() + ": entry " + std::to_string(i);
    if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string()) {
      throw InputError(at + ": expected an object with a string 'path'");
    }
    if (entry.value("type", "file") != "file") continue;
    const std::string path = entry["path"].get<std::string>();
    if (!path.ends_with(series.file_suffix)) continue;
    const std::string name = fs::path(path).filename().string();
    if (name.empty() || name == "." || name == ".." || name.find('\\') != std::string::npos) {
      throw InputError(at + ": 'path' " + path + " does not end in a file name");
    }
    SeriesCheckpoint checkpoint;
    checkpoint.step = step_of(name);
    checkpoint.file.path = name;
    checkpoint.file.url = series.file_url_prefix + path;
    // A file stored with Git LFS: the listing gives its SHA-256 and size.
    if (entry.contains("lfs") && entry["lfs"].is_object()) {
      const nlohmann::json& lfs = entry["lfs"];
      if (lfs.contains("oid") && lfs["oid"].is_string()) {
        std::string oid = lfs["oid"].get<std::string>();
        if (oid.starts_with("sha256:")) oid = oid.substr(7);
        if (oid.size() != 64 || !std::all_of(oid.begin(), oid.end(), [](unsigned char c) {
              return std::isxdigit(c) && !std::isupper(c);
            })) {
          throw InputError(at + ": lfs.oid '" + oid + "' is not a lowercase hex SHA-256");
        }
        checkpoint.file.sha256 = oid;
      }
      if (lfs.contains("size") && lfs["size"].is_number_integer()) {
        checkpoint.file.size = lfs["size"].get<std::int64_t>();
      }
    }
    if (checkpoint.file.size < 0 && entry.contains("size") && entry["size"].is_number_integer()) {
      checkpoint.file.size = entry["size"].get<std::int64_t>();
    }
    for (const auto& other : checkpoints) {
      if (other.step == checkpoint.step) {
        throw InputError(at + ": " + name + " and " + other.file.path + " are both step " +
                         checkpoint.step);
      }
    }
    checkpoints.push_back(std::move(checkpoint));
  }
  if (checkpoints.empty()) {
    throw InputError(listing.string() + ": lists no " + series.file_suffix + " file of " +
                     series.name);
  }
  std::sort(checkpoints.begin(), checkpoints.end(),
            [](const SeriesCheckpoint& a, const SeriesCheckpoint& b) {
              return step_before(a.step, b.step);
            });
  return checkpoints;
}

}  // namespace

const std::vector<ModelSeries>& model_series() {
  static const std::vector<ModelSeries> list = {
      {"encodecmae:mel256-ec-base-pretraining",
       "EnCodecMAE mel256-ec-base pretraining checkpoints (Pepino et al. 2025, Fig 5)",
       "encodecmae:mel256-ec-base",
       {"pepino2025"},
       "MIT",
       "https://huggingface.co/api/models/lpepino/encodecmae-pretrained/tree/main/full_exps/"
       "base_models/mel256-ec-base/pretrain_checkpoints/finegrained",
       "https://huggingface.co/lpepino/encodecmae-pretrained/resolve/main/",
       ".ckpt",
       "the fine-grained PyTorch Lightning checkpoints the study's pretraining-dynamics "
       "analysis lists and loads into mel256-ec-base (load_state_dict of each 'state_dict')"},
  };
  return list;
}

const ModelSeries* find_model_series(const std::string& name) {
  for (const auto& series : model_series()) {
    if (series.name == name) return &series;
  }
  return nullptr;
}

std::optional<std::pair<const ModelSeries*, std::string>> split_series_model(
    const std::string& name) {
  const std::size_t at = name.rfind('@');
  if (at == std::string::npos) return std::nullopt;
  const ModelSeries* series = find_model_series(name.substr(0, at));
  if (series == nullptr) return std::nullopt;
  return std::make_pair(series, name.substr(at + 1));
}

fs::path series_folder(const ModelSeries& series) { return models_root() / folder_name(series); }

std::optional<std::vector<SeriesCheckpoint>> listed_checkpoints(const ModelSeries& series) {
  const fs::path listing = series_folder(series) / kListing;
  if (!fs::exists(listing)) return std::nullopt;
  return parse_listing(series, listing);
}

std::vector<SeriesCheckpoint> list_checkpoints(const ModelSeries& series,
                                               const io::FetchOptions& options) {
  if (auto listed = listed_checkpoints(series)) return *std::move(listed);
  // The listing is kept like a downloaded file: complete or absent, its digest recorded.
  io::FetchOptions listing_options = options;
  listing_options.before_download = nullptr;
  io::fetch_remote_files({{kListing, series.listing_url, "", -1}}, series_folder(series),
                         "list " + series.name, "models/" + folder_name(series), listing_options);
  const fs::path listing = series_folder(series) / kListing;
  try {
    return parse_listing(series, listing);
  } catch (const InputError&) {
    // A listing that cannot be used is not kept: the next run lists again.
    std::error_code ignored;
    fs::remove(listing, ignored);
    fs::remove(fs::path(listing.string() + ".sha256"), ignored);
    throw;
  }
}

const SeriesCheckpoint& find_checkpoint(const ModelSeries& series,
                                        const std::vector<SeriesCheckpoint>& checkpoints,
                                        const std::string& step) {
  for (const auto& checkpoint : checkpoints) {
    if (checkpoint.step == step) return checkpoint;
  }
  // The listed steps around where `step` would be.
  const auto after = std::lower_bound(
      checkpoints.begin(), checkpoints.end(), step,
      [](const SeriesCheckpoint& c, const std::string& s) { return step_before(c.step, s); });
  std::string near;
  if (after != checkpoints.begin()) near += std::prev(after)->step;
  if (after != checkpoints.end()) near += (near.empty() ? "" : ", ") + after->step;
  throw InputError(
      "model '" + series.name + "@" + step + "': the series has no checkpoint of step " + step +
      " (" + std::to_string(checkpoints.size()) + " listed, from " + checkpoints.front().step +
      " to " + checkpoints.back().step + (near.empty() ? "" : "; nearest: " + near) + ")");
}

std::vector<fs::path> fetch_series_checkpoints(const ModelSeries& series,
                                               const std::vector<std::string>& steps,
                                               const io::FetchOptions& options) {
  const std::vector<SeriesCheckpoint> checkpoints = list_checkpoints(series, options);
  std::vector<io::RemoteFile> files;
  if (steps.empty()) {
    for (const auto& checkpoint : checkpoints) files.push_back(checkpoint.file);
  } else {
    for (const auto& step : steps) files.push_back(find_checkpoint(series, checkpoints, step).file);
  }
  const fs::path folder = series_folder(series);
  io::fetch_remote_files(files, folder, "fetch " + series.name, "models/" + folder_name(series),
                         options);
  std::vector<fs::path> paths;
  for (const auto& file : files) paths.push_back(folder / file.path);
  return paths;
}

}  // namespace brainalign::models
