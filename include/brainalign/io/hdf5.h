// HDF5 feature files: one dataset per layer, plus a string dataset `layer_list`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/io/numeric_array.h"

namespace brainalign::io {

// Root-level datasets, in the file's name order.
std::vector<std::string> hdf5_dataset_names(const std::filesystem::path& path);
// A numeric dataset (any integer or float type) as doubles in C order.
NumericArray read_hdf5_numeric(const std::filesystem::path& path, const std::string& name);
// A string dataset, fixed- or variable-length.
std::vector<std::string> read_hdf5_strings(const std::filesystem::path& path, const std::string& name);

}  // namespace brainalign::io
