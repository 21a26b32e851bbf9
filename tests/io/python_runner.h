// Test support: a scratch folder, and Python snippets (numpy, scipy, h5py) run inside it to
// write inputs for the readers or to check what the writers produced.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace brainalign::io::testing {

// A fresh folder under the test temp directory, removed with its content at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device device;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string name =
        std::string(info != nullptr ? info->name() : "scratch") + "_" + std::to_string(device());
    path_ = std::filesystem::path(::testing::TempDir()) / ("brainalign_io_" + name);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs `code` with the project's Python (numpy, scipy, h5py) in `folder`; succeeds when the
// script exits with status 0, and otherwise reports the script's output.
inline ::testing::AssertionResult run_python(const std::filesystem::path& folder,
                                             const std::string& code) {
  const auto script = folder / "snippet.py";
  {
    std::ofstream out(script);
    out << "import numpy as np\n" << code << "\n";
  }
  const std::string command =
      "cd '" + folder.string() + "' && '" BRAINALIGN_PYTHON "' '" + script.string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return ::testing::AssertionFailure() << "cannot start " << command;
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    output += buffer.data();
  }
  const int status = ::pclose(pipe);
  std::filesystem::remove(script);
  if (status != 0) {
    return ::testing::AssertionFailure() << "Python snippet failed (status " << status << "):\n"
                                         << code << "\n--- output ---\n"
                                         << output;
  }
  return ::testing::AssertionSuccess();
}

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
