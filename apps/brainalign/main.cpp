// brainalign: how brain-like are audio representations? A thin shell over the library.
#include <algorithm>
#include <iostream>
#include <map>

#include "brainalign/base/error.h"
#include "brainalign/features/published_activations.h"
#include "commands.h"

int main(int argc, char** argv) {
  // tuckute2023-activations:FOLDER, the route of the catalogued models that run from the 2023
  // release's published activations.
  brainalign::features::register_published_activations();
  // The libtorch families (hf:, beats:, ..., auto:) and the probes come from the neural plugin,
  // opened by the first command that needs them (base/plugins.h).
  CLI::App app{"brainalign: score audio-model representations against brain data"};
  app.set_version_flag("--version", BRAINALIGN_VERSION);
  app.require_subcommand(1);
  std::map<CLI::App*, brainalign::cli::Action> actions;
  auto add = [&](const char* name, const char* about, brainalign::cli::Action (*make)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, about);
    actions[sub] = make(*sub);
  };
  add("score", "Score a feature set against a brain dataset under a published protocol",
      brainalign::cli::add_score);
  add("extract", "Run a model over sound files and write its pooled layers as a feature set",
      brainalign::cli::add_extract);
  add("fetch", "Download public data sets and published models into the per-user cache",
      brainalign::cli::add_fetch);
  add("models", "List the models brainalign runs and the published checkpoints it can fetch",
      brainalign::cli::add_models);
  add("demo", "Spectemp features of the 165 sounds scored against the NH2015 components",
      brainalign::cli::add_demo);
  add("downstream", "Train probes on a model's embeddings for HEAR tasks and score them",
      brainalign::cli::add_downstream);
  add("ceiling", "RSA noise ceiling of a dataset", brainalign::cli::add_ceiling);
  add("synth", "Write a synthetic dataset and feature set with planted ground truth",
      brainalign::cli::add_synth);
  add("study", "Run, export and report a study of many models x datasets x analyses",
      brainalign::cli::add_study);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (auto* sub : app.get_subcommands()) actions.at(sub)();
  } catch (const brainalign::ArgumentError& e) {
    // The library names its arguments (rsa_method); the command line names its flags.
    std::string flag = "--" + e.argument();
    std::replace(flag.begin(), flag.end(), '_', '-');
    std::cerr << "brainalign: " << flag << ": " << e.detail() << "\n";
    return 2;
  } catch (const brainalign::InputError& e) {
    std::cerr << "brainalign: " << e.what() << "\n";
    return 2;
  } catch (const brainalign::IoError& e) {
    std::cerr << "brainalign: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "brainalign: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
