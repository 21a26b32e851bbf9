#include "state_dict.h"

#include <cstring>

#include "brainalign/base/error.h"
#include "brainalign/neural/hidden_state.h"

namespace brainalign::neural {

namespace {

std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (d > 0) text += ", ";
    text += shape[d] < 0 ? std::string("*") : std::to_string(shape[d]);
  }
  return text + "]";
}

}  // namespace

StateDict::StateDict(const PickleValue& dict, std::string source) : source_(std::move(source)) {
  for (auto& [name, tensor] : tensor_dict(dict)) {
    order_.push_back(name);
    tensors_[name] = std::move(tensor);
  }
}

at::Tensor StateDict::get(const std::string& name, std::initializer_list<std::int64_t> shape) {
  return get(name, std::vector<std::int64_t>(shape));
}

at::Tensor StateDict::get(const std::string& name, const std::vector<std::int64_t>& shape) {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    throw InputError(source_ + ": tensor '" + name + "' is missing (expected shape " +
                     shape_text(shape) + ")");
  }
  const at::Tensor& tensor = it->second;
  bool matches = tensor.dim() == static_cast<std::int64_t>(shape.size());
  for (std::size_t d = 0; matches && d < shape.size(); ++d) {
    matches = shape[d] < 0 || tensor.size(static_cast<std::int64_t>(d)) == shape[d];
  }
  if (!matches) {
    throw InputError(source_ + ": tensor '" + name + "' has shape " + shape_text(tensor.sizes()) +
                     ", expected " + shape_text(shape) + " from the configuration");
  }
  if (!at::isFloatingType(tensor.scalar_type())) {
    throw InputError(source_ + ": tensor '" + name + "' holds " +
                     std::string(c10::toString(tensor.scalar_type())) + ", not floats");
  }
  used_.insert(name);
  return tensor.to(at::kFloat).contiguous();
}

std::vector<std::int64_t> StateDict::shape(const std::string& name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) throw InputError(source_ + ": tensor '" + name + "' is missing");
  return it->second.sizes().vec();
}

int StateDict::count(const std::string& prefix, const std::string& suffix) const {
  int n = 0;
  while (tensors_.contains(prefix + std::to_string(n) + suffix)) ++n;
  return n;
}

void StateDict::expect_all_used(std::initializer_list<std::string_view> ignored_prefixes) const {
  for (const std::string& name : order_) {
    if (used_.contains(name)) continue;
    bool ignored = false;
    for (std::string_view prefix : ignored_prefixes) ignored = ignored || name.starts_with(prefix);
    if (!ignored) {
      throw InputError(source_ + ": tensor '" + name +
                       "' is not part of the architecture the configuration describes");
    }
  }
}

LinearWeights load_linear(StateDict& state, const std::string& prefix, std::int64_t in,
                          std::int64_t out, bool with_bias) {
  LinearWeights linear;
  linear.weight = state.get(prefix + ".weight", {out, in});
  if (with_bias) linear.bias = state.get(prefix + ".bias", {out});
  return linear;
}

LayerNormWeights load_layer_norm(StateDict& state, const std::string& prefix, std::int64_t dim,
                                 double eps) {
  return LayerNormWeights{state.get(prefix + ".weight", {dim}), state.get(prefix + ".bias", {dim}),
                          eps};
}

at::Tensor to_float_tensor(const double* data, std::vector<std::int64_t> shape) {
  std::int64_t count = 1;
  for (std::int64_t extent : shape) count *= extent;
  at::Tensor values = at::empty({count}, at::kDouble);
  if (count > 0) {
    std::memcpy(values.data_ptr<double>(), data, static_cast<std::size_t>(count) * sizeof(double));
  }
  return values.to(at::kFloat).reshape(shape);
}

namespace {

[[noreturn]] void bad_config(const PickleValue& config, const char* key, const char* expected) {
  throw InputError(config.source() + ": configuration entry '" + key + "' is " +
                   config.at(key).repr() + ", expected " + expected);
}

}  // namespace

std::int64_t config_int(const PickleValue& config, const char* key, std::int64_t fallback) {
  if (!config.contains(key)) return fallback;
  const PickleValue value = config.at(key);
  if (value.kind() != PickleValue::Kind::kInt) bad_config(config, key, "an integer");
  return value.as_int();
}

double config_double(const PickleValue& config, const char* key, double fallback) {
  if (!config.contains(key)) return fallback;
  const PickleValue value = config.at(key);
  if (value.kind() != PickleValue::Kind::kInt && value.kind() != PickleValue::Kind::kFloat) {
    bad_config(config, key, "a number");
  }
  return value.as_double();
}

bool config_bool(const PickleValue& config, const char* key, bool fallback) {
  if (!config.contains(key)) return fallback;
  const PickleValue value = config.at(key);
  if (value.kind() == PickleValue::Kind::kInt) return value.as_int() != 0;
  if (value.kind() != PickleValue::Kind::kBool) bad_config(config, key, "a bool");
  return value.as_bool();
}

const HiddenState& find_hidden_state(const std::vector<HiddenState>& states,
                                     const std::string& name) {
  std::string names;
  for (const HiddenState& state : states) {
    if (state.name == name) return state;
    names += (names.empty() ? "" : ", ") + state.name;
  }
  throw InputError("no hidden state '" + name + "'; the model has " + names);
}

}  // namespace brainalign::neural
