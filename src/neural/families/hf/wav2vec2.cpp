#include "brainalign/neural/families/hf/wav2vec2.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>

#include "brainalign/base/error.h"

namespace brainalign::neural {
namespace {

const char* family_name(Wav2Vec2Variant variant) {
  switch (variant) {
    case Wav2Vec2Variant::kWav2Vec2:
      return "Wav2Vec2Model";
    case Wav2Vec2Variant::kHubert:
      return "HubertModel";
    case Wav2Vec2Variant::kWavLM:
      return "WavLMModel";
    case Wav2Vec2Variant::kData2VecAudio:
      return "Data2VecAudioModel";
  }
  return "";
}

enum class ConvNorm { kNone, kGroup, kLayer };

struct ConvStage {
  at::Tensor weight;
  at::Tensor bias;
  std::int64_t stride = 1;
  ConvNorm norm = ConvNorm::kNone;
  at::Tensor norm_weight;
  at::Tensor norm_bias;
};

struct PositionalConv {
  at::Tensor weight;
  at::Tensor bias;
};

struct EncoderLayer {
  SelfAttention attention;
  LayerNorm layer_norm;
  Linear intermediate;
  Linear output;
  LayerNorm final_layer_norm;
  // WavLM's gate on the relative position bias.
  Linear gate;
  at::Tensor gate_const;  // (1, heads, 1, 1)
};

}  // namespace

struct Wav2Vec2Model::Weights {
  std::vector<ConvStage> conv;
  LayerNorm projection_norm;  // undefined weight when the projection has no norm
  bool has_projection_norm = false;
  Linear projection;
  std::vector<PositionalConv> positional;  // one (weight-normalised) or a data2vec stack
  std::int64_t positional_kernel = 0;
  std::int64_t positional_groups = 1;
  at::Tensor positional_bn_weight, positional_bn_bias, positional_bn_mean, positional_bn_var;
  LayerNorm encoder_norm;
  std::vector<EncoderLayer> layers;
  at::Tensor relative_embedding;  // WavLM, (num_buckets, heads)
};

Wav2Vec2Config Wav2Vec2Config::from(const ModelConfig& config) {
  Wav2Vec2Config c;
  const std::string type = config.string("model_type");
  if (type == "wav2vec2") {
    c.variant = Wav2Vec2Variant::kWav2Vec2;
  } else if (type == "hubert") {
    c.variant = Wav2Vec2Variant::kHubert;
  } else if (type == "wavlm") {
    c.variant = Wav2Vec2Variant::kWavLM;
  } else if (type == "data2vec-audio") {
    c.variant = Wav2Vec2Variant::kData2VecAudio;
  } else {
    throw InputError(config.error("model_type", "is '" + type + "', not a wav2vec 2.0 model"));
  }
  c.conv_dim = config.integers("conv_dim");
  c.conv_kernel = config.integers("conv_kernel");
  c.conv_stride = config.integers("conv_stride");
  if (c.conv_dim.empty() || c.conv_kernel.size() != c.conv_dim.size() ||
      c.conv_stride.size() != c.conv_dim.size()) {
    throw InputError(config.error("conv_dim",
                                  "conv_kernel and conv_stride must be lists of "
                                  "the same, non-zero length"));
  }
  c.conv_bias = config.boolean("conv_bias", false);
  if (c.variant == Wav2Vec2Variant::kData2VecAudio) {
    c.layer_norm_feature_encoder = true;
  } else {
    const std::string norm = config.string("feat_extract_norm", "group");
    if (norm != "group" && norm != "layer") {
      throw InputError(config.error("feat_extract_norm", "must be 'group' or 'layer'"));
    }
    c.layer_norm_feature_encoder = norm == "layer";
  }
  c.feat_extract_activation = config.has("feat_extract_activation")
                                  ? activation_from_config(config, "feat_extract_activation")
                                  : Activation::kGelu;
  if (c.variant == Wav2Vec2Variant::kHubert) {
    c.feature_projection_norm = config.boolean("feat_proj_layer_norm", true);
    c.conv_pos_batch_norm = config.boolean("conv_pos_batch_norm", false);
  }
  c.hidden_size = config.integer("hidden_size");
  c.num_hidden_layers = config.integer("num_hidden_layers");
  c.num_attention_heads = config.integer("num_attention_heads");
  c.intermediate_size = config.integer("intermediate_size");
  c.hidden_act =
      config.has("hidden_act") ? activation_from_config(config, "hidden_act") : Activation::kGelu;
  c.layer_norm_eps = config.number("layer_norm_eps", 1e-5);
  c.stable_layer_norm =
      c.variant != Wav2Vec2Variant::kData2VecAudio && config.boolean("do_stable_layer_norm", false);
  c.num_conv_pos_embeddings = config.integer("num_conv_pos_embeddings", 128);
  c.num_conv_pos_embedding_groups = config.integer("num_conv_pos_embedding_groups", 16);
  c.conv_pos_kernel_size = config.integer("conv_pos_kernel_size", 19);
  c.num_buckets = config.integer("num_buckets", 320);
  c.max_bucket_distance = config.integer("max_bucket_distance", 800);
  if (c.hidden_size <= 0 || c.num_hidden_layers < 0 || c.num_attention_heads <= 0 ||
      c.hidden_size % c.num_attention_heads != 0) {
    throw InputError(config.error("hidden_size",
                                  "must be a positive multiple of "
                                  "num_attention_heads"));
  }
  if (c.hidden_size % c.num_conv_pos_embedding_groups != 0) {
    throw InputError(config.error("num_conv_pos_embedding_groups", "must divide hidden_size"));
  }
  return c;
}

Wav2Vec2Model::Wav2Vec2Model(const Wav2Vec2Config& config, const Checkpoint& checkpoint)
    : config_(config), device_(checkpoint.device()) {
  auto w = std::make_shared<Weights>();
  const Wav2Vec2Config& c = config_;
  const std::int64_t hidden = c.hidden_size;

  // Feature encoder.
  std::int64_t in_channels = 1;
  for (std::size_t i = 0; i < c.conv_dim.size(); ++i) {
    const std::string prefix = "feature_extractor.conv_layers." + std::to_string(i);
    ConvStage stage;
    const std::int64_t out = c.conv_dim[i];
    stage.weight = checkpoint.get(prefix + ".conv.weight", {out, in_channels, c.conv_kernel[i]});
    if (c.conv_bias) stage.bias = checkpoint.get(prefix + ".conv.bias", {out});
    stage.stride = c.conv_stride[i];
    if (c.layer_norm_feature_encoder) {
      stage.norm = ConvNorm::kLayer;
    } else if (i == 0) {
      stage.norm = ConvNorm::kGroup;
    }
    if (stage.norm != ConvNorm::kNone) {
      stage.norm_weight = checkpoint.get(prefix + ".layer_norm.weight", {out});
      stage.norm_bias = checkpoint.get(prefix + ".layer_norm.bias", {out});
    }
    w->conv.push_back(stage);
    in_channels = out;
  }

  // Feature projection.
  const std::int64_t features = c.conv_dim.back();
  w->has_projection_norm = c.feature_projection_norm;
  if (w->has_projection_norm) {
    w->projection_norm =
        LayerNorm::load(checkpoint, "feature_projection.layer_norm", features, c.layer_norm_eps);
  }
  w->projection = Linear::load(checkpoint, "feature_projection.projection", features, hidden);

  // Positional embedding.
  const std::int64_t groups = c.num_conv_pos_embedding_groups;
  w->positional_groups = groups;
  if (c.variant == Wav2Vec2Variant::kData2VecAudio) {
    w->positional_kernel = c.conv_pos_kernel_size;
    for (std::int64_t i = 0; i < c.num_conv_pos_embeddings; ++i) {
      const std::string prefix = "encoder.pos_conv_embed.layers." + std::to_string(i) + ".conv";
      w->positional.push_back(
          {checkpoint.get(prefix + ".weight", {hidden, hidden / groups, c.conv_pos_kernel_size}),
           checkpoint.get(prefix + ".bias", {hidden})});
    }
  } else {
    w->positional_kernel = c.num_conv_pos_embeddings;
    const std::string prefix = "encoder.pos_conv_embed.conv";
    const std::vector<std::int64_t> shape = {hidden, hidden / groups, c.num_conv_pos_embeddings};
    PositionalConv conv;
    if (c.conv_pos_batch_norm) {
      const std::string bn = "encoder.pos_conv_embed.batch_norm";
      w->positional_bn_weight = checkpoint.get(bn + ".weight", {hidden});
      w->positional_bn_bias = checkpoint.get(bn + ".bias", {hidden});
      w->positional_bn_mean = checkpoint.get(bn + ".running_mean", {hidden});
      w->positional_bn_var = checkpoint.get(bn + ".running_var", {hidden});
      conv.weight = checkpoint.get(prefix + ".weight", shape);
    } else {
      conv.weight = load_conv_weight(checkpoint, prefix, shape, 2);
    }
    conv.bias = checkpoint.get(prefix + ".bias", {hidden});
    w->positional.push_back(conv);
  }
  w->encoder_norm = LayerNorm::load(checkpoint, "encoder.layer_norm", hidden, c.layer_norm_eps);

  // Transformer layers.
  const std::int64_t heads = c.num_attention_heads;
  for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string prefix = "encoder.layers." + std::to_string(i);
    const std::string attention = prefix + ".attention";
    EncoderLayer layer;
    layer.attention = SelfAttention::load(checkpoint,
                                          {attention + ".q_proj", attention + ".k_proj",
                                           attention + ".v_proj", attention + ".out_proj"},
                                          hidden, heads);
    layer.layer_norm =
        LayerNorm::load(checkpoint, prefix + ".layer_norm", hidden, c.layer_norm_eps);
    layer.intermediate = Linear::load(checkpoint, prefix + ".feed_forward.intermediate_dense",
                                      hidden, c.intermediate_size);
    layer.output = Linear::load(checkpoint, prefix + ".feed_forward.output_dense",
                                c.intermediate_size, hidden);
    layer.final_layer_norm =
        LayerNorm::load(checkpoint, prefix + ".final_layer_norm", hidden, c.layer_norm_eps);
    if (c.variant == Wav2Vec2Variant::kWavLM) {
      layer.gate = Linear::load(checkpoint, attention + ".gru_rel_pos_linear", hidden / heads, 8);
      layer.gate_const = checkpoint.get(attention + ".gru_rel_pos_const", {1, heads, 1, 1});
      if (i == 0) {
        w->relative_embedding =
            checkpoint.get(attention + ".rel_attn_embed.weight", {c.num_buckets, heads});
      }
    }
    w->layers.push_back(std::move(layer));
  }
  if (c.variant == Wav2Vec2Variant::kWavLM && c.num_hidden_layers > 0 &&
      (c.num_buckets < 4 || c.max_bucket_distance <= c.num_buckets / 4)) {
    throw InputError(checkpoint.config().error("num_buckets",
                                               "and max_bucket_distance are "
                                               "inconsistent"));
  }
  weights_ = std::move(w);
}

Wav2Vec2Model::~Wav2Vec2Model() = default;

Wav2Vec2Model Wav2Vec2Model::load(const std::filesystem::path& folder, const LoadOptions& options) {
  const ModelConfig config = ModelConfig::read(folder / "config.json");
  Checkpoint checkpoint(folder, config, options.device);
  checkpoint.use_prefix_of("feature_extractor.conv_layers.0.conv.weight",
                           {"", "wav2vec2.", "hubert.", "wavlm.", "data2vec_audio."});
  Wav2Vec2Model model(Wav2Vec2Config::from(config), checkpoint);
  const auto preprocessor = folder / "preprocessor_config.json";
  if (std::filesystem::exists(preprocessor)) {
    model.set_normalize_waveform(ModelConfig::read(preprocessor).boolean("do_normalize", false));
  }
  return model;
}

namespace {

// WavLM's bucketed relative positions, (1, heads, time, time); the float32 arithmetic
// follows transformers so that bucket boundaries fall in the same places.
at::Tensor relative_position_bias(const at::Tensor& embedding, std::int64_t time,
                                  std::int64_t num_buckets, std::int64_t max_distance) {
  const auto long_options = at::TensorOptions().dtype(at::kLong).device(embedding.device());
  const at::Tensor positions = at::arange(time, long_options);
  at::Tensor relative = positions.unsqueeze(0) - positions.unsqueeze(1);
  const std::int64_t half = num_buckets / 2;
  at::Tensor buckets = relative.gt(0).to(at::kLong) * half;
  relative = relative.abs();
  const std::int64_t max_exact = half / 2;
  const at::Tensor is_small = relative.lt(max_exact);
  at::Tensor large = at::log(relative.to(at::kFloat) / static_cast<double>(max_exact));
  large = large / std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact));
  large = large * static_cast<double>(half - max_exact);
  large = (large + static_cast<double>(max_exact)).to(at::kLong).clamp_max(half - 1);
  buckets += at::where(is_small, relative, large);
  return at::embedding(embedding, buckets).permute({2, 0, 1}).unsqueeze(0);
}

// The gate WavLM puts on the shared position bias, from the attention's input x.
at::Tensor gated_bias(const EncoderLayer& layer, const at::Tensor& x, const at::Tensor& bias) {
  const std::int64_t batch = x.size(0);
  const std::int64_t time = x.size(1);
  const std::int64_t heads = layer.attention.heads();
  const at::Tensor per_head = x.view({batch, time, heads, -1}).permute({0, 2, 1, 3});
  const at::Tensor projected =
      layer.gate(per_head).view({batch, heads, time, 2, 4}).sum(-1).sigmoid();
  const at::Tensor gate_a = projected.narrow(-1, 0, 1);
  const at::Tensor gate_b = projected.narrow(-1, 1, 1);
  const at::Tensor gate = gate_a * (gate_b * layer.gate_const - 1.0) + 2.0;
  return gate * bias;
}

}  // namespace

Wav2Vec2Model::Outputs Wav2Vec2Model::run(const at::Tensor& waveform) const {
  c10::InferenceMode inference;
  const Weights& w = *weights_;
  const Wav2Vec2Config& c = config_;
  if (waveform.dim() != 2) {
    throw InputError(std::string(family_name(c.variant)) +
                     ": the waveform must be (batch, samples), got " +
                     shape_text(waveform.sizes()));
  }
  Outputs outputs;
  at::Tensor x = waveform.to(device_, at::kFloat).unsqueeze(1);
  for (std::size_t i = 0; i < w.conv.size(); ++i) {
    const ConvStage& stage = w.conv[i];
    if (x.size(-1) < stage.weight.size(-1)) {
      throw InputError(std::string(family_name(c.variant)) + ": the waveform (" +
                       std::to_string(waveform.size(-1)) +
                       " samples) is too short for the feature encoder");
    }
    x = at::conv1d(x, stage.weight, stage.bias, {stage.stride});
    if (stage.norm == ConvNorm::kGroup) {
      x = at::group_norm(x, x.size(1), stage.norm_weight, stage.norm_bias, 1e-5);
    } else if (stage.norm == ConvNorm::kLayer) {
      x = at::layer_norm(x.transpose(1, 2), {x.size(1)}, stage.norm_weight, stage.norm_bias, 1e-5)
              .transpose(1, 2);
    }
    x = activate(x, c.feat_extract_activation);
    outputs.conv_stages.push_back(x);
  }
  at::Tensor features = x.transpose(1, 2);
  if (w.has_projection_norm) features = w.projection_norm(features);
  outputs.extract_features = features;
  at::Tensor hidden = w.projection(features);

  // Convolutional positional embedding, on (batch, channels, frames).
  at::Tensor positional = hidden.transpose(1, 2);
  const std::int64_t trim = w.positional_kernel % 2 == 0 ? 1 : 0;
  if (c.variant == Wav2Vec2Variant::kData2VecAudio) {
    for (const auto& conv : w.positional) {
      positional = at::conv1d(positional, conv.weight, conv.bias, {1}, {w.positional_kernel / 2},
                              {1}, w.positional_groups);
      if (trim) positional = positional.narrow(2, 0, positional.size(2) - trim);
      positional =
          at::layer_norm(positional.transpose(1, 2), {c.hidden_size}, {}, {}, 1e-5).transpose(1, 2);
      positional = activate(positional, c.feat_extract_activation);
    }
  } else {
    if (w.positional_bn_weight.defined()) {
      positional =
          at::batch_norm(positional, w.positional_bn_weight, w.positional_bn_bias,
                         w.positional_bn_mean, w.positional_bn_var, false, 0.0, 1e-5, false);
    }
    const auto& conv = w.positional.front();
    positional = at::conv1d(positional, conv.weight, conv.bias, {1}, {w.positional_kernel / 2}, {1},
                            w.positional_groups);
    if (trim) positional = positional.narrow(2, 0, positional.size(2) - trim);
    positional = activate(positional, c.feat_extract_activation);
  }
  hidden = hidden + positional.transpose(1, 2);

  at::Tensor position_bias;
  if (c.variant == Wav2Vec2Variant::kWavLM && !w.layers.empty()) {
    position_bias = relative_position_bias(w.relative_embedding, hidden.size(1), c.num_buckets,
                                           c.max_bucket_distance);
  }
  auto attend = [&](const EncoderLayer& layer, const at::Tensor& input) {
    if (!position_bias.defined()) return layer.attention(input);
    return layer.attention(input, gated_bias(layer, input, position_bias));
  };
  auto feed_forward = [&](const EncoderLayer& layer, const at::Tensor& input) {
    return layer.output(activate(layer.intermediate(input), c.hidden_act));
  };

  if (c.stable_layer_norm) {
    outputs.hidden_states.push_back(hidden);
    for (const auto& layer : w.layers) {
      hidden = hidden + attend(layer, layer.layer_norm(hidden));
      hidden = hidden + feed_forward(layer, layer.final_layer_norm(hidden));
      outputs.hidden_states.push_back(hidden);
    }
    outputs.last_hidden_state = w.encoder_norm(hidden);
  } else {
    hidden = w.encoder_norm(hidden);
    outputs.hidden_states.push_back(hidden);
    for (const auto& layer : w.layers) {
      hidden = layer.layer_norm(hidden + attend(layer, hidden));
      hidden = layer.final_layer_norm(hidden + feed_forward(layer, hidden));
      outputs.hidden_states.push_back(hidden);
    }
    outputs.last_hidden_state = hidden;
  }
  return outputs;
}

std::vector<at::Tensor> Wav2Vec2Model::forward(const at::Tensor& waveform) const {
  return run(waveform).hidden_states;
}

std::vector<std::string> Wav2Vec2Model::hidden_state_names() const {
  std::vector<std::string> names = {"embedding"};
  for (std::int64_t i = 1; i <= config_.num_hidden_layers; ++i) {
    names.push_back("encoder." + std::to_string(i));
  }
  return names;
}

std::string Wav2Vec2Model::architecture() const { return family_name(config_.variant); }

std::vector<std::string> Wav2Vec2Model::layer_names() const {
  std::vector<std::string> names;
  for (std::size_t i = 1; i <= config_.conv_dim.size(); ++i) {
    names.push_back("cnn." + std::to_string(i));
  }
  for (auto& name : hidden_state_names()) names.push_back(std::move(name));
  if (config_.stable_layer_norm) names.emplace_back("output");
  return names;
}

std::vector<at::Tensor> Wav2Vec2Model::forward_waveform(const at::Tensor& waveform) const {
  at::Tensor input = waveform.to(at::kFloat).reshape({1, -1});
  if (normalize_waveform_) {
    // Wav2Vec2FeatureExtractor: (x - mean) / sqrt(var + 1e-7), the variance without correction.
    const at::Tensor mean = input.mean();
    input = (input - mean) / at::sqrt((input - mean).pow(2).mean() + 1e-7);
  }
  Outputs outputs = run(input);
  std::vector<at::Tensor> layers;
  for (const auto& stage : outputs.conv_stages) layers.push_back(stage[0].t().contiguous().cpu());
  for (const auto& state : outputs.hidden_states) layers.push_back(state[0].contiguous().cpu());
  if (config_.stable_layer_norm) layers.push_back(outputs.last_hidden_state[0].contiguous().cpu());
  return layers;
}

}  // namespace brainalign::neural
