// Bounds-checked reader over untrusted bytes. Every parser in drtm reads
// through this class instead of casting packed structs onto buffers, so a
// truncated or lying input becomes a ParseError naming the offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "binary/bytes.hpp"
#include "binary/error.hpp"

namespace drtm::binary {

class Reader {
  public:
    // `base` is the absolute offset of data[0] in the file the user gave, so
    // errors from a sub-reader still point at the right byte of that file.
    explicit Reader(ByteView data, std::size_t base = 0) : data_(data), base_(base) {}

    std::size_t position() const noexcept { return pos_; }        // relative
    std::size_t offset() const noexcept { return base_ + pos_; }  // absolute
    std::size_t offset_of(std::size_t pos) const noexcept { return base_ + pos; }
    std::size_t size() const noexcept { return data_.size(); }
    std::size_t remaining() const noexcept { return data_.size() - pos_; }
    bool at_end() const noexcept { return pos_ == data_.size(); }
    ByteView data() const noexcept { return data_; }

    std::uint8_t u8();
    std::uint16_t u16le();
    std::uint32_t u32le();
    std::uint64_t u64le();
    std::uint16_t u16be();
    std::uint32_t u32be();
    std::uint64_t u64be();

    // `what` names the field in the error message ("event data", ...).
    ByteView bytes(std::size_t n, const char* what = "field");
    void skip(std::size_t n, const char* what = "field");
    Reader sub(std::size_t n, const char* what = "structure");
    void seek(std::size_t pos);

    // Peek without moving; throws when fewer than n bytes remain.
    ByteView peek(std::size_t n, const char* what = "field") const;

    [[noreturn]] void fail(const std::string& reason) const;
    [[noreturn]] void fail_at(std::size_t pos, const std::string& reason) const;

  private:
    void need(std::size_t n, const char* what) const;

    ByteView data_;
    std::size_t base_;
    std::size_t pos_ = 0;
};

}  // namespace drtm::binary
