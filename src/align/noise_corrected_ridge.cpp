#include "brainalign/align/noise_corrected_ridge.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "brainalign/align/ridge.h"
#include "brainalign/base/error.h"
#include "brainalign/base/legacy_random.h"
#include "brainalign/base/statistics.h"
#include "brainalign/base/threads.h"

namespace brainalign::align {
namespace {

constexpr Eigen::Index kTargetBlock = 512;
// Penalties at least 1e12 times the largest eigenvalue only scale the prediction.
constexpr double kScaleOnly = 1e-12;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Pearson r of two columns (base pearson: NaN when either is exactly constant, which
// np.nanmedian then skips, as the published code's np.corrcoef on a constant input).
double correlation(const double* a, const double* b, Eigen::Index n) {
  const auto size = static_cast<std::size_t>(n);
  return pearson(std::span<const double>(a, size), std::span<const double>(b, size));
}

double spearman_brown(double r, double floor) {
  if (std::isnan(r)) return floor;  // np.nanmax([NaN, floor])
  return std::max(3.0 * r / (1.0 + 2.0 * r), floor);
}

double median_of_three(std::array<double, 3> v) {
  return nan_median(std::span<const double>(v.data(), v.size()));
}

}  // namespace

std::vector<double> NoiseCorrectedOptions::default_alphas() {
  std::vector<double> alphas;
  for (int x = 49; x >= -50; --x) alphas.push_back(std::pow(10.0, x));
  return alphas;
}

std::vector<NoiseCorrectedLayer> noise_corrected_regression(
    const std::vector<Matrix>& layers, const std::vector<ColMatrix>& repetitions,
    const std::vector<std::vector<int>>& train, const std::vector<std::vector<int>>& test,
    const NoiseCorrectedOptions& options) {
  const int L = static_cast<int>(layers.size());
  const int R = static_cast<int>(repetitions.size());
  const int splits = static_cast<int>(train.size());
  if (L == 0) throw InputError("noise-corrected regression: no layers");
  if (R == 0) throw InputError("noise-corrected regression: no responses");
  if (static_cast<int>(test.size()) != splits)
    throw InputError("noise-corrected regression: train and test splits differ in number");
  if (options.correct && R < 2) throw InputError("noise correction needs at least two repetitions");
  const Eigen::Index S = repetitions[0].rows();
  const Eigen::Index T = repetitions[0].cols();
  for (const auto& rep : repetitions)
    if (rep.rows() != S || rep.cols() != T)
      throw InputError("noise-corrected regression: repetitions differ in shape");
  for (const auto& X : layers)
    if (X.rows() != S)
      throw InputError("noise-corrected regression: a layer and the responses differ in stimuli");

  configure_compute_runtime();
  const int threads = resolve_threads(options.threads);

  ColMatrix mean_response = repetitions[0];
  for (int r = 1; r < R; ++r) mean_response += repetitions[static_cast<size_t>(r)];
  mean_response /= static_cast<double>(R);

  // Pairs of repetitions for the reliabilities, in the published order.
  std::vector<std::pair<int, int>> pairs;
  if (R == 3) {
    pairs = {{0, 1}, {1, 2}, {0, 2}};
  } else {
    for (int a = 0; a < R; ++a)
      for (int b = a + 1; b < R; ++b) pairs.emplace_back(a, b);
  }
  const int n_models = options.correct ? 1 + R : 1;

  std::vector<NoiseCorrectedLayer> out(static_cast<size_t>(L));
  for (auto& layer : out) {
    layer.r2.resize(splits, T);
    layer.corrected.resize(splits, T);
    layer.alpha.resize(splits, T);
    layer.rv = ColMatrix::Constant(splits, T, kNaN);
    layer.rv_hat = ColMatrix::Constant(splits, T, kNaN);
    layer.alpha_at_edge.resize(splits, T);
  }

  const auto& alphas = options.alphas;
  // Layers wider than the stimulus set are decomposed in the dual form from one Gram matrix.
  std::vector<LayerGram> grams(static_cast<size_t>(L));
  const int units = L * splits;
  int done = 0;
  for (int unit = 0; unit < units; ++unit) {
    const int l = unit / splits, k = unit % splits;
    const auto& tr = train[static_cast<size_t>(k)];
    const auto& te = test[static_cast<size_t>(k)];
    const Matrix& X = layers[static_cast<size_t>(l)];
    if (X.cols() >= S && grams[static_cast<size_t>(l)].features == 0)
      grams[static_cast<size_t>(l)] = layer_gram(X);
    const RidgeSpectrum s = X.cols() >= S ? decompose_ridge(grams[static_cast<size_t>(l)], tr, te)
                                          : decompose_ridge(X, tr, te);
    const Eigen::Index n = static_cast<Eigen::Index>(tr.size());
    const Eigen::Index m = static_cast<Eigen::Index>(te.size());
    NoiseCorrectedLayer& res = out[static_cast<size_t>(l)];
    const Eigen::Index blocks = (T + kTargetBlock - 1) / kTargetBlock;

#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (Eigen::Index b = 0; b < blocks; ++b) {
      const Eigen::Index t0 = b * kTargetBlock;
      const Eigen::Index B = std::min(kTargetBlock, T - t0);
      // Columns: the repetition mean, then each repetition (when correcting).
      ColMatrix y_train(n, B * n_models), y_test(m, B * n_models);
      for (int model = 0; model < n_models; ++model) {
        const ColMatrix& source =
            model == 0 ? mean_response : repetitions[static_cast<size_t>(model - 1)];
        for (Eigen::Index i = 0; i < n; ++i)
          y_train.block(i, model * B, 1, B) = source.block(tr[static_cast<size_t>(i)], t0, 1, B);
        for (Eigen::Index i = 0; i < m; ++i)
          y_test.block(i, model * B, 1, B) = source.block(te[static_cast<size_t>(i)], t0, 1, B);
      }
      // Centre with the training means (the test stimuli with the same means).
      const Eigen::RowVectorXd train_mean = y_train.colwise().mean();
      y_train.rowwise() -= train_mean;
      y_test.rowwise() -= train_mean;

      LooSelection sel = select_penalty_loo(s, y_train, alphas);
      // Predictions at each column's penalty; the fitted intercept is the (tiny) mean of the
      // centred training target, as scikit-learn's on centred inputs.
      // From 1 / kScaleOnly times the largest eigenvalue on, shrinkage only scales the
      // prediction (1 / (lambda + alpha) = 1 / alpha to 1e-12): every correlation taken is
      // scale-free, so the prediction is taken as its limiting direction, the test-by-train
      // kernel times the centred training target (test_factor U^T y), without the intercept.
      // The published RidgeCV predicts that direction divided by alpha plus its intercept;
      // its correlations are the direction's wherever that sum is not rounded to a constant.
      const double largest = s.rank() > 0 ? s.eigenvalues(0) : 0.0;
      ColMatrix z = std::move(sel.projected);
      std::vector<bool> direction_only(static_cast<size_t>(z.cols()));
      for (Eigen::Index c = 0; c < z.cols(); ++c) {
        const double alpha = alphas[static_cast<size_t>(sel.best[static_cast<size_t>(c)])];
        direction_only[static_cast<size_t>(c)] = largest <= kScaleOnly * alpha;
        if (!direction_only[static_cast<size_t>(c)])
          z.col(c).array() /= s.eigenvalues.array() + alpha;
      }
      ColMatrix prediction = s.test_factor * z;
      const Eigen::RowVectorXd intercept = y_train.colwise().mean();
      for (Eigen::Index c = 0; c < z.cols(); ++c)
        if (!direction_only[static_cast<size_t>(c)]) prediction.col(c).array() += intercept(c);
      std::vector<double> raw_a(static_cast<size_t>(n)), raw_b(static_cast<size_t>(n));

      for (Eigen::Index t = 0; t < B; ++t) {
        const double* p = prediction.col(t).data();
        // An exactly constant prediction scores r = 0 (the published np.std(pred) == 0).
        double r = correlation(p, y_test.col(t).data(), m);
        if (!(r > 0.0)) r = 0.0;
        const double r2 = r * r;
        const int a = sel.best[static_cast<size_t>(t)];
        res.r2(k, t0 + t) = r2;
        res.alpha(k, t0 + t) = alphas[static_cast<size_t>(a)];
        res.alpha_at_edge(k, t0 + t) =
            a == 0 ? 1 : (a == static_cast<int>(alphas.size()) - 1 ? 2 : 0);
        if (!options.correct) {
          res.corrected(k, t0 + t) = r2;
          continue;
        }
        std::array<double, 3> rvs{kNaN, kNaN, kNaN}, rv_hats{kNaN, kNaN, kNaN};
        std::vector<double> rv_list, rv_hat_list;
        for (const auto& [ra, rb] : pairs) {
          // Reliability of the voxel: the raw repetitions on the training stimuli (not the
          // centred ones, whose rounding could make a constant repetition look variable).
          const ColMatrix& rep_a = repetitions[static_cast<size_t>(ra)];
          const ColMatrix& rep_b = repetitions[static_cast<size_t>(rb)];
          for (Eigen::Index i = 0; i < n; ++i) {
            raw_a[static_cast<size_t>(i)] = rep_a(tr[static_cast<size_t>(i)], t0 + t);
            raw_b[static_cast<size_t>(i)] = rep_b(tr[static_cast<size_t>(i)], t0 + t);
          }
          const double rv = correlation(raw_a.data(), raw_b.data(), n);
          const double rh = correlation(prediction.col((1 + ra) * B + t).data(),
                                        prediction.col((1 + rb) * B + t).data(), m);
          rv_list.push_back(rv);
          rv_hat_list.push_back(rh);
        }
        double rv_med, rv_hat_med;
        if (pairs.size() == 3) {
          std::copy(rv_list.begin(), rv_list.end(), rvs.begin());
          std::copy(rv_hat_list.begin(), rv_hat_list.end(), rv_hats.begin());
          rv_med = median_of_three(rvs);
          rv_hat_med = median_of_three(rv_hats);
        } else {
          rv_med = nan_median(rv_list);
          rv_hat_med = nan_median(rv_hat_list);
        }
        const double rv = spearman_brown(rv_med, options.reliability_floor);
        const double rv_hat = spearman_brown(rv_hat_med, options.prediction_reliability_floor);
        res.rv(k, t0 + t) = rv;
        res.rv_hat(k, t0 + t) = rv_hat;
        res.corrected(k, t0 + t) = r2 / (rv * rv_hat);
      }
    }
    ++done;
    if (options.progress) options.progress(done, units);
  }
  return out;
}

ColMatrix median_over_splits(const std::vector<NoiseCorrectedLayer>& layers) {
  const Eigen::Index L = static_cast<Eigen::Index>(layers.size());
  const Eigen::Index T = L > 0 ? layers[0].corrected.cols() : 0;
  ColMatrix out(L, T);
  std::vector<double> column;
  for (Eigen::Index l = 0; l < L; ++l) {
    const ColMatrix& c = layers[static_cast<size_t>(l)].corrected;
    for (Eigen::Index t = 0; t < T; ++t) {
      column.assign(c.col(t).data(), c.col(t).data() + c.rows());
      out(l, t) = std::min(median(column), 1.0);
    }
  }
  return out;
}

LayerSelection select_layer_held_out(const std::vector<NoiseCorrectedLayer>& layers,
                                     int iterations) {
  const int L = static_cast<int>(layers.size());
  if (L == 0) throw InputError("layer selection: no layers");
  const Eigen::Index splits = layers[0].corrected.rows();
  const Eigen::Index T = layers[0].corrected.cols();
  LayerSelection out;
  out.value.resize(iterations, T);
  out.best_layer.resize(iterations, T);
  std::vector<double> selection(static_cast<size_t>(L) * static_cast<size_t>(T));
  std::vector<double> readout(selection.size());
  std::vector<int> mask(static_cast<size_t>(splits));
  std::vector<double> half_a, half_b;
  for (int it = 0; it < iterations; ++it) {
    LegacyRandom rng(static_cast<std::uint32_t>(it));
    for (int l = 0; l < L; ++l) {
      const ColMatrix& c = layers[static_cast<size_t>(l)].corrected;
      for (Eigen::Index t = 0; t < T; ++t) {
        for (size_t i = 0; i < mask.size(); ++i) mask[i] = static_cast<int>(i % 2);
        rng.shuffle(mask);
        half_a.clear();
        half_b.clear();
        for (Eigen::Index k = 0; k < splits; ++k)
          (mask[static_cast<size_t>(k)] == 1 ? half_a : half_b).push_back(c(k, t));
        const size_t at = static_cast<size_t>(l) * static_cast<size_t>(T) + static_cast<size_t>(t);
        selection[at] = std::min(median(half_a), 1.0);
        readout[at] = std::min(median(half_b), 1.0);
      }
    }
    // The best layer: one of the layers tied at the maximum selection value, drawn per target
    // (in target order) with np.random.choice after np.random.seed(0), as the published
    // analysis does in every iteration; a target without ties draws nothing.
    LegacyRandom tie_rng(0);
    std::vector<int> tied;
    for (Eigen::Index t = 0; t < T; ++t) {
      const auto value = [&](int l) {
        return selection[static_cast<size_t>(l) * static_cast<size_t>(T) + static_cast<size_t>(t)];
      };
      double top = std::numeric_limits<double>::quiet_NaN();
      for (int l = 0; l < L; ++l)
        if (!std::isnan(value(l)) && (std::isnan(top) || value(l) > top)) top = value(l);
      tied.clear();
      for (int l = 0; l < L; ++l)
        if (value(l) == top) tied.push_back(l);
      const int best =
          tied.empty()
              ? 0
              : tied[static_cast<size_t>(tie_rng.randint(static_cast<std::int64_t>(tied.size())))];
      out.best_layer(it, t) = best;
      out.value(it, t) =
          readout[static_cast<size_t>(best) * static_cast<size_t>(T) + static_cast<size_t>(t)];
    }
  }
  return out;
}

}  // namespace brainalign::align