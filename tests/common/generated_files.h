// Test support: the files a Python generator script writes (tiny models of a family, the
// reference code's outputs for them) for a test suite to read, in a scratch folder of the suite.
//
// CTest runs each test of a suite in a process of its own, so the suite's set-up runs once per
// test. The generator runs once per build instead: its output is kept under the test binary's
// folder (generated/<script>-<key>), the key a hash of the script, the Python files it can import
// (beside it, tests/reference, tests/common), its arguments and the content of each argument that
// is a file (not of a folder's files); each suite copies it into its own scratch folder, where its
// tests may write. Removing the generated folder makes every generator run again.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common/command_run.h"
#include "common/scratch_dir.h"

namespace brainalign::testing {

namespace generated_detail {

inline std::uint64_t hash_bytes(std::uint64_t hash, const std::string& bytes) {
  for (const unsigned char c : bytes) hash = (hash ^ c) * 0x100000001b3ULL;  // FNV-1a
  return (hash ^ 0xff) * 0x100000001b3ULL;  // ends each part, so that parts cannot run together
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// What the generator's output depends on, hashed: the script, the Python files of the folders
// it imports from, the arguments and the content of each that names a file.
inline std::string key(const std::filesystem::path& script, const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  const fs::path tests = BRAINALIGN_TEST_DIR;
  std::vector<fs::path> sources;
  for (const fs::path& folder : {script.parent_path(), tests / "reference", tests / "common"}) {
    if (!fs::is_directory(folder)) continue;
    for (const auto& entry : fs::directory_iterator(folder)) {
      if (entry.path().extension() == ".py") sources.push_back(entry.path());
    }
  }
  std::sort(sources.begin(), sources.end());
  sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  hash = hash_bytes(hash, BRAINALIGN_PYTHON);
  hash = hash_bytes(hash, script.string());
  for (const auto& source : sources) {
    hash = hash_bytes(hash_bytes(hash, source.string()), file_bytes(source));
  }
  for (const auto& arg : args) {
    hash = hash_bytes(hash, arg);
    std::error_code error;
    if (fs::is_regular_file(arg, error)) hash = hash_bytes(hash, file_bytes(arg));
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace generated_detail

class GeneratedFiles {
 public:
  // Runs `script` (a path under tests/) as `python -B script <folder> arguments...`, or takes
  // what an earlier run with the same key wrote, and copies the output into a scratch folder.
  // made() says whether that worked; output() holds the script's output where it did not.
  GeneratedFiles(const std::string& script, const std::vector<std::string>& arguments) {
    namespace fs = std::filesystem;
    const fs::path path = fs::path(BRAINALIGN_TEST_DIR) / script;
    const fs::path store = fs::read_symlink("/proc/self/exe").parent_path() / "generated";
    const std::string stem = path.stem().string();
    const fs::path kept = store / (stem + "-" + generated_detail::key(path, arguments));
    std::error_code error;
    if (!fs::is_directory(kept, error)) {
      // Made in a folder of this process, then renamed into place: a process that runs the same
      // generator at the same time keeps its own output, and a failed run leaves nothing.
      std::random_device device;
      const fs::path making =
          store / (".making-" + stem + "-" + std::to_string(device()) + std::to_string(device()));
      fs::create_directories(making);
      std::vector<std::string> command = {BRAINALIGN_PYTHON, "-B", path.string(), making.string()};
      command.insert(command.end(), arguments.begin(), arguments.end());
      const CommandResult made = run_command(command);
      if (made.status != 0) {
        std::string line;
        for (const auto& part : command) line += part + " ";
        output_ = "status " + std::to_string(made.status) + ": " + line + "\n" + made.output;
        fs::remove_all(making, error);
        return;
      }
      for (const auto& entry : fs::directory_iterator(store, error)) {  // earlier keys' output
        const std::string name = entry.path().filename().string();
        if (name.rfind(stem + "-", 0) == 0 && entry.path() != kept) fs::remove_all(entry, error);
      }
      fs::rename(making, kept, error);
      if (error) fs::remove_all(making, error);  // another process was first
    }
    fs::copy(kept, dir_.path(), fs::copy_options::recursive, error);
    if (error) {
      output_ = "copying " + kept.string() + " to " + dir_.path().string() + ": " + error.message();
      return;
    }
    made_ = true;
  }

  bool made() const { return made_; }
  const std::string& output() const { return output_; }
  std::filesystem::path at(const std::string& name) const { return dir_.path() / name; }

  // layers.txt: "<study name> <module name>" per layer, in order.
  std::vector<std::pair<std::string, std::string>> layers() const {
    std::vector<std::pair<std::string, std::string>> out;
    std::ifstream in(at("layers.txt"));
    std::string study, module;
    while (in >> study >> module) out.emplace_back(study, module);
    return out;
  }

 private:
  ScratchDir dir_;
  bool made_ = false;
  std::string output_;
};

// A test suite over one generator's files: its SetUpTestSuite calls generate(); its tests read
// the files with at() and layers(). `Suite` is the fixture itself, so that each suite has its
// own files.
template <class Suite>
class GeneratedFilesTest : public ::testing::Test {
 protected:
  static void generate(const std::string& script, const std::vector<std::string>& arguments) {
    files_ = std::make_unique<GeneratedFiles>(script, arguments);
    ASSERT_TRUE(files_->made()) << script << " failed: " << files_->output();
  }
  static void TearDownTestSuite() { files_.reset(); }
  static std::filesystem::path at(const std::string& name) { return files_->at(name); }
  static std::vector<std::pair<std::string, std::string>> layers() { return files_->layers(); }

 private:
  static inline std::unique_ptr<GeneratedFiles> files_;
};

}  // namespace brainalign::testing
