// Whisper's audio encoder (the encoder half of transformers' WhisperModel): two convolutions
// on the log-mel spectrogram (the second with stride 2), learned positions, pre-LN transformer
// layers and a final layer norm.
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

struct WhisperEncoderConfig {
  std::int64_t num_mel_bins = 80;
  std::int64_t d_model = 512;
  std::int64_t encoder_layers = 6;
  std::int64_t encoder_attention_heads = 8;
  std::int64_t encoder_ffn_dim = 2048;
  std::int64_t max_source_positions = 1500;
  Activation activation = Activation::kGelu;

  static WhisperEncoderConfig from(const ModelConfig& config);
};

class WhisperEncoder final : public AudioModel {
 public:
  WhisperEncoder(const WhisperEncoderConfig& config, const Checkpoint& checkpoint);
  ~WhisperEncoder() override;
  static WhisperEncoder load(const std::filesystem::path& folder, const LoadOptions& options = {});

  // log_mel: (batch, num_mel_bins, frames) with frames <= 2 * max_source_positions (transformers
  // insists on exactly that many; shorter inputs use the first positions). Returns the
  // encoder's input and every layer's output, the last after the final layer norm:
  // (batch, frames / 2, d_model) each.
  std::vector<at::Tensor> forward(const at::Tensor& log_mel) const;
  // The log-mel features of a 16 kHz waveform (samples,) as WhisperFeatureExtractor makes them,
  // padded or cut to 2 * max_source_positions frames: (1, num_mel_bins, frames).
  at::Tensor log_mel(const at::Tensor& waveform) const;
  // "embedding", "encoder.1", ..., "encoder.N".
  std::vector<std::string> hidden_state_names() const;
  const WhisperEncoderConfig& config() const { return config_; }

  std::string architecture() const override { return "WhisperEncoder"; }
  double sample_rate() const override { return 16000.0; }
  std::vector<std::string> layer_names() const override { return hidden_state_names(); }
  // log_mel() then forward(); every layer has max_source_positions frames (30 s for the
  // released models, the waveform's end padded with zeros).
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;

 private:
  struct Weights;
  WhisperEncoderConfig config_;
  std::shared_ptr<const Weights> weights_;
  c10::Device device_;
};

}  // namespace brainalign::neural
