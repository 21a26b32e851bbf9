#include "brainalign/align/rsa.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "brainalign/align/rdm.h"
#include "brainalign/align/splits.h"
#include "brainalign/base/error.h"
#include "common/python_oracle.h"

namespace brainalign {
namespace {

using testing::json_double;
using testing::json_doubles;
using testing::matrix_json;

constexpr double kTolerance = 1e-10;
constexpr int kStimuli = 165;

std::vector<int> published_folds() {
  std::ifstream in(std::string(BRAINALIGN_SHARED_DIR) + "/data/natsound165/folds_5x33.csv");
  std::string line;
  std::getline(in, line);
  std::vector<int> folds;
  while (std::getline(in, line)) folds.push_back(std::stoi(line.substr(line.find(',') + 1)));
  return folds;
}

Matrix gaussian(std::mt19937& rng, Eigen::Index rows, Eigen::Index cols, double scale = 1.0) {
  std::normal_distribution<double> normal(0.0, scale);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = normal(rng);
  }
  return m;
}

// Brain responses and layer activations sharing a latent stimulus structure, layers differing
// in how much of it they carry.
struct Synthetic {
  std::vector<Matrix> subject_responses;
  std::vector<Matrix> layer_features;
};

Synthetic planted(std::uint32_t seed, int n_subjects, int n_layers, int n_voxels, int n_units) {
  std::mt19937 rng(seed);
  const Matrix latent = gaussian(rng, kStimuli, 6);
  Synthetic data;
  for (int s = 0; s < n_subjects; ++s) {
    data.subject_responses.push_back(latent * gaussian(rng, 6, n_voxels) +
                                     gaussian(rng, kStimuli, n_voxels, 2.0));
  }
  for (int l = 0; l < n_layers; ++l) {
    const double noise = 0.5 + 3.0 * std::abs(std::sin(1.7 * l));
    data.layer_features.push_back(latent * gaussian(rng, 6, n_units) +
                                  gaussian(rng, kStimuli, n_units, noise));
  }
  return data;
}

Matrix rounded(const Matrix& m, double step) { return (m / step).array().round() * step; }

bool close(double actual, double expected) {
  return testing::close_relative(actual, expected, kTolerance, 1.0);
}

class RsaReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    folds_ = published_folds();
    Synthetic data = planted(3, 5, 6, 80, 40);
    data.subject_responses[3](10, 7) = std::nan("");
    for (const Matrix& m : data.subject_responses) subject_rdms_.push_back(align::rdm(m));
    for (const Matrix& m : data.layer_features) layer_rdms_.push_back(align::rdm(m));
    // Rounded RDMs carry many ties, in the layer and in the brain.
    layer_rdms_.back() = rounded(layer_rdms_.back(), 0.01);
    for (int s : {0, 1, 2, 4}) brain_rdms_.push_back(subject_rdms_[static_cast<std::size_t>(s)]);
    brain_rdms_.back() = rounded(brain_rdms_.back(), 0.005);

    std::mt19937 rng(11);
    std::bernoulli_distribution coin(0.3);
    mask_ = align::CellMask(kStimuli, kStimuli);
    for (Eigen::Index i = 0; i < kStimuli; ++i) {
      for (Eigen::Index j = 0; j < kStimuli; ++j) mask_(i, j) = coin(rng);
    }

    Synthetic small = planted(5, 4, 4, 50, 30);
    small.layer_features[1].col(3).setConstant(2.5);
    participants_ = small.subject_responses;
    participant_layers_ = small.layer_features;
    splits_ = align::tuckute2023_splits();

    nlohmann::json request;
    for (const Matrix& m : data.subject_responses) request["features"].push_back(matrix_json(m));
    for (const Matrix& m : data.layer_features) request["features"].push_back(matrix_json(m));
    for (const Matrix& m : brain_rdms_) request["brain_rdms"].push_back(matrix_json(m));
    for (const Matrix& m : layer_rdms_) request["layer_rdms"].push_back(matrix_json(m));
    for (const Matrix& m : subject_rdms_) request["ceiling_rdms"].push_back(matrix_json(m));
    request["folds"] = folds_;
    request["mask"] = matrix_json(mask_.cast<double>());
    for (const Matrix& m : participants_) request["participants"].push_back(matrix_json(m));
    for (const Matrix& m : participant_layers_) request["layer_features"].push_back(matrix_json(m));
    for (const align::TrainTestSplit& s : splits_) {
      request["splits"].push_back({{"train", s.train}, {"test", s.test}});
    }
    features_ = data.subject_responses;
    features_.insert(features_.end(), data.layer_features.begin(), data.layer_features.end());
    expected_ = testing::run_python_oracle("align/rsa_reference.py", request);
  }

  static inline std::vector<int> folds_;
  static inline std::vector<Matrix> features_;
  static inline std::vector<Matrix> subject_rdms_;
  static inline std::vector<Matrix> brain_rdms_;
  static inline std::vector<Matrix> layer_rdms_;
  static inline align::CellMask mask_;
  static inline std::vector<Matrix> participants_;
  static inline std::vector<Matrix> participant_layers_;
  static inline std::vector<align::TrainTestSplit> splits_;
  static inline nlohmann::json expected_;
};

TEST_F(RsaReference, RdmMatchesNumpy) {
  ASSERT_EQ(expected_["rdms"].size(), features_.size());
  for (std::size_t k = 0; k < features_.size(); ++k) {
    const Matrix actual = align::rdm(features_[k]);
    const auto& e = expected_["rdms"][k];
    double worst = 0.0;
    for (Eigen::Index i = 0; i < actual.rows(); ++i) {
      for (Eigen::Index j = 0; j < actual.cols(); ++j) {
        const double ev = json_double(e[i][j]);
        if (std::isnan(ev)) {
          EXPECT_TRUE(std::isnan(actual(i, j)));
        } else {
          worst = std::max(worst, std::abs(actual(i, j) - ev));
        }
      }
    }
    EXPECT_LT(worst, 1e-12) << "matrix " << k;
  }
}

TEST_F(RsaReference, CrossValidatedMatchesReference) {
  const auto results = align::rsa_crossvalidated(brain_rdms_, layer_rdms_, folds_);
  ASSERT_EQ(results.size(), brain_rdms_.size());
  for (std::size_t s = 0; s < results.size(); ++s) {
    const auto& e = expected_["xval"][s];
    EXPECT_TRUE(close(results[s].score, json_double(e["score"])))
        << results[s].score << " vs " << e["score"];
    EXPECT_EQ(results[s].chosen_layers, e["chosen"].get<std::vector<int>>());
    const Vector assembled = align::upper_triangle(results[s].assembled_rdm);
    EXPECT_EQ(std::vector<double>(assembled.begin(), assembled.end()),
              json_doubles(e["assembled_upper"]));
    EXPECT_EQ(results[s].chosen_layers.size(), 15u);
  }
}

TEST_F(RsaReference, LayerwiseMatchesReference) {
  const align::LayerwiseRsa result = align::rsa_layerwise(brain_rdms_, layer_rdms_);
  const auto& e = expected_["layerwise"];
  for (Eigen::Index s = 0; s < result.per_subject.rows(); ++s) {
    for (Eigen::Index l = 0; l < result.per_subject.cols(); ++l) {
      EXPECT_TRUE(close(result.per_subject(s, l), json_double(e["per_subject"][s][l])));
    }
  }
  EXPECT_EQ(result.best_layer, e["best_layer"].get<int>());
  EXPECT_TRUE(close(result.best_mean, json_double(e["best_mean"])));
  // The spread over subjects is the published pandas std (ddof 1), per layer; with 4 subjects
  // the population std was sqrt(3 / 4) of it.
  for (Eigen::Index l = 0; l < result.layer_std.size(); ++l)
    EXPECT_TRUE(close(result.layer_std(l), json_double(e["layer_std"][l]))) << "layer " << l;
  EXPECT_TRUE(close(result.best_std, json_double(e["best_std"])));
  EXPECT_TRUE(close(result.best_sem, json_double(e["best_sem"])));
}

TEST_F(RsaReference, MaskedComparisonMatchesReference) {
  for (std::size_t s = 0; s < brain_rdms_.size(); ++s) {
    EXPECT_TRUE(close(align::compare_rdms(brain_rdms_[s], layer_rdms_[0], mask_),
                      json_double(expected_["masked"][s])));
  }
}

TEST_F(RsaReference, NoiseCeilingMatchesReference) {
  const align::NoiseCeiling result = align::rsa_noise_ceiling(subject_rdms_);
  const auto& e = expected_["ceiling"];
  EXPECT_EQ(result.kept_subjects, e["kept"].get<std::vector<int>>());
  EXPECT_EQ(result.kept_subjects, (std::vector<int>{0, 1, 2, 4}));
  for (Eigen::Index s = 0; s < result.per_subject.size(); ++s) {
    EXPECT_TRUE(close(result.per_subject(s), json_double(e["per_subject"][s])));
  }
  EXPECT_TRUE(close(result.summary.mean, json_double(e["mean"])));
  EXPECT_TRUE(close(result.summary.error, json_double(e["error"])));
}

TEST_F(RsaReference, Tuckute2023MatchesReference) {
  const align::Tuckute2023Rsa result =
      align::tuckute2023_rsa(participants_, participant_layers_, splits_);
  const auto& e = expected_["tuckute2023"];
  for (std::size_t p = 0; p < participants_.size(); ++p) {
    for (Eigen::Index s = 0; s < static_cast<Eigen::Index>(splits_.size()); ++s) {
      for (Eigen::Index l = 0; l < static_cast<Eigen::Index>(participant_layers_.size()); ++l) {
        EXPECT_TRUE(close(result.train_values[p](s, l), json_double(e["train_values"][p][s][l])));
        EXPECT_TRUE(close(result.test_values[p](s, l), json_double(e["test_values"][p][s][l])));
      }
    }
    EXPECT_EQ(result.best_layer[p], e["best_layers"][p].get<std::vector<int>>());
    EXPECT_TRUE(
        close(result.participant_score(static_cast<Eigen::Index>(p)), json_double(e["scores"][p])));
  }
  EXPECT_TRUE(close(result.summary.mean, json_double(e["mean"])));
  EXPECT_TRUE(close(result.summary.error, json_double(e["error"])));

  const align::Tuckute2023Ceiling ceiling = align::tuckute2023_rsa_ceiling(participants_, splits_);
  const auto& c = expected_["tuckute2023_ceiling"];
  for (Eigen::Index p = 0; p < ceiling.split_values.rows(); ++p) {
    for (Eigen::Index s = 0; s < ceiling.split_values.cols(); ++s) {
      EXPECT_TRUE(close(ceiling.split_values(p, s), json_double(c["split_values"][p][s])));
    }
    EXPECT_TRUE(close(ceiling.participant_value(p), json_double(c["participant_value"][p])));
  }
  EXPECT_TRUE(close(ceiling.summary.mean, json_double(c["mean"])));
  EXPECT_TRUE(close(ceiling.summary.error, json_double(c["error"])));
}

// The 2023 code pins scikit-learn 0.24.1, whose StandardScaler gives a scale of 1 only to an
// exactly zero variance: a column constant up to its last bits (variance about 1e-33 here) is
// divided by its tiny standard deviation and so weighs as much as any other. scikit-learn
// >= 1.0 (and brainalign before) treats such a column as constant, which changes the
// correlation matrices by up to about 2.
TEST(Tuckute2023Rsa, StandardScalerAsScikitLearn0241) {
  std::mt19937 rng(21);
  Matrix responses = gaussian(rng, kStimuli, 6);
  for (Eigen::Index i = 0; i < kStimuli; ++i) {
    double v = 0.3;
    for (Eigen::Index k = 0; k < i % 3; ++k) v = std::nextafter(v, 1.0);
    responses(i, 2) = v;    // constant up to the last bits
    responses(i, 4) = 2.5;  // exactly constant: scale 1 in every version
  }
  const align::TrainTestSplit split = align::tuckute2023_splits()[0];
  nlohmann::json request;
  request["scaler_cases"].push_back(
      {{"responses", matrix_json(responses)}, {"train", split.train}, {"test", split.test}});
  const nlohmann::json expected = testing::run_python_oracle("align/rsa_reference.py", request);
  const auto& e = expected["scaler_cases"][0];
  ASSERT_TRUE(e["installed_differs"].get<bool>()) << "the near-constant column no longer matters";
  const auto [train, test] = align::split_correlation_matrices(responses, split);
  int compared = 0;
  for (const auto& [ours, theirs] :
       {std::pair{&train, &e["train"]}, std::pair{&test, &e["test"]}}) {
    ASSERT_EQ(static_cast<std::size_t>(ours->rows()), theirs->size());
    for (Eigen::Index i = 0; i < ours->rows(); ++i)
      for (Eigen::Index j = 0; j < ours->cols(); ++j, ++compared)
        ASSERT_NEAR(
            (*ours)(i, j),
            json_double((*theirs)[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)]), 1e-9)
            << "row " << i << ", column " << j;
  }
  EXPECT_EQ(compared, 83 * 83 + 82 * 82);
}

TEST(Rdm, UpperTriangleIsRowMajor) {
  Matrix m(3, 3);
  m << 0, 1, 2, 3, 0, 4, 5, 6, 0;
  const Vector cells = align::upper_triangle(m);
  EXPECT_EQ(std::vector<double>(cells.begin(), cells.end()), (std::vector<double>{1, 2, 4}));
}

TEST(Rsa, CrossValidatedRecoversThePlantedLayer) {
  std::mt19937 rng(21);
  const Matrix latent = gaussian(rng, kStimuli, 6);
  const Matrix brain =
      align::rdm(latent * gaussian(rng, 6, 100) + gaussian(rng, kStimuli, 100, 0.5));
  std::vector<Matrix> layers;
  for (int l = 0; l < 4; ++l) layers.push_back(align::rdm(gaussian(rng, kStimuli, 30)));
  layers.push_back(align::rdm(latent * gaussian(rng, 6, 30)));
  const align::CrossValidatedRsa result =
      align::rsa_crossvalidated(brain, layers, published_folds());
  for (int chosen : result.chosen_layers) EXPECT_EQ(chosen, 4);
  EXPECT_NEAR(result.score, align::compare_rdms(brain, layers[4]), 1e-12);
}

TEST(Rsa, RejectsMismatchedInputs) {
  std::vector<Matrix> layers = {Matrix::Zero(4, 4)};
  EXPECT_THROW(align::rsa_crossvalidated(Matrix::Zero(5, 5), layers, {0, 1, 0, 1}), InputError);
  EXPECT_THROW(align::PreparedLayerRdms(layers, {0, 1}), InputError);
  EXPECT_THROW(align::rsa_noise_ceiling({Matrix::Zero(4, 4)}), InputError);
}

// The planted latent structure ranks the layers: the least noisy layer wins most fold pairs.
TEST(Rsa, EightSubjectsThirteenLayersPickThePlantedLayer) {
  std::mt19937 rng(8);
  const Matrix latent = gaussian(rng, kStimuli, 6);
  std::vector<Matrix> brains;
  std::vector<Matrix> layers;
  for (int s = 0; s < 8; ++s) {
    brains.push_back(
        align::rdm(latent * gaussian(rng, 6, 300) + gaussian(rng, kStimuli, 300, 2.0)));
  }
  for (int l = 0; l < 13; ++l) {
    layers.push_back(
        align::rdm(latent * gaussian(rng, 6, 200) + gaussian(rng, kStimuli, 200, 1.0 + l)));
  }
  const auto results = align::rsa_crossvalidated(brains, layers, published_folds());
  ASSERT_EQ(results.size(), 8u);
  for (const auto& r : results) {
    const auto zeros = std::count(r.chosen_layers.begin(), r.chosen_layers.end(), 0);
    EXPECT_GE(zeros, 8) << "the least noisy layer should win most of the 15 fold pairs";
  }
}

}  // namespace
}  // namespace brainalign
