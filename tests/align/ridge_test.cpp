#include "brainalign/align/ridge.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "brainalign/base/error.h"
#include "common/python_exchange.h"

namespace brainalign {
namespace {

Matrix random_matrix(Eigen::Index rows, Eigen::Index cols, unsigned seed, double offset = 0.0) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(gen) + offset;
  return m;
}

std::vector<int> iota(int from, int to) {
  std::vector<int> v(static_cast<size_t>(to - from));
  std::iota(v.begin(), v.end(), from);
  return v;
}

// Targets: a planted linear signal plus noise of varied strength, and pure-noise columns.
Matrix planted_targets(const Matrix& X, Eigen::Index targets, unsigned seed) {
  const Matrix w = random_matrix(X.cols(), targets, seed);
  Matrix noise = random_matrix(X.rows(), targets, seed + 1);
  Matrix Y = X * w / std::sqrt(static_cast<double>(X.cols()));
  for (Eigen::Index t = 0; t < targets; ++t)
    Y.col(t) += noise.col(t) * (0.2 + 0.5 * static_cast<double>(t));
  Y.array() += 3.0;
  return Y;
}

const std::vector<double> kAlphaGrid = [] {
  std::vector<double> a;
  for (int x = 49; x >= -50; --x) a.push_back(std::pow(10.0, x));
  return a;
}();

struct Shape {
  Eigen::Index n, p;
};

class RidgeVersusScikitLearn : public ::testing::TestWithParam<Shape> {};

// Predictions and leave-one-out errors over the whole 1e-50..1e49 grid match RidgeCV and Ridge.
TEST_P(RidgeVersusScikitLearn, PredictionsLooErrorsAndChosenPenalties) {
  const auto [n, p] = GetParam();
  const Eigen::Index m = 17, T = 6;
  const Matrix X = random_matrix(n + m, p, 11, 0.5);
  const Matrix Y = planted_targets(X, T, 5);
  const auto train = iota(0, static_cast<int>(n));
  const auto test = iota(static_cast<int>(n), static_cast<int>(n + m));
  const align::RidgeSpectrum s = align::decompose_ridge(X, train, test);

  ColMatrix Ytr = Y.topRows(n);
  const Eigen::RowVectorXd ymean = Ytr.colwise().mean();
  ColMatrix Yc = Ytr.rowwise() - ymean;
  const align::LooSelection sel = align::select_penalty_loo(s, Yc, kAlphaGrid, true);

  // Predictions at moderate penalties.
  const std::vector<double> moderate = {1e-2, 1.0, 1e2, 1e4};
  Matrix preds(m, T * static_cast<Eigen::Index>(moderate.size()));
  const ColMatrix Z = s.basis.transpose() * Yc;
  for (size_t k = 0; k < moderate.size(); ++k) {
    ColMatrix P = s.test_factor * (align::ridge_shrinkage(s, moderate[k]).asDiagonal() * Z);
    P.rowwise() += ymean;
    preds.middleCols(static_cast<Eigen::Index>(k) * T, T) = P;
  }

  testing::PythonExchange py;
  py.put("X", X);
  py.put("Y", Y);
  py.run(R"(
import warnings; warnings.simplefilter('ignore')
from sklearn.linear_model import Ridge, RidgeCV
n, p, m, T = )" +
         std::to_string(n) + ", " + std::to_string(p) + ", " + std::to_string(m) + ", " +
         std::to_string(T) + R"(
X = np.fromfile('X', '<f8').reshape(n + m, p); Y = np.fromfile('Y', '<f8').reshape(n + m, T)
alphas = [10.0 ** x for x in range(49, -51, -1)]
mse = np.zeros((len(alphas), T)); best = np.zeros(T)
for t in range(T):
    cv = RidgeCV(alphas=alphas, store_cv_values=True).fit(X[:n], Y[:n, t])
    mse[:, t] = cv.cv_values_.mean(axis=0)
    best[t] = alphas.index(cv.alpha_)
np.seterr(all='ignore'); mse.tofile('mse'); best.tofile('best')
preds = np.hstack([Ridge(alpha=a).fit(X[:n], Y[:n]).predict(X[n:]) for a in [1e-2, 1.0, 1e2, 1e4]])
preds.tofile('preds')
)");
  const Matrix ref_mse = py.get("mse", static_cast<Eigen::Index>(kAlphaGrid.size()), T);
  const Matrix ref_best = py.get("best", 1, T);
  const Matrix ref_preds = py.get("preds", m, T * static_cast<Eigen::Index>(moderate.size()));

  int interior = 0;
  EXPECT_LT((preds - ref_preds).cwiseAbs().maxCoeff() / ref_preds.cwiseAbs().maxCoeff(), 1e-9);
  for (Eigen::Index t = 0; t < T; ++t) {
    for (Eigen::Index a = 0; a < ref_mse.rows(); ++a) {
      const double alpha = kAlphaGrid[static_cast<size_t>(a)];
      // Far below the spectrum scikit-learn's svd mode cancels catastrophically (it reports
      // NaN at p = n - 1); the engine's values there are checked against refits instead.
      if (alpha < 1e-10 || alpha > 1e14) continue;
      const double tol = (alpha >= 1e-6 && alpha <= 1e12) ? 1e-8 : 1e-4;
      EXPECT_NEAR(sel.mse(a, t), ref_mse(a, t), tol * ref_mse(a, t))
          << "alpha " << alpha << " target " << t;
    }
    // The chosen penalty is optimal in the reference's own errors; where the optimum lies
    // inside the well-conditioned range it is the very same penalty.
    const auto mine = static_cast<Eigen::Index>(sel.best[static_cast<size_t>(t)]);
    const auto theirs = static_cast<Eigen::Index>(ref_best(0, t));
    const double mine_in_theirs =
        std::isfinite(ref_mse(mine, t)) ? ref_mse(mine, t) : sel.mse(mine, t);
    EXPECT_LE(mine_in_theirs, ref_mse(theirs, t) * (1 + 1e-9)) << "target " << t;
    const double chosen = kAlphaGrid[static_cast<size_t>(theirs)];
    if (chosen >= 1e-6 && chosen <= 1e12) {
      EXPECT_EQ(mine, theirs) << "target " << t;
      ++interior;
    }
  }
  EXPECT_GE(interior, 1) << "the planted data should give at least one interior optimum";
}

INSTANTIATE_TEST_SUITE_P(Shapes, RidgeVersusScikitLearn,
                         ::testing::Values(Shape{60, 8}, Shape{40, 39}, Shape{40, 40},
                                           Shape{30, 90}),
                         [](const auto& param_info) {
                           return "n" + std::to_string(param_info.param.n) + "_p" +
                                  std::to_string(param_info.param.p);
                         });

class RidgeCoefficientsVersusScikitLearn : public ::testing::TestWithParam<Shape> {};

// Weights and intercepts, each target at its own penalty, match scikit-learn's Ridge.
TEST_P(RidgeCoefficientsVersusScikitLearn, WeightsAndIntercepts) {
  const auto [n, p] = GetParam();
  const Eigen::Index T = 5;
  const Matrix X = random_matrix(n, p, 21, 0.5);
  const Matrix Y = planted_targets(X, T, 7);
  const std::vector<double> alphas = {1e-3, 0.1, 1.0, 30.0, 1e4};
  const align::RidgeCoefficients c = align::ridge_coefficients(X, ColMatrix(Y), alphas);
  ASSERT_EQ(c.weights.rows(), p);
  ASSERT_EQ(c.weights.cols(), T);

  testing::PythonExchange py;
  py.put("X", X);
  py.put("Y", Y);
  py.run(R"(
from sklearn.linear_model import Ridge
n, p, T = )" +
         std::to_string(n) + ", " + std::to_string(p) + ", " + std::to_string(T) + R"(
X = np.fromfile('X', '<f8').reshape(n, p); Y = np.fromfile('Y', '<f8').reshape(n, T)
fits = [Ridge(alpha=a).fit(X, Y[:, t]) for t, a in enumerate([1e-3, 0.1, 1.0, 30.0, 1e4])]
np.stack([f.coef_ for f in fits], axis=1).tofile('coef')
np.array([f.intercept_ for f in fits]).tofile('intercept')
)");
  const Matrix ref_coef = py.get("coef", p, T);
  const Matrix ref_intercept = py.get("intercept", 1, T);
  for (Eigen::Index t = 0; t < T; ++t) {
    const double scale = ref_coef.col(t).cwiseAbs().maxCoeff();
    EXPECT_LT((c.weights.col(t) - ref_coef.col(t)).cwiseAbs().maxCoeff(), 1e-8 * scale)
        << "target " << t;
    EXPECT_NEAR(c.intercepts(t), ref_intercept(0, t),
                1e-8 * std::max(1.0, std::abs(ref_intercept(0, t))))
        << "target " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, RidgeCoefficientsVersusScikitLearn,
                         ::testing::Values(Shape{60, 8}, Shape{30, 90}),
                         [](const auto& param_info) {
                           return "n" + std::to_string(param_info.param.n) + "_p" +
                                  std::to_string(param_info.param.p);
                         });

TEST(Ridge, CoefficientsRejectAPenaltyCountOtherThanTheTargets) {
  const Matrix X = random_matrix(10, 3, 1);
  const ColMatrix Y = ColMatrix::Ones(10, 2);
  const std::vector<double> one = {1.0};
  EXPECT_THROW(align::ridge_coefficients(X, Y, one), InputError);
}

// BLAS refuses an empty dimension; the solver names the problem before any BLAS call.
TEST(Ridge, ADesignWithoutFeaturesIsAnInputError) {
  const Matrix X(10, 0);
  const ColMatrix Y = ColMatrix::Ones(10, 2);
  const std::vector<double> two = {1.0, 2.0};
  EXPECT_THROW(align::ridge_coefficients(X, Y, two), InputError);
  EXPECT_THROW(align::decompose_ridge(X), InputError);
  EXPECT_THROW(align::layer_gram(X), InputError);
}

TEST(Ridge, LooResidualsEqualExplicitRefits) {
  const Matrix X = random_matrix(25, 40, 3);
  const Matrix Y = planted_targets(X, 1, 9);
  const align::RidgeSpectrum s = align::decompose_ridge(X);
  const Vector y = Y.col(0).array() - Y.col(0).mean();
  for (double alpha : {1e-9, 1e-3, 0.5, 30.0, 1e9}) {
    const Vector loo = align::loo_residuals(s, y, alpha);
    for (int i = 0; i < 25; ++i) {
      std::vector<int> rows;
      for (int k = 0; k < 25; ++k)
        if (k != i) rows.push_back(k);
      const align::RidgeSpectrum si = align::decompose_ridge(X, rows, std::vector<int>{i});
      Vector yi(24);
      for (int k = 0; k < 24; ++k) yi(k) = Y(rows[static_cast<size_t>(k)], 0);
      const double mean = yi.mean();
      const Vector z = si.basis.transpose() * (yi.array() - mean).matrix();
      const double pred = (si.test_factor * ridge_shrinkage(si, alpha).cwiseProduct(z))(0) + mean;
      EXPECT_NEAR(loo(i), Y(i, 0) - pred, 1e-8) << "row " << i << " alpha " << alpha;
    }
  }
}

TEST(Ridge, ConstantFeaturesGiveTheMeanPredictor) {
  Matrix X = Matrix::Constant(10, 3, 2.0);
  const align::RidgeSpectrum s = align::decompose_ridge(X, iota(0, 8), iota(8, 10));
  EXPECT_EQ(s.rank(), 0);
  Vector y = Vector::LinSpaced(8, 0.0, 7.0);
  const Vector loo = align::loo_residuals(s, y, 1.0);
  EXPECT_NEAR(loo(0), (0.0 - 3.5) / (1.0 - 1.0 / 8.0), 1e-12);
}

}  // namespace
}  // namespace brainalign

namespace brainalign {
namespace {

// The dual form from a whole-layer Gram matrix predicts as the direct decomposition does.
TEST(Ridge, GramMatrixDecompositionMatchesDirect) {
  Matrix X = random_matrix(50, 120, 17, 2.5);  // a large common offset, as activations have
  const Matrix Y = planted_targets(X, 3, 4);
  std::vector<int> train, test;
  for (int i = 0; i < 50; ++i) (i % 4 == 1 ? test : train).push_back(i);
  const align::RidgeSpectrum direct = align::decompose_ridge(X, train, test);
  const align::RidgeSpectrum from_gram = align::decompose_ridge(align::layer_gram(X), train, test);
  ASSERT_EQ(direct.rank(), from_gram.rank());
  EXPECT_TRUE(from_gram.spans_centred_space);
  ColMatrix y(static_cast<Eigen::Index>(train.size()), 3);
  for (size_t i = 0; i < train.size(); ++i) y.row(static_cast<Eigen::Index>(i)) = Y.row(train[i]);
  y.rowwise() -= y.colwise().mean();
  for (double alpha : {1e-6, 0.1, 10.0, 1e4}) {
    const ColMatrix a = direct.test_factor * (align::ridge_shrinkage(direct, alpha).asDiagonal() *
                                              (direct.basis.transpose() * y));
    const ColMatrix b =
        from_gram.test_factor *
        (align::ridge_shrinkage(from_gram, alpha).asDiagonal() * (from_gram.basis.transpose() * y));
    EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-9 * a.cwiseAbs().maxCoeff()) << "alpha " << alpha;
  }
}

}  // namespace
}  // namespace brainalign
