#include "brainalign/study/work_unit.h"

#include <algorithm>

namespace brainalign::study {

std::string WorkUnit::key() const {
  return model + "|" + checkpoint + "|" + dataset + "|" + analysis + "|" + protocol + "|" + roi;
}

std::vector<WorkUnit> plan_units(const Study& study, const std::vector<bool>& component_datasets) {
  std::vector<WorkUnit> units;
  for (const auto& m : study.models)
    for (const auto& c : m.checkpoints)
      for (size_t d = 0; d < study.datasets.size(); ++d) {
        const auto& dataset = study.datasets[d];
        for (const auto& a : study.analyses) {
          if (a.analysis == "ceiling" || !m.takes_part_in_analysis(a.name)) continue;
          const bool named =
              std::find(a.datasets.begin(), a.datasets.end(), dataset.name) != a.datasets.end();
          const bool fits = (a.analysis == "components") == component_datasets[d];
          if (a.datasets.empty() ? !fits : !named) continue;
          for (const auto& p : a.protocols)
            for (const auto& r : a.rois)
              units.push_back({m.name, c.label, c.step, dataset.name, a.name, p, r});
        }
      }
  // Noise ceilings: once per voxel dataset (or the datasets named), protocol and ROI.
  for (size_t d = 0; d < study.datasets.size(); ++d)
    for (const auto& a : study.analyses) {
      if (a.analysis != "ceiling") continue;
      const auto& dataset = study.datasets[d];
      const bool named =
          std::find(a.datasets.begin(), a.datasets.end(), dataset.name) != a.datasets.end();
      if (a.datasets.empty() ? component_datasets[d] : !named) continue;
      for (const auto& p : a.protocols)
        for (const auto& r : a.rois) units.push_back({"", "", -1, dataset.name, a.name, p, r});
    }
  return units;
}

std::string TaskUnit::key() const { return model + "|" + checkpoint + "|" + task + "|" + protocol; }

std::vector<TaskUnit> plan_task_units(const Study& study) {
  std::vector<TaskUnit> units;
  for (const auto& m : study.models) {
    if (!m.runs()) continue;
    for (const auto& c : m.checkpoints)
      for (const auto& t : study.tasks)
        if (t.computed() && m.takes_part_in_task(t.name))
          units.push_back({m.name, c.label, c.step, t.name, t.protocol});
  }
  return units;
}

}  // namespace brainalign::study