// DataFrame pickles read natively, against what pandas itself writes to CSV from the same frame.
#include "brainalign/io/pandas_table.h"

#include <gtest/gtest.h>

#include <cmath>

#include "brainalign/base/error.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::contains;
using testing::ScratchDir;

// The frames: a release-like ROI table (ints, floats with NaN, strings with None, a bool),
// whose columns interleave dtypes so that pandas' blocks hold scattered columns; written with
// each pickle protocol, and with a non-range row index.
constexpr const char* kFrames = R"(
import pandas as pd
frame = pd.DataFrame({
    "voxel_id": np.arange(7) * 3 + 1,
    "roi_label_general": ["Primary", None, "Lateral", "Anterior", "Posterior", None, "Primary"],
    "subj_idx": np.array([1, 1, 2, 2, 3, 3, 3], dtype=np.int32),
    "kell_r_reliability": [0.5, np.nan, 0.25, 1e-300, -3.75, 0.1, 2.0 / 3.0],
    "hemi": ["lh", "rh", "lh", "rh", "lh", "rh", "lh"],
    "shared": [True, False, True, True, False, False, True],
    "x_ras": np.linspace(-40.5, 60.25, 7, dtype=np.float32),
})
for protocol in (2, 3, 4, 5):
    frame.to_pickle(f"frame{protocol}.pkl", protocol=protocol)
frame.to_csv("frame.csv", index=False)
frame.set_index(pd.Index([f"v{i}" for i in range(7)])).to_pickle("named_rows.pkl")
)";

CsvTable reference(const std::filesystem::path& csv) { return read_csv(csv); }

// Cells equal as numbers where both are numbers, as text otherwise; pandas writes NaN and None
// as an empty field.
void expect_same(const CsvTable& got, const CsvTable& want) {
  ASSERT_EQ(got.header, want.header);
  ASSERT_EQ(got.rows.size(), want.rows.size());
  for (std::size_t r = 0; r < want.rows.size(); ++r) {
    for (std::size_t c = 0; c < want.header.size(); ++c) {
      const std::string& g = got.rows[r][c];
      const std::string& w = want.rows[r][c];
      if (w.empty()) {
        EXPECT_EQ(g, "nan") << want.header[c] << " row " << r;
        continue;
      }
      char* end = nullptr;
      const double number = std::strtod(w.c_str(), &end);
      if (end != w.c_str() && *end == '\0') {
        EXPECT_EQ(parse_double(g, "got"), number) << want.header[c] << " row " << r << ": " << g;
      } else {
        EXPECT_EQ(g, w) << want.header[c] << " row " << r;
      }
    }
  }
}

TEST(PandasTable, ReadsWhatDataFrameToPickleWrites) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), kFrames));
  const CsvTable want = reference(dir / "frame.csv");
  for (int protocol : {2, 3, 4, 5}) {
    SCOPED_TRACE(protocol);
    const CsvTable got = read_pandas_table(dir / ("frame" + std::to_string(protocol) + ".pkl"));
    expect_same(got, want);
    EXPECT_EQ(got.rows[1][1], "nan");  // None
    EXPECT_EQ(got.rows[1][3], "nan");  // NaN
    EXPECT_EQ(got.rows[0][5], "True");
    EXPECT_EQ(got.rows[6][0], "19");
    EXPECT_EQ(got.rows[6][3], format_double(2.0 / 3.0));  // every digit kept
    EXPECT_EQ(got.column("subj_idx"), 2u);
  }
  // A row index of labels: rows and columns as before.
  expect_same(read_pandas_table(dir / "named_rows.pkl"), want);
}

// pandas before 1.4 pickled its BlockManager with a state: (axes, values, items,
// {'0.14.1': {'axes': [...], 'blocks': [{'values', 'mgr_locs'}]}}) (pandas 1.3's
// BlockManager.__getstate__), the layout of releases written in 2021.
TEST(PandasTable, ReadsTheBlockManagerStateOfOlderPandas) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), std::string(kFrames) + R"(
import copyreg, io, pickle
from pandas.core.internals.managers import BlockManager

def older_state(manager):
    blocks = [{"values": b.values, "mgr_locs": b.mgr_locs.indexer} for b in manager.blocks]
    axes = list(manager.axes)
    state = (axes, [b["values"] for b in blocks], [manager.items[b["mgr_locs"]] for b in blocks],
             {"0.14.1": {"axes": axes, "blocks": blocks}})
    return (copyreg.__newobj__, (BlockManager,), state)

class OlderPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if type(obj) is BlockManager:
            return older_state(obj)
        return NotImplemented

with open("older.pkl", "wb") as f:
    OlderPickler(f, protocol=4).dump(frame)
)"));
  expect_same(read_pandas_table(dir / "older.pkl"), reference(dir / "frame.csv"));
}

TEST(PandasTable, RefusesWhatIsNotAPlainDataFrame) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import pandas as pd, pickle
pd.Series([1.0, 2.0]).to_pickle("series.pkl")
pd.DataFrame({"c": pd.Categorical(["a", "b", "a"])}).to_pickle("categorical.pkl")
pickle.dump({"voxel_id": [1, 2]}, open("dict.pkl", "wb"))
open("truncated.pkl", "wb").write(open("categorical.pkl", "rb").read()[:100])
)"));
  const auto message = [&](const char* file) {
    try {
      (void)read_pandas_table(dir / file);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_TRUE(contains(message("series.pkl"), "series.pkl: "));
  EXPECT_TRUE(contains(message("series.pkl"), "Series"));
  // A categorical column: pandas' extension array, refused by name.
  EXPECT_TRUE(contains(message("categorical.pkl"), "refuses global 'pandas._libs.arrays"));
  EXPECT_TRUE(contains(message("dict.pkl"), "expected a pandas DataFrame, found a dict"));
  EXPECT_TRUE(contains(message("truncated.pkl"), "truncated.pkl"));
  EXPECT_THROW((void)read_pandas_table(dir / "missing.pkl"), IoError);
}

}  // namespace
}  // namespace brainalign::io
