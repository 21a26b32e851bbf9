// The numeric containers used across brainalign: dense, row-major where a row is a stimulus.
#pragma once

#include <Eigen/Dense>

namespace brainalign {

// Stimuli x features (or stimuli x targets): one row per stimulus.
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
// Column-major work matrix for linear algebra kernels.
using ColMatrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;
using IndexVector = Eigen::VectorXi;

}  // namespace brainalign
