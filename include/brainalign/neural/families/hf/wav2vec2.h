// The wav2vec 2.0 family (transformers Wav2Vec2Model, HubertModel, WavLMModel,
// Data2VecAudioModel): a strided convolutional feature encoder on the raw waveform, a feature
// projection, a convolutional positional embedding and a transformer encoder. One
// implementation with the variants' differences as options:
//   - feature encoder: group norm on the first convolution ("group", base models) or layer norm
//     after every convolution ("layer", large models and data2vec);
//   - transformer: post-LN (base) or pre-LN with a final layer norm ("stable", large);
//   - positional embedding: one weight-normalised grouped convolution, optionally after a
//     batch norm (HuBERT), or a stack of plain ones with parameter-free layer norms (data2vec);
//   - attention: plain, or with WavLM's gated relative position bias.
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

enum class Wav2Vec2Variant { kWav2Vec2, kHubert, kWavLM, kData2VecAudio };

struct Wav2Vec2Config {
  Wav2Vec2Variant variant = Wav2Vec2Variant::kWav2Vec2;
  std::vector<std::int64_t> conv_dim;
  std::vector<std::int64_t> conv_kernel;
  std::vector<std::int64_t> conv_stride;
  bool conv_bias = false;
  bool layer_norm_feature_encoder = false;  // feat_extract_norm == "layer"
  Activation feat_extract_activation = Activation::kGelu;
  bool feature_projection_norm = true;  // HuBERT's feat_proj_layer_norm
  std::int64_t hidden_size = 768;
  std::int64_t num_hidden_layers = 12;
  std::int64_t num_attention_heads = 12;
  std::int64_t intermediate_size = 3072;
  Activation hidden_act = Activation::kGelu;
  double layer_norm_eps = 1e-5;
  bool stable_layer_norm = false;              // do_stable_layer_norm
  std::int64_t num_conv_pos_embeddings = 128;  // kernel size, or (data2vec) number of layers
  std::int64_t num_conv_pos_embedding_groups = 16;
  std::int64_t conv_pos_kernel_size = 19;  // data2vec
  bool conv_pos_batch_norm = false;        // HuBERT
  std::int64_t num_buckets = 320;          // WavLM
  std::int64_t max_bucket_distance = 800;  // WavLM

  // Reads the keys transformers' config classes define, with their defaults where a key is
  // optional. Throws InputError for a model_type outside the family or an inconsistent config.
  static Wav2Vec2Config from(const ModelConfig& config);
};

class Wav2Vec2Model final : public AudioModel {
 public:
  // Everything one forward pass yields.
  struct Outputs {
    std::vector<at::Tensor> conv_stages;    // each convolution's output, (batch, channels, frames)
    at::Tensor extract_features;            // (batch, frames, conv_dim[-1]), normalised when the
                                            // feature projection has a layer norm
    std::vector<at::Tensor> hidden_states;  // embedding, then each layer: (batch, frames, hidden)
    at::Tensor last_hidden_state;  // the model's output: for pre-LN models the last layer's
                                   // output after the encoder's final layer norm
  };

  Wav2Vec2Model(const Wav2Vec2Config& config, const Checkpoint& checkpoint);
  ~Wav2Vec2Model() override;
  // A folder holding config.json and its weights (model_weight_files).
  static Wav2Vec2Model load(const std::filesystem::path& folder, const LoadOptions& options = {});

  // waveform: (batch, samples) float32, as the feature extractor hands it to transformers.
  Outputs run(const at::Tensor& waveform) const;
  // The hidden states transformers (5.x) returns: the encoder's input, then every layer's output,
  // all before the pre-LN models' final layer norm (see Outputs::last_hidden_state).
  std::vector<at::Tensor> forward(const at::Tensor& waveform) const;
  // "embedding", "encoder.1", ..., "encoder.N": the names of forward()'s outputs.
  std::vector<std::string> hidden_state_names() const;
  const Wav2Vec2Config& config() const { return config_; }
  // Whether forward_waveform() first scales the waveform to zero mean and unit variance, as the
  // checkpoint's feature extractor does when its preprocessor_config.json says do_normalize
  // (large models). load() reads that file when the folder has one.
  void set_normalize_waveform(bool normalize) { normalize_waveform_ = normalize; }
  bool normalize_waveform() const { return normalize_waveform_; }

  std::string architecture() const override;
  double sample_rate() const override { return 16000.0; }
  // "cnn.1" ... "cnn.K" (the convolution stages), then hidden_state_names(), then for pre-LN
  // ("stable layer norm") models "output": the model's output after the encoder's final layer
  // norm (Outputs::last_hidden_state, what the model returns). Post-LN models have no final
  // norm: their output is "encoder.N".
  std::vector<std::string> layer_names() const override;
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;

 private:
  struct Weights;
  Wav2Vec2Config config_;
  std::shared_ptr<const Weights> weights_;
  c10::Device device_;
  bool normalize_waveform_ = false;
};

}  // namespace brainalign::neural
