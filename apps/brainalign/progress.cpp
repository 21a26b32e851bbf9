#include <unistd.h>

#include <cstdio>
#include <string>

#include "commands.h"

namespace brainalign::cli {

void show_progress(const std::string& stage, int done, int total) {
  static const bool terminal = isatty(fileno(stderr)) != 0;
  // Off a terminal each line stays: print only the start, every tenth and the end.
  static std::string last_stage;
  static int last_tenth = -1;
  if (!terminal) {
    const int tenth = total > 0 ? done * 10 / total : 10;
    if (stage == last_stage && tenth == last_tenth && done != total) return;
    last_stage = stage;
    last_tenth = tenth;
  }
  const int width = 30;
  const int filled = total > 0 ? done * width / total : width;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(static_cast<size_t>(width), '.');
  std::fprintf(stderr, "%s%-16s [%s] %d/%d%s", terminal ? "\r" : "", stage.c_str(), bar.c_str(),
               done, total, (!terminal || done == total) ? "\n" : "");
  std::fflush(stderr);
}

void show_note(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace brainalign::cli
