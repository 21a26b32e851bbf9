// Runs a Python script of this folder on a JSON input and returns its JSON output, so that C++
// results can be checked against numpy / scipy computing the same thing.
#pragma once

#include <unistd.h>

#include <Eigen/Dense>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace brainalign::testing {

inline nlohmann::json run_python_oracle(const std::string& script, const nlohmann::json& input) {
  static std::atomic<int> counter{0};
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("brainalign_oracle_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  const std::filesystem::path in_path = dir / "in.json";
  const std::filesystem::path out_path = dir / "out.json";
  {
    std::ofstream out(in_path);
    out << input.dump();
  }
  const std::string command = std::string(BRAINALIGN_PYTHON) + " -B " + BRAINALIGN_TEST_DIR +
                              "/align/" + script + " " + in_path.string() + " " + out_path.string();
  const int status = std::system(command.c_str());
  if (status != 0) {
    std::filesystem::remove_all(dir);
    throw std::runtime_error("python oracle failed: " + command);
  }
  std::ifstream in(out_path);
  nlohmann::json output = nlohmann::json::parse(in);
  std::filesystem::remove_all(dir);
  return output;
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
