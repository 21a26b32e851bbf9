#include "brainalign/io/pickled_array.h"

#include <bit>
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

}  // namespace

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
