#include "brainalign/neural/families/beats/beats.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <optional>

#include "brainalign/base/error.h"
#include "brainalign/dsp/kaldi_fbank.h"
#include "brainalign/neural/blocks.h"
#include "neural/families/checkpoint_family.h"
#include "neural/formats/pickled_config.h"

namespace brainalign::neural {

namespace {

constexpr double kFbankMean = 15.41663;
constexpr double kFbankStd = 6.55582;
constexpr int kMelBins = 128;

struct BeatsLayer {
  Linear qkv;  // q, k and v projections stacked in one matrix
  Linear out_proj;
  Linear grep_linear;  // gated relative position bias, when gru_rel_pos
  at::Tensor grep_a;   // (heads, 1)
  LayerNorm self_attn_layer_norm;
  Linear fc1;
  Linear fc2;
  LayerNorm final_layer_norm;
};

int narrow_int(std::int64_t value, const PickleValue& cfg, const char* key) {
  if (value < 1 || value > (1 << 24)) {
    throw InputError(cfg.source() + ": cfg '" + key + "' = " + std::to_string(value) +
                     " is out of range");
  }
  return static_cast<int>(value);
}

BeatsConfig parse_config(const PickleValue& cfg) {
  BeatsConfig c;
  auto get_int = [&](const char* key, int fallback) {
    return narrow_int(config_int(cfg, key, fallback), cfg, key);
  };
  c.input_patch_size = get_int("input_patch_size", c.input_patch_size);
  c.embed_dim = get_int("embed_dim", c.embed_dim);
  c.conv_bias = config_bool(cfg, "conv_bias", c.conv_bias);
  c.encoder_layers = get_int("encoder_layers", c.encoder_layers);
  c.encoder_embed_dim = get_int("encoder_embed_dim", c.encoder_embed_dim);
  c.encoder_ffn_embed_dim = get_int("encoder_ffn_embed_dim", c.encoder_ffn_embed_dim);
  c.encoder_attention_heads = get_int("encoder_attention_heads", c.encoder_attention_heads);
  if (cfg.contains("activation_fn")) c.activation_fn = cfg.at("activation_fn").as_string();
  c.layer_norm_first = config_bool(cfg, "layer_norm_first", c.layer_norm_first);
  c.deep_norm = config_bool(cfg, "deep_norm", c.deep_norm);
  c.conv_pos = get_int("conv_pos", c.conv_pos);
  c.conv_pos_groups = get_int("conv_pos_groups", c.conv_pos_groups);
  c.relative_position_embedding =
      config_bool(cfg, "relative_position_embedding", c.relative_position_embedding);
  c.num_buckets = get_int("num_buckets", c.num_buckets);
  c.max_distance = get_int("max_distance", c.max_distance);
  c.gru_rel_pos = config_bool(cfg, "gru_rel_pos", c.gru_rel_pos);
  const std::string& source = cfg.source();
  if (c.activation_fn != "gelu" && c.activation_fn != "relu") {
    throw InputError(source + ": cfg 'activation_fn' = '" + c.activation_fn +
                     "' is not supported (gelu or relu)");
  }
  if (c.encoder_embed_dim % c.encoder_attention_heads != 0) {
    throw InputError(source +
                     ": cfg 'encoder_embed_dim' is not a multiple of "
                     "'encoder_attention_heads'");
  }
  if (c.encoder_embed_dim % c.conv_pos_groups != 0) {
    throw InputError(source + ": cfg 'encoder_embed_dim' is not a multiple of 'conv_pos_groups'");
  }
  if (c.deep_norm && c.layer_norm_first) {
    throw InputError(source + ": cfg has both 'deep_norm' and 'layer_norm_first'");
  }
  if (c.relative_position_embedding && (c.num_buckets < 4 || c.max_distance <= c.num_buckets / 4)) {
    throw InputError(source + ": cfg 'num_buckets' / 'max_distance' are inconsistent");
  }
  return c;
}

}  // namespace

struct BeatsModel::Weights {
  BeatsConfig config;
  at::Tensor patch_embedding_weight;
  at::Tensor patch_embedding_bias;  // undefined without conv_bias
  LayerNorm layer_norm;
  std::optional<Linear> post_extract_proj;
  at::Tensor pos_conv_weight;  // weight norm already applied
  at::Tensor pos_conv_bias;
  LayerNorm encoder_layer_norm;
  at::Tensor relative_attention_bias;  // (num_buckets, heads), shared by all layers
  std::vector<BeatsLayer> layers;
  double deep_norm_alpha = 1.0;
};

BeatsModel BeatsModel::load(const std::filesystem::path& checkpoint) {
  return from_checkpoint(read_torch_checkpoint(checkpoint));
}

BeatsModel BeatsModel::from_checkpoint(const TorchCheckpoint& checkpoint) {
  c10::InferenceMode guard;
  const PickleValue root = checkpoint.root();
  const std::string& source = root.source();
  if (root.kind() != PickleValue::Kind::kDict || !root.contains("cfg") || !root.contains("model")) {
    throw InputError(source +
                     ": not a BEATs checkpoint (expected a dict with 'cfg' and "
                     "'model')");
  }
  auto weights = std::make_shared<Weights>();
  const BeatsConfig c = parse_config(root.at("cfg"));
  weights->config = c;
  TensorStore state(root.at("model"), source);
  const std::int64_t embed = c.embed_dim;
  const std::int64_t dim = c.encoder_embed_dim;
  const std::int64_t ffn = c.encoder_ffn_embed_dim;
  const std::int64_t heads = c.encoder_attention_heads;
  const std::int64_t patch = c.input_patch_size;

  weights->patch_embedding_weight = state.get("patch_embedding.weight", {embed, 1, patch, patch});
  if (c.conv_bias) weights->patch_embedding_bias = state.get("patch_embedding.bias", {embed});
  weights->layer_norm = LayerNorm::load(state, "layer_norm", embed, 1e-5);
  if (embed != dim) {
    weights->post_extract_proj = Linear::load(state, "post_extract_proj", embed, dim);
  }

  const std::int64_t kernel = c.conv_pos;
  const std::int64_t group_width = dim / c.conv_pos_groups;
  const at::Tensor g = state.get("encoder.pos_conv.0.weight_g", {1, 1, kernel});
  const at::Tensor v = state.get("encoder.pos_conv.0.weight_v", {dim, group_width, kernel});
  weights->pos_conv_weight =
      (v * (g / v.pow(2).sum(at::IntArrayRef{0, 1}, true).sqrt())).contiguous();
  weights->pos_conv_bias = state.get("encoder.pos_conv.0.bias", {dim});
  weights->encoder_layer_norm = LayerNorm::load(state, "encoder.layer_norm", dim, 1e-5);

  const std::int64_t head_dim = dim / heads;
  for (int i = 0; i < c.encoder_layers; ++i) {
    const std::string prefix = "encoder.layers." + std::to_string(i) + ".";
    const std::string attn = prefix + "self_attn.";
    BeatsLayer layer;
    const Linear q = Linear::load(state, attn + "q_proj", dim, dim);
    const Linear k = Linear::load(state, attn + "k_proj", dim, dim);
    const Linear v_proj = Linear::load(state, attn + "v_proj", dim, dim);
    layer.qkv.weight = at::cat({q.weight, k.weight, v_proj.weight}, 0);
    layer.qkv.bias = at::cat({q.bias, k.bias, v_proj.bias}, 0);
    layer.out_proj = Linear::load(state, attn + "out_proj", dim, dim);
    if (c.relative_position_embedding) {
      const std::string name = attn + "relative_attention_bias.weight";
      if (i == 0) {
        weights->relative_attention_bias = state.get(name, {c.num_buckets, heads});
      } else if (state.contains(name)) {
        // The layers share layer 0's table; the state_dict repeats it under each key.
        const at::Tensor copy = state.get(name, {c.num_buckets, heads});
        if (!at::equal(copy, weights->relative_attention_bias)) {
          throw InputError(source + ": tensor '" + name +
                           "' differs from layer 0's table, "
                           "which BEATs shares across layers");
        }
      }
    }
    if (c.gru_rel_pos) {
      layer.grep_linear = Linear::load(state, attn + "grep_linear", head_dim, 8);
      layer.grep_a = state.get(attn + "grep_a", {1, heads, 1, 1}).reshape({heads, 1});
    }
    layer.self_attn_layer_norm = LayerNorm::load(state, prefix + "self_attn_layer_norm", dim, 1e-5);
    layer.fc1 = Linear::load(state, prefix + "fc1", dim, ffn);
    layer.fc2 = Linear::load(state, prefix + "fc2", ffn, dim);
    layer.final_layer_norm = LayerNorm::load(state, prefix + "final_layer_norm", dim, 1e-5);
    weights->layers.push_back(std::move(layer));
  }
  if (state.contains("encoder.layers." + std::to_string(c.encoder_layers) + ".fc1.weight")) {
    throw InputError(source + ": tensor 'encoder.layers." + std::to_string(c.encoder_layers) +
                     ".fc1.weight' exists but cfg 'encoder_layers' is " +
                     std::to_string(c.encoder_layers));
  }
  state.expect_all_used({"predictor."});
  weights->deep_norm_alpha = c.deep_norm ? std::pow(2.0 * c.encoder_layers, 0.25) : 1.0;
  BeatsModel model;
  model.weights_ = std::move(weights);
  return model;
}

const BeatsConfig& BeatsModel::config() const { return weights_->config; }

at::Tensor beats_relative_position_buckets(const at::Tensor& relative_positions, int num_buckets,
                                           int max_distance) {
  const std::int64_t half = num_buckets / 2;
  at::Tensor buckets = (relative_positions > 0).to(at::kLong) * half;
  const at::Tensor distance = relative_positions.abs();
  const std::int64_t max_exact = half / 2;
  const at::Tensor is_small = distance < max_exact;
  // The reference's float32 steps, in its order, so that bucket edges fall identically.
  at::Tensor large = (at::log(distance.to(at::kFloat) / max_exact) /
                      std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)) *
                      (half - max_exact))
                         .to(at::kLong) +
                     max_exact;
  large = at::minimum(large, at::full_like(large, half - 1));
  return buckets + at::where(is_small, distance, large);
}

std::vector<HiddenState> BeatsModel::forward(const std::vector<double>& waveform) const {
  c10::InferenceMode guard;
  const Weights& w = *weights_;
  const BeatsConfig& c = w.config;
  std::vector<HiddenState> states;

  std::vector<double> scaled(waveform.size());
  for (std::size_t i = 0; i < waveform.size(); ++i) scaled[i] = waveform[i] * 32768.0;
  dsp::KaldiFbankParams params;
  params.num_mel_bins = kMelBins;
  params.sample_frequency = kSampleRate;
  params.frame_length_ms = 25.0;
  params.frame_shift_ms = 10.0;
  const Matrix fbank = dsp::kaldi_fbank(scaled, params);
  const std::int64_t frames = fbank.rows();
  if (frames < c.input_patch_size) {
    throw InputError("BEATs needs at least " + std::to_string(c.input_patch_size) +
                     " fbank frames (" + std::to_string(frames) + " in the audio)");
  }
  at::Tensor features =
      (to_float_tensor(fbank.data(), {1, frames, kMelBins}) - kFbankMean) / (2.0 * kFbankStd);
  states.push_back({"preprocess", features});

  const std::int64_t patch = c.input_patch_size;
  at::Tensor x = at::conv2d(features.unsqueeze(1), w.patch_embedding_weight, w.patch_embedding_bias,
                            at::IntArrayRef{patch, patch}, at::IntArrayRef{0, 0});
  states.push_back({"patch_embedding", x});
  x = w.layer_norm(x.reshape({1, x.size(1), -1}).transpose(1, 2));
  states.push_back({"layer_norm", x});
  if (w.post_extract_proj) {
    x = (*w.post_extract_proj)(x);
    states.push_back({"post_extract_proj", x});
  }

  const std::int64_t tokens = x.size(1);
  const std::int64_t padding = c.conv_pos / 2;
  at::Tensor pos =
      at::conv1d(x.transpose(1, 2), w.pos_conv_weight, w.pos_conv_bias, at::IntArrayRef{1},
                 at::IntArrayRef{padding}, at::IntArrayRef{1}, c.conv_pos_groups);
  if (c.conv_pos % 2 == 0) pos = pos.narrow(2, 0, tokens);
  pos = at::gelu(pos);
  states.push_back({"encoder.pos_conv", pos});
  x = x + pos.transpose(1, 2);
  if (!c.layer_norm_first) x = w.encoder_layer_norm(x);
  states.push_back({"encoder.layer_norm", x});

  const std::int64_t dim = c.encoder_embed_dim;
  const std::int64_t heads = c.encoder_attention_heads;
  const std::int64_t head_dim = dim / heads;
  const double scaling = std::pow(static_cast<double>(head_dim), -0.5);
  at::Tensor position_bias;  // (heads, tokens, tokens)
  if (c.relative_position_embedding) {
    const at::Tensor positions = at::arange(tokens, at::kLong);
    const at::Tensor buckets = beats_relative_position_buckets(
        positions.unsqueeze(0) - positions.unsqueeze(1), c.num_buckets, c.max_distance);
    position_bias = at::embedding(w.relative_attention_bias, buckets).permute({2, 0, 1});
  }

  x = x.squeeze(0);  // (tokens, dim)
  for (std::size_t i = 0; i < w.layers.size(); ++i) {
    const BeatsLayer& layer = w.layers[i];
    const at::Tensor residual = x;
    const at::Tensor input = c.layer_norm_first ? layer.self_attn_layer_norm(x) : x;
    const std::vector<at::Tensor> qkv =
        layer.qkv(input).view({tokens, 3, heads, head_dim}).permute({1, 2, 0, 3}).unbind(0);
    at::Tensor bias;
    if (position_bias.defined()) {
      bias = position_bias;
      if (c.gru_rel_pos) {
        // Per head and query: two sigmoid gates from sums of groups of four projections.
        const at::Tensor gates =
            at::sigmoid(layer.grep_linear(qkv[0]).view({heads, tokens, 2, 4}).sum(-1));
        const at::Tensor gate_a = gates.select(2, 0);
        const at::Tensor gate_b = gates.select(2, 1);
        const at::Tensor gate = gate_a * (gate_b * layer.grep_a - 1.0) + 2.0;
        bias = gate.unsqueeze(2) * position_bias;
      }
    } else {
      bias = at::zeros({heads, tokens, tokens}, x.options());
    }
    const at::Tensor scores = at::baddbmm(bias, qkv[0], qkv[1].transpose(1, 2), 1.0, scaling);
    const at::Tensor attended = at::bmm(at::softmax(scores, -1), qkv[2]);
    const at::Tensor attention = layer.out_proj(attended.transpose(0, 1).reshape({tokens, dim}));
    const auto activation = [&](const at::Tensor& h) {
      return c.activation_fn == "gelu" ? at::gelu(h) : at::relu(h);
    };
    if (c.layer_norm_first) {
      x = residual + attention;
      x = x + layer.fc2(activation(layer.fc1(layer.final_layer_norm(x))));
    } else {
      x = layer.self_attn_layer_norm(at::add(attention, residual, w.deep_norm_alpha));
      const at::Tensor hidden = layer.fc2(activation(layer.fc1(x)));
      x = layer.final_layer_norm(at::add(hidden, x, w.deep_norm_alpha));
    }
    states.push_back({"encoder.layers." + std::to_string(i), x.unsqueeze(0)});
  }
  if (c.layer_norm_first) {
    states.push_back({"encoder.final_layer_norm", w.encoder_layer_norm(x).unsqueeze(0)});
  }
  return states;
}

std::string BeatsModel::architecture() const { return "BEATs"; }

double BeatsModel::sample_rate() const { return kSampleRate; }

std::vector<std::string> BeatsModel::layer_names() const {
  return transformer_layers("encoder.layer_norm", "encoder.layers.", config().encoder_layers).names;
}

std::vector<at::Tensor> BeatsModel::forward_samples(const std::vector<double>& waveform) const {
  return pick(
      forward(waveform),
      transformer_layers("encoder.layer_norm", "encoder.layers.", config().encoder_layers).sources);
}

std::vector<at::Tensor> BeatsModel::forward_waveform(const at::Tensor& waveform) const {
  return forward_samples(waveform_samples(waveform));
}

}  // namespace brainalign::neural
