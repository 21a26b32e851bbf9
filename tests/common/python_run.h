// Test support: runs the project's Python (Debian's python3 with numpy, scipy, scikit-learn,
// h5py) as an independent reference, or to write inputs for the readers and check what the
// writers produced.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/command_run.h"

namespace brainalign::testing {

// Runs `script` with `arguments` in `folder` (its working directory), writing no bytecode
// beside the script. Succeeds when the script exits with status 0, and otherwise reports the
// command and the script's output.
inline ::testing::AssertionResult run_python_file(const std::filesystem::path& folder,
                                                  const std::filesystem::path& script,
                                                  const std::vector<std::string>& arguments = {}) {
  std::vector<std::string> command{"env", "-C",           folder.string(), BRAINALIGN_PYTHON,
                                   "-B",  script.string()};
  command.insert(command.end(), arguments.begin(), arguments.end());
  const CommandResult result = run_command(command);
  if (result.status == 0) return ::testing::AssertionSuccess();
  std::string line;
  for (const auto& part : command) line += part + " ";
  return ::testing::AssertionFailure()
         << "Python failed (status " << result.status << "): " << line << "\n--- output ---\n"
         << result.output;
}

// Runs `code`, with numpy imported as np, in `folder`.
inline ::testing::AssertionResult run_python(const std::filesystem::path& folder,
                                             const std::string& code) {
  const auto script = folder / "snippet.py";
  std::ofstream(script) << "import numpy as np\n" << code << "\n";
  ::testing::AssertionResult result = run_python_file(folder, script);
  std::filesystem::remove(script);
  if (!result) result << "\n--- snippet ---\n" << code;
  return result;
}

}  // namespace brainalign::testing
