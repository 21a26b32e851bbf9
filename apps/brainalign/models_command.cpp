#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "brainalign/models/model_catalog.h"
#include "brainalign/models/model_series.h"
#include "brainalign/models/registry.h"
#include "commands.h"

namespace brainalign::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
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
    if (!f.member.empty()) file["member"] = f.member;  // a file of the tar archive at url
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
  // Weights only: runs_as is the weights file loaded into this catalogued model.
  j["architecture"] = m.architecture.empty() ? nlohmann::json() : nlohmann::json(m.architecture);
  j["size"] = m.size() < 0 ? nlohmann::json() : nlohmann::json(m.size());
  j["notes"] = m.notes;
  return j;
}

// A series and what this machine has of it (no network: a series never listed says so).
nlohmann::json to_json(const models::ModelSeries& s) {
  nlohmann::json j = {{"name", s.name},
                      {"description", s.description},
                      {"architecture", s.architecture},
                      {"studies", s.studies},
                      {"licence", s.licence},
                      {"listing_url", s.listing_url},
                      {"folder", models::series_folder(s).string()},
                      {"notes", s.notes}};
  const auto listed = models::listed_checkpoints(s);
  j["listed"] = listed.has_value();
  nlohmann::json checkpoints = nlohmann::json::array();
  std::int64_t bytes = 0;
  for (const auto& c : listed.value_or(std::vector<models::SeriesCheckpoint>{})) {
    const bool fetched = std::filesystem::exists(models::series_folder(s) / c.file.path);
    checkpoints.push_back({{"step", c.step},
                           {"model", s.name + "@" + c.step},
                           {"path", c.file.path},
                           {"url", c.file.url},
                           {"sha256", c.file.sha256},
                           {"size", c.file.size},
                           {"fetched", fetched}});
    bytes = c.file.size < 0 || bytes < 0 ? -1 : bytes + c.file.size;
  }
  j["checkpoints"] = listed ? checkpoints : nlohmann::json();
  j["size"] = listed && bytes >= 0 ? nlohmann::json(bytes) : nlohmann::json();
  return j;
}

}  // namespace

Action add_models(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto series = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "The catalogue as JSON: files, sources, checksums, where cached");
  app.add_flag("--series", *series,
               "The checkpoint series instead (with --json: their listed checkpoints)");
  return [json, series] {
    const auto& catalogue = models::published_models();
    if (*series && *json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : models::model_series()) out.push_back(to_json(s));
      std::cout << out.dump(2) << "\n";
      return;
    }
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
                  rate_text(m.sample_rate).c_str(),
                  (m.size() < 0 ? std::string("?") : size_text(m.size())).c_str(), fetched,
                  join(m.studies).c_str());
    }
    std::printf("\n`runs: no`: brainalign has no native route for it yet (`--json` says why).\n");
    std::printf(
        "\nCheckpoint series (each checkpoint a model NAME@STEP in the architecture of "
        "a catalogued model; `brainalign fetch NAME` downloads them all):\n");
    for (const auto& s : models::model_series()) {
      const auto listed = models::listed_checkpoints(s);
      std::string state = "not listed yet (listed from its source at first use)";
      if (listed) {
        state = std::to_string(listed->size()) + " checkpoints, steps " + listed->front().step +
                ".." + listed->back().step;
      }
      std::printf("  %-38s %s\n    architecture %s; %s\n", s.name.c_str(), s.description.c_str(),
                  s.architecture.c_str(), state.c_str());
    }
  };
}

}  // namespace brainalign::cli
