"""brainalign.score against `brainalign score` on the same inputs."""
import csv
import json

import numpy as np
import pytest
import scipy.io

import brainalign
from conftest import DATA, needs_data

NATSOUND = DATA / "natsound165"
VOLATILE = {"seconds", "features"}  # timing, and the feature set's source (a path or "features")


def cli_result(run_cli, out, *args):
    run_cli("score", *args, "--quiet", "--out", out)
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "voxels.csv") as f:
        voxels = list(csv.DictReader(f))
    return summary, voxels


def assert_same(summary, voxels, result):
    for key, value in summary.items():
        if key not in VOLATILE:
            assert result[key] == value, key
    assert result["voxel_ids"] == [r["voxel_id"] for r in voxels]
    for column in voxels[0]:
        assert result["voxels"][column] == [r[column] for r in voxels], column
    expected = np.array([float(r["score"]) for r in voxels])
    np.testing.assert_array_equal(result["voxel_scores"], expected)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A small synthetic study, on disk for the CLI and in memory for Python."""
    root = tmp_path_factory.mktemp("study")
    dataset, layers, truth = brainalign.synthesize(stimuli=40, voxels=60, subjects=3, layers=3,
                                                   features=25, min_reliability=0.5, seed=3)
    dataset.save(root / "dataset")
    brainalign.save_features(root / "features.npz", layers, dataset.stimuli)
    folds = truth["folds"]
    with open(root / "folds.csv", "w") as f:
        f.write("stimulus,fold\n" + "".join(f"{s},{k}\n" for s, k in zip(dataset.stimuli, folds)))
    rng = np.random.default_rng(0)
    splits = np.array([rng.permutation(40) < 20 for _ in range(4)])
    with open(root / "splits.csv", "w") as f:
        f.write("stimulus," + ",".join(f"split{k}" for k in range(4)) + "\n")
        for s, name in enumerate(dataset.stimuli):
            labels = ("train" if splits[k, s] else "test" for k in range(4))
            f.write(name + "," + ",".join(labels) + "\n")
    loaded = brainalign.load_dataset(root / "dataset")  # named as the CLI names it
    assert loaded.stimuli == dataset.stimuli
    return root, loaded, layers, folds, splits


def test_voxelwise_pepino2025_matches_cli(run_cli, study, tmp_path):
    root, dataset, layers, folds, _ = study
    summary, voxels = cli_result(run_cli, tmp_path / "out", "--features", root / "features.npz",
                                 "--dataset", root / "dataset", "--analysis", "voxelwise",
                                 "--folds", root / "folds.csv")
    assert_same(summary, voxels, brainalign.score(layers, dataset, "voxelwise", folds=folds))
    # The same from paths, and with the folds CSV.
    assert_same(summary, voxels, brainalign.score(root / "features.npz", str(root / "dataset"),
                                                  "voxelwise", folds=root / "folds.csv"))


def test_a_synthetic_dataset_carries_its_folds(run_cli, study, tmp_path):
    """Scored without folds, a synthetic dataset uses its own: in memory, saved (folds.csv in
    the dataset folder) and from the command line, the same numbers as with the folds given."""
    root, dataset, layers, folds, _ = study
    assert dataset.folds == list(folds)
    with_folds = brainalign.score(layers, dataset, "voxelwise", folds=folds)
    assert brainalign.score(layers, dataset, "voxelwise")["value"] == with_folds["value"]
    summary, voxels = cli_result(run_cli, tmp_path / "out", "--features", root / "features.npz",
                                 "--dataset", root / "dataset", "--analysis", "voxelwise")
    assert_same(summary, voxels, with_folds)
    run_cli("synth", "--out", tmp_path / "synth", "--stimuli", 30, "--voxels", 20,
            "--subjects", 2, "--layers", 2, "--features", 10)
    run_cli("score", "--features", tmp_path / "synth" / "features.npz", "--dataset",
            tmp_path / "synth" / "dataset", "--analysis", "voxelwise", "--out", tmp_path / "s")


def test_voxelwise_tuckute2023_matches_cli_with_every_form_of_splits(run_cli, study, tmp_path):
    root, dataset, layers, _, splits = study
    summary, voxels = cli_result(run_cli, tmp_path / "out", "--features", root / "features.npz",
                                 "--dataset", root / "dataset", "--analysis", "voxelwise",
                                 "--protocol", "tuckute2023", "--splits", root / "splits.csv")
    labels = np.where(splits, "train", "test")
    for form in (splits, splits.astype(int), labels, root / "splits.csv"):
        result = brainalign.score(layers, dataset, "voxelwise", protocol="tuckute2023", splits=form)
        assert_same(summary, voxels, result)


@pytest.mark.parametrize("method", ["xval", "layerwise"])
def test_rsa_matches_cli(run_cli, study, tmp_path, method):
    root, dataset, layers, folds, _ = study
    summary, voxels = cli_result(run_cli, tmp_path / "out", "--features", root / "features.npz",
                                 "--dataset", root / "dataset", "--analysis", "rsa",
                                 "--rsa-method", method, "--folds", root / "folds.csv")
    result = brainalign.score(layers, dataset, "rsa", rsa_method=method, folds=folds)
    assert_same(summary, voxels, result)


def test_rows_are_joined_by_name(study):
    _, dataset, layers, folds, _ = study
    order = np.random.default_rng(1).permutation(dataset.n_stimuli)
    shuffled = {name: values[order] for name, values in layers.items()}
    names = [dataset.stimuli[i] for i in order]
    a = brainalign.score(layers, dataset, "voxelwise", folds=folds)
    b = brainalign.score(shuffled, dataset, "voxelwise", folds=folds, stimuli=names)
    np.testing.assert_array_equal(a["voxel_scores"], b["voxel_scores"])


def test_detail_and_threads(study):
    _, dataset, layers, folds, _ = study
    one = brainalign.score(layers, dataset, "voxelwise", folds=folds, threads=1, detail=True)
    two = brainalign.score(layers, dataset, "voxelwise", folds=folds, threads=2)
    np.testing.assert_array_equal(one["voxel_scores"], two["voxel_scores"])
    assert set(one["detail"]) == {"voxel_id", "fold", "layer", "alpha", "inner_score"}
    assert len(one["detail"]["voxel_id"]) == dataset.n_voxels * 5


def test_bad_arguments_are_named_as_python_names_them(study):
    _, dataset, layers, folds, _ = study
    with pytest.raises(brainalign.InputError, match=r"^protocol: 'nope' is not a protocol"):
        brainalign.score(layers, dataset, "voxelwise", protocol="nope", folds=folds)
    with pytest.raises(brainalign.InputError, match=r"^rsa_method: 'bad' is not an RSA method"):
        brainalign.score(layers, dataset, "rsa", rsa_method="bad", folds=folds)
    with pytest.raises(brainalign.InputError, match=r"^analysis: 'voxels' is not an analysis"):
        brainalign.score(layers, dataset, "voxels", folds=folds)


@needs_data()
def test_components_on_real_data_match_cli(run_cli, tmp_path):
    mat = scipy.io.loadmat(NATSOUND / "components.mat")
    names = [str(n[0]) for n in mat["stim_names"].ravel()]
    rng = np.random.default_rng(0)
    layers = {"noise": rng.standard_normal((165, 30)),
              "signal": mat["R"] @ rng.standard_normal((6, 20)) + rng.standard_normal((165, 20))}
    brainalign.save_features(tmp_path / "f.npz", layers, names)
    summary, voxels = cli_result(run_cli, tmp_path / "out", "--features", tmp_path / "f.npz",
                                 "--dataset", "nh2015comp", "--analysis", "components")
    result = brainalign.score(layers, "nh2015comp", "components", stimuli=names)
    assert_same(summary, voxels, result)
    assert result["layers"] == ["noise", "signal"]
    assert set(result["per_component"]) == set(result["voxel_ids"])
