#include "brainalign/features/feature_set.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <map>
#include <unordered_map>

#include "brainalign/base/error.h"
#include "brainalign/io/hdf5.h"
#include "brainalign/io/npy.h"
#include "brainalign/io/npz.h"
#include "brainalign/io/sha256.h"

namespace brainalign::features {
namespace fs = std::filesystem;
namespace {

Matrix to_layer_matrix(const std::vector<std::size_t>& shape, const std::vector<double>& values,
                       const std::string& where) {
  if (shape.empty() || shape.size() > 2 || (shape.size() == 2 && shape[1] == 0) || shape[0] == 0)
    throw InputError(where + ": expected a 2-D array (stimuli x features)");
  const auto rows = static_cast<Eigen::Index>(shape[0]);
  const auto cols = shape.size() == 2 ? static_cast<Eigen::Index>(shape[1]) : 1;
  return Eigen::Map<const Matrix>(values.data(), rows, cols);
}

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path.string() + ": cannot be read");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

FeatureSet load_npz(const fs::path& path) {
  FeatureSet fs_;
  fs_.source = path.string();
  for (const auto& [name, array] : io::read_npz(path)) {
    if (name == kStimuliMember) {
      for (const auto& s : array.to_strings()) fs_.stimuli.push_back(data::stimulus_name(s));
      continue;
    }
    fs_.layers.push_back({name, to_layer_matrix(array.shape(), array.to_doubles(),
                                                path.string() + ", layer '" + name + "'")});
  }
  return fs_;
}

FeatureSet load_hdf5(const fs::path& path) {
  FeatureSet fs_;
  fs_.source = path.string();
  const auto names = io::hdf5_dataset_names(path);
  std::vector<std::string> order;
  if (std::find(names.begin(), names.end(), "layer_list") != names.end()) {
    order = io::read_hdf5_strings(path, "layer_list");
  } else {
    for (const auto& n : names)
      if (n != kStimuliMember && n != "stimuli") order.push_back(n);
  }
  for (const char* member : {kStimuliMember, "stimuli"})
    if (std::find(names.begin(), names.end(), member) != names.end()) {
      for (const auto& s : io::read_hdf5_strings(path, member))
        fs_.stimuli.push_back(data::stimulus_name(s));
      break;
    }
  for (const auto& layer : order) {
    const auto array = io::read_hdf5_numeric(path, layer);
    fs_.layers.push_back({layer, to_layer_matrix(array.shape, array.values,
                                                 path.string() + ", layer '" + layer + "'")});
  }
  return fs_;
}

FeatureSet load_folder(const fs::path& path) {
  FeatureSet fs_;
  fs_.source = path.string();
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(path))
    if (entry.path().extension() == ".npy") files.push_back(entry.path());
  const fs::path order_file = path / "layers.txt";
  std::vector<std::string> order;
  if (fs::exists(order_file)) {
    order = read_lines(order_file);
  } else {
    std::sort(files.begin(), files.end());
    for (const auto& f : files) order.push_back(f.stem().string());
  }
  if (fs::exists(path / "stimuli.txt"))
    for (const auto& s : read_lines(path / "stimuli.txt"))
      fs_.stimuli.push_back(data::stimulus_name(s));
  for (const auto& layer : order) {
    const fs::path file = path / (layer + ".npy");
    const auto array = io::read_npy(file);
    fs_.layers.push_back(
        {layer, to_layer_matrix(array.shape(), array.to_doubles(), file.string())});
  }
  return fs_;
}

}  // namespace

std::vector<std::string> FeatureSet::layer_names() const {
  std::vector<std::string> names;
  for (const auto& l : layers) names.push_back(l.name);
  return names;
}

FeatureSet load_feature_set(const fs::path& path) {
  if (!fs::exists(path)) throw InputError(path.string() + ": feature set not found");
  FeatureSet features;
  const std::string ext = path.extension().string();
  if (fs::is_directory(path)) {
    features = load_folder(path);
  } else if (ext == ".npz") {
    features = load_npz(path);
  } else if (ext == ".h5" || ext == ".hdf5") {
    features = load_hdf5(path);
  } else {
    throw InputError(
        path.string() +
        ": unknown feature-set format (expected .npz, .h5/.hdf5 or a folder of .npy files)");
  }
  if (features.layers.empty()) throw InputError(path.string() + ": the feature set has no layers");
  const Eigen::Index rows = features.layers.front().values.rows();
  for (const auto& layer : features.layers)
    if (layer.values.rows() != rows)
      throw InputError(path.string() + ", layer '" + layer.name +
                       "': " + std::to_string(layer.values.rows()) + " rows, but layer '" +
                       features.layers.front().name + "' has " + std::to_string(rows));
  if (!features.stimuli.empty() && static_cast<Eigen::Index>(features.stimuli.size()) != rows)
    throw InputError(path.string() + ": " + std::to_string(features.stimuli.size()) +
                     " stimulus names for " + std::to_string(rows) + " rows");
  std::map<std::string, int> seen;
  for (const auto& s : features.stimuli)
    if (++seen[s] > 1) throw InputError(path.string() + ": stimulus '" + s + "' appears twice");
  return features;
}

void save_feature_set(const fs::path& path, const FeatureSet& features) {
  std::vector<std::pair<std::string, io::NpyMember>> members;
  for (const auto& layer : features.layers) {
    members.emplace_back(
        layer.name, io::NpyMember{std::vector<double>(layer.values.data(),
                                                      layer.values.data() + layer.values.size()),
                                  {static_cast<std::size_t>(layer.values.rows()),
                                   static_cast<std::size_t>(layer.values.cols())}});
  }
  if (!features.stimuli.empty())
    members.emplace_back(kStimuliMember, io::npy_vector(features.stimuli));
  io::write_npz(path, members);
}

std::vector<Matrix> align_to_stimuli(const FeatureSet& features,
                                     const std::vector<std::string>& stimuli) {
  std::vector<int> row_of(stimuli.size());
  if (features.stimuli.empty()) {
    const auto rows = static_cast<std::size_t>(features.layers.front().values.rows());
    if (rows != stimuli.size())
      throw InputError(features.source + ": names no stimuli and has " + std::to_string(rows) +
                       " rows, but the dataset has " + std::to_string(stimuli.size()) +
                       " stimuli (add a '__stimuli__' member to join by name)");
    for (std::size_t i = 0; i < stimuli.size(); ++i) row_of[i] = static_cast<int>(i);
  } else {
    std::unordered_map<std::string, int> index;
    for (std::size_t i = 0; i < features.stimuli.size(); ++i)
      index[features.stimuli[i]] = static_cast<int>(i);
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < stimuli.size(); ++i) {
      const auto it = index.find(stimuli[i]);
      if (it == index.end()) {
        missing.push_back(stimuli[i]);
      } else {
        row_of[i] = it->second;
        index.erase(it);
      }
    }
    if (!missing.empty())
      throw InputError(
          features.source + ": stimulus '" + missing.front() + "' of the dataset is missing" +
          (missing.size() > 1 ? " (and " + std::to_string(missing.size() - 1) + " more)" : ""));
    if (!index.empty())
      throw InputError(
          features.source + ": stimulus '" + index.begin()->first + "' is not in the dataset" +
          (index.size() > 1 ? " (and " + std::to_string(index.size() - 1) + " more)" : ""));
  }
  std::vector<Matrix> out;
  for (const auto& layer : features.layers) {
    Matrix m(static_cast<Eigen::Index>(stimuli.size()), layer.values.cols());
    for (std::size_t i = 0; i < stimuli.size(); ++i) {
      m.row(static_cast<Eigen::Index>(i)) = layer.values.row(row_of[i]);
      if (!m.row(static_cast<Eigen::Index>(i)).allFinite())
        throw InputError(features.source + ", layer '" + layer.name + "', stimulus '" + stimuli[i] +
                         "': non-finite value");
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::string content_digest(const FeatureSet& features) {
  io::Sha256 h;
  h.update("stimuli " + std::to_string(features.stimuli.size()) + "\n");
  for (const auto& s : features.stimuli) h.update(s + "\n");
  for (const auto& layer : features.layers) {
    h.update("layer " + layer.name + " " + std::to_string(layer.values.rows()) + "x" +
             std::to_string(layer.values.cols()) + "\n");
    static_assert(std::endian::native == std::endian::little, "little-endian hosts only");
    h.update(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(layer.values.data()),
                                      static_cast<size_t>(layer.values.size()) * sizeof(double)));
  }
  return h.hex();
}

}  // namespace brainalign::features
