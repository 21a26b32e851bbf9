"""End-to-end: a mini-study of registry models, a checkpoint series and downstream scores over
the real NH2015 components and a synthetic voxel dataset; run plainly, killed (kill -9) and
resumed, and under mpirun: the same results each time; then the analyses and the report. A
second mini-study computes two small synthetic HEAR tasks (tones whose pitch class a probe
learns) itself: its task scores equal `brainalign downstream`'s, and survive kill -9 and
mpirun unchanged."""
import csv
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import signal as sps
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from hear_tasks import write_hear_task  # noqa: E402
from cli_runner import CLI, NATSOUND, data_env, read_rows, run_cli  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import downstream_reference  # noqa: E402

# playwright-core for the browser test (npm vendors it into the build folder, with the chart
# libraries that the build bundles into the binary).
VENDOR = Path(CLI).resolve().parent / "report-vendor" / "node_modules"
TASKS = ["esc50", "fsd50k", "crema_d"]
STEPS = [0, 1000, 2000, 3000, 4000, 5000]


def env(cache):
    return data_env(BRAINALIGN_CACHE=str(cache), OMPI_ALLOW_RUN_AS_ROOT="1",
                    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                    OMPI_MCA_btl_vader_single_copy_mechanism="none", OMP_NUM_THREADS="1")


def run(args, cache, expect=0, prefix=()):
    return run_cli(args, env(cache), expect, prefix)


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
    # Renamed sounds: the synthetic folds (of the old names) go; the published ones apply.
    (root / "synthetic" / "dataset" / "folds.csv").unlink()
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


def stored_units(path):
    """Units in a store another process may be writing; 0 before it exists or while locked."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1) as db:
            return db.execute("SELECT COUNT(*) FROM units").fetchone()[0]
    except sqlite3.Error:
        return 0


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


def content_digest(npz):
    """SHA-256 of a feature set's stimulus names and each layer's name, shape and float64 values
    (not of the file, whose zip headers hold write times)."""
    z = np.load(npz)
    stimuli = [str(s) for s in z["__stimuli__"]] if "__stimuli__" in z.files else []
    h = hashlib.sha256(f"stimuli {len(stimuli)}\n".encode())
    for s in stimuli:
        h.update(f"{s}\n".encode())
    for name in (n for n in z.files if n != "__stimuli__"):
        values = np.ascontiguousarray(z[name], dtype="<f8")
        h.update(f"layer {name} {values.shape[0]}x{values.shape[1]}\n".encode())
        h.update(values.tobytes())
    return h.hexdigest()


def test_store_is_complete_and_versioned(study, plain):
    root, _ = study
    (n, distinct), rows, version, orphans = store_counts(root / "plain" / "results.sqlite")
    assert n == distinct == N_UNITS and orphans == 0 and version == "2"
    units = read_rows(plain / "units.csv")
    assert {u["model"] for u in units} == {"spectemp", "mel", "mfcc", "ckpt"}
    ckpt = [u for u in units if u["model"] == "ckpt"]
    assert {int(u["step"]) for u in ckpt} == set(STEPS)
    for u in ckpt:  # provenance: the SHA-256 of the checkpoint's features' content
        digest = content_digest(root / "checkpoints" / f"{u['checkpoint']}.npz")
        assert u["features_sha256"] == digest and u["seed"] == "3"
    results = read_rows(plain / "results.csv")
    assert len(results) == rows
    comp = [r for r in results if r["dataset"] == "nh2015comp" and r["level"] == "component"]
    assert len(comp) == 6 * (3 + len(STEPS))
    layers = [r for r in results if r["model"] == "ckpt" and r["level"] == "layer"]
    assert len(layers) == 3 * len(STEPS) * 3  # layers x checkpoints x (whole, Primary, Posterior)
    data = json.loads((plain / "results.json").read_text())
    assert data["schema_version"] == 2 and len(data["units"]) == N_UNITS
    assert data["task_units"] == []


def published_overall(down, tasks):
    """The 2025 code's overall score of every model in downstream.csv (z-scores per task over
    the models that have it, ddof 1; each model's mean of the z-scores it has)."""
    models = sorted({d["model"] for d in down})
    table = np.array([[float(next((d["score"] for d in down if d["model"] == m and d["task"] == t), "nan"))
                       for t in tasks] for m in models])
    return dict(zip(models, downstream_reference.overall_scores(table)))


def test_table1_matches_scipy(study, plain):
    results = read_rows(plain / "results.csv")
    down = read_rows(plain / "downstream.csv")
    models = ["ckpt", "mel", "mfcc", "spectemp"]
    scores = np.array([[float(next(d["score"] for d in down if d["model"] == m and d["task"] == t))
                        for t in TASKS] for m in models])
    overall = published_overall(down, TASKS)
    overall = np.array([overall[m] for m in models])
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
    store = root / "resumed" / "results.sqlite"
    rnd = random.Random(5)
    kills = 0
    for _ in range(4):
        # Killed once the store holds a few more units than before, wherever the run then is:
        # the run's speed on this machine does not decide whether it is interrupted.
        before = stored_units(store)
        target = before + rnd.randint(1, 4)
        p = subprocess.Popen([CLI, "study", "run", toml, "--quiet"], env=env(cache),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while p.poll() is None and stored_units(store) < target and time.monotonic() < deadline:
            time.sleep(0.005)
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


@pytest.mark.skipif(shutil.which("node") is None or not Path("/usr/bin/chromium").exists()
                    or not (VENDOR / "playwright-core").exists(),
                    reason="node, chromium or playwright-core is not installed")
def test_report_renders_in_a_headless_browser(study, plain):
    root, cache = study
    out = root / "report"
    # The chart libraries are in the binary: nothing points it at the build folder's npm files
    # (a folder that does not exist instead), and their path is nowhere in the binary.
    assert b"report-vendor/node_modules" not in Path(CLI).read_bytes()
    p = subprocess.run([CLI, "study", "report", root / "plain.toml", "--out", out],
                       capture_output=True, text=True, cwd=root,
                       env=dict(env(cache), BRAINALIGN_VEGA_DIR=str(root / "nowhere")))
    assert p.returncode == 0, p.stderr
    for chart in ["bars", "components", "scatter", "heatmap", "dynamics"]:
        assert (out / "charts" / f"{chart}.vl.json").exists()
    page = (out / "index.html").read_text()
    for package in ["vega", "vega-lite", "vega-embed"]:  # versions and licences recorded
        manifest = json.loads((VENDOR / package / "package.json").read_text())
        assert manifest["license"] == "BSD-3-Clause"
        assert f"/*! {package} {manifest['version']} | BSD-3-Clause */" in page
        assert f'<details id="license-{package}">' in page
    assert page.count("Redistribution and use in source and binary forms") >= 3
    p = subprocess.run(["node", Path(__file__).with_name("report_browser.js"), out / "index.html",
                        out / "report.png"], capture_output=True, text=True,
                       env=dict(os.environ, NODE_PATH=str(VENDOR)), timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    result = json.loads(p.stdout.strip().splitlines()[-1])
    assert result["console_errors"] == [] and result["failed"] == [] and result["requests"] == []
    # The five charts of every report, and the paper's figures this study has the results for.
    assert result["rendered"] == result["total"] >= 5
    assert all(n > 0 for n in result["svg_per_chart"].values())
    assert (out / "report.png").stat().st_size > 10000


# A mini-study that computes its downstream tasks: two HEAR tasks in the hear-preprocess layout
# (k-fold and train/valid/test) of harmonic tones, three pitch classes; registry models run over
# their clips, probes capped at a few epochs (max_epochs, for quick checks only).
TASK_MODELS = ["mel", "mfcc", "cochleagram"]
TASK_EPOCHS = 3


def write_task_study(root, name):
    models = "".join(f'[[models]]\nname = "{m}"\n' for m in TASK_MODELS)
    (root / f"{name}.toml").write_text(f"""
[study]
name = "{name}"
output = "{name}"
seed = 3
threads = 1
{models}
[[models]]
name = "ckpt"
kind = "checkpoints"
features = "checkpoints/step_*.npz"
[[datasets]]
name = "synthetic"
source = "synthetic/dataset"
[[analyses]]
analysis = "voxelwise"

[downstream]
scores = "task-downstream.csv"
max_epochs = {TASK_EPOCHS}   # quick checks only: caps the probes' training
[[tasks]]
path = "tasks/pitch-kfold"
[[tasks]]
name = "pitch_tvt"
path = "tasks/pitch-tvt"
protocol = "hear2021"
[[tasks]]
name = "esc50"

[alignment_vs_performance]
bootstrap = 100
permutations = 100
""")
    return root / f"{name}.toml"


N_TASK_UNITS = len(TASK_MODELS) * 2
N_TASK_STUDY_UNITS = len(TASK_MODELS) + len(STEPS) + N_TASK_UNITS


def task_rows(path):
    """The task units' identity, score and provenance, without timings and ranks."""
    keep = ["unit", "model", "checkpoint", "task", "protocol", "metric", "score", "seed",
            "model_id", "task_sha256", "brainalign_version"]
    return [{k: r[k] for k in keep} for r in read_rows(path)]


@pytest.fixture(scope="module")
def task_study(study):
    root, cache = study
    rng = np.random.default_rng(11)
    write_hear_task(root / "tasks" / "pitch-kfold", "pitch_kfold", True, rng)
    write_hear_task(root / "tasks" / "pitch-tvt", "pitch_tvt", False, rng)
    with open(root / "task-downstream.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "task", "score"])
        for model in TASK_MODELS + ["ckpt"]:
            w.writerow([model, "esc50", round(rng.uniform(0.2, 0.9), 4)])
        w.writerow(["mel", "pitch-kfold", 0.01])  # a computed task: CSV rows are ignored
    toml = write_task_study(root, "tasks")
    if "downstream" not in run(["--help"], cache).stdout:  # a build without libtorch
        p = run(["study", "run", toml], cache, expect=2)
        assert "task 'pitch-kfold'" in p.stderr and "without libtorch" in p.stderr
        pytest.skip("this brainalign has no probes (built without libtorch)")
    p = run(["study", "run", toml], cache)
    n = N_TASK_STUDY_UNITS
    assert f"{n} units, 0 already stored, {n} computed here" in p.stdout
    assert f"{n} already stored, 0 computed here" in run(["study", "run", toml], cache).stdout
    return root, cache, export(root, "tasks", cache)


def test_task_units_score_as_brainalign_downstream(task_study):
    root, cache, exported = task_study
    units = task_rows(exported / "task_units.csv")
    assert len(units) == N_TASK_UNITS
    assert {u["model"] for u in units} == set(TASK_MODELS)  # feature files have no task units
    for model in TASK_MODELS:
        for folder, name, protocol in [("pitch-kfold", "pitch-kfold", "pepino2025"),
                                       ("pitch-tvt", "pitch_tvt", "hear2021")]:
            out = root / "downstream-cli" / model / protocol
            run(["downstream", "--model", model, "--task", root / "tasks" / folder, "--seed", 3,
                 "--max-epochs", TASK_EPOCHS, "--protocol", protocol, "--threads", 2,
                 "--out", out, "--quiet"], cache)
            summary = json.loads((out / ("pitch_kfold" if folder == "pitch-kfold" else "pitch_tvt")
                                  / "summary.json").read_text())
            unit = next(u for u in units if u["model"] == model and u["task"] == name)
            assert unit["protocol"] == protocol and unit["seed"] == "3"
            assert float(unit["score"]) == summary["score"], (model, name)
            assert unit["metric"] == summary["metric"] == "top1_acc"
    with sqlite3.connect(root / "tasks" / "results.sqlite") as db:
        stored = dict(db.execute("SELECT unit_key, summary_json FROM task_units").fetchall())
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert version == "2" and len(stored) == N_TASK_UNITS
    mel = json.loads(stored["mel||pitch-kfold|pepino2025"])
    assert mel["score"] > 0.5 and len(mel["folds"]) == 3  # chance: 1/3
    assert all(f["epochs"] <= TASK_EPOCHS for f in mel["folds"])


def test_computed_and_csv_scores_make_the_overall_score(task_study):
    _, _, exported = task_study
    down = read_rows(exported / "downstream.csv")
    computed = {d["task"] for d in down if d["source"].startswith("computed: ")}
    assert computed == {"pitch-kfold", "pitch_tvt"}
    tasks = ["pitch-kfold", "pitch_tvt", "esc50"]
    expected = published_overall(down, tasks)
    rows = read_rows(exported / "overall.csv")
    # ckpt has no computed scores, only its esc50 row: as the 2025 code, its overall score is
    # the one z-score it has.
    models = sorted(TASK_MODELS + ["ckpt"])
    assert [r["model"] for r in rows] == models
    overall = [expected[m] for m in models]
    assert [float(r["overall"]) for r in rows] == pytest.approx(overall, abs=1e-12)
    esc50 = {d["model"]: float(d["score"]) for d in down if d["task"] == "esc50"}
    assert expected["ckpt"] == pytest.approx(
        (esc50["ckpt"] - np.mean(list(esc50.values()))) / np.std(list(esc50.values()), ddof=1), abs=1e-12)
    results = read_rows(exported / "results.csv")
    last = f"step_{STEPS[-1]}"
    a = [float(next(r["value"] for r in results if r["model"] == m and r["level"] == "overall"
                    and r["checkpoint"] == (last if m == "ckpt" else "")))
         for m in models]
    cell = next(c for c in read_rows(exported / "table1.csv")
                if c["subset"] == "all" and c["performance"] == "overall")
    assert float(cell["pearson_r"]) == pytest.approx(stats.pearsonr(a, overall)[0], abs=1e-12)


def stored_task_units(store):
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM task_units").fetchone()[0]
    except sqlite3.OperationalError:  # not made yet
        return 0


def test_task_study_killed_and_resumed_gives_the_same_store(task_study):
    root, cache, plain_export = task_study
    toml = write_task_study(root, "tasks-resumed")
    store = root / "tasks-resumed" / "results.sqlite"
    # First killed as soon as a task unit is stored (in the middle of the task units), then at
    # random moments.
    p = subprocess.Popen([CLI, "study", "run", toml, "--quiet"], env=env(cache),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while p.poll() is None and stored_task_units(store) == 0:
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert 0 < stored_task_units(store) < N_TASK_UNITS
    rnd = random.Random(8)
    for _ in range(2):
        p = subprocess.Popen([CLI, "study", "run", toml, "--quiet"], env=env(cache),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.2, 2.0))
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
    with sqlite3.connect(store) as db:
        n, distinct = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT unit_key) FROM task_units").fetchone()
    assert n == distinct  # whole units only, never twice
    run(["study", "run", toml], cache)
    resumed = export(root, "tasks-resumed", cache)
    assert task_rows(resumed / "task_units.csv") == task_rows(plain_export / "task_units.csv")
    for table in ["results.csv", "table1.csv", "overall.csv", "downstream.csv"]:
        assert (resumed / table).read_text() == (plain_export / table).read_text()


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="OpenMPI is not installed")
def test_task_study_under_mpirun_gives_the_same_numbers(task_study):
    root, cache, plain_export = task_study
    toml = write_task_study(root, "tasks-mpi")
    run(["study", "run", toml, "--quiet"], cache,
        prefix=("mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2"))
    mpi = export(root, "tasks-mpi", cache)
    assert {u["rank"] for u in read_rows(mpi / "task_units.csv")} == {"0", "1"}
    assert task_rows(mpi / "task_units.csv") == task_rows(plain_export / "task_units.csv")
    for table in ["results.csv", "table1.csv", "overall.csv", "downstream.csv"]:
        assert (mpi / table).read_text() == (plain_export / table).read_text()


def test_a_failing_unit_leaves_the_others_stored_and_sets_the_exit_status(tmp_path):
    """One model name is misspelled: its unit fails (recorded, named on stderr), the other
    units are computed, and the run exits 2; a study nothing of which can run leaves no store."""
    (tmp_path / "partial.toml").write_text(f"""
[study]
name = "partial"
threads = 1
[[models]]
name = "mel"
[[models]]
name = "typo"
model = "mell"
[[datasets]]
name = "nh2015comp"
stimuli = "{NATSOUND / 'wav'}"
[[analyses]]
analysis = "components"
""")
    cache = tmp_path / "cache"
    p = run(["study", "run", tmp_path / "partial.toml", "--quiet"], cache, expect=2)
    assert "unit typo||nh2015comp|components|pepino2025| failed" in p.stderr
    assert "'mell'" in p.stderr
    with sqlite3.connect(tmp_path / "partial" / "results.sqlite") as db:
        assert [r[0] for r in db.execute("SELECT model FROM units")] == ["mel"]
        assert [r[0] for r in db.execute("SELECT unit_key FROM failures")] == [
            "typo||nh2015comp|components|pepino2025|"]
    (tmp_path / "none.toml").write_text(
        (tmp_path / "partial.toml").read_text().replace('name = "mel"\n', 'name = "x"\nmodel = "y"\n')
        .replace('name = "partial"', 'name = "none"'))
    run(["study", "run", tmp_path / "none.toml", "--quiet"], cache, expect=2)
    assert not (tmp_path / "none").exists()
