"""Datasets and feature sets between Python and the library, and the errors bad input raises."""
import numpy as np
import pytest

import brainalign
from conftest import needs_data


@needs_data()
def test_load_components():
    d = brainalign.load_dataset("nh2015comp")
    assert d.components and d.n_stimuli == 165 and d.n_voxels == 6
    assert d.responses.shape == (d.n_repetitions, 165, 6)
    np.testing.assert_array_equal(d.mean_response(), d.responses.mean(axis=0))


def test_dataset_from_arrays_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    responses = rng.standard_normal((3, 10, 4))
    responses[1, 2, 3] = np.nan
    d = brainalign.Dataset(responses, [f"s{i}" for i in range(10)], ["a", "b", "c", "d"],
                           subjects=["1", "1", "2", "2"], rois=["Primary"] * 2 + ["Lateral"] * 2)
    assert d.subjects == ["1", "2"] and d.voxel_rois[2] == "Lateral"
    np.testing.assert_array_equal(d.responses, responses)
    assert np.isnan(d.mean_response()[2, 3])
    assert d.select_roi("Lateral").voxel_ids == ["c", "d"]
    d.save(tmp_path / "ds")
    back = brainalign.load_dataset(tmp_path / "ds")
    np.testing.assert_array_equal(back.responses, responses)
    assert back.voxel_ids == d.voxel_ids and back.stimuli == d.stimuli
    # A list of repetitions and a single (stimuli, voxels) array are accepted too.
    assert brainalign.Dataset(list(responses), d.stimuli, d.voxel_ids).n_repetitions == 3
    assert brainalign.Dataset(responses[0], d.stimuli, d.voxel_ids).n_repetitions == 1


def test_synthesize_and_features_round_trip(tmp_path):
    dataset, layers, truth = brainalign.synthesize(stimuli=20, voxels=12, subjects=2, layers=2,
                                                   features=5)
    assert list(layers) == ["layer0", "layer1"]
    assert all(v.shape == (20, 5) for v in layers.values())
    assert truth["driving_layer"].shape == (12,) and truth["folds"].shape == (20,)
    brainalign.save_features(tmp_path / "f.npz", layers, dataset.stimuli)
    back, stimuli = brainalign.load_features(tmp_path / "f.npz")
    assert list(back) == list(layers) and stimuli == dataset.stimuli
    for name in layers:
        np.testing.assert_array_equal(back[name], layers[name])
    with pytest.raises(brainalign.InputError, match="written as .npz"):
        brainalign.save_features(tmp_path / "f.h5", layers)


@pytest.fixture(scope="module")
def small():
    return brainalign.synthesize(stimuli=20, voxels=12, subjects=2, layers=2, features=5)


def test_score_errors_name_the_problem(small):
    dataset, layers, truth = small
    folds = truth["folds"]
    first = next(iter(layers))
    with pytest.raises(brainalign.InputError, match=r"names no stimuli and has 19"):
        brainalign.score({first: layers[first][:19]}, dataset, "voxelwise", folds=folds)
    missing = dataset.stimuli[:-1] + ["elsewhere"]
    with pytest.raises(brainalign.InputError, match=dataset.stimuli[-1]):
        brainalign.score(layers, dataset, "voxelwise", stimuli=missing, folds=folds)
    bad = {k: v.copy() for k, v in layers.items()}
    bad[first][4, 1] = np.nan
    with pytest.raises(ValueError, match=f"layer '{first}'.*{dataset.stimuli[4]}"):
        brainalign.score(bad, dataset, "voxelwise", folds=folds)
    with pytest.raises(brainalign.InputError, match="expected a 2-D array, got 3-D"):
        brainalign.score({first: np.zeros((20, 5, 2))}, dataset, "voxelwise", folds=folds)
    with pytest.raises(brainalign.InputError, match="folds: 19 entries"):
        brainalign.score(layers, dataset, "voxelwise", folds=folds[:19])
    with pytest.raises(brainalign.InputError, match="neither 'train' nor 'test'"):
        brainalign.score(layers, dataset, "voxelwise", protocol="tuckute2023",
                         splits=np.full((2, 20), "maybe"))
    with pytest.raises(brainalign.InputError, match="not an analysis"):
        brainalign.score(layers, dataset, "voxels")
    with pytest.raises(brainalign.InputError, match="repetition 0 is 19 x 12"):
        brainalign.Dataset(dataset.responses[:, :19], dataset.stimuli, dataset.voxel_ids)


def test_file_errors_are_os_errors(tmp_path):
    assert issubclass(brainalign.IoError, OSError)
    assert issubclass(brainalign.InputError, ValueError)
    with pytest.raises((OSError, ValueError), match="nowhere"):
        brainalign.load_features(tmp_path / "nowhere.npz")
    with pytest.raises((OSError, ValueError), match="nowhere"):
        brainalign.load_dataset(tmp_path / "nowhere")


def test_voxel_selection_and_ceiling_as_on_the_command_line():
    rng = np.random.default_rng(4)
    latent = rng.standard_normal((30, 3))
    responses = np.stack([latent @ rng.standard_normal((3, 16)) + rng.standard_normal((30, 16))
                          for _ in range(3)])
    responses[1, 4, 1] = np.nan  # subject 1 has a (Lateral) voxel with a missing response
    subjects = ["1"] * 4 + ["2"] * 4 + ["3"] * 4 + ["4"] * 4
    rois = ["Primary", "Lateral"] * 8
    dataset = brainalign.Dataset(responses, [f"s{i}" for i in range(30)],
                                 [f"v{i}" for i in range(16)], subjects=subjects, rois=rois)
    layers = {"a": latent @ rng.standard_normal((3, 8)) + 0.5 * rng.standard_normal((30, 8))}
    folds = np.arange(30) % 3
    published = brainalign.score(layers, dataset, "rsa", folds=folds)
    cleaned = brainalign.score(layers, dataset, "rsa", folds=folds, voxel_selection="cleaned")
    # As published, the layerwise RSA builds subject 1's RDM from its NaN voxel too: no value.
    assert published["per_subject"]["1"] is None and np.isfinite(cleaned["per_subject"]["1"])
    with pytest.raises(brainalign.InputError, match="voxel_selection"):
        brainalign.score(layers, dataset, "rsa", folds=folds, voxel_selection="clean")

    whole = brainalign.ceiling(dataset)
    assert whole["n_subjects_dropped"] == 1 and "1" not in whole["per_subject"]
    ignored = brainalign.ceiling(dataset, roi="Primary")  # the 2025 code ignores the ROI
    assert ignored["roi_applied"] is False and ignored["value"] == whole["value"]
    applied = brainalign.ceiling(dataset, roi="Primary", voxel_selection="cleaned")
    assert applied["roi_applied"] is True and applied["value"] != whole["value"]
    assert len(applied["per_subject"]) == 4 and applied["n_subjects_dropped"] == 0
    assert brainalign.ceiling(dataset, protocol="tuckute2023")["protocol"] == "tuckute2023"
