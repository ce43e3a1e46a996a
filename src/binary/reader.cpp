#include "binary/reader.hpp"

namespace drtm::binary {

void Reader::need(std::size_t n, const char* what) const {
    if (n > remaining()) {
        fail(std::string("truncated ") + what + ": need " + std::to_string(n) + " bytes, " +
             std::to_string(remaining()) + " left");
    }
}

void Reader::fail(const std::string& reason) const {
    throw ParseError(offset(), reason);
}

void Reader::fail_at(std::size_t pos, const std::string& reason) const {
    throw ParseError(base_ + pos, reason);
}

std::uint8_t Reader::u8() {
    need(1, "u8");
    return data_[pos_++];
}

std::uint16_t Reader::u16le() {
    need(2, "u16");
    std::uint16_t v = static_cast<std::uint16_t>(data_[pos_] | data_[pos_ + 1] << 8);
    pos_ += 2;
    return v;
}

std::uint32_t Reader::u32le() {
    need(4, "u32");
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | data_[pos_ + i];
    pos_ += 4;
    return v;
}

std::uint64_t Reader::u64le() {
    need(8, "u64");
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | data_[pos_ + i];
    pos_ += 8;
    return v;
}

std::uint16_t Reader::u16be() {
    need(2, "u16");
    std::uint16_t v = static_cast<std::uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return v;
}

std::uint32_t Reader::u32be() {
    need(4, "u32");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | data_[pos_ + i];
    pos_ += 4;
    return v;
}

std::uint64_t Reader::u64be() {
    need(8, "u64");
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | data_[pos_ + i];
    pos_ += 8;
    return v;
}

ByteView Reader::bytes(std::size_t n, const char* what) {
    need(n, what);
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
}

ByteView Reader::peek(std::size_t n, const char* what) const {
    need(n, what);
    return data_.subspan(pos_, n);
}

void Reader::skip(std::size_t n, const char* what) {
    bytes(n, what);
}

Reader Reader::sub(std::size_t n, const char* what) {
    std::size_t start = offset();
    return Reader(bytes(n, what), start);
}

void Reader::seek(std::size_t pos) {
    if (pos > data_.size())
        fail("seek to " + format_offset(base_ + pos) + " is past the end (size " +
             std::to_string(data_.size()) + ")");
    pos_ = pos;
}

}  // namespace drtm::binary
