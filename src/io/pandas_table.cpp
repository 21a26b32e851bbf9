#include "brainalign/io/pandas_table.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/io/pickle.h"
#include "brainalign/io/pickled_array.h"

namespace brainalign::io {
namespace {

// What DataFrame.to_pickle writes beside NumPy's arrays.
bool is_pandas_global(const std::string& global) {
  return global == "pandas.core.frame DataFrame" ||
         global == "pandas.core.internals.managers BlockManager" ||
         global == "pandas.core.internals BlockManager" ||
         global == "pandas._libs.internals _unpickle_block" ||
         global == "pandas.core.internals.blocks new_block" ||
         global == "pandas.core.indexes.base _new_Index" ||
         global == "pandas.core.indexes.base Index" ||
         global == "pandas.core.indexes.range RangeIndex" ||
         global == "pandas.core.indexes.numeric Int64Index" ||
         global == "pandas.core.indexes.numeric UInt64Index" ||
         global == "pandas.core.indexes.numeric Float64Index" || global == "builtins slice" ||
         global == "__builtin__ slice" || is_numpy_array_global(global);
}

// The values of one column, as text.
using Column = std::vector<std::string>;

class FrameReader {
 public:
  FrameReader(const Pickle& pickle, std::string source) : p_(pickle), source_(std::move(source)) {}

  CsvTable read() {
    const std::size_t frame = p_.root();
    if (callee(frame) != "pandas.core.frame DataFrame") {
      fail("expected a pandas DataFrame, found " + describe(frame));
    }
    const std::optional<std::size_t> state = p_.node(frame).state;
    if (!state || p_.kind(*state) != PickleKind::kDict) fail("the DataFrame has no state");
    std::optional<std::size_t> manager = p_.find(*state, "_mgr");
    if (!manager) manager = p_.find(*state, "_data");
    if (!manager) fail("the DataFrame's state has no block manager ('_mgr')");
    read_manager(*manager);

    CsvTable table;
    table.source = source_;
    table.header = index_text(columns_axis_, "the column index");
    const std::size_t rows = index_length(rows_axis_);
    std::vector<std::optional<Column>> columns(table.header.size());
    for (const auto& [values, places] : blocks_) place_block(values, places, rows, columns);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (!columns[c]) fail("no block holds the column '" + table.header[c] + "'");
    }
    table.rows.assign(rows, std::vector<std::string>(columns.size()));
    for (std::size_t c = 0; c < columns.size(); ++c)
      for (std::size_t r = 0; r < rows; ++r) table.rows[r][c] = (*columns[c])[r];
    return table;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw InputError(source_ + ": " + what); }

  std::string callee(std::size_t node) const {
    const PickleNode& n = p_.node(node);
    if (n.kind != PickleKind::kObject || n.items.empty()) return {};
    return p_.node(n.items[0]).text;
  }

  std::string describe(std::size_t node) const {
    return p_.kind(node) == PickleKind::kObject
               ? "a " + callee(node)
               : std::string("a ") + pickle_kind_name(p_.kind(node));
  }

  // The arguments of a call left opaque.
  const std::vector<std::size_t>& arguments(std::size_t node) const {
    const PickleNode& n = p_.node(node);
    if (n.items.size() < 2 || p_.kind(n.items[1]) != PickleKind::kTuple)
      fail(callee(node) + " is called without an argument tuple");
    return p_.node(n.items[1]).items;
  }

  // pandas >= 1.4: BlockManager(blocks, axes); older: BlockManager() built with the state
  // (axes, values, items, {'0.14.1': {'axes': [...], 'blocks': [{'values', 'mgr_locs'}]}}).
  void read_manager(std::size_t manager) {
    const std::string name = callee(manager);
    if (!name.ends_with(" BlockManager"))
      fail("expected a BlockManager, found " + describe(manager));
    const std::vector<std::size_t>& args = arguments(manager);
    std::vector<std::size_t> axes;
    if (args.size() >= 2) {
      axes = sequence(args[1], "the BlockManager's axes");
      for (std::size_t block : sequence(args[0], "the BlockManager's blocks")) {
        const std::string maker = callee(block);
        if (!maker.ends_with(" _unpickle_block") && !maker.ends_with(" new_block"))
          fail("expected a block, found " + describe(block));
        const std::vector<std::size_t>& block_args = arguments(block);
        if (block_args.size() < 2) fail(maker + " is called without values and places");
        blocks_.emplace_back(block_args[0], block_args[1]);
      }
    } else {
      const std::optional<std::size_t> state = p_.node(manager).state;
      if (!state || p_.kind(*state) != PickleKind::kTuple || p_.node(*state).items.size() < 4)
        fail("the BlockManager has neither (blocks, axes) nor a state with its blocks");
      const std::size_t extra = p_.node(*state).items[3];
      const std::optional<std::size_t> layout =
          p_.kind(extra) == PickleKind::kDict ? p_.find(extra, "0.14.1") : std::nullopt;
      if (!layout || p_.kind(*layout) != PickleKind::kDict)
        fail("the BlockManager's state has no '0.14.1' layout");
      const auto field = [&](const char* key) {
        const std::optional<std::size_t> value = p_.find(*layout, key);
        if (!value) fail(std::string("the BlockManager's layout has no '") + key + "'");
        return *value;
      };
      axes = sequence(field("axes"), "the BlockManager's axes");
      for (std::size_t block : sequence(field("blocks"), "the BlockManager's blocks")) {
        if (p_.kind(block) != PickleKind::kDict) fail("a block is " + describe(block));
        const auto values = p_.find(block, "values");
        const auto places = p_.find(block, "mgr_locs");
        if (!values || !places) fail("a block has no 'values' or 'mgr_locs'");
        blocks_.emplace_back(*values, *places);
      }
    }
    if (axes.size() != 2)
      fail("the BlockManager has " + std::to_string(axes.size()) + " axes, not 2");
    columns_axis_ = axes[0];
    rows_axis_ = axes[1];
  }

  std::vector<std::size_t> sequence(std::size_t node, const std::string& what) const {
    const PickleKind kind = p_.kind(node);
    if (kind != PickleKind::kList && kind != PickleKind::kTuple)
      fail(what + " are " + describe(node) + ", not a list");
    return p_.node(node).items;
  }

  // _new_Index(cls, {'data': array, 'name': ...}) or, for a RangeIndex, {'start', 'stop', 'step'}.
  std::size_t index_state(std::size_t index, const std::string& what) const {
    if (!callee(index).ends_with(" _new_Index")) fail(what + " is " + describe(index));
    const std::vector<std::size_t>& args = arguments(index);
    if (args.size() != 2 || p_.kind(args[1]) != PickleKind::kDict)
      fail(what + " is not made from a dict of its fields");
    const std::string cls = p_.node(args[0]).text;
    if (cls.find("MultiIndex") != std::string::npos)
      fail(what + " is a MultiIndex, which is not supported");
    return args[1];
  }

  std::optional<std::int64_t> int_field(std::size_t dict, const char* key) const {
    const auto value = p_.find(dict, key);
    if (!value || p_.kind(*value) != PickleKind::kInt) return std::nullopt;
    return p_.node(*value).integer;
  }

  std::size_t index_length(std::size_t index) const {
    const std::size_t state = index_state(index, "the row index");
    if (const auto stop = int_field(state, "stop")) {
      const std::int64_t start = int_field(state, "start").value_or(0);
      const std::int64_t step = int_field(state, "step").value_or(1);
      if (step <= 0 || *stop < start) fail("the row index is a range running backwards");
      return static_cast<std::size_t>((*stop - start + step - 1) / step);
    }
    return index_text(index, "the row index").size();
  }

  std::vector<std::string> index_text(std::size_t index, const std::string& what) const {
    const std::size_t state = index_state(index, what);
    if (const auto stop = int_field(state, "stop")) {
      const std::int64_t start = int_field(state, "start").value_or(0);
      const std::int64_t step = int_field(state, "step").value_or(1);
      if (step <= 0 || *stop < start || (*stop - start) / step > (std::int64_t{1} << 32))
        fail(what + " is a range brainalign does not take");
      std::vector<std::string> out;
      for (std::int64_t i = start; i < *stop; i += step) out.push_back(std::to_string(i));
      return out;
    }
    const auto data = p_.find(state, "data");
    if (!data) fail(what + " has no 'data'");
    return values_text(*data, what);
  }

  // A 1-D or 2-D array's elements as text, C order.
  Column values_text(std::size_t node, const std::string& what) const {
    const PickledNumpyArray array = pickled_numpy_array(p_, node, source_ + ": " + what);
    Column out;
    if (array.is_object) {
      for (std::size_t element : array.objects) out.push_back(object_text(element, what));
      return out;
    }
    for (double value : array.values) out.push_back(number_text(array, value));
    return out;
  }

  // As pandas writes a value of its dtype: booleans as True/False, float32 in its own shortest
  // form ("-23.708334", not the double's digits).
  static std::string number_text(const PickledNumpyArray& array, double value) {
    if (std::isnan(value)) return "nan";
    if (array.kind == 'b') return value != 0.0 ? "True" : "False";
    if (array.kind == 'f' && array.width < 8) {
      char text[32];
      const auto end = std::to_chars(text, text + sizeof text, static_cast<float>(value)).ptr;
      return std::string(text, end);
    }
    return format_double(value);
  }

  std::string object_text(std::size_t node, const std::string& what) const {
    const PickleNode& n = p_.node(node);
    switch (n.kind) {
      case PickleKind::kString:
        return n.text;
      case PickleKind::kNone:
        return "nan";
      case PickleKind::kFloat:
        return std::isnan(n.real) ? "nan" : format_double(n.real);
      case PickleKind::kInt:
        return std::to_string(n.integer);
      case PickleKind::kBool:
        return n.boolean ? "True" : "False";
      default:
        break;
    }
    // NumPy scalars and other objects in an object column.
    fail(what + " holds " + describe(node) + ", not a string or a number");
  }

  // The block's columns: values (columns x rows, or rows for a 1-D block) at its places (a
  // slice or an array of column positions).
  void place_block(std::size_t values, std::size_t places, std::size_t rows,
                   std::vector<std::optional<Column>>& columns) const {
    const std::vector<std::size_t> positions = block_places(places, columns.size());
    const std::size_t per_column = rows;
    const Column text = values_text(values, "a block's values");
    if (text.size() != positions.size() * per_column)
      fail("a block holds " + std::to_string(text.size()) + " values for " +
           std::to_string(positions.size()) + " columns of " + std::to_string(rows) + " rows");
    for (std::size_t k = 0; k < positions.size(); ++k) {
      auto& column = columns[positions[k]];
      if (column) fail("two blocks hold the column at position " + std::to_string(positions[k]));
      column.emplace(text.begin() + static_cast<std::ptrdiff_t>(k * per_column),
                     text.begin() + static_cast<std::ptrdiff_t>((k + 1) * per_column));
    }
  }

  std::vector<std::size_t> block_places(std::size_t places, std::size_t width) const {
    std::vector<std::int64_t> out;
    if (callee(places) == "builtins slice" || callee(places) == "__builtin__ slice") {
      const std::vector<std::size_t>& args = arguments(places);
      const auto bound = [&](std::size_t i, std::int64_t fallback) {
        if (i >= args.size() || p_.kind(args[i]) == PickleKind::kNone) return fallback;
        if (p_.kind(args[i]) != PickleKind::kInt) fail("a block's places are not an integer slice");
        return p_.node(args[i]).integer;
      };
      const std::int64_t start = bound(0, 0), stop = bound(1, static_cast<std::int64_t>(width));
      const std::int64_t step = bound(2, 1);
      if (step <= 0) fail("a block's places run backwards");
      for (std::int64_t i = start; i < stop; i += step) out.push_back(i);
    } else {
      const PickledNumpyArray array =
          pickled_numpy_array(p_, places, source_ + ": a block's places");
      if (array.is_object) fail("a block's places are not integers");
      for (double v : array.values) out.push_back(static_cast<std::int64_t>(v));
    }
    std::vector<std::size_t> positions;
    for (std::int64_t i : out) {
      if (i < 0 || static_cast<std::size_t>(i) >= width)
        fail("a block's place " + std::to_string(i) + " is outside the " + std::to_string(width) +
             " columns");
      positions.push_back(static_cast<std::size_t>(i));
    }
    return positions;
  }

  const Pickle& p_;
  std::string source_;
  std::size_t columns_axis_ = 0, rows_axis_ = 0;
  std::vector<std::pair<std::size_t, std::size_t>> blocks_;  // (values, places)
};

}  // namespace

CsvTable parse_pandas_table(std::span<const std::uint8_t> bytes, const std::string& source) {
  PickleRules rules;
  rules.context = "not a pickled pandas DataFrame";
  rules.bytes = true;
  rules.allow_global = is_pandas_global;
  rules.allowed_globals =
      "only pandas' DataFrame, block manager, block and index reconstructions, NumPy arrays and "
      "slices are allowed";
  rules.opaque_objects = true;  // decoded by FrameReader once the pickle is read
  const Pickle pickle = read_pickle(bytes, source, rules);
  return FrameReader(pickle, source).read();
}

CsvTable read_pandas_table(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string() + ": cannot be read");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  return parse_pandas_table(bytes, path.string());
}

}  // namespace brainalign::io
