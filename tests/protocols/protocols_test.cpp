// The native protocol engines against the plain per-voxel transcriptions in
// tests/reference/protocols_reference.py (numpy + scikit-learn, one fit at a time).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>

#include "brainalign/align/nested_ridge.h"
#include "brainalign/align/noise_corrected_ridge.h"
#include "brainalign/protocols/score.h"
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

// `count` random splits of S stimuli into halves, each half in ascending order.
std::pair<std::vector<std::vector<int>>, std::vector<std::vector<int>>> random_halves(
    Eigen::Index S, int count, std::mt19937& gen) {
  std::vector<std::vector<int>> train, test;
  for (int k = 0; k < count; ++k) {
    std::vector<int> order(static_cast<size_t>(S));
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::shuffle(order.begin(), order.end(), gen);
    train.emplace_back(order.begin(), order.begin() + S / 2);
    test.emplace_back(order.begin() + S / 2, order.end());
    std::sort(train.back().begin(), train.back().end());
    std::sort(test.back().begin(), test.back().end());
  }
  return {train, test};
}

// The reference's tuckute2023_voxel_split for every layer, split and voxel of `p`: rows
// (layer * splits + split) * voxels + voxel of its 12 values. `more` runs after, with `out`
// (layers x splits x voxels x 12) and `ref` (the reference module) defined.
Matrix reference_voxel_splits(testing::PythonExchange& py, const Planted& p,
                              const std::vector<Eigen::Index>& widths,
                              const std::vector<std::vector<int>>& train,
                              const std::string& more = "") {
  const Eigen::Index S = p.layers[0].rows();
  const Eigen::Index V = p.repetitions[0].cols();
  const auto K = static_cast<Eigen::Index>(train.size());
  const auto half = static_cast<Eigen::Index>(train[0].size());
  for (size_t l = 0; l < p.layers.size(); ++l) py.put("X" + std::to_string(l), p.layers[l]);
  Matrix reps(S, V * 3);
  for (Eigen::Index v = 0; v < V; ++v)
    for (int r = 0; r < 3; ++r) reps.col(v * 3 + r) = p.repetitions[static_cast<size_t>(r)].col(v);
  py.put("reps", reps);
  Matrix split_matrix(K, half);
  for (Eigen::Index k = 0; k < K; ++k)
    for (Eigen::Index i = 0; i < half; ++i)
      split_matrix(k, i) = train[static_cast<size_t>(k)][static_cast<size_t>(i)];
  py.put("train", split_matrix);
  py.run("sys.path.insert(0, '" + std::string(BRAINALIGN_TEST_DIR) + "/reference')\n" +
         "import protocols_reference as ref\nS, V, K, half, widths = " + std::to_string(S) + ", " +
         std::to_string(V) + ", " + std::to_string(K) + ", " + std::to_string(half) + ", " +
         python_list(widths) + R"(
import warnings; warnings.simplefilter('ignore')
layers = [np.fromfile('X%d' % l, '<f8').reshape(S, w) for l, w in enumerate(widths)]
reps = np.fromfile('reps', '<f8').reshape(S, V, 3)
train = np.fromfile('train', '<f8').reshape(K, half).astype(int)
out = np.zeros((len(layers), K, V, 12))
for l, X in enumerate(layers):
    for k in range(K):
        test = np.setdiff1d(np.arange(S), train[k])
        for v in range(V):
            out[l, k, v] = ref.tuckute2023_voxel_split(X, reps[:, v, :], train[k], test)
out.tofile('out')
)" + more);
  return py.get("out", static_cast<Eigen::Index>(widths.size()) * K * V, 12);
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
  const auto [train, test] = random_halves(S, 4, gen);
  const auto native = align::noise_corrected_regression(p.layers, p.repetitions, train, test);

  testing::PythonExchange py;
  const Matrix ref = reference_voxel_splits(py, p, widths, train, R"(
values, best = ref.tuckute2023_layer_selection(out[:, :, :, 1], iterations=10)
values.tofile('values'); best.astype(float).tofile('best')
)");
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

// Voxels without much signal pick penalties so large that shrinkage only scales the
// prediction; RidgeCV's rounding then lands on one of many tied huge penalties, with a tiny
// prediction whose correlations are those of its limiting direction (the test-by-train kernel
// times the centred training target). brainalign takes that direction; before, it predicted
// the constant intercept there (r^2 = 0, reliabilities undefined).
TEST(Tuckute2023Regression, HugePenaltiesScoreTheLimitingDirection) {
  const Eigen::Index S = 44, V = 24;
  const std::vector<Eigen::Index> widths = {30, 70};
  Planted p = plant(S, widths, V, 13);
  std::mt19937 gen(31);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (auto& rep : p.repetitions)  // all but the first 4 voxels: noise only
    for (Eigen::Index v = 4; v < V; ++v)
      for (Eigen::Index s = 0; s < S; ++s) rep(s, v) = 2.0 + normal(gen);
  const auto [train, test] = random_halves(S, 4, gen);
  const auto native = align::noise_corrected_regression(p.layers, p.repetitions, train, test);

  testing::PythonExchange py;
  const Matrix ref = reference_voxel_splits(py, p, widths, train);
  int direction = 0, scoring = 0;
  for (size_t l = 0; l < widths.size(); ++l)
    for (int k = 0; k < 4; ++k)
      for (Eigen::Index v = 0; v < V; ++v) {
        const auto row = (static_cast<Eigen::Index>(l) * 4 + k) * V + v;
        const auto& n = native[l];
        if (ref(row, 8) != 1.0) continue;  // the mean model is not in the direction regime
        ++direction;
        if (ref(row, 0) > 1e-4) ++scoring;
        EXPECT_NEAR(n.r2(k, v), ref(row, 0), 1e-6)
            << "layer " << l << " split " << k << " voxel " << v << ", alpha " << ref(row, 2);
        if (ref(row, 9) != 1.0 || ref(row, 10) != 1.0 || ref(row, 11) != 1.0) continue;
        EXPECT_NEAR(n.rv_hat(k, v), ref(row, 4), 1e-6)
            << "layer " << l << " split " << k << " voxel " << v;
        EXPECT_NEAR(n.corrected(k, v), ref(row, 1), 1e-5 * std::max(1.0, ref(row, 1)));
      }
  EXPECT_GE(direction, 10);
  EXPECT_GE(scoring, 3);  // cases where predicting a constant gave r^2 = 0 instead
  // All four models of a split in the regime at once is rare (none among these 192): the
  // reliabilities and corrected r^2 are compared above wherever it happens.
}

// The 2023 RSA groups the sounds into category blocks, keeping the release's original order
// (ascending stimulus number) inside each block, and applies its split indices to that order.
// The rows of category_labels.csv keep another order inside the blocks (10 of 165 positions
// agree), so about half the training sounds of each split differed.
TEST(Tuckute2023Rsa, SplitsIndexCategoryBlocksInTheOriginalOrder) {
  const std::string data = std::string(BRAINALIGN_SHARED_DIR) + "/data";
  const char* previous = std::getenv("BRAINALIGN_DATA");
  const std::optional<std::string> saved =
      previous ? std::optional<std::string>(previous) : std::nullopt;
  ::setenv("BRAINALIGN_DATA", data.c_str(), 1);
  std::vector<std::string> names;
  std::ifstream csv(data + "/natsound165/category_labels.csv");
  for (std::string line; std::getline(csv, line);) names.push_back(line.substr(0, line.find(',')));
  ASSERT_EQ(names.size(), 165u);
  // The dataset's rows in a shuffled order: only the names decide.
  std::mt19937 gen(23);
  std::vector<int> rows(names.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int>(i);
  std::shuffle(rows.begin(), rows.end(), gen);
  std::normal_distribution<double> normal(0.0, 1.0);
  const Eigen::Index S = 165, V = 20, subjects = 3;
  auto gaussian = [&](Eigen::Index r, Eigen::Index c) {
    Matrix m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(gen);
    return m;
  };
  const Matrix latent = gaussian(S, 4);
  data::BrainDataset d;
  d.name = d.source = "categories";
  for (int r : rows) d.stimuli.push_back(names[static_cast<size_t>(r)]);
  ColMatrix responses(S, V * subjects);
  for (Eigen::Index s = 0; s < subjects; ++s)
    responses.middleCols(s * V, V) = latent * gaussian(4, V) + 2.0 * gaussian(S, V);
  d.repetitions = {responses};
  for (Eigen::Index v = 0; v < V * subjects; ++v)
    d.targets.push_back({"v" + std::to_string(v), std::to_string(v / V), ""});
  features::FeatureSet f;
  f.source = "categories";
  f.stimuli = d.stimuli;
  for (int l = 0; l < 3; ++l)
    f.layers.push_back(
        {"l" + std::to_string(l), latent * gaussian(4, 15) + (1.0 + l) * gaussian(S, 15)});
  protocols::ScoreOptions o;
  o.protocol = protocols::Protocol::Tuckute2023;
  o.analysis = protocols::Analysis::Rsa;
  const protocols::ScoreResult result = protocols::score(f, d, o);
  if (saved) {
    ::setenv("BRAINALIGN_DATA", saved->c_str(), 1);
  } else {
    ::unsetenv("BRAINALIGN_DATA");
  }

  testing::PythonExchange py;
  Matrix row_of(1, S);
  for (Eigen::Index i = 0; i < S; ++i) row_of(0, i) = rows[static_cast<size_t>(i)];
  py.put("rows", row_of);
  py.put("responses", Matrix(responses));
  for (int l = 0; l < 3; ++l)
    py.put("X" + std::to_string(l), f.layers[static_cast<size_t>(l)].values);
  py.run("sys.path.insert(0, '" + std::string(BRAINALIGN_TEST_DIR) + "/align')\n" + "CSV = '" +
         data + "/natsound165/category_labels.csv'\n" + R"(
import csv
import rsa_reference as ref
S, V, P = 165, 20, 3
labels = list(csv.reader(open(CSV)))
rows = np.fromfile('rows', '<f8').astype(int)
names = [labels[r][0] for r in rows]                # the dataset's row order
category = {n: c for n, c in labels}
number = lambda n: int(n[4:n.index('_')])
original = sorted(range(S), key=lambda i: number(names[i]))  # the release's order
order = [i for c in ['Music', 'Song', 'EngSpeech', 'ForSpeech', 'HumVoc', 'AniVoc', 'HumNonVoc',
                     'AniNonVoc', 'Nature', 'Mechanical', 'EnvSound']
         for i in original if category[names[i]] == c]
responses = np.fromfile('responses', '<f8').reshape(S, V * P)[order]
layers = [np.fromfile('X%d' % l, '<f8').reshape(S, 15)[order] for l in range(3)]
np.random.seed(0)  # the published split drawing
splits = []
for k in range(10):
    train = np.random.choice(S, size=83, replace=False)
    test = np.random.choice(list(set(np.arange(S)) - set(train)), size=82, replace=False)
    splits.append({'train': train, 'test': test})
participants = [responses[:, p * V:(p + 1) * V] for p in range(P)]
np.array(ref.tuckute2023(participants, layers, splits)['scores']).astype('<f8').tofile('scores')
)");
  const Matrix expected = py.get("scores", 1, subjects);
  ASSERT_EQ(result.targets.size(), static_cast<size_t>(subjects));
  for (Eigen::Index s = 0; s < subjects; ++s)
    EXPECT_NEAR(result.targets[static_cast<size_t>(s)].score, expected(0, s), 1e-10)
        << "subject " << s;
}

// The 2023 analysis draws its masks (and tie-breaks) over every voxel and reads an ROI off the
// result; scoring the ROI's voxels alone would put the random stream on other voxels. So an
// ROI's per-voxel values are those of the whole dataset's run.
TEST(Tuckute2023Regression, AnRoiReadsTheWholeDatasetsSelection) {
  const Eigen::Index S = 44, V = 12;
  const Planted p = plant(S, {4, 30, 70}, V, 9);
  data::BrainDataset d;
  d.name = "planted";
  d.source = "planted";
  for (Eigen::Index s = 0; s < S; ++s) d.stimuli.push_back("stim" + std::to_string(s) + "_x");
  d.repetitions = p.repetitions;
  d.repetitions[1](3, 1) = std::nan("");  // a Lateral voxel with a NaN response is skipped
  for (Eigen::Index v = 0; v < V; ++v)
    d.targets.push_back(
        {"v" + std::to_string(v), v < V / 2 ? "1" : "2", v % 3 == 0 ? "Primary" : "Lateral"});
  features::FeatureSet f;
  f.source = "planted";
  f.stimuli = d.stimuli;
  for (size_t l = 0; l < p.layers.size(); ++l)
    f.layers.push_back({"l" + std::to_string(l), p.layers[l]});
  protocols::ScoreOptions o;
  o.protocol = protocols::Protocol::Tuckute2023;
  o.analysis = protocols::Analysis::Voxelwise;
  o.threads = 1;
  const protocols::ScoreResult all = protocols::score(f, d, o);
  o.roi = "primary";
  const protocols::ScoreResult roi = protocols::score(f, d, o);
  ASSERT_EQ(all.targets.size(), static_cast<size_t>(V - 1));
  ASSERT_EQ(roi.targets.size(), static_cast<size_t>(V / 3));
  size_t matched = 0;
  for (const auto& t : roi.targets)
    for (const auto& a : all.targets)
      if (a.id == t.id) {
        ++matched;
        EXPECT_EQ(t.score, a.score) << t.id;
        EXPECT_EQ(t.layers, a.layers) << t.id;
        EXPECT_EQ(t.alphas, a.alphas) << t.id;
      }
  EXPECT_EQ(matched, roi.targets.size());
  EXPECT_EQ(roi.summary.n_voxels_used, V / 3);
}

// Ties between layers are common in the 2023 selection (medians clipped at 1, or all 0): the
// published analysis then draws one of the tied layers (np.random.seed(0), np.random.choice per
// voxel), where taking the first tied layer favours early layers.
TEST(Tuckute2023Regression, TiedLayersAreDrawnAsThePublishedAnalysis) {
  const int L = 5, K = 10;
  const Eigen::Index V = 60;
  std::mt19937 gen(17);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<align::NoiseCorrectedLayer> layers(static_cast<size_t>(L));
  Matrix flat(L * K, V);
  for (int l = 0; l < L; ++l) {
    auto& c = layers[static_cast<size_t>(l)].corrected;
    c.resize(K, V);
    for (int k = 0; k < K; ++k)
      for (Eigen::Index v = 0; v < V; ++v) {
        // A third of the voxels saturate (corrected > 1, clipped), a third carry no signal.
        const double x = u(gen);
        c(k, v) = v % 3 == 0 ? 1.0 + x : (v % 3 == 1 ? (x < 0.8 ? 0.0 : x) : x);
        flat(l * K + k, v) = c(k, v);
      }
  }
  const align::LayerSelection sel = align::select_layer_held_out(layers, 10);

  testing::PythonExchange py;
  py.put("corrected", flat);
  py.run("sys.path.insert(0, '" + std::string(BRAINALIGN_TEST_DIR) + "/reference')\n" +
         "import protocols_reference as ref\nL, K, V = " + std::to_string(L) + ", " +
         std::to_string(K) + ", " + std::to_string(V) + R"(
corrected = np.fromfile('corrected', '<f8').reshape(L, K, V)
values, best = ref.tuckute2023_layer_selection(corrected, iterations=10)
values.tofile('values'); best.astype(float).tofile('best')
)");
  const Matrix values = py.get("values", 10, V);
  const Matrix best = py.get("best", 10, V);
  int not_first = 0;
  for (int it = 0; it < 10; ++it)
    for (Eigen::Index v = 0; v < V; ++v) {
      EXPECT_EQ(sel.best_layer(it, v), static_cast<int>(best(it, v)))
          << "iteration " << it << ", voxel " << v;
      EXPECT_DOUBLE_EQ(sel.value(it, v), values(it, v));
      // Where the draw left the first tied layer, the first-maximum rule would have differed.
      if (v % 3 == 0 && sel.best_layer(it, v) != 0) ++not_first;
    }
  EXPECT_GE(not_first, 100);
}

}  // namespace
}  // namespace brainalign
