// Test support: runs a command line (the brainalign CLI, a Python script) and returns its exit
// status with its standard output and error together, and reads a written .npz back.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "brainalign/io/npz.h"

namespace brainalign::testing {

struct CommandResult {
  int status = -1;  // the exit code; -1 when the command could not run or was killed
  std::string output;
};

// Arguments are single-quoted for the shell (none may contain a quote).
inline CommandResult run_command(const std::vector<std::string>& arguments) {
  std::string line;
  for (const auto& argument : arguments) line += "'" + argument + "' ";
  line += "2>&1";
  CommandResult result;
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    result.output += buffer.data();
  }
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The arrays of a .npz by name, with the order of the archive's members.
struct NpzContents {
  std::vector<std::string> names;
  std::map<std::string, io::NpyArray> arrays;
};

inline NpzContents read_npz_contents(const std::filesystem::path& path) {
  NpzContents contents;
  for (auto& [name, array] : io::read_npz(path)) {
    contents.names.push_back(name);
    contents.arrays.emplace(name, std::move(array));
  }
  return contents;
}

}  // namespace brainalign::testing
