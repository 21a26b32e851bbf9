// Downstream probes from Python: a model on HEAR tasks, as `brainalign downstream`.
#ifdef BRAINALIGN_WITH_TORCH
#include <pybind11/stl.h>

#include "bindings.h"
#include "brainalign/neural/probes/evaluate.h"

namespace brainalign::python {

void register_downstream(py::module_& m) {
  m.def(
      "downstream",
      [](py::handle model, py::handle tasks, const std::string& protocol, std::uint64_t seed,
         py::object threads, py::object max_epochs, py::object out, bool cache) {
        using namespace neural;
        const auto loaded = model_argument(model);
        std::vector<std::string> folders;
        if (is_path(tasks)) {
          folders.push_back(path_string(tasks));
        } else {
          for (py::handle t : tasks) folders.push_back(path_string(t));
        }
        const Protocol parsed = parse_protocol(protocol);
        features::ExtractOptions extract;
        extract.use_cache = cache;
        ProbeOptions probe = ProbeOptions::for_protocol(parsed);
        probe.seed = seed;
        if (!threads.is_none()) extract.threads = probe.threads = threads.cast<int>();
        if (!max_epochs.is_none()) probe.epoch_cap = max_epochs.cast<int>();
        const std::filesystem::path out_dir = out.is_none() ? "" : path_string(out);
        std::string summaries;
        {
          py::gil_scoped_release release;
          std::vector<hear::HearTask> read;  // every folder checked before any work starts
          for (const auto& folder : folders) read.push_back(hear::read_hear_task(folder));
          nlohmann::json all = nlohmann::json::array();
          for (const auto& result : evaluate_model(*loaded, read, parsed, probe, extract, out_dir))
            all.push_back(task_summary_json(result));
          summaries = all.dump();
        }
        return py::module_::import("json").attr("loads")(summaries);
      },
      py::arg("model"), py::arg("tasks"), py::arg("protocol") = "pepino2025", py::arg("seed") = 0,
      py::arg("threads") = py::none(), py::arg("max_epochs") = py::none(),
      py::arg("out") = py::none(), py::arg("cache") = true,
      R"(Trains the protocol's probes on a model's embeddings of HEAR tasks, as
`brainalign downstream`. model: a name or brainalign.Model; tasks: a hear-preprocess task
folder or a list of them; protocol: pepino2025 or hear2021; max_epochs caps training (quick
checks only); out: also write the summaries there. Returns one summary dict per task (task,
metric, score, per_fold, chosen_config, ...), as summary.json holds.)");
}

}  // namespace brainalign::python
#endif  // BRAINALIGN_WITH_TORCH
