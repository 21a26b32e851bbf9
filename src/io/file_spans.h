// Random access to a binary file's bytes, for readers that follow the file's own addresses
// (HDF5 superblocks, B-trees, heaps) and must never trust one. Internal to the io module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace brainalign::io::detail {

// An unsigned integer of `size` bytes (at most 8) stored little-endian at `bytes`.
std::uint64_t little_endian(const char* bytes, std::size_t size);

// The same, `at` bytes into `bytes`; the caller has checked that the field lies within.
inline std::uint64_t little_endian(std::string_view bytes, std::size_t at, std::size_t size) {
  return little_endian(bytes.data() + at, size);
}

// A file read span by span at absolute byte offsets, every span checked against the file's
// size before it is read.
class FileSpans {
 public:
  // `where` names the file (or the part of it being read) at the start of every error.
  // Throws IoError where the file cannot be opened.
  FileSpans(const std::filesystem::path& path, std::string where);

  std::uint64_t size() const { return size_; }

  // Throws InputError "<where>: <message>".
  [[noreturn]] void fail(const std::string& message) const;

  // `count` bytes from byte `offset`. Throws InputError naming `what`, its span and the file's
  // size where the span runs past the end, and IoError where the read fails.
  std::string read(std::uint64_t offset, std::uint64_t count, const std::string& what);

 private:
  std::ifstream in_;
  std::string where_;
  std::uint64_t size_ = 0;
};

}  // namespace brainalign::io::detail
