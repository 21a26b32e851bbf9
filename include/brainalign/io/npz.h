// NumPy .npz archives (zip of .npy members, stored or deflated), read and written with libzip.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "brainalign/io/npy.h"

namespace brainalign::io {

// Members in archive order, named without the ".npy" suffix.
std::vector<std::pair<std::string, NpyArray>> read_npz(const std::filesystem::path& path);

// One member to write: an encoded .npy (see encode_npy).
struct NpyMember {
  std::vector<std::uint8_t> bytes;
  static NpyMember from_doubles(const std::vector<double>& values, const std::vector<std::size_t>& shape);
  static NpyMember from_strings(const std::vector<std::string>& values);
};

// Writes atomically; `compress` deflates the members as np.savez_compressed does.
void write_npz(const std::filesystem::path& path,
               const std::vector<std::pair<std::string, NpyMember>>& members, bool compress = false);

}  // namespace brainalign::io
