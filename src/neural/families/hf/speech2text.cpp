#include "brainalign/neural/families/hf/speech2text.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>

#include "brainalign/base/error.h"
#include "brainalign/dsp/speech2text_fbank.h"

namespace brainalign::neural {

struct Speech2TextEncoder::Weights {
  std::vector<at::Tensor> conv_weights, conv_biases;
  std::vector<PreNormEncoderLayer> layers;
  LayerNorm final_norm;
};

Speech2TextEncoderConfig Speech2TextEncoderConfig::from(const ModelConfig& config) {
  const std::string type = config.string("model_type");
  if (type != "speech_to_text") {
    throw InputError(config.error("model_type", "is '" + type + "', not 'speech_to_text'"));
  }
  Speech2TextEncoderConfig c;
  c.input_feat_per_channel = config.integer("input_feat_per_channel");
  c.input_channels = config.integer("input_channels", 1);
  c.conv_channels = config.integer("conv_channels");
  c.conv_kernel_sizes = config.integers("conv_kernel_sizes");
  c.d_model = config.integer("d_model");
  c.encoder_layers = config.integer("encoder_layers");
  c.encoder_attention_heads = config.integer("encoder_attention_heads");
  c.encoder_ffn_dim = config.integer("encoder_ffn_dim");
  c.activation = activation_from_config(config, "activation_function");
  c.scale_embedding = config.boolean("scale_embedding", true);
  c.pad_token_id = config.integer("pad_token_id", 1);
  if (c.conv_kernel_sizes.empty() ||
      config.integer("num_conv_layers", static_cast<std::int64_t>(c.conv_kernel_sizes.size())) !=
          static_cast<std::int64_t>(c.conv_kernel_sizes.size())) {
    throw InputError(config.error("conv_kernel_sizes", "must have num_conv_layers entries"));
  }
  if (c.d_model <= 0 || c.d_model % 2 != 0 || c.encoder_attention_heads <= 0 ||
      c.d_model % c.encoder_attention_heads != 0 || c.conv_channels % 2 != 0) {
    throw InputError(config.error("d_model",
                                  "must be an even multiple of "
                                  "encoder_attention_heads (and conv_channels even)"));
  }
  return c;
}

Speech2TextEncoder::Speech2TextEncoder(const Speech2TextEncoderConfig& config,
                                       const Checkpoint& checkpoint)
    : config_(config), device_(checkpoint.device()) {
  auto w = std::make_shared<Weights>();
  const std::int64_t dim = config_.d_model;
  const std::size_t convs = config_.conv_kernel_sizes.size();
  for (std::size_t i = 0; i < convs; ++i) {
    const std::string prefix = "encoder.conv.conv_layers." + std::to_string(i);
    const std::int64_t in = i == 0 ? config_.input_feat_per_channel * config_.input_channels
                                   : config_.conv_channels / 2;
    const std::int64_t out = i + 1 < convs ? config_.conv_channels : 2 * dim;
    w->conv_weights.push_back(
        checkpoint.get(prefix + ".weight", {out, in, config_.conv_kernel_sizes[i]}));
    w->conv_biases.push_back(checkpoint.get(prefix + ".bias", {out}));
  }
  const PreNormEncoderLayer::Shape shape{
      dim, config_.encoder_attention_heads, config_.encoder_ffn_dim, config_.activation, true,
      1e-5};
  for (std::int64_t i = 0; i < config_.encoder_layers; ++i) {
    w->layers.push_back(
        PreNormEncoderLayer::load(checkpoint, "encoder.layers." + std::to_string(i), shape));
  }
  w->final_norm = LayerNorm::load(checkpoint, "encoder.layer_norm", dim, 1e-5);
  weights_ = std::move(w);
}

Speech2TextEncoder::~Speech2TextEncoder() = default;

Speech2TextEncoder Speech2TextEncoder::load(const std::filesystem::path& folder,
                                            const LoadOptions& options) {
  const ModelConfig config = ModelConfig::read(folder / "config.json");
  Checkpoint checkpoint(folder, config, options.device);
  checkpoint.use_prefix_of("encoder.conv.conv_layers.0.weight", {"", "model."});
  return Speech2TextEncoder(Speech2TextEncoderConfig::from(config), checkpoint);
}

namespace {

// fairseq's sinusoidal positions for `frames` unpadded frames: rows padding_idx + 1 onwards of
// the table [sin(p w_i), cos(p w_i)], w_i = 10000^(-i / (half - 1)), in float32 as torch.
at::Tensor sinusoidal_positions(std::int64_t frames, std::int64_t dim, std::int64_t padding_idx,
                                c10::Device device) {
  const std::int64_t half = dim / 2;
  const auto options = at::TensorOptions().dtype(at::kFloat).device(device);
  const double step = std::log(10000.0) / static_cast<double>(half - 1);
  const at::Tensor frequencies = at::exp(at::arange(half, options) * -step);
  const at::Tensor positions = at::arange(padding_idx + 1, padding_idx + 1 + frames, options);
  const at::Tensor angles = positions.unsqueeze(1) * frequencies.unsqueeze(0);
  return at::cat({at::sin(angles), at::cos(angles)}, 1);
}

}  // namespace

std::vector<at::Tensor> Speech2TextEncoder::forward(const at::Tensor& features) const {
  c10::InferenceMode inference;
  const Weights& w = *weights_;
  const std::int64_t bins = config_.input_feat_per_channel * config_.input_channels;
  if (features.dim() != 3 || features.size(2) != bins || features.size(1) < 1) {
    throw InputError("Speech2TextEncoder: the features must be (batch, frames, " +
                     std::to_string(bins) + "), got " + shape_text(features.sizes()));
  }
  at::Tensor x = features.to(device_, at::kFloat).transpose(1, 2);
  for (std::size_t i = 0; i < w.conv_weights.size(); ++i) {
    const std::int64_t kernel = w.conv_weights[i].size(2);
    x = at::glu(at::conv1d(x, w.conv_weights[i], w.conv_biases[i], {2}, {kernel / 2}), 1);
  }
  x = x.transpose(1, 2);
  if (config_.scale_embedding) x = x * std::sqrt(static_cast<double>(config_.d_model));
  x = x + sinusoidal_positions(x.size(1), config_.d_model, config_.pad_token_id, device_);
  std::vector<at::Tensor> states = {x};
  for (const auto& layer : w.layers) {
    x = layer(x);
    states.push_back(x);
  }
  states.back() = w.final_norm(x);
  return states;
}

at::Tensor Speech2TextEncoder::features(const at::Tensor& waveform) const {
  dsp::Speech2TextFeatureParams params;
  params.num_mel_bins = static_cast<int>(config_.input_feat_per_channel);
  const at::Tensor samples = waveform.to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  const double* data = samples.data_ptr<double>();
  const Matrix fbank =
      dsp::speech2text_features(std::vector<double>(data, data + samples.numel()), params);
  return at::from_blob(const_cast<double*>(fbank.data()), {1, fbank.rows(), fbank.cols()},
                       at::kDouble)
      .to(at::kFloat);
}

std::vector<std::string> Speech2TextEncoder::hidden_state_names() const {
  std::vector<std::string> names = {"embedding"};
  for (std::int64_t i = 1; i <= config_.encoder_layers; ++i) {
    names.push_back("encoder." + std::to_string(i));
  }
  return names;
}

std::vector<at::Tensor> Speech2TextEncoder::forward_waveform(const at::Tensor& waveform) const {
  std::vector<at::Tensor> layers;
  for (const auto& state : forward(features(waveform)))
    layers.push_back(state[0].contiguous().cpu());
  return layers;
}

}  // namespace brainalign::neural
