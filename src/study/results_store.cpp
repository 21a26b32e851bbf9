#include "brainalign/study/results_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <thread>

#include "brainalign/base/error.h"

namespace brainalign::study {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (
  unit_key TEXT PRIMARY KEY, model TEXT NOT NULL, checkpoint TEXT NOT NULL,
  step INTEGER NOT NULL, dataset TEXT NOT NULL, analysis TEXT NOT NULL,
  protocol TEXT NOT NULL, roi TEXT NOT NULL, brainalign_version TEXT NOT NULL,
  seed INTEGER NOT NULL, features_sha256 TEXT NOT NULL, dataset_sha256 TEXT NOT NULL,
  options_json TEXT NOT NULL, summary_json TEXT NOT NULL, seconds REAL NOT NULL,
  rank INTEGER NOT NULL, finished_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
  unit_key TEXT NOT NULL REFERENCES units(unit_key), model TEXT NOT NULL,
  checkpoint TEXT NOT NULL, step INTEGER NOT NULL, layer TEXT NOT NULL,
  dataset TEXT NOT NULL, analysis TEXT NOT NULL, protocol TEXT NOT NULL, roi TEXT NOT NULL,
  level TEXT NOT NULL, target TEXT NOT NULL, value REAL, sem REAL,
  UNIQUE (unit_key, level, target, layer));
CREATE TABLE IF NOT EXISTS downstream (
  model TEXT NOT NULL, task TEXT NOT NULL, score REAL NOT NULL, source TEXT NOT NULL,
  PRIMARY KEY (model, task));
CREATE TABLE IF NOT EXISTS task_units (
  unit_key TEXT PRIMARY KEY, model TEXT NOT NULL, checkpoint TEXT NOT NULL,
  step INTEGER NOT NULL, task TEXT NOT NULL, protocol TEXT NOT NULL, metric TEXT NOT NULL,
  score REAL, brainalign_version TEXT NOT NULL, seed INTEGER NOT NULL,
  model_id TEXT NOT NULL, task_sha256 TEXT NOT NULL, options_json TEXT NOT NULL,
  summary_json TEXT NOT NULL, seconds REAL NOT NULL, rank INTEGER NOT NULL,
  finished_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (
  unit_key TEXT PRIMARY KEY, kind TEXT NOT NULL, message TEXT NOT NULL, rank INTEGER NOT NULL,
  failed_at TEXT NOT NULL);
)sql";

// How long a process waits for the others sharing the store (MPI ranks, a second run).
constexpr std::chrono::seconds kLockWait{600};

// SQLite's busy handler waits for other processes' locks, but SQLite skips it where waiting
// could deadlock, and while another process initialises or recovers the WAL index; under load
// two ranks opening one store then see "database is locked". Those results are waited out here
// too: true (after a short sleep) while `deadline` has not passed.
bool wait_if_busy(int rc, std::chrono::steady_clock::time_point deadline, int attempt) {
  const int primary = rc & 0xFF;
  if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
      std::chrono::steady_clock::now() >= deadline) {
    return false;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(200, 5 << std::min(attempt, 6))));
  return true;
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& file) : db_(db), file_(file) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
      throw IoError(file + ": " + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    if (std::isfinite(v))
      sqlite3_bind_double(stmt_, i, v);
    else
      sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // True while there is a row. A store busy before the first row is waited for.
  bool step() {
    const auto deadline = std::chrono::steady_clock::now() + kLockWait;
    for (int attempt = 0;; ++attempt) {
      const int rc = sqlite3_step(stmt_);
      if (rc == SQLITE_ROW) {
        ++rows_;
        return true;
      }
      if (rc == SQLITE_DONE) return false;
      if (rows_ == 0 && wait_if_busy(rc, deadline, attempt)) {
        sqlite3_reset(stmt_);
        continue;
      }
      throw IoError(file_ + ": " + sqlite3_errmsg(db_));
    }
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    rows_ = 0;
  }
  std::string text(int i) const {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  }
  std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  double real(int i) const {
    return sqlite3_column_type(stmt_, i) == SQLITE_NULL ? std::nan("")
                                                        : sqlite3_column_double(stmt_, i);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string file_;
  std::size_t rows_ = 0;
};

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The provenance columns units and task units share, selected as columns 7, 8 and 11 to 14:
// brainalign_version, seed, options_json, summary_json, seconds, rank.
template <class Record>
void read_provenance(const Statement& s, Record& record) {
  record.brainalign_version = s.text(7);
  record.seed = static_cast<std::uint64_t>(s.integer(8));
  record.options_json = s.text(11);
  record.summary_json = s.text(12);
  record.seconds = s.real(13);
  record.rank = static_cast<int>(s.integer(14));
}

WorkUnit unit_from(const Statement& s, int first) {
  WorkUnit u;
  u.model = s.text(first);
  u.checkpoint = s.text(first + 1);
  u.step = s.integer(first + 2);
  u.dataset = s.text(first + 3);
  u.analysis = s.text(first + 4);
  u.protocol = s.text(first + 5);
  u.roi = s.text(first + 6);
  return u;
}

}  // namespace

std::filesystem::path results_store_path(const Study& study) {
  return study.output / "results.sqlite";
}

ResultsStore::ResultsStore(const std::filesystem::path& file) : file_(file) {
  if (!file.parent_path().empty()) std::filesystem::create_directories(file.parent_path());
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw IoError(file.string() + ": cannot open the results store: " + msg);
  }
  // Several processes may share the store (MPI ranks): wait for each other's locks.
  sqlite3_busy_timeout(db_, static_cast<int>(kLockWait.count() * 1000));
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("BEGIN IMMEDIATE");
    exec(kSchema);
    std::string v;
    {
      Statement get(db_, "SELECT value FROM meta WHERE key = 'schema_version'", file_.string());
      if (get.step()) v = get.text(0);
    }
    if (!v.empty()) {
      if (v == "1") {
        // Version 2 only adds task_units (made above by the schema): record the upgrade.
        exec("UPDATE meta SET value = '" + std::to_string(kResultsSchemaVersion) +
             "' WHERE key = 'schema_version'");
      } else if (v != std::to_string(kResultsSchemaVersion)) {
        exec("ROLLBACK");
        throw InputError(file_.string() + ": results store schema version " + v +
                         ", this brainalign reads version " +
                         std::to_string(kResultsSchemaVersion));
      }
    } else {
      Statement put(db_, "INSERT INTO meta (key, value) VALUES (?, ?)", file_.string());
      put.bind(1, std::string("schema_version"))
          .bind(2, std::to_string(kResultsSchemaVersion))
          .step();
      put.reset();
      put.bind(1, std::string("created_by"))
          .bind(2, std::string("brainalign " BRAINALIGN_VERSION))
          .step();
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    throw;
  }
}

ResultsStore::~ResultsStore() { sqlite3_close(db_); }

void ResultsStore::exec(const std::string& sql) const {
  const auto deadline = std::chrono::steady_clock::now() + kLockWait;
  for (int attempt = 0;; ++attempt) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return;
    const std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    if (!wait_if_busy(rc, deadline, attempt)) throw IoError(file_.string() + ": " + msg);
  }
}

std::set<std::string> ResultsStore::completed_units() const {
  std::set<std::string> out;
  Statement s(db_, "SELECT unit_key FROM units", file_.string());
  while (s.step()) out.insert(s.text(0));
  return out;
}

bool ResultsStore::write_unit(const UnitRecord& r) {
  exec("BEGIN IMMEDIATE");
  try {
    const std::string key = r.unit.key();
    {
      Statement exists(db_, "SELECT 1 FROM units WHERE unit_key = ?", file_.string());
      exists.bind(1, key);
      if (exists.step()) {
        exec("ROLLBACK");
        return false;
      }
    }
    Statement unit(db_,
                   "INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   file_.string());
    const WorkUnit& u = r.unit;
    unit.bind(1, key).bind(2, u.model).bind(3, u.checkpoint).bind(4, u.step).bind(5, u.dataset);
    unit.bind(6, u.analysis).bind(7, u.protocol).bind(8, u.roi).bind(9, r.brainalign_version);
    unit.bind(10, static_cast<std::int64_t>(r.seed)).bind(11, r.features_sha256);
    unit.bind(12, r.dataset_sha256).bind(13, r.options_json).bind(14, r.summary_json);
    unit.bind(15, r.seconds).bind(16, static_cast<std::int64_t>(r.rank)).bind(17, now_utc());
    unit.step();
    Statement row(db_, "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  file_.string());
    for (const auto& x : r.rows) {
      row.bind(1, key).bind(2, u.model).bind(3, u.checkpoint).bind(4, u.step).bind(5, x.layer);
      row.bind(6, u.dataset).bind(7, u.analysis).bind(8, u.protocol).bind(9, u.roi);
      row.bind(10, x.level).bind(11, x.target).bind(12, x.value).bind(13, x.sem);
      row.step();
      row.reset();
    }
    clear_failure(key);
    exec("COMMIT");
    return true;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void ResultsStore::write_downstream(const std::vector<DownstreamScore>& scores) {
  exec("BEGIN IMMEDIATE");
  try {
    Statement put(db_, "INSERT OR REPLACE INTO downstream VALUES (?, ?, ?, ?)", file_.string());
    for (const auto& s : scores) {
      put.bind(1, s.model).bind(2, s.task).bind(3, s.score).bind(4, s.source);
      put.step();
      put.reset();
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::set<std::string> ResultsStore::completed_task_units() const {
  std::set<std::string> out;
  Statement s(db_, "SELECT unit_key FROM task_units", file_.string());
  while (s.step()) out.insert(s.text(0));
  return out;
}

bool ResultsStore::write_task_unit(const TaskRecord& r) {
  exec("BEGIN IMMEDIATE");
  try {
    const std::string key = r.unit.key();
    {
      Statement exists(db_, "SELECT 1 FROM task_units WHERE unit_key = ?", file_.string());
      exists.bind(1, key);
      if (exists.step()) {
        exec("ROLLBACK");
        return false;
      }
    }
    Statement put(db_,
                  "INSERT INTO task_units VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  file_.string());
    const TaskUnit& u = r.unit;
    put.bind(1, key).bind(2, u.model).bind(3, u.checkpoint).bind(4, u.step).bind(5, u.task);
    put.bind(6, u.protocol).bind(7, r.metric).bind(8, r.score).bind(9, r.brainalign_version);
    put.bind(10, static_cast<std::int64_t>(r.seed)).bind(11, r.model_id);
    put.bind(12, r.task_sha256).bind(13, r.options_json).bind(14, r.summary_json);
    put.bind(15, r.seconds).bind(16, static_cast<std::int64_t>(r.rank)).bind(17, now_utc());
    put.step();
    clear_failure(key);
    exec("COMMIT");
    return true;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void ResultsStore::clear_failure(const std::string& unit_key) {
  Statement drop(db_, "DELETE FROM failures WHERE unit_key = ?", file_.string());
  drop.bind(1, unit_key);
  drop.step();
}

void ResultsStore::write_failure(const UnitFailure& failure) {
  exec("BEGIN IMMEDIATE");
  try {
    Statement put(db_, "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?)", file_.string());
    put.bind(1, failure.unit_key).bind(2, failure.kind).bind(3, failure.message);
    put.bind(4, static_cast<std::int64_t>(failure.rank)).bind(5, now_utc());
    put.step();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<UnitFailure> ResultsStore::failures() const {
  std::vector<UnitFailure> out;
  Statement s(db_, "SELECT unit_key, kind, message, rank FROM failures ORDER BY unit_key",
              file_.string());
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), static_cast<int>(s.integer(3))});
  }
  return out;
}

std::vector<TaskRecord> ResultsStore::task_units() const {
  std::vector<TaskRecord> out;
  Statement s(db_,
              "SELECT model, checkpoint, step, task, protocol, metric, score, "
              "brainalign_version, seed, model_id, task_sha256, options_json, summary_json, "
              "seconds, rank FROM task_units ORDER BY unit_key",
              file_.string());
  while (s.step()) {
    TaskRecord r;
    r.unit = {s.text(0), s.text(1), s.integer(2), s.text(3), s.text(4)};
    r.metric = s.text(5);
    r.score = s.real(6);
    read_provenance(s, r);
    r.model_id = s.text(9);
    r.task_sha256 = s.text(10);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<UnitRecord> ResultsStore::units() const {
  std::vector<UnitRecord> out;
  Statement s(db_,
              "SELECT model, checkpoint, step, dataset, analysis, protocol, roi, "
              "brainalign_version, seed, features_sha256, dataset_sha256, options_json, "
              "summary_json, seconds, rank FROM units ORDER BY unit_key",
              file_.string());
  while (s.step()) {
    UnitRecord r;
    r.unit = unit_from(s, 0);
    read_provenance(s, r);
    r.features_sha256 = s.text(9);
    r.dataset_sha256 = s.text(10);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<TidyResult> ResultsStore::results() const {
  std::vector<TidyResult> out;
  Statement s(db_,
              "SELECT model, checkpoint, step, dataset, analysis, protocol, roi, level, target, "
              "layer, value, sem FROM results ORDER BY unit_key, level, target, layer",
              file_.string());
  while (s.step()) {
    TidyResult t;
    t.unit = unit_from(s, 0);
    t.row.level = s.text(7);
    t.row.target = s.text(8);
    t.row.layer = s.text(9);
    t.row.value = s.real(10);
    t.row.sem = s.real(11);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<DownstreamScore> ResultsStore::downstream() const {
  std::vector<DownstreamScore> out;
  Statement s(db_, "SELECT model, task, score, source FROM downstream ORDER BY model, task",
              file_.string());
  while (s.step()) out.push_back({s.text(0), s.text(1), s.real(2), s.text(3)});
  return out;
}

}  // namespace brainalign::study