"""The synthetic studies of the report tests, and their reports as headless Chromium shows them.
A study here has voxel datasets from `brainalign synth` over the 165 natural sounds (their names,
the published folds, voxels in two ROIs), feature files whose layers mix the voxels' responses
with noise, and downstream scores; it is run, exported and reported, and the page is opened by
report_browser.js, which reads back what it shows."""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, NATSOUND, data_env, read_rows, run_cli  # noqa: E402

VENDOR = Path(CLI).resolve().parent / "report-vendor" / "node_modules"
ROIS = ["Primary", "Posterior"]
# What opening a report needs; without it the tests that read the page are skipped.
NO_BROWSER = (shutil.which("node") is None or not Path("/usr/bin/chromium").exists()
              or not (VENDOR / "playwright-core").exists())
NO_BROWSER_REASON = "node, chromium or playwright-core is not installed"


def stimulus_names():
    """The 165 natural sounds' names in the published folds' order."""
    return [r["stimulus"] for r in read_rows(NATSOUND / "folds_5x33.csv")]


def study_env(root):
    """The environment a study under `root` runs in: the shared data, its own cache, one thread
    per linear-algebra call."""
    return data_env(BRAINALIGN_CACHE=str(root / "cache"), OMP_NUM_THREADS="1")


def voxel_dataset(synth, dataset, names, env, layers, features, seed=None):
    """A voxel dataset at `dataset`: what `brainalign synth` writes to `synth` (165 stimuli, 60
    voxels of 3 subjects, reliabilities 0.5 to 0.9), its stimuli named `names` with the published
    folds, its voxels alternating between the two ROIs. Returns the responses averaged over
    repetitions (stimuli by voxels)."""
    run_cli(["synth", "--out", synth, "--stimuli", 165, "--voxels", 60, "--subjects", 3,
             "--layers", layers, "--features", features, "--min-reliability", 0.5,
             "--max-reliability", 0.9, *(["--seed", seed] if seed is not None else [])], env)
    shutil.copytree(synth / "dataset", dataset)
    (dataset / "stimuli.txt").write_text("\n".join(names) + "\n")
    (dataset / "folds.csv").unlink()  # the published folds of the 165 sounds apply
    voxels = read_rows(synth / "dataset" / "voxels.csv")
    with open(dataset / "voxels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["voxel_id", "subject", "roi"])
        for i, v in enumerate(voxels):
            w.writerow([v["voxel_id"], v["subject"], ROIS[i % 2]])
    return np.load(dataset / "responses.npy").mean(axis=2)


def feature_file(path, names, responses, mix, rng, weights):
    """A feature file of the stimuli `names`: layer name -> weight * responses @ mix / 10 plus
    standard normal noise, for each layer and weight of `weights` in its order."""
    layers = {layer: weight * responses @ mix / 10 + rng.standard_normal((len(names), mix.shape[1]))
              for layer, weight in weights.items()}
    np.savez(path, **layers, __stimuli__=np.array(names))


def downstream_scores(path, models, tasks, rng):
    """A downstream score file: a score between 0.2 and 0.9 for each model and task."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "task", "score"])
        for model in models:
            for task in tasks:
                w.writerow([model, task, round(rng.uniform(0.2, 0.9), 4)])


def run_and_export(root, env):
    """Runs root/study.toml and exports its results to root/export."""
    run_cli(["study", "run", root / "study.toml", "--quiet"], env)
    run_cli(["study", "export", root / "study.toml", "--out", root / "export"], env)


def open_report(root, env, keep=None):
    """Reports root/study.toml to root/report and opens the page in headless Chromium: every
    chart rendered, no console error, no network request. Returns the report folder and what
    report_browser.js read back. With `keep`, the report, a screenshot of the page and what it
    showed (shown.json) are copied there too."""
    out = root / "report"
    run_cli(["study", "report", root / "study.toml", "--out", out], env)
    p = subprocess.run(["node", Path(__file__).with_name("report_browser.js"), out / "index.html",
                        *([out / "report.png"] if keep else [])], capture_output=True, text=True,
                       env=dict(os.environ, NODE_PATH=str(VENDOR)), timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    result = json.loads(p.stdout.strip().splitlines()[-1])
    assert result["failed"] == [] and result["console_errors"] == [] and result["requests"] == []
    assert result["rendered"] == result["total"]
    if keep:
        shutil.copytree(out, keep, dirs_exist_ok=True)
        Path(keep, "shown.json").write_text(json.dumps(result))
    return out, result
