// A HEAR task as hear-preprocess writes it: task_metadata.json, labelvocabulary.csv, one
// <split>.json of labels per split and the audio at one or more sample rates
// (<task>/<rate>/<split>/<filename>). Only scene (clip-level) tasks can be evaluated.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::hear {

enum class PredictionType { kMulticlass, kMultilabel };
enum class SplitMode { kTrainValidTest, kKFold };

struct HearClip {
  std::string filename;             // as the split file names it (with extension)
  std::vector<std::string> labels;  // one for multiclass tasks, any number for multilabel
};

struct HearSplit {
  std::string name;  // fold00.. or train / valid / test
  std::vector<HearClip> clips;
};

struct HearTask {
  std::filesystem::path dir;
  std::string name;            // task_name
  std::string version;         // version
  std::string embedding_type;  // "scene" (event tasks are rejected when read)
  PredictionType prediction_type = PredictionType::kMulticlass;
  SplitMode split_mode = SplitMode::kTrainValidTest;
  std::string split_mode_name;          // as written: trainvaltest, presplit_kfold, new_split_kfold
  int nfolds = 0;                       // k-fold tasks
  double sample_duration = 0;           // seconds
  std::vector<std::string> evaluation;  // metric names; the first drives early stopping
  std::vector<std::string> labels;      // labelvocabulary.csv in idx order
  std::vector<HearSplit> splits;        // in metadata order (fold00.. or train, valid, test)
  std::vector<int> sample_rates;        // the rate folders present, ascending

  // The metric reported and used for early stopping: evaluation[0].
  const std::string& primary_metric() const { return evaluation.front(); }
  const HearSplit& split(const std::string& split_name) const;
  // The index of a label in labels; InputError naming the task and split for an unknown one.
  int label_index(const std::string& label) const;
};

// Reads a task folder. Every problem is an InputError naming the file and the key: a missing
// or mistyped key of task_metadata.json, an unknown prediction type or split mode, a label
// missing from the vocabulary, a split file that is missing or malformed, no audio folder.
// Event (timestamp) tasks are read, then rejected with a message saying so.
HearTask read_hear_task(const std::filesystem::path& dir);

// The rate folder whose audio is read (then resampled to the model's rate), as the 2025 code
// chooses it: the folder at the model's own rate, else the 44.1 kHz copy. A task with neither
// (which the published code cannot read) gives the lowest rate at or above the model's, else
// the highest: no folder below the model's rate when a higher one exists.
int task_sample_rate(const HearTask& task, double model_rate);

// <dir>/<rate>/<split>/<filename>; InputError naming the path when the file is missing.
std::filesystem::path clip_path(const HearTask& task, int sample_rate, const std::string& split,
                                const std::string& filename);

// Clips x classes targets of a split: one-hot (multiclass) or multi-hot (multilabel).
Matrix split_targets(const HearTask& task, const HearSplit& split);

// The splits a fold of the protocol uses: test = fold i, validation = fold (i + 1) mod k, train
// = the others (k-fold tasks); train / valid / test (one fold) otherwise.
struct FoldSplits {
  std::vector<std::string> train;
  std::string valid;
  std::string test;
};
std::vector<FoldSplits> protocol_folds(const HearTask& task);

}  // namespace brainalign::hear
