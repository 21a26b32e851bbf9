// The Audio Spectrogram Transformer (transformers ASTModel): 16x16 patches of the normalised
// Kaldi filterbank, a class and a distillation token, learned positions and pre-LN ViT layers.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/neural/audio_model.h"
#include "brainalign/neural/blocks.h"
#include "brainalign/neural/formats/config.h"

namespace brainalign::neural {

struct AstConfig {
  std::int64_t hidden_size = 768;
  std::int64_t num_hidden_layers = 12;
  std::int64_t num_attention_heads = 12;
  std::int64_t intermediate_size = 3072;
  Activation hidden_act = Activation::kGelu;
  double layer_norm_eps = 1e-12;
  std::int64_t patch_size = 16;
  std::int64_t frequency_stride = 10;
  std::int64_t time_stride = 10;
  std::int64_t max_length = 1024;  // input frames
  std::int64_t num_mel_bins = 128;
  bool qkv_bias = true;

  // Patches along frequency and time.
  std::int64_t frequency_patches() const;
  std::int64_t time_patches() const;
  static AstConfig from(const ModelConfig& config);
};

class AstModel final : public AudioModel {
 public:
  struct Outputs {
    // The embeddings (tokens, positions added), then every layer's output: (batch, 2 +
    // patches, hidden), before the final layer norm, as transformers' hidden_states.
    std::vector<at::Tensor> hidden_states;
    at::Tensor last_hidden_state;  // the last layer's output after the final layer norm
  };

  AstModel(const AstConfig& config, const Checkpoint& checkpoint);
  ~AstModel() override;
  static AstModel load(const std::filesystem::path& folder, const LoadOptions& options = {});

  // features: (batch, max_length, num_mel_bins), as ASTFeatureExtractor makes them.
  Outputs run(const at::Tensor& features) const;
  std::vector<at::Tensor> forward(const at::Tensor& features) const;
  // dsp::ast_features of a 16 kHz waveform (samples,): (1, max_length, num_mel_bins).
  at::Tensor features(const at::Tensor& waveform) const;
  // "embedding", "encoder.1", ..., "encoder.N".
  std::vector<std::string> hidden_state_names() const;
  const AstConfig& config() const { return config_; }

  std::string architecture() const override { return "ASTModel"; }
  double sample_rate() const override { return 16000.0; }
  // hidden_state_names(), then "output": the last layer's output after the final layer norm
  // (Outputs::last_hidden_state, what ASTModel returns).
  std::vector<std::string> layer_names() const override;
  // features() then run(); each layer is (2 + patches, hidden), tokens in transformers' order
  // (class, distillation, then patches frequency-major).
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;

 private:
  struct Weights;
  AstConfig config_;
  std::shared_ptr<const Weights> weights_;
  c10::Device device_;
};

}  // namespace brainalign::neural
