#include "brainalign/models/registry.h"

#include <mutex>
#include <utility>

#include "brainalign/base/error.h"
#include "brainalign/base/plugins.h"
#include "brainalign/models/model_catalog.h"
#include "brainalign/models/model_series.h"
#include "frontend_models.h"

namespace brainalign::models {
namespace {

// A catalogued model under its catalogue name ("beats:iter3"), run by the model its fetched
// files make ("beats:<models root>/beats/iter3/BEATs_iter3.pt").
class CataloguedModel final : public Model {
 public:
  CataloguedModel(std::string name, std::unique_ptr<Model> model)
      : name_(std::move(name)), model_(std::move(model)) {}
  std::string name() const override { return name_; }
  double sample_rate() const override { return model_->sample_rate(); }
  std::vector<std::string> layer_names() const override { return model_->layer_names(); }
  std::string weights_id() const override { return model_->weights_id(); }
  dsp::Audio prepare(dsp::Audio audio) const override { return model_->prepare(std::move(audio)); }
  std::vector<LayerActivations> forward(const dsp::Audio& audio) const override {
    return model_->forward(audio);
  }
  std::size_t forward_memory_bytes(std::size_t samples) const override {
    return model_->forward_memory_bytes(samples);
  }

 protected:
  std::vector<std::string> study_layers(const std::string& study) const override {
    return model_->published_layers(study);
  }

 private:
  std::string name_;
  std::unique_ptr<Model> model_;
};

// The catalogued model `name` names, unless its spelling is also a path that exists here (a
// local folder "hf:facebook/wav2vec2-base-960h" wins) or it is a registered model itself.
// InputError for a catalogued model brainalign cannot run (its notes say why).
const PublishedModel* catalogued(const std::string& name) {
  const PublishedModel* model = find_published_model(name);
  if (model == nullptr || model->runs_as == name) return nullptr;
  const std::size_t colon = name.find(':');
  if (colon != std::string::npos && std::filesystem::exists(name.substr(colon + 1))) return nullptr;
  if (!model->runs())
    throw InputError("model '" + name + "' (" + model->description +
                     ", catalogued): " + model->notes);
  return model;
}

std::mutex& families_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::vector<ModelFamily>& families() {
  static std::vector<ModelFamily> list;
  return list;
}

std::string known_names() {
  std::string known;
  for (const auto& model : registered_models()) known += (known.empty() ? "" : ", ") + model.name;
  const auto list = registered_model_families();
  for (const auto& family : list) known += ", " + family.prefix + ":PATH";
  if (!list.empty()) known += ", auto:PATH";
  return known;
}

// The family that "<prefix>:PATH" or "auto:PATH" names, and PATH. Throws the error a user
// should see for a name that no family of this build can load.
std::pair<const ModelFamily*, std::filesystem::path> resolve_family(
    const std::string& name, const std::vector<ModelFamily>& list) {
  const std::size_t colon = name.find(':');
  const std::string prefix = name.substr(0, colon);
  const std::filesystem::path path = name.substr(colon + 1);
  if (path.empty()) throw InputError("model '" + name + "': no path after '" + prefix + ":'");
  if (list.empty()) {
    throw InputError("model '" + name +
                     "': this build of brainalign has no model families (it was built "
                     "without libtorch); known models: " +
                     known_names());
  }
  if (prefix == "auto") {
    if (!std::filesystem::exists(path)) {
      throw IoError("model '" + name + "': " + path.string() + " does not exist");
    }
    for (const auto& family : list) {
      if (family.recognises(path)) return {&family, path};
    }
    std::string prefixes;
    for (const auto& family : list) prefixes += (prefixes.empty() ? "" : ", ") + family.prefix;
    throw InputError("model '" + name + "': " + path.string() +
                     " is not a model of any known family (" + prefixes +
                     "); name the family as <family>:PATH");
  }
  for (const auto& family : list) {
    if (family.prefix == prefix) return {&family, path};
  }
  // load_plugin answers from what it found before.
  const std::string without_torch =
      load_plugin("neural") ? ""
                            : "; this build has no libtorch model families (hf:, beats:, ...): "
                              "it was built without libtorch, or its plugin "
                              "libbrainalign_neural.so is missing";
  throw InputError("unknown model family '" + prefix + "' in '" + name +
                   "' (known: " + known_names() + ")" + without_torch);
}

// The registered model `name` names (no family prefix).
const ModelInfo& registered_model(const std::string& name) {
  for (const auto& model : registered_models()) {
    if (model.name == name) return model;
  }
  throw InputError("unknown model '" + name + "' (known: " + known_names() + ")");
}

}  // namespace

const std::vector<ModelInfo>& registered_models() {
  static const std::vector<ModelInfo> models = {
      {"spectemp", "spectrotemporal modulation filters (Tuckute et al. 2023 baseline): avgpool",
       false},
      {"cochleagram", "ERB cochleagram of the spectemp model: cochleagram", false},
      {"mel", "torchaudio mel spectrogram, 16 kHz, 128 bands: melspec, melspec_db", false},
      {"mfcc", "torchaudio MFCC, 16 kHz, 40 coefficients: mfcc", false},
  };
  return models;
}

void register_model_family(ModelFamily family) {
  const std::lock_guard lock(families_mutex());
  for (auto& existing : families()) {
    if (existing.prefix == family.prefix) {
      existing = std::move(family);
      return;
    }
  }
  families().push_back(std::move(family));
}

std::vector<ModelFamily> registered_model_families() {
  load_plugin("neural");  // the libtorch families, where this build has them as a plugin
  const std::lock_guard lock(families_mutex());
  return families();
}

namespace {

// The families that "<prefix>:PATH" may need: those registered so far when one has the prefix,
// else every family, the neural plugin's included ("auto:" tries them all). A command that
// names no libtorch family thus never opens the plugin.
std::vector<ModelFamily> families_for(const std::string& name) {
  const std::string prefix = name.substr(0, name.find(':'));
  if (prefix != "auto") {
    const std::lock_guard lock(families_mutex());
    for (const auto& family : families()) {
      if (family.prefix == prefix) return families();
    }
  }
  return registered_model_families();
}

// "encodecmae:" and the other prefixes of the families that load a weights file.
std::string families_taking_weights(const std::vector<ModelFamily>& list) {
  std::string text;
  for (const auto& family : list) {
    if (!family.load_weights) continue;
    text += (text.empty() ? "" : ", ") + family.prefix + ":";
  }
  return text.empty() ? "no family" : text;
}

}  // namespace

std::unique_ptr<Model> make_model(const std::string& name,
                                  const std::optional<std::filesystem::path>& weights,
                                  const io::FetchOptions& fetch) {
  if (const auto series = split_series_model(name)) {
    // A checkpoint of a series: its weights in the architecture of the series' model.
    if (weights) {
      throw ArgumentError("weights", weights->string() + ": model '" + name +
                                         "' is a checkpoint of a series and takes no weights file");
    }
    const auto& [list, step] = *series;
    const std::vector<SeriesCheckpoint> checkpoints = list_checkpoints(*list, fetch);
    (void)find_checkpoint(*list, checkpoints, step);
    const std::filesystem::path checkpoint = fetch_series_checkpoints(*list, {step}, fetch).at(0);
    return std::make_unique<CataloguedModel>(name,
                                             make_model(list->architecture, checkpoint, fetch));
  }
  if (const PublishedModel* published = catalogued(name)) {
    if (weights && !published->architecture.empty()) {
      throw ArgumentError("weights", weights->string() + ": model '" + name +
                                         "' is weights in the architecture of " +
                                         published->architecture +
                                         " and takes no other weights file");
    }
    if (!published->files.empty()) fetch_published_model(name, fetch);
    if (!published->architecture.empty()) {
      // Weights only: its file in the architecture of another catalogued model.
      return std::make_unique<CataloguedModel>(
          name, make_model(published->architecture,
                           std::filesystem::path(runnable_name(*published)), fetch));
    }
    return std::make_unique<CataloguedModel>(name, make_model(runnable_name(*published), weights));
  }
  if (name.find(':') != std::string::npos) {
    const auto list = families_for(name);
    const auto [family, path] = resolve_family(name, list);
    if (!weights) return family->load(path);
    if (!family->load_weights) {
      throw ArgumentError("weights", weights->string() + ": model '" + name +
                                         "' names its files itself and takes no weights file "
                                         "(only " +
                                         families_taking_weights(list) + " do)");
    }
    if (!std::filesystem::is_regular_file(*weights)) {
      throw IoError("weights " + weights->string() + " is not a file");
    }
    return family->load_weights(path, *weights);
  }
  const ModelInfo& info = registered_model(name);
  if (weights && !info.takes_weights) {
    throw ArgumentError("weights",
                        weights->string() + ": model '" + name + "' has no weights to load");
  }
  if (name == "spectemp") return make_spectemp_model();
  if (name == "cochleagram") return make_cochleagram_model();
  if (name == "mel") return make_mel_model();
  return make_mfcc_model();
}

void check_model_name(const std::string& name) {
  if (const auto series = split_series_model(name)) {
    // Its checkpoints are listed at the first use; a listing made before must have the step.
    const auto& [list, step] = *series;
    if (const auto checkpoints = listed_checkpoints(*list)) {
      (void)find_checkpoint(*list, *checkpoints, step);
    }
    return check_model_name(list->architecture);
  }
  if (const PublishedModel* published = catalogued(name)) {
    // Its files come at the first use; its family must be in this build.
    if (!published->architecture.empty()) return check_model_name(published->architecture);
    const std::string runs_as = published->runs_as;
    if (runs_as.find(':') == std::string::npos) return check_model_name(runs_as);
    const auto list = families_for(runnable_name(*published));
    (void)resolve_family(runnable_name(*published), list);
    return;
  }
  if (name.find(':') == std::string::npos) {
    (void)registered_model(name);
    return;
  }
  const auto list = families_for(name);
  const auto [family, path] = resolve_family(name, list);
  if (!std::filesystem::exists(path)) {
    throw IoError("model '" + name + "': " + path.string() + " does not exist");
  }
}

std::string describe_models() {
  std::string text;
  for (const auto& model : registered_models()) {
    text += "  " + model.name + ": " + model.description + "\n";
  }
  for (const auto& family : registered_model_families()) {
    text += "  " + family.prefix + ":PATH: " + family.description + "\n";
  }
  if (!registered_model_families().empty()) {
    text += "  auto:PATH: the family whose files PATH holds\n";
  }
  text +=
      "  a catalogued checkpoint by name (beats:iter3, dasheng:base, ...; `brainalign models`),\n"
      "    downloaded on first use\n";
  return text;
}

}  // namespace brainalign::models