// Little-endian reads written out by hand, so the layout tests check the bytes
// independently of binary::Reader (which the parser under test uses).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "binary/bytes.hpp"

namespace slrt_test {

inline std::uint64_t le(const drtm::binary::Bytes& b, std::size_t off, int width) {
    std::uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) v = (v << 8) | b.at(off + static_cast<std::size_t>(i));
    return v;
}
inline std::uint16_t u16(const drtm::binary::Bytes& b, std::size_t off) {
    return static_cast<std::uint16_t>(le(b, off, 2));
}
inline std::uint32_t u32(const drtm::binary::Bytes& b, std::size_t off) {
    return static_cast<std::uint32_t>(le(b, off, 4));
}
inline std::uint64_t u64(const drtm::binary::Bytes& b, std::size_t off) {
    return le(b, off, 8);
}
inline std::string text(const drtm::binary::Bytes& b, std::size_t off, std::size_t n) {
    return std::string(b.begin() + static_cast<long>(off), b.begin() + static_cast<long>(off + n));
}

}  // namespace slrt_test
