"""End-to-end: a mini-study of registry models, a checkpoint series and downstream scores over
the real NH2015 components and a synthetic voxel dataset; run plainly, killed (kill -9) and
resumed, and under mpirun: the same results each time; then the analyses and the report."""
import csv
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import signal as sps
from scipy import stats

CLI = os.environ.get("BRAINALIGN_CLI", "brainalign")
SHARED = Path(os.environ.get("BRAINALIGN_SHARED", Path(__file__).resolve().parents[3] / "shared"))
DATA = SHARED / "data"
NATSOUND = DATA / "natsound165"
VENDOR = Path(os.environ.get("BRAINALIGN_VEGA_DIR", Path(CLI).resolve().parent / "report-vendor" / "node_modules"))
TASKS = ["esc50", "fsd50k", "crema_d"]
STEPS = [0, 1000, 2000, 3000, 4000, 5000]


def env(cache):
    return dict(os.environ, BRAINALIGN_DATA=str(DATA), BRAINALIGN_CACHE=str(cache),
                OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                OMPI_MCA_btl_vader_single_copy_mechanism="none", OMP_NUM_THREADS="1")


def run(args, cache, expect=0, prefix=()):
    p = subprocess.run([*prefix, CLI, *map(str, args)], capture_output=True, text=True, env=env(cache))
    assert p.returncode == expect, f"exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


def read_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def write_study(root, name):
    (root / f"{name}.toml").write_text(f"""
[study]
name = "{name}"
output = "{name}"
seed = 3
threads = 1

[[models]]
name = "spectemp"
[[models]]
name = "mel"
[[models]]
name = "mfcc"
[[models]]
name = "ckpt"
kind = "checkpoints"
features = "checkpoints/step_*.npz"

[[datasets]]
name = "nh2015comp"
[[datasets]]
name = "synthetic"
source = "synthetic/dataset"

[[analyses]]
analysis = "components"
[[analyses]]
analysis = "voxelwise"
[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
rois = ["all", "Primary", "Posterior"]

[downstream]
scores = "downstream.csv"
[[tasks]]
name = "esc50"
[[tasks]]
name = "fsd50k"
[[tasks]]
name = "crema_d"

[alignment_vs_performance]
bootstrap = 200
permutations = 200

[dynamics]
smooth_window = 5
smooth_order = 2
""")
    return root / f"{name}.toml"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    cache = root / "cache"
    names = [r["stimulus"] for r in read_rows(NATSOUND / "folds_5x33.csv")]
    # A synthetic voxel dataset over the 165 natural sounds (so that registry models run on
    # their audio), with ROI labels.
    run(["synth", "--out", root / "syn", "--stimuli", 165, "--voxels", 60, "--subjects", 3,
         "--layers", 3, "--features", 16, "--min-reliability", 0.5, "--max-reliability", 0.9], cache)
    shutil.copytree(root / "syn" / "dataset", root / "synthetic" / "dataset")
    (root / "synthetic" / "dataset" / "stimuli.txt").write_text("\n".join(names) + "\n")
    voxels = read_rows(root / "syn" / "dataset" / "voxels.csv")
    with open(root / "synthetic" / "dataset" / "voxels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["voxel_id", "subject", "roi"])
        for i, v in enumerate(voxels):
            w.writerow([v["voxel_id"], v["subject"], "Primary" if i % 2 == 0 else "Posterior"])
    # A checkpoint series: three layers that carry the responses better as training goes on.
    responses = np.load(root / "synthetic" / "dataset" / "responses.npy").mean(axis=2)
    rng = np.random.default_rng(0)
    (root / "checkpoints").mkdir()
    mix = rng.standard_normal((responses.shape[1], 12))
    for k, step in enumerate(STEPS):
        layers = {}
        for layer in range(3):
            noise = rng.standard_normal((165, 12))
            layers[f"layer{layer}"] = (k + layer) / 8 * responses @ mix / 10 + noise
        np.savez(root / "checkpoints" / f"step_{step}.npz", **layers, __stimuli__=np.array(names))
    with open(root / "downstream.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "task", "score"])
        for model in ["spectemp", "mel", "mfcc", "ckpt", "not_in_study"]:
            for task in TASKS + ["other_task"]:
                w.writerow([model, task, round(rng.uniform(0.2, 0.9), 4)])
    return root, cache


def export(root, name, cache):
    run(["study", "export", root / f"{name}.toml", "--out", root / f"{name}-export"], cache)
    return root / f"{name}-export"


def store_counts(path):
    with sqlite3.connect(path) as db:
        units = db.execute("SELECT COUNT(*), COUNT(DISTINCT unit_key) FROM units").fetchone()
        rows = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        orphans = db.execute("SELECT COUNT(*) FROM results WHERE unit_key NOT IN "
                             "(SELECT unit_key FROM units)").fetchone()[0]
    return units, rows, version, orphans


N_UNITS = 3 * 5 + len(STEPS) * 5  # (components + voxelwise + 3 RSA ROIs) per checkpoint


@pytest.fixture(scope="module")
def plain(study):
    root, cache = study
    toml = write_study(root, "plain")
    p = run(["study", "run", toml], cache)
    assert f"{N_UNITS} units, 0 already stored, {N_UNITS} computed here" in p.stdout
    again = run(["study", "run", toml], cache)  # nothing is missing: nothing is computed
    assert f"{N_UNITS} already stored, 0 computed here" in again.stdout
    return export(root, "plain", cache)


def test_store_is_complete_and_versioned(study, plain):
    root, _ = study
    (n, distinct), rows, version, orphans = store_counts(root / "plain" / "results.sqlite")
    assert n == distinct == N_UNITS and orphans == 0 and version == "1"
    units = read_rows(plain / "units.csv")
    assert {u["model"] for u in units} == {"spectemp", "mel", "mfcc", "ckpt"}
    ckpt = [u for u in units if u["model"] == "ckpt"]
    assert {int(u["step"]) for u in ckpt} == set(STEPS)
    for u in ckpt:  # provenance: the SHA-256 of the checkpoint's feature file
        digest = hashlib.sha256((root / "checkpoints" / f"{u['checkpoint']}.npz").read_bytes()).hexdigest()
        assert u["features_sha256"] == digest and u["seed"] == "3"
    results = read_rows(plain / "results.csv")
    assert len(results) == rows
    comp = [r for r in results if r["dataset"] == "nh2015comp" and r["level"] == "component"]
    assert len(comp) == 6 * (3 + len(STEPS))
    layers = [r for r in results if r["model"] == "ckpt" and r["level"] == "layer"]
    assert len(layers) == 3 * len(STEPS) * 3  # layers x checkpoints x (whole, Primary, Posterior)
    data = json.loads((plain / "results.json").read_text())
    assert data["schema_version"] == 1 and len(data["units"]) == N_UNITS


def test_table1_matches_scipy(study, plain):
    results = read_rows(plain / "results.csv")
    down = read_rows(plain / "downstream.csv")
    models = ["ckpt", "mel", "mfcc", "spectemp"]
    scores = np.array([[float(next(d["score"] for d in down if d["model"] == m and d["task"] == t))
                        for t in TASKS] for m in models])
    overall = stats.zscore(scores, axis=0).mean(axis=1)
    got_overall = {r["model"]: float(r["overall"]) for r in read_rows(plain / "overall.csv")}
    assert [got_overall[m] for m in models] == pytest.approx(overall, abs=1e-12)
    last = f"step_{STEPS[-1]}"

    def metric(model, analysis, roi=""):
        return float(next(r["value"] for r in results if r["model"] == model and r["analysis"] == analysis
                          and r["roi"] == roi and r["level"] == "overall"
                          and r["checkpoint"] == (last if model == "ckpt" else "")))

    table = read_rows(plain / "table1.csv")
    for analysis, roi, name in [("components", "", "nh2015comp/components/pepino2025"),
                                ("voxelwise", "", "synthetic/voxelwise/pepino2025"),
                                ("rsa-layerwise", "Primary", "synthetic/rsa-layerwise/pepino2025/Primary")]:
        a = [metric(m, analysis, roi) for m in models]
        for perf, b in [("overall", overall)] + [(t, scores[:, i]) for i, t in enumerate(TASKS)]:
            cell = next(c for c in table if c["subset"] == "all" and c["metric"] == name and c["performance"] == perf)
            r, p = stats.pearsonr(a, b)
            assert float(cell["pearson_r"]) == pytest.approx(r, abs=1e-12)
            assert float(cell["p"]) == pytest.approx(p, rel=1e-8)
            assert float(cell["spearman_rho"]) == pytest.approx(stats.spearmanr(a, b)[0], abs=1e-12)
            assert float(cell["ci_low"]) <= float(cell["ci_high"])
            assert 0 < float(cell["permutation_p"]) <= 1 and float(cell["holm_p"]) >= float(cell["p"])
    subset = [c for c in table if c["subset"] == "overall>-1"]
    assert subset and all(int(c["n"]) == int(np.sum(overall > -1)) for c in subset
                          if c["metric"].startswith("nh2015comp"))


def test_dynamics_curves_are_smoothed_as_scipy(plain):
    rows = read_rows(plain / "dynamics.csv")
    curves = {}
    for r in rows:
        curves.setdefault((r["dataset"], r["analysis"], r["roi"], r["layer"]), []).append(r)
    assert ("synthetic", "rsa-layerwise", "Primary", "layer2") in curves
    assert ("nh2015comp", "components", "", "best") in curves
    for curve in curves.values():
        assert [int(r["step"]) for r in curve] == STEPS
        values = np.array([float(r["value"]) for r in curve])
        smoothed = np.array([float(r["smoothed"]) for r in curve])
        assert smoothed == pytest.approx(sps.savgol_filter(values, 5, 2, mode="interp"), abs=1e-10)


def test_kill_and_resume_gives_the_same_results(study, plain):
    root, cache = study
    toml = write_study(root, "resumed")
    rnd = random.Random(5)
    kills = 0
    for _ in range(4):
        p = subprocess.Popen([CLI, "study", "run", toml, "--quiet"], env=env(cache),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.3, 4.0))
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            kills += 1
        p.wait()
    assert kills > 0
    (n, distinct), _, _, orphans = store_counts(root / "resumed" / "results.sqlite")
    assert n == distinct and orphans == 0  # only whole units, never twice
    run(["study", "run", toml], cache)
    resumed = export(root, "resumed", cache)
    assert (resumed / "results.csv").read_text() == (plain / "results.csv").read_text()
    assert (resumed / "table1.csv").read_text() == (plain / "table1.csv").read_text()


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="OpenMPI is not installed")
def test_mpi_run_gives_the_same_results(study, plain):
    root, cache = study
    toml = write_study(root, "mpi")
    run(["study", "run", toml, "--quiet"], cache,
        prefix=("mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2"))
    mpi = export(root, "mpi", cache)
    assert {u["rank"] for u in read_rows(mpi / "units.csv")} == {"0", "1"}
    (n, distinct), _, _, _ = store_counts(root / "mpi" / "results.sqlite")
    assert n == distinct == N_UNITS
    assert (mpi / "results.csv").read_text() == (plain / "results.csv").read_text()
    assert (mpi / "table1.csv").read_text() == (plain / "table1.csv").read_text()


@pytest.mark.skipif(shutil.which("node") is None or not Path("/usr/bin/chromium").exists(),
                    reason="node or chromium is not installed")
def test_report_renders_in_a_headless_browser(study, plain):
    root, cache = study
    out = root / "report"
    run(["study", "report", root / "plain.toml", "--out", out], cache)
    for chart in ["bars", "components", "scatter", "heatmap", "dynamics"]:
        assert (out / "charts" / f"{chart}.vl.json").exists()
    p = subprocess.run(["node", Path(__file__).with_name("report_browser.js"), out / "index.html",
                        out / "report.png"], capture_output=True, text=True,
                       env=dict(os.environ, NODE_PATH=str(VENDOR)), timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    result = json.loads(p.stdout.strip().splitlines()[-1])
    assert result["console_errors"] == [] and result["failed"] == [] and result["requests"] == []
    assert result["rendered"] == result["total"] == 5
    assert all(n > 0 for n in result["svg_per_chart"].values())
    assert (out / "report.png").stat().st_size > 10000
