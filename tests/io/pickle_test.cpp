#include "brainalign/io/pickle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::contains;
using testing::ScratchDir;

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string hex(const std::string& bytes) {
  std::string out;
  char digits[3];
  for (unsigned char c : bytes) {
    std::snprintf(digits, sizeof digits, "%02x", c);
    out += digits;
  }
  return out;
}

// The same notation as `describe` in kDescribe below.
std::string describe(const Pickle& pickle, std::size_t index) {
  const PickleNode& node = pickle.node(index);
  const auto join = [&](const std::vector<std::size_t>& items) {
    std::string out;
    for (std::size_t item : items) out += describe(pickle, item) + ",";
    return out;
  };
  switch (node.kind) {
    case PickleKind::kNone:
      return "N";
    case PickleKind::kBool:
      return node.boolean ? "T" : "F";
    case PickleKind::kInt:
      return "i" + std::to_string(node.integer);
    case PickleKind::kFloat: {
      char bits[17];
      std::snprintf(bits, sizeof bits, "%016llx",
                    static_cast<unsigned long long>(std::bit_cast<std::uint64_t>(node.real)));
      return std::string("f") + bits;
    }
    case PickleKind::kString:
      return "s" + hex(node.text);
    case PickleKind::kBytes:
      return "b" + hex(node.text);
    case PickleKind::kList:
      return "[" + join(node.items) + "]";
    case PickleKind::kTuple:
      return "(" + join(node.items) + ")";
    case PickleKind::kSet:
      return "<" + join(node.items) + ">";
    case PickleKind::kDict: {
      std::string out = "{";
      for (const auto& [key, value] : node.entries) {
        out += describe(pickle, key) + ":" + describe(pickle, value) + ",";
      }
      return out + "}";
    }
    case PickleKind::kGlobal:
      return "g" + hex(node.text);
    case PickleKind::kObject: {
      std::string out = "O" + describe(pickle, node.items[0]) + describe(pickle, node.items[1]);
      if (node.state) out += "=" + describe(pickle, *node.state);
      return out;
    }
    case PickleKind::kPersistent:
      return "P" + describe(pickle, node.items[0]);
    case PickleKind::kExternal:
      return "X" + std::to_string(node.external);
  }
  return "?";
}

// Python's own description of a value, in the order pickle writes its parts.
constexpr const char* kDescribe = R"(
import argparse, collections, fractions, pickle, struct
def describe(v):
    j = lambda items: ''.join(describe(x) + ',' for x in items)
    if v is None: return 'N'
    if v is True: return 'T'
    if v is False: return 'F'
    if isinstance(v, int): return 'i%d' % v
    if isinstance(v, float): return 'f' + struct.pack('>d', v).hex()
    if isinstance(v, str): return 's' + v.encode().hex()
    if isinstance(v, (bytes, bytearray)): return 'b' + bytes(v).hex()
    if isinstance(v, list): return '[' + j(v) + ']'
    if isinstance(v, tuple): return '(' + j(v) + ')'
    if isinstance(v, (set, frozenset)): return '<' + j(v) + '>'
    if isinstance(v, dict):
        return '{' + ''.join(describe(k) + ':' + describe(x) + ',' for k, x in v.items()) + '}'
    raise TypeError(type(v))
)";

// Every value kind, at every binary protocol, compared with Python's own description.
TEST(Pickle, ReadsWhatPythonWrites) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), std::string(kDescribe) + R"(
shared = ['shared', 1]
values = [
    None, True, False, 0, 255, 256, 65535, 65536, -1, -70000, 2**31 - 1, -2**31, 2**31,
    2**62, -2**40, -2**63, 2**63 - 1, 0.5, -1e300, 1.0 / 3, float('inf'),
    '', 'gr\u00fc\u00df', 'x' * 300, [], (), {}, (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4),
    [shared, shared, (shared,)], {'a': 1, 2: 'b', 'a': 3, None: [1]},
    collections.OrderedDict([('z', 1), ('a', [2.5])]),
    [{'k%d' % i: i for i in range(n)} for n in range(5)],
    list(range(2000)), b'\x00\xffab', bytearray(b'xy'), {1, 'two'}, frozenset([3]),
]
for i, v in enumerate(values):
    open('v%d.txt' % i, 'w').write(describe(v))
    for protocol in (2, 3, 4, 5):
        pickle.dump(v, open('v%d_p%d.pkl' % (i, protocol), 'wb'), protocol=protocol)
open('count', 'w').write(str(len(values)))
)"));
  PickleRules rules;
  rules.bytes = true;
  rules.sets = true;
  const int count = std::stoi(read_text(dir / "count"));
  for (int i = 0; i < count; ++i) {
    const std::string expected = read_text(dir / ("v" + std::to_string(i) + ".txt"));
    for (int protocol = 2; protocol <= 5; ++protocol) {
      const std::string name = "v" + std::to_string(i) + "_p" + std::to_string(protocol) + ".pkl";
      const Pickle pickle = read_pickle(read_file(dir / name), name, rules);
      EXPECT_EQ(describe(pickle, pickle.root()), expected) << name;
    }
  }
}

// Memoised values are one node: a list stored twice is the same object, as in Python.
TEST(Pickle, SharesMemoisedObjects) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import pickle
shared = [1]
pickle.dump([shared, shared], open('shared.pkl', 'wb'), protocol=4)
)"));
  const Pickle pickle = read_pickle(read_file(dir / "shared.pkl"), "shared.pkl", {});
  const auto& items = pickle.node(pickle.root()).items;
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], items[1]);
}

TEST(Pickle, RefusesWhatTheRulesDoNotAllow) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import argparse, fractions, pickle
pickle.dump(b'abc', open('bytes.pkl', 'wb'), protocol=4)
pickle.dump({1, 2}, open('set.pkl', 'wb'), protocol=4)
pickle.dump({'x': fractions.Fraction(1, 3)}, open('call.pkl', 'wb'), protocol=2)
pickle.dump(argparse.Namespace(a=1, b='c'), open('object.pkl', 'wb'), protocol=4)
pickle.dump([1, 2], open('protocol0.pkl', 'wb'), protocol=0)
)"));
  const auto message = [&](const char* name, const PickleRules& rules) {
    try {
      read_pickle(read_file(dir / name), name, rules);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  PickleRules strict;
  strict.context = "strict";
  EXPECT_TRUE(contains(message("bytes.pkl", strict),
                       "bytes.pkl: strict: unsupported pickle opcode 0x43 ('C') at byte 11"));
  EXPECT_TRUE(contains(message("set.pkl", strict), "unsupported pickle opcode 0x8f"));
  // Protocol 0's text opcodes (PUT here) are not read.
  EXPECT_TRUE(contains(message("protocol0.pkl", strict), "unsupported pickle opcode 0x70 ('p')"));
  // Globals pass the rule first; without a call rule or opaque objects a call is refused.
  EXPECT_TRUE(contains(message("call.pkl", strict), "which cannot be called"));
  strict.allow_global = [](const std::string& global) { return global == "argparse Namespace"; };
  strict.allowed_globals = "only Namespace";
  EXPECT_TRUE(contains(message("call.pkl", strict), "refuses global 'fractions Fraction' at byte"));
  EXPECT_TRUE(contains(message("call.pkl", strict), ": only Namespace"));

  // Opaque objects keep the callee, its arguments and the state BUILD gave them.
  PickleRules opaque;
  opaque.opaque_objects = true;
  const Pickle object = read_pickle(read_file(dir / "object.pkl"), "object.pkl", opaque);
  const PickleNode& root = object.node(object.root());
  ASSERT_EQ(root.kind, PickleKind::kObject);
  EXPECT_EQ(object.node(root.items[0]).text, "argparse Namespace");
  ASSERT_TRUE(root.state.has_value());
  ASSERT_TRUE(object.find(*root.state, "b").has_value());
  EXPECT_EQ(object.node(*object.find(*root.state, "b")).text, "c");
  const std::vector<std::string> keys = pickle_dict_keys(object);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));

  // A call rule replaces the call by the node it returns.
  PickleRules calls;
  calls.call = [](PickleContext& context, const std::string& callee, std::size_t arguments) {
    EXPECT_EQ(callee, "fractions Fraction");
    EXPECT_EQ(context.objects().kind(arguments), PickleKind::kTuple);
    PickleNode value;
    value.kind = PickleKind::kFloat;
    value.real = 1.0 / 3;
    return std::optional<std::size_t>(context.objects().add(std::move(value)));
  };
  const Pickle called = read_pickle(read_file(dir / "call.pkl"), "call.pkl", calls);
  EXPECT_EQ(called.node(*called.find(called.root(), "x")).real, 1.0 / 3);
}

TEST(Pickle, HandsPersistentIdsToTheRules) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import pickle
class Writer(pickle.Pickler):
    def persistent_id(self, obj):
        return ('ref', obj.name) if isinstance(obj, Ref) else None
class Ref:
    def __init__(self, name): self.name = name
Writer(open('persistent.pkl', 'wb'), protocol=2).dump({'w': Ref('storage0'), 'n': 3})
)"));
  const std::vector<std::uint8_t> bytes = read_file(dir / "persistent.pkl");
  try {
    read_pickle(bytes, "persistent.pkl", {});
    ADD_FAILURE() << "a persistent id without a rule was accepted";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), "unsupported pickle opcode 0x51 ('Q')"));
  }
  PickleRules rules;
  std::string seen;
  rules.persistent_load = [&](PickleContext& context, std::size_t id) {
    const PickleNode& tuple = context.objects().node(id);
    seen = context.objects().node(tuple.items[1]).text;
    PickleNode external;
    external.kind = PickleKind::kExternal;
    external.external = 7;
    return context.objects().add(std::move(external));
  };
  const Pickle pickle = read_pickle(bytes, "persistent.pkl", rules);
  EXPECT_EQ(seen, "storage0");
  EXPECT_EQ(pickle.node(*pickle.find(pickle.root(), "w")).external, 7u);
}

// Every truncation of a valid pickle, and hand-made malformed streams, fail with an InputError
// naming the file.
TEST(Pickle, RejectsMalformedStreams) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import collections, pickle
value = {'a': [1, 2.5, 'x' * 40, (None, True)], 'b': collections.OrderedDict(c=2**40)}
pickle.dump(value, open('value.pkl', 'wb'), protocol=4)
)"));
  const std::vector<std::uint8_t> bytes = read_file(dir / "value.pkl");
  EXPECT_NO_THROW(read_pickle(bytes, "value.pkl", {}));
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    const std::span<const std::uint8_t> prefix(bytes.data(), size);
    EXPECT_THROW(read_pickle(prefix, "value.pkl", {}), InputError) << size << " bytes";
  }
  const auto message = [](const std::string& raw) {
    const std::vector<std::uint8_t> stream(raw.begin(), raw.end());
    try {
      read_pickle(stream, "hand.pkl", {});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_TRUE(contains(message(std::string("\x80\x02.", 3)), "ends with 0 values"));
  EXPECT_TRUE(contains(message(std::string("\x80\x09N.", 4)), "pickle protocol 9"));
  EXPECT_TRUE(contains(message("(N."), "open marks"));
  EXPECT_TRUE(contains(message("]K\x01K\x02s."), "sets an item of a list"));
  EXPECT_TRUE(contains(message("}]K\x01s."), "unhashable dict key"));
  EXPECT_TRUE(contains(message("h\x05."), "reads memo entry 5, never stored"));
  EXPECT_TRUE(contains(message("a."), "finds the stack empty"));
  EXPECT_TRUE(contains(message(std::string("\x8a\x09", 2) + std::string(9, '\x01') + "."),
                       "wider than 64 bits"));
  EXPECT_TRUE(contains(message("K\x01N\x86K\x02"
                               "b."),
                       "sets the state of a tuple"));
  EXPECT_TRUE(contains(message("X\xff\xff\xff\x7f"), "truncated: opcode 0x58 ('X') at byte 0"));
}

}  // namespace
}  // namespace brainalign::io
