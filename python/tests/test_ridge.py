"""brainalign.Ridge and RidgeCV against scikit-learn's Ridge and RidgeCV."""
import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge as SkRidge
from sklearn.linear_model import RidgeCV as SkRidgeCV

import brainalign

ALPHAS = np.logspace(-3, 5, 17)


def problem(n, p, targets, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n + 10, p)) + 0.5
    W = rng.standard_normal((p, targets)) / np.sqrt(p)
    Y = X @ W + rng.standard_normal((n + 10, targets)) * np.linspace(0.2, 3.0, targets) + 2.0
    return X[:n], Y[:n], X[n:]


def close(a, b, rtol=1e-7):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.max(np.abs(b)))


@pytest.mark.parametrize("n,p", [(80, 12), (30, 70)])
def test_ridge_cv_leave_one_out_matches_scikit_learn(n, p):
    X, Y, X_new = problem(n, p, 6)
    mine = brainalign.RidgeCV(alphas=ALPHAS, alpha_per_target=True).fit(X, Y)
    theirs = SkRidgeCV(alphas=ALPHAS, alpha_per_target=True).fit(X, Y)
    np.testing.assert_array_equal(mine.alpha_, theirs.alpha_)
    assert len(set(mine.alpha_)) > 1, "the targets should choose different penalties"
    close(mine.coef_, theirs.coef_)
    close(mine.intercept_, theirs.intercept_)
    close(mine.predict(X_new), theirs.predict(X_new))
    assert mine.score(X_new, theirs.predict(X_new)) == pytest.approx(1.0)
    assert mine.score(X, Y) == pytest.approx(theirs.score(X, Y), rel=1e-9)


@pytest.mark.parametrize("n,p", [(80, 12), (30, 70)])
def test_one_target_and_shared_penalty_match_scikit_learn(n, p):
    X, Y, X_new = problem(n, p, 4, seed=1)
    mine = brainalign.RidgeCV(alphas=ALPHAS).fit(X, Y[:, 0])
    theirs = SkRidgeCV(alphas=ALPHAS).fit(X, Y[:, 0])
    assert isinstance(mine.alpha_, float) and mine.alpha_ == theirs.alpha_
    assert mine.coef_.shape == theirs.coef_.shape == (p,)
    close(mine.coef_, theirs.coef_)
    assert mine.intercept_ == pytest.approx(theirs.intercept_, rel=1e-8)
    # scikit-learn's default under its name: one penalty for every target.
    shared = brainalign.RidgeCV(alphas=ALPHAS).fit(X, Y)
    theirs = SkRidgeCV(alphas=ALPHAS).fit(X, Y)
    assert isinstance(shared.alpha_, float) and shared.alpha_ == theirs.alpha_
    close(shared.predict(X_new), theirs.predict(X_new))


def test_k_fold_selection_matches_scikit_learn():
    X, Y, X_new = problem(60, 20, 3, seed=2)
    mine = brainalign.RidgeCV(alphas=ALPHAS, cv=5).fit(X, Y)
    theirs = SkRidgeCV(alphas=ALPHAS, cv=5).fit(X, Y)
    assert mine.alpha_ == theirs.alpha_
    assert mine.best_score_ == pytest.approx(theirs.best_score_, rel=1e-9)
    close(mine.predict(X_new), theirs.predict(X_new))
    with pytest.raises(ValueError):
        brainalign.RidgeCV(alphas=ALPHAS, cv=5, alpha_per_target=True).fit(X, Y)


@pytest.mark.parametrize("n,p", [(50, 10), (20, 40)])
def test_ridge_matches_scikit_learn(n, p):
    X, Y, X_new = problem(n, p, 3, seed=3)
    for alpha in (1e-2, 1.0, 50.0):
        mine = brainalign.Ridge(alpha=alpha).fit(X, Y)
        theirs = SkRidge(alpha=alpha).fit(X, Y)
        close(mine.coef_, theirs.coef_)
        close(mine.intercept_, theirs.intercept_)
        close(mine.predict(X_new), theirs.predict(X_new))
    per_target = brainalign.Ridge(alpha=[0.1, 1.0, 10.0]).fit(X, Y)
    for t, alpha in enumerate([0.1, 1.0, 10.0]):
        close(per_target.coef_[t], SkRidge(alpha=alpha).fit(X, Y[:, t]).coef_)


def test_estimator_conventions():
    sklearn_base = pytest.importorskip("sklearn.base")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sklearn_base.clone(brainalign.RidgeCV(alphas=[1.0, 2.0]))
    assert model.get_params() == {"alphas": [1.0, 2.0], "cv": None, "alpha_per_target": False}
    assert model.set_params(cv=3) is model and model.cv == 3
    X, Y, _ = problem(20, 5, 2)
    assert model.set_params(cv=None).fit(X, Y) is model


def test_bad_input_is_a_value_error():
    X, Y, _ = problem(20, 5, 2)
    with pytest.raises(ValueError, match="X has 20 samples but y has 19"):
        brainalign.Ridge().fit(X, Y[:19])
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        brainalign.RidgeCV().fit(bad, Y)
    with pytest.raises(ValueError, match="penalties must be positive"):
        brainalign.RidgeCV(alphas=[0.0, 1.0]).fit(X, Y)
    model = brainalign.Ridge().fit(X, Y)
    with pytest.raises(ValueError, match="X has 4 features, but the model was fitted with 5"):
        model.predict(X[:, :4])


@pytest.mark.parametrize("estimator", [brainalign.Ridge, brainalign.RidgeCV])
def test_scikit_learn_estimator_checks(estimator):
    """Every check of scikit-learn's own check_estimator passes, one by one."""
    estimator_checks = pytest.importorskip("sklearn.utils.estimator_checks")
    failures = []
    for instance, check in estimator_checks.check_estimator(estimator(), generate_only=True):
        name = getattr(check, "func", check).__name__
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check(instance)
        except Exception as error:  # noqa: BLE001 (every failure is collected and reported)
            failures.append(f"{name}: {type(error).__name__}: {error}")
    assert not failures, "\n".join(failures)


def test_scikit_learn_messages_for_what_it_refuses():
    X, Y, _ = problem(20, 5, 2)
    with pytest.raises(brainalign.ridge.NotFittedError, match="not fitted yet"):
        brainalign.RidgeCV().predict(X)
    with pytest.raises(ValueError, match="Complex data not supported"):
        brainalign.Ridge().fit(X + 1j, Y)
    with pytest.raises(ValueError, match="Reshape your data"):
        brainalign.Ridge().fit(X[:, 0], Y)
    with pytest.raises(ValueError, match="n_samples = 1"):
        brainalign.Ridge().fit(X[:1], Y[:1])
    with pytest.raises(ValueError, match=r"0 feature\(s\)"):
        brainalign.RidgeCV().fit(X[:, :0], Y)
    with pytest.raises(TypeError, match="sparse input is not supported"):
        brainalign.Ridge().fit(pytest.importorskip("scipy.sparse").csr_matrix(X), Y)
    # Numbers held as objects are numbers.
    close(brainalign.Ridge().fit(X.astype(object), Y).coef_, brainalign.Ridge().fit(X, Y).coef_)
