#include <cstdio>
#include <memory>

#include "brainalign/data/data_registry.h"
#include "commands.h"

namespace brainalign::cli {

Action add_fetch(CLI::App& app) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto list = std::make_shared<bool>(false);
  app.add_option("names", *names, "Data sets to download (natsound165, natsound165-folds, ...)");
  app.add_flag("--list", *list, "List the registered data sets");
  return [names, list] {
    if (*list || names->empty()) {
      for (const auto& dataset : data::public_datasets()) {
        std::printf("%-18s %s\n", dataset.name.c_str(), dataset.description.c_str());
      }
      return;
    }
    data::FetchOptions options;
    options.progress = show_progress;
    options.note = show_note;
    for (const auto& name : *names) {
      const auto root = data::fetch_dataset(name, options);
      std::printf("%s: ready under %s\n", name.c_str(), root.string().c_str());
    }
  };
}

}  // namespace brainalign::cli
