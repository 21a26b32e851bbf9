#include "brainalign/neural/families/hf/ast.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "brainalign/base/error.h"
#include "brainalign/dsp/kaldi_fbank.h"

namespace brainalign::neural {
namespace {

struct VitLayer {
  LayerNorm before;
  SelfAttention attention;
  LayerNorm after;
  Linear intermediate;
  Linear output;
};

}  // namespace

struct AstModel::Weights {
  at::Tensor patch_weight, patch_bias;  // Conv2d(1, hidden, patch, strides)
  at::Tensor cls_token, distillation_token, positions;
  std::vector<VitLayer> layers;
  LayerNorm final_norm;
};

std::int64_t AstConfig::frequency_patches() const {
  return (num_mel_bins - patch_size) / frequency_stride + 1;
}

std::int64_t AstConfig::time_patches() const { return (max_length - patch_size) / time_stride + 1; }

AstConfig AstConfig::from(const ModelConfig& config) {
  const std::string type = config.string("model_type");
  if (type != "audio-spectrogram-transformer") {
    throw InputError(config.error("model_type", "is '" + type + "', not an AST"));
  }
  AstConfig c;
  c.hidden_size = config.integer("hidden_size");
  c.num_hidden_layers = config.integer("num_hidden_layers");
  c.num_attention_heads = config.integer("num_attention_heads");
  c.intermediate_size = config.integer("intermediate_size");
  c.hidden_act =
      config.has("hidden_act") ? activation_from_config(config, "hidden_act") : Activation::kGelu;
  c.layer_norm_eps = config.number("layer_norm_eps", 1e-12);
  c.patch_size = config.integer("patch_size", 16);
  c.frequency_stride = config.integer("frequency_stride", 10);
  c.time_stride = config.integer("time_stride", 10);
  c.max_length = config.integer("max_length", 1024);
  c.num_mel_bins = config.integer("num_mel_bins", 128);
  c.qkv_bias = config.boolean("qkv_bias", true);
  if (c.patch_size <= 0 || c.frequency_stride <= 0 || c.time_stride <= 0 ||
      c.num_mel_bins < c.patch_size || c.max_length < c.patch_size) {
    throw InputError(config.error("patch_size", "does not fit num_mel_bins and max_length"));
  }
  return c;
}

AstModel::AstModel(const AstConfig& config, const Checkpoint& checkpoint)
    : config_(config), device_(checkpoint.device()) {
  if (!config_.qkv_bias) {
    throw InputError(checkpoint.config().error("qkv_bias", "false is not supported"));
  }
  auto w = std::make_shared<Weights>();
  const std::int64_t hidden = config_.hidden_size;
  const std::int64_t patch = config_.patch_size;
  w->patch_weight =
      checkpoint.get("embeddings.patch_embeddings.projection.weight", {hidden, 1, patch, patch});
  w->patch_bias = checkpoint.get("embeddings.patch_embeddings.projection.bias", {hidden});
  w->cls_token = checkpoint.get("embeddings.cls_token", {1, 1, hidden});
  w->distillation_token = checkpoint.get("embeddings.distillation_token", {1, 1, hidden});
  const std::int64_t tokens = config_.frequency_patches() * config_.time_patches() + 2;
  w->positions = checkpoint.get("embeddings.position_embeddings", {1, tokens, hidden});
  const double eps = config_.layer_norm_eps;
  for (std::int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    const std::string prefix = "encoder.layer." + std::to_string(i);
    const std::string attention = prefix + ".attention.attention";
    VitLayer layer;
    layer.before = LayerNorm::load(checkpoint, prefix + ".layernorm_before", hidden, eps);
    layer.attention =
        SelfAttention::load(checkpoint,
                            {attention + ".query", attention + ".key", attention + ".value",
                             prefix + ".attention.output.dense"},
                            hidden, config_.num_attention_heads);
    layer.after = LayerNorm::load(checkpoint, prefix + ".layernorm_after", hidden, eps);
    layer.intermediate =
        Linear::load(checkpoint, prefix + ".intermediate.dense", hidden, config_.intermediate_size);
    layer.output =
        Linear::load(checkpoint, prefix + ".output.dense", config_.intermediate_size, hidden);
    w->layers.push_back(std::move(layer));
  }
  w->final_norm = LayerNorm::load(checkpoint, "layernorm", hidden, eps);
  weights_ = std::move(w);
}

AstModel::~AstModel() = default;

AstModel AstModel::load(const std::filesystem::path& folder, const LoadOptions& options) {
  const ModelConfig config = ModelConfig::read(folder / "config.json");
  Checkpoint checkpoint(folder, config, options.device);
  checkpoint.use_prefix_of("embeddings.cls_token", {"", "audio_spectrogram_transformer."});
  return AstModel(AstConfig::from(config), checkpoint);
}

AstModel::Outputs AstModel::run(const at::Tensor& features) const {
  c10::InferenceMode inference;
  const Weights& w = *weights_;
  if (features.dim() != 3 || features.size(1) != config_.max_length ||
      features.size(2) != config_.num_mel_bins) {
    throw InputError(
        "ASTModel: the features must be (batch, " + std::to_string(config_.max_length) + ", " +
        std::to_string(config_.num_mel_bins) + "), got " + shape_text(features.sizes()));
  }
  const std::int64_t batch = features.size(0);
  // (batch, frames, bins) -> (batch, 1, bins, frames): patches frequency-major.
  const at::Tensor image = features.to(device_, at::kFloat).unsqueeze(1).transpose(2, 3);
  const at::Tensor patches = at::conv2d(image, w.patch_weight, w.patch_bias,
                                        {config_.frequency_stride, config_.time_stride})
                                 .flatten(2)
                                 .transpose(1, 2);
  at::Tensor x = at::cat({w.cls_token.expand({batch, -1, -1}),
                          w.distillation_token.expand({batch, -1, -1}), patches},
                         1) +
                 w.positions;
  Outputs outputs;
  outputs.hidden_states.push_back(x);
  for (const auto& layer : w.layers) {
    x = x + layer.attention(layer.before(x));
    x = x + layer.output(activate(layer.intermediate(layer.after(x)), config_.hidden_act));
    outputs.hidden_states.push_back(x);
  }
  outputs.last_hidden_state = w.final_norm(x);
  return outputs;
}

std::vector<at::Tensor> AstModel::forward(const at::Tensor& features) const {
  return run(features).hidden_states;
}

at::Tensor AstModel::features(const at::Tensor& waveform) const {
  dsp::AstFeatureParams params;
  params.num_mel_bins = static_cast<int>(config_.num_mel_bins);
  params.max_length = static_cast<int>(config_.max_length);
  const at::Tensor samples = waveform.to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  const double* data = samples.data_ptr<double>();
  const Matrix fbank = dsp::ast_features(std::vector<double>(data, data + samples.numel()), params);
  return at::from_blob(const_cast<double*>(fbank.data()), {1, fbank.rows(), fbank.cols()},
                       at::kDouble)
      .to(at::kFloat);
}

std::vector<std::string> AstModel::hidden_state_names() const {
  std::vector<std::string> names = {"embedding"};
  for (std::int64_t i = 1; i <= config_.num_hidden_layers; ++i) {
    names.push_back("encoder." + std::to_string(i));
  }
  return names;
}

std::vector<std::string> AstModel::layer_names() const {
  std::vector<std::string> names = hidden_state_names();
  names.emplace_back("output");
  return names;
}

std::vector<at::Tensor> AstModel::forward_waveform(const at::Tensor& waveform) const {
  const Outputs outputs = run(features(waveform));
  std::vector<at::Tensor> layers;
  for (const auto& state : outputs.hidden_states) layers.push_back(state[0].contiguous().cpu());
  layers.push_back(outputs.last_hidden_state[0].contiguous().cpu());
  return layers;
}

}  // namespace brainalign::neural
