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
// with the state (version, shape, dtype, is_fortran, raw bytes).
bool is_reconstruct(const std::string& global) {
  return global == "numpy.core.multiarray _reconstruct" ||
         global == "numpy._core.multiarray _reconstruct";
}

class ArrayDict {
 public:
  explicit ArrayDict(std::string source) : source_(std::move(source)) {}

  static PickleRules rules() {
    PickleRules rules;
    rules.context = "not a pickled dict of NumPy arrays";
    rules.bytes = true;
    rules.allow_global = [](const std::string& global) {
      return is_reconstruct(global) || global == kDtype || global == "numpy ndarray" ||
             global == "_codecs encode";
    };
    rules.allowed_globals = "only NumPy's ndarray reconstruction and dtypes are allowed";
    rules.opaque_objects = true;  // the arrays and dtypes, decoded once the pickle is read
    return rules;
  }

  NamedArrays take(const Pickle& pickle) const {
    if (pickle.kind(pickle.root()) != PickleKind::kDict) {
      fail("", std::string("the pickle is a ") + pickle_kind_name(pickle.kind(pickle.root())) +
                   ", not a dict of arrays");
    }
    NamedArrays out;
    for (const auto& [key, value] : pickle.node(pickle.root()).entries) {
      if (pickle.kind(key) != PickleKind::kString) fail("", "a key is not a string");
      const std::string& name = pickle.node(key).text;
      out.emplace_back(name, array(pickle, name, value));
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw InputError(source_ + (key.empty() ? "" : ": key '" + key + "'") + ": " + what);
  }

  static std::string callee(const Pickle& pickle, std::size_t object) {
    const PickleNode& node = pickle.node(object);
    if (node.kind != PickleKind::kObject) return {};
    return pickle.node(node.items[0]).text;
  }

  NumericArray array(const Pickle& pickle, const std::string& key, std::size_t value) const {
    if (!is_reconstruct(callee(pickle, value))) {
      fail(key,
           std::string("expected a NumPy array, found a ") +
               (pickle.kind(value) == PickleKind::kObject ? "call of " + callee(pickle, value)
                                                          : pickle_kind_name(pickle.kind(value))));
    }
    const std::optional<std::size_t> state = pickle.node(value).state;
    if (!state || pickle.kind(*state) != PickleKind::kTuple ||
        pickle.node(*state).items.size() != 5) {
      fail(key, "the array has no (version, shape, dtype, order, data) state");
    }
    const auto& items = pickle.node(*state).items;
    const PickleNode& shape_node = pickle.node(items[1]);
    if (shape_node.kind != PickleKind::kTuple) fail(key, "the array's shape is not a tuple");
    NumericArray out;
    std::uint64_t count = 1;
    for (const std::size_t extent : shape_node.items) {
      if (pickle.kind(extent) != PickleKind::kInt || pickle.node(extent).integer < 0)
        fail(key, "the array's shape holds a negative or non-integer extent");
      out.shape.push_back(static_cast<std::size_t>(pickle.node(extent).integer));
      count *= out.shape.back();
      if (count > (std::uint64_t{1} << 40)) fail(key, "the array is too large");
    }
    const auto [code, width] = dtype(pickle, key, items[2]);
    const PickleNode& fortran = pickle.node(items[3]);
    if (fortran.kind != PickleKind::kBool && fortran.kind != PickleKind::kInt)
      fail(key, "the array's order flag is not a bool");
    const PickleNode& data = pickle.node(items[4]);
    if (data.kind != PickleKind::kBytes && data.kind != PickleKind::kString)
      fail(key, "the array's data is not bytes (an object array?)");
    if (data.text.size() != count * width) {
      fail(key, "the array's data has " + std::to_string(data.text.size()) + " bytes, expected " +
                    std::to_string(count * width) + " for its shape and dtype");
    }
    std::vector<double> values(static_cast<std::size_t>(count));
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.text.data());
    static_assert(std::endian::native == std::endian::little, "little-endian hosts only");
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = decode(code, width, bytes + i * width);
    const bool is_fortran = fortran.kind == PickleKind::kBool ? fortran.boolean : fortran.integer;
    out.values = is_fortran ? to_c_order(values, out.shape) : std::move(values);
    return out;
  }

  // The dtype's kind and size ("f4" -> {'f', 4}); little-endian (or byte-sized) only.
  std::pair<char, std::size_t> dtype(const Pickle& pickle, const std::string& key,
                                     std::size_t node) const {
    if (callee(pickle, node) != kDtype) fail(key, "the array has no NumPy dtype");
    const PickleNode& args = pickle.node(pickle.node(node).items[1]);
    const std::string code = args.items.empty() || pickle.kind(args.items[0]) != PickleKind::kString
                                 ? ""
                                 : pickle.node(args.items[0]).text;
    static const std::vector<std::string> kCodes = {"f2", "f4", "f8", "i1", "i2", "i4",
                                                    "i8", "u1", "u2", "u4", "u8", "b1"};
    if (std::find(kCodes.begin(), kCodes.end(), code) == kCodes.end()) {
      fail(key, "the array's dtype '" + code +
                    "' is not a number type (float16/32/64, (u)int8..64 or bool)");
    }
    const std::size_t width = static_cast<std::size_t>(code[1] - '0');
    const std::optional<std::size_t> state = pickle.node(node).state;
    std::string order;
    if (state && pickle.kind(*state) == PickleKind::kTuple &&
        pickle.node(*state).items.size() >= 2 &&
        pickle.kind(pickle.node(*state).items[1]) == PickleKind::kString) {
      order = pickle.node(pickle.node(*state).items[1]).text;
    }
    if (order != "<" && !(width == 1 && order == "|"))
      fail(key,
           "the array's dtype '" + code + "' is not little-endian (byte order '" + order + "')");
    return {code[0], width};
  }

  static double half_to_double(std::uint16_t h) {
    const int exponent = (h >> 10) & 0x1f;
    const int mantissa = h & 0x3ff;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exponent == 0) return sign * std::ldexp(mantissa, -24);
    if (exponent == 31) return mantissa ? std::nan("") : sign * HUGE_VAL;
    return sign * std::ldexp(mantissa + 1024, exponent - 25);
  }

  template <typename T>
  static double load(const unsigned char* p) {
    T value;
    std::memcpy(&value, p, sizeof value);
    return static_cast<double>(value);
  }

  static double decode(char kind, std::size_t width, const unsigned char* p) {
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

  static std::vector<double> to_c_order(const std::vector<double>& fortran,
                                        const std::vector<std::size_t>& shape) {
    std::vector<double> out(fortran.size());
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

  std::string source_;
};

}  // namespace

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
