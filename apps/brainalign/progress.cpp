#include <unistd.h>

#include <cstdio>
#include <string>

#include "brainalign/base/error.h"
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

std::string size_text(std::int64_t bytes) {
  if (bytes < 0) return "size unknown";
  char text[32];
  if (bytes >= (std::int64_t{1} << 30)) {
    std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / (1 << 30));
  } else {
    std::snprintf(text, sizeof text, "%.0f MiB", static_cast<double>(bytes) / (1 << 20));
  }
  return text;
}

std::function<void(const std::string&, int, std::int64_t)> confirm_download(bool yes) {
  return [yes](const std::string& stage, int files, std::int64_t bytes) {
    constexpr std::int64_t kAsk = std::int64_t{1} << 30;  // 1 GiB
    const std::string size = size_text(bytes);
    std::fprintf(stderr, "%s: %d file%s to download, %s\n", stage.c_str(), files,
                 files == 1 ? "" : "s", size.c_str());
    if (yes || (bytes >= 0 && bytes < kAsk)) return;
    if (isatty(fileno(stdin)) == 0)
      throw InputError(stage + ": " + size + " to download; run again with --yes to go ahead");
    std::fprintf(stderr, "Download? [y/N] ");
    std::fflush(stderr);
    const int answer = std::getchar();
    if (answer != 'y' && answer != 'Y') throw InputError(stage + ": not downloaded");
  };
}

void show_note(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace brainalign::cli
