"""End-to-end runs of `brainalign fetch` against a loopback server and of `brainalign
extract` and `brainalign demo` on real stimuli."""
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io

sys.path.insert(0, str(Path(__file__).resolve().parent))
from range_server import RangeServer  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import DATA, NATSOUND, run_cli  # noqa: E402

SOUND_FILES = sorted(p.relative_to(DATA) for p in (NATSOUND / "wav").glob("*.wav")) + [
    Path("natsound165/category_labels.csv"), Path("natsound165/components.mat")]


def run(*args, env, expect=0):
    return run_cli(args, env, expect)


def cache_env(tmp_path, mirror=None):
    """Downloads go to tmp_path/cache/brainalign; nothing points at a local copy."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRAINALIGN_DATA", "BRAINALIGN_MIRROR", "BRAINALIGN_CACHE")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    if mirror:
        env["BRAINALIGN_MIRROR"] = mirror
    return env, tmp_path / "cache" / "brainalign"


def test_fetch_downloads_and_verifies_everything(tmp_path):
    env, root = cache_env(tmp_path)
    with RangeServer(DATA) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run("fetch", "natsound165", env=env)
        assert len(server.requests) == 167
        assert all(r.startswith("/natsound165/") for r, _ in server.requests)
        for rel in SOUND_FILES:
            assert (root / rel).read_bytes() == (DATA / rel).read_bytes(), rel
        assert not list(root.rglob("*.part"))
        assert "natsound165: ready" in p.stdout
        run("fetch", "natsound165", env=env)
        assert len(server.requests) == 167, "a complete data set is not downloaded again"


def prepare_all_but(root, missing):
    for rel in SOUND_FILES:
        if rel != missing:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(DATA / rel, root / rel)


@pytest.mark.parametrize("honour_range", [True, False])
def test_fetch_resumes_a_truncated_part(tmp_path, honour_range):
    env, root = cache_env(tmp_path)
    target = Path("natsound165/components.mat")
    prepare_all_but(root, target)
    whole = (DATA / target).read_bytes()
    (root / "natsound165/components.mat.part").write_bytes(whole[: len(whole) // 2])
    with RangeServer(DATA, honour_range=honour_range) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        run("fetch", "natsound165", env=env)
        assert server.requests == [("/natsound165/components.mat", f"bytes={len(whole) // 2}-")]
    assert (root / target).read_bytes() == whole
    assert not (root / "natsound165/components.mat.part").exists()


def test_fetch_resume_of_a_bad_part_starts_over(tmp_path):
    env, root = cache_env(tmp_path)
    target = Path("natsound165/components.mat")
    prepare_all_but(root, target)
    (root / "natsound165/components.mat.part").write_bytes(b"\0" * 1000)
    with RangeServer(DATA) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        run("fetch", "natsound165", env=env)
        assert [r for _, r in server.requests] == ["bytes=1000-", None]
    assert (root / target).read_bytes() == (DATA / target).read_bytes()


def test_fetch_checksum_mismatch_keeps_nothing(tmp_path):
    env, root = cache_env(tmp_path)
    target = Path("natsound165/components.mat")
    prepare_all_but(root, target)
    mirror = tmp_path / "mirror"
    (mirror / "natsound165").mkdir(parents=True)
    corrupt = bytearray((DATA / target).read_bytes())
    corrupt[5000] ^= 0xFF
    (mirror / target).write_bytes(bytes(corrupt))
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run("fetch", "natsound165", env=env, expect=3)
    assert "checksum mismatch" in p.stderr and "components.mat" in p.stderr
    assert "a34f9a4c648de56d075f249a0f09f67281cde024d0ca184347436e540ab0a66e" in p.stderr
    assert not (root / target).exists()
    assert not (root / "natsound165/components.mat.part").exists()


def test_fetch_missing_file_and_unknown_name(tmp_path):
    env, root = cache_env(tmp_path)
    (tmp_path / "empty-mirror").mkdir()
    with RangeServer(tmp_path / "empty-mirror") as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run("fetch", "natsound165", env=env, expect=3)
    assert "stim5_alarm_clock.wav" in p.stderr and "404" in p.stderr
    p = run("fetch", "nope", env=env, expect=2)
    assert "natsound165" in p.stderr
    p = run("fetch", "--list", env=env)
    assert "tuckute2023" in p.stdout and "natsound165-folds" in p.stdout


def test_local_copy_is_used_and_never_written(tmp_path):
    env, root = cache_env(tmp_path)
    env["BRAINALIGN_DATA"] = str(tmp_path / "local")
    (tmp_path / "local").mkdir()
    p = run("fetch", "natsound165", env=env, expect=2)
    assert "BRAINALIGN_DATA" in p.stderr and "components.mat" in p.stderr
    assert not root.exists()


STIMULI = ["stim5_alarm_clock", "stim7_applause", "stim11_baby_crying"]


@pytest.fixture
def sounds(tmp_path):
    folder = tmp_path / "sounds"
    folder.mkdir()
    for name in STIMULI:
        shutil.copyfile(NATSOUND / "wav" / f"{name}.wav", folder / f"{name}.wav")
    return folder


def extract_env(tmp_path):
    env, _ = cache_env(tmp_path)
    env["BRAINALIGN_CACHE"] = str(tmp_path / "features")
    return env


def test_extract_writes_a_feature_set_and_reuses_the_cache(tmp_path, sounds):
    env = extract_env(tmp_path)
    out = tmp_path / "spectemp.npz"
    p = run("extract", "--model", "spectemp", "--stimuli", sounds, "--out", out, "--threads", 2,
            env=env)
    assert "3 computed, 0 from cache" in p.stdout
    assert "extract spectemp" in p.stderr, "progress on stderr"
    with np.load(out) as npz:
        assert list(npz.keys()) == ["avgpool", "__stimuli__"]
        assert list(npz["__stimuli__"]) == STIMULI
        assert npz["avgpool"].shape == (3, 111 * 211)
        first = npz["avgpool"].copy()
    p = run("extract", "--model", "spectemp", "--stimuli", sounds, "--out", out, "--threads", 1,
            env=env)
    assert "0 computed, 3 from cache" in p.stdout
    with np.load(out) as npz:
        assert np.array_equal(npz["avgpool"], first)
    assert len(list((tmp_path / "features" / "spectemp").iterdir())) == 3


def test_extract_keeps_time_and_reports_bad_input(tmp_path, sounds):
    env = extract_env(tmp_path)
    out = tmp_path / "mel.npz"
    run("extract", "--model", "mel", "--stimuli", sounds, "--out", out, "--pool", "none", "--quiet",
        env=env)
    with np.load(out) as npz:
        assert list(npz.keys()) == ["melspec", "melspec_db", "__stimuli__"]
        assert npz["melspec"].shape == (3, 161, 128)
    p = run("extract", "--model", "spectemp", "--weights", tmp_path / "w.pt", "--stimuli", sounds,
            "--out", out, env=env, expect=2)
    assert "no weights" in p.stderr
    p = run("extract", "--model", "nope", "--stimuli", sounds, "--out", out, env=env, expect=2)
    assert "spectemp" in p.stderr
    p = run("extract", "--model", "mfcc", "--stimuli", sounds, "--out", out, "--pool", "max",
            env=env, expect=2)
    assert "--pool" in p.stderr
    (sounds / "stim999_broken.wav").write_bytes(b"RIFF....WAVEjunk")
    p = run("extract", "--model", "mfcc", "--stimuli", sounds, "--out", tmp_path / "x.npz",
            env=env, expect=2)
    assert "stim999_broken.wav" in p.stderr
    assert not (tmp_path / "x.npz").exists()


def test_demo_scores_the_spectemp_model_on_the_real_components(tmp_path):
    env = extract_env(tmp_path)
    env["BRAINALIGN_DATA"] = str(DATA)
    p = run("demo", "--out", tmp_path / "demo", "--threads", 2, env=env)
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert summary["layers"] == ["avgpool"] and summary["analysis"] == "components"
    names = [str(c[0][0]) for c in scipy.io.loadmat(NATSOUND / "components.mat")["component_names"]]
    assert set(summary["per_component"]) == set(names)
    for name in names:
        assert name in p.stdout
    assert 0.2 < summary["value"] < 1.0
    assert "165 computed" in p.stdout
    p = run("demo", "--out", tmp_path / "demo2", "--threads", 2, env=env)
    assert "165 from cache" in p.stdout
    assert json.loads((tmp_path / "demo2" / "summary.json").read_text())["per_component"] == \
        summary["per_component"]
