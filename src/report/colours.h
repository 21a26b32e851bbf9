// One colour convention for the report page (Vega-Lite scales) and its static figures
// (cairo): series (models, layers) take a colour each in the order of their scale's domain
// (models in the study file's order): Tableau 10 for up to 10 series, Tableau 20 for up to 20,
// beyond that hues a golden angle apart (a study of the 2025 paper's 36 models), and Pearson r runs
// from blue (-1) through near-white (0) to red
// (+1), interpolated linearly in RGB. The page's specs carry these scales explicitly and the
// static figures read their colours back from the same specs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace brainalign::report {

struct Rgb {
  double r, g, b;  // 0..1
};

// "#rrggbb" to colour and back; InputError for other text.
Rgb parse_hex(const std::string& hex);
std::string to_hex(Rgb c);

// A nominal colour scale: Vega-Lite's {"domain": names, "range": one colour per name}, no two
// alike.
nlohmann::json series_scale(const std::vector<std::string>& names);

// The Pearson-r scale: {"domain": [-1, 0, 1], "range": [blue, near-white, red],
// "interpolate": "rgb", "clamp": true}.
nlohmann::json correlation_scale();

// A colour scale as a Vega-Lite spec gives it (series_scale() or correlation_scale()).
struct ColourScale {
  std::vector<std::string> names;  // nominal domain
  std::vector<double> stops;       // quantitative domain
  std::vector<Rgb> colours;        // the range
  // The colour of a name of the domain (the range repeats); grey for a name not in it.
  Rgb of(const std::string& name) const;
  // The colour of a value: linear in RGB between the stops, clamped to the ends.
  Rgb at(double value) const;
};

// The first colour scale with a range among the spec's "color" encodings (searched depth
// first); empty when there is none.
ColourScale colour_scale_of(const nlohmann::json& spec);

}  // namespace brainalign::report
