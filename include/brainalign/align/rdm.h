// Representational dissimilarity matrices (RDMs) and their comparison.
#pragma once

#include "brainalign/base/matrix.h"

namespace brainalign::align {

// A selection of the cells of a stimulus x stimulus matrix.
using CellMask = Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// np.corrcoef(x): Pearson correlation between the rows of x (stimuli x features); a row with
// zero variance gives NaN.
Matrix row_correlation(const Matrix& x);

// RDM of pepino2025: each column z-scored across stimuli (population std + 1e-10), then
// 1 - the Pearson correlation between rows.
Matrix rdm(const Matrix& responses);

// The strict upper triangle (k = 1), row by row, as numpy's triu_indices.
Vector upper_triangle(const Matrix& m);

// Spearman correlation of the strict upper triangles of two RDMs.
double compare_rdms(const Matrix& a, const Matrix& b);
// The same over the upper-triangle cells where mask is true.
double compare_rdms(const Matrix& a, const Matrix& b, const CellMask& mask);

}  // namespace brainalign::align