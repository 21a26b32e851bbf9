#include "brainalign/neural/families/cochdnn/cochdnn.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "brainalign/base/error.h"
#include "brainalign/dsp/cochleagram.h"
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"

namespace brainalign::neural {
namespace {

std::string shape_text(const at::Tensor& t) { return c10::str(t.sizes()); }

struct BatchNorm {
  at::Tensor weight, bias, mean, var;
};

// TF-style 'SAME' padding of robustness/audio_models/layers/padding.py (pad_same): the total
// max((ceil(n / s) - 1) s + k - n, 0), the smaller half first, on frequency and time.
at::Tensor pad_same(const at::Tensor& x, std::int64_t kh, std::int64_t kw, std::int64_t sh,
                    std::int64_t sw, double value) {
  const auto total = [](std::int64_t n, std::int64_t k, std::int64_t s) {
    return std::max<std::int64_t>(((n + s - 1) / s - 1) * s + k - n, 0);
  };
  const std::int64_t ph = total(x.size(2), kh, sh), pw = total(x.size(3), kw, sw);
  if (ph == 0 && pw == 0) return x;
  return at::constant_pad_nd(x, {pw / 2, pw - pw / 2, ph / 2, ph - ph / 2}, value);
}

at::Tensor batch_norm(const at::Tensor& x, const BatchNorm& bn) {
  return at::batch_norm(x, bn.weight, bn.bias, bn.mean, bn.var, false, 0.1, 1e-5, false);
}

// Kell2018: the SAME-padded convolutions (kernel, stride; no bias) and pools.
struct KellConv {
  std::int64_t kh, kw, stride;
};
constexpr KellConv kKellConvs[] = {{7, 14, 3}, {4, 8, 2}, {2, 5, 1}, {2, 5, 1}, {2, 5, 1}};
constexpr std::int64_t kKellPooledFrequency = 5, kKellPooledTime = 9;

struct Block {
  at::Tensor conv1, conv2, conv3, down;
  BatchNorm bn1, bn2, bn3, down_bn;
  std::int64_t stride = 1;
};

}  // namespace

struct CochdnnModel::Weights {
  CochdnnConfig config;
  // Kell2018
  BatchNorm kell_bn[3];
  at::Tensor kell_conv[5], kell_conv_bias[5];
  at::Tensor fc_weight, fc_bias;
  // ResNet-50
  at::Tensor stem;
  BatchNorm stem_bn;
  std::vector<std::vector<Block>> stages;
};

std::vector<std::string> CochdnnModel::kell2018_layers() {
  return {"relu0", "maxpool0", "relu1", "maxpool1", "relu2", "relu3", "relu4", "avgpool", "relufc"};
}

std::vector<std::string> CochdnnModel::resnet50_layers() {
  return {"conv1_relu1", "maxpool1", "layer1", "layer2", "layer3", "layer4", "avgpool"};
}

std::string CochdnnModel::architecture() const {
  return weights_->config.architecture == CochdnnArchitecture::kKell2018 ? "Kell2018" : "ResNet50";
}

double CochdnnModel::sample_rate() const { return kSampleRate; }

std::vector<std::string> CochdnnModel::layer_names() const {
  return weights_->config.architecture == CochdnnArchitecture::kKell2018 ? kell2018_layers()
                                                                         : resnet50_layers();
}

const CochdnnConfig& CochdnnModel::config() const { return weights_->config; }

namespace {

// The prefix of the network's tensors and its architecture, from the key of its first
// convolution: the robustness library's AttackerModel holds the network twice (model.1. and
// attacker.model.1.); the first one not under attacker. is taken.
bool find_network(const std::vector<std::string>& keys, std::string* prefix,
                  CochdnnArchitecture* architecture) {
  static const std::pair<const char*, CochdnnArchitecture> kMarks[] = {
      {"conv0.weight", CochdnnArchitecture::kKell2018},
      {"layer1.0.conv1.weight", CochdnnArchitecture::kResNet50}};
  bool found = false;
  for (const std::string& key : keys) {
    for (const auto& [mark, arch] : kMarks) {
      const std::string m = mark;
      if (!key.ends_with(m)) continue;
      const std::string p = key.substr(0, key.size() - m.size());
      if (!p.empty() && p.back() != '.') continue;
      const bool attacker = p.find("attacker.") != std::string::npos;
      if (!found || (prefix->find("attacker.") != std::string::npos && !attacker)) {
        *prefix = p;
        *architecture = arch;
        found = true;
      }
    }
  }
  return found;
}

}  // namespace

bool CochdnnModel::recognises_keys(const std::vector<std::string>& keys) noexcept {
  try {
    std::string prefix;
    CochdnnArchitecture arch;
    if (!find_network(keys, &prefix, &arch)) return false;
    const std::string other = arch == CochdnnArchitecture::kKell2018
                                  ? prefix + "fullyconnected.weight"
                                  : prefix + "layer4.0.conv3.weight";
    return std::find(keys.begin(), keys.end(), other) != keys.end();
  } catch (...) {
    return false;
  }
}

CochdnnModel CochdnnModel::from_state_dict(const std::map<std::string, at::Tensor>& tensors,
                                           const std::string& source) {
  c10::InferenceMode guard;
  std::vector<std::string> keys;
  for (const auto& [name, tensor] : tensors) {
    (void)tensor;
    keys.push_back(name);
  }
  std::string prefix;
  CochdnnConfig config;
  if (!find_network(keys, &prefix, &config.architecture)) {
    throw InputError(source +
                     ": not a cochdnn network (a Kell2018 checkpoint has the tensors "
                     "'module.model.1.conv0.weight' ..., a ResNet-50 one "
                     "'module.model.1.layer1.0.conv1.weight' ...)");
  }
  const std::string arch_name =
      config.architecture == CochdnnArchitecture::kKell2018 ? "Kell2018" : "ResNet-50";
  std::set<std::string> used;
  const auto has = [&](const std::string& name) { return tensors.contains(prefix + name); };
  const auto get = [&](const std::string& name, std::vector<std::int64_t> shape) {
    const auto found = tensors.find(prefix + name);
    if (found == tensors.end()) {
      throw InputError(source + ": tensor '" + prefix + name + "' is missing (not a cochdnn " +
                       arch_name + " checkpoint?)");
    }
    const at::Tensor& t = found->second;
    if (!t.is_floating_point()) {
      throw InputError(source + ": tensor '" + prefix + name + "' is not floating point");
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
      throw InputError(source + ": tensor '" + prefix + name + "' has shape " + shape_text(t) +
                       ", " + arch_name + " expects " + expected + "]");
    }
    used.insert(prefix + name);
    return t.to(at::kFloat).contiguous();
  };
  const auto batch_norm_of = [&](const std::string& name, std::int64_t channels) {
    BatchNorm bn;
    bn.weight = get(name + ".weight", {channels});
    bn.bias = get(name + ".bias", {channels});
    bn.mean = get(name + ".running_mean", {channels});
    bn.var = get(name + ".running_var", {channels});
    if (has(name + ".num_batches_tracked")) used.insert(prefix + name + ".num_batches_tracked");
    return bn;
  };

  auto w = std::make_shared<Weights>();
  std::string heads;
  if (config.architecture == CochdnnArchitecture::kKell2018) {
    heads = "classification.";
    std::int64_t channels = 1;
    for (int i = 0; i < 5; ++i) {
      if (i < 3) w->kell_bn[i] = batch_norm_of("batchnorm" + std::to_string(i), channels);
      const KellConv& c = kKellConvs[i];
      const std::string name = "conv" + std::to_string(i);
      w->kell_conv[i] = get(name + ".weight", {-1, channels, c.kh, c.kw});
      channels = w->kell_conv[i].size(0);
      if (has(name + ".bias")) w->kell_conv_bias[i] = get(name + ".bias", {channels});
      config.conv_channels.push_back(channels);
    }
    w->fc_weight =
        get("fullyconnected.weight", {-1, channels * kKellPooledFrequency * kKellPooledTime});
    config.fc_width = w->fc_weight.size(0);
    w->fc_bias = get("fullyconnected.bias", {config.fc_width});
  } else {
    heads = "fc.";
    w->stem = get("conv1.weight", {-1, 1, 7, 7});
    config.stem_width = w->stem.size(0);
    w->stem_bn = batch_norm_of("bn1", config.stem_width);
    std::int64_t inplanes = config.stem_width;
    for (int s = 0; s < 4; ++s) {
      const std::string stage = "layer" + std::to_string(s + 1) + ".";
      const std::int64_t planes = config.stem_width << s;
      std::vector<Block> blocks;
      for (int b = 0; has(stage + std::to_string(b) + ".conv1.weight"); ++b) {
        const std::string p = stage + std::to_string(b) + ".";
        Block block;
        block.stride = (b == 0 && s > 0) ? 2 : 1;
        block.conv1 = get(p + "conv1.weight", {planes, inplanes, 1, 1});
        block.bn1 = batch_norm_of(p + "bn1", planes);
        block.conv2 = get(p + "conv2.weight", {planes, planes, 3, 3});
        block.bn2 = batch_norm_of(p + "bn2", planes);
        block.conv3 = get(p + "conv3.weight", {planes * 4, planes, 1, 1});
        block.bn3 = batch_norm_of(p + "bn3", planes * 4);
        if (b == 0) {
          block.down = get(p + "downsample.0.weight", {planes * 4, inplanes, 1, 1});
          block.down_bn = batch_norm_of(p + "downsample.1", planes * 4);
        }
        inplanes = planes * 4;
        blocks.push_back(std::move(block));
      }
      if (blocks.empty()) {
        throw InputError(source + ": tensor '" + prefix + stage +
                         "0.conv1.weight' is missing (not a cochdnn ResNet-50 checkpoint?)");
      }
      config.blocks.push_back(static_cast<std::int64_t>(blocks.size()));
      w->stages.push_back(std::move(blocks));
    }
  }
  for (const auto& [name, tensor] : tensors) {
    (void)tensor;
    if (!name.starts_with(prefix) || used.contains(name)) continue;
    const std::string local = name.substr(prefix.size());
    if (local.starts_with(heads)) continue;  // the task heads are not hooked
    if (local.starts_with("attacker.") || local.starts_with("model.") ||
        local.starts_with("preproc.") || local.starts_with("normalizer.")) {
      continue;  // the wrapper's other parts, when the network sits at the root
    }
    throw InputError(source + ": tensor '" + name + "' is not part of the cochdnn " + arch_name);
  }
  w->config = std::move(config);
  CochdnnModel model;
  model.weights_ = std::move(w);
  return model;
}

CochdnnModel CochdnnModel::load(const std::filesystem::path& checkpoint) {
  if (!is_legacy_torch_file(checkpoint)) {
    throw InputError(checkpoint.string() +
                     ": not a cochdnn checkpoint: the release's checkpoints are legacy "
                     "torch.save files (torch 1.5) and this one has no legacy header (a "
                     "truncated or failed download, or another format?)");
  }
  const std::vector<std::string> top = legacy_state_dict_keys(checkpoint);
  const bool training = std::find(top.begin(), top.end(), "model") != top.end();
  return from_state_dict(
      training ? read_legacy_state_dict(checkpoint, "model") : read_legacy_state_dict(checkpoint),
      checkpoint.string());
}

at::Tensor CochdnnModel::cochleagram(const std::vector<double>& waveform) {
  if (static_cast<std::int64_t>(waveform.size()) != kSamples) {
    throw InputError("the cochdnn networks take exactly 40000 samples at 20 kHz (2 s), got " +
                     std::to_string(waveform.size()));
  }
  static const dsp::Cochleagram front_end;
  const Matrix c = front_end.compute(waveform);  // channels x frames, row-major
  at::Tensor out = at::empty({1, 1, c.rows(), c.cols()}, at::kDouble);
  std::memcpy(out.data_ptr<double>(), c.data(),
              static_cast<std::size_t>(c.size()) * sizeof(double));
  return out.to(at::kFloat);
}

std::vector<HiddenState> CochdnnModel::forward(const at::Tensor& cochleagram) const {
  c10::InferenceMode guard;
  const Weights& w = *weights_;
  if (cochleagram.dim() != 4 || cochleagram.size(1) != 1 || cochleagram.size(2) != kChannels ||
      cochleagram.size(3) != kFrames) {
    throw InputError("the cochdnn networks take cochleagrams of shape (batch, 1, 211, 390), got " +
                     shape_text(cochleagram));
  }
  std::vector<HiddenState> states;
  at::Tensor x = cochleagram.to(at::kFloat).contiguous();
  if (w.config.architecture == CochdnnArchitecture::kKell2018) {
    const auto conv = [&](int i) {
      const KellConv& c = kKellConvs[i];
      x = at::conv2d(pad_same(x, c.kh, c.kw, c.stride, c.stride, 0.0), w.kell_conv[i],
                     w.kell_conv_bias[i], {c.stride, c.stride});
      x = at::relu(x);
      states.push_back({"relu" + std::to_string(i), x});
    };
    const auto max_pool = [&](const char* name) {
      x = at::max_pool2d(pad_same(x, 2, 5, 2, 2, -std::numeric_limits<double>::infinity()), {2, 5},
                         {2, 2});
      states.push_back({name, x});
    };
    x = batch_norm(x, w.kell_bn[0]);
    conv(0);
    max_pool("maxpool0");
    x = batch_norm(x, w.kell_bn[1]);
    conv(1);
    max_pool("maxpool1");
    x = batch_norm(x, w.kell_bn[2]);
    conv(2);
    conv(3);
    conv(4);
    x = at::avg_pool2d(pad_same(x, 2, 5, 2, 2, 0.0), {2, 5}, {2, 2});
    states.push_back({"avgpool", x});
    x = at::relu(at::linear(x.reshape({x.size(0), -1}), w.fc_weight, w.fc_bias));
    states.push_back({"relufc", x});
    return states;
  }
  x = at::conv2d(x, w.stem, {}, {2, 2}, {3, 3});
  x = at::relu(batch_norm(x, w.stem_bn));
  states.push_back({"conv1_relu1", x});
  x = at::max_pool2d(x, {3, 3}, {2, 2}, {1, 1});
  states.push_back({"maxpool1", x});
  for (std::size_t s = 0; s < w.stages.size(); ++s) {
    for (const Block& b : w.stages[s]) {
      at::Tensor out = at::relu(batch_norm(at::conv2d(x, b.conv1), b.bn1));
      out = at::relu(batch_norm(at::conv2d(out, b.conv2, {}, {b.stride, b.stride}, {1, 1}), b.bn2));
      out = batch_norm(at::conv2d(out, b.conv3), b.bn3);
      const at::Tensor identity =
          b.down.defined() ? batch_norm(at::conv2d(x, b.down, {}, {b.stride, b.stride}), b.down_bn)
                           : x;
      x = at::relu(out + identity);
    }
    states.push_back({"layer" + std::to_string(s + 1), x});
  }
  x = at::adaptive_avg_pool2d(x, {1, 1});
  states.push_back({"avgpool", x});
  return states;
}

std::vector<at::Tensor> CochdnnModel::forward_samples(const std::vector<double>& waveform) const {
  std::vector<at::Tensor> out;
  for (HiddenState& state : forward(cochleagram(waveform))) {
    const at::Tensor& v = state.value;
    // (1, channels, frequency, time) -> (time, channels, frequency); (1, width) stays.
    out.push_back(v.dim() == 4 ? v[0].permute({2, 0, 1}).contiguous() : v);
  }
  return out;
}

std::vector<at::Tensor> CochdnnModel::forward_waveform(const at::Tensor& waveform) const {
  return forward_samples(waveform_samples(waveform));
}

}  // namespace brainalign::neural
