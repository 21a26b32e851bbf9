// Downstream metrics against scikit-learn on random predictions with ties and absent classes.
#include "brainalign/hear/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "brainalign/base/error.h"
#include "common/python_exchange.h"

namespace brainalign::hear {
namespace {

// Scores rounded to one decimal (many ties); targets with class 3 absent.
void make_data(int n, int classes, bool multilabel, unsigned seed, Matrix& scores,
               Matrix& targets) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  scores.resize(n, classes);
  targets = Matrix::Zero(n, classes);
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < classes; ++c) scores(i, c) = std::round(u(rng) * 10) / 10;
    if (multilabel) {
      for (int c = 0; c < classes; ++c) {
        if (c != 3 && u(rng) < 0.3) targets(i, c) = 1;
      }
    } else {
      int c = static_cast<int>(rng() % static_cast<unsigned>(classes - 1));
      targets(i, c >= 3 ? c + 1 : c) = 1;
    }
  }
}

TEST(DownstreamMetrics, MatchScikitLearnWithTiesAndAbsentClasses) {
  for (bool multilabel : {false, true}) {
    for (unsigned seed : {1u, 2u, 3u}) {
      Matrix scores, targets;
      make_data(57, 6, multilabel, seed, scores, targets);
      testing::PythonExchange py;
      py.put("s", scores);
      py.put("t", targets);
      py.run("sys.path.insert(0, '" + std::string(BRAINALIGN_TEST_DIR) + "/reference')\n" + R"(
import warnings
import downstream_reference as ref
from sklearn.metrics import average_precision_score, roc_auc_score
s = np.fromfile('s', '<f8').reshape(57, 6); t = np.fromfile('t', '<f8').reshape(57, 6)
warnings.simplefilter('ignore')
top1 = np.mean(t[np.arange(57), s.argmax(1)] > 0.5)
m = average_precision_score(t, s, average='macro')
present = t.sum(0) > 0
auc = roc_auc_score(t[:, present], s[:, present], average='macro')
try:
    roc_auc_score(t, s, average='macro'); raised = 0.0
except ValueError:
    raised = 1.0
dprime = ref.d_prime(t[:, present], s[:, present])
np.array([top1, m, auc, raised, dprime]).astype('<f8').tofile('r')
)");
      const Matrix r = py.get("r", 1, 5);
      EXPECT_DOUBLE_EQ(top1_accuracy(scores, targets), r(0, 0));
      EXPECT_DOUBLE_EQ(pitch_accuracy(scores, targets), r(0, 0));
      EXPECT_NEAR(mean_average_precision(scores, targets), r(0, 1), 1e-12);
      // scikit-learn raises for a class without positives; so do we.
      EXPECT_EQ(r(0, 3), 1.0);
      EXPECT_THROW(roc_auc_macro(scores, targets), InputError);
      Matrix s_present(scores.rows(), 5), t_present(targets.rows(), 5);
      for (int c = 0, k = 0; c < 6; ++c) {
        if (c == 3) continue;
        s_present.col(k) = scores.col(c);
        t_present.col(k++) = targets.col(c);
      }
      EXPECT_NEAR(roc_auc_macro(s_present, t_present), r(0, 2), 1e-12);
      // d' averages the per-class d', not the AUCs: sqrt(2) Phi^-1(mean AUC) differs.
      EXPECT_NEAR(d_prime(s_present, t_present), r(0, 4), 1e-12);
      EXPECT_GT(std::abs(r(0, 4) - std::sqrt(2.0) * normal_quantile(r(0, 2))), 1e-6);
      EXPECT_THROW(d_prime(scores, targets), InputError);
    }
  }
}

TEST(DownstreamMetrics, NormalQuantileMatchesScipy) {
  testing::PythonExchange py;
  py.run(R"(
from scipy.stats import norm
np.array([norm.ppf(p) for p in [1e-10, 0.01, 0.3, 0.5, 0.77, 0.999]]).astype('<f8').tofile('q')
)");
  const Matrix q = py.get("q", 1, 6);
  const double p[] = {1e-10, 0.01, 0.3, 0.5, 0.77, 0.999};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(normal_quantile(p[i]), q(0, i), 1e-12) << p[i];
  EXPECT_TRUE(std::isinf(normal_quantile(1.0)));
  EXPECT_TRUE(std::isnan(normal_quantile(1.5)));
}

// The overall score against the 2025 code's pandas computation: ddof 1, each task over the
// models that have it (NaN: missing), each model's mean over the z-scores it has; a task on
// which its two models tie gives no z-scores (pandas' 0 / 0), instead of NaN overall scores.
TEST(DownstreamMetrics, OverallScoreAsThePublishedPandasCode) {
  constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
  Matrix scores(5, 4);
  scores << 0.5, 0.1, 0.25, 0.31,     //
      0.7, 0.3, 0.25, kMissing,       //
      0.9, kMissing, kMissing, 0.47,  //
      0.6, 0.2, kMissing, 0.12,       //
      kMissing, 0.8, kMissing, kMissing;
  testing::PythonExchange py;
  py.put("s", scores);
  py.run("sys.path.insert(0, '" + std::string(BRAINALIGN_TEST_DIR) + "/reference')\n" + R"(
import downstream_reference as ref
s = np.fromfile('s', '<f8').reshape(5, 4)
ref.overall_scores(s).astype('<f8').tofile('o')
)");
  const Matrix expected = py.get("o", 1, 5);
  const Vector overall = overall_scores(scores);
  for (Eigen::Index m = 0; m < 5; ++m)
    EXPECT_NEAR(overall(m), expected(0, m), 1e-12) << "model " << m;
  // A task only one model has, or where every model scores the same, is skipped.
  Matrix tie(2, 1);
  tie << 0.25, 0.25;
  EXPECT_TRUE(overall_scores(tie).array().isNaN().all());
  EXPECT_THROW(score_metric("f1", scores, scores), InputError);
}

}  // namespace
}  // namespace brainalign::hear
