// The subcommands of the brainalign command-line tool: each registers its options on the
// parser and returns the action to run once the arguments are parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

namespace brainalign::cli {

using Action = std::function<void()>;

Action add_score(CLI::App& app);
Action add_ceiling(CLI::App& app);
Action add_synth(CLI::App& app);
Action add_demo(CLI::App& app);
Action add_extract(CLI::App& app);
Action add_fetch(CLI::App& app);
Action add_models(CLI::App& app);
Action add_study(CLI::App& app);
Action add_downstream(CLI::App& app);

// Progress on standard error: one line per stage that rewrites itself on a terminal.
void show_progress(const std::string& stage, int done, int total);
// A note for the user on standard error, on a line of its own.
void show_note(const std::string& line);
// io::FetchOptions::before_download for the command line: says what is about to be downloaded
// and, from 1 GiB (or an unknown size) on, asks on a terminal, or stops with an InputError
// off one, unless `yes`.
std::function<void(const std::string&, int, std::int64_t)> confirm_download(bool yes);
// A download's size for people: "345 MiB" below 1 GiB, "2.00 GiB" from there, "size unknown"
// for a negative count.
std::string size_text(std::int64_t bytes);

}  // namespace brainalign::cli
