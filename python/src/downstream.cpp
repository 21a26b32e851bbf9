// Downstream probes from Python: a model on HEAR tasks, as `brainalign downstream`.
#include "brainalign/hear/downstream.h"

#include <pybind11/stl.h>

#include "bindings.h"
#include "brainalign/data/data_registry.h"

namespace brainalign::python {

void register_downstream(py::module_& m) {
  m.def(
      "downstream",
      [](py::handle model, py::handle tasks, const std::string& protocol, std::uint64_t seed,
         py::object threads, py::object max_epochs, py::object out, bool cache, py::object layers) {
        using namespace hear;
        const auto loaded = model_argument(model);
        std::vector<std::string> folders;
        if (is_path(tasks)) {
          folders.push_back(path_string(tasks));
        } else {
          for (py::handle t : tasks) folders.push_back(path_string(t));
        }
        {
          py::gil_scoped_release release;
          for (auto& folder : folders) folder = data::hear_task_folder(folder).string();
        }
        const Protocol parsed = parse_protocol(protocol);
        features::ExtractOptions extract;
        extract.use_cache = cache;
        ProbeOptions probe = ProbeOptions::for_protocol(parsed);
        probe.seed = seed;
        if (!threads.is_none()) extract.threads = probe.threads = threads.cast<int>();
        if (!max_epochs.is_none()) probe.epoch_cap = max_epochs.cast<int>();
        std::string choice;
        if (py::isinstance<py::str>(layers)) {
          choice = layers.cast<std::string>();
        } else if (!layers.is_none()) {
          for (py::handle name : layers)
            choice += (choice.empty() ? "" : ",") + py::str(name).cast<std::string>();
        }
        probe.layers = models::choose_layers(*loaded, choice,
                                             parsed == Protocol::kPepino2025 ? "pepino2025" : "");
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
      py::arg("out") = py::none(), py::arg("cache") = true, py::arg("layers") = py::none(),
      R"(Trains the protocol's probes on a model's embeddings of HEAR tasks, as
`brainalign downstream`. model: a name or brainalign.Model; tasks: a hear-preprocess task
folder or a registered task ("hear:esc50", fetched when missing), or a list of them; protocol: pepino2025 or hear2021; max_epochs caps training (quick
checks only); out: also write the summaries there; layers: what the probe combines, "all",
"pepino2025", "tuckute2023" or a list of layer names (default: the protocol's, pepino2025 the
model's layers of the 2025 study as its code filters them, hear2021 the last). Returns one summary dict per task (task,
metric, score, per_fold, chosen_config, ...), as summary.json holds.)");
}

}  // namespace brainalign::python
