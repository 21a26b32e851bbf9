#include "brainalign/io/pickle.h"

#include <algorithm>
#include <bit>

#include "brainalign/base/error.h"

namespace brainalign::io {

const char* pickle_kind_name(PickleKind kind) {
  switch (kind) {
    case PickleKind::kNone:
      return "None";
    case PickleKind::kBool:
      return "bool";
    case PickleKind::kInt:
      return "int";
    case PickleKind::kFloat:
      return "float";
    case PickleKind::kString:
      return "str";
    case PickleKind::kBytes:
      return "bytes";
    case PickleKind::kList:
      return "list";
    case PickleKind::kTuple:
      return "tuple";
    case PickleKind::kDict:
      return "dict";
    case PickleKind::kSet:
      return "set";
    case PickleKind::kGlobal:
      return "global";
    case PickleKind::kObject:
      return "object";
    case PickleKind::kPersistent:
      return "persistent id";
    case PickleKind::kExternal:
      return "external value";
  }
  return "?";
}

std::optional<std::size_t> Pickle::find(std::size_t dict, std::string_view key) const {
  const auto keys = keys_.find(dict);
  if (keys == keys_.end()) return std::nullopt;
  const auto it = keys->second.strings.find(std::string(key));
  if (it == keys->second.strings.end()) return std::nullopt;
  return nodes_[dict].entries[it->second].second;
}

std::size_t Pickle::add(PickleNode node) {
  nodes_.push_back(std::move(node));
  return nodes_.size() - 1;
}

bool Pickle::set_item(std::size_t dict, std::size_t key, std::size_t value) {
  PickleNode& node = nodes_[dict];
  const PickleNode& key_node = nodes_[key];
  Keys& keys = keys_[dict];
  std::size_t* existing = nullptr;
  switch (key_node.kind) {
    case PickleKind::kString: {
      auto [it, inserted] = keys.strings.emplace(key_node.text, node.entries.size());
      if (!inserted) existing = &it->second;
      break;
    }
    case PickleKind::kInt: {
      auto [it, inserted] = keys.integers.emplace(key_node.integer, node.entries.size());
      if (!inserted) existing = &it->second;
      break;
    }
    case PickleKind::kList:
    case PickleKind::kDict:
    case PickleKind::kSet:
      return false;
    default:
      break;
  }
  if (existing != nullptr) {
    node.entries[*existing].second = value;
  } else {
    node.entries.emplace_back(key, value);
  }
  return true;
}

std::vector<std::string> pickle_dict_keys(const Pickle& pickle) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < pickle.size(); ++i) {
    const PickleNode& node = pickle.node(i);
    if (node.kind != PickleKind::kDict) continue;
    for (const auto& entry : node.entries) {
      const PickleNode& key = pickle.node(entry.first);
      if (key.kind == PickleKind::kString) keys.push_back(key.text);
    }
  }
  return keys;
}

namespace {

constexpr std::size_t kMaxGlobalName = 256;
constexpr std::size_t kMaxLongBytes = 8;

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

class Machine final : public PickleContext {
 public:
  Machine(std::span<const std::uint8_t> bytes, const std::string& source, const PickleRules& rules)
      : bytes_(bytes), rules_(rules), pickle_(source) {}

  Pickle& objects() override { return pickle_; }

  [[noreturn]] void fail(const std::string& what) const override {
    throw InputError(where() + "opcode " + opcode_text(op_) + " at byte " +
                     std::to_string(op_position_) + " " + what);
  }

  std::span<const std::uint8_t> read_raw(std::size_t count) override { return read(count); }

  Pickle run() {
    while (true) {
      op_position_ = pos_;
      op_ = read_u8();
      if (op_ == '.') break;  // STOP
      step(op_);
    }
    if (!marks_.empty() || stack_.size() != 1) {
      fail("ends with " + std::to_string(stack_.size()) + " values and " +
           std::to_string(marks_.size()) + " open marks on the stack (expected one value)");
    }
    pickle_.set_root(stack_.back());
    return std::move(pickle_);
  }

 private:
  std::string where() const {
    return pickle_.source() + ": " + (rules_.context.empty() ? "" : rules_.context + ": ");
  }

  [[noreturn]] void unsupported() const {
    throw InputError(where() + "unsupported pickle opcode " + opcode_text(op_) + " at byte " +
                     std::to_string(op_position_));
  }

  void step(std::uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        const std::uint8_t version = read_u8();
        if (version < 2 || version > 5) fail("pickle protocol " + std::to_string(version));
        break;
      }
      case 0x95:  // FRAME: a length hint only
        read(8);
        break;
      case '(':  // MARK
        marks_.push_back(stack_.size());
        break;
      case '0':  // POP
        pop();
        break;
      case '1':  // POP_MARK
        pop_mark();
        break;
      case '2':  // DUP
        push(top());
        break;
      case '}':
        push(add(PickleKind::kDict));
        break;
      case ']':
        push(add(PickleKind::kList));
        break;
      case ')':
        push(add(PickleKind::kTuple));
        break;
      case 0x8f:  // EMPTY_SET
        if (!rules_.sets) unsupported();
        push(add(PickleKind::kSet));
        break;
      case 'X':  // BINUNICODE
        push_text(PickleKind::kString, read_uint(4));
        break;
      case 0x8c:  // SHORT_BINUNICODE
        push_text(PickleKind::kString, read_uint(1));
        break;
      case 0x8d:  // BINUNICODE8
        push_text(PickleKind::kString, read_uint(8));
        break;
      case 'U':  // SHORT_BINSTRING (Python 2 str, read as text)
        push_text(PickleKind::kString, read_uint(1));
        break;
      case 'T':  // BINSTRING
        push_text(PickleKind::kString, read_uint(4));
        break;
      case 'C':   // SHORT_BINBYTES
      case 'B':   // BINBYTES
      case 0x8e:  // BINBYTES8
      case 0x96:  // BYTEARRAY8
        if (!rules_.bytes) unsupported();
        push_text(PickleKind::kBytes, read_uint(op == 'C' ? 1 : op == 'B' ? 4 : 8));
        break;
      case 'J':  // BININT: signed 32 bits
        push_int(static_cast<std::int32_t>(static_cast<std::uint32_t>(read_uint(4))));
        break;
      case 'K':  // BININT1
        push_int(static_cast<std::int64_t>(read_uint(1)));
        break;
      case 'M':  // BININT2
        push_int(static_cast<std::int64_t>(read_uint(2)));
        break;
      case 0x8a:  // LONG1
        push_long(read_uint(1));
        break;
      case 0x8b:  // LONG4
        push_long(read_uint(4));
        break;
      case 'G': {  // BINFLOAT: big-endian double
        std::uint64_t bits = 0;
        for (std::uint8_t byte : read(8)) bits = (bits << 8) | byte;
        PickleNode node;
        node.kind = PickleKind::kFloat;
        node.real = std::bit_cast<double>(bits);
        push(pickle_.add(std::move(node)));
        break;
      }
      case 'N':
        push(add(PickleKind::kNone));
        break;
      case 0x88:    // NEWTRUE
      case 0x89: {  // NEWFALSE
        PickleNode node;
        node.kind = PickleKind::kBool;
        node.boolean = op == 0x88;
        push(pickle_.add(std::move(node)));
        break;
      }
      case 't':
        push(sequence(PickleKind::kTuple, pop_mark()));
        break;
      case 'l':
        push(sequence(PickleKind::kList, pop_mark()));
        break;
      case 0x91:  // FROZENSET
        if (!rules_.sets) unsupported();
        push(sequence(PickleKind::kSet, pop_mark()));
        break;
      case 0x85:  // TUPLE1..3
      case 0x86:
      case 0x87: {
        const std::size_t count = op - 0x84u;
        if (stack_.size() < count + floor()) fail("needs " + std::to_string(count) + " items");
        std::vector<std::size_t> items(stack_.end() - static_cast<std::ptrdiff_t>(count),
                                       stack_.end());
        stack_.resize(stack_.size() - count);
        push(sequence(PickleKind::kTuple, std::move(items)));
        break;
      }
      case 'a': {  // APPEND
        const std::size_t value = pop();
        pickle_.node(container_on_top(PickleKind::kList, "appends to")).items.push_back(value);
        break;
      }
      case 'e': {  // APPENDS
        const std::vector<std::size_t> values = pop_mark();
        auto& items = pickle_.node(container_on_top(PickleKind::kList, "appends to")).items;
        items.insert(items.end(), values.begin(), values.end());
        break;
      }
      case 0x90: {  // ADDITEMS
        if (!rules_.sets) unsupported();
        const std::vector<std::size_t> values = pop_mark();
        auto& items = pickle_.node(container_on_top(PickleKind::kSet, "adds items to")).items;
        items.insert(items.end(), values.begin(), values.end());
        break;
      }
      case 'd': {  // DICT
        const std::vector<std::size_t> values = pop_mark();
        const std::size_t dict = add(PickleKind::kDict);
        set_items(dict, values);
        push(dict);
        break;
      }
      case 's': {  // SETITEM
        const std::size_t value = pop();
        const std::size_t key = pop();
        set_items(container_on_top(PickleKind::kDict, "sets an item of"), {key, value});
        break;
      }
      case 'u': {  // SETITEMS
        const std::vector<std::size_t> values = pop_mark();
        set_items(container_on_top(PickleKind::kDict, "sets an item of"), values);
        break;
      }
      case 'q':  // BINPUT
        memo_put(read_uint(1));
        break;
      case 'r':  // LONG_BINPUT
        memo_put(read_uint(4));
        break;
      case 0x94:  // MEMOIZE
        memo_put(memo_.size());
        break;
      case 'h':  // BINGET
        push(memo_get(read_uint(1)));
        break;
      case 'j':  // LONG_BINGET
        push(memo_get(read_uint(4)));
        break;
      case 'c': {  // GLOBAL
        std::string module = read_line();
        push_global(module + " " + read_line());
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        const std::size_t name = pop();
        const std::size_t module = pop();
        if (pickle_.kind(name) != PickleKind::kString ||
            pickle_.kind(module) != PickleKind::kString) {
          fail("expects two strings");
        }
        push_global(pickle_.node(module).text + " " + pickle_.node(name).text);
        break;
      }
      case 'R':     // REDUCE
      case 0x81: {  // NEWOBJ
        const std::size_t arguments = pop();
        const std::size_t callee = pop();
        push(call(callee, arguments));
        break;
      }
      case 'Q':  // BINPERSID
        push(persistent_load(pop()));
        break;
      case 'b':  // BUILD
        build();
        break;
      default:
        unsupported();
    }
  }

  std::span<const std::uint8_t> read(std::size_t count) {
    if (count > bytes_.size() - pos_) {
      throw InputError(where() + "truncated: opcode " + opcode_text(op_) + " at byte " +
                       std::to_string(op_position_) + " runs past the end");
    }
    const auto out = bytes_.subspan(pos_, count);
    pos_ += count;
    return out;
  }
  std::uint8_t read_u8() { return read(1)[0]; }
  // A little-endian unsigned integer of `width` bytes.
  std::uint64_t read_uint(std::size_t width) {
    std::uint64_t value = 0;
    const auto raw = read(width);
    for (std::size_t i = 0; i < width; ++i) value |= std::uint64_t{raw[i]} << (8 * i);
    return value;
  }
  std::string read_line() {
    const auto rest = bytes_.subspan(pos_);
    const auto newline = std::find(rest.begin(), rest.end(), '\n');
    if (newline == rest.end() || std::size_t(newline - rest.begin()) > kMaxGlobalName) {
      fail("has no name line");
    }
    std::string line(rest.begin(), newline);
    pos_ += line.size() + 1;
    return line;
  }

  std::size_t add(PickleKind kind) {
    PickleNode node;
    node.kind = kind;
    return pickle_.add(std::move(node));
  }
  std::size_t sequence(PickleKind kind, std::vector<std::size_t> items) {
    PickleNode node;
    node.kind = kind;
    node.items = std::move(items);
    return pickle_.add(std::move(node));
  }

  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(std::size_t index) { stack_.push_back(index); }
  std::size_t pop() {
    if (stack_.size() <= floor()) fail("finds the stack empty");
    const std::size_t index = stack_.back();
    stack_.pop_back();
    return index;
  }
  std::size_t top() const {
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

  void push_text(PickleKind kind, std::uint64_t length) {
    const auto raw = read(static_cast<std::size_t>(std::min<std::uint64_t>(length, SIZE_MAX)));
    PickleNode node;
    node.kind = kind;
    node.text.assign(raw.begin(), raw.end());
    push(pickle_.add(std::move(node)));
  }
  void push_int(std::int64_t value) {
    PickleNode node;
    node.kind = PickleKind::kInt;
    node.integer = value;
    push(pickle_.add(std::move(node)));
  }
  // LONG1 / LONG4: a little-endian two's complement integer of `length` bytes.
  void push_long(std::uint64_t length) {
    if (length > kMaxLongBytes) fail("holds an integer wider than 64 bits");
    const auto raw = read(static_cast<std::size_t>(length));
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) value |= std::uint64_t{raw[i]} << (8 * i);
    if (!raw.empty() && raw.size() < 8 && (raw.back() & 0x80) != 0) {
      value |= ~std::uint64_t{0} << (8 * raw.size());  // sign-extend
    }
    push_int(static_cast<std::int64_t>(value));
  }
  void push_global(std::string name) {
    if (rules_.allow_global && !rules_.allow_global(name)) {
      throw InputError(where() + "refuses global '" + name + "' at byte " +
                       std::to_string(op_position_) +
                       (rules_.allowed_globals.empty() ? "" : ": " + rules_.allowed_globals));
    }
    PickleNode node;
    node.kind = PickleKind::kGlobal;
    node.text = std::move(name);
    push(pickle_.add(std::move(node)));
  }

  std::size_t container_on_top(PickleKind kind, const char* verb) const {
    const std::size_t index = top();
    if (pickle_.kind(index) != kind) {
      fail(std::string(verb) + " a " + pickle_kind_name(pickle_.kind(index)) + ", not a " +
           pickle_kind_name(kind));
    }
    return index;
  }
  void set_items(std::size_t dict, const std::vector<std::size_t>& values) {
    if (values.size() % 2 != 0) fail("has a key without a value");
    for (std::size_t i = 0; i < values.size(); i += 2) {
      if (!pickle_.set_item(dict, values[i], values[i + 1])) fail("uses an unhashable dict key");
    }
  }

  void memo_put(std::uint64_t key) {
    if (stack_.empty()) fail("memoizes an empty stack");
    memo_[key] = stack_.back();
  }
  std::size_t memo_get(std::uint64_t key) const {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail("reads memo entry " + std::to_string(key) + ", never stored");
    return it->second;
  }

  std::size_t call(std::size_t callee, std::size_t arguments) {
    if (pickle_.kind(callee) != PickleKind::kGlobal) fail("calls an object that is not a global");
    const std::string name = pickle_.node(callee).text;
    if (pickle_.kind(arguments) != PickleKind::kTuple) {
      fail("calls " + name + " without an argument tuple");
    }
    if (name == "collections OrderedDict") return ordered_dict(arguments);
    if (const auto builtin = builtin_call(name, arguments)) return *builtin;
    if (rules_.call) {
      if (const auto result = rules_.call(*this, name, arguments)) return *result;
    }
    if (!rules_.opaque_objects) fail("calls '" + name + "', which cannot be called");
    return sequence(PickleKind::kObject, {callee, arguments});
  }

  // How protocols 2 and 3 write sets, frozensets, bytes and bytearrays: calls of builtins.
  std::optional<std::size_t> builtin_call(const std::string& name, std::size_t arguments) {
    const std::vector<std::size_t> items = pickle_.node(arguments).items;
    const bool builtins = name.starts_with("builtins ") || name.starts_with("__builtin__ ");
    const std::string callee = name.substr(name.find(' ') + 1);
    if (rules_.sets && builtins && (callee == "set" || callee == "frozenset")) {
      if (items.empty()) return add(PickleKind::kSet);
      if (items.size() != 1 || pickle_.kind(items[0]) != PickleKind::kList) {
        fail("builds a set from something other than a list");
      }
      return sequence(PickleKind::kSet, pickle_.node(items[0]).items);
    }
    if (!rules_.bytes) return std::nullopt;
    if (name == "_codecs encode" || (builtins && callee == "bytearray")) {
      if (items.empty() && callee == "bytearray") return push_bytes({});
      if (items.size() == 1 && pickle_.kind(items[0]) == PickleKind::kBytes) {
        return push_bytes(pickle_.node(items[0]).text);
      }
      // (text, 'latin1'): each character below 256 is one byte.
      if (items.size() != 2 || pickle_.kind(items[0]) != PickleKind::kString ||
          pickle_.kind(items[1]) != PickleKind::kString ||
          (pickle_.node(items[1]).text != "latin1" && pickle_.node(items[1]).text != "latin-1")) {
        fail("calls " + name + " with other than (text, 'latin1')");
      }
      return push_bytes(latin1(pickle_.node(items[0]).text));
    }
    return std::nullopt;
  }

  std::size_t push_bytes(std::string bytes) {
    PickleNode node;
    node.kind = PickleKind::kBytes;
    node.text = std::move(bytes);
    return pickle_.add(std::move(node));
  }

  // The Latin-1 bytes of UTF-8 text whose characters are all below U+0100.
  std::string latin1(const std::string& utf8) const {
    std::string out;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
      const auto lead = static_cast<unsigned char>(utf8[i]);
      if (lead < 0x80) {
        out += static_cast<char>(lead);
      } else if ((lead == 0xc2 || lead == 0xc3) && i + 1 < utf8.size() &&
                 (static_cast<unsigned char>(utf8[i + 1]) & 0xc0) == 0x80) {
        out += static_cast<char>(((lead & 0x03) << 6) |
                                 (static_cast<unsigned char>(utf8[i + 1]) & 0x3f));
        ++i;
      } else {
        fail("encodes a character beyond Latin-1 as bytes");
      }
    }
    return out;
  }

  // OrderedDict() or OrderedDict(pairs).
  std::size_t ordered_dict(std::size_t arguments) {
    const std::vector<std::size_t> items = pickle_.node(arguments).items;
    if (items.size() > 1) {
      fail("calls collections OrderedDict with " + std::to_string(items.size()) + " arguments");
    }
    const std::size_t dict = add(PickleKind::kDict);
    if (items.empty()) return dict;
    const PickleKind pairs_kind = pickle_.kind(items[0]);
    if (pairs_kind != PickleKind::kList && pairs_kind != PickleKind::kTuple) {
      fail("builds an OrderedDict from something other than a list of pairs");
    }
    std::vector<std::size_t> flat;
    for (std::size_t pair : pickle_.node(items[0]).items) {
      const PickleNode& node = pickle_.node(pair);
      if ((node.kind != PickleKind::kTuple && node.kind != PickleKind::kList) ||
          node.items.size() != 2) {
        fail("builds an OrderedDict from an item that is not a pair");
      }
      flat.push_back(node.items[0]);
      flat.push_back(node.items[1]);
    }
    set_items(dict, flat);
    return dict;
  }

  std::size_t persistent_load(std::size_t id) {
    if (rules_.persistent_load) return rules_.persistent_load(*this, id);
    if (!rules_.opaque_objects) unsupported();
    return sequence(PickleKind::kPersistent, {id});
  }

  void build() {
    const std::size_t state = pop();
    const std::size_t object = top();
    const PickleKind kind = pickle_.kind(object);
    if (kind != PickleKind::kDict && kind != PickleKind::kObject) {
      fail(std::string("sets the state of a ") + pickle_kind_name(kind));
    }
    pickle_.node(object).state = state;
    if (rules_.built) rules_.built(*this, object);
  }

  std::span<const std::uint8_t> bytes_;
  const PickleRules& rules_;
  Pickle pickle_;
  std::size_t pos_ = 0;
  std::size_t op_position_ = 0;
  std::uint8_t op_ = 0;
  std::vector<std::size_t> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, std::size_t> memo_;
};

}  // namespace

Pickle read_pickle(std::span<const std::uint8_t> bytes, const std::string& source,
                   const PickleRules& rules) {
  return Machine(bytes, source, rules).run();
}

}  // namespace brainalign::io
