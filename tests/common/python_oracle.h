// Runs an oracle script (a path under tests/) on a JSON input and returns its JSON output, so
// that C++ results can be checked against numpy / scipy computing the same thing. The scripts
// import oracle_io from this folder.
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/command_run.h"
#include "common/scratch_dir.h"

namespace brainalign::testing {

inline nlohmann::json run_python_oracle(const std::string& script, const nlohmann::json& input) {
  const ScratchDir dir;
  std::ofstream(dir / "in.json") << input.dump();
  const std::string tests = BRAINALIGN_TEST_DIR;
  const CommandResult result = run_command(
      {"env", "-C", dir.path().string(), "PYTHONPATH=" + tests + "/common", BRAINALIGN_PYTHON, "-B",
       tests + "/" + script, (dir / "in.json").string(), (dir / "out.json").string()});
  if (result.status != 0) {
    throw std::runtime_error("python oracle " + script + " failed (status " +
                             std::to_string(result.status) + "):\n" + result.output);
  }
  std::ifstream in(dir / "out.json");
  return nlohmann::json::parse(in);
}

// A JSON number, or NaN for null (the oracle writes NaN as null).
inline double json_double(const nlohmann::json& value) {
  return value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>();
}

inline std::vector<double> json_doubles(const nlohmann::json& values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(json_double(v));
  return out;
}

// |actual - expected| <= tolerance * max(|expected|, floor); NaN matches NaN only.
inline bool close_relative(double actual, double expected, double tolerance,
                           double floor = 1e-300) {
  if (std::isnan(expected) || std::isnan(actual)) return std::isnan(expected) && std::isnan(actual);
  return std::abs(actual - expected) <= tolerance * std::max(std::abs(expected), floor);
}

}  // namespace brainalign::testing

namespace brainalign::testing {

inline nlohmann::json matrix_json(
    const Eigen::Ref<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>&
        m) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      const double v = m(i, j);
      row.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace brainalign::testing
