#include "colours.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "brainalign/base/error.h"

namespace brainalign::report {
namespace {

using nlohmann::json;

// Tableau 10, Vega's default for nominal colours.
constexpr const char* kSeries[] = {"#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
                                   "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"};
// Tableau 20 (Vega's "tableau20"): pairs of a strong and a light shade, for 11 to 20 series.
constexpr const char* kSeries20[] = {"#4c78a8", "#9ecae9", "#f58518", "#ffbf79", "#54a24b",
                                     "#88d27a", "#b79a20", "#f2cf5b", "#439894", "#83bcb6",
                                     "#e45756", "#ff9d98", "#79706e", "#bab0ac", "#d67195",
                                     "#fcbfd2", "#b279a2", "#d6a5c9", "#9e765f", "#d8b5a5"};
// ColorBrewer RdBu's ends and centre: negative blue, zero near-white, positive red.
constexpr const char* kNegative = "#2166ac";
constexpr const char* kZero = "#f7f7f7";
constexpr const char* kPositive = "#b2182b";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void find_scale(const json& j, ColourScale& out, bool& found) {
  if (found) return;
  if (j.is_object()) {
    if (const auto c = j.find("color"); c != j.end() && c->is_object()) {
      const json scale = c->value("scale", json::object());
      if (scale.contains("range") && scale["range"].is_array() && scale.contains("domain")) {
        for (const auto& v : scale["range"]) out.colours.push_back(parse_hex(v.get<std::string>()));
        for (const auto& v : scale["domain"]) {
          if (v.is_string()) out.names.push_back(v.get<std::string>());
          if (v.is_number()) out.stops.push_back(v.get<double>());
        }
        found = true;
        return;
      }
    }
    for (const auto& [key, value] : j.items()) find_scale(value, out, found);
  } else if (j.is_array()) {
    for (const auto& value : j) find_scale(value, out, found);
  }
}

}  // namespace

Rgb parse_hex(const std::string& hex) {
  int v[6];
  bool ok = hex.size() == 7 && hex[0] == '#';
  for (size_t i = 0; ok && i < 6; ++i) ok = (v[i] = hex_digit(hex[i + 1])) >= 0;
  if (!ok) throw InputError("'" + hex + "' is not a colour of the form #rrggbb");
  return {(v[0] * 16 + v[1]) / 255.0, (v[2] * 16 + v[3]) / 255.0, (v[4] * 16 + v[5]) / 255.0};
}

std::string to_hex(Rgb c) {
  const auto byte = [](double x) {
    return static_cast<int>(std::lround(std::clamp(x, 0.0, 1.0) * 255));
  };
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", byte(c.r), byte(c.g), byte(c.b));
  return buf;
}

namespace {

// Series `i` of more than 20: hues a golden angle (137.5 degrees) apart, at three lightness
// levels in turn, so that neighbours in the domain differ and no two series share a colour.
Rgb distinct_colour(size_t i) {
  const double hue = std::fmod(static_cast<double>(i) * 137.50776405, 360.0) / 60.0;
  const double lightness = (i % 3 == 0) ? 0.45 : (i % 3 == 1 ? 0.62 : 0.33);
  const double saturation = 0.65;
  const double chroma = (1 - std::abs(2 * lightness - 1)) * saturation;
  const double x = chroma * (1 - std::abs(std::fmod(hue, 2.0) - 1));
  const double m = lightness - chroma / 2;
  const int sector = static_cast<int>(hue);
  const double rgb[6][3] = {{chroma, x, 0}, {x, chroma, 0}, {0, chroma, x},
                            {0, x, chroma}, {x, 0, chroma}, {chroma, 0, x}};
  const auto& c = rgb[sector % 6];
  return {c[0] + m, c[1] + m, c[2] + m};
}

}  // namespace

json series_scale(const std::vector<std::string>& names) {
  json range = json::array();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names.size() <= std::size(kSeries)) {
      range.push_back(kSeries[i]);
    } else if (names.size() <= std::size(kSeries20)) {
      range.push_back(kSeries20[i]);
    } else {
      range.push_back(to_hex(distinct_colour(i)));
    }
  }
  return {{"domain", names}, {"range", range}};
}

json correlation_scale() {
  return {{"domain", json::array({-1, 0, 1})},
          {"range", json::array({kNegative, kZero, kPositive})},
          {"interpolate", "rgb"},
          {"clamp", true}};
}

Rgb ColourScale::of(const std::string& name) const {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end() || colours.empty()) return {0.6, 0.6, 0.6};
  return colours[static_cast<size_t>(it - names.begin()) % colours.size()];
}

Rgb ColourScale::at(double value) const {
  if (colours.empty() || stops.size() != colours.size()) return {0.6, 0.6, 0.6};
  if (!(value > stops.front())) return colours.front();
  if (!(value < stops.back())) return colours.back();
  size_t i = 1;
  while (i + 1 < stops.size() && value > stops[i]) ++i;
  const double t = (value - stops[i - 1]) / (stops[i] - stops[i - 1]);
  const Rgb &a = colours[i - 1], &b = colours[i];
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

ColourScale colour_scale_of(const json& spec) {
  ColourScale out;
  bool found = false;
  find_scale(spec, out, found);
  return out;
}

}  // namespace brainalign::report
