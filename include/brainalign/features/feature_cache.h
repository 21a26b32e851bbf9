// The per-user cache of extracted features: one file per (model, stimulus), keyed by the
// model's name and weights, the pooling and the SHA-256 of the audio file's bytes, so that a
// rerun or a resumed run computes nothing twice. Entries are written atomically and carry
// their own checksum: a corrupt entry reads as missing and is computed again.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/features/pooling.h"

namespace brainalign::features {

// $BRAINALIGN_CACHE, else $XDG_CACHE_HOME/brainalign/features, else
// ~/.cache/brainalign/features.
std::filesystem::path default_feature_cache_dir();

using PooledLayers = std::vector<std::pair<std::string, Matrix>>;

class FeatureCache {
 public:
  explicit FeatureCache(std::filesystem::path dir);

  // The key of one stimulus's features (64 hex digits).
  static std::string key(const std::string& model, const std::string& weights_id, Pooling pooling,
                         const std::string& audio_sha256);

  // `<dir>/<model>/<key>.feat`.
  std::filesystem::path entry_path(const std::string& model, const std::string& key) const;

  // The layers stored under the key, or nothing when the entry is missing, corrupt, or does
  // not hold exactly `layers` in that order.
  std::optional<PooledLayers> load(const std::string& model, const std::string& key,
                                   const std::vector<std::string>& layers) const;
  // Writes the entry atomically. Throws IoError when it cannot be written.
  void store(const std::string& model, const std::string& key, const PooledLayers& layers) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace brainalign::features