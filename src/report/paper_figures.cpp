#include "paper_figures.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "brainalign/io/json.h"
#include "colours.h"
#include "markup.h"

namespace brainalign::report {
namespace {

using nlohmann::json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v5.json";
constexpr const char* kProtocol = "pepino2025";  // the paper's figures are of its protocol

struct Score {
  double value = NAN, sem = NAN;
};

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(decimals);
  o << v;
  return o.str();
}

// p as the paper prints it (two significant digits).
std::string p_text(double p) {
  if (!std::isfinite(p)) return "n/a";
  std::ostringstream o;
  o.precision(2);
  o << p;
  return o.str();
}

// Names with their numbers in numeric order: layer2 before layer10.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) != 0 &&
        std::isdigit(static_cast<unsigned char>(b[j])) != 0) {
      size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei])) != 0) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej])) != 0) ++ej;
      const std::string na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      const std::string ta = na.substr(std::min(na.find_first_not_of('0'), na.size()));
      const std::string tb = nb.substr(std::min(nb.find_first_not_of('0'), nb.size()));
      if (ta.size() != tb.size()) return ta.size() < tb.size();
      if (ta != tb) return ta < tb;
      i = ei, j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  if (x.size() < 2) return NAN;
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i)
    sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx),
        syy += (y[i] - my) * (y[i] - my);
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : NAN;
}

// The least-squares line of y on x drawn over the points' x range: two "line" rows.
void fit_line(json& rows, const std::string& panel, const std::string& series,
              const std::string& line, const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() < 2) return;
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i)
    sx += x[i], sy += y[i], sxx += x[i] * x[i], sxy += x[i] * y[i];
  const double den = n * sxx - sx * sx;
  if (!(std::abs(den) > 1e-300)) return;
  const double slope = (n * sxy - sx * sy) / den, icpt = (sy - slope * sx) / n;
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  for (const double v : {*lo, *hi})
    rows.push_back({{"panel", panel},
                    {"kind", "line"},
                    {"series", series},
                    {"line", line},
                    {"x", v},
                    {"y", icpt + slope * v}});
}

json filter_equal(const std::string& field, const std::string& value) {
  return {{"filter", {{"field", field}, {"equal", value}}}};
}

// A chart of panels (one per title, `columns` to a row); `panel(i)` gives each panel's layers.
json concat_chart(const json& values, const std::vector<json>& titles,
                  const std::vector<std::string>& panels, int columns, const json& config,
                  const std::function<json(size_t)>& layers, const json& height = 220) {
  json concat = json::array();
  for (size_t i = 0; i < panels.size(); ++i) {
    json panel_layers = layers(i);
    for (auto& l : panel_layers)  // mark names unique over the chart: <kind>_<panel>
      if (l.contains("name")) l["name"] = l["name"].get<std::string>() + "_" + std::to_string(i);
    concat.push_back({{"title", titles[i]},
                      {"transform", json::array({filter_equal("panel", panels[i])})},
                      {"width", 240},
                      {"height", height},
                      {"layer", panel_layers}});
  }
  return {{"$schema", kSchema},
          {"data", {{"values", values}}},
          {"columns", columns},
          {"concat", concat},
          {"resolve",
           {{"scale",
             {{"x", "independent"},
              {"y", "independent"},
              {"color", "shared"},
              {"stroke", "shared"},
              {"strokeDash", "shared"}}},
            {"axis", {{"x", "independent"}, {"y", "independent"}}}}},
          {"config", config}};
}

// What the study holds for the paper's figures: every model's last checkpoint's pepino2025
// overall scores, component scores, the noise ceilings, and which analyses are which.
struct Holdings {
  std::map<std::string, std::string> kind;  // analysis name -> voxelwise, components, rsa, ...
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Score>
      overall;  // (model, dataset, analysis, roi)
  std::map<std::tuple<std::string, std::string, std::string, std::string>, double>
      component;  // (model, dataset, analysis, component)
  std::map<std::string, std::vector<std::string>> components;         // dataset -> in stored order
  std::map<std::pair<std::string, std::string>, Score> ceiling;       // (dataset, roi)
  std::map<std::pair<std::string, std::string>, std::string> method;  // (analysis, dataset)
  // Per voxel dataset the first analysis (in the study's order) of each kind with scores.
  std::map<std::string, std::string> regression, layerwise, xval;
  std::vector<std::string> voxel_datasets;  // with any of them, in the study's order
  std::string component_dataset, component_analysis;
};

Holdings holdings_of(const study::Study& study, const study::ResultsStore& store) {
  Holdings h;
  for (const auto& a : study.analyses) h.kind[a.name] = a.analysis;
  std::map<std::string, std::string> last;
  for (const auto& m : study.models)
    if (!m.checkpoints.empty()) last[m.name] = m.checkpoints.back().label;
  for (const auto& u : store.units()) {
    if (u.unit.protocol != kProtocol || h.kind[u.unit.analysis] != "rsa") continue;
    const json options = json::parse(u.options_json, nullptr, false);
    if (options.is_object() && options.contains("rsa_method"))
      h.method[{u.unit.analysis, u.unit.dataset}] = options["rsa_method"].get<std::string>();
  }
  for (const auto& r : store.results()) {
    const study::WorkUnit& u = r.unit;
    if (u.protocol != kProtocol || !h.kind.count(u.analysis)) continue;
    if (u.ceiling()) {
      if (r.row.level == "overall" && !h.ceiling.count({u.dataset, u.roi}))
        h.ceiling[{u.dataset, u.roi}] = {r.row.value, r.row.sem};
      continue;
    }
    const auto it = last.find(u.model);
    if (it == last.end() || it->second != u.checkpoint) continue;
    if (r.row.level == "overall") {
      h.overall[{u.model, u.dataset, u.analysis, u.roi}] = {r.row.value, r.row.sem};
    } else if (r.row.level == "component" && u.roi.empty()) {
      h.component[{u.model, u.dataset, u.analysis, r.row.target}] = r.row.value;
      auto& names = h.components[u.dataset];
      if (std::find(names.begin(), names.end(), r.row.target) == names.end())
        names.push_back(r.row.target);
    }
  }
  std::set<std::pair<std::string, std::string>> scored;  // (dataset, analysis), whole dataset
  for (const auto& [key, score] : h.overall)
    if (std::get<3>(key).empty() && std::isfinite(score.value))
      scored.insert({std::get<1>(key), std::get<2>(key)});
  for (const auto& d : study.datasets) {
    for (const auto& a : study.analyses) {
      if (!scored.count({d.name, a.name})) continue;
      if (a.analysis == "voxelwise" && !h.regression.count(d.name)) h.regression[d.name] = a.name;
      if (a.analysis == "rsa") {
        const std::string method = h.method[{a.name, d.name}];
        if (method == "layerwise" && !h.layerwise.count(d.name)) h.layerwise[d.name] = a.name;
        if (method == "xval" && !h.xval.count(d.name)) h.xval[d.name] = a.name;
      }
      if (a.analysis == "components" && h.component_dataset.empty() && h.components.count(d.name)) {
        h.component_dataset = d.name;
        h.component_analysis = a.name;
      }
    }
    if (h.regression.count(d.name) || h.layerwise.count(d.name) || h.xval.count(d.name))
      h.voxel_datasets.push_back(d.name);
  }
  return h;
}

// Horizontal bars per model (one panel per score, bars in `order` per panel from the top) with
// the reference lines' rows; the spec of Fig 2 and Fig 4.
struct BarPanel {
  std::string id, title, measure;
  std::vector<std::string> order;  // models, top to bottom
};

json hbars_spec(const json& values, const std::vector<BarPanel>& panels,
                const std::vector<std::string>& all_models, const std::vector<std::string>& refs,
                int columns, const json& config) {
  std::vector<json> titles;
  std::vector<std::string> ids;
  size_t tallest = 1;
  for (const auto& p : panels) {
    titles.push_back(p.title);
    ids.push_back(p.id);
    tallest = std::max(tallest, p.order.size());
  }
  json ref_colours = json::array(), ref_dashes = json::array();
  for (const auto& r : refs) {
    const bool ceiling = r == "noise ceiling";
    ref_colours.push_back(ceiling ? kCeilingColour : kBaselineColour);
    ref_dashes.push_back(ceiling ? json::array({2, 2}) : json::array({6, 4}));
  }
  const auto layers = [&](size_t i) {
    const BarPanel& p = panels[i];
    const json x = {{"field", "value"},
                    {"type", "quantitative"},
                    {"title", p.measure},
                    {"scale", {{"zero", true}}}};
    const json y = {{"field", "model"}, {"type", "nominal"}, {"sort", p.order}, {"title", "model"}};
    json out = json::array();
    out.push_back({{"name", "reference_band"},
                   {"mark", {{"type", "rect"}, {"color", kBaselineColour}, {"opacity", 0.18}}},
                   {"transform", json::array({filter_equal("kind", "ref")})},
                   {"encoding",
                    {{"x", {{"field", "lo"}, {"type", "quantitative"}, {"title", p.measure}}},
                     {"x2", {{"field", "hi"}}}}}});
    out.push_back({{"name", "bars"},
                   {"mark", "bar"},
                   {"transform", json::array({filter_equal("kind", "bar")})},
                   {"encoding",
                    {{"x", x},
                     {"y", y},
                     {"color",
                      {{"field", "model"},
                       {"type", "nominal"},
                       {"scale", series_scale(all_models)},
                       {"legend", nullptr}}},
                     {"tooltip", json::array({{{"field", "model"}},
                                              {{"field", "value"}, {"title", p.measure}},
                                              {{"field", "sem"}}})}}}});
    out.push_back({{"name", "error_bars"},
                   {"mark", {{"type", "rule"}, {"color", "black"}}},
                   {"transform", json::array({filter_equal("kind", "bar")})},
                   {"encoding",
                    {{"x", {{"field", "lo"}, {"type", "quantitative"}, {"title", p.measure}}},
                     {"x2", {{"field", "hi"}}},
                     {"y", y}}}});
    if (!refs.empty())
      out.push_back({{"name", "reference_lines"},
                     {"mark", {{"type", "rule"}, {"strokeWidth", 2}}},
                     {"transform", json::array({filter_equal("kind", "ref")})},
                     {"encoding",
                      {{"x", {{"field", "value"}, {"type", "quantitative"}, {"title", p.measure}}},
                       {"stroke",
                        {{"field", "ref"},
                         {"type", "nominal"},
                         {"scale", {{"domain", refs}, {"range", ref_colours}}},
                         {"legend", {{"title", "reference line"}, {"symbolType", "stroke"}}}}},
                       {"strokeDash",
                        {{"field", "ref"},
                         {"type", "nominal"},
                         {"scale", {{"domain", refs}, {"range", ref_dashes}}},
                         {"legend", {{"title", "reference line"}, {"symbolType", "stroke"}}}}},
                       {"tooltip", json::array({{{"field", "ref"}}, {{"field", "value"}}})}}}});
    return out;
  };
  return concat_chart(values, titles, ids, columns, config, layers,
                      json{{"step", tallest > 20 ? 14 : 18}});
}

// Points (and lines) in x-y panels: each row a point or a line's end, coloured by series;
// the spec of Fig 3, S2 and 6.
struct XyPanel {
  std::string id, title, subtitle, x_title, y_title;
};

json xy_spec(const json& values, const std::vector<XyPanel>& panels,
             const std::vector<std::string>& series, const std::string& legend, int columns,
             const json& config) {
  std::vector<json> titles;
  std::vector<std::string> ids;
  for (const auto& p : panels) {
    json t = {{"text", p.title}};
    if (!p.subtitle.empty()) t["subtitle"] = p.subtitle;
    titles.push_back(t);
    ids.push_back(p.id);
  }
  json scale = series_scale(series);
  for (size_t i = 0; i < series.size(); ++i)
    if (series[i] == "identity" || series[i] == "all models" || series[i] == "linear fit")
      scale["range"][i] = kNeutralColour;
  const json colour = {
      {"field", "series"}, {"type", "nominal"}, {"scale", scale}, {"legend", {{"title", legend}}}};
  const auto layers = [&](size_t i) {
    const XyPanel& p = panels[i];
    const json x = {{"field", "x"},
                    {"type", "quantitative"},
                    {"title", p.x_title},
                    {"scale", {{"zero", false}}}};
    const json y = {{"field", "y"},
                    {"type", "quantitative"},
                    {"title", p.y_title},
                    {"scale", {{"zero", false}}}};
    return json::array(
        {{{"name", "lines"},
          {"mark", {{"type", "line"}, {"strokeDash", json::array({6, 4})}}},
          {"transform", json::array({filter_equal("kind", "line")})},
          {"encoding", {{"x", x}, {"y", y}, {"detail", {{"field", "line"}}}, {"color", colour}}}},
         {{"name", "points"},
          {"mark", {{"type", "point"}, {"filled", true}, {"size", 60}, {"opacity", 0.85}}},
          {"transform", json::array({filter_equal("kind", "point")})},
          {"encoding",
           {{"x", x},
            {"y", y},
            {"color", colour},
            {"tooltip", json::array({{{"field", "model"}},
                                     {{"field", "x"}, {"title", p.x_title}},
                                     {{"field", "y"}, {"title", p.y_title}}})}}}}});
  };
  return concat_chart(values, titles, ids, columns, config, layers);
}

}  // namespace

std::string paper_figure_kind(const std::string& id) {
  if (id == "fig2" || id == "fig4") return "hbars";
  if (id == "fig3" || id == "figs2" || id == "fig6") return "xy";
  if (id == "fig5") return "curves";
  return {};
}

PaperFigures paper_figures(const study::Study& study, const study::ResultsStore& store,
                           const study::StudyAnalyses& analyses, const json& config) {
  PaperFigures out;
  const Holdings h = holdings_of(study, store);
  const study::StudyModel* baseline = study.baseline_model();
  const std::string baseline_ref = baseline ? "baseline: " + baseline->name : std::string();
  // The models of the bars and scatter plots: every model but checkpoint series (Fig 5's).
  std::vector<std::string> models, colour_models;
  for (const auto& m : study.models) {
    if (m.kind == study::ModelKind::kCheckpoints) continue;
    colour_models.push_back(m.name);
    if (&m != baseline) models.push_back(m.name);
  }
  const auto score = [&](const std::string& model, const std::string& dataset,
                         const std::string& analysis) {
    const auto it = h.overall.find({model, dataset, analysis, ""});
    return it == h.overall.end() ? Score{} : it->second;
  };
  const std::string no_baseline =
      "no baseline line: the study has no model whose registry name is spectemp (or that "
      "[study] baseline names)";

  // Fig 2: regression and layerwise RSA per model, bars sorted by the first panel's values.
  {
    std::vector<BarPanel> panels;
    std::vector<std::pair<std::string, std::string>> sources;  // (dataset, analysis)
    for (const auto& d : h.voxel_datasets)
      if (h.regression.count(d)) {
        panels.push_back({"p" + std::to_string(panels.size()), "Regression – " + d, "r²", {}});
        sources.push_back({d, h.regression.at(d)});
      }
    for (const auto& d : h.voxel_datasets)
      if (h.layerwise.count(d)) {
        panels.push_back({"p" + std::to_string(panels.size()), "RSA – " + d, "RSA ρ", {}});
        sources.push_back({d, h.layerwise.at(d)});
      }
    if (panels.empty()) {
      out.notes.push_back({"fig2",
                           "Fig 2 is left out: it needs pepino2025 voxel-wise regression or "
                           "layerwise RSA scores over a whole voxel dataset"});
    } else {
      std::vector<std::string> order = models;
      std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
        const double va = score(a, sources[0].first, sources[0].second).value;
        const double vb = score(b, sources[0].first, sources[0].second).value;
        if (std::isfinite(va) != std::isfinite(vb)) return std::isfinite(va);
        return std::isfinite(va) && va > vb;
      });
      json values = json::array();
      std::vector<std::string> refs;
      bool missing_ceiling = false;
      for (size_t k = 0; k < panels.size(); ++k) {
        const auto& [d, a] = sources[k];
        for (const auto& m : order) {
          const Score s = score(m, d, a);
          if (!std::isfinite(s.value)) continue;
          panels[k].order.push_back(m);
          const double sem = std::isfinite(s.sem) ? s.sem : 0.0;
          values.push_back({{"panel", panels[k].id},
                            {"kind", "bar"},
                            {"model", m},
                            {"value", s.value},
                            {"sem", io::json_number(s.sem)},
                            {"lo", s.value - sem},
                            {"hi", s.value + sem}});
        }
        const auto ref = [&](const std::string& name, Score s) {
          if (!std::isfinite(s.value)) return;
          const double sem = std::isfinite(s.sem) ? s.sem : 0.0;
          values.push_back({{"panel", panels[k].id},
                            {"kind", "ref"},
                            {"ref", name},
                            {"value", s.value},
                            {"sem", io::json_number(s.sem)},
                            {"lo", s.value - sem},
                            {"hi", s.value + sem}});
          if (std::find(refs.begin(), refs.end(), name) == refs.end()) refs.push_back(name);
        };
        if (baseline) ref(baseline_ref, score(baseline->name, d, a));
        if (h.kind.at(a) == "rsa") {
          const auto c = h.ceiling.find({d, ""});
          if (c == h.ceiling.end())
            missing_ceiling = true;
          else
            ref("noise ceiling", c->second);
        }
      }
      std::sort(refs.begin(), refs.end(), [](const auto& a, const auto& b) {
        return (a == "noise ceiling") < (b == "noise ceiling");
      });
      out.charts.push_back({"fig2",
                            "Fig 2. Regression and RSA per model (error bars: sem over subjects)",
                            hbars_spec(values, panels, colour_models, refs, 2, config)});
      if (!baseline) out.notes.push_back({"fig2", "Fig 2 draws " + no_baseline});
      if (missing_ceiling)
        out.notes.push_back({"fig2",
                             "Fig 2 draws no noise ceiling in its RSA panels: add [[analyses]] "
                             "analysis = \"ceiling\" over the voxel datasets"});
    }
  }

  // Fig 3: regression against RSA per dataset; RSA and regression across two datasets.
  {
    json values = json::array();
    std::vector<XyPanel> panels;
    std::vector<std::string> series;
    const auto pairs = [&](const std::string& dx, const std::string& ax, const std::string& dy,
                           const std::string& ay, std::vector<double>& xs, std::vector<double>& ys,
                           const std::string& panel, const std::string& s) {
      for (const auto& m : colour_models) {
        const double x = score(m, dx, ax).value, y = score(m, dy, ay).value;
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        xs.push_back(x), ys.push_back(y);
        values.push_back(
            {{"panel", panel}, {"kind", "point"}, {"series", s}, {"model", m}, {"x", x}, {"y", y}});
      }
    };
    std::string subtitle;
    for (const auto& d : h.voxel_datasets) {
      if (!h.regression.count(d) || !h.layerwise.count(d)) continue;
      std::vector<double> xs, ys;
      pairs(d, h.regression.at(d), d, h.layerwise.at(d), xs, ys, "a", d);
      if (xs.empty()) continue;
      fit_line(values, "a", d, "fit " + d, xs, ys);
      series.push_back(d);
      subtitle += (subtitle.empty() ? "" : "; ") + d + ": r = " + fixed(pearson(xs, ys), 2);
    }
    if (!series.empty())
      panels.push_back({"a", "Regression against RSA", subtitle, "r² (voxel-wise regression)",
                        "RSA ρ (layerwise)"});
    std::vector<std::string> with_rsa, with_regression;
    for (const auto& d : h.voxel_datasets) {
      if (h.layerwise.count(d)) with_rsa.push_back(d);
      if (h.regression.count(d)) with_regression.push_back(d);
    }
    const auto across = [&](const std::vector<std::string>& ds,
                            const std::map<std::string, std::string>& by, const std::string& id,
                            const std::string& what, const std::string& measure) {
      if (ds.size() < 2) return;
      std::vector<double> xs, ys;  // the paper: the second dataset on x, the first on y
      pairs(ds[1], by.at(ds[1]), ds[0], by.at(ds[0]), xs, ys, id, "all models");
      if (xs.size() < 2) return;
      fit_line(values, id, "all models", "fit " + id, xs, ys);
      panels.push_back({id, what + ": " + ds[1] + " against " + ds[0],
                        "r = " + fixed(pearson(xs, ys), 2), measure + " – " + ds[1],
                        measure + " – " + ds[0]});
      if (std::find(series.begin(), series.end(), "all models") == series.end())
        series.push_back("all models");
    };
    across(with_rsa, h.layerwise, "b", "RSA", "RSA ρ");
    across(with_regression, h.regression, "c", "Regression", "r²");
    if (panels.empty())
      out.notes.push_back({"fig3",
                           "Fig 3 is left out: it needs pepino2025 voxel-wise regression and "
                           "layerwise RSA of the same voxel dataset, or either over two "
                           "datasets"});
    else
      out.charts.push_back({"fig3", "Fig 3. Regression against RSA, and dataset against dataset",
                            xy_spec(values, panels, series, "dataset", 3, config)});
  }

  // Fig S2: layerwise (best layer) against cross-validated RSA, with the identity line.
  {
    json values = json::array();
    std::vector<std::string> series;
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& d : h.voxel_datasets) {
      if (!h.layerwise.count(d) || !h.xval.count(d)) continue;
      bool any = false;
      for (const auto& m : colour_models) {
        const double x = score(m, d, h.layerwise.at(d)).value;
        const double y = score(m, d, h.xval.at(d)).value;
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        values.push_back(
            {{"panel", "s2"}, {"kind", "point"}, {"series", d}, {"model", m}, {"x", x}, {"y", y}});
        lo = std::min({lo, x, y}), hi = std::max({hi, x, y});
        any = true;
      }
      if (any) series.push_back(d);
    }
    if (series.empty()) {
      out.notes.push_back({"figs2",
                           "Fig S2 is left out: it needs pepino2025 RSA by both methods "
                           "(rsa_method = \"layerwise\" and \"xval\") over a whole voxel "
                           "dataset"});
    } else {
      for (const double v : {lo, hi})
        values.push_back({{"panel", "s2"},
                          {"kind", "line"},
                          {"series", "identity"},
                          {"line", "identity"},
                          {"x", v},
                          {"y", v}});
      series.push_back("identity");
      out.charts.push_back(
          {"figs2", "Fig S2. RSA by the best layer against cross-validated RSA",
           xy_spec(values,
                   {{"s2", "Layerwise against cross-validated RSA", "",
                     "RSA ρ, best layer (layerwise)", "RSA ρ, cross-validated layer"}},
                   series, "dataset", 1, config)});
    }
  }

  // Fig 4: one panel per component, bars sorted by value, the baseline's line.
  if (h.component_dataset.empty()) {
    out.notes.push_back({"fig4",
                         "Fig 4 is left out: it needs pepino2025 components scores (a components "
                         "analysis over a component dataset such as nh2015comp)"});
  } else {
    json values = json::array();
    std::vector<BarPanel> panels;
    std::vector<std::string> refs;
    for (const auto& c : h.components.at(h.component_dataset)) {
      BarPanel p{"c" + std::to_string(panels.size()), c, "r²", {}};
      std::vector<std::pair<double, std::string>> ranked;
      for (const auto& m : models) {
        const auto it = h.component.find({m, h.component_dataset, h.component_analysis, c});
        if (it != h.component.end() && std::isfinite(it->second)) ranked.push_back({it->second, m});
      }
      std::stable_sort(ranked.begin(), ranked.end(),
                       [](const auto& a, const auto& b) { return a.first > b.first; });
      for (const auto& [v, m] : ranked) {
        p.order.push_back(m);
        values.push_back({{"panel", p.id},
                          {"kind", "bar"},
                          {"model", m},
                          {"value", v},
                          {"sem", nullptr},
                          {"lo", v},
                          {"hi", v}});
      }
      if (baseline) {
        const auto it =
            h.component.find({baseline->name, h.component_dataset, h.component_analysis, c});
        if (it != h.component.end() && std::isfinite(it->second)) {
          values.push_back({{"panel", p.id},
                            {"kind", "ref"},
                            {"ref", baseline_ref},
                            {"value", it->second},
                            {"sem", nullptr},
                            {"lo", it->second},
                            {"hi", it->second}});
          refs = {baseline_ref};
        }
      }
      panels.push_back(std::move(p));
    }
    out.charts.push_back({"fig4", "Fig 4. Alignment per component (" + h.component_dataset + ")",
                          hbars_spec(values, panels, colour_models, refs, 3, config)});
    if (!baseline) out.notes.push_back({"fig4", "Fig 4 draws " + no_baseline});
  }

  // Fig 5: layerwise RSA along each checkpoint series, one panel per dataset and ROI, every
  // other layer where there are many (the paper's layers 1, 3, 5, 7, 9 of 10), smoothed.
  {
    std::map<std::string, size_t> model_rank, dataset_rank;
    for (size_t i = 0; i < study.models.size(); ++i) model_rank[study.models[i].name] = i;
    for (size_t i = 0; i < study.datasets.size(); ++i) dataset_rank[study.datasets[i].name] = i;
    const auto roi_rank = [&](const std::string& analysis, const std::string& roi) {
      for (const auto& a : study.analyses)
        if (a.name == analysis)
          for (size_t i = 0; i < a.rois.size(); ++i)
            if (a.rois[i] == roi) return i;
      return size_t{1000};
    };
    std::vector<const study::DynamicsCurve*> curves;
    for (const auto& c : analyses.dynamics)
      if (c.protocol == kProtocol && h.kind.count(c.analysis) && h.kind.at(c.analysis) == "rsa" &&
          c.layer != "best")
        curves.push_back(&c);
    std::stable_sort(curves.begin(), curves.end(), [&](const auto* a, const auto* b) {
      const auto ka = std::make_tuple(model_rank[a->model], dataset_rank[a->dataset], a->analysis,
                                      roi_rank(a->analysis, a->roi));
      const auto kb = std::make_tuple(model_rank[b->model], dataset_rank[b->dataset], b->analysis,
                                      roi_rank(b->analysis, b->roi));
      if (ka != kb) return ka < kb;
      return natural_less(a->layer, b->layer);
    });
    if (curves.empty()) {
      out.notes.push_back({"fig5",
                           "Fig 5 is left out: it needs a checkpoint series (kind = "
                           "\"checkpoints\") scored by pepino2025 layerwise RSA"});
    } else {
      std::vector<std::string> panel_ids, layers;
      std::vector<json> titles;
      std::map<std::string, std::vector<const study::DynamicsCurve*>> by_panel;
      for (const auto* c : curves) {
        const std::string panel = c->model + "|" + c->dataset + "|" + c->analysis + "|" + c->roi;
        if (!by_panel.count(panel)) {
          panel_ids.push_back(panel);
          titles.push_back(c->model + ": " + c->dataset + ", " +
                           (c->roi.empty() ? "whole dataset" : "ROI " + c->roi));
        }
        by_panel[panel].push_back(c);
      }
      json values = json::array();
      bool unsmoothed = false;
      for (const auto& panel : panel_ids) {
        const auto& set = by_panel[panel];
        const size_t stride = set.size() > 6 ? 2 : 1;
        for (size_t i = 0; i < set.size(); i += stride) {
          const auto* c = set[i];
          if (std::find(layers.begin(), layers.end(), c->layer) == layers.end())
            layers.push_back(c->layer);
          unsmoothed = unsmoothed || c->smoothed.empty();
          for (size_t k = 0; k < c->values.size(); ++k)
            values.push_back(
                {{"panel", panel},
                 {"layer", c->layer},
                 {"step", c->steps[k]},
                 {"value", io::json_number(c->values[k])},
                 {"smoothed", c->smoothed.empty() ? json() : io::json_number(c->smoothed[k])},
                 {"curve", io::json_number(c->smoothed.empty() ? c->values[k] : c->smoothed[k])}});
        }
      }
      std::stable_sort(layers.begin(), layers.end(), natural_less);
      const json colour = {{"field", "layer"},
                           {"type", "nominal"},
                           {"scale", series_scale(layers)},
                           {"legend", {{"title", "layer"}}}};
      const json x = {{"field", "step"}, {"type", "quantitative"}, {"title", "pretraining step"}};
      const auto panel_layers = [&](size_t) {
        return json::array(
            {{{"name", "raw"},
              {"mark", {{"type", "point"}, {"filled", true}, {"size", 14}, {"opacity", 0.35}}},
              {"encoding",
               {{"x", x},
                {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", "RSA ρ"}}},
                {"color", colour}}}},
             {{"name", "smoothed"},
              {"mark", {{"type", "line"}, {"strokeWidth", 2}}},
              {"encoding",
               {{"x", x},
                {"y",
                 {{"field", "curve"},
                  {"type", "quantitative"},
                  {"title", "RSA ρ"},
                  {"scale", {{"zero", false}}}}},
                {"color", colour}}}}});
      };
      const int w = study.dynamics.smooth_window, o = study.dynamics.smooth_order;
      const std::string smoothing = w > 0 ? "lines: Savitzky-Golay, window " + std::to_string(w) +
                                                ", order " + std::to_string(o) +
                                                "; dots: each checkpoint"
                                          : "unsmoothed ([dynamics] smooth_window = 0)";
      out.charts.push_back({"fig5", "Fig 5. Layerwise RSA across pretraining (" + smoothing + ")",
                            concat_chart(values, titles, panel_ids, 2, config, panel_layers)});
      if (w > 0 && unsmoothed)
        out.notes.push_back({"fig5",
                             "Fig 5 draws some curves unsmoothed: their series has fewer "
                             "checkpoints than [dynamics] smooth_window"});
    }
  }

  // Fig 6: alignment against the overall downstream score, with r and p (Table 1's cells).
  const auto& ap = analyses.alignment_performance;
  {
    std::map<std::string, std::pair<double, double>> r_of;  // metric -> (r, p), all models
    for (const auto& c : ap.cells)
      if (c.subset == "all" && c.performance == "overall") r_of[c.metric] = {c.r, c.p};
    json values = json::array();
    std::vector<XyPanel> panels;
    const auto panel = [&](const std::string& d, const std::string& a, const std::string& what,
                           const std::string& measure) {
      const std::string metric = d + "/" + a + "/" + kProtocol;
      const auto k = std::find(ap.metrics.begin(), ap.metrics.end(), metric) - ap.metrics.begin();
      if (static_cast<size_t>(k) == ap.metrics.size()) return;
      const std::string id = "m" + std::to_string(panels.size());
      std::vector<double> xs, ys;
      for (size_t i = 0; i < ap.models.size(); ++i) {
        const double y = ap.metric_values[static_cast<size_t>(k)][i], x = ap.overall[i];
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        xs.push_back(x), ys.push_back(y);
        values.push_back({{"panel", id},
                          {"kind", "point"},
                          {"series", ap.models[i]},
                          {"model", ap.models[i]},
                          {"x", x},
                          {"y", y}});
      }
      if (xs.size() < 2) return;
      fit_line(values, id, "linear fit", "fit", xs, ys);
      const auto [r, p] =
          r_of.count(metric) ? r_of.at(metric) : std::pair<double, double>{NAN, NAN};
      panels.push_back({id, what + " – " + d, "r = " + fixed(r, 2) + ", p = " + p_text(p),
                        "overall downstream score (mean z-score)", measure});
    };
    for (const auto& d : h.voxel_datasets) {
      if (h.xval.count(d))
        panel(d, h.xval.at(d), "RSA", "RSA ρ (cross-validated)");
      else if (h.layerwise.count(d))
        panel(d, h.layerwise.at(d), "RSA", "RSA ρ (layerwise)");
    }
    for (const auto& d : h.voxel_datasets)
      if (h.regression.count(d)) panel(d, h.regression.at(d), "Voxel-wise regression", "r²");
    if (panels.empty()) {
      out.notes.push_back({"fig6",
                           "Fig 6 is left out: it needs downstream scores of at least two "
                           "aligned models and their pepino2025 RSA or regression scores over "
                           "a whole voxel dataset"});
    } else {
      std::vector<std::string> series;
      for (const auto& m : study.models)
        if (std::find(ap.models.begin(), ap.models.end(), m.name) != ap.models.end())
          series.push_back(m.name);
      series.push_back("linear fit");
      out.charts.push_back({"fig6",
                            "Fig 6. Alignment against the overall downstream score (r, p: Pearson)",
                            xy_spec(values, panels, series, "model", 2, config)});
    }
  }

  // Table 1 as the paper lays it out: alignment metrics (rows, all models and the subset)
  // against each task and the overall score (columns), Pearson r, cells coloured by p.
  {
    std::vector<std::pair<std::string, std::string>> rows;  // (metric, label)
    for (const auto& d : h.voxel_datasets)
      if (h.layerwise.count(d))
        rows.push_back({d + "/" + h.layerwise.at(d) + "/" + kProtocol, "RSA – " + d});
    for (const auto& d : h.voxel_datasets)
      if (h.regression.count(d))
        rows.push_back({d + "/" + h.regression.at(d) + "/" + kProtocol, "Regression – " + d});
    if (!h.component_dataset.empty())
      for (const auto& c : h.components.at(h.component_dataset))
        rows.push_back(
            {h.component_dataset + "/" + h.component_analysis + "/" + kProtocol + ":" + c,
             "Component " + c});
    std::map<std::tuple<std::string, std::string, std::string>, const study::CorrelationCell*> cell;
    std::vector<std::string> subsets;
    for (const auto& c : ap.cells) {
      cell[{c.metric, c.subset, c.performance}] = &c;
      if (std::find(subsets.begin(), subsets.end(), c.subset) == subsets.end())
        subsets.push_back(c.subset);
    }
    std::vector<std::string> columns = ap.tasks;
    columns.push_back("overall");
    std::ostringstream t;
    size_t drawn = 0;
    t << "<table class=\"paper-table\" id=\"table1-paper\"><thead><tr><th>alignment</th>"
         "<th>models</th>";
    for (const auto& c : columns) t << "<th>" << escape_markup(c) << "</th>";
    t << "</tr></thead><tbody>\n";
    for (const auto& [metric, label] : rows)
      for (const auto& subset : subsets) {
        double best = -INFINITY;
        for (const auto& c : columns)
          if (const auto it = cell.find({metric, subset, c}); it != cell.end())
            if (std::isfinite(it->second->r)) best = std::max(best, it->second->r);
        ++drawn;  // a metric without any r (no spread over models) keeps its row, empty
        t << "<tr data-metric=\"" << escape_markup(metric) << "\" data-subset=\""
          << escape_markup(subset) << "\"><th>" << escape_markup(label) << "</th><td>"
          << escape_markup(subset == "all" ? "all" : subset) << "</td>";
        for (const auto& c : columns) {
          const auto it = cell.find({metric, subset, c});
          if (it == cell.end() || !std::isfinite(it->second->r)) {
            t << "<td></td>";
            continue;
          }
          const double p = it->second->p;
          const char* bg = p < 0.01 ? "#90ee90" : p < 0.05 ? "#ffff66" : "#f08080";
          t << "<td style=\"background:" << bg << (it->second->r == best ? ";font-weight:bold" : "")
            << "\" data-r=\"" << io::json_number(it->second->r).dump() << "\" data-p=\""
            << io::json_number(p).dump() << "\">" << fixed(it->second->r, 3) << "</td>";
        }
        t << "</tr>\n";
      }
    t << "</tbody></table>\n<p class=\"figure-note\">Pearson r of each alignment metric "
         "(pepino2025, whole dataset) with each task's score and the overall score, across "
         "models; green p &lt; 0.01, yellow p &lt; 0.05, red otherwise; bold the largest r of "
         "its row.</p>\n";
    if (drawn == 0)
      out.notes.push_back({"table1-paper",
                           "Table 1 (the paper's layout) is left out: it needs downstream "
                           "scores and pepino2025 alignment scores of at least two models"});
    else
      out.table1_html = t.str();
  }
  return out;
}

}  // namespace brainalign::report
