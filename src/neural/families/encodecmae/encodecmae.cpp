#include "brainalign/neural/families/encodecmae/encodecmae.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "brainalign/base/error.h"
#include "brainalign/dsp/fft.h"
#include "brainalign/dsp/window.h"
#include "brainalign/neural/blocks.h"
#include "brainalign/neural/families/hf/encodec.h"
#include "brainalign/neural/formats/tensor_store.h"
#include "neural/families/checkpoint_family.h"
#include "neural/formats/pickled_config.h"

namespace brainalign::neural {

namespace {

constexpr double kLayerNormEps = 1e-5;
constexpr double kMaskValue = -1e9;
constexpr std::size_t kMinChunkSamples = 2048;  // extract_features_from_array's min_length

const char* const kEncoderScope = "encoder/encodecmae.models.transformers.";
const char* const kDecoderScope = "decoder/encodecmae.models.transformers.";
const char* const kMel = "encodecmae.tasks.features.MelspectrogramProcessor.";
const char* const kSpec = "encodecmae.tasks.features.SpectrogramProcessor.";
const char* const kProcessors = "encodecmae.tasks.features.SequentialProcessor.processors";
const char* const kIdentity = "@torch.nn.Identity";
const char* const kEncodecEncoder = "@encodecmae.models.encoders.EncodecEncoder";
// EncodecEncoder's SEANetEncoder (the 24 kHz EnCodec model's encoder) in the state_dict.
const char* const kSeanet = "wav_encoder.encoder.model.model.";

std::string trim(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  const std::size_t last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// Text before a '#' that is outside quotes.
std::string strip_comment(const std::string& line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quote != 0) {
      if (ch == quote) quote = 0;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if (ch == '#') {
      return line.substr(0, i);
    }
  }
  return line;
}

int bracket_balance(const std::string& text) {
  int balance = 0;
  for (char ch : text) {
    if (ch == '[' || ch == '(' || ch == '{') ++balance;
    if (ch == ']' || ch == ')' || ch == '}') --balance;
  }
  return balance;
}

// One model's transformer: ResiDual layers around one feed-forward module they all share.
struct ResidualLayer {
  Linear qkv;     // rows reordered so that heads are contiguous (h * head_dim + d)
  at::Tensor wo;  // columns reordered the same way
  LayerNorm norm1;
  LayerNorm norm2;
};

struct ResidualTransformer {
  std::vector<ResidualLayer> layers;
  Linear ff1;
  Linear ff2;
  LayerNorm final_norm;
  at::Tensor positional_scale;  // scalar, or undefined when the module adds no positions
  int heads = 1;
};

ResidualTransformer load_transformer(const TensorStore& state, const std::string& prefix, int count,
                                     std::int64_t dim, int heads, std::int64_t ff_dim) {
  ResidualTransformer model;
  model.heads = heads;
  const std::int64_t head_dim = dim / heads;
  // The reference splits channels as (head_dim, heads): channel d * heads + h. Row
  // h * head_dim + d of the reordered weights is that channel.
  const at::Tensor to_contiguous =
      at::arange(dim, at::kLong).view({head_dim, heads}).t().contiguous().view({-1});
  for (int i = 0; i < count; ++i) {
    const std::string layer_prefix = prefix + "encoder_layers." + std::to_string(i) + ".";
    ResidualLayer layer;
    const at::Tensor wq = state.get(layer_prefix + "att_layer.wq.weight", {dim, dim});
    const at::Tensor wk = state.get(layer_prefix + "att_layer.wk.weight", {dim, dim});
    const at::Tensor wv = state.get(layer_prefix + "att_layer.wv.weight", {dim, dim});
    layer.qkv.weight =
        at::cat({wq.index_select(0, to_contiguous), wk.index_select(0, to_contiguous),
                 wv.index_select(0, to_contiguous)},
                0);
    layer.wo = state.get(layer_prefix + "att_layer.wo.weight", {dim, dim})
                   .index_select(1, to_contiguous)
                   .contiguous();
    layer.norm1 = LayerNorm::load(state, layer_prefix + "norm1", dim, kLayerNormEps);
    layer.norm2 = LayerNorm::load(state, layer_prefix + "norm2", dim, kLayerNormEps);
    // One feed-forward module serves every layer; the state_dict repeats it under each key.
    const Linear ff1 = Linear::load(state, layer_prefix + "ff_layer.0", dim, ff_dim);
    const Linear ff2 = Linear::load(state, layer_prefix + "ff_layer.2", ff_dim, dim);
    if (i == 0) {
      model.ff1 = ff1;
      model.ff2 = ff2;
    } else if (!at::equal(ff1.weight, model.ff1.weight) || !at::equal(ff1.bias, model.ff1.bias) ||
               !at::equal(ff2.weight, model.ff2.weight) || !at::equal(ff2.bias, model.ff2.bias)) {
      throw InputError(state.source() + ": tensor '" + layer_prefix +
                       "ff_layer.0.weight' (or its siblings) differs from layer 0's, which "
                       "EnCodecMAE shares across layers");
    }
    model.layers.push_back(std::move(layer));
  }
  model.final_norm = LayerNorm::load(state, prefix + "final_norm", dim, kLayerNormEps);
  return model;
}

// x: (frames, dim); key_bias: (frames) additive mask of the keys. Returns every layer's
// (x0, x1).
std::vector<std::pair<at::Tensor, at::Tensor>> run_transformer(const ResidualTransformer& model,
                                                               const at::Tensor& input,
                                                               const at::Tensor& key_bias) {
  const std::int64_t frames = input.size(0);
  const std::int64_t dim = input.size(1);
  const std::int64_t heads = model.heads;
  const std::int64_t head_dim = dim / heads;
  const double scale = std::pow(static_cast<double>(head_dim), -0.5);
  const at::Tensor bias = key_bias.view({1, 1, frames}).expand({heads, frames, frames});
  at::Tensor x0 = input;
  at::Tensor x1 = input;
  std::vector<std::pair<at::Tensor, at::Tensor>> outputs;
  for (const ResidualLayer& layer : model.layers) {
    const std::vector<at::Tensor> qkv =
        layer.qkv(x0).view({frames, 3, heads, head_dim}).permute({1, 2, 0, 3}).unbind(0);
    const at::Tensor scores = at::baddbmm(bias, qkv[0], qkv[1].transpose(1, 2), 1.0, scale);
    const at::Tensor attended = at::bmm(at::softmax(scores, -1), qkv[2]);
    const at::Tensor attention =
        at::linear(attended.transpose(0, 1).reshape({frames, dim}), layer.wo);
    x0 = layer.norm1(x0 + attention);
    x1 = x1 + attention;
    const at::Tensor ff = model.ff2(at::relu(model.ff1(x0)));
    x0 = layer.norm2(x0 + ff);
    x1 = x1 + ff;
    outputs.emplace_back(x0, x1);
  }
  return outputs;
}

// SinusoidalPositionalEmbeddings' table for `frames` positions, in the reference's float32
// steps.
at::Tensor sinusoidal_table(std::int64_t frames, std::int64_t dim) {
  const at::Tensor position = at::arange(frames, at::kLong).unsqueeze(1).to(at::kFloat);
  const at::Tensor div_term = at::exp(at::arange(0, dim, 2, at::kFloat) *
                                      (-(std::log(10000.0) / static_cast<double>(dim))));
  at::Tensor table = at::zeros({frames, dim}, at::kFloat);
  table.slice(1, 0, dim, 2).copy_(at::sin(position * div_term));
  table.slice(1, 1, dim, 2).copy_(at::cos(position * div_term));
  return table;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_gin_bindings(const std::string& text,
                                                                    const std::string& source) {
  std::vector<std::pair<std::string, std::string>> ordered;
  std::map<std::string, std::size_t> position;
  const auto bind = [&](const std::string& key, const std::string& value) {
    const auto [it, inserted] = position.emplace(key, ordered.size());
    if (inserted) {
      ordered.emplace_back(key, value);
    } else {
      ordered[it->second].second = value;
    }
  };
  std::istringstream lines(text);
  std::string raw;
  std::string block;  // the selector of an indented "selector:" block
  int line_number = 0;
  while (std::getline(lines, raw)) {
    ++line_number;
    std::string line = strip_comment(raw);
    if (trim(line).empty()) continue;
    const bool indented = line[0] == ' ' || line[0] == '\t';
    // A value may continue over lines while its brackets are open.
    while (bracket_balance(line) > 0 && std::getline(lines, raw)) {
      ++line_number;
      line += ' ';
      line += trim(strip_comment(raw));
    }
    const std::string content = trim(line);
    const std::size_t equals = content.find('=');
    if (!indented && equals == std::string::npos && content.back() == ':') {
      block = trim(content.substr(0, content.size() - 1));
      continue;
    }
    if (equals == std::string::npos) {
      if (content.starts_with("import ") || content.starts_with("include ")) continue;
      throw InputError(source + ": gin line " + std::to_string(line_number) +
                       " is not a binding: " + content);
    }
    const std::string name = trim(content.substr(0, equals));
    const std::string value = trim(content.substr(equals + 1));
    if (indented) {
      if (block.empty()) {
        throw InputError(source + ": gin line " + std::to_string(line_number) +
                         " is indented outside a block");
      }
      bind(block + "." + name, value);
    } else {
      block.clear();
      bind(name, value);
    }
  }
  // Resolve %MACRO references (macros may name macros).
  for (auto& [key, value] : ordered) {
    for (int depth = 0; depth < 16 && value.starts_with("%"); ++depth) {
      const auto it = position.find(value.substr(1));
      if (it == position.end()) {
        throw InputError(source + ": gin binding '" + key + "' uses undefined macro " + value);
      }
      value = ordered[it->second].second;
    }
  }
  return ordered;
}

struct EncodecMaeModel::Weights {
  EncodecMaeConfig config;
  std::shared_ptr<const EncodecEncoder> encodec;  // the EncodecEncoder front end
  Linear post_net;
  at::Tensor positional_scale;
  ResidualTransformer encoder;
  Linear encoder_post_net;  // into the decoder
  ResidualTransformer decoder;
  at::Tensor decoder_positional_scale;
  bool has_decoder = false;
};

namespace {

class GinConfig {
 public:
  GinConfig(const std::string& text, std::string source) : source_(std::move(source)) {
    for (auto& [key, value] : parse_gin_bindings(text, source_)) values_[key] = value;
  }
  bool has(const std::string& key) const { return values_.contains(key); }
  const std::string& text(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end()) {
      throw InputError(source_ + ": the gin config has no binding '" + key + "'");
    }
    return it->second;
  }
  double number(const std::string& key, std::optional<double> fallback = std::nullopt) const {
    if (!has(key) && fallback) return *fallback;
    const std::string& value = text(key);
    try {
      std::size_t used = 0;
      const double parsed = std::stod(value, &used);
      if (used == value.size()) return parsed;
    } catch (const std::exception&) {
    }
    throw InputError(source_ + ": gin binding '" + key + "' = " + value + " is not a number");
  }
  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const std::string& value = text(key);
    if (value == "True") return true;
    if (value == "False") return false;
    throw InputError(source_ + ": gin binding '" + key + "' = " + value + " is not a bool");
  }
  std::string string(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    std::string value = text(key);
    if (value.size() >= 2 && (value[0] == '\'' || value[0] == '"') && value.back() == value[0]) {
      return value.substr(1, value.size() - 2);
    }
    throw InputError(source_ + ": gin binding '" + key + "' = " + value + " is not a string");
  }
  std::vector<double> numbers(const std::string& key) const {
    std::string value = text(key);
    if (value.size() < 2 || value.front() != '[' || value.back() != ']') {
      throw InputError(source_ + ": gin binding '" + key + "' = " + value + " is not a list");
    }
    std::vector<double> parsed;
    std::istringstream items(value.substr(1, value.size() - 2));
    std::string item;
    while (std::getline(items, item, ',')) {
      try {
        parsed.push_back(std::stod(trim(item)));
      } catch (const std::exception&) {
        throw InputError(source_ + ": gin binding '" + key + "' holds a non-number: " + item);
      }
    }
    return parsed;
  }

 private:
  std::string source_;
  std::map<std::string, std::string> values_;
};

dsp::KaldiWindow window_of(const std::string& name, const std::string& source,
                           const std::string& processor = "MelspectrogramProcessor") {
  if (name == "hanning") return dsp::KaldiWindow::kHanning;
  if (name == "hamming") return dsp::KaldiWindow::kHamming;
  if (name == "povey") return dsp::KaldiWindow::kPovey;
  if (name == "rectangular") return dsp::KaldiWindow::kRectangular;
  if (name == "blackman") return dsp::KaldiWindow::kBlackman;
  throw InputError(source + ": gin " + processor + ".window_type '" + name + "' is unknown");
}

int positive_int(double value, const std::string& what, const std::string& source) {
  if (!(value >= 1.0 && value <= 1e7) || value != std::floor(value)) {
    throw InputError(source + ": " + what + " = " + std::to_string(value) +
                     " is not a positive integer");
  }
  return static_cast<int>(value);
}

// The processor that turns the waveform into WavEncoder's input when its encoder is Identity:
// SpectrogramProcessor when SequentialProcessor lists it, else the mel one.
EncodecMaeFrontEnd identity_front_end(const GinConfig& gin) {
  if (!gin.has(kProcessors)) return EncodecMaeFrontEnd::kMel;
  std::istringstream items(gin.text(kProcessors));
  std::string item;
  while (std::getline(items, item, ',')) {
    item = trim(item);
    if (item.starts_with("[")) item = trim(item.substr(1));
    if (item.ends_with("]")) item = trim(item.substr(0, item.size() - 1));
    if (item == "@encodecmae.tasks.features.SpectrogramProcessor") {
      return EncodecMaeFrontEnd::kSpectrogram;
    }
  }
  return EncodecMaeFrontEnd::kMel;
}

// torchaudio.compliance.kaldi.spectrogram with snip_edges, dither 0 and the other defaults
// SpectrogramProcessor leaves: frames x (padded / 2 + 1) log power spectra, column 0 replaced
// by the frame's log energy (after removing its DC offset, before preemphasis), floored at
// log(energy_floor).
Matrix kaldi_spectrogram(const std::vector<double>& waveform, const dsp::KaldiFbankParams& p) {
  const int shift = static_cast<int>(p.sample_frequency * p.frame_shift_ms * 0.001);
  const int size = static_cast<int>(p.sample_frequency * p.frame_length_ms * 0.001);
  if (size < 2 || shift < 1) {
    throw InputError(
        "EnCodecMAE spectrogram: need a frame of at least 2 samples and a shift of "
        "at least 1; got frame " +
        std::to_string(size) + ", shift " + std::to_string(shift));
  }
  int padded = size;
  if (p.round_to_power_of_two) {
    padded = 1;
    while (padded < size) padded *= 2;
  }
  const auto samples = static_cast<long>(waveform.size());
  if (samples < size) {
    throw InputError("EnCodecMAE spectrogram: waveform of " + std::to_string(samples) +
                     " samples is shorter than one frame of " + std::to_string(size));
  }
  const long frames = 1 + (samples - size) / shift;
  std::vector<double> window;
  switch (p.window_type) {
    case dsp::KaldiWindow::kHamming:
      window = dsp::hamming_window(size, false);
      break;
    case dsp::KaldiWindow::kHanning:
      window = dsp::hann_window(size, false);
      break;
    case dsp::KaldiWindow::kPovey:
      window = dsp::povey_window(size);
      break;
    case dsp::KaldiWindow::kRectangular:
      window.assign(static_cast<std::size_t>(size), 1.0);
      break;
    case dsp::KaldiWindow::kBlackman:
      window = dsp::blackman_window(size, p.blackman_coeff);
      break;
  }
  const double floor = std::numeric_limits<float>::epsilon();
  dsp::Fft fft(padded);
  Matrix out(frames, fft.num_bins());
  std::vector<double> frame(static_cast<std::size_t>(padded));
  std::vector<double> power(static_cast<std::size_t>(fft.num_bins()));
  for (long t = 0; t < frames; ++t) {
    std::fill(frame.begin(), frame.end(), 0.0);
    std::copy_n(waveform.begin() + t * shift, size, frame.begin());
    double mean = 0.0;
    for (int i = 0; i < size; ++i) mean += frame[static_cast<std::size_t>(i)];
    mean /= size;
    double energy = 0.0;
    for (int i = 0; i < size; ++i) {
      double& value = frame[static_cast<std::size_t>(i)];
      value -= mean;
      energy += value * value;
    }
    double log_energy = std::log(std::max(energy, floor));
    if (p.energy_floor != 0.0) log_energy = std::max(log_energy, std::log(p.energy_floor));
    // Kaldi treats the sample before the frame as a copy of its first sample.
    for (int i = size - 1; i > 0; --i) {
      frame[static_cast<std::size_t>(i)] -=
          p.preemphasis_coefficient * frame[static_cast<std::size_t>(i - 1)];
    }
    frame[0] -= p.preemphasis_coefficient * frame[0];
    for (int i = 0; i < size; ++i) frame[static_cast<std::size_t>(i)] *= window[i];
    fft.power_spectrum(frame, power);
    out(t, 0) = log_energy;
    for (int k = 1; k < fft.num_bins(); ++k) {
      out(t, k) = std::log(std::max(power[static_cast<std::size_t>(k)], floor));
    }
  }
  return out;
}

// The shape of a (possibly weight-normalised) convolution's weight under `prefix`.
std::vector<std::int64_t> conv_shape(const TensorStore& state, const std::string& prefix) {
  const std::string v = prefix + ".weight_v";
  const std::string parametrized = prefix + ".parametrizations.weight.original1";
  if (state.contains(v)) return state.shape(v);
  if (state.contains(parametrized)) return state.shape(parametrized);
  return state.shape(prefix + ".weight");
}

// EncodecEncoder's SEANetEncoder as the 24 kHz EnCodec model builds it (causal convolutions,
// reflect padding, weight norm, one residual block per ratio with a 1x1 convolution as its
// shortcut, the LSTM with its skip connection), its widths, kernels, ratios and LSTM depth
// read from the state_dict's shapes. Sets `hop` to the product of the ratios.
std::shared_ptr<const EncodecEncoder> seanet_encoder(const TensorStore& state, std::int64_t& hop) {
  const std::string conv = ".conv.conv";
  const auto module = [](std::size_t i) { return std::string(kSeanet) + std::to_string(i); };
  EncodecEncoderConfig c;
  const std::vector<std::int64_t> first = conv_shape(state, module(0) + conv);
  if (first.size() != 3) {
    throw InputError(state.source() + ": tensor '" + module(0) + conv +
                     ".weight_v' is not a 1-d convolution's weight");
  }
  c.num_filters = first[0];
  c.audio_channels = first[1];
  c.kernel_size = first[2];
  std::vector<std::int64_t> applied;
  std::size_t i = 1;
  const auto has_conv = [&](const std::string& prefix) {
    return state.contains(prefix + ".weight_v") || state.contains(prefix + ".weight") ||
           state.contains(prefix + ".parametrizations.weight.original1");
  };
  while (has_conv(module(i) + ".block.1" + conv)) {
    const std::vector<std::int64_t> block = conv_shape(state, module(i) + ".block.1" + conv);
    c.residual_kernel_size = block.at(2);
    if (block.at(0) <= 0 || block.at(1) % block.at(0) != 0) {
      throw InputError(state.source() + ": tensor '" + module(i) + ".block.1" + conv +
                       ".weight_v' does not compress its channels by a whole factor");
    }
    c.compress = block.at(1) / block.at(0);
    c.use_conv_shortcut = has_conv(module(i) + ".shortcut" + conv);
    const std::vector<std::int64_t> down = conv_shape(state, module(i + 2) + conv);
    if (down.at(2) % 2 != 0) {
      throw InputError(state.source() + ": tensor '" + module(i + 2) + conv +
                       ".weight_v' has an odd kernel; EnCodec's downsampling kernels are twice "
                       "their stride");
    }
    applied.push_back(down.at(2) / 2);
    i += 3;
  }
  if (applied.empty()) {
    throw InputError(state.source() + ": tensor '" + module(1) + ".block.1" + conv +
                     ".weight_v' is missing: not EnCodec's SEANet encoder");
  }
  c.upsampling_ratios.assign(applied.rbegin(), applied.rend());
  c.num_lstm_layers = state.count(module(i) + ".lstm.weight_ih_l", "");
  if (c.num_lstm_layers == 0) {
    throw InputError(state.source() + ": tensor '" + module(i) +
                     ".lstm.weight_ih_l0' is missing: this port runs EnCodec's encoder with "
                     "its LSTM");
  }
  const std::vector<std::int64_t> last = conv_shape(state, module(i + 2) + conv);
  c.hidden_size = last.at(0);
  c.last_kernel_size = last.at(2);
  c.num_residual_layers = 1;
  c.dilation_growth_rate = 2;
  c.use_causal_conv = true;
  c.reflect_padding = true;
  c.time_group_norm = false;
  c.sampling_rate = 24000.0;
  hop = 1;
  for (const std::int64_t ratio : applied) hop *= ratio;
  return std::make_shared<const EncodecEncoder>(
      c, state, EncodecEncoderNames{kSeanet, ".conv.conv", ".conv.norm"});
}

}  // namespace

EncodecMaeModel EncodecMaeModel::load(const std::filesystem::path& checkpoint) {
  return from_checkpoint(read_torch_checkpoint(checkpoint));
}

namespace {

// The state_dict of a weights file: a training checkpoint's 'state_dict' (PyTorch Lightning),
// else the saved dict itself.
PickleValue weights_state_dict(const TorchCheckpoint& weights) {
  const PickleValue root = weights.root();
  if (root.kind() != PickleValue::Kind::kDict) {
    throw InputError(root.source() +
                     ": expected a state_dict or a training checkpoint holding "
                     "one ('state_dict'), found a " +
                     kind_name(root.kind()));
  }
  return root.contains("state_dict") ? root.at("state_dict") : root;
}

}  // namespace

EncodecMaeModel EncodecMaeModel::load(const std::filesystem::path& checkpoint,
                                      const std::filesystem::path& weights) {
  const TorchCheckpoint architecture = read_torch_checkpoint(checkpoint);
  const TorchCheckpoint trained = read_torch_checkpoint(weights, {.other_objects = true});
  return from_checkpoint(architecture, &trained);
}

EncodecMaeModel EncodecMaeModel::from_checkpoint(const TorchCheckpoint& checkpoint,
                                                 const TorchCheckpoint* trained) {
  c10::InferenceMode guard;
  const PickleValue root = checkpoint.root();
  const std::string& source = root.source();
  if (root.kind() != PickleValue::Kind::kDict || !root.contains("config") ||
      !root.contains("state_dict")) {
    throw InputError(source +
                     ": not an EnCodecMAE checkpoint (expected a dict with 'config' "
                     "and 'state_dict')");
  }
  const GinConfig gin(root.at("config").as_string(), source);
  const PickleValue own_state = root.at("state_dict");
  std::optional<PickleValue> loaded_state;
  if (trained != nullptr) {
    loaded_state = weights_state_dict(*trained);
    require_same_tensors(tensor_dict(own_state), own_state.source(), tensor_dict(*loaded_state),
                         loaded_state->source());
  }
  const PickleValue& state_dict = loaded_state ? *loaded_state : own_state;
  TensorStore state(state_dict, state_dict.source());
  auto weights = std::make_shared<Weights>();
  EncodecMaeConfig& c = weights->config;

  const std::string wav_encoder = "encodecmae.models.encoders.WavEncoder.";
  const std::string& encoder_kind = gin.text(wav_encoder + "encoder");
  if (encoder_kind == kIdentity) {
    c.front_end = identity_front_end(gin);
  } else if (encoder_kind == kEncodecEncoder) {
    c.front_end = EncodecMaeFrontEnd::kEncodec;
  } else {
    throw InputError(source + ": gin binding '" + wav_encoder + "encoder' = " + encoder_kind +
                     " is a wav encoder this port does not run (it runs " + kIdentity +
                     " on MelspectrogramProcessor or SpectrogramProcessor features, and " +
                     kEncodecEncoder + ")");
  }
  c.sample_rate = gin.number(wav_encoder + "fs", 24000.0);
  c.chunk_seconds = gin.number("encodecmae.tasks.features.ReadAudioProcessor.max_length");
  const std::vector<std::int64_t> post_net_shape = state.shape("wav_encoder.post_net.weight");
  if (post_net_shape.size() != 2) {
    throw InputError(source + ": tensor 'wav_encoder.post_net.weight' is not a matrix");
  }
  c.model_dim = static_cast<int>(post_net_shape[0]);
  const std::int64_t dim = c.model_dim;
  dsp::KaldiFbankParams& fbank = c.fbank;
  std::int64_t features = 0;  // the width of the front end's output
  if (c.front_end == EncodecMaeFrontEnd::kEncodec) {
    std::int64_t hop = 0;
    weights->encodec = seanet_encoder(state, hop);
    // WavEncoder takes the encoder's hop unless the gin binds one.
    c.padding_mask_hop = gin.has(wav_encoder + "hop_length")
                             ? positive_int(gin.number(wav_encoder + "hop_length"),
                                            wav_encoder + "hop_length", source)
                             : static_cast<int>(hop);
    c.encodec_scale = gin.number("encodecmae.models.encoders.EncodecEncoder.scale", 1.0);
    features = weights->encodec->config().hidden_size;
  } else {
    c.padding_mask_hop =
        positive_int(gin.number(wav_encoder + "hop_length"), wav_encoder + "hop_length", source);
    const bool mel = c.front_end == EncodecMaeFrontEnd::kMel;
    const std::string scope = mel ? kMel : kSpec;
    const std::string processor = mel ? "MelspectrogramProcessor" : "SpectrogramProcessor";
    fbank.sample_frequency = gin.number(scope + "sample_frequency", 16000.0);
    fbank.frame_length_ms = gin.number(scope + "frame_length", 25.0);
    fbank.frame_shift_ms = gin.number(scope + "frame_shift", 10.0);
    fbank.window_type = window_of(gin.string(scope + "window_type", "povey"), source, processor);
    if (gin.number(scope + "dither", 0.0) != 0.0) {
      throw InputError(source + ": gin " + processor + ".dither must be 0");
    }
    if (mel) {
      fbank.high_freq = gin.number(scope + "high_freq", 0.0);
      fbank.low_freq = gin.number(scope + "low_freq", 20.0);
      fbank.htk_compat = gin.boolean(scope + "htk_compat", false);
      fbank.use_energy = gin.boolean(scope + "use_energy", false);
      fbank.num_mel_bins =
          positive_int(gin.number(scope + "num_mel_bins", 23.0), scope + "num_mel_bins", source);
      features = fbank.num_mel_bins + (fbank.use_energy ? 1 : 0);
    } else {
      const auto window = static_cast<int>(fbank.sample_frequency * fbank.frame_length_ms * 0.001);
      int padded = 1;
      while (padded < window) padded *= 2;
      features = padded / 2 + 1;
    }
    if (gin.has(scope + "norm_stats")) {
      const std::vector<double> stats = gin.numbers(scope + "norm_stats");
      if (stats.size() != 2 || stats[1] == 0.0) {
        throw InputError(source + ": gin " + processor + ".norm_stats is not [mean, std]");
      }
      c.norm_mean = stats[0];
      c.norm_std = stats[1];
    }
    if (fbank.sample_frequency != c.sample_rate) {
      throw InputError(source + ": the " + processor + " runs at " +
                       std::to_string(fbank.sample_frequency) + " Hz but the wav encoder at " +
                       std::to_string(c.sample_rate) + " Hz");
    }
  }
  weights->post_net = Linear::load(state, "wav_encoder.post_net", features, dim);
  weights->positional_scale = state.get("masker.positional_encoder.scale", {});

  const auto heads_of = [&](const char* scope) {
    const int heads = positive_int(gin.number(std::string(scope) + "MultiHeadAttention.num_heads"),
                                   std::string(scope) + "MultiHeadAttention.num_heads", source);
    if (dim % heads != 0) {
      throw InputError(source + ": gin " + scope +
                       "MultiHeadAttention.num_heads = " + std::to_string(heads) +
                       " does not divide the model dimension " + std::to_string(dim));
    }
    return heads;
  };
  const auto layers_of = [&](const char* scope, const std::string& prefix) {
    const int count = state.count(prefix + "encoder_layers.", ".norm1.weight");
    const std::string key = std::string(scope) + "TransformerEncoder.num_layers";
    if (gin.has(key)) {
      const int configured = positive_int(gin.number(key), key, source);
      if (configured != count) {
        throw InputError(source + ": tensor '" + prefix + "encoder_layers." +
                         std::to_string(std::min(configured, count)) + ".norm1.weight' is " +
                         (configured > count ? "missing" : "extra") + ": gin " + key + " = " +
                         std::to_string(configured));
      }
    }
    return count;
  };
  const auto ff_dim_of = [&](const std::string& prefix) {
    return state.shape(prefix + "encoder_layers.0.ff_layer.0.weight").at(0);
  };

  c.encoder_layers = layers_of(kEncoderScope, "visible_encoder.");
  if (c.encoder_layers == 0) {
    throw InputError(source +
                     ": tensor 'visible_encoder.encoder_layers.0.norm1.weight' is "
                     "missing");
  }
  c.encoder_heads = heads_of(kEncoderScope);
  c.encoder_ff_dim = static_cast<int>(ff_dim_of("visible_encoder."));
  weights->encoder = load_transformer(state, "visible_encoder.", c.encoder_layers, dim,
                                      c.encoder_heads, c.encoder_ff_dim);
  weights->has_decoder = state.contains("decoder.encoder_layers.0.norm1.weight");
  if (weights->has_decoder) {
    weights->encoder_post_net = Linear::load(state, "visible_encoder.post_net", dim, dim);
    c.decoder_layers = layers_of(kDecoderScope, "decoder.");
    c.decoder_heads = heads_of(kDecoderScope);
    c.decoder_ff_dim = static_cast<int>(ff_dim_of("decoder."));
    weights->decoder = load_transformer(state, "decoder.", c.decoder_layers, dim, c.decoder_heads,
                                        c.decoder_ff_dim);
    weights->decoder_positional_scale = state.get("decoder.positional_encoder.scale", {});
  } else {
    c.decoder_layers = 0;
  }
  state.expect_all_used({"target_encoder.", "head.", "visible_encoder.post_net."});
  EncodecMaeModel model;
  model.weights_ = std::move(weights);
  return model;
}

const EncodecMaeConfig& EncodecMaeModel::config() const { return weights_->config; }

std::vector<HiddenState> EncodecMaeModel::forward(const std::vector<double>& waveform,
                                                  const EncodecMaeOptions& options) const {
  c10::InferenceMode guard;
  const Weights& w = *weights_;
  const EncodecMaeConfig& c = w.config;
  if (options.residual_branch != 0 && options.residual_branch != 1) {
    throw InputError("EnCodecMAE residual_branch must be 0 or 1");
  }
  if (options.extract_decoder && !w.has_decoder) {
    throw InputError("this EnCodecMAE checkpoint has no decoder to extract");
  }
  const std::int64_t dim = c.model_dim;
  const auto chunk_size = static_cast<std::size_t>(c.sample_rate * c.chunk_seconds);
  const std::size_t total_layers =
      w.encoder.layers.size() + (options.extract_decoder ? w.decoder.layers.size() : 0);
  std::vector<std::vector<at::Tensor>> pieces(3 + total_layers);

  const auto layer_states = [&](const ResidualTransformer& model, const at::Tensor& input,
                                const at::Tensor& key_bias, std::size_t first_slot) {
    const auto outputs = run_transformer(model, input, key_bias);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      at::Tensor state = options.residual_branch == 0 ? outputs[i].first : outputs[i].second;
      if (i + 1 == outputs.size() && options.postnorm_last_activation) {
        state = outputs[i].first + model.final_norm(outputs[i].second);
      }
      pieces[first_slot + i].push_back(state);
    }
    return outputs.back().first + model.final_norm(outputs.back().second);
  };

  for (std::size_t start = 0; start < waveform.size(); start += chunk_size) {
    const std::size_t length = std::min(chunk_size, waveform.size() - start);
    if (length <= kMinChunkSamples) continue;
    const std::vector<double> chunk(waveform.begin() + static_cast<std::ptrdiff_t>(start),
                                    waveform.begin() + static_cast<std::ptrdiff_t>(start + length));
    at::Tensor input;
    if (c.front_end == EncodecMaeFrontEnd::kEncodec) {
      // EncodecEncoder: the SEANet encoder on the float32 waveform, (frames, 128) * scale.
      const at::Tensor samples =
          to_float_tensor(chunk.data(), {1, 1, static_cast<std::int64_t>(chunk.size())});
      input = w.encodec->forward(samples).back()[0].t() * c.encodec_scale;
    } else {
      const Matrix spectrum = c.front_end == EncodecMaeFrontEnd::kMel
                                  ? dsp::kaldi_fbank(chunk, c.fbank)
                                  : kaldi_spectrogram(chunk, c.fbank);
      input = (to_float_tensor(spectrum.data(), {spectrum.rows(), spectrum.cols()}) - c.norm_mean) /
              c.norm_std;
    }
    const std::int64_t frames = input.size(0);
    pieces[0].push_back(input);
    const at::Tensor features = w.post_net(input);
    pieces[1].push_back(features);
    const at::Tensor table = sinusoidal_table(frames, dim);
    const at::Tensor tokens = features + w.positional_scale * table;
    pieces[2].push_back(tokens);
    // Frames past samples / hop are padding for the keys (never for unpadded short chunks).
    const auto valid =
        static_cast<std::int64_t>(length / static_cast<std::size_t>(c.padding_mask_hop));
    const at::Tensor padded = at::arange(frames, at::kLong) >= valid;
    const at::Tensor key_bias = padded.to(at::kFloat) * kMaskValue;
    const at::Tensor encoded = layer_states(w.encoder, tokens, key_bias, 3);
    if (options.extract_decoder) {
      // The decoder input: projected encoder output, zero on padded frames, plus positions.
      const at::Tensor decoder_in =
          w.encoder_post_net(encoded) * (~padded).to(at::kFloat).unsqueeze(1);
      layer_states(w.decoder, decoder_in + w.decoder_positional_scale * table, key_bias,
                   3 + w.encoder.layers.size());
    }
  }
  if (pieces[0].empty()) {
    throw InputError("EnCodecMAE needs more than " + std::to_string(kMinChunkSamples) +
                     " samples of audio");
  }
  std::vector<HiddenState> states;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    std::string name;
    if (i == 0) {
      name = c.front_end == EncodecMaeFrontEnd::kMel           ? "mel"
             : c.front_end == EncodecMaeFrontEnd::kSpectrogram ? "spectrogram"
                                                               : "wav_encoder.encoder";
    } else if (i == 1) {
      name = "wav_encoder.post_net";
    } else if (i == 2) {
      name = "masker.positional_encoder";
    } else if (i - 3 < w.encoder.layers.size()) {
      name = "visible_encoder.encoder_layers." + std::to_string(i - 3);
    } else {
      name = "decoder.encoder_layers." + std::to_string(i - 3 - w.encoder.layers.size());
    }
    states.push_back({name, at::cat(pieces[i], 0).unsqueeze(0)});
  }
  return states;
}

std::string EncodecMaeModel::architecture() const { return "EncodecMAE"; }

double EncodecMaeModel::sample_rate() const { return config().sample_rate; }

std::vector<std::string> EncodecMaeModel::layer_names() const {
  return transformer_layers("masker.positional_encoder", "visible_encoder.encoder_layers.",
                            config().encoder_layers)
      .names;
}

std::vector<at::Tensor> EncodecMaeModel::forward_samples(
    const std::vector<double>& waveform) const {
  return pick(forward(waveform),
              transformer_layers("masker.positional_encoder", "visible_encoder.encoder_layers.",
                                 config().encoder_layers)
                  .sources);
}

std::vector<at::Tensor> EncodecMaeModel::forward_waveform(const at::Tensor& waveform) const {
  return forward_samples(waveform_samples(waveform));
}

}  // namespace brainalign::neural
