#include "brainalign/study/study_file.h"

#include <glob.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <sstream>

#include "brainalign/base/error.h"
#include "brainalign/data/brain_dataset.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/models/model_catalog.h"
#include "brainalign/models/model_series.h"

namespace brainalign::study {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const Study& s, const std::string& where, const std::string& what) {
  throw InputError(s.file.string() + ": " + where + ": " + what);
}

// Levenshtein distance between two keys.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A key of `t` that is not in `known` is an error naming it and the nearest known key (or
// every known key when none is near): a misspelled key must not fall back to a default.
void check_keys(const Study& s, const toml::table& t, const std::string& where,
                std::initializer_list<const char*> known, const std::string& note = "") {
  for (const auto& [key, value] : t) {
    const std::string name(key.str());
    if (std::any_of(known.begin(), known.end(), [&](const char* k) { return name == k; })) {
      continue;
    }
    std::string nearest;
    std::size_t best = std::max<std::size_t>(2, name.size() / 3) + 1;
    for (const char* k : known) {
      const std::size_t distance = edit_distance(name, k);
      if (distance < best) {
        best = distance;
        nearest = k;
      }
    }
    std::string valid;
    for (const char* k : known) valid += std::string(valid.empty() ? "" : ", ") + k;
    fail(s, where,
         "unknown key '" + name + "'" +
             (nearest.empty() ? " (valid keys: " + valid + ")"
                              : "; did you mean '" + nearest + "'?") +
             note);
  }
}

std::string get_string(const Study& s, const toml::table& t, const std::string& where,
                       const char* key, const std::string& fallback, bool required = false) {
  const toml::node* n = t.get(key);
  if (n == nullptr) {
    if (required) fail(s, where, std::string("missing '") + key + "'");
    return fallback;
  }
  if (!n->is_string()) fail(s, where, std::string("'") + key + "' must be a string");
  return n->value<std::string>().value();
}

std::int64_t get_int(const Study& s, const toml::table& t, const std::string& where,
                     const char* key, std::int64_t fallback,
                     std::int64_t lowest = std::numeric_limits<std::int64_t>::min(),
                     std::int64_t highest = std::numeric_limits<std::int64_t>::max()) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return fallback;
  if (!n->is_integer()) fail(s, where, std::string("'") + key + "' must be an integer");
  const std::int64_t value = n->value<std::int64_t>().value();
  if (value < lowest || value > highest) {
    fail(s, where,
         std::string("'") + key + "' must be an integer from " + std::to_string(lowest) + " to " +
             std::to_string(highest) + ", not " + std::to_string(value));
  }
  return value;
}

bool get_bool(const Study& s, const toml::table& t, const std::string& where, const char* key,
              bool fallback) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return fallback;
  if (!n->is_boolean()) fail(s, where, std::string("'") + key + "' must be true or false");
  return n->value<bool>().value();
}

// The options kept as an int: from 0 to the largest int.
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

double get_double(const Study& s, const toml::table& t, const std::string& where, const char* key,
                  double fallback) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return fallback;
  if (!n->is_number()) fail(s, where, std::string("'") + key + "' must be a number");
  return n->value<double>().value();
}

std::vector<std::string> get_strings(const Study& s, const toml::table& t, const std::string& where,
                                     const char* key, std::vector<std::string> fallback) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return fallback;
  if (n->is_string()) return {n->value<std::string>().value()};
  const toml::array* a = n->as_array();
  if (a == nullptr) fail(s, where, std::string("'") + key + "' must be a list of strings");
  std::vector<std::string> out;
  for (const auto& e : *a) {
    if (!e.is_string()) fail(s, where, std::string("'") + key + "' must be a list of strings");
    out.push_back(e.value<std::string>().value());
  }
  return out;
}

const toml::array* get_tables(const Study& s, const toml::table& root, const char* key) {
  const toml::node* n = root.get(key);
  if (n == nullptr) return nullptr;
  const toml::array* a = n->as_array();
  if (a == nullptr || !a->is_array_of_tables())
    fail(s, key, std::string("must be an array of tables ([[") + key + "]])");
  return a;
}

// Whether something exists at `p`, or is a folder; a path the system cannot look up (a name
// longer than the file system allows, a component that is a file) is neither.
bool exists_at(const fs::path& p) {
  std::error_code unreadable;
  return fs::exists(p, unreadable);
}

bool is_folder(const fs::path& p) {
  std::error_code unreadable;
  return fs::is_directory(p, unreadable);
}

fs::path resolve(const Study& s, const std::string& p) {
  if (p.empty()) return {};
  const fs::path path(p);
  return path.is_absolute() ? path : s.file.parent_path() / path;
}

// The last run of digits in a checkpoint file's stem: its training step.
std::int64_t step_of(const std::string& stem) {
  std::int64_t step = -1;
  for (size_t i = 0; i < stem.size();) {
    if (std::isdigit(static_cast<unsigned char>(stem[i])) != 0) {
      size_t j = i;
      while (j < stem.size() && std::isdigit(static_cast<unsigned char>(stem[j])) != 0) ++j;
      step = std::stoll(stem.substr(i, std::min<size_t>(j - i, 18)));
      i = j;
    } else {
      ++i;
    }
  }
  return step;
}

// The checkpoints a glob matches, ordered by step. `family` empty: feature-set files, each
// named by its stem; else model files or folders run as "<family>:PATH", each named by its
// stem (a folder by its whole name).
std::vector<Checkpoint> expand_checkpoints(const Study& s, const std::string& where,
                                           const fs::path& pattern, const std::string& family) {
  glob_t g{};
  const int rc = glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<Checkpoint> out;
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      fs::path p(g.gl_pathv[i]);
      if (!p.has_filename()) p = p.parent_path();  // "dir/" from a pattern ending in '/'
      const std::string label =
          !family.empty() && is_folder(p) ? p.filename().string() : p.stem().string();
      Checkpoint c{label, step_of(label), {}, {}};
      if (family.empty())
        c.features = p;
      else
        c.model = family + ":" + p.string();
      out.push_back(std::move(c));
    }
  globfree(&g);
  if (out.empty()) fail(s, where, "no checkpoint matches '" + pattern.string() + "'");
  std::sort(out.begin(), out.end(), [](const Checkpoint& a, const Checkpoint& b) {
    return a.step != b.step ? a.step < b.step : a.label < b.label;
  });
  for (size_t i = 1; i < out.size(); ++i)
    if (out[i].label == out[i - 1].label)
      fail(s, where, "two checkpoints share the name '" + out[i].label + "'");
  return out;
}

// 'steps' of a series' model: step names, as strings or integers.
std::vector<std::string> get_steps(const Study& s, const toml::table& t, const std::string& where) {
  const toml::node* n = t.get("steps");
  if (n == nullptr) return {};
  const toml::array* a = n->as_array();
  if (a == nullptr || a->empty())
    fail(s, where, "'steps' must be a non-empty list of checkpoint steps");
  std::vector<std::string> steps;
  for (const auto& e : *a) {
    if (e.is_integer())
      steps.push_back(std::to_string(e.value<std::int64_t>().value()));
    else if (e.is_string())
      steps.push_back(e.value<std::string>().value());
    else
      fail(s, where, "'steps' holds checkpoint steps (integers or strings)");
  }
  return steps;
}

// The checkpoints of a registered series as listed (only `steps`, when given), each the model
// "<series>@<step>".
std::vector<Checkpoint> series_checkpoints(const Study& s, const std::string& where,
                                           const models::ModelSeries& series,
                                           const std::vector<models::SeriesCheckpoint>& listed,
                                           const std::vector<std::string>& steps) {
  std::vector<Checkpoint> out;
  const auto add = [&](const models::SeriesCheckpoint& c) {
    out.push_back({c.step, step_of(c.step), {}, series.name + "@" + c.step});
  };
  if (steps.empty()) {
    for (const auto& c : listed) add(c);
    return out;
  }
  for (const auto& step : steps) {
    try {
      add(models::find_checkpoint(series, listed, step));
    } catch (const InputError& e) {
      fail(s, where, e.what());
    }
  }
  return out;
}

// The family prefix of "<family>:PATH" (letters, digits, '_', '-'); empty for other names.
std::string family_of(const std::string& name) {
  const size_t colon = name.find(':');
  if (colon == std::string::npos || colon == 0) return {};
  for (size_t i = 0; i < colon; ++i) {
    const char c = name[i];
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '-') return {};
  }
  return name.substr(0, colon);
}

void check_name(const Study& s, const std::string& where, const std::string& name,
                std::set<std::string>& seen) {
  if (name.empty()) fail(s, where, "'name' must not be empty");
  for (char c : name)
    if (c == '|' || c == '\n') fail(s, where, "'name' must not contain '|' or a line break");
  if (!seen.insert(name).second) fail(s, where, "the name '" + name + "' is used twice");
}

}  // namespace

std::string resolve_model_name(const std::string& name, const fs::path& base) {
  const std::string family = family_of(name);
  if (family.empty()) return name;
  const fs::path path(name.substr(family.size() + 1));
  if (path.empty() || path.is_absolute()) return name;
  const fs::path beside = (base / path).lexically_normal();
  // A published checkpoint's name ("beats:iter3") stays a name unless a path beside the study
  // file is spelled the same.
  if (models::find_published_model(name) != nullptr && !fs::exists(beside)) return name;
  return family + ":" + beside.string();
}

bool StudyModel::takes_part_in_analysis(const std::string& analysis) const {
  return !analyses || std::find(analyses->begin(), analyses->end(), analysis) != analyses->end();
}

bool StudyModel::takes_part_in_task(const std::string& task) const {
  return !tasks || std::find(tasks->begin(), tasks->end(), task) != tasks->end();
}

std::vector<std::string> unlisted_series(const Study& study) {
  std::vector<std::string> names;
  for (const auto& m : study.models)
    if (!m.series.empty() && m.checkpoints.empty()) names.push_back(m.name);
  return names;
}

void list_model_series(Study& study, const io::FetchOptions& options) {
  for (std::size_t i = 0; i < study.models.size(); ++i) {
    StudyModel& m = study.models[i];
    if (m.series.empty() || !m.checkpoints.empty()) continue;
    const models::ModelSeries& series = *models::find_model_series(m.series);
    const auto listed = models::list_checkpoints(series, options);
    m.checkpoints =
        series_checkpoints(study, "[[models]] #" + std::to_string(i + 1), series, listed, m.steps);
  }
}

std::string to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::kRegistry:
      return "registry";
    case ModelKind::kFeatures:
      return "features";
    case ModelKind::kCheckpoints:
      return "checkpoints";
  }
  return "registry";
}

const StudyModel& Study::model(const std::string& n) const {
  for (const auto& m : models)
    if (m.name == n) return m;
  throw InputError(file.string() + ": no model called '" + n + "'");
}

const StudyDataset& Study::dataset(const std::string& n) const {
  for (const auto& d : datasets)
    if (d.name == n) return d;
  throw InputError(file.string() + ": no dataset called '" + n + "'");
}

const StudyAnalysis& Study::analysis(const std::string& n) const {
  for (const auto& a : analyses)
    if (a.name == n) return a;
  throw InputError(file.string() + ": no analysis called '" + n + "'");
}

const StudyModel* Study::baseline_model() const {
  for (const auto& m : models)
    if (baseline.empty() ? m.kind == ModelKind::kRegistry && m.registry_name == "spectemp"
                         : m.name == baseline)
      return &m;
  return nullptr;
}

const StudyTask& Study::task(const std::string& n) const {
  for (const auto& t : tasks)
    if (t.name == n) return t;
  throw InputError(file.string() + ": no task called '" + n + "'");
}

Study load_study(const fs::path& path) {
  Study s;
  s.file = fs::absolute(path);
  toml::table root;
  try {
    root = toml::parse_file(s.file.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << s.file.string() << ", line " << e.source().begin.line << ": " << e.description();
    if (!exists_at(s.file)) throw IoError(s.file.string() + ": cannot read the study file");
    throw InputError(msg.str());
  }

  check_keys(s, root, "top level",
             {"study", "models", "datasets", "analyses", "downstream", "tasks",
              "alignment_vs_performance", "dynamics"});
  const toml::table* head = root["study"].as_table();
  if (head == nullptr) fail(s, "[study]", "missing");
  check_keys(s, *head, "[study]", {"name", "output", "seed", "threads", "baseline"});
  s.name = get_string(s, *head, "[study]", "name", s.file.stem().string());
  s.output = resolve(s, get_string(s, *head, "[study]", "output", s.name));
  s.seed = static_cast<std::uint64_t>(get_int(s, *head, "[study]", "seed", 0));
  s.threads = static_cast<int>(get_int(s, *head, "[study]", "threads", 0, 0, 4096));
  s.baseline = get_string(s, *head, "[study]", "baseline", "");

  std::set<std::string> names;
  if (const auto* models = get_tables(s, root, "models"))
    for (size_t i = 0; i < models->size(); ++i) {
      const toml::table& t = *(*models)[i].as_table();
      const std::string where = "[[models]] #" + std::to_string(i + 1);
      StudyModel m;
      m.name = get_string(s, t, where, "name", "", true);
      check_name(s, where, m.name, names);
      const std::string kind = get_string(s, t, where, "kind", "registry");
      const std::string for_kind = " (for kind '" + kind + "')";
      if (kind == "registry")
        check_keys(s, t, where, {"name", "kind", "model", "layers", "analyses", "tasks"}, for_kind);
      if (kind == "features")
        check_keys(s, t, where, {"name", "kind", "features", "analyses"}, for_kind);
      if (kind == "checkpoints") {
        check_keys(s, t, where,
                   {"name", "kind", "features", "model", "layers", "steps", "analyses", "tasks"},
                   for_kind);
      }
      if (t.contains("analyses")) m.analyses = get_strings(s, t, where, "analyses", {});
      if (t.contains("tasks")) m.tasks = get_strings(s, t, where, "tasks", {});
      for (const auto& layer : get_strings(s, t, where, "layers", {})) {
        if (layer.empty() || layer.find(',') != std::string::npos)
          fail(s, where, "'layers' holds 'all', a study or layer names, not '" + layer + "'");
        m.layers += (m.layers.empty() ? "" : ",") + layer;
      }
      if (kind == "registry") {
        m.kind = ModelKind::kRegistry;
        m.registry_name =
            resolve_model_name(get_string(s, t, where, "model", m.name), s.file.parent_path());
        m.checkpoints.push_back({"", -1, {}, m.registry_name});
      } else if (kind == "features") {
        m.kind = ModelKind::kFeatures;
        m.features = resolve(s, get_string(s, t, where, "features", "", true));
        m.checkpoints.push_back({"", -1, m.features, {}});
      } else if (kind == "checkpoints") {
        m.kind = ModelKind::kCheckpoints;
        const std::string features = get_string(s, t, where, "features", "");
        const std::string model = get_string(s, t, where, "model", "");
        if (features.empty() == model.empty())
          fail(s, where,
               "a checkpoint series gives either 'features' (a glob of feature-set "
               "files) or 'model' (\"<family>:GLOB\" of model files or folders)");
        if (t.contains("steps") && models::find_model_series(model) == nullptr)
          fail(s, where, "'steps' chooses checkpoints of a registered series ('model')");
        if (const models::ModelSeries* series = models::find_model_series(model)) {
          m.model = model;
          m.series = series->name;
          m.steps = get_steps(s, t, where);
          if (const auto listed = models::listed_checkpoints(*series))
            m.checkpoints = series_checkpoints(s, where, *series, *listed, m.steps);
        } else if (!features.empty()) {
          m.features = resolve(s, features);
          m.checkpoints = expand_checkpoints(s, where, m.features, {});
        } else {
          const std::string family = family_of(model);
          if (family.empty() || family == "auto" || model.size() == family.size() + 1) {
            std::string registered;
            for (const auto& known : models::model_series())
              registered += (registered.empty() ? "" : ", ") + known.name;
            fail(s, where,
                 "'model' of a checkpoint series must be \"<family>:GLOB\" (e.g. "
                 "\"hf:checkpoints/step_*\") or a registered series (" +
                     registered + "), not '" + model + "'");
          }
          m.model = resolve_model_name(model, s.file.parent_path());
          m.checkpoints = expand_checkpoints(s, where, m.model.substr(family.size() + 1), family);
        }
      } else {
        fail(s, where, "'kind' must be registry, features or checkpoints, not '" + kind + "'");
      }
      s.models.push_back(std::move(m));
    }
  if (s.models.empty()) fail(s, "[[models]]", "a study needs at least one model");

  names.clear();
  if (const auto* datasets = get_tables(s, root, "datasets"))
    for (size_t i = 0; i < datasets->size(); ++i) {
      const toml::table& t = *(*datasets)[i].as_table();
      const std::string where = "[[datasets]] #" + std::to_string(i + 1);
      check_keys(s, t, where, {"name", "source", "stimuli", "folds", "splits"});
      StudyDataset d;
      d.name = get_string(s, t, where, "name", "", true);
      check_name(s, where, d.name, names);
      d.source = get_string(s, t, where, "source", d.name);
      // A registered name stays a name; anything with a slash or an existing file is a path.
      if (d.source.find('/') != std::string::npos || exists_at(resolve(s, d.source)))
        d.source = resolve(s, d.source).string();
      d.stimuli = get_string(s, t, where, "stimuli", d.stimuli);
      if (d.stimuli.find('/') != std::string::npos || exists_at(resolve(s, d.stimuli)))
        d.stimuli = resolve(s, d.stimuli).string();
      d.folds = resolve(s, get_string(s, t, where, "folds", ""));
      d.splits = resolve(s, get_string(s, t, where, "splits", ""));
      s.datasets.push_back(std::move(d));
    }
  if (s.datasets.empty()) fail(s, "[[datasets]]", "a study needs at least one dataset");

  names.clear();
  if (const auto* analyses = get_tables(s, root, "analyses"))
    for (size_t i = 0; i < analyses->size(); ++i) {
      const toml::table& t = *(*analyses)[i].as_table();
      const std::string where = "[[analyses]] #" + std::to_string(i + 1);
      check_keys(s, t, where, {"analysis", "rsa_method", "name", "protocols", "datasets", "rois"});
      StudyAnalysis a;
      a.analysis = get_string(s, t, where, "analysis", "", true);
      if (a.analysis != "voxelwise" && a.analysis != "components" && a.analysis != "rsa" &&
          a.analysis != "ceiling")
        fail(s, where, "'analysis' must be voxelwise, components, rsa or ceiling");
      if (a.analysis == "ceiling" && t.get("rsa_method") != nullptr)
        fail(s, where, "'rsa_method' applies to analysis = \"rsa\", not to the ceiling");
      a.rsa_method = get_string(s, t, where, "rsa_method", a.rsa_method);
      if (!a.rsa_method.empty() && a.rsa_method != "xval" && a.rsa_method != "layerwise")
        fail(s, where, "'rsa_method' must be xval or layerwise");
      const std::string default_name =
          a.analysis != "rsa" ? a.analysis : (a.rsa_method.empty() ? "rsa" : "rsa-" + a.rsa_method);
      a.name = get_string(s, t, where, "name", default_name);
      check_name(s, where, a.name, names);
      a.protocols = get_strings(s, t, where, "protocols", a.protocols);
      for (const auto& p : a.protocols)
        if (p != "pepino2025" && p != "tuckute2023")
          fail(s, where, "protocol '" + p + "': must be pepino2025 or tuckute2023");
      a.datasets = get_strings(s, t, where, "datasets", {});
      for (const auto& d : a.datasets) s.dataset(d);
      a.rois = get_strings(s, t, where, "rois", a.rois);
      for (auto& r : a.rois)
        if (r == "all" || r == "whole") r.clear();
      s.analyses.push_back(std::move(a));
    }
  if (s.analyses.empty()) fail(s, "[[analyses]]", "a study needs at least one analysis");
  if (!s.baseline.empty() && std::none_of(s.models.begin(), s.models.end(),
                                          [&](const auto& m) { return m.name == s.baseline; }))
    fail(s, "[study]", "'baseline' names '" + s.baseline + "', which is no model of the study");

  if (const toml::table* down = root["downstream"].as_table()) {
    check_keys(s, *down, "[downstream]", {"scores", "max_epochs", "probe_float32"});
    s.downstream_scores = resolve(s, get_string(s, *down, "[downstream]", "scores", ""));
    s.downstream_max_epochs = static_cast<int>(get_int(s, *down, "[downstream]", "max_epochs", 0));
    if (s.downstream_max_epochs < 0) fail(s, "[downstream]", "'max_epochs' must be >= 0");
    s.downstream_probe_float32 = get_bool(s, *down, "[downstream]", "probe_float32", false);
  }
  names.clear();
  if (const auto* tasks = get_tables(s, root, "tasks"))
    for (size_t i = 0; i < tasks->size(); ++i) {
      const toml::table& t = *(*tasks)[i].as_table();
      const std::string where = "[[tasks]] #" + std::to_string(i + 1);
      check_keys(s, t, where,
                 {"path", "name", "metric", "scores", "protocol", "max_epochs", "probe_float32"});
      StudyTask task;
      const std::string given = get_string(s, t, where, "path", "");
      std::string default_name;
      if (given.starts_with("hear:")) {
        try {
          const data::PublicDataset& dataset = data::find_public_dataset(given);
          task.registered = given;
          task.path = data::data_root() / dataset.folder;
          default_name = given.substr(5);
        } catch (const InputError& e) {
          fail(s, where, std::string("'path': ") + e.what());
        }
      } else {
        task.path = resolve(s, given);
        fs::path folder = task.path.lexically_normal();
        if (!folder.has_filename()) folder = folder.parent_path();  // "tasks/esc50/"
        default_name = folder.filename().string();
      }
      task.name = get_string(s, t, where, "name", default_name, !task.computed());
      check_name(s, where, task.name, names);
      task.metric = get_string(s, t, where, "metric", "");
      task.scores = resolve(s, get_string(s, t, where, "scores", ""));
      task.protocol = get_string(s, t, where, "protocol", task.protocol);
      task.max_epochs =
          static_cast<int>(get_int(s, t, where, "max_epochs", s.downstream_max_epochs));
      task.probe_float32 = get_bool(s, t, where, "probe_float32", s.downstream_probe_float32);
      if (task.computed()) {
        if (!task.scores.empty())
          fail(s, where,
               "give either 'path' (a HEAR task folder, scores computed) or "
               "'scores' (a CSV of scores), not both");
        if (task.protocol != "pepino2025" && task.protocol != "hear2021")
          fail(s, where, "'protocol' must be pepino2025 or hear2021, not '" + task.protocol + "'");
        if (task.max_epochs < 0) fail(s, where, "'max_epochs' must be >= 0");
        if (task.protocol == "hear2021" && t.get("probe_float32") != nullptr)
          fail(s, where,
               "'probe_float32' applies to the pepino2025 protocol (hear2021 probes always take "
               "float32 inputs)");
        if (task.registered.empty() && !is_folder(task.path))
          fail(s, where, "'path': " + task.path.string() + " is not a folder");
      } else {
        if (t.get("protocol") != nullptr || t.get("max_epochs") != nullptr ||
            t.get("probe_float32") != nullptr)
          fail(s, where,
               "'protocol', 'max_epochs' and 'probe_float32' apply to computed tasks (with "
               "'path')");
        if (task.scores.empty()) task.scores = s.downstream_scores;
        if (task.scores.empty())
          fail(s, where,
               "no 'path' (a HEAR task folder) nor 'scores' file, here or in "
               "[downstream]");
      }
      s.tasks.push_back(std::move(task));
    }

  if (const toml::table* ap = root["alignment_vs_performance"].as_table()) {
    const std::string where = "[alignment_vs_performance]";
    check_keys(s, *ap, where, {"bootstrap", "permutations", "subset_threshold"});
    auto& o = s.alignment_performance;
    o.bootstrap = static_cast<int>(get_int(s, *ap, where, "bootstrap", o.bootstrap, 0, kIntMax));
    o.permutations =
        static_cast<int>(get_int(s, *ap, where, "permutations", o.permutations, 0, kIntMax));
    o.subset_threshold = get_double(s, *ap, where, "subset_threshold", o.subset_threshold);
  }
  // The analyses and tasks models name exist.
  for (std::size_t i = 0; i < s.models.size(); ++i) {
    const std::string where = "[[models]] #" + std::to_string(i + 1);
    for (const auto& name : s.models[i].analyses.value_or(std::vector<std::string>{}))
      if (std::none_of(s.analyses.begin(), s.analyses.end(),
                       [&](const StudyAnalysis& a) { return a.name == name; })) {
        std::string known;
        for (const auto& a : s.analyses) known += (known.empty() ? "" : ", ") + a.name;
        fail(s, where,
             "'analyses' names '" + name + "', which is no analysis of the study (" + known + ")");
      }
    for (const auto& name : s.models[i].tasks.value_or(std::vector<std::string>{}))
      if (std::none_of(s.tasks.begin(), s.tasks.end(),
                       [&](const StudyTask& t) { return t.name == name; })) {
        std::string known;
        for (const auto& t : s.tasks) known += (known.empty() ? "" : ", ") + t.name;
        fail(s, where,
             "'tasks' names '" + name + "', which is no task of the study (" + known + ")");
      }
  }

  if (const toml::table* dy = root["dynamics"].as_table()) {
    check_keys(s, *dy, "[dynamics]", {"models", "smooth_window", "smooth_order"});
    auto& o = s.dynamics;
    o.models = get_strings(s, *dy, "[dynamics]", "models", {});
    for (const auto& m : o.models) s.model(m);
    o.smooth_window = static_cast<int>(
        get_int(s, *dy, "[dynamics]", "smooth_window", o.smooth_window, 0, kIntMax));
    o.smooth_order =
        static_cast<int>(get_int(s, *dy, "[dynamics]", "smooth_order", o.smooth_order, 0, kIntMax));
    if (o.smooth_order < 0 || (o.smooth_window > 0 && o.smooth_order >= o.smooth_window))
      fail(s, "[dynamics]", "'smooth_order' must be below 'smooth_window'");
  }
  return s;
}

}  // namespace brainalign::study