"""Transcriptions of the 2025 code's downstream numbers (its src/metrics.py and the overall
score of src/plot_utils.py), written from what that code does, for the tests of hear/metrics.

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
