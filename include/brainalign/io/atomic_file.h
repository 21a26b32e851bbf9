// Atomic file replacement: readers never see a half-written output, even after a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace brainalign::io {

// A temporary file next to `target`; commit() renames it over `target`. Without commit(),
// the temporary file is removed when the object goes away.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where to write the content before commit().
  const std::filesystem::path& temporary_path() const { return temporary_; }
  const std::filesystem::path& target_path() const { return target_; }
  // Creates the temporary file holding `bytes` and flushes it to disk; call it at most once.
  // A full disk or a file-size limit surfaces here, before anything is renamed. Throws IoError.
  void write(std::span<const std::uint8_t> bytes);
  void write(std::string_view text);
  // Flushes the temporary file to disk, renames it to the target and flushes the folder, so
  // the new name survives a power loss. Throws IoError.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  bool committed_ = false;
};

// Writes `bytes` to `path` through an AtomicFile. Throws IoError.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace brainalign::io
