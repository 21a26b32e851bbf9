#include "brainalign/neural/families/hf/whisper.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "brainalign/base/error.h"
#include "brainalign/dsp/whisper_logmel.h"

namespace brainalign::neural {
namespace {

constexpr std::int64_t kHopLength = 160;
constexpr double kSampleRate = 16000.0;

}  // namespace

struct WhisperEncoder::Weights {
  at::Tensor conv1_weight, conv1_bias, conv2_weight, conv2_bias;
  at::Tensor positions;  // (max_source_positions, d_model)
  std::vector<PreNormEncoderLayer> layers;
  LayerNorm final_norm;
};

WhisperEncoderConfig WhisperEncoderConfig::from(const ModelConfig& config) {
  const std::string type = config.string("model_type");
  if (type != "whisper") {
    throw InputError(config.error("model_type", "is '" + type + "', not 'whisper'"));
  }
  WhisperEncoderConfig c;
  c.num_mel_bins = config.integer("num_mel_bins");
  c.d_model = config.integer("d_model");
  c.encoder_layers = config.integer("encoder_layers");
  c.encoder_attention_heads = config.integer("encoder_attention_heads");
  c.encoder_ffn_dim = config.integer("encoder_ffn_dim");
  c.max_source_positions = config.integer("max_source_positions");
  c.activation = activation_from_config(config, "activation_function");
  if (c.d_model <= 0 || c.encoder_attention_heads <= 0 ||
      c.d_model % c.encoder_attention_heads != 0) {
    throw InputError(config.error("d_model",
                                  "must be a positive multiple of "
                                  "encoder_attention_heads"));
  }
  return c;
}

WhisperEncoder::WhisperEncoder(const WhisperEncoderConfig& config, const Checkpoint& checkpoint)
    : config_(config), device_(checkpoint.device()) {
  auto w = std::make_shared<Weights>();
  const std::int64_t dim = config_.d_model;
  w->conv1_weight = checkpoint.get("encoder.conv1.weight", {dim, config_.num_mel_bins, 3});
  w->conv1_bias = checkpoint.get("encoder.conv1.bias", {dim});
  w->conv2_weight = checkpoint.get("encoder.conv2.weight", {dim, dim, 3});
  w->conv2_bias = checkpoint.get("encoder.conv2.bias", {dim});
  w->positions =
      checkpoint.get("encoder.embed_positions.weight", {config_.max_source_positions, dim});
  const PreNormEncoderLayer::Shape shape{
      dim, config_.encoder_attention_heads, config_.encoder_ffn_dim, config_.activation, false,
      1e-5};
  for (std::int64_t i = 0; i < config_.encoder_layers; ++i) {
    w->layers.push_back(
        PreNormEncoderLayer::load(checkpoint, "encoder.layers." + std::to_string(i), shape));
  }
  w->final_norm = LayerNorm::load(checkpoint, "encoder.layer_norm", dim, 1e-5);
  weights_ = std::move(w);
}

WhisperEncoder::~WhisperEncoder() = default;

WhisperEncoder WhisperEncoder::load(const std::filesystem::path& folder,
                                    const LoadOptions& options) {
  const ModelConfig config = ModelConfig::read(folder / "config.json");
  Checkpoint checkpoint(folder, config, options.device);
  checkpoint.use_prefix_of("encoder.conv1.weight", {"", "model."});
  return WhisperEncoder(WhisperEncoderConfig::from(config), checkpoint);
}

std::vector<at::Tensor> WhisperEncoder::forward(const at::Tensor& log_mel) const {
  c10::InferenceMode inference;
  const Weights& w = *weights_;
  const std::int64_t max_frames = 2 * config_.max_source_positions;
  if (log_mel.dim() != 3 || log_mel.size(1) != config_.num_mel_bins || log_mel.size(2) < 1 ||
      log_mel.size(2) > max_frames) {
    throw InputError("WhisperEncoder: the log-mel input must be (batch, " +
                     std::to_string(config_.num_mel_bins) + ", frames <= " +
                     std::to_string(max_frames) + "), got " + shape_text(log_mel.sizes()));
  }
  at::Tensor x = log_mel.to(device_, at::kFloat);
  x = at::gelu(at::conv1d(x, w.conv1_weight, w.conv1_bias, {1}, {1}));
  x = at::gelu(at::conv1d(x, w.conv2_weight, w.conv2_bias, {2}, {1}));
  x = x.transpose(1, 2);
  x = x + w.positions.narrow(0, 0, x.size(1));
  std::vector<at::Tensor> states = {x};
  for (const auto& layer : w.layers) {
    x = layer(x);
    states.push_back(x);
  }
  states.back() = w.final_norm(x);
  return states;
}

at::Tensor WhisperEncoder::log_mel(const at::Tensor& waveform) const {
  const std::int64_t frames = 2 * config_.max_source_positions;
  dsp::WhisperLogMelParams params;
  params.n_mels = static_cast<int>(config_.num_mel_bins);
  if ((frames * kHopLength) % static_cast<std::int64_t>(kSampleRate) != 0) {
    throw InputError("WhisperEncoder: max_source_positions " +
                     std::to_string(config_.max_source_positions) +
                     " is not a whole number of seconds of audio");
  }
  params.chunk_length_s =
      static_cast<int>(frames * kHopLength / static_cast<std::int64_t>(kSampleRate));
  const at::Tensor samples = waveform.to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  const double* data = samples.data_ptr<double>();
  const Matrix mel =
      dsp::whisper_log_mel(std::vector<double>(data, data + samples.numel()), params);
  return at::from_blob(const_cast<double*>(mel.data()), {1, mel.rows(), mel.cols()}, at::kDouble)
      .to(at::kFloat);
}

std::vector<std::string> WhisperEncoder::hidden_state_names() const {
  std::vector<std::string> names = {"embedding"};
  for (std::int64_t i = 1; i <= config_.encoder_layers; ++i) {
    names.push_back("encoder." + std::to_string(i));
  }
  return names;
}

std::vector<at::Tensor> WhisperEncoder::forward_waveform(const at::Tensor& waveform) const {
  std::vector<at::Tensor> layers;
  for (const auto& state : forward(log_mel(waveform))) {
    layers.push_back(state[0].contiguous().cpu());
  }
  return layers;
}

}  // namespace brainalign::neural
