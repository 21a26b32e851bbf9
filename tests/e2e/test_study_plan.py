"""`brainalign study plan`: what a study needs and has left, offline and without computing:
models (a published checkpoint not fetched yet, with its bytes), datasets, units, the units
the store holds, and an estimate of the time left from the stored units' times."""
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from range_server import RangeServer  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, DATA, run_cli  # noqa: E402

BEATS_ITER3_BYTES = 361499833  # the catalogue's size of beats:iter3


def study(tmp_path, models, analyses='[[analyses]]\nanalysis = "rsa"\nrsa_method = "layerwise"\n'):
    run_cli(["synth", "--out", tmp_path / "syn", "--stimuli", 30, "--voxels", 20, "--subjects", 2,
             "--layers", 2, "--features", 6, "--seed", 3])
    text = ('[study]\nname = "plan"\n' + models +
            '[[datasets]]\nname = "syn"\nsource = "syn/dataset"\n' + analyses)
    (tmp_path / "s.toml").write_text(text)
    return tmp_path / "s.toml"


def environment(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("BRAINALIGN_MIRROR", "BRAINALIGN_MODELS")}
    env.update(BRAINALIGN_DATA=str(DATA), XDG_CACHE_HOME=str(tmp_path / "cache"),
               BRAINALIGN_CACHE=str(tmp_path / "features"), **extra)
    return env


def plan(file, env, expect=0):
    return json.loads(run_cli(["study", "plan", file, "--json"], env=env, expect=expect).stdout)


FEATURES = '[[models]]\nname = "syn"\nkind = "features"\nfeatures = "syn/features.npz"\n'


def test_plan_says_what_is_needed_without_downloading(tmp_path):
    file = study(tmp_path, FEATURES + '[[models]]\nname = "beats"\nmodel = "beats:iter3"\n')
    with RangeServer(tmp_path) as server:  # a mirror: the plan must not ask it for anything
        got = plan(file, environment(tmp_path, BRAINALIGN_MIRROR=server.url))
        assert server.requests == []
    assert {"models", "datasets", "tasks", "units", "units_done", "download_bytes"} <= set(got)
    models = {m["name"]: m for m in got["models"]}
    assert models["syn"]["ready"] and models["syn"]["download_bytes"] == 0
    assert not models["beats"]["ready"] and models["beats"]["usable"]
    assert models["beats"]["download_bytes"] == BEATS_ITER3_BYTES
    assert got["download_bytes"] == BEATS_ITER3_BYTES and got["download_sizes_known"]
    assert got["units"] == 2 and got["units_done"] == 0 and got["estimated_seconds"] is None
    assert not (tmp_path / "results").exists() and not list(tmp_path.rglob("*.sqlite"))
    text = run_cli(["study", "plan", file], env=environment(tmp_path)).stdout
    assert "beats:iter3" in text and "to fetch" in text and "345 MiB" in text


def test_plan_counts_stored_units_and_estimates_the_rest(tmp_path):
    file = study(tmp_path, FEATURES + '[[models]]\nname = "again"\nkind = "features"\n'
                 'features = "syn/features.npz"\n')
    env = environment(tmp_path)
    run_cli(["study", "run", file, "--quiet"], env=env)
    got = plan(file, env)
    assert got["units"] == got["units_done"] == 2 and got["estimated_seconds"] == 0
    # A second analysis: two more units, estimated at the stored units' mean time.
    file.write_text(file.read_text() + '[[analyses]]\nanalysis = "voxelwise"\n')
    got = plan(file, env)
    assert got["units"] == 4 and got["units_done"] == 2 and got["estimated_seconds"] > 0
    assert got["download_bytes"] == 0 and all(m["ready"] for m in got["models"])


def test_plan_names_what_cannot_be_used(tmp_path):
    file = study(tmp_path, FEATURES + '[[models]]\nname = "typo"\nmodel = "hf:nowhere"\n')
    env = environment(tmp_path)
    p = run_cli(["study", "plan", file, "--json"], env=env, expect=2)
    got = json.loads(p.stdout)
    models = {m["name"]: m for m in got["models"]}
    assert not models["typo"]["usable"] and "nowhere" in models["typo"]["note"]
    assert not got["usable"] and "cannot be used" in p.stderr
    # A series whose glob matches nothing is refused when the study is read.
    file.write_text(file.read_text().replace(
        'name = "typo"\nmodel = "hf:nowhere"', 'name = "series"\nkind = "checkpoints"\nfeatures = "ck/step_*.npz"'))
    p = run_cli(["study", "plan", file], env=env, expect=2)
    assert "ck/step_*.npz" in p.stderr


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_example_studies_are_planned_offline(tmp_path):
    catalogue = json.loads(run_cli(["models", "--json"]).stdout)
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRAINALIGN_DATA", "BRAINALIGN_MIRROR", "BRAINALIGN_MODELS")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # nothing fetched yet
    for study, expected_tasks in (("pepino2025", 6), ("tuckute2023", 0)):
        wanted = {m["name"] for m in catalogue if study in m["studies"]}
        runs = {m["name"] for m in catalogue if study in m["studies"] and m["runs"]}
        p = subprocess.run([CLI, "study", "plan", EXAMPLES / f"{study}.toml", "--json"],
                           capture_output=True, text=True, env=env)
        got = json.loads(p.stdout)
        # The 2025 study's pretraining checkpoints come as a series, listed at the first run.
        series = [m for m in got["models"] if m["source"] == "encodecmae:mel256-ec-base-pretraining"]
        assert len(series) == (1 if study == "pepino2025" else 0)
        assert all(m["usable"] and not m["ready"] and "listed" in m["note"] for m in series)
        assert got["units_known"] == (study != "pepino2025")
        models = [m for m in got["models"] if m not in series]
        assert {m["source"] for m in models} == wanted, study
        assert len(models) == (36 if study == "pepino2025" else len(wanted))
        # Models without a native route are named as such (the plan exits 2 for them).
        unusable = {m["source"] for m in got["models"] if not m["usable"]}
        has_torch = "hf:PATH" in run_cli(["models"]).stdout
        if has_torch:
            assert unusable == wanted - runs, study
        assert p.returncode == (2 if unusable else 0)
        assert len(got["tasks"]) == expected_tasks
        assert all(t["source"].startswith("hear:") and not t["ready"] for t in got["tasks"])
        assert {d["name"] for d in got["datasets"]} >= {"NH2015", "B2021", "NH2015comp"}
        assert got["units_done"] == 0 and got["download_bytes"] > 0
