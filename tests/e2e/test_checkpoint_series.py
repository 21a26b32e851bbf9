"""Checkpoint series and training checkpoints: PyTorch Lightning .ckpt files (written here by
torch.save with what Lightning keeps beside the weights: optimizer and scheduler state,
callbacks, hyper-parameters holding Python objects) loaded into the architecture of a released
EnCodecMAE checkpoint (the golden tiny model), as `--weights` and as the series
`encodecmae:mel256-ec-base-pretraining@STEP`, listed and fetched from a loopback mirror that
serves a Hugging Face tree listing."""
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from range_server import RangeServer  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, SHARED, run_cli  # noqa: E402

torch = pytest.importorskip("torch")

GOLDEN = SHARED / "golden"
SOUNDS = SHARED / "data" / "natsound165" / "wav"
SERIES = "encodecmae:mel256-ec-base-pretraining"
HF_FOLDER = "full_exps/base_models/mel256-ec-base/pretrain_checkpoints/finegrained"
# Steps whose text order (0, 1000, 500) is not their number order.
STEPS = {"epoch=0-step=0.ckpt": "0", "epoch=0-step=500.ckpt": "500",
         "epoch=1-step=1000.ckpt": "1000"}


def has_families():
    p = subprocess.run([CLI, "extract", "--help"], capture_output=True, text=True)
    return "encodecmae:PATH" in p.stdout


pytestmark = pytest.mark.skipif(not has_families(), reason="brainalign built without libtorch")


class TrainingCallback:
    """Stands for the objects a training run pickles (callbacks, configured classes)."""

    def __init__(self, patience):
        self.patience = patience


def golden():
    return torch.load(GOLDEN / "encodecmae_like" / "model.pt")


def perturbed(state, seed):
    """Other weights of the same architecture; a tensor the model shares between modules (one
    storage under several keys) stays shared."""
    generator = torch.Generator().manual_seed(seed)
    new = {}
    out = OrderedDict()
    for k, v in state.items():
        if v.data_ptr() not in new:
            new[v.data_ptr()] = (v + 0.05 * torch.randn(v.shape, generator=generator, dtype=v.dtype)
                                 if v.is_floating_point() else v.clone())
        out[k] = new[v.data_ptr()]
    return out


def lightning_checkpoint(path, state, step):
    """What PyTorch Lightning saves: the module's state_dict among training state."""
    params = [p for p in state.values() if p.is_floating_point()][:2]
    torch.save({
        "epoch": step // 1000, "global_step": step, "pytorch-lightning_version": "1.9.4",
        "state_dict": state,
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 1}}}},
        "callbacks": {"ModelCheckpoint{'every_n_train_steps': 500}": {
            "best_model_score": torch.tensor(0.25), "dirpath": "ckpts", "best_k_models": {}},
            "EarlyStopping": TrainingCallback(patience=3)},
        "optimizer_states": [{"state": {i: {"step": torch.tensor(float(step)),
                                            "exp_avg": torch.zeros_like(p)}
                                        for i, p in enumerate(params)},
                              "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.95),
                                                "weight_decay": 0.05, "params": [0, 1],
                                                "foreach": None}]}],
        "lr_schedulers": [{"base_lrs": [1e-4], "last_epoch": step, "lr_lambdas": [None]}],
        "hparams_name": "kwargs",
        "hyper_parameters": {"optimizer": functools.partial(torch.optim.AdamW, lr=1e-4),
                             "dtype": torch.float32, "tags": {"mae", "mel"}},
    }, path)


def wav_folder(tmp_path):
    folder = tmp_path / "wav"
    folder.mkdir()
    for name in ("stim5_alarm_clock", "stim103_crying"):
        shutil.copyfile(SOUNDS / f"{name}.wav", folder / f"{name}.wav")
    return folder


def extract(tmp_path, model, out, env=None, extra=(), expect=0):
    return run_cli(["extract", "--model", model, "--stimuli", tmp_path / "wav", "--out",
                    tmp_path / out, "--no-cache", "--quiet", *extra], env=env, expect=expect)


def same(a, b):
    a, b = np.load(a), np.load(b)
    return a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)


def cache_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRAINALIGN_DATA", "BRAINALIGN_MIRROR", "BRAINALIGN_CACHE",
                        "BRAINALIGN_MODELS")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env, tmp_path / "cache" / "brainalign" / "models"


def mirror_with_series(tmp_path, states):
    """<mirror>/models/...: the architecture's released file, the series' Hugging Face tree
    listing (with each file's LFS SHA-256) and its Lightning checkpoints."""
    mirror = tmp_path / "mirror"
    arch = mirror / "models" / "encodecmae" / "mel256-ec-base" / "mel256-ec-base.pt"
    arch.parent.mkdir(parents=True)
    shutil.copyfile(GOLDEN / "encodecmae_like" / "model.pt", arch)
    folder = mirror / "models" / "encodecmae" / "mel256-ec-base-pretraining"
    folder.mkdir(parents=True)
    listing = [{"type": "directory", "path": f"{HF_FOLDER}/old", "oid": "0" * 40, "size": 0},
               {"type": "file", "path": f"{HF_FOLDER}/README.md", "oid": "1" * 40, "size": 3}]
    for name, step in STEPS.items():
        lightning_checkpoint(folder / name, states[step], int(step))
        data = (folder / name).read_bytes()
        listing.append({"type": "file", "path": f"{HF_FOLDER}/{name}", "oid": "2" * 40,
                        "size": len(data), "lfs": {"oid": hashlib.sha256(data).hexdigest(),
                                                   "size": len(data), "pointerSize": 134}})
    (folder / "listing.json").write_text(json.dumps(listing))
    return mirror


def test_lightning_checkpoint_as_weights_of_a_released_architecture(tmp_path):
    wav_folder(tmp_path)
    release = golden()
    arch = GOLDEN / "encodecmae_like" / "model.pt"
    # The golden weights inside a Lightning checkpoint give exactly the golden model's layers.
    lightning_checkpoint(tmp_path / "same.ckpt", release["state_dict"], 1000)
    extract(tmp_path, f"encodecmae:{arch}", "golden.npz")
    extract(tmp_path, f"encodecmae:{arch}", "same.npz", extra=["--weights", tmp_path / "same.ckpt"])
    assert same(tmp_path / "golden.npz", tmp_path / "same.npz")
    # Other weights: the layers of a released-format file holding those weights, and not the
    # golden ones.
    other = perturbed(release["state_dict"], seed=1)
    lightning_checkpoint(tmp_path / "other.ckpt", other, 500)
    torch.save({"imports": release["imports"], "config": release["config"], "state_dict": other},
               tmp_path / "other.pt")
    extract(tmp_path, f"encodecmae:{arch}", "other.npz", extra=["--weights", tmp_path / "other.ckpt"])
    extract(tmp_path, f"encodecmae:{tmp_path / 'other.pt'}", "other_release.npz")
    assert same(tmp_path / "other.npz", tmp_path / "other_release.npz")
    assert not same(tmp_path / "other.npz", tmp_path / "golden.npz")
    # A bare state_dict is taken too.
    torch.save(other, tmp_path / "state.pt")
    extract(tmp_path, f"encodecmae:{arch}", "state.npz", extra=["--weights", tmp_path / "state.pt"])
    assert same(tmp_path / "state.npz", tmp_path / "other.npz")


def test_weights_that_do_not_fit_are_refused_naming_the_tensor(tmp_path):
    wav_folder(tmp_path)
    arch = GOLDEN / "encodecmae_like" / "model.pt"
    state = golden()["state_dict"]
    # A checkpoint of another family.
    beats = torch.load(GOLDEN / "beats_like" / "model.pt")["model"]
    lightning_checkpoint(tmp_path / "beats.ckpt", beats, 0)
    p = extract(tmp_path, f"encodecmae:{arch}", "x.npz", expect=2,
                extra=["--weights", tmp_path / "beats.ckpt"])
    assert "beats.ckpt" in p.stderr and "unexpected key" in p.stderr
    # A tensor missing, a shape changed.
    missing = OrderedDict(state)
    missing.pop("visible_encoder.final_norm.weight")
    lightning_checkpoint(tmp_path / "missing.ckpt", missing, 0)
    p = extract(tmp_path, f"encodecmae:{arch}", "x.npz", expect=2,
                extra=["--weights", tmp_path / "missing.ckpt"])
    assert "misses 'visible_encoder.final_norm.weight'" in p.stderr
    grown = OrderedDict(state)
    grown["visible_encoder.final_norm.weight"] = torch.zeros(65)
    lightning_checkpoint(tmp_path / "grown.ckpt", grown, 0)
    p = extract(tmp_path, f"encodecmae:{arch}", "x.npz", expect=2,
                extra=["--weights", tmp_path / "grown.ckpt"])
    assert "'visible_encoder.final_norm.weight' has shape [65]" in p.stderr
    # Families that take no weights file say which do.
    p = extract(tmp_path, f"beats:{GOLDEN / 'beats_like' / 'model.pt'}", "x.npz", expect=2,
                extra=["--weights", tmp_path / "missing.ckpt"])
    assert "takes no weights file" in p.stderr and "encodecmae:" in p.stderr
    assert not (tmp_path / "x.npz").exists()


def test_series_is_listed_fetched_and_run_by_step(tmp_path):
    wav_folder(tmp_path)
    release = golden()
    states = {"0": perturbed(release["state_dict"], seed=2),
              "500": perturbed(release["state_dict"], seed=3),
              "1000": release["state_dict"]}
    mirror = mirror_with_series(tmp_path, states)
    env, root = cache_env(tmp_path)
    described = json.loads(run_cli(["models", "--series", "--json"], env=env).stdout)
    entry = next(s for s in described if s["name"] == SERIES)
    assert entry["listed"] is False and entry["checkpoints"] is None
    assert entry["architecture"] == "encodecmae:mel256-ec-base"
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        # One checkpoint by name: the listing, the architecture and that checkpoint only.
        extract(tmp_path, f"{SERIES}@1000", "step1000.npz", env=env)
        fetched = {path for path, _ in server.requests if path != "HEAD"}
        assert fetched == {"/models/encodecmae/mel256-ec-base-pretraining/listing.json",
                           "/models/encodecmae/mel256-ec-base/mel256-ec-base.pt",
                           "/models/encodecmae/mel256-ec-base-pretraining/epoch=1-step=1000.ckpt"}
        p = run_cli(["fetch", SERIES, "--yes"], env=env)
        assert "3 checkpoints ready" in p.stdout
    described = json.loads(run_cli(["models", "--series", "--json"], env=env).stdout)
    entry = next(s for s in described if s["name"] == SERIES)
    assert [c["step"] for c in entry["checkpoints"]] == ["0", "500", "1000"]
    assert all(c["fetched"] for c in entry["checkpoints"])
    for c in entry["checkpoints"]:
        data = (root / "encodecmae" / "mel256-ec-base-pretraining" / c["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == c["sha256"]
    assert "3 checkpoints, steps 0..1000" in run_cli(["models"], env=env).stdout
    # Offline from now on: each step is its weights in the released architecture.
    env.pop("BRAINALIGN_MIRROR")
    extract(tmp_path, f"{SERIES}@0", "step0.npz", env=env)
    arch = root / "encodecmae" / "mel256-ec-base" / "mel256-ec-base.pt"
    step0 = root / "encodecmae" / "mel256-ec-base-pretraining" / "epoch=0-step=0.ckpt"
    extract(tmp_path, f"encodecmae:{arch}", "weights0.npz", env=env, extra=["--weights", step0])
    assert same(tmp_path / "step0.npz", tmp_path / "weights0.npz")
    extract(tmp_path, f"encodecmae:{GOLDEN / 'encodecmae_like' / 'model.pt'}", "golden.npz", env=env)
    assert same(tmp_path / "step1000.npz", tmp_path / "golden.npz")
    assert not same(tmp_path / "step0.npz", tmp_path / "golden.npz")
    # A step the series does not have: the nearest listed ones, exit 2, nothing written.
    p = extract(tmp_path, f"{SERIES}@750", "x.npz", env=env, expect=2)
    assert "no checkpoint of step 750" in p.stderr and "nearest: 500, 1000" in p.stderr
    assert not (tmp_path / "x.npz").exists()


def test_a_checkpoint_that_differs_from_its_listed_checksum_is_refused(tmp_path):
    wav_folder(tmp_path)
    release = golden()
    mirror = mirror_with_series(tmp_path, {s: release["state_dict"] for s in STEPS.values()})
    served = mirror / "models" / "encodecmae" / "mel256-ec-base-pretraining" / "epoch=0-step=500.ckpt"
    served.write_bytes(served.read_bytes()[:-10] + b"0123456789")
    env, root = cache_env(tmp_path)
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run_cli(["fetch", f"{SERIES}@500"], env=env, expect=3)
    assert "checksum" in p.stderr.lower() or "sha256" in p.stderr.lower()
    folder = root / "encodecmae" / "mel256-ec-base-pretraining"
    assert not (folder / "epoch=0-step=500.ckpt").exists() and not list(root.rglob("*.part"))
    assert (folder / "listing.json").exists()  # the listing itself was good and is kept


def test_study_of_a_registered_series(tmp_path):
    """A study names the series (two of its steps): `study plan` says offline what is still to
    list and fetch; `study run` lists and fetches what it needs, scores each step as a model
    and draws its dynamics; a step the series lacks is a bad study file."""
    release = golden()
    states = {"0": perturbed(release["state_dict"], seed=4),
              "500": perturbed(release["state_dict"], seed=5),
              "1000": release["state_dict"]}
    mirror = mirror_with_series(tmp_path, states)
    env, root = cache_env(tmp_path)
    env["BRAINALIGN_CACHE"] = str(tmp_path / "features")
    wavs = sorted((SOUNDS).glob("*.wav"))[:12]
    (tmp_path / "sounds").mkdir()
    for wav in wavs:
        shutil.copyfile(wav, tmp_path / "sounds" / wav.name)
    run_cli(["synth", "--out", tmp_path / "syn", "--stimuli", len(wavs), "--voxels", 30,
             "--subjects", 2, "--layers", 2, "--features", 8], env=env)
    dataset = tmp_path / "syn" / "dataset"
    (dataset / "stimuli.txt").write_text("\n".join(w.stem for w in wavs) + "\n")
    (dataset / "folds.csv").write_text(
        "stimulus,fold\n" + "".join(f"{w.stem},{i % 4}\n" for i, w in enumerate(wavs)))
    study = tmp_path / "study.toml"
    text = f"""
[study]
name = "series"
output = "out"
threads = 1

[[models]]
name = "ecmae-pretraining"
kind = "checkpoints"
model = "{SERIES}"
steps = [1000, "0"]

[[datasets]]
name = "synthetic"
source = "{dataset}"
stimuli = "sounds"
folds = "{dataset / 'folds.csv'}"

[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
"""
    study.write_text(text)
    plan = json.loads(run_cli(["study", "plan", study, "--json"], env=env).stdout)
    model = plan["models"][0]
    assert model["source"] == SERIES and not model["ready"] and model["usable"]
    assert "listed from their source" in model["note"] and plan["units_known"] is False
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run_cli(["study", "run", study, "--quiet"], env=env)
        got = {path for path, _ in server.requests if path != "HEAD"}
    assert "2 units, 0 already stored, 2 computed here" in p.stdout
    assert not any("step=500" in path for path in got), "only the steps the study names"
    env.pop("BRAINALIGN_MIRROR")
    plan = json.loads(run_cli(["study", "plan", study, "--json"], env=env).stdout)
    assert plan["units_known"] is True and plan["models"][0]["ready"]
    assert plan["models"][0]["checkpoints"] == 2 and plan["units_done"] == 2
    run_cli(["study", "export", study], env=env)
    with open(tmp_path / "out" / "export" / "units.csv") as f:
        rows = f.read().splitlines()
    assert sum("ecmae-pretraining" in r for r in rows) == 2
    with open(tmp_path / "out" / "export" / "dynamics.csv") as f:
        header, *lines = [line.split(",") for line in f.read().splitlines()]
    steps = {line[header.index("step")] for line in lines}
    assert steps == {"0", "1000"}
    # A step the listed series does not have.
    study.write_text(text.replace('steps = [1000, "0"]', "steps = [750]"))
    p = run_cli(["study", "plan", study], env=env, expect=2)
    assert "[[models]] #1" in p.stderr and "no checkpoint of step 750" in p.stderr
