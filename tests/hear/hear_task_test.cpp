// Reading hear-preprocess task folders and the HEAR kit's embedding files.
#include "brainalign/hear/hear_task.h"

#include <gtest/gtest.h>

#include <fstream>

#include "brainalign/base/error.h"
#include "brainalign/hear/hear_embeddings.h"
#include "common/python_exchange.h"
#include "common/scratch_dir.h"
#include "hear/hear_task_builder.h"

namespace brainalign::hear {
namespace {

namespace fs = std::filesystem;

std::vector<std::vector<testing::SynthClip>> tiny_splits(int n_splits) {
  std::vector<std::vector<testing::SynthClip>> splits(static_cast<std::size_t>(n_splits));
  for (int s = 0; s < n_splits; ++s) {
    for (int i = 0; i < 2; ++i) {
      splits[static_cast<std::size_t>(s)].push_back(
          {std::vector<double>(1600, 0.01 * (i + 1)), {i ? "b" : "a"}});
    }
  }
  return splits;
}

std::string message_of(const fs::path& dir) {
  try {
    read_hear_task(dir);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// A three-split task folder whose task_metadata.json a test edits: rewrite(edit) writes the
// metadata as first written, with `edit` applied.
class EditableTask {
 public:
  EditableTask(const fs::path& dir, bool kfold) : dir_(dir) {
    testing::write_hear_task(dir, "toy", tiny_splits(3), kfold, false, "top1_acc", 16000,
                             {"a", "b"});
    original_ = nlohmann::json::parse(std::ifstream(dir / "task_metadata.json"));
  }

  template <class Edit>
  void rewrite(Edit edit) const {
    nlohmann::json metadata = original_;
    edit(metadata);
    std::ofstream(dir_ / "task_metadata.json") << metadata.dump();
  }

 private:
  fs::path dir_;
  nlohmann::json original_;
};

TEST(HearTask, ReadsKFoldAndTrainValidTestTasks) {
  const testing::ScratchDir scratch;
  const fs::path kfold = scratch / "kfold", tvt = scratch / "tvt";
  testing::write_hear_task(kfold, "toy", tiny_splits(5), true, false, "top1_acc", 16000,
                           {"a", "b"});
  fs::create_directories(kfold / "48000");
  testing::write_hear_task(tvt, "toy2", tiny_splits(3), false, false, "top1_acc", 16000,
                           {"a", "b"});
  const HearTask task = read_hear_task(kfold);
  EXPECT_EQ(task.name, "toy");
  EXPECT_EQ(task.split_mode, SplitMode::kKFold);
  EXPECT_EQ(task.nfolds, 5);
  ASSERT_EQ(task.splits.size(), 5u);
  EXPECT_EQ(task.sample_rates, (std::vector<int>{16000, 48000}));
  EXPECT_EQ(task_sample_rate(task, 16000), 16000);
  // Neither the model's rate nor 44.1 kHz (beyond the published code): the next higher rate.
  EXPECT_EQ(task_sample_rate(task, 22050), 48000);
  EXPECT_EQ(task_sample_rate(task, 44100), 48000);
  EXPECT_EQ(task_sample_rate(task, 96000), 48000);
  // As the 2025 code: the model's own rate, else the 44.1 kHz copy, never the nearest lower
  // rate (22.05 kHz for EnCodecMAE's 24 kHz lost the band from 11 to 12 kHz).
  fs::create_directories(kfold / "22050");
  fs::create_directories(kfold / "44100");
  const HearTask more = read_hear_task(kfold);
  EXPECT_EQ(task_sample_rate(more, 24000), 44100);
  EXPECT_EQ(task_sample_rate(more, 22050), 22050);
  EXPECT_EQ(task_sample_rate(more, 48000), 48000);
  EXPECT_EQ(task_sample_rate(more, 32000), 44100);
  const auto folds = protocol_folds(task);
  ASSERT_EQ(folds.size(), 5u);
  EXPECT_EQ(folds[4].test, "fold04");
  EXPECT_EQ(folds[4].valid, "fold00");
  EXPECT_EQ(folds[4].train, (std::vector<std::string>{"fold01", "fold02", "fold03"}));
  const Matrix t = split_targets(task, task.split("fold00"));
  EXPECT_EQ(t.rows(), 2);
  EXPECT_EQ(t.sum(), 2.0);
  EXPECT_NO_THROW(clip_path(task, 16000, "fold00", task.splits[0].clips[0].filename));

  const HearTask task2 = read_hear_task(tvt);
  EXPECT_EQ(task2.split_mode, SplitMode::kTrainValidTest);
  ASSERT_EQ(protocol_folds(task2).size(), 1u);
  EXPECT_EQ(protocol_folds(task2)[0].train, std::vector<std::string>{"train"});
}

TEST(HearTask, ErrorsNameTheFileAndKey) {
  const testing::ScratchDir scratch;
  const fs::path dir = scratch / "task";
  const EditableTask task(dir, false);
  task.rewrite([](auto& m) { m.erase("prediction_type"); });
  EXPECT_NE(message_of(dir).find("task_metadata.json: missing key 'prediction_type'"),
            std::string::npos)
      << message_of(dir);
  task.rewrite([](auto& m) { m["split_mode"] = "random"; });
  EXPECT_NE(message_of(dir).find("'split_mode'"), std::string::npos);
  task.rewrite([](auto& m) { m["embedding_type"] = "event"; });
  EXPECT_NE(message_of(dir).find("event (timestamp) task"), std::string::npos);
  task.rewrite([](auto&) {});
  std::ofstream(dir / "valid.json") << R"({"x.wav": ["zebra"]})";
  EXPECT_NE(message_of(dir).find("no label 'zebra'"), std::string::npos) << message_of(dir);
  std::ofstream(dir / "valid.json") << R"({"x.wav": "a"})";
  EXPECT_NE(message_of(dir).find("valid.json: clip 'x.wav'"), std::string::npos);
  fs::remove(dir / "valid.json");
  EXPECT_NE(message_of(dir).find("valid.json: missing"), std::string::npos);
}

// Found while writing fuzz_hear_task: a fold count of 2^31 - 1 made the reader build two
// billion split names; split names and clip filenames could name files outside the task
// folder (an absolute clip filename replaced the whole audio path); a rate folder beyond int
// escaped as std::out_of_range.
TEST(HearTask, RefusesAbsurdFoldCountsNamesOutsideTheFolderAndRatesBeyondRange) {
  const testing::ScratchDir scratch;
  const fs::path dir = scratch / "task";
  const EditableTask task(dir, true);
  task.rewrite([](auto& m) {
    m.erase("splits");
    m["nfolds"] = 2147483647;
  });
  EXPECT_NE(message_of(dir).find("key 'nfolds' must be an integer from 3 to 100, not "
                                 "2147483647"),
            std::string::npos)
      << message_of(dir);
  task.rewrite([](auto& m) { m["splits"] = {"fold00", "fold01", "../fold02"}; });
  EXPECT_NE(message_of(dir).find("task_metadata.json: split '../fold02' must be a non-empty "
                                 "relative name inside the task folder"),
            std::string::npos)
      << message_of(dir);
  task.rewrite([](auto&) {});
  ASSERT_EQ(message_of(dir), "");
  std::ofstream(dir / "fold01.json") << R"({"/etc/passwd": ["a"]})";
  EXPECT_NE(message_of(dir).find("fold01.json: clip '/etc/passwd' must be a non-empty "
                                 "relative name"),
            std::string::npos)
      << message_of(dir);
  std::ofstream(dir / "fold01.json") << R"({"x.wav": ["a"]})";
  ASSERT_EQ(message_of(dir), "");
  fs::create_directories(dir / "99999999999");
  EXPECT_NE(message_of(dir).find("99999999999: audio folder names a sample rate out of range"),
            std::string::npos)
      << message_of(dir);
}

TEST(HearEmbeddings, RoundTripAndPythonInterchange) {
  testing::PythonExchange py;
  HearSplitEmbeddings e;
  e.embeddings = Matrix::Random(3, 4).cast<float>().cast<double>();
  e.labels = {{"dog"}, {"dog", "cat"}, {}};
  e.filenames = {"a.wav", "b.wav", "c.wav"};
  write_hear_embeddings(py.dir(), "fold00", e);
  const HearSplitEmbeddings back = read_hear_embeddings(py.dir(), "fold00");
  EXPECT_EQ(back.embeddings, e.embeddings);
  EXPECT_EQ(back.labels, e.labels);
  EXPECT_EQ(back.filenames, e.filenames);
  // Python reads ours as the kit does (np.memmap, pickle) and writes its own (protocol 5,
  // memoised repeated labels, an int label).
  py.run(R"(
import json, pickle
dims = json.load(open('fold00.embedding-dimensions.json'))
emb = np.memmap('fold00.embeddings.npy', dtype=np.float32, mode='r', shape=tuple(dims))
labels = pickle.load(open('fold00.target-labels.pkl', 'rb'))
assert labels == [['dog'], ['dog', 'cat'], []], labels
assert json.load(open('fold00.filename-timestamps.json'))[1] == ['b.wav', -1]
np.asarray(emb, dtype='<f8').tofile('emb')
pickle.dump([['dog'], ['dog', 'cat'], [60]] * 200, open('test.target-labels.pkl', 'wb'), protocol=5)
pickle.dump([['dog'], ['cat']], open('p2.pkl', 'wb'), protocol=2)
)");
  EXPECT_EQ(py.get("emb", 3, 4), e.embeddings);
  std::ifstream f(py.dir() / "test.target-labels.pkl", std::ios::binary);
  std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(f), {}};
  const auto lists = unpickle_label_lists(bytes, "test.target-labels.pkl");
  ASSERT_EQ(lists.size(), 600u);
  EXPECT_EQ(lists[598], (std::vector<std::string>{"dog", "cat"}));
  EXPECT_EQ(lists[599], std::vector<std::string>{"60"});
  bytes[bytes.size() / 2] = 0xff;
  EXPECT_THROW(unpickle_label_lists(bytes, "broken.pkl"), InputError);
}

}  // namespace
}  // namespace brainalign::hear
