#include "brainalign/neural/families/dasheng/dasheng.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <map>

#include "brainalign/base/error.h"
#include "brainalign/dsp/mel_spectrogram.h"
#include "brainalign/neural/blocks.h"
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"
#include "brainalign/neural/formats/tensor_store.h"
#include "neural/families/checkpoint_family.h"
#include "neural/formats/pickled_config.h"

namespace brainalign::neural {

namespace {

constexpr double kLayerNormEps = 1e-6;
constexpr double kBatchNormEps = 1e-5;
// The classification head of the fine-tuned models (dasheng's AudioTransformer: a LayerNorm and
// a Linear to the 527 AudioSet classes), which no layer of the port uses.
constexpr const char* kHead = "outputlayer.";

struct DashengBlock {
  LayerNorm norm1;
  Linear qkv;
  Linear proj;
  LayerNorm norm2;
  Linear fc1;
  Linear fc2;
};

// The released family names its head count in code rather than in the saved config.
int default_heads(int embed_dim) {
  switch (embed_dim) {
    case 768:
      return 12;
    case 1280:
      return 16;
    case 1536:
      return 24;
    default:
      return 8;
  }
}

void read_pair(const PickleValue& config, const char* key, int (&pair)[2]) {
  if (!config.contains(key)) return;
  const PickleValue value = config.at(key);
  if (value.kind() == PickleValue::Kind::kInt) {
    pair[0] = pair[1] = static_cast<int>(value.as_int());
    return;
  }
  const std::vector<PickleValue> items = value.items();
  if (items.size() != 2) {
    throw InputError(config.source() + ": config '" + key + "' is not a pair of integers");
  }
  pair[0] = static_cast<int>(items[0].as_int());
  pair[1] = static_cast<int>(items[1].as_int());
}

}  // namespace

struct DashengModel::Weights {
  DashengConfig config;
  at::Tensor bn_scale;  // (n_mels, 1): weight / sqrt(running_var + eps)
  at::Tensor bn_shift;  // (n_mels, 1)
  at::Tensor patch_weight;
  at::Tensor patch_bias;
  at::Tensor time_pos_embed;  // (1, dim, 1, patches per chunk)
  at::Tensor freq_pos_embed;  // (1, dim, freq patches, 1)
  std::vector<DashengBlock> blocks;
  LayerNorm norm;
};

DashengModel DashengModel::load(const std::filesystem::path& checkpoint) {
  return from_checkpoint(read_torch_checkpoint(checkpoint));
}

DashengModel DashengModel::load(const std::filesystem::path& checkpoint,
                                const std::filesystem::path& weights) {
  const TorchCheckpoint architecture = read_torch_checkpoint(checkpoint);
  const std::map<std::string, at::Tensor> state = read_state_dict_file(weights, "a Dasheng");
  const std::vector<std::pair<std::string, at::Tensor>> tensors(state.begin(), state.end());
  return from_checkpoint(architecture, &tensors, weights.string());
}

DashengModel DashengModel::from_checkpoint(const TorchCheckpoint& checkpoint) {
  return from_checkpoint(checkpoint, nullptr, "");
}

DashengModel DashengModel::from_checkpoint(
    const TorchCheckpoint& checkpoint,
    const std::vector<std::pair<std::string, at::Tensor>>* loaded,
    const std::string& loaded_source) {
  c10::InferenceMode guard;
  const PickleValue root = checkpoint.root();
  const std::string& source = root.source();
  if (root.kind() != PickleValue::Kind::kDict || !root.contains("model")) {
    throw InputError(source +
                     ": not a Dasheng checkpoint (expected a dict with 'model' and "
                     "'config')");
  }
  const PickleValue own_state = root.at("model");
  if (loaded != nullptr) {
    require_same_tensors(tensor_dict(own_state), source, *loaded, loaded_source, {kHead});
  }
  TensorStore state =
      loaded != nullptr ? TensorStore(*loaded, loaded_source) : TensorStore(own_state, source);
  const bool has_config = root.contains("config");
  auto weights = std::make_shared<Weights>();
  DashengConfig& c = weights->config;

  const std::vector<std::int64_t> patch_shape = state.shape("patch_embed.proj.weight");
  if (patch_shape.size() != 4) {
    throw InputError(source + ": tensor 'patch_embed.proj.weight' is not a 4-d convolution");
  }
  c.embed_dim = static_cast<int>(patch_shape[0]);
  c.depth = state.count("blocks.", ".norm1.weight");
  c.num_heads = default_heads(c.embed_dim);
  if (has_config) {
    const PickleValue config = root.at("config");
    if (config.contains("pooling") && config.at("pooling").as_string() != "mean") {
      throw InputError(source + ": config 'pooling' = '" + config.at("pooling").as_string() +
                       "' is not supported (mean)");
    }
    if (config.contains("init_values") && !config.at("init_values").is_none()) {
      throw InputError(source + ": config 'init_values' (layer scale) is not supported");
    }
    const auto narrow = [&](const char* key, int fallback) {
      const std::int64_t value = config_int(config, key, fallback);
      if (value < 0 || value > (1 << 24)) {
        throw InputError(source + ": config '" + std::string(key) + "' is out of range");
      }
      return static_cast<int>(value);
    };
    const int configured_dim = narrow("embed_dim", c.embed_dim);
    if (configured_dim != c.embed_dim) {
      throw InputError(source + ": tensor 'patch_embed.proj.weight' has " +
                       std::to_string(c.embed_dim) +
                       " output channels but config 'embed_dim' "
                       "is " +
                       std::to_string(configured_dim));
    }
    const int configured_depth = narrow("depth", c.depth);
    if (configured_depth != c.depth) {
      throw InputError(source + ": tensor 'blocks." + std::to_string(configured_depth - 1) +
                       ".norm1.weight' is missing or extra: config 'depth' is " +
                       std::to_string(configured_depth) + ", the checkpoint has " +
                       std::to_string(c.depth) + " blocks");
    }
    c.num_heads = narrow("num_heads", c.num_heads);
    c.mlp_hidden = static_cast<int>(c.embed_dim * config_double(config, "mlp_ratio", 4.0));
    read_pair(config, "patch_size", c.patch_size);
    read_pair(config, "patch_stride", c.patch_stride);
    c.target_length = narrow("target_length", c.target_length);
    c.n_fft = narrow("n_fft", c.n_fft);
    c.n_mels = narrow("n_mels", c.n_mels);
    c.hop_size = narrow("hop_size", c.hop_size);
    c.win_size = narrow("win_size", c.win_size);
    c.f_min = config_double(config, "f_min", c.f_min);
    c.f_max = config_double(config, "f_max", c.f_max);
    c.center = config_bool(config, "center", c.center);
    c.top_db = config_double(config, "top_db", c.top_db);
  } else {
    c.mlp_hidden = static_cast<int>(state.shape("blocks.0.mlp.fc1.weight").at(0));
  }
  if (c.depth == 0) throw InputError(source + ": tensor 'blocks.0.norm1.weight' is missing");
  if (c.num_heads <= 0 || c.embed_dim % c.num_heads != 0) {
    throw InputError(source + ": config 'num_heads' does not divide 'embed_dim'");
  }
  if (c.patch_stride[0] <= 0 || c.patch_stride[1] <= 0 || c.target_length < c.patch_stride[1]) {
    throw InputError(source + ": config 'patch_stride' / 'target_length' are inconsistent");
  }
  const std::int64_t dim = c.embed_dim;
  const std::int64_t mels = c.n_mels;

  state.get("front_end.0.spectrogram.window", {c.win_size});
  state.get("front_end.0.mel_scale.fb", {c.n_fft / 2 + 1, mels});
  const at::Tensor bn_weight = state.get("init_bn.1.weight", {mels});
  const at::Tensor bn_bias = state.get("init_bn.1.bias", {mels});
  const at::Tensor bn_mean = state.get("init_bn.1.running_mean", {mels});
  const at::Tensor bn_var = state.get("init_bn.1.running_var", {mels});
  // BatchNorm in eval mode, computed in double and rounded once.
  const at::Tensor scale =
      bn_weight.to(at::kDouble) / (bn_var.to(at::kDouble) + kBatchNormEps).sqrt();
  weights->bn_scale = scale.unsqueeze(1);
  weights->bn_shift = (bn_bias.to(at::kDouble) - bn_mean.to(at::kDouble) * scale).unsqueeze(1);

  weights->patch_weight =
      state.get("patch_embed.proj.weight", {dim, 1, c.patch_size[0], c.patch_size[1]});
  weights->patch_bias = state.get("patch_embed.proj.bias", {dim});
  const std::int64_t time_patches = c.target_length / c.patch_stride[1];
  const std::int64_t freq_patches = mels / c.patch_stride[0];
  weights->time_pos_embed = state.get("time_pos_embed", {1, dim, 1, time_patches});
  weights->freq_pos_embed = state.get("freq_pos_embed", {1, dim, freq_patches, 1});
  for (int i = 0; i < c.depth; ++i) {
    const std::string prefix = "blocks." + std::to_string(i) + ".";
    DashengBlock block;
    block.norm1 = LayerNorm::load(state, prefix + "norm1", dim, kLayerNormEps);
    block.qkv = Linear::load(state, prefix + "attn.qkv", dim, 3 * dim,
                             state.contains(prefix + "attn.qkv.bias"));
    block.proj = Linear::load(state, prefix + "attn.proj", dim, dim);
    block.norm2 = LayerNorm::load(state, prefix + "norm2", dim, kLayerNormEps);
    block.fc1 = Linear::load(state, prefix + "mlp.fc1", dim, c.mlp_hidden);
    block.fc2 = Linear::load(state, prefix + "mlp.fc2", c.mlp_hidden, dim);
    weights->blocks.push_back(std::move(block));
  }
  weights->norm = LayerNorm::load(state, "norm", dim, kLayerNormEps);
  state.expect_all_used({"init_bn.1.num_batches_tracked", kHead});
  DashengModel model;
  model.weights_ = std::move(weights);
  return model;
}

const DashengConfig& DashengModel::config() const { return weights_->config; }

std::vector<HiddenState> DashengModel::forward(const std::vector<double>& waveform) const {
  c10::InferenceMode guard;
  const Weights& w = *weights_;
  const DashengConfig& c = w.config;
  std::vector<HiddenState> states;

  dsp::MelSpectrogramParams mel_params;
  mel_params.sample_rate = kSampleRate;
  mel_params.n_fft = c.n_fft;
  mel_params.win_length = c.win_size;
  mel_params.hop_length = c.hop_size;
  mel_params.f_min = c.f_min;
  mel_params.f_max = c.f_max;
  mel_params.n_mels = c.n_mels;
  mel_params.center = c.center;
  dsp::AmplitudeToDbParams db_params;
  db_params.top_db = c.top_db;
  const Matrix db = dsp::amplitude_to_db(dsp::mel_spectrogram(waveform, mel_params), db_params);
  const std::int64_t frames = db.cols();
  if (frames < c.patch_size[1]) {
    throw InputError("Dasheng needs at least " + std::to_string(c.patch_size[1]) +
                     " spectrogram frames (" + std::to_string(frames) + " in the audio)");
  }
  const at::Tensor db_double =
      at::from_blob(const_cast<double*>(db.data()), {c.n_mels, frames}, at::kDouble);
  states.push_back({"front_end", db_double.to(at::kFloat).unsqueeze(0)});
  const at::Tensor normalised = (db_double * w.bn_scale + w.bn_shift).to(at::kFloat);
  states.push_back({"init_bn", normalised.view({1, 1, c.n_mels, frames})});

  const at::Tensor patches =
      at::conv2d(normalised.view({1, 1, c.n_mels, frames}), w.patch_weight, w.patch_bias,
                 at::IntArrayRef{c.patch_stride[0], c.patch_stride[1]}, at::IntArrayRef{0, 0});
  states.push_back({"patch_embed", patches});

  const std::int64_t dim = c.embed_dim;
  const std::int64_t heads = c.num_heads;
  const std::int64_t head_dim = dim / heads;
  const double scale = std::pow(static_cast<double>(head_dim), -0.5);
  const std::int64_t chunk = c.target_length / c.patch_stride[1];
  std::vector<std::vector<at::Tensor>> chunk_states(w.blocks.size() + 2);
  for (const at::Tensor& split : patches.split(chunk, 3)) {
    const std::int64_t t = split.size(3);
    at::Tensor x = split + w.time_pos_embed.narrow(3, 0, t) + w.freq_pos_embed;
    x = x.flatten(2).transpose(1, 2).squeeze(0);  // 'b c f t -> b (f t) c' without the batch
    const std::int64_t tokens = x.size(0);
    chunk_states[0].push_back(x);
    for (std::size_t i = 0; i < w.blocks.size(); ++i) {
      const DashengBlock& block = w.blocks[i];
      const std::vector<at::Tensor> qkv = block.qkv(block.norm1(x))
                                              .view({tokens, 3, heads, head_dim})
                                              .permute({1, 2, 0, 3})
                                              .unbind(0);
      const at::Tensor scores = at::matmul(qkv[0], qkv[1].transpose(1, 2)) * scale;
      const at::Tensor attended = at::bmm(at::softmax(scores, -1), qkv[2]);
      x = x + block.proj(attended.transpose(0, 1).reshape({tokens, dim}));
      x = x + block.fc2(at::gelu(block.fc1(block.norm2(x))));
      chunk_states[i + 1].push_back(x);
    }
    chunk_states.back().push_back(w.norm(x));
  }
  for (std::size_t i = 0; i < chunk_states.size(); ++i) {
    const std::string name = i == 0                         ? "blocks.input"
                             : i + 1 == chunk_states.size() ? "norm"
                                                            : "blocks." + std::to_string(i - 1);
    states.push_back({name, at::cat(chunk_states[i], 0).unsqueeze(0)});
  }
  return states;
}

std::string DashengModel::architecture() const { return "Dasheng"; }

double DashengModel::sample_rate() const { return kSampleRate; }

namespace {

// "embedding", "encoder.1".."encoder.N", then "output" (the final norm: Dasheng.forward's
// output).
LayerSources dasheng_layers(int depth) {
  LayerSources layers = transformer_layers("blocks.input", "blocks.", depth);
  layers.names.emplace_back("output");
  layers.sources.emplace_back("norm");
  return layers;
}

}  // namespace

std::vector<std::string> DashengModel::layer_names() const {
  return dasheng_layers(config().depth).names;
}

std::vector<at::Tensor> DashengModel::forward_samples(const std::vector<double>& waveform) const {
  return pick(forward(waveform), dasheng_layers(config().depth).sources);
}

std::vector<at::Tensor> DashengModel::forward_waveform(const at::Tensor& waveform) const {
  return forward_samples(waveform_samples(waveform));
}

}  // namespace brainalign::neural
