#include "registry_model.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <numbers>
#include <stdexcept>

#include "brainalign/base/error.h"
#include "brainalign/base/threads.h"
#include "brainalign/io/sha256.h"
#include "brainalign/models/published_layers.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

// A layer's size as a function of the clip's length: frames = offset + slope * samples (fitted
// on two probe clips; both 0 and a constant offset for fixed-length models), `width` features.
struct LayerGrowth {
  double offset = 0.0;
  double slope = 0.0;
  double width = 0.0;
  double frames(std::size_t samples) const {
    return std::max(1.0, offset + slope * static_cast<double>(samples));
  }
};

// The waveform the probes run on: a quiet two-tone signal (silence would trip the
// normalisation of some front ends).
std::vector<double> probe_clip(double sample_rate, double seconds) {
  std::vector<double> samples(static_cast<std::size_t>(std::lround(sample_rate * seconds)));
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double t = static_cast<double>(i) / sample_rate;
    samples[i] = 0.1 * std::sin(2 * std::numbers::pi * 440.0 * t) +
                 0.05 * std::sin(2 * std::numbers::pi * 1375.0 * t);
  }
  return samples;
}

void use_one_thread() {
  if (at::get_num_threads() != 1) at::set_num_threads(1);
}

class RegistryModel final : public models::Model {
 public:
  RegistryModel(std::shared_ptr<const AudioModel> network, RegistryModelSpec spec)
      : spec_(std::move(spec)),
        network_(std::move(network)),
        sample_rate_(network_ ? network_->sample_rate() : 0.0),
        layers_(network_ ? network_->layer_names() : std::vector<std::string>()) {
    if (!network_) throw std::logic_error("model '" + spec_.name + "' has no network");
    // libtorch's matrix products go to OpenBLAS, whose own threads at::set_num_threads does
    // not govern: configure_compute_runtime() makes them one too, and keeps large buffers
    // mapped between clips.
    configure_compute_runtime();
    use_one_thread();
  }

  std::string name() const override { return spec_.name; }
  double sample_rate() const override { return sample_rate_; }
  std::vector<std::string> layer_names() const override { return layers_; }
  std::string weights_id() const override { return spec_.weights_id; }

  std::vector<std::string> study_layers(const std::string& study) const override {
    if (spec_.study_family.empty()) return {};
    return models::published_layers(study, spec_.study_family, layers_);
  }

  dsp::Audio prepare(dsp::Audio audio) const override {
    if (audio.sample_rate == sample_rate_) return audio;
    audio.samples =
        dsp::resample(audio.samples, audio.sample_rate, sample_rate_, spec_.resample_quality);
    audio.sample_rate = sample_rate_;
    return audio;
  }

  std::vector<models::LayerActivations> forward(const dsp::Audio& audio) const override {
    if (audio.sample_rate != sample_rate_) {
      throw InputError("audio at " + std::to_string(audio.sample_rate) + " Hz, the model takes " +
                       std::to_string(sample_rate_) + " Hz (prepare() resamples)");
    }
    use_one_thread();
    std::vector<at::Tensor> outputs;
    {
      c10::InferenceMode guard;
      outputs = network_->forward_samples(audio.samples);
    }
    if (outputs.size() != layers_.size()) {
      throw InputError("the network returned " + std::to_string(outputs.size()) +
                       " layers, expected " + std::to_string(layers_.size()));
    }
    std::vector<models::LayerActivations> layers;
    layers.reserve(outputs.size());
    for (std::size_t l = 0; l < outputs.size(); ++l) {
      layers.push_back(to_activations(layers_[l], outputs[l]));
      outputs[l] = at::Tensor();  // free the float copy early
    }
    return layers;
  }

  std::size_t forward_memory_bytes(std::size_t samples) const override {
    std::call_once(measured_, [this] { measure(); });
    if (growth_.empty()) return kUnknown;
    double outputs = 0.0;
    for (const auto& layer : growth_) outputs += layer.frames(samples) * layer.width;
    // Every layer as float32 and as the double activations, with as much again for
    // intermediates; attention scores (heads = width / 64) and a 4x feed-forward of the
    // transformer stage, taken to be the layer with the fewest frames.
    const LayerGrowth& stage = growth_[transformer_stage_];
    const double t = stage.frames(samples);
    const double heads = std::max(1.0, stage.width / 64.0);
    const double work = 3.0 * 4.0 * heads * t * t + 2.0 * 4.0 * 4.0 * t * stage.width;
    const double bytes = 20.0 * outputs + work + 32.0 * static_cast<double>(samples);
    return bytes >= static_cast<double>(kUnknown) ? kUnknown : static_cast<std::size_t>(bytes);
  }

 private:
  // A model whose probes failed: it runs alone.
  static constexpr std::size_t kUnknown = std::numeric_limits<std::size_t>::max() / 4;

  models::LayerActivations to_activations(const std::string& name, const at::Tensor& output) const {
    if (output.dim() < 1 || output.size(0) == 0) {
      throw InputError("layer '" + name + "' has no frames for this clip (shape " +
                       c10::str(output.sizes()) + ")");
    }
    const at::Tensor values = output.to(at::kCPU, at::kDouble).contiguous();
    models::LayerActivations layer;
    layer.layer = name;
    const Eigen::Index frames = values.size(0);
    const Eigen::Index features = values.numel() / frames;
    for (std::int64_t d = 1; d < values.dim(); ++d) layer.feature_shape.push_back(values.size(d));
    if (layer.feature_shape.empty()) layer.feature_shape.push_back(1);
    layer.values.resize(frames, features);
    std::memcpy(layer.values.data(), values.data_ptr<double>(),
                static_cast<std::size_t>(values.numel()) * sizeof(double));
    return layer;
  }

  void measure() const {
    try {
      const std::vector<double> one = probe_clip(sample_rate_, 1.0);
      const std::vector<double> two = probe_clip(sample_rate_, 2.0);
      use_one_thread();
      c10::InferenceMode guard;
      const std::vector<at::Tensor> short_run = network_->forward_samples(one);
      const std::vector<at::Tensor> long_run = network_->forward_samples(two);
      if (short_run.size() != long_run.size() || short_run.empty()) return;
      const double n1 = static_cast<double>(one.size()), n2 = static_cast<double>(two.size());
      std::vector<LayerGrowth> layers;
      for (std::size_t l = 0; l < short_run.size(); ++l) {
        const auto& a = short_run[l];
        const auto& b = long_run[l];
        if (a.dim() < 1 || b.dim() < 1 || a.size(0) == 0) return;
        LayerGrowth growth;
        const double f1 = static_cast<double>(a.size(0)), f2 = static_cast<double>(b.size(0));
        growth.slope = std::max(0.0, (f2 - f1) / (n2 - n1));
        growth.offset = f1 - growth.slope * n1;
        growth.width = static_cast<double>(a.numel()) / f1;
        layers.push_back(growth);
      }
      // The transformer stage: the fewest frames at the probe length, the widest among those.
      std::size_t stage = 0;
      for (std::size_t l = 1; l < layers.size(); ++l) {
        const double f = layers[l].frames(two.size()), best = layers[stage].frames(two.size());
        if (f < best || (f == best && layers[l].width > layers[stage].width)) stage = l;
      }
      transformer_stage_ = stage;
      growth_ = std::move(layers);
    } catch (const std::exception&) {
      // Unknown (growth_ stays empty): the clips run one at a time.
    }
  }

  RegistryModelSpec spec_;
  std::shared_ptr<const AudioModel> network_;
  double sample_rate_ = 0.0;
  std::vector<std::string> layers_;
  mutable std::once_flag measured_;
  mutable std::vector<LayerGrowth> growth_;
  mutable std::size_t transformer_stage_ = 0;
};

}  // namespace

std::unique_ptr<models::Model> make_registry_model(std::shared_ptr<const AudioModel> network,
                                                   RegistryModelSpec spec) {
  return std::make_unique<RegistryModel>(std::move(network), std::move(spec));
}

std::string registry_model_name(const std::string& prefix, const fs::path& path) {
  fs::path clean = path.lexically_normal();
  if (!clean.has_filename()) clean = clean.parent_path();  // "folder/" -> "folder"
  const std::string stem =
      fs::is_directory(path) ? clean.filename().string() : clean.stem().string();
  return prefix + ":" + (stem.empty() ? clean.string() : stem);
}

std::string weights_digest(const std::vector<fs::path>& files) {
  io::Sha256 digest;
  for (const auto& file : files) {
    if (!fs::exists(file)) continue;
    digest.update(file.filename().string() + "=" + io::sha256_file(file) + "\n");
  }
  return digest.hex();
}

}  // namespace brainalign::neural
