#include "brainalign/io/mat.h"

#include <gtest/gtest.h>
#include <matio.h>

#include <algorithm>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/io/npy.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::contains;
using testing::run_python;
using testing::ScratchDir;
using testing::write_bytes;

const std::filesystem::path kComponents =
    std::filesystem::path(BRAINALIGN_SHARED_DIR) / "data" / "natsound165" / "components.mat";

TEST(Mat, ReadsTheNatsound165ComponentsFile) {
  if (!std::filesystem::exists(kComponents)) GTEST_SKIP() << kComponents << " is missing";
  ScratchDir dir;
  // scipy's view of the same file, as plain .npy arrays in C order.
  ASSERT_TRUE(run_python(dir.path(),
                         "import scipy.io as sio\nm = sio.loadmat('" + kComponents.string() + R"(')
np.save('R.npy', np.ascontiguousarray(m['R']))
np.save('W.npy', np.ascontiguousarray(m['W']))
np.save('stim_names.npy', np.array([c[0] for c in m['stim_names'].ravel(order='F')]))
np.save('category_labels.npy', np.array([c[0] for c in m['category_labels'].ravel(order='F')]))
)"));
  const MatFile file(kComponents);
  EXPECT_TRUE(file.has("R"));
  EXPECT_FALSE(file.has("Q"));
  for (const std::string name :
       {"R", "W", "component_names", "stim_names", "category_labels", "categories"}) {
    const auto names = file.variable_names();
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  const NumericArray responses = file.read_numeric("R");
  EXPECT_EQ(responses.shape, (std::vector<std::size_t>{165, 6}));
  EXPECT_EQ(responses.values, read_npy(dir / "R.npy").to_doubles());
  const NumericArray weights = file.read_numeric("W");
  EXPECT_EQ(weights.shape, (std::vector<std::size_t>{6, 11065}));
  EXPECT_EQ(weights.values, read_npy(dir / "W.npy").to_doubles());
  EXPECT_EQ(
      file.read_strings("component_names"),
      (std::vector<std::string>{"lowfreq", "highfreq", "envsounds", "pitch", "speech", "music"}));
  const auto stim_names = file.read_strings("stim_names");
  ASSERT_EQ(stim_names.size(), 165u);
  EXPECT_EQ(stim_names.front(), "stim28_big_band_music");
  EXPECT_EQ(stim_names, read_npy(dir / "stim_names.npy").to_strings());
  EXPECT_EQ(file.read_strings("category_labels"),
            read_npy(dir / "category_labels.npy").to_strings());
  EXPECT_EQ(file.read_strings("categories").size(), 11u);
}

TEST(Mat, ReadsScipyWrittenMatricesCellsCharsAndStructs) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import scipy.io as sio
variables = {
    'M': np.arange(12.0).reshape(3, 4) / 4,
    'M3': np.arange(24).reshape(2, 3, 4).astype('int16') - 3,
    'F': np.array([[0.5, -1.5]], dtype='float32'),
    'U8': np.array([[0, 255]], dtype='uint8'),
    'L': np.array([[True, False, True]]),
    'grid': np.array([['a', 'b'], ['cc', 'd'], ['e', 'f']], dtype=object),
    'column': np.array(['x', '', 'caf\u00e9 \u03b2'], dtype=object).reshape(3, 1),
    'chars': np.array(['ab  ', 'cde ', 'f   ']),
    'stim_info': {'stim_names': np.array(['stim5_alarm_clock', 'stim7_applause'], dtype=object),
                  'n_stim': 2.0, 'label': 'NH2015'},
    'Z': np.array([1 + 2j]),
}
sio.savemat('plain.mat', variables)
sio.savemat('compressed.mat', variables, do_compression=True)
)"));
  for (const std::string name : {"plain.mat", "compressed.mat"}) {
    SCOPED_TRACE(name);
    const MatFile file(dir / name);
    const NumericArray matrix = file.read_numeric("M");
    EXPECT_EQ(matrix.shape, (std::vector<std::size_t>{3, 4}));
    EXPECT_EQ(matrix.values,
              (std::vector<double>{0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75}));
    const NumericArray cube = file.read_numeric("M3");
    EXPECT_EQ(cube.shape, (std::vector<std::size_t>{2, 3, 4}));
    ASSERT_EQ(cube.values.size(), 24u);
    for (std::size_t i = 0; i < 24; ++i) EXPECT_EQ(cube.values[i], static_cast<double>(i) - 3);
    EXPECT_EQ(file.read_numeric("F").values, (std::vector<double>{0.5, -1.5}));
    EXPECT_EQ(file.read_numeric("U8").values, (std::vector<double>{0, 255}));
    EXPECT_EQ(file.read_numeric("L").values, (std::vector<double>{1, 0, 1}));
    EXPECT_EQ(file.read_strings("grid"), (std::vector<std::string>{"a", "cc", "e", "b", "d", "f"}));
    EXPECT_EQ(file.read_strings("column"),
              (std::vector<std::string>{"x", "", "caf\xc3\xa9 \xce\xb2"}));
    EXPECT_EQ(file.read_strings("chars"), (std::vector<std::string>{"ab", "cde", "f"}));
    EXPECT_EQ(file.read_struct_field_strings("stim_info", "stim_names"),
              (std::vector<std::string>{"stim5_alarm_clock", "stim7_applause"}));
    EXPECT_EQ(file.read_struct_field_strings("stim_info", "label"),
              std::vector<std::string>{"NH2015"});
    const NumericArray count = file.read_struct_field_numeric("stim_info", "n_stim");
    EXPECT_EQ(count.shape, (std::vector<std::size_t>{1, 1}));
    EXPECT_EQ(count.values, std::vector<double>{2});
  }
}

TEST(Mat, ErrorsNameTheFileVariableAndField) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import scipy.io as sio
nested = np.empty((1, 1), dtype=object)
nested[0, 0] = np.array(['a', 'b'], dtype=object)
many = np.array([(1.0,), (2.0,)], dtype=[('a', object)]).reshape(1, 2)
sio.savemat('vars.mat', {'M': np.eye(2), 'names': np.array(['a'], dtype=object),
                         'stim_info': {'stim_names': np.array(['a'], dtype=object)},
                         'many': many, 'Z': np.array([1 + 2j]), 'nested': nested})
)"));
  const auto path = dir / "vars.mat";
  const MatFile file(path);
  const auto expect_error = [&](auto&& action, const std::string& expected) {
    try {
      action();
      ADD_FAILURE() << "no error for " << expected;
    } catch (const InputError& error) {
      EXPECT_TRUE(contains(error.what(), path.string()));
      EXPECT_TRUE(contains(error.what(), expected));
    }
  };
  expect_error([&] { (void)file.read_numeric("R"); }, "variable 'R': no such variable");
  expect_error([&] { (void)file.read_numeric("R"); }, "stim_info");
  expect_error([&] { (void)file.read_numeric("names"); }, "expected a real numeric matrix");
  expect_error([&] { (void)file.read_numeric("Z"); }, "complex");
  expect_error([&] { (void)file.read_strings("M"); }, "expected a cell array of strings");
  expect_error([&] { (void)file.read_strings("nested"); }, "cell 1");
  expect_error([&] { (void)file.read_struct_field_strings("stim_info", "names"); },
               "no field 'names'; its fields are stim_names");
  expect_error([&] { (void)file.read_struct_field_strings("M", "x"); }, "expected a struct");
  expect_error([&] { (void)file.read_struct_field_numeric("many", "a"); }, "expected 1 x 1");
  write_bytes(dir / "fake.mat", std::string(200, 'x'));
  try {
    const MatFile fake(dir / "fake.mat");
    ADD_FAILURE() << "no error for a non-MAT file";
  } catch (const InputError& error) {
    EXPECT_TRUE(contains(error.what(), (dir / "fake.mat").string()));
  }
  EXPECT_THROW(MatFile(dir / "missing.mat"), IoError);
}

// MATLAB v7.3 files are HDF5 files; libmatio writes one here for the reader to read back.
TEST(Mat, ReadsVersion4Files) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import scipy.io as sio
sio.savemat('v4.mat', {'R': np.arange(6.0).reshape(2, 3), 'n': np.array([[7.0]])}, format='4')
)"));
  const MatFile file(dir / "v4.mat");
  const NumericArray r = file.read_numeric("R");
  EXPECT_EQ(r.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(r.values, (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(file.read_numeric("n").values, std::vector<double>{7});
}

TEST(Mat, ReadsVersion73Files) {
  ScratchDir dir;
  const auto path = dir / "v73.mat";
  {
    mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT73);
    ASSERT_NE(mat, nullptr);
    double matrix[] = {1, 4, 2, 5, 3, 6};  // 2 x 3, column-major
    size_t matrix_dims[] = {2, 3};
    matvar_t* numeric = Mat_VarCreate("M", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, matrix_dims, matrix, 0);
    ASSERT_EQ(Mat_VarWrite(mat, numeric, MAT_COMPRESSION_NONE), 0);
    Mat_VarFree(numeric);
    char first[] = "stim5_alarm_clock";
    char second[] = "b";
    size_t first_dims[] = {1, sizeof(first) - 1};
    size_t second_dims[] = {1, sizeof(second) - 1};
    size_t cell_dims[] = {1, 2};
    matvar_t* cell = Mat_VarCreate("names", MAT_C_CELL, MAT_T_CELL, 2, cell_dims, nullptr, 0);
    Mat_VarSetCell(cell, 0,
                   Mat_VarCreate(nullptr, MAT_C_CHAR, MAT_T_UTF8, 2, first_dims, first, 0));
    Mat_VarSetCell(cell, 1,
                   Mat_VarCreate(nullptr, MAT_C_CHAR, MAT_T_UTF8, 2, second_dims, second, 0));
    ASSERT_EQ(Mat_VarWrite(mat, cell, MAT_COMPRESSION_NONE), 0);
    Mat_VarFree(cell);
    Mat_Close(mat);
  }
  const MatFile file(path);
  const NumericArray matrix = file.read_numeric("M");
  EXPECT_EQ(matrix.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(matrix.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(file.read_strings("names"), (std::vector<std::string>{"stim5_alarm_clock", "b"}));
  ASSERT_TRUE(run_python(dir.path(), R"(
import h5py
with h5py.File('v73.mat', 'r') as f:
    assert f['M'].shape == (3, 2), f['M'].shape
)"));
}

}  // namespace
}  // namespace brainalign::io
