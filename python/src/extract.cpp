// Models and feature extraction for Python: brainalign.Model, brainalign.models(),
// brainalign.extract() on one waveform and brainalign.extract_files() on sound files, as
// `brainalign extract` does.
#include "brainalign/features/extract.h"

#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>

#include "bindings.h"
#include "brainalign/base/error.h"
#include "brainalign/features/pooling.h"
#include "brainalign/models/model_catalog.h"
#include "brainalign/models/registry.h"

namespace brainalign::python {
namespace {

std::shared_ptr<const models::Model> load_model(const std::string& name, py::handle weights) {
  std::optional<std::filesystem::path> path;
  if (!weights.is_none()) path = path_string(weights);
  py::gil_scoped_release release;
  return models::make_model(name, path);
}

}  // namespace

std::shared_ptr<const models::Model> model_argument(py::handle model) {
  if (py::isinstance<py::str>(model)) return load_model(model.cast<std::string>(), py::none());
  try {
    return model.cast<std::shared_ptr<const models::Model>>();
  } catch (const py::cast_error&) {
    throw InputError("model: expected a model name (str) or a brainalign.Model, got " +
                     py::repr(model).cast<std::string>());
  }
}

namespace {

// A mono waveform: a 1-D array, or 2-D (channels, samples) mixed down to the mean.
dsp::Audio to_audio(py::handle audio, double sample_rate) {
  if (!(sample_rate > 0)) {
    throw InputError("sample_rate: expected a positive rate in Hz, got " +
                     std::to_string(sample_rate));
  }
  auto array = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(audio);
  if (!array) throw InputError("audio: expected an array of samples");
  dsp::Audio out;
  out.sample_rate = sample_rate;
  if (array.ndim() == 1) {
    out.samples.assign(array.data(), array.data() + array.shape(0));
  } else if (array.ndim() == 2) {
    const auto channels = array.shape(0), samples = array.shape(1);
    if (channels == 0) throw InputError("audio: (channels, samples) array has no channel");
    out.samples.assign(static_cast<std::size_t>(samples), 0.0);
    for (py::ssize_t c = 0; c < channels; ++c)
      for (py::ssize_t s = 0; s < samples; ++s)
        out.samples[static_cast<std::size_t>(s)] += array.at(c, s) / static_cast<double>(channels);
  } else {
    throw InputError("audio: expected (samples,) or (channels, samples), got " +
                     std::to_string(array.ndim()) + " dimensions");
  }
  if (out.samples.empty()) throw InputError("audio: holds no sample");
  for (std::size_t i = 0; i < out.samples.size(); ++i) {
    if (!std::isfinite(out.samples[i]))
      throw InputError("audio: sample " + std::to_string(i) + " is not finite");
  }
  return out;
}

py::dict run_model(const models::Model& model, dsp::Audio audio, features::Pooling pooling) {
  std::vector<models::LayerActivations> layers;
  {
    py::gil_scoped_release release;
    layers = model.forward(model.prepare(std::move(audio)));
  }
  py::dict out;
  for (const auto& layer : layers) {
    Matrix pooled = pool(layer, pooling);
    if (pooling == features::Pooling::kMean) {
      Vector row = pooled.row(0).transpose();
      out[py::str(layer.layer)] = to_array(std::move(row));
    } else {
      out[py::str(layer.layer)] = to_array(std::move(pooled));
    }
  }
  return out;
}

}  // namespace

void register_extract(py::module_& m) {
  py::class_<models::Model, std::shared_ptr<models::Model>>(
      m, "Model",
      "An audio model: a registered front end or a model "
      "of a family loaded from files.")
      .def(py::init([](const std::string& name, py::object weights) {
             return std::const_pointer_cast<models::Model>(load_model(name, weights));
           }),
           py::arg("name"), py::arg("weights") = py::none(),
           R"(Loads the model `name` denotes: a registered model ("spectemp", "mel", ...) or
"<family>:PATH" ("hf:FOLDER", "beats:FILE.pt", "torchscript:FILE.pt", "auto:PATH"); see
brainalign.models().)")
      .def_property_readonly("name", &models::Model::name)
      .def_property_readonly("sample_rate", &models::Model::sample_rate,
                             "The rate (Hz) the model runs at; other rates are resampled.")
      .def_property_readonly("layers", &models::Model::layer_names, "Layer names, in order.")
      .def_property_readonly("weights_id", &models::Model::weights_id)
      .def(
          "__call__",
          [](const models::Model& model, py::handle audio, std::optional<double> sample_rate,
             const std::string& pool) {
            return run_model(model, to_audio(audio, sample_rate.value_or(model.sample_rate())),
                             features::parse_pooling(pool));
          },
          py::arg("audio"), py::arg("sample_rate") = py::none(), py::arg("pool") = "none",
          "As brainalign.extract(audio, sample_rate, model=self, pool=pool); audio at the "
          "model's own rate unless sample_rate says otherwise.")
      .def("__repr__", [](const models::Model& model) {
        return "brainalign.Model('" + model.name() + "', " +
               std::to_string(model.layer_names().size()) + " layers, " +
               std::to_string(static_cast<int>(model.sample_rate())) + " Hz)";
      });

  m.def(
      "models",
      [] {
        py::list out;
        for (const auto& info : models::registered_models()) {
          out.append(
              py::dict(py::arg("name") = info.name, py::arg("description") = info.description));
        }
        for (const auto& family : models::registered_model_families()) {
          out.append(py::dict(py::arg("name") = family.prefix + ":PATH",
                              py::arg("description") = family.description));
        }
        return out;
      },
      "The models brainalign can run: registered names and <family>:PATH forms.");
  m.def(
      "published_models",
      [] {
        py::list out;
        for (const auto& published : models::published_models()) {
          py::list files;
          for (const auto& f : published.files)
            files.append(py::dict(
                py::arg("path") = f.path, py::arg("url") = f.url,
                py::arg("sha256") = f.sha256.empty() ? py::object(py::none()) : py::str(f.sha256),
                py::arg("size") = f.size < 0 ? py::object(py::none()) : py::int_(f.size)));
          out.append(py::dict(
              py::arg("name") = published.name, py::arg("description") = published.description,
              py::arg("runs") = published.runs(), py::arg("studies") = published.studies,
              py::arg("study_name") = published.study_name,
              py::arg("sample_rate") = published.sample_rate,
              py::arg("licence") = published.licence, py::arg("files") = files,
              py::arg("fetched") = !published.files.empty() && models::is_fetched(published),
              py::arg("folder") = models::model_folder(published).string(),
              py::arg("notes") = published.notes));
        }
        return out;
      },
      "The published checkpoints brainalign knows by name, as `brainalign models --json`: "
      "each model's files (sources, checksums, sizes), studies, rate, licence, whether it runs "
      "natively and whether it is fetched. Model(name) and extract(model=name) fetch one on "
      "first use; fetch(name) fetches it now.");

  m.def(
      "extract",
      [](py::handle audio, double sample_rate, py::handle model, const std::string& pool) {
        const auto loaded = model_argument(model);
        return run_model(*loaded, to_audio(audio, sample_rate), features::parse_pooling(pool));
      },
      py::arg("audio"), py::arg("sample_rate"), py::arg("model") = "spectemp",
      py::arg("pool") = "none",
      R"(Runs a model on one waveform.

audio: (samples,) or (channels, samples), mixed down to mono; resampled from sample_rate to
the model's rate. model: a name (see models()) or a brainalign.Model (load once, call often).
pool: "none" returns a dict layer -> (frames, features) array in layer order; "mean" returns
layer -> (features,) averaged over time.)");

  m.def(
      "extract_files",
      [](py::handle stimuli, py::handle model, const std::string& pool, py::object threads,
         bool cache, py::object cache_dir) {
        const auto loaded = model_argument(model);
        features::ExtractOptions options;
        options.pooling = features::parse_pooling(pool);
        if (!threads.is_none()) options.threads = threads.cast<int>();
        options.use_cache = cache;
        if (!cache_dir.is_none()) options.cache_dir = path_string(cache_dir);
        std::vector<std::filesystem::path> files;
        if (is_path(stimuli)) {
          const std::string where = path_string(stimuli);
          py::gil_scoped_release release;
          files = features::resolve_stimuli(where);
        } else {
          for (const auto& name : to_strings(stimuli, "stimuli")) files.emplace_back(name);
        }
        features::ExtractedFeatures features;
        {
          py::gil_scoped_release release;
          features = features::extract_features(*loaded, files, options);
        }
        py::dict layers;
        for (std::size_t l = 0; l < features.layers.size(); ++l) {
          auto& clips = features.values[l];
          if (options.pooling == features::Pooling::kMean) {
            const Eigen::Index width = clips.empty() ? 0 : clips.front().cols();
            Matrix stacked(static_cast<Eigen::Index>(clips.size()), width);
            for (std::size_t s = 0; s < clips.size(); ++s)
              stacked.row(static_cast<Eigen::Index>(s)) = clips[s].row(0);
            layers[py::str(features.layers[l])] = to_array(std::move(stacked));
          } else {
            py::list per_clip;
            for (auto& clip : clips) per_clip.append(to_array(std::move(clip)));
            layers[py::str(features.layers[l])] = per_clip;
          }
        }
        return py::make_tuple(layers, features.stimuli);
      },
      py::arg("stimuli"), py::arg("model") = "spectemp", py::arg("pool") = "mean",
      py::arg("threads") = py::none(), py::arg("cache") = true, py::arg("cache_dir") = py::none(),
      R"(Runs a model over sound files, as `brainalign extract` does (parallel, cached).

stimuli: a folder of sound files, a data set with sounds ("natsound165"), or a list of files.
Returns (layers, stimuli): with pool="mean" a dict layer -> (stimuli, features) array, with
pool="none" layer -> list of (frames, features) arrays; stimuli are the file stems in order.)");
}

}  // namespace brainalign::python
