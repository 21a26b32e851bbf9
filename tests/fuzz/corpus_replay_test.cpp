// Replays every seed of the fuzz corpus and every stored regression input through the fuzz
// targets' entry points, without libFuzzer: each must be accepted or rejected with the
// documented errors, and under the sanitizer build without a report.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "entry_points.h"
#ifdef BRAINALIGN_FUZZ_TORCH
#include "torch_entry_points.h"
#endif

namespace brainalign::fuzz {

// Test names and messages show the target's name rather than its bytes (found by ADL).
void PrintTo(const Target& target, std::ostream* out) { *out << target.name; }

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  if (!fs::is_directory(folder)) return files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t replay(const Target& target, const fs::path& folder) {
  const auto files = files_in(folder);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    const std::vector<std::uint8_t> bytes = read_bytes(file);
    EXPECT_NO_THROW(target.entry(bytes));
  }
  return files.size();
}

// The torch-free targets, and those of the libtorch readers where they are built.
std::vector<Target> all_targets() {
  std::vector<Target> all = targets();
#ifdef BRAINALIGN_FUZZ_TORCH
  all.insert(all.end(), torch_targets().begin(), torch_targets().end());
#endif
  return all;
}

class CorpusReplay : public ::testing::TestWithParam<Target> {};

TEST_P(CorpusReplay, SeedsAreAcceptedOrRejectedCleanly) {
  const fs::path folder = fs::path(BRAINALIGN_FUZZ_CORPUS) / GetParam().name;
  ASSERT_TRUE(fs::is_directory(folder))
      << folder << " is missing: run fuzz/make_corpus.py (ctest runs it as fuzz.corpus)";
  EXPECT_GT(replay(GetParam(), folder), 0u) << "no seeds in " << folder;
}

TEST_P(CorpusReplay, RegressionInputsAreRejectedCleanly) {
  replay(GetParam(), fs::path(BRAINALIGN_TEST_DIR) / GetParam().regressions);
}

INSTANTIATE_TEST_SUITE_P(Targets, CorpusReplay, ::testing::ValuesIn(all_targets()),
                         [](const ::testing::TestParamInfo<Target>& target) {
                           return std::string(target.param.name);
                         });

}  // namespace
}  // namespace brainalign::fuzz
