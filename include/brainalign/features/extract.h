// Feature extraction: a model run over a folder of sound files (or a registered data set's
// sounds), each layer pooled per stimulus, cached, and written as a feature set.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/features/feature_set.h"
#include "brainalign/features/pooling.h"
#include "brainalign/models/model.h"

namespace brainalign::features {

struct ExtractOptions {
  Pooling pooling = Pooling::kMean;
  int threads = 0;  // 0: every core. Results do not depend on it.
  // Bytes that the clips running at once may need together (Model::forward_memory_bytes): a
  // clip waits while the others in flight would exceed it, and runs alone when it needs more
  // than all of it. 0: half of the memory available when extraction starts.
  std::size_t memory_budget = 0;
  bool use_cache = true;
  std::filesystem::path cache_dir;  // empty: default_feature_cache_dir()
  std::function<void(const std::string& stage, int done, int total)> progress;
};

struct ExtractedFeatures {
  std::string model;
  Pooling pooling = Pooling::kMean;
  std::vector<std::string> stimuli;  // file names without extension, in file order
  std::vector<std::string> layers;   // the model's layer order
  // values[layer][stimulus]: 1 x features (mean pooling) or frames x features (none).
  std::vector<std::vector<Matrix>> values;
  int computed = 0;    // stimuli the model ran on
  int from_cache = 0;  // stimuli read from the cache
};

// The sound files in a folder (extensions libsndfile reads: wav, flac, ogg, aif, aiff, au),
// in natural order of their names (stim5 before stim11). InputError when there are none or
// two share a stimulus name.
std::vector<std::filesystem::path> list_audio_files(const std::filesystem::path& folder);

// A folder of sound files, or the name of a registered data set with sounds (natsound165:
// <data root>/natsound165/wav, fetched with `fetch` when missing).
std::vector<std::filesystem::path> resolve_stimuli(const std::string& folder_or_dataset,
                                                   const data::FetchOptions& fetch = {});

// Half of the memory the system has available now (MemAvailable), in bytes.
std::size_t default_memory_budget();

// Runs `model` over the files in parallel and pools each layer. Every failure is an
// InputError naming the file (unreadable audio, audio the model cannot take).
ExtractedFeatures extract_features(const models::Model& model,
                                   const std::vector<std::filesystem::path>& files,
                                   const ExtractOptions& options = {});

// `features` with only `layers`, in that order (e.g. Model::published_layers()). InputError
// naming the model and a layer it lacks.
ExtractedFeatures select_layers(ExtractedFeatures features, const std::vector<std::string>& layers);

// The mean-pooled features as a feature set (stimuli x features per layer).
FeatureSet to_feature_set(const ExtractedFeatures& features);

// Writes the .npz feature set: one array per layer in layer order and `__stimuli__`. Mean
// pooling gives stimuli x features; no pooling gives stimuli x frames x features, which needs
// every clip to have the same number of frames (InputError naming two that differ).
void save_extracted_features(const std::filesystem::path& path, const ExtractedFeatures& features);

}  // namespace brainalign::features