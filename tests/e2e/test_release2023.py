"""The 2023 data release layout (NH2015 and B2021 voxels), written here exactly as released:
numpy structured meta arrays, a MAT struct of stimulus names, pandas-pickled ROI tables."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "align"))
from cli_runner import CLI, NATSOUND, run_cli  # noqa: E402
import rsa_reference  # noqa: E402

ROIS = ["Primary", "Anterior", "Lateral", "Posterior", None]


def run(*args, expect=0):
    return run_cli(args, expect=expect)


def natsound_names():
    mat = scipy.io.loadmat(NATSOUND / "components.mat")
    names = [str(n[0]) for n in mat["stim_names"].ravel()]
    return sorted(names, key=lambda n: int(n.split("_")[0][4:])), mat["R"], names


def write_features(path, original, R, category_names, rng):
    by_name = dict(zip(category_names, R))
    Rorig = np.array([by_name[n] for n in original])
    Rorig = (Rorig - Rorig.mean(axis=0)) / Rorig.std(axis=0)
    layers = {"a": Rorig @ rng.standard_normal((6, 12)) + rng.standard_normal((165, 12)),
              "b": rng.standard_normal((165, 9))}
    np.savez(path, **layers, __stimuli__=np.array(original))
    return Rorig


def test_nh2015_release_layout(tmp_path):
    rng = np.random.default_rng(1)
    original, R, category_names = natsound_names()
    folder = tmp_path / "data" / "neural" / "NH2015"
    folder.mkdir(parents=True)
    V = 80
    Rorig = write_features(tmp_path / "features.npz", original, R, category_names, rng)
    responses = (Rorig @ rng.standard_normal((6, V)))[:, :, None] + rng.standard_normal((165, V, 3))
    n_reps = np.full(V, 3)
    n_reps[[3, 17]] = 2            # measured in two scans only: the 2025 code analyses them anyway
    responses[:, 5, 1] = np.nan     # a voxel with a missing response: skipped and counted
    subj = np.repeat(np.arange(1, 5), V // 4)
    meta = np.array([(n_reps[v], 1000 + v, subj[v], b"l" if v % 2 else b"r", 0.5 * v, -0.25 * v) for v in range(V)],
                    dtype=[("n_reps", "<i8"), ("voxel_id", "<i8"), ("subj_idx", "<i8"), ("hemi", "S1"),
                           ("x_ras", "<f8"), ("y_ras", "<f8")])
    stim_meta = np.array([((n + ".wav").encode(), b"cat", i, 0, 0) for i, n in enumerate(original)],
                         dtype=[("filename", "S64"), ("cat_assignment", "S16"), ("id", "<i8"),
                                ("embedded-wav-start-idx", "<i8"), ("embedded-wav-end-idx", "<i8")])
    np.save(folder / "voxel_features_array.npy", responses)
    np.save(folder / "voxel_features_meta.npy", meta)
    np.save(folder / "neural_stim_meta.npy", stim_meta)
    pd.DataFrame({"subj_idx": subj, "voxel_id": 1000 + np.arange(V),
                  "roi_label_general": [ROIS[v % 5] for v in range(V)],
                  "kell_r_reliability": rng.random(V)}).to_pickle(folder / "df_roi_meta.pkl")

    # pepino2025 as published: every voxel the release holds, NaN voxels skipped.
    run("score", "--features", tmp_path / "features.npz", "--dataset", folder, "--analysis", "voxelwise",
        "--quiet", "--out", tmp_path / "published")
    summary = json.loads((tmp_path / "published" / "summary.json").read_text())
    assert summary["n_voxels_used"] == V - 1 and summary["n_voxels_skipped"] == 1
    rows = list(csv.DictReader(open(tmp_path / "published" / "voxels.csv")))
    assert [r["voxel_id"] for r in rows] == [str(1000 + v) for v in range(V) if v != 5]
    # The cleaned selection (and tuckute2023): the voxels measured in all three scans.
    for protocol in ("pepino2025", "tuckute2023"):
        run("score", "--features", tmp_path / "features.npz", "--dataset", folder, "--analysis", "voxelwise",
            "--protocol", protocol, "--voxel-selection", "cleaned", "--quiet",
            "--out", tmp_path / ("out" if protocol == "pepino2025" else "t2023"))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["n_voxels_used"] == V - 3 and summary["n_voxels_skipped"] == 1
    assert set(summary["per_subject"]) == {"1", "2", "3", "4"}
    rows = list(csv.DictReader(open(tmp_path / "out" / "voxels.csv")))
    assert [r["voxel_id"] for r in rows] == [str(1000 + v) for v in range(V) if v not in (3, 5, 17)]
    t2023 = list(csv.DictReader(open(tmp_path / "t2023" / "voxels.csv")))
    assert [r["voxel_id"] for r in t2023] == [r["voxel_id"] for r in rows]

    # The 2025 layerwise RSA builds each subject's RDM from all its voxels: subject 1, with the
    # NaN voxel 5, has no value and drops out of the mean and the spread (pandas skips NaN).
    run("score", "--features", tmp_path / "features.npz", "--dataset", folder, "--analysis", "rsa",
        "--quiet", "--out", tmp_path / "rsa")
    rsa = json.loads((tmp_path / "rsa" / "summary.json").read_text())
    assert rsa["rsa_method"] == "layerwise" and rsa["per_subject"]["1"] is None
    features = np.load(tmp_path / "features.npz")
    layer_rdms = [rsa_reference.rdm(features[k]) for k in ("a", "b")]
    mean = responses.mean(axis=2)
    with np.errstate(all="ignore"):
        per_subject = np.array([[rsa_reference.compare(rsa_reference.rdm(mean[:, subj == s]), r)
                                 for r in layer_rdms] for s in range(1, 5)])
    assert np.isnan(per_subject[0]).all() and np.isfinite(per_subject[1:]).all()
    layer_mean = np.nanmean(per_subject, axis=0)
    best = int(np.nanargmax(layer_mean))
    assert abs(rsa["value"] - layer_mean[best]) < 1e-10
    assert abs(rsa["sem"] - np.nanstd(per_subject[:, best], ddof=1)) < 1e-10
    # Its noise ceiling drops subject 1; the cleaned selection keeps every subject.
    for selection, dropped in [("published", 1), ("cleaned", 0)]:
        run("ceiling", "--dataset", folder, "--voxel-selection", selection, "--out", tmp_path / selection)
        ceiling = json.loads((tmp_path / selection / "summary.json").read_text())
        assert ceiling["n_subjects_dropped"] == dropped and len(ceiling["per_subject"]) == 4 - dropped

    # The same voxels in the generic layout give the same numbers.
    keep = [v for v in range(V) if v not in (3, 5, 17)]
    generic = tmp_path / "generic"
    generic.mkdir()
    np.save(generic / "responses.npy", responses[:, keep, :])
    (generic / "stimuli.txt").write_text("\n".join(original) + "\n")
    with open(generic / "voxels.csv", "w") as f:
        f.write("voxel_id,subject,roi\n" + "".join(f"{1000 + v},{subj[v]},{ROIS[v % 5] or ''}\n" for v in keep))
    run("score", "--features", tmp_path / "features.npz", "--dataset", generic, "--analysis", "voxelwise",
        "--quiet", "--out", tmp_path / "generic_out")
    assert (tmp_path / "generic_out" / "voxels.csv").read_text() == (tmp_path / "out" / "voxels.csv").read_text()

    # ROI selection, by name under BRAINALIGN_DATA.
    env_data = tmp_path / "data"
    p = subprocess.run([CLI, "score", "--features", tmp_path / "features.npz", "--dataset", "nh2015",
                        "--analysis", "rsa", "--rsa-method", "xval", "--roi", "Primary", "--quiet",
                        "--out", tmp_path / "roi"],
                       capture_output=True, text=True, env=dict(os.environ, BRAINALIGN_DATA=str(env_data)))
    assert p.returncode == 2 and "folds_5x33.csv" in p.stderr  # folds come from the data root too
    run("score", "--features", tmp_path / "features.npz", "--dataset", folder, "--analysis", "rsa",
        "--roi", "primary", "--quiet", "--out", tmp_path / "roi")
    roi = json.loads((tmp_path / "roi" / "summary.json").read_text())
    assert roi["roi"] == "primary" and set(roi["per_subject"]) == {"1", "2", "3", "4"}
    p = run("score", "--features", tmp_path / "features.npz", "--dataset", folder, "--analysis", "rsa",
            "--roi", "Occipital", "--quiet", "--out", tmp_path / "roi2", expect=2)
    assert "Occipital" in p.stderr and "Primary" in p.stderr


def test_b2021_release_layout(tmp_path):
    rng = np.random.default_rng(2)
    original, R, category_names = natsound_names()
    folder = tmp_path / "B2021"
    folder.mkdir()
    Rorig = write_features(tmp_path / "features.npz", original, R, category_names, rng)
    V = 30
    extra = [f"stim{900 + i}_b2021_extra" for i in range(27)]
    responses = np.concatenate([(Rorig @ rng.standard_normal((6, V)))[:, :, None] + rng.standard_normal((165, V, 3)),
                                rng.standard_normal((27, V, 3))])
    np.save(folder / "voxel_features_array.npy", responses)
    np.save(folder / "voxel_features_meta.npy", np.arange(V))
    names = np.empty((1, 192), dtype=object)
    names[0, :] = [n + ".wav" for n in original + extra]
    scipy.io.savemat(folder / "stim_info_v4.mat", {"stim_info": {"stim_names": names}})
    subj = np.repeat(np.arange(5), V // 5)
    roi_table = pd.DataFrame({"subj_idx": subj, "roi_label_general": [ROIS[v % 5] for v in range(V)]})
    roi_table.to_pickle(folder / "df_roi_meta.pkl")
    # The release's pandas pickle is read as it is, without Python.
    run("score", "--features", tmp_path / "features.npz", "--dataset", folder, "--analysis", "voxelwise",
        "--quiet", "--out", tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["n_stimuli"] == 165 and summary["n_voxels_used"] == V
    assert set(summary["per_subject"]) == {"0", "1", "2", "3", "4"}
    assert summary["value"] > 0.05
    # A CSV of the same table gives the same numbers.
    (folder / "df_roi_meta.pkl").unlink()
    roi_table.to_csv(folder / "df_roi_meta.csv", index=False)
    run("score", "--features", tmp_path / "features.npz", "--dataset", folder, "--analysis", "voxelwise",
        "--quiet", "--out", tmp_path / "out_csv")
    from_csv = json.loads((tmp_path / "out_csv" / "summary.json").read_text())
    assert from_csv["per_subject"] == summary["per_subject"] and from_csv["value"] == summary["value"]
    # Without the ROI table B2021 has no subjects: a clear error.
    (folder / "df_roi_meta.csv").unlink()
    p = run("score", "--features", tmp_path / "features.npz", "--dataset", folder, "--analysis", "voxelwise",
            "--quiet", "--out", tmp_path / "out2", expect=2)
    assert "df_roi_meta" in p.stderr


def test_release_order_decides_positional_folds_and_splits(tmp_path):
    """The published code indexes the 2025 fold vector and the 2023 splits by position over a
    release's own stimulus order (B2021 lists its sounds in its own order), not by name."""
    rng = np.random.default_rng(3)
    original, R, category_names = natsound_names()
    release = list(rng.permutation(original))  # this release's order of the 165 sounds
    folder = tmp_path / "B2021"
    folder.mkdir()
    Rorig = write_features(tmp_path / "features.npz", original, R, category_names, rng)
    by_name = dict(zip(original, Rorig))
    V = 30
    responses = np.array([by_name[n] for n in release]) @ rng.standard_normal((6, V))
    responses = responses[:, :, None] + rng.standard_normal((165, V, 3))
    np.save(folder / "voxel_features_array.npy", responses)
    np.save(folder / "voxel_features_meta.npy", np.arange(V))
    names = np.empty((1, 165), dtype=object)
    names[0, :] = [n + ".wav" for n in release]
    scipy.io.savemat(folder / "stim_info_v4.mat", {"stim_info": {"stim_names": names}})
    pd.DataFrame({"subj_idx": np.repeat(np.arange(3), V // 3),
                  "roi_label_general": [ROIS[v % 5] for v in range(V)]}).to_pickle(folder / "df_roi_meta.pkl")

    # The published vectors, in NH2015's release order (the rows of the shared files).
    folds = list(csv.DictReader(open(NATSOUND / "folds_5x33.csv")))
    splits = list(csv.DictReader(open(NATSOUND / "splits_10x83.csv")))
    assert [r["stimulus"] for r in folds] == original and [r["stimulus"] for r in splits] == original
    # Applied by position, as the published code does: the i-th sound of this release gets entry i.
    with open(tmp_path / "positional_folds.csv", "w") as f:
        f.write("stimulus,fold\n" + "".join(f"{n},{r['fold']}\n" for n, r in zip(release, folds)))
    with open(tmp_path / "positional_splits.csv", "w") as f:
        f.write(",".join(splits[0].keys()) + "\n")
        for n, r in zip(release, splits):
            f.write(",".join([n] + [r[f"split{k}"] for k in range(10)]) + "\n")
    fold_by_name = {r["stimulus"]: r["fold"] for r in folds}
    moved = sum(fold_by_name[n] != r["fold"] for n, r in zip(release, folds))
    assert moved == 131  # by name, most sounds would sit in another fold

    def voxels(name, *extra):
        run("score", "--features", tmp_path / "features.npz", "--dataset", folder, "--analysis",
            "voxelwise", "--quiet", "--out", tmp_path / name, *extra)
        return (tmp_path / name / "voxels.csv").read_text()

    default = voxels("default")
    assert default == voxels("positional", "--folds", tmp_path / "positional_folds.csv")
    assert default != voxels("by_name", "--folds", NATSOUND / "folds_5x33.csv")
    default = voxels("t_default", "--protocol", "tuckute2023")
    assert default == voxels("t_positional", "--protocol", "tuckute2023",
                             "--splits", tmp_path / "positional_splits.csv")
    assert default != voxels("t_by_name", "--protocol", "tuckute2023", "--splits", NATSOUND / "splits_10x83.csv")


def test_published_ceiling_ignores_the_roi(tmp_path):
    """The 2025 code's noise ceiling takes an ROI argument and uses every voxel anyway."""
    run("synth", "--out", tmp_path / "syn", "--stimuli", 40, "--voxels", 80, "--subjects", 4,
        "--layers", 2, "--features", 10)
    dataset = tmp_path / "syn" / "dataset"
    rows = list(csv.DictReader(open(dataset / "voxels.csv")))
    with open(dataset / "voxels.csv", "w") as f:
        f.write("voxel_id,subject,roi\n" + "".join(
            f"{r['voxel_id']},{r['subject']},{'Primary' if i % 2 == 0 else 'Lateral'}\n" for i, r in enumerate(rows)))

    def ceiling(name, *extra):
        p = run("ceiling", "--dataset", dataset, "--out", tmp_path / name, *extra)
        return json.loads((tmp_path / name / "summary.json").read_text()), p.stderr

    whole, _ = ceiling("whole")
    published, note = ceiling("published", "--roi", "Primary")
    assert published["per_subject"] == whole["per_subject"] and published["value"] == whole["value"]
    assert published["roi"] == "Primary" and published["roi_applied"] is False
    assert "ignores --roi" in note
    cleaned, note = ceiling("cleaned", "--roi", "Primary", "--voxel-selection", "cleaned")
    assert cleaned["roi_applied"] is True and cleaned["value"] != whole["value"] and not note
    # The ROI's voxels alone, by the reference: each subject's RDM against the mean of the others'.
    responses = np.load(dataset / "responses.npy").mean(axis=2)
    primary = np.array([i % 2 == 0 for i in range(len(rows))])
    subjects = np.array([r["subject"] for r in rows])
    rdms = [rsa_reference.rdm(responses[:, primary & (subjects == s)]) for s in dict.fromkeys(subjects)]
    reference = rsa_reference.ceiling(rdms)
    assert abs(cleaned["value"] - reference["mean"]) < 1e-10
    # An unknown ROI is an error either way.
    p = run("ceiling", "--dataset", dataset, "--roi", "Occipital", "--out", tmp_path / "bad", expect=2)
    assert "Occipital" in p.stderr
