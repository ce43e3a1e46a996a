// Byte containers and hex conversion shared by every module.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace drtm::binary {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Lower-case hex, no separators.
std::string to_hex(ByteView bytes);

// Accepts upper or lower case, optional "0x" prefix; throws std::invalid_argument.
Bytes from_hex(std::string_view hex);

bool all_equal(ByteView bytes, std::uint8_t value);

// The little-endian integer at `p` (every image drtm reads is x86's).
template <class T>
T load_le(const std::uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// "0x1f": how JSON output spells addresses and sizes, so no consumer loses
// 64-bit precision to a floating-point number.
std::string hex_number(std::uint64_t value);
// "0x01000d17": a 32-bit value at full width (TPM handles, SLRT tags).
std::string hex32(std::uint32_t value);
// "0x00000000000100c1": `digits` hex digits at least (register dumps).
std::string hex_padded(std::uint64_t value, int digits);

}  // namespace drtm::binary
