#include "brainalign/neural/formats/torch_checkpoint.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

#include "brainalign/base/error.h"
#include "brainalign/io/zip.h"

namespace brainalign::neural {

namespace {

// Node kinds: the public ones plus two that exist only while the pickle runs.
enum class NodeKind {
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kTuple,
  kDict,
  kTensor,
  kGlobal,
  kStorage
};

}  // namespace

struct CheckpointNode {
  NodeKind kind = NodeKind::kNone;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0.0;
  std::string text;  // string value, global name, or storage key
  std::vector<std::size_t> items;
  std::vector<std::pair<std::size_t, std::size_t>> entries;
  std::unordered_map<std::string, std::size_t> string_keys;  // entry position by string key
  std::unordered_map<std::int64_t, std::size_t> int_keys;
  at::Tensor tensor;  // a tensor, or the flat contents of a storage
};

class CheckpointData {
 public:
  std::string source;
  std::vector<CheckpointNode> nodes;
};

namespace {

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

  const std::string& prefix() const { return prefix_; }

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

std::string opcode_text(std::uint8_t op) {
  static const char* const kHex = "0123456789abcdef";
  std::string text = "0x";
  text += kHex[op >> 4];
  text += kHex[op & 15];
  if (op >= 0x20 && op < 0x7f) {
    text += " ('";
    text += static_cast<char>(op);
    text += "')";
  }
  return text;
}

// Runs data.pkl. Every failure is an InputError naming the file, the byte and the opcode.
class Unpickler {
 public:
  Unpickler(CheckpointData& data, const TorchArchive& archive, std::span<const std::uint8_t> pkl)
      : data_(data), archive_(archive), pkl_(pkl) {}

  std::size_t run() {
    while (true) {
      op_position_ = pos_;
      const std::uint8_t op = read_u8();
      op_ = op;
      switch (op) {
        case 0x80: {  // PROTO
          const std::uint8_t version = read_u8();
          if (version < 2 || version > 5) fail("pickle protocol " + std::to_string(version));
          break;
        }
        case 0x95:
          read_bytes(8);
          break;  // FRAME: a length hint only
        case '.':
          return finish();  // STOP
        case '(':
          marks_.push_back(stack_.size());
          break;
        case '}':
          push(new_node(NodeKind::kDict));
          break;
        case ']':
          push(new_node(NodeKind::kList));
          break;
        case ')':
          push(new_node(NodeKind::kTuple));
          break;
        case 'X':
          push_string(read_u32());
          break;  // BINUNICODE
        case 0x8c:
          push_string(read_u8());
          break;     // SHORT_BINUNICODE
        case 'J': {  // BININT
          const std::uint32_t raw = read_u32();
          push_int(static_cast<std::int32_t>(raw));
          break;
        }
        case 'K':
          push_int(read_u8());
          break;     // BININT1
        case 'M': {  // BININT2
          const std::uint32_t low = read_u8();
          push_int(low | (static_cast<std::uint32_t>(read_u8()) << 8));
          break;
        }
        case 0x8a:
          push_long1();
          break;
        case 'G': {  // BINFLOAT: big-endian double
          std::uint64_t bits = 0;
          for (std::uint8_t byte : read_bytes(8)) bits = (bits << 8) | byte;
          const std::size_t index = new_node(NodeKind::kFloat);
          data_.nodes[index].real = std::bit_cast<double>(bits);
          push(index);
          break;
        }
        case 'N':
          push(new_node(NodeKind::kNone));
          break;
        case 0x88:
        case 0x89: {  // NEWTRUE, NEWFALSE
          const std::size_t index = new_node(NodeKind::kBool);
          data_.nodes[index].boolean = op == 0x88;
          push(index);
          break;
        }
        case 't':
          push(make_sequence(NodeKind::kTuple, pop_mark()));
          break;
        case 'l':
          push(make_sequence(NodeKind::kList, pop_mark()));
          break;
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          const std::size_t count = op - 0x84u;
          if (stack_.size() < count + floor()) fail("needs " + std::to_string(count) + " items");
          std::vector<std::size_t> items(stack_.end() - static_cast<std::ptrdiff_t>(count),
                                         stack_.end());
          stack_.resize(stack_.size() - count);
          push(make_sequence(NodeKind::kTuple, std::move(items)));
          break;
        }
        case 'a': {  // APPEND
          const std::size_t value = pop();
          list_on_top().items.push_back(value);
          break;
        }
        case 'e': {  // APPENDS
          std::vector<std::size_t> values = pop_mark();
          CheckpointNode& list = list_on_top();
          list.items.insert(list.items.end(), values.begin(), values.end());
          break;
        }
        case 'd': {  // DICT
          std::vector<std::size_t> values = pop_mark();
          const std::size_t index = new_node(NodeKind::kDict);
          set_items(index, values);
          push(index);
          break;
        }
        case 's': {  // SETITEM
          const std::size_t value = pop();
          const std::size_t key = pop();
          set_items(dict_on_top(), {key, value});
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<std::size_t> values = pop_mark();
          set_items(dict_on_top(), values);
          break;
        }
        case 'q':
          memo_put(read_u8());
          break;  // BINPUT
        case 'r':
          memo_put(read_u32());
          break;  // LONG_BINPUT
        case 0x94:
          memo_put(memo_.size());
          break;  // MEMOIZE
        case 'h':
          push(memo_get(read_u8()));
          break;  // BINGET
        case 'j':
          push(memo_get(read_u32()));
          break;     // LONG_BINGET
        case 'c': {  // GLOBAL
          std::string module = read_line();
          std::string name = read_line();
          push_global(module + " " + name);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          const std::size_t name = pop();
          const std::size_t module = pop();
          if (kind(name) != NodeKind::kString || kind(module) != NodeKind::kString) {
            fail("expects two strings");
          }
          push_global(data_.nodes[module].text + " " + data_.nodes[name].text);
          break;
        }
        case 'R':
          reduce();
          break;
        case 'Q':
          persistent_load();
          break;     // BINPERSID
        case 'b': {  // BUILD
          pop();     // the state of an OrderedDict is its _metadata
          if (kind(top()) != NodeKind::kDict) fail("sets the state of a non-dict object");
          break;
        }
        default:
          throw InputError(where() + "unsupported pickle opcode " + opcode_text(op) + " at byte " +
                           std::to_string(op_position_));
      }
    }
  }

 private:
  std::string where() const { return data_.source + ": data.pkl: "; }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(where() + "opcode " + opcode_text(op_) + " at byte " +
                     std::to_string(op_position_) + " " + what);
  }

  std::span<const std::uint8_t> read_bytes(std::size_t count) {
    if (count > pkl_.size() - pos_) {
      throw InputError(where() + "truncated: opcode " + opcode_text(op_) + " at byte " +
                       std::to_string(op_position_) + " runs past the end");
    }
    const auto bytes = pkl_.subspan(pos_, count);
    pos_ += count;
    return bytes;
  }
  std::uint8_t read_u8() { return read_bytes(1)[0]; }
  std::uint32_t read_u32() {
    const auto bytes = read_bytes(4);
    return static_cast<std::uint32_t>(bytes[0]) | (static_cast<std::uint32_t>(bytes[1]) << 8) |
           (static_cast<std::uint32_t>(bytes[2]) << 16) |
           (static_cast<std::uint32_t>(bytes[3]) << 24);
  }
  std::string read_line() {
    const auto rest = pkl_.subspan(pos_);
    const auto newline = std::find(rest.begin(), rest.end(), '\n');
    if (newline == rest.end() || newline - rest.begin() > 256) fail("has no name line");
    std::string line(rest.begin(), newline);
    pos_ += line.size() + 1;
    return line;
  }

  std::size_t new_node(NodeKind node_kind) {
    data_.nodes.emplace_back();
    data_.nodes.back().kind = node_kind;
    return data_.nodes.size() - 1;
  }
  NodeKind kind(std::size_t index) const { return data_.nodes[index].kind; }

  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(std::size_t index) { stack_.push_back(index); }
  std::size_t pop() {
    if (stack_.size() <= floor()) fail("finds the stack empty");
    const std::size_t index = stack_.back();
    stack_.pop_back();
    return index;
  }
  std::size_t top() {
    if (stack_.size() <= floor()) fail("finds the stack empty");
    return stack_.back();
  }
  std::vector<std::size_t> pop_mark() {
    if (marks_.empty()) fail("has no MARK to pop to");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<std::size_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark),
                                   stack_.end());
    stack_.resize(mark);
    return items;
  }

  void push_string(std::uint32_t length) {
    const auto bytes = read_bytes(length);
    const std::size_t index = new_node(NodeKind::kString);
    data_.nodes[index].text.assign(bytes.begin(), bytes.end());
    push(index);
  }
  void push_int(std::int64_t value) {
    const std::size_t index = new_node(NodeKind::kInt);
    data_.nodes[index].integer = value;
    push(index);
  }
  void push_long1() {
    const std::uint8_t length = read_u8();
    if (length > 8) fail("holds an integer wider than 64 bits");
    const auto bytes = read_bytes(length);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < length; ++i) value |= std::uint64_t{bytes[i]} << (8 * i);
    if (length > 0 && length < 8 && (bytes[length - 1] & 0x80) != 0) {
      value |= ~std::uint64_t{0} << (8 * length);  // sign-extend
    }
    push_int(static_cast<std::int64_t>(value));
  }
  void push_global(std::string name) {
    if (!is_allowed_global(name)) {
      throw InputError(where() + "refuses global '" + name + "' at byte " +
                       std::to_string(op_position_) +
                       ": only OrderedDict, tensor rebuilders, storages and devices are allowed");
    }
    const std::size_t index = new_node(NodeKind::kGlobal);
    data_.nodes[index].text = std::move(name);
    push(index);
  }

  std::size_t make_sequence(NodeKind node_kind, std::vector<std::size_t> items) {
    const std::size_t index = new_node(node_kind);
    data_.nodes[index].items = std::move(items);
    return index;
  }
  CheckpointNode& list_on_top() {
    const std::size_t index = top();
    if (kind(index) != NodeKind::kList) fail("appends to a non-list object");
    return data_.nodes[index];
  }
  std::size_t dict_on_top() {
    const std::size_t index = top();
    if (kind(index) != NodeKind::kDict) fail("sets an item of a non-dict object");
    return index;
  }
  // Key/value pairs in order; a repeated string or int key replaces the earlier value.
  void set_items(std::size_t dict_index, const std::vector<std::size_t>& values) {
    if (values.size() % 2 != 0) fail("has a key without a value");
    for (std::size_t i = 0; i < values.size(); i += 2) {
      const std::size_t key = values[i];
      const std::size_t value = values[i + 1];
      CheckpointNode& dict = data_.nodes[dict_index];
      const CheckpointNode& key_node = data_.nodes[key];
      std::size_t* existing = nullptr;
      if (key_node.kind == NodeKind::kString) {
        auto [it, inserted] = dict.string_keys.emplace(key_node.text, dict.entries.size());
        if (!inserted) existing = &it->second;
      } else if (key_node.kind == NodeKind::kInt) {
        auto [it, inserted] = dict.int_keys.emplace(key_node.integer, dict.entries.size());
        if (!inserted) existing = &it->second;
      } else if (key_node.kind == NodeKind::kList || key_node.kind == NodeKind::kDict) {
        fail("uses an unhashable dict key");
      }
      if (existing != nullptr) {
        dict.entries[*existing].second = value;
      } else {
        dict.entries.emplace_back(key, value);
      }
    }
  }

  void memo_put(std::size_t key) {
    if (stack_.empty()) fail("memoizes an empty stack");
    memo_[key] = stack_.back();
  }
  std::size_t memo_get(std::size_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail("reads memo entry " + std::to_string(key) + ", never stored");
    return it->second;
  }

  // A copy: the callers add nodes, which moves every node (and its items) in memory.
  std::vector<std::size_t> tuple_args(std::size_t index, std::size_t min_count,
                                      std::size_t max_count, const std::string& callee) {
    if (kind(index) != NodeKind::kTuple) fail("calls " + callee + " without an argument tuple");
    const auto& items = data_.nodes[index].items;
    if (items.size() < min_count || items.size() > max_count) {
      fail("calls " + callee + " with " + std::to_string(items.size()) + " arguments");
    }
    return items;
  }

  std::int64_t int_arg(std::size_t index, const std::string& what) {
    if (kind(index) != NodeKind::kInt) fail("expects an integer " + what);
    return data_.nodes[index].integer;
  }

  std::vector<std::int64_t> int_tuple(std::size_t index, const std::string& what) {
    if (kind(index) != NodeKind::kTuple && kind(index) != NodeKind::kList) {
      fail("expects a tuple of integers as " + what);
    }
    std::vector<std::int64_t> values;
    for (std::size_t item : data_.nodes[index].items) values.push_back(int_arg(item, what));
    return values;
  }

  void reduce() {
    const std::size_t args = pop();
    const std::size_t callee = pop();
    if (kind(callee) != NodeKind::kGlobal) fail("calls an object that is not a global");
    const std::string name = data_.nodes[callee].text;
    std::size_t result = 0;
    if (name == "collections OrderedDict") {
      const auto items = tuple_args(args, 0, 1, name);
      result = new_node(NodeKind::kDict);
      if (!items.empty()) {
        const std::size_t pairs = items[0];
        if (kind(pairs) != NodeKind::kList && kind(pairs) != NodeKind::kTuple) {
          fail("builds an OrderedDict from something other than a list of pairs");
        }
        std::vector<std::size_t> flat;
        for (std::size_t pair : data_.nodes[pairs].items) {
          const NodeKind pair_kind = kind(pair);
          if ((pair_kind != NodeKind::kTuple && pair_kind != NodeKind::kList) ||
              data_.nodes[pair].items.size() != 2) {
            fail("builds an OrderedDict from an item that is not a pair");
          }
          flat.push_back(data_.nodes[pair].items[0]);
          flat.push_back(data_.nodes[pair].items[1]);
        }
        set_items(result, flat);
      }
    } else if (name == "torch._utils _rebuild_tensor_v2") {
      const auto items = tuple_args(args, 6, 7, name);
      result = rebuild_tensor(items);
    } else if (name == "torch._utils _rebuild_parameter" ||
               name == "torch._utils _rebuild_parameter_with_state") {
      const auto items = tuple_args(args, 3, 4, name);
      if (kind(items[0]) != NodeKind::kTensor) fail("rebuilds a parameter from a non-tensor");
      result = items[0];
    } else if (name == "torch device") {
      const auto items = tuple_args(args, 1, 2, name);
      if (kind(items[0]) != NodeKind::kString) fail("builds a device without a type string");
      result = new_node(NodeKind::kString);
      std::string text = data_.nodes[items[0]].text;
      if (items.size() == 2 && kind(items[1]) == NodeKind::kInt) {
        text += ":" + std::to_string(data_.nodes[items[1]].integer);
      }
      data_.nodes[result].text = std::move(text);
    } else {
      fail("calls '" + name + "', which cannot be called");
    }
    push(result);
  }

  std::size_t rebuild_tensor(const std::vector<std::size_t>& args) {
    if (kind(args[0]) != NodeKind::kStorage) fail("rebuilds a tensor from a non-storage");
    // Copies (a tensor is a handle): new_node below moves the nodes in memory.
    const at::Tensor flat = data_.nodes[args[0]].tensor;
    const std::string key = data_.nodes[args[0]].text;
    const std::int64_t offset = int_arg(args[1], "storage offset");
    const std::vector<std::int64_t> sizes = int_tuple(args[2], "size");
    const std::vector<std::int64_t> strides = int_tuple(args[3], "stride");
    if (sizes.size() != strides.size() || sizes.size() > kMaxDims) {
      fail("rebuilds a tensor with " + std::to_string(sizes.size()) + " sizes and " +
           std::to_string(strides.size()) + " strides");
    }
    const std::int64_t storage_numel = flat.numel();
    if (offset < 0 || offset > storage_numel) {
      fail("rebuilds a tensor at offset " + std::to_string(offset) + " of storage '" + key + "' (" +
           std::to_string(storage_numel) + " elements)");
    }
    bool empty = false;
    std::int64_t last = offset;
    for (std::size_t d = 0; d < sizes.size(); ++d) {
      if (sizes[d] < 0 || strides[d] < 0) fail("rebuilds a tensor with a negative size or stride");
      if (sizes[d] == 0) empty = true;
    }
    if (!empty) {
      for (std::size_t d = 0; d < sizes.size(); ++d) {
        std::int64_t reach = 0;
        if (__builtin_mul_overflow(sizes[d] - 1, strides[d], &reach) ||
            __builtin_add_overflow(last, reach, &last)) {
          fail("rebuilds a tensor whose extent overflows");
        }
      }
      if (last >= storage_numel) {
        fail("rebuilds a tensor reaching element " + std::to_string(last) + " of storage '" + key +
             "', which holds " + std::to_string(storage_numel));
      }
    }
    const std::size_t index = new_node(NodeKind::kTensor);
    data_.nodes[index].tensor =
        empty ? at::empty(sizes, flat.options()) : flat.as_strided(sizes, strides, offset);
    return index;
  }

  void persistent_load() {
    const std::size_t pid = pop();
    if (kind(pid) != NodeKind::kTuple || data_.nodes[pid].items.size() != 5) {
      fail("expects a persistent id ('storage', type, key, location, numel)");
    }
    const auto items = data_.nodes[pid].items;
    if (kind(items[0]) != NodeKind::kString || data_.nodes[items[0]].text != "storage") {
      fail("expects a persistent id tagged 'storage'");
    }
    const StorageType* type = kind(items[1]) == NodeKind::kGlobal
                                  ? find_storage_type(data_.nodes[items[1]].text)
                                  : nullptr;
    if (type == nullptr) fail("loads a storage of an unknown type");
    if (kind(items[2]) != NodeKind::kString || kind(items[3]) != NodeKind::kString) {
      fail("expects a string storage key and location");
    }
    const std::string key = data_.nodes[items[2]].text;
    const std::int64_t numel = int_arg(items[4], "storage size");
    const auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      const at::Tensor& flat = data_.nodes[cached->second].tensor;
      if (flat.scalar_type() != type->dtype || flat.numel() != numel) {
        fail("loads storage '" + key + "' again with another type or size");
      }
      push(cached->second);
      return;
    }
    if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos) {
      fail("names an invalid storage key");
    }
    std::size_t record = 0;
    const std::size_t bytes = archive_.size("data/" + key, &record);
    const auto item_size = static_cast<std::int64_t>(c10::elementSize(type->dtype));
    if (numel < 0 || numel > std::numeric_limits<std::int64_t>::max() / item_size ||
        static_cast<std::uint64_t>(numel * item_size) != bytes) {
      fail("loads storage '" + key + "' of " + std::to_string(numel) + " " + type->name +
           " elements from a record of " + std::to_string(bytes) + " bytes");
    }
    const std::size_t index = new_node(NodeKind::kStorage);
    data_.nodes[index].text = key;
    at::Tensor flat = at::empty({numel}, at::TensorOptions().dtype(type->dtype));
    archive_.read_into(record, flat.data_ptr(), bytes);
    data_.nodes[index].tensor = std::move(flat);
    storages_.emplace(key, index);
    push(index);
  }

  // STOP: one value left, and nothing of it a bare global or storage.
  std::size_t finish() {
    if (!marks_.empty() || stack_.size() != 1) {
      fail("ends with " + std::to_string(stack_.size()) + " values and " +
           std::to_string(marks_.size()) + " open marks on the stack (expected one value)");
    }
    std::vector<bool> seen(data_.nodes.size(), false);
    std::vector<std::size_t> pending{stack_.back()};
    while (!pending.empty()) {
      const std::size_t index = pending.back();
      pending.pop_back();
      if (seen[index]) continue;
      seen[index] = true;
      const CheckpointNode& node = data_.nodes[index];
      if (node.kind == NodeKind::kGlobal || node.kind == NodeKind::kStorage) {
        throw InputError(where() + "the result holds a bare " +
                         (node.kind == NodeKind::kGlobal ? "global '" + node.text + "'"
                                                         : "storage '" + node.text + "'"));
      }
      pending.insert(pending.end(), node.items.begin(), node.items.end());
      for (const auto& [key, value] : node.entries) {
        pending.push_back(key);
        pending.push_back(value);
      }
    }
    return stack_.back();
  }

  CheckpointData& data_;
  const TorchArchive& archive_;
  std::span<const std::uint8_t> pkl_;
  std::size_t pos_ = 0;
  std::size_t op_position_ = 0;
  std::uint8_t op_ = 0;
  std::vector<std::size_t> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::size_t, std::size_t> memo_;
  std::unordered_map<std::string, std::size_t> storages_;
};

void append_repr(const CheckpointData& data, std::size_t index, std::size_t depth,
                 std::string& out) {
  const CheckpointNode& node = data.nodes[index];
  if (out.size() > kReprChars) return;  // shared sub-lists could otherwise explode the text
  if (depth > kReprDepth) {
    out += "...";
    return;
  }
  switch (node.kind) {
    case NodeKind::kNone:
      out += "None";
      break;
    case NodeKind::kBool:
      out += node.boolean ? "True" : "False";
      break;
    case NodeKind::kInt:
      out += std::to_string(node.integer);
      break;
    case NodeKind::kFloat:
      out += std::to_string(node.real);
      break;
    case NodeKind::kString:
      out += "'" + node.text + "'";
      break;
    case NodeKind::kList:
    case NodeKind::kTuple: {
      out += node.kind == NodeKind::kList ? "[" : "(";
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        if (i > 0) out += ", ";
        append_repr(data, node.items[i], depth + 1, out);
      }
      out += node.kind == NodeKind::kList ? "]" : ")";
      break;
    }
    case NodeKind::kDict: {
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
    case NodeKind::kTensor: {
      out += "tensor(";
      out += c10::toString(node.tensor.scalar_type());
      out += ", [";
      for (std::int64_t d = 0; d < node.tensor.dim(); ++d) {
        if (d > 0) out += ", ";
        out += std::to_string(node.tensor.size(d));
      }
      out += "])";
      break;
    }
    case NodeKind::kGlobal:
    case NodeKind::kStorage:
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
  }
  return "?";
}

PickleValue::Kind PickleValue::kind() const {
  const NodeKind node_kind = data_->nodes[index_].kind;
  // finish() guarantees that no global or storage is reachable from the root.
  return static_cast<Kind>(static_cast<int>(node_kind));
}

namespace {

[[noreturn]] void wrong_kind(const PickleValue& value, const char* expected) {
  throw InputError(value.source() + ": expected a " + expected + ", found " +
                   kind_name(value.kind()) + " " + value.repr().substr(0, 80));
}

}  // namespace

bool PickleValue::as_bool() const {
  if (kind() != Kind::kBool) wrong_kind(*this, "bool");
  return data_->nodes[index_].boolean;
}

std::int64_t PickleValue::as_int() const {
  if (kind() != Kind::kInt) wrong_kind(*this, "int");
  return data_->nodes[index_].integer;
}

double PickleValue::as_double() const {
  if (kind() == Kind::kInt) return static_cast<double>(data_->nodes[index_].integer);
  if (kind() != Kind::kFloat) wrong_kind(*this, "float");
  return data_->nodes[index_].real;
}

const std::string& PickleValue::as_string() const {
  if (kind() != Kind::kString) wrong_kind(*this, "str");
  return data_->nodes[index_].text;
}

const at::Tensor& PickleValue::as_tensor() const {
  if (kind() != Kind::kTensor) wrong_kind(*this, "tensor");
  return data_->nodes[index_].tensor;
}

std::vector<PickleValue> PickleValue::items() const {
  if (kind() != Kind::kList && kind() != Kind::kTuple) wrong_kind(*this, "list or tuple");
  std::vector<PickleValue> values;
  for (std::size_t item : data_->nodes[index_].items) values.push_back(PickleValue(data_, item));
  return values;
}

std::vector<std::pair<PickleValue, PickleValue>> PickleValue::entries() const {
  if (kind() != Kind::kDict) wrong_kind(*this, "dict");
  std::vector<std::pair<PickleValue, PickleValue>> values;
  for (const auto& [key, value] : data_->nodes[index_].entries) {
    values.emplace_back(PickleValue(data_, key), PickleValue(data_, value));
  }
  return values;
}

bool PickleValue::contains(std::string_view key) const {
  if (kind() != Kind::kDict) wrong_kind(*this, "dict");
  return data_->nodes[index_].string_keys.contains(std::string(key));
}

PickleValue PickleValue::at(std::string_view key) const {
  if (kind() != Kind::kDict) wrong_kind(*this, "dict");
  const CheckpointNode& node = data_->nodes[index_];
  const auto it = node.string_keys.find(std::string(key));
  if (it == node.string_keys.end()) {
    throw InputError(source() + ": missing key '" + std::string(key) + "'");
  }
  return PickleValue(data_, node.entries[it->second].second);
}

std::string PickleValue::repr() const {
  std::string out;
  append_repr(*data_, index_, 0, out);
  if (out.size() > kReprChars) out.replace(kReprChars, std::string::npos, "...");
  return out;
}

const std::string& PickleValue::source() const { return data_->source; }

namespace {

TorchCheckpoint run_archive(const TorchArchive& archive);

}  // namespace

TorchCheckpoint parse_torch_checkpoint(std::span<const std::uint8_t> bytes,
                                       const std::string& source) {
  return run_archive(TorchArchive::open(bytes, source));
}

TorchCheckpoint read_torch_checkpoint(const std::filesystem::path& path) {
  return run_archive(TorchArchive::open(path));
}

namespace {

TorchCheckpoint run_archive(const TorchArchive& archive) {
  const std::string& source = archive.source();
  if (archive.has("byteorder")) {
    const std::vector<std::uint8_t> order = archive.read("byteorder");
    if (std::string(order.begin(), order.end()) != "little") {
      throw InputError(source + ": big-endian checkpoints are not supported");
    }
  }
  auto data = std::make_shared<CheckpointData>();
  data->source = source;
  const std::vector<std::uint8_t> pkl = archive.read("data.pkl");
  Unpickler unpickler(*data, archive, pkl);
  const std::size_t root = unpickler.run();
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
