// Runs an independent reference (Debian's python3 with numpy, scipy, scikit-learn) on arrays
// written by a test, and reads its arrays back. Arrays travel as raw little-endian float64.
#pragma once

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "brainalign/base/matrix.h"
#include "common/python_run.h"
#include "common/scratch_dir.h"

namespace brainalign::testing {

class PythonExchange {
 public:
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Row-major values, readable in Python as np.fromfile(name, '<f8').reshape(rows, cols).
  void put(const std::string& name, const Matrix& m) const {
    std::ofstream f(dir() / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(m.data()),
            static_cast<std::streamsize>(m.size() * sizeof(double)));
  }
  Matrix get(const std::string& name, Eigen::Index rows, Eigen::Index cols) const {
    Matrix m(rows, cols);
    std::ifstream f(dir() / name, std::ios::binary);
    f.read(reinterpret_cast<char*>(m.data()),
           static_cast<std::streamsize>(m.size() * sizeof(double)));
    if (!f) throw std::runtime_error("reference output missing or short: " + name);
    return m;
  }
  // Runs `code` in the exchange folder; numpy is imported as np, os and sys too.
  void run(const std::string& code) const {
    const auto result = run_python(dir(), "import os, sys\n" + code);
    if (!result) throw std::runtime_error(result.message());
  }

 private:
  ScratchDir dir_;
};

}  // namespace brainalign::testing
