#include <cstdio>
#include <memory>

#include "brainalign/base/error.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/models/model_catalog.h"
#include "brainalign/models/model_series.h"
#include "commands.h"

namespace brainalign::cli {

Action add_fetch(CLI::App& app) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto list = std::make_shared<bool>(false);
  auto yes = std::make_shared<bool>(false);
  app.add_option("names", *names,
                 "Data sets (natsound165, natsound165-folds, tuckute2023, hear:esc50, ...) or "
                 "catalogued models (beats:iter3, dasheng:base, ...; see `brainalign models`) or "
                 "checkpoint series (SERIES, SERIES@STEP) to download");
  app.add_flag("--list", *list, "List the registered data sets and catalogued models");
  app.add_flag("--yes", *yes,
               "Download without asking, also from 1 GiB on (the size is shown either way)");
  return [names, list, yes] {
    if (*list || names->empty()) {
      std::printf("data sets:\n");
      for (const auto& dataset : data::public_datasets())
        std::printf("  %-40s %s\n", dataset.name.c_str(), dataset.description.c_str());
      std::printf("models (details: brainalign models):\n");
      for (const auto& model : models::published_models())
        if (!model.files.empty())
          std::printf("  %-40s %s\n", model.name.c_str(), model.description.c_str());
      std::printf("checkpoint series (NAME for all, NAME@STEP for one):\n");
      for (const auto& series : models::model_series())
        std::printf("  %-40s %s\n", series.name.c_str(), series.description.c_str());
      return;
    }
    io::FetchOptions options;
    options.progress = show_progress;
    options.note = show_note;
    options.before_download = confirm_download(*yes);
    for (const auto& name : *names) {
      // A series (every checkpoint) or one of its checkpoints, with the architecture they fill.
      const auto checkpoint = models::split_series_model(name);
      if (const auto* series = checkpoint ? checkpoint->first : models::find_model_series(name)) {
        models::fetch_published_model(series->architecture, options);
        std::vector<std::string> steps;
        if (checkpoint) steps.push_back(checkpoint->second);
        const auto paths = models::fetch_series_checkpoints(*series, steps, options);
        std::printf("%s: %zu checkpoint%s ready in %s\n", name.c_str(), paths.size(),
                    paths.size() == 1 ? "" : "s", models::series_folder(*series).string().c_str());
        continue;
      }
      if (models::find_published_model(name) != nullptr) {
        const auto folder = models::fetch_published_model(name, options);
        std::printf("%s: ready in %s\n", name.c_str(), folder.string().c_str());
        continue;
      }
      bool dataset = false;
      std::string known;
      for (const auto& d : data::public_datasets()) {
        dataset = dataset || d.name == name;
        known += (known.empty() ? "" : ", ") + d.name;
      }
      if (!dataset)
        throw InputError("'" + name + "' is neither a data set (" + known +
                         ") nor a catalogued model or checkpoint series (`brainalign models` "
                         "lists them)");
      const auto root = data::fetch_dataset(name, options);
      std::printf("%s: ready under %s\n", name.c_str(), root.string().c_str());
    }
  };
}

}  // namespace brainalign::cli
