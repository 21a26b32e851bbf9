#include "brainalign/neural/families/ast/original_ast.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "brainalign/base/error.h"
#include "brainalign/dsp/kaldi_fbank.h"
#include "brainalign/neural/blocks.h"
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"
#include "brainalign/neural/formats/torch_checkpoint.h"

namespace brainalign::neural {
namespace {

constexpr const char* kDataParallel = "module.";
constexpr std::int64_t kHeadWidth = 64;  // DeiT's (timm 0.4.5, vit_deit_*)
constexpr double kBlockNormEps = 1e-6;   // timm's VisionTransformer: LayerNorm(eps=1e-6)
constexpr double kHeadNormEps = 1e-5;    // AST's mlp_head: nn.LayerNorm's default

// timm 0.4.5's Block: x + attn(norm1(x)), then x + mlp(norm2(x)).
struct Block {
  LayerNorm norm1;
  Linear qkv;  // fused: rows q (heads x 64), then k, then v
  Linear proj;
  LayerNorm norm2;
  Linear fc1;
  Linear fc2;
};

std::string block(std::int64_t i) { return "v.blocks." + std::to_string(i) + "."; }

std::string shape_of(const at::Tensor& t) { return c10::str(t.sizes()); }

// The state_dict's tensors with DataParallel's prefix taken off, checked as they are used.
class Tensors {
 public:
  Tensors(const std::map<std::string, at::Tensor>& tensors, std::string source)
      : source_(std::move(source)) {
    const bool wrapped =
        !tensors.empty() && std::all_of(tensors.begin(), tensors.end(),
                                        [](auto& t) { return t.first.starts_with(kDataParallel); });
    for (const auto& [name, tensor] : tensors) {
      tensors_.emplace(wrapped ? name.substr(std::string(kDataParallel).size()) : name, tensor);
    }
    prefix_ = wrapped ? kDataParallel : "";
  }

  bool contains(const std::string& name) const { return tensors_.contains(name); }
  const at::Tensor& raw(const std::string& name) const {
    const auto found = tensors_.find(name);
    if (found == tensors_.end()) {
      throw InputError(source_ + ": tensor '" + prefix_ + name +
                       "' is missing (not an AST state_dict)");
    }
    return found->second;
  }

  // The tensor as contiguous float32, its shape checked (-1: any extent).
  at::Tensor get(const std::string& name, const std::vector<std::int64_t>& shape) {
    const at::Tensor& t = raw(name);
    if (!t.is_floating_point()) {
      throw InputError(source_ + ": tensor '" + prefix_ + name + "' is not floating point");
    }
    bool matches = t.dim() == static_cast<std::int64_t>(shape.size());
    for (std::size_t d = 0; matches && d < shape.size(); ++d) {
      matches = shape[d] < 0 || t.size(static_cast<std::int64_t>(d)) == shape[d];
    }
    if (!matches) {
      std::string expected = "[";
      for (std::size_t d = 0; d < shape.size(); ++d) {
        expected += (d ? ", " : "") + (shape[d] < 0 ? std::string("*") : std::to_string(shape[d]));
      }
      throw InputError(source_ + ": tensor '" + prefix_ + name + "' has shape " + shape_of(t) +
                       ", AST expects " + expected + "]");
    }
    used_.insert(name);
    return t.to(at::kFloat).contiguous();
  }

  Linear linear(const std::string& name, std::int64_t in, std::int64_t out) {
    Linear l;
    l.weight = get(name + ".weight", {out, in});
    l.bias = get(name + ".bias", {out});
    return l;
  }

  LayerNorm norm(const std::string& name, std::int64_t dim, double eps) {
    LayerNorm n = LayerNorm::plain(dim, eps);
    n.weight = get(name + ".weight", {dim});
    n.bias = get(name + ".bias", {dim});
    return n;
  }

  // Every tensor was used, but DeiT's ImageNet heads, which AST keeps and never runs.
  void expect_all_used() const {
    for (const auto& [name, tensor] : tensors_) {
      (void)tensor;
      if (used_.contains(name) || name.starts_with("v.head.") || name.starts_with("v.head_dist.")) {
        continue;
      }
      throw InputError(source_ + ": tensor '" + prefix_ + name +
                       "' is not part of AST (its ASTModel has v.* and mlp_head.* only)");
    }
  }

 private:
  std::string source_;
  std::string prefix_;
  std::map<std::string, at::Tensor> tensors_;
  std::set<std::string> used_;
};

}  // namespace

struct OriginalAstModel::Weights {
  OriginalAstConfig config;
  at::Tensor patch_weight, patch_bias;  // Conv2d(1, D, 16, stride 10)
  at::Tensor cls_token, dist_token, pos_embed;
  std::vector<Block> blocks;
  LayerNorm norm;
  LayerNorm head_norm;
  Linear head;
};

OriginalAstModel OriginalAstModel::from_state_dict(const std::map<std::string, at::Tensor>& tensors,
                                                   const std::string& source) {
  c10::InferenceMode guard;
  Tensors t(tensors, source);
  if (!t.contains("v.patch_embed.proj.weight") || !t.contains("v.dist_token") ||
      !t.contains("mlp_head.1.weight")) {
    throw InputError(source +
                     ": not an AST state_dict (YuanGongND/ast's audioset_10_10_0.4593.pth has the "
                     "tensors 'module.v.patch_embed.proj.weight', 'module.v.dist_token', "
                     "'module.v.blocks.0.attn.qkv.weight' ... and 'module.mlp_head.1.weight')");
  }
  auto w = std::make_shared<Weights>();
  OriginalAstConfig& c = w->config;
  const at::Tensor& proj = t.raw("v.patch_embed.proj.weight");
  if (proj.dim() != 4 || proj.size(1) != 1 || proj.size(2) != proj.size(3)) {
    throw InputError(source + ": tensor '" + "v.patch_embed.proj.weight' has shape " +
                     shape_of(proj) + ", AST expects [*, 1, p, p] (one input channel)");
  }
  c.embed_dim = proj.size(0);
  c.patch = proj.size(2);
  const std::int64_t dim = c.embed_dim;
  if (dim % kHeadWidth != 0) {
    throw InputError(source + ": embedding width " + std::to_string(dim) +
                     " is not a multiple of DeiT's 64-wide attention heads");
  }
  c.heads = dim / kHeadWidth;
  if (c.mel_bins < c.patch) {
    throw InputError(source + ": patches of " + std::to_string(c.patch) + " do not fit " +
                     std::to_string(c.mel_bins) + " mel bins");
  }
  c.frequency_patches = (c.mel_bins - c.patch) / c.stride + 1;
  w->patch_weight = t.get("v.patch_embed.proj.weight", {dim, 1, c.patch, c.patch});
  w->patch_bias = t.get("v.patch_embed.proj.bias", {dim});
  w->cls_token = t.get("v.cls_token", {1, 1, dim});
  w->dist_token = t.get("v.dist_token", {1, 1, dim});
  const at::Tensor& positions = t.raw("v.pos_embed");
  const std::int64_t patches = positions.dim() == 3 ? positions.size(1) - 2 : 0;
  if (patches <= 0 || patches % c.frequency_patches != 0) {
    throw InputError(source + ": tensor 'v.pos_embed' has shape " + shape_of(positions) +
                     ", AST expects [1, 2 + " + std::to_string(c.frequency_patches) +
                     " x time patches, " + std::to_string(dim) + "] (strides " +
                     std::to_string(c.stride) + ", " + std::to_string(c.mel_bins) + " mel bins)");
  }
  c.time_patches = patches / c.frequency_patches;
  constexpr std::int64_t kReleasedFrames = 1024;
  c.frames = (kReleasedFrames - c.patch) / c.stride + 1 == c.time_patches
                 ? kReleasedFrames
                 : c.patch + (c.time_patches - 1) * c.stride;
  w->pos_embed = t.get("v.pos_embed", {1, patches + 2, dim});

  c.depth = 0;
  while (t.contains(block(c.depth) + "norm1.weight")) ++c.depth;
  if (c.depth == 0) {
    throw InputError(source +
                     ": tensor 'v.blocks.0.norm1.weight' is missing (an AST without "
                     "transformer blocks)");
  }
  c.mlp_hidden = t.raw(block(0) + "mlp.fc1.weight").size(0);
  for (std::int64_t i = 0; i < c.depth; ++i) {
    const std::string b = block(i);
    Block blk;
    blk.norm1 = t.norm(b + "norm1", dim, kBlockNormEps);
    blk.qkv = t.linear(b + "attn.qkv", dim, 3 * dim);
    blk.proj = t.linear(b + "attn.proj", dim, dim);
    blk.norm2 = t.norm(b + "norm2", dim, kBlockNormEps);
    blk.fc1 = t.linear(b + "mlp.fc1", dim, c.mlp_hidden);
    blk.fc2 = t.linear(b + "mlp.fc2", c.mlp_hidden, dim);
    w->blocks.push_back(std::move(blk));
  }
  w->norm = t.norm("v.norm", dim, kBlockNormEps);
  w->head_norm = t.norm("mlp_head.0", dim, kHeadNormEps);
  c.classes = t.raw("mlp_head.1.weight").size(0);
  w->head = t.linear("mlp_head.1", dim, c.classes);
  t.expect_all_used();
  OriginalAstModel model;
  model.weights_ = std::move(w);
  return model;
}

OriginalAstModel OriginalAstModel::load(const std::filesystem::path& checkpoint) {
  return from_state_dict(read_state_dict_file(checkpoint, "an AST"), checkpoint.string());
}

const OriginalAstConfig& OriginalAstModel::config() const { return weights_->config; }

at::Tensor OriginalAstModel::features(const std::vector<double>& waveform) const {
  const OriginalAstConfig& c = weights_->config;
  dsp::AstFeatureParams params;  // the loader's mean and std
  params.sample_frequency = kSampleRate;
  params.num_mel_bins = static_cast<int>(c.mel_bins);
  params.max_length = static_cast<int>(c.frames);
  const Matrix fbank = dsp::ast_features(waveform, params);
  return at::from_blob(const_cast<double*>(fbank.data()), {1, fbank.rows(), fbank.cols()},
                       at::kDouble)
      .to(at::kFloat);
}

std::vector<HiddenState> OriginalAstModel::forward(const at::Tensor& features) const {
  c10::InferenceMode guard;
  const Weights& w = *weights_;
  const OriginalAstConfig& c = w.config;
  if (features.dim() != 3 || features.size(1) != c.frames || features.size(2) != c.mel_bins) {
    throw InputError("AST takes features of shape (batch, " + std::to_string(c.frames) + ", " +
                     std::to_string(c.mel_bins) + "), got " + shape_of(features));
  }
  const std::int64_t batch = features.size(0);
  const std::int64_t dim = c.embed_dim;
  const std::int64_t head_dim = dim / c.heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  std::vector<HiddenState> states;
  // (batch, frames, bins) -> (batch, 1, bins, frames)
  const at::Tensor image = features.to(at::kFloat).unsqueeze(1).transpose(2, 3);
  const at::Tensor patches = at::conv2d(image, w.patch_weight, w.patch_bias, {c.stride, c.stride});
  states.push_back({"v.patch_embed.proj", patches});
  at::Tensor x = at::cat({w.cls_token.expand({batch, -1, -1}), w.dist_token.expand({batch, -1, -1}),
                          patches.flatten(2).transpose(1, 2)},
                         1) +
                 w.pos_embed;
  const std::int64_t tokens = x.size(1);
  for (std::size_t i = 0; i < w.blocks.size(); ++i) {
    const Block& b = w.blocks[i];
    // (batch, tokens, 3, heads, head_dim) -> (3, batch, heads, tokens, head_dim)
    const at::Tensor qkv =
        b.qkv(b.norm1(x)).reshape({batch, tokens, 3, c.heads, head_dim}).permute({2, 0, 3, 1, 4});
    const at::Tensor attention =
        at::softmax(at::matmul(qkv[0], qkv[1].transpose(-2, -1)) * scale, -1);
    x = x + b.proj(at::matmul(attention, qkv[2]).transpose(1, 2).reshape({batch, tokens, dim}));
    const at::Tensor fc2 = b.fc2(activate(b.fc1(b.norm2(x)), Activation::kGelu));
    states.push_back({block(static_cast<std::int64_t>(i)) + "mlp.fc2", fc2});
    x = x + fc2;
  }
  x = w.norm(x);
  const at::Tensor pooled = (x.select(1, 0) + x.select(1, 1)) / 2;
  states.push_back({"output", w.head(w.head_norm(pooled))});
  return states;
}

std::string OriginalAstModel::architecture() const { return "ASTModel"; }

double OriginalAstModel::sample_rate() const { return kSampleRate; }

std::vector<std::string> OriginalAstModel::layer_names() const {
  std::vector<std::string> names = {"Embedding"};
  for (std::int64_t i = 1; i <= weights_->config.depth; ++i) {
    names.push_back("Encoder_" + std::to_string(i));
  }
  names.emplace_back("Final");
  return names;
}

std::vector<at::Tensor> OriginalAstModel::forward_samples(
    const std::vector<double>& waveform) const {
  const std::vector<HiddenState> states = forward(features(waveform));
  std::vector<at::Tensor> layers;
  layers.reserve(states.size());
  for (const HiddenState& state : states) {
    const at::Tensor& v = state.value;
    // (1, D, F, T) -> (F T, D), as the patch embedding flattens it; (1, N, D) -> (N, D);
    // (1, classes) stays one row.
    if (v.dim() == 4) {
      layers.push_back(v.flatten(2).transpose(1, 2)[0].contiguous());
    } else if (v.dim() == 3) {
      layers.push_back(v[0].contiguous());
    } else {
      layers.push_back(v.contiguous());
    }
  }
  return layers;
}

std::vector<at::Tensor> OriginalAstModel::forward_waveform(const at::Tensor& waveform) const {
  return forward_samples(waveform_samples(waveform));
}

}  // namespace brainalign::neural
