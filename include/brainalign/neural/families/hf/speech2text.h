// The Speech2Text encoder (the encoder half of transformers' Speech2TextModel): two strided
// convolutions with GLU on the normalised filterbank, scaled embeddings plus fairseq's
// sinusoidal positions, pre-LN transformer layers and a final layer norm.
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

struct Speech2TextEncoderConfig {
  std::int64_t input_feat_per_channel = 80;
  std::int64_t input_channels = 1;
  std::int64_t conv_channels = 1024;
  std::vector<std::int64_t> conv_kernel_sizes = {5, 5};
  std::int64_t d_model = 256;
  std::int64_t encoder_layers = 12;
  std::int64_t encoder_attention_heads = 4;
  std::int64_t encoder_ffn_dim = 2048;
  Activation activation = Activation::kRelu;
  bool scale_embedding = true;
  std::int64_t pad_token_id = 1;

  static Speech2TextEncoderConfig from(const ModelConfig& config);
};

class Speech2TextEncoder final : public AudioModel {
 public:
  Speech2TextEncoder(const Speech2TextEncoderConfig& config, const Checkpoint& checkpoint);
  ~Speech2TextEncoder() override;
  static Speech2TextEncoder load(const std::filesystem::path& folder,
                                 const LoadOptions& options = {});

  // features: (batch, frames, input_feat_per_channel * input_channels). Returns the encoder's
  // input and every layer's output, the last after the final layer norm, as transformers'
  // hidden_states: (batch, frames subsampled by 2 per convolution, d_model) each.
  std::vector<at::Tensor> forward(const at::Tensor& features) const;
  // dsp::speech2text_features of a 16 kHz waveform (samples,): (1, frames, bins).
  at::Tensor features(const at::Tensor& waveform) const;
  // "embedding", "encoder.1", ..., "encoder.N".
  std::vector<std::string> hidden_state_names() const;
  const Speech2TextEncoderConfig& config() const { return config_; }

  std::string architecture() const override { return "Speech2TextEncoder"; }
  double sample_rate() const override { return 16000.0; }
  std::vector<std::string> layer_names() const override { return hidden_state_names(); }
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;

 private:
  struct Weights;
  Speech2TextEncoderConfig config_;
  std::shared_ptr<const Weights> weights_;
  c10::Device device_;
};

}  // namespace brainalign::neural
