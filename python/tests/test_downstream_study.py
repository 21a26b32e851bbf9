"""Downstream probes and studies from Python: the same numbers as `brainalign downstream` and
`brainalign study` on the same inputs, and clear errors."""
import csv
import json
import subprocess
import sys

import numpy as np
import pytest

import brainalign
from conftest import CLI, DATA, ROOT

sys.path.insert(0, str(ROOT / "tests" / "common"))
from hear_tasks import write_hear_task  # noqa: E402

needs_torch = pytest.mark.skipif(not brainalign.has_torch,
                                 reason="built without libtorch: no downstream probes")


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tasks") / "pitch"
    write_hear_task(folder, "pitch", True, np.random.default_rng(5), per_class=3, seconds=1.0)
    return folder


@needs_torch
def test_downstream_matches_the_cli(task, tmp_path):
    subprocess.run([CLI, "downstream", "--model", "mfcc", "--task", task, "--seed", "4",
                    "--max-epochs", "8", "--threads", "1", "--no-cache", "--quiet",
                    "--out", tmp_path / "cli"], check=True, capture_output=True)
    cli = json.loads((tmp_path / "cli" / "pitch" / "summary.json").read_text())
    results = brainalign.downstream("mfcc", [task], seed=4, max_epochs=8, threads=2,
                                    cache=False, out=tmp_path / "py")
    assert len(results) == 1
    got = results[0]
    assert got["task"] == cli["task"] == "pitch"
    assert got["metric"] == cli["metric"] == "top1_acc"
    assert got["score"] == cli["score"]
    assert got["per_fold"] == cli["per_fold"]
    assert got["chosen_config"] == cli["chosen_config"]
    written = json.loads((tmp_path / "py" / "summary.json").read_text())
    assert written["tasks"][0]["score"] == got["score"]
    # A reused model object gives the same, and the probe learned the pitches.
    again = brainalign.downstream(brainalign.Model("mfcc"), task, seed=4, max_epochs=8,
                                  cache=False)
    assert again[0]["score"] == got["score"]


@needs_torch
def test_downstream_errors(task, tmp_path):
    with pytest.raises(brainalign.InputError, match="no-such-task"):
        brainalign.downstream("mel", [tmp_path / "no-such-task"])
    with pytest.raises(brainalign.InputError, match="protocol"):
        brainalign.downstream("mel", [task], protocol="nope")


STUDY = """
[study]
name = "py"
output = "py"
seed = 2
threads = 1

[[models]]
name = "mel"
[[models]]
name = "mfcc"

[[datasets]]
name = "nh2015comp"

[[analyses]]
analysis = "components"
[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
datasets = ["nh2015comp"]
"""


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.skipif(not (DATA / "natsound165" / "components.mat").exists(),
                    reason=f"no NH2015 data under {DATA}")
def test_study_run_export_report_match_the_cli(tmp_path):
    for side in ("py", "cli"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "study.toml").write_text(STUDY)
    summary = brainalign.study_run(tmp_path / "py" / "study.toml")
    assert summary["computed"] == summary["units"] > 0 and summary["already"] == 0
    assert summary["failures"] == []
    assert brainalign.study_run(tmp_path / "py" / "study.toml")["already"] == summary["units"]
    exported = brainalign.study_export(tmp_path / "py" / "study.toml")
    page = brainalign.study_report(tmp_path / "py" / "study.toml", out=tmp_path / "report")
    assert page.endswith("index.html") and "vega" in open(page).read()

    toml = tmp_path / "cli" / "study.toml"
    subprocess.run([CLI, "study", "run", toml, "--quiet"], check=True, capture_output=True)
    subprocess.run([CLI, "study", "export", toml], check=True, capture_output=True)
    py_rows = read_csv(f"{exported}/results.csv")
    cli_rows = read_csv(tmp_path / "cli" / "py" / "export" / "results.csv")
    assert len(py_rows) == len(cli_rows) > 0
    for a, b in zip(py_rows, cli_rows):
        assert {k: v for k, v in a.items() if k != "value"} == \
               {k: v for k, v in b.items() if k != "value"}
        assert float(a["value"]) == pytest.approx(float(b["value"]), rel=1e-12, abs=1e-12)


def test_study_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[study]\nname = "x"\n[[models]]\nname = "nope"\n')
    with pytest.raises(brainalign.InputError, match="bad.toml"):
        brainalign.study_run(bad)
    with pytest.raises((brainalign.InputError, brainalign.IoError), match="absent.toml"):
        brainalign.study_run(tmp_path / "absent.toml")


def test_study_run_returns_the_units_that_failed(tmp_path):
    (tmp_path / "study.toml").write_text(STUDY.replace('[[models]]', '[[models]]\nname = "typo"\nmodel = "mell"\n[[models]]', 1))
    summary = brainalign.study_run(tmp_path / "study.toml")
    assert summary["computed"] > 0
    assert summary["failures"] and all(f["kind"] == "input" and "'mell'" in f["message"]
                                       for f in summary["failures"])
    assert all(f["unit"].startswith("typo|") for f in summary["failures"])


@needs_torch
def test_downstream_layers_default_to_the_studys(task, tmp_path, run_cli):
    """pepino2025 probes combine the model's layers of the 2025 study, as its code filters its
    layer map: for wav2vec2 not the CNN layers (whose width would call for a PCA)."""
    golden = DATA.parent / "golden" / "wav2vec2_base_like"
    if not golden.is_dir():
        pytest.skip(f"no golden model at {golden}")
    model = brainalign.Model(f"hf:{golden}")
    published = [n for n in model.layers if not n.startswith("cnn.")]
    assert len(published) < len(model.layers)

    def layers(**kwargs):
        return brainalign.downstream(model, task, max_epochs=1, cache=False, **kwargs)[0]["layers"]

    assert layers() == published
    assert layers(layers="all") == model.layers
    assert layers(layers=["encoder.2", "embedding"]) == ["encoder.2", "embedding"]
    assert layers(protocol="hear2021") == [model.layers[-1]]
    with pytest.raises(brainalign.InputError, match="'cnn.9' is not a layer"):
        layers(layers="cnn.9")
    p = run_cli("downstream", "--model", f"hf:{golden}", "--task", task, "--max-epochs", 1,
                "--no-cache", "--quiet", "--layers", "encoder.1,nope", "--out", tmp_path / "x",
                expect=2)
    assert "--layers: 'nope' is not a layer" in p.stderr
    run_cli("downstream", "--model", f"hf:{golden}", "--task", task, "--max-epochs", 1,
            "--no-cache", "--quiet", "--out", tmp_path / "cli")
    summary = json.loads((tmp_path / "cli" / "pitch" / "summary.json").read_text())
    assert summary["layers"] == published
