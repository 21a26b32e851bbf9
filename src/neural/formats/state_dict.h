// Checkpoint weights as the model ports consume them: looked up by name, checked for shape,
// converted to contiguous float32, and every key accounted for.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "brainalign/neural/formats/torch_checkpoint.h"

namespace brainalign::neural {

class StateDict {
 public:
  StateDict(const PickleValue& dict, std::string source);

  bool has(const std::string& name) const { return tensors_.contains(name); }
  // The tensor `name` as contiguous float32; each extent of `shape` is checked unless it is
  // -1. Throws InputError naming the tensor when it is missing or misshapen.
  at::Tensor get(const std::string& name, std::initializer_list<std::int64_t> shape);
  at::Tensor get(const std::string& name, const std::vector<std::int64_t>& shape);
  // The shape of `name` (which must exist).
  std::vector<std::int64_t> shape(const std::string& name) const;
  // Number of consecutive `prefix<i>suffix` keys present from i = 0.
  int count(const std::string& prefix, const std::string& suffix) const;
  // Throws InputError naming the first key that no get() asked for and that starts with none
  // of `ignored_prefixes`.
  void expect_all_used(std::initializer_list<std::string_view> ignored_prefixes) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::string> order_;
  std::unordered_map<std::string, at::Tensor> tensors_;
  std::unordered_set<std::string> used_;
};

// Common layers, on (tokens, channels) or (batch, tokens, channels) tensors.
struct LinearWeights {
  at::Tensor weight;
  at::Tensor bias;  // undefined when the layer has none
  at::Tensor operator()(const at::Tensor& x) const { return at::linear(x, weight, bias); }
};

struct LayerNormWeights {
  at::Tensor weight;
  at::Tensor bias;
  double eps = 1e-5;
  at::Tensor operator()(const at::Tensor& x) const {
    return at::layer_norm(x, {weight.size(0)}, weight, bias, eps);
  }
};

// `prefix.weight` (out, in) and, if `with_bias`, `prefix.bias` (out).
LinearWeights load_linear(StateDict& state, const std::string& prefix, std::int64_t in,
                          std::int64_t out, bool with_bias = true);
LayerNormWeights load_layer_norm(StateDict& state, const std::string& prefix, std::int64_t dim,
                                 double eps);

// Float32 tensor of a double waveform or matrix (copies).
at::Tensor to_float_tensor(const double* data, std::vector<std::int64_t> shape);

// An integer, float or bool config entry, with a default when the key is absent; a present
// entry of the wrong type is an InputError naming the key.
std::int64_t config_int(const PickleValue& config, const char* key, std::int64_t fallback);
double config_double(const PickleValue& config, const char* key, double fallback);
bool config_bool(const PickleValue& config, const char* key, bool fallback);

}  // namespace brainalign::neural
