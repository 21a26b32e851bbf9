#include "brainalign/neural/formats/safetensors.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <bit>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/neural/formats/tensor_store.h"

namespace brainalign::neural {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little endian; big-endian hosts are not supported");

namespace fs = std::filesystem;

// The safetensors reference implementation refuses headers above 100 MB.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeInfo {
  const char* name;
  std::uint64_t itemsize;
  std::optional<at::ScalarType> torch_type;  // empty: valid layout, but torch 1.13 has no type
};

constexpr DtypeInfo kDtypes[] = {
    {"F64", 8, at::kDouble},    {"F32", 4, at::kFloat},       {"F16", 2, at::kHalf},
    {"BF16", 2, at::kBFloat16}, {"I64", 8, at::kLong},        {"I32", 4, at::kInt},
    {"I16", 2, at::kShort},     {"I8", 1, at::kChar},         {"U8", 1, at::kByte},
    {"BOOL", 1, at::kBool},     {"U16", 2, std::nullopt},     {"U32", 4, std::nullopt},
    {"U64", 8, std::nullopt},   {"F8_E4M3", 1, std::nullopt}, {"F8_E5M2", 1, std::nullopt},
};

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& info : kDtypes) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

std::string where(const fs::path& path) { return path.string() + ": "; }

std::string tensor_where(const fs::path& path, const std::string& name) {
  return where(path) + "tensor '" + name + "': ";
}

std::uint64_t read_u64_le(const unsigned char* bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

// A non-negative JSON integer, or InputError naming `what`.
std::uint64_t unsigned_value(const nlohmann::json& value, const std::string& what) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  }
  throw InputError(what + " must be a non-negative integer, got " + value.dump());
}

SafetensorsEntry parse_entry(const fs::path& path, const std::string& name,
                             const nlohmann::json& spec, std::uint64_t data_size) {
  const std::string at = tensor_where(path, name);
  if (!spec.is_object()) throw InputError(at + "the header entry is not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!spec.contains(key)) throw InputError(at + "the header entry has no '" + key + "'");
  }
  SafetensorsEntry entry;
  entry.name = name;
  if (!spec["dtype"].is_string()) throw InputError(at + "'dtype' is not a string");
  entry.dtype = spec["dtype"].get<std::string>();
  const DtypeInfo* dtype = find_dtype(entry.dtype);
  if (dtype == nullptr) throw InputError(at + "unknown dtype '" + entry.dtype + "'");

  const auto& shape = spec["shape"];
  if (!shape.is_array()) throw InputError(at + "'shape' is not a list");
  // Byte size, checked for overflow dimension by dimension so that an absurd shape fails
  // here rather than in an allocation.
  std::uint64_t bytes = dtype->itemsize;
  bool overflow = false;
  for (const auto& dim : shape) {
    const std::uint64_t extent = unsigned_value(dim, at + "every dimension of 'shape'");
    if (extent > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      overflow = true;
    } else if (extent != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / extent) {
      overflow = true;
    }
    bytes = overflow ? 0 : bytes * extent;
    entry.shape.push_back(overflow ? -1 : static_cast<std::int64_t>(extent));
  }
  if (overflow) {
    throw InputError(at + "shape " + shape.dump() + " is too large for any file");
  }

  const auto& offsets = spec["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    throw InputError(at + "'data_offsets' must be a list of two integers");
  }
  entry.begin = unsigned_value(offsets[0], at + "'data_offsets'");
  entry.end = unsigned_value(offsets[1], at + "'data_offsets'");
  if (entry.end < entry.begin) {
    throw InputError(at + "data_offsets [" + std::to_string(entry.begin) + ", " +
                     std::to_string(entry.end) + "] end before they begin");
  }
  if (entry.end > data_size) {
    throw InputError(at + "data_offsets [" + std::to_string(entry.begin) + ", " +
                     std::to_string(entry.end) + "] run past the end of the data (" +
                     std::to_string(data_size) + " bytes; is the file truncated?)");
  }
  if (entry.end - entry.begin != bytes) {
    throw InputError(at + "shape " + shape_text(entry.shape) + " of " + entry.dtype + " needs " +
                     std::to_string(bytes) + " bytes, but data_offsets span " +
                     std::to_string(entry.end - entry.begin));
  }
  return entry;
}

void read_exactly(std::ifstream& in, const fs::path& path, std::uint64_t offset, void* out,
                  std::uint64_t size, const std::string& what) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
  if (!in || static_cast<std::uint64_t>(in.gcount()) != size) {
    throw IoError(where(path) + "cannot read " + what);
  }
}

}  // namespace

SafetensorsFile::SafetensorsFile(fs::path path) : path_(std::move(path)) {
  std::error_code error;
  const std::uint64_t file_size = fs::file_size(path_, error);
  if (error) throw IoError(where(path_) + "cannot open: " + error.message());
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw IoError(where(path_) + "cannot open");
  if (file_size < 8) {
    throw InputError(where(path_) + "too short for a safetensors file (" +
                     std::to_string(file_size) + " bytes)");
  }
  unsigned char prefix[8];
  read_exactly(in, path_, 0, prefix, 8, "the header length");
  const std::uint64_t header_size = read_u64_le(prefix);
  if (header_size > kMaxHeaderBytes) {
    throw InputError(where(path_) + "header length " + std::to_string(header_size) +
                     " is implausible (not a safetensors file?)");
  }
  if (header_size > file_size - 8) {
    throw InputError(where(path_) + "header length " + std::to_string(header_size) +
                     " runs past the end of the file (" + std::to_string(file_size) +
                     " bytes; is it truncated?)");
  }
  std::string header(header_size, '\0');
  read_exactly(in, path_, 8, header.data(), header_size, "the header");
  data_start_ = 8 + header_size;
  const std::uint64_t data_size = file_size - data_start_;

  nlohmann::json json;
  try {
    json = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where(path_) + "the header is not valid JSON: " + e.what());
  }
  if (!json.is_object()) throw InputError(where(path_) + "the header is not a JSON object");

  for (const auto& [name, spec] : json.items()) {
    if (name == "__metadata__") {
      if (!spec.is_object()) throw InputError(where(path_) + "__metadata__ is not an object");
      for (const auto& [key, value] : spec.items()) {
        if (!value.is_string()) {
          throw InputError(where(path_) + "__metadata__ value of '" + key + "' is not a string");
        }
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    entries_.push_back(parse_entry(path_, name, spec, data_size));
  }

  // The ranges, in order, must tile the data section: no overlap, no gap, nothing left over.
  std::sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& entry = entries_[i];
    if (entry.begin < expected) {
      throw InputError(tensor_where(path_, entry.name) + "data_offsets [" +
                       std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                       "] overlap tensor '" + entries_[i - 1].name + "'");
    }
    if (entry.begin > expected) {
      throw InputError(tensor_where(path_, entry.name) + "data_offsets begin at " +
                       std::to_string(entry.begin) + ", leaving a gap after byte " +
                       std::to_string(expected));
    }
    expected = entry.end;
  }
  if (expected != data_size) {
    throw InputError(where(path_) + std::to_string(data_size - expected) +
                     " bytes after the last tensor are not described by the header");
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].name] = i;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  const auto found = index_.find(name);
  if (found == index_.end()) {
    throw InputError(tensor_where(path_, name) + "no such tensor in the checkpoint");
  }
  return entries_[found->second];
}

at::Tensor SafetensorsFile::load_raw(const std::string& name) const {
  const SafetensorsEntry& info = entry(name);
  const DtypeInfo* dtype = find_dtype(info.dtype);
  if (!dtype->torch_type) {
    throw InputError(tensor_where(path_, name) + "dtype " + info.dtype +
                     " is not supported by this libtorch");
  }
  at::Tensor tensor = at::empty(info.shape, at::TensorOptions().dtype(*dtype->torch_type));
  if (info.end > info.begin) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw IoError(where(path_) + "cannot open");
    read_exactly(in, path_, data_start_ + info.begin, tensor.data_ptr(), info.end - info.begin,
                 "tensor '" + name + "'");
  }
  return tensor;
}

at::Tensor SafetensorsFile::load(const std::string& name) const {
  return load_raw(name).to(at::kFloat);
}

std::map<std::string, at::Tensor> SafetensorsFile::load_all() const {
  std::map<std::string, at::Tensor> tensors;
  for (const auto& info : entries_) tensors[info.name] = load(info.name);
  return tensors;
}

void write_safetensors(const fs::path& path, const std::map<std::string, at::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> data;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    at::Tensor values = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
    const auto bytes = static_cast<std::uint64_t>(values.numel()) * 4;
    header[name] = {{"dtype", "F32"},
                    {"shape", values.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(values);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  io::AtomicFile file(path);
  {
    std::ofstream out(file.temporary_path(), std::ios::binary);
    unsigned char prefix[8];
    std::uint64_t size = text.size();
    for (unsigned char& byte : prefix) {
      byte = static_cast<unsigned char>(size & 0xff);
      size >>= 8;
    }
    out.write(reinterpret_cast<const char*>(prefix), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& values : data) {
      out.write(static_cast<const char*>(values.data_ptr()), values.numel() * 4);
    }
    if (!out) throw IoError(where(path) + "cannot write");
  }
  file.commit();
}

}  // namespace brainalign::neural
