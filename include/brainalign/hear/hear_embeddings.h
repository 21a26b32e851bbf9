// The files the HEAR evaluation kit keeps per split of a task's embeddings:
//   <split>.embeddings.npy            float32, clips x dimensions, written as the kit's
//                                     np.memmap (raw, no .npy header); a file with a .npy
//                                     header is read as well
//   <split>.embedding-dimensions.json [clips, dimensions]
//   <split>.target-labels.pkl         pickle of a list (one per clip) of lists of labels
//   <split>.filename-timestamps.json  [[filename, -1], ...] for scene embeddings
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::hear {

struct HearSplitEmbeddings {
  Matrix embeddings;                             // clips x dimensions
  std::vector<std::vector<std::string>> labels;  // per clip
  std::vector<std::string> filenames;            // per clip
};

// Writes the four files of `split` into `dir` (atomically, each).
void write_hear_embeddings(const std::filesystem::path& dir, const std::string& split,
                           const HearSplitEmbeddings& embeddings);
// Reads them back; InputError naming the file for any inconsistency.
HearSplitEmbeddings read_hear_embeddings(const std::filesystem::path& dir,
                                         const std::string& split);

// A pickle (protocol 2) of a list of lists of str, as pickle.load reads it.
std::vector<std::uint8_t> pickle_label_lists(const std::vector<std::vector<std::string>>& lists);
// Reads what pickle.dump writes for a list of lists of str or int (protocols 2 to 5, memo
// references included); ints become their decimal text. InputError naming `source` for
// anything else.
std::vector<std::vector<std::string>> unpickle_label_lists(std::span<const std::uint8_t> bytes,
                                                           const std::string& source);

}  // namespace brainalign::hear
