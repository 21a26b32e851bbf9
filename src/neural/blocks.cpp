#include "brainalign/neural/blocks.h"

#include <ATen/ATen.h>

#include <cmath>

#include "brainalign/base/error.h"

namespace brainalign::neural {

Checkpoint::Checkpoint(const std::filesystem::path& folder, const ModelConfig& config,
                       c10::Device device)
    : TensorStore(TensorStore::from_model_folder(folder, config.source(), device)),
      config_(config) {}

Activation activation_from_config(const ModelConfig& config, const std::string& key) {
  const std::string name = config.string(key);
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") {
    return Activation::kGeluTanh;
  }
  if (name == "relu") return Activation::kRelu;
  if (name == "silu" || name == "swish") return Activation::kSilu;
  if (name == "tanh") return Activation::kTanh;
  throw InputError(config.error(key, "names an unsupported activation '" + name + "'"));
}

at::Tensor activate(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::kGelu:
      return at::gelu(x);
    case Activation::kGeluTanh:
      return at::gelu(x, "tanh");
    case Activation::kRelu:
      return at::relu(x);
    case Activation::kSilu:
      return at::silu(x);
    case Activation::kTanh:
      return at::tanh(x);
  }
  return x;
}

Linear Linear::load(const TensorStore& weights, const std::string& prefix, std::int64_t in,
                    std::int64_t out, bool has_bias) {
  Linear linear;
  linear.weight = weights.get(prefix + ".weight", {out, in});
  if (has_bias) linear.bias = weights.get(prefix + ".bias", {out});
  return linear;
}

at::Tensor Linear::operator()(const at::Tensor& x) const { return at::linear(x, weight, bias); }

LayerNorm LayerNorm::load(const TensorStore& weights, const std::string& prefix, std::int64_t dim,
                          double eps) {
  LayerNorm norm = plain(dim, eps);
  norm.weight = weights.get(prefix + ".weight", {dim});
  norm.bias = weights.get(prefix + ".bias", {dim});
  return norm;
}

LayerNorm LayerNorm::plain(std::int64_t dim, double eps) {
  LayerNorm norm;
  norm.dim = dim;
  norm.eps = eps;
  return norm;
}

at::Tensor LayerNorm::operator()(const at::Tensor& x) const {
  return at::layer_norm(x, {dim}, weight, bias, eps);
}

SelfAttention SelfAttention::load(const TensorStore& weights, const AttentionNames& names,
                                  std::int64_t dim, std::int64_t heads, bool key_bias) {
  if (heads <= 0 || dim % heads != 0) {
    throw InputError(weights.configuration() + ": hidden size " + std::to_string(dim) +
                     " is not a multiple of the number of attention heads " +
                     std::to_string(heads));
  }
  const Linear query = Linear::load(weights, names.query, dim, dim);
  const Linear key = Linear::load(weights, names.key, dim, dim, key_bias);
  const Linear value = Linear::load(weights, names.value, dim, dim);
  SelfAttention attention;
  attention.qkv_weight_ = at::cat({query.weight, key.weight, value.weight}, 0).contiguous();
  const at::Tensor key_bias_values = key_bias ? key.bias : at::zeros_like(query.bias);
  attention.qkv_bias_ = at::cat({query.bias, key_bias_values, value.bias}, 0).contiguous();
  attention.output_ = Linear::load(weights, names.output, dim, dim);
  attention.dim_ = dim;
  attention.heads_ = heads;
  return attention;
}

at::Tensor SelfAttention::operator()(const at::Tensor& x, const at::Tensor& logit_bias) const {
  const std::int64_t batch = x.size(0);
  const std::int64_t time = x.size(1);
  const std::int64_t head_dim = dim_ / heads_;
  // (batch, time, 3, heads, head_dim) -> (3, batch, heads, time, head_dim)
  const at::Tensor qkv = at::linear(x, qkv_weight_, qkv_bias_)
                             .view({batch, time, 3, heads_, head_dim})
                             .permute({2, 0, 3, 1, 4});
  const at::Tensor query = qkv[0] * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  at::Tensor logits = at::matmul(query, qkv[1].transpose(-2, -1));
  if (logit_bias.defined()) logits.add_(logit_bias);
  const at::Tensor context = at::matmul(at::softmax(logits, -1), qkv[2]);
  return output_(context.transpose(1, 2).reshape({batch, time, dim_}));
}

PreNormEncoderLayer PreNormEncoderLayer::load(const TensorStore& weights, const std::string& prefix,
                                              const Shape& shape) {
  PreNormEncoderLayer layer;
  const std::string attention = prefix + ".self_attn";
  layer.attention_ = SelfAttention::load(weights,
                                         {attention + ".q_proj", attention + ".k_proj",
                                          attention + ".v_proj", attention + ".out_proj"},
                                         shape.dim, shape.heads, shape.key_bias);
  layer.attention_norm_ =
      LayerNorm::load(weights, prefix + ".self_attn_layer_norm", shape.dim, shape.eps);
  layer.fc1_ = Linear::load(weights, prefix + ".fc1", shape.dim, shape.ffn_dim);
  layer.fc2_ = Linear::load(weights, prefix + ".fc2", shape.ffn_dim, shape.dim);
  layer.final_norm_ = LayerNorm::load(weights, prefix + ".final_layer_norm", shape.dim, shape.eps);
  layer.activation_ = shape.activation;
  return layer;
}

at::Tensor PreNormEncoderLayer::operator()(const at::Tensor& x) const {
  const at::Tensor h = x + attention_(attention_norm_(x));
  return h + fc2_(activate(fc1_(final_norm_(h)), activation_));
}

at::Tensor weight_norm(const at::Tensor& g, const at::Tensor& v, std::int64_t dim) {
  std::vector<std::int64_t> reduce;
  for (std::int64_t d = 0; d < v.dim(); ++d) {
    if (d != dim) reduce.push_back(d);
  }
  return v * (g / at::sqrt(v.pow(2).sum(reduce, /*keepdim=*/true)));
}

at::Tensor load_conv_weight(const TensorStore& weights, const std::string& prefix,
                            const std::vector<std::int64_t>& shape, std::int64_t norm_dim) {
  std::vector<std::int64_t> g_shape(shape.size(), 1);
  g_shape[static_cast<std::size_t>(norm_dim)] = shape[static_cast<std::size_t>(norm_dim)];
  const std::string parametrized = prefix + ".parametrizations.weight.original";
  if (weights.contains(parametrized + "1")) {
    return weight_norm(weights.get(parametrized + "0", g_shape),
                       weights.get(parametrized + "1", shape), norm_dim);
  }
  if (weights.contains(prefix + ".weight_v")) {
    return weight_norm(weights.get(prefix + ".weight_g", g_shape),
                       weights.get(prefix + ".weight_v", shape), norm_dim);
  }
  return weights.get(prefix + ".weight", shape);
}

}  // namespace brainalign::neural
