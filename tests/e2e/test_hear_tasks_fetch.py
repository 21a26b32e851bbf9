"""The HEAR tasks of the 2025 study by name: `brainalign fetch hear:NAME` against a loopback
mirror (the archive as Zenodo serves it, unpacked and moved into place), the size said before
a download and asked about from 1 GiB on, and `downstream --task hear:NAME`."""
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from range_server import RangeServer  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, run_cli  # noqa: E402
from hear_tasks import write_hear_task  # noqa: E402

ARCHIVE = "downloads/hear/hear2021-esc50-v2.0.0-full-48000.tar.gz"


def cache_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRAINALIGN_DATA", "BRAINALIGN_MIRROR", "BRAINALIGN_CACHE", "BRAINALIGN_MODELS")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env, tmp_path / "cache" / "brainalign"


def mirror_with_task(tmp_path, prefix):
    """A mirror holding the esc50 archive, its task nested under `prefix` as the archives do."""
    task = tmp_path / "made" / "esc50-v2.0.0-full"
    write_hear_task(task, "esc50", True, np.random.default_rng(2), rate=48000, per_class=2,
                    seconds=0.5)
    mirror = tmp_path / "mirror"
    (mirror / ARCHIVE).parent.mkdir(parents=True)
    with tarfile.open(mirror / ARCHIVE, "w:gz") as tar:
        tar.add(task, arcname=f"{prefix}/esc50-v2.0.0-full")
    return mirror, task


@pytest.mark.parametrize("prefix", ["hear-2021.0.6/tasks", "tasks"])
def test_fetch_a_hear_task_by_name(tmp_path, prefix):
    mirror, made = mirror_with_task(tmp_path, prefix)
    env, root = cache_env(tmp_path)
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run_cli(["fetch", "hear:esc50"], env=env)
        assert ("HEAD", "/" + ARCHIVE) in server.requests  # the size first
        assert "1 file to download" in p.stderr
        folder = root / "hear" / "esc50-v2.0.0-full"
        assert json.loads((folder / "task_metadata.json").read_text())["task_name"] == "esc50"
        for wav in made.rglob("*.wav"):
            assert (folder / wav.relative_to(made)).read_bytes() == wav.read_bytes()
        assert not (root / ARCHIVE).exists() and not list((root / "downloads").rglob("*.unpacked"))
        asked = len(server.requests)
        run_cli(["fetch", "hear:esc50"], env=env)
        assert len(server.requests) == asked, "a fetched task is not downloaded again"
    listed = run_cli(["fetch", "--list"], env=env).stdout
    assert all(f"hear:{n}" in listed for n in
               ("esc50", "fsd50k", "nsynth_pitch", "speech_commands", "crema_d", "gtzan_genre"))


def test_a_large_download_is_asked_about(tmp_path):
    mirror, _ = mirror_with_task(tmp_path, "tasks")
    env, root = cache_env(tmp_path)
    with RangeServer(mirror, head_size=3 << 30) as server:  # the server says 3 GiB
        env["BRAINALIGN_MIRROR"] = server.url
        p = subprocess.run([CLI, "fetch", "hear:esc50"], capture_output=True, text=True, env=env,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 2, p.stderr
        assert "3.00 GiB" in p.stderr and "--yes" in p.stderr
        assert all(method == "HEAD" for method, _ in server.requests)  # nothing downloaded
        assert not (root / "hear").exists()
        run_cli(["fetch", "hear:esc50", "--yes"], env=env)
        assert (root / "hear" / "esc50-v2.0.0-full" / "task_metadata.json").exists()


def test_an_archive_without_the_task_is_refused(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / ARCHIVE).parent.mkdir(parents=True)
    other = tmp_path / "other"
    other.mkdir()
    (other / "README").write_text("not a task")
    with tarfile.open(mirror / ARCHIVE, "w:gz") as tar:
        tar.add(other, arcname="tasks/other")
    env, root = cache_env(tmp_path)
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run_cli(["fetch", "hear:esc50"], env=env, expect=2)
    assert "holds no folder esc50-v2.0.0-full" in p.stderr
    assert not (root / "hear").exists()


def test_downstream_takes_a_registered_task(tmp_path):
    help_text = subprocess.run([CLI, "--help"], capture_output=True, text=True).stdout
    if "downstream" not in help_text:
        pytest.skip("brainalign built without libtorch")
    mirror, _ = mirror_with_task(tmp_path, "tasks")
    env, root = cache_env(tmp_path)
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        run_cli(["downstream", "--model", "mfcc", "--task", "hear:esc50", "--max-epochs", 2,
                 "--no-cache", "--quiet", "--out", tmp_path / "out"], env=env)
    summary = json.loads((tmp_path / "out" / "esc50" / "summary.json").read_text())
    assert summary["task"] == "esc50" and 0 <= summary["score"] <= 1
