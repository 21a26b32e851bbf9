// The native protocol engines against the plain per-voxel transcriptions in
// tests/reference/protocols_reference.py (numpy + scikit-learn, one fit at a time).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "brainalign/align/nested_ridge.h"
#include "brainalign/align/noise_corrected_ridge.h"
#include "common/python_exchange.h"

namespace brainalign {
namespace {

struct Planted {
  std::vector<Matrix> layers;
  std::vector<ColMatrix> repetitions;  // 3 repetitions, stimuli x voxels
  ColMatrix mean;
};

// Voxel v is driven by layer v % L through a random linear map, at a noise level that grows
// with v; the last two voxels carry no signal at all.
Planted plant(Eigen::Index S, std::vector<Eigen::Index> widths, Eigen::Index V, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Planted p;
  for (Eigen::Index w : widths) {
    Matrix X(S, w);
    for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = normal(gen) + 0.3;
    p.layers.push_back(X);
  }
  ColMatrix signal = ColMatrix::Zero(S, V);
  for (Eigen::Index v = 0; v < V - 2; ++v) {
    const Matrix& X = p.layers[static_cast<size_t>(v) % p.layers.size()];
    Vector w(X.cols());
    for (Eigen::Index j = 0; j < w.size(); ++j) w(j) = normal(gen);
    signal.col(v) = X * w / std::sqrt(static_cast<double>(X.cols()));
  }
  for (int r = 0; r < 3; ++r) {
    ColMatrix rep = signal;
    for (Eigen::Index v = 0; v < V; ++v)
      for (Eigen::Index s = 0; s < S; ++s)
        rep(s, v) += (0.8 + 0.4 * static_cast<double>(v)) * normal(gen) + 2.0;
    p.repetitions.push_back(rep);
  }
  p.mean = (p.repetitions[0] + p.repetitions[1] + p.repetitions[2]) / 3.0;
  return p;
}

std::string python_list(const std::vector<Eigen::Index>& v) {
  std::ostringstream o;
  o << "[";
  for (auto x : v) o << x << ",";
  o << "]";
  return o.str();
}

TEST(Pepino2025Regression, MatchesPerVoxelReference) {
  const Eigen::Index S = 40, V = 8;
  const std::vector<Eigen::Index> widths = {5, 14, 60};
  const Planted p = plant(S, widths, V, 21);
  std::vector<int> folds(static_cast<size_t>(S));
  for (size_t s = 0; s < folds.size(); ++s) folds[s] = static_cast<int>((s * 7) % 5);

  const align::NestedRidgeResult native = align::nested_ridge_regression(p.layers, p.mean, folds);

  testing::PythonExchange py;
  for (size_t l = 0; l < p.layers.size(); ++l) py.put("X" + std::to_string(l), p.layers[l]);
  py.put("Y", Matrix(p.mean));
  Matrix fold_matrix(S, 1);
  for (Eigen::Index s = 0; s < S; ++s) fold_matrix(s, 0) = folds[static_cast<size_t>(s)];
  py.put("folds", fold_matrix);
  py.run("sys.path.insert(0, '" + std::string(BRAINALIGN_TEST_DIR) + "/reference')\n" +
         "import protocols_reference as ref\nS, V, widths = " + std::to_string(S) + ", " +
         std::to_string(V) + ", " + python_list(widths) + R"(
layers = [np.fromfile('X%d' % l, '<f8').reshape(S, w) for l, w in enumerate(widths)]
Y = np.fromfile('Y', '<f8').reshape(S, V)
folds = np.fromfile('folds', '<f8').astype(int)
scores = np.zeros(V); chosen = np.zeros((V, 5, 3))
for v in range(V):
    scores[v], c = ref.pepino2025_voxel(layers, Y[:, v], folds)
    chosen[v] = np.array(c)
scores.tofile('scores'); chosen.tofile('chosen')
)");
  const Matrix scores = py.get("scores", 1, V);
  const Matrix chosen = py.get("chosen", V, 15);
  int clear_choices = 0;
  for (Eigen::Index v = 0; v < V; ++v) {
    EXPECT_NEAR(native.score(v), scores(0, v), 1e-8 * std::max(1.0, scores(0, v))) << "voxel " << v;
    for (int f = 0; f < 5; ++f) {
      const double ref_alpha = chosen(v, f * 3), ref_layer = chosen(v, f * 3 + 1);
      const double ref_inner = chosen(v, f * 3 + 2);
      EXPECT_NEAR(native.inner_score(f, v), ref_inner, 1e-8) << "voxel " << v << " fold " << f;
      if (ref_inner > 0.05) {  // a voxel with signal: the layer is no rounding tie
        EXPECT_EQ(native.chosen_layer(f, v), static_cast<int>(ref_layer))
            << "voxel " << v << " fold " << f;
        // Penalties chased far below the spectrum follow score gains of ~1e-15 on both sides.
        if (ref_alpha >= 1e-4) {
          EXPECT_DOUBLE_EQ(native.chosen_alpha(f, v), ref_alpha) << "voxel " << v << " fold " << f;
          ++clear_choices;
        } else {
          EXPECT_LT(native.chosen_alpha(f, v), 1e-4) << "voxel " << v << " fold " << f;
        }
      }
    }
  }
  EXPECT_GE(clear_choices, 12);
}

TEST(Tuckute2023Regression, MatchesPerVoxelReference) {
  const Eigen::Index S = 44, V = 7;
  const std::vector<Eigen::Index> widths = {4, 30, 70};
  const Planted p = plant(S, widths, V, 5);
  std::mt19937 gen(3);
  std::vector<std::vector<int>> train, test;
  for (int k = 0; k < 4; ++k) {
    std::vector<int> order(static_cast<size_t>(S));
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::shuffle(order.begin(), order.end(), gen);
    train.emplace_back(order.begin(), order.begin() + 22);
    test.emplace_back(order.begin() + 22, order.end());
    std::sort(train.back().begin(), train.back().end());
    std::sort(test.back().begin(), test.back().end());
  }
  const auto native = align::noise_corrected_regression(p.layers, p.repetitions, train, test);

  testing::PythonExchange py;
  for (size_t l = 0; l < p.layers.size(); ++l) py.put("X" + std::to_string(l), p.layers[l]);
  Matrix reps(S, V * 3);
  for (Eigen::Index v = 0; v < V; ++v)
    for (int r = 0; r < 3; ++r) reps.col(v * 3 + r) = p.repetitions[static_cast<size_t>(r)].col(v);
  py.put("reps", reps);
  Matrix split_matrix(4, 22);
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 22; ++i)
      split_matrix(k, i) = train[static_cast<size_t>(k)][static_cast<size_t>(i)];
  py.put("train", split_matrix);
  py.run("sys.path.insert(0, '" + std::string(BRAINALIGN_TEST_DIR) + "/reference')\n" +
         "import protocols_reference as ref\nS, V, widths = " + std::to_string(S) + ", " +
         std::to_string(V) + ", " + python_list(widths) + R"(
import warnings; warnings.simplefilter('ignore')
layers = [np.fromfile('X%d' % l, '<f8').reshape(S, w) for l, w in enumerate(widths)]
reps = np.fromfile('reps', '<f8').reshape(S, V, 3)
train = np.fromfile('train', '<f8').reshape(4, 22).astype(int)
out = np.zeros((len(layers), 4, V, 8))
for l, X in enumerate(layers):
    for k in range(4):
        test = np.setdiff1d(np.arange(S), train[k])
        for v in range(V):
            out[l, k, v] = ref.tuckute2023_voxel_split(X, reps[:, v, :], train[k], test)
out.tofile('out')
values, best = ref.tuckute2023_layer_selection(out[:, :, :, 1], iterations=10)
values.tofile('values'); best.astype(float).tofile('best')
)");
  const Matrix ref = py.get("out", 3 * 4 * V, 8);
  int clear = 0, clear_reps = 0;
  for (int l = 0; l < 3; ++l) {
    for (int k = 0; k < 4; ++k) {
      for (Eigen::Index v = 0; v < V; ++v) {
        const auto row = (l * 4 + k) * V + v;
        const auto& n = native[static_cast<size_t>(l)];
        const bool interior = ref(row, 2) >= 1e-6 && ref(row, 2) <= 1e12;
        if (!interior) continue;  // an optimum on a rounding plateau: not comparable
        ++clear;
        EXPECT_DOUBLE_EQ(n.alpha(k, v), ref(row, 2))
            << "layer " << l << " split " << k << " voxel " << v;
        EXPECT_NEAR(n.r2(k, v), ref(row, 0), 1e-8)
            << "layer " << l << " split " << k << " voxel " << v;
        EXPECT_NEAR(n.rv(k, v), ref(row, 3), 1e-10);
        EXPECT_NEAR(n.rv(k, v), ref(row, 3), 1e-10);
        // The single-repetition models: comparable where their optima are interior too.
        bool reps_comparable = true;
        for (int r = 5; r < 8; ++r)
          reps_comparable = reps_comparable && ((ref(row, r) >= 1e-6 && ref(row, r) <= 1e12));
        if (!reps_comparable) continue;
        ++clear_reps;
        EXPECT_NEAR(n.rv_hat(k, v), ref(row, 4), 1e-6)
            << "layer " << l << " split " << k << " voxel " << v;
        EXPECT_NEAR(n.corrected(k, v), ref(row, 1), 1e-6 * std::max(1.0, ref(row, 1)));
      }
    }
  }
  EXPECT_GE(clear, 30);
  EXPECT_GE(clear_reps, 10);

  // Held-out layer selection on the reference's own corrected values: same masks, same picks.
  std::vector<align::NoiseCorrectedLayer> from_ref(3);
  for (int l = 0; l < 3; ++l) {
    from_ref[static_cast<size_t>(l)].corrected.resize(4, V);
    for (int k = 0; k < 4; ++k)
      for (Eigen::Index v = 0; v < V; ++v)
        from_ref[static_cast<size_t>(l)].corrected(k, v) = ref((l * 4 + k) * V + v, 1);
  }
  const align::LayerSelection sel = align::select_layer_held_out(from_ref, 10);
  const Matrix values = py.get("values", 10, V);
  const Matrix best = py.get("best", 10, V);
  for (int it = 0; it < 10; ++it)
    for (Eigen::Index v = 0; v < V; ++v) {
      EXPECT_EQ(sel.best_layer(it, v), static_cast<int>(best(it, v)));
      EXPECT_DOUBLE_EQ(sel.value(it, v), values(it, v));
    }
}

}  // namespace
}  // namespace brainalign
