"""End-to-end: the study report as a researcher reads it. A small study (a registry model, feature
files named as a catalogue names models and with a long label, a checkpoint series; the real
NH2015 components and a synthetic voxel dataset with ROIs; regression under both protocols and
layerwise RSA; downstream scores) is reported, the page opened in headless Chromium, and what
it shows checked: every label whole and inside its chart, heat-map rows readable, charts as
wide as the page, value axes that say what they measure, model labels as the study file names
them, the best layer of every score, and one colour convention in the page and the static
figures."""
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_study import (NO_BROWSER, NO_BROWSER_REASON, downstream_scores,  # noqa: E402
                          feature_file, open_report, run_and_export, stimulus_names, study_env,
                          voxel_dataset)
from cli_runner import read_rows, run_cli  # noqa: E402

# In the study file's order, as it names them: a registry model, a catalogue-style name and a
# long label (both feature files), a checkpoint series.
MODELS = ["mel", "beats:iter3", "an audio model with a long label (mean over layers)", "ckpt"]
FEATURE_FILES = {"beats:iter3": "features/beats.npz",
                 "an audio model with a long label (mean over layers)": "features/long.npz"}
TASKS = ["esc50", "fsd50k", "crema_d"]
STEPS = [0, 1000, 2000, 3000]
# What each analysis' values measure, as the axes say: r² of held-out predictions, the
# noise-corrected r² of tuckute2023's voxels, Spearman's ρ between RDMs.
MEASURE = {("components", "pepino2025"): "r²", ("voxelwise", "pepino2025"): "r²",
           ("voxelwise", "tuckute2023"): "noise-corrected r²", ("rsa-layerwise", "pepino2025"): "RSA ρ"}

pytestmark = pytest.mark.skipif(NO_BROWSER, reason=NO_BROWSER_REASON)


def write_study(root):
    names = stimulus_names()
    env = study_env(root)
    responses = voxel_dataset(root / "syn", root / "synthetic" / "dataset", names, env, layers=3,
                              features=16)
    rng = np.random.default_rng(0)
    mix = rng.standard_normal((responses.shape[1], 12))
    (root / "checkpoints").mkdir()
    for k, step in enumerate(STEPS):
        feature_file(root / "checkpoints" / f"step_{step}.npz", names, responses, mix, rng,
                     {f"layer{l}": (k + l) / 8 for l in range(3)})
    (root / "features").mkdir()
    for j, file in enumerate(FEATURE_FILES.values()):
        feature_file(root / file, names, responses, mix, rng,
                     {f"encoder.layers.{l}": (j + l + 1) / 10 for l in range(4)})
    downstream_scores(root / "downstream.csv", MODELS, TASKS, rng)
    models = ""
    for m in MODELS:
        if m in FEATURE_FILES:
            models += f'[[models]]\nname = "{m}"\nkind = "features"\nfeatures = "{FEATURE_FILES[m]}"\n'
        elif m == "ckpt":
            models += '[[models]]\nname = "ckpt"\nkind = "checkpoints"\nfeatures = "checkpoints/step_*.npz"\n'
        else:
            models += f'[[models]]\nname = "{m}"\n'
    tasks = "".join(f'[[tasks]]\nname = "{t}"\n' for t in TASKS)
    (root / "study.toml").write_text(f"""
[study]
name = "report"
output = "out"
seed = 3
threads = 2
{models}
[[datasets]]
name = "nh2015comp"
[[datasets]]
name = "synthetic"
source = "synthetic/dataset"
[[analyses]]
analysis = "components"
[[analyses]]
analysis = "voxelwise"
protocols = ["pepino2025", "tuckute2023"]
[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
rois = ["all", "Primary", "Posterior"]
[downstream]
scores = "downstream.csv"
{tasks}
[alignment_vs_performance]
bootstrap = 50
permutations = 50
[dynamics]
smooth_window = 3
smooth_order = 1
""")
    return env


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    env = write_study(root)
    run_and_export(root, env)
    out, result = open_report(root, env)
    assert result["total"] >= 5
    return {"root": root, "out": out, "env": env, "shown": result["shown"]}


def inside(box, outer, slack=0.5):
    return (box["x0"] >= outer["x0"] - slack and box["x1"] <= outer["x1"] + slack
            and box["y0"] >= outer["y0"] - slack and box["y1"] <= outer["y1"] + slack)


def test_every_label_is_whole_and_inside_its_chart(report):
    for chart, shown in report["shown"]["charts"].items():
        assert shown["labels"], chart
        for label in shown["labels"]:
            assert "…" not in label["text"], (chart, label)
            assert inside(label["box"], shown["svg"]), (chart, label, shown["svg"])
            assert label["box"]["x0"] >= 0 and label["box"]["x1"] <= report["shown"]["viewport"]


def test_static_figures_show_every_label_whole(report):
    for chart, figure in report["shown"]["figures"].items():
        frame = {"x0": 0, "y0": 0, "x1": figure["width"], "y1": figure["height"]}
        assert figure["width"] == 900 and len(figure["texts"]) > 10, chart
        for t in figure["texts"]:
            assert not t["text"].startswith("..."), (chart, t)
            assert inside(t["box"], frame, slack=1), (chart, t, frame)
    texts = {t["text"] for t in report["shown"]["figures"]["bars"]["texts"]}
    assert set(MODELS) <= texts


def test_heat_map_rows_are_readable(report):
    table1 = read_rows(report["root"] / "export" / "table1.csv")
    metrics = {c["metric"] for c in table1}
    assert any(len(m) > 40 for m in metrics)  # names longer than Vega's default label limit
    labels = [l for l in report["shown"]["charts"]["heatmap"]["labels"]
              if l["role"] == "role-axis-label" and l["text"] in metrics]
    assert {l["text"] for l in labels} == metrics  # each row named in full
    # One label per row, none overlapping the next, in a readable size.
    by_axis = {}
    for l in labels:
        by_axis.setdefault(round(l["box"]["x1"]), []).append(l)
    for column in by_axis.values():
        column.sort(key=lambda l: l["box"]["y0"])
        for a, b in zip(column, column[1:]):
            assert a["box"]["y1"] <= b["box"]["y0"] + 0.5, (a, b)
    assert all(l["size"] >= 10 for l in labels)
    # Every cell of Table 1 is drawn.
    cells = report["shown"]["heat_cells"]
    assert {(c["subset"], c["metric"], c["performance"]) for c in cells} == {
        (c["subset"], c["metric"], c["performance"]) for c in table1}


def test_charts_take_the_page_width(report):
    shown = report["shown"]
    assert shown["page_width"] <= shown["viewport"]  # nothing wider than the window
    for chart, c in shown["charts"].items():
        div = c["div"]["x1"] - c["div"]["x0"]
        drawn = c["svg"]["x1"] - c["svg"]["x0"]
        assert div >= 0.9 * shown["viewport"], chart
        assert 0.9 * div <= drawn <= div + 0.5, (chart, drawn, div)


def panel_measure(title):
    """What a panel shows, from its title: dataset/analysis/protocol[/roi][:component] (bars,
    components, scatter) or model: dataset/analysis/protocol/roi (dynamics)."""
    path = title.split(": ", 1)[-1].split(":")[0].split("/")
    return MEASURE[(path[1], path[2])]


def test_value_axes_say_what_they_measure(report):
    charts = report["shown"]["charts"]
    for chart, other in [("bars", "model"), ("components", "component"),
                         ("scatter", "overall score"), ("dynamics", "checkpoint step")]:
        panels = charts[chart]["panels"]
        assert panels, chart
        for p in panels:
            assert sorted(p["axis_titles"]) == sorted([other, panel_measure(p["title"])]), (chart, p)
    all_measures = {panel_measure(p["title"]) for p in charts["bars"]["panels"]}
    assert all_measures == set(MEASURE.values())
    # The static figures say the same.
    ns = "{http://www.w3.org/2000/svg}"
    for chart in ["bars", "components", "scatter", "dynamics"]:
        texts = {t.text for t in ET.parse(report["out"] / "figures" / f"{chart}.svg").iter(ns + "text")}
        panels = {panel_measure(p["title"]) for p in charts[chart]["panels"]}
        assert panels <= texts, chart
        assert "score" not in texts and "value" not in texts, chart


def test_model_labels_are_the_study_files_names_in_its_order(report):
    charts = report["shown"]["charts"]
    for chart in ["bars", "components", "scatter"]:
        assert [l["label"] for l in charts[chart]["legend"]] == MODELS, chart
    bars_axis = [l["text"] for l in charts["bars"]["labels"] if l["role"] == "role-axis-label"
                 and not re.fullmatch(r"[−\-0-9.]+", l["text"])]
    assert bars_axis == MODELS * len(charts["bars"]["panels"])
    scores = report["shown"]["tables"]["scores"]
    assert {r[0] for r in scores["rows"]} == set(MODELS)


def most_chosen_layer(voxels_csv, layers):
    """The layer chosen most often over the targets and their folds (first in layer order on
    ties), from `brainalign score`'s voxels.csv."""
    counts = Counter(l for r in read_rows(voxels_csv) for l in r["layers"].split(";") if l)
    return max(layers, key=lambda l: (counts[l], -layers.index(l)))


def test_best_layer_column_holds_each_scores_best_layer(report):
    root = report["root"]
    table = report["shown"]["tables"]["scores"]
    assert table["header"][-1] == "best layer"
    col = {h: i for i, h in enumerate(table["header"])}
    results = read_rows(root / "export" / "results.csv")
    overall = {(r["model"], r["checkpoint"], r["dataset"], r["analysis"], r["protocol"],
                r["roi"] or "whole"): r["layer"] for r in results if r["level"] == "overall"}
    assert len(table["rows"]) == len(overall)
    for row in table["rows"]:
        key = tuple(row[col[h]] for h in ["model", "checkpoint", "dataset", "analysis", "protocol", "roi"])
        assert row[col["best layer"]] != "" and row[col["best layer"]] == overall[key], row
    # Layerwise RSA: the layer of the highest mean.
    for key, layer in overall.items():
        if key[3] == "rsa-layerwise":
            per_layer = {r["layer"]: float(r["value"]) for r in results if r["level"] == "layer"
                         and (r["model"], r["checkpoint"], r["dataset"], r["analysis"], r["protocol"],
                              r["roi"] or "whole") == key}
            assert layer == max(per_layer, key=per_layer.get), key
    # Regression: the layer `brainalign score` chose most often over the targets and folds.
    model = "beats:iter3"
    layers = [f"encoder.layers.{l}" for l in range(4)]
    for dataset, analysis, protocol in [("nh2015comp", "components", "pepino2025"),
                                        ("synthetic/dataset", "voxelwise", "pepino2025"),
                                        ("synthetic/dataset", "voxelwise", "tuckute2023")]:
        scored = root / "score" / analysis / protocol
        run_cli(["score", "--features", root / FEATURE_FILES[model], "--dataset",
                 dataset if "/" not in dataset else root / dataset, "--analysis", analysis,
                 "--protocol", protocol, "--threads", 2, "--quiet", "--out", scored], report["env"])
        name = dataset.split("/")[0]
        assert overall[(model, "", name, analysis, protocol, "whole")] == \
            most_chosen_layer(scored / "voxels.csv", layers), (analysis, protocol)


def hex_rgb(colour):
    if colour.startswith("#"):
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(v) for v in re.findall(r"\d+", colour)[:3])


def static_rects(svg_file):
    """Filled axis-aligned rectangles of a cairo SVG: (x0, y0, x1, y1, (r, g, b) 0..255)."""
    out = []
    for p in ET.parse(svg_file).iter("{http://www.w3.org/2000/svg}path"):
        m = re.search(r"fill:rgb\(([\d.]+)%,([\d.]+)%,([\d.]+)%\)", p.get("style", ""))
        d = p.get("d", "").strip()
        if not m or not re.fullmatch(r"M [-\d.e ]+(L [-\d.e ]+){3}Z M [-\d.e ]+", d):
            continue
        nums = [float(v) for v in re.findall(r"-?[\d.]+(?:e-?\d+)?", d)][:8]
        xs, ys = nums[0::2], nums[1::2]
        if len({round(x, 3) for x in xs}) != 2 or len({round(y, 3) for y in ys}) != 2:
            continue
        out.append((min(xs), min(ys), max(xs), max(ys),
                    tuple(round(float(v) * 2.55) for v in m.groups())))
    return out


def close(a, b, tol=1.5):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def test_one_colour_convention_in_the_page_and_the_static_figures(report):
    out = report["out"]
    charts = report["shown"]["charts"]
    ns = "{http://www.w3.org/2000/svg}"
    # Models: the same colour for each model in the page's legends and the static figures'.
    for chart in ["bars", "components", "scatter"]:
        page = {l["label"]: hex_rgb(l["fill"]) for l in charts[chart]["legend"]}
        assert len(set(page.values())) == len(MODELS), chart
        svg = out / "figures" / f"{chart}.svg"
        swatches = [r for r in static_rects(svg) if abs(r[2] - r[0] - 11) < 0.01
                    and abs(r[3] - r[1] - 11) < 0.01]
        texts = [(float(t.get("x")), float(t.get("y")), t.text) for t in ET.parse(svg).iter(ns + "text")]
        static = {}
        for x0, y0, _, _, colour in swatches:
            for x, y, text in texts:
                if abs(x - (x0 + 17)) < 0.02 and abs(y - (y0 + 10)) < 0.02:
                    static[text] = colour
        assert set(static) == set(page), chart
        for model in page:
            assert close(static[model], page[model]), (chart, model, static[model], page[model])
    # Pearson r: blue below zero, red above, the same colour for the same r in the page and the
    # static figure.
    cells = [c for c in report["shown"]["heat_cells"] if c["r"] is not None]
    page_colours = [hex_rgb(c["fill"]) for c in cells]
    for c, (r, g, b) in zip(cells, page_colours):
        if c["r"] > 0.2:
            assert r > b + 20, c
        if c["r"] < -0.2:
            assert b > r + 20, c
    static = [r[4] for r in static_rects(out / "figures" / "heatmap.svg")
              if abs(r[3] - r[1] - 24) < 0.01]  # the cells (24 high; the colour bar's are thin)
    assert len(static) == len(cells)
    for colour in page_colours:
        assert any(close(colour, s) for s in static), colour
    for colour in static:
        assert any(close(colour, p) for p in page_colours), colour


def test_paper_figures_the_study_cannot_draw_are_left_out_with_a_note(report):
    shown = report["shown"]
    notes = {n["figure"]: n["text"] for n in shown["notes"]}
    # One RSA method only: no Fig S2, and the page says what it needs.
    assert "figs2" not in shown["charts"] and not (report["out"] / "figures" / "figs2.svg").exists()
    assert "Fig S2 is left out" in notes["figs2"] and "xval" in notes["figs2"]
    # No model runs spectemp and none is marked as the baseline; no ceiling analysis.
    fig2 = [n["text"] for n in shown["notes"] if n["figure"] == "fig2"]
    assert any("no baseline line" in t and "spectemp" in t for t in fig2)
    assert any("no noise ceiling" in t and "ceiling" in t for t in fig2)
    assert "fig2" in shown["charts"] and "fig5" in shown["charts"]
