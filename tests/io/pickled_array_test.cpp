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
