#include "brainalign/report/study_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <sstream>

#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/io/json.h"
#include "brainalign/report/chart_libraries.h"
#include "brainalign/report/static_figures.h"
#include "colours.h"
#include "markup.h"
#include "paper_figures.h"

namespace brainalign::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v5.json";

std::string metric_name(const study::WorkUnit& u) {
  std::string s = u.dataset + "/" + u.analysis + "/" + u.protocol;
  if (!u.roi.empty()) s += "/" + u.roi;
  return s;
}

// Text safe inside a <script> element: only "</script" (any case) would end it early, and
// "<\/" means the same inside a JavaScript string, regular expression or JSON string.
std::string script_safe(std::string s) {
  for (size_t at = s.find("</"); at != std::string::npos; at = s.find("</", at + 2)) {
    std::string tag = s.substr(at + 2, 6);
    for (char& c : tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (tag == "script") s.replace(at, 2, "<\\/");
  }
  return s;
}

std::string cell(double v, int precision = 3) {
  if (!std::isfinite(v)) return "";
  std::ostringstream o;
  o.precision(precision);
  o << v;
  return o.str();
}

// What an analysis' values measure, as the axes say it: the clipped r² of held-out
// predictions (components; voxels under pepino2025), tuckute2023's noise-corrected r² of
// voxels, and Spearman's ρ between RDMs for RSA.
std::string measure_of(const study::Study& study, const std::string& analysis,
                       const std::string& protocol) {
  for (const auto& a : study.analyses)
    if (a.name == analysis) {
      if (a.analysis == "rsa" || a.analysis == "ceiling") return "RSA ρ";
      if (a.analysis == "voxelwise" && protocol == "tuckute2023") return "noise-corrected r²";
      return "r²";
    }
  return "score";
}

// Shared by every chart: labels are never cut (no length limit on axis labels, legend labels
// and titles), fonts large enough to read.
json chart_config() {
  // A limit wider than any label rather than 0 (none): Vega places axis titles past
  // min(label width, limit).
  constexpr int kNoLimit = 100000;
  return {{"axis", {{"labelLimit", kNoLimit}, {"labelFontSize", 11}, {"titleFontSize", 12}}},
          {"legend",
           {{"labelLimit", kNoLimit},
            {"titleLimit", kNoLimit},
            {"labelFontSize", 11},
            {"titleFontSize", 12}}},
          {"header", {{"labelLimit", kNoLimit}, {"labelFontSize", 12}}},
          {"title", {{"limit", kNoLimit}, {"fontSize", 12}}}};
}

// One panel per value of `field` (each with its own axes and titles), `columns` to a row; the
// page widens the panels to the page's width when it draws them.
json panels_chart(const json& values, const std::string& field,
                  const std::vector<std::string>& names, const std::function<json(size_t)>& layers,
                  int columns) {
  json concat = json::array();
  for (size_t i = 0; i < names.size(); ++i)
    concat.push_back(
        {{"title", names[i]},
         {"transform", json::array({{{"filter", {{"field", field}, {"equal", names[i]}}}}})},
         {"width", 200},
         {"height", 160},
         {"layer", layers(i)}});
  return {{"$schema", kSchema},
          {"data", {{"values", values}}},
          {"columns", columns},
          {"concat", concat},
          {"resolve",
           {{"scale", {{"x", "independent"}, {"y", "independent"}, {"color", "shared"}}},
            {"axis", {{"x", "independent"}, {"y", "independent"}}},
            {"legend", {{"color", "shared"}}}}},
          {"config", chart_config()}};
}

// Distinct values of `field` in order of first appearance.
std::vector<std::string> distinct(const json& values, const std::string& field) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    const std::string s = v.at(field).get<std::string>();
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

// The study's models (in the study file's order, named as there) that have a row in `values`.
std::vector<std::string> models_in(const study::Study& study, const json& values) {
  const std::vector<std::string> present = distinct(values, "model");
  std::vector<std::string> out;
  for (const auto& m : study.models)
    if (std::find(present.begin(), present.end(), m.name) != present.end()) out.push_back(m.name);
  for (const auto& m : present)
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  return out;
}

json model_colour(const std::vector<std::string>& models) {
  return {{"field", "model"},
          {"type", "nominal"},
          {"scale", series_scale(models)},
          {"legend", {{"title", "model"}}}};
}

std::string table_html(const std::string& id, const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream o;
  o << "<table class=\"sortable\" id=\"" << id << "\"><thead><tr>";
  for (const auto& h : header) o << "<th>" << escape_markup(h) << "</th>";
  o << "</tr></thead><tbody>\n";
  for (const auto& r : rows) {
    o << "<tr>";
    for (const auto& c : r) o << "<td>" << escape_markup(c) << "</td>";
    o << "</tr>\n";
  }
  o << "</tbody></table>\n";
  return o.str();
}

}  // namespace

std::vector<ReportChart> report_charts(const study::Study& study, const study::ResultsStore& store,
                                       const study::StudyAnalyses& analyses) {
  std::map<std::string, std::string> last;  // model -> last checkpoint
  for (const auto& m : study.models)
    if (!m.checkpoints.empty()) last[m.name] = m.checkpoints.back().label;
  std::map<std::string, std::string> measure;  // alignment metric -> what it measures
  json bars = json::array(), components = json::array();
  for (const auto& r : store.results()) {
    const std::string metric = metric_name(r.unit);
    const std::string what = measure_of(study, r.unit.analysis, r.unit.protocol);
    measure[metric] = what;
    if (r.row.level == "component") measure[metric + ":" + r.row.target] = what;
    const auto it = last.find(r.unit.model);
    if (it == last.end() || it->second != r.unit.checkpoint) continue;
    if (r.row.level == "overall") {
      const double sem = std::isfinite(r.row.sem) ? r.row.sem : 0.0;
      bars.push_back({{"model", r.unit.model},
                      {"metric", metric},
                      {"measure", what},
                      {"value", io::json_number(r.row.value)},
                      {"lo", io::json_number(r.row.value - sem)},
                      {"hi", io::json_number(r.row.value + sem)}});
    } else if (r.row.level == "component") {
      components.push_back({{"model", r.unit.model},
                            {"metric", metric},
                            {"measure", what},
                            {"component", r.row.target},
                            {"value", io::json_number(r.row.value)}});
    }
  }
  std::vector<ReportChart> charts;
  if (!bars.empty()) {
    const auto models = models_in(study, bars);
    const auto metrics = distinct(bars, "metric");
    const json x = {{"field", "model"},
                    {"type", "nominal"},
                    {"sort", models},
                    {"title", "model"},
                    {"axis", {{"labelAngle", -30}, {"labelAlign", "right"}}}};
    const auto layers = [&](size_t i) {
      const std::string what = measure[metrics[i]];
      return json::array({{{"mark", "bar"},
                           {"encoding",
                            {{"x", x},
                             {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", what}}},
                             {"color", model_colour(models)},
                             {"tooltip", json::array({{{"field", "model"}},
                                                      {{"field", "value"}, {"title", what}}})}}}},
                          {{"mark", {{"type", "rule"}, {"color", "black"}}},
                           {"encoding",
                            {{"x", x},
                             {"y", {{"field", "lo"}, {"type", "quantitative"}, {"title", what}}},
                             {"y2", {{"field", "hi"}}}}}}});
    };
    charts.push_back({"bars", "Alignment per model (error bars: sem over subjects)",
                      panels_chart(bars, "metric", metrics, layers, 3)});
  }
  if (!components.empty()) {
    const auto models = models_in(study, components);
    const auto metrics = distinct(components, "metric");
    const auto layers = [&](size_t i) {
      return json::array(
          {{{"mark", "bar"},
            {"encoding",
             {{"x", {{"field", "component"}, {"type", "nominal"}, {"title", "component"}}},
              {"xOffset", {{"field", "model"}, {"type", "nominal"}, {"sort", models}}},
              {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", measure[metrics[i]]}}},
              {"color", model_colour(models)},
              {"tooltip", json::array({{{"field", "model"}},
                                       {{"field", "component"}},
                                       {{"field", "value"}, {"title", measure[metrics[i]]}}})}}}}});
    };
    charts.push_back({"components", "Alignment per component",
                      panels_chart(components, "metric", metrics, layers, 2)});
  }
  const auto& ap = analyses.alignment_performance;
  if (!ap.models.empty() && !ap.metrics.empty()) {
    std::map<std::string, double> r_of;
    for (const auto& c : ap.cells)
      if (c.subset == "all" && c.performance == "overall") r_of[c.metric] = c.r;
    json points = json::array();
    std::vector<std::string> metrics;
    for (size_t k = 0; k < ap.metrics.size(); ++k) {
      bool first = true;
      for (size_t i = 0; i < ap.models.size(); ++i) {
        if (!std::isfinite(ap.metric_values[k][i])) continue;
        points.push_back({{"metric", ap.metrics[k]},
                          {"measure", measure[ap.metrics[k]]},
                          {"model", ap.models[i]},
                          {"alignment", ap.metric_values[k][i]},
                          {"overall", ap.overall[i]},
                          {"r_label", "r = " + cell(r_of[ap.metrics[k]], 3)},
                          {"first", first}});
        if (first) metrics.push_back(ap.metrics[k]);
        first = false;
      }
    }
    const auto models = models_in(study, points);
    const json y = {{"field", "overall"}, {"type", "quantitative"}, {"title", "overall score"}};
    const auto layers = [&](size_t i) {
      const json x = {{"field", "alignment"},
                      {"type", "quantitative"},
                      {"scale", {{"zero", false}}},
                      {"title", measure[metrics[i]]}};
      return json::array(
          {{{"mark", {{"type", "point"}, {"filled", true}, {"size", 60}}},
            {"encoding",
             {{"x", x},
              {"y", y},
              {"color", model_colour(models)},
              {"tooltip", json::array({{{"field", "model"}},
                                       {{"field", "alignment"}, {"title", measure[metrics[i]]}},
                                       {{"field", "overall"}}})}}}},
           {{"mark", {{"type", "line"}, {"color", "gray"}}},
            {"transform", json::array({{{"regression", "overall"}, {"on", "alignment"}}})},
            {"encoding", {{"x", x}, {"y", y}}}},
           {{"mark", {{"type", "text"}, {"align", "left"}, {"baseline", "top"}, {"fontSize", 11}}},
            {"transform", json::array({{{"filter", "datum.first"}}})},
            {"encoding",
             {{"text", {{"field", "r_label"}}}, {"x", {{"value", 4}}}, {"y", {{"value", 4}}}}}}});
    };
    charts.push_back({"scatter", "Alignment versus overall downstream score",
                      panels_chart(points, "metric", metrics, layers, 3)});
    json heat = json::array();
    for (const auto& c : ap.cells)
      heat.push_back({{"subset", c.subset},
                      {"metric", c.metric},
                      {"performance", c.performance},
                      {"r", io::json_number(c.r)},
                      {"label", cell(c.r, 2)},
                      {"p", io::json_number(c.p)},
                      {"holm_p", io::json_number(c.holm_p)}});
    json perf_sort = json::array({"overall"});
    for (const auto& t : ap.tasks) perf_sort.push_back(t);
    const json hx = {{"field", "performance"},
                     {"type", "nominal"},
                     {"sort", perf_sort},
                     {"title", "downstream score"},
                     {"axis", {{"labelAngle", -30}, {"labelAlign", "right"}}}};
    const json hy = {
        {"field", "metric"}, {"type", "nominal"}, {"sort", ap.metrics}, {"title", nullptr}};
    const json heat_layers =
        json::array({{{"mark", "rect"},
                      {"encoding",
                       {{"x", hx},
                        {"y", hy},
                        {"color",
                         {{"field", "r"},
                          {"type", "quantitative"},
                          {"scale", correlation_scale()},
                          {"legend", {{"title", "Pearson r"}}}}},
                        {"tooltip", json::array({{{"field", "metric"}},
                                                 {{"field", "performance"}},
                                                 {{"field", "r"}},
                                                 {{"field", "p"}},
                                                 {{"field", "holm_p"}}})}}}},
                     {{"mark", {{"type", "text"}, {"fontSize", 11}}},
                      {"encoding",
                       {{"x", hx},
                        {"y", hy},
                        {"text", {{"field", "label"}}},
                        {"color",
                         {{"condition", {{"test", "abs(datum.r) > 0.6"}, {"value", "white"}}},
                          {"value", "#222222"}}}}}}});
    json spec = {{"$schema", kSchema},
                 {"data", {{"values", heat}}},
                 {"facet", {{"field", "subset"}, {"type", "nominal"}, {"title", nullptr}}},
                 {"columns", 2},
                 {"spec",
                  {{"width", 60 * static_cast<int>(perf_sort.size())},
                   {"height", {{"step", 22}}},
                   {"layer", heat_layers}}},
                 {"config", chart_config()}};
    charts.push_back({"heatmap", "Correlation of alignment with performance (Pearson r)", spec});
  }
  if (!analyses.dynamics.empty()) {
    std::map<std::string, std::string> task_metric;
    for (const auto& t : store.task_units()) task_metric[t.unit.task] = t.metric;
    json points = json::array();
    for (const auto& c : analyses.dynamics) {
      std::string what = c.analysis == "downstream" ? task_metric[c.dataset]
                                                    : measure_of(study, c.analysis, c.protocol);
      if (what.empty()) what = "task score";
      for (size_t i = 0; i < c.values.size(); ++i)
        points.push_back(
            {{"panel", c.model + ": " + c.dataset + "/" + c.analysis + "/" + c.protocol + "/" +
                           (c.roi.empty() ? "whole" : c.roi)},
             {"measure", what},
             {"layer", c.layer},
             {"step", c.steps[i]},
             {"value", io::json_number(c.values[i])},
             {"smoothed", c.smoothed.empty() ? json(nullptr) : io::json_number(c.smoothed[i])}});
    }
    const auto panels = distinct(points, "panel");
    std::map<std::string, std::string> panel_measure;
    for (const auto& v : points) panel_measure[v["panel"]] = v["measure"];
    const json x = {{"field", "step"}, {"type", "quantitative"}, {"title", "checkpoint step"}};
    const json color = {{"field", "layer"},
                        {"type", "nominal"},
                        {"scale", series_scale(distinct(points, "layer"))},
                        {"legend", {{"title", "layer"}}}};
    const auto layers = [&](size_t i) {
      const std::string what = panel_measure[panels[i]];
      return json::array(
          {{{"mark", {{"type", "line"}, {"point", true}}},
            {"encoding",
             {{"x", x},
              {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", what}}},
              {"color", color}}}},
           {{"mark", {{"type", "line"}, {"strokeDash", json::array({4, 3})}}},
            {"encoding",
             {{"x", x},
              {"y", {{"field", "smoothed"}, {"type", "quantitative"}, {"title", what}}},
              {"color", color}}}}});
    };
    charts.push_back({"dynamics", "Pretraining dynamics per layer (dashed: Savitzky-Golay)",
                      panels_chart(points, "panel", panels, layers, 3)});
  }
  return charts;
}

void write_study_report(const study::Study& study, const study::ResultsStore& store,
                        const fs::path& dir) {
  const std::vector<ChartLibrary>& libraries = chart_libraries();
  if (libraries.empty())
    throw IoError(dir.string() +
                  ": cannot write the report: this brainalign was built without "
                  "the chart libraries (npm was not found when it was built; "
                  "rebuild with npm, or configure with "
                  "-DBRAINALIGN_VEGA_DIR=<node_modules>)");
  const study::StudyAnalyses analyses = study::analyse_study(study, store);
  const std::vector<ReportChart> charts = report_charts(study, store, analyses);
  const PaperFigures paper = paper_figures(study, store, analyses, chart_config());
  std::vector<ReportChart> all_charts = charts;
  all_charts.insert(all_charts.end(), paper.charts.begin(), paper.charts.end());
  fs::create_directories(dir / "charts");
  study::write_study_analyses(analyses, dir);
  json chart_list = json::array();
  for (const auto& c : all_charts) {
    io::write_file_atomically(dir / "charts" / (c.id + ".vl.json"), c.spec.dump(1) + "\n");
    chart_list.push_back({{"id", c.id}, {"title", c.title}, {"spec", c.spec}});
  }
  write_static_figures(all_charts, dir / "figures");

  std::vector<std::vector<std::string>> rows;
  for (const auto& r : store.results())
    if (r.row.level == "overall" && r.unit.ceiling())
      rows.push_back({r.unit.dataset, r.unit.analysis, r.unit.protocol,
                      r.unit.roi.empty() ? "whole" : r.unit.roi, cell(r.row.value, 4),
                      cell(r.row.sem, 3)});
  const std::string ceiling_table =
      rows.empty()
          ? std::string()
          : "<h2>Noise ceiling</h2>\n" +
                table_html("ceiling", {"dataset", "analysis", "protocol", "roi", "value", "sem"},
                           rows);
  rows.clear();
  for (const auto& r : store.results())
    if (r.row.level == "overall" && !r.unit.ceiling())
      rows.push_back({r.unit.model, r.unit.checkpoint, r.unit.dataset, r.unit.analysis,
                      r.unit.protocol, r.unit.roi.empty() ? "whole" : r.unit.roi,
                      cell(r.row.value, 4), cell(r.row.sem, 3), r.row.layer});
  const std::string scores_table = table_html("scores",
                                              {"model", "checkpoint", "dataset", "analysis",
                                               "protocol", "roi", "value", "sem", "best layer"},
                                              rows);
  rows.clear();
  for (const auto& c : analyses.alignment_performance.cells)
    rows.push_back({c.subset, c.metric, c.performance, std::to_string(c.n), cell(c.r), cell(c.p),
                    "[" + cell(c.ci_low) + ", " + cell(c.ci_high) + "]", cell(c.permutation_p),
                    cell(c.holm_p), cell(c.rho)});
  const std::string table1 = table_html("table1",
                                        {"subset", "metric", "performance", "n", "r", "p", "95% CI",
                                         "permutation p", "Holm p", "Spearman rho"},
                                        rows);
  rows.clear();
  const auto& ap = analyses.alignment_performance;
  for (size_t i = 0; i < ap.models.size(); ++i) {
    std::vector<std::string> row{ap.models[i]};
    for (double s : ap.task_scores[i]) row.push_back(cell(s, 4));
    row.push_back(cell(ap.overall[i], 3));
    rows.push_back(row);
  }
  std::vector<std::string> header{"model"};
  for (const auto& t : ap.tasks) header.push_back(t);
  header.push_back("overall");
  const std::string downstream_table = table_html("downstream", header, rows);
  rows.clear();
  for (const auto& r : store.task_units())
    rows.push_back({r.unit.model, r.unit.checkpoint, r.unit.task, r.unit.protocol, r.metric,
                    cell(r.score, 4), std::to_string(r.seed), cell(r.seconds, 3)});
  const std::string task_table = rows.empty()
                                     ? std::string()
                                     : "<h2>Downstream task units (computed)</h2>\n" +
                                           table_html("task-units",
                                                      {"model", "checkpoint", "task", "protocol",
                                                       "metric", "score", "seed", "seconds"},
                                                      rows);

  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
    << escape_markup(study.name) << ": brainalign study</title>\n<style>\n"
    << "body{font-family:sans-serif;margin:2em;color:#222}h2{margin-top:2em}"
    << "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
    << "padding:2px 6px}th{cursor:pointer;background:#f0f0f0}th.asc:after{content:' \\25B2'}"
    << "th.desc:after{content:' \\25BC'}.figure-note{color:#8a4b00;font-size:14px}"
    << ".paper-table td{text-align:right}.chart{margin:1em "
       "0;width:100%}.figure-files{font-size:13px}"
    << "\n</style>\n";
  for (const auto& lib : libraries)
    h << "<script>/*! " << lib.name << " " << lib.version << " | " << lib.license << " */\n"
      << script_safe(lib.code) << "</script>\n";
  h << "</head><body>\n<h1>" << escape_markup(study.name) << "</h1>\n<p>"
    << store.completed_units().size() + store.completed_task_units().size() << " units; brainalign "
    << BRAINALIGN_VERSION << "; results store schema version " << study::kResultsSchemaVersion
    << ".</p>\n";
  for (const auto& c : charts)
    h << "<h2>" << escape_markup(c.title) << "</h2>\n<div class=\"chart\" id=\"chart-" << c.id
      << "\"></div>\n<p class=\"figure-files\">Static figure: <a href=\"figures/" << c.id
      << ".svg\">SVG</a>, <a href=\"figures/" << c.id << ".png\">PNG</a></p>\n";
  // The paper's figures, in its order; a figure the study cannot draw is a note.
  h << "<h2 id=\"paper-figures\">The figures of Pepino et al. 2025</h2>\n<p>Drawn from this "
       "study's pepino2025 results (each model's last checkpoint; checkpoint series only in "
       "Fig 5).</p>\n";
  const auto notes_of = [&](const std::string& id) {
    for (const auto& n : paper.notes)
      if (n.id == id)
        h << "<p class=\"figure-note\" data-figure=\"" << id << "\">" << escape_markup(n.text)
          << "</p>\n";
  };
  for (const char* id : {"fig2", "fig3", "figs2", "fig4", "fig5", "fig6"}) {
    for (const auto& c : paper.charts)
      if (c.id == id)
        h << "<h3>" << escape_markup(c.title) << "</h3>\n<div class=\"chart\" id=\"chart-" << c.id
          << "\"></div>\n<p class=\"figure-files\">Static figure: <a href=\"figures/" << c.id
          << ".svg\">SVG</a>, <a href=\"figures/" << c.id << ".png\">PNG</a></p>\n";
    notes_of(id);
    if (std::string(id) == "fig6") {
      if (!paper.table1_html.empty())
        h << "<h3>Table 1. Correlation of alignment with downstream performance</h3>\n"
          << paper.table1_html;
      notes_of("table1-paper");
    }
  }
  h << ceiling_table;
  h << "<h2>Alignment versus performance (Table 1)</h2>\n"
    << table1 << "<h2>Downstream scores</h2>\n"
    << downstream_table << task_table << "<h2>Scores</h2>\n"
    << scores_table;
  h << "<h2>Chart libraries</h2>\n<p>The charts are drawn by";
  for (size_t i = 0; i < libraries.size(); ++i)
    h << (i == 0                      ? " "
          : i + 1 == libraries.size() ? " and "
                                      : ", ")
      << "<a href=\"https://"
      << "www.npmjs.com/package/" << libraries[i].name << "\">" << libraries[i].name << "</a> "
      << escape_markup(libraries[i].version) << " (" << escape_markup(libraries[i].license) << ")";
  h << ", inlined in this page. Their licences:</p>\n";
  for (const auto& lib : libraries)
    h << "<details id=\"license-" << lib.name << "\"><summary>" << lib.name << " "
      << escape_markup(lib.version) << ": " << escape_markup(lib.license) << "</summary><pre>"
      << escape_markup(lib.license_text) << "</pre></details>\n";
  h << "<script>\nconst charts = " << script_safe(chart_list.dump()) << ";\n"
    << R"js(
window.brainalignReport = {total: charts.length, rendered: 0, failed: []};
window.brainalignViews = {};
// Each chart is drawn once at the widths of its spec, then its panels are widened (or
// narrowed) so that the chart takes the page's width, and drawn again; where panels would get
// narrower than 120 px (long labels), fewer go to a row.
const panelsOf = (spec) => spec.concat ? spec.concat : [spec.spec];
const perRow = (spec) => {
  const n = spec.concat ? spec.concat.length
                        : new Set(spec.data.values.map((v) => v[spec.facet.field])).size;
  return Math.max(1, Math.min(spec.columns || n, n));
};
async function draw(c) {
  const div = document.getElementById('chart-' + c.id);
  const old = window.brainalignViews[c.id];
  if (old) old.finalize();
  const spec = JSON.parse(JSON.stringify(c.spec));
  const options = {actions: false, renderer: 'svg'};
  const target = div.clientWidth;
  let result = await vegaEmbed(div, spec, options);
  for (let pass = 0; pass < 12; ++pass) {
    const drawn = div.querySelector('svg').getBoundingClientRect().width;
    if (drawn <= target && target - drawn < 8 + 4 * pass) break;
    // Axes may gain or lose a tick label as panels change: each pass aims a little narrower.
    const grow = (target - drawn - 4 - 2 * pass) / perRow(spec);
    const narrowest = Math.min(...panelsOf(spec).map((p) => p.width)) + grow;
    if (narrowest < 120 && perRow(spec) > 1) {
      spec.columns = perRow(spec) - 1;
    } else {
      for (const p of panelsOf(spec)) p.width = Math.max(60, Math.floor(p.width + grow));
    }
    result.finalize();
    result = await vegaEmbed(div, spec, options);
  }
  window.brainalignViews[c.id] = result.view;
}
let drawing = Promise.all(charts.map((c) => draw(c)
  .then(() => { window.brainalignReport.rendered += 1; })
  .catch((e) => { window.brainalignReport.failed.push(c.id + ': ' + e); console.error(e); })));
let resized = null;
window.addEventListener('resize', () => {
  clearTimeout(resized);
  resized = setTimeout(() => { drawing = drawing.then(() => Promise.all(charts.map(draw))); }, 200);
});
for (const table of document.querySelectorAll('table.sortable')) {
  table.querySelectorAll('th').forEach((th, col) => th.addEventListener('click', () => {
    const asc = !th.classList.contains('asc');
    table.querySelectorAll('th').forEach((o) => o.classList.remove('asc', 'desc'));
    th.classList.add(asc ? 'asc' : 'desc');
    const body = table.tBodies[0];
    const key = (tr) => tr.cells[col].textContent;
    const rows = Array.from(body.rows).sort((a, b) => {
      const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      const d = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? d : -d;
    });
    rows.forEach((r) => body.appendChild(r));
  }));
}
</script>
</body></html>
)js";
  io::write_file_atomically(dir / "index.html", h.str());
}

}  // namespace brainalign::report