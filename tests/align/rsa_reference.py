"""Plain numpy / scipy transcription of the RSA protocols, written from their specification
(docs protocols.md A2 and B2, with the published code's choices listed in docs/rsa.md).

Run as a script it reads a JSON request and writes the reference results (see oracle_io)."""
import numpy as np
from scipy import stats
from sklearn.preprocessing import StandardScaler


# ---- pepino2025 (A2) ----

def rdm(z):
    z = (z - np.mean(z, axis=0)) / (np.std(z, axis=0) + 1e-10)
    return 1 - np.corrcoef(z)


def compare(a, b, mask=None):
    rows, cols = np.triu_indices_from(a, k=1)
    if mask is not None:
        keep = mask[rows, cols]
        rows, cols = rows[keep], cols[keep]
    rho, _ = stats.spearmanr(a[rows, cols], b[rows, cols])
    return rho


def xval(brain_rdm, layer_rdms, folds):
    folds = np.asarray(folds)
    labels = np.unique(folds)
    assembled = np.zeros_like(brain_rdm)
    chosen = []
    for i in range(len(labels)):
        for j in range(i, len(labels)):
            in_i = folds == labels[i]
            in_j = folds == labels[j]
            train = (~in_i)[:, None] & (~in_j)[None, :]
            scores = [compare(brain_rdm, layer, mask=train) for layer in layer_rdms]
            best = int(np.argmax(scores))
            assembled[~train] = layer_rdms[best][~train]
            chosen.append(best)
    return compare(brain_rdm, assembled), chosen, assembled


def layerwise(brain_rdms, layer_rdms):
    per_subject = np.array([[compare(b, l) for l in layer_rdms] for b in brain_rdms])
    layer_mean = per_subject.mean(axis=0)
    best = int(np.nanargmax(layer_mean))
    column = per_subject[:, best]
    return {
        "per_subject": per_subject,
        "layer_mean": layer_mean,
        "best_layer": best,
        "best_mean": layer_mean[best],
        # The published plots take pandas' std over subjects (ddof 1) per layer.
        "layer_std": np.std(per_subject, axis=0, ddof=1),
        "best_std": np.std(column, ddof=1),
        "best_sem": np.std(column) / np.sqrt(len(column) - 1),
    }


def ceiling(subject_rdms):
    kept = [i for i, r in enumerate(subject_rdms) if not np.isnan(r).any()]
    rdms = np.array([subject_rdms[i] for i in kept])
    values = []
    for i in range(len(kept)):
        others = np.delete(rdms, i, axis=0).mean(axis=0)
        values.append(compare(others, rdms[i]))
    values = np.array(values)
    return {"kept": kept, "per_subject": values, "mean": values.mean(),
            "error": np.std(values) / np.sqrt(len(values) - 1)}


# ---- tuckute2023 (B2) ----

def standard_scaler_0241(train):
    """StandardScaler(with_std=True).fit as scikit-learn 0.24.1 (the 2023 code's pin) computes
    it: column sums over the rows in order, the corrected two-pass variance, and a scale of 1
    for an exactly zero variance only (scikit-learn >= 1.0, installed here, also gives 1 to
    near-constant columns, so it cannot serve as the reference)."""
    n = train.shape[0]
    mean = np.add.reduce(train, axis=0) / n
    deviation = train - mean
    correction = np.add.reduce(deviation, axis=0)
    variance = (np.add.reduce(deviation ** 2, axis=0) - correction ** 2 / n) / n
    scale = np.sqrt(variance)
    scale[scale == 0.0] = 1.0
    return mean, scale


def split_matrices(responses, train, test, scaler="0.24.1"):
    is_train = np.zeros(responses.shape[0], dtype=bool)
    is_test = np.zeros(responses.shape[0], dtype=bool)
    is_train[train], is_test[test] = True, True
    if scaler == "installed":
        fitted = StandardScaler(with_std=True).fit(responses[is_train])
        mean, scale = fitted.mean_, fitted.scale_
    else:
        mean, scale = standard_scaler_0241(responses[is_train])
    return (np.corrcoef((responses[is_train] - mean) / scale),
            np.corrcoef((responses[is_test] - mean) / scale))


def upper_spearman(a, b):
    rows, cols = np.triu_indices_from(a, k=1)
    return stats.spearmanr(a[rows, cols], b[rows, cols])[0]


def upper_pearson(a, b):
    rows, cols = np.triu_indices_from(a, k=1)
    return stats.pearsonr(a[rows, cols], b[rows, cols])[0]


def tuckute2023(participants, layers, splits):
    layer_mats = [[split_matrices(x, s["train"], s["test"]) for x in layers] for s in splits]
    scores, best_layers, train_values, test_values = [], [], [], []
    for responses in participants:
        best_values, best_idx, train_rows, test_rows = [], [], [], []
        for k, s in enumerate(splits):
            brain_train, brain_test = split_matrices(responses, s["train"], s["test"])
            train_r = [upper_spearman(m[0], brain_train) for m in layer_mats[k]]
            test_r = [upper_spearman(m[1], brain_test) for m in layer_mats[k]]
            best = int(np.nanargmax(train_r))
            best_idx.append(best)
            best_values.append(test_r[best])
            train_rows.append(train_r)
            test_rows.append(test_r)
        scores.append(np.median(best_values))
        best_layers.append(best_idx)
        train_values.append(train_rows)
        test_values.append(test_rows)
    scores = np.array(scores)
    return {"scores": scores, "best_layers": best_layers, "train_values": train_values,
            "test_values": test_values, "mean": scores.mean(),
            "error": np.std(scores) / np.sqrt(len(scores) - 1)}


def tuckute2023_ceiling(participants, splits):
    values = np.zeros((len(participants), len(splits)))
    for k, s in enumerate(splits):
        tests = [split_matrices(x, s["train"], s["test"])[1] for x in participants]
        for p in range(len(participants)):
            others = np.array([tests[q] for q in range(len(participants)) if q != p]).mean(0)
            values[p, k] = upper_pearson(tests[p], others)
    medians = np.median(values, axis=1)
    return {"split_values": values, "participant_value": medians, "mean": medians.mean(),
            "error": np.std(medians) / np.sqrt(len(medians) - 1)}


def main():
    from oracle_io import read_input, write_output

    request = read_input()
    out = {}
    if "features" in request:
        out["rdms"] = [rdm(np.array(x, dtype=float)) for x in request["features"]]
    if "brain_rdms" in request:
        brains = [np.array(x, dtype=float) for x in request["brain_rdms"]]
        layers = [np.array(x, dtype=float) for x in request["layer_rdms"]]
        results = [xval(b, layers, request["folds"]) for b in brains]
        out["xval"] = [{"score": r[0], "chosen": r[1], "assembled_upper":
                        r[2][np.triu_indices_from(r[2], k=1)]} for r in results]
        out["layerwise"] = layerwise(brains, layers)
        mask = np.array(request["mask"], dtype=bool)
        out["masked"] = [compare(b, layers[0], mask=mask) for b in brains]
    if "ceiling_rdms" in request:
        out["ceiling"] = ceiling([np.array(x, dtype=float) for x in request["ceiling_rdms"]])
    if "participants" in request:
        participants = [np.array(x, dtype=float) for x in request["participants"]]
        layers = [np.array(x, dtype=float) for x in request["layer_features"]]
        out["tuckute2023"] = tuckute2023(participants, layers, request["splits"])
        out["tuckute2023_ceiling"] = tuckute2023_ceiling(participants, request["splits"])
    if "scaler_cases" in request:
        out["scaler_cases"] = []
        for case in request["scaler_cases"]:
            responses = np.array(case["responses"], dtype=float)
            published = split_matrices(responses, case["train"], case["test"])
            installed = split_matrices(responses, case["train"], case["test"], "installed")
            out["scaler_cases"].append({
                "train": published[0], "test": published[1],
                "installed_differs": bool(np.abs(published[0] - installed[0]).max() > 1e-3)})
    write_output(out)


if __name__ == "__main__":
    main()
