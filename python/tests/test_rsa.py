"""RDMs and RSA from Python against the numpy / scipy transcription in tests/align."""
import threading

import numpy as np
import pytest

import brainalign
import rsa_reference as ref


@pytest.fixture(scope="module")
def rdms():
    rng = np.random.default_rng(4)
    latent = rng.standard_normal((30, 5))
    layers = [latent @ rng.standard_normal((5, 12)) * w + rng.standard_normal((30, 12))
              for w in (0.1, 1.0, 3.0)]
    subjects = [latent @ rng.standard_normal((5, 20)) + rng.standard_normal((30, 20))
                for _ in range(4)]
    return ([brainalign.rdm(x) for x in layers], [brainalign.rdm(x) for x in subjects],
            layers, np.arange(30) % 5)


def test_rdm_and_comparison_match_reference(rdms):
    layer_rdms, subject_rdms, layers, _ = rdms
    np.testing.assert_allclose(layer_rdms[0], ref.rdm(layers[0]), atol=1e-12)
    assert brainalign.compare_rdms(layer_rdms[0], subject_rdms[0]) == pytest.approx(
        ref.compare(layer_rdms[0], subject_rdms[0]), abs=1e-12)
    mask = np.random.default_rng(0).random((30, 30)) < 0.5
    assert brainalign.compare_rdms(layer_rdms[1], subject_rdms[1], mask=mask) == pytest.approx(
        ref.compare(layer_rdms[1], subject_rdms[1], mask), abs=1e-12)


def test_rsa_protocols_match_reference(rdms):
    layer_rdms, subject_rdms, _, folds = rdms
    one = brainalign.rsa_crossvalidated(subject_rdms[0], layer_rdms, folds)
    score, chosen, assembled = ref.xval(subject_rdms[0], layer_rdms, folds)
    assert one["score"] == pytest.approx(score, abs=1e-12)
    assert one["chosen_layers"] == chosen
    np.testing.assert_allclose(one["assembled_rdm"][np.triu_indices(30, 1)],
                               assembled[np.triu_indices(30, 1)])
    many = brainalign.rsa_crossvalidated(subject_rdms, layer_rdms, folds)
    assert [r["score"] for r in many] == pytest.approx(
        [ref.xval(s, layer_rdms, folds)[0] for s in subject_rdms], abs=1e-12)

    mine = brainalign.rsa_layerwise(subject_rdms, layer_rdms)
    theirs = ref.layerwise(subject_rdms, layer_rdms)
    np.testing.assert_allclose(mine["per_subject"], theirs["per_subject"], atol=1e-12)
    assert mine["best_layer"] == theirs["best_layer"]
    assert mine["best_sem"] == pytest.approx(theirs["best_sem"], abs=1e-12)

    mine = brainalign.rsa_noise_ceiling(subject_rdms)
    theirs = ref.ceiling(subject_rdms)
    assert mine["kept_subjects"] == theirs["kept"]
    np.testing.assert_allclose(mine["per_subject"], theirs["per_subject"], atol=1e-12)
    assert mine["mean"] == pytest.approx(theirs["mean"], abs=1e-12)


def test_rsa_input_errors(rdms):
    layer_rdms, subject_rdms, _, folds = rdms
    with pytest.raises(brainalign.InputError, match="an RDM is square"):
        brainalign.compare_rdms(np.zeros((3, 4)), np.zeros((3, 4)))
    with pytest.raises(brainalign.InputError, match="responses: non-finite value at row 1"):
        brainalign.rdm(np.array([[1.0, 2.0], [np.inf, 1.0], [0.0, 3.0]]))
    with pytest.raises(ValueError):
        brainalign.rsa_crossvalidated(subject_rdms[0], layer_rdms, folds[:10])
    with pytest.raises(brainalign.InputError, match="expected a list of RDMs"):
        brainalign.rsa_layerwise(subject_rdms[0], layer_rdms)


def test_computation_runs_without_the_gil():
    big = np.random.default_rng(0).standard_normal((2500, 400))
    worker = threading.Thread(target=brainalign.rdm, args=(big,))
    ticks = 0
    worker.start()
    while worker.is_alive():
        ticks += 1
        threading.Event().wait(0.001)
    worker.join()
    assert ticks > 5, "the main thread should run while the RDM is computed"
