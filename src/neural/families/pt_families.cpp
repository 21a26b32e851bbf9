// beats:, dasheng:, encodecmae:: the .pt checkpoint ports of brainalign_neural_pt as registry
// models. Each exposes the input of its first transformer layer as "embedding" and each
// layer's output as "encoder.1" ... "encoder.N", the scheme of the Hugging Face models.
#include <ATen/ATen.h>

#include <initializer_list>
#include <string_view>

#include "brainalign/base/error.h"
#include "brainalign/neural/ports/beats.h"
#include "brainalign/neural/ports/dasheng.h"
#include "brainalign/neural/ports/encodecmae.h"
#include "model_family_loaders.h"
#include "neural/formats/torch_archive_probe.h"
#include "registry_model.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

using neural::HiddenState;

// The pickle of a torch.save checkpoint; empty for anything else (TorchScript included).
std::string checkpoint_pickle(const fs::path& path) {
  TorchArchiveProbe probe = probe_torch_archive(path);
  return probe.is_zip && !probe.is_torchscript ? std::move(probe.data_pkl) : std::string();
}

bool has_keys(const std::string& pickle, std::initializer_list<std::string_view> keys) {
  if (pickle.empty()) return false;
  for (const auto key : keys) {
    if (!pickle_has_string(pickle, key)) return false;
  }
  return true;
}

// The port's state called `source` for each registry layer, batch dimension removed:
// (1, tokens, dim) -> (tokens, dim).
struct LayerSources {
  std::vector<std::string> names;
  std::vector<std::string> sources;
};

LayerSources transformer_layers(const std::string& embedding, const std::string& layer_prefix,
                                int layers) {
  LayerSources out{{"embedding"}, {embedding}};
  for (int i = 0; i < layers; ++i) {
    out.names.push_back("encoder." + std::to_string(i + 1));
    out.sources.push_back(layer_prefix + std::to_string(i));
  }
  return out;
}

std::vector<at::Tensor> pick(const std::vector<HiddenState>& states,
                             const std::vector<std::string>& sources) {
  std::vector<at::Tensor> layers;
  layers.reserve(sources.size());
  for (const auto& source : sources) {
    const at::Tensor& value = neural::find_hidden_state(states, source).value;
    layers.push_back(value.dim() == 3 && value.size(0) == 1 ? value[0] : value);
  }
  return layers;
}

RegistryModelSpec spec_for(const std::string& prefix, const fs::path& checkpoint,
                           double sample_rate, const LayerSources& layers) {
  RegistryModelSpec spec;
  spec.name = registry_model_name(prefix, checkpoint);
  spec.sample_rate = sample_rate;
  spec.layers = layers.names;
  spec.weights_id = weights_digest({checkpoint});
  return spec;
}

void require_file(const fs::path& checkpoint, const char* family) {
  if (!fs::is_regular_file(checkpoint)) {
    throw IoError(checkpoint.string() + ": no such " + family + " checkpoint file");
  }
}

}  // namespace

bool recognises_beats_checkpoint(const fs::path& path) {
  return has_keys(checkpoint_pickle(path),
                  {"cfg", "model", "encoder_embed_dim", "input_patch_size"});
}

bool recognises_dasheng_checkpoint(const fs::path& path) {
  return has_keys(checkpoint_pickle(path), {"model", "config", "time_pos_embed", "freq_pos_embed"});
}

bool recognises_encodecmae_checkpoint(const fs::path& path) {
  const std::string pickle = checkpoint_pickle(path);
  // State_dict names of the visible encoder: "visible_encoder.encoder_layers.0. ...".
  return has_keys(pickle, {"imports", "config", "state_dict"}) &&
         pickle.find("visible_encoder.") != std::string::npos;
}

std::unique_ptr<models::Model> load_beats_model(const fs::path& checkpoint) {
  require_file(checkpoint, "BEATs");
  auto network = std::make_shared<const neural::BeatsModel>(neural::BeatsModel::load(checkpoint));
  const LayerSources layers =
      transformer_layers("encoder.layer_norm", "encoder.layers.", network->config().encoder_layers);
  RegistryModelSpec spec = spec_for("beats", checkpoint, neural::BeatsModel::kSampleRate, layers);
  spec.study_family = "beats";
  spec.run = [network, sources = layers.sources](const std::vector<double>& waveform) {
    return pick(network->forward(waveform), sources);
  };
  return make_registry_model(std::move(spec));
}

std::unique_ptr<models::Model> load_dasheng_model(const fs::path& checkpoint) {
  require_file(checkpoint, "Dasheng");
  auto network =
      std::make_shared<const neural::DashengModel>(neural::DashengModel::load(checkpoint));
  const LayerSources layers =
      transformer_layers("blocks.input", "blocks.", network->config().depth);
  RegistryModelSpec spec =
      spec_for("dasheng", checkpoint, neural::DashengModel::kSampleRate, layers);
  spec.study_family = "dasheng";
  spec.run = [network, sources = layers.sources](const std::vector<double>& waveform) {
    return pick(network->forward(waveform), sources);
  };
  return make_registry_model(std::move(spec));
}

std::unique_ptr<models::Model> load_encodecmae_model(const fs::path& checkpoint) {
  require_file(checkpoint, "EnCodecMAE");
  auto network =
      std::make_shared<const neural::EncodecMaeModel>(neural::EncodecMaeModel::load(checkpoint));
  const LayerSources layers =
      transformer_layers("masker.positional_encoder", "visible_encoder.encoder_layers.",
                         network->config().encoder_layers);
  RegistryModelSpec spec =
      spec_for("encodecmae", checkpoint, network->config().sample_rate, layers);
  spec.study_family = "encodecmae";
  // The reference pipeline loads audio with librosa at 24 kHz: libsoxr's HQ recipe.
  spec.resample_quality = dsp::ResampleQuality::kHigh;
  spec.run = [network, sources = layers.sources](const std::vector<double>& waveform) {
    return pick(network->forward(waveform), sources);
  };
  return make_registry_model(std::move(spec));
}

}  // namespace brainalign::neural
