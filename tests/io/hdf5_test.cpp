#include "brainalign/io/hdf5.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "brainalign/base/error.h"
#include "common/error_message.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::contains;
using testing::run_python;
using testing::ScratchDir;
using testing::write_bytes;

// Runs `read` and checks that it throws an InputError whose message holds each of `expected`.
template <class Read>
void expect_input_error(Read&& read, const std::vector<std::string>& expected) {
  const std::string message = brainalign::testing::error_message<InputError>(read);
  for (const std::string& part : expected) EXPECT_TRUE(contains(message, part));
}

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

// Variable-length strings in every storage layout h5py can write, in files with and without a
// user block, many enough to fill several global heap collections; h5py's own reading of each
// is written beside it, one string per line, as the expected value.
constexpr const char* kWriteVariableLengthStrings = R"(
import h5py
rng = np.random.default_rng(3)
alphabet = list('abcdefghijklmnopqrstuvwxyz0123456789_') + ['\u00e9', '\u4e2d']
names = [''.join(rng.choice(alphabet, size=rng.integers(0, 40))) for _ in range(3000)]
names[7] = ''
grid = np.array(names, dtype=object).reshape(60, 50)
def write(path, layout, **file_options):
    with h5py.File(path, 'w', **file_options) as f:
        kwargs = dict(dtype=h5py.string_dtype())
        if layout == 'compact':
            space = h5py.h5s.create_simple((4,))
            plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            plist.set_layout(h5py.h5d.COMPACT)
            h5py.h5d.create(f.id, b'grid', h5py.h5t.py_create(h5py.string_dtype(), logical=True),
                            space, dcpl=plist)
            f['grid'][...] = np.array(names[:4], dtype=object)
        elif layout == 'chunked':
            f.create_dataset('grid', data=grid, chunks=(7, 9), compression='gzip', **kwargs)
        else:
            f.create_dataset('grid', data=grid, **kwargs)
    with h5py.File(path, 'r') as f:
        values = [v.decode() for v in f['grid'][...].ravel()]
        layout_found = f['grid'].id.get_create_plist().get_layout()
    assert layout_found == {'compact': h5py.h5d.COMPACT, 'chunked': h5py.h5d.CHUNKED}.get(
        layout, h5py.h5d.CONTIGUOUS)
    with open(path + '.expected', 'w', encoding='utf-8') as out:
        out.write(''.join(v + '\n' for v in values))
write('contiguous.h5', 'contiguous')
write('userblock.h5', 'contiguous', userblock_size=1024)
write('chunked.h5', 'chunked')
write('compact.h5', 'compact')
)";

std::vector<std::string> expected_lines(const std::filesystem::path& path) {
  std::ifstream in(path.string() + ".expected", std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Hdf5, ReadsVariableLengthStringsFromEveryLayoutAsH5pyDoes) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), kWriteVariableLengthStrings));
  for (const char* name : {"contiguous.h5", "userblock.h5", "chunked.h5", "compact.h5"}) {
    SCOPED_TRACE(name);
    const std::vector<std::string> expected = expected_lines(dir / name);
    ASSERT_EQ(expected.size(), std::string(name) == "compact.h5" ? 4u : 3000u);
    EXPECT_EQ(read_hdf5_strings(dir / name, "grid"), expected);
  }
}

// Compact datasets keep their values in the object header; a corrupt one that declares more
// values than it holds is refused
// (tests/io/regressions/hdf5/compact_dataset_without_its_values.h5).
TEST(Hdf5, ReadsCompactNumericDatasets) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import h5py
with h5py.File('compact.h5', 'w') as f:
    space = h5py.h5s.create_simple((6, 3))
    plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    plist.set_layout(h5py.h5d.COMPACT)
    h5py.h5d.create(f.id, b'block', h5py.h5t.IEEE_F64LE, space, dcpl=plist)
    f['block'][...] = np.arange(18.0).reshape(6, 3) / 8
    assert f['block'].id.get_create_plist().get_layout() == h5py.h5d.COMPACT
)"));
  const Hdf5Array block = read_hdf5_numeric(dir / "compact.h5", "block");
  EXPECT_EQ(block.shape, (std::vector<std::size_t>{6, 3}));
  EXPECT_EQ(block.values, iota_over(18, 0, 8));
}

// A file whose variable-length string references or global heap disagree: each is an
// InputError naming the file, the dataset and what is wrong (libhdf5 1.10.8 itself crashes,
// loops or allocates gigabytes on such files).
constexpr const char* kCorruptGlobalHeaps = R"(
import h5py
with h5py.File('good.h5', 'w') as f:
    f.create_dataset('names', data=['alpha', 'beta', 'gamma'], dtype=h5py.string_dtype())
    offset = f['names'].id.get_offset()
good = bytearray(open('good.h5', 'rb').read())
heap = good.index(b'GCOL')
assert int.from_bytes(good[offset + 4:offset + 12], 'little') == heap
def corrupt(name, at, value, size):
    data = bytearray(good)
    data[at:at + size] = value.to_bytes(size, 'little')
    open(name, 'wb').write(data)
corrupt('long_reference.h5', offset, 1000, 4)                  # 1000 bytes of a 5-byte object
corrupt('missing_object.h5', offset + 12, 77, 4)               # object 77 does not exist
corrupt('collection_beyond_file.h5', offset + 4, 1 << 40, 8)   # collection past the end
corrupt('not_a_collection.h5', offset + 4, 8, 8)               # points into the superblock
corrupt('object_beyond_collection.h5', heap + 16 + 8, 1 << 27, 8)  # object 1 of 128 MB
corrupt('huge_collection.h5', heap + 8, 1 << 50, 8)            # a collection of 1 PB
)";

TEST(Hdf5, CorruptVariableLengthStringsAreInputErrorsNamingTheProblem) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), kCorruptGlobalHeaps));
  EXPECT_EQ(read_hdf5_strings(dir / "good.h5", "names"),
            (std::vector<std::string>{"alpha", "beta", "gamma"}));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"long_reference.h5", "variable-length string 0 of 1000 bytes points to object"},
      {"missing_object.h5", "points to no object 77"},
      {"collection_beyond_file.h5", "lies beyond the end of the file"},
      {"not_a_collection.h5", "is not a global heap collection"},
      {"object_beyond_collection.h5", "object 1 of 134217728 bytes"},
      {"huge_collection.h5", "declares 1125899906842624 bytes"},
  };
  for (const auto& [name, expected] : cases) {
    SCOPED_TRACE(name);
    const auto path = dir / name;
    expect_input_error([&] { (void)read_hdf5_strings(path, "names"); },
                       {path.string() + ", dataset 'names'", expected});
  }
}

// Root groups in each way h5py stores them, and copies of a two-level symbol table B-tree
// with one address corrupted. The honest files read as h5py reads them; each corrupt copy is
// an InputError naming what lies outside the file (libhdf5 1.10.8 copies through a NULL
// pointer when a B-tree child address is near 2^64).
constexpr const char* kGroupStructures = R"(
import h5py
import numpy as np
def write(path, count, **options):
    with h5py.File(path, 'w', **options) as f:
        for i in range(count):
            f.create_dataset(f'layer{i:03d}', data=np.full((2, 3), i, dtype='<f4'))
    with h5py.File(path, 'r') as f:
        assert len(f) == count and f[f'layer{count - 1:03d}'][0, 0] == count - 1
write('deep.h5', 600)                           # a B-tree of two levels over symbol nodes
write('latest_compact.h5', 5, libver='latest')  # superblock 3, links in the object header
write('latest_dense.h5', 40, libver='latest')   # links in a fractal heap
write('userblock.h5', 40, userblock_size=512)   # addresses relative to byte 512
good = bytes(open('deep.h5', 'rb').read())
assert good[8] == 0 and good[13] == 8 and good[14] == 8  # superblock 0, 8-byte fields
btree, heap = (int.from_bytes(good[at:at + 8], 'little') for at in (80, 88))
assert good[btree:btree + 4] == b'TREE' and good[btree + 5] == 1
child = lambda node, i: node + 32 + 16 * i      # TREE header 24 bytes, then key, child, ...
address = lambda at: int.from_bytes(good[at:at + 8], 'little')
leaf = address(child(btree, 0))
assert good[leaf:leaf + 4] == b'TREE' and good[leaf + 5] == 0
snod = address(child(leaf, 0))
assert good[snod:snod + 4] == b'SNOD'
def corrupt(name, at, value):
    data = bytearray(good)
    data[at:at + 8] = value.to_bytes(8, 'little')
    open(name, 'wb').write(data)
corrupt('child_undefined.h5', child(btree, 0), 2**64 - 1)
corrupt('child_near_2_64.h5', child(leaf, 1), 2**64 - 64)
corrupt('child_twice.h5', child(leaf, 1), snod)
corrupt('child_not_a_node.h5', child(btree, 1), heap)
corrupt('member_beyond.h5', snod + 8 + 8, 2**40)  # entry 0: name offset, object header
corrupt('heap_data_beyond.h5', heap + 24, 2**40)
)";

TEST(Hdf5, GroupStructuresAreCheckedBeforeLibhdf5ReadsThem) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), kGroupStructures));
  for (const auto& [name, count] :
       std::vector<std::pair<std::string, std::size_t>>{{"deep.h5", 600},
                                                        {"latest_compact.h5", 5},
                                                        {"latest_dense.h5", 40},
                                                        {"userblock.h5", 40}}) {
    SCOPED_TRACE(name);
    const auto names = hdf5_dataset_names(dir / name);
    ASSERT_EQ(names.size(), count);
    char last[16];
    std::snprintf(last, sizeof last, "layer%03zu", count - 1);
    const Hdf5Array array = read_hdf5_numeric(dir / name, last);
    EXPECT_EQ(array.shape, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(array.values, std::vector<double>(6, static_cast<double>(count - 1)));
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"child_undefined.h5",
       "the root group's B-tree node (544 bytes at address 18446744073709551615) lies beyond"},
      {"child_near_2_64.h5", "at address 18446744073709551552) lies beyond the end of the file"},
      {"child_twice.h5", "is reached twice"},
      {"child_not_a_node.h5", "that is not a group B-tree node"},
      {"member_beyond.h5",
       "the object header of root group member 0 (16 bytes at address 1099511627776)"},
      {"heap_data_beyond.h5", "the root group's local heap data"},
  };
  for (const auto& [name, expected] : cases) {
    SCOPED_TRACE(name);
    const auto path = dir / name;
    expect_input_error([&] { (void)hdf5_dataset_names(path); }, {path.string() + ": ", expected});
  }
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
