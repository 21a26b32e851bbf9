#include "brainalign/study/pretraining_dynamics.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "brainalign/study/savitzky_golay.h"

namespace brainalign::study {

std::vector<DynamicsCurve> pretraining_dynamics(const Study& study,
                                                const std::vector<TidyResult>& results,
                                                const std::vector<TaskRecord>& tasks) {
  std::set<std::string> series;
  for (const auto& m : study.models)
    if (m.kind == ModelKind::kCheckpoints &&
        (study.dynamics.models.empty() ||
         std::find(study.dynamics.models.begin(), study.dynamics.models.end(), m.name) !=
             study.dynamics.models.end()))
      series.insert(m.name);

  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::set<Key> with_layers;
  for (const auto& r : results)
    if (series.count(r.unit.model) && r.row.level == "layer")
      with_layers.insert(
          {r.unit.model, r.unit.dataset, r.unit.analysis, r.unit.protocol, r.unit.roi});
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>,
           DynamicsCurve>
      curves;
  for (const auto& r : results) {
    const WorkUnit& u = r.unit;
    if (!series.count(u.model)) continue;
    const Key key{u.model, u.dataset, u.analysis, u.protocol, u.roi};
    std::string layer;
    if (with_layers.count(key)) {
      if (r.row.level != "layer") continue;
      layer = r.row.layer;
    } else {
      if (r.row.level != "overall") continue;
      layer = "best";
    }
    DynamicsCurve& c = curves[std::tuple_cat(key, std::make_tuple(layer))];
    c.model = u.model;
    c.dataset = u.dataset;
    c.analysis = u.analysis;
    c.protocol = u.protocol;
    c.roi = u.roi;
    c.layer = layer;
    c.steps.push_back(u.step);
    c.checkpoints.push_back(u.checkpoint);
    c.values.push_back(r.row.value);
  }
  for (const auto& r : tasks) {
    const TaskUnit& u = r.unit;
    if (!series.count(u.model)) continue;
    const StudyTask* task = nullptr;
    for (const auto& t : study.tasks)
      if (t.name == u.task && t.computed() && t.protocol == u.protocol) task = &t;
    if (task == nullptr) continue;
    // After every alignment curve: "~" sorts after the names in the keys.
    DynamicsCurve& c = curves[{"~" + u.model, u.task, "downstream", u.protocol, "", "score"}];
    c.model = u.model;
    c.dataset = u.task;
    c.analysis = "downstream";
    c.protocol = u.protocol;
    c.layer = "score";
    c.steps.push_back(u.step);
    c.checkpoints.push_back(u.checkpoint);
    c.values.push_back(r.score);
  }
  std::vector<DynamicsCurve> out;
  const int w = study.dynamics.smooth_window, order = study.dynamics.smooth_order;
  for (auto& [key, c] : curves) {
    // Checkpoint order: by step (the store orders by unit key, which sorts labels as text).
    std::vector<size_t> idx(c.steps.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      if (c.steps[a] != c.steps[b]) return c.steps[a] < c.steps[b];
      return c.checkpoints[a] < c.checkpoints[b];
    });
    DynamicsCurve sorted = c;
    for (size_t i = 0; i < idx.size(); ++i) {
      sorted.steps[i] = c.steps[idx[i]];
      sorted.checkpoints[i] = c.checkpoints[idx[i]];
      sorted.values[i] = c.values[idx[i]];
    }
    if (w > 0 && sorted.values.size() >= static_cast<size_t>(w))
      sorted.smoothed = savgol_filter(sorted.values, w, order);
    out.push_back(std::move(sorted));
  }
  // Layers in the model's order would need the feature file; keep the store's order instead.
  return out;
}

}  // namespace brainalign::study