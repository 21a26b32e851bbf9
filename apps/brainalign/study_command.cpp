#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>

#include "brainalign/base/error.h"
#include "brainalign/models/registry.h"
#include "brainalign/report/study_report.h"
#include "brainalign/study/process_group.h"
#include "brainalign/study/study_analyses.h"
#include "brainalign/study/study_export.h"
#include "brainalign/study/study_file.h"
#include "brainalign/study/study_inputs.h"
#include "brainalign/study/study_plan.h"
#include "brainalign/study/study_runner.h"
#include "commands.h"

namespace brainalign::cli {
namespace {

void print_inputs(const char* title, const std::vector<study::PlannedInput>& inputs) {
  std::printf("%s:\n", title);
  for (const auto& p : inputs) {
    const char* state = !p.usable ? "unusable" : (p.ready ? "ready" : "to fetch");
    std::printf("  %-24s %-9s %s", p.name.c_str(), state, p.source.c_str());
    if (p.checkpoints > 1) std::printf(" (%d checkpoints)", p.checkpoints);
    if (p.download_bytes != 0) std::printf(" [%s]", size_text(p.download_bytes).c_str());
    if (!p.note.empty()) std::printf("\n%28s%s", "", p.note.c_str());
    std::printf("\n");
  }
}

void print_plan(const study::Study& study, const study::StudyPlan& p) {
  std::printf("%s\n", study.name.c_str());
  print_inputs("models", p.models);
  print_inputs("datasets", p.datasets);
  if (!p.tasks.empty()) print_inputs("tasks", p.tasks);
  std::printf("units: %d alignment + %d downstream, %d already in the store%s\n", p.units,
              p.task_units, p.units_done,
              p.units_known ? "" : " (and those of the series not listed yet)");
  std::printf("to download: %s%s\n", size_text(p.download_bytes).c_str(),
              p.download_bytes_known ? "" : " and files of unknown size");
  if (p.estimated_seconds) {
    std::printf("compute left: about %.1f h at the stored units' mean time on this machine\n",
                *p.estimated_seconds / 3600.0);
  } else if (p.units + p.task_units > p.units_done) {
    std::printf("compute left: not estimated yet (no unit of that kind stored)\n");
  }
}

// Runs `step` on the first process while the others wait. An error there ends a run of one
// process as usual; under mpirun it is printed and ends every process with its exit code (the
// others would otherwise wait for it forever).
void first_process_then_the_others(const study::ProcessGroup& group,
                                   const std::function<void()>& step) {
  if (group.rank() == 0) {
    try {
      step();
    } catch (const std::exception& e) {
      if (group.size() == 1) throw;
      std::cerr << "brainalign: " << e.what() << "\n";
      group.abort(dynamic_cast<const IoError*>(&e) != nullptr ? 3 : 2);
    }
  }
  group.barrier();
}

}  // namespace

Action add_study(CLI::App& app) {
  struct Args {
    std::string file, out;
    int threads = 0;
    bool quiet = false, json = false, yes = false;
  };
  auto a = std::make_shared<Args>();
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "Compute every unit of the study the store lacks");
  // A function: listing the families opens the neural plugin, which only --help needs.
  run->footer(std::function<std::string()>([] {
    return "Models a study can name (model = ...; PATH relative to the study file):\n" +
           models::describe_models();
  }));
  run->add_option("study", a->file, "Study file (TOML)")->required();
  run->add_option("--threads", a->threads, "Threads per process (default: the cores shared)");
  run->add_flag("--quiet", a->quiet, "No progress output");
  run->add_flag("--yes", a->yes,
                "Download what the study needs without asking, also from 1 GiB on (the size is "
                "shown either way)");
  CLI::App* plan = app.add_subcommand(
      "plan", "What the study needs and has left, without computing or downloading anything");
  plan->add_option("study", a->file, "Study file (TOML)")->required();
  plan->add_flag("--json", a->json, "One JSON object instead of text");
  CLI::App* exp = app.add_subcommand("export", "Write the store as tidy CSV and JSON");
  exp->add_option("study", a->file, "Study file (TOML)")->required();
  exp->add_option("--out", a->out, "Output folder (default: <study folder>/export)");
  CLI::App* rep = app.add_subcommand("report", "Write the study's HTML report and figures");
  rep->add_option("study", a->file, "Study file (TOML)")->required();
  rep->add_option("--out", a->out, "Output folder (default: <study folder>/report)");
  return [a, run, plan, exp, rep] {
    study::Study study = study::load_study(a->file);
    if (plan->parsed()) {
      const study::StudyPlan p = study::plan_study(study);
      if (a->json) {
        std::cout << study::to_json(p).dump(2) << "\n";
      } else {
        print_plan(study, p);
      }
      if (!p.usable())
        throw InputError(study.name + ": some inputs cannot be used (see the notes above)");
      return;
    }
    if (run->parsed()) {
      study::ProcessGroup group;
      io::FetchOptions fetch;
      if (!a->quiet) {
        fetch.progress = show_progress;
        fetch.note = show_note;
      }
      fetch.before_download = confirm_download(a->yes);
      // Before anything is computed, the first process lists the series never listed here and
      // fetches what the study downloads (asking before a large download unless --yes); the
      // others wait, then read the listings it kept.
      first_process_then_the_others(group, [&] {
        study::list_model_series(study, fetch);
        for (const auto& failure : study::fetch_study_inputs(study, fetch))
          std::cerr << "brainalign: " << failure.input
                    << " could not be fetched; its units will fail: " << failure.message << "\n";
      });
      if (group.rank() != 0) study::list_model_series(study, fetch);
      study::StudyRunOptions o;
      o.threads = a->threads;
      if (!a->quiet) {
        o.progress = show_progress;
        o.note = show_note;
      }
      try {
        const study::StudyRunSummary s = study::run_study(study, group, o);
        if (group.rank() == 0) {
          std::cout << study.name << ": " << s.units << " units, " << s.already
                    << " already stored, " << s.computed << " computed here\n";
          // The other units ran; the exit status says some failed (2: their input, 3: I/O).
          if (!s.failures.empty()) {
            bool io = false;
            for (const auto& f : s.failures) {
              std::cerr << "brainalign: unit " << f.unit_key << " failed: " << f.message << "\n";
              io = io || f.kind == "io";
            }
            const std::string message = study.name + ": " + std::to_string(s.failures.size()) +
                                        " of " + std::to_string(s.units) +
                                        " units failed (recorded in the results store); fix "
                                        "their input and run again to compute them";
            if (io) throw brainalign::IoError(message);
            throw brainalign::InputError(message);
          }
        }
      } catch (const std::exception& e) {
        if (group.size() > 1) {
          std::cerr << "brainalign: rank " << group.rank() << ": " << e.what() << "\n";
          group.abort(dynamic_cast<const brainalign::IoError*>(&e) != nullptr ? 3 : 2);
        }
        throw;
      }
    } else if (exp->parsed()) {
      const std::filesystem::path out =
          a->out.empty() ? study.output / "export" : std::filesystem::path(a->out);
      study::ResultsStore store(study::results_store_path(study));
      study::export_results(study, store, out);
      study::write_study_analyses(study::analyse_study(study, store), out);
      std::cout << "wrote " << out.string() << "/results.csv, units.csv, task_units.csv, "
                << "downstream.csv, "
                << "results.json, table1.csv, overall.csv, dynamics.csv\n";
    } else if (rep->parsed()) {
      const std::filesystem::path out =
          a->out.empty() ? study.output / "report" : std::filesystem::path(a->out);
      study::ResultsStore store(study::results_store_path(study));
      report::write_study_report(study, store, out);
      std::cout << "wrote " << (out / "index.html").string() << "\n";
    }
  };
}

}  // namespace brainalign::cli
