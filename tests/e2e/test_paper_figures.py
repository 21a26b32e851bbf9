"""End-to-end: the noise ceiling as a study analysis and the figures of Pepino et al. 2025 in the
study report. A small study with the 2025 study's shape (feature-file models, one marked as the
baseline; two voxel datasets with ROIs and the real NH2015 components; voxel-wise regression,
RSA by both methods, the noise ceiling, a checkpoint series of ten steps in layerwise RSA;
downstream scores of six tasks) is run, exported and reported. The stored ceiling must be what
`brainalign ceiling` computes; the page, opened in headless Chromium, must show each figure
built from the stored values."""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, NATSOUND, data_env, read_rows, run_cli  # noqa: E402

VENDOR = Path(CLI).resolve().parent / "report-vendor" / "node_modules"
# Models as the study file names them, in its order; "spectemp filters" is the baseline.
MODELS = ["encodecmae:base", "beats:iter3", "a model with a long label", "spectemp filters"]
BASELINE = "spectemp filters"
SERIES = "pretraining"
STEPS = [k * 1000 for k in range(10)]
SERIES_LAYERS = [f"layer{l}" for l in range(8)]
VOXEL_DATASETS = ["NH", "B"]
ROIS = ["Primary", "Posterior"]
TASKS = ["nsynth_pitch", "gtzan", "speech_commands", "crema_d", "fsd50k", "esc50"]
CEILING_PROTOCOLS = ["pepino2025", "tuckute2023"]


def synthetic_dataset(root, name, seed, names, env):
    run_cli(["synth", "--out", root / f"syn-{name}", "--stimuli", 165, "--voxels", 60,
             "--subjects", 3, "--layers", 2, "--features", 8, "--min-reliability", 0.5,
             "--max-reliability", 0.9, "--seed", seed], env)
    dataset = root / name
    shutil.copytree(root / f"syn-{name}" / "dataset", dataset)
    (dataset / "stimuli.txt").write_text("\n".join(names) + "\n")
    (dataset / "folds.csv").unlink()  # the published folds of the 165 sounds apply
    voxels = read_rows(root / f"syn-{name}" / "dataset" / "voxels.csv")
    with open(dataset / "voxels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["voxel_id", "subject", "roi"])
        for i, v in enumerate(voxels):
            w.writerow([v["voxel_id"], v["subject"], ROIS[i % 2]])
    return np.load(dataset / "responses.npy").mean(axis=2)


def write_study(root):
    names = [r["stimulus"] for r in read_rows(NATSOUND / "folds_5x33.csv")]
    env = data_env(BRAINALIGN_CACHE=str(root / "cache"), OMP_NUM_THREADS="1")
    responses = np.hstack([synthetic_dataset(root, d, k + 1, names, env)
                           for k, d in enumerate(VOXEL_DATASETS)])
    rng = np.random.default_rng(0)
    mix = rng.standard_normal((responses.shape[1], 12))
    (root / "features").mkdir()
    files = {}
    for j, model in enumerate(MODELS):
        layers = {f"encoder.layers.{l}": (j + l + 1) / 12 * responses @ mix / 10
                  + rng.standard_normal((165, 12)) for l in range(3)}
        files[model] = f"features/model{j}.npz"
        np.savez(root / files[model], **layers, __stimuli__=np.array(names))
    (root / "checkpoints").mkdir()
    for k, step in enumerate(STEPS):
        layers = {layer: (1 + k + l) / 20 * responses @ mix / 10 + rng.standard_normal((165, 12))
                  for l, layer in enumerate(SERIES_LAYERS)}
        np.savez(root / "checkpoints" / f"step_{step}.npz", **layers, __stimuli__=np.array(names))
    with open(root / "downstream.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "task", "score"])
        for model in MODELS:
            for task in TASKS:
                w.writerow([model, task, round(rng.uniform(0.2, 0.9), 4)])
    models = "".join(f'[[models]]\nname = "{m}"\nkind = "features"\nfeatures = "{files[m]}"\n'
                     for m in MODELS)
    datasets = "".join(f'[[datasets]]\nname = "{d}"\nsource = "{d}"\n' for d in VOXEL_DATASETS)
    tasks = "".join(f'[[tasks]]\nname = "{t}"\n' for t in TASKS)
    (root / "study.toml").write_text(f"""
[study]
name = "paper"
output = "out"
seed = 1
threads = 2
baseline = "{BASELINE}"
{models}
[[models]]
name = "{SERIES}"
kind = "checkpoints"
features = "checkpoints/step_*.npz"
analyses = ["rsa-layerwise"]
{datasets}
[[datasets]]
name = "NH2015comp"
source = "nh2015comp"
[[analyses]]
analysis = "voxelwise"
[[analyses]]
analysis = "components"
[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
rois = ["all", "{ROIS[0]}", "{ROIS[1]}"]
[[analyses]]
analysis = "rsa"
rsa_method = "xval"
[[analyses]]
analysis = "ceiling"
protocols = {json.dumps(CEILING_PROTOCOLS)}
rois = ["all", "{ROIS[0]}", "{ROIS[1]}"]
[downstream]
scores = "downstream.csv"
{tasks}
[alignment_vs_performance]
bootstrap = 50
permutations = 50
""")
    return env


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper")
    env = write_study(root)
    run = run_cli(["study", "run", root / "study.toml"], env)
    run_cli(["study", "export", root / "study.toml", "--out", root / "export"], env)
    return {"root": root, "env": env, "run": run}


def ceiling_units():
    return [(d, p, r) for d in VOXEL_DATASETS for p in CEILING_PROTOCOLS for r in ["", *ROIS]]


def test_the_ceiling_is_stored_once_per_dataset_protocol_and_roi(study):
    root = study["root"]
    units = read_rows(root / "export" / "units.csv")
    ceilings = [u for u in units if u["analysis"] == "ceiling"]
    assert sorted((u["dataset"], u["protocol"], u["roi"]) for u in ceilings) == sorted(ceiling_units())
    assert all(u["model"] == "" and u["checkpoint"] == "" for u in ceilings)  # not per model
    # The component dataset has no ceiling (no subjects' voxels): the analysis skips it.
    assert not any(u["dataset"] == "NH2015comp" for u in ceilings)
    # Resumable like every unit: a second run computes nothing.
    again = run_cli(["study", "run", root / "study.toml"], study["env"])
    assert f"{len(units)} already stored, 0 computed here" in again.stdout + again.stderr


def test_the_stored_ceiling_is_what_brainalign_ceiling_computes(study):
    root = study["root"]
    exported = json.loads((root / "export" / "results.json").read_text())["ceilings"]
    table = read_rows(root / "export" / "ceiling.csv")
    assert len(exported) == len(table) == len(ceiling_units())
    for dataset, protocol, roi in ceiling_units():
        out = root / "ceiling" / dataset / protocol / (roi or "whole")
        args = ["ceiling", "--dataset", root / dataset, "--protocol", protocol, "--out", out]
        run_cli(args + (["--roi", roi] if roi else []), study["env"])
        want = json.loads((out / "summary.json").read_text())
        [got] = [c for c in exported
                 if (c["dataset"], c["protocol"], c["roi"]) == (dataset, protocol, roi)]
        [row] = [r for r in table if (r["dataset"], r["protocol"], r["roi"]) == (dataset, protocol, roi)]
        assert got["value"] == want["value"] and got["sem"] == want["sem"], (dataset, protocol, roi)
        assert got["per_subject"] == want["per_subject"]
        assert float(row["value"]) == want["value"] and float(row["sem"]) == want["sem"]
        assert int(row["n_subjects"]) == len(want["per_subject"])
        # The 2025 code's ceiling ignores the ROI; tuckute2023's takes the ROI's voxels.
        assert got["roi_applied"] == (bool(roi) and protocol == "tuckute2023")
    whole = {c["protocol"]: c["value"] for c in exported if c["dataset"] == "NH" and c["roi"] == ""}
    primary = {c["protocol"]: c["value"] for c in exported
               if c["dataset"] == "NH" and c["roi"] == "Primary"}
    assert primary["pepino2025"] == whole["pepino2025"]
    assert primary["tuckute2023"] != whole["tuckute2023"]


@pytest.mark.parametrize("change, message", [
    ('rsa_method = "xval"\n', "'rsa_method' applies to analysis = \"rsa\", not to the ceiling"),
    ('rois = "all"\nbaseline = 3\n', "unknown key 'baseline'"),
])
def test_bad_ceiling_analyses_are_refused_naming_the_field(tmp_path, change, message):
    (tmp_path / "f.npz").write_bytes(b"")
    file = tmp_path / "s.toml"
    file.write_text('[study]\nname = "s"\n[[models]]\nname = "m"\nkind = "features"\n'
                    'features = "f.npz"\n[[datasets]]\nname = "nh2015"\n'
                    f'[[analyses]]\nanalysis = "ceiling"\n{change}')
    p = run_cli(["study", "plan", file], expect=2)
    assert str(file) in p.stderr and "[[analyses]] #1" in p.stderr and message in p.stderr


def test_the_baseline_must_name_a_model_of_the_study(tmp_path):
    (tmp_path / "f.npz").write_bytes(b"")
    file = tmp_path / "s.toml"
    file.write_text('[study]\nname = "s"\nbaseline = "spectemp"\n[[models]]\nname = "m"\n'
                    'kind = "features"\nfeatures = "f.npz"\n[[datasets]]\nname = "nh2015"\n'
                    '[[analyses]]\nanalysis = "ceiling"\n')
    p = run_cli(["study", "plan", file], expect=2)
    assert str(file) in p.stderr and "[study]" in p.stderr
    assert "'baseline' names 'spectemp', which is no model of the study" in p.stderr
