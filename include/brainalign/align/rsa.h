// Representational similarity analysis under the two published protocols: pepino2025 (RDMs,
// cross-validated layer selection over fold pairs, layerwise, noise ceiling) and tuckute2023
// (train/test correlation matrices over random splits, leave-one-participant-out ceiling).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "brainalign/align/splits.h"
#include "brainalign/base/matrix.h"

namespace brainalign::align {

// A dataset value: mean over subjects and its error bar, population std / sqrt(n - 1).
struct SubjectSummary {
  double mean = 0.0;
  double error = 0.0;
};
SubjectSummary summarize_subjects(std::span<const double> values);

// ---- pepino2025 ----

struct CrossValidatedRsa {
  // Spearman(brain RDM, assembled RDM) over the full upper triangle.
  double score = 0.0;
  // The layer chosen for each fold pair (i, j), i <= j, in the order i = 0.., j = i..
  std::vector<int> chosen_layers;
  // The model RDM assembled from the chosen layers' held-out cells.
  Matrix assembled_rdm;
};

namespace detail {
// The upper-triangle cells of an RDM in ascending order of value (NaN cells last), with the
// sorted values alongside.
struct SortedCells {
  std::vector<std::int32_t> order;
  std::vector<double> values;
  std::size_t n_finite = 0;
};
}  // namespace detail

// Layer RDMs with their upper-triangle cells sorted once, so that many brain RDMs (subjects,
// ROIs) are scored against them cheaply: a subset of cells is re-ranked by one pass over the
// sorted cells instead of a sort.
class PreparedLayerRdms {
 public:
  // fold_of_stimulus: one fold label per stimulus (row of the RDMs); empty for layerwise only.
  PreparedLayerRdms(std::vector<Matrix> layer_rdms, std::vector<int> fold_of_stimulus = {});

  // Cross-validated layer selection ("rdm_xval").
  CrossValidatedRsa crossvalidated(const Matrix& brain_rdm) const;
  std::vector<CrossValidatedRsa> crossvalidated(const std::vector<Matrix>& brain_rdms) const;
  // Spearman(brain RDM, layer RDM) for every layer ("rdm_layerwise").
  Vector layerwise(const Matrix& brain_rdm) const;

  int n_layers() const { return static_cast<int>(layer_rdms_.size()); }
  int n_stimuli() const { return n_stimuli_; }
  // The fold pairs (fold labels), in the order of CrossValidatedRsa::chosen_layers.
  const std::vector<std::pair<int, int>>& fold_pairs() const { return fold_pairs_; }

 private:
  // The train cells of one fold pair.
  struct FoldPair {
    int fold_a = 0;
    int fold_b = 0;
    Eigen::Index n_train_cells = 0;
  };

  void check_brain_rdm(const Matrix& brain_rdm) const;

  int n_stimuli_ = 0;
  std::vector<Matrix> layer_rdms_;
  std::vector<detail::SortedCells> layer_cells_;
  std::vector<int> fold_index_;
  std::vector<std::pair<int, int>> fold_pairs_;
  std::vector<FoldPair> pairs_;
  // Fold index of the row and of the column of each upper-triangle cell.
  std::vector<std::int8_t> row_fold_;
  std::vector<std::int8_t> column_fold_;
};

CrossValidatedRsa rsa_crossvalidated(const Matrix& brain_rdm, const std::vector<Matrix>& layer_rdms,
                                     const std::vector<int>& fold_of_stimulus);
// One result per subject, the layer rankings shared.
std::vector<CrossValidatedRsa> rsa_crossvalidated(const std::vector<Matrix>& brain_rdms,
                                                  const std::vector<Matrix>& layer_rdms,
                                                  const std::vector<int>& fold_of_stimulus);

struct LayerwiseRsa {
  Matrix per_subject;   // subjects x layers, Spearman(brain RDM, layer RDM)
  Vector layer_mean;    // mean over subjects
  Vector layer_std;     // sample std over subjects (ddof 1): the published error bar
  int best_layer = -1;  // first maximum of layer_mean, NaN means skipped
  double best_mean = 0.0;
  double best_std = 0.0;  // layer_std at the best layer
  // Standard error of best_mean: best_std / sqrt(n_subjects), the same number as the
  // published population std / sqrt(n_subjects - 1).
  double best_sem = 0.0;
};
LayerwiseRsa rsa_layerwise(const std::vector<Matrix>& brain_rdms,
                           const std::vector<Matrix>& layer_rdms);

struct NoiseCeiling {
  std::vector<int> kept_subjects;  // subjects whose RDM has no NaN, in input order
  Vector per_subject;              // Spearman(own RDM, mean RDM of the other kept subjects)
  SubjectSummary summary;
};
NoiseCeiling rsa_noise_ceiling(const std::vector<Matrix>& subject_rdms);

// ---- tuckute2023 ----

enum class MatrixComparison { kSpearman, kPearson };

// np.corrcoef of the rows of train and test after scikit-learn's StandardScaler fitted on the
// train rows (population std, constant columns left unscaled). Rows in ascending index order.
std::pair<Matrix, Matrix> split_correlation_matrices(const Matrix& responses,
                                                     const TrainTestSplit& split);

struct Tuckute2023Rsa {
  std::vector<Matrix> train_values;          // per participant: splits x layers
  std::vector<Matrix> test_values;           // per participant: splits x layers
  std::vector<std::vector<int>> best_layer;  // participant x split, -1 if every value is NaN
  Vector participant_score;                  // median over splits of the best layer's test value
  SubjectSummary summary;
};
// participant_responses: stimuli x voxels (repetition means); layer_features: stimuli x units.
Tuckute2023Rsa tuckute2023_rsa(const std::vector<Matrix>& participant_responses,
                               const std::vector<Matrix>& layer_features,
                               const std::vector<TrainTestSplit>& splits);

struct Tuckute2023Ceiling {
  Matrix split_values;       // participants x splits
  Vector participant_value;  // median over splits
  SubjectSummary summary;
};
// Per split, each participant's test matrix against the mean test matrix of the others.
Tuckute2023Ceiling tuckute2023_rsa_ceiling(
    const std::vector<Matrix>& participant_responses, const std::vector<TrainTestSplit>& splits,
    MatrixComparison comparison = MatrixComparison::kPearson);

}  // namespace brainalign::align