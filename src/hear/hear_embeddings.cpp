#include "brainalign/hear/hear_embeddings.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/io/npy.h"
#include "brainalign/io/pickle.h"

namespace brainalign::hear {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": missing or unreadable");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<std::uint8_t>(value >> (8 * b)));
}

}  // namespace

std::vector<std::uint8_t> pickle_label_lists(const std::vector<std::vector<std::string>>& lists) {
  std::vector<std::uint8_t> out = {0x80, 2, ']'};  // PROTO 2, EMPTY_LIST
  if (!lists.empty()) out.push_back('(');          // MARK
  for (const auto& labels : lists) {
    out.push_back(']');
    if (labels.empty()) continue;
    out.push_back('(');
    for (const auto& label : labels) {
      out.push_back('X');  // BINUNICODE: length, then UTF-8
      put_u32(out, static_cast<std::uint32_t>(label.size()));
      out.insert(out.end(), label.begin(), label.end());
    }
    out.push_back('e');  // APPENDS
  }
  if (!lists.empty()) out.push_back('e');
  out.push_back('.');  // STOP
  return out;
}

std::vector<std::vector<std::string>> unpickle_label_lists(std::span<const std::uint8_t> bytes,
                                                           const std::string& source) {
  io::PickleRules rules;
  rules.context = "not a pickled list of lists of labels";
  rules.allow_global = [](const std::string&) { return false; };
  const io::Pickle pickle = io::read_pickle(bytes, source, rules);
  const auto fail = [&](const std::string& what) {
    return InputError(source + ": not a pickled list of lists of labels (" + what + ")");
  };
  if (pickle.kind(pickle.root()) != io::PickleKind::kList) throw fail("the result is not a list");
  std::vector<std::vector<std::string>> lists;
  for (std::size_t clip : pickle.node(pickle.root()).items) {
    if (pickle.kind(clip) != io::PickleKind::kList) throw fail("an element is not a list");
    std::vector<std::string> labels;
    for (std::size_t label : pickle.node(clip).items) {
      const io::PickleNode& node = pickle.node(label);
      if (node.kind == io::PickleKind::kString) {
        labels.push_back(node.text);
      } else if (node.kind == io::PickleKind::kInt) {
        labels.push_back(std::to_string(node.integer));  // integer labels, as their text
      } else {
        throw fail(std::string("a label is a ") + io::pickle_kind_name(node.kind));
      }
    }
    lists.push_back(std::move(labels));
  }
  return lists;
}

void write_hear_embeddings(const fs::path& dir, const std::string& split,
                           const HearSplitEmbeddings& e) {
  const auto n = static_cast<std::size_t>(e.embeddings.rows());
  const auto d = static_cast<std::size_t>(e.embeddings.cols());
  if (e.labels.size() != n || e.filenames.size() != n) {
    throw InputError("HEAR embeddings of split " + split + ": " + std::to_string(n) + " rows but " +
                     std::to_string(e.labels.size()) + " label lists and " +
                     std::to_string(e.filenames.size()) + " file names");
  }
  fs::create_directories(dir);
  std::vector<std::uint8_t> raw(n * d * sizeof(float));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const auto value = static_cast<float>(
          e.embeddings(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)));
      std::memcpy(raw.data() + (i * d + j) * sizeof(float), &value, sizeof(float));
    }
  }
  io::write_file_atomically(dir / (split + ".embeddings.npy"), raw);
  io::write_file_atomically(dir / (split + ".embedding-dimensions.json"),
                            json::array({n, d}).dump());
  io::write_file_atomically(dir / (split + ".target-labels.pkl"), pickle_label_lists(e.labels));
  json stamps = json::array();
  for (const auto& filename : e.filenames) stamps.push_back(json::array({filename, -1}));
  io::write_file_atomically(dir / (split + ".filename-timestamps.json"), stamps.dump(4));
}

HearSplitEmbeddings read_hear_embeddings(const fs::path& dir, const std::string& split) {
  HearSplitEmbeddings e;
  const fs::path dims_path = dir / (split + ".embedding-dimensions.json");
  json dims;
  try {
    std::ifstream in(dims_path);
    if (!in) throw InputError(dims_path.string() + ": missing or unreadable");
    dims = json::parse(in);
  } catch (const json::exception& ex) {
    throw InputError(dims_path.string() + ": not valid JSON (" + ex.what() + ")");
  }
  if (!dims.is_array() || dims.size() != 2 || !dims[0].is_number_integer() ||
      !dims[1].is_number_integer()) {
    throw InputError(dims_path.string() + ": expected [clips, dimensions] (scene embeddings)");
  }
  const auto n = dims[0].get<std::size_t>();
  const auto d = dims[1].get<std::size_t>();
  const fs::path npy_path = dir / (split + ".embeddings.npy");
  const std::vector<std::uint8_t> raw = read_bytes(npy_path);
  std::vector<double> values;
  if (raw.size() >= 6 && std::memcmp(raw.data(), "\x93NUMPY", 6) == 0) {
    const io::NpyArray array = io::read_npy(npy_path);
    values = array.to_doubles();
  } else {
    if (raw.size() != n * d * sizeof(float)) {
      throw InputError(npy_path.string() + ": " + std::to_string(raw.size()) + " bytes, expected " +
                       std::to_string(n * d * sizeof(float)) + " (float32 " + std::to_string(n) +
                       " x " + std::to_string(d) + ")");
    }
    values.resize(n * d);
    for (std::size_t k = 0; k < n * d; ++k) {
      float value;
      std::memcpy(&value, raw.data() + k * sizeof(float), sizeof(float));
      values[k] = value;
    }
  }
  if (values.size() != n * d) {
    throw InputError(npy_path.string() + ": holds " + std::to_string(values.size()) + " values, " +
                     dims_path.filename().string() + " says " + std::to_string(n) + " x " +
                     std::to_string(d));
  }
  e.embeddings = Eigen::Map<const Matrix>(values.data(), static_cast<Eigen::Index>(n),
                                          static_cast<Eigen::Index>(d));
  const fs::path labels_path = dir / (split + ".target-labels.pkl");
  const auto pickled = read_bytes(labels_path);
  e.labels = unpickle_label_lists(pickled, labels_path.string());
  const fs::path stamps_path = dir / (split + ".filename-timestamps.json");
  std::ifstream in(stamps_path);
  if (!in) throw InputError(stamps_path.string() + ": missing or unreadable");
  json stamps;
  try {
    stamps = json::parse(in);
  } catch (const json::exception& ex) {
    throw InputError(stamps_path.string() + ": not valid JSON (" + ex.what() + ")");
  }
  if (!stamps.is_array()) throw InputError(stamps_path.string() + ": expected a list");
  for (const auto& entry : stamps) {
    if (!entry.is_array() || entry.empty() || !entry[0].is_string()) {
      throw InputError(stamps_path.string() + ": expected [filename, timestamp] entries");
    }
    e.filenames.push_back(entry[0].get<std::string>());
  }
  if (e.labels.size() != n || e.filenames.size() != n) {
    throw InputError(dir.string() + ": split " + split + " has " + std::to_string(n) +
                     " embeddings, " + std::to_string(e.labels.size()) + " label lists and " +
                     std::to_string(e.filenames.size()) + " file names");
  }
  return e;
}

}  // namespace brainalign::hear
