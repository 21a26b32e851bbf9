#include "brainalign/neural/formats/torch_checkpoint.h"

#include <ATen/ATen.h>

#include <limits>
#include <unordered_map>
#include <utility>

#include "brainalign/base/error.h"
#include "brainalign/io/pickle.h"
#include "brainalign/io/zip.h"

namespace brainalign::neural {

// The unpickled object and the tensors and storages it refers to (io::PickleKind::kExternal
// nodes index `externals`).
class CheckpointData {
 public:
  struct External {
    at::Tensor tensor;  // a tensor, or the flat contents of a storage
    bool is_storage = false;
  };
  explicit CheckpointData(io::Pickle objects) : pickle(std::move(objects)) {}
  io::Pickle pickle;
  std::vector<External> externals;
};

namespace {

using io::PickleKind;

constexpr std::size_t kMaxDims = 64;
constexpr std::size_t kReprDepth = 6;
constexpr std::size_t kReprChars = 2000;

// The members of a torch zip archive, all under one top-level folder.
class TorchArchive {
 public:
  // An archive in memory; `bytes` must outlive the object.
  static TorchArchive open(std::span<const std::uint8_t> bytes, const std::string& source) {
    std::string reason;
    auto archive = io::ZipReader::open(bytes, source, reason);
    return TorchArchive(require(std::move(archive), source, reason));
  }

  // An archive on disk, read record by record (tensor data goes straight to its storage).
  static TorchArchive open(const std::filesystem::path& path) {
    std::string reason;
    auto archive = io::ZipReader::open(path, reason);
    return TorchArchive(require(std::move(archive), path.string(), reason));
  }

  const std::string& source() const { return archive_.source(); }

  bool has(const std::string& record) const { return archive_.find(prefix_ + record).has_value(); }

  // The size of `record` (relative to the archive folder), checked against the archive before
  // any allocation.
  std::size_t size(const std::string& record, std::size_t* index) const {
    const std::string name = prefix_ + record;
    const auto found = archive_.find(name);
    if (!found) throw InputError(source() + ": missing record '" + name + "'");
    *index = *found;
    return archive_.size(*found);
  }

  // Reads the record at `index` (of `size` bytes) into `out`.
  void read_into(std::size_t index, void* out, std::size_t size) const {
    archive_.read_into(index, out, size);
  }

  std::vector<std::uint8_t> read(const std::string& record) const {
    std::size_t index = 0;
    std::vector<std::uint8_t> bytes(size(record, &index));
    read_into(index, bytes.data(), bytes.size());
    return bytes;
  }

 private:
  static io::ZipReader require(std::optional<io::ZipReader> archive, const std::string& source,
                               const std::string& reason) {
    if (!archive) {
      throw InputError(source + ": not a torch.save zip archive (" + reason +
                       "); files from torch < 1.6 or torch.save(..., "
                       "_use_new_zipfile_serialization=False) are not supported");
    }
    return std::move(*archive);
  }

  explicit TorchArchive(io::ZipReader archive) : archive_(std::move(archive)) {
    for (std::size_t i = 0; i < archive_.entries(); ++i) {
      const std::optional<std::string> name = archive_.name(i);
      if (!name) continue;
      const std::string_view entry(*name);
      const std::size_t slash = entry.find('/');
      if (slash != std::string_view::npos && entry.substr(slash) == "/data.pkl") {
        if (!prefix_.empty()) {
          throw InputError(source() + ": the archive holds more than one data.pkl");
        }
        prefix_ = std::string(entry.substr(0, slash + 1));
      }
    }
    if (prefix_.empty()) {
      throw InputError(source() +
                       ": the zip archive has no '<name>/data.pkl' record, so it was "
                       "not written by torch.save");
    }
  }

  io::ZipReader archive_;
  std::string prefix_;
};

struct StorageType {
  const char* name;
  at::ScalarType dtype;
};

constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", at::kFloat},
    {"DoubleStorage", at::kDouble},
    {"HalfStorage", at::kHalf},
    {"BFloat16Storage", at::kBFloat16},
    {"LongStorage", at::kLong},
    {"IntStorage", at::kInt},
    {"ShortStorage", at::kShort},
    {"CharStorage", at::kChar},
    {"ByteStorage", at::kByte},
    {"BoolStorage", at::kBool},
    {"ComplexFloatStorage", at::kComplexFloat},
    {"ComplexDoubleStorage", at::kComplexDouble},
};

const StorageType* find_storage_type(std::string_view global) {
  if (!global.starts_with("torch ")) return nullptr;
  global.remove_prefix(6);
  for (const StorageType& type : kStorageTypes) {
    if (global == type.name) return &type;
  }
  return nullptr;
}

bool is_allowed_global(const std::string& name) {
  return name == "collections OrderedDict" || name == "torch._utils _rebuild_tensor_v2" ||
         name == "torch._utils _rebuild_parameter" ||
         name == "torch._utils _rebuild_parameter_with_state" || name == "torch device" ||
         find_storage_type(name) != nullptr;
}

// What torch.save's data.pkl may do beyond plain values: rebuild tensors (and parameters) from
// storages loaded by persistent id, build devices and OrderedDicts.
class TorchRules {
 public:
  TorchRules(CheckpointData& data, const TorchArchive& archive, bool other_objects)
      : data_(data), archive_(archive), other_objects_(other_objects) {}

  io::PickleRules rules() {
    io::PickleRules rules;
    rules.context = "data.pkl";
    if (other_objects_) {
      // Every global may be named; the calls of those that are not torch's own stay opaque.
      rules.opaque_objects = true;
      rules.bytes = true;
      rules.sets = true;
    } else {
      rules.allow_global = is_allowed_global;
      rules.allowed_globals =
          "only OrderedDict, tensor rebuilders, storages and devices are allowed";
    }
    rules.call = [this](io::PickleContext& context, const std::string& callee,
                        std::size_t arguments) { return call(context, callee, arguments); };
    rules.persistent_load = [this](io::PickleContext& context, std::size_t id) {
      return persistent_load(context, id);
    };
    rules.built = [other_objects = other_objects_](io::PickleContext& context, std::size_t object) {
      // The state of an OrderedDict is its _metadata; nothing else may be built but the
      // opaque objects of a lenient read.
      const PickleKind kind = context.objects().kind(object);
      if (kind != PickleKind::kDict && !(other_objects && kind == PickleKind::kObject)) {
        context.fail("sets the state of a non-dict object");
      }
    };
    return rules;
  }

 private:
  const io::PickleNode& node(io::PickleContext& context, std::size_t index) const {
    return std::as_const(context.objects()).node(index);
  }

  std::size_t add_external(io::PickleContext& context, at::Tensor tensor, bool is_storage,
                           std::string label) {
    data_.externals.push_back({std::move(tensor), is_storage});
    io::PickleNode external;
    external.kind = PickleKind::kExternal;
    external.external = data_.externals.size() - 1;
    external.text = std::move(label);
    return context.objects().add(std::move(external));
  }

  const CheckpointData::External* external(io::PickleContext& context, std::size_t index,
                                           bool is_storage) const {
    const io::PickleNode& value = node(context, index);
    if (value.kind != PickleKind::kExternal) return nullptr;
    const auto& found = data_.externals[value.external];
    return found.is_storage == is_storage ? &found : nullptr;
  }

  std::vector<std::size_t> arguments(io::PickleContext& context, std::size_t tuple,
                                     std::size_t min_count, std::size_t max_count,
                                     const std::string& callee) const {
    const auto& items = node(context, tuple).items;
    if (items.size() < min_count || items.size() > max_count) {
      context.fail("calls " + callee + " with " + std::to_string(items.size()) + " arguments");
    }
    return items;
  }

  std::int64_t int_arg(io::PickleContext& context, std::size_t index,
                       const std::string& what) const {
    if (node(context, index).kind != PickleKind::kInt) context.fail("expects an integer " + what);
    return node(context, index).integer;
  }

  std::vector<std::int64_t> int_tuple(io::PickleContext& context, std::size_t index,
                                      const std::string& what) const {
    const PickleKind kind = node(context, index).kind;
    if (kind != PickleKind::kTuple && kind != PickleKind::kList) {
      context.fail("expects a tuple of integers as " + what);
    }
    std::vector<std::int64_t> values;
    for (std::size_t item : node(context, index).items) {
      values.push_back(int_arg(context, item, what));
    }
    return values;
  }

  std::optional<std::size_t> call(io::PickleContext& context, const std::string& name,
                                  std::size_t args) {
    if (name == "torch._utils _rebuild_tensor_v2") {
      return rebuild_tensor(context, arguments(context, args, 6, 7, name));
    }
    if (name == "torch._utils _rebuild_parameter" ||
        name == "torch._utils _rebuild_parameter_with_state") {
      const auto items = arguments(context, args, 3, 4, name);
      if (external(context, items[0], false) == nullptr) {
        context.fail("rebuilds a parameter from a non-tensor");
      }
      return items[0];
    }
    if (name == "torch device") {
      const auto items = arguments(context, args, 1, 2, name);
      if (node(context, items[0]).kind != PickleKind::kString) {
        context.fail("builds a device without a type string");
      }
      io::PickleNode device;
      device.kind = PickleKind::kString;
      device.text = node(context, items[0]).text;
      if (items.size() == 2 && node(context, items[1]).kind == PickleKind::kInt) {
        device.text += ":" + std::to_string(node(context, items[1]).integer);
      }
      return context.objects().add(std::move(device));
    }
    return std::nullopt;  // a storage type: not callable
  }

  std::size_t rebuild_tensor(io::PickleContext& context, const std::vector<std::size_t>& args) {
    const CheckpointData::External* storage = external(context, args[0], true);
    if (storage == nullptr) context.fail("rebuilds a tensor from a non-storage");
    // Copies: add_external below grows the table that `storage` points into.
    const at::Tensor flat = storage->tensor;
    const std::string key = node(context, args[0]).text;
    const std::int64_t offset = int_arg(context, args[1], "storage offset");
    const std::vector<std::int64_t> sizes = int_tuple(context, args[2], "size");
    const std::vector<std::int64_t> strides = int_tuple(context, args[3], "stride");
    if (sizes.size() != strides.size() || sizes.size() > kMaxDims) {
      context.fail("rebuilds a tensor with " + std::to_string(sizes.size()) + " sizes and " +
                   std::to_string(strides.size()) + " strides");
    }
    const std::int64_t storage_numel = flat.numel();
    if (offset < 0 || offset > storage_numel) {
      context.fail("rebuilds a tensor at offset " + std::to_string(offset) + " of storage '" + key +
                   "' (" + std::to_string(storage_numel) + " elements)");
    }
    bool empty = false;
    std::int64_t last = offset;
    for (std::size_t d = 0; d < sizes.size(); ++d) {
      if (sizes[d] < 0 || strides[d] < 0) {
        context.fail("rebuilds a tensor with a negative size or stride");
      }
      if (sizes[d] == 0) empty = true;
    }
    if (!empty) {
      for (std::size_t d = 0; d < sizes.size(); ++d) {
        std::int64_t reach = 0;
        if (__builtin_mul_overflow(sizes[d] - 1, strides[d], &reach) ||
            __builtin_add_overflow(last, reach, &last)) {
          context.fail("rebuilds a tensor whose extent overflows");
        }
      }
      if (last >= storage_numel) {
        context.fail("rebuilds a tensor reaching element " + std::to_string(last) +
                     " of storage '" + key + "', which holds " + std::to_string(storage_numel));
      }
    }
    return add_external(
        context, empty ? at::empty(sizes, flat.options()) : flat.as_strided(sizes, strides, offset),
        false, "tensor");
  }

  std::size_t persistent_load(io::PickleContext& context, std::size_t pid) {
    const io::PickleNode& id = node(context, pid);
    if (id.kind != PickleKind::kTuple || id.items.size() != 5) {
      context.fail("expects a persistent id ('storage', type, key, location, numel)");
    }
    const std::vector<std::size_t> items = id.items;
    if (node(context, items[0]).kind != PickleKind::kString ||
        node(context, items[0]).text != "storage") {
      context.fail("expects a persistent id tagged 'storage'");
    }
    const StorageType* type = node(context, items[1]).kind == PickleKind::kGlobal
                                  ? find_storage_type(node(context, items[1]).text)
                                  : nullptr;
    if (type == nullptr) context.fail("loads a storage of an unknown type");
    if (node(context, items[2]).kind != PickleKind::kString ||
        node(context, items[3]).kind != PickleKind::kString) {
      context.fail("expects a string storage key and location");
    }
    const std::string key = node(context, items[2]).text;
    const std::int64_t numel = int_arg(context, items[4], "storage size");
    const auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      const at::Tensor& flat = external(context, cached->second, true)->tensor;
      if (flat.scalar_type() != type->dtype || flat.numel() != numel) {
        context.fail("loads storage '" + key + "' again with another type or size");
      }
      return cached->second;
    }
    if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos) {
      context.fail("names an invalid storage key");
    }
    std::size_t record = 0;
    const std::size_t bytes = archive_.size("data/" + key, &record);
    const auto item_size = static_cast<std::int64_t>(c10::elementSize(type->dtype));
    if (numel < 0 || numel > std::numeric_limits<std::int64_t>::max() / item_size ||
        static_cast<std::uint64_t>(numel * item_size) != bytes) {
      context.fail("loads storage '" + key + "' of " + std::to_string(numel) + " " + type->name +
                   " elements from a record of " + std::to_string(bytes) + " bytes");
    }
    at::Tensor flat = at::empty({numel}, at::TensorOptions().dtype(type->dtype));
    archive_.read_into(record, flat.data_ptr(), bytes);
    const std::size_t index = add_external(context, std::move(flat), true, key);
    storages_.emplace(key, index);
    return index;
  }

  CheckpointData& data_;
  const TorchArchive& archive_;
  bool other_objects_ = false;
  std::unordered_map<std::string, std::size_t> storages_;
};

// The checkpoint's value holds nothing that only exists while the pickle runs: no bare global,
// storage or unresolved object.
void check_result(const CheckpointData& data, bool other_objects) {
  const io::Pickle& pickle = data.pickle;
  std::vector<bool> seen(pickle.size(), false);
  std::vector<std::size_t> pending{pickle.root()};
  while (!pending.empty()) {
    const std::size_t index = pending.back();
    pending.pop_back();
    if (seen[index]) continue;
    seen[index] = true;
    const io::PickleNode& node = pickle.node(index);
    if (node.kind == PickleKind::kGlobal && !other_objects) {
      throw InputError(pickle.source() + ": data.pkl: the result holds a bare global '" +
                       node.text + "'");
    }
    if (node.kind == PickleKind::kExternal && data.externals[node.external].is_storage) {
      throw InputError(pickle.source() + ": data.pkl: the result holds a bare storage '" +
                       node.text + "'");
    }
    pending.insert(pending.end(), node.items.begin(), node.items.end());
    for (const auto& [key, value] : node.entries) {
      pending.push_back(key);
      pending.push_back(value);
    }
    if (node.state) pending.push_back(*node.state);
  }
}

void append_repr(const CheckpointData& data, std::size_t index, std::size_t depth,
                 std::string& out) {
  const io::PickleNode& node = data.pickle.node(index);
  if (out.size() > kReprChars) return;  // shared sub-lists could otherwise explode the text
  if (depth > kReprDepth) {
    out += "...";
    return;
  }
  switch (node.kind) {
    case PickleKind::kNone:
      out += "None";
      break;
    case PickleKind::kBool:
      out += node.boolean ? "True" : "False";
      break;
    case PickleKind::kInt:
      out += std::to_string(node.integer);
      break;
    case PickleKind::kFloat:
      out += std::to_string(node.real);
      break;
    case PickleKind::kString:
      out += "'" + node.text + "'";
      break;
    case PickleKind::kList:
    case PickleKind::kTuple: {
      out += node.kind == PickleKind::kList ? "[" : "(";
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        if (i > 0) out += ", ";
        append_repr(data, node.items[i], depth + 1, out);
      }
      out += node.kind == PickleKind::kList ? "]" : ")";
      break;
    }
    case PickleKind::kDict: {
      out += "{";
      for (std::size_t i = 0; i < node.entries.size(); ++i) {
        if (i > 0) out += ", ";
        append_repr(data, node.entries[i].first, depth + 1, out);
        out += ": ";
        append_repr(data, node.entries[i].second, depth + 1, out);
      }
      out += "}";
      break;
    }
    case PickleKind::kExternal: {
      const at::Tensor& tensor = data.externals[node.external].tensor;
      out += "tensor(";
      out += c10::toString(tensor.scalar_type());
      out += ", [";
      for (std::int64_t d = 0; d < tensor.dim(); ++d) {
        if (d > 0) out += ", ";
        out += std::to_string(tensor.size(d));
      }
      out += "])";
      break;
    }
    case PickleKind::kObject:
      // A call left opaque: items = {callee, arguments}.
      out += "<" + (node.items.empty() ? std::string() : data.pickle.node(node.items[0]).text) +
             " object>";
      break;
    default:
      out += node.text;
      break;
  }
}

}  // namespace

const char* kind_name(PickleValue::Kind kind) {
  switch (kind) {
    case PickleValue::Kind::kNone:
      return "None";
    case PickleValue::Kind::kBool:
      return "bool";
    case PickleValue::Kind::kInt:
      return "int";
    case PickleValue::Kind::kFloat:
      return "float";
    case PickleValue::Kind::kString:
      return "str";
    case PickleValue::Kind::kList:
      return "list";
    case PickleValue::Kind::kTuple:
      return "tuple";
    case PickleValue::Kind::kDict:
      return "dict";
    case PickleValue::Kind::kTensor:
      return "tensor";
    case PickleValue::Kind::kObject:
      return "Python object";
  }
  return "?";
}

PickleValue::Kind PickleValue::kind() const {
  // check_result() guarantees that only these kinds are reachable from the root.
  switch (data_->pickle.kind(index_)) {
    case PickleKind::kNone:
      return Kind::kNone;
    case PickleKind::kBool:
      return Kind::kBool;
    case PickleKind::kInt:
      return Kind::kInt;
    case PickleKind::kFloat:
      return Kind::kFloat;
    case PickleKind::kString:
      return Kind::kString;
    case PickleKind::kList:
      return Kind::kList;
    case PickleKind::kTuple:
      return Kind::kTuple;
    case PickleKind::kDict:
      return Kind::kDict;
    case PickleKind::kExternal:
      return Kind::kTensor;
    case PickleKind::kGlobal:
    case PickleKind::kObject:
    case PickleKind::kSet:
    case PickleKind::kBytes:
      return Kind::kObject;  // reachable only in a read with other_objects
    default:
      throw InputError(source() + ": data.pkl: holds a " +
                       io::pickle_kind_name(data_->pickle.kind(index_)));
  }
}

namespace {

[[noreturn]] void wrong_kind(const PickleValue& value, const char* expected) {
  throw InputError(value.source() + ": expected a " + expected + ", found " +
                   kind_name(value.kind()) + " " + value.repr().substr(0, 80));
}

}  // namespace

bool PickleValue::as_bool() const {
  if (kind() != Kind::kBool) wrong_kind(*this, "bool");
  return data_->pickle.node(index_).boolean;
}

std::int64_t PickleValue::as_int() const {
  if (kind() != Kind::kInt) wrong_kind(*this, "int");
  return data_->pickle.node(index_).integer;
}

double PickleValue::as_double() const {
  if (kind() == Kind::kInt) return static_cast<double>(data_->pickle.node(index_).integer);
  if (kind() != Kind::kFloat) wrong_kind(*this, "float");
  return data_->pickle.node(index_).real;
}

const std::string& PickleValue::as_string() const {
  if (kind() != Kind::kString) wrong_kind(*this, "str");
  return data_->pickle.node(index_).text;
}

const at::Tensor& PickleValue::as_tensor() const {
  if (kind() != Kind::kTensor) wrong_kind(*this, "tensor");
  return data_->externals[data_->pickle.node(index_).external].tensor;
}

std::vector<PickleValue> PickleValue::items() const {
  if (kind() != Kind::kList && kind() != Kind::kTuple) wrong_kind(*this, "list or tuple");
  std::vector<PickleValue> values;
  for (std::size_t item : data_->pickle.node(index_).items)
    values.push_back(PickleValue(data_, item));
  return values;
}

std::vector<std::pair<PickleValue, PickleValue>> PickleValue::entries() const {
  if (kind() != Kind::kDict) wrong_kind(*this, "dict");
  std::vector<std::pair<PickleValue, PickleValue>> values;
  for (const auto& [key, value] : data_->pickle.node(index_).entries) {
    values.emplace_back(PickleValue(data_, key), PickleValue(data_, value));
  }
  return values;
}

bool PickleValue::contains(std::string_view key) const {
  if (kind() != Kind::kDict) wrong_kind(*this, "dict");
  return data_->pickle.find(index_, key).has_value();
}

PickleValue PickleValue::at(std::string_view key) const {
  if (kind() != Kind::kDict) wrong_kind(*this, "dict");
  const std::optional<std::size_t> value = data_->pickle.find(index_, key);
  if (!value) throw InputError(source() + ": missing key '" + std::string(key) + "'");
  return PickleValue(data_, *value);
}

std::string PickleValue::repr() const {
  std::string out;
  append_repr(*data_, index_, 0, out);
  if (out.size() > kReprChars) out.replace(kReprChars, std::string::npos, "...");
  return out;
}

const std::string& PickleValue::source() const { return data_->pickle.source(); }

namespace {

TorchCheckpoint run_archive(const TorchArchive& archive, const TorchReadOptions& options);

}  // namespace

TorchCheckpoint parse_torch_checkpoint(std::span<const std::uint8_t> bytes,
                                       const std::string& source, const TorchReadOptions& options) {
  return run_archive(TorchArchive::open(bytes, source), options);
}

TorchCheckpoint read_torch_checkpoint(const std::filesystem::path& path,
                                      const TorchReadOptions& options) {
  return run_archive(TorchArchive::open(path), options);
}

namespace {

TorchCheckpoint run_archive(const TorchArchive& archive, const TorchReadOptions& options) {
  const std::string& source = archive.source();
  if (archive.has("byteorder")) {
    const std::vector<std::uint8_t> order = archive.read("byteorder");
    if (std::string(order.begin(), order.end()) != "little") {
      throw InputError(source + ": big-endian checkpoints are not supported");
    }
  }
  const std::vector<std::uint8_t> pkl = archive.read("data.pkl");
  auto data = std::make_shared<CheckpointData>(io::Pickle(source));
  TorchRules rules(*data, archive, options.other_objects);
  data->pickle = io::read_pickle(pkl, source, rules.rules());
  check_result(*data, options.other_objects);
  const std::size_t root = data->pickle.root();
  return TorchCheckpoint::make(std::move(data), root);
}

}  // namespace

std::vector<std::pair<std::string, at::Tensor>> tensor_dict(const PickleValue& dict) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& [key, value] : dict.entries()) {
    if (key.kind() != PickleValue::Kind::kString) {
      throw InputError(dict.source() + ": state_dict key " + key.repr() + " is not a string");
    }
    if (value.kind() != PickleValue::Kind::kTensor) {
      throw InputError(dict.source() + ": state_dict entry '" + key.as_string() + "' is a " +
                       kind_name(value.kind()) + ", not a tensor");
    }
    tensors.emplace_back(key.as_string(), value.as_tensor());
  }
  return tensors;
}

}  // namespace brainalign::neural
