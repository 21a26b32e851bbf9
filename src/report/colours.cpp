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

json series_scale(const std::vector<std::string>& names) {
  json range = json::array();
  for (size_t i = 0; i < names.size(); ++i) range.push_back(kSeries[i % std::size(kSeries)]);
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
