// BEATs (microsoft/unilm beats/, the iter3 / iter3+ pre-trained layout) loaded from its
// released .pt checkpoint ({'cfg': dict, 'model': state_dict}) and run natively.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/neural/audio_model.h"
#include "brainalign/neural/formats/torch_checkpoint.h"
#include "brainalign/neural/hidden_state.h"

namespace brainalign::neural {

// The checkpoint's 'cfg' entries that shape the network (BEATsConfig's defaults for absent
// keys).
struct BeatsConfig {
  int input_patch_size = 16;
  int embed_dim = 512;
  bool conv_bias = false;
  int encoder_layers = 12;
  int encoder_embed_dim = 768;
  int encoder_ffn_embed_dim = 3072;
  int encoder_attention_heads = 12;
  std::string activation_fn = "gelu";
  bool layer_norm_first = false;
  bool deep_norm = false;
  int conv_pos = 128;
  int conv_pos_groups = 16;
  bool relative_position_embedding = false;
  int num_buckets = 320;
  int max_distance = 1280;
  bool gru_rel_pos = false;
};

class BeatsModel final : public AudioModel {
 public:
  // As an AudioModel: "embedding" (the input of the first transformer layer) and "encoder.1"
  // .. "encoder.N" (each layer's output), the scheme of the Hugging Face models, from forward().
  std::string architecture() const override;
  double sample_rate() const override;
  std::vector<std::string> layer_names() const override;
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;
  std::vector<at::Tensor> forward_samples(const std::vector<double>& waveform) const override;

  static constexpr double kSampleRate = 16000.0;

  // Throws IoError when the file cannot be read and InputError, naming the tensor or cfg key,
  // when the checkpoint does not describe a BEATs model this port supports.
  static BeatsModel load(const std::filesystem::path& checkpoint);
  static BeatsModel from_checkpoint(const TorchCheckpoint& checkpoint);

  const BeatsConfig& config() const;

  // Runs a mono 16 kHz waveform (full scale +-1) through the model. Returns, in order:
  // "preprocess" (1, frames, 128) normalised fbank, "patch_embedding" (1, embed, t, f),
  // "layer_norm" (1, t*f, embed), "post_extract_proj" (1, tokens, dim) (when the checkpoint has
  // that projection), "encoder.pos_conv" (1, dim, tokens), "encoder.layer_norm" (1, tokens,
  // dim): the input of layer 0, then "encoder.layers.<i>" (1, tokens, dim) for every layer
  // (and, for layer_norm_first models, "encoder.final_layer_norm"). The last one is what
  // BEATs.extract_features returns. Throws InputError for audio shorter than one patch.
  std::vector<HiddenState> forward(const std::vector<double>& waveform) const;

 private:
  struct Weights;
  std::shared_ptr<const Weights> weights_;
};

// BEATs' bidirectional relative-position buckets (MultiheadAttention._relative_positions_bucket)
// of int64 offsets key - query, computed with the same float32 operations as the reference.
at::Tensor beats_relative_position_buckets(const at::Tensor& relative_positions, int num_buckets,
                                           int max_distance);

}  // namespace brainalign::neural
