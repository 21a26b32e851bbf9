// NumPy arrays in pickles, read without Python: a one-dimensional array saved with joblib.dump
// (the published 2025 fold assignment, lists/stratified-fold-assignment.pkl), and a dict of
// arrays saved with pickle.dump (the per-sound activations of the 2023 release).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "brainalign/io/numeric_array.h"

namespace brainalign::io {

// The pickle of a joblib.numpy_pickle.NumpyArrayWrapper (shape (n,), C order, little-endian
// float64 or int64) and the n raw values joblib writes into the stream after it, read by
// io::read_pickle allowing no global but joblib's wrapper and NumPy's ndarray and dtype. Throws
// InputError naming the file for anything else.
std::vector<double> read_joblib_vector(const std::filesystem::path& path);
std::vector<double> parse_joblib_vector(std::span<const std::uint8_t> bytes,
                                        const std::string& source);

// A pickle.dump (protocols 2 to 5) of a dict mapping strings to NumPy arrays, as NumPy reduces
// an array for pickling: numpy.core.multiarray._reconstruct (numpy._core in NumPy 2) and a
// BUILD with (version, shape, dtype, Fortran order, raw bytes). Each array's values as doubles
// in C order with its shape, in the dict's order. Dtypes: little-endian float16/32/64, signed
// and unsigned integers of 1 to 8 bytes, bool. Allows no global but those and numpy.dtype;
// InputError naming the file (and the key) for a truncated stream, another object, another
// dtype or a byte count that does not fit the shape.
using NamedArrays = std::vector<std::pair<std::string, NumericArray>>;
NamedArrays read_pickled_array_dict(const std::filesystem::path& path);
NamedArrays parse_pickled_array_dict(std::span<const std::uint8_t> bytes,
                                     const std::string& source);

}  // namespace brainalign::io
