"""End-to-end: a study of neural models from their files: a tiny wav2vec2 (the golden
weights) and a checkpoint series of it (the golden weights perturbed more at each step),
beside a fixed front end, over a synthetic voxel dataset on real sounds. The stored scores
equal `brainalign extract` + `brainalign score` on the same inputs, the series gives a curve
per layer, and a rerun computes nothing."""
import csv
import json
import os
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import NATSOUND, SHARED, read_rows, run_cli as run  # noqa: E402

GOLDEN = SHARED / "golden" / "wav2vec2_base_like"
STEPS = [100, 200, 300]
N_SOUNDS = 20
pytestmark = pytest.mark.skipif(not GOLDEN.is_dir() or not (NATSOUND / "wav").is_dir(),
                                reason=f"no golden models or sounds under {SHARED}")


def perturbed_copy(source, target, scale, rng):
    """The model folder with every float32 tensor moved by noise of relative size `scale`
    (safetensors: u64 header length, JSON header, raw little-endian data)."""
    shutil.copytree(source, target)
    blob = bytearray((source / "model.safetensors").read_bytes())
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = (base + o for o in info["data_offsets"])
        values = np.frombuffer(bytes(blob[start:end]), dtype="<f4")
        noisy = values + scale * values.std() * rng.standard_normal(values.shape)
        blob[start:end] = noisy.astype("<f4").tobytes()
    (target / "model.safetensors").write_bytes(bytes(blob))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("neural-study")
    env = dict(os.environ, BRAINALIGN_CACHE=str(root / "cache"), OMP_NUM_THREADS="1")
    env.pop("BRAINALIGN_DATA", None)
    wavs = sorted((NATSOUND / "wav").glob("*.wav"))[:N_SOUNDS]
    (root / "sounds").mkdir()
    for wav in wavs:
        shutil.copyfile(wav, root / "sounds" / wav.name)
    names = [w.stem for w in wavs]
    run(["synth", "--out", root / "syn", "--stimuli", N_SOUNDS, "--voxels", 40, "--subjects", 2,
         "--layers", 2, "--features", 8, "--min-reliability", 0.5, "--max-reliability", 0.9],
        env)
    dataset = root / "dataset"
    shutil.copytree(root / "syn" / "dataset", dataset)
    (dataset / "stimuli.txt").write_text("\n".join(names) + "\n")
    (dataset / "folds.csv").unlink()  # of the old names; the study gives its own
    with open(root / "folds.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["stimulus", "fold"])
        for i, name in enumerate(names):
            w.writerow([name, i % 5])
    rng = np.random.default_rng(7)
    for k, step in enumerate(STEPS):
        perturbed_copy(GOLDEN, root / "ckpts" / f"step_{step}", 0.05 * (k + 1), rng)
    (root / "study.toml").write_text(f"""
[study]
name = "neural"
output = "out"
seed = 1
threads = 1

[[models]]
name = "mel"
[[models]]
name = "w2v"
model = "hf:{GOLDEN}"
[[models]]
name = "w2v-run"
kind = "checkpoints"
model = "hf:ckpts/step_*"

[[datasets]]
name = "synthetic"
source = "dataset"
stimuli = "sounds"
folds = "folds.csv"

[[analyses]]
analysis = "voxelwise"
[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
""")
    first = run(["study", "run", root / "study.toml", "--quiet"], env)
    second = run(["study", "run", root / "study.toml", "--quiet"], env)
    run(["study", "export", root / "study.toml"], env)
    return root, env, first.stdout, second.stdout


def test_every_model_and_checkpoint_is_scored_once(study):
    root, _, first, second = study
    units = 2 * (2 + len(STEPS))  # (mel, w2v, three checkpoints) x two analyses
    assert f"{units} units, 0 already stored, {units} computed here" in first
    assert f"{units} units, {units} already stored, 0 computed here" in second
    stored = read_rows(root / "out" / "export" / "units.csv")
    assert sorted({(u["model"], u["checkpoint"]) for u in stored}) == sorted(
        [("mel", ""), ("w2v", "")] + [("w2v-run", f"step_{s}") for s in STEPS])


def test_stored_scores_equal_extract_then_score(study):
    root, env, _, _ = study
    run(["extract", "--model", f"hf:{GOLDEN}", "--stimuli", root / "sounds",
         "--out", root / "w2v.npz", "--quiet"], env)
    run(["score", "--features", root / "w2v.npz", "--dataset", root / "dataset",
         "--analysis", "voxelwise", "--folds", root / "folds.csv", "--quiet",
         "--out", root / "direct"], env)
    direct = json.loads((root / "direct" / "summary.json").read_text())
    rows = [r for r in read_rows(root / "out" / "export" / "results.csv")
            if r["model"] == "w2v" and r["analysis"] == "voxelwise" and r["level"] == "overall"]
    assert len(rows) == 1
    assert float(rows[0]["value"]) == pytest.approx(direct["value"], rel=1e-12, abs=1e-12)


def test_checkpoint_series_gives_a_curve_per_layer(study):
    root, _, _, _ = study
    rows = [r for r in read_rows(root / "out" / "export" / "dynamics.csv")
            if r["model"] == "w2v-run" and r["analysis"] == "rsa-layerwise"]
    layers = {r["layer"] for r in rows}
    assert {"embedding", "encoder.1"} <= layers
    for layer in layers:
        curve = sorted((int(r["step"]), float(r["value"])) for r in rows if r["layer"] == layer)
        assert [s for s, _ in curve] == STEPS
    values = {layer: [float(r["value"]) for r in rows if r["layer"] == layer] for layer in layers}
    assert any(len(set(v)) > 1 for v in values.values()), "the checkpoints differ"
