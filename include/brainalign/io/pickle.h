// Python pickles read without Python. One strict interpreter of the binary pickle protocols
// (2 to 5) builds an object graph; what a global, a call, a BUILD or a persistent id may do is
// decided by the caller's PickleRules, so each file format (torch.save checkpoints, joblib
// arrays, HEAR label lists, the look into a checkpoint that recognises its model family) states
// exactly which Python objects it accepts. Nothing from the file is ever executed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace brainalign::io {

enum class PickleKind {
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kBytes,
  kList,
  kTuple,
  kDict,
  kSet,
  // A global named by GLOBAL or STACK_GLOBAL: text is "module qualname".
  kGlobal,
  // A call the rules left unresolved: items = {callee, arguments}, state set by BUILD.
  kObject,
  // A persistent id the rules left unresolved: items = {id}.
  kPersistent,
  // A value the caller keeps outside the graph (a tensor, a storage): `external` indexes the
  // caller's table, text names what it is for messages.
  kExternal,
};

// "dict", "tuple", ...
const char* pickle_kind_name(PickleKind kind);

struct PickleNode {
  PickleKind kind = PickleKind::kNone;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0.0;
  std::string text;                // string or bytes value, global name, external label
  std::vector<std::size_t> items;  // list, tuple and set elements; see PickleKind
  std::vector<std::pair<std::size_t, std::size_t>> entries;  // dict entries, in order
  std::optional<std::size_t> state;                          // set by BUILD (dicts, objects)
  std::size_t external = 0;
};

// The objects of one pickle. Nodes are never moved once added, so references to them stay valid
// while more are added.
class Pickle {
 public:
  explicit Pickle(std::string source) : source_(std::move(source)) {}

  // The file (or record) the pickle came from, for messages.
  const std::string& source() const { return source_; }
  // The value the pickle returns (valid once read_pickle returns).
  std::size_t root() const { return root_; }
  std::size_t size() const { return nodes_.size(); }
  const PickleNode& node(std::size_t index) const { return nodes_[index]; }
  PickleKind kind(std::size_t index) const { return nodes_[index].kind; }

  // The value of a dict's entry with this string key.
  std::optional<std::size_t> find(std::size_t dict, std::string_view key) const;

  // Used while reading: a new node, and the entries of a dict (a repeated string or integer key
  // replaces the earlier value, as in Python). Returns false for an unhashable key.
  std::size_t add(PickleNode node);
  PickleNode& node(std::size_t index) { return nodes_[index]; }
  bool set_item(std::size_t dict, std::size_t key, std::size_t value);
  void set_root(std::size_t root) { root_ = root; }

 private:
  struct Keys {
    std::unordered_map<std::string, std::size_t> strings;  // entry position by key
    std::unordered_map<std::int64_t, std::size_t> integers;
  };
  std::string source_;
  std::deque<PickleNode> nodes_;
  std::unordered_map<std::size_t, Keys> keys_;  // by dict node
  std::size_t root_ = 0;
};

// What a rule sees while the pickle runs: the objects so far, the bytes after the current
// opcode, and a way to fail that names the file, the opcode and its byte.
class PickleContext {
 public:
  virtual ~PickleContext() = default;
  virtual Pickle& objects() = 0;
  // InputError "<source>: <context>: opcode <op> at byte <n> <what>".
  [[noreturn]] virtual void fail(const std::string& what) const = 0;
  // Consumes `count` raw bytes of the stream right after the current opcode (data that a
  // reducer reads itself, as joblib's arrays). InputError when the stream is shorter.
  virtual std::span<const std::uint8_t> read_raw(std::size_t count) = 0;
};

struct PickleRules {
  // Names the pickle in every message, after the source: "data.pkl", "not a joblib array".
  std::string context;
  // Value kinds beyond None, bool, int, float, str, list, tuple and dict that the caller
  // accepts; the opcodes that make others are refused as unsupported. Accepted, they are also
  // read from the calls protocols 2 and 3 write for them (builtins.set, builtins.frozenset,
  // builtins.bytearray, _codecs.encode), when the rules allow those globals.
  bool bytes = false;
  bool sets = false;
  // Whether a global ("module qualname") may be named; unset allows every global.
  std::function<bool(const std::string& global)> allow_global;
  // Appended to the message refusing a global ("only ... are allowed").
  std::string allowed_globals;
  // REDUCE and NEWOBJ of an allowed global other than collections.OrderedDict (always a dict)
  // and the builtins above:
  // the node that stands for the call's result, or nullopt to leave it an opaque kObject when
  // `opaque_objects`, else the call is refused.
  std::function<std::optional<std::size_t>(PickleContext&, const std::string& callee,
                                           std::size_t arguments)>
      call;
  bool opaque_objects = false;
  // BINPERSID: the node for a persistent id; unset leaves a kPersistent node when
  // `opaque_objects`, else the opcode is refused.
  std::function<std::size_t(PickleContext&, std::size_t id)> persistent_load;
  // BUILD after the state was recorded on a dict or an object (the object's state, an
  // OrderedDict's attributes); BUILD on any other kind fails.
  std::function<void(PickleContext&, std::size_t object)> built;
};

// Runs the pickle in `bytes` (the opcodes of protocols 2 to 5 that make values, memoise, call
// and build; not the text opcodes of protocols 0 and 1, extensions or out-of-band buffers).
// Throws InputError naming `source`, rules.context, the opcode and its byte for anything the
// rules refuse, a malformed or truncated stream, and a result that is not one value.
Pickle read_pickle(std::span<const std::uint8_t> bytes, const std::string& source,
                   const PickleRules& rules);

// Every string key of every dict in the pickle (nested dicts and objects' states included).
std::vector<std::string> pickle_dict_keys(const Pickle& pickle);

}  // namespace brainalign::io
