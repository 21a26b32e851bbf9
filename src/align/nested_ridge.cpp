#include "brainalign/align/nested_ridge.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "brainalign/align/ridge.h"
#include "brainalign/base/error.h"
#include "brainalign/base/threads.h"

namespace brainalign::align {
namespace {

// Targets are processed in blocks of this many columns; the block size is fixed so that the
// numbers never depend on the thread count.
constexpr Eigen::Index kTargetBlock = 256;

double clipped_r2_centred(const double* observed_centred, double observed_norm2,
                          const double* predicted, Eigen::Index n) {
  double mean = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) mean += predicted[i];
  mean /= static_cast<double>(n);
  double sxx = 0.0, sxy = 0.0;
  bool constant = true;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double d = predicted[i] - mean;
    constant = constant && predicted[i] == predicted[0];
    sxx += d * d;
    sxy += d * observed_centred[i];
  }
  if (constant || sxx == 0.0 || observed_norm2 == 0.0) return 0.0;
  const double r = sxy / std::sqrt(sxx * observed_norm2);
  return r > 0.0 ? r * r : 0.0;
}

struct Candidate {
  double alpha;
  int layer;
};

// An inner fit: the decomposition of its design (shared with the fit that trains on the
// same folds) and the test factor of the fold it predicts.
struct InnerFit {
  const RidgeSpectrum* spectrum = nullptr;
  ColMatrix test_factor;  // held-out rows x rank
};

// One outer fold's design: inner[g][l] fits on train minus inner fold g and predicts inner
// fold g; the outer fit of layer l (all training stimuli) predicts the test fold.
struct OuterFoldDesign {
  std::vector<int> train;                    // stimulus rows
  std::vector<int> test;                     // stimulus rows
  std::vector<std::vector<int>> inner_fit;   // per inner fold: stimulus rows used to fit
  std::vector<std::vector<int>> inner_held;  // per inner fold: positions in `train` held out
  std::vector<std::vector<InnerFit>> inner;  // [g][l]
  std::vector<std::vector<ColMatrix>> hat;   // [g][l]: stacked hat matrices, all penalties
};

}  // namespace

Vector clipped_r2_columns(const ColMatrix& observed, const ColMatrix& predicted) {
  Vector out(observed.cols());
  const Eigen::Index n = observed.rows();
  for (Eigen::Index t = 0; t < observed.cols(); ++t) {
    const Vector y = observed.col(t).array() - observed.col(t).mean();
    out(t) = clipped_r2_centred(y.data(), y.squaredNorm(), predicted.col(t).data(), n);
  }
  return out;
}

NestedRidgeResult nested_ridge_regression(const std::vector<Matrix>& layers,
                                          const ColMatrix& targets,
                                          std::span<const int> fold_of_stimulus,
                                          const NestedRidgeOptions& options) {
  const Eigen::Index S = targets.rows();
  const Eigen::Index T = targets.cols();
  const int L = static_cast<int>(layers.size());
  if (L == 0) throw InputError("nested ridge: no layers");
  if (static_cast<Eigen::Index>(fold_of_stimulus.size()) != S)
    throw InputError("nested ridge: the fold assignment does not cover every stimulus");
  for (const Matrix& X : layers)
    if (X.rows() != S) throw InputError("nested ridge: a layer and the targets differ in stimuli");
  if (options.alphas.empty()) throw InputError("nested ridge: no penalties");
  const int K = *std::max_element(fold_of_stimulus.begin(), fold_of_stimulus.end()) + 1;
  if (K < 3) throw InputError("nested ridge: at least three folds are needed");

  configure_compute_runtime();
  const int threads = resolve_threads(options.threads);

  NestedRidgeResult result;
  result.predictions = ColMatrix::Zero(S, T);
  result.chosen_layer = Eigen::MatrixXi::Zero(K, T);
  result.chosen_alpha = ColMatrix::Zero(K, T);
  result.inner_score = ColMatrix::Zero(K, T);

  const double lowest0 = *std::min_element(options.alphas.begin(), options.alphas.end());
  const double highest0 = *std::max_element(options.alphas.begin(), options.alphas.end());

  // Layers wider than any training set are decomposed in the dual form from one Gram matrix.
  std::vector<LayerGram> grams(static_cast<size_t>(L));
#pragma omp parallel for schedule(dynamic) num_threads(threads)
  for (int l = 0; l < L; ++l)
    if (layers[static_cast<size_t>(l)].cols() >= S)
      grams[static_cast<size_t>(l)] = layer_gram(layers[static_cast<size_t>(l)]);

  // Every design is decomposed once, up front. The inner fit of outer fold f that holds out
  // fold g trains on the folds other than f and g, in fold order: the same design as outer
  // fold g's inner fit holding out f. Each pair of folds is decomposed once with both folds
  // as test rows (the lower fold's first), and each fit takes its held-out fold's rows.
  std::vector<std::vector<int>> fold_rows(static_cast<size_t>(K));
  for (Eigen::Index s = 0; s < S; ++s)
    fold_rows[static_cast<size_t>(fold_of_stimulus[static_cast<size_t>(s)])].push_back(
        static_cast<int>(s));
  auto rows_except = [&](int a, int b) {
    std::vector<int> rows;
    for (int k = 0; k < K; ++k)
      if (k != a && k != b)
        rows.insert(rows.end(), fold_rows[static_cast<size_t>(k)].begin(),
                    fold_rows[static_cast<size_t>(k)].end());
    return rows;
  };
  auto decompose = [&](int l, const std::vector<int>& fit, const std::vector<int>& test) {
    const Matrix& X = layers[static_cast<size_t>(l)];
    return X.cols() >= S ? decompose_ridge(grams[static_cast<size_t>(l)], fit, test)
                         : decompose_ridge(X, fit, test);
  };
  std::vector<std::pair<int, int>> pairs;
  for (int a = 0; a < K; ++a)
    for (int b = a + 1; b < K; ++b) pairs.emplace_back(a, b);
  const int P = static_cast<int>(pairs.size());
  std::vector<std::vector<RidgeSpectrum>> pair_spectra(
      static_cast<size_t>(P), std::vector<RidgeSpectrum>(static_cast<size_t>(L)));
  std::vector<std::vector<RidgeSpectrum>> outer_spectra(
      static_cast<size_t>(K), std::vector<RidgeSpectrum>(static_cast<size_t>(L)));
#pragma omp parallel for schedule(dynamic) num_threads(threads)
  for (int job = 0; job < (P + K) * L; ++job) {
    const int i = job / L, l = job % L;
    if (i < P) {
      const auto [a, b] = pairs[static_cast<size_t>(i)];
      std::vector<int> test = fold_rows[static_cast<size_t>(a)];
      test.insert(test.end(), fold_rows[static_cast<size_t>(b)].begin(),
                  fold_rows[static_cast<size_t>(b)].end());
      pair_spectra[static_cast<size_t>(i)][static_cast<size_t>(l)] =
          decompose(l, rows_except(a, b), test);
    } else {
      const int f = i - P;
      outer_spectra[static_cast<size_t>(f)][static_cast<size_t>(l)] =
          decompose(l, rows_except(f, f), fold_rows[static_cast<size_t>(f)]);
    }
  }
  auto pair_index = [&](int a, int b) {
    if (a > b) std::swap(a, b);
    return static_cast<size_t>(std::find(pairs.begin(), pairs.end(), std::make_pair(a, b)) -
                               pairs.begin());
  };

  for (int f = 0; f < K; ++f) {
    OuterFoldDesign d;
    // Training stimuli grouped by inner fold, so each inner fold's predictions are one block.
    std::vector<int> position(static_cast<size_t>(S), -1);
    for (Eigen::Index s = 0; s < S; ++s)
      if (fold_of_stimulus[static_cast<size_t>(s)] == f) d.test.push_back(static_cast<int>(s));
    for (int g = 0; g < K; ++g) {
      if (g == f) continue;
      for (Eigen::Index s = 0; s < S; ++s) {
        if (fold_of_stimulus[static_cast<size_t>(s)] != g) continue;
        position[static_cast<size_t>(s)] = static_cast<int>(d.train.size());
        d.train.push_back(static_cast<int>(s));
      }
    }
    for (int g = 0; g < K; ++g) {
      if (g == f) continue;
      std::vector<int> fit, held;
      for (int s : d.train)
        (fold_of_stimulus[static_cast<size_t>(s)] == g ? held : fit).push_back(s);
      for (int& s : held) s = position[static_cast<size_t>(s)];
      d.inner_fit.push_back(std::move(fit));
      d.inner_held.push_back(std::move(held));
    }
    const int G = static_cast<int>(d.inner_fit.size());
    d.inner.assign(static_cast<size_t>(G), std::vector<InnerFit>(static_cast<size_t>(L)));
    for (int g = 0, gi = 0; g < K; ++g) {
      if (g == f) continue;
      const Eigen::Index first =
          g < f ? 0 : static_cast<Eigen::Index>(fold_rows[static_cast<size_t>(f)].size());
      const Eigen::Index rows = static_cast<Eigen::Index>(fold_rows[static_cast<size_t>(g)].size());
      for (int l = 0; l < L; ++l) {
        InnerFit& fit = d.inner[static_cast<size_t>(gi)][static_cast<size_t>(l)];
        fit.spectrum = &pair_spectra[pair_index(f, g)][static_cast<size_t>(l)];
        fit.test_factor = fit.spectrum->test_factor.middleRows(first, rows);
      }
      ++gi;
    }
    const std::vector<RidgeSpectrum>& outer = outer_spectra[static_cast<size_t>(f)];

    // Stacked hat matrices of every inner fit: rows a*m..(a+1)*m give the held-out predictions
    // at penalty a of the centred fit targets.
    const int n_grid = static_cast<int>(options.alphas.size());
    std::vector<Eigen::Index> held_size(static_cast<size_t>(G)),
        held_offset(static_cast<size_t>(G));
    for (int g = 0; g < G; ++g) {
      held_size[static_cast<size_t>(g)] =
          static_cast<Eigen::Index>(d.inner_held[static_cast<size_t>(g)].size());
      held_offset[static_cast<size_t>(g)] = d.inner_held[static_cast<size_t>(g)].front();
    }
    d.hat.assign(static_cast<size_t>(G), std::vector<ColMatrix>(static_cast<size_t>(L)));
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int job = 0; job < G * L; ++job) {
      const int g = job / L, l = job % L;
      const InnerFit& fit = d.inner[static_cast<size_t>(g)][static_cast<size_t>(l)];
      const RidgeSpectrum& s = *fit.spectrum;
      const Eigen::Index m = held_size[static_cast<size_t>(g)];
      ColMatrix& hat = d.hat[static_cast<size_t>(g)][static_cast<size_t>(l)];
      hat.resize(m * n_grid, s.n_train());
      for (int a = 0; a < n_grid; ++a)
        hat.middleRows(a * m, m).noalias() =
            (fit.test_factor *
             ridge_shrinkage(s, options.alphas[static_cast<size_t>(a)]).asDiagonal()) *
            s.basis.transpose();
    }

    const Eigen::Index n_train = static_cast<Eigen::Index>(d.train.size());
    const Eigen::Index blocks = (T + kTargetBlock - 1) / kTargetBlock;
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (Eigen::Index b = 0; b < blocks; ++b) {
      const Eigen::Index t0 = b * kTargetBlock;
      const Eigen::Index B = std::min(kTargetBlock, T - t0);

      // Training targets, centred, for scoring the inner predictions.
      ColMatrix y_train(n_train, B);
      for (Eigen::Index i = 0; i < n_train; ++i)
        y_train.row(i) = targets.block(d.train[static_cast<size_t>(i)], t0, 1, B);
      ColMatrix y_train_centred = y_train.rowwise() - y_train.colwise().mean();
      const Eigen::RowVectorXd y_norm2 = y_train_centred.colwise().squaredNorm();

      // Per inner fold: the fit targets, centred with their means.
      std::vector<Eigen::RowVectorXd> fit_mean(static_cast<size_t>(G));
      std::vector<ColMatrix> y_fit(static_cast<size_t>(G));
      for (int g = 0; g < G; ++g) {
        const auto& fit = d.inner_fit[static_cast<size_t>(g)];
        ColMatrix& y = y_fit[static_cast<size_t>(g)];
        y.resize(static_cast<Eigen::Index>(fit.size()), B);
        for (size_t i = 0; i < fit.size(); ++i)
          y.row(static_cast<Eigen::Index>(i)) = targets.block(fit[i], t0, 1, B);
        fit_mean[static_cast<size_t>(g)] = y.colwise().mean();
        y.rowwise() -= fit_mean[static_cast<size_t>(g)];
      }

      // One target's inner predictions at (alpha, layer), for the grid's edge extension.
      auto predict_one = [&](double alpha, int l, Eigen::Index t, Vector& out) {
        for (int g = 0; g < G; ++g) {
          const InnerFit& fit = d.inner[static_cast<size_t>(g)][static_cast<size_t>(l)];
          const RidgeSpectrum& s = *fit.spectrum;
          const Vector z = ridge_shrinkage(s, alpha).cwiseProduct(
              s.basis.transpose() * y_fit[static_cast<size_t>(g)].col(t));
          const Vector p = fit.test_factor * z;
          const auto& held = d.inner_held[static_cast<size_t>(g)];
          for (size_t i = 0; i < held.size(); ++i)
            out(held[i]) = p(static_cast<Eigen::Index>(i)) + fit_mean[static_cast<size_t>(g)](t);
        }
      };

      // The whole grid: per layer and inner fold, one product of the stacked hat matrices
      // (every penalty) with the fit targets; then clipped r^2 of every column at once.
      ColMatrix grid_score(n_grid * L, B);  // candidate order: alphas outer, layers inner
      std::vector<ColMatrix> stacked(static_cast<size_t>(G));
      for (int l = 0; l < L; ++l) {
        for (int g = 0; g < G; ++g)
          stacked[static_cast<size_t>(g)].noalias() =
              d.hat[static_cast<size_t>(g)][static_cast<size_t>(l)] * y_fit[static_cast<size_t>(g)];
        for (int a = 0; a < n_grid; ++a) {
          Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(B);
          for (int g = 0; g < G; ++g) {
            const Eigen::Index m = held_size[static_cast<size_t>(g)];
            mean += stacked[static_cast<size_t>(g)].middleRows(a * m, m).colwise().sum() +
                    static_cast<double>(m) * fit_mean[static_cast<size_t>(g)];
          }
          mean /= static_cast<double>(n_train);
          Eigen::RowVectorXd sxx = Eigen::RowVectorXd::Zero(B), sxy = Eigen::RowVectorXd::Zero(B);
          for (int g = 0; g < G; ++g) {
            const Eigen::Index m = held_size[static_cast<size_t>(g)];
            const ColMatrix p = stacked[static_cast<size_t>(g)].middleRows(a * m, m).rowwise() +
                                (fit_mean[static_cast<size_t>(g)] - mean);
            sxx += p.colwise().squaredNorm();
            sxy +=
                p.cwiseProduct(y_train_centred.middleRows(held_offset[static_cast<size_t>(g)], m))
                    .colwise()
                    .sum();
          }
          for (Eigen::Index t = 0; t < B; ++t) {
            double score = 0.0;
            if (sxx(t) > 0.0 && y_norm2(t) > 0.0) {
              const double r = sxy(t) / std::sqrt(sxx(t) * y_norm2(t));
              score = r > 0.0 ? r * r : 0.0;
            }
            // Nearly constant predictions: decide constancy exactly, as the reference does.
            if (score > 0.0 && sxx(t) <= 1e-24 * mean(t) * mean(t) * static_cast<double>(n_train)) {
              Vector full(n_train);
              for (int g = 0; g < G; ++g) {
                const Eigen::Index m = held_size[static_cast<size_t>(g)];
                full.segment(held_offset[static_cast<size_t>(g)], m) =
                    stacked[static_cast<size_t>(g)].col(t).segment(a * m, m).array() +
                    fit_mean[static_cast<size_t>(g)](t);
              }
              score = clipped_r2_centred(y_train_centred.col(t).data(), y_norm2(t), full.data(),
                                         n_train);
            }
            grid_score(a * L + l, t) = score;
          }
        }
      }

      Vector scratch(n_train);
      for (Eigen::Index t = 0; t < B; ++t) {
        std::vector<Candidate> candidates;
        std::vector<double> scores;
        for (int a = 0; a < n_grid; ++a)
          for (int l = 0; l < L; ++l) {
            candidates.push_back({options.alphas[static_cast<size_t>(a)], l});
            scores.push_back(grid_score(a * L + l, t));
          }
        double lowest = lowest0, highest = highest0;
        size_t best = 0;
        auto retake_best = [&] {
          best = 0;
          for (size_t c = 1; c < scores.size(); ++c)
            if (scores[c] > scores[best]) best = c;
        };
        retake_best();
        while (true) {
          const Candidate& c = candidates[best];
          double next;
          if (c.alpha == lowest && lowest / 2 >= options.smallest_alpha) {
            next = lowest = lowest / 2;
          } else if (c.alpha == highest && highest * 2 <= options.largest_alpha) {
            next = highest = highest * 2;
          } else {
            break;
          }
          const int layer = c.layer;
          predict_one(next, layer, t, scratch);
          candidates.push_back({next, layer});
          scores.push_back(clipped_r2_centred(y_train_centred.col(t).data(), y_norm2(t),
                                              scratch.data(), n_train));
          retake_best();
        }

        // Refit the winner on all training stimuli and predict the held-out fold.
        const Candidate& win = candidates[best];
        const RidgeSpectrum& s = outer[static_cast<size_t>(win.layer)];
        const double mean = y_train.col(t).mean();
        const Vector z = s.basis.transpose() * (y_train.col(t).array() - mean).matrix();
        const Vector p = s.test_factor * ridge_shrinkage(s, win.alpha).cwiseProduct(z);
        for (size_t i = 0; i < d.test.size(); ++i)
          result.predictions(d.test[i], t0 + t) = p(static_cast<Eigen::Index>(i)) + mean;
        result.chosen_layer(f, t0 + t) = win.layer;
        result.chosen_alpha(f, t0 + t) = win.alpha;
        result.inner_score(f, t0 + t) = scores[best];
      }
    }
    if (options.progress) options.progress(f + 1, K);
  }

  result.score = clipped_r2_columns(targets, result.predictions);
  return result;
}

}  // namespace brainalign::align