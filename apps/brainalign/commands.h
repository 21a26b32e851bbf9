// The subcommands of the brainalign command-line tool: each registers its options on the
// parser and returns the action to run once the arguments are parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace brainalign::cli {

using Action = std::function<void()>;

Action add_score(CLI::App& app);
Action add_ceiling(CLI::App& app);
Action add_synth(CLI::App& app);
Action add_demo(CLI::App& app);

// Progress on standard error: one line per stage that rewrites itself on a terminal.
void show_progress(const std::string& stage, int done, int total);

}  // namespace brainalign::cli
