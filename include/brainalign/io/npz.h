// NumPy .npz archives (np.savez, np.savez_compressed): a zip file of .npy members.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "brainalign/io/npy.h"

namespace brainalign::io {

// One array to write into an .npz archive: values in C order and their shape.
struct NpyMember {
  using Values = std::variant<std::vector<double>, std::vector<float>, std::vector<std::int64_t>,
                              std::vector<std::string>>;
  Values values;
  // The product of the extents must equal the number of values; empty means a scalar.
  std::vector<std::size_t> shape;
};

// A one-dimensional member holding `values`.
template <class T>
NpyMember npy_vector(std::vector<T> values) {
  const std::size_t count = values.size();
  return NpyMember{NpyMember::Values(std::move(values)), {count}};
}

// The .npy bytes of a member. Throws InputError if the shape does not match the values.
std::vector<std::uint8_t> encode_npy(const NpyMember& member);

// Reads every member in archive order, named without the '.npy' suffix. Stored and deflated
// members are supported. Throws IoError if the file cannot be read and InputError if it is
// not a valid .npz archive (the message names the archive and the member).
std::vector<std::pair<std::string, NpyArray>> read_npz(const std::filesystem::path& path);

// Writes the members in order as '<name>.npy' entries, deflated when `compress` is true; the
// result loads with np.load. Atomic (temporary file, then rename). Throws InputError for
// duplicate or empty names and IoError when writing fails.
void write_npz(const std::filesystem::path& path,
               const std::vector<std::pair<std::string, NpyMember>>& members,
               bool compress = false);

}  // namespace brainalign::io
