// Test support for the readers: hand-made malformed files, and checks on error messages. The
// scratch folder and the Python runner come from tests/common.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/python_run.h"
#include "common/scratch_dir.h"

namespace brainalign::io::testing {

using brainalign::testing::run_python;
using brainalign::testing::ScratchDir;

// Writes raw bytes to a file, for hand-made malformed inputs.
inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Whether `text` contains `part`, showing the text when it does not.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

}  // namespace brainalign::io::testing
