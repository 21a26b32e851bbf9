// HDF5 files of model activations: one numeric dataset per layer plus a string dataset
// (`layer_list`) giving the layer order, as h5py writes them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/io/numeric_array.h"

namespace brainalign::io {

using Hdf5Array = NumericArray;

// Names of the datasets directly under the root group, in HDF5 name order (alphabetical);
// groups and the datasets inside them are not listed. Use a string dataset such as
// `layer_list` for a meaningful order.
std::vector<std::string> hdf5_dataset_names(const std::filesystem::path& path);

// A numeric (integer or float) dataset converted to doubles, in C order with its shape.
// `name` may be a path inside the file ("group/layer").
Hdf5Array read_hdf5_numeric(const std::filesystem::path& path, const std::string& name);

// A string dataset of any shape, flattened in C order: fixed-length (NUL- or space-padded)
// or variable-length, ASCII or UTF-8.
std::vector<std::string> read_hdf5_strings(const std::filesystem::path& path,
                                           const std::string& name);

// All three throw IoError if the file does not exist and InputError (naming the file and the
// dataset) if it is not HDF5, the dataset is missing, or its type does not fit.

}  // namespace brainalign::io
