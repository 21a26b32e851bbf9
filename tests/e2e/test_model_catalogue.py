"""Published checkpoints by name: `brainalign models`, `brainalign fetch MODEL` against a
loopback mirror, and `--model NAME` fetching on first use."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from range_server import RangeServer  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, SHARED, run_cli  # noqa: E402

GOLDEN = SHARED / "golden"
SOUNDS = SHARED / "data" / "natsound165" / "wav"


def has_families():
    p = subprocess.run([CLI, "extract", "--help"], capture_output=True, text=True)
    return "hf:PATH" in p.stdout


def cache_env(tmp_path, mirror=None):
    """Downloads go to tmp_path/cache/brainalign; nothing points at a local copy."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRAINALIGN_DATA", "BRAINALIGN_MIRROR", "BRAINALIGN_CACHE", "BRAINALIGN_MODELS")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    if mirror:
        env["BRAINALIGN_MIRROR"] = mirror
    return env, tmp_path / "cache" / "brainalign" / "models"


def two_sounds(tmp_path):
    """A folder of two of the 165 natural sounds, for extraction."""
    wav = tmp_path / "wav"
    wav.mkdir()
    for name in ("stim5_alarm_clock", "stim103_crying"):
        shutil.copyfile(SOUNDS / f"{name}.wav", wav / f"{name}.wav")
    return wav


def catalogue(env=None):
    return json.loads(run_cli(["models", "--json"], env=env).stdout)


def test_the_catalogue_holds_the_2025_studys_36_models():
    models = catalogue()
    names = [m["name"] for m in models]
    assert len(names) == len(set(names))
    pepino = [m for m in models if "pepino2025" in m["studies"]]
    assert len(pepino) == 36
    # The 31 with a native route: EnCodecMAE (the 8 mel ones, ec-ec-base and spec-ec-base),
    # BEATs (4), Dasheng base, 0.6B, 1.2B and base fine-tuned on AudioSet (its weights in the
    # architecture of dasheng:base), the 8 cochleagram networks (their checkpoints, files of the
    # cochdnn archive), wav2vec2, S2T, AST, VGGish and spectemp; and the 5 that run from the
    # 2023 release's published activations (SepFormer, MetricGAN+, DCASE 2020, DeepSpeech2,
    # ZeroSpeech 2020).
    runs = sorted(m["name"] for m in pepino if m["runs"])
    native = [n for n in runs if not next(m for m in pepino if m["name"] == n)["runs_as"]
              .startswith("tuckute2023-activations:")]
    assert len(native) == 31 and "spectemp" in native and "beats:iter3" in native
    assert "vggish" in native and "ast:audioset-10-10-0.4593" in native
    assert sum(n.startswith("encodecmae:mel256") for n in native) == 8
    assert "encodecmae:ec-ec-base" in native and "encodecmae:spec-ec-base" in native
    assert "dasheng:base-as" in native
    assert sum(n.startswith(("cnn9:", "resnet50:")) for n in native) == 8
    # Every one of the 36.
    assert len(runs) == 36
    fine_tuned = next(m for m in pepino if m["name"] == "dasheng:base-as")
    assert fine_tuned["architecture"] == "dasheng:base"
    assert fine_tuned["runs_as"].endswith("/dasheng/base-as/dasheng_audioset_mAP497.pt")
    assert [f["url"] for f in fine_tuned["files"]] == [
        "https://zenodo.org/records/13315686/files/dasheng_audioset_mAP497.pt?download=1"]
    assert "official release" in fine_tuned["notes"]
    study_names = [m["study_name"] for m in pepino]
    assert len(study_names) == len(set(study_names))
    for m in models:
        assert m["sample_rate"] > 0, m["name"]
        assert m["runs"] == (m["runs_as"] is not None), m["name"]
        assert m["runs"] or m["notes"], m["name"]  # says why it does not run
        for f in m["files"]:
            assert f["url"].startswith("https://"), f
            assert f["sha256"] is None or re.fullmatch("[0-9a-f]{64}", f["sha256"]), f
            assert "/" not in f["path"] and f["path"], f
    text = run_cli(["models"]).stdout
    assert "beats:iter3" in text and "hf:facebook/wav2vec2-base-960h" in text


def test_fetch_by_name_from_a_mirror_verifies_and_records(tmp_path):
    mirror = tmp_path / "mirror"
    target = mirror / "models" / "beats" / "iter3" / "BEATs_iter3.pt"
    target.parent.mkdir(parents=True)
    shutil.copyfile(GOLDEN / "beats_like" / "model.pt", target)
    env, root = cache_env(tmp_path)
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run_cli(["fetch", "beats:iter3"], env=env)
        assert server.requests == [("/models/beats/iter3/BEATs_iter3.pt", None)]
        fetched = root / "beats" / "iter3" / "BEATs_iter3.pt"
        assert fetched.read_bytes() == target.read_bytes()
        assert "beats:iter3: ready in" in p.stdout
        # No checksum is published for it: the first download's is recorded and shown.
        digest = (root / "beats" / "iter3" / "BEATs_iter3.pt.sha256").read_text().split()[0]
        assert digest in p.stderr
        run_cli(["fetch", "beats:iter3"], env=env)
        assert len(server.requests) == 1, "a fetched model is not downloaded again"
    listed = {m["name"]: m for m in catalogue(env)}
    assert listed["beats:iter3"]["fetched"] and not listed["beats:iter2"]["fetched"]
    # A copy that differs from the recorded checksum is refused, and nothing is left behind.
    fetched.unlink()
    target.write_bytes(b"not the same weights")
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run_cli(["fetch", "beats:iter3"], env=env, expect=3)
        assert "checksum" in p.stderr.lower() or "sha256" in p.stderr.lower()
    assert not fetched.exists() and not list(root.rglob("*.part"))


def test_names_without_files_are_refused_clearly(tmp_path):
    env, _ = cache_env(tmp_path)
    p = run_cli(["fetch", "spectemp"], env=env, expect=2)
    assert "no public files" in p.stderr and "it needs none" in p.stderr
    p = run_cli(["fetch", "beats:iter4"], env=env, expect=2)
    assert "is neither a data set" in p.stderr and "nor a catalogued model" in p.stderr


@pytest.mark.skipif(not has_families(), reason="brainalign built without libtorch")
def test_model_by_name_is_fetched_on_first_use_and_runs_as_its_file(tmp_path):
    mirror = tmp_path / "mirror"
    target = mirror / "models" / "beats" / "iter3" / "BEATs_iter3.pt"
    target.parent.mkdir(parents=True)
    shutil.copyfile(GOLDEN / "beats_like" / "model.pt", target)
    wav = two_sounds(tmp_path)
    env, root = cache_env(tmp_path)
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        run_cli(["extract", "--model", "beats:iter3", "--stimuli", wav, "--out", tmp_path / "named.npz",
                 "--no-cache", "--quiet"], env=env)
        assert len(server.requests) == 1
    # Once fetched, no network is needed; the file itself gives the same layers.
    env.pop("BRAINALIGN_MIRROR")
    env["BRAINALIGN_MODELS"] = str(root)
    run_cli(["extract", "--model", "beats:iter3", "--stimuli", wav, "--out", tmp_path / "again.npz",
             "--no-cache", "--quiet", "--layers", "pepino2025"], env=env)
    run_cli(["extract", "--model", f"beats:{target}", "--stimuli", wav, "--out", tmp_path / "file.npz",
             "--no-cache", "--quiet"], env=env)
    named, by_file = np.load(tmp_path / "named.npz"), np.load(tmp_path / "file.npz")
    assert named.files == by_file.files
    for key in named.files:
        np.testing.assert_array_equal(named[key], by_file[key])
    again = np.load(tmp_path / "again.npz")
    assert "embedding" in again.files and len(again.files) == len(named.files)


def plan_entry(tmp_path, env, model):
    """The study plan's entry for `model` in a study of a synthetic data set."""
    file = tmp_path / "plan.toml"
    if not file.exists():
        run_cli(["synth", "--out", tmp_path / "syn", "--stimuli", 30, "--voxels", 20,
                 "--subjects", 2, "--layers", 2, "--features", 6, "--seed", 3])
        file.write_text(f'[study]\nname = "plan"\n[[models]]\nname = "m"\nmodel = "{model}"\n'
                        '[[datasets]]\nname = "syn"\nsource = "syn/dataset"\n'
                        '[[analyses]]\nanalysis = "rsa"\nrsa_method = "layerwise"\n')
    got = json.loads(run_cli(["study", "plan", file, "--json"], env=env).stdout)
    return next(m for m in got["models"] if m["name"] == "m")


@pytest.mark.skipif(not has_families(), reason="brainalign built without libtorch")
def test_weights_catalogued_for_the_architecture_of_another_model(tmp_path):
    """dasheng:base-as: a bare state_dict (with an AudioSet head) for dasheng:base's architecture.
    Tiny golden-size files stand in for both at the mirror's paths."""
    torch = pytest.importorskip("torch")
    golden = GOLDEN / "dasheng_like" / "model.pt"
    mirror = tmp_path / "mirror"
    arch = mirror / "models" / "dasheng" / "base" / "dasheng_base.pt"
    weights = mirror / "models" / "dasheng" / "base-as" / "dasheng_audioset_mAP497.pt"
    arch.parent.mkdir(parents=True)
    weights.parent.mkdir(parents=True)
    shutil.copyfile(golden, arch)
    generator = torch.Generator().manual_seed(11)
    state = {}
    for name, value in torch.load(golden)["model"].items():
        moved = value.is_floating_point() and not name.startswith("front_end.")
        state[name] = (value + 0.05 * torch.randn(value.shape, generator=generator, dtype=value.dtype)
                       if moved else value)
    dim = state["norm.weight"].shape[0]
    state.update({"outputlayer.0.weight": torch.ones(dim), "outputlayer.0.bias": torch.zeros(dim),
                  "outputlayer.1.weight": torch.randn(527, dim, generator=generator),
                  "outputlayer.1.bias": torch.zeros(527)})
    torch.save(state, weights)
    wav = two_sounds(tmp_path)
    env, root = cache_env(tmp_path)
    entry = plan_entry(tmp_path, env, "dasheng:base-as")
    assert entry["usable"] and not entry["ready"] and entry["download_bytes"] is None
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        p = run_cli(["fetch", "dasheng:base-as"], env=env)
        # Their sizes are not known in advance: each is asked for (HEAD), then downloaded.
        downloads = [r for r in server.requests if r[0] != "HEAD"]
        assert sorted(downloads) == [
            ("/models/dasheng/base-as/dasheng_audioset_mAP497.pt", None),
            ("/models/dasheng/base/dasheng_base.pt", None)]
        asked = len(server.requests)
        assert "dasheng:base-as: ready in" in p.stdout
        for fetched, source in ((root / "dasheng" / "base" / "dasheng_base.pt", arch),
                                (root / "dasheng" / "base-as" / "dasheng_audioset_mAP497.pt",
                                 weights)):
            assert fetched.read_bytes() == source.read_bytes()
            # No checksum is published: the first download's is recorded and shown.
            digest = Path(f"{fetched}.sha256").read_text().split()[0]
            assert digest in p.stderr
        run_cli(["extract", "--model", "dasheng:base-as", "--stimuli", wav, "--out",
                 tmp_path / "named.npz", "--no-cache", "--quiet"], env=env)
        run_cli(["extract", "--model", "dasheng:base-as", "--stimuli", wav, "--out",
                 tmp_path / "study.npz", "--no-cache", "--quiet", "--layers", "pepino2025"],
                env=env)
        run_cli(["fetch", "dasheng:base-as"], env=env)
        assert len(server.requests) == asked, "fetched files are not asked for again"
    listed = {m["name"]: m for m in catalogue(env)}
    assert listed["dasheng:base-as"]["fetched"] and listed["dasheng:base"]["fetched"]
    entry = plan_entry(tmp_path, env, "dasheng:base-as")
    assert entry["ready"] and entry["download_bytes"] == 0
    # The architecture's file and the weights file, named directly, give the same arrays.
    run_cli(["extract", "--model", f"dasheng:{arch}", "--weights", weights, "--stimuli", wav,
             "--out", tmp_path / "direct.npz", "--no-cache", "--quiet"])
    named, direct = np.load(tmp_path / "named.npz"), np.load(tmp_path / "direct.npz")
    assert named.files == direct.files and "encoder.12" not in named.files
    for key in named.files:
        np.testing.assert_array_equal(named[key], direct[key])
    # Other weights than dasheng:base's own.
    run_cli(["extract", "--model", f"dasheng:{arch}", "--stimuli", wav, "--out",
             tmp_path / "base.npz", "--no-cache", "--quiet"])
    assert not np.array_equal(np.load(tmp_path / "base.npz")["output"], named["output"])
    # The 2025 study's Dasheng layers, as for dasheng:base.
    run_cli(["extract", "--model", f"dasheng:{arch}", "--stimuli", wav, "--out",
             tmp_path / "base_study.npz", "--no-cache", "--quiet", "--layers", "pepino2025"])
    assert np.load(tmp_path / "study.npz").files == np.load(tmp_path / "base_study.npz").files
    # The architecture's file gone: the model is no longer fetched, and no other weights file is
    # taken.
    (root / "dasheng" / "base" / "dasheng_base.pt").unlink()
    assert not {m["name"]: m for m in catalogue(env)}["dasheng:base-as"]["fetched"]
    entry = plan_entry(tmp_path, env, "dasheng:base-as")
    assert not entry["ready"]
    p = run_cli(["extract", "--model", "dasheng:base-as", "--weights", weights, "--stimuli", wav,
                 "--out", tmp_path / "x.npz"], env=env, expect=2)
    assert "takes no other weights file" in p.stderr


def test_a_cochleagram_network_by_name_is_its_checkpoint_from_the_cochdnn_archive(tmp_path):
    """cnn9:word: the checkpoint its build_network.py loads, one file of the 14 GB archive (a
    member, fetched alone; tests/io/tar_index_test.cpp fetches members from a served archive).
    A mirror serves the file itself; a tiny Kell2018 checkpoint of the release's layout stands
    in for it."""
    pytest.importorskip("torch")
    listed = {m["name"]: m for m in catalogue()}
    word = listed["cnn9:word"]
    assert word["runs_as"].endswith("/cnn9/word/5_checkpoint.pt")
    assert word["runs_as"].startswith("cochdnn:")
    assert word["files"] == [{
        "path": "5_checkpoint.pt",
        "url": "https://mcdermottlab.mit.edu/cochdnn/cochdnn_model_checkpoints.tar",
        "member": "audio_rep_training_cochleagram_1/kell2018_decay_lr/"
                  "2b411fd2-56f2-46c1-ad45-1355d4ffadde/5_checkpoint.pt",
        "sha256": None, "size": None}]
    # The 2023-only networks with a checkpoint run natively too; the music ones (no checkpoint
    # in the archive) and every permuted control from the published activations.
    assert listed["resnet50:speaker-clean-seed2"]["runs_as"].startswith("cochdnn:")
    assert listed["cnn9:music"]["runs_as"] == "tuckute2023-activations:Kell2018music"
    assert listed["cnn9:word:permuted"]["runs_as"] == \
        "tuckute2023-activations:Kell2018word_randnetw"

    golden = tmp_path / "golden"
    subprocess.run([sys.executable, "-B", str(Path(__file__).resolve().parents[1] / "neural" /
                                            "make_cochdnn_golden.py"),
                    str(golden), str(GOLDEN / "frontends" / "cochleagram1_output.npy")],
                   check=True, capture_output=True)
    mirror = tmp_path / "mirror"
    target = mirror / "models" / "cnn9" / "word" / "5_checkpoint.pt"
    target.parent.mkdir(parents=True)
    shutil.copyfile(golden / "kell_word.pt", target)
    wav = two_sounds(tmp_path)
    env, root = cache_env(tmp_path)
    with RangeServer(mirror) as server:
        env["BRAINALIGN_MIRROR"] = server.url
        run_cli(["extract", "--model", "cnn9:word", "--stimuli", wav, "--out",
                 tmp_path / "named.npz", "--no-cache", "--quiet", "--yes"], env=env)
        assert [r for r in server.requests if r[0] != "HEAD"] == [
            ("/models/cnn9/word/5_checkpoint.pt", None)]
    assert (root / "cnn9" / "word" / "5_checkpoint.pt").read_bytes() == target.read_bytes()
    run_cli(["extract", "--model", f"cochdnn:{target}", "--stimuli", wav, "--out",
             tmp_path / "file.npz", "--no-cache", "--quiet"], env=env)
    named, by_file = np.load(tmp_path / "named.npz"), np.load(tmp_path / "file.npz")
    assert named.files == by_file.files and "relu0" in named.files
    for key in named.files:
        np.testing.assert_array_equal(named[key], by_file[key])
