// The results store of a study: one SQLite database (WAL journal) in the study folder.
// Schema version 2 (docs/study.md):
//   meta(key PRIMARY KEY, value)                 schema_version, created_by
//   units(unit_key UNIQUE, model, checkpoint, step, dataset, analysis, protocol, roi,
//         brainalign_version, seed, features_sha256, dataset_sha256, options_json,
//         summary_json, seconds, rank, finished_at)
//   results(unit_key, model, checkpoint, step, layer, dataset, analysis, protocol, roi,
//           level, target, value, sem)           level: overall, subject, component, layer
//   downstream(model, task, score, source; PRIMARY KEY (model, task))   scores read from CSVs
//   task_units(unit_key UNIQUE, model, checkpoint, step, task, protocol, metric, score,
//              brainalign_version, seed, model_id, task_sha256, options_json, summary_json,
//              seconds, rank, finished_at)           downstream scores the study computed
//   failures(unit_key PRIMARY KEY, kind, message, rank, failed_at)   units whose last try
//           failed (kind: input or io); removed when the unit is stored
// A unit and its result rows are written in one transaction, and a unit already present is
// never written twice: the store holds each unit completely or not at all. A version 1 store
// (without task_units) is upgraded when opened.
#pragma once

#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "brainalign/study/work_unit.h"

struct sqlite3;

namespace brainalign::study {

inline constexpr int kResultsSchemaVersion = 2;

struct ResultRow {
  std::string level;   // overall, subject, component or layer
  std::string target;  // subject or component name; empty for overall and layer rows
  std::string layer;   // the layer the value belongs to (overall: the best layer, if one)
  double value = std::numeric_limits<double>::quiet_NaN();
  double sem = std::numeric_limits<double>::quiet_NaN();
};

struct UnitRecord {
  WorkUnit unit;
  std::string brainalign_version;
  std::uint64_t seed = 0;
  std::string features_sha256;
  std::string dataset_sha256;
  std::string options_json;
  std::string summary_json;
  double seconds = 0;
  int rank = 0;
  std::vector<ResultRow> rows;
};

struct TidyResult {
  WorkUnit unit;
  ResultRow row;
};

// A downstream task unit as stored: the task's score under the protocol and its provenance.
struct TaskRecord {
  TaskUnit unit;
  std::string metric;  // the task's primary metric
  double score = std::numeric_limits<double>::quiet_NaN();
  std::string brainalign_version;
  std::uint64_t seed = 0;    // the probes' seed
  std::string model_id;      // the model's name and the identity of its weights
  std::string task_sha256;   // hear_task_digest() of the task folder
  std::string options_json;  // protocol, epochs cap, the registry name, the task folder
  std::string summary_json;  // the evaluation summary (folds, chosen probe, ...)
  double seconds = 0;
  int rank = 0;
};

// A unit (alignment or downstream) that could not be computed: its inputs were refused
// (kind "input": a missing or mismatched file, an unknown model) or could not be read ("io").
struct UnitFailure {
  std::string unit_key;
  std::string kind;
  std::string message;
  int rank = 0;
};

struct DownstreamScore {
  std::string model, task;
  double score = 0;
  std::string source;  // the file it came from
};

class ResultsStore {
 public:
  // Opens (creating when missing) the store. IoError when it cannot be opened; InputError
  // when it was written with another schema version.
  explicit ResultsStore(const std::filesystem::path& file);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  std::set<std::string> completed_units() const;
  // Writes the unit and its rows in one transaction; false (writing nothing) when the unit
  // is already stored.
  bool write_unit(const UnitRecord& record);
  // Replaces the downstream scores of the listed (model, task) pairs, in one transaction.
  void write_downstream(const std::vector<DownstreamScore>& scores);
  std::set<std::string> completed_task_units() const;
  // Writes a task unit in one transaction; false (writing nothing) when already stored.
  bool write_task_unit(const TaskRecord& record);

  std::vector<UnitRecord> units() const;            // without rows, ordered by unit key
  std::vector<TidyResult> results() const;          // ordered by unit key, level, target, layer
  std::vector<DownstreamScore> downstream() const;  // read from CSVs; by model, task
  std::vector<TaskRecord> task_units() const;       // ordered by unit key
  // Records (or replaces) a unit's failure; storing the unit later removes it.
  void write_failure(const UnitFailure& failure);
  std::vector<UnitFailure> failures() const;  // ordered by unit key

  const std::filesystem::path& file() const { return file_; }

 private:
  void exec(const std::string& sql) const;
  void clear_failure(const std::string& unit_key);
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

// The study's store: <output>/results.sqlite.
std::filesystem::path results_store_path(const Study& study);

}  // namespace brainalign::study