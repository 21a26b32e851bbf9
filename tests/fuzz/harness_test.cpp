// The fuzz harness's scratch folders: named after their process, and those of runs that ended
// without removing theirs (libFuzzer's _Exit after an interrupt or a crash) are removed by the
// next run.
#include "harness.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace brainalign::fuzz::harness {
namespace {

namespace fs = std::filesystem;

// The ID of a process that has ended.
pid_t ended_process() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

TEST(FuzzHarness, ScratchFoldersOfEndedRunsAreRemovedAndLiveOnesKept) {
  const fs::path temp = fs::temp_directory_path();
  const std::string tag = std::to_string(::getpid());
  const fs::path ended = temp / ("brainalign-fuzz-" + std::to_string(ended_process()) + "-t" + tag);
  const fs::path live = temp / ("brainalign-fuzz-" + std::to_string(::getppid()) + "-t" + tag);
  const fs::path other = temp / ("brainalign-fuzz-name-t" + tag);
  for (const fs::path& folder : {ended, live, other}) {
    fs::create_directories(folder / "input");
    std::ofstream(folder / "input" / "file.bin") << "bytes";
  }
  {
    const Scratch scratch;
    const fs::path root = scratch.fresh("x").parent_path();
    EXPECT_EQ(root.parent_path(), temp);
    EXPECT_TRUE(root.filename().string().starts_with("brainalign-fuzz-" + tag + "-")) << root;
    EXPECT_FALSE(fs::exists(ended));
    EXPECT_TRUE(fs::exists(live / "input" / "file.bin"));
    EXPECT_TRUE(fs::exists(other / "input" / "file.bin"));
    EXPECT_TRUE(fs::exists(root / "x"));
  }
  fs::remove_all(live);
  fs::remove_all(other);
}

}  // namespace
}  // namespace brainalign::fuzz::harness
