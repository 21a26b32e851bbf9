// Files that declare far more data than they hold are refused with an InputError before
// anything of the declared size is allocated (a bad_alloc, an out-of-memory kill or a
// sanitizer report would otherwise follow).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "brainalign/error.h"
#include "brainalign/io/csv.h"
#include "brainalign/io/hdf5.h"
#include "brainalign/io/mat.h"
#include "brainalign/io/npy.h"
#include "brainalign/io/npz.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::contains;
using testing::run_python;
using testing::ScratchDir;

std::filesystem::path regression(const std::string& name) {
  return std::filesystem::path(BRAINALIGN_TEST_DIR) / "io" / "regressions" / name;
}

template <class F>
std::string input_error(F&& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no InputError thrown";
  return "";
}

TEST(AbsurdSizes, NpyShapeBeyondTheFileIsRefused) {
  EXPECT_TRUE(contains(input_error([] { read_npy(regression("npy/absurd_shape.npy")); }),
                       "truncated .npy data"));
  EXPECT_TRUE(contains(input_error([] { read_npy(regression("npy/overflowing_shape.npy")); }),
                       "overflows"));
}

TEST(AbsurdSizes, NpzMemberSizesBeyondTheArchiveAreRefused) {
  for (const char* name : {"npz/absurd_stored_member.npz", "npz/absurd_deflated_member.npz",
                           "npz/absurd_member_shape.npz"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(contains(input_error([&] { read_npz(regression(name)); }), regression(name)));
  }
}

TEST(AbsurdSizes, Hdf5DatasetLargerThanItsStorageIsRefused) {
  const auto path = regression("hdf5/unstored_huge_dataset.h5");
  EXPECT_TRUE(contains(input_error([&] { read_hdf5_numeric(path, "layer"); }),
                       "declares 1000000000000 values"));
  EXPECT_TRUE(contains(input_error([&] { read_hdf5_strings(path, "names"); }), "stores only"));
}

TEST(AbsurdSizes, Hdf5HighlyCompressedAndUnwrittenSmallDatasetsStillRead) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import h5py
with h5py.File('zeros.h5', 'w') as f:
    f.create_dataset('zeros', data=np.zeros((1000, 1000)), compression='gzip',
                     compression_opts=9, chunks=(1000, 1000))
    f.create_dataset('unwritten', shape=(4, 3), dtype='f4')
)"));
  EXPECT_EQ(read_hdf5_numeric(dir / "zeros.h5", "zeros").values.size(), 1000000u);
  EXPECT_EQ(read_hdf5_numeric(dir / "zeros.h5", "unwritten").values, std::vector<double>(12, 0.0));
}

TEST(AbsurdSizes, MatDimensionsBeyondTheFileAreRefused) {
  const MatFile numeric(regression("mat/absurd_dims.mat"));
  EXPECT_TRUE(contains(input_error([&] { numeric.read_numeric("R"); }),
                       "declares a 100000 x 100000 double array"));
  const MatFile cells(regression("mat/absurd_cell_dims.mat"));
  EXPECT_TRUE(contains(input_error([&] { cells.read_strings("stim_names"); }),
                       "more than the 192-byte file can hold"));
}

// Found by fuzz_mat: an 84-byte file without a v5 header, taken as v4, whose name length
// (746 MB) libmatio allocated and filled: 50 s and 745 MB of memory before the error.
TEST(AbsurdSizes, MatV4HeaderBeyondTheFileIsRefusedBeforeOpening) {
  const auto path = regression("mat/v4_name_length_of_746mb.mat");
  EXPECT_TRUE(contains(input_error([&] { MatFile file(path); }),
                       "declares more than the file holds"));
}

// Found by fuzz_mat: a 553-byte v5 file whose first element claims 4 GB, which libmatio
// allocated and filled while listing the variables (70 s, 4.2 GB of memory).
TEST(AbsurdSizes, MatV5ElementBeyondTheFileIsRefusedBeforeOpening) {
  const auto path = regression("mat/v5_element_of_4gb.mat");
  EXPECT_TRUE(contains(input_error([&] { MatFile file(path); }), "more than the file holds"));
}

TEST(AbsurdSizes, CsvAboveTheSizeLimitIsRefusedUnread) {
  ScratchDir dir;
  const auto path = dir / "huge.csv";
  { std::ofstream(path) << "stimulus,fold\n"; }
  std::filesystem::resize_file(path, std::uintmax_t{4} << 30);  // sparse: no disk is used
  EXPECT_TRUE(contains(input_error([&] { read_csv(path); }), "above 256 MiB"));
}

}  // namespace
}  // namespace brainalign::io
