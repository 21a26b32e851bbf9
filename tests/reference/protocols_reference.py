"""Plain per-voxel transcriptions of the published alignment protocols.

Written from the protocol specification with numpy and scikit-learn, one voxel and one fit
at a time, as the published code does. Slow by design: it is the independent reference the
native engine is checked against.
"""
import numpy as np
from sklearn.linear_model import Ridge, RidgeCV

PEPINO2025_ALPHAS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50]
TUCKUTE2023_ALPHAS = [10.0 ** x for x in range(49, -51, -1)]


def clipped_r2(y, yhat):
    if np.std(yhat) == 0:
        return 0.0
    r = np.corrcoef(y, yhat)[0, 1]
    r = max(r, 0.0)
    return r * r


def ridge_predict(X_train, y_train, X_test, alpha):
    """Ridge on demeaned data: X centred with the train column means, y with the train mean."""
    mu = X_train.mean(axis=0)
    y_mean = y_train.mean()
    model = Ridge(alpha=alpha).fit(X_train - mu, y_train - y_mean)
    return model.predict(X_test - mu) + y_mean


def pepino2025_voxel(layers, y, folds, alphas=PEPINO2025_ALPHAS):
    """Nested CV for one target. Returns (score, [(alpha, layer, inner_score) per outer fold])."""
    K = int(folds.max()) + 1
    S = len(y)
    prediction = np.zeros(S)
    chosen = []
    for f in range(K):
        tr = np.where(folds != f)[0]
        te = np.where(folds == f)[0]

        def inner_score(alpha, l):
            p = np.zeros(len(tr))
            for g in range(K):
                if g == f:
                    continue
                held = folds[tr] == g
                X = layers[l][tr]
                p[held] = ridge_predict(X[~held], y[tr][~held], X[held], alpha)
            return clipped_r2(y[tr], p)

        candidates = [(a, l) for a in alphas for l in range(len(layers))]
        scores = [inner_score(a, l) for a, l in candidates]
        lo, hi = min(alphas), max(alphas)
        while True:
            b = int(np.argmax(scores))
            a, l = candidates[b]
            if a == lo and lo / 2 >= 1e-49:
                lo /= 2
                new = lo
            elif a == hi and hi * 2 <= 1e50:
                hi *= 2
                new = hi
            else:
                break
            candidates.append((new, l))
            scores.append(inner_score(new, l))
        prediction[te] = ridge_predict(layers[l][tr], y[tr], layers[l][te], a)
        chosen.append((a, l, scores[b]))
    return clipped_r2(y, prediction), chosen


def tuckute2023_fit(X, t, train, test, alphas=TUCKUTE2023_ALPHAS):
    """RidgeCV (efficient LOO) on train-centred data; returns (r2, alpha, test prediction)."""
    mu = X[train].mean(axis=0)
    t_mean = t[train].mean()
    cv = RidgeCV(alphas=alphas).fit(X[train] - mu, t[train] - t_mean)
    pred = cv.predict(X[test] - mu)
    if np.std(pred) == 0:
        r = 0.0
    else:
        r = max(np.corrcoef(pred, t[test] - t_mean)[0, 1], 0.0)
    return r * r, cv.alpha_, pred


def in_direction_regime(X, train, alpha, pred):
    """Whether a fit's penalty only scales its prediction (alpha >= 1e12 times the largest
    eigenvalue of the centred training design) while the prediction still varies well above
    the rounding of its intercept (std > 1e-6 |mean|): there r is the correlation of the
    prediction's limiting direction, whichever huge penalty RidgeCV's rounding picked."""
    centred = X[train] - X[train].mean(axis=0)
    largest = np.linalg.svd(centred, compute_uv=False)[0] ** 2
    return float(alpha >= 1e12 * largest and np.std(pred) > 1e-6 * abs(np.mean(pred)))


def tuckute2023_voxel_split(X, reps, train, test):
    """reps: stimuli x 3. Returns (r2_mean, corrected_r2, alpha, rv, rv_hat, rep alphas...,
    then in_direction_regime of the mean model and of each repetition's model)."""
    r2_mean, alpha, pred_mean = tuckute2023_fit(X, reps.mean(axis=1), train, test)
    fits = [tuckute2023_fit(X, reps[:, k], train, test) for k in range(3)]
    preds = [f[2] for f in fits]
    rvs, rv_hats = [], []
    for a, b in [(0, 1), (1, 2), (0, 2)]:
        rvs.append(np.corrcoef(reps[train, a], reps[train, b])[1, 0])
        rv_hats.append(np.corrcoef(preds[a], preds[b])[1, 0])
    rv_med = np.nanmedian(rvs)
    rv = np.nanmax([3 * rv_med / (1 + 2 * rv_med), 0.182])
    rv_hat_med = np.nanmedian(rv_hats)
    rv_hat = np.nanmax([3 * rv_hat_med / (1 + 2 * rv_hat_med), 0.183])
    regimes = tuple(in_direction_regime(X, train, a, p)
                    for a, p in [(alpha, pred_mean)] + [(f[1], f[2]) for f in fits])
    return (r2_mean, r2_mean / (rv * rv_hat), alpha, rv, rv_hat) + tuple(f[1] for f in fits) + regimes


def tuckute2023_layer_selection(corrected, iterations=10):
    """corrected: layers x splits x voxels. Returns (values iterations x voxels, best layers).

    As the published analysis: masks drawn after np.random.seed(iteration), layer by layer and
    voxel by voxel; then np.random.seed(0) and, voxel by voxel, np.random.choice among the
    layers tied at the best selection value (one layer: nothing drawn)."""
    L, K, V = corrected.shape
    values = np.zeros((iterations, V))
    best = np.zeros((iterations, V), dtype=int)
    for it in range(iterations):
        np.random.seed(it)
        selection = np.zeros((L, V))
        readout = np.zeros((L, V))
        for l in range(L):
            for v in range(V):
                m = np.array([0, 1] * (K // 2))
                np.random.shuffle(m)
                selection[l, v] = min(np.median(corrected[l, m == 1, v]), 1)
                readout[l, v] = min(np.median(corrected[l, m == 0, v]), 1)
        np.random.seed(0)
        for v in range(V):
            tied = np.flatnonzero(selection[:, v] == np.nanmax(selection[:, v]))
            best[it, v] = np.random.choice(tied)
        values[it] = readout[best[it], np.arange(V)]
    return values, best
