// Files that declare far more data than they hold are refused with an InputError before
// anything of the declared size is allocated (a bad_alloc, an out-of-memory kill or a
// sanitizer report would otherwise follow).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
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

// The dimensions of every array, nested ones included, are checked against the bytes that hold
// them when the file is opened, before libmatio reads a header.
TEST(AbsurdSizes, MatDimensionsBeyondTheFileAreRefused) {
  const auto numeric = regression("mat/absurd_dims.mat");
  EXPECT_TRUE(contains(input_error([&] { MatFile file(numeric); }),
                       numeric.string() + ", the variable at byte 128: an array of 10000000000 "
                                          "elements stored in 8 bytes"));
  const auto cells = regression("mat/absurd_cell_dims.mat");
  EXPECT_TRUE(
      contains(input_error([&] { MatFile file(cells); }),
               "the variable at byte 128: a cell array of 10000000000 elements in 0 bytes"));
}

// v5 files built element by element: a struct whose field holds a cell array of two names,
// stored plain and compressed, and the same with the nested counts made absurd. libmatio
// allocates a pointer per declared cell (or struct element x field) while reading the header,
// so 2^28 cells in a 300-byte file cost 2 GB and half a minute inside libmatio.
constexpr const char* kNestedMatFiles = R"(
import struct, zlib
import scipy.io as sio
def element(kind, data):
    return struct.pack('<II', kind, len(data)) + data + b'\0' * (-len(data) % 8)
def small(kind, data):
    return struct.pack('<HH', kind, len(data)) + data.ljust(4, b'\0')
def matrix(array_class, dims, name, body):
    return element(14, element(6, struct.pack('<II', array_class, 0)) +
                   element(5, struct.pack('<%di' % len(dims), *dims)) + element(1, name) + body)
def chars(text):
    return matrix(4, [1, len(text)], b'', element(4, text.encode('utf-16-le')))
def struct_of(name, fields, dims=(1, 1)):
    names = b''.join(field.encode().ljust(32, b'\0') for field in fields)
    return matrix(2, list(dims), name,
                  small(5, struct.pack('<i', 32)) + element(1, names) + b''.join(fields.values()))
def nested(depth):
    return chars('deep') if depth == 0 else matrix(1, [1, 1], b'', nested(depth - 1))
header = b'MATLAB 5.0 MAT-file, written element by element'.ljust(116, b' ') + b'\0' * 8
header += struct.pack('<H', 0x0100) + b'IM'
def write(name, variable):
    open(name + '.mat', 'wb').write(header + variable)
    compressed = zlib.compress(variable)
    open(name + '_compressed.mat', 'wb').write(
        header + struct.pack('<II', 15, len(compressed)) + compressed)
names = matrix(1, [2, 1], b'', chars('stim5_alarm_clock') + chars('stim7_applause'))
write('good', struct_of(b'stim_info', {'stim_names': names}))
assert [c[0] for c in sio.loadmat('good.mat')['stim_info'][0, 0]['stim_names'].ravel()] == [
    'stim5_alarm_clock', 'stim7_applause']
write('deep_ok', matrix(1, [1, 1], b'deep', nested(40)))
many_cells = matrix(1, [268435456, 1], b'', chars('stim5_alarm_clock') + chars('stim7_applause'))
write('cells_of_2gb', struct_of(b'stim_info', {'stim_names': many_cells}))
write('struct_elements_of_16gb', struct_of(b'stim_info', {'stim_names': names}, (1, 2**31 - 1)))
write('too_deep', matrix(1, [1, 1], b'deep', nested(100)))
# An empty char array whose data element claims 1.7 GB (found by fuzz_mat: libmatio allocated
# and cleared it while reading the variable).
write('empty_chars_claiming_2gb', matrix(4, [0, 3], b'names', struct.pack('<II', 16, 0x6900b706)))
# Sparse arrays: row indices, column indices, values. libmatio reads the indices as byte count / 4
# values of the stored type, so indices of another type put it out of step with the file; the
# fuzz_mat find stored the row indices in a miMATRIX element, and libmatio took a word inside
# it for the column indices' byte count (4 GB).
def sparse(name, ir, jc):
    return matrix(5, [3, 1], name, ir + jc + element(9, struct.pack('<2d', 1.0, 3.0)))
write('sparse_ok', sparse(b'sp', element(5, struct.pack('<2i', 0, 2)), element(5, struct.pack('<2i', 0, 2))))
assert sio.loadmat('sparse_ok.mat')['sp'].toarray().ravel().tolist() == [1.0, 0.0, 3.0]
write('sparse_rows_in_a_matrix_element',
      sparse(b'sp', element(14, struct.pack('<II', 6, 0xf7490008) + b'\0' * 40),
             element(5, struct.pack('<2i', 0, 2))))
write('sparse_columns_as_bytes', sparse(b'sp', element(5, struct.pack('<2i', 0, 2)), element(2, bytes([0, 2]))))
write('sparse_without_values', matrix(5, [3, 1], b'sp', element(5, struct.pack('<2i', 0, 2))))
# Char arrays of no columns: each row is an empty string. Three rows read as three; 67,305,474
# rows in a 200-byte file (found by fuzz_mat) would cost 2 GB of empty strings.
write('blank_rows', matrix(4, [3, 0], b'blank', element(16, b'')))
assert sio.loadmat('blank_rows.mat', chars_as_strings=False)['blank'].shape == (3, 0)
write('char_rows_of_2gb', matrix(4, [67305474, 0], b'names', element(16, b'adbec ')))
write('char_field_rows_of_2gb',
      struct_of(b'stim_info', {'stim_names': matrix(4, [67305474, 0], b'', element(16, b''))}))
)";

TEST(AbsurdSizes, MatNestedCountsBeyondTheirVariableAreRefusedBeforeOpening) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), kNestedMatFiles));
  for (const std::string suffix : {"", "_compressed"}) {
    SCOPED_TRACE(suffix);
    const MatFile good(dir / ("good" + suffix + ".mat"));
    EXPECT_EQ(good.read_struct_field_strings("stim_info", "stim_names"),
              (std::vector<std::string>{"stim5_alarm_clock", "stim7_applause"}));
    const MatFile deep(dir / ("deep_ok" + suffix + ".mat"));
    EXPECT_EQ(deep.variable_names(), std::vector<std::string>{"deep"});
    const std::string variable =
        ", the variable at byte 128" + std::string(suffix.empty() ? ": " : " (compressed): ");
    const auto refused = [&](const std::string& name) {
      const auto path = dir / (name + suffix + ".mat");
      const std::string message = input_error([&] { MatFile file(path); });
      EXPECT_TRUE(contains(message, path.string() + variable)) << message;
      return message;
    };
    EXPECT_TRUE(contains(refused("cells_of_2gb"), "a cell array of 268435456 elements in "));
    EXPECT_TRUE(contains(refused("struct_elements_of_16gb"),
                         "a struct array of 2147483647 elements x 1 fields in "));
    EXPECT_TRUE(contains(refused("too_deep"), "nests arrays more than 64 deep"));
    EXPECT_TRUE(contains(refused("empty_chars_claiming_2gb"),
                         "an element of 1761654534 bytes where 0 remain"));
    const MatFile sparse(dir / ("sparse_ok" + suffix + ".mat"));
    EXPECT_EQ(sparse.variable_names(), std::vector<std::string>{"sp"});
    EXPECT_TRUE(contains(input_error([&] { (void)sparse.read_numeric("sp"); }), "sparse"));
    EXPECT_TRUE(
        contains(refused("sparse_rows_in_a_matrix_element"),
                 "a sparse array whose row indices are not 32-bit integers (data type 14)"));
    EXPECT_TRUE(
        contains(refused("sparse_columns_as_bytes"),
                 "a sparse array whose column indices are not 32-bit integers (data type 2)"));
    EXPECT_TRUE(contains(refused("sparse_without_values"),
                         "a sparse array without its row indices, column indices and values"));
    const MatFile blank(dir / ("blank_rows" + suffix + ".mat"));
    EXPECT_EQ(blank.read_strings("blank"), std::vector<std::string>(3));
    const MatFile rows(dir / ("char_rows_of_2gb" + suffix + ".mat"));
    EXPECT_TRUE(contains(input_error([&] { (void)rows.read_strings("names"); }),
                         "variable 'names': is a 67305474 x 0 char array, more rows of text than "
                         "the "));
    const MatFile field(dir / ("char_field_rows_of_2gb" + suffix + ".mat"));
    EXPECT_TRUE(contains(
        input_error([&] { (void)field.read_struct_field_strings("stim_info", "stim_names"); }),
        "field 'stim_names': is a 67305474 x 0 char array, more rows of text than the "));
  }
}

// Found by fuzz_mat: an 84-byte file without a v5 header, taken as v4, whose name length
// (746 MB) libmatio allocated and filled: 50 s and 745 MB of memory before the error.
TEST(AbsurdSizes, MatV4HeaderBeyondTheFileIsRefusedBeforeOpening) {
  const auto path = regression("mat/v4_name_length_of_746mb.mat");
  EXPECT_TRUE(
      contains(input_error([&] { MatFile file(path); }), "declares more than the file holds"));
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
