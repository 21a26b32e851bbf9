#include "brainalign/io/pickled_array.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "brainalign/base/error.h"

namespace brainalign::io {
namespace {

constexpr std::uint8_t kProto = 0x80, kStop = '.', kBinInt1 = 'K', kBinInt2 = 'M', kBinInt = 'J',
                       kTuple1 = 0x85;

// Offset just after the first occurrence of `needle`, or npos.
std::size_t find_after(std::span<const std::uint8_t> bytes, std::string_view needle,
                       std::size_t from = 0) {
  const auto* begin = bytes.data() + std::min(from, bytes.size());
  const auto* end = bytes.data() + bytes.size();
  const auto* hit = std::search(begin, end, needle.begin(), needle.end(),
                                [](std::uint8_t a, char b) { return a == std::uint8_t(b); });
  return hit == end ? std::string_view::npos : std::size_t(hit - bytes.data()) + needle.size();
}

}  // namespace

std::vector<double> parse_joblib_vector(std::span<const std::uint8_t> bytes,
                                        const std::string& source) {
  const auto fail = [&](const std::string& why) -> InputError {
    return InputError(source + ": not a joblib-pickled 1-D NumPy array (" + why + ")");
  };
  if (bytes.size() < 2 || bytes[0] != kProto || bytes.back() != kStop) {
    throw fail("no pickle protocol header or STOP byte");
  }
  if (find_after(bytes, "NumpyArrayWrapper") == std::string_view::npos) {
    throw fail("no joblib NumpyArrayWrapper");
  }
  // shape: one integer in a 1-tuple.
  std::size_t at = find_after(bytes, std::string_view("\x8c\x05shape\x94", 8));
  if (at == std::string_view::npos || at >= bytes.size()) throw fail("no shape");
  std::uint64_t count = 0;
  std::size_t width = 0;
  switch (bytes[at]) {
    case kBinInt1:
      width = 1;
      break;
    case kBinInt2:
      width = 2;
      break;
    case kBinInt:
      width = 4;
      break;
    default:
      throw fail("shape is not a small integer");
  }
  if (at + 1 + width >= bytes.size()) throw fail("truncated shape");
  for (std::size_t i = 0; i < width; ++i) count |= std::uint64_t(bytes[at + 1 + i]) << (8 * i);
  if (bytes[at + 1 + width] != kTuple1) throw fail("shape is not one-dimensional");
  if (find_after(bytes, std::string_view("\x8c\x05order\x94\x8c\x01"
                                         "C",
                                         11)) == std::string_view::npos) {
    throw fail("order is not C");
  }
  const bool is_float = find_after(bytes, std::string_view("\x8c\x02"
                                                           "f8",
                                                           4)) != std::string_view::npos;
  const bool is_int = find_after(bytes, std::string_view("\x8c\x02"
                                                         "i8",
                                                         4)) != std::string_view::npos;
  if (is_float == is_int) throw fail("dtype is not float64 or int64");
  if (find_after(bytes, std::string_view("\x8c\x01<", 3)) == std::string_view::npos) {
    throw fail("byte order is not little-endian");
  }
  // joblib writes the raw values after the pickled wrapper, right before the final STOP.
  const std::size_t data_bytes = count * 8;
  if (data_bytes + 1 > bytes.size() || bytes.size() - 1 - data_bytes < at) {
    throw fail("file too short for " + std::to_string(count) + " values");
  }
  const std::uint8_t* data = bytes.data() + bytes.size() - 1 - data_bytes;
  static_assert(std::endian::native == std::endian::little, "little-endian hosts only");
  std::vector<double> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (is_float) {
      std::memcpy(&values[i], data + 8 * i, 8);
    } else {
      std::int64_t v = 0;
      std::memcpy(&v, data + 8 * i, 8);
      values[i] = static_cast<double>(v);
    }
  }
  return values;
}

std::vector<double> read_joblib_vector(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  return parse_joblib_vector(bytes, path.string());
}

}  // namespace brainalign::io
