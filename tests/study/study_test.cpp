// The study layer: the study file, the results store (one transaction per unit, resumable),
// Savitzky-Golay smoothing and the alignment-performance statistics against scipy.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <fstream>

#include "brainalign/base/error.h"
#include "brainalign/data/brain_dataset.h"
#include "brainalign/hear/metrics.h"
#include "brainalign/report/chart_libraries.h"
#include "brainalign/study/alignment_performance.h"
#include "brainalign/study/performance_scores.h"
#include "brainalign/study/results_store.h"
#include "brainalign/study/savitzky_golay.h"
#include "brainalign/study/study_file.h"
#include "brainalign/study/study_runner.h"
#include "brainalign/study/work_unit.h"
#include "common/python_exchange.h"
#include "common/scratch_dir.h"

namespace brainalign {
namespace {

namespace fs = std::filesystem;
using testing::PythonExchange;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(StudyFile, ReadsModelsDatasetsAnalysesAndTasks) {
  const testing::ScratchDir dir;
  for (int step : {2000, 0, 1000})
    write(dir.path() / "ck" / ("step_" + std::to_string(step) + ".npz"), "x");
  write(dir.path() / "scores.csv", "model,task,score\n");
  write(dir.path() / "s.toml", R"(
[study]
name = "mini"
output = "out"
seed = 7
[[models]]
name = "mel"
layers = ["melspec", "melspec_db"]
[[models]]
name = "ck"
kind = "checkpoints"
features = "ck/step_*.npz"
[[datasets]]
name = "comp"
source = "nh2015comp"
[[datasets]]
name = "syn"
source = "syn/dataset"
[[analyses]]
analysis = "components"
[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
protocols = ["pepino2025", "tuckute2023"]
rois = ["all", "Primary"]
[downstream]
scores = "scores.csv"
[[tasks]]
name = "esc50"
)");
  const study::Study s = study::load_study(dir.path() / "s.toml");
  EXPECT_EQ(s.name, "mini");
  EXPECT_EQ(s.models[0].layers, "melspec,melspec_db");
  EXPECT_TRUE(s.models[1].layers.empty());
  EXPECT_EQ(s.output, dir.path() / "out");
  EXPECT_EQ(s.seed, 7u);
  ASSERT_EQ(s.models.size(), 2u);
  EXPECT_EQ(s.models[0].registry_name, "mel");
  ASSERT_EQ(s.models[1].checkpoints.size(), 3u);
  EXPECT_EQ(s.models[1].checkpoints[0].step, 0);
  EXPECT_EQ(s.models[1].checkpoints[2].label, "step_2000");
  EXPECT_EQ(s.datasets[0].source, "nh2015comp");
  EXPECT_EQ(s.datasets[1].source, (dir.path() / "syn/dataset").string());
  EXPECT_EQ(s.analyses[1].name, "rsa-layerwise");
  EXPECT_EQ(s.analyses[1].rois, (std::vector<std::string>{"", "Primary"}));
  EXPECT_EQ(s.tasks[0].scores, dir.path() / "scores.csv");

  // components on the component dataset; RSA x 2 protocols x 2 ROIs on the voxel dataset.
  const auto units = study::plan_units(s, {true, false});
  EXPECT_EQ(units.size(), 4u * (1 + 4));
  EXPECT_EQ(units[0].key(), "mel||comp|components|pepino2025|");
  EXPECT_EQ(units.back().key(), "ck|step_2000|syn|rsa-layerwise|tuckute2023|Primary");
}

TEST(StudyFile, ErrorsNameTheFileAndField) {
  const testing::ScratchDir dir;
  write(dir.path() / "bad.toml", "[study]\n[[models]]\nname = \"x\"\nkind = \"magic\"\n");
  try {
    study::load_study(dir.path() / "bad.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("[[models]] #1"), std::string::npos) << e.what();
  }
  write(dir.path() / "glob.toml",
        "[study]\n[[models]]\nname = \"x\"\nkind = \"checkpoints\"\nfeatures = \"none_*.npz\"\n");
  EXPECT_THROW(study::load_study(dir.path() / "glob.toml"), InputError);
}

// A misspelled key would otherwise be ignored and its default used: every unknown key or table
// is an error naming it and the nearest valid key.
TEST(StudyFile, UnknownKeysNameTheNearestValidKey) {
  const testing::ScratchDir dir;
  const std::string valid =
      "[study]\nseed = 1\n[[models]]\nname = \"m\"\nmodel = \"mel\"\n"
      "[[datasets]]\nname = \"nh2015\"\nfolds = \"f.csv\"\n"
      "[[analyses]]\nanalysis = \"rsa\"\nrsa_method = \"layerwise\"\n";
  write(dir.path() / "valid.toml", valid);
  const study::Study study = study::load_study(dir.path() / "valid.toml");
  EXPECT_EQ(study.seed, 1u);
  EXPECT_EQ(study.analyses[0].rsa_method, "layerwise");
  const auto message = [&](const std::string& from, const std::string& to) {
    std::string text = valid;
    text.replace(text.find(from), from.size(), to);
    write(dir.path() / "typo.toml", text);
    try {
      study::load_study(dir.path() / "typo.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string file = (dir.path() / "typo.toml").string() + ": ";
  EXPECT_EQ(message("rsa_method =", "rsa_methd ="),
            file + "[[analyses]] #1: unknown key 'rsa_methd'; did you mean 'rsa_method'?");
  EXPECT_EQ(message("seed =", "sead ="),
            file + "[study]: unknown key 'sead'; did you mean 'seed'?");
  EXPECT_EQ(message("folds =", "fold ="),
            file + "[[datasets]] #1: unknown key 'fold'; did you mean 'folds'?");
  EXPECT_EQ(message("model = \"mel\"", "features = \"x.npz\""),
            file +
                "[[models]] #1: unknown key 'features' (valid keys: name, kind, model, layers, "
                "analyses, tasks) "
                "(for kind 'registry')");
  EXPECT_EQ(message("[[analyses]]", "[[analysis]]"),
            file + "top level: unknown key 'analysis'; did you mean 'analyses'?");
  EXPECT_EQ(
      message("seed = 1", "seed = 1\ncolour = \"red\""),
      file + "[study]: unknown key 'colour' (valid keys: name, output, seed, threads, baseline)");
}

// A dataset named beyond the file system's name limit: looking it up as a file gave
// ENAMETOOLONG, which escaped load_study as a std::filesystem error instead of leaving the name
// a registered dataset's name.
TEST(StudyFile, NamesTooLongForAFileStayNames) {
  const testing::ScratchDir dir;
  const std::string name(300, 'd');
  write(dir.path() / "long.toml", "[study]\n[[models]]\nname = \"mel\"\n[[datasets]]\nname = \"" +
                                      name + "\"\nstimuli = \"" + name +
                                      "\"\n[[analyses]]\nanalysis = \"components\"\n");
  const study::Study s = study::load_study(dir.path() / "long.toml");
  ASSERT_EQ(s.datasets.size(), 1u);
  EXPECT_EQ(s.datasets[0].source, name);
  EXPECT_EQ(s.datasets[0].stimuli, name);
}

// Integer options kept as an int were narrowed silently (threads = 4294967298 became 2).
TEST(StudyFile, IntegerOptionsOutOfRangeNameTheFieldAndTheRange) {
  const testing::ScratchDir dir;
  const auto message = [&](const std::string& text) -> std::string {
    write(dir.path() / "range.toml", text);
    try {
      study::load_study(dir.path() / "range.toml");
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  const std::string study =
      "[study]\n[[models]]\nname = \"mel\"\n[[datasets]]\nname = \"comp\"\n"
      "source = \"nh2015comp\"\n[[analyses]]\nanalysis = \"components\"\n";
  ASSERT_EQ(message(study), "");
  EXPECT_NE(message("[study]\nthreads = 4294967298\n")
                .find("range.toml: [study]: 'threads' must be an integer from 0 to 4096, not "
                      "4294967298"),
            std::string::npos);
  EXPECT_NE(message(study + "[alignment_vs_performance]\nbootstrap = -1\n")
                .find("[alignment_vs_performance]: 'bootstrap' must be an integer from 0 to "
                      "2147483647, not -1"),
            std::string::npos);
  EXPECT_NE(message(study + "[dynamics]\nsmooth_window = 3000000000\n")
                .find("[dynamics]: 'smooth_window' must be an integer from 0 to 2147483647"),
            std::string::npos);
  EXPECT_EQ(message(study + "[alignment_vs_performance]\nbootstrap = 2147483647\n"), "");
}

study::UnitRecord record(const std::string& model, double value) {
  study::UnitRecord r;
  r.unit = {model, "", -1, "d", "components", "pepino2025", ""};
  r.brainalign_version = "test";
  r.options_json = "{}";
  r.summary_json = "{}";
  r.rows = {{"overall", "", "", value, 0.1}, {"component", "c1", "", value, std::nan("")}};
  return r;
}

TEST(ResultsStore, WritesEachUnitOnceAndReopens) {
  const testing::ScratchDir dir;
  const fs::path file = dir.path() / "results.sqlite";
  {
    study::ResultsStore store(file);
    EXPECT_TRUE(store.write_unit(record("a", 0.5)));
    EXPECT_FALSE(store.write_unit(record("a", 0.9)));  // already stored: nothing written
    EXPECT_TRUE(store.write_unit(record("b", 0.25)));
    store.write_downstream({{"a", "t", 1.0, "f"}, {"a", "t", 2.0, "f"}});
  }
  study::ResultsStore store(file);
  EXPECT_EQ(store.completed_units().size(), 2u);
  const auto rows = store.results();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].unit.model, "a");
  EXPECT_EQ(rows[0].row.level, "component");
  EXPECT_DOUBLE_EQ(rows[1].row.value, 0.5);
  EXPECT_TRUE(std::isnan(rows[0].row.sem));
  ASSERT_EQ(store.downstream().size(), 1u);
  EXPECT_DOUBLE_EQ(store.downstream()[0].score, 2.0);
}

TEST(StudyFile, ModelPathsAreTakenFromTheStudyFileAndModelCheckpointsAreGlobbed) {
  const testing::ScratchDir dir;
  for (const char* step : {"step_200", "step_30", "step_1000"})
    fs::create_directories(dir.path() / "runs" / step);  // model folders
  write(dir.path() / "runs" / "notes.txt", "not a checkpoint");
  write(dir.path() / "pt" / "ckpt-7.pt", "x");
  write(dir.path() / "pt" / "ckpt-12.pt", "x");
  write(dir.path() / "s.toml", R"(
[study]
[[models]]
name = "local"
model = "hf:models/small"
[[models]]
name = "guessed"
model = "auto:/abs/model.pt"
[[models]]
name = "series"
kind = "checkpoints"
model = "hf:runs/step_*"
[[models]]
name = "pt"
kind = "checkpoints"
model = "beats:pt/ckpt-*.pt"
[[datasets]]
name = "nh2015comp"
[[analyses]]
analysis = "components"
)");
  const study::Study s = study::load_study(dir.path() / "s.toml");
  EXPECT_EQ(s.models[0].registry_name, "hf:" + (dir.path() / "models/small").string());
  EXPECT_EQ(s.models[0].checkpoints[0].model, s.models[0].registry_name);
  EXPECT_TRUE(s.models[0].runs());
  EXPECT_EQ(s.models[1].registry_name, "auto:/abs/model.pt");
  const auto& series = s.models[2].checkpoints;
  ASSERT_EQ(series.size(), 3u);  // notes.txt does not match the glob
  EXPECT_EQ(series[0].label, "step_30");
  EXPECT_EQ(series[1].step, 200);
  EXPECT_EQ(series[2].model, "hf:" + (dir.path() / "runs/step_1000").string());
  EXPECT_TRUE(series[2].features.empty());
  EXPECT_TRUE(s.models[2].runs());
  ASSERT_EQ(s.models[3].checkpoints.size(), 2u);
  EXPECT_EQ(s.models[3].checkpoints[0].label, "ckpt-7");  // a file: its stem
  EXPECT_EQ(s.models[3].checkpoints[1].model, "beats:" + (dir.path() / "pt/ckpt-12.pt").string());
  EXPECT_EQ(study::resolve_model_name("mel", dir.path()), "mel");
  EXPECT_EQ(study::resolve_model_name("hf:a/../b", "/x"), "hf:/x/b");
}

TEST(StudyFile, ComputedTasksAndTheirErrors) {
  const testing::ScratchDir dir;
  fs::create_directories(dir.path() / "tasks" / "pitch-v1");
  write(dir.path() / "scores.csv", "model,task,score\n");
  const std::string head = R"(
[study]
[[models]]
name = "mel"
[[models]]
name = "file"
kind = "features"
features = "f.npz"
[[datasets]]
name = "nh2015comp"
[[analyses]]
analysis = "components"
)";
  write(dir.path() / "s.toml", head + R"(
[downstream]
scores = "scores.csv"
max_epochs = 4
probe_float32 = true
[[tasks]]
path = "tasks/pitch-v1/"
[[tasks]]
name = "again"
path = "tasks/pitch-v1"
protocol = "hear2021"
max_epochs = 2
[[tasks]]
name = "esc50"
)");
  const study::Study s = study::load_study(dir.path() / "s.toml");
  ASSERT_EQ(s.tasks.size(), 3u);
  EXPECT_EQ(s.tasks[0].name, "pitch-v1");  // the folder's name
  EXPECT_TRUE(s.tasks[0].computed());
  EXPECT_EQ(s.tasks[0].path, dir.path() / "tasks/pitch-v1/");
  EXPECT_EQ(s.tasks[0].protocol, "pepino2025");
  EXPECT_EQ(s.tasks[0].max_epochs, 4);
  EXPECT_TRUE(s.tasks[0].probe_float32);  // from [downstream]
  EXPECT_EQ(s.tasks[1].protocol, "hear2021");
  EXPECT_EQ(s.tasks[1].max_epochs, 2);
  EXPECT_FALSE(s.tasks[2].computed());
  EXPECT_EQ(s.tasks[2].scores, dir.path() / "scores.csv");

  // Task units: every computed task for every model that is run; none for feature files.
  const auto units = study::plan_task_units(s);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0].key(), "mel||pitch-v1|pepino2025");
  EXPECT_EQ(units[1].key(), "mel||again|hear2021");

  const auto expect_error = [&](const std::string& tasks, const std::string& what) {
    write(dir.path() / "bad.toml", head + tasks);
    try {
      study::load_study(dir.path() / "bad.toml");
      ADD_FAILURE() << "no error for " << tasks;
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find((dir.path() / "bad.toml").string()), std::string::npos) << msg;
      EXPECT_NE(msg.find("[[tasks]] #1"), std::string::npos) << msg;
      EXPECT_NE(msg.find(what), std::string::npos) << msg;
    }
  };
  expect_error("[[tasks]]\npath = \"tasks/none\"\n", "is not a folder");
  expect_error("[[tasks]]\npath = \"tasks/pitch-v1\"\nprotocol = \"hear\"\n",
               "'protocol' must be pepino2025 or hear2021");
  expect_error("[[tasks]]\npath = \"tasks/pitch-v1\"\nscores = \"scores.csv\"\n", "not both");
  expect_error("[[tasks]]\nname = \"x\"\nscores = \"scores.csv\"\nprotocol = \"hear2021\"\n",
               "apply to computed tasks");
  expect_error("[[tasks]]\nname = \"x\"\n", "no 'path'");
  expect_error("[[tasks]]\npath = \"tasks/pitch-v1\"\nmax_epochs = -1\n", "'max_epochs'");
  expect_error("[[tasks]]\npath = \"tasks/pitch-v1\"\nprobe_float32 = 1\n",
               "'probe_float32' must be true or false");
  expect_error(
      "[[tasks]]\npath = \"tasks/pitch-v1\"\nprotocol = \"hear2021\"\nprobe_float32 = true\n",
      "'probe_float32' applies to the pepino2025 protocol");

  write(dir.path() / "bad.toml", head +
                                     "[[models]]\nname = \"s\"\nkind = \"checkpoints\"\n"
                                     "model = \"runs/step_*\"\n");
  EXPECT_THROW(study::load_study(dir.path() / "bad.toml"), InputError);  // no family
  write(dir.path() / "bad.toml", head +
                                     "[[models]]\nname = \"s\"\nkind = \"checkpoints\"\n"
                                     "model = \"hf:runs/step_*\"\nfeatures = \"x_*.npz\"\n");
  EXPECT_THROW(study::load_study(dir.path() / "bad.toml"), InputError);  // both
}

study::TaskRecord task_record(const std::string& model, const std::string& checkpoint,
                              std::int64_t step, const std::string& protocol, double score) {
  study::TaskRecord r;
  r.unit = {model, checkpoint, step, "pitch", protocol};
  r.metric = "top1_acc";
  r.score = score;
  r.brainalign_version = "test";
  r.seed = 5;
  r.model_id = model + "@none";
  r.task_sha256 = "abc";
  r.options_json = "{}";
  r.summary_json = "{\"score\": 1}";
  return r;
}

TEST(ResultsStore, TaskUnitsAreWrittenOnceAndFeedThePerformanceScores) {
  const testing::ScratchDir dir;
  for (int step : {5, 40}) fs::create_directories(dir.path() / "ck" / ("s" + std::to_string(step)));
  fs::create_directories(dir.path() / "pitch");
  write(dir.path() / "scores.csv", "model,task,score\n");
  write(dir.path() / "s.toml", R"(
[study]
[[models]]
name = "mel"
[[models]]
name = "ck"
kind = "checkpoints"
model = "hf:ck/s*"
[[datasets]]
name = "nh2015comp"
[[analyses]]
analysis = "components"
[[tasks]]
path = "pitch"
protocol = "hear2021"
[[tasks]]
name = "esc50"
scores = "scores.csv"
)");
  const study::Study s = study::load_study(dir.path() / "s.toml");
  study::ResultsStore store(study::results_store_path(s));
  EXPECT_TRUE(store.write_task_unit(task_record("mel", "", -1, "hear2021", 0.75)));
  EXPECT_FALSE(store.write_task_unit(task_record("mel", "", -1, "hear2021", 0.1)));
  EXPECT_TRUE(store.write_task_unit(task_record("mel", "", -1, "pepino2025", 0.2)));
  EXPECT_TRUE(store.write_task_unit(task_record("ck", "s40", 40, "hear2021", 0.5)));
  EXPECT_TRUE(store.write_task_unit(task_record("ck", "s5", 5, "hear2021", 0.3)));
  store.write_downstream({{"mel", "esc50", 0.9, "scores.csv"}, {"mel", "pitch", 0.01, "old"}});
  EXPECT_EQ(store.completed_task_units().size(), 4u);
  const auto units = store.task_units();
  ASSERT_EQ(units.size(), 4u);
  EXPECT_EQ(units[0].unit.key(), "ck|s40|pitch|hear2021");
  EXPECT_EQ(units[0].unit.step, 40);
  EXPECT_EQ(units[2].score, 0.75);
  EXPECT_EQ(units[2].seed, 5u);
  EXPECT_EQ(units[2].summary_json, "{\"score\": 1}");

  // CSV scores of CSV tasks; for the computed task each model's last checkpoint under the
  // task's protocol (the stale CSV row and the other protocol's unit are left out).
  const auto scores = study::performance_scores(s, store);
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_EQ(scores[0].model, "ck");
  EXPECT_EQ(scores[0].score, 0.5);
  EXPECT_EQ(scores[0].source, "computed: ck|s40|pitch|hear2021");
  EXPECT_EQ(scores[1].task, "esc50");
  EXPECT_EQ(scores[2].task, "pitch");
  EXPECT_EQ(scores[2].score, 0.75);
}

TEST(ResultsStore, UpgradesVersionOneAndRefusesOthers) {
  const testing::ScratchDir dir;
  const fs::path file = dir.path() / "results.sqlite";
  const auto exec = [&](const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
    sqlite3_close(db);
  };
  {
    study::ResultsStore store(file);
    EXPECT_TRUE(store.write_unit(record("a", 0.5)));
  }
  // As version 1 left it: no task_units table.
  exec("DROP TABLE task_units; UPDATE meta SET value = '1' WHERE key = 'schema_version'");
  {
    study::ResultsStore store(file);
    EXPECT_EQ(store.completed_units().size(), 1u);
    EXPECT_TRUE(store.write_task_unit(task_record("a", "", -1, "hear2021", 0.5)));
  }
  exec("UPDATE meta SET value = '3' WHERE key = 'schema_version'");
  try {
    study::ResultsStore store(file);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 3"), std::string::npos) << e.what();
  }
  exec("UPDATE meta SET value = '1' WHERE key = 'schema_version'");
  study::ResultsStore store(file);  // task_units already there: the upgrade only records it
  EXPECT_EQ(store.task_units().size(), 1u);
}

TEST(ResultRows, OverallSubjectsComponentsAndLayers) {
  protocols::ScoreSummary summary;
  summary.value = 0.4;
  summary.sem = std::nan("");
  summary.best_layer = "l2";
  summary.per_subject = {{"s1", 0.3}};
  summary.per_layer = {{"l1", 0.1}, {"l2", 0.4}};
  const auto rows = study::result_rows(summary);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].level, "overall");
  EXPECT_EQ(rows[0].layer, "l2");
  EXPECT_TRUE(std::isnan(rows[0].sem));
  EXPECT_EQ(rows[1].target, "s1");
  EXPECT_EQ(rows[3].layer, "l2");
  EXPECT_EQ(rows[3].value, 0.4);
}

TEST(SavitzkyGolay, MatchesScipyInterpMode) {
  PythonExchange py;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise;
  const int lengths[] = {10, 11, 23, 100};
  const std::pair<int, int> filters[] = {{10, 3}, {9, 3}, {5, 2}};
  std::vector<std::vector<double>> curves;
  std::string code = "from scipy.signal import savgol_filter\n";
  for (int n : lengths) {
    Matrix x(1, n);
    for (int i = 0; i < n; ++i) x(0, i) = std::sin(i / 7.0) + 0.3 * noise(rng);
    const std::string name = "x" + std::to_string(n);
    py.put(name + ".f8", x);
    curves.emplace_back(x.data(), x.data() + n);
    for (auto [w, p] : filters)
      if (w <= n)
        code += "savgol_filter(np.fromfile('" + name + ".f8'), " + std::to_string(w) + ", " +
                std::to_string(p) + ", mode='interp').tofile('" + name + "_" + std::to_string(w) +
                ".f8')\n";
  }
  py.run(code);
  for (size_t c = 0; c < curves.size(); ++c) {
    const int n = lengths[c];
    for (auto [w, p] : filters) {
      if (w > n) continue;
      const Matrix expected =
          py.get("x" + std::to_string(n) + "_" + std::to_string(w) + ".f8", 1, n);
      const auto got = study::savgol_filter(curves[c], w, p);
      for (int i = 0; i < n; ++i)
        EXPECT_NEAR(got[static_cast<size_t>(i)], expected(0, i), 1e-10)
            << n << " " << w << " " << i;
    }
  }
  EXPECT_THROW(study::savgol_filter(std::vector<double>(5, 1.0), 10, 3), InputError);
}

TEST(AlignmentPerformance, OverallScoresHolmAndCorrelationsMatchScipy) {
  PythonExchange py;
  Matrix scores(4, 2);
  scores << 0.5, 10, 0.7, 30, 0.6, 20, 0.9, 25;
  const Vector overall = hear::overall_scores(scores);
  Matrix a(1, 6), b(1, 6);
  a << 0.1, 0.4, 0.35, 0.8, 0.5, 0.2;
  b << -1.2, 0.3, 0.1, 1.5, 0.2, -0.4;
  py.put("a.f8", a);
  py.put("b.f8", b);
  py.run(
      "from scipy import stats\nS = np.array([[0.5, 10], [0.7, 30], [0.6, 20], [0.9, 25]])\n"
      "stats.zscore(S, axis=0, ddof=1).mean(axis=1).tofile('overall.f8')\n"
      "a = np.fromfile('a.f8'); b = np.fromfile('b.f8')\n"
      "r = stats.pearsonr(a, b); s = stats.spearmanr(a, b)\n"
      "np.array([r[0], r[1], s[0], s[1]]).tofile('r.f8')\n");
  const Matrix expected = py.get("overall.f8", 1, 4);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(overall(i), expected(0, i), 1e-12);
  const std::vector<double> av(a.data(), a.data() + 6), bv(b.data(), b.data() + 6);
  const study::CorrelationCell c = study::correlate(av, bv, 500, 500, 11);
  const Matrix r = py.get("r.f8", 1, 4);
  EXPECT_NEAR(c.r, r(0, 0), 1e-12);
  EXPECT_NEAR(c.p, r(0, 1), 1e-10);
  EXPECT_NEAR(c.rho, r(0, 2), 1e-12);
  EXPECT_NEAR(c.rho_p, r(0, 3), 1e-10);
  EXPECT_EQ(c.n, 6);
  EXPECT_LE(c.ci_low, c.r);
  EXPECT_GE(c.ci_high, c.r);
  EXPECT_GT(c.permutation_p, 0.0);
  EXPECT_LT(c.permutation_p, 0.1);
  const study::CorrelationCell again = study::correlate(av, bv, 500, 500, 11);
  EXPECT_EQ(again.ci_low, c.ci_low);
  EXPECT_EQ(again.permutation_p, c.permutation_p);

  // Holm: sorted 0.01, 0.02, 0.03, 0.04 -> 0.04, 0.06, 0.06, 0.06; NaN untouched.
  const auto h = study::holm_adjust({0.03, 0.01, std::nan(""), 0.04, 0.02});
  EXPECT_NEAR(h[1], 0.04, 1e-15);
  EXPECT_NEAR(h[4], 0.06, 1e-15);
  EXPECT_NEAR(h[0], 0.06, 1e-15);
  EXPECT_NEAR(h[3], 0.06, 1e-15);
  EXPECT_TRUE(std::isnan(h[2]));
}

TEST(ChartLibraries, BundledAtTheVersionsPackageJsonPins) {
  const auto& libraries = report::chart_libraries();
  if (libraries.empty()) GTEST_SKIP() << "built without the chart libraries (no npm)";
  std::ifstream in(fs::path(BRAINALIGN_TEST_DIR) / ".." / "src" / "report" / "package.json");
  const auto pinned = nlohmann::json::parse(in).at("dependencies");
  ASSERT_EQ(libraries.size(), 3u);
  const char* names[] = {"vega", "vega-lite", "vega-embed"};  // in load order
  for (size_t i = 0; i < 3; ++i) {
    const report::ChartLibrary& l = libraries[i];
    EXPECT_EQ(l.name, names[i]);
    EXPECT_EQ(l.version, pinned.at(l.name).get<std::string>()) << l.name;
    EXPECT_EQ(l.license, "BSD-3-Clause") << l.name;
    EXPECT_NE(l.license_text.find("Redistribution and use in source and binary forms"),
              std::string::npos)
        << l.name;
    EXPECT_GT(l.code.size(), 10000u) << l.name;
    EXPECT_EQ(l.code.find('\0'), std::string::npos) << l.name;
  }
  // Each build defines its global: vega, vegaLite, vegaEmbed.
  EXPECT_NE(libraries[0].code.find(".vega={}"), std::string::npos);
  EXPECT_NE(libraries[1].code.find("vegaLite"), std::string::npos);
  EXPECT_NE(libraries[2].code.find("vegaEmbed"), std::string::npos);
}

// A published checkpoint's name stays a name (fetched when the model first runs), unless a path
// beside the study file is spelled the same; 'layers' takes a study, 'all' or layer names.
TEST(StudyFile, PublishedModelNamesAndLayers) {
  const testing::ScratchDir dir;
  const auto study_with = [&](const std::string& model) {
    write(dir.path() / "s.toml", "[study]\n[[models]]\nname = \"m\"\nmodel = \"" + model +
                                     "\"\nlayers = \"pepino2025\"\n[[datasets]]\nname = "
                                     "\"comp\"\nsource = \"nh2015comp\"\n[[analyses]]\n"
                                     "analysis = \"components\"\n");
    return study::load_study(dir.path() / "s.toml");
  };
  study::Study s = study_with("beats:iter3");
  EXPECT_EQ(s.models[0].registry_name, "beats:iter3");
  EXPECT_EQ(s.models[0].layers, "pepino2025");
  EXPECT_EQ(study_with("beats:other.pt").models[0].registry_name,
            "beats:" + (dir.path() / "other.pt").string());
  write(dir.path() / "iter3", "a file spelled like the name");
  EXPECT_EQ(study_with("beats:iter3").models[0].registry_name,
            "beats:" + (dir.path() / "iter3").string());
  write(dir.path() / "bad.toml",
        "[study]\n[[models]]\nname = \"m\"\nlayers = [\"a,b\"]\n[[datasets]]\nname = "
        "\"comp\"\nsource = \"nh2015comp\"\n[[analyses]]\nanalysis = \"components\"\n");
  EXPECT_THROW(study::load_study(dir.path() / "bad.toml"), InputError);
}

// A registered HEAR task in a study file: its folder under the data root, fetched when the study
// first needs it; an unknown name is refused with the registered ones.
TEST(StudyFile, RegisteredHearTasks) {
  const testing::ScratchDir dir;
  const std::string head =
      "[study]\n[[models]]\nname = \"mel\"\n[[datasets]]\nname = \"comp\"\nsource = "
      "\"nh2015comp\"\n[[analyses]]\nanalysis = \"components\"\n";
  write(dir.path() / "s.toml", head + "[[tasks]]\npath = \"hear:esc50\"\n");
  const study::Study s = study::load_study(dir.path() / "s.toml");
  ASSERT_EQ(s.tasks.size(), 1u);
  EXPECT_EQ(s.tasks[0].name, "esc50");
  EXPECT_EQ(s.tasks[0].registered, "hear:esc50");
  EXPECT_EQ(s.tasks[0].path, data::data_root() / "hear" / "esc50-v2.0.0-full");
  EXPECT_TRUE(s.tasks[0].computed());
  write(dir.path() / "s.toml", head + "[[tasks]]\npath = \"hear:esc51\"\n");
  try {
    study::load_study(dir.path() / "s.toml");
    FAIL() << "hear:esc51 is not registered";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown data set 'hear:esc51'"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("hear:esc50"), std::string::npos) << e.what();
  }
}

// 'analyses' and 'tasks' of a model choose what it takes part in (a checkpoint series only in
// the dynamics' analysis, say); names that are no analysis or task of the study are refused.
TEST(StudyFile, ModelsChooseTheirAnalysesAndTasks) {
  const testing::ScratchDir dir;
  fs::create_directories(dir.path() / "task");
  const auto study_with = [&](const std::string& keys) {
    write(dir.path() / "s.toml",
          "[study]\n[[models]]\nname = \"mel\"\n[[models]]\nname = \"mfcc\"\n" + keys +
              "[[datasets]]\nname = \"comp\"\nsource = \"nh2015comp\"\n[[datasets]]\nname = "
              "\"vox\"\nsource = \"nh2015\"\n[[analyses]]\nanalysis = \"components\"\n"
              "[[analyses]]\nanalysis = \"rsa\"\nrsa_method = \"layerwise\"\n"
              "[[analyses]]\nanalysis = \"voxelwise\"\n[[tasks]]\nname = \"t\"\npath = \"task\"\n");
    return study::load_study(dir.path() / "s.toml");
  };
  const auto count = [](const std::vector<study::WorkUnit>& units, const std::string& model) {
    return std::count_if(units.begin(), units.end(),
                         [&](const study::WorkUnit& u) { return u.model == model; });
  };
  study::Study s = study_with("");
  auto units = study::plan_units(s, {true, false});
  EXPECT_EQ(count(units, "mel"), 3);  // components of comp; RSA and voxel-wise of vox
  EXPECT_EQ(study::plan_task_units(s).size(), 2u);
  s = study_with("analyses = [\"rsa-layerwise\"]\ntasks = []\n");
  units = study::plan_units(s, {true, false});
  EXPECT_EQ(count(units, "mel"), 3);
  ASSERT_EQ(count(units, "mfcc"), 1);
  for (const auto& u : units) {
    if (u.model == "mfcc") {
      EXPECT_EQ(u.analysis, "rsa-layerwise");
    }
  }
  const auto tasks = study::plan_task_units(s);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].model, "mel");
  for (const std::string keys : {"analyses = [\"rsa\"]\n", "tasks = [\"u\"]\n"}) {
    try {
      study_with(keys);
      FAIL() << keys;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("[[models]] #2"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("which is no"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace brainalign
