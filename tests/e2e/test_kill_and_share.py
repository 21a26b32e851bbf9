"""Crash safety beyond scoring: extraction and downloads killed (SIGKILL) at random points and
rerun, a corrupt cache entry, and two processes sharing one feature cache or one study folder.
Each time the end result must equal an uninterrupted run's, with nothing lost or duplicated."""
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from range_server import RangeServer  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, DATA, NATSOUND, run_cli as run  # noqa: E402

SEED = int(os.environ.get("BRAINALIGN_CRASH_SEED", "20261126"))
pytestmark = pytest.mark.skipif(not (NATSOUND / "wav").is_dir(), reason=f"no sounds under {DATA}")


def clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRAINALIGN_DATA", "BRAINALIGN_MIRROR", "BRAINALIGN_CACHE")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "xdg"), BRAINALIGN_CACHE=str(tmp_path / "features"),
               OMP_NUM_THREADS="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def kill_after(args, env, delay):
    """Starts the command, SIGKILLs it after `delay` s; True when the kill landed mid-run."""
    process = subprocess.Popen([CLI, *map(str, args)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def read_npz(path):
    with np.load(path) as npz:
        return {k: npz[k].copy() for k in npz.files}


def assert_same_features(a, b):
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.fixture(scope="module")
def sounds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sounds")
    for wav in sorted((NATSOUND / "wav").glob("*.wav"))[:12]:
        shutil.copyfile(wav, folder / wav.name)
    return folder


@pytest.fixture(scope="module")
def reference(sounds, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reference")
    out = tmp / "spectemp.npz"
    start = time.monotonic()
    run(["extract", "--model", "spectemp", "--stimuli", sounds, "--out", out, "--threads", 1,
         "--no-cache", "--quiet"], clean_env(tmp))
    return read_npz(out), time.monotonic() - start


def test_killed_extraction_resumes_from_the_cache_with_identical_results(
        sounds, reference, tmp_path):
    env = clean_env(tmp_path)
    out = tmp_path / "spectemp.npz"
    args = ["extract", "--model", "spectemp", "--stimuli", sounds, "--out", out, "--threads", 1,
            "--quiet"]
    reference, seconds = reference
    rng = random.Random(SEED)
    kills = 0
    for _ in range(4):  # kill points spread over the uninterrupted run's duration
        kills += kill_after(args, env, rng.uniform(0.3, 0.9) * seconds)
        if out.exists():  # a feature set that exists is complete
            assert_same_features(read_npz(out), reference)
        # Every cache entry left behind is whole: a rerun reads them and agrees.
    assert kills > 0, "no kill landed mid-run"
    p = run(args[:-1], env)
    computed = int(p.stdout.split("(")[1].split(" computed")[0])
    assert computed < 12, f"the killed runs' cache entries were not reused: {p.stdout}"
    assert_same_features(read_npz(out), reference)
    # No temporaries are read; those of killed runs are hidden files that may be removed.
    assert not [f for f in out.parent.iterdir() if f.name.startswith("spectemp.npz.")]


def test_corrupt_cache_entry_is_computed_again(sounds, reference, tmp_path):
    reference, _ = reference
    env = clean_env(tmp_path)
    out = tmp_path / "spectemp.npz"
    args = ["extract", "--model", "spectemp", "--stimuli", sounds, "--out", out, "--threads", 2,
            "--quiet"]
    run(args, env)
    entries = sorted((tmp_path / "features" / "spectemp").iterdir())
    assert len(entries) == 12
    data = bytearray(entries[3].read_bytes())
    data[len(data) // 2] ^= 0x40
    entries[3].write_bytes(bytes(data))
    entries[7].write_bytes(entries[7].read_bytes()[:100])  # truncated
    p = run(args, env)
    assert "2 computed, 10 from cache" in p.stdout
    assert_same_features(read_npz(out), reference)


def test_two_extractions_share_one_cache(sounds, reference, tmp_path):
    reference, _ = reference
    env = clean_env(tmp_path)
    procs = [subprocess.Popen([CLI, "extract", "--model", "spectemp", "--stimuli", sounds,
                               "--out", tmp_path / f"out{i}.npz", "--threads", "1", "--quiet"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, stderr
    for i in range(2):
        assert_same_features(read_npz(tmp_path / f"out{i}.npz"), reference)
    p = run(["extract", "--model", "spectemp", "--stimuli", sounds, "--out", tmp_path / "o.npz",
             "--quiet"], env)
    assert "0 computed, 12 from cache" in p.stdout
    assert not [f for f in (tmp_path / "features" / "spectemp").iterdir()
                if not f.name.endswith(".feat")], "temporaries left in the cache"


def test_killed_download_resumes_and_verifies(tmp_path):
    env = clean_env(tmp_path)
    root = tmp_path / "xdg" / "brainalign"
    rng = random.Random(SEED + 1)
    with RangeServer(DATA, chunk_delay=0.002) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        kills = 0
        for _ in range(4):
            kills += kill_after(["fetch", "natsound165"], env, rng.uniform(0.3, 2.0))
            # Whatever is complete under its final name is the real file.
            for f in root.rglob("*"):
                if f.is_file() and not f.name.endswith(".part") and not f.name.startswith("."):
                    rel = f.relative_to(root)
                    assert f.read_bytes() == (DATA / rel).read_bytes(), rel
        assert kills > 0, "no kill landed mid-download"
        run(["fetch", "natsound165"], env)
    for wav in (NATSOUND / "wav").glob("*.wav"):
        assert (root / "natsound165" / "wav" / wav.name).read_bytes() == wav.read_bytes()
    assert not list(root.rglob("*.part"))


STUDY = """
[study]
name = "shared"
output = "shared"
seed = 1
threads = 1

[[models]]
name = "mel"
[[models]]
name = "mfcc"
[[models]]
name = "cochleagram"

[[datasets]]
name = "nh2015comp"

[[analyses]]
analysis = "components"
"""


def store_rows(folder):
    with sqlite3.connect(folder / "results.sqlite") as db:
        units = db.execute("SELECT unit_key FROM units ORDER BY unit_key").fetchall()
        rows = db.execute("SELECT unit_key, level, target, layer, value FROM results "
                          "ORDER BY unit_key, level, target, layer").fetchall()
    return units, rows


def test_two_study_runs_share_one_study_folder(tmp_path):
    env = clean_env(tmp_path, BRAINALIGN_DATA=DATA)
    for name in ("alone", "together"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "study.toml").write_text(STUDY)
    run(["study", "run", tmp_path / "alone" / "study.toml"], env)
    procs = [subprocess.Popen([CLI, "study", "run", tmp_path / "together" / "study.toml"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        _, stderr = p.communicate(timeout=900)
        assert p.returncode == 0, stderr
    alone_units, alone_rows = store_rows(tmp_path / "alone" / "shared")
    units, rows = store_rows(tmp_path / "together" / "shared")
    assert len(alone_units) == 3
    assert units == alone_units, "each unit stored exactly once"
    assert len(rows) == len(alone_rows)
    for a, b in zip(rows, alone_rows):
        assert a[:4] == b[:4]
        assert a[4] == pytest.approx(b[4], rel=1e-12, abs=1e-12)
