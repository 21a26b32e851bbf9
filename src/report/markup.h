// Text inside HTML and SVG (XML) markup: the report page and the static figures.
#pragma once

#include <string>

namespace brainalign::report {

// `text` with &, <, > and " written as entities, safe in element content and in a quoted
// attribute of HTML or XML.
std::string escape_markup(const std::string& text);

}  // namespace brainalign::report
