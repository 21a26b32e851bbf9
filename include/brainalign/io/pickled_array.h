// A one-dimensional NumPy array saved with joblib.dump (the published 2025 fold assignment,
// lists/stratified-fold-assignment.pkl), read without Python.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace brainalign::io {

// Reads the minimal subset of joblib's format that a plain vector uses: a pickle of
// joblib.numpy_pickle.NumpyArrayWrapper (shape (n,), C order, little-endian float64 or int64)
// followed by the n raw values and the pickle's STOP byte. Throws InputError naming the file
// for anything else.
std::vector<double> read_joblib_vector(const std::filesystem::path& path);
std::vector<double> parse_joblib_vector(std::span<const std::uint8_t> bytes,
                                        const std::string& source);

}  // namespace brainalign::io
