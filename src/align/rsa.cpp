#include "brainalign/align/rsa.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "brainalign/align/rdm.h"
#include "brainalign/base/error.h"
#include "brainalign/base/statistics.h"

namespace brainalign::align {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using detail::SortedCells;

// Order-preserving map of a double to an unsigned integer (-0 and +0 map alike).
std::uint64_t sort_key(double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value + 0.0);
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// Least-significant-digit radix sort on the keys, 11 bits a pass, skipping digits that all keys
// share: far cheaper than a comparison sort for the tens of thousands of cells of an RDM.
SortedCells sort_cells(const Vector& values) {
  std::vector<std::uint64_t> keys;
  std::vector<std::int32_t> cells;
  std::vector<std::int32_t> nan_cells;
  keys.reserve(static_cast<std::size_t>(values.size()));
  cells.reserve(static_cast<std::size_t>(values.size()));
  for (Eigen::Index c = 0; c < values.size(); ++c) {
    if (std::isnan(values(c))) {
      nan_cells.push_back(static_cast<std::int32_t>(c));
    } else {
      keys.push_back(sort_key(values(c)));
      cells.push_back(static_cast<std::int32_t>(c));
    }
  }
  const std::size_t n = keys.size();
  std::vector<std::uint64_t> key_buffer(n);
  std::vector<std::int32_t> cell_buffer(n);
  constexpr int kDigitBits = 11;
  constexpr std::uint64_t kDigitMask = (std::uint64_t{1} << kDigitBits) - 1;
  std::vector<std::size_t> offset(kDigitMask + 2);
  for (int shift = 0; shift < 64; shift += kDigitBits) {
    std::fill(offset.begin(), offset.end(), 0);
    for (std::uint64_t key : keys) ++offset[((key >> shift) & kDigitMask) + 1];
    if (std::any_of(offset.begin() + 1, offset.end(), [&](std::size_t c) { return c == n; })) {
      continue;
    }
    for (std::size_t d = 1; d < offset.size(); ++d) offset[d] += offset[d - 1];
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t to = offset[(keys[i] >> shift) & kDigitMask]++;
      key_buffer[to] = keys[i];
      cell_buffer[to] = cells[i];
    }
    keys.swap(key_buffer);
    cells.swap(cell_buffer);
  }
  SortedCells sorted;
  sorted.n_finite = n;
  sorted.values.resize(n);
  for (std::size_t i = 0; i < n; ++i) sorted.values[i] = values(cells[i]);
  sorted.order = std::move(cells);
  sorted.order.insert(sorted.order.end(), nan_cells.begin(), nan_cells.end());
  return sorted;
}

// Which upper-triangle cells take part: all of them, or the train cells of a fold pair, those
// whose row is not in fold_a and whose column is not in fold_b.
struct CellFilter {
  const std::int8_t* row_fold = nullptr;
  const std::int8_t* column_fold = nullptr;
  int fold_a = -1;
  int fold_b = -1;
  bool selects(std::int32_t cell) const {
    return row_fold == nullptr || (row_fold[cell] != fold_a && column_fold[cell] != fold_b);
  }
};

// Spearman-ready ranks over the selected cells, laid out over all cells: each selected cell
// gets its average rank among the selected ones (as scipy.stats.rankdata), minus the mean rank,
// scaled to unit norm; unselected cells get 0, so a dot product of two such vectors is the
// Spearman correlation over the selected cells. One pass over the sorted cells re-ranks a
// subset without sorting again; it runs without branches and notes whether selected values
// tie, and only then does a second pass give each run of ties its average rank. False if a
// selected cell is NaN or all selected values are equal.
bool centred_ranks(const SortedCells& sorted, const CellFilter& filter, Eigen::Index n_selected,
                   double* out) {
  const double mean_rank = static_cast<double>(n_selected + 1) / 2.0;
  double ranked = 0.0;
  double previous = std::numeric_limits<double>::quiet_NaN();
  bool tied = false;
  for (std::size_t k = 0; k < sorted.n_finite; ++k) {
    const std::int32_t cell = sorted.order[k];
    const bool selected = filter.selects(cell);
    const double value = sorted.values[k];
    ranked += selected ? 1.0 : 0.0;
    out[cell] = selected ? ranked : mean_rank;
    tied |= selected && value == previous;
    previous = selected ? value : previous;
  }
  for (std::size_t t = sorted.n_finite; t < sorted.order.size(); ++t) {
    if (filter.selects(sorted.order[t])) return false;
    out[sorted.order[t]] = mean_rank;
  }
  if (tied) {
    std::size_t k = 0;
    std::int64_t before = 0;
    while (k < sorted.n_finite) {
      std::size_t end = k + 1;
      while (end < sorted.n_finite && sorted.values[end] == sorted.values[k]) ++end;
      std::int64_t group = 0;
      for (std::size_t t = k; t < end; ++t) group += filter.selects(sorted.order[t]) ? 1 : 0;
      if (group > 1) {
        const double average = static_cast<double>(before) + static_cast<double>(group + 1) / 2.0;
        for (std::size_t t = k; t < end; ++t) {
          if (filter.selects(sorted.order[t])) out[sorted.order[t]] = average;
        }
      }
      before += group;
      k = end;
    }
  }
  Eigen::Map<Vector> ranks(out, static_cast<Eigen::Index>(sorted.order.size()));
  ranks.array() -= mean_rank;
  const double norm = ranks.norm();
  if (norm == 0.0) return false;
  ranks /= norm;
  return true;
}

// centred_ranks over all the values.
bool standardized_ranks(const Vector& values, Vector& out) {
  out.resize(values.size());
  return centred_ranks(sort_cells(values), {}, values.size(), out.data());
}

double clamp_correlation(double r) { return std::isnan(r) ? r : std::clamp(r, -1.0, 1.0); }

// np.argmax: the first maximum, or the first NaN if there is one.
int numpy_argmax(const Vector& values) {
  int best = 0;
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    if (std::isnan(values(i))) return static_cast<int>(i);
    if (values(i) > values(best)) best = static_cast<int>(i);
  }
  return best;
}

// np.nanargmax: the first maximum among non-NaN values; -1 if all are NaN.
int numpy_nanargmax(const Vector& values) {
  int best = -1;
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    if (std::isnan(values(i))) continue;
    if (best < 0 || values(i) > values(best)) best = static_cast<int>(i);
  }
  return best;
}

void require_square(const Matrix& m, Eigen::Index size, const std::string& what) {
  if (m.rows() != size || m.cols() != size) {
    throw InputError(what + " is " + std::to_string(m.rows()) + " x " + std::to_string(m.cols()) +
                     ", expected " + std::to_string(size) + " x " + std::to_string(size));
  }
}

bool has_nan(const Matrix& m) { return m.array().isNaN().any(); }

}  // namespace

SubjectSummary summarize_subjects(std::span<const double> values) {
  return {mean(values), sem_over_subjects(values)};
}

PreparedLayerRdms::PreparedLayerRdms(std::vector<Matrix> layer_rdms,
                                     std::vector<int> fold_of_stimulus)
    : layer_rdms_(std::move(layer_rdms)) {
  if (layer_rdms_.empty()) throw InputError("RSA: no layer RDMs given");
  n_stimuli_ = static_cast<int>(layer_rdms_.front().rows());
  for (std::size_t l = 0; l < layer_rdms_.size(); ++l) {
    require_square(layer_rdms_[l], n_stimuli_, "RDM of layer " + std::to_string(l));
  }
  const auto n_layers = static_cast<int>(layer_rdms_.size());
  layer_cells_.resize(layer_rdms_.size());
#pragma omp parallel for schedule(dynamic)
  for (int l = 0; l < n_layers; ++l) {
    layer_cells_[static_cast<std::size_t>(l)] = sort_cells(upper_triangle(layer_rdms_[l]));
  }

  if (fold_of_stimulus.empty()) return;
  if (static_cast<int>(fold_of_stimulus.size()) != n_stimuli_) {
    throw InputError("RSA: " + std::to_string(fold_of_stimulus.size()) + " fold labels for " +
                     std::to_string(n_stimuli_) + " stimuli");
  }
  std::vector<int> labels = fold_of_stimulus;
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  if (labels.size() > 127) throw InputError("RSA: more than 127 folds");
  fold_index_.resize(fold_of_stimulus.size());
  for (std::size_t s = 0; s < fold_of_stimulus.size(); ++s) {
    fold_index_[s] = static_cast<int>(
        std::lower_bound(labels.begin(), labels.end(), fold_of_stimulus[s]) - labels.begin());
  }
  for (int a = 0; a < n_stimuli_; ++a) {
    for (int b = a + 1; b < n_stimuli_; ++b) {
      row_fold_.push_back(static_cast<std::int8_t>(fold_index_[a]));
      column_fold_.push_back(static_cast<std::int8_t>(fold_index_[b]));
    }
  }
  const int n_folds = static_cast<int>(labels.size());
  for (int i = 0; i < n_folds; ++i) {
    for (int j = i; j < n_folds; ++j) {
      FoldPair pair;
      pair.fold_a = i;
      pair.fold_b = j;
      for (std::size_t c = 0; c < row_fold_.size(); ++c) {
        pair.n_train_cells += (row_fold_[c] != i && column_fold_[c] != j) ? 1 : 0;
      }
      fold_pairs_.emplace_back(labels[static_cast<std::size_t>(i)],
                               labels[static_cast<std::size_t>(j)]);
      pairs_.push_back(pair);
    }
  }
}

void PreparedLayerRdms::check_brain_rdm(const Matrix& brain_rdm) const {
  require_square(brain_rdm, n_stimuli_, "brain RDM");
}

CrossValidatedRsa PreparedLayerRdms::crossvalidated(const Matrix& brain_rdm) const {
  return std::move(crossvalidated(std::vector<Matrix>{brain_rdm}).front());
}

std::vector<CrossValidatedRsa> PreparedLayerRdms::crossvalidated(
    const std::vector<Matrix>& brain_rdms) const {
  if (pairs_.empty()) throw InputError("cross-validated RSA: no fold assignment given");
  for (const Matrix& m : brain_rdms) check_brain_rdm(m);
  const auto n_brains = static_cast<int>(brain_rdms.size());
  const auto n_layers = static_cast<Eigen::Index>(layer_rdms_.size());
  const auto n_pairs = static_cast<int>(pairs_.size());
  const auto n_cells = static_cast<Eigen::Index>(row_fold_.size());

  std::vector<SortedCells> brain_sorted(brain_rdms.size());
#pragma omp parallel for schedule(dynamic)
  for (int b = 0; b < n_brains; ++b) {
    brain_sorted[static_cast<std::size_t>(b)] = sort_cells(upper_triangle(brain_rdms[b]));
  }

  // scores[pair](brain, layer): Spearman over the pair's train cells. Each layer's ranks over
  // a pair's cells are computed once and scored against every brain.
  std::vector<Matrix> scores(pairs_.size(), Matrix::Constant(n_brains, n_layers, kNaN));
#pragma omp parallel
  {
    Matrix brain_ranks(n_brains, n_cells);
    Vector layer_ranks(n_cells);
    std::vector<char> brain_valid(brain_rdms.size());
#pragma omp for schedule(dynamic)
    for (int p = 0; p < n_pairs; ++p) {
      const FoldPair& pair = pairs_[static_cast<std::size_t>(p)];
      const CellFilter filter{row_fold_.data(), column_fold_.data(), pair.fold_a, pair.fold_b};
      for (int b = 0; b < n_brains; ++b) {
        brain_valid[static_cast<std::size_t>(b)] =
            centred_ranks(brain_sorted[static_cast<std::size_t>(b)], filter, pair.n_train_cells,
                          brain_ranks.row(b).data());
      }
      for (Eigen::Index l = 0; l < n_layers; ++l) {
        if (!centred_ranks(layer_cells_[static_cast<std::size_t>(l)], filter, pair.n_train_cells,
                           layer_ranks.data())) {
          continue;
        }
        for (int b = 0; b < n_brains; ++b) {
          if (!brain_valid[static_cast<std::size_t>(b)]) continue;
          scores[static_cast<std::size_t>(p)](b, l) =
              clamp_correlation(brain_ranks.row(b).dot(layer_ranks.transpose()));
        }
      }
    }
  }

  std::vector<CrossValidatedRsa> results(brain_rdms.size());
#pragma omp parallel for schedule(dynamic)
  for (int b = 0; b < n_brains; ++b) {
    CrossValidatedRsa& result = results[static_cast<std::size_t>(b)];
    result.assembled_rdm = Matrix::Zero(n_stimuli_, n_stimuli_);
    for (int p = 0; p < n_pairs; ++p) {
      const FoldPair& pair = pairs_[static_cast<std::size_t>(p)];
      const int best = numpy_argmax(scores[static_cast<std::size_t>(p)].row(b).transpose());
      result.chosen_layers.push_back(best);
      const Matrix& chosen = layer_rdms_[static_cast<std::size_t>(best)];
      for (int a = 0; a < n_stimuli_; ++a) {
        const bool row_held_out = fold_index_[a] == pair.fold_a;
        for (int c = 0; c < n_stimuli_; ++c) {
          if (row_held_out || fold_index_[c] == pair.fold_b) {
            result.assembled_rdm(a, c) = chosen(a, c);
          }
        }
      }
    }
    Vector brain_ranks(n_cells);
    Vector assembled_ranks;
    const bool valid =
        centred_ranks(brain_sorted[static_cast<std::size_t>(b)], {}, n_cells, brain_ranks.data()) &&
        standardized_ranks(upper_triangle(result.assembled_rdm), assembled_ranks);
    result.score = valid ? clamp_correlation(assembled_ranks.dot(brain_ranks)) : kNaN;
  }
  return results;
}

Vector PreparedLayerRdms::layerwise(const Matrix& brain_rdm) const {
  check_brain_rdm(brain_rdm);
  const auto n_layers = static_cast<Eigen::Index>(layer_rdms_.size());
  Vector scores = Vector::Constant(n_layers, kNaN);
  Vector brain_ranks;
  if (!standardized_ranks(upper_triangle(brain_rdm), brain_ranks)) return scores;
  Vector layer_ranks(brain_ranks.size());
  for (Eigen::Index l = 0; l < n_layers; ++l) {
    if (centred_ranks(layer_cells_[static_cast<std::size_t>(l)], {}, layer_ranks.size(),
                      layer_ranks.data())) {
      scores(l) = clamp_correlation(layer_ranks.dot(brain_ranks));
    }
  }
  return scores;
}

CrossValidatedRsa rsa_crossvalidated(const Matrix& brain_rdm, const std::vector<Matrix>& layer_rdms,
                                     const std::vector<int>& fold_of_stimulus) {
  return PreparedLayerRdms(layer_rdms, fold_of_stimulus).crossvalidated(brain_rdm);
}

std::vector<CrossValidatedRsa> rsa_crossvalidated(const std::vector<Matrix>& brain_rdms,
                                                  const std::vector<Matrix>& layer_rdms,
                                                  const std::vector<int>& fold_of_stimulus) {
  return PreparedLayerRdms(layer_rdms, fold_of_stimulus).crossvalidated(brain_rdms);
}

LayerwiseRsa rsa_layerwise(const std::vector<Matrix>& brain_rdms,
                           const std::vector<Matrix>& layer_rdms) {
  if (brain_rdms.empty()) throw InputError("layerwise RSA: no brain RDMs given");
  const PreparedLayerRdms prepared(layer_rdms, {});
  LayerwiseRsa result;
  const auto n_subjects = static_cast<Eigen::Index>(brain_rdms.size());
  result.per_subject.resize(n_subjects, prepared.n_layers());
  for (Eigen::Index s = 0; s < n_subjects; ++s) {
    result.per_subject.row(s) = prepared.layerwise(brain_rdms[static_cast<std::size_t>(s)]);
  }
  result.layer_mean.resize(prepared.n_layers());
  result.layer_std.resize(prepared.n_layers());
  // Over the subjects with a value (pandas' groupby mean and std skip NaN): a subject whose
  // brain RDM has NaN (the published layerwise RSA keeps NaN voxels) drops out.
  const auto finite_column = [&](Eigen::Index l) {
    std::vector<double> values;
    for (Eigen::Index s = 0; s < n_subjects; ++s)
      if (!std::isnan(result.per_subject(s, l))) values.push_back(result.per_subject(s, l));
    return values;
  };
  for (Eigen::Index l = 0; l < prepared.n_layers(); ++l) {
    const std::vector<double> column = finite_column(l);
    result.layer_mean(l) = mean(column);
    result.layer_std(l) = sample_std(column);  // pandas std (ddof 1), as the published plots
  }
  result.best_layer = numpy_nanargmax(result.layer_mean);
  if (result.best_layer >= 0) {
    const std::vector<double> column = finite_column(result.best_layer);
    result.best_mean = result.layer_mean(result.best_layer);
    result.best_std = result.layer_std(result.best_layer);
    result.best_sem = sem_over_subjects(column);
  } else {
    result.best_mean = result.best_std = result.best_sem = kNaN;
  }
  return result;
}

NoiseCeiling rsa_noise_ceiling(const std::vector<Matrix>& subject_rdms) {
  NoiseCeiling result;
  for (std::size_t s = 0; s < subject_rdms.size(); ++s) {
    if (!subject_rdms.empty()) {
      require_square(subject_rdms[s], subject_rdms.front().rows(),
                     "RDM of subject " + std::to_string(s));
    }
    if (!has_nan(subject_rdms[s])) result.kept_subjects.push_back(static_cast<int>(s));
  }
  const std::size_t n_kept = result.kept_subjects.size();
  if (n_kept < 2) {
    throw InputError("RSA noise ceiling: need at least 2 subjects whose RDM has no NaN, got " +
                     std::to_string(n_kept));
  }
  result.per_subject.resize(static_cast<Eigen::Index>(n_kept));
  for (std::size_t i = 0; i < n_kept; ++i) {
    const Matrix& own = subject_rdms[static_cast<std::size_t>(result.kept_subjects[i])];
    Matrix others = Matrix::Zero(own.rows(), own.cols());
    for (std::size_t k = 0; k < n_kept; ++k) {
      if (k != i) others += subject_rdms[static_cast<std::size_t>(result.kept_subjects[k])];
    }
    others /= static_cast<double>(n_kept - 1);
    result.per_subject(static_cast<Eigen::Index>(i)) = compare_rdms(others, own);
  }
  result.summary = summarize_subjects(as_span(result.per_subject));
  return result;
}

std::pair<Matrix, Matrix> split_correlation_matrices(const Matrix& responses,
                                                     const TrainTestSplit& split) {
  std::vector<std::int64_t> train = split.train;
  std::vector<std::int64_t> test = split.test;
  std::sort(train.begin(), train.end());
  std::sort(test.begin(), test.end());
  for (const auto* indices : {&train, &test}) {
    for (std::int64_t i : *indices) {
      if (i < 0 || i >= responses.rows()) {
        throw InputError("split: stimulus index " + std::to_string(i) + " outside [0, " +
                         std::to_string(responses.rows()) + ")");
      }
    }
  }
  if (train.empty()) throw InputError("split: no train stimuli");
  Matrix train_rows(static_cast<Eigen::Index>(train.size()), responses.cols());
  Matrix test_rows(static_cast<Eigen::Index>(test.size()), responses.cols());
  for (std::size_t r = 0; r < train.size(); ++r) {
    train_rows.row(static_cast<Eigen::Index>(r)) = responses.row(train[r]);
  }
  for (std::size_t r = 0; r < test.size(); ++r) {
    test_rows.row(static_cast<Eigen::Index>(r)) = responses.row(test[r]);
  }
  // StandardScaler.fit as in scikit-learn 0.24.1, the version the 2023 code pins: the column
  // sums run over the rows in order (numpy's reduction along axis 0), the variance is the
  // corrected two-pass one, and only an exactly zero variance gets a scale of 1 (later
  // versions also treat near-constant columns, within rounding of their mean, as constant).
  const auto n = static_cast<double>(train_rows.rows());
  Eigen::RowVectorXd column_sum = Eigen::RowVectorXd::Zero(train_rows.cols());
  for (Eigen::Index r = 0; r < train_rows.rows(); ++r) column_sum += train_rows.row(r);
  const Eigen::RowVectorXd column_mean = column_sum / n;
  Eigen::RowVectorXd correction = Eigen::RowVectorXd::Zero(train_rows.cols());
  Eigen::RowVectorXd sum_squares = Eigen::RowVectorXd::Zero(train_rows.cols());
  for (Eigen::Index r = 0; r < train_rows.rows(); ++r) {
    const Eigen::RowVectorXd deviation = train_rows.row(r) - column_mean;
    correction += deviation;
    sum_squares += deviation.cwiseProduct(deviation);
  }
  const Eigen::RowVectorXd variance = (sum_squares - correction.cwiseProduct(correction) / n) / n;
  Eigen::RowVectorXd scale(variance.size());
  for (Eigen::Index c = 0; c < variance.size(); ++c)
    scale(c) = variance(c) == 0.0 ? 1.0 : std::sqrt(variance(c));
  train_rows.rowwise() -= column_mean;
  test_rows.rowwise() -= column_mean;
  train_rows.array().rowwise() /= scale.array();
  test_rows.array().rowwise() /= scale.array();
  return {row_correlation(train_rows), row_correlation(test_rows)};
}

Tuckute2023Rsa tuckute2023_rsa(const std::vector<Matrix>& participant_responses,
                               const std::vector<Matrix>& layer_features,
                               const std::vector<TrainTestSplit>& splits) {
  if (participant_responses.empty() || layer_features.empty() || splits.empty()) {
    throw InputError("tuckute2023 RSA: need participants, layers and splits");
  }
  const Eigen::Index n_stimuli = participant_responses.front().rows();
  for (const Matrix& m : participant_responses) {
    if (m.rows() != n_stimuli) throw InputError("tuckute2023 RSA: participants differ in stimuli");
  }
  for (const Matrix& m : layer_features) {
    if (m.rows() != n_stimuli) {
      throw InputError("tuckute2023 RSA: a layer has " + std::to_string(m.rows()) +
                       " stimuli, the brain data " + std::to_string(n_stimuli));
    }
  }
  const auto n_layers = static_cast<Eigen::Index>(layer_features.size());
  const auto n_splits = static_cast<Eigen::Index>(splits.size());
  const std::size_t n_participants = participant_responses.size();

  Tuckute2023Rsa result;
  result.train_values.assign(n_participants, Matrix::Constant(n_splits, n_layers, kNaN));
  result.test_values.assign(n_participants, Matrix::Constant(n_splits, n_layers, kNaN));
  result.best_layer.assign(n_participants, std::vector<int>(static_cast<std::size_t>(n_splits)));
  std::vector<std::vector<double>> best_values(n_participants);

  for (Eigen::Index s = 0; s < n_splits; ++s) {
    const TrainTestSplit& split = splits[static_cast<std::size_t>(s)];
    std::vector<Vector> layer_train(layer_features.size());
    std::vector<Vector> layer_test(layer_features.size());
    std::vector<bool> train_valid(layer_features.size());
    std::vector<bool> test_valid(layer_features.size());
    for (std::size_t l = 0; l < layer_features.size(); ++l) {
      const auto [train, test] = split_correlation_matrices(layer_features[l], split);
      train_valid[l] = standardized_ranks(upper_triangle(train), layer_train[l]);
      test_valid[l] = standardized_ranks(upper_triangle(test), layer_test[l]);
    }
    for (std::size_t p = 0; p < n_participants; ++p) {
      const auto [train, test] = split_correlation_matrices(participant_responses[p], split);
      Vector brain_train;
      Vector brain_test;
      const bool brain_train_valid = standardized_ranks(upper_triangle(train), brain_train);
      const bool brain_test_valid = standardized_ranks(upper_triangle(test), brain_test);
      for (Eigen::Index l = 0; l < n_layers; ++l) {
        const auto k = static_cast<std::size_t>(l);
        if (brain_train_valid && train_valid[k]) {
          result.train_values[p](s, l) = clamp_correlation(brain_train.dot(layer_train[k]));
        }
        if (brain_test_valid && test_valid[k]) {
          result.test_values[p](s, l) = clamp_correlation(brain_test.dot(layer_test[k]));
        }
      }
      const int best = numpy_nanargmax(result.train_values[p].row(s).transpose());
      result.best_layer[p][static_cast<std::size_t>(s)] = best;
      best_values[p].push_back(best >= 0 ? result.test_values[p](s, best) : kNaN);
    }
  }
  result.participant_score.resize(static_cast<Eigen::Index>(n_participants));
  for (std::size_t p = 0; p < n_participants; ++p) {
    result.participant_score(static_cast<Eigen::Index>(p)) = median(best_values[p]);
  }
  result.summary = summarize_subjects(as_span(result.participant_score));
  return result;
}

Tuckute2023Ceiling tuckute2023_rsa_ceiling(const std::vector<Matrix>& participant_responses,
                                           const std::vector<TrainTestSplit>& splits,
                                           MatrixComparison comparison) {
  const std::size_t n_participants = participant_responses.size();
  if (n_participants < 2 || splits.empty()) {
    throw InputError("tuckute2023 RSA ceiling: need at least 2 participants and 1 split");
  }
  const auto n_splits = static_cast<Eigen::Index>(splits.size());
  Tuckute2023Ceiling result;
  result.split_values.resize(static_cast<Eigen::Index>(n_participants), n_splits);
  for (Eigen::Index s = 0; s < n_splits; ++s) {
    std::vector<Matrix> test_matrices;
    for (const Matrix& responses : participant_responses) {
      test_matrices.push_back(
          split_correlation_matrices(responses, splits[static_cast<std::size_t>(s)]).second);
    }
    for (std::size_t p = 0; p < n_participants; ++p) {
      Matrix others = Matrix::Zero(test_matrices[p].rows(), test_matrices[p].cols());
      for (std::size_t q = 0; q < n_participants; ++q) {
        if (q != p) others += test_matrices[q];
      }
      others /= static_cast<double>(n_participants - 1);
      const Vector own_cells = upper_triangle(test_matrices[p]);
      const Vector other_cells = upper_triangle(others);
      result.split_values(static_cast<Eigen::Index>(p), s) =
          comparison == MatrixComparison::kPearson ? pearson(own_cells, other_cells)
                                                   : spearman(own_cells, other_cells);
    }
  }
  result.participant_value.resize(static_cast<Eigen::Index>(n_participants));
  for (Eigen::Index p = 0; p < result.split_values.rows(); ++p) {
    const Vector row = result.split_values.row(p).transpose();
    result.participant_value(p) = median(row);
  }
  result.summary = summarize_subjects(as_span(result.participant_value));
  return result;
}

}  // namespace brainalign::align