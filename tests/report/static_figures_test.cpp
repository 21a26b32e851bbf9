// The report's static figures: every chart of a small study's store drawn as an SVG that
// parses as XML and names what it shows, and a PNG of the same size; bar heights scale with
// the values. Python's xml.etree, struct and zlib read the files back.
#include "brainalign/report/static_figures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "brainalign/base/error.h"
#include "brainalign/report/study_report.h"
#include "brainalign/study/results_store.h"
#include "brainalign/study/study_analyses.h"
#include "brainalign/study/study_file.h"
#include "common/python_exchange.h"

namespace brainalign {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::PythonExchange;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

study::UnitRecord unit(const std::string& model, const std::string& checkpoint, std::int64_t step,
                       double value, double sem) {
  study::UnitRecord r;
  r.unit = {model, checkpoint, step, "comp", "components", "pepino2025", ""};
  r.brainalign_version = "test";
  r.options_json = "{}";
  r.summary_json = "{}";
  r.rows = {{"overall", "", "", value, sem},
            {"component", "music", "", value / 2, std::nan("")},
            {"component", "speech", "", value * 2, std::nan("")}};
  return r;
}

// Reads each figure back: the SVG's title and text, its filled axis-aligned rectangles (all
// of them as x0, y0, x1, y1, red, green, blue in 0..255; the tallest per non-grey colour) and
// the PNG's IHDR and decompressed size.
constexpr const char* kReader = R"py(
import json, re, struct, zlib
import xml.etree.ElementTree as ET
NS = '{http://www.w3.org/2000/svg}'
out = {}
for chart in open('charts.txt').read().split():
    svg = ET.parse(chart + '.svg').getroot()
    title = svg.find(NS + 'title')
    texts = [t.text for t in svg.iter(NS + 'text')]
    tallest, rects = {}, []
    for p in svg.iter(NS + 'path'):
        m = re.search(r'fill:rgb\(([\d.]+)%,([\d.]+)%,([\d.]+)%\)', p.get('style', ''))
        d = p.get('d', '')
        if not m or len(set(m.groups())) == 1:
            continue
        if not re.fullmatch(r'M [-\d.e ]+(L [-\d.e ]+){3}Z M [-\d.e ]+', d.strip()):
            continue
        nums = [float(v) for v in re.findall(r'-?[\d.]+(?:e-?\d+)?', d)][:8]
        xs, ys = nums[0::2], nums[1::2]
        if len(set(round(x, 3) for x in xs)) != 2 or len(set(round(y, 3) for y in ys)) != 2:
            continue
        key = ','.join(m.groups())
        rects.append([min(xs), min(ys), max(xs), max(ys)] + [float(v) * 2.55 for v in m.groups()])
        tallest[key] = max(tallest.get(key, 0), max(ys) - min(ys))
    raw = open(chart + '.png', 'rb').read()
    assert raw[:8] == b'\x89PNG\r\n\x1a\n', chart
    length, kind = struct.unpack('>I4s', raw[8:16])
    w, h, depth, colour = struct.unpack('>IIBB', raw[16:26])
    at, idat = 8, b''
    while at < len(raw):
        n, k = struct.unpack('>I4s', raw[at:at + 8])
        if k == b'IDAT':
            idat += raw[at + 8:at + 8 + n]
        at += 12 + n
    out[chart] = {'title': None if title is None else title.text, 'texts': texts,
                  'svg_width': svg.get('width'), 'svg_height': svg.get('height'),
                  'bars': sorted(tallest.values()), 'tallest': tallest, 'rects': rects,
                  'ihdr': kind.decode(), 'ihdr_length': length,
                  'width': w, 'height': h, 'depth': depth, 'colour': colour,
                  'pixels': len(zlib.decompress(idat))}
json.dump(out, open('figures.json', 'w'))
)py";

bool contains(const std::vector<std::string>& texts, const std::string& s) {
  return std::find(texts.begin(), texts.end(), s) != texts.end();
}

std::vector<std::string> scatter_texts_of(const json& figures) {
  return figures["scatter"]["texts"].get<std::vector<std::string>>();
}

TEST(StaticFigures, EveryChartAsSvgAndPngWithItsLabelsAndBarsToScale) {
  PythonExchange py;
  const fs::path dir = py.dir() / "study";
  for (const char* m : {"alpha", "beta", "gamma"})
    write(dir / "f" / (std::string(m) + ".npz"), "x");
  for (int step : {0, 1000, 2000, 3000})
    write(dir / "ck" / ("step_" + std::to_string(step) + ".npz"), "x");
  write(dir / "scores.csv", "model,task,score\n");
  write(dir / "s.toml", R"(
[study]
name = "figures"
[[models]]
name = "alpha"
kind = "features"
features = "f/alpha.npz"
[[models]]
name = "beta"
kind = "features"
features = "f/beta.npz"
[[models]]
name = "gamma"
kind = "features"
features = "f/gamma.npz"
[[models]]
name = "ck"
kind = "checkpoints"
features = "ck/step_*.npz"
[[datasets]]
name = "comp"
source = "nh2015comp"
[[datasets]]
name = "vox"
source = "vox"
[[analyses]]
analysis = "components"
[[analyses]]
name = "regression"
analysis = "voxelwise"
protocols = ["tuckute2023"]
[[analyses]]
name = "similarity"
analysis = "rsa"
rsa_method = "layerwise"
[downstream]
scores = "scores.csv"
[[tasks]]
name = "esc50"
[[tasks]]
name = "pitch"
[alignment_vs_performance]
bootstrap = 20
permutations = 20
[dynamics]
smooth_window = 3
smooth_order = 1
)");
  const study::Study study = study::load_study(dir / "s.toml");
  study::ResultsStore store(study::results_store_path(study));
  // Bars (last checkpoint): alpha 0.2, beta 0.4, ck 0.3, gamma 0.1.
  store.write_unit(unit("alpha", "", -1, 0.2, 0.02));
  store.write_unit(unit("beta", "", -1, 0.4, 0.03));
  store.write_unit(unit("gamma", "", -1, 0.1, 0.01));
  const double ck[] = {0.05, 0.15, 0.2, 0.3};
  for (int i = 0; i < 4; ++i)
    store.write_unit(unit("ck", "step_" + std::to_string(i * 1000), i * 1000, ck[i], 0.01));
  // Voxel regression (tuckute2023) and RSA of one model: panels of their own measures.
  study::UnitRecord vox;
  vox.unit = {"beta", "", -1, "vox", "regression", "tuckute2023", ""};
  vox.brainalign_version = "test";
  vox.options_json = vox.summary_json = "{}";
  vox.rows = {{"overall", "", "l1", 0.25, 0.02}};
  store.write_unit(vox);
  vox.unit.analysis = "similarity";
  vox.unit.protocol = "pepino2025";
  vox.rows = {{"overall", "", "l2", 0.15, 0.02}};
  store.write_unit(vox);
  store.write_downstream({{"alpha", "esc50", 0.5, "scores.csv"},
                          {"beta", "esc50", 0.8, "scores.csv"},
                          {"gamma", "esc50", 0.3, "scores.csv"},
                          {"ck", "esc50", 0.6, "scores.csv"},
                          {"alpha", "pitch", 0.4, "scores.csv"},
                          {"beta", "pitch", 0.9, "scores.csv"},
                          {"gamma", "pitch", 0.2, "scores.csv"},
                          {"ck", "pitch", 0.5, "scores.csv"}});
  const auto charts = report::report_charts(study, store, study::analyse_study(study, store));
  std::vector<std::string> ids;
  for (const auto& c : charts) ids.push_back(c.id);
  ASSERT_EQ(ids,
            (std::vector<std::string>{"bars", "components", "scatter", "heatmap", "dynamics"}));
  report::write_static_figures(charts, py.dir());

  std::ofstream(py.dir() / "charts.txt") << "bars components scatter heatmap dynamics\n";
  py.run(kReader);
  const json figures = json::parse(std::ifstream(py.dir() / "figures.json"));
  for (const auto& c : charts) {
    SCOPED_TRACE(c.id);
    const json& f = figures.at(c.id);
    EXPECT_EQ(f["title"], c.title);
    const auto texts = f["texts"].get<std::vector<std::string>>();
    EXPECT_TRUE(contains(texts, c.title));
    EXPECT_EQ(f["ihdr"], "IHDR");
    EXPECT_EQ(f["ihdr_length"], 13);
    EXPECT_EQ(f["width"], 900);
    EXPECT_GE(f["height"].get<int>(), 400);
    EXPECT_LE(f["height"].get<int>(), 800);
    EXPECT_EQ(f["depth"], 8);
    EXPECT_EQ(f["colour"], 2);  // RGB: one filter byte and 3 bytes a pixel per row
    EXPECT_EQ(f["pixels"].get<long>(), f["height"].get<long>() * (1 + 3 * f["width"].get<long>()));
    EXPECT_EQ(f["svg_width"], "900px");
    EXPECT_EQ(f["svg_height"], std::to_string(f["height"].get<int>()) + "px");
    if (c.id != "heatmap") {  // models in the legend (layers in the dynamics' legend)
      for (const char* m : {"alpha", "beta", "gamma", "ck"})
        EXPECT_EQ(contains(texts, m), c.id != "dynamics") << m;
    }
  }
  // Value axes say what the analysis measures: r² (components), tuckute2023's
  // noise-corrected r² of voxels, RSA's Spearman ρ.
  const auto bars_texts = figures["bars"]["texts"].get<std::vector<std::string>>();
  EXPECT_TRUE(contains(bars_texts, "comp/components/pepino2025"));
  EXPECT_TRUE(contains(bars_texts, "vox/regression/tuckute2023"));
  EXPECT_TRUE(contains(bars_texts, "vox/similarity/pepino2025"));
  for (const char* measure : {"r²", "noise-corrected r²", "RSA ρ"})
    EXPECT_TRUE(contains(bars_texts, measure)) << measure;
  EXPECT_FALSE(contains(bars_texts, "score"));
  for (const char* chart : {"components", "dynamics"}) {
    const auto texts = figures[chart]["texts"].get<std::vector<std::string>>();
    EXPECT_TRUE(contains(texts, "r²")) << chart;
    EXPECT_FALSE(contains(texts, "score") || contains(texts, "value")) << chart;
  }
  EXPECT_TRUE(contains(scatter_texts_of(figures), "r²"));
  EXPECT_TRUE(contains(figures["components"]["texts"].get<std::vector<std::string>>(), "speech"));
  EXPECT_TRUE(contains(figures["heatmap"]["texts"].get<std::vector<std::string>>(), "overall"));
  EXPECT_TRUE(
      contains(figures["dynamics"]["texts"].get<std::vector<std::string>>(), "checkpoint step"));
  // Each scatter panel's title gives r (Table 1's cell, as the page's chart labels it).
  const auto scatter_texts = figures["scatter"]["texts"].get<std::vector<std::string>>();
  std::string r_label;
  for (const auto& c : charts)
    if (c.id == "scatter") r_label = c.spec["data"]["values"][0]["r_label"];
  EXPECT_EQ(r_label.rfind("r = 0.", 0) == 0 || r_label.rfind("r = -0.", 0) == 0, true) << r_label;
  EXPECT_TRUE(contains(scatter_texts, r_label)) << r_label;

  // One bar per model, in the colour the page's scale gives it (the study file's order of
  // models, Tableau 10), heights in the values' ratios: gamma 0.1, alpha 0.2, ck 0.3, beta 0.4
  // (beta's tallest bar is its voxel regression, 0.25, in a panel of its own).
  const json* bar_spec = nullptr;
  for (const auto& c : charts)
    if (c.id == "bars") bar_spec = &c.spec;
  const json scale = bar_spec->at("concat")[0]["layer"][0]["encoding"]["color"]["scale"];
  EXPECT_EQ(scale["domain"], json({"alpha", "beta", "gamma", "ck"}));
  EXPECT_EQ(scale["range"], json({"#4c78a8", "#f58518", "#e45756", "#72b7b2"}));
  const json& tallest = figures["bars"]["tallest"];
  std::map<std::string, double> height;
  for (const auto& [model, colour] : {std::pair{"alpha", "29.803922,47.058824,65.882353"},
                                      std::pair{"beta", "96.078431,52.156863,9.411765"},
                                      std::pair{"gamma", "89.411765,34.117647,33.72549"},
                                      std::pair{"ck", "44.705882,71.764706,69.803922"}}) {
    ASSERT_TRUE(tallest.contains(colour)) << model << " " << tallest.dump();
    height[model] = tallest[colour].get<double>();
  }
  EXPECT_NEAR(height["alpha"] / height["gamma"], 2.0, 1e-3);
  EXPECT_NEAR(height["ck"] / height["gamma"], 3.0, 1e-3);
  EXPECT_GT(height["ck"], 100.0);

  // The heat map colours each cell by the page's scale: Pearson r from blue (-1) through
  // near-white (0) to red (+1), linear in RGB.
  const json* heat_spec = nullptr;
  for (const auto& c : charts)
    if (c.id == "heatmap") heat_spec = &c.spec;
  const json heat_scale = heat_spec->at("spec")["layer"][0]["encoding"]["color"]["scale"];
  EXPECT_EQ(heat_scale["domain"], json({-1, 0, 1}));
  EXPECT_EQ(heat_scale["range"], json({"#2166ac", "#f7f7f7", "#b2182b"}));
  EXPECT_EQ(heat_scale["interpolate"], "rgb");
  const auto expected_colour = [](double r) {
    const double blue[] = {0x21, 0x66, 0xac}, white[] = {0xf7, 0xf7, 0xf7},
                 red[] = {0xb2, 0x18, 0x2b};
    const double* end = r < 0 ? blue : red;
    std::vector<double> c(3);
    for (int i = 0; i < 3; ++i) c[i] = white[i] + (end[i] - white[i]) * std::min(1.0, std::abs(r));
    return c;
  };
  std::vector<std::vector<double>> cells;  // the 24-pixel-high cells; the colour bar is finer
  for (const auto& r : figures["heatmap"]["rects"])
    if (std::abs(r[3].get<double>() - r[1].get<double>() - 24) < 0.01)
      cells.push_back({r[4].get<double>(), r[5].get<double>(), r[6].get<double>()});
  std::vector<double> rs;
  for (const auto& v : heat_spec->at("data")["values"])
    if (v["r"].is_number()) rs.push_back(v["r"].get<double>());
  ASSERT_EQ(cells.size(), rs.size());
  ASSERT_FALSE(rs.empty());
  for (double r : rs) {
    const auto want = expected_colour(r);
    const bool drawn = std::any_of(cells.begin(), cells.end(), [&](const auto& c) {
      return std::abs(c[0] - want[0]) < 0.6 && std::abs(c[1] - want[1]) < 0.6 &&
             std::abs(c[2] - want[2]) < 0.6;
    });
    EXPECT_TRUE(drawn) << "r = " << r;
  }
}

// The paper's Fig 2 as a static figure: bars per model in proportion to their scores, the
// baseline (the model whose registry name is spectemp) and the noise ceiling as dashed
// vertical lines where the bars' scale puts their stored values.
constexpr const char* kLineReader = R"py(
import json, re
import xml.etree.ElementTree as ET
NS = '{http://www.w3.org/2000/svg}'
svg = ET.parse('fig2.svg').getroot()
rects, lines = [], []
for p in svg.iter(NS + 'path'):
    style, d = p.get('style', ''), p.get('d', '').strip()
    nums = [float(v) for v in re.findall(r'-?[\d.]+(?:e-?\d+)?', d)]
    fill = re.search(r'fill:rgb\(([\d.]+)%,([\d.]+)%,([\d.]+)%\)', style)
    if fill and re.fullmatch(r'M [-\d.e ]+(L [-\d.e ]+){3}Z M [-\d.e ]+', d):
        xs, ys = nums[0:8:2], nums[1:8:2]
        rects.append([min(xs), min(ys), max(xs), max(ys)] + [round(float(v) * 2.55) for v in fill.groups()])
    dash = re.search(r'stroke-dasharray:([\d., ]+)', style)
    stroke = re.search(r'stroke:rgb\(([\d.]+)%,([\d.]+)%,([\d.]+)%\)', style)
    if dash and stroke and len(nums) == 4 and abs(nums[0] - nums[2]) < 1e-6:
        lines.append({'x': nums[0], 'dash': [float(v) for v in re.split(r'[ ,]+', dash.group(1).strip())],
                      'stroke': [round(float(v) * 2.55) for v in stroke.groups()]})
texts = [t.text for t in svg.iter(NS + 'text')]
json.dump({'rects': rects, 'lines': lines, 'texts': texts}, open('fig2.json', 'w'))
)py";

TEST(StaticFigures, PaperFigure2DrawsBarsBaselineAndCeilingToScale) {
  PythonExchange py;
  const fs::path dir = py.dir() / "study";
  for (const char* m : {"alpha", "beta"}) write(dir / "f" / (std::string(m) + ".npz"), "x");
  write(dir / "s.toml", R"(
[study]
name = "paper"
[[models]]
name = "alpha"
kind = "features"
features = "f/alpha.npz"
[[models]]
name = "beta"
kind = "features"
features = "f/beta.npz"
[[models]]
name = "st"
model = "spectemp"
[[datasets]]
name = "vox"
source = "vox"
[[analyses]]
analysis = "voxelwise"
[[analyses]]
analysis = "rsa"
rsa_method = "layerwise"
[[analyses]]
analysis = "ceiling"
)");
  const study::Study study = study::load_study(dir / "s.toml");
  ASSERT_NE(study.baseline_model(), nullptr);
  EXPECT_EQ(study.baseline_model()->name, "st");
  study::ResultsStore store(study::results_store_path(study));
  const auto put = [&](const std::string& model, const std::string& analysis, double value,
                       double sem) {
    study::UnitRecord r;
    r.unit = {model, "", -1, "vox", analysis, "pepino2025", ""};
    r.brainalign_version = "test";
    r.options_json = analysis == "rsa-layerwise" ? R"({"rsa_method":"layerwise"})" : "{}";
    r.summary_json = "{}";
    r.rows = {{"overall", "", "", value, sem}};
    store.write_unit(r);
  };
  put("alpha", "voxelwise", 0.2, 0.01);
  put("beta", "voxelwise", 0.4, 0.01);
  put("st", "voxelwise", 0.1, 0.01);
  put("alpha", "rsa-layerwise", 0.3, 0.01);
  put("beta", "rsa-layerwise", 0.15, 0.01);
  put("st", "rsa-layerwise", 0.05, 0.01);
  put("", "ceiling", 0.6, 0.02);
  report::write_study_report(study, store, py.dir() / "report");
  fs::copy_file(py.dir() / "report" / "figures" / "fig2.svg", py.dir() / "fig2.svg");
  EXPECT_TRUE(fs::exists(py.dir() / "report" / "figures" / "fig2.png"));
  for (const char* left_out : {"figs2", "fig4", "fig5", "fig6"})
    EXPECT_FALSE(fs::exists(py.dir() / "report" / "figures" / (std::string(left_out) + ".svg")))
        << left_out;
  py.run(kLineReader);
  const json f = json::parse(std::ifstream(py.dir() / "fig2.json"));
  const auto texts = f["texts"].get<std::vector<std::string>>();
  for (const char* t : {"Regression – vox", "RSA – vox", "alpha", "beta", "baseline: st",
                        "noise ceiling", "r²", "RSA ρ", "model", "reference line"})
    EXPECT_TRUE(contains(texts, t)) << t;
  EXPECT_FALSE(contains(texts, "st"));  // the baseline is a line, not a bar
  // Bars: alpha (Tableau blue) and beta (orange), regression panel left, RSA panel right.
  std::vector<std::vector<double>> alpha, beta;
  for (const auto& r : f["rects"]) {
    const std::vector<double> v = r.get<std::vector<double>>();
    if (v[4] == 0x4c && v[5] == 0x78 && v[6] == 0xa8) alpha.push_back(v);
    if (v[4] == 0xf5 && v[5] == 0x85 && v[6] == 0x18) beta.push_back(v);
  }
  ASSERT_EQ(alpha.size(), 2u);
  ASSERT_EQ(beta.size(), 2u);
  std::sort(alpha.begin(), alpha.end());
  std::sort(beta.begin(), beta.end());
  const auto width = [](const std::vector<double>& r) { return r[2] - r[0]; };
  EXPECT_NEAR(width(alpha[0]) / width(beta[0]), 0.2 / 0.4, 1e-3);
  EXPECT_NEAR(width(alpha[1]) / width(beta[1]), 0.3 / 0.15, 1e-3);
  // Beta leads the first panel: it is drawn above alpha in both.
  EXPECT_LT(beta[0][1], alpha[0][1]);
  EXPECT_LT(beta[1][1], alpha[1][1]);
  // The reference lines: x(0) + (x(v) - x(0)) * value / v, from the bars' own scale.
  const auto at = [&](const std::vector<double>& bar, double v, double value) {
    return bar[0] + width(bar) * value / v;
  };
  std::vector<double> baseline, ceiling;
  for (const auto& l : f["lines"]) {
    const auto stroke = l["stroke"].get<std::vector<int>>();
    if (stroke == std::vector<int>{0, 0, 0}) ceiling.push_back(l["x"].get<double>());
    if (stroke == std::vector<int>{0x7f, 0x7f, 0x7f}) baseline.push_back(l["x"].get<double>());
  }
  std::sort(baseline.begin(), baseline.end());
  ASSERT_EQ(ceiling.size(), 1u);   // the RSA panel's (the legend's samples lie level)
  ASSERT_EQ(baseline.size(), 2u);  // one per panel
  EXPECT_NEAR(ceiling[0], at(alpha[1], 0.3, 0.6), 0.01);
  EXPECT_NEAR(baseline[0], at(alpha[0], 0.2, 0.1), 0.01);
  EXPECT_NEAR(baseline[1], at(alpha[1], 0.3, 0.05), 0.01);
}

// A study of `count` feature models with one voxel-wise result each; the colour scale of its
// per-model bars.
json model_colour_scale(const fs::path& dir, int count) {
  std::string toml = "[study]\nname = \"many\"\n";
  for (int m = 0; m < count; ++m) {
    const std::string name = "model" + std::to_string(m);
    write(dir / "f" / (name + ".npz"), "x");
    toml += "[[models]]\nname = \"" + name + "\"\nkind = \"features\"\nfeatures = \"f/" + name +
            ".npz\"\n";
  }
  write(dir / "s.toml",
        toml +
            "[[datasets]]\nname = \"vox\"\nsource = \"vox\"\n[[analyses]]\nanalysis = "
            "\"voxelwise\"\n");
  const study::Study study = study::load_study(dir / "s.toml");
  study::ResultsStore store(study::results_store_path(study));
  for (int m = 0; m < count; ++m) {
    study::UnitRecord r;
    r.unit = {"model" + std::to_string(m), "", -1, "vox", "voxelwise", "pepino2025", ""};
    r.brainalign_version = "test";
    r.options_json = "{}";
    r.summary_json = "{}";
    r.rows = {{"overall", "", "", 0.1 + 0.01 * m, 0.01}};
    store.write_unit(r);
  }
  for (const auto& c : report::report_charts(study, store, study::analyse_study(study, store))) {
    if (c.id == "bars") return c.spec.at("concat")[0]["layer"][0]["encoding"]["color"]["scale"];
  }
  return json();
}

TEST(StaticFigures, EveryModelOfALargeStudyHasAColourOfItsOwn) {
  // Up to 20 models: Tableau 20 in the study file's order; the 2025 paper's 36: no two alike.
  PythonExchange py;
  const json twelve = model_colour_scale(py.dir() / "twelve", 12);
  ASSERT_EQ(twelve["range"].size(), 12u);
  EXPECT_EQ(twelve["range"][0], "#4c78a8");
  EXPECT_EQ(twelve["range"][1], "#9ecae9");
  EXPECT_EQ(twelve["range"][11], "#ff9d98");
  const json many = model_colour_scale(py.dir() / "many", 36);
  ASSERT_EQ(many["domain"].size(), 36u);
  std::set<std::string> colours;
  for (const auto& c : many["range"]) {
    const std::string hex = c.get<std::string>();
    EXPECT_EQ(hex.size(), 7u) << hex;
    EXPECT_EQ(hex.find_first_not_of("#0123456789abcdef"), std::string::npos) << hex;
    colours.insert(hex);
  }
  EXPECT_EQ(colours.size(), 36u) << many["range"].dump();
}

TEST(StaticFigures, UnknownChartKindNamesTheChart) {
  PythonExchange py;
  try {
    report::write_static_figure({"pie", "Pie", json::object()}, py.dir());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("chart 'pie'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(py.dir() / "pie.svg"));
}

}  // namespace
}  // namespace brainalign
