// A feature set: one model's layers for a set of stimuli, one row per stimulus.
//
// On disk (format version 1): an .npz archive with one float array per layer (stimuli x
// features) in layer order and a string array `__stimuli__` naming the rows; or an HDF5 file
// with a string dataset `layer_list` and one dataset per layer; or a folder of <layer>.npy
// files (with an optional stimuli.txt). NumPy writes the .npz with np.savez.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/data/stimulus_name.h"

namespace brainalign::features {

struct Layer {
  std::string name;
  Matrix values;  // stimuli x features
};

struct FeatureSet {
  std::string source;                // where it was read from, for messages
  std::vector<std::string> stimuli;  // row names; empty when the file names none
  std::vector<Layer> layers;         // in layer order

  std::vector<std::string> layer_names() const;
};

inline constexpr const char* kStimuliMember = "__stimuli__";

FeatureSet load_feature_set(const std::filesystem::path& path);

// SHA-256 of a feature set's content: its stimulus names, and each layer's name, shape and
// values (not the file's bytes, which hold write times), so that the same features give the
// same digest whichever run wrote them.
std::string content_digest(const FeatureSet& features);
void save_feature_set(const std::filesystem::path& path, const FeatureSet& features);

// The layers' rows in the order of `stimuli`, joined by name (a feature set without names
// must have exactly one row per stimulus, taken in order). Every missing or extra stimulus,
// shape mismatch or non-finite value is an InputError naming the file, layer and stimulus.
std::vector<Matrix> align_to_stimuli(const FeatureSet& features,
                                     const std::vector<std::string>& stimuli);

}  // namespace brainalign::features