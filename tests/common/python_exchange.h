// Runs an independent reference (Debian's python3 with numpy, scipy, scikit-learn) on arrays
// written by a test, and reads its arrays back. Arrays travel as raw little-endian float64.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "brainalign/matrix.h"

namespace brainalign::testing {

class PythonExchange {
 public:
  PythonExchange() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("brainalign-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
  }
  ~PythonExchange() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PythonExchange(const PythonExchange&) = delete;
  PythonExchange& operator=(const PythonExchange&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

  // Row-major values, readable in Python as np.fromfile(name, '<f8').reshape(rows, cols).
  void put(const std::string& name, const Matrix& m) const {
    std::ofstream f(dir_ / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(m.data()),
            static_cast<std::streamsize>(m.size() * sizeof(double)));
  }
  Matrix get(const std::string& name, Eigen::Index rows, Eigen::Index cols) const {
    Matrix m(rows, cols);
    std::ifstream f(dir_ / name, std::ios::binary);
    f.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(m.size() * sizeof(double)));
    if (!f) throw std::runtime_error("reference output missing or short: " + name);
    return m;
  }
  // Runs `code` with the working directory set to the exchange folder; numpy is imported as np.
  void run(const std::string& code) const {
    const auto script = dir_ / "reference.py";
    std::ofstream(script) << "import os, sys\nimport numpy as np\nos.chdir(sys.argv[1])\n" << code;
    const std::string cmd = std::string(BRAINALIGN_PYTHON) + " " + script.string() + " " + dir_.string();
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("reference script failed: " + script.string());
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace brainalign::testing
