// The fixed front ends as models (src/models/<name>_model.cpp each).
#pragma once

#include <memory>

#include "brainalign/models/model.h"

namespace brainalign::models {

std::unique_ptr<Model> make_spectemp_model();
std::unique_ptr<Model> make_cochleagram_model();
std::unique_ptr<Model> make_mel_model();
std::unique_ptr<Model> make_mfcc_model();

}  // namespace brainalign::models