// Scores of a downstream probe's predictions, as the HEAR evaluation kit and the 2025 study
// compute them with scikit-learn, and the overall score of several models across tasks.
//
// `scores` is clips x classes (logits or probabilities: only their order within a class, or
// the argmax within a clip, matters); `targets` is clips x classes of 0/1 (one-hot for
// multiclass tasks). Ties are treated as scikit-learn does: argmax takes the first largest
// score; precision-recall and ROC curves step over distinct score values only.
#pragma once

#include <string>

#include "brainalign/base/matrix.h"

namespace brainalign::hear {

// The fraction of clips whose largest score is at a target class (first maximum on ties).
double top1_accuracy(const Matrix& scores, const Matrix& targets);
// The same as top1_accuracy: HEAR's "pitch_acc" for NSynth pitch (one class per pitch).
double pitch_accuracy(const Matrix& scores, const Matrix& targets);

// Average precision of one class, as sklearn.metrics.average_precision_score: the sum over
// distinct thresholds of (R_k - R_{k-1}) P_k. A class with no positive clip scores 0, as in
// scikit-learn (which warns that recall is ill-defined).
double average_precision(const Vector& scores, const Vector& targets);
// Macro mAP: the mean of average_precision over every class, absent classes (0) included, as
// average_precision_score(targets, scores, average="macro").
double mean_average_precision(const Matrix& scores, const Matrix& targets);

// Area under the ROC curve of one class (ties count one half). InputError when the targets
// hold a single value, as scikit-learn raises ValueError ("Only one class present in y_true").
double roc_auc(const Vector& scores, const Vector& targets);
// The mean of roc_auc over classes, as roc_auc_score(targets, scores, average="macro"):
// InputError naming the class when one has no positive or no negative clip.
double roc_auc_macro(const Matrix& scores, const Matrix& targets);
// d' = the mean over classes of sqrt(2) * Phi^-1(that class's roc_auc), as the 2025 code
// (the per-class d' are averaged, not the AUCs). InputError naming a class with no positive or
// no negative clip.
double d_prime(const Matrix& scores, const Matrix& targets);

// The inverse of the standard normal cumulative distribution (scipy.stats.norm.ppf): -inf at
// 0, +inf at 1, NaN outside [0, 1].
double normal_quantile(double p);

// A metric by its HEAR name: "top1_acc", "pitch_acc", "mAP", "d_prime", "aucroc". InputError
// for another name (listing the known ones).
double score_metric(const std::string& name, const Matrix& scores, const Matrix& targets);
bool is_known_metric(const std::string& name);

// The overall score of each model (rows) across tasks (columns; NaN where a model has no
// score for a task), as the 2025 code computes it with pandas: each task's scores are z-scored
// over every model that has that task (mean and sample standard deviation, ddof 1), and a
// model's overall score is the mean of the z-scores it has (NaN if it has none). A task that
// fewer than two models have, or on which they all score the same (zero spread, also within
// rounding), gives no z-scores and is skipped.
Vector overall_scores(const Matrix& task_scores);

}  // namespace brainalign::hear
