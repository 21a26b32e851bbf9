"""Transcriptions of the 2025 code's downstream numbers (its src/metrics.py, the overall score
of src/plot_utils.py, and what its probe is fed and scored on: src/data.py, src/learning.py),
written from what that code does, for the tests of hear/metrics and of the neural probes.

d' : per class, sqrt(2) * Phi^-1(ROC AUC of that class) (scikit-learn's roc_auc_score with
     average=None), then the mean over classes.
overall : a table models x tasks (NaN where a model has no score); each task column is
     z-scored with pandas (mean and std skipping NaN, std with ddof 1) over every model that
     has it, and a model's overall score is the mean of the z-scores it has (NaN skipped).
"""
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score


def d_prime(targets, scores):
    auc = roc_auc_score(targets, scores, average=None)
    return float(np.mean(stats.norm().ppf(auc) * np.sqrt(2.0)))


def overall_scores(table):
    df = pd.DataFrame(table)
    z = pd.DataFrame({c: (df[c] - df[c].mean()) / df[c].std() for c in df.columns})
    return z.apply(lambda row: np.mean(row), axis=1).to_numpy()


# The probe's inputs and scores in the 2025 code (its src/data.py dataset, src/learning.py MLP,
# src/metrics.py), written from what that code does:
#
# inputs : the dataset hands every clip's stacked layers (after the PCA, when there is one) to
#     the loader cast to numpy float16; the MLP multiplies them by its float32 layer weights,
#     which promotes them to float32 again, so the probe computes in float32 on values rounded
#     to float16 (round to nearest, ties to even, directly from the stored precision).
# scores : at the end of each validation and test epoch the metrics receive the concatenated
#     outputs of the last linear layer as they are, the logits: no softmax, no sigmoid. Targets
#     of multiclass tasks are class indices, turned into one-hot columns for the precision and
#     ROC metrics; accuracy compares the argmax of the logits with the index.
# The HEAR kit (the hear2021 protocol) instead scores softmax (multiclass) or sigmoid
# (multilabel) probabilities of float32 embeddings; hear_kit_probabilities gives those.


def probe_inputs(values):
    return np.asarray(values, dtype=np.float64).astype(np.float16).astype(np.float32)


def _one_hot(targets, classes):
    targets = np.asarray(targets)
    if targets.ndim == 1:
        return targets[:, None] == np.arange(classes)[None, :]
    return targets


def probe_metric(name, targets, logits):
    """`targets`: class indices (multiclass) or clips x classes of 0/1; `logits` as scored."""
    from sklearn.metrics import accuracy_score, average_precision_score
    logits = np.asarray(logits)
    targets = np.asarray(targets)
    if name in ("top1_acc", "pitch_acc"):
        truth = targets if targets.ndim == 1 else np.argmax(targets, axis=-1)
        return float(accuracy_score(truth, np.argmax(logits, axis=-1)))
    one_hot = _one_hot(targets, logits.shape[-1])
    if name == "mAP":
        return float(average_precision_score(one_hot, logits, average="macro"))
    if name == "aucroc":
        return float(roc_auc_score(one_hot, logits, average="macro"))
    if name == "d_prime":
        return d_prime(one_hot, logits)
    raise ValueError(name)


def hear_kit_probabilities(logits, multilabel):
    logits = np.asarray(logits, dtype=np.float64)
    if multilabel:
        return 1.0 / (1.0 + np.exp(-logits))
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
