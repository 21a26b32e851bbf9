// Minimal reader for the golden .npy files of the front-end tests: little-endian float32 or
// float64 arrays; Fortran-ordered ones are returned in C order.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace brainalign::dsp::testing {

struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<double> values;
};

inline NpyArray load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error("not npy: " + path);
  std::size_t header_length = 0;
  if (magic[6] == 1) {
    unsigned char bytes[2];
    in.read(reinterpret_cast<char*>(bytes), 2);
    header_length = bytes[0] | (static_cast<std::size_t>(bytes[1]) << 8);
  } else {
    unsigned char bytes[4];
    in.read(reinterpret_cast<char*>(bytes), 4);
    header_length = bytes[0] | (static_cast<std::size_t>(bytes[1]) << 8) |
                    (static_cast<std::size_t>(bytes[2]) << 16) |
                    (static_cast<std::size_t>(bytes[3]) << 24);
  }
  std::string header(header_length, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_length));
  const bool is_float32 = header.find("'<f4'") != std::string::npos;
  const bool is_float64 = header.find("'<f8'") != std::string::npos;
  if (!is_float32 && !is_float64) throw std::runtime_error("unsupported dtype in " + path);
  const bool fortran_order = header.find("'fortran_order': True") != std::string::npos;
  NpyArray array;
  const std::size_t open = header.find('(', header.find("'shape'"));
  const std::size_t close = header.find(')', open);
  std::string dims = header.substr(open + 1, close - open - 1);
  std::size_t count = 1;
  for (std::size_t pos = 0; pos < dims.size();) {
    const std::size_t comma = dims.find(',', pos);
    const std::string item =
        dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.find_first_of("0123456789") != std::string::npos) {
      array.shape.push_back(std::stoul(item));
      count *= array.shape.back();
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  array.values.resize(count);
  if (is_float32) {
    std::vector<float> raw(count);
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(count * 4));
    for (std::size_t i = 0; i < count; ++i) array.values[i] = raw[i];
  } else {
    in.read(reinterpret_cast<char*>(array.values.data()), static_cast<std::streamsize>(count * 8));
  }
  if (!in) throw std::runtime_error("truncated npy: " + path);
  if (fortran_order && array.shape.size() > 1) {
    // Element (i0, i1, ...) sits at i0 + n0 * (i1 + n1 * (...)) in Fortran order.
    std::vector<double> c_order(count);
    const std::size_t rank = array.shape.size();
    std::vector<std::size_t> index(rank, 0);
    for (std::size_t c = 0; c < count; ++c) {
      std::size_t f = 0;
      for (std::size_t d = rank; d-- > 0;) f = f * array.shape[d] + index[d];
      c_order[c] = array.values[f];
      for (std::size_t d = rank; d-- > 0;) {
        if (++index[d] < array.shape[d]) break;
        index[d] = 0;
      }
    }
    array.values = std::move(c_order);
  }
  return array;
}

inline std::string golden_frontend(const std::string& name) {
  return std::string(BRAINALIGN_SHARED_DIR) + "/golden/frontends/" + name;
}

}  // namespace brainalign::dsp::testing
