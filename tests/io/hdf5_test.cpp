#include "brainalign/io/hdf5.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "brainalign/error.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::contains;
using testing::run_python;
using testing::ScratchDir;
using testing::write_bytes;

// Activations as the 2023 in-house extraction wrote them: one dataset per layer plus
// `layer_list`, written once with variable-length and once with fixed-length strings.
constexpr const char* kWriteActivations = R"(
import h5py
layers = ['conv1', 'relu1', 'fc_top']
unicode_layers = layers + ['b\u00e9ta']
layer_lists = {
    'vlen': dict(data=unicode_layers, dtype=h5py.string_dtype()),
    'fixed': dict(data=np.array(layers, dtype='S10')),
    'vlen_bytes': dict(data=np.array([n.encode() for n in layers], dtype=object),
                       dtype=h5py.special_dtype(vlen=bytes)),
    'fixed_utf8': dict(data=np.array([n.encode() for n in unicode_layers],
                                     dtype=h5py.string_dtype('utf-8', 12))),
}
for kind, layer_list in layer_lists.items():
    with h5py.File(kind + '.h5', 'w') as f:
        f['relu1'] = np.arange(12, dtype='<f4').reshape(3, 4) / 4
        f['conv1'] = np.arange(24, dtype='>f8').reshape(2, 3, 4) - 5
        f['fc_top'] = np.array([[-3, 7], [100, -32768]], dtype='>i2')
        f['scalar'] = np.float64(2.5)
        f['half'] = np.array([0.5, -2, 65504], dtype='<f2')
        f.create_group('extras')['nested'] = np.zeros(2)
        f.create_dataset('layer_list', **layer_list)
        f['grid'] = np.array([[b'a', b'bb'], [b'ccc', b'']], dtype='S3')
    with h5py.File(kind + '.h5', 'r') as f:
        assert h5py.check_string_dtype(f['layer_list'].dtype).length == (None if 'vlen' in kind else f['layer_list'].dtype.itemsize)
)";

std::vector<double> iota_over(std::size_t count, double offset, double divisor) {
  std::vector<double> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = (static_cast<double>(i) + offset) / divisor;
  return values;
}

TEST(Hdf5, ListsRootDatasetsAndReadsNumericLayers) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), kWriteActivations));
  const auto path = dir / "vlen.h5";
  EXPECT_EQ(hdf5_dataset_names(path), (std::vector<std::string>{"conv1", "fc_top", "grid", "half",
                                                                "layer_list", "relu1", "scalar"}));
  const Hdf5Array relu = read_hdf5_numeric(path, "relu1");
  EXPECT_EQ(relu.shape, (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(relu.values, iota_over(12, 0, 4));
  const Hdf5Array conv = read_hdf5_numeric(path, "conv1");
  EXPECT_EQ(conv.shape, (std::vector<std::size_t>{2, 3, 4}));
  EXPECT_EQ(conv.values, iota_over(24, -5, 1));
  EXPECT_EQ(read_hdf5_numeric(path, "fc_top").values, (std::vector<double>{-3, 7, 100, -32768}));
  const Hdf5Array scalar = read_hdf5_numeric(path, "scalar");
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.values, std::vector<double>{2.5});
  EXPECT_EQ(read_hdf5_numeric(path, "half").values, (std::vector<double>{0.5, -2, 65504}));
  EXPECT_EQ(read_hdf5_numeric(path, "extras/nested").values, (std::vector<double>{0, 0}));
}

TEST(Hdf5, ReadsLayerListAsFixedOrVariableLengthStrings) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), kWriteActivations));
  const std::vector<std::string> layers = {"conv1", "relu1", "fc_top"};
  std::vector<std::string> with_unicode = layers;
  with_unicode.push_back("b\xc3\xa9ta");
  EXPECT_EQ(read_hdf5_strings(dir / "vlen.h5", "layer_list"), with_unicode);
  EXPECT_EQ(read_hdf5_strings(dir / "fixed.h5", "layer_list"), layers);
  EXPECT_EQ(read_hdf5_strings(dir / "vlen_bytes.h5", "layer_list"), layers);
  EXPECT_EQ(read_hdf5_strings(dir / "fixed_utf8.h5", "layer_list"), with_unicode);
  EXPECT_EQ(read_hdf5_strings(dir / "fixed.h5", "grid"),
            (std::vector<std::string>{"a", "bb", "ccc", ""}));
}

TEST(Hdf5, ErrorsNameTheFileAndDataset) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), kWriteActivations));
  const auto path = dir / "fixed.h5";
  const auto expect_error = [&](auto&& action, const std::string& expected) {
    try {
      action();
      ADD_FAILURE() << "no error for " << expected;
    } catch (const InputError& error) {
      EXPECT_TRUE(contains(error.what(), path.string()));
      EXPECT_TRUE(contains(error.what(), expected));
    }
  };
  expect_error([&] { (void)read_hdf5_numeric(path, "conv2"); }, "dataset 'conv2'");
  expect_error([&] { (void)read_hdf5_numeric(path, "conv2"); }, "'relu1'");
  expect_error([&] { (void)read_hdf5_strings(path, "missing"); }, "dataset 'missing'");
  expect_error([&] { (void)read_hdf5_numeric(path, "layer_list"); }, "holds string values");
  expect_error([&] { (void)read_hdf5_strings(path, "relu1"); }, "expected strings");
  expect_error([&] { (void)read_hdf5_numeric(path, "extras"); }, "not a dataset");
  write_bytes(dir / "fake.h5", "\x89HDF not really");
  try {
    (void)hdf5_dataset_names(dir / "fake.h5");
    ADD_FAILURE() << "no error for a non-HDF5 file";
  } catch (const InputError& error) {
    EXPECT_TRUE(contains(error.what(), (dir / "fake.h5").string()));
  }
  EXPECT_THROW((void)read_hdf5_numeric(dir / "missing.h5", "relu1"), IoError);
}

}  // namespace
}  // namespace brainalign::io
