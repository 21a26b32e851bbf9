#include "brainalign/io/pickled_array.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/io/pickle.h"

namespace brainalign::io {
namespace {

constexpr const char* kWrapper = "joblib.numpy_pickle NumpyArrayWrapper";
constexpr const char* kDtype = "numpy dtype";

// joblib writes an array's values into the pickle stream right after the BUILD that gives its
// NumpyArrayWrapper a state; with `numpy_array_alignment_bytes` (joblib >= 1.2) they are
// preceded by one byte counting the padding bytes that follow it.
class JoblibVector {
 public:
  explicit JoblibVector(std::string source) : source_(std::move(source)) {}

  PickleRules rules() {
    PickleRules rules;
    rules.context = "not a joblib-pickled 1-D NumPy array";
    rules.allow_global = [](const std::string& global) {
      return global == kWrapper || global == kDtype || global == "numpy ndarray";
    };
    rules.allowed_globals = "only joblib's NumpyArrayWrapper and NumPy dtypes are allowed";
    rules.opaque_objects = true;  // the wrapper and the dtype, checked when built
    rules.built = [this](PickleContext& context, std::size_t object) { built(context, object); };
    return rules;
  }

  std::vector<double> take(const Pickle& pickle) {
    if (!read_) {
      throw InputError(source_ + ": not a joblib-pickled 1-D NumPy array (no NumpyArrayWrapper)");
    }
    if (callee(pickle, pickle.root()) != kWrapper) {
      throw InputError(source_ +
                       ": not a joblib-pickled 1-D NumPy array (the pickle is not the wrapper)");
    }
    return std::move(values_);
  }

 private:
  static std::string callee(const Pickle& pickle, std::size_t object) {
    const PickleNode& node = pickle.node(object);
    if (node.kind != PickleKind::kObject) return {};
    return pickle.node(node.items[0]).text;
  }

  static std::string string_at(const Pickle& pickle, std::size_t node) {
    return pickle.kind(node) == PickleKind::kString ? pickle.node(node).text : std::string();
  }

  void built(PickleContext& context, std::size_t object) {
    const Pickle& pickle = context.objects();
    if (callee(pickle, object) != kWrapper) return;  // a dtype's state, checked below
    if (read_) context.fail("builds a second array");
    const std::size_t state = *pickle.node(object).state;
    if (pickle.kind(state) != PickleKind::kDict) context.fail("gives the wrapper no dict state");
    const auto field = [&](const char* name) {
      const std::optional<std::size_t> value = pickle.find(state, name);
      if (!value) context.fail(std::string("gives the wrapper no '") + name + "'");
      return *value;
    };
    const PickleNode& shape = pickle.node(field("shape"));
    if (shape.kind != PickleKind::kTuple || shape.items.size() != 1 ||
        pickle.kind(shape.items[0]) != PickleKind::kInt ||
        pickle.node(shape.items[0]).integer < 0) {
      context.fail("holds an array whose shape is not (n,)");
    }
    const auto count = static_cast<std::uint64_t>(pickle.node(shape.items[0]).integer);
    if (string_at(pickle, field("order")) != "C") context.fail("holds an array not in C order");
    // dtype: numpy.dtype('f8' or 'i8', False, True) built with the state (3, '<', ...).
    const std::size_t dtype = field("dtype");
    if (callee(pickle, dtype) != kDtype) context.fail("holds an array without a NumPy dtype");
    const PickleNode& dtype_args = pickle.node(pickle.node(dtype).items[1]);
    const std::string code = dtype_args.items.empty() ? "" : string_at(pickle, dtype_args.items[0]);
    if (code != "f8" && code != "i8") context.fail("holds an array whose dtype is not f8 or i8");
    const std::optional<std::size_t> dtype_state = pickle.node(dtype).state;
    if (!dtype_state || pickle.kind(*dtype_state) != PickleKind::kTuple ||
        pickle.node(*dtype_state).items.size() < 2 ||
        string_at(pickle, pickle.node(*dtype_state).items[1]) != "<") {
      context.fail("holds an array whose byte order is not little-endian");
    }
    const std::optional<std::size_t> alignment = pickle.find(state, "numpy_array_alignment_bytes");
    if (alignment && pickle.kind(*alignment) != PickleKind::kNone) {
      const std::uint8_t padding = context.read_raw(1)[0];
      context.read_raw(padding);
    }
    if (count > (std::uint64_t{1} << 40))
      context.fail("holds an array of " + std::to_string(count));
    const auto data = context.read_raw(static_cast<std::size_t>(count) * 8);
    static_assert(std::endian::native == std::endian::little, "little-endian hosts only");
    values_.resize(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < values_.size(); ++i) {
      if (code == "f8") {
        std::memcpy(&values_[i], data.data() + 8 * i, 8);
      } else {
        std::int64_t v = 0;
        std::memcpy(&v, data.data() + 8 * i, 8);
        values_[i] = static_cast<double>(v);
      }
    }
    read_ = true;
  }

  std::string source_;
  std::vector<double> values_;
  bool read_ = false;
};

// NumPy's own reduction of an ndarray (pickle.dump): _reconstruct(ndarray, (0,), b'b') built
// with the state (version, shape, dtype, is_fortran, raw bytes or, for object arrays, a list).
bool is_reconstruct(const std::string& global) {
  return global == "numpy.core.multiarray _reconstruct" ||
         global == "numpy._core.multiarray _reconstruct";
}

// Protocol 5's reduction: _frombuffer(buffer, dtype, shape, order).
bool is_frombuffer(const std::string& global) {
  return global == "numpy.core.numeric _frombuffer" || global == "numpy._core.numeric _frombuffer";
}

std::string callee_of(const Pickle& pickle, std::size_t object) {
  const PickleNode& node = pickle.node(object);
  if (node.kind != PickleKind::kObject || node.items.empty()) return {};
  return pickle.node(node.items[0]).text;
}

[[noreturn]] void array_fail(const std::string& what, const std::string& detail) {
  throw InputError(what + ": " + detail);
}

double half_to_double(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  if (exponent == 31) return mantissa ? std::nan("") : sign * HUGE_VAL;
  return sign * std::ldexp(mantissa + 1024, exponent - 25);
}

template <typename T>
double load(const unsigned char* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return static_cast<double>(value);
}

double decode(char kind, std::size_t width, const unsigned char* p) {
  if (kind == 'f') {
    if (width == 2) {
      std::uint16_t h = 0;
      std::memcpy(&h, p, 2);
      return half_to_double(h);
    }
    return width == 4 ? load<float>(p) : load<double>(p);
  }
  if (kind == 'b') return *p != 0 ? 1.0 : 0.0;
  if (kind == 'i') {
    if (width == 1) return load<std::int8_t>(p);
    if (width == 2) return load<std::int16_t>(p);
    if (width == 4) return load<std::int32_t>(p);
    return load<std::int64_t>(p);
  }
  if (width == 1) return load<std::uint8_t>(p);
  if (width == 2) return load<std::uint16_t>(p);
  if (width == 4) return load<std::uint32_t>(p);
  return load<std::uint64_t>(p);
}

template <typename T>
std::vector<T> to_c_order(const std::vector<T>& fortran, const std::vector<std::size_t>& shape) {
  std::vector<T> out(fortran.size());
  std::vector<std::size_t> index(shape.size(), 0);
  for (std::size_t c = 0; c < out.size(); ++c) {
    std::size_t f = 0, stride = 1;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      f += index[d] * stride;
      stride *= shape[d];
    }
    out[c] = fortran[f];
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

// The dtype's kind and size ("f4" -> {'f', 4}; "O8" -> {'O', 8}); little-endian (or
// byte-sized) only.
std::pair<char, std::size_t> array_dtype(const Pickle& pickle, const std::string& what,
                                         std::size_t node) {
  if (callee_of(pickle, node) != kDtype) array_fail(what, "the array has no NumPy dtype");
  const PickleNode& args = pickle.node(pickle.node(node).items[1]);
  const std::string code = args.items.empty() || pickle.kind(args.items[0]) != PickleKind::kString
                               ? ""
                               : pickle.node(args.items[0]).text;
  static const std::vector<std::string> kCodes = {"f2", "f4", "f8", "i1", "i2", "i4", "i8",
                                                  "u1", "u2", "u4", "u8", "b1", "O8"};
  if (std::find(kCodes.begin(), kCodes.end(), code) == kCodes.end()) {
    array_fail(what, "the array's dtype '" + code +
                         "' is not a number type (float16/32/64, (u)int8..64 or bool)");
  }
  const std::size_t width = static_cast<std::size_t>(code[1] - '0');
  if (code[0] == 'O') return {'O', width};
  const std::optional<std::size_t> state = pickle.node(node).state;
  std::string order;
  if (state && pickle.kind(*state) == PickleKind::kTuple && pickle.node(*state).items.size() >= 2 &&
      pickle.kind(pickle.node(*state).items[1]) == PickleKind::kString) {
    order = pickle.node(pickle.node(*state).items[1]).text;
  }
  if (order != "<" && !(width == 1 && order == "|"))
    array_fail(
        what, "the array's dtype '" + code + "' is not little-endian (byte order '" + order + "')");
  return {code[0], width};
}

std::vector<std::size_t> array_shape(const Pickle& pickle, const std::string& what,
                                     std::size_t node, std::uint64_t& count) {
  const PickleNode& shape_node = pickle.node(node);
  if (shape_node.kind != PickleKind::kTuple) array_fail(what, "the array's shape is not a tuple");
  std::vector<std::size_t> shape;
  count = 1;
  for (const std::size_t extent : shape_node.items) {
    if (pickle.kind(extent) != PickleKind::kInt || pickle.node(extent).integer < 0)
      array_fail(what, "the array's shape holds a negative or non-integer extent");
    shape.push_back(static_cast<std::size_t>(pickle.node(extent).integer));
    count *= shape.back();
    if (count > (std::uint64_t{1} << 40)) array_fail(what, "the array is too large");
  }
  return shape;
}

class ArrayDict {
 public:
  explicit ArrayDict(std::string source) : source_(std::move(source)) {}

  static PickleRules rules() {
    PickleRules rules;
    rules.context = "not a pickled dict of NumPy arrays";
    rules.bytes = true;
    rules.allow_global = is_numpy_array_global;
    rules.allowed_globals = "only NumPy's ndarray reconstruction and dtypes are allowed";
    rules.opaque_objects = true;  // the arrays and dtypes, decoded once the pickle is read
    return rules;
  }

  NamedArrays take(const Pickle& pickle) const {
    if (pickle.kind(pickle.root()) != PickleKind::kDict) {
      throw InputError(source_ + ": the pickle is a " +
                       pickle_kind_name(pickle.kind(pickle.root())) + ", not a dict of arrays");
    }
    NamedArrays out;
    for (const auto& [key, value] : pickle.node(pickle.root()).entries) {
      if (pickle.kind(key) != PickleKind::kString)
        throw InputError(source_ + ": a key is not a string");
      const std::string& name = pickle.node(key).text;
      const std::string what = source_ + ": key '" + name + "'";
      PickledNumpyArray array = pickled_numpy_array(pickle, value, what);
      if (array.is_object) array_fail(what, "the array's data is not bytes (an object array?)");
      out.emplace_back(name, NumericArray{std::move(array.shape), std::move(array.values)});
    }
    return out;
  }

 private:
  std::string source_;
};

}  // namespace

bool is_numpy_array_global(const std::string& global) {
  return is_reconstruct(global) || is_frombuffer(global) || global == kDtype ||
         global == "numpy ndarray" || global == "_codecs encode";
}

PickledNumpyArray pickled_numpy_array(const Pickle& pickle, std::size_t value,
                                      const std::string& what) {
  const std::string callee = callee_of(pickle, value);
  PickledNumpyArray out;
  static_assert(std::endian::native == std::endian::little, "little-endian hosts only");
  if (is_frombuffer(callee)) {
    // _frombuffer(buffer, dtype, shape, order): the values are the buffer's bytes.
    const PickleNode& args = pickle.node(pickle.node(value).items[1]);
    if (args.kind != PickleKind::kTuple || args.items.size() != 4)
      array_fail(what, "the array's _frombuffer call has no (buffer, dtype, shape, order)");
    std::uint64_t count = 0;
    out.shape = array_shape(pickle, what, args.items[2], count);
    const auto [code, width] = array_dtype(pickle, what, args.items[1]);
    out.kind = code;
    out.width = width;
    if (code == 'O') array_fail(what, "an object array cannot come from a buffer");
    const PickleNode& data = pickle.node(args.items[0]);
    if (data.kind != PickleKind::kBytes) array_fail(what, "the array's buffer is not bytes");
    if (data.text.size() != count * width)
      array_fail(what, "the array's data has " + std::to_string(data.text.size()) +
                           " bytes, expected " + std::to_string(count * width) +
                           " for its shape and dtype");
    const PickleNode& order = pickle.node(args.items[3]);
    if (order.kind != PickleKind::kString || (order.text != "C" && order.text != "F"))
      array_fail(what, "the array's order is not 'C' or 'F'");
    std::vector<double> values(static_cast<std::size_t>(count));
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.text.data());
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = decode(code, width, bytes + i * width);
    out.values = order.text == "F" ? to_c_order(values, out.shape) : std::move(values);
    return out;
  }
  if (!is_reconstruct(callee)) {
    array_fail(what, std::string("expected a NumPy array, found a ") +
                         (pickle.kind(value) == PickleKind::kObject
                              ? "call of " + callee
                              : pickle_kind_name(pickle.kind(value))));
  }
  const std::optional<std::size_t> state = pickle.node(value).state;
  if (!state || pickle.kind(*state) != PickleKind::kTuple ||
      pickle.node(*state).items.size() != 5) {
    array_fail(what, "the array has no (version, shape, dtype, order, data) state");
  }
  const auto& items = pickle.node(*state).items;
  std::uint64_t count = 0;
  out.shape = array_shape(pickle, what, items[1], count);
  const auto [code, width] = array_dtype(pickle, what, items[2]);
  out.kind = code;
  out.width = width;
  const PickleNode& fortran = pickle.node(items[3]);
  if (fortran.kind != PickleKind::kBool && fortran.kind != PickleKind::kInt)
    array_fail(what, "the array's order flag is not a bool");
  const bool is_fortran = fortran.kind == PickleKind::kBool ? fortran.boolean : fortran.integer;
  const PickleNode& data = pickle.node(items[4]);
  if (code == 'O') {
    // An object array: its elements, as Python values of the pickle.
    if (data.kind != PickleKind::kList || data.items.size() != count)
      array_fail(what,
                 "the object array's data is not a list of " + std::to_string(count) + " values");
    out.is_object = true;
    out.objects = is_fortran ? to_c_order(data.items, out.shape) : data.items;
    return out;
  }
  if (data.kind != PickleKind::kBytes && data.kind != PickleKind::kString)
    array_fail(what, "the array's data is not bytes (an object array?)");
  if (data.text.size() != count * width) {
    array_fail(what, "the array's data has " + std::to_string(data.text.size()) +
                         " bytes, expected " + std::to_string(count * width) +
                         " for its shape and dtype");
  }
  std::vector<double> values(static_cast<std::size_t>(count));
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.text.data());
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = decode(code, width, bytes + i * width);
  out.values = is_fortran ? to_c_order(values, out.shape) : std::move(values);
  return out;
}

NamedArrays parse_pickled_array_dict(std::span<const std::uint8_t> bytes,
                                     const std::string& source) {
  const Pickle pickle = read_pickle(bytes, source, ArrayDict::rules());
  return ArrayDict(source).take(pickle);
}

NamedArrays read_pickled_array_dict(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  return parse_pickled_array_dict(bytes, path.string());
}

std::vector<double> parse_joblib_vector(std::span<const std::uint8_t> bytes,
                                        const std::string& source) {
  JoblibVector vector(source);
  const Pickle pickle = read_pickle(bytes, source, vector.rules());
  return vector.take(pickle);
}

std::vector<double> read_joblib_vector(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  return parse_joblib_vector(bytes, path.string());
}

}  // namespace brainalign::io
