// The report's static figures: every chart of a small study's store drawn as an SVG that
// parses as XML and names what it shows, and a PNG of the same size; bar heights scale with
// the values. Python's xml.etree, struct and zlib read the files back.
#include "brainalign/report/static_figures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

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

// Reads each figure back: the SVG's title and text, its filled axis-aligned rectangles (the
// tallest per non-grey colour) and the PNG's IHDR and decompressed size.
constexpr const char* kReader = R"py(
import json, re, struct, zlib
import xml.etree.ElementTree as ET
NS = '{http://www.w3.org/2000/svg}'
out = {}
for chart in open('charts.txt').read().split():
    svg = ET.parse(chart + '.svg').getroot()
    title = svg.find(NS + 'title')
    texts = [t.text for t in svg.iter(NS + 'text')]
    tallest = {}
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
                  'bars': sorted(tallest.values()), 'ihdr': kind.decode(), 'ihdr_length': length,
                  'width': w, 'height': h, 'depth': depth, 'colour': colour,
                  'pixels': len(zlib.decompress(idat))}
json.dump(out, open('figures.json', 'w'))
)py";

bool contains(const std::vector<std::string>& texts, const std::string& s) {
  return std::find(texts.begin(), texts.end(), s) != texts.end();
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
[[analyses]]
analysis = "components"
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
  const auto bars_texts = figures["bars"]["texts"].get<std::vector<std::string>>();
  EXPECT_TRUE(contains(bars_texts, "comp/components/pepino2025"));
  EXPECT_TRUE(contains(bars_texts, "score"));
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

  // One bar per model, heights in the values' ratios: 0.1 : 0.2 : 0.3 : 0.4.
  const auto bars = figures["bars"]["bars"].get<std::vector<double>>();
  ASSERT_EQ(bars.size(), 4u);
  EXPECT_NEAR(bars[1] / bars[0], 2.0, 1e-3);
  EXPECT_NEAR(bars[2] / bars[0], 3.0, 1e-3);
  EXPECT_NEAR(bars[3] / bars[1], 2.0, 1e-3);
  EXPECT_GT(bars[3], 100.0);
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
