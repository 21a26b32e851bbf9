// The Audio Spectrogram Transformer (Gong et al. 2021) as its own code runs it
// (YuanGongND/ast, src/models/ast_models.py ASTModel on timm 0.4.5's distilled
// VisionTransformer), loaded from the released state_dict (audioset_10_10_0.4593.pth: ASTModel
// wrapped in torch.nn.DataParallel, tensors module.v.* and module.mlp_head.*) and run natively
// with AST's own front end (its data loader's Kaldi fbank, dsp::ast_features). Its layers are
// the modules Tuckute et al. (2023) hooked (gretatuckute/ast, src/run_model.py), named as that
// study's lists name them (aud_dnn/resources.py): Embedding (the patch embedding's
// convolution), Encoder_1..N (each block's mlp.fc2: the feed-forward output projection, before
// the residual sum) and Final (the model's output). The Hugging Face conversion of the same
// network is the hf: family's AstModel (neural/families/hf/ast.h), with other layers.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/neural/audio_model.h"
#include "brainalign/neural/hidden_state.h"

namespace brainalign::neural {

// The shape, read from the tensors. The release: width 768, 12 blocks of 12 heads, feed-forward
// 3072, 12 x 101 patches of 16 x 16 at strides 10 over 128 mel bins and 1024 frames, 527 classes.
struct OriginalAstConfig {
  std::int64_t embed_dim = 768;
  std::int64_t depth = 12;
  std::int64_t heads = 12;  // DeiT's heads are 64 wide: embed_dim / 64
  std::int64_t mlp_hidden = 3072;
  std::int64_t patch = 16;
  std::int64_t stride = 10;  // fstride = tstride, as every released AST model has them
  std::int64_t mel_bins = 128;
  std::int64_t frequency_patches = 12;
  std::int64_t time_patches = 101;
  // input_tdim: the frames the front end pads or cuts to. The release's 1024 when that gives
  // time_patches, else the fewest that do (frames past the last patch reach no patch).
  std::int64_t frames = 1024;
  std::int64_t classes = 527;
};

class OriginalAstModel final : public AudioModel {
 public:
  static constexpr double kSampleRate = 16000.0;

  // As an AudioModel: "Embedding" (patches, embed_dim), patches frequency-major as the patch
  // embedding flattens them; "Encoder_1".."Encoder_N" (2 + patches, embed_dim), class and
  // distillation tokens first; "Final" (1, classes). A layer's mean over rows is the 2023
  // study's read-out of it (gretatuckute/ast, src/extractor_utils.py).
  std::string architecture() const override;
  double sample_rate() const override;
  std::vector<std::string> layer_names() const override;
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;
  std::vector<at::Tensor> forward_samples(const std::vector<double>& waveform) const override;

  // Reads a torch.save state_dict (the zip format, or the legacy one), with or without
  // DataParallel's "module." prefix. IoError when the file cannot be read; InputError naming
  // the file (and the tensor) for anything that is not an AST state_dict.
  static OriginalAstModel load(const std::filesystem::path& checkpoint);
  // From the state_dict's tensors; `source` names them in messages. DeiT's ImageNet heads
  // (v.head.*, v.head_dist.*), which AST keeps but never runs, are ignored; any other extra
  // tensor is refused.
  static OriginalAstModel from_state_dict(const std::map<std::string, at::Tensor>& tensors,
                                          const std::string& source);

  const OriginalAstConfig& config() const;

  // AST's front end on a mono 16 kHz waveform: (1, frames, mel_bins) float32.
  at::Tensor features(const std::vector<double>& waveform) const;

  // Runs features (batch, frames, mel_bins) through the network. Returns the hooked modules'
  // outputs named as the reference names the modules, as they return them:
  // "v.patch_embed.proj" (batch, embed_dim, frequency_patches, time_patches),
  // "v.blocks.<i>.mlp.fc2" (batch, 2 + patches, embed_dim), "output" (batch, classes).
  std::vector<HiddenState> forward(const at::Tensor& features) const;

 private:
  struct Weights;
  std::shared_ptr<const Weights> weights_;
};

}  // namespace brainalign::neural
