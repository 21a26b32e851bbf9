#include "brainalign/io/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "common/error_message.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using brainalign::testing::error_message;
using testing::contains;
using testing::run_python;
using testing::ScratchDir;
using testing::write_bytes;

// A .npy file from a hand-written header dict and raw data bytes (version 1.0).
std::string npy_bytes(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xFF);
  bytes += static_cast<char>(header.size() >> 8);
  return bytes + header + data;
}

std::vector<double> iota_over(std::size_t count, double divisor) {
  std::vector<double> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = static_cast<double>(i) / divisor;
  return values;
}

TEST(Npy, ReadsFloat64MatrixInCOrder) {
  ScratchDir dir;
  ASSERT_TRUE(
      run_python(dir.path(), "np.save('a.npy', np.arange(12, dtype='<f8').reshape(3, 4) / 8)"));
  const NpyArray array = read_npy(dir / "a.npy");
  EXPECT_EQ(array.shape(), (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(array.descr(), "<f8");
  EXPECT_FALSE(array.fortran_order());
  EXPECT_FALSE(array.is_structured());
  EXPECT_EQ(array.size(), 12u);
  EXPECT_EQ(array.source(), (dir / "a.npy").string());
  EXPECT_EQ(array.to_doubles(), iota_over(12, 8));
}

TEST(Npy, FortranOrderIsReturnedInCOrder) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
np.save('f3.npy', np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4)))
np.save('f2.npy', np.asfortranarray(np.arange(6, dtype='>i4').reshape(2, 3)))
np.save('f1.npy', np.asfortranarray(np.arange(5, dtype='<f4')))
)"));
  const NpyArray three = read_npy(dir / "f3.npy");
  EXPECT_TRUE(three.fortran_order());
  EXPECT_EQ(three.shape(), (std::vector<std::size_t>{2, 3, 4}));
  EXPECT_EQ(three.to_doubles(), iota_over(24, 1));
  const NpyArray two = read_npy(dir / "f2.npy");
  EXPECT_TRUE(two.fortran_order());
  EXPECT_EQ(two.descr(), ">i4");
  EXPECT_EQ(two.to_doubles(), iota_over(6, 1));
  EXPECT_EQ(read_npy(dir / "f1.npy").to_doubles(), iota_over(5, 1));
}

TEST(Npy, ReadsEveryNumericDtypeInBothByteOrders) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
signed = [-128, -5, 0, 7, 100, 127]
unsigned = [0, 7, 100, 255]
floats = [-1.5, 0.25, 1000.0, 65504.0, 2.0**-14, 2.0**-24]
np.save('bool.npy', np.array([True, False, True]))
for bo in '<>':
    for n in (1, 2, 4, 8):
        np.save(f'i{n}{bo}.npy', np.array(signed, dtype=f'{bo}i{n}'))
        np.save(f'u{n}{bo}.npy', np.array(unsigned, dtype=f'{bo}u{n}'))
    for n in (2, 4, 8):
        np.save(f'f{n}{bo}.npy', np.array(floats, dtype=f'{bo}f{n}'))
    np.save(f'i8ext{bo}.npy', np.array([np.iinfo('i8').min, np.iinfo('i8').max, -1], dtype=f'{bo}i8'))
    np.save(f'i4ext{bo}.npy', np.array([np.iinfo('i4').min, np.iinfo('i4').max, -1], dtype=f'{bo}i4'))
    np.save(f'u8ext{bo}.npy', np.array([np.iinfo('u8').max], dtype=f'{bo}u8'))
    np.save(f'special{bo}.npy', np.array([np.inf, -np.inf, np.nan, 0.1], dtype=f'{bo}f4'))
    np.save(f'special16{bo}.npy', np.array([np.inf, -np.inf, np.nan, -0.0], dtype=f'{bo}f2'))
)"));
  EXPECT_EQ(read_npy(dir / "bool.npy").to_doubles(), (std::vector<double>{1, 0, 1}));
  const std::vector<double> signed_values = {-128, -5, 0, 7, 100, 127};
  const std::vector<double> unsigned_values = {0, 7, 100, 255};
  const std::vector<double> float_values = {
      -1.5, 0.25, 1000.0, 65504.0, std::ldexp(1.0, -14), std::ldexp(1.0, -24)};
  for (const std::string order : {"<", ">"}) {
    for (const std::string n : {"1", "2", "4", "8"}) {
      SCOPED_TRACE(order + n);
      EXPECT_EQ(read_npy(dir / ("i" + n + order + ".npy")).to_doubles(), signed_values);
      EXPECT_EQ(read_npy(dir / ("u" + n + order + ".npy")).to_doubles(), unsigned_values);
      if (n != "1") {
        const NpyArray floats = read_npy(dir / ("f" + n + order + ".npy"));
        EXPECT_EQ(floats.to_doubles(), float_values);
        EXPECT_EQ(floats.descr(), order + "f" + n);
      }
    }
    EXPECT_EQ(
        read_npy(dir / ("i8ext" + order + ".npy")).to_doubles(),
        (std::vector<double>{static_cast<double>(std::numeric_limits<std::int64_t>::min()),
                             static_cast<double>(std::numeric_limits<std::int64_t>::max()), -1}));
    EXPECT_EQ(read_npy(dir / ("i4ext" + order + ".npy")).to_doubles(),
              (std::vector<double>{-2147483648.0, 2147483647.0, -1}));
    EXPECT_EQ(
        read_npy(dir / ("u8ext" + order + ".npy")).to_doubles(),
        (std::vector<double>{static_cast<double>(std::numeric_limits<std::uint64_t>::max())}));
    for (const std::string name : {"special", "special16"}) {
      const auto special = read_npy(dir / (name + order + ".npy")).to_doubles();
      ASSERT_EQ(special.size(), 4u);
      EXPECT_EQ(special[0], std::numeric_limits<double>::infinity());
      EXPECT_EQ(special[1], -std::numeric_limits<double>::infinity());
      EXPECT_TRUE(std::isnan(special[2]));
    }
    EXPECT_EQ(read_npy(dir / ("special" + order + ".npy")).to_doubles()[3],
              static_cast<double>(0.1f));
    EXPECT_TRUE(std::signbit(read_npy(dir / ("special16" + order + ".npy")).to_doubles()[3]));
  }
}

TEST(Npy, ReadsScalarsAndEmptyArrays) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
np.save('scalar.npy', np.float64(2.5))
np.save('empty.npy', np.zeros((0,), dtype='<f8'))
np.save('empty2.npy', np.zeros((3, 0), dtype='<i8'))
)"));
  const NpyArray scalar = read_npy(dir / "scalar.npy");
  EXPECT_TRUE(scalar.shape().empty());
  EXPECT_EQ(scalar.size(), 1u);
  EXPECT_EQ(scalar.to_doubles(), std::vector<double>{2.5});
  EXPECT_EQ(read_npy(dir / "empty.npy").shape(), std::vector<std::size_t>{0});
  EXPECT_TRUE(read_npy(dir / "empty.npy").to_doubles().empty());
  EXPECT_EQ(read_npy(dir / "empty2.npy").shape(), (std::vector<std::size_t>{3, 0}));
  EXPECT_EQ(read_npy(dir / "empty2.npy").size(), 0u);
}

TEST(Npy, ReadsByteAndUnicodeStrings) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
words = ['alpha', '\u03b2eta', '\U0001F600 smile', '']
np.save('u.npy', np.array(words))
np.save('ube.npy', np.array(words, dtype='>U12'))
np.save('s.npy', np.array([b'stim5_alarm_clock', b'x', b'']))
np.save('u2d.npy', np.asfortranarray(np.array([['a', 'bb', 'ccc'], ['dddd', 'e', 'f']])))
)"));
  const std::vector<std::string> words = {"alpha",
                                          "\xce\xb2"
                                          "eta",
                                          "\xf0\x9f\x98\x80 smile", ""};
  const NpyArray unicode = read_npy(dir / "u.npy");
  EXPECT_EQ(unicode.descr(), "<U7");
  EXPECT_EQ(unicode.to_strings(), words);
  EXPECT_EQ(read_npy(dir / "ube.npy").to_strings(), words);
  EXPECT_EQ(read_npy(dir / "s.npy").to_strings(),
            (std::vector<std::string>{"stim5_alarm_clock", "x", ""}));
  const NpyArray grid = read_npy(dir / "u2d.npy");
  EXPECT_TRUE(grid.fortran_order());
  EXPECT_EQ(grid.to_strings(), (std::vector<std::string>{"a", "bb", "ccc", "dddd", "e", "f"}));
  EXPECT_TRUE(contains(error_message<InputError>([&] { (void)unicode.to_doubles(); }),
                       (dir / "u.npy").string()));
  EXPECT_TRUE(
      contains(error_message<InputError>([&] { (void)read_npy(dir / "s.npy").to_doubles(); }),
               "not numeric"));
}

TEST(Npy, ReadsVoxelMetaStructuredArray) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
meta = np.array([(3, 10, 1, b'lh', -40.5, 12.25), (2, 11, 1, b'rh', 41.0, -3.5),
                 (3, 12, 8, b'rh', 0.125, 7.0)],
                dtype=[('n_reps', '<i8'), ('voxel_id', '<i8'), ('subj_idx', '<i8'),
                       ('hemi', 'S2'), ('x_ras', '<f8'), ('y_ras', '<f8')])
np.save('voxel_features_meta.npy', meta)
)"));
  const NpyArray meta = read_npy(dir / "voxel_features_meta.npy");
  ASSERT_TRUE(meta.is_structured());
  EXPECT_EQ(meta.shape(), std::vector<std::size_t>{3});
  ASSERT_EQ(meta.fields().size(), 6u);
  EXPECT_EQ(meta.fields()[3].name, "hemi");
  EXPECT_EQ(meta.fields()[3].descr, "|S2");
  EXPECT_EQ(meta.fields()[3].offset, 24u);
  EXPECT_EQ(meta.fields()[5].offset, 34u);
  EXPECT_EQ(meta.itemsize(), 42u);
  EXPECT_EQ(meta.descr(),
            "[('n_reps', '<i8'), ('voxel_id', '<i8'), ('subj_idx', '<i8'), ('hemi', '|S2'), "
            "('x_ras', '<f8'), ('y_ras', '<f8')]");
  EXPECT_EQ(meta.field_doubles("n_reps"), (std::vector<double>{3, 2, 3}));
  EXPECT_EQ(meta.field_doubles("voxel_id"), (std::vector<double>{10, 11, 12}));
  EXPECT_EQ(meta.field_doubles("subj_idx"), (std::vector<double>{1, 1, 8}));
  EXPECT_EQ(meta.field_strings("hemi"), (std::vector<std::string>{"lh", "rh", "rh"}));
  EXPECT_EQ(meta.field_doubles("x_ras"), (std::vector<double>{-40.5, 41.0, 0.125}));
  EXPECT_EQ(meta.field_doubles("y_ras"), (std::vector<double>{12.25, -3.5, 7.0}));
  const std::string missing = error_message<InputError>([&] { (void)meta.field_doubles("z_ras"); });
  EXPECT_TRUE(contains(missing, "voxel_features_meta.npy"));
  EXPECT_TRUE(contains(missing, "'z_ras'"));
  EXPECT_TRUE(contains(missing, "'y_ras'"));
  EXPECT_TRUE(contains(error_message<InputError>([&] { (void)meta.field_doubles("hemi"); }),
                       "field 'hemi'"));
  EXPECT_TRUE(contains(error_message<InputError>([&] { (void)meta.to_doubles(); }),
                       "voxel_features_meta.npy"));
}

TEST(Npy, ReadsStimulusMetaWithMixedEndianFields) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
meta = np.array([(b'stim5_alarm_clock.wav', b'Mechanical', 5, 100, 32100, 'al\u00e9'),
                 (b'stim7_applause.wav', b'EnvSound', 7, -1, 2**40, '')],
                dtype=[('filename', 'S64'), ('cat_assignment', 'S20'), ('id', '>i4'),
                       ('embedded-wav-start-idx', '>i8'), ('embedded-wav-end-idx', '<u8'),
                       ('label', '>U4')])
np.save('neural_stim_meta.npy', meta)
)"));
  const NpyArray meta = read_npy(dir / "neural_stim_meta.npy");
  EXPECT_EQ(meta.fields().front().name, "filename");
  EXPECT_EQ(meta.field_strings("filename"),
            (std::vector<std::string>{"stim5_alarm_clock.wav", "stim7_applause.wav"}));
  EXPECT_EQ(meta.field_strings("cat_assignment"),
            (std::vector<std::string>{"Mechanical", "EnvSound"}));
  EXPECT_EQ(meta.field_doubles("id"), (std::vector<double>{5, 7}));
  EXPECT_EQ(meta.field_doubles("embedded-wav-start-idx"), (std::vector<double>{100, -1}));
  EXPECT_EQ(meta.field_doubles("embedded-wav-end-idx"),
            (std::vector<double>{32100, 1099511627776.0}));
  EXPECT_EQ(meta.field_strings("label"), (std::vector<std::string>{"al\xc3\xa9", ""}));
}

TEST(Npy, SkipsAlignmentPaddingAndRejectsNestedOrSubarrayFields) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
aligned = np.dtype([('a', 'u1'), ('b', '<i4'), ('c', 'u1')], align=True)
np.save('aligned.npy', np.array([(1, -2, 3), (4, 5, 6)], dtype=aligned))
nested = np.dtype([('id', '<i2'), ('pos', [('x', '<f4'), ('y', '<f4')]), ('w', '<f8', (3,)),
                   ('tail', '>i2')])
np.save('nested.npy', np.array([(1, (0.5, 1.5), (1, 2, 3), -7)], dtype=nested))
)"));
  const NpyArray aligned = read_npy(dir / "aligned.npy");
  ASSERT_EQ(aligned.fields().size(), 3u);
  EXPECT_EQ(aligned.fields()[1].offset, 4u);
  EXPECT_EQ(aligned.itemsize(), 12u);
  EXPECT_EQ(aligned.field_doubles("b"), (std::vector<double>{-2, 5}));
  EXPECT_EQ(aligned.field_doubles("c"), (std::vector<double>{3, 6}));

  const NpyArray nested = read_npy(dir / "nested.npy");
  ASSERT_EQ(nested.fields().size(), 4u);
  EXPECT_EQ(nested.fields()[1].descr, "[('x', '<f4'), ('y', '<f4')]");
  EXPECT_EQ(nested.fields()[2].subshape, std::vector<std::size_t>{3});
  EXPECT_EQ(nested.fields()[3].offset, 2u + 8u + 24u);
  EXPECT_EQ(nested.field_doubles("id"), std::vector<double>{1});
  EXPECT_EQ(nested.field_doubles("tail"), std::vector<double>{-7});
  const std::string nested_error =
      error_message<InputError>([&] { (void)nested.field_doubles("pos"); });
  EXPECT_TRUE(contains(nested_error, "nested.npy"));
  EXPECT_TRUE(contains(nested_error, "structured"));
  EXPECT_TRUE(contains(error_message<InputError>([&] { (void)nested.field_doubles("w"); }),
                       "sub-array shape (3,)"));
}

TEST(Npy, ReadsFormatVersions2And3) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
arr = np.arange(6, dtype='<f8').reshape(2, 3)
with open('v2.npy', 'wb') as f:
    np.lib.format.write_array(f, arr, version=(2, 0))
uni = np.array([(1, b'ab'), (2, b'cd')], dtype=[('na\u00efve', '<i4'), ('\u00fc', 'S3')])
with open('v3.npy', 'wb') as f:
    np.lib.format.write_array(f, uni, version=(3, 0))
wide = np.zeros(2, dtype=[('field_with_a_rather_long_name_%04d' % i, '<i2') for i in range(2000)])
wide['field_with_a_rather_long_name_1999'] = [11, -12]
np.save('wide.npy', wide)
assert open('v2.npy', 'rb').read(8)[6] == 2
assert open('v3.npy', 'rb').read(8)[6] == 3
assert open('wide.npy', 'rb').read(8)[6] == 2
)"));
  EXPECT_EQ(read_npy(dir / "v2.npy").to_doubles(), iota_over(6, 1));
  const NpyArray v3 = read_npy(dir / "v3.npy");
  EXPECT_EQ(v3.fields()[0].name, "na\xc3\xafve");
  EXPECT_EQ(v3.field_doubles("na\xc3\xafve"), (std::vector<double>{1, 2}));
  EXPECT_EQ(v3.field_strings("\xc3\xbc"), (std::vector<std::string>{"ab", "cd"}));
  const NpyArray wide = read_npy(dir / "wide.npy");
  EXPECT_EQ(wide.fields().size(), 2000u);
  EXPECT_EQ(wide.field_doubles("field_with_a_rather_long_name_1999"),
            (std::vector<double>{11, -12}));
}

TEST(Npy, ParsesHeaderLiteralVariants) {
  const std::string data = std::string("\x01\x00\x00\x00\x02\x00\x00\x00", 8);
  const auto parse = [&](const std::string& dict) {
    const std::string bytes = npy_bytes(dict, data);
    return parse_npy(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                     "variant.npy");
  };
  EXPECT_EQ(parse("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }").to_doubles(),
            (std::vector<double>{1, 2}));
  EXPECT_EQ(parse("{ \"shape\" : ( 2 , ) ,\"descr\":\"<i4\",'fortran_order':False}").to_doubles(),
            (std::vector<double>{1, 2}));
  EXPECT_EQ(parse("{'descr': '<i4', 'fortran_order': True, 'shape': (1, 2)}").shape(),
            (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(parse("{'descr': '<i4', 'fortran_order': False, 'shape': (2L,)}").size(), 2u);
  EXPECT_EQ(parse("{'descr': [('a', '<i2'), ('b', '<i2',),], 'fortran_order': False, "
                  "'shape': (2,),}")
                .field_doubles("b"),
            (std::vector<double>{0, 0}));
  EXPECT_EQ(parse("{'descr': [(('Title', 'it\\'s'), '<i4')], 'fortran_order': False, "
                  "'shape': (2,)}")
                .field_doubles("it's"),
            (std::vector<double>{1, 2}));
  EXPECT_TRUE(contains(error_message<InputError>(
                           [&] { parse("{'descr': '<i4', 'fortran_order': False, 'shape': (2,"); }),
                       "variant.npy"));
  EXPECT_TRUE(contains(error_message<InputError>([&] {
                         parse("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'x': 1}");
                       }),
                       "keys"));
  EXPECT_TRUE(contains(error_message<InputError>(
                           [&] { parse("{'descr': '<i4', 'fortran_order': 0, 'shape': (2,)}"); }),
                       "fortran_order"));
  EXPECT_TRUE(contains(error_message<InputError>([&] {
                         parse("{'descr': '<i4', 'fortran_order': False, 'shape': (-2,)}");
                       }),
                       "non-negative"));
}

TEST(Npy, RejectsMalformedFilesNamingThem) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
np.save('good.npy', np.arange(100, dtype='<f8'))
data = open('good.npy', 'rb').read()
open('truncated.npy', 'wb').write(data[:-8])
open('header_cut.npy', 'wb').write(data[:40])
np.save('object.npy', np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
np.save('complex.npy', np.array([1 + 2j]))
np.save('dates.npy', np.array(['2020-01-01'], dtype='datetime64[ns]'))
)"));
  const auto expect_input_error = [&](const std::string& name, const std::string& expected) {
    SCOPED_TRACE(name);
    const auto path = dir / name;
    const std::string message =
        error_message<InputError>([&] { (void)read_npy(path).to_doubles(); });
    EXPECT_TRUE(contains(message, path.string()));
    EXPECT_TRUE(contains(message, expected));
  };
  write_bytes(dir / "magic.npy", "PK\x03\x04 not numpy at all");
  write_bytes(dir / "tiny.npy", "\x93NUM");
  write_bytes(dir / "version.npy", std::string("\x93NUMPY\x04\x00\x10\x00", 10) + "{}");
  write_bytes(dir / "absurd.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': "
                                            "(4611686018427387904, 4611686018427387904)}",
                                            ""));
  write_bytes(
      dir / "huge.npy",
      npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,)}", "12345678"));
  write_bytes(dir / "bigint.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': "
                                            "(123456789012345678901234567890,)}",
                                            ""));
  write_bytes(dir / "hugeitem.npy",
              npy_bytes("{'descr': '|S99999999999999999999', 'fortran_order': False, 'shape': "
                        "(2,)}",
                        ""));
  write_bytes(dir / "unknown.npy",
              npy_bytes("{'descr': '<q8', 'fortran_order': False, 'shape': (1,)}", "12345678"));
  expect_input_error("truncated.npy", "truncated");
  expect_input_error("header_cut.npy", "truncated");
  expect_input_error("magic.npy", "\\x93NUMPY");
  expect_input_error("tiny.npy", "\\x93NUMPY");
  expect_input_error("version.npy", "version 4.0");
  expect_input_error("object.npy", "pickled Python objects");
  expect_input_error("complex.npy", "not numeric");
  expect_input_error("dates.npy", "unsupported dtype '<M8[ns]'");
  expect_input_error("absurd.npy", "absurd");
  expect_input_error("huge.npy", "truncated");
  expect_input_error("bigint.npy", "2**64");
  expect_input_error("hugeitem.npy", "absurd");
  expect_input_error("unknown.npy", "unsupported dtype '<q8'");
  EXPECT_TRUE(contains(error_message<IoError>([&] { (void)read_npy(dir / "missing.npy"); }),
                       (dir / "missing.npy").string()));
  EXPECT_EQ(read_npy(dir / "good.npy").size(), 100u);
}

TEST(Npy, WritersRoundTripThroughNumpy) {
  ScratchDir dir;
  const std::vector<double> doubles = {0.1, -2.5, 1e300, 3, 4, 5};
  const std::vector<float> floats = {0.1f, -2.5f, 7.0f};
  const std::vector<std::int64_t> ints = {std::numeric_limits<std::int64_t>::min(), -1, 0,
                                          std::numeric_limits<std::int64_t>::max()};
  const std::vector<std::string> strings = {"stim5_alarm_clock", "\xce\xb2\xf0\x9f\x98\x80", ""};
  write_npy(dir / "d.npy", doubles.data(), {2, 3});
  write_npy(dir / "f.npy", floats.data(), {3});
  write_npy(dir / "i.npy", ints.data(), {2, 2});
  const double scalar = 42.0;
  write_npy(dir / "scalar.npy", &scalar, {});
  write_npy(dir / "empty.npy", static_cast<const double*>(nullptr), {0, 4});
  write_npy_strings(dir / "s.npy", strings);
  // Overwrites replace the old content atomically.
  write_npy_strings(dir / "s2.npy", {"old content that is longer"});
  write_npy_strings(dir / "s2.npy", {"a", "bc"});
  ASSERT_TRUE(run_python(dir.path(), R"(
import os
d = np.load('d.npy')
assert d.dtype == np.dtype('<f8') and d.shape == (2, 3), (d.dtype, d.shape)
assert d.tolist() == [[0.1, -2.5, 1e300], [3, 4, 5]], d
f = np.load('f.npy')
assert f.dtype == np.dtype('<f4') and (f == np.array([0.1, -2.5, 7.0], dtype='<f4')).all(), f
i = np.load('i.npy')
assert i.dtype == np.dtype('<i8') and i.tolist() == [[-2**63, -1], [0, 2**63 - 1]], i
s = np.load('s.npy')
assert s.tolist() == ['stim5_alarm_clock', '\u03b2\U0001F600', ''], s
assert s.dtype == np.dtype('<U17'), s.dtype
assert np.load('s2.npy').tolist() == ['a', 'bc']
sc = np.load('scalar.npy')
assert sc.shape == () and sc == 42.0
e = np.load('empty.npy')
assert e.shape == (0, 4)
for name in ['d.npy', 'f.npy', 'i.npy', 's.npy']:
    assert os.path.getsize(name) % 64 == np.prod(np.load(name).shape) * np.load(name).itemsize % 64
assert sorted(os.listdir('.')) == ['d.npy', 'empty.npy', 'f.npy', 'i.npy', 's.npy', 's2.npy', 'scalar.npy', 'snippet.py'], os.listdir('.')
)"));
  EXPECT_EQ(read_npy(dir / "d.npy").to_doubles(), doubles);
  EXPECT_EQ(read_npy(dir / "s.npy").to_strings(), strings);
  EXPECT_THROW(write_npy_strings(dir / "bad.npy", {"\xff"}), InputError);
  EXPECT_THROW(write_npy(dir / "nofolder" / "x.npy", doubles.data(), {6}), IoError);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.npy"));
}

}  // namespace
}  // namespace brainalign::io
