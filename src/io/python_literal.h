// A parser for the Python literals that .npy headers contain (the repr of a dict of strings,
// booleans, integers, tuples and lists). Internal to the io module.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brainalign::io::detail {

struct PyValue {
  enum class Kind { kNone, kBool, kInt, kString, kTuple, kList, kDict };
  // Defined out of line: clang cannot instantiate them here, where `fields` holds an incomplete
  // PyValue inside std::pair.
  PyValue();
  ~PyValue();
  PyValue(const PyValue& other);
  PyValue(PyValue&& other) noexcept;
  PyValue& operator=(const PyValue& other);
  PyValue& operator=(PyValue&& other) noexcept;

  Kind kind = Kind::kNone;
  bool boolean = false;
  // Integers as text-checked unsigned magnitude and sign; shapes never need more than 64 bits.
  bool negative = false;
  std::uint64_t magnitude = 0;
  std::string text;                                     // kString, UTF-8
  std::vector<PyValue> items;                           // kTuple, kList
  std::vector<std::pair<std::string, PyValue>> fields;  // kDict, string keys in file order

  bool is_sequence() const { return kind == Kind::kTuple || kind == Kind::kList; }
  // The value of `key` in a dict, or nullptr.
  const PyValue* find(std::string_view key) const;
};

// Parses one literal spanning all of `text` (surrounding white space allowed). Throws
// std::invalid_argument with a description of what was expected and where.
PyValue parse_python_literal(std::string_view text);

// Python-like rendering (strings single-quoted), used to show structured descr lists.
std::string to_python_text(const PyValue& value);

}  // namespace brainalign::io::detail
