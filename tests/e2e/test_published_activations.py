"""The 2023 release's published activations end to end: `brainalign fetch
tuckute2023-activations` from a loopback mirror (a miniature model_actv.tar in the release's
layout, tests/features/make_published_activations.py), `brainalign models --json` showing the
route, `--model NAME` extracting from them, and an archive with an entry outside its folder
refused with nothing left behind."""
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from range_server import RangeServer  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import SHARED, run_cli  # noqa: E402

GENERATOR = Path(__file__).resolve().parents[1] / "features" / "make_published_activations.py"
SOUNDS = SHARED / "data" / "natsound165"
ARCHIVE = "downloads/tuckute2023-activations/model_actv.tar"


def cache_env(tmp_path, url):
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRAINALIGN_DATA", "BRAINALIGN_MIRROR", "BRAINALIGN_CACHE", "BRAINALIGN_MODELS")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["BRAINALIGN_MIRROR"] = url
    return env, tmp_path / "cache" / "brainalign"


def mirror_with(tmp_path, archive_bytes):
    mirror = tmp_path / "mirror"
    (mirror / ARCHIVE).parent.mkdir(parents=True)
    (mirror / ARCHIVE).write_bytes(archive_bytes)
    (mirror / "natsound165").symlink_to(SOUNDS, target_is_directory=True)
    return mirror


def test_fetch_then_score_by_name_from_the_published_activations(tmp_path):
    mini = tmp_path / "mini"
    subprocess.run([sys.executable, "-B", str(GENERATOR), str(mini)], check=True,
                   env={**os.environ, "BRAINALIGN_SHARED": str(SHARED)})
    mirror = mirror_with(tmp_path, (mini / "model_actv.tar").read_bytes())
    with RangeServer(mirror) as server:
        env, root = cache_env(tmp_path, server.url)
        models = json.loads(run_cli(["models", "--json"], env=env).stdout)
        sep = next(m for m in models if m["name"] == "speechbrain:sepformer-whamr")
        assert sep["runs"] and sep["runs_as"] == "tuckute2023-activations:sepformer"
        assert "published activations" in sep["notes"] and not sep["fetched"]
        permuted = next(m for m in models if m["name"] == "cnn9:word:permuted")
        assert permuted["runs_as"] == "tuckute2023-activations:Kell2018word_randnetw"

        p = run_cli(["fetch", "--yes", "tuckute2023-activations"], env=env)
        assert "tuckute2023-activations: ready" in p.stdout
        assert (root / "model_actv" / "sepformer" / "stim5_alarm_clock_activations.pkl").exists()
        assert not (root / ARCHIVE).exists()  # unpacked, then deleted
        assert (root / (ARCHIVE + ".sha256")).exists()  # recorded at the first download
        assert json.loads(run_cli(["models", "--json"], env=env).stdout)[
            [m["name"] for m in models].index("speechbrain:sepformer-whamr")]["fetched"]

        wav = tmp_path / "wav"
        wav.mkdir()
        for name in ("stim5_alarm_clock", "stim103_crying"):
            (wav / f"{name}.wav").write_bytes((SOUNDS / "wav" / f"{name}.wav").read_bytes())
        out = tmp_path / "sep.npz"
        run_cli(["extract", "--model", "speechbrain:sepformer-whamr", "--stimuli", wav,
                 "--out", out, "--layers", "tuckute2023", "--yes", "--quiet"], env=env)
    got = np.load(out)
    ref = np.load(mini / "expected" / "sepformer.npz")
    names = list(ref["__stimuli__"])
    rows = [names.index(s) for s in got["__stimuli__"]]
    layers = [k for k in ref.files if k != "__stimuli__"]
    assert [k for k in got.files if k != "__stimuli__"] == layers
    for layer in layers:
        np.testing.assert_array_equal(got[layer], ref[layer][rows])


def test_an_archive_entry_outside_its_folder_is_refused_and_nothing_is_left(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in ("model_actv/sepformer/stim5_alarm_clock_activations.pkl", "../escaped.pkl"):
            info = tarfile.TarInfo(name)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"data"))
    mirror = mirror_with(tmp_path, buffer.getvalue())
    with RangeServer(mirror) as server:
        env, root = cache_env(tmp_path, server.url)
        p = run_cli(["fetch", "--yes", "tuckute2023-activations"], env=env, expect=2)
    assert "escaped.pkl" in p.stderr
    assert not (root / "model_actv").exists()
    assert not (tmp_path / "cache" / "escaped.pkl").exists()
    assert not any(x.name.startswith(".") for x in root.iterdir() if x.is_dir() and x.name != "downloads")
