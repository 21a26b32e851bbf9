#include "brainalign/io/pickled_array.h"

#include <gtest/gtest.h>

#include <fstream>

#include "brainalign/base/error.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::ScratchDir;

TEST(JoblibVector, ReadsWhatJoblibDumpWrites) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import joblib
joblib.dump(np.array([0., 1., 2., 3., 4., 2., 0.5]), 'floats.pkl')
joblib.dump(np.arange(300, dtype=np.int64) % 5, 'ints.pkl')
)"));
  EXPECT_EQ(read_joblib_vector(dir / "floats.pkl"),
            (std::vector<double>{0., 1., 2., 3., 4., 2., 0.5}));
  const auto ints = read_joblib_vector(dir / "ints.pkl");
  ASSERT_EQ(ints.size(), 300u);
  for (std::size_t i = 0; i < ints.size(); ++i) EXPECT_EQ(ints[i], double(i % 5));
}

// Files without the alignment padding joblib 1.2 added: written by older joblib (the wrapper has
// no numpy_array_alignment_bytes) or to a stream that cannot tell its position (None).
TEST(JoblibVector, ReadsArraysWithoutAlignmentPadding) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import joblib, joblib.numpy_pickle as jp
create = jp.NumpyPickler._create_array_wrapper
def older(self, array):
    wrapper = create(self, array)
    del wrapper.numpy_array_alignment_bytes
    return wrapper
jp.NumpyPickler._create_array_wrapper = older
joblib.dump(np.array([3., -1., 0.25]), 'old.pkl')
def unaligned(self, array):
    wrapper = create(self, array)
    wrapper.numpy_array_alignment_bytes = None
    return wrapper
jp.NumpyPickler._create_array_wrapper = unaligned
joblib.dump(np.arange(7, dtype=np.int64), 'none.pkl')
assert list(joblib.load('old.pkl')) == [3., -1., 0.25]
assert list(joblib.load('none.pkl')) == list(range(7))
)"));
  EXPECT_EQ(read_joblib_vector(dir / "old.pkl"), (std::vector<double>{3.0, -1.0, 0.25}));
  EXPECT_EQ(read_joblib_vector(dir / "none.pkl"), (std::vector<double>{0, 1, 2, 3, 4, 5, 6}));
}

TEST(JoblibVector, RefusesOtherPickles) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import joblib, pickle
joblib.dump(np.zeros((3, 2)), 'matrix.pkl')
joblib.dump(np.zeros(4, dtype=np.float32), 'float32.pkl')
pickle.dump(np.zeros(4), open('plain.pkl', 'wb'))
open('text.pkl', 'w').write('hello')
)"));
  for (const char* name : {"matrix.pkl", "float32.pkl", "plain.pkl", "text.pkl"}) {
    try {
      read_joblib_vector(dir / name);
      ADD_FAILURE() << name << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace brainalign::io
