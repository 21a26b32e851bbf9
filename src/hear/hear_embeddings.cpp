#include "brainalign/hear/hear_embeddings.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/io/npy.h"

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
  // Objects live in `nodes`; the stack, marks and memo hold indices into it.
  struct Node {
    bool is_list = false;
    std::string text;
    std::vector<std::size_t> items;
  };
  std::vector<Node> nodes;
  std::vector<std::size_t> stack;
  std::vector<std::size_t> marks;
  std::map<std::uint64_t, std::size_t> memo;
  std::size_t pos = 0;
  auto fail = [&](const std::string& what) -> void {
    throw InputError(source + ": not a pickled list of lists of labels (" + what + " at byte " +
                     std::to_string(pos) + ")");
  };
  auto take = [&](std::size_t n) {
    if (pos + n > bytes.size()) fail("truncated");
    const std::uint8_t* p = bytes.data() + pos;
    pos += n;
    return p;
  };
  auto read_le = [&](std::size_t n) {
    const std::uint8_t* p = take(n);
    std::uint64_t v = 0;
    for (std::size_t b = 0; b < n; ++b) v |= static_cast<std::uint64_t>(p[b]) << (8 * b);
    return v;
  };
  auto push_text = [&](std::string text) {
    nodes.push_back({false, std::move(text), {}});
    stack.push_back(nodes.size() - 1);
  };
  auto append_to_list = [&](std::size_t list, std::size_t item) {
    if (!nodes[list].is_list) fail("append to a non-list");
    nodes[list].items.push_back(item);
  };
  bool stopped = false;
  while (!stopped) {
    const std::uint8_t op = *take(1);
    switch (op) {
      case 0x80:
        take(1);
        break;  // PROTO
      case 0x95:
        take(8);
        break;   // FRAME
      case ']':  // EMPTY_LIST
        nodes.push_back({true, {}, {}});
        stack.push_back(nodes.size() - 1);
        break;
      case '(':
        marks.push_back(stack.size());
        break;   // MARK
      case 'a':  // APPEND
        if (stack.size() < 2) fail("APPEND on a short stack");
        append_to_list(stack[stack.size() - 2], stack.back());
        stack.pop_back();
        break;
      case 'e': {  // APPENDS
        if (marks.empty() || marks.back() == 0) fail("APPENDS without a mark");
        const std::size_t mark = marks.back();
        marks.pop_back();
        for (std::size_t i = mark; i < stack.size(); ++i) append_to_list(stack[mark - 1], stack[i]);
        stack.resize(mark);
        break;
      }
      case 'X': {  // BINUNICODE
        const auto n = static_cast<std::size_t>(read_le(4));
        const auto* p = take(n);
        push_text(std::string(reinterpret_cast<const char*>(p), n));
        break;
      }
      case 0x8c:
      case 0x8d: {  // SHORT_BINUNICODE, BINUNICODE8
        const auto n = static_cast<std::size_t>(read_le(op == 0x8c ? 1 : 8));
        const auto* p = take(n);
        push_text(std::string(reinterpret_cast<const char*>(p), n));
        break;
      }
      case 'K':
        push_text(std::to_string(read_le(1)));
        break;  // BININT1
      case 'M':
        push_text(std::to_string(read_le(2)));
        break;   // BININT2
      case 'J':  // BININT (signed)
        push_text(std::to_string(static_cast<std::int32_t>(read_le(4))));
        break;
      case 0x94:  // MEMOIZE
        if (stack.empty()) fail("MEMOIZE on an empty stack");
        memo[memo.size()] = stack.back();
        break;
      case 'q':
      case 'r':  // BINPUT, LONG_BINPUT
        if (stack.empty()) fail("PUT on an empty stack");
        memo[read_le(op == 'q' ? 1 : 4)] = stack.back();
        break;
      case 'h':
      case 'j': {  // BINGET, LONG_BINGET
        const auto it = memo.find(read_le(op == 'h' ? 1 : 4));
        if (it == memo.end()) fail("unknown memo reference");
        stack.push_back(it->second);
        break;
      }
      case '.':
        stopped = true;
        break;  // STOP
      default:
        fail("unsupported opcode " + std::to_string(op));
    }
  }
  if (stack.size() != 1 || !nodes[stack[0]].is_list) fail("the result is not one list");
  std::vector<std::vector<std::string>> lists;
  for (std::size_t clip : nodes[stack[0]].items) {
    if (!nodes[clip].is_list) fail("an element is not a list");
    std::vector<std::string> labels;
    for (std::size_t label : nodes[clip].items) {
      if (nodes[label].is_list) fail("a label is a list");
      labels.push_back(nodes[label].text);
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
