"""End-to-end runs of the brainalign CLI on real and synthetic data."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import protocols_reference as ref  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import NATSOUND, read_rows, run_cli  # noqa: E402


def run(*args, expect=0):
    return run_cli(args, expect=expect)


def component_features(tmp_path, seed=0):
    """A two-layer feature set for the real 165 sounds: one layer carries the components."""
    mat = scipy.io.loadmat(NATSOUND / "components.mat")
    names = [str(n[0]) for n in mat["stim_names"].ravel()]
    R = mat["R"]
    rng = np.random.default_rng(seed)
    signal = R @ rng.standard_normal((6, 20)) + 0.5 * rng.standard_normal((165, 20)) * R.std()
    noise = rng.standard_normal((165, 30))
    order = rng.permutation(165)  # rows in another order than the dataset: joined by name
    path = tmp_path / "features.npz"
    np.savez(path, noise=noise[order], signal=signal[order], __stimuli__=np.array(names)[order])
    return path, names, R, [noise, signal]


def test_components_match_reference_on_real_data(tmp_path):
    features, names, R, layers = component_features(tmp_path)
    run("score", "--features", features, "--dataset", "nh2015comp", "--analysis", "components",
        "--protocol", "pepino2025", "--detail", "--quiet", "--out", tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["layers"] == ["noise", "signal"]
    folds_by_name = {r["stimulus"]: int(r["fold"]) for r in read_rows(NATSOUND / "folds_5x33.csv")}
    folds = np.array([folds_by_name[n] for n in names])
    component_names = [str(c[0][0]) for c in scipy.io.loadmat(NATSOUND / "components.mat")["component_names"]]
    for c, name in enumerate(component_names):
        expected, chosen = ref.pepino2025_voxel(layers, R[:, c], folds)
        assert summary["per_component"][name] == pytest.approx(expected, rel=1e-8, abs=1e-12)
        assert all(layer == 1 for _, layer, _ in chosen), f"{name}: the signal layer wins every fold"
    assert summary["value"] == pytest.approx(np.mean(list(summary["per_component"].values())))
    detail = read_rows(tmp_path / "out" / "detail.csv")
    assert len(detail) == 6 * 5 and set(detail[0]) == {"voxel_id", "fold", "layer", "alpha", "inner_score"}


def test_planted_layers_are_recovered(tmp_path):
    run("synth", "--out", tmp_path / "syn", "--stimuli", 60, "--voxels", 120, "--subjects", 3,
        "--layers", 4, "--features", 40, "--min-reliability", 0.6, "--max-reliability", 0.95)
    run("score", "--features", tmp_path / "syn" / "features.npz", "--dataset", tmp_path / "syn" / "dataset",
        "--analysis", "voxelwise", "--folds", tmp_path / "syn" / "folds.csv", "--quiet", "--out", tmp_path / "out")
    truth = {r["voxel_id"]: r["layer"] for r in read_rows(tmp_path / "syn" / "ground_truth.csv")}
    rows = read_rows(tmp_path / "out" / "voxels.csv")
    hits = sum(truth[r["voxel_id"]] == max(set(r["layers"].split(";")), key=r["layers"].split(";").count) for r in rows)
    assert hits / len(rows) > 0.8
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert set(summary["per_subject"]) == {"0", "1", "2"}
    assert 0.2 < summary["value"] <= 1.0
    assert summary["n_voxels_used"] == 120 and summary["n_voxels_skipped"] == 0


def test_thread_count_does_not_change_numbers(tmp_path):
    run("synth", "--out", tmp_path / "syn", "--stimuli", 50, "--voxels", 600, "--subjects", 2,
        "--layers", 3, "--features", 30)
    outs = []
    for threads in (1, 2):
        out = tmp_path / f"out{threads}"
        run("score", "--features", tmp_path / "syn" / "features.npz", "--dataset", tmp_path / "syn" / "dataset",
            "--analysis", "voxelwise", "--folds", tmp_path / "syn" / "folds.csv", "--threads", threads,
            "--quiet", "--out", out)
        outs.append((out / "voxels.csv").read_text())
    assert outs[0] == outs[1]


def test_tuckute_components_default_splits_are_the_published_ones(tmp_path):
    features, *_ = component_features(tmp_path)
    values = []
    for extra in ([], ["--splits", NATSOUND / "splits_10x83.csv"]):
        out = tmp_path / f"out{len(extra)}"
        run("score", "--features", features, "--dataset", "nh2015comp", "--analysis", "components",
            "--protocol", "tuckute2023", "--quiet", "--out", out, *extra)
        values.append(json.loads((out / "summary.json").read_text())["per_component"])
    assert values[0] == values[1]
    assert min(values[0].values()) > 0.1


def test_tuckute_voxelwise_detail_and_rsa_and_ceiling(tmp_path):
    run("synth", "--out", tmp_path / "syn", "--stimuli", 40, "--voxels", 30, "--subjects", 3,
        "--layers", 3, "--features", 25)
    syn = tmp_path / "syn"
    run("score", "--features", syn / "features.npz", "--dataset", syn / "dataset", "--analysis", "voxelwise",
        "--protocol", "tuckute2023", "--detail", "--quiet", "--out", tmp_path / "t")
    detail = read_rows(tmp_path / "t" / "detail.csv")
    assert len(detail) == 30 * 3 * 10
    assert {"rv", "rv_hat", "score_corrected"} <= set(detail[0])
    for method in ("xval", "layerwise"):
        run("score", "--features", syn / "features.npz", "--dataset", syn / "dataset", "--analysis", "rsa",
            "--rsa-method", method, "--folds", syn / "folds.csv", "--quiet", "--out", tmp_path / method)
        summary = json.loads((tmp_path / method / "summary.json").read_text())
        assert len(summary["per_subject"]) == 3 and -1 <= summary["value"] <= 1
    # Without --rsa-method, pepino2025 reports what its paper reports: the best layer's mean.
    run("score", "--features", syn / "features.npz", "--dataset", syn / "dataset", "--analysis", "rsa",
        "--quiet", "--out", tmp_path / "default")
    default = json.loads((tmp_path / "default" / "summary.json").read_text())
    layerwise = json.loads((tmp_path / "layerwise" / "summary.json").read_text())
    assert default["rsa_method"] == "layerwise"
    assert default["value"] == layerwise["value"] and default["sem"] == layerwise["sem"]
    assert "layerwise (the best layer's mean) for pepino2025" in " ".join(run("score", "--help").stdout.split())
    run("score", "--features", syn / "features.npz", "--dataset", syn / "dataset", "--analysis", "rsa",
        "--protocol", "tuckute2023", "--detail", "--quiet", "--out", tmp_path / "trsa")
    summary = json.loads((tmp_path / "trsa" / "summary.json").read_text())
    assert len(summary["per_subject"]) == 3 and 0 < summary["value"] <= 1
    assert len(read_rows(tmp_path / "trsa" / "detail.csv")) == 3 * 10 * 3
    for protocol in ("pepino2025", "tuckute2023"):
        run("ceiling", "--dataset", syn / "dataset", "--protocol", protocol, "--out", tmp_path / protocol)
        ceiling = json.loads((tmp_path / protocol / "summary.json").read_text())
        assert 0 < ceiling["value"] <= 1 and len(ceiling["per_subject"]) == 3


@pytest.mark.parametrize("problem", ["missing_stimulus", "extra_stimulus", "non_finite", "shape"])
def test_bad_features_exit_2_naming_the_problem(tmp_path, problem):
    features, names, R, layers = component_features(tmp_path)
    noise, signal = layers
    stim = np.array(names)
    if problem == "missing_stimulus":
        np.savez(features, a=noise[1:], __stimuli__=stim[1:])
        expect = names[0]
    elif problem == "extra_stimulus":
        np.savez(features, a=np.vstack([noise, noise[:1]]), __stimuli__=np.append(stim, "stim999_extra"))
        expect = "stim999_extra"
    elif problem == "non_finite":
        bad = noise.copy()
        bad[7, 3] = np.nan
        np.savez(features, good=signal, bad=bad, __stimuli__=stim)
        expect = f"layer 'bad', stimulus '{names[7]}'"
    else:
        np.savez(features, a=noise, b=signal[:100], __stimuli__=stim)
        expect = "layer 'b'"
    out = tmp_path / "out"
    p = run("score", "--features", features, "--dataset", "nh2015comp", "--analysis", "components",
            "--quiet", "--out", out, expect=2)
    assert expect in p.stderr and str(features) in p.stderr
    assert not (out / "summary.json").exists()


def test_bad_options_and_datasets_exit_2(tmp_path):
    features, *_ = component_features(tmp_path)
    p = run("score", "--features", features, "--dataset", "nh2015comp", "--analysis", "components",
            "--protocol", "nope", "--out", tmp_path / "o", expect=2)
    assert "brainalign: --protocol: 'nope' is not a protocol" in p.stderr
    p = run("score", "--features", features, "--dataset", "nh2015comp", "--analysis", "rsa",
            "--rsa-method", "bad", "--out", tmp_path / "o", expect=2)
    assert "brainalign: --rsa-method: 'bad' is not an RSA method" in p.stderr
    p = run("score", "--features", features, "--dataset", "nh2015comp", "--analysis", "voxelwise",
            "--out", tmp_path / "o", expect=2)
    assert "components" in p.stderr
    p = run("score", "--features", features, "--dataset", tmp_path / "nowhere", "--analysis", "components",
            "--out", tmp_path / "o", expect=2)
    assert "nowhere" in p.stderr
    folds = tmp_path / "folds.csv"
    folds.write_text("stimulus,fold\nstim5_alarm_clock,zero\n")
    p = run("score", "--features", features, "--dataset", "nh2015comp", "--analysis", "components",
            "--folds", folds, "--out", tmp_path / "o", expect=2)
    assert str(folds) in p.stderr and "fold" in p.stderr


def test_noise_correction_recovers_planted_reliability(tmp_path):
    """rv (Spearman-Brown corrected repetition reliability) tracks the planted reliability."""
    run("synth", "--out", tmp_path / "syn", "--stimuli", 165, "--voxels", 120, "--subjects", 2,
        "--layers", 2, "--features", 20, "--min-reliability", 0.2, "--max-reliability", 0.9)
    run("score", "--features", tmp_path / "syn" / "features.npz", "--dataset", tmp_path / "syn" / "dataset",
        "--analysis", "voxelwise", "--protocol", "tuckute2023", "--detail", "--quiet", "--out", tmp_path / "out")
    planted = {r["voxel_id"]: float(r["reliability"]) for r in read_rows(tmp_path / "syn" / "ground_truth.csv")}
    rv = {}
    for r in read_rows(tmp_path / "out" / "detail.csv"):
        rv.setdefault(r["voxel_id"], []).append(float(r["rv"]))
    ids = sorted(planted, key=int)
    expected = np.array([3 * planted[v] / (1 + 2 * planted[v]) for v in ids])
    measured = np.array([np.median(rv[v]) for v in ids])
    assert np.corrcoef(expected, measured)[0, 1] > 0.9
    assert np.median(np.abs(expected - measured)) < 0.05


def test_feature_set_formats_give_identical_scores(tmp_path):
    """The same layers as .npz, as HDF5 with layer_list, and as a folder of .npy files."""
    import h5py

    features, names, R, layers = component_features(tmp_path)
    noise, signal = layers
    h5 = tmp_path / "features.h5"
    with h5py.File(h5, "w") as f:
        f["signal"] = signal
        f["noise"] = noise
        f["layer_list"] = [b"noise", b"signal"]
        f.create_dataset("__stimuli__", data=np.array(names, dtype=object), dtype=h5py.string_dtype())
    folder = tmp_path / "folder"
    folder.mkdir()
    np.save(folder / "noise.npy", noise)
    np.save(folder / "signal.npy", signal)
    (folder / "layers.txt").write_text("noise\nsignal\n")
    (folder / "stimuli.txt").write_text("\n".join(names) + "\n")
    outputs = []
    for source in (features, h5, folder):
        out = tmp_path / ("out_" + source.name.replace(".", "_"))
        run("score", "--features", source, "--dataset", "nh2015comp", "--analysis", "components", "--quiet",
            "--out", out)
        summary = json.loads((out / "summary.json").read_text())
        assert summary["layers"] == ["noise", "signal"]
        outputs.append((out / "voxels.csv").read_text())
    assert outputs[0] == outputs[1] == outputs[2]
