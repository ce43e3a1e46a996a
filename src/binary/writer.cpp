#include "binary/writer.hpp"

#include <stdexcept>
#include <string_view>

namespace drtm::binary {

void Writer::u16le(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v));
    u8(static_cast<std::uint8_t>(v >> 8));
}
void Writer::u32le(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
}
void Writer::u64le(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
}
void Writer::u16be(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
}
void Writer::u32be(std::uint32_t v) {
    for (int i = 3; i >= 0; --i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
}
void Writer::u64be(std::uint64_t v) {
    for (int i = 7; i >= 0; --i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
}

void Writer::fixed_string(std::string_view s, std::size_t width) {
    std::size_t n = s.size() < width ? s.size() : width;
    bytes(as_bytes(s.substr(0, n)));
    zeros(width - n);
}

void Writer::patch_u32le(std::size_t pos, std::uint32_t v) {
    if (pos + 4 > buf_.size()) throw std::out_of_range("Writer::patch_u32le past end");
    for (int i = 0; i < 4; ++i) buf_[pos + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void Writer::patch_u64le(std::size_t pos, std::uint64_t v) {
    if (pos + 8 > buf_.size()) throw std::out_of_range("Writer::patch_u64le past end");
    for (int i = 0; i < 8; ++i) buf_[pos + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace drtm::binary
