#include "brainalign/neural/families/torchscript/torchscript_model.h"

#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>
#include <torch/version.h>

#include <cmath>
#include <mutex>
#include <numbers>

#include "brainalign/base/error.h"
#include "brainalign/neural/formats/config.h"

namespace brainalign::neural {
namespace fs = std::filesystem;

struct TorchScriptModel::State {
  fs::path path;
  double sample_rate = kDefaultSampleRate;
  std::vector<std::string> layers;
  // Module::forward is not const, but running a loaded module from several threads is safe:
  // the interpreter keeps its per-call state on the stack.
  torch::jit::Module module;
};

namespace {

std::string layer_error(const fs::path& path, const std::string& layer, const std::string& what) {
  return path.string() + ": output '" + layer + "' " + what;
}

// A layer with the batch dimension removed: time first.
at::Tensor to_frames(const fs::path& path, const std::string& layer, const at::Tensor& output) {
  if (!at::isFloatingType(output.scalar_type())) {
    throw InputError(layer_error(path, layer,
                                 std::string("is a ") + c10::toString(output.scalar_type()) +
                                     " tensor; layers must be floating point"));
  }
  at::Tensor value = output.detach().to(at::kCPU, at::kFloat);
  switch (value.dim()) {
    case 0:
      throw InputError(layer_error(path, layer,
                                   "is a scalar; expected (1, frames, features), (frames, "
                                   "features) or (features,)"));
    case 1:
      return value.unsqueeze(0).contiguous();  // (features,): one frame
    case 2:
      return value.contiguous();  // (frames, features); (1, features) is one frame
    default:
      if (value.size(0) != 1) {
        throw InputError(layer_error(path, layer,
                                     "has shape " + c10::str(value.sizes()) + ": batch size " +
                                         std::to_string(value.size(0)) +
                                         ", expected 1 (one waveform in, one batch out)"));
      }
      return value[0].contiguous();
  }
}

// The layers of one forward() result, named.
std::vector<std::pair<std::string, at::Tensor>> named_outputs(const fs::path& path,
                                                              const c10::IValue& result) {
  std::vector<std::pair<std::string, at::Tensor>> layers;
  const auto tensor_of = [&](const c10::IValue& value, const std::string& name) {
    if (!value.isTensor()) {
      throw InputError(layer_error(path, name, "is " + value.tagKind() + ", expected a tensor"));
    }
    return to_frames(path, name, value.toTensor());
  };
  const auto add_all = [&](const std::vector<c10::IValue>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::string name = "layer." + std::to_string(i);
      layers.emplace_back(name, tensor_of(values[i], name));
    }
  };
  if (result.isTensor()) {
    layers.emplace_back("layer.0", tensor_of(result, "layer.0"));
  } else if (result.isTuple()) {
    const auto& elements = result.toTupleRef().elements();
    add_all(std::vector<c10::IValue>(elements.begin(), elements.end()));
  } else if (result.isList()) {
    add_all(result.toListRef().vec());
  } else if (result.isGenericDict()) {
    for (const auto& entry : result.toGenericDict()) {
      if (!entry.key().isString()) {
        throw InputError(path.string() + ": forward returned a dict with a key of type " +
                         entry.key().tagKind() + "; layer names must be strings");
      }
      const std::string name = entry.key().toStringRef();
      layers.emplace_back(name, tensor_of(entry.value(), name));
    }
  } else {
    throw InputError(path.string() + ": forward returned " + result.tagKind() +
                     "; expected a tensor, a tuple or list of tensors, or a dict str -> tensor");
  }
  if (layers.empty()) throw InputError(path.string() + ": forward returned no layers");
  return layers;
}

double sample_rate_of(const fs::path& path, const torch::jit::Module& module) {
  const fs::path sidecar = TorchScriptModel::sidecar_path(path);
  if (fs::exists(sidecar)) {
    const ModelConfig config = ModelConfig::read(sidecar);
    for (const auto& item : config.json().items()) {
      if (item.key() != "sample_rate") {
        throw InputError(config.error(item.key(), "is not a known key (known: sample_rate)"));
      }
    }
    const double rate = config.number("sample_rate");
    if (!(rate > 0) || !std::isfinite(rate)) {
      throw InputError(config.error("sample_rate", "must be a positive number of Hz"));
    }
    return rate;
  }
  if (module.hasattr("sample_rate")) {
    const c10::IValue value = module.attr("sample_rate");
    const double rate = value.isInt()      ? static_cast<double>(value.toInt())
                        : value.isDouble() ? value.toDouble()
                                           : -1.0;
    if (!(rate > 0) || !std::isfinite(rate)) {
      throw InputError(path.string() + ": attribute 'sample_rate' (a " + value.tagKind() +
                       ") must be a positive int or float of Hz");
    }
    return rate;
  }
  return TorchScriptModel::kDefaultSampleRate;
}

std::vector<double> probe_tone(double sample_rate) {
  std::vector<double> samples(static_cast<std::size_t>(std::lround(sample_rate)));
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i] =
        0.1 * std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(i) / sample_rate);
  }
  return samples;
}

}  // namespace

fs::path TorchScriptModel::sidecar_path(const fs::path& archive) {
  fs::path sidecar = archive;
  return sidecar.replace_extension(".json");
}

TorchScriptModel TorchScriptModel::load(const fs::path& archive) {
  if (!fs::is_regular_file(archive)) {
    throw IoError(archive.string() + ": no such TorchScript archive");
  }
  auto state = std::make_shared<State>();
  state->path = archive;
  try {
    state->module = torch::jit::load(archive.string(), c10::Device(c10::kCPU));
  } catch (const std::exception& e) {
    const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
    std::string message = torch_error ? torch_error->what_without_backtrace() : e.what();
    if (message.find("scaled_dot_product_attention") != std::string::npos) {
      message +=
          " (archives from PyTorch 2.x that call scaled_dot_product_attention do not "
          "load in libtorch " TORCH_VERSION "; export with eager attention or a matching PyTorch)";
    }
    throw InputError(archive.string() +
                     ": not a TorchScript archive libtorch can load: " + message);
  }
  state->module.eval();
  state->sample_rate = sample_rate_of(archive, state->module);
  TorchScriptModel model;
  model.state_ = std::move(state);
  try {
    model.forward_samples(probe_tone(model.sample_rate()));
  } catch (const InputError& e) {
    throw InputError(std::string(e.what()) + " (on 1 s of audio, run to learn the layers)");
  }
  return model;
}

const fs::path& TorchScriptModel::path() const { return state_->path; }
double TorchScriptModel::sample_rate() const { return state_->sample_rate; }
std::vector<std::string> TorchScriptModel::layer_names() const { return state_->layers; }

std::vector<at::Tensor> TorchScriptModel::forward_samples(
    const std::vector<double>& waveform) const {
  return forward_waveform(at::tensor(waveform, at::TensorOptions().dtype(at::kDouble)));
}

std::vector<at::Tensor> TorchScriptModel::forward_waveform(const at::Tensor& waveform) const {
  const at::Tensor input = waveform.reshape({1, -1}).to(at::kFloat);
  c10::IValue result;
  try {
    c10::InferenceMode guard;
    // The interpreter's unoptimised plan, the same for every call: the profiling executor
    // would otherwise switch plans after a few runs, so a clip's numbers could depend on how
    // many clips ran before it (and so on the thread count).
    const torch::jit::GraphOptimizerEnabledGuard same_plan(false);
    result = state_->module.forward({input});
  } catch (const c10::Error& e) {
    throw InputError(state_->path.string() + ": forward failed on a waveform of " +
                     std::to_string(input.size(1)) + " samples: " + e.what_without_backtrace());
  }
  auto named = named_outputs(state_->path, result);
  std::vector<std::string> names;
  std::vector<at::Tensor> layers;
  for (auto& [name, tensor] : named) {
    names.push_back(name);
    layers.push_back(std::move(tensor));
  }
  if (state_->layers.empty()) {
    state_->layers = names;  // the probe run in load(), before the model is shared
  } else if (names != state_->layers) {
    throw InputError(state_->path.string() + ": forward returned " + std::to_string(names.size()) +
                     " layers whose names differ from the " +
                     std::to_string(state_->layers.size()) + " it returned before");
  }
  return layers;
}

}  // namespace brainalign::neural
