// The EnCodec encoder (the encoder of transformers' EncodecModel): a causal (or symmetric)
// padded convolution, then per downsampling ratio a residual block, an ELU and a strided
// convolution, then a two-layer LSTM with a skip connection, an ELU and a last convolution.
// Every module of encoder.layers is a named layer.
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

struct EncodecEncoderConfig {
  std::int64_t audio_channels = 1;
  std::int64_t num_filters = 32;
  std::vector<std::int64_t> upsampling_ratios = {8, 5, 4, 2};  // applied in reverse order
  std::int64_t kernel_size = 7;
  std::int64_t last_kernel_size = 7;
  std::int64_t residual_kernel_size = 3;
  std::int64_t dilation_growth_rate = 2;
  std::int64_t num_residual_layers = 1;
  std::int64_t compress = 2;
  std::int64_t num_lstm_layers = 2;
  std::int64_t hidden_size = 128;
  bool use_causal_conv = true;
  bool reflect_padding = true;   // pad_mode "reflect", else zeros
  bool time_group_norm = false;  // norm_type "time_group_norm", else "weight_norm"
  bool use_conv_shortcut = true;
  double sampling_rate = 24000.0;

  static EncodecEncoderConfig from(const ModelConfig& config);
};

// How a checkpoint names the encoder's modules and their convolutions: transformers'
// EncodecModel ("encoder.layers.<i>", a convolution's tensors under ".conv", its group norm
// under ".norm") by default; facebookresearch/encodec's SEANetEncoder keeps them as
// "<...>model.<i>" with ".conv.conv" and ".conv.norm".
struct EncodecEncoderNames {
  std::string modules = "encoder.layers.";
  std::string conv = ".conv";
  std::string norm = ".norm";
};

class EncodecEncoder final : public AudioModel {
 public:
  EncodecEncoder(const EncodecEncoderConfig& config, const TensorStore& weights,
                 const EncodecEncoderNames& names = {});
  ~EncodecEncoder() override;
  static EncodecEncoder load(const std::filesystem::path& folder, const LoadOptions& options = {});

  // waveform: (batch, audio_channels, samples). Returns the output of every module of
  // encoder.layers in turn, each (batch, channels, frames).
  std::vector<at::Tensor> forward(const at::Tensor& waveform) const;
  // "encoder.layers.0", ... : the module paths of forward()'s outputs.
  std::vector<std::string> hidden_state_names() const;
  const EncodecEncoderConfig& config() const { return config_; }

  std::string architecture() const override { return "EncodecEncoder"; }
  double sample_rate() const override { return config_.sampling_rate; }
  std::vector<std::string> layer_names() const override { return hidden_state_names(); }
  // Mono models only; each layer as (frames, channels).
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;

 private:
  struct Module;
  EncodecEncoderConfig config_;
  std::shared_ptr<const std::vector<Module>> modules_;
  c10::Device device_;
};

}  // namespace brainalign::neural
