#include "brainalign/hear/hear_task.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "brainalign/base/error.h"
#include "brainalign/io/csv.h"

namespace brainalign::hear {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": missing or unreadable");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

const json& require(const json& object, const std::string& key, const fs::path& file) {
  if (!object.is_object() || !object.contains(key)) {
    throw InputError(file.string() + ": missing key '" + key + "'");
  }
  return object.at(key);
}

std::string require_string(const json& object, const std::string& key, const fs::path& file) {
  const json& value = require(object, key, file);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  throw InputError(file.string() + ": key '" + key + "' must be a string, not " +
                   value.type_name());
}

// Labels may be written as strings or numbers; both are kept as their text.
std::string label_text(const json& value, const fs::path& file, const std::string& clip) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  throw InputError(file.string() + ": clip '" + clip + "' has a label that is not a string (" +
                   value.dump() + ")");
}

// HEAR tasks have 5 or 10 folds; a k-fold task without a 'splits' list reads fold00.. itself.
constexpr std::int64_t kMaxFolds = 100;

// Split names and clip filenames become paths inside the task folder: they must stay there.
void check_relative_name(const std::string& name, const fs::path& file, const std::string& what) {
  const fs::path path(name);
  bool escapes = name.empty() || name.find('\0') != std::string::npos || path.is_absolute();
  for (const auto& part : path) escapes = escapes || part == "..";
  if (escapes) {
    throw InputError(file.string() + ": " + what + " '" + name +
                     "' must be a non-empty relative name inside the task folder");
  }
}

}  // namespace

const HearSplit& HearTask::split(const std::string& split_name) const {
  for (const auto& s : splits) {
    if (s.name == split_name) return s;
  }
  throw InputError(dir.string() + ": task " + name + " has no split '" + split_name + "'");
}

int HearTask::label_index(const std::string& label) const {
  const auto it = std::find(labels.begin(), labels.end(), label);
  if (it == labels.end()) {
    throw InputError((dir / "labelvocabulary.csv").string() + ": no label '" + label + "'");
  }
  return static_cast<int>(it - labels.begin());
}

HearTask read_hear_task(const fs::path& dir) {
  HearTask task;
  task.dir = dir;
  const fs::path meta_path = dir / "task_metadata.json";
  const json meta = read_json(meta_path);
  if (!meta.is_object()) throw InputError(meta_path.string() + ": expected a JSON object");
  task.name = require_string(meta, "task_name", meta_path);
  task.version = require_string(meta, "version", meta_path);
  task.embedding_type = require_string(meta, "embedding_type", meta_path);
  if (task.embedding_type != "scene" && task.embedding_type != "event") {
    throw InputError(meta_path.string() + ": key 'embedding_type' must be scene or event, not '" +
                     task.embedding_type + "'");
  }
  const std::string prediction = require_string(meta, "prediction_type", meta_path);
  if (prediction == "multiclass") {
    task.prediction_type = PredictionType::kMulticlass;
  } else if (prediction == "multilabel") {
    task.prediction_type = PredictionType::kMultilabel;
  } else {
    throw InputError(meta_path.string() +
                     ": key 'prediction_type' must be multiclass or multilabel, not '" +
                     prediction + "'");
  }
  task.split_mode_name = require_string(meta, "split_mode", meta_path);
  if (task.split_mode_name == "trainvaltest") {
    task.split_mode = SplitMode::kTrainValidTest;
  } else if (task.split_mode_name == "presplit_kfold" ||
             task.split_mode_name == "new_split_kfold") {
    task.split_mode = SplitMode::kKFold;
    const json& nfolds = require(meta, "nfolds", meta_path);
    if (!nfolds.is_number_integer() || nfolds.get<std::int64_t>() < 3 ||
        (nfolds.is_number_unsigned() && nfolds.get<std::uint64_t>() > kMaxFolds) ||
        nfolds.get<std::int64_t>() > kMaxFolds) {
      throw InputError(meta_path.string() + ": key 'nfolds' must be an integer from 3 to " +
                       std::to_string(kMaxFolds) + ", not " + nfolds.dump());
    }
    task.nfolds = static_cast<int>(nfolds.get<std::int64_t>());
  } else {
    throw InputError(meta_path.string() +
                     ": key 'split_mode' must be trainvaltest, presplit_kfold or "
                     "new_split_kfold, not '" +
                     task.split_mode_name + "'");
  }
  const json& duration = require(meta, "sample_duration", meta_path);
  if (duration.is_number()) task.sample_duration = duration.get<double>();
  const json& evaluation = require(meta, "evaluation", meta_path);
  if (!evaluation.is_array() || evaluation.empty()) {
    throw InputError(meta_path.string() + ": key 'evaluation' must be a non-empty list of names");
  }
  for (const auto& metric : evaluation) {
    if (!metric.is_string()) {
      throw InputError(meta_path.string() + ": key 'evaluation' holds a non-string " +
                       metric.dump());
    }
    task.evaluation.push_back(metric.get<std::string>());
  }

  if (task.embedding_type == "event") {
    throw InputError(meta_path.string() + ": task " + task.name +
                     " is an event (timestamp) task; only scene (clip-level) tasks can be "
                     "evaluated");
  }

  // Split names: the metadata's list when given (strings, or objects with a name), else the
  // names the split mode implies.
  std::vector<std::string> split_names;
  if (meta.contains("splits")) {
    const json& splits = meta.at("splits");
    if (!splits.is_array()) throw InputError(meta_path.string() + ": key 'splits' must be a list");
    for (const auto& s : splits) {
      if (s.is_string()) {
        split_names.push_back(s.get<std::string>());
      } else if (s.is_object() && s.contains("name") && s.at("name").is_string()) {
        split_names.push_back(s.at("name").get<std::string>());
      } else {
        throw InputError(meta_path.string() + ": key 'splits' holds " + s.dump() +
                         " (expected a split name)");
      }
    }
  } else if (task.split_mode == SplitMode::kKFold) {
    for (int f = 0; f < task.nfolds; ++f) {
      split_names.push_back(std::string("fold") + (f < 10 ? "0" : "") + std::to_string(f));
    }
  } else {
    split_names = {"train", "valid", "test"};
  }
  if (task.split_mode == SplitMode::kKFold && static_cast<int>(split_names.size()) != task.nfolds) {
    throw InputError(meta_path.string() + ": key 'splits' names " +
                     std::to_string(split_names.size()) + " splits but 'nfolds' is " +
                     std::to_string(task.nfolds));
  }
  if (task.split_mode == SplitMode::kTrainValidTest) {
    for (const char* required : {"train", "valid", "test"}) {
      if (std::find(split_names.begin(), split_names.end(), required) == split_names.end()) {
        throw InputError(meta_path.string() + ": key 'splits' lacks '" + required + "'");
      }
    }
  }

  const fs::path vocabulary_path = dir / "labelvocabulary.csv";
  const io::CsvTable vocabulary = io::read_csv(vocabulary_path);
  const std::size_t idx_column = vocabulary.column("idx");
  const std::size_t label_column = vocabulary.column("label");
  std::map<long, std::string> by_index;
  for (const auto& row : vocabulary.rows) {
    const long idx =
        std::lround(io::parse_double(row[idx_column], vocabulary_path.string() + ": column idx"));
    if (!by_index.emplace(idx, row[label_column]).second) {
      throw InputError(vocabulary_path.string() + ": idx " + std::to_string(idx) + " repeated");
    }
  }
  long expected = 0;
  for (const auto& [idx, label] : by_index) {
    if (idx != expected++) {
      throw InputError(vocabulary_path.string() + ": idx must run 0.." +
                       std::to_string(by_index.size() - 1));
    }
    task.labels.push_back(label);
  }
  if (task.labels.empty()) throw InputError(vocabulary_path.string() + ": no labels");

  for (const auto& split_name : split_names) {
    check_relative_name(split_name, meta_path, "split");
    const fs::path split_path = dir / (split_name + ".json");
    const json content = read_json(split_path);
    if (!content.is_object()) {
      throw InputError(split_path.string() + ": expected an object {filename: [labels]}");
    }
    HearSplit split{split_name, {}};
    for (const auto& [filename, labels] : content.items()) {
      if (!labels.is_array()) {
        throw InputError(split_path.string() + ": clip '" + filename +
                         "' must map to a list of labels");
      }
      check_relative_name(filename, split_path, "clip");
      HearClip clip{filename, {}};
      for (const auto& label : labels) {
        clip.labels.push_back(label_text(label, split_path, filename));
        task.label_index(clip.labels.back());  // throws for a label not in the vocabulary
      }
      if (task.prediction_type == PredictionType::kMulticlass && clip.labels.size() != 1) {
        throw InputError(split_path.string() + ": clip '" + filename + "' has " +
                         std::to_string(clip.labels.size()) +
                         " labels in a multiclass task (expected 1)");
      }
      split.clips.push_back(std::move(clip));
    }
    if (split.clips.empty()) throw InputError(split_path.string() + ": no clips");
    task.splits.push_back(std::move(split));
  }

  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string folder = entry.path().filename().string();
    if (entry.is_directory() && !folder.empty() &&
        std::all_of(folder.begin(), folder.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      int rate = 0;
      const char* const last = folder.data() + folder.size();
      const auto [end, status] = std::from_chars(folder.data(), last, rate);
      if (status != std::errc() || end != last || rate <= 0) {
        throw InputError(entry.path().string() +
                         ": audio folder names a sample rate out of "
                         "range (expected 1 to " +
                         std::to_string(INT32_MAX) + " Hz)");
      }
      task.sample_rates.push_back(rate);
    }
  }
  std::sort(task.sample_rates.begin(), task.sample_rates.end());
  if (task.sample_rates.empty()) {
    throw InputError(dir.string() + ": no audio folder (<sample rate>/<split>/, e.g. 16000/)");
  }
  return task;
}

int task_sample_rate(const HearTask& task, double model_rate) {
  const auto& rates = task.sample_rates;  // ascending
  for (double preferred : {model_rate, 44100.0})
    for (int rate : rates)
      if (rate == preferred) return rate;
  for (int rate : rates)
    if (rate >= model_rate) return rate;
  return rates.back();
}

fs::path clip_path(const HearTask& task, int sample_rate, const std::string& split,
                   const std::string& filename) {
  fs::path path = task.dir / std::to_string(sample_rate) / split / filename;
  if (!fs::exists(path) && path.extension().empty()) path += ".wav";
  if (!fs::exists(path)) {
    throw InputError(path.string() + ": audio file of task " + task.name + " missing");
  }
  return path;
}

Matrix split_targets(const HearTask& task, const HearSplit& split) {
  Matrix targets = Matrix::Zero(static_cast<Eigen::Index>(split.clips.size()),
                                static_cast<Eigen::Index>(task.labels.size()));
  for (std::size_t i = 0; i < split.clips.size(); ++i) {
    for (const auto& label : split.clips[i].labels) {
      targets(static_cast<Eigen::Index>(i), task.label_index(label)) = 1.0;
    }
  }
  return targets;
}

std::vector<FoldSplits> protocol_folds(const HearTask& task) {
  std::vector<FoldSplits> folds;
  if (task.split_mode == SplitMode::kTrainValidTest) {
    folds.push_back({{"train"}, "valid", "test"});
    return folds;
  }
  const std::size_t k = task.splits.size();
  for (std::size_t i = 0; i < k; ++i) {
    FoldSplits fold;
    fold.test = task.splits[i].name;
    fold.valid = task.splits[(i + 1) % k].name;
    for (std::size_t j = 0; j < k; ++j) {
      if (j != i && j != (i + 1) % k) fold.train.push_back(task.splits[j].name);
    }
    folds.push_back(std::move(fold));
  }
  return folds;
}

}  // namespace brainalign::hear
