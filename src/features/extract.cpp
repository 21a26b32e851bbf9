#include "brainalign/features/extract.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "brainalign/base/error.h"
#include "brainalign/base/threads.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/features/feature_cache.h"
#include "brainalign/io/npz.h"
#include "brainalign/io/sha256.h"
#include "memory_budget.h"

namespace brainalign::features {
namespace fs = std::filesystem;
namespace {

// Names compared with runs of digits as numbers: stim5 < stim11.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i_end = i, j_end = j;
      while (i_end < a.size() && std::isdigit(static_cast<unsigned char>(a[i_end]))) ++i_end;
      while (j_end < b.size() && std::isdigit(static_cast<unsigned char>(b[j_end]))) ++j_end;
      const auto x = a.substr(i, i_end - i), y = b.substr(j, j_end - j);
      const auto x_trim = x.substr(std::min(x.find_first_not_of('0'), x.size()));
      const auto y_trim = y.substr(std::min(y.find_first_not_of('0'), y.size()));
      if (x_trim.size() != y_trim.size()) return x_trim.size() < y_trim.size();
      if (x_trim != y_trim) return x_trim < y_trim;
      i = i_end;
      j = j_end;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j || (a.size() - i == b.size() - j && a < b);
}

bool is_audio_file(const fs::path& path) {
  static const std::set<std::string> kExtensions = {".wav",  ".flac", ".ogg", ".aif",
                                                    ".aiff", ".au",   ".oga"};
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return kExtensions.count(extension) > 0;
}

// One stimulus through the model: every layer pooled, in the model's layer order. The forward
// pass and the pooling hold a lease on the memory budget.
PooledLayers run_model(const models::Model& model, const fs::path& file, Pooling pooling,
                       MemoryBudget& budget) {
  const dsp::Audio audio = model.prepare(dsp::read_audio(file));
  const MemoryBudget::Lease lease(budget, model.forward_memory_bytes(audio.samples.size()));
  std::vector<models::LayerActivations> activations;
  try {
    activations = model.forward(audio);
  } catch (const InputError& e) {
    throw InputError(file.string() + ": model '" + model.name() + "': " + e.what());
  }
  const auto names = model.layer_names();
  if (activations.size() != names.size()) {
    throw std::logic_error("model '" + model.name() + "' returned " +
                           std::to_string(activations.size()) + " layers, expected " +
                           std::to_string(names.size()));
  }
  PooledLayers pooled;
  for (std::size_t l = 0; l < names.size(); ++l) {
    if (activations[l].layer != names[l]) {
      throw std::logic_error("model '" + model.name() + "' returned layer '" +
                             activations[l].layer + "' where '" + names[l] + "' belongs");
    }
    pooled.emplace_back(names[l], pool(activations[l], pooling));
  }
  return pooled;
}

}  // namespace

std::vector<fs::path> list_audio_files(const fs::path& folder) {
  if (!fs::is_directory(folder)) {
    throw InputError(folder.string() + ": not a folder of sound files");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file() && is_audio_file(entry.path())) files.push_back(entry.path());
  }
  if (files.empty()) {
    throw InputError(folder.string() + ": no sound files (.wav, .flac, .ogg, .aiff, .au)");
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return natural_less(a.filename().string(), b.filename().string());
  });
  std::map<std::string, fs::path> seen;
  for (const auto& file : files) {
    const auto [it, inserted] = seen.emplace(data::stimulus_name(file.string()), file);
    if (!inserted) {
      throw InputError(folder.string() + ": " + it->second.filename().string() + " and " +
                       file.filename().string() + " have the same stimulus name '" + it->first +
                       "'");
    }
  }
  return files;
}

std::vector<fs::path> resolve_stimuli(const std::string& folder_or_dataset,
                                      const data::FetchOptions& fetch) {
  if (fs::exists(folder_or_dataset)) return list_audio_files(folder_or_dataset);
  if (folder_or_dataset == "natsound165") {
    return list_audio_files(data::fetch_dataset(folder_or_dataset, fetch) / "natsound165" / "wav");
  }
  throw InputError("stimuli '" + folder_or_dataset +
                   "': no such folder, and not a data set with sounds (natsound165)");
}

ExtractedFeatures extract_features(const models::Model& model, const std::vector<fs::path>& files,
                                   const ExtractOptions& options) {
  ExtractedFeatures out;
  out.model = model.name();
  out.pooling = options.pooling;
  out.layers = model.layer_names();
  for (const auto& file : files) out.stimuli.push_back(data::stimulus_name(file.string()));
  const FeatureCache cache(options.cache_dir.empty() ? default_feature_cache_dir()
                                                     : options.cache_dir);
  MemoryBudget budget(options.memory_budget > 0 ? options.memory_budget : default_memory_budget());

  const std::size_t count = files.size();
  std::vector<PooledLayers> results(count);
  std::vector<std::exception_ptr> errors(count);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::atomic<int> computed{0}, cached{0};
  std::mutex progress_mutex;
  int done = 0;
  const std::string stage = "extract " + model.name();
  if (options.progress) options.progress(stage, 0, static_cast<int>(count));

  const auto work = [&] {
    for (std::size_t i = next++; i < count && !failed; i = next++) {
      try {
        std::string key;
        if (options.use_cache) {
          key = FeatureCache::key(model.name(), model.weights_id(), options.pooling,
                                  io::sha256_file(files[i]));
          if (auto hit = cache.load(model.name(), key, out.layers)) {
            results[i] = std::move(*hit);
            ++cached;
          }
        }
        if (results[i].empty()) {
          results[i] = run_model(model, files[i], options.pooling, budget);
          if (options.use_cache) cache.store(model.name(), key, results[i]);
          ++computed;
        }
      } catch (const IoError& e) {
        errors[i] = std::make_exception_ptr(IoError(files[i].string() + ": " + e.what()));
        failed = true;
      } catch (...) {
        errors[i] = std::current_exception();
        failed = true;
      }
      if (options.progress) {
        std::lock_guard lock(progress_mutex);
        options.progress(stage, ++done, static_cast<int>(count));
      }
    }
  };
  const int threads = std::min(resolve_threads(options.threads), static_cast<int>(count));
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (auto& worker : workers) worker.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }

  out.computed = computed;
  out.from_cache = cached;
  out.values.assign(out.layers.size(), std::vector<Matrix>(count));
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t l = 0; l < out.layers.size(); ++l) {
      out.values[l][i] = std::move(results[i][l].second);
    }
  }
  return out;
}

ExtractedFeatures select_layers(ExtractedFeatures features,
                                const std::vector<std::string>& layers) {
  std::vector<std::vector<Matrix>> values;
  values.reserve(layers.size());
  for (const auto& layer : layers) {
    const auto found = std::find(features.layers.begin(), features.layers.end(), layer);
    if (found == features.layers.end()) {
      throw InputError("model '" + features.model + "' has no layer '" + layer + "'");
    }
    values.push_back(std::move(
        features.values[static_cast<std::size_t>(std::distance(features.layers.begin(), found))]));
  }
  features.layers = layers;
  features.values = std::move(values);
  return features;
}

FeatureSet to_feature_set(const ExtractedFeatures& features) {
  if (features.pooling != Pooling::kMean) {
    throw ArgumentError("pool",
                        "a feature set holds one vector per stimulus: extract with pool 'mean'");
  }
  FeatureSet set;
  set.source = "model '" + features.model + "'";
  set.stimuli = features.stimuli;
  for (std::size_t l = 0; l < features.layers.size(); ++l) {
    const auto& rows = features.values[l];
    const Eigen::Index width = rows.empty() ? 0 : rows.front().cols();
    Matrix values(static_cast<Eigen::Index>(rows.size()), width);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      values.row(static_cast<Eigen::Index>(i)) = rows[i].row(0);
    }
    set.layers.push_back({features.layers[l], std::move(values)});
  }
  return set;
}

void save_extracted_features(const fs::path& path, const ExtractedFeatures& features) {
  if (features.pooling == Pooling::kMean) {
    save_feature_set(path, to_feature_set(features));
    return;
  }
  std::vector<std::pair<std::string, io::NpyMember>> members;
  for (std::size_t l = 0; l < features.layers.size(); ++l) {
    const auto& clips = features.values[l];
    const auto frames = clips.front().rows(), width = clips.front().cols();
    std::vector<double> values;
    values.reserve(clips.size() * static_cast<std::size_t>(frames * width));
    for (std::size_t i = 0; i < clips.size(); ++i) {
      if (clips[i].rows() != frames) {
        throw ArgumentError(
            "pool", "'none' keeps time, so every clip needs the same number of frames: layer '" +
                        features.layers[l] + "' has " + std::to_string(frames) + " for '" +
                        features.stimuli.front() + "' but " + std::to_string(clips[i].rows()) +
                        " for '" + features.stimuli[i] +
                        "' (pool with 'mean', or give clips of equal length)");
      }
      values.insert(values.end(), clips[i].data(), clips[i].data() + clips[i].size());
    }
    members.emplace_back(features.layers[l],
                         io::NpyMember{std::move(values),
                                       {clips.size(), static_cast<std::size_t>(frames),
                                        static_cast<std::size_t>(width)}});
  }
  members.emplace_back(kStimuliMember, io::npy_vector(features.stimuli));
  io::write_npz(path, members);
}

}  // namespace brainalign::features