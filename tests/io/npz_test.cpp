#include "brainalign/io/npz.h"

#include <gtest/gtest.h>

#include <cstdint>
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

std::vector<std::string> names_of(const std::vector<std::pair<std::string, NpyArray>>& members) {
  std::vector<std::string> names;
  for (const auto& member : members) names.push_back(member.first);
  return names;
}

TEST(Npz, ReadsStoredAndCompressedArchivesInMemberOrder) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
layers = dict(zeta=np.arange(6, dtype='<f4').reshape(2, 3), alpha=np.array([1, -2, 3], dtype='>i8'),
              stimulus_names=np.array(['stim5_alarm_clock', 'stim7_applause']),
              meta=np.array([(3, b'lh')], dtype=[('n_reps', '<i8'), ('hemi', 'S2')]))
np.savez('stored.npz', **layers)
np.savez_compressed('compressed.npz', **layers)
np.savez('positional.npz', np.ones(2), np.zeros(3))
np.savez_compressed('big.npz', big=np.arange(200000, dtype='<f8'))
)"));
  for (const std::string name : {"stored.npz", "compressed.npz"}) {
    SCOPED_TRACE(name);
    const auto members = read_npz(dir / name);
    ASSERT_EQ(names_of(members),
              (std::vector<std::string>{"zeta", "alpha", "stimulus_names", "meta"}));
    EXPECT_EQ(members[0].second.shape(), (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(members[0].second.to_doubles(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(members[1].second.to_doubles(), (std::vector<double>{1, -2, 3}));
    EXPECT_EQ(members[2].second.to_strings(),
              (std::vector<std::string>{"stim5_alarm_clock", "stim7_applause"}));
    EXPECT_EQ(members[3].second.field_strings("hemi"), std::vector<std::string>{"lh"});
    EXPECT_TRUE(contains(members[0].second.source(), name));
    EXPECT_TRUE(contains(members[0].second.source(), "zeta.npy"));
  }
  EXPECT_EQ(names_of(read_npz(dir / "positional.npz")),
            (std::vector<std::string>{"arr_0", "arr_1"}));
  const auto big = read_npz(dir / "big.npz");
  ASSERT_EQ(big.size(), 1u);
  const auto values = big[0].second.to_doubles();
  ASSERT_EQ(values.size(), 200000u);
  EXPECT_EQ(values[199999], 199999.0);
}

TEST(Npz, WritesArchivesThatNumpyLoads) {
  ScratchDir dir;
  const std::vector<std::pair<std::string, NpyMember>> members = {
      {"layer_b", {std::vector<double>{0.5, -1, 2, 3, 4, 1e-300}, {2, 3}}},
      {"layer_a", npy_vector(std::vector<float>{0.1f, 2.0f})},
      {"ids", {std::vector<std::int64_t>{-7, 0, 9000000000}, {3}}},
      {"stimulus_names",
       npy_vector(std::vector<std::string>{"stim5_alarm_clock", "\xc3\xa9t\xc3\xa9"})},
      {"scalar", {std::vector<double>{3.25}, {}}},
  };
  write_npz(dir / "stored.npz", members);
  write_npz(dir / "compressed.npz", members, true);
  write_npz(dir / "empty.npz", {});
  ASSERT_TRUE(run_python(dir.path(), R"(
import zipfile
for name, method in [('stored.npz', zipfile.ZIP_STORED), ('compressed.npz', zipfile.ZIP_DEFLATED)]:
    with zipfile.ZipFile(name) as z:
        assert [i.compress_type for i in z.infolist()] == [method] * 5, name
    f = np.load(name)
    assert f.files == ['layer_b', 'layer_a', 'ids', 'stimulus_names', 'scalar'], f.files
    assert f['layer_b'].dtype == np.dtype('<f8') and f['layer_b'].tolist() == [[0.5, -1, 2], [3, 4, 1e-300]]
    assert f['layer_a'].dtype == np.dtype('<f4') and (f['layer_a'] == np.array([0.1, 2.0], 'f4')).all()
    assert f['ids'].dtype == np.dtype('<i8') and f['ids'].tolist() == [-7, 0, 9000000000]
    assert f['stimulus_names'].tolist() == ['stim5_alarm_clock', '\u00e9t\u00e9']
    assert f['scalar'].shape == () and f['scalar'] == 3.25
assert len(np.load('empty.npz').files) == 0
)"));
  const auto back = read_npz(dir / "compressed.npz");
  EXPECT_EQ(names_of(back),
            (std::vector<std::string>{"layer_b", "layer_a", "ids", "stimulus_names", "scalar"}));
  EXPECT_EQ(back[2].second.to_doubles(), (std::vector<double>{-7, 0, 9000000000}));
  EXPECT_TRUE(read_npz(dir / "empty.npz").empty());
}

TEST(Npz, RejectsBadInputNamingTheArchive) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import zipfile
np.savez('good.npz', a=np.arange(1000, dtype='<f8'))
data = open('good.npz', 'rb').read()
open('truncated.npz', 'wb').write(data[:len(data) // 2])
with zipfile.ZipFile('other.npz', 'w') as z:
    z.writestr('notes.txt', 'hello')
with zipfile.ZipFile('badmember.npz', 'w') as z:
    z.writestr('a.npy', b'\x93NUMPY\x01\x00garbage')
np.savez('object.npz', o=np.array([None, {}], dtype=object))
)"));
  write_bytes(dir / "plain.npz", "this is not a zip archive at all");
  const auto expect_error = [&](const std::string& name, const std::string& expected) {
    SCOPED_TRACE(name);
    try {
      (void)read_npz(dir / name);
      ADD_FAILURE() << "no error";
    } catch (const InputError& error) {
      EXPECT_TRUE(contains(error.what(), (dir / name).string()));
      EXPECT_TRUE(contains(error.what(), expected));
    }
  };
  expect_error("truncated.npz", "not a readable .npz");
  expect_error("plain.npz", "not a readable .npz");
  expect_error("other.npz", "member 'notes.txt'");
  expect_error("badmember.npz", "member 'a.npy'");
  expect_error("object.npz", "pickled Python objects");
  EXPECT_THROW((void)read_npz(dir / "missing.npz"), IoError);

  const std::vector<std::pair<std::string, NpyMember>> repeated = {
      {"a", npy_vector(std::vector<double>{1})}, {"a", npy_vector(std::vector<double>{2})}};
  EXPECT_THROW(write_npz(dir / "repeated.npz", repeated), InputError);
  const std::vector<std::pair<std::string, NpyMember>> mismatched = {
      {"a", {std::vector<double>{1, 2, 3}, {2, 2}}}};
  EXPECT_THROW(write_npz(dir / "mismatched.npz", mismatched), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir / "repeated.npz"));
  EXPECT_FALSE(std::filesystem::exists(dir / "mismatched.npz"));
}

}  // namespace
}  // namespace brainalign::io
