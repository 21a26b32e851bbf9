#include "brainalign/neural/families/hf/encodec.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>

#include "brainalign/base/error.h"

namespace brainalign::neural {
namespace {

// EncodecConv1d: a convolution whose input is padded so that the output covers every sample
// (causally: all padding on the left), weight-normalised or followed by a one-group norm.
struct PaddedConv {
  at::Tensor weight, bias, norm_weight, norm_bias;
  std::int64_t stride = 1;
  std::int64_t dilation = 1;

  static PaddedConv load(const TensorStore& checkpoint, const EncodecEncoderConfig& config,
                         const EncodecEncoderNames& names, const std::string& prefix,
                         std::int64_t in, std::int64_t out, std::int64_t kernel,
                         std::int64_t stride = 1, std::int64_t dilation = 1) {
    PaddedConv conv;
    const std::vector<std::int64_t> shape = {out, in, kernel};
    const std::string weights = prefix + names.conv;
    if (config.time_group_norm) {
      conv.weight = checkpoint.get(weights + ".weight", shape);
      conv.norm_weight = checkpoint.get(prefix + names.norm + ".weight", {out});
      conv.norm_bias = checkpoint.get(prefix + names.norm + ".bias", {out});
    } else {
      conv.weight = load_conv_weight(checkpoint, weights, shape, 0);
    }
    conv.bias = checkpoint.get(weights + ".bias", {out});
    conv.stride = stride;
    conv.dilation = dilation;
    return conv;
  }

  at::Tensor operator()(const at::Tensor& x, const EncodecEncoderConfig& config) const {
    const std::int64_t kernel = (weight.size(2) - 1) * dilation + 1;
    const std::int64_t padding_total = kernel - stride;
    const std::int64_t length = x.size(-1);
    // Extra right padding so that the last window is complete.
    const std::int64_t frames =
        (length - kernel + padding_total + stride - 1) / stride + 1;  // ceil, as a count
    const std::int64_t extra =
        std::max<std::int64_t>((frames - 1) * stride + (kernel - padding_total) - length, 0);
    std::int64_t left = padding_total;
    std::int64_t right = extra;
    if (!config.use_causal_conv) {
      right = padding_total / 2 + extra;
      left = padding_total - padding_total / 2;
    }
    at::Tensor y = pad(x, left, right, config.reflect_padding);
    const std::int64_t no_padding = 0;
    y = at::conv1d(y, weight, bias, at::IntArrayRef(stride), at::IntArrayRef(no_padding),
                   at::IntArrayRef(dilation));
    if (norm_weight.defined()) y = at::group_norm(y, 1, norm_weight, norm_bias, 1e-5);
    return y;
  }

  // Reflect padding that also works on inputs shorter than the padding (zeros added first).
  static at::Tensor pad(const at::Tensor& x, std::int64_t left, std::int64_t right, bool reflect) {
    if (left == 0 && right == 0) return x;
    if (!reflect) return at::constant_pad_nd(x, {left, right}, 0.0);
    const std::int64_t length = x.size(-1);
    const std::int64_t max_pad = std::max(left, right);
    std::int64_t extra = 0;
    at::Tensor input = x;
    if (length <= max_pad) {
      extra = max_pad - length + 1;
      input = at::constant_pad_nd(x, {0, extra}, 0.0);
    }
    const at::Tensor padded = at::reflection_pad1d(input, {left, right});
    return padded.narrow(-1, 0, padded.size(-1) - extra);
  }
};

enum class ModuleKind { kConv, kResidual, kElu, kLstm };

}  // namespace

struct EncodecEncoder::Module {
  ModuleKind kind = ModuleKind::kElu;
  PaddedConv conv;
  // Residual block: ELU, conv, ELU, conv, plus a (1x1 conv) shortcut.
  PaddedConv block_in, block_out, shortcut;
  bool has_shortcut = false;
  // LSTM: per layer w_ih, w_hh, b_ih, b_hh.
  std::vector<at::Tensor> lstm;
  std::int64_t lstm_layers = 0;
};

EncodecEncoderConfig EncodecEncoderConfig::from(const ModelConfig& config) {
  const std::string type = config.string("model_type");
  if (type != "encodec") {
    throw InputError(config.error("model_type", "is '" + type + "', not 'encodec'"));
  }
  EncodecEncoderConfig c;
  c.audio_channels = config.integer("audio_channels", 1);
  c.num_filters = config.integer("num_filters");
  c.upsampling_ratios = config.integers("upsampling_ratios");
  c.kernel_size = config.integer("kernel_size");
  c.last_kernel_size = config.integer("last_kernel_size");
  c.residual_kernel_size = config.integer("residual_kernel_size");
  c.dilation_growth_rate = config.integer("dilation_growth_rate");
  c.num_residual_layers = config.integer("num_residual_layers");
  c.compress = config.integer("compress");
  c.num_lstm_layers = config.integer("num_lstm_layers");
  c.hidden_size = config.integer("hidden_size");
  c.use_causal_conv = config.boolean("use_causal_conv");
  const std::string pad_mode = config.string("pad_mode", "reflect");
  if (pad_mode != "reflect" && pad_mode != "constant") {
    throw InputError(config.error("pad_mode", "must be 'reflect' or 'constant'"));
  }
  c.reflect_padding = pad_mode == "reflect";
  const std::string norm = config.string("norm_type", "weight_norm");
  if (norm != "weight_norm" && norm != "time_group_norm") {
    throw InputError(config.error("norm_type", "must be 'weight_norm' or 'time_group_norm'"));
  }
  c.time_group_norm = norm == "time_group_norm";
  c.use_conv_shortcut = config.boolean("use_conv_shortcut", true);
  c.sampling_rate = config.number("sampling_rate");
  for (const auto ratio : c.upsampling_ratios) {
    if (ratio <= 0) throw InputError(config.error("upsampling_ratios", "must be positive"));
  }
  if (c.compress <= 0 || c.num_filters <= 0) {
    throw InputError(config.error("compress", "and num_filters must be positive"));
  }
  return c;
}

EncodecEncoder::EncodecEncoder(const EncodecEncoderConfig& config, const TensorStore& checkpoint,
                               const EncodecEncoderNames& names)
    : config_(config), device_(checkpoint.device()) {
  auto modules = std::make_shared<std::vector<Module>>();
  const EncodecEncoderConfig& c = config_;
  auto prefix = [&]() { return names.modules + std::to_string(modules->size()); };
  auto add_conv = [&](std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride) {
    Module module;
    module.kind = ModuleKind::kConv;
    module.conv = PaddedConv::load(checkpoint, c, names, prefix(), in, out, kernel, stride);
    modules->push_back(std::move(module));
  };
  auto add_elu = [&]() { modules->push_back(Module{}); };

  add_conv(c.audio_channels, c.num_filters, c.kernel_size, 1);
  std::int64_t scale = 1;
  for (auto ratio = c.upsampling_ratios.rbegin(); ratio != c.upsampling_ratios.rend(); ++ratio) {
    const std::int64_t channels = scale * c.num_filters;
    std::int64_t dilation = 1;
    for (std::int64_t j = 0; j < c.num_residual_layers; ++j) {
      Module module;
      module.kind = ModuleKind::kResidual;
      const std::string block = prefix() + ".block";
      const std::int64_t hidden = channels / c.compress;
      module.block_in = PaddedConv::load(checkpoint, c, names, block + ".1", channels, hidden,
                                         c.residual_kernel_size, 1, dilation);
      module.block_out = PaddedConv::load(checkpoint, c, names, block + ".3", hidden, channels, 1);
      module.has_shortcut = c.use_conv_shortcut;
      if (c.use_conv_shortcut) {
        module.shortcut =
            PaddedConv::load(checkpoint, c, names, prefix() + ".shortcut", channels, channels, 1);
      }
      modules->push_back(std::move(module));
      dilation *= c.dilation_growth_rate;
    }
    add_elu();
    add_conv(channels, 2 * channels, 2 * *ratio, *ratio);
    scale *= 2;
  }
  {
    Module module;
    module.kind = ModuleKind::kLstm;
    const std::int64_t dim = scale * c.num_filters;
    const std::string lstm = prefix() + ".lstm";
    for (std::int64_t l = 0; l < c.num_lstm_layers; ++l) {
      const std::string suffix = "_l" + std::to_string(l);
      module.lstm.push_back(checkpoint.get(lstm + ".weight_ih" + suffix, {4 * dim, dim}));
      module.lstm.push_back(checkpoint.get(lstm + ".weight_hh" + suffix, {4 * dim, dim}));
      module.lstm.push_back(checkpoint.get(lstm + ".bias_ih" + suffix, {4 * dim}));
      module.lstm.push_back(checkpoint.get(lstm + ".bias_hh" + suffix, {4 * dim}));
    }
    module.lstm_layers = c.num_lstm_layers;
    modules->push_back(std::move(module));
  }
  add_elu();
  add_conv(scale * c.num_filters, c.hidden_size, c.last_kernel_size, 1);
  modules_ = std::move(modules);
}

EncodecEncoder::~EncodecEncoder() = default;

EncodecEncoder EncodecEncoder::load(const std::filesystem::path& folder,
                                    const LoadOptions& options) {
  const ModelConfig config = ModelConfig::read(folder / "config.json");
  const Checkpoint checkpoint(folder, config, options.device);
  return EncodecEncoder(EncodecEncoderConfig::from(config), checkpoint);
}

std::vector<at::Tensor> EncodecEncoder::forward(const at::Tensor& waveform) const {
  c10::InferenceMode inference;
  if (waveform.dim() != 3 || waveform.size(1) != config_.audio_channels || waveform.size(2) < 1) {
    throw InputError("EncodecEncoder: the waveform must be (batch, " +
                     std::to_string(config_.audio_channels) + ", samples), got " +
                     shape_text(waveform.sizes()));
  }
  at::Tensor x = waveform.to(device_, at::kFloat);
  std::vector<at::Tensor> outputs;
  for (const Module& module : *modules_) {
    switch (module.kind) {
      case ModuleKind::kConv:
        x = module.conv(x, config_);
        break;
      case ModuleKind::kElu:
        x = at::elu(x);
        break;
      case ModuleKind::kResidual: {
        const at::Tensor branch =
            module.block_out(at::elu(module.block_in(at::elu(x), config_)), config_);
        x = (module.has_shortcut ? module.shortcut(x, config_) : x) + branch;
        break;
      }
      case ModuleKind::kLstm: {
        // (batch, channels, time) -> (time, batch, channels), skip connection around it.
        const at::Tensor sequence = x.permute({2, 0, 1});
        const std::int64_t batch = x.size(0);
        const std::int64_t dim = x.size(1);
        const at::Tensor state = at::zeros({module.lstm_layers, batch, dim}, sequence.options());
        const auto result = at::lstm(sequence, {state, state}, module.lstm, true,
                                     module.lstm_layers, 0.0, false, false, false);
        x = (std::get<0>(result) + sequence).permute({1, 2, 0});
        break;
      }
    }
    outputs.push_back(x);
  }
  return outputs;
}

std::vector<std::string> EncodecEncoder::hidden_state_names() const {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < modules_->size(); ++i) {
    names.push_back("encoder.layers." + std::to_string(i));
  }
  return names;
}

std::vector<at::Tensor> EncodecEncoder::forward_waveform(const at::Tensor& waveform) const {
  if (config_.audio_channels != 1) {
    throw InputError("EncodecEncoder: forward_waveform takes mono audio, the model has " +
                     std::to_string(config_.audio_channels) + " channels");
  }
  std::vector<at::Tensor> layers;
  for (const auto& state : forward(waveform.reshape({1, 1, -1}))) {
    layers.push_back(state[0].t().contiguous().cpu());
  }
  return layers;
}

}  // namespace brainalign::neural
