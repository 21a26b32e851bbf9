// Building blocks shared by the neural audio models of every family: the layers (linear, layer
// norm, self-attention, weight-normalised convolutions) the architectures are made of, each
// loaded from a TensorStore by the tensor names the reference implementation saves, its shapes
// checked against what the configuration implies.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/neural/formats/config.h"
#include "brainalign/neural/formats/tensor_store.h"

namespace brainalign::neural {

// How a model is loaded.
struct LoadOptions {
  // Where the weights live and the forward pass runs (at::kCPU, or at::Device("cuda:0") with a
  // CUDA build of libtorch).
  c10::Device device = c10::Device(c10::kCPU);
};

// A Hugging Face model folder's weights (model_weight_files: model.safetensors,
// pytorch_model.bin, or either sharded) read against its config.json: a TensorStore whose
// shapes come from the config, so that a checkpoint and its config that disagree fail with the
// tensor's name.
class Checkpoint : public TensorStore {
 public:
  Checkpoint(const std::filesystem::path& folder, const ModelConfig& config, c10::Device device);
  const ModelConfig& config() const { return config_; }

 private:
  ModelConfig config_;
};

// Activation functions by their transformers names ("gelu", "relu", "gelu_new", ...).
enum class Activation { kGelu, kGeluTanh, kRelu, kSilu, kTanh };
// Throws InputError naming the config key when the name is not one of the above.
Activation activation_from_config(const ModelConfig& config, const std::string& key);
at::Tensor activate(const at::Tensor& x, Activation activation);

// y = x W^T + b.
struct Linear {
  at::Tensor weight;  // (out, in)
  at::Tensor bias;    // (out), undefined when the layer has none

  static Linear load(const TensorStore& weights, const std::string& prefix, std::int64_t in,
                     std::int64_t out, bool has_bias = true);
  at::Tensor operator()(const at::Tensor& x) const;
};

// Layer norm over the last dimension; without affine parameters when `affine` is false.
struct LayerNorm {
  at::Tensor weight;
  at::Tensor bias;
  std::int64_t dim = 0;
  double eps = 1e-5;

  static LayerNorm load(const TensorStore& weights, const std::string& prefix, std::int64_t dim,
                        double eps);
  static LayerNorm plain(std::int64_t dim, double eps);
  at::Tensor operator()(const at::Tensor& x) const;
};

// Names of a self-attention's projections, each a prefix of ".weight" / ".bias".
struct AttentionNames {
  std::string query;
  std::string key;
  std::string value;
  std::string output;
};

// Multi-head self-attention, softmax(q k^T / sqrt(d) + bias) v, with the three input
// projections fused into one matrix product.
class SelfAttention {
 public:
  // `key_bias` false: the key projection has no bias (Whisper).
  static SelfAttention load(const TensorStore& weights, const AttentionNames& names,
                            std::int64_t dim, std::int64_t heads, bool key_bias = true);

  // x: (batch, time, dim). `logit_bias`, when defined, is added to the attention logits and
  // broadcasts against (batch, heads, time, time).
  at::Tensor operator()(const at::Tensor& x, const at::Tensor& logit_bias = {}) const;
  std::int64_t heads() const { return heads_; }

 private:
  at::Tensor qkv_weight_;  // (3 dim, dim)
  at::Tensor qkv_bias_;    // (3 dim)
  Linear output_;
  std::int64_t dim_ = 0;
  std::int64_t heads_ = 0;
};

// The pre-LN transformer layer of Whisper and Speech2Text (fairseq's layout):
// x + attn(LN(x)), then x + fc2(act(fc1(LN(x)))), with the tensors "<prefix>.self_attn.*",
// ".self_attn_layer_norm", ".fc1", ".fc2" and ".final_layer_norm".
class PreNormEncoderLayer {
 public:
  struct Shape {
    std::int64_t dim = 0;
    std::int64_t heads = 0;
    std::int64_t ffn_dim = 0;
    Activation activation = Activation::kGelu;
    bool key_bias = true;
    double eps = 1e-5;
  };
  static PreNormEncoderLayer load(const TensorStore& weights, const std::string& prefix,
                                  const Shape& shape);
  at::Tensor operator()(const at::Tensor& x) const;

 private:
  SelfAttention attention_;
  LayerNorm attention_norm_;
  Linear fc1_;
  Linear fc2_;
  LayerNorm final_norm_;
  Activation activation_ = Activation::kGelu;
};

// A convolution weight stored plainly ("<prefix>.weight") or weight-normalised, either as
// parametrizations ("<prefix>.parametrizations.weight.original0/1") or in the older form
// ("<prefix>.weight_g/_v"); `norm_dim` is the dimension the norm keeps (torch's `dim`).
at::Tensor load_conv_weight(const TensorStore& weights, const std::string& prefix,
                            const std::vector<std::int64_t>& shape, std::int64_t norm_dim);

// g * v / ||v||, the norm taken over every dimension but `dim`.
at::Tensor weight_norm(const at::Tensor& g, const at::Tensor& v, std::int64_t dim);

}  // namespace brainalign::neural
