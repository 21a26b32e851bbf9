#include "brainalign/report/static_figures.h"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"
#include "colours.h"
#include "markup.h"
#include "paper_figures.h"

namespace brainalign::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kWidth = 900;
constexpr double kMargin = 16;
constexpr double kTitleHeight = 40;
constexpr double kFont = 11;

// A label as drawn, kept for the SVG's text layer.
struct Label {
  double x, y, size, angle;  // anchor point (baseline), font size, degrees
  double align;              // 0 left, 0.5 centre, 1 right
  std::string text;
};

// Draws on one cairo context; records each label it draws.
class Painter {
 public:
  Painter(cairo_t* cr, std::vector<Label>* labels) : cr_(cr), labels_(labels) {
    cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  }
  cairo_t* cr() const { return cr_; }

  double text_width(const std::string& s, double size, bool bold = false) const {
    font(size, bold);
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    return e.x_advance;
  }
  // `y` is the baseline; `angle` in degrees, counter-clockwise.
  void text(const std::string& s, double x, double y, double size, double align = 0,
            double angle = 0, bool bold = false, Rgb colour = {0.13, 0.13, 0.13}) {
    const double w = text_width(s, size, bold);
    cairo_save(cr_);
    cairo_set_source_rgb(cr_, colour.r, colour.g, colour.b);
    cairo_translate(cr_, x, y);
    cairo_rotate(cr_, -angle * M_PI / 180.0);
    cairo_move_to(cr_, -w * align, 0);
    cairo_show_text(cr_, s.c_str());
    cairo_restore(cr_);
    if (labels_ != nullptr) labels_->push_back({x, y, size, angle, align, s});
  }
  void rect(double x, double y, double w, double h, Rgb c) {
    cairo_rectangle(cr_, x, y, w, h);
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    cairo_fill(cr_);
  }
  void line(double x0, double y0, double x1, double y1, Rgb c, double width = 1,
            bool dashed = false) {
    polyline({{x0, y0}, {x1, y1}}, c, width, dashed);
  }
  void polyline(const std::vector<std::pair<double, double>>& points, Rgb c, double width = 1,
                bool dashed = false) {
    if (points.size() < 2) return;
    cairo_save(cr_);
    if (dashed) {
      const double dash[] = {4, 3};
      cairo_set_dash(cr_, dash, 2, 0);
    }
    cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
    cairo_move_to(cr_, points[0].first, points[0].second);
    for (size_t i = 1; i < points.size(); ++i)
      cairo_line_to(cr_, points[i].first, points[i].second);
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    cairo_set_line_width(cr_, width);
    cairo_stroke(cr_);
    cairo_restore(cr_);
  }
  void dot(double x, double y, double radius, Rgb c) {
    cairo_new_sub_path(cr_);
    cairo_arc(cr_, x, y, radius, 0, 2 * M_PI);
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    cairo_fill(cr_);
  }

 private:
  void font(double size, bool bold) const {
    cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
  }
  cairo_t* cr_;
  std::vector<Label>* labels_;
};

const Rgb kInk{0.13, 0.13, 0.13}, kGrid{0.88, 0.88, 0.88}, kAxis{0.45, 0.45, 0.45};

// Round tick values spanning [lo, hi] (about `count` of them).
struct Ticks {
  double lo, hi, step;
  int decimals;
  std::vector<double> values;
};

Ticks nice_ticks(double lo, double hi, bool extend, int count = 5) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) {
    const double pad = std::abs(lo) > 1e-12 ? std::abs(lo) * 0.1 : 1.0;
    lo -= pad, hi += pad;
  }
  const double raw = (hi - lo) / count, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  Ticks t{lo, hi, step, std::max(0, -static_cast<int>(std::floor(std::log10(step)))), {}};
  if (extend) t.lo = std::floor(lo / step) * step, t.hi = std::ceil(hi / step) * step;
  for (double v = std::ceil(t.lo / step - 1e-9) * step; v <= t.hi + step * 1e-9; v += step)
    t.values.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::string format_tick(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

struct Box {
  double x0, y0, x1, y1;
};

// A panel's plot area with its y scale (and, for continuous x, its x scale).
struct Plot {
  Box box;
  Ticks y{0, 1, 1, 0, {}}, x{0, 1, 1, 0, {}};
  double py(double v) const { return box.y1 - (v - y.lo) / (y.hi - y.lo) * (box.y1 - box.y0); }
  double px(double v) const { return box.x0 + (v - x.lo) / (x.hi - x.lo) * (box.x1 - box.x0); }
};

// Centres of `count` equal slots of `slot` width from `x0`.
std::vector<double> slot_centres(double x0, double slot, size_t count) {
  std::vector<double> centres;
  for (size_t i = 0; i < count; ++i) centres.push_back(x0 + slot * (static_cast<double>(i) + 0.5));
  return centres;
}

void draw_y_axis(Painter& p, const Plot& plot, const std::string& title) {
  for (double v : plot.y.values) {
    const double y = plot.py(v);
    p.line(plot.box.x0, y, plot.box.x1, y, kGrid);
    p.line(plot.box.x0 - 4, y, plot.box.x0, y, kAxis);
    p.text(format_tick(v, plot.y.decimals), plot.box.x0 - 6, y + kFont * 0.35, kFont - 1, 1);
  }
  p.line(plot.box.x0, plot.box.y0, plot.box.x0, plot.box.y1, kAxis);
  if (!title.empty())
    p.text(title, plot.box.x0 - 42, (plot.box.y0 + plot.box.y1) / 2, kFont, 0.5, 90);
}

void draw_x_continuous(Painter& p, const Plot& plot, const std::string& title) {
  for (double v : plot.x.values) {
    const double x = plot.px(v);
    p.line(x, plot.box.y0, x, plot.box.y1, kGrid);
    p.line(x, plot.box.y1, x, plot.box.y1 + 4, kAxis);
    p.text(format_tick(v, plot.x.decimals), x, plot.box.y1 + 15, kFont - 1, 0.5);
  }
  p.line(plot.box.x0, plot.box.y1, plot.box.x1, plot.box.y1, kAxis);
  p.text(title, (plot.box.x0 + plot.box.x1) / 2, plot.box.y1 + 32, kFont, 0.5);
}

// How category labels go under an x axis: level when they fit their slot, slanted (35
// degrees) when that stays inside the panel, else upright; `depth` is how far below the
// axis they reach.
struct CategoryAxis {
  double angle = 0, depth = 20;
};

CategoryAxis category_axis(const Painter& p, const std::vector<std::string>& names, double slot,
                           double room_left) {
  double widest = 0;
  for (const auto& n : names) widest = std::max(widest, p.text_width(n, kFont - 1));
  if (widest <= slot - 4) return {0, 20};
  const double a = 35 * M_PI / 180;
  if (widest * std::cos(a) <= room_left) return {35, 12 + widest * std::sin(a) + kFont};
  return {90, 8 + widest + 4};
}

void draw_x_categories(Painter& p, const Plot& plot, const std::vector<std::string>& names,
                       const std::vector<double>& centres, const CategoryAxis& axis) {
  p.line(plot.box.x0, plot.box.y1, plot.box.x1, plot.box.y1, kAxis);
  for (size_t i = 0; i < names.size(); ++i) {
    p.line(centres[i], plot.box.y1, centres[i], plot.box.y1 + 4, kAxis);
    if (axis.angle == 0)
      p.text(names[i], centres[i], plot.box.y1 + 15, kFont - 1, 0.5);
    else if (axis.angle < 90)
      p.text(names[i], centres[i] + 3, plot.box.y1 + 12, kFont - 1, 1, axis.angle);
    else
      p.text(names[i], centres[i] + (kFont - 1) * 0.35, plot.box.y1 + 8, kFont - 1, 1, 90);
  }
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

size_t index_of(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

bool has(const json& row, const char* field) {
  return row.contains(field) && row.at(field).is_number();
}

// The figure's frame: title, a grid of panels (one per facet value) and a legend on the right.
struct Layout {
  double width = kWidth, height = 500, legend_width = 0, panel_width = 0, panel_height = 0;
  int columns = 1;
  std::vector<Box> panels;
};

// `titles`: the panels' titles, which fit at 9.5 px or more (fewer panels to a row when they
// do not); `extra_height` is added to each panel's height.
Layout layout(Painter& measure, size_t panels, int columns, const std::vector<std::string>& legend,
              double legend_extra = 0, double panel_height = 0,
              const std::vector<std::string>& titles = {}, double extra_height = 0) {
  Layout l;
  if (!legend.empty()) {
    double widest = 0;
    for (const auto& s : legend) widest = std::max(widest, measure.text_width(s, kFont));
    l.legend_width = std::min(260.0, widest + 40);
  }
  l.legend_width = std::max(l.legend_width, legend_extra);
  l.columns = std::max(1, std::min(columns, static_cast<int>(panels)));
  double widest_title = 0;
  for (const auto& t : titles)
    widest_title = std::max(widest_title, measure.text_width(t, 9.5, true));
  while (l.columns > 1 && widest_title > (kWidth - 2 * kMargin - l.legend_width) / l.columns - 8)
    --l.columns;
  const size_t cols = static_cast<size_t>(l.columns), rows = (panels + cols - 1) / cols;
  l.panel_width = (kWidth - 2 * kMargin - l.legend_width) / l.columns;
  l.panel_height = panel_height > 0 ? panel_height
                   : rows <= 1      ? 440.0
                                    : std::max(240.0, 440.0 / static_cast<double>(rows));
  l.panel_height += extra_height;
  l.height = std::max(500.0, kTitleHeight + static_cast<double>(rows) * l.panel_height + kMargin);
  l.height = std::max(l.height, kTitleHeight + 30 + 18.0 * static_cast<double>(legend.size()));
  for (size_t i = 0; i < panels; ++i) {
    const double x =
        kMargin + static_cast<double>(i % static_cast<size_t>(l.columns)) * l.panel_width;
    const double y =
        kTitleHeight + static_cast<double>(i / static_cast<size_t>(l.columns)) * l.panel_height;
    l.panels.push_back({x, y, x + l.panel_width, y + l.panel_height});
  }
  return l;
}

void draw_title(Painter& p, const std::string& title) {
  double size = 16;  // smaller where the title is wider than the figure, never cut
  while (size > 8 && p.text_width(title, size, true) > kWidth - 2 * kMargin) size -= 0.5;
  p.text(title, kWidth / 2, 26, size, 0.5, 0, true);
}

void draw_legend(Painter& p, const Layout& l, const std::string& heading,
                 const std::vector<std::string>& names, const ColourScale& colours) {
  if (names.empty()) return;
  const double x = kWidth - kMargin - l.legend_width + 14;
  double y = kTitleHeight + 14;
  p.text(heading, x, y, kFont, 0, 0, true);
  for (const auto& name : names) {
    y += 18;
    p.rect(x, y - 10, 11, 11, colours.of(name));
    double size = kFont;  // smaller where a name is wider than the legend, never cut
    while (size > 6 && x + 17 + p.text_width(name, size) > kWidth - 4) size -= 0.5;
    p.text(name, x + 17, y, size);
  }
}

// The series of a chart in its colour scale's order (the page's legend order): the scale's
// domain, then any other value of `field` in order of appearance.
std::vector<std::string> series(const ColourScale& colours, const json& values,
                                const std::string& field) {
  std::vector<std::string> out = colours.names;
  for (const auto& s : distinct(values, field))
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  return out;
}

// What a panel's values measure (its value axis' title), as the chart's rows say.
std::string measure(const json& rows, const std::string& fallback) {
  for (const auto& r : rows)
    if (r.contains("measure") && r["measure"].is_string()) return r["measure"];
  return fallback;
}

// The plot area inside a panel, below the panel's title.
Box plot_box(const Box& panel, double left = 58, double bottom = 52, double top = 26) {
  return {panel.x0 + left, panel.y0 + top, panel.x1 - 12, panel.y1 - bottom};
}

// A panel's title, in a smaller font where it is wide, cut at the front ("...") where still
// too wide; a subtitle goes on a second line.
void panel_title(Painter& p, const Box& panel, const std::string& title,
                 const std::string& subtitle = "") {
  const double room = panel.x1 - panel.x0 - 8;
  double size = kFont + 1;
  while (size > 8 && p.text_width(title, size, true) > room) size -= 0.5;
  std::string shown = title;
  while (shown.size() > 4 && p.text_width(shown, size, true) > room)
    shown = "..." + shown.substr(std::min(shown.size(), size_t{4}));
  p.text(shown, (panel.x0 + panel.x1) / 2, panel.y0 + 15, size, 0.5, 0, true);
  if (!subtitle.empty()) p.text(subtitle, (panel.x0 + panel.x1) / 2, panel.y0 + 30, kFont, 0.5);
}

Ticks value_ticks(const json& rows, std::initializer_list<const char*> fields, bool zero) {
  double lo = zero ? 0.0 : INFINITY, hi = zero ? 0.0 : -INFINITY;
  for (const auto& r : rows)
    for (const char* f : fields)
      if (has(r, f)) lo = std::min(lo, r[f].get<double>()), hi = std::max(hi, r[f].get<double>());
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (!zero) {
    const double pad = (hi - lo) * 0.05;
    lo -= pad, hi += pad;
  }
  return nice_ticks(lo, hi, zero);
}

json panel_rows(const json& values, const std::string& facet, const std::string& name) {
  json out = json::array();
  for (const auto& v : values)
    if (v.at(facet).get<std::string>() == name) out.push_back(v);
  return out;
}

// Per-model bars with error bars (lo, hi), one panel per metric.
void draw_bars(Painter& p, const ReportChart& chart, const json& values, Layout& l,
               bool measure_only) {
  const ColourScale colours = colour_scale_of(chart.spec);
  const auto models = series(colours, values, "model"), metrics = distinct(values, "metric");
  const int columns = chart.spec.value("columns", 3);
  l = layout(p, metrics.size(), columns, models, 0, 0, metrics);
  const double narrowest = (l.panel_width - 58 - 12) / static_cast<double>(models.size());
  const CategoryAxis axis = category_axis(p, models, narrowest, 58 + narrowest / 2 - 3);
  const double bottom = std::max(52.0, axis.depth + 8);
  l = layout(p, metrics.size(), columns, models, 0, 0, metrics, bottom - 52);
  if (measure_only) return;
  for (size_t k = 0; k < metrics.size(); ++k) {
    const json rows = panel_rows(values, "metric", metrics[k]);
    const auto in_panel = distinct(rows, "model");
    std::vector<std::string> here;  // in the legend's order
    for (const auto& m : models)
      if (index_of(in_panel, m) < in_panel.size()) here.push_back(m);
    Plot plot{plot_box(l.panels[k], 58, bottom)};
    plot.y = value_ticks(rows, {"value", "lo", "hi"}, true);
    panel_title(p, l.panels[k], metrics[k]);
    draw_y_axis(p, plot, measure(rows, "score"));
    const double slot = (plot.box.x1 - plot.box.x0) / static_cast<double>(here.size());
    const std::vector<double> centres = slot_centres(plot.box.x0, slot, here.size());
    for (const auto& r : rows) {
      if (!has(r, "value")) continue;
      const double c = centres[index_of(here, r["model"])], w = slot * 0.7;
      const double v = r["value"].get<double>(), y0 = plot.py(0), y1 = plot.py(v);
      p.rect(c - w / 2, std::min(y0, y1), w, std::abs(y1 - y0), colours.of(r["model"]));
      if (has(r, "lo") && has(r, "hi") && r["hi"].get<double>() > r["lo"].get<double>()) {
        const double lo = plot.py(r["lo"].get<double>()), hi = plot.py(r["hi"].get<double>());
        p.line(c, lo, c, hi, kInk, 1.2);
        p.line(c - 5, lo, c + 5, lo, kInk, 1.2);
        p.line(c - 5, hi, c + 5, hi, kInk, 1.2);
      }
    }
    draw_x_categories(p, plot, here, centres, axis);
  }
  draw_legend(p, l, "model", models, colours);
}

// Bars per component, grouped, one bar per model in each group; one panel per metric.
void draw_components(Painter& p, const ReportChart& chart, const json& values, Layout& l,
                     bool measure_only) {
  const ColourScale colours = colour_scale_of(chart.spec);
  const auto models = series(colours, values, "model"), metrics = distinct(values, "metric");
  const int columns = chart.spec.value("columns", 2);
  l = layout(p, metrics.size(), columns, models, 0, 0, metrics);
  const auto all_components = distinct(values, "component");
  const double narrowest = (l.panel_width - 58 - 12) / static_cast<double>(all_components.size());
  const CategoryAxis axis = category_axis(p, all_components, narrowest, 58 + narrowest / 2 - 3);
  const double bottom = std::max(52.0, axis.depth + 8);
  l = layout(p, metrics.size(), columns, models, 0, 0, metrics, bottom - 52);
  if (measure_only) return;
  for (size_t k = 0; k < metrics.size(); ++k) {
    const json rows = panel_rows(values, "metric", metrics[k]);
    const auto components = distinct(rows, "component");
    Plot plot{plot_box(l.panels[k], 58, bottom)};
    plot.y = value_ticks(rows, {"value"}, true);
    panel_title(p, l.panels[k], metrics[k]);
    draw_y_axis(p, plot, measure(rows, "score"));
    const double slot = (plot.box.x1 - plot.box.x0) / static_cast<double>(components.size());
    const double bar = slot * 0.8 / static_cast<double>(models.size());
    const std::vector<double> centres = slot_centres(plot.box.x0, slot, components.size());
    for (const auto& r : rows) {
      if (!has(r, "value")) continue;
      const size_t m = index_of(models, r["model"]);
      const double x =
          centres[index_of(components, r["component"])] - slot * 0.4 + bar * static_cast<double>(m);
      const double y0 = plot.py(0), y1 = plot.py(r["value"].get<double>());
      p.rect(x, std::min(y0, y1), bar, std::abs(y1 - y0), colours.of(r["model"]));
    }
    draw_x_categories(p, plot, components, centres, axis);
  }
  draw_legend(p, l, "model", models, colours);
}

// Alignment (x) against the overall downstream score (y), points per model and the
// least-squares line; the panel title carries r.
void draw_scatter(Painter& p, const ReportChart& chart, const json& values, Layout& l,
                  bool measure_only) {
  const ColourScale colours = colour_scale_of(chart.spec);
  const auto models = series(colours, values, "model"), metrics = distinct(values, "metric");
  l = layout(p, metrics.size(), chart.spec.value("columns", 3), models, 0, 0, metrics);
  if (measure_only) return;
  for (size_t k = 0; k < metrics.size(); ++k) {
    const json rows = panel_rows(values, "metric", metrics[k]);
    Plot plot{plot_box(l.panels[k], 58, 52, 40)};
    plot.y = value_ticks(rows, {"overall"}, false);
    plot.x = value_ticks(rows, {"alignment"}, false);
    std::string r_label;
    for (const auto& r : rows)
      if (r.value("first", false)) r_label = r.value("r_label", "");
    panel_title(p, l.panels[k], metrics[k], r_label);
    draw_y_axis(p, plot, "overall score");
    draw_x_continuous(p, plot, measure(rows, "alignment"));
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const auto& r : rows) {
      if (!has(r, "alignment") || !has(r, "overall")) continue;
      const double x = r["alignment"].get<double>(), y = r["overall"].get<double>();
      n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    const double den = n * sxx - sx * sx;
    if (n >= 2 && std::abs(den) > 1e-300) {
      const double slope = (n * sxy - sx * sy) / den, icpt = (sy - slope * sx) / n;
      double x0 = INFINITY, x1 = -INFINITY;
      for (const auto& r : rows)
        if (has(r, "alignment") && has(r, "overall"))
          x0 = std::min(x0, r["alignment"].get<double>()),
          x1 = std::max(x1, r["alignment"].get<double>());
      cairo_save(p.cr());
      cairo_rectangle(p.cr(), plot.box.x0, plot.box.y0, plot.box.x1 - plot.box.x0,
                      plot.box.y1 - plot.box.y0);
      cairo_clip(p.cr());
      p.line(plot.px(x0), plot.py(icpt + slope * x0), plot.px(x1), plot.py(icpt + slope * x1),
             {0.5, 0.5, 0.5}, 1.5);
      cairo_restore(p.cr());
    }
    for (const auto& r : rows)
      if (has(r, "alignment") && has(r, "overall"))
        p.dot(plot.px(r["alignment"].get<double>()), plot.py(r["overall"].get<double>()), 4.5,
              colours.of(r["model"]));
  }
  draw_legend(p, l, "model", models, colours);
}

// Pearson r per metric (rows) and performance measure (columns), one panel per subset, with
// a colour bar from -1 to 1.
void draw_heatmap(Painter& p, const ReportChart& chart, const json& values, Layout& l,
                  bool measure_only) {
  const ColourScale colours = colour_scale_of(chart.spec);
  const auto subsets = distinct(values, "subset");
  std::vector<std::string> metrics;  // rows in the page's order
  const json row_sort = chart.spec.value("/spec/layer/0/encoding/y/sort"_json_pointer, json());
  if (row_sort.is_array())
    for (const auto& s : row_sort) metrics.push_back(s.get<std::string>());
  for (const auto& s : distinct(values, "metric"))
    if (index_of(metrics, s) == metrics.size()) metrics.push_back(s);
  std::vector<std::string> columns;
  const json sort = chart.spec.value("/spec/layer/0/encoding/x/sort"_json_pointer, json());
  if (sort.is_array())
    for (const auto& s : sort) columns.push_back(s.get<std::string>());
  for (const auto& s : distinct(values, "performance"))
    if (index_of(columns, s) == columns.size()) columns.push_back(s);
  constexpr double kCell = 24;
  const double rows_height = kCell * static_cast<double>(metrics.size());
  l = layout(p, subsets.size(), 1, {}, 90, 26 + rows_height + 90);
  double left = 0;
  for (const auto& m : metrics) left = std::max(left, p.text_width(m, kFont - 1));
  left = std::min(left + 10, l.panel_width * 0.6);
  if (measure_only) return;
  for (size_t k = 0; k < subsets.size(); ++k) {
    const json rows = panel_rows(values, "subset", subsets[k]);
    const Box box = plot_box(l.panels[k], left, 90);
    panel_title(p, l.panels[k], subsets[k]);
    const double cw = std::min(90.0, (box.x1 - box.x0) / static_cast<double>(columns.size()));
    const double ch = kCell;
    for (size_t i = 0; i < metrics.size(); ++i)
      p.text(metrics[i], box.x0 - 5, box.y0 + ch * (static_cast<double>(i) + 0.5) + 3.5, kFont - 1,
             1);
    const std::vector<double> centres = slot_centres(box.x0, cw, columns.size());
    Plot frame{{box.x0, box.y0, box.x0 + cw * static_cast<double>(columns.size()),
                box.y0 + ch * static_cast<double>(metrics.size())}};
    for (const auto& r : rows) {
      const double x = box.x0 + cw * static_cast<double>(index_of(columns, r["performance"]));
      const double y = box.y0 + ch * static_cast<double>(index_of(metrics, r["metric"]));
      if (!has(r, "r")) {
        p.rect(x, y, cw, ch, {0.8, 0.8, 0.8});
        continue;
      }
      const double v = r["r"].get<double>();
      p.rect(x, y, cw, ch, colours.at(v));
      p.text(r.value("label", ""), x + cw / 2, y + ch / 2 + 3.5, kFont - 2, 0.5, 0, false,
             std::abs(v) > 0.6 ? Rgb{1, 1, 1} : kInk);
    }
    draw_x_categories(p, frame, columns, centres, category_axis(p, columns, cw, kWidth));
  }
  // Colour bar.
  const double x = kWidth - kMargin - 60, y0 = kTitleHeight + 30, h = 200;
  p.text("Pearson r", x, y0 - 10, kFont, 0, 0, true);
  for (int i = 0; i < 100; ++i)
    p.rect(x, y0 + h * i / 100.0, 14, h / 100.0 + 0.5, colours.at(1.0 - 2.0 * i / 99.0));
  for (double v : {1.0, 0.5, 0.0, -0.5, -1.0}) {
    const double y = y0 + h * (1.0 - v) / 2.0;
    p.line(x + 14, y, x + 18, y, kAxis);
    p.text(format_tick(v, 1), x + 21, y + 3.5, kFont - 1);
  }
}

// Values per checkpoint step, one line per layer (dashed: smoothed), one panel per curve set.
void draw_dynamics(Painter& p, const ReportChart& chart, const json& values, Layout& l,
                   bool measure_only) {
  const ColourScale colours = colour_scale_of(chart.spec);
  const auto layers = series(colours, values, "layer"), panels = distinct(values, "panel");
  l = layout(p, panels.size(), chart.spec.value("columns", 3), layers, 0, 0, panels);
  if (measure_only) return;
  for (size_t k = 0; k < panels.size(); ++k) {
    const json rows = panel_rows(values, "panel", panels[k]);
    Plot plot{plot_box(l.panels[k])};
    plot.y = value_ticks(rows, {"value", "smoothed"}, false);
    plot.x = value_ticks(rows, {"step"}, false);
    panel_title(p, l.panels[k], panels[k]);
    draw_y_axis(p, plot, measure(rows, "value"));
    draw_x_continuous(p, plot, "checkpoint step");
    for (size_t li = 0; li < layers.size(); ++li) {
      std::vector<std::pair<double, double>> raw, smooth;
      for (const auto& r : rows) {
        if (r["layer"].get<std::string>() != layers[li] || !has(r, "step")) continue;
        const double x = plot.px(r["step"].get<double>());
        if (has(r, "value")) raw.emplace_back(x, plot.py(r["value"].get<double>()));
        if (has(r, "smoothed")) smooth.emplace_back(x, plot.py(r["smoothed"].get<double>()));
      }
      const Rgb c = colours.of(layers[li]);
      p.polyline(raw, c, 1.8);
      p.polyline(smooth, c, 1.2, true);
      for (const auto& [x, y] : raw) p.dot(x, y, 3, c);
    }
  }
  draw_legend(p, l, "layer", layers, colours);
}

// The panels of a paper figure's concat spec: id (the panel filter's value), title, subtitle
// and the value axes' titles (of the first layer that has them).
struct SpecPanel {
  std::string id, title, subtitle, x_title, y_title;
  std::vector<std::string> order;  // hbars: the models top to bottom
};

std::vector<SpecPanel> spec_panels(const json& spec) {
  std::vector<SpecPanel> out;
  for (const auto& c : spec.value("concat", json::array())) {
    SpecPanel p;
    p.id = c.value("/transform/0/filter/equal"_json_pointer, std::string());
    const json& t = c.value("title", json());
    p.title = t.is_string() ? t.get<std::string>() : t.value("text", std::string());
    if (t.is_object()) p.subtitle = t.value("subtitle", std::string());
    for (const auto& l : c.value("layer", json::array())) {
      const json e = l.value("encoding", json::object());
      if (p.x_title.empty() && e.contains("x")) p.x_title = e["x"].value("title", std::string());
      if (p.y_title.empty() && e.contains("y") && e["y"].value("type", "") == "quantitative")
        p.y_title = e["y"].value("title", std::string());
      if (p.order.empty() && e.contains("y") && e["y"].contains("sort") &&
          e["y"]["sort"].is_array())
        p.order = e["y"]["sort"].get<std::vector<std::string>>();
    }
    out.push_back(std::move(p));
  }
  return out;
}

void dashed_line(Painter& p, double x0, double y0, double x1, double y1, Rgb c, double width,
                 double on, double off) {
  cairo_t* cr = p.cr();
  cairo_save(cr);
  const double dash[] = {on, off};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_set_source_rgb(cr, c.r, c.g, c.b);
  cairo_set_line_width(cr, width);
  cairo_stroke(cr);
  cairo_restore(cr);
}

// A reference line's colour and dash: the noise ceiling black and dotted, a baseline grey and
// dashed (the page's stroke and strokeDash scales).
void reference_style(const std::string& ref, Rgb& colour, double& on, double& off) {
  const bool ceiling = ref == "noise ceiling";
  colour = parse_hex(ceiling ? kCeilingColour : kBaselineColour);
  on = ceiling ? 2 : 6;
  off = ceiling ? 2 : 4;
}

constexpr double kBarStep = 14;

// Horizontal bars per model (Fig 2, Fig 4): one panel per score, models top to bottom as the
// page sorts them, sem as error bars, the reference lines (baseline, noise ceiling) across.
void draw_hbars(Painter& p, const ReportChart& chart, const json& values, Layout& l,
                bool measure_only) {
  const ColourScale colours = colour_scale_of(chart.spec);
  const std::vector<SpecPanel> panels = spec_panels(chart.spec);
  std::vector<std::string> refs, titles;
  for (const auto& v : values)
    if (v.value("kind", "") == "ref" && index_of(refs, v["ref"]) == refs.size())
      refs.push_back(v["ref"]);
  std::sort(refs.begin(), refs.end(), [](const auto& a, const auto& b) {
    return (a == "noise ceiling") < (b == "noise ceiling");
  });
  size_t tallest = 1;
  double widest = 0;
  for (const auto& sp : panels) {
    titles.push_back(sp.title);
    tallest = std::max(tallest, sp.order.size());
    for (const auto& m : sp.order) widest = std::max(widest, p.text_width(m, kFont - 1));
  }
  int columns = chart.spec.value("columns", 2);
  const double legend = refs.empty() ? 0 : 40;
  // Fewer panels to a row where the model names would take more than half a panel.
  while (columns > 1 &&
         widest + 12 > 0.5 * (kWidth - 2 * kMargin - legend - 200) / static_cast<double>(columns))
    --columns;
  const double panel_height = 30 + kBarStep * static_cast<double>(tallest) + 46;
  l = layout(p, panels.size(), columns, refs, legend, panel_height, titles);
  if (measure_only) return;
  const double left = std::min(widest + 12, l.panel_width * 0.6);
  for (size_t k = 0; k < panels.size(); ++k) {
    const SpecPanel& sp = panels[k];
    const json rows = panel_rows(values, "panel", sp.id);
    const Box& panel = l.panels[k];
    Plot plot{{panel.x0 + left, panel.y0 + 30, panel.x1 - 14,
               panel.y0 + 30 + kBarStep * static_cast<double>(sp.order.size())}};
    plot.x = value_ticks(rows, {"value", "lo", "hi"}, true);
    panel_title(p, panel, sp.title);
    draw_x_continuous(p, plot, sp.x_title);
    for (const auto& r : rows)  // the reference bands behind the bars
      if (r.value("kind", "") == "ref" && has(r, "lo") && has(r, "hi"))
        p.rect(plot.px(r["lo"].get<double>()), plot.box.y0,
               plot.px(r["hi"].get<double>()) - plot.px(r["lo"].get<double>()),
               plot.box.y1 - plot.box.y0, {0.88, 0.88, 0.88});
    for (const auto& r : rows) {
      if (r.value("kind", "") != "bar" || !has(r, "value")) continue;
      const size_t i = index_of(sp.order, r["model"]);
      if (i == sp.order.size()) continue;
      const double c = plot.box.y0 + kBarStep * (static_cast<double>(i) + 0.5);
      const double x0 = plot.px(0), x1 = plot.px(r["value"].get<double>());
      p.rect(std::min(x0, x1), c - kBarStep * 0.38, std::abs(x1 - x0), kBarStep * 0.76,
             colours.of(r["model"]));
      if (has(r, "lo") && has(r, "hi") && r["hi"].get<double>() > r["lo"].get<double>()) {
        const double lo = plot.px(r["lo"].get<double>()), hi = plot.px(r["hi"].get<double>());
        p.line(lo, c, hi, c, kInk, 1);
        p.line(lo, c - 3, lo, c + 3, kInk, 1);
        p.line(hi, c - 3, hi, c + 3, kInk, 1);
      }
    }
    for (size_t i = 0; i < sp.order.size(); ++i) {
      double size = kFont - 1;
      while (size > 6 && p.text_width(sp.order[i], size) > left - 6) size -= 0.5;
      p.text(sp.order[i], plot.box.x0 - 5,
             plot.box.y0 + kBarStep * (static_cast<double>(i) + 0.5) + size * 0.35, size, 1);
    }
    p.line(plot.box.x0, plot.box.y0, plot.box.x0, plot.box.y1, kAxis);
    p.text("model", plot.box.x0 - 5, plot.box.y0 - 4, kFont - 1, 1, 0, true);
    for (const auto& r : rows)
      if (r.value("kind", "") == "ref" && has(r, "value")) {
        Rgb colour;
        double on, off;
        reference_style(r["ref"], colour, on, off);
        const double x = plot.px(r["value"].get<double>());
        dashed_line(p, x, plot.box.y0, x, plot.box.y1, colour, 2, on, off);
      }
  }
  if (refs.empty()) return;
  const double x = kWidth - kMargin - l.legend_width + 8;
  double y = kTitleHeight + 14;
  p.text("reference line", x, y, kFont, 0, 0, true);
  for (const auto& ref : refs) {
    y += 18;
    Rgb colour;
    double on, off;
    reference_style(ref, colour, on, off);
    dashed_line(p, x, y - 4, x + 22, y - 4, colour, 2, on, off);
    double size = kFont;
    while (size > 6 && x + 28 + p.text_width(ref, size) > kWidth - 4) size -= 0.5;
    p.text(ref, x + 28, y, size);
  }
}

// Points and dashed lines in x-y panels, coloured by series (Fig 3, S2, 6); r and p in the
// panels' subtitles.
void draw_xy(Painter& p, const ReportChart& chart, const json& values, Layout& l,
             bool measure_only) {
  const ColourScale colours = colour_scale_of(chart.spec);
  const std::vector<SpecPanel> panels = spec_panels(chart.spec);
  const auto names = series(colours, values, "series");
  std::vector<std::string> titles;
  for (const auto& sp : panels) titles.push_back(sp.title);
  l = layout(p, panels.size(), chart.spec.value("columns", 2), names, 0, 0, titles);
  if (measure_only) return;
  for (size_t k = 0; k < panels.size(); ++k) {
    const SpecPanel& sp = panels[k];
    const json rows = panel_rows(values, "panel", sp.id);
    Plot plot{plot_box(l.panels[k], 58, 52, sp.subtitle.empty() ? 26 : 40)};
    plot.x = value_ticks(rows, {"x"}, false);
    plot.y = value_ticks(rows, {"y"}, false);
    panel_title(p, l.panels[k], sp.title, sp.subtitle);
    draw_y_axis(p, plot, sp.y_title);
    draw_x_continuous(p, plot, sp.x_title);
    std::vector<std::string> lines;
    for (const auto& r : rows)
      if (r.value("kind", "") == "line" && index_of(lines, r["line"]) == lines.size())
        lines.push_back(r["line"]);
    for (const auto& line : lines) {
      std::vector<std::pair<double, double>> ends;
      Rgb colour = kInk;
      for (const auto& r : rows)
        if (r.value("kind", "") == "line" && r["line"] == line && has(r, "x") && has(r, "y")) {
          ends.emplace_back(plot.px(r["x"].get<double>()), plot.py(r["y"].get<double>()));
          colour = colours.of(r["series"]);
        }
      if (ends.size() == 2)
        dashed_line(p, ends[0].first, ends[0].second, ends[1].first, ends[1].second, colour, 1.5, 6,
                    4);
    }
    for (const auto& r : rows)
      if (r.value("kind", "") == "point" && has(r, "x") && has(r, "y"))
        p.dot(plot.px(r["x"].get<double>()), plot.py(r["y"].get<double>()), 4.5,
              colours.of(r["series"]));
  }
  draw_legend(p, l,
              chart.spec.value("/concat/0/layer/0/encoding/color/legend/title"_json_pointer,
                               std::string("series")),
              names, colours);
}

// Curves per layer along a checkpoint series (Fig 5): the smoothed curve as a line and each
// checkpoint's value as a dot, one panel per dataset and ROI.
void draw_curves(Painter& p, const ReportChart& chart, const json& values, Layout& l,
                 bool measure_only) {
  const ColourScale colours = colour_scale_of(chart.spec);
  const std::vector<SpecPanel> panels = spec_panels(chart.spec);
  const auto layers = series(colours, values, "layer");
  std::vector<std::string> titles;
  for (const auto& sp : panels) titles.push_back(sp.title);
  l = layout(p, panels.size(), chart.spec.value("columns", 2), layers, 0, 0, titles);
  if (measure_only) return;
  for (size_t k = 0; k < panels.size(); ++k) {
    const SpecPanel& sp = panels[k];
    const json rows = panel_rows(values, "panel", sp.id);
    Plot plot{plot_box(l.panels[k])};
    plot.x = value_ticks(rows, {"step"}, false);
    plot.y = value_ticks(rows, {"value", "curve"}, false);
    panel_title(p, l.panels[k], sp.title);
    draw_y_axis(p, plot, sp.y_title);
    draw_x_continuous(p, plot, sp.x_title);
    for (const auto& layer : layers) {
      std::vector<std::pair<double, double>> curve;
      const Rgb c = colours.of(layer);
      for (const auto& r : rows) {
        if (r["layer"].get<std::string>() != layer || !has(r, "step")) continue;
        const double x = plot.px(r["step"].get<double>());
        if (has(r, "value"))
          p.dot(x, plot.py(r["value"].get<double>()), 2,
                {0.6 + 0.4 * c.r, 0.6 + 0.4 * c.g, 0.6 + 0.4 * c.b});
        if (has(r, "curve")) curve.emplace_back(x, plot.py(r["curve"].get<double>()));
      }
      p.polyline(curve, c, 2);
    }
  }
  draw_legend(p, l, "layer", layers, colours);
}

using DrawFn = void (*)(Painter&, const ReportChart&, const json&, Layout&, bool);

DrawFn drawing_for(const std::string& id) {
  static const std::map<std::string, DrawFn> kinds = {{"bars", draw_bars},
                                                      {"components", draw_components},
                                                      {"scatter", draw_scatter},
                                                      {"heatmap", draw_heatmap},
                                                      {"dynamics", draw_dynamics}};
  const std::string paper = paper_figure_kind(id);
  if (paper == "hbars") return draw_hbars;
  if (paper == "xy") return draw_xy;
  if (paper == "curves") return draw_curves;
  const auto it = kinds.find(id);
  return it == kinds.end() ? nullptr : it->second;
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

void check(cairo_status_t status, const fs::path& file) {
  if (status != CAIRO_STATUS_SUCCESS)
    throw IoError(file.string() + ": cannot draw the figure: " + cairo_status_to_string(status));
}

// Paints the white background and the chart on `cr`.
void paint(cairo_t* cr, DrawFn draw, const ReportChart& chart, const json& values, const Layout& l,
           std::vector<Label>* labels) {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, 0, 0, l.width, l.height);
  cairo_fill(cr);
  Painter p(cr, labels);
  Layout drawn;  // the same as `l`: the layout is recomputed from the same text widths
  draw(p, chart, values, drawn, false);
  draw_title(p, chart.title);
}

// The SVG with a <title> and a transparent text layer holding every label where it is drawn.
std::string with_text_layer(std::string svg, const std::string& title,
                            const std::vector<Label>& labels) {
  const size_t open = svg.find("<svg");
  const size_t end = open == std::string::npos ? open : svg.find('>', open);
  if (end == std::string::npos) return svg;
  svg.insert(end + 1, "\n<title>" + escape_markup(title) + "</title>");
  std::string layer = "<g fill-opacity=\"0\" font-family=\"sans-serif\">\n";
  char buf[160];
  for (const auto& t : labels) {
    const char* anchor = t.align < 0.25 ? "start" : t.align > 0.75 ? "end" : "middle";
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" "
                  "text-anchor=\"%s\"",
                  t.x, t.y, t.size, anchor);
    layer += buf;
    if (t.angle != 0) {
      std::snprintf(buf, sizeof buf, " transform=\"rotate(%.1f %.2f %.2f)\"", -t.angle, t.x, t.y);
      layer += buf;
    }
    layer += ">" + escape_markup(t.text) + "</text>\n";
  }
  layer += "</g>\n";
  const size_t close = svg.rfind("</svg>");
  if (close != std::string::npos) svg.insert(close, layer);
  return svg;
}

}  // namespace

void write_static_figure(const ReportChart& chart, const fs::path& dir) {
  const DrawFn draw = drawing_for(chart.id);
  if (draw == nullptr)
    throw InputError("chart '" + chart.id +
                     "': no static figure for this chart kind "
                     "(expected bars, components, scatter, heatmap, dynamics or the paper's "
                     "fig2, fig3, figs2, fig4, fig5 and fig6)");
  const json values = chart.spec.value("/data/values"_json_pointer, json::array());
  const fs::path svg_file = dir / (chart.id + ".svg"), png_file = dir / (chart.id + ".png");

  // Measure: the layout (the figure's height) depends on the text widths.
  Layout l;
  {
    cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t* cr = cairo_create(s);
    Painter p(cr, nullptr);
    draw(p, chart, values, l, true);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
  }

  std::string svg, png;
  std::vector<Label> labels;
  {
    cairo_surface_t* s = cairo_svg_surface_create_for_stream(append, &svg, l.width, l.height);
    cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);  // the PNG's size
    cairo_t* cr = cairo_create(s);
    paint(cr, draw, chart, values, l, &labels);
    const cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    const cairo_status_t finished = cairo_surface_status(s);
    cairo_surface_destroy(s);
    check(status, svg_file);
    check(finished, svg_file);
  }
  {
    cairo_surface_t* s = cairo_image_surface_create(  // opaque: an RGB PNG
        CAIRO_FORMAT_RGB24, static_cast<int>(std::ceil(l.width)),
        static_cast<int>(std::ceil(l.height)));
    cairo_t* cr = cairo_create(s);
    paint(cr, draw, chart, values, l, nullptr);
    const cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    const cairo_status_t written = status == CAIRO_STATUS_SUCCESS
                                       ? cairo_surface_write_to_png_stream(s, append, &png)
                                       : status;
    cairo_surface_destroy(s);
    check(written, png_file);
  }
  io::write_file_atomically(svg_file, with_text_layer(svg, chart.title, labels));
  io::write_file_atomically(png_file, png);
}

void write_static_figures(const std::vector<ReportChart>& charts, const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& c : charts) write_static_figure(c, dir);
}

}  // namespace brainalign::report