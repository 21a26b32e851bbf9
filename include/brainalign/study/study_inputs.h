// What a study downloads, fetched in one visible step before anything is computed: the
// catalogued models and checkpoint series it runs (with the architecture a series fills), the
// registered data sets its datasets and sounds come from, and its registered HEAR tasks. Each
// is fetched only when missing, by the rules of every download (resumable, verified, atomic;
// the caller's FetchOptions show progress and may ask before a large download).
#pragma once

#include <string>
#include <vector>

#include "brainalign/io/remote_files.h"
#include "brainalign/study/study_file.h"

namespace brainalign::study {

struct StudyInputFailure {
  std::string input;    // the model, dataset, sounds or task
  std::string message;  // why it could not be fetched
};

// Fetches every input of `study` that is missing. An input that cannot be fetched (no network,
// $BRAINALIGN_DATA without it) does not stop the others: it is returned, and the units that
// need it fail when the study runs. A download declined by options.before_download (it threw)
// stops the whole step: that exception is rethrown.
std::vector<StudyInputFailure> fetch_study_inputs(const Study& study,
                                                  const io::FetchOptions& options = {});

}  // namespace brainalign::study
