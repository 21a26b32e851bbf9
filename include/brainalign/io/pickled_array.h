// A one-dimensional NumPy array saved with joblib.dump (the published 2025 fold assignment,
// lists/stratified-fold-assignment.pkl), read without Python.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace brainalign::io {

// The pickle of a joblib.numpy_pickle.NumpyArrayWrapper (shape (n,), C order, little-endian
// float64 or int64) and the n raw values joblib writes into the stream after it, read by
// io::read_pickle allowing no global but joblib's wrapper and NumPy's ndarray and dtype. Throws
// InputError naming the file for anything else.
std::vector<double> read_joblib_vector(const std::filesystem::path& path);
std::vector<double> parse_joblib_vector(std::span<const std::uint8_t> bytes,
                                        const std::string& source);

}  // namespace brainalign::io
