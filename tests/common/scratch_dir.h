// Test support: a fresh folder for the files one test writes, removed with its content when
// the test ends.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace brainalign::testing {

// A new folder under the test temp directory, named after the running test.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device device;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info != nullptr ? info->name() : "scratch") + "_" +
                       std::to_string(device()) + std::to_string(device());
    // A parameterized test's name ("Case/param") must stay one folder.
    std::replace(name.begin(), name.end(), '/', '_');
    path_ = std::filesystem::path(::testing::TempDir()) / ("brainalign_" + name);
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

}  // namespace brainalign::testing
