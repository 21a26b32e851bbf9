// How both studies name a stimulus: what feature sets, datasets, folds and splits are joined on.
#pragma once

#include <string>

namespace brainalign::data {

// A stimulus name as both studies join them: the file name without folder and extension.
std::string stimulus_name(const std::string& file_or_name);

}  // namespace brainalign::data