// What a study needs before it runs, without computing or downloading anything: its models
// (which are fetched, how many bytes the others need), datasets, tasks and units, how many
// units the results store holds, and an estimate of the compute time left from the seconds
// the stored units took on this machine. `brainalign study plan`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "brainalign/study/study_file.h"

namespace brainalign::study {

// One input of the study (a model, dataset or task) and whether it is there.
struct PlannedInput {
  std::string name;
  std::string source;               // the registry name, file, dataset source or task folder
  bool ready = false;               // usable now, without a download
  bool usable = true;               // false: it cannot be made ready (the note says why)
  std::int64_t download_bytes = 0;  // what making it ready downloads (-1: size unknown)
  int checkpoints = 0;              // models: the checkpoints of a series (1 otherwise)
  std::string note;                 // what is missing or wrong
  std::string data_set;             // the registered data set that provides it, if any
};

struct StudyPlan {
  std::vector<PlannedInput> models, datasets, tasks;
  int units = 0;       // alignment units
  int task_units = 0;  // downstream task units
  int units_done = 0;  // alignment and task units already in the results store
  // False while a registered checkpoint series is not listed here: its units are not counted.
  bool units_known = true;
  std::int64_t download_bytes = 0;   // the known bytes still to download
  bool download_bytes_known = true;  // false when some size is unknown
  // Seconds the units left would take at the mean of the stored units' times (per kind);
  // unset when the store holds no unit of a kind with units left.
  std::optional<double> estimated_seconds;

  // Whether every input can be made ready (downloads aside).
  bool usable() const;
};

StudyPlan plan_study(const Study& study);

// One object: models, datasets, tasks (each name, source, ready, usable, download_bytes (null
// when unknown), note), units (alignment and task units), alignment_units, task_units,
// units_done, download_bytes (the sizes known), download_sizes_known, estimated_seconds (null
// when nothing was measured yet) and usable.
nlohmann::json to_json(const StudyPlan& plan);

}  // namespace brainalign::study
