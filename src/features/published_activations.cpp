// Facts from the 2023 code (gretatuckute/auditory_brain_dnn): the folder layout and file names
// (aud_dnn/utils.py, PytorchWrapper and get_source_features; README.md, "Note on how DNN unit
// activations are organized"), the layers in order (aud_dnn/resources.py, d_layer_reindex) and
// where each is stored (resources.py, source_layer_map); the 2025 study's layers of the same
// models from mrpep/braindnn, src/specs.py (layer_map).
#include "brainalign/features/published_activations.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "brainalign/base/error.h"
#include "brainalign/data/brain_dataset.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/data/stimulus_name.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/features/extract.h"
#include "brainalign/io/hdf5.h"
#include "brainalign/io/pickled_array.h"
#include "brainalign/io/sha256.h"
#include "brainalign/models/model_catalog.h"
#include "brainalign/models/registry.h"

namespace brainalign::features {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDataset = "tuckute2023-activations";
constexpr const char* kPermutedSuffix = "_randnetw";

std::vector<std::string> numbered(const std::string& stem, int first, int last) {
  std::vector<std::string> out;
  for (int i = first; i <= last; ++i) out.push_back(stem + std::to_string(i));
  return out;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// "Embedding", "Encoder_1" ... "Encoder_n".
std::vector<std::string> embedding_encoders(int n) {
  return concat({"Embedding"}, numbered("Encoder_", 1, n));
}

ReleaseModel in_house(const std::string& folder) {
  ReleaseModel m;
  m.folder = folder;
  m.hdf5 = true;
  if (folder.starts_with("Kell2018")) {
    m.layers = {"relu0", "maxpool0", "relu1",   "maxpool1", "relu2",
                "relu3", "relu4",    "avgpool", "relufc"};
  } else {
    m.layers = {"conv1_relu1", "maxpool1", "layer1", "layer2", "layer3", "layer4", "avgpool"};
  }
  m.keys = m.layers;
  // utils.py, get_source_features: ResNet50music stores conv1_relu1 as 'relu1'.
  if (folder == "ResNet50music") m.keys[0] = "relu1";
  // The 2025 study scored the five single- and multitask networks of the first seed.
  static const std::set<std::string> kPepino = {
      "Kell2018word", "Kell2018speaker", "Kell2018audioset", "Kell2018multitask",
      "ResNet50word", "ResNet50speaker", "ResNet50audioset", "ResNet50multitask"};
  if (kPepino.count(folder) > 0) m.pepino2025_layers = m.layers;
  return m;
}

ReleaseModel external(const std::string& folder, std::vector<std::string> layers,
                      std::vector<std::string> keys, std::vector<std::string> pepino) {
  ReleaseModel m;
  m.folder = folder;
  m.layers = std::move(layers);
  m.keys = std::move(keys);
  m.pepino2025_layers = std::move(pepino);
  return m;
}

std::vector<ReleaseModel> make_release_models() {
  std::vector<ReleaseModel> out;
  for (const std::string arch : {"Kell2018", "ResNet50"}) {
    for (const std::string variant :
         {"music", "word", "wordClean", "wordCleanSeed2", "wordSeed2", "speaker", "speakerClean",
          "speakerCleanSeed2", "speakerSeed2", "audioset", "audiosetSeed2", "multitask",
          "multitaskSeed2"})
      out.push_back(in_house(arch + variant));
  }
  const std::string lstm1 = "LSTM(1312, 1024, bidirectional=True)--0--cell";
  const auto lstm = [](int i) {
    return "LSTM(1024, 1024, bidirectional=True)--" + std::to_string(i) + "--cell";
  };
  std::vector<std::string> ds2_layers = {"Tanh_1",      "Tanh_2",      "LSTM_1-cell", "LSTM_2-cell",
                                         "LSTM_3-cell", "LSTM_4-cell", "LSTM_5-cell", "Linear"};
  out.push_back(external(
      "DS2", ds2_layers,
      {"Hardtanh(min_val=0, max_val=20)--0", "Hardtanh(min_val=0, max_val=20)--1", lstm1, lstm(0),
       lstm(1), lstm(2), lstm(3), "Linear(in_features=1024, out_features=29, bias=False)--0"},
      {ds2_layers.begin(), ds2_layers.end() - 1}));  // 2025: no Linear

  std::vector<std::string> w2v = concat(embedding_encoders(12), {"Final"});
  out.push_back(external("wav2vec", w2v, w2v, embedding_encoders(12)));  // 2025: no Final

  const std::string relu = "ReLU()--", pool =
                                           "MaxPool2d(kernel_size=2, stride=2, padding=0, "
                                           "dilation=1, ceil_mode=False)--";
  out.push_back(external(
      "VGGish",
      {"ReLU_1", "MaxPool2d_1", "ReLU_2", "MaxPool2d_2", "ReLU_3", "ReLU_4", "MaxPool2d_3",
       "ReLU_5", "ReLU_6", "MaxPool2d_4", "ReLU_7", "ReLU_8", "ReLU_9"},
      {relu + "0", pool + "0", relu + "1", pool + "1", relu + "2", relu + "3", pool + "2",
       relu + "4", relu + "5", pool + "3", relu + "6", relu + "7", relu + "8"},
      concat(numbered("ReLU_", 1, 9), numbered("MaxPool2d_", 1, 4))));  // 2025: ReLUs first

  std::vector<std::string> dcase = {"GRU_1", "GRU_2", "GRU_3", "GRU_4", "Linear"};
  out.push_back(external("DCASE2020", dcase,
                         {"GRU(64, 256, batch_first=True, bidirectional=True)--0--hidden",
                          "GRU(512, 256, batch_first=True, bidirectional=True)--0--hidden",
                          "GRU(512, 256, batch_first=True, bidirectional=True)--1--hidden",
                          "GRU(512, 256, batch_first=True)--0--hidden",
                          "Linear(in_features=256, out_features=4367, bias=True)--0"},
                         dcase));

  std::vector<std::string> ast_keys = {"Conv2d(1, 768, kernel_size=(16, 16), stride=(10, 10))--0"};
  for (int i = 0; i < 12; ++i)
    ast_keys.push_back("Linear(in_features=3072, out_features=768, bias=True)--" +
                       std::to_string(i));
  ast_keys.push_back("Final");
  std::vector<std::string> ast = concat(embedding_encoders(12), {"Final"});
  out.push_back(external("AST", ast, ast_keys, ast));

  std::vector<std::string> zs = numbered("ReLU_", 1, 5), zs_keys;
  for (int i = 0; i < 5; ++i) zs_keys.push_back("ReLU(inplace=True)--" + std::to_string(i));
  out.push_back(external("ZeroSpeech2020", zs, zs_keys, zs));

  std::vector<std::string> sep_keys = {
      "Conv1d(1, 256, kernel_size=(16,), stride=(8,), bias=False)--0"};
  for (int i = 0; i < 32; ++i)
    sep_keys.push_back("Linear(in_features=1024, out_features=256, bias=True)--" +
                       std::to_string(i));
  out.push_back(external("sepformer", embedding_encoders(32), sep_keys, embedding_encoders(32)));

  const std::string gan = "LSTM(257, 200, num_layers=2, batch_first=True, bidirectional=True)--";
  std::vector<std::string> metricgan = {"LSTM_1-cell", "LSTM_2-cell", "Linear_1", "Linear_2"};
  out.push_back(external("metricGAN", metricgan,
                         {gan + "l1--cell", gan + "l2--cell",
                          "Linear(in_features=400, out_features=300, bias=True)--0",
                          "Linear(in_features=300, out_features=257, bias=True)--0"},
                         metricgan));

  out.push_back(
      external("S2T", embedding_encoders(12), embedding_encoders(12), embedding_encoders(12)));

  ReleaseModel spectemp = in_house("spectemp");
  spectemp.layers = spectemp.keys = spectemp.pepino2025_layers = {"avgpool"};
  spectemp.has_permuted = false;
  out.push_back(std::move(spectemp));
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string suffix(bool permuted) { return permuted ? kPermutedSuffix : ""; }

// One row per sound from the HDF5 file: each layer's dataset is (165 sounds, features), rows in
// the NH2015 release's order (the in-house extraction iterates over neural_stim_meta.npy).
FeatureSet read_hdf5(const fs::path& folder, const ReleaseModel& model, bool permuted) {
  const fs::path file = folder / ("natsound_activations" + suffix(permuted) + ".h5");
  if (!fs::is_regular_file(file)) {
    throw InputError(folder.string() + ": no " + file.filename().string() + " (the " +
                     std::string(permuted ? "permuted" : "trained") + " activations of '" +
                     model.folder + "' are one HDF5 file)");
  }
  FeatureSet set;
  set.source = file.string();
  set.stimuli = data::natsound165_stimuli();
  const auto names = io::hdf5_dataset_names(file);
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const std::string& key = model.keys[l];
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      throw InputError(file.string() + ": no dataset '" + key + "' for layer '" + model.layers[l] +
                       "' (datasets: " + join(names) + ")");
    }
    const io::Hdf5Array array = io::read_hdf5_numeric(file, key);
    if (array.shape.size() != 2 || array.shape[0] != set.stimuli.size()) {
      std::string shape;
      for (const auto extent : array.shape)
        shape += (shape.empty() ? "" : ", ") + std::to_string(extent);
      throw InputError(file.string() + ": dataset '" + key + "' has shape (" + shape +
                       "), expected (" + std::to_string(set.stimuli.size()) +
                       " sounds, features): one time-averaged row per sound");
    }
    const auto rows = static_cast<Eigen::Index>(array.shape[0]);
    const auto cols = static_cast<Eigen::Index>(array.shape[1]);
    set.layers.push_back(
        {model.layers[l],
         Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
             array.values.data(), rows, cols)});
  }
  return set;
}

// One pickle per sound, <sound>_activations[_randnetw].pkl, each a dict from the layer's key to
// its time-averaged vector.
FeatureSet read_pickles(const fs::path& folder, const ReleaseModel& model, bool permuted) {
  const std::string ending = "_activations" + suffix(permuted) + ".pkl";
  FeatureSet set;
  set.source = folder.string();
  set.stimuli = data::natsound165_stimuli();
  const std::set<std::string> known(set.stimuli.begin(), set.stimuli.end());
  if (!fs::is_directory(folder)) throw InputError(folder.string() + ": not a folder");
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(ending) || name.starts_with(".")) continue;
    const std::string stimulus = name.substr(0, name.size() - ending.size());
    if (known.count(stimulus) == 0) {
      throw InputError(entry.path().string() + ": '" + stimulus +
                       "' is not one of the 165 natural sounds");
    }
  }
  std::vector<std::vector<double>> rows(model.layers.size());
  std::vector<std::size_t> widths(model.layers.size(), 0);
  for (std::size_t s = 0; s < set.stimuli.size(); ++s) {
    const fs::path file = folder / (set.stimuli[s] + ending);
    if (!fs::is_regular_file(file)) {
      throw InputError(folder.string() + ": no activations for the sound '" + set.stimuli[s] +
                       "' (expected " + file.filename().string() + ")");
    }
    const io::NamedArrays arrays = io::read_pickled_array_dict(file);
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
      const auto found = std::find_if(arrays.begin(), arrays.end(),
                                      [&](const auto& a) { return a.first == model.keys[l]; });
      if (found == arrays.end()) {
        std::vector<std::string> keys;
        for (const auto& a : arrays) keys.push_back(a.first);
        throw InputError(file.string() + ": no key '" + model.keys[l] + "' for layer '" +
                         model.layers[l] + "' (keys: " + join(keys) + ")");
      }
      const io::NumericArray& array = found->second;
      if (array.shape.size() != 1) {
        throw InputError(file.string() + ": key '" + model.keys[l] + "' holds a " +
                         std::to_string(array.shape.size()) +
                         "-D array, expected one time-averaged vector");
      }
      if (s == 0) {
        widths[l] = array.values.size();
        rows[l].reserve(widths[l] * set.stimuli.size());
      } else if (array.values.size() != widths[l]) {
        throw InputError(file.string() + ": layer '" + model.layers[l] + "' has " +
                         std::to_string(array.values.size()) + " features, but " +
                         std::to_string(widths[l]) + " for '" + set.stimuli.front() + "'");
      }
      rows[l].insert(rows[l].end(), array.values.begin(), array.values.end());
    }
  }
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    set.layers.push_back(
        {model.layers[l],
         Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
             rows[l].data(), static_cast<Eigen::Index>(set.stimuli.size()),
             static_cast<Eigen::Index>(widths[l]))});
  }
  return set;
}

// Identifies a clip by its samples (and rate): forward() sees audio, not a file name.
std::string fingerprint(const dsp::Audio& audio) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(audio.samples.data());
  return io::sha256_hex(
             std::span<const std::uint8_t>(bytes, audio.samples.size() * sizeof(double))) +
         "@" + std::to_string(audio.sample_rate);
}

class PublishedActivationsModel final : public models::Model {
 public:
  PublishedActivationsModel(std::string name, FeatureSet set, const ReleaseModel& release,
                            bool permuted, fs::path sounds)
      : name_(std::move(name)),
        set_(std::move(set)),
        release_(release),
        permuted_(permuted),
        sounds_(std::move(sounds)),
        weights_id_(std::string(kDataset) + "/" + release.folder + suffix(permuted) + "/" +
                    content_digest(set_)) {}

  std::string name() const override { return name_; }
  double sample_rate() const override { return release_.hdf5 ? 20000.0 : 16000.0; }
  std::vector<std::string> layer_names() const override { return release_.layers; }
  std::string weights_id() const override { return weights_id_; }
  // The sound is matched as it was read: nothing to resample.
  dsp::Audio prepare(dsp::Audio audio) const override { return audio; }

  std::vector<models::LayerActivations> forward(const dsp::Audio& audio) const override {
    const auto& index = sound_index();
    const auto found = index.find(fingerprint(audio));
    if (found == index.end()) {
      throw InputError("the published activations of '" + release_.folder + suffix(permuted_) +
                       "' (Tuckute et al. 2023) exist only for the 165 natural sounds, as the "
                       "files of natsound165 hold them; this audio is none of them");
    }
    std::vector<models::LayerActivations> out;
    for (const auto& layer : set_.layers) {
      out.push_back({layer.name, layer.values.row(found->second), {layer.values.cols()}});
    }
    return out;
  }

 protected:
  std::vector<std::string> study_layers(const std::string& study) const override {
    if (study == "tuckute2023") return release_.layers;
    return release_.pepino2025_layers;
  }

 private:
  // The 165 sound files' fingerprints -> their rows, read once.
  const std::unordered_map<std::string, Eigen::Index>& sound_index() const {
    std::call_once(index_once_, [this] {
      const fs::path folder =
          sounds_.empty() ? data::fetch_dataset("natsound165") / "natsound165" / "wav" : sounds_;
      std::map<std::string, Eigen::Index> rows;
      for (std::size_t i = 0; i < set_.stimuli.size(); ++i)
        rows[set_.stimuli[i]] = static_cast<Eigen::Index>(i);
      for (const auto& file : list_audio_files(folder)) {
        const auto row = rows.find(data::stimulus_name(file.string()));
        if (row != rows.end()) index_[fingerprint(dsp::read_audio(file))] = row->second;
      }
    });
    return index_;
  }

  std::string name_;
  FeatureSet set_;
  const ReleaseModel& release_;
  bool permuted_;
  fs::path sounds_;
  std::string weights_id_;
  mutable std::once_flag index_once_;
  mutable std::unordered_map<std::string, Eigen::Index> index_;
};

// "FOLDER", "FOLDER_randnetw", or a path to a release model's folder (with "_randnetw" appended
// for its permuted control): the folder, whether permuted, and the release model.
struct Resolved {
  fs::path folder;
  bool permuted = false;
  std::string release;
};

Resolved resolve(const fs::path& path) {
  std::string text = path.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  Resolved r;
  r.permuted = text.ends_with(kPermutedSuffix) && !fs::is_directory(text);
  if (r.permuted) text.resize(text.size() - std::string(kPermutedSuffix).size());
  if (fs::is_directory(text)) {
    r.folder = text;
    r.release = fs::path(text).filename().string();
    return r;
  }
  r.release = text;
  (void)find_release_model(text);  // names the release models when it is none
  r.folder = published_activations_root() / text;
  if (!fs::is_directory(r.folder)) {
    throw InputError("the published activations of '" + text + "' are not here (" +
                     r.folder.string() + "): `brainalign fetch " + kDataset +
                     "` downloads them (about 2.7 GB)");
  }
  return r;
}

}  // namespace

const std::vector<ReleaseModel>& release_models() {
  static const std::vector<ReleaseModel> models = make_release_models();
  return models;
}

const ReleaseModel& find_release_model(const std::string& folder) {
  for (const auto& model : release_models())
    if (model.folder == folder) return model;
  std::vector<std::string> names;
  for (const auto& model : release_models()) names.push_back(model.folder);
  throw InputError("'" + folder + "' is not a model of the 2023 release's activations (" +
                   join(names) + ")");
}

fs::path published_activations_root() { return data::data_root() / "model_actv"; }

FeatureSet read_published_activations(const fs::path& folder, bool permuted,
                                      const std::string& model) {
  const ReleaseModel& release =
      find_release_model(model.empty() ? folder.filename().string() : model);
  if (permuted && !release.has_permuted) {
    throw InputError(folder.string() + ": '" + release.folder +
                     "' has no permuted control in the 2023 release");
  }
  return release.hdf5 ? read_hdf5(folder, release, permuted)
                      : read_pickles(folder, release, permuted);
}

std::unique_ptr<models::Model> make_published_activations_model(const std::string& name,
                                                                const fs::path& folder,
                                                                bool permuted,
                                                                const std::string& release_folder,
                                                                const fs::path& sounds) {
  const ReleaseModel& release = find_release_model(release_folder);
  return std::make_unique<PublishedActivationsModel>(
      name, read_published_activations(folder, permuted, release_folder), release, permuted,
      sounds);
}

void register_published_activations() {
  models::ModelFamily family;
  family.prefix = kDataset;
  family.description =
      "the 2023 release's published activations of a model (FOLDER of model_actv/, "
      "FOLDER_randnetw for its permuted control, or a path): the 165 natural sounds only";
  family.recognises = [](const fs::path& path) {
    std::error_code error;
    return fs::exists(path / "natsound_activations.h5", error) ||
           fs::exists(path / "stim5_alarm_clock_activations.pkl", error);
  };
  family.load = [](const fs::path& path) {
    const Resolved r = resolve(path);
    return make_published_activations_model(std::string(kDataset) + ":" + path.string(), r.folder,
                                            r.permuted, r.release);
  };
  models::register_model_family(std::move(family));
  models::set_activations_source(
      {[](const std::string& folder) { return published_activations_root() / folder; },
       [](const io::FetchOptions& options) { data::fetch_dataset(kDataset, options); }});
}

}  // namespace brainalign::features
