// An audio model: a name, the sample rate it works at, and named layers whose activations
// over time forward() computes. Fixed front ends (spectemp, cochleagram, mel, mfcc) and
// future neural models share this interface; features/ pools and caches what it returns.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/dsp/audio.h"

namespace brainalign::models {

// One layer's output for one clip: a row per time step (frame), the features of each step
// flattened in row-major order of `feature_shape` (e.g. channels x frequency for a
// convolutional layer). A layer already pooled over time has one frame.
struct LayerActivations {
  std::string layer;
  Matrix values;                            // frames x features
  std::vector<Eigen::Index> feature_shape;  // product == values.cols()
};

class Model {
 public:
  virtual ~Model() = default;

  virtual std::string name() const = 0;
  // Hz: the rate of the audio forward() expects after prepare().
  virtual double sample_rate() const = 0;
  virtual std::vector<std::string> layer_names() const = 0;
  // Identifies the weights in use, for cache keys ("none" for fixed front ends).
  virtual std::string weights_id() const { return "none"; }

  // The layers a published study (one of published_layer_studies()) compared with the brain,
  // in the study's order, named as layer_names() names them; empty when the study did not use
  // this model. Throws InputError naming the study and the known ones for any other study.
  // docs/neural.md maps each study's layer names onto these.
  std::vector<std::string> published_layers(const std::string& study) const;

  // Brings audio read at its native rate to what forward() takes: by default a
  // band-limited resampling to sample_rate() (dsp::resample).
  virtual dsp::Audio prepare(dsp::Audio audio) const;
  // Every layer in layer_names() order. Safe to call from several threads at once. Throws
  // InputError for audio the model cannot take (too short, wrong rate).
  virtual std::vector<LayerActivations> forward(const dsp::Audio& audio) const = 0;

  // Bytes that one forward() call on `samples` samples (after prepare()) needs while it runs,
  // beyond the model's weights: an estimate, erring on the high side, that extraction uses to
  // keep the clips it runs at once within a memory budget. 0: small enough not to count (the
  // fixed front ends).
  virtual std::size_t forward_memory_bytes(std::size_t samples) const {
    (void)samples;
    return 0;
  }

 protected:
  // published_layers() for a known study; by default none.
  virtual std::vector<std::string> study_layers(const std::string& study) const {
    (void)study;
    return {};
  }
};

// The studies published_layers() knows: "tuckute2023" (Tuckute et al. 2023,
// gretatuckute/auditory_brain_dnn) and "pepino2025" (Pepino et al. 2025, mrpep/braindnn).
const std::vector<std::string>& published_layer_studies();
// Throws InputError naming `study` and the known ones unless it is one of them.
void check_published_layer_study(const std::string& study);
// model.published_layers(study), or InputError naming the model and the study when empty.
std::vector<std::string> require_published_layers(const Model& model, const std::string& study);

// The layers `choice` names for `model` (in the model's order for "all", the study's for a
// study, as given for a list): "all" (every layer), a study of published_layer_studies() (its
// list; InputError when the study did not use the model), or layer names separated by commas
// (InputError naming one the model lacks, and its layers). "" is `fallback_study`'s list when
// there is one and the study used the model, else nothing: the caller's own default.
std::vector<std::string> choose_layers(const Model& model, const std::string& choice,
                                       const std::string& fallback_study = "");

}  // namespace brainalign::models