"""`brainalign study run` fetches what the study downloads in one step before computing: the
size is shown and a large download asked about (--yes to go ahead), and an input that cannot be
fetched fails only its own units."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from range_server import RangeServer  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, SHARED, run_cli  # noqa: E402

GOLDEN = SHARED / "golden"
SOUNDS = SHARED / "data" / "natsound165" / "wav"


def has_families():
    p = subprocess.run([CLI, "extract", "--help"], capture_output=True, text=True)
    return "dasheng:PATH" in p.stdout


pytestmark = pytest.mark.skipif(not has_families(), reason="brainalign built without libtorch")


def study_of(tmp_path, models):
    wavs = sorted(SOUNDS.glob("*.wav"))[:10]
    (tmp_path / "sounds").mkdir()
    for wav in wavs:
        shutil.copyfile(wav, tmp_path / "sounds" / wav.name)
    run_cli(["synth", "--out", tmp_path / "syn", "--stimuli", len(wavs), "--voxels", 20,
             "--subjects", 2, "--layers", 2, "--features", 6], env=environment(tmp_path))
    dataset = tmp_path / "syn" / "dataset"
    (dataset / "stimuli.txt").write_text("\n".join(w.stem for w in wavs) + "\n")
    (dataset / "folds.csv").write_text(
        "stimulus,fold\n" + "".join(f"{w.stem},{i % 4}\n" for i, w in enumerate(wavs)))
    (tmp_path / "s.toml").write_text(
        '[study]\nname = "fetching"\noutput = "out"\nthreads = 1\n' + models +
        f'[[datasets]]\nname = "syn"\nsource = "{dataset}"\nstimuli = "sounds"\n'
        '[[analyses]]\nanalysis = "rsa"\nrsa_method = "layerwise"\n')
    return tmp_path / "s.toml"


def environment(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRAINALIGN_MIRROR", "BRAINALIGN_MODELS", "BRAINALIGN_DATA")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), BRAINALIGN_CACHE=str(tmp_path / "features"),
               **extra)
    return env


def mirror_with(tmp_path, case, target):
    path = tmp_path / "mirror" / "models" / target
    path.parent.mkdir(parents=True)
    shutil.copyfile(GOLDEN / case / "model.pt", path)
    return tmp_path / "mirror"


def test_a_large_download_is_asked_about_before_anything_is_computed(tmp_path):
    file = study_of(tmp_path, '[[models]]\nname = "mel"\n[[models]]\nname = "dasheng"\n'
                              'model = "dasheng:base"\n')
    mirror = mirror_with(tmp_path, "dasheng_like", "dasheng/base/dasheng_base.pt")
    # dasheng:base has no pinned size: the server is asked, and claims 2 GiB.
    with RangeServer(mirror, head_size=2 << 30) as server:
        env = environment(tmp_path, BRAINALIGN_MIRROR=server.url)
        p = run_cli(["study", "run", file], env=env, expect=2)
        assert "--yes" in p.stderr and "2.00 GiB" in p.stderr
        assert not any(path != "HEAD" for path, _ in server.requests), "nothing downloaded"
        assert not (tmp_path / "out" / "results.sqlite").exists(), "nothing computed"
        p = run_cli(["study", "run", file, "--yes"], env=env)
    assert "2 units, 0 already stored, 2 computed here" in p.stdout
    # The download came first, visibly, then the units.
    assert "fetch dasheng:base" in p.stderr
    assert p.stderr.index("fetch dasheng:base") < p.stderr.index("unit")
    fetched = tmp_path / "cache" / "brainalign" / "models" / "dasheng" / "base" / "dasheng_base.pt"
    assert fetched.read_bytes() == (GOLDEN / "dasheng_like" / "model.pt").read_bytes()


def test_an_input_that_cannot_be_fetched_fails_only_its_units(tmp_path):
    file = study_of(tmp_path, '[[models]]\nname = "mel"\n[[models]]\nname = "beats"\n'
                              'model = "beats:iter2"\n')
    mirror = tmp_path / "mirror"
    mirror.mkdir()  # serves nothing: beats:iter2 is not there
    with RangeServer(mirror) as server:
        p = run_cli(["study", "run", file, "--quiet"],
                    env=environment(tmp_path, BRAINALIGN_MIRROR=server.url), expect=3)
    assert "beats could not be fetched; its units will fail" in p.stderr
    assert "2 units, 0 already stored, 1 computed here" in p.stdout
    assert "1 of 2 units failed" in p.stderr
