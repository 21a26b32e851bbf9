// UTF-8 encoding and decoding shared by the readers and writers. Internal to the io module.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace brainalign::io::detail {

// Whether `code_point` is a Unicode scalar value (at most U+10FFFF, not a surrogate).
bool is_scalar_value(std::uint32_t code_point);
// Appends the UTF-8 encoding of a scalar value.
void append_utf8(std::string& out, std::uint32_t code_point);
// Code points of UTF-8 text; throws std::invalid_argument (with the byte offset) if invalid.
std::vector<std::uint32_t> decode_utf8(std::string_view text);

}  // namespace brainalign::io::detail
