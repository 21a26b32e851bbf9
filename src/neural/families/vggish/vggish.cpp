#include "brainalign/neural/families/vggish/vggish.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cstring>
#include <set>

#include "brainalign/base/error.h"
#include "brainalign/dsp/vggish_logmel.h"
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"
#include "brainalign/neural/formats/torch_checkpoint.h"

namespace brainalign::neural {
namespace {

// torchvggish's make_layers: [64, M, 128, M, 256, 256, M, 512, 512, M], each number a 3x3
// convolution (padding 1) followed by a ReLU, M a 2x2 max-pool; then the embeddings
// Sequential of Linear, ReLU three times.
enum class Op { kConv, kRelu, kPool, kLinear };
struct Module {
  Op op;
  std::string reference;  // the module's name in the reference model
  std::string study;      // the 2023 study's name for its output
};

const std::vector<Module>& modules() {
  static const std::vector<Module> list = [] {
    std::vector<Module> out;
    int conv = 0, relu = 0, pool = 0, linear = 0, index = 0;
    const auto add = [&](Op op, const std::string& sequence, int& count, const char* type) {
      out.push_back({op, sequence + "." + std::to_string(index++),
                     std::string(type) + "_" + std::to_string(++count)});
    };
    for (const char* step : {"c", "M", "c", "M", "c", "c", "M", "c", "c", "M"}) {
      if (step[0] == 'M') {
        add(Op::kPool, "features", pool, "MaxPool2d");
      } else {
        add(Op::kConv, "features", conv, "Conv2d");
        add(Op::kRelu, "features", relu, "ReLU");
      }
    }
    index = 0;
    for (int i = 0; i < 3; ++i) {
      add(Op::kLinear, "embeddings", linear, "Linear");
      add(Op::kRelu, "embeddings", relu, "ReLU");
    }
    return out;
  }();
  return list;
}

constexpr int kConvLayers = 6;
constexpr int kFcLayers = 3;
constexpr std::int64_t kPooledTime = VggishModel::kExampleFrames / 16;  // 6 after 4 pools
constexpr std::int64_t kPooledMel = VggishModel::kMelBands / 16;        // 4

std::string shape_text(const at::Tensor& t) { return c10::str(t.sizes()); }

}  // namespace

struct VggishModel::Weights {
  VggishConfig config;
  std::vector<at::Tensor> conv_weight, conv_bias, fc_weight, fc_bias;
};

VggishModel VggishModel::from_state_dict(const std::map<std::string, at::Tensor>& tensors,
                                         const std::string& source) {
  c10::InferenceMode guard;
  if (!tensors.contains("features.0.weight") || !tensors.contains("embeddings.0.weight")) {
    throw InputError(source +
                     ": not a VGGish state_dict (torchvggish's vggish-10086976.pth has the "
                     "tensors 'features.0.weight' ... and 'embeddings.0.weight' ...)");
  }
  std::set<std::string> used;
  const auto get = [&](const std::string& name, std::vector<std::int64_t> shape) {
    const auto found = tensors.find(name);
    if (found == tensors.end()) {
      throw InputError(source + ": tensor '" + name + "' is missing (not a VGGish state_dict)");
    }
    const at::Tensor& t = found->second;
    if (!t.is_floating_point()) {
      throw InputError(source + ": tensor '" + name + "' is not floating point");
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
      throw InputError(source + ": tensor '" + name + "' has shape " + shape_text(t) +
                       ", VGGish expects " + expected + "]");
    }
    used.insert(name);
    return t.to(at::kFloat).contiguous();
  };

  auto weights = std::make_shared<Weights>();
  std::int64_t channels = 1;
  for (const Module& m : modules()) {
    if (m.op == Op::kConv) {
      const at::Tensor w = get(m.reference + ".weight", {-1, channels, 3, 3});
      channels = w.size(0);
      weights->conv_weight.push_back(w);
      weights->conv_bias.push_back(get(m.reference + ".bias", {channels}));
      weights->config.conv_channels.push_back(channels);
    }
  }
  std::int64_t width = channels * kPooledTime * kPooledMel;
  for (const Module& m : modules()) {
    if (m.op == Op::kLinear) {
      const at::Tensor w = get(m.reference + ".weight", {-1, width});
      width = w.size(0);
      weights->fc_weight.push_back(w);
      weights->fc_bias.push_back(get(m.reference + ".bias", {width}));
      weights->config.fc_widths.push_back(width);
    }
  }
  for (const auto& [name, tensor] : tensors) {
    (void)tensor;
    if (used.contains(name) || name.starts_with("pproc.") || name.starts_with("pca_")) continue;
    throw InputError(source + ": tensor '" + name +
                     "' is not part of VGGish (torchvggish's VGG has features.* and "
                     "embeddings.* only)");
  }
  VggishModel model;
  model.weights_ = std::move(weights);
  return model;
}

VggishModel VggishModel::load(const std::filesystem::path& checkpoint) {
  return from_state_dict(read_state_dict_file(checkpoint, "a VGGish"), checkpoint.string());
}

const VggishConfig& VggishModel::config() const { return weights_->config; }

at::Tensor VggishModel::examples(const std::vector<double>& waveform) {
  const std::vector<Matrix> examples = dsp::vggish_examples(waveform);
  const auto n = static_cast<std::int64_t>(examples.size());
  at::Tensor out = at::empty({n, 1, kExampleFrames, kMelBands}, at::kDouble);
  double* data = out.data_ptr<double>();
  for (std::int64_t i = 0; i < n; ++i) {
    const Matrix& e = examples[static_cast<std::size_t>(i)];
    std::memcpy(data + i * kExampleFrames * kMelBands, e.data(),
                static_cast<std::size_t>(e.size()) * sizeof(double));
  }
  return out.to(at::kFloat);
}

std::vector<HiddenState> VggishModel::forward(const at::Tensor& examples) const {
  c10::InferenceMode guard;
  const Weights& w = *weights_;
  if (examples.dim() != 4 || examples.size(1) != 1 || examples.size(2) != kExampleFrames ||
      examples.size(3) != kMelBands) {
    throw InputError("VGGish takes log-mel examples of shape (examples, 1, 96, 64), got " +
                     shape_text(examples));
  }
  std::vector<HiddenState> states;
  at::Tensor x = examples.to(at::kFloat).contiguous();
  std::size_t conv = 0, fc = 0;
  for (const Module& m : modules()) {
    switch (m.op) {
      case Op::kConv:
        x = at::conv2d(x, w.conv_weight[conv], w.conv_bias[conv], {1, 1}, {1, 1});
        ++conv;
        break;
      case Op::kRelu:
        x = at::relu(x);
        break;
      case Op::kPool:
        x = at::max_pool2d(x, {2, 2}, {2, 2});
        break;
      case Op::kLinear:
        if (fc == 0) x = x.permute({0, 2, 3, 1}).reshape({x.size(0), -1});  // time, mel, channel
        x = at::linear(x, w.fc_weight[fc], w.fc_bias[fc]);
        ++fc;
        break;
    }
    states.push_back({m.reference, x});
  }
  return states;
}

std::string VggishModel::architecture() const { return "VGGish"; }

double VggishModel::sample_rate() const { return kSampleRate; }

std::vector<std::string> VggishModel::layer_names() const {
  std::vector<std::string> names;
  for (const Module& m : modules()) names.push_back(m.study);
  return names;
}

std::vector<std::string> VggishModel::tuckute2023_layers() {
  std::vector<std::string> names;
  for (const Module& m : modules()) {
    if (m.op == Op::kRelu || m.op == Op::kPool) names.push_back(m.study);
  }
  return names;
}

std::vector<std::string> VggishModel::pepino2025_layers() {
  std::vector<std::string> names;
  for (const Op op : {Op::kRelu, Op::kPool}) {
    for (const Module& m : modules()) {
      if (m.op == op) names.push_back(m.study);
    }
  }
  return names;
}

std::vector<at::Tensor> VggishModel::forward_samples(const std::vector<double>& waveform) const {
  const std::vector<HiddenState> states = forward(examples(waveform));
  std::vector<at::Tensor> layers;
  layers.reserve(states.size());
  for (const HiddenState& state : states) {
    const at::Tensor& v = state.value;
    if (v.dim() == 4) {
      // (examples, channels, time, mel) -> (examples * time, channels, mel)
      layers.push_back(
          v.permute({0, 2, 1, 3}).reshape({v.size(0) * v.size(2), v.size(1), v.size(3)}));
    } else {
      layers.push_back(v);
    }
  }
  return layers;
}

std::vector<at::Tensor> VggishModel::forward_waveform(const at::Tensor& waveform) const {
  return forward_samples(waveform_samples(waveform));
}

}  // namespace brainalign::neural
