// Safetensors checkpoints (the format of Hugging Face model folders): an 8-byte little-endian
// header length, a JSON header naming every tensor with its dtype, shape and byte range, then
// the raw little-endian data. The reader is strict: every byte range is checked before
// anything is allocated, and every error names the file and the tensor.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace brainalign::neural {

// One tensor as the header describes it.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as written: "F32", "BF16", "I64", ...
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // byte range in the data section (after the header)
  std::uint64_t end = 0;
};

class SafetensorsFile {
 public:
  // Reads and validates the header: known dtypes, non-negative shapes whose byte size matches
  // the range, ranges inside the file that tile the data section in order without overlaps or
  // gaps. Throws IoError when the file cannot be read, InputError when its content is invalid.
  explicit SafetensorsFile(std::filesystem::path path);

  const std::filesystem::path& path() const { return path_; }
  // Entries in file order (by byte offset).
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  // The optional "__metadata__" string map.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  // Throws InputError naming the file and the tensor when there is no such tensor.
  const SafetensorsEntry& entry(const std::string& name) const;

  // One tensor, read from disk and converted to float32 (CPU, contiguous). Throws InputError
  // for a missing tensor or a dtype torch cannot hold, IoError when reading fails.
  at::Tensor load(const std::string& name) const;
  // The same tensor in its stored dtype.
  at::Tensor load_raw(const std::string& name) const;
  // Every tensor as float32, by name.
  std::map<std::string, at::Tensor> load_all() const;

 private:
  std::filesystem::path path_;
  std::uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Writes float32 tensors (contiguous CPU copies are made as needed) as a safetensors file,
// names in sorted order, with optional metadata. Throws IoError.
void write_safetensors(const std::filesystem::path& path,
                       const std::map<std::string, at::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace brainalign::neural
