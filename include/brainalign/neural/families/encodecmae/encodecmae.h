// EnCodecMAE (habla-liaa/encodecmae: the mel256 variants, mel256-ec-base / -large and their
// fine-tuned siblings; ec-ec-base, whose input is the 24 kHz EnCodec model's encoder; and
// spec-ec-base, whose input is a Kaldi linear spectrogram) loaded from its .pt checkpoint
// ({'imports', 'config' (gin text), 'state_dict'}) and run natively. Only the path that
// feature extraction uses is built: the front end, the visible encoder and, on request, the
// decoder; the target quantizer and the classification head are training-only and their
// tensors are ignored.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/dsp/kaldi_fbank.h"
#include "brainalign/neural/audio_model.h"
#include "brainalign/neural/formats/torch_checkpoint.h"
#include "brainalign/neural/hidden_state.h"

namespace brainalign::neural {

// What WavEncoder's input is and how it is computed: the gin binding WavEncoder.encoder
// (@torch.nn.Identity on a processor's features, or @encodecmae.models.encoders.EncodecEncoder
// on the waveform) and, for Identity, the processor after ReadAudioProcessor
// (MelspectrogramProcessor, the default, or SpectrogramProcessor).
enum class EncodecMaeFrontEnd { kMel, kSpectrogram, kEncodec };

struct EncodecMaeConfig {
  EncodecMaeFrontEnd front_end = EncodecMaeFrontEnd::kMel;
  int model_dim = 768;
  int encoder_layers = 10;
  int encoder_heads = 12;
  int decoder_layers = 2;
  int decoder_heads = 12;
  int encoder_ff_dim = 4096;
  int decoder_ff_dim = 4096;
  double sample_rate = 24000.0;
  double chunk_seconds = 4.0;  // ReadAudioProcessor.max_length
  int padding_mask_hop = 320;  // WavEncoder.hop_length: frames = samples / hop are valid
  // MelspectrogramProcessor's fbank or SpectrogramProcessor's spectrogram (its frame_length,
  // frame_shift, sample_frequency and window_type; the rest torchaudio's defaults).
  dsp::KaldiFbankParams fbank;
  double norm_mean = 0.0;  // features are (fbank - mean) / std
  double norm_std = 1.0;
  double encodec_scale = 1.0;  // EncodecEncoder.scale: its output is multiplied by it
};

// The gin bindings of a config text: macros ("MODEL_DIM") and parameters
// ("scope/module.Class.param") mapped to their value text, later bindings replacing earlier
// ones, %MACRO references resolved. Throws InputError naming `source` for unparsable lines.
std::vector<std::pair<std::string, std::string>> parse_gin_bindings(const std::string& text,
                                                                    const std::string& source);

struct EncodecMaeOptions {
  // extract_features_from_array's switches: replace the last layer's x0 by x0 +
  // final_norm(x1); which ResiDual stream (0: x0, 1: x1) the layer states are; also run the
  // decoder and append its layer states.
  bool postnorm_last_activation = true;
  int residual_branch = 0;
  bool extract_decoder = false;
};

class EncodecMaeModel final : public AudioModel {
 public:
  // As an AudioModel: "embedding" (the input of the first transformer layer) and "encoder.1"
  // .. "encoder.N" (each layer's output), the scheme of the Hugging Face models, from forward().
  std::string architecture() const override;
  double sample_rate() const override;
  std::vector<std::string> layer_names() const override;
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;
  std::vector<at::Tensor> forward_samples(const std::vector<double>& waveform) const override;

  // Throws IoError when the file cannot be read and InputError naming the tensor or gin
  // binding when the checkpoint is not an EnCodecMAE model with one of the front ends above
  // (a wav encoder other than Identity or EncodecEncoder is named in the message).
  static EncodecMaeModel load(const std::filesystem::path& checkpoint);
  // The architecture of a released `checkpoint` with the weights of another file: a PyTorch
  // Lightning training checkpoint (.ckpt, its 'state_dict'; the rest of it is never run) or a
  // saved state_dict, as torch's load_state_dict(strict=True) takes it: InputError naming the
  // tensor when a name is missing or extra or a shape differs (a checkpoint of another model).
  static EncodecMaeModel load(const std::filesystem::path& checkpoint,
                              const std::filesystem::path& weights);
  static EncodecMaeModel from_checkpoint(const TorchCheckpoint& checkpoint,
                                         const TorchCheckpoint* trained = nullptr);

  const EncodecMaeConfig& config() const;

  // Runs a mono waveform at config().sample_rate (24 kHz) in chunks of chunk_seconds, as
  // extract_features_from_array does (chunks of at most 2048 samples are dropped), each chunk
  // with its own front end, positions and padding mask. Returns, in order: the front end's
  // output (1, frames, features): "mel" (the normalised fbank), "spectrogram" (the normalised
  // log power spectrogram) or "wav_encoder.encoder" (the scaled EnCodec encoder output);
  // "wav_encoder.post_net" and "masker.positional_encoder" (1, frames, dim),
  // "visible_encoder.encoder_layers.<i>" (1, frames, dim) for every layer and, with
  // extract_decoder, "decoder.encoder_layers.<i>". Throws InputError when no chunk is long
  // enough.
  std::vector<HiddenState> forward(const std::vector<double>& waveform,
                                   const EncodecMaeOptions& options = {}) const;

 private:
  struct Weights;
  std::shared_ptr<const Weights> weights_;
};

}  // namespace brainalign::neural
