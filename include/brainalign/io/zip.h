// Zip archives, the one wrapper around libzip: ZipReader for the .npz reader and the readers of
// torch.save and torch.jit.save files, ZipWriter for the .npz writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

struct zip;  // libzip's archive handle (zip_t)

namespace brainalign::io {

// A zip archive, from a file or from bytes in memory. Entry sizes are checked against the
// archive before anything is allocated for an entry, so a corrupt or hostile header costs no
// memory.
class ZipReader {
 public:
  // The archive at `path`, or nullopt with `reason` set when libzip cannot read it as a zip
  // archive. IoError when the file does not exist or cannot be sized. With
  // `check_consistency`, libzip also checks the central directory against the local headers.
  static std::optional<ZipReader> open(const std::filesystem::path& path, std::string& reason,
                                       bool check_consistency = true);
  // An archive in memory, named `source` in messages; `bytes` must outlive the reader.
  static std::optional<ZipReader> open(std::span<const std::uint8_t> bytes, std::string source,
                                       std::string& reason);

  ZipReader(ZipReader&& other) noexcept;
  ZipReader& operator=(ZipReader&& other) noexcept;
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;
  ~ZipReader();

  const std::string& source() const { return source_; }
  std::size_t entries() const;
  // The name of entry `index`; nullopt when the entry has none.
  std::optional<std::string> name(std::size_t index) const;
  // The index of the entry called `name`.
  std::optional<std::size_t> find(const std::string& name) const;
  // The uncompressed size of entry `index`. InputError naming the entry when it does not record
  // its sizes or claims more than the archive can hold: a stored entry more than its compressed
  // bytes, a deflated one more than deflate's largest expansion of them.
  std::size_t size(std::size_t index) const;
  // Reads entry `index`, of size(index) == `size` bytes, into `out`. InputError naming the entry
  // when it is truncated or corrupt (libzip checks its CRC).
  void read_into(std::size_t index, void* out, std::size_t size) const;
  std::vector<std::uint8_t> read(std::size_t index) const;

 private:
  ZipReader(struct ::zip* archive, std::string source, std::uint64_t archive_size);
  std::string entry_name(std::size_t index) const;

  struct ::zip* archive_ = nullptr;
  std::string source_;
  std::uint64_t archive_size_ = 0;
};

// A new zip archive written to `path` (which must not exist yet). Nothing is left at `path`
// unless finish() succeeds: an unfinished writer discards the archive. `label` names the
// archive in messages ("features.npz").
class ZipWriter {
 public:
  // IoError when the file cannot be created.
  ZipWriter(const std::filesystem::path& path, std::string label);
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;
  ~ZipWriter();

  // Adds an entry of `bytes` (stored, or deflated when `compress`); the bytes are read by
  // finish(), so they must outlive it. IoError naming the entry.
  void add(const std::string& name, std::span<const std::uint8_t> bytes, bool compress);
  // Writes the archive. IoError when libzip cannot.
  void finish();

 private:
  [[noreturn]] void fail(const std::string& what) const;
  struct ::zip* archive_ = nullptr;
  std::string label_;
};

}  // namespace brainalign::io
