#include "brainalign/io/hdf5.h"

#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "brainalign/base/error.h"
#include "deflate_bound.h"
#include "file_spans.h"
#include "hdf5_prescan.h"

namespace brainalign::io {
namespace {

using detail::little_endian;

// Owns an HDF5 identifier and closes it with the matching function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer close_;
};

// Stored bytes assumed for any dataset: small unwritten datasets (fill values) stay readable.
constexpr std::uint64_t kUnstoredBytes = 1024;

// HDF5 prints its error stack to stderr by default; errors are reported as exceptions instead.
void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

Handle open_file(const std::filesystem::path& path) {
  silence_hdf5_errors();
  std::error_code status;
  if (!std::filesystem::is_regular_file(path, status)) {
    throw IoError("cannot read " + path.string() + ": not an existing file");
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw InputError(path.string() + ": not an HDF5 file");
  }
  prescan_hdf5_file(path);
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) throw InputError(path.string() + ": cannot open the HDF5 file");
  // H5Gget_info checks the root group's link storage and fails cleanly where it is corrupt;
  // listing or looking up links in such a group reads through a NULL buffer in libhdf5
  // 1.10.8's metadata accumulator. prescan_hdf5_file has already walked a symbol-table group;
  // for a densely stored group (fractal heap and v2 B-tree), which it checks only at the top,
  // this call is still the check.
  H5G_info_t root{};
  if (H5Gget_info(file.get(), &root) < 0) {
    throw InputError(path.string() + ": cannot read the root group of the HDF5 file");
  }
  return file;
}

herr_t collect_dataset(hid_t group, const char* name, const H5L_info_t* info, void* data) {
  if (info->type != H5L_TYPE_HARD) return 0;
  Handle object(H5Oopen(group, name, H5P_DEFAULT), H5Oclose);
  if (object.valid() && H5Iget_type(object.get()) == H5I_DATASET) {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  }
  return 0;
}

std::vector<std::string> root_datasets(hid_t file, const std::string& source) {
  std::vector<std::string> names;
  if (H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_dataset, &names) < 0) {
    throw InputError(source + ": cannot list the datasets of the HDF5 file");
  }
  return names;
}

// A dataset with its type, dataspace, element count and C-order shape.
struct Dataset {
  Handle dataset;
  Handle type;
  Handle space;
  std::vector<std::size_t> shape;
  std::size_t count = 1;
};

// A dataset can declare any shape without storing it (unwritten chunks read as the fill value).
// One whose values could not have come from its stored bytes is refused before anything is
// allocated for it. A corrupt file can also declare more stored bytes than it has; a dataset
// kept inside the file stores at most the file's size.
void check_declared_size(const Dataset& dataset, const std::string& where,
                         const std::string& source) {
  // H5Tget_size gives 0 for a type it cannot read; every value takes at least a byte.
  const std::size_t element = std::max<std::size_t>(1, H5Tget_size(dataset.type.get()));
  std::uint64_t stored = H5Dget_storage_size(dataset.dataset.get());
  const Handle creation(H5Dget_create_plist(dataset.dataset.get()), H5Pclose);
  std::error_code status;
  const std::uint64_t file_size = std::filesystem::file_size(source, status);
  if (!status && (!creation.valid() || H5Pget_external_count(creation.get()) <= 0)) {
    stored = std::min(stored, file_size);
  }
  // A compact dataset keeps all its values in its object header: nothing is left unwritten, and
  // libhdf5 1.10.8 copies the declared size out of a shorter (or absent) buffer.
  const bool variable_length =
      H5Tis_variable_str(dataset.type.get()) > 0 || H5Tget_class(dataset.type.get()) == H5T_VLEN;
  if (creation.valid() && H5Pget_layout(creation.get()) == H5D_COMPACT && !variable_length &&
      dataset.count > stored / element) {
    throw InputError(where + ": a compact dataset of " + std::to_string(dataset.count) +
                     " values of " + std::to_string(element) + " bytes that stores only " +
                     std::to_string(stored) + " bytes");
  }
  const std::uint64_t limit = std::max(kUnstoredBytes, stored) * detail::kMaxDeflateRatio;
  if (dataset.count > limit / element) {
    throw InputError(where + ": declares " + std::to_string(dataset.count) + " values of " +
                     std::to_string(element) + " bytes but stores only " + std::to_string(stored) +
                     " bytes");
  }
}

Dataset open_dataset(hid_t file, const std::string& name, const std::string& where,
                     const std::string& source) {
  if (name.empty() || H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) {
    std::string known;
    for (const auto& dataset : root_datasets(file, source)) {
      known += (known.empty() ? "'" : ", '") + dataset + "'";
    }
    throw InputError(where + ": no such dataset; the file has " +
                     (known.empty() ? std::string("no datasets") : "datasets " + known));
  }
  Handle dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) throw InputError(where + ": not a dataset");
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  if (!type.valid() || !space.valid()) throw InputError(where + ": cannot read the dataset type");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw InputError(where + ": cannot read the dataset shape");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Dataset result{std::move(dataset), std::move(type), std::move(space), {}, 1};
  if (H5Sget_simple_extent_type(result.space.get()) == H5S_NULL) result.count = 0;
  for (hsize_t extent : dims) {
    if (extent != 0 && result.count > std::numeric_limits<std::size_t>::max() / 16 / extent) {
      throw InputError(where + ": absurd dataset shape");
    }
    result.shape.push_back(static_cast<std::size_t>(extent));
    result.count *= static_cast<std::size_t>(extent);
  }
  check_declared_size(result, where, source);
  return result;
}

std::string type_class_name(H5T_class_t type_class) {
  switch (type_class) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "float";
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_REFERENCE:
      return "reference";
    default:
      return "unsupported";
  }
}

std::string dataset_location(const std::filesystem::path& path, const std::string& name) {
  return path.string() + ", dataset '" + name + "'";
}

// Removes the padding of a fixed-length string element.
std::string trim_fixed(const char* bytes, std::size_t size, H5T_str_t padding) {
  std::size_t length = size;
  if (padding == H5T_STR_NULLTERM) {
    length = static_cast<std::size_t>(std::find(bytes, bytes + size, '\0') - bytes);
  } else {
    const char pad = padding == H5T_STR_SPACEPAD ? ' ' : '\0';
    while (length > 0 && bytes[length - 1] == pad) --length;
  }
  return std::string(bytes, length);
}

// Variable-length strings are kept in global heap collections; the dataset holds, per
// string, its length and a heap ID (collection address, object index). libhdf5 1.10.8 trusts
// both while converting (a corrupt heap makes it read through wild pointers, loop forever or
// allocate gigabytes), so for a contiguous dataset brainalign reads the IDs and the heap
// objects itself, every offset checked against the file. Layout (HDF5 file format spec,
// "Global Heap"): "GCOL", version 1, 3 reserved bytes, the collection size (a length); then
// objects: index (2 bytes), reference count (2), reserved (4), size (a length), data padded to
// 8 bytes; index 0 is the free space that ends the collection.
class GlobalHeapReader {
 public:
  GlobalHeapReader(const std::filesystem::path& path, std::string where, std::size_t length_size,
                   std::uint64_t base)
      : file_(path, std::move(where)), length_size_(length_size), base_(base) {}

  std::string read(std::uint64_t offset, std::uint64_t size, const std::string& what) {
    return file_.read(offset, size, what);
  }

  // The string an element's heap ID points to, up to its first NUL (as libhdf5 gives it).
  std::string string_at(std::uint64_t address, std::uint32_t index, std::uint32_t length,
                        std::size_t element) {
    const Collection& collection = collection_at(address, element);
    const auto object = collection.objects.find(index);
    if (object == collection.objects.end() || object->second.second < length) {
      file_.fail("variable-length string " + std::to_string(element) + " of " +
                 std::to_string(length) + " bytes points to " +
                 (object == collection.objects.end()
                      ? "no object " + std::to_string(index)
                      : "object " + std::to_string(index) + " of " +
                            std::to_string(object->second.second) + " bytes") +
                 " in the global heap collection at byte " + std::to_string(address));
    }
    const char* begin = collection.bytes.data() + object->second.first;
    return std::string(begin,
                       static_cast<std::size_t>(std::find(begin, begin + length, '\0') - begin));
  }

 private:
  struct Collection {
    std::string bytes;
    std::map<std::uint32_t, std::pair<std::size_t, std::uint64_t>> objects;  // offset, size
  };

  const Collection& collection_at(std::uint64_t address, std::size_t element) {
    if (const auto found = collections_.find(address); found != collections_.end()) {
      return found->second;
    }
    const std::string what =
        "the global heap collection of variable-length string " + std::to_string(element);
    if (address > std::numeric_limits<std::uint64_t>::max() - base_) {
      file_.fail(what + " has an impossible address");
    }
    const std::uint64_t start = base_ + address;
    const std::size_t header = 8 + length_size_;
    const std::string head = read(start, header, what);
    if (head.compare(0, 4, "GCOL") != 0 || head[4] != 1) {
      file_.fail(what + " (at byte " + std::to_string(start) +
                 ") is not a global heap collection of version 1");
    }
    const std::uint64_t size = little_endian(head.data() + 8, length_size_);
    // Collections of a valid file do not overlap, so together they fit in the file.
    if (size < header || size > file_.size() - cached_bytes_) {
      file_.fail(what + " declares " + std::to_string(size) + " bytes; the file has " +
                 std::to_string(file_.size()));
    }
    Collection collection{read(start, size, what), {}};
    cached_bytes_ += size;
    const std::size_t object_header = 8 + length_size_;
    std::size_t at = header;
    while (collection.bytes.size() - at >= object_header) {
      const char* object = collection.bytes.data() + at;
      const auto index = static_cast<std::uint32_t>(little_endian(object, 2));
      if (index == 0) break;  // the free space
      const std::uint64_t object_size = little_endian(object + 8, length_size_);
      const std::size_t data = at + object_header;
      if (object_size > collection.bytes.size() - data) {
        file_.fail(what + " holds object " + std::to_string(index) + " of " +
                   std::to_string(object_size) + " bytes, which runs past the collection's end");
      }
      collection.objects.emplace(index, std::make_pair(data, object_size));
      const std::uint64_t padded = (object_size + 7) / 8 * 8;
      if (padded > collection.bytes.size() - data) break;
      at = data + static_cast<std::size_t>(padded);
    }
    return collections_.emplace(address, std::move(collection)).first->second;
  }

  detail::FileSpans file_;
  std::size_t length_size_;
  std::uint64_t base_;
  std::uint64_t cached_bytes_ = 0;
  std::map<std::uint64_t, Collection> collections_;
};

// The variable-length strings of a contiguous dataset, read from the file directly; nullopt
// where the dataset is chunked, compact, external or unwritten (libhdf5 then reads it).
std::optional<std::vector<std::string>> read_contiguous_vlen_strings(
    hid_t file, const std::filesystem::path& path, hid_t dataset, std::size_t count,
    const std::string& where) {
  Handle creation(H5Dget_create_plist(dataset), H5Pclose);
  if (!creation.valid() || H5Pget_layout(creation.get()) != H5D_CONTIGUOUS ||
      H5Pget_external_count(creation.get()) != 0) {
    return std::nullopt;
  }
  const haddr_t offset = H5Dget_offset(dataset);
  if (offset == HADDR_UNDEF) return std::nullopt;
  Handle file_creation(H5Fget_create_plist(file), H5Pclose);
  std::size_t address_size = 0;
  std::size_t length_size = 0;
  hsize_t userblock = 0;
  if (!file_creation.valid() ||
      H5Pget_sizes(file_creation.get(), &address_size, &length_size) < 0 ||
      H5Pget_userblock(file_creation.get(), &userblock) < 0 || address_size < 2 ||
      address_size > 8 || length_size < 2 || length_size > 8) {
    throw InputError(where + ": cannot read the file's address and length sizes");
  }
  GlobalHeapReader heap(path, where, length_size, userblock);
  const std::size_t element = 4 + address_size + 4;
  const std::uint64_t stored = H5Dget_storage_size(dataset);
  if (stored / element != count || stored % element != 0) {
    throw InputError(where + ": stores " + std::to_string(stored) + " bytes for " +
                     std::to_string(count) + " variable-length strings of " +
                     std::to_string(element) + " bytes each");
  }
  const std::string ids = heap.read(offset, stored, "the variable-length string references");
  std::vector<std::string> values;
  values.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const char* id = ids.data() + i * element;
    const auto length = static_cast<std::uint32_t>(little_endian(id, 4));
    if (length == 0) {
      values.emplace_back();
      continue;
    }
    const std::uint64_t address = little_endian(id + 4, address_size);
    const auto index = static_cast<std::uint32_t>(little_endian(id + 4 + address_size, 4));
    values.push_back(heap.string_at(address, index, length, i));
  }
  return values;
}

}  // namespace

std::vector<std::string> hdf5_dataset_names(const std::filesystem::path& path) {
  const Handle file = open_file(path);
  return root_datasets(file.get(), path.string());
}

Hdf5Array read_hdf5_numeric(const std::filesystem::path& path, const std::string& name) {
  const Handle file = open_file(path);
  const std::string where = dataset_location(path, name);
  const Dataset dataset = open_dataset(file.get(), name, where, path.string());
  const H5T_class_t type_class = H5Tget_class(dataset.type.get());
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT) {
    throw InputError(where + ": holds " + type_class_name(type_class) +
                     " values; expected integer or float values");
  }
  Hdf5Array array{dataset.shape, std::vector<double>(dataset.count)};
  if (dataset.count > 0 && H5Dread(dataset.dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                   H5P_DEFAULT, array.values.data()) < 0) {
    throw InputError(where + ": cannot read the values as doubles");
  }
  return array;
}

std::vector<std::string> read_hdf5_strings(const std::filesystem::path& path,
                                           const std::string& name) {
  const Handle file = open_file(path);
  const std::string where = dataset_location(path, name);
  const Dataset dataset = open_dataset(file.get(), name, where, path.string());
  const H5T_class_t type_class = H5Tget_class(dataset.type.get());
  if (type_class != H5T_STRING) {
    throw InputError(where + ": holds " + type_class_name(type_class) +
                     " values; expected strings");
  }
  std::vector<std::string> values;
  if (dataset.count == 0) return values;

  if (H5Tis_variable_str(dataset.type.get()) > 0) {
    if (auto read = read_contiguous_vlen_strings(file.get(), path, dataset.dataset.get(),
                                                 dataset.count, where)) {
      return std::move(*read);
    }
    Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    H5Tset_cset(memory_type.get(), H5Tget_cset(dataset.type.get()));
    std::vector<char*> pointers(dataset.count, nullptr);
    if (H5Dread(dataset.dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                pointers.data()) < 0) {
      throw InputError(where + ": cannot read the variable-length strings");
    }
    values.reserve(dataset.count);
    for (const char* pointer : pointers) values.emplace_back(pointer != nullptr ? pointer : "");
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(memory_type.get(), dataset.space.get(), H5P_DEFAULT, pointers.data());
#else
    H5Dvlen_reclaim(memory_type.get(), dataset.space.get(), H5P_DEFAULT, pointers.data());
#endif
    return values;
  }

  const std::size_t size = H5Tget_size(dataset.type.get());
  if (size == 0 || dataset.count > std::numeric_limits<std::size_t>::max() / size) {
    throw InputError(where + ": absurd string size");
  }
  const H5T_str_t padding = H5Tget_strpad(dataset.type.get());
  std::vector<char> buffer(dataset.count * size);
  if (H5Dread(dataset.dataset.get(), dataset.type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
              buffer.data()) < 0) {
    throw InputError(where + ": cannot read the fixed-length strings");
  }
  values.reserve(dataset.count);
  for (std::size_t i = 0; i < dataset.count; ++i) {
    values.push_back(trim_fixed(buffer.data() + i * size, size, padding));
  }
  return values;
}

}  // namespace brainalign::io
