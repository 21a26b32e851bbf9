// State dicts in torch.save's legacy format (torch < 1.6, the default when torchvggish's
// weights were released): five pickles in a row (the magic number 0x1950a86a20f9469cfc6c, the
// protocol version 1001, a dict of system facts, the saved object, the sorted list of storage
// keys), then each storage in key order as an int64 element count and its raw little-endian
// elements. The saved object names its storages by persistent id ('storage', type, key,
// location, numel, view metadata); tensors are torch._utils._rebuild_tensor_v2 calls on them.
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <set>

#include "brainalign/base/error.h"
#include "brainalign/io/pickle.h"
#include "brainalign/neural/formats/torch_checkpoint.h"
#include "neural/formats/torch_archive_probe.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

using io::PickleKind;

// pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) and pickle.dumps(1001, protocol=2).
constexpr std::uint8_t kMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                   0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
constexpr std::uint8_t kProtocol[] = {0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e};
constexpr std::size_t kHeader = sizeof(kMagic) + sizeof(kProtocol);
// The pickles are read from the first bytes of the file; a state_dict's take a few KB.
constexpr std::size_t kMaxPickleBytes = std::size_t{64} << 20;

struct StorageType {
  const char* name;
  at::ScalarType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"torch FloatStorage", at::kFloat}, {"torch DoubleStorage", at::kDouble},
    {"torch HalfStorage", at::kHalf},   {"torch LongStorage", at::kLong},
    {"torch IntStorage", at::kInt},     {"torch ShortStorage", at::kShort},
    {"torch CharStorage", at::kChar},   {"torch ByteStorage", at::kByte},
    {"torch BoolStorage", at::kBool},
};

struct Storage {
  at::ScalarType dtype;
  std::int64_t numel = 0;
};
struct TensorSpec {
  std::string storage;
  std::int64_t offset = 0;
  std::vector<std::int64_t> sizes, strides;
};

// The saved object of a legacy file, with its storages and tensors described but not read.
struct LegacyObject {
  io::Pickle pickle{""};
  std::map<std::string, Storage> storages;
  std::vector<TensorSpec> tensors;  // by the kExternal nodes' index
};

std::vector<std::uint8_t> read_head(const fs::path& path, std::uintmax_t* file_size) {
  std::error_code error;
  *file_size = fs::file_size(path, error);
  if (error) throw IoError(path.string() + ": cannot read (" + error.message() + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string() + ": cannot open");
  std::vector<std::uint8_t> head(
      static_cast<std::size_t>(std::min<std::uintmax_t>(*file_size, kMaxPickleBytes)));
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  if (!in) throw IoError(path.string() + ": cannot read");
  return head;
}

bool starts_legacy(std::span<const std::uint8_t> head) {
  return head.size() >= kHeader && std::equal(std::begin(kMagic), std::end(kMagic), head.begin()) &&
         std::equal(std::begin(kProtocol), std::end(kProtocol), head.begin() + sizeof(kMagic));
}

// The byte after the pickle that starts at `start`: the first '.' (STOP) at which a pickle
// read up to it succeeds. Small pickles only (the system facts).
std::size_t pickle_end(std::span<const std::uint8_t> bytes, std::size_t start,
                       const std::string& source) {
  io::PickleRules rules;
  rules.context = "legacy torch.save header";
  for (std::size_t p = start; p < bytes.size() && p < start + 4096; ++p) {
    if (bytes[p] != '.') continue;
    try {
      io::read_pickle(bytes.subspan(start, p + 1 - start), source, rules);
      return p + 1;
    } catch (const InputError&) {
    }
  }
  throw InputError(source +
                   ": a legacy torch.save file whose system-information pickle does not end");
}

LegacyObject read_object(std::span<const std::uint8_t> head, const std::string& source) {
  if (!starts_legacy(head)) {
    throw InputError(source + ": not a legacy torch.save file (no magic number)");
  }
  const std::size_t start = pickle_end(head, kHeader, source);
  LegacyObject object;
  io::PickleRules rules;
  rules.context = "legacy torch.save object";
  rules.allowed_globals = "only OrderedDict, _rebuild_tensor_v2, _rebuild_parameter and storages";
  rules.allow_global = [](const std::string& global) {
    if (global == "collections OrderedDict" || global == "torch._utils _rebuild_tensor_v2" ||
        global == "torch._utils _rebuild_parameter") {
      return true;
    }
    return std::any_of(std::begin(kStorageTypes), std::end(kStorageTypes),
                       [&](const StorageType& t) { return global == t.name; });
  };
  const auto node = [](io::PickleContext& c, std::size_t i) -> const io::PickleNode& {
    return std::as_const(c.objects()).node(i);
  };
  const auto integer = [&](io::PickleContext& c, std::size_t i, const char* what) {
    if (node(c, i).kind != PickleKind::kInt) c.fail(std::string("expects an integer ") + what);
    return node(c, i).integer;
  };
  const auto integers = [&](io::PickleContext& c, std::size_t i, const char* what) {
    const io::PickleNode& n = node(c, i);
    if (n.kind != PickleKind::kTuple && n.kind != PickleKind::kList) {
      c.fail(std::string("expects a tuple of integers as ") + what);
    }
    std::vector<std::int64_t> out;
    for (std::size_t item : n.items) out.push_back(integer(c, item, what));
    return out;
  };
  const auto external = [](io::PickleContext& c, std::size_t index, std::string label) {
    io::PickleNode n;
    n.kind = PickleKind::kExternal;
    n.external = index;
    n.text = std::move(label);
    return c.objects().add(std::move(n));
  };
  rules.persistent_load = [&](io::PickleContext& c, std::size_t pid) -> std::size_t {
    const std::vector<std::size_t> items = node(c, pid).items;
    if (node(c, pid).kind != PickleKind::kTuple || items.size() != 6 ||
        node(c, items[0]).text != "storage") {
      c.fail("expects a persistent id ('storage', type, key, location, numel, view)");
    }
    const io::PickleNode& type = node(c, items[1]);
    const StorageType* found = nullptr;
    for (const StorageType& t : kStorageTypes) {
      if (type.kind == PickleKind::kGlobal && type.text == t.name) found = &t;
    }
    if (found == nullptr) c.fail("loads a storage of an unknown type");
    if (node(c, items[2]).kind != PickleKind::kString) c.fail("expects a string storage key");
    if (node(c, items[5]).kind != PickleKind::kNone) c.fail("loads a storage view (unsupported)");
    const std::string key = node(c, items[2]).text;
    const std::int64_t numel = integer(c, items[4], "storage size");
    if (numel < 0) c.fail("loads a storage of negative size");
    const auto [at, inserted] = object.storages.emplace(key, Storage{found->dtype, numel});
    if (!inserted && (at->second.dtype != found->dtype || at->second.numel != numel)) {
      c.fail("loads storage '" + key + "' again with another type or size");
    }
    // The storage's tensors refer to it by key: a string node stands for it.
    io::PickleNode name;
    name.kind = PickleKind::kString;
    name.text = key;
    return c.objects().add(std::move(name));
  };
  rules.call = [&](io::PickleContext& c, const std::string& callee,
                   std::size_t args) -> std::optional<std::size_t> {
    const std::vector<std::size_t> items = node(c, args).items;
    if (callee == "torch._utils _rebuild_parameter") {
      if (items.size() != 3 || node(c, items[0]).kind != PickleKind::kExternal) {
        c.fail("rebuilds a parameter from something other than a tensor");
      }
      return items[0];
    }
    if (callee != "torch._utils _rebuild_tensor_v2") c.fail("calls " + callee);
    if (items.size() < 4 || items.size() > 6 || node(c, items[0]).kind != PickleKind::kString ||
        !object.storages.contains(node(c, items[0]).text)) {
      c.fail("rebuilds a tensor from something other than a storage");
    }
    TensorSpec spec;
    spec.storage = node(c, items[0]).text;
    spec.offset = integer(c, items[1], "storage offset");
    spec.sizes = integers(c, items[2], "tensor size");
    spec.strides = integers(c, items[3], "tensor stride");
    if (spec.sizes.size() != spec.strides.size() || spec.offset < 0) {
      c.fail("rebuilds a tensor with inconsistent size, stride or offset");
    }
    std::int64_t last = spec.offset;
    for (std::size_t d = 0; d < spec.sizes.size(); ++d) {
      if (spec.sizes[d] < 0 || spec.strides[d] < 0) c.fail("rebuilds a tensor of negative size");
      if (spec.sizes[d] == 0) last = -1;
      if (last >= 0) last += (spec.sizes[d] - 1) * spec.strides[d];
    }
    if (last >= object.storages.at(spec.storage).numel) {
      c.fail("rebuilds a tensor reaching outside its storage");
    }
    object.tensors.push_back(std::move(spec));
    return external(c, object.tensors.size() - 1, "tensor");
  };
  rules.built = [&](io::PickleContext& c, std::size_t built) {
    if (c.objects().kind(built) != PickleKind::kDict) c.fail("sets the state of a non-dict object");
  };
  object.pickle = io::read_pickle(head.subspan(start), source, rules);
  return object;
}

bool is_legacy(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::uint8_t head[kHeader] = {};
  in.read(reinterpret_cast<char*>(head), static_cast<std::streamsize>(kHeader));
  return in && starts_legacy(head);
}

// The dict node under `entry` of the root dict, or the root itself when `entry` is empty.
std::size_t state_dict_node(const io::Pickle& pickle, const std::string& entry,
                            const std::string& source) {
  const auto describe = [&](std::size_t node) {
    return std::string(io::pickle_kind_name(pickle.kind(node)));
  };
  if (pickle.kind(pickle.root()) != PickleKind::kDict) {
    throw InputError(source + ": the legacy torch.save file holds a " + describe(pickle.root()) +
                     ", not " + (entry.empty() ? "a state_dict (a dict of tensors)" : "a dict"));
  }
  if (entry.empty()) return pickle.root();
  for (const auto& [key, value] : pickle.node(pickle.root()).entries) {
    const io::PickleNode& k = pickle.node(key);
    if (k.kind != PickleKind::kString || k.text != entry) continue;
    if (pickle.kind(value) != PickleKind::kDict) {
      throw InputError(source + ": entry '" + entry + "' of the legacy torch.save file is a " +
                       describe(value) + ", not a state_dict (a dict of tensors)");
    }
    return value;
  }
  throw InputError(source + ": the legacy torch.save file has no entry '" + entry +
                   "' (a training checkpoint's state_dict)");
}

std::vector<std::string> string_keys(const io::Pickle& pickle, std::size_t dict) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : pickle.node(dict).entries) {
    (void)value;
    if (pickle.kind(key) == PickleKind::kString) keys.push_back(pickle.node(key).text);
  }
  return keys;
}

std::map<std::string, at::Tensor> read_tensors(const fs::path& path, const std::string& entry) {
  const std::string source = path.string();
  std::uintmax_t file_size = 0;
  const std::vector<std::uint8_t> head = read_head(path, &file_size);
  const LegacyObject object = read_object(head, source);
  const io::Pickle& pickle = object.pickle;
  const std::size_t dict = state_dict_node(pickle, entry, source);
  // The storages close the file, in the order of their sorted keys, each an int64 element
  // count and the elements. Only those of the state_dict's tensors are read (a training
  // checkpoint's optimizer state is skipped).
  std::uintmax_t tail = 0;
  for (const auto& [key, storage] : object.storages) {
    (void)key;
    tail += 8 + static_cast<std::uintmax_t>(storage.numel) * c10::elementSize(storage.dtype);
  }
  if (tail > file_size || file_size - tail < kHeader + 2) {
    throw InputError(source + ": the legacy torch.save file is " + std::to_string(file_size) +
                     " bytes, too short for the " + std::to_string(tail) +
                     " bytes of tensor data its object names (a truncated download?)");
  }
  std::set<std::string> wanted;
  for (const auto& [key, value] : pickle.node(dict).entries) {
    (void)key;
    if (pickle.kind(value) == PickleKind::kExternal) {
      wanted.insert(object.tensors[pickle.node(value).external].storage);
    }
  }
  std::ifstream in(path, std::ios::binary);
  std::uintmax_t offset = file_size - tail;
  std::map<std::string, at::Tensor> flat;
  for (const auto& [key, storage] : object.storages) {
    const std::uintmax_t bytes =
        static_cast<std::uintmax_t>(storage.numel) * c10::elementSize(storage.dtype);
    if (wanted.contains(key)) {
      in.seekg(static_cast<std::streamoff>(offset));
      std::int64_t count = -1;
      in.read(reinterpret_cast<char*>(&count), sizeof(count));
      if (!in || count != storage.numel) {
        throw InputError(source + ": storage '" + key +
                         "' of the legacy torch.save file should hold " +
                         std::to_string(storage.numel) + " elements, its record says " +
                         std::to_string(count) + " (a truncated or altered file?)");
      }
      at::Tensor values = at::empty({storage.numel}, at::TensorOptions().dtype(storage.dtype));
      in.read(reinterpret_cast<char*>(values.data_ptr()),
              static_cast<std::streamsize>(values.nbytes()));
      if (!in) throw IoError(source + ": cannot read storage '" + key + "'");
      flat.emplace(key, std::move(values));
    }
    offset += 8 + bytes;
  }
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [key, value] : pickle.node(dict).entries) {
    const io::PickleNode& k = pickle.node(key);
    const io::PickleNode& v = pickle.node(value);
    if (k.kind != PickleKind::kString) {
      throw InputError(source + ": state_dict key is a " + io::pickle_kind_name(k.kind) +
                       ", not a string");
    }
    if (v.kind != PickleKind::kExternal) {
      throw InputError(source + ": state_dict entry '" + k.text + "' is a " +
                       io::pickle_kind_name(v.kind) + ", not a tensor");
    }
    const TensorSpec& spec = object.tensors[v.external];
    tensors.emplace(k.text,
                    flat.at(spec.storage).as_strided(spec.sizes, spec.strides, spec.offset));
  }
  return tensors;
}

}  // namespace

bool is_legacy_torch_file(const fs::path& path) noexcept {
  try {
    return is_legacy(path);
  } catch (...) {
    return false;
  }
}

std::vector<std::string> legacy_state_dict_keys(const fs::path& path) noexcept {
  try {
    if (!is_legacy(path)) return {};
    std::uintmax_t size = 0;
    const LegacyObject object = read_object(read_head(path, &size), path.string());
    return io::pickle_dict_keys(object.pickle);
  } catch (...) {
    return {};
  }
}

std::vector<std::string> legacy_state_dict_keys(const fs::path& path,
                                                const std::string& entry) noexcept {
  try {
    if (!is_legacy(path)) return {};
    std::uintmax_t size = 0;
    const LegacyObject object = read_object(read_head(path, &size), path.string());
    return string_keys(object.pickle, state_dict_node(object.pickle, entry, path.string()));
  } catch (...) {
    return {};
  }
}

std::map<std::string, at::Tensor> read_legacy_state_dict(const fs::path& path) {
  return read_tensors(path, "");
}

std::map<std::string, at::Tensor> read_legacy_state_dict(const fs::path& path,
                                                         const std::string& entry) {
  return read_tensors(path, entry);
}

std::map<std::string, at::Tensor> read_state_dict_file(const fs::path& path,
                                                       const std::string& model) {
  if (is_legacy_torch_file(path)) return read_legacy_state_dict(path);
  if (!probe_torch_archive(path).is_zip) {
    throw InputError(path.string() + ": not " + model +
                     " checkpoint: neither a torch.save zip archive nor a legacy torch.save file "
                     "(a truncated or failed download?)");
  }
  const TorchCheckpoint file = read_torch_checkpoint(path);
  const PickleValue root = file.root();
  if (root.kind() != PickleValue::Kind::kDict) {
    throw InputError(path.string() + ": not " + model + " state_dict (the file holds a " +
                     kind_name(root.kind()) + ", not a dict of tensors)");
  }
  for (const auto& [key, value] : root.entries()) {
    if (key.kind() == PickleValue::Kind::kString && value.kind() != PickleValue::Kind::kTensor) {
      throw InputError(path.string() + ": not " + model + " state_dict (entry '" + key.as_string() +
                       "' is a " + kind_name(value.kind()) + ", not a tensor)");
    }
  }
  std::map<std::string, at::Tensor> tensors;
  for (auto& [name, tensor] : tensor_dict(root)) tensors.emplace(name, tensor);
  return tensors;
}

}  // namespace brainalign::neural
