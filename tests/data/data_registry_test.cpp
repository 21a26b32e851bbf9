#include "brainalign/data/data_registry.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "brainalign/base/error.h"
#include "brainalign/io/sha256.h"
#include "common/python_run.h"
#include "common/scratch_dir.h"

namespace brainalign {
namespace {

namespace fs = std::filesystem;
const fs::path kData = fs::path(BRAINALIGN_SHARED_DIR) / "data";

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DataRegistry, KnowsTheDataSetsAndRefusesOthers) {
  std::set<std::string> names;
  for (const auto& dataset : data::public_datasets()) names.insert(dataset.name);
  EXPECT_EQ(names, (std::set<std::string>{"natsound165", "natsound165-folds", "tuckute2023",
                                          "tuckute2023-activations", "hear:esc50", "hear:fsd50k",
                                          "hear:nsynth_pitch", "hear:speech_commands",
                                          "hear:crema_d", "hear:gtzan_genre"}));
  // The 2025 study's six tasks: the 48 kHz archives its download script pins, each unpacked
  // into hear/<task folder>.
  const auto& esc50 = data::find_public_dataset("hear:esc50");
  EXPECT_EQ(esc50.folder, "hear/esc50-v2.0.0-full");
  ASSERT_EQ(esc50.files.size(), 1u);
  EXPECT_EQ(esc50.files[0].url,
            "https://zenodo.org/records/6332517/files/hear2021-esc50-v2.0.0-full-48000.tar.gz");
  try {
    data::find_public_dataset("nope");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("natsound165"), std::string::npos);
  }
}

TEST(DataRegistry, PinnedSourcesAndChecksumsMatchThePublicCopy) {
  const auto& sounds = data::find_public_dataset("natsound165");
  ASSERT_EQ(sounds.files.size(), 167u);
  const std::regex hex("[0-9a-f]{64}");
  const std::string pinned =
      "https://raw.githubusercontent.com/snormanhaignere/natsound165-neuron2015/"
      "b41b99ff620d7997dbf278fc770f58566707726a/";
  for (const auto& file : sounds.files) {
    EXPECT_TRUE(std::regex_match(file.sha256, hex)) << file.path;
    EXPECT_EQ(file.url.rfind(pinned, 0), 0u) << file.url;
    EXPECT_EQ(io::sha256_file(kData / file.path), file.sha256) << file.path;
    // The sizes said before a download (no HEAD request needed) are the files' own.
    EXPECT_EQ(file.size, static_cast<std::int64_t>(fs::file_size(kData / file.path))) << file.path;
  }
  EXPECT_EQ(sounds.files.front().url, pinned + "sounds/wav/stim5_alarm_clock.wav");
  EXPECT_EQ(sounds.files.back().url, pinned + "data/components.mat");
  EXPECT_TRUE(data::missing_paths(sounds, kData).empty());
  EXPECT_EQ(data::missing_paths(sounds, "/nonexistent").size(), 167u);

  const auto& release = data::find_public_dataset("tuckute2023");
  ASSERT_EQ(release.files.size(), 1u);
  EXPECT_TRUE(release.files[0].sha256.empty()) << "verified on first download instead";
  EXPECT_TRUE(release.unpack);
}

TEST(DataRegistry, FoldsFromThePickledVectorAreThePublishedOnes) {
  brainalign::testing::ScratchDir dir;
  // The published file is a joblib dump of the fold vector in ascending stimulus order.
  ASSERT_TRUE(brainalign::testing::run_python(
      dir.path(), "import csv, joblib\nrows = list(csv.DictReader(open('" +
                      (kData / "natsound165/folds_5x33.csv").string() +
                      "')))\njoblib.dump(np.array([float(r['fold']) "
                      "for r in rows]), 'folds.pkl')\n"));
  data::write_natsound165_folds(dir / "folds.pkl", dir / "folds_5x33.csv");
  EXPECT_EQ(read_text(dir / "folds_5x33.csv"), read_text(kData / "natsound165/folds_5x33.csv"));
  const auto names = data::natsound165_stimuli();
  ASSERT_EQ(names.size(), 165u);
  EXPECT_EQ(names.front(), "stim5_alarm_clock");
}

TEST(DataRegistry, LocalCopyIsNeverDownloadedInto) {
  brainalign::testing::ScratchDir dir;
  ScopedEnv data("BRAINALIGN_DATA", dir.path().string());
  ScopedEnv mirror("BRAINALIGN_MIRROR", "http://127.0.0.1:9");
  try {
    data::fetch_dataset("natsound165-folds");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("natsound165/folds_5x33.csv"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("BRAINALIGN_DATA"), std::string::npos);
  }
  ScopedEnv shared("BRAINALIGN_DATA", kData.string());
  EXPECT_EQ(data::fetch_dataset("natsound165"), kData);
  EXPECT_EQ(data::fetch_dataset("natsound165-folds"), kData);
}

}  // namespace
}  // namespace brainalign
