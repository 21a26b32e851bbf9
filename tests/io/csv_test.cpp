#include "brainalign/io/csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::contains;
using testing::run_python;
using testing::ScratchDir;
using testing::write_bytes;
using Rows = std::vector<std::vector<std::string>>;

const std::filesystem::path kNatsound =
    std::filesystem::path(BRAINALIGN_SHARED_DIR) / "data" / "natsound165";

std::string input_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

TEST(Csv, ReadsTheNatsound165Tables) {
  if (!std::filesystem::exists(kNatsound / "folds_5x33.csv")) GTEST_SKIP() << "no shared data";
  const CsvTable folds = read_csv(kNatsound / "folds_5x33.csv");
  EXPECT_EQ(folds.header, (std::vector<std::string>{"stimulus", "fold"}));
  ASSERT_EQ(folds.rows.size(), 165u);
  EXPECT_EQ(folds.rows[0], (std::vector<std::string>{"stim5_alarm_clock", "0"}));
  EXPECT_EQ(folds.column("fold"), 1u);
  const CsvTable labels = read_csv(kNatsound / "category_labels.csv", false);
  EXPECT_TRUE(labels.header.empty());
  ASSERT_EQ(labels.rows.size(), 165u);
  EXPECT_EQ(labels.rows[0], (std::vector<std::string>{"stim28_big_band_music", "Music"}));
  const CsvTable splits = read_csv(kNatsound / "splits_10x83.csv");
  EXPECT_EQ(splits.header.size(), 11u);
  EXPECT_EQ(splits.column("split9"), 10u);
}

TEST(Csv, ReadsQuotingCrlfBomAndTrailingBlankLinesAsPythonWritesThem) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import csv
rows = [['name', 'note', 'value'],
        ['stim5_alarm_clock', 'plain', '1.5'],
        ['with, comma', 'say "hi"', ''],
        ['multi\nline', ' padded ', '-2e3'],
        ['caf\u00e9', '', 'nan']]
with open('crlf.csv', 'w', newline='', encoding='utf-8-sig') as f:
    csv.writer(f).writerows(rows)
    f.write('\r\n\r\n')
with open('lf.csv', 'w', newline='', encoding='utf-8') as f:
    csv.writer(f, lineterminator='\n', quoting=csv.QUOTE_ALL).writerows(rows)
import pandas as pd
pd.DataFrame({'voxel_id': [3, 4], 'roi_label_general': ['Primary', None],
              'x_ras': [-40.5, 1.25]}).to_csv('pandas.csv', index=False)
)"));
  const Rows expected = {{"stim5_alarm_clock", "plain", "1.5"},
                         {"with, comma", "say \"hi\"", ""},
                         {"multi\nline", " padded ", "-2e3"},
                         {"caf\xc3\xa9", "", "nan"}};
  for (const std::string name : {"crlf.csv", "lf.csv"}) {
    SCOPED_TRACE(name);
    const CsvTable table = read_csv(dir / name);
    EXPECT_EQ(table.header, (std::vector<std::string>{"name", "note", "value"}));
    EXPECT_EQ(table.rows, expected);
    EXPECT_EQ(table.source, (dir / name).string());
  }
  const CsvTable pandas = read_csv(dir / "pandas.csv");
  EXPECT_EQ(pandas.header, (std::vector<std::string>{"voxel_id", "roi_label_general", "x_ras"}));
  EXPECT_EQ(pandas.rows, (Rows{{"3", "Primary", "-40.5"}, {"4", "", "1.25"}}));
}

TEST(Csv, FormattedDoublesReadBackExactly) {
  std::uint64_t state = 88172645463325252ULL;  // xorshift: bit patterns of every magnitude
  for (int i = 0; i < 20000; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    double value;
    std::memcpy(&value, &state, sizeof value);
    if (!std::isfinite(value)) continue;
    EXPECT_EQ(parse_double(format_double(value), "test"), value) << format_double(value);
  }
  // The shortest text that reads back exactly, as Python's repr chooses its digits.
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(0.355), "0.355");
  EXPECT_EQ(format_double(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(format_double(2.5e-300), "2.5e-300");
  EXPECT_EQ(format_double(-0.0), "-0");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(format_double(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(Csv, ParsesEdgeCasesInMemory) {
  EXPECT_EQ(parse_csv("a,b\n1,\n,2", "t.csv").rows, (Rows{{"1", ""}, {"", "2"}}));
  EXPECT_EQ(parse_csv("a\n\n\"\"\nx\n\n", "t.csv").rows, (Rows{{""}, {""}, {"x"}}));
  EXPECT_EQ(parse_csv("a,b\r\n\"x\"\"y\",\"1\r\n2\"\r\n", "t.csv").rows,
            (Rows{{"x\"y", "1\r\n2"}}));
  EXPECT_TRUE(parse_csv("", "t.csv", false).rows.empty());
  EXPECT_TRUE(parse_csv("only,header\n", "t.csv").rows.empty());
}

TEST(Csv, ErrorsNameTheFileAndLine) {
  ScratchDir dir;
  write_bytes(dir / "short.csv", "stimulus,fold\nstim5,0\n\"stim\n7\",1\nstim9\n");
  const std::string short_row = input_error([&] { (void)read_csv(dir / "short.csv"); });
  EXPECT_TRUE(contains(short_row, (dir / "short.csv").string() + ", line 5"));
  EXPECT_TRUE(contains(short_row, "1 fields; expected 2"));
  write_bytes(dir / "long.csv", "a,b\n1,2\n1,2,3\n");
  EXPECT_TRUE(contains(input_error([&] { (void)read_csv(dir / "long.csv", false); }),
                       "long.csv, line 3: 3 fields; expected 2 as in line 1"));
  write_bytes(dir / "open.csv", "a,b\n1,\"never closed\n2,3\n");
  EXPECT_TRUE(contains(input_error([&] { (void)read_csv(dir / "open.csv"); }),
                       "open.csv, line 2: a quoted field is never closed"));
  write_bytes(dir / "after.csv", "a,b\n\"x\"y,2\n");
  EXPECT_TRUE(contains(input_error([&] { (void)read_csv(dir / "after.csv"); }),
                       "after.csv, line 2: unexpected text after a closing quote"));
  write_bytes(dir / "empty.csv", "");
  EXPECT_TRUE(contains(input_error([&] { (void)read_csv(dir / "empty.csv"); }), "empty.csv"));
  const CsvTable table = parse_csv("stimulus,fold\n", "folds.csv");
  const std::string missing = input_error([&] { (void)table.column("split"); });
  EXPECT_TRUE(contains(missing, "folds.csv: no column 'split'"));
  EXPECT_TRUE(contains(missing, "'stimulus', 'fold'"));
  EXPECT_THROW((void)read_csv(dir / "missing.csv"), IoError);
}

TEST(Csv, WriterQuotesWhatNeedsItAndPythonReadsItBack) {
  ScratchDir dir;
  const std::vector<std::string> header = {"name", "note"};
  const Rows rows = {{"plain", "with, comma"},
                     {"say \"hi\"", "two\nlines"},
                     {" padded", ""},
                     {"caf\xc3\xa9", "x\r\ny"}};
  write_csv(dir / "out.csv", header, rows);
  write_csv(dir / "single.csv", {"only"}, {{""}, {"a"}});
  ASSERT_TRUE(run_python(dir.path(), R"(
import csv
with open('out.csv', newline='', encoding='utf-8') as f:
    got = list(csv.reader(f))
assert got == [['name', 'note'], ['plain', 'with, comma'], ['say "hi"', 'two\nlines'],
               [' padded', ''], ['caf\u00e9', 'x\r\ny']], got
assert open('out.csv', 'rb').read().startswith(b'name,note\nplain,"with, comma"\n')
with open('single.csv', newline='') as f:
    assert list(csv.reader(f)) == [['only'], [''], ['a']]
)"));
  const CsvTable back = read_csv(dir / "out.csv");
  EXPECT_EQ(back.header, header);
  EXPECT_EQ(back.rows, rows);
  EXPECT_EQ(read_csv(dir / "single.csv").rows, (Rows{{""}, {"a"}}));
  EXPECT_THROW(write_csv(dir / "ragged.csv", header, {{"1"}}), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir / "ragged.csv"));
}

TEST(Csv, ParseDoubleAcceptsNumbersAndNamesTheContext) {
  EXPECT_EQ(parse_double("1.5", "c"), 1.5);
  EXPECT_EQ(parse_double(" -2e3 ", "c"), -2000.0);
  EXPECT_EQ(parse_double("+4", "c"), 4.0);
  EXPECT_EQ(parse_double("0.1", "c"), 0.1);
  EXPECT_TRUE(std::isnan(parse_double("nan", "c")));
  EXPECT_EQ(parse_double("-inf", "c"), -std::numeric_limits<double>::infinity());
  for (const std::string bad : {"", "abc", "1.5x", "+-1", "1,5", "--1"}) {
    SCOPED_TRACE(bad);
    const std::string message =
        input_error([&] { (void)parse_double(bad, "folds.csv, line 4, column 'fold'"); });
    EXPECT_TRUE(contains(message,
                         "folds.csv, line 4, column 'fold': expected a number, got '" + bad + "'"));
  }
}

}  // namespace
}  // namespace brainalign::io
