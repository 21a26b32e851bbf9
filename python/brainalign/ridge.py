"""Ridge regression estimators with scikit-learn's conventions over brainalign's solver.

One decomposition of the design serves every target and penalty. Inputs are centred and the
intercept is not penalised, as scikit-learn's Ridge / RidgeCV with fit_intercept=True.
"""
import numpy as np

from . import _brainalign

DEFAULT_ALPHAS = (0.1, 1.0, 10.0)

try:
    from sklearn.exceptions import NotFittedError
except ImportError:  # scikit-learn is optional: the same class shape under the same name
    class NotFittedError(ValueError, AttributeError):
        """Raised by predict() and score() before fit()."""

_RESHAPE_HINT = ("Reshape your data either using array.reshape(-1, 1) if your data has a single "
                 "feature or array.reshape(1, -1) if it contains a single sample.")


def _float_array(A, name):
    """A as a float64 array, with scikit-learn's messages for what cannot be one."""
    if hasattr(A, "tocsr") or hasattr(A, "toarray"):
        raise TypeError(f"{name}: sparse input is not supported; pass a dense array "
                        f"({name}.toarray())")
    A = np.asarray(A)
    if np.iscomplexobj(A):
        raise ValueError(f"Complex data not supported: {name} is {A.dtype}")
    if A.dtype == object:
        A = A.astype(np.float64)  # numbers held as objects; anything else: float()'s TypeError
    else:
        A = np.asarray(A, dtype=np.float64)
    if not np.isfinite(A).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return A


def _features(X, n_features=None):
    """X as (samples, features) float64, checked as scikit-learn's check_array does."""
    X = _float_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array for X, got a {X.ndim}-D array of shape {X.shape}. "
                         + (_RESHAPE_HINT if X.ndim == 1 else ""))
    if X.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 "
                         "is required.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but the model was fitted with "
                         f"{n_features} features")
    return X


def _training_data(X, Y):
    """X and Y of a fit: at least two samples (the intercept takes one), as many in Y."""
    X = _features(X)
    Y = _float_array(Y, "y")
    if Y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D (one target) or 2-D (samples, targets); got shape "
                         f"{Y.shape}")
    if X.shape[0] < 2:
        raise ValueError(f"Found array with {X.shape[0]} sample(s) (shape={X.shape}) while a "
                         f"minimum of 2 is required: ridge with an intercept cannot fit "
                         f"n_samples = {X.shape[0]}.")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {Y.shape[0]}")
    return X, Y


def _targets_2d(Y):
    Y = np.asarray(Y, dtype=np.float64)
    return (Y[:, None], True) if Y.ndim == 1 else (Y, False)


def _r2_score(Y, predictions):
    """sklearn.metrics.r2_score(Y, predictions), averaged uniformly over targets."""
    Y, _ = _targets_2d(Y)
    P, _ = _targets_2d(predictions)
    residual = ((Y - P) ** 2).sum(axis=0)
    total = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.ones(Y.shape[1])
    informative = total != 0
    scores[informative] = 1.0 - residual[informative] / total[informative]
    scores[(total == 0) & (residual != 0)] = 0.0
    return float(scores.mean())


def _kfold(n, k):
    """sklearn.model_selection.KFold(k) without shuffling: contiguous folds, larger first."""
    if not 2 <= k <= n:
        raise _brainalign.InputError(f"cv: {k} folds for {n} samples")
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    rows, start = np.arange(n), 0
    for size in sizes:
        test = rows[start:start + size]
        yield np.concatenate([rows[:start], rows[start + size:]]), test
        start += size


class _RidgeBase:
    """get_params / set_params, predict and score shared by Ridge and RidgeCV."""

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names}

    def set_params(self, **params):
        for name, value in params.items():
            if name not in self._param_names:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}")
            setattr(self, name, value)
        return self

    def _store(self, X, coef, intercept, single_target):
        self.n_features_in_ = np.shape(X)[1]
        self.coef_ = coef[:, 0] if single_target else np.ascontiguousarray(coef.T)
        self.intercept_ = float(intercept[0]) if single_target else intercept

    def predict(self, X):
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; call "
                                 "fit() first.")
        X = _features(X, self.n_features_in_)
        return X @ self.coef_.T + self.intercept_

    def score(self, X, Y):
        """R^2 of the predictions, averaged over targets (scikit-learn's RegressorMixin)."""
        return _r2_score(Y, self.predict(X))

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


class Ridge(_RidgeBase):
    """Ridge regression at one penalty (or one per target), for many targets at once.

    Attributes after fit: coef_ ((targets, features), or (features,) for a 1-D y),
    intercept_, n_features_in_.
    """

    _param_names = ("alpha",)

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, Y):
        X, Y = _training_data(X, Y)
        Y2, single = _targets_2d(Y)
        alphas = np.broadcast_to(np.asarray(self.alpha, dtype=np.float64), (Y2.shape[1],))
        coef, intercept = _brainalign._ridge_fit(X, Y2, np.ascontiguousarray(alphas))
        self._store(X, coef, intercept, single)
        return self


class RidgeCV(_RidgeBase):
    """Ridge regression with the penalty chosen from `alphas`, for many targets at once.

    cv=None: efficient leave-one-out, all targets sharing the penalty with the least mean error
    (alpha_per_target=False, scikit-learn's default) or each target choosing its own
    (alpha_per_target=True, what the alignment protocols do), as scikit-learn's RidgeCV. cv=int, an iterable of (train, test) index pairs, or a splitter with
    .split(X, Y): one penalty for all targets, the best mean R^2 over the folds, as
    scikit-learn's RidgeCV with cv (alpha_per_target=True is then an error).

    Attributes after fit: alpha_ (an array per target, a float for one target or one shared
    penalty), coef_, intercept_, best_score_, and cv_mse_ (alphas x targets, leave-one-out).
    """

    _param_names = ("alphas", "cv", "alpha_per_target")

    def __init__(self, alphas=DEFAULT_ALPHAS, cv=None, alpha_per_target=False):
        self.alphas = alphas
        self.cv = cv
        self.alpha_per_target = alpha_per_target

    def fit(self, X, Y):
        X, Y = _training_data(X, Y)
        Y2, single = _targets_2d(Y)
        alphas = np.ascontiguousarray(np.atleast_1d(np.asarray(self.alphas, dtype=np.float64)))
        if self.cv is None:
            best, mse = _brainalign._ridge_loo(X, Y2, alphas)
            self.cv_mse_ = mse
            if self.alpha_per_target and Y2.shape[1] > 1:
                chosen = alphas[np.asarray(best)]
                self.alpha_ = chosen
                self.best_score_ = -mse[np.asarray(best), np.arange(Y2.shape[1])]
            else:
                index = int(np.argmin(mse.mean(axis=1)))
                chosen = np.full(Y2.shape[1], alphas[index])
                self.alpha_ = float(alphas[index])
                self.best_score_ = -float(mse[index].mean())
        else:
            if self.alpha_per_target:
                raise ValueError("cv != None and alpha_per_target=True are incompatible")
            mean_r2 = self._fold_scores(X, Y2, alphas)
            index = int(np.argmax(mean_r2))
            chosen = np.full(Y2.shape[1], alphas[index])
            self.alpha_ = float(alphas[index])
            self.best_score_ = float(mean_r2[index])
        coef, intercept = _brainalign._ridge_fit(X, Y2, np.ascontiguousarray(chosen))
        self._store(X, coef, intercept, single)
        return self

    def _fold_scores(self, X, Y, alphas):
        n = np.shape(X)[0]
        if isinstance(self.cv, (int, np.integer)):
            splits = _kfold(n, int(self.cv))
        elif hasattr(self.cv, "split"):
            splits = self.cv.split(X, Y)
        else:
            splits = self.cv
        scores = []
        for train, test in splits:
            train, test = np.asarray(train), np.asarray(test)
            if train.dtype == bool:
                train, test = np.flatnonzero(train), np.flatnonzero(test)
            predictions = _brainalign._ridge_path_predictions(X, Y, train, test, alphas)
            scores.append([_r2_score(Y[test], p) for p in predictions])
        if not scores:
            raise _brainalign.InputError("cv: no split given")
        return np.mean(scores, axis=0)
