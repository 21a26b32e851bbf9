"""End-to-end: the noise ceiling as a study analysis and the figures of Pepino et al. 2025 in the
study report. A small study with the 2025 study's shape (feature-file models, one marked as the
baseline; two voxel datasets with ROIs and the real NH2015 components; voxel-wise regression,
RSA by both methods, the noise ceiling, a checkpoint series of ten steps in layerwise RSA;
downstream scores of six tasks) is run, exported and reported. The stored ceiling must be what
`brainalign ceiling` computes; the page, opened in headless Chromium, must show each figure
built from the stored values."""
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_study import (NO_BROWSER, NO_BROWSER_REASON, ROIS, downstream_scores,  # noqa: E402
                          feature_file, open_report, run_and_export, stimulus_names, study_env,
                          voxel_dataset)
from cli_runner import read_rows, run_cli  # noqa: E402

# Models as the study file names them, in its order; "spectemp filters" is the baseline.
MODELS = ["encodecmae:base", "beats:iter3", "a model with a long label", "spectemp filters"]
BASELINE = "spectemp filters"
SERIES = "pretraining"
STEPS = [k * 1000 for k in range(10)]
SERIES_LAYERS = [f"layer{l}" for l in range(8)]
VOXEL_DATASETS = ["NH", "B"]
TASKS = ["nsynth_pitch", "gtzan", "speech_commands", "crema_d", "fsd50k", "esc50"]
CEILING_PROTOCOLS = ["pepino2025", "tuckute2023"]


def write_study(root):
    names = stimulus_names()
    env = study_env(root)
    responses = np.hstack([voxel_dataset(root / f"syn-{d}", root / d, names, env, layers=2,
                                         features=8, seed=k + 1)
                           for k, d in enumerate(VOXEL_DATASETS)])
    rng = np.random.default_rng(0)
    mix = rng.standard_normal((responses.shape[1], 12))
    (root / "features").mkdir()
    files = {}
    for j, model in enumerate(MODELS):
        files[model] = f"features/model{j}.npz"
        feature_file(root / files[model], names, responses, mix, rng,
                     {f"encoder.layers.{l}": (j + l + 1) / 12 for l in range(3)})
    (root / "checkpoints").mkdir()
    for k, step in enumerate(STEPS):
        feature_file(root / "checkpoints" / f"step_{step}.npz", names, responses, mix, rng,
                     {layer: (1 + k + l) / 20 for l, layer in enumerate(SERIES_LAYERS)})
    downstream_scores(root / "downstream.csv", MODELS, TASKS, rng)
    models = "".join(f'[[models]]\nname = "{m}"\nkind = "features"\nfeatures = "{files[m]}"\n'
                     for m in MODELS)
    datasets = "".join(f'[[datasets]]\nname = "{d}"\nsource = "{d}"\n' for d in VOXEL_DATASETS)
    tasks = "".join(f'[[tasks]]\nname = "{t}"\n' for t in TASKS)
    (root / "study.toml").write_text(f"""
[study]
name = "paper"
output = "out"
seed = 1
threads = 2
baseline = "{BASELINE}"
{models}
[[models]]
name = "{SERIES}"
kind = "checkpoints"
features = "checkpoints/step_*.npz"
analyses = ["rsa-layerwise"]
{datasets}
[[datasets]]
name = "NH2015comp"
source = "nh2015comp"
[[analyses]]
analysis = "voxelwise"
[[analyses]]
analysis = "components"
[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
rois = ["all", "{ROIS[0]}", "{ROIS[1]}"]
[[analyses]]
analysis = "rsa"
rsa_method = "xval"
[[analyses]]
analysis = "ceiling"
protocols = {json.dumps(CEILING_PROTOCOLS)}
rois = ["all", "{ROIS[0]}", "{ROIS[1]}"]
[downstream]
scores = "downstream.csv"
{tasks}
[alignment_vs_performance]
bootstrap = 50
permutations = 50
""")
    return env


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper")
    env = write_study(root)
    run_and_export(root, env)
    return {"root": root, "env": env}


@pytest.fixture(scope="module")
def page(study):
    if NO_BROWSER:
        pytest.skip(NO_BROWSER_REASON)
    root = study["root"]
    out, result = open_report(root, study["env"], keep=os.environ.get("BRAINALIGN_KEEP_REPORT"))
    return {"out": out, "shown": result["shown"], "results": read_rows(root / "export" / "results.csv")}


def ceiling_units():
    return [(d, p, r) for d in VOXEL_DATASETS for p in CEILING_PROTOCOLS for r in ["", *ROIS]]


def test_the_ceiling_is_stored_once_per_dataset_protocol_and_roi(study):
    root = study["root"]
    units = read_rows(root / "export" / "units.csv")
    ceilings = [u for u in units if u["analysis"] == "ceiling"]
    assert sorted((u["dataset"], u["protocol"], u["roi"]) for u in ceilings) == sorted(ceiling_units())
    assert all(u["model"] == "" and u["checkpoint"] == "" for u in ceilings)  # not per model
    # The component dataset has no ceiling (no subjects' voxels): the analysis skips it.
    assert not any(u["dataset"] == "NH2015comp" for u in ceilings)
    # Resumable like every unit: a second run computes nothing.
    again = run_cli(["study", "run", root / "study.toml"], study["env"])
    assert f"{len(units)} already stored, 0 computed here" in again.stdout + again.stderr


def test_the_stored_ceiling_is_what_brainalign_ceiling_computes(study):
    root = study["root"]
    exported = json.loads((root / "export" / "results.json").read_text())["ceilings"]
    table = read_rows(root / "export" / "ceiling.csv")
    assert len(exported) == len(table) == len(ceiling_units())
    for dataset, protocol, roi in ceiling_units():
        out = root / "ceiling" / dataset / protocol / (roi or "whole")
        args = ["ceiling", "--dataset", root / dataset, "--protocol", protocol, "--out", out]
        run_cli(args + (["--roi", roi] if roi else []), study["env"])
        want = json.loads((out / "summary.json").read_text())
        [got] = [c for c in exported
                 if (c["dataset"], c["protocol"], c["roi"]) == (dataset, protocol, roi)]
        [row] = [r for r in table if (r["dataset"], r["protocol"], r["roi"]) == (dataset, protocol, roi)]
        assert got["value"] == want["value"] and got["sem"] == want["sem"], (dataset, protocol, roi)
        assert got["per_subject"] == want["per_subject"]
        assert float(row["value"]) == want["value"] and float(row["sem"]) == want["sem"]
        assert int(row["n_subjects"]) == len(want["per_subject"])
        # The 2025 code's ceiling ignores the ROI; tuckute2023's takes the ROI's voxels.
        assert got["roi_applied"] == (bool(roi) and protocol == "tuckute2023")
    whole = {c["protocol"]: c["value"] for c in exported if c["dataset"] == "NH" and c["roi"] == ""}
    primary = {c["protocol"]: c["value"] for c in exported
               if c["dataset"] == "NH" and c["roi"] == "Primary"}
    assert primary["pepino2025"] == whole["pepino2025"]
    assert primary["tuckute2023"] != whole["tuckute2023"]


@pytest.mark.parametrize("change, message", [
    ('rsa_method = "xval"\n', "'rsa_method' applies to analysis = \"rsa\", not to the ceiling"),
    ('rois = "all"\nbaseline = 3\n', "unknown key 'baseline'"),
])
def test_bad_ceiling_analyses_are_refused_naming_the_field(tmp_path, change, message):
    (tmp_path / "f.npz").write_bytes(b"")
    file = tmp_path / "s.toml"
    file.write_text('[study]\nname = "s"\n[[models]]\nname = "m"\nkind = "features"\n'
                    'features = "f.npz"\n[[datasets]]\nname = "nh2015"\n'
                    f'[[analyses]]\nanalysis = "ceiling"\n{change}')
    p = run_cli(["study", "plan", file], expect=2)
    assert str(file) in p.stderr and "[[analyses]] #1" in p.stderr and message in p.stderr


def test_the_baseline_must_name_a_model_of_the_study(tmp_path):
    (tmp_path / "f.npz").write_bytes(b"")
    file = tmp_path / "s.toml"
    file.write_text('[study]\nname = "s"\nbaseline = "spectemp"\n[[models]]\nname = "m"\n'
                    'kind = "features"\nfeatures = "f.npz"\n[[datasets]]\nname = "nh2015"\n'
                    '[[analyses]]\nanalysis = "ceiling"\n')
    p = run_cli(["study", "plan", file], expect=2)
    assert str(file) in p.stderr and "[study]" in p.stderr
    assert "'baseline' names 'spectemp', which is no model of the study" in p.stderr


def stored(results, model, dataset, analysis, roi="", level="overall", target="", layer=None):
    rows = [r for r in results if (r["model"], r["dataset"], r["analysis"], r["protocol"], r["roi"],
                                   r["level"], r["target"]) ==
            (model, dataset, analysis, "pepino2025", roi, level, target)
            and (layer is None or r["layer"] == layer)]
    assert len(rows) == 1 and rows[0]["checkpoint"] == "", (model, dataset, analysis, roi, level)
    return float(rows[0]["value"])


def marks(page, figure, name):
    return [m for m in page["shown"]["marks"][figure] if m["mark"].startswith(name + "_")
            and m["mark"].endswith("_marks") and m["mark"][len(name) + 1:-6].isdigit()]


def panel_ids(page, figure):
    """The charts' panel ids in the order of their titles (the spec's concat)."""
    spec = json.loads((page["out"] / "charts" / f"{figure}.vl.json").read_text())
    return [c["transform"][0]["filter"]["equal"] for c in spec["concat"]]


def axis_labels(page, figure):
    return [l["text"] for l in page["shown"]["charts"][figure]["labels"]
            if l["role"] == "role-axis-label" and not l["text"].replace(".", "").replace("−", "")
            .replace("-", "").replace(",", "").isdigit()]


def test_fig2_bars_with_the_baseline_and_the_ceiling_at_the_stored_values(page):
    results = page["results"]
    ceilings = read_rows(page["out"].parent / "export" / "ceiling.csv")
    shown = page["shown"]["charts"]["fig2"]
    titles = [f"Regression – {d}" for d in VOXEL_DATASETS] + [f"RSA – {d}" for d in VOXEL_DATASETS]
    assert [p["title"] for p in shown["panels"]] == titles
    for p in shown["panels"]:
        assert sorted(p["axis_titles"]) == sorted(["model", "RSA ρ" if "RSA" in p["title"] else "r²"])
    assert [l["label"] for l in shown["legend"]] == [f"baseline: {BASELINE}", "noise ceiling"]
    sources = [(d, "voxelwise") for d in VOXEL_DATASETS] + [(d, "rsa-layerwise") for d in VOXEL_DATASETS]
    # Models (without the baseline and the series) top to bottom by the first panel's score.
    models = [m for m in MODELS if m != BASELINE]
    order = sorted(models, key=lambda m: -stored(results, m, *sources[0]))
    assert axis_labels(page, "fig2") == order * len(titles)
    bars = marks(page, "fig2", "bars")
    refs = marks(page, "fig2", "reference_lines")
    for panel, (dataset, analysis) in zip(panel_ids(page, "fig2"), sources):
        got = {b["datum"]["model"]: b["datum"]["value"] for b in bars if b["datum"]["panel"] == panel}
        assert got == {m: stored(results, m, dataset, analysis) for m in models}
        lines = {r["datum"]["ref"]: r for r in refs if r["datum"]["panel"] == panel}
        assert lines[f"baseline: {BASELINE}"]["datum"]["value"] == stored(results, BASELINE, dataset, analysis)
        if analysis == "voxelwise":
            assert "noise ceiling" not in lines
            continue
        [ceiling] = [c for c in ceilings if (c["dataset"], c["protocol"], c["roi"]) == (dataset, "pepino2025", "")]
        assert lines["noise ceiling"]["datum"]["value"] == float(ceiling["value"])
        # Drawn where the bars' scale puts the value: each bar spans x(0) to x(value).
        bar = max((b for b in bars if b["datum"]["panel"] == panel), key=lambda b: b["datum"]["value"])
        scale = (bar["x2"] - bar["x"]) / bar["datum"]["value"]
        assert abs(lines["noise ceiling"]["x"] - (bar["x"] + scale * float(ceiling["value"]))) < 0.5


def test_fig4_one_panel_per_component_sorted_with_the_baseline(page):
    results = page["results"]
    components = []
    for r in results:
        if r["dataset"] == "NH2015comp" and r["level"] == "component" and r["target"] not in components:
            components.append(r["target"])
    shown = page["shown"]["charts"]["fig4"]
    assert [p["title"] for p in shown["panels"]] == components and len(components) == 6
    assert all(sorted(p["axis_titles"]) == ["model", "r²"] for p in shown["panels"])
    assert [l["label"] for l in shown["legend"]] == [f"baseline: {BASELINE}"]
    models = [m for m in MODELS if m != BASELINE]
    labels = axis_labels(page, "fig4")
    refs = marks(page, "fig4", "reference_lines")
    for k, (panel, c) in enumerate(zip(panel_ids(page, "fig4"), components)):
        value = {m: stored(results, m, "NH2015comp", "components", level="component", target=c) for m in models}
        assert labels[k * len(models):(k + 1) * len(models)] == sorted(models, key=lambda m: -value[m])
        [ref] = [r for r in refs if r["datum"]["panel"] == panel]
        assert ref["datum"]["value"] == stored(results, BASELINE, "NH2015comp", "components",
                                               level="component", target=c)


def test_fig5_curves_are_the_published_smoothing_of_the_stored_values(page):
    from scipy.signal import savgol_filter
    results = page["results"]
    shown = page["shown"]["charts"]["fig5"]
    panels = [(d, roi) for d in VOXEL_DATASETS for roi in ["", *ROIS]]
    assert [p["title"] for p in shown["panels"]] == [
        f"{SERIES}: {d}, " + (f"ROI {roi}" if roi else "whole dataset") for d, roi in panels]
    assert all(sorted(p["axis_titles"]) == ["RSA ρ", "pretraining step"] for p in shown["panels"])
    layers = SERIES_LAYERS[::2]  # every other layer, as the paper draws layers 1, 3, 5, 7, 9
    assert [l["label"] for l in shown["legend"]] == layers
    lines = marks(page, "fig5", "smoothed")
    for panel, (dataset, roi) in zip(panel_ids(page, "fig5"), panels):
        for layer in layers:
            rows = sorted(((int(r["step"]), float(r["value"])) for r in results
                           if (r["model"], r["dataset"], r["analysis"], r["roi"], r["level"], r["layer"])
                           == (SERIES, dataset, "rsa-layerwise", roi, "layer", layer)))
            assert [s for s, _ in rows] == STEPS
            want = savgol_filter([v for _, v in rows], window_length=10, polyorder=3)
            drawn = sorted((m["datum"]["step"], m["datum"]["curve"]) for m in lines
                           if m["datum"]["panel"] == panel and m["datum"]["layer"] == layer)
            assert [s for s, _ in drawn] == STEPS
            np.testing.assert_allclose([v for _, v in drawn], want, rtol=1e-9, atol=1e-12)
            # The drawn curve is not the raw values.
            assert not np.allclose([v for _, v in drawn], [v for _, v in rows])


def test_fig6_points_are_the_stored_alignment_and_overall_scores(page):
    from scipy.stats import pearsonr
    results = page["results"]
    export = page["out"].parent / "export"
    overall = {r["model"]: float(r["overall"]) for r in read_rows(page["out"] / "overall.csv")}
    table1 = read_rows(page["out"] / "table1.csv")
    shown = page["shown"]["charts"]["fig6"]
    sources = [(d, "rsa-xval", "RSA") for d in VOXEL_DATASETS] + \
        [(d, "voxelwise", "Voxel-wise regression") for d in VOXEL_DATASETS]
    assert [p["title"] for p in shown["panels"]] == [f"{w} – {d}" for d, _, w in sources]
    for p, (_, analysis, _) in zip(shown["panels"], sources):
        measure = "RSA ρ (cross-validated)" if analysis == "rsa-xval" else "r²"
        assert sorted(p["axis_titles"]) == sorted([measure, "overall downstream score (mean z-score)"])
    assert [l["label"] for l in shown["legend"]] == MODELS + ["linear fit"]
    points = marks(page, "fig6", "points")
    svg_texts = svg_text(page, "fig6")
    for panel, (dataset, analysis, _) in zip(panel_ids(page, "fig6"), sources):
        got = {m["datum"]["model"]: (m["datum"]["x"], m["datum"]["y"]) for m in points
               if m["datum"]["panel"] == panel}
        assert got == {m: (overall[m], stored(results, m, dataset, analysis)) for m in MODELS}
        [cell] = [c for c in table1 if (c["subset"], c["metric"], c["performance"]) ==
                  ("all", f"{dataset}/{analysis}/pepino2025", "overall")]
        r, p = pearsonr([x for x, _ in got.values()], [y for _, y in got.values()])
        assert abs(r - float(cell["pearson_r"])) < 1e-12
        assert f"r = {float(cell['pearson_r']):.2f}, p = {float(cell['p']):.2g}" in svg_texts


def svg_text(page, figure):
    import xml.etree.ElementTree as ET
    return [t.text for t in ET.parse(page["out"] / "figures" / f"{figure}.svg")
            .iter("{http://www.w3.org/2000/svg}text")]


def test_fig3_and_s2_compare_methods_and_datasets_from_the_stored_scores(page):
    results = page["results"]
    shown = page["shown"]["charts"]["fig3"]
    first, second = VOXEL_DATASETS
    assert [p["title"] for p in shown["panels"]] == [
        "Regression against RSA", f"RSA: {second} against {first}",
        f"Regression: {second} against {first}"]
    assert sorted(shown["panels"][1]["axis_titles"]) == sorted([f"RSA ρ – {second}", f"RSA ρ – {first}"])
    points = marks(page, "fig3", "points")
    ids = panel_ids(page, "fig3")
    for d in VOXEL_DATASETS:
        got = {m["datum"]["model"]: (m["datum"]["x"], m["datum"]["y"]) for m in points
               if m["datum"]["panel"] == ids[0] and m["datum"]["series"] == d}
        assert got == {m: (stored(results, m, d, "voxelwise"), stored(results, m, d, "rsa-layerwise"))
                       for m in MODELS}
    got = {m["datum"]["model"]: (m["datum"]["x"], m["datum"]["y"]) for m in points
           if m["datum"]["panel"] == ids[1]}
    assert got == {m: (stored(results, m, second, "rsa-layerwise"), stored(results, m, first, "rsa-layerwise"))
                   for m in MODELS}
    assert {l["label"] for l in shown["legend"]} == {*VOXEL_DATASETS, "all models"}
    # Fig S2: layerwise (best layer) against cross-validated RSA, with the identity line.
    s2 = page["shown"]["charts"]["figs2"]
    assert sorted(s2["panels"][0]["axis_titles"]) == sorted(["RSA ρ, best layer (layerwise)",
                                                             "RSA ρ, cross-validated layer"])
    assert [l["label"] for l in s2["legend"]] == [*VOXEL_DATASETS, "identity"]
    values = []
    for d in VOXEL_DATASETS:
        got = {m["datum"]["model"]: (m["datum"]["x"], m["datum"]["y"]) for m in marks(page, "figs2", "points")
               if m["datum"]["series"] == d}
        want = {m: (stored(results, m, d, "rsa-layerwise"), stored(results, m, d, "rsa-xval")) for m in MODELS}
        assert got == want
        values += [v for xy in want.values() for v in xy]
    identity = sorted((m["datum"]["x"], m["datum"]["y"]) for m in marks(page, "figs2", "lines"))
    assert identity == [(min(values), min(values)), (max(values), max(values))]


def test_table1_in_the_papers_layout(page):
    table1 = read_rows(page["out"] / "table1.csv")
    rows = page["shown"]["paper_table"]
    metrics = [f"{d}/rsa-layerwise/pepino2025" for d in VOXEL_DATASETS] + \
        [f"{d}/voxelwise/pepino2025" for d in VOXEL_DATASETS]
    assert [r["metric"] for r in rows if r["subset"] == "all"][:4] == metrics
    assert len([r for r in rows if r["subset"] == "all"]) == 4 + 6  # and the six components
    assert {r["metric"] for r in rows} == {
        t["metric"] for t in table1 if t["metric"].count("/") == 2 and "xval" not in t["metric"]
        and ("components" not in t["metric"] or ":" in t["metric"])}
    colours = {"rgb(144, 238, 144)": 0.01, "rgb(255, 255, 102)": 0.05, "rgb(240, 128, 128)": 2}
    for row in rows:
        if not row["cells"]:  # a metric without spread over the models: no r in any column
            assert all(t["pearson_r"] == "" for t in table1
                       if (t["subset"], t["metric"]) == (row["subset"], row["metric"]))
            continue
        assert [c["column"] for c in row["cells"]] == TASKS + ["overall"]
        best = max((c["r"] for c in row["cells"]), default=None)
        for c in row["cells"]:
            [want] = [t for t in table1 if (t["subset"], t["metric"], t["performance"]) ==
                      (row["subset"], row["metric"], c["column"])]
            assert c["r"] == float(want["pearson_r"]) and c["p"] == float(want["p"])
            assert c["text"] == f"{c['r']:.3f}"
            limit = colours[c["background"]]
            assert c["p"] < limit and (limit == 0.01 or c["p"] >= {0.05: 0.01, 2: 0.05}[limit])
            assert (c["weight"] == "700") == (c["r"] == best)


def test_every_paper_figure_is_drawn_and_static_with_its_labels_whole(page):
    shown = page["shown"]
    assert shown["notes"] == []  # nothing left out
    for figure in ["fig2", "fig3", "figs2", "fig4", "fig5", "fig6"]:
        assert figure in shown["charts"]
        c = shown["charts"][figure]
        div = c["div"]["x1"] - c["div"]["x0"]
        assert 0.9 * div <= c["svg"]["x1"] - c["svg"]["x0"] <= div + 0.5, figure
        for label in c["labels"]:
            assert "…" not in label["text"], (figure, label)
        static = shown["figures"][figure]
        frame = {"x0": 0, "y0": 0, "x1": static["width"], "y1": static["height"]}
        for t in static["texts"]:
            b = t["box"]
            assert not t["text"].startswith("...") and b["x0"] >= -1 and b["y0"] >= -1 \
                and b["x1"] <= frame["x1"] + 1 and b["y1"] <= frame["y1"] + 1, (figure, t)
        texts = svg_text(page, figure)
        for p in c["panels"]:
            assert p["title"] in texts, (figure, p["title"])
            for a in p["axis_titles"]:
                assert a in texts, (figure, a)
        for l in c["legend"]:
            assert l["label"] in texts, (figure, l["label"])
    for m in [m for m in MODELS if m != BASELINE]:
        assert m in svg_text(page, "fig2") and m in svg_text(page, "fig4")
