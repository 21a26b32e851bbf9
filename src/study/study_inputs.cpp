#include "brainalign/study/study_inputs.h"

#include <exception>
#include <set>

#include "brainalign/base/error.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/models/model_catalog.h"
#include "brainalign/models/model_series.h"

namespace brainalign::study {

std::vector<StudyInputFailure> fetch_study_inputs(const Study& study,
                                                  const io::FetchOptions& options) {
  // A download the caller declined stops everything; any other failure stays with its input.
  bool declined = false;
  io::FetchOptions fetch = options;
  if (options.before_download) {
    fetch.before_download = [&](const std::string& stage, int files, std::int64_t bytes) {
      try {
        options.before_download(stage, files, bytes);
      } catch (...) {
        declined = true;
        throw;
      }
    };
  }
  std::vector<StudyInputFailure> failures;
  const auto attempt = [&](const std::string& input, const auto& step) {
    try {
      step();
    } catch (const std::runtime_error& e) {
      if (declined) throw;
      failures.push_back({input, e.what()});
      if (options.note) options.note(input + ": not fetched: " + e.what());
    }
  };

  bool any_runs = false;
  for (const auto& m : study.models) {
    if (!m.series.empty()) {
      any_runs = true;
      attempt(m.name, [&] {
        const models::ModelSeries& series = *models::find_model_series(m.series);
        models::fetch_published_model(series.architecture, fetch);
        std::vector<std::string> steps;
        for (const auto& c : m.checkpoints) steps.push_back(c.label);
        if (!steps.empty()) models::fetch_series_checkpoints(series, steps, fetch);
      });
      continue;
    }
    if (!m.runs()) continue;
    any_runs = true;
    for (const auto& c : m.checkpoints) {
      const models::PublishedModel* published = models::find_published_model(c.model);
      if (published == nullptr || !published->runs() || published->files.empty()) continue;
      attempt(m.name, [&] { models::fetch_published_model(c.model, fetch); });
    }
  }
  // The registered data sets behind datasets and the sounds the models run over, once each.
  std::set<std::string> data_sets;
  for (const auto& d : study.datasets) {
    for (const std::string& source : {d.source, any_runs ? d.stimuli : std::string()}) {
      if (source.empty()) continue;
      const std::string name = data::public_dataset_providing(source);
      if (name.empty() || !data_sets.insert(name).second) continue;
      attempt(source, [&] { data::fetch_dataset(name, fetch); });
    }
  }
  for (const auto& t : study.tasks) {
    if (t.registered.empty() || !any_runs) continue;
    attempt(t.name, [&] { data::hear_task_folder(t.registered, fetch); });
  }
  return failures;
}

}  // namespace brainalign::study
