#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "brainalign/models/model_catalog.h"
#include "brainalign/models/registry.h"
#include "commands.h"

namespace brainalign::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string size_text(std::int64_t bytes) {
  if (bytes < 0) return "?";
  char text[32];
  if (bytes >= (std::int64_t{1} << 30)) {
    std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  } else {
    std::snprintf(text, sizeof text, "%.0f MiB", static_cast<double>(bytes) / (1 << 20));
  }
  return text;
}

std::string rate_text(int hz) {
  char text[32];
  std::snprintf(text, sizeof text, "%gk", hz / 1000.0);
  return text;
}

nlohmann::json to_json(const models::PublishedModel& m) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : m.files) {
    nlohmann::json file = {{"path", f.path}, {"url", f.url}};
    file["sha256"] = f.sha256.empty() ? nlohmann::json() : nlohmann::json(f.sha256);
    file["size"] = f.size < 0 ? nlohmann::json() : nlohmann::json(f.size);
    files.push_back(std::move(file));
  }
  nlohmann::json j = {{"name", m.name},
                      {"description", m.description},
                      {"runs", m.runs()},
                      {"studies", m.studies},
                      {"study_name", m.study_name},
                      {"sample_rate", m.sample_rate},
                      {"licence", m.licence},
                      {"files", files},
                      {"fetched", !m.files.empty() && models::is_fetched(m)},
                      {"folder", models::model_folder(m).string()}};
  j["runs_as"] = m.runs() ? nlohmann::json(models::runnable_name(m)) : nlohmann::json();
  j["size"] = m.size() < 0 ? nlohmann::json() : nlohmann::json(m.size());
  j["notes"] = m.notes;
  return j;
}

}  // namespace

Action add_models(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "The catalogue as JSON: files, sources, checksums, where cached");
  return [json] {
    const auto& catalogue = models::published_models();
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& m : catalogue) out.push_back(to_json(m));
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::printf("Models by name or path:\n%s\n", models::describe_models().c_str());
    std::printf("Published checkpoints (%s; `brainalign fetch NAME` or first use downloads):\n",
                models::models_root().string().c_str());
    std::printf("  %-38s %-5s %-7s %-9s %-8s %s\n", "name", "runs", "rate", "size", "fetched",
                "studies");
    for (const auto& m : catalogue) {
      const char* fetched = m.files.empty() ? "-" : (models::is_fetched(m) ? "yes" : "no");
      std::printf("  %-38s %-5s %-7s %-9s %-8s %s\n", m.name.c_str(), m.runs() ? "yes" : "no",
                  rate_text(m.sample_rate).c_str(), size_text(m.size()).c_str(), fetched,
                  join(m.studies).c_str());
    }
    std::printf("\n`runs: no`: brainalign has no native route for it yet (`--json` says why).\n");
  };
}

}  // namespace brainalign::cli
