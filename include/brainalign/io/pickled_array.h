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
#include "brainalign/io/pickle.h"

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

// One NumPy array of a pickle read by io::read_pickle with opaque objects and the globals
// is_numpy_array_global() allows: NumPy's reduction of an ndarray, _reconstruct built with
// (version, shape, dtype, Fortran order, raw bytes), or protocol 5's _frombuffer(buffer, dtype,
// shape, order). Number dtypes (those above) give `values` in C order; an object array (dtype
// 'O') gives the nodes of its elements in `objects`, C order. InputError "<what>: ..." for
// another object, dtype, byte order or a byte count that does not fit the shape.
struct PickledNumpyArray {
  char kind = 'f';        // the dtype's kind: 'f', 'i', 'u', 'b' (bool) or 'O' (object)
  std::size_t width = 8;  // bytes per element
  std::vector<std::size_t> shape;
  std::vector<double> values;
  bool is_object = false;
  std::vector<std::size_t> objects;
};
PickledNumpyArray pickled_numpy_array(const Pickle& pickle, std::size_t node,
                                      const std::string& what);
// NumPy's array reductions (numpy.core and numpy._core), numpy.dtype, numpy.ndarray and
// _codecs.encode (how protocol 2 writes bytes).
bool is_numpy_array_global(const std::string& global);

}  // namespace brainalign::io
