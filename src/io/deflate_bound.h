// The largest expansion deflate can produce, shared by every reader of compressed input.
// Internal to the io module.
#pragma once

#include <cstdint>

namespace brainalign::io::detail {

// Deflate cannot expand data by more than about 1032:1 (RFC 1951: at best 258 bytes from
// a 1-bit code, plus headers); a size claim beyond that marks a corrupt header.
inline constexpr std::uint64_t kMaxDeflateRatio = 1032;

}  // namespace brainalign::io::detail
