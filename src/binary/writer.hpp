// Little/big-endian writer used by every serialiser (logs, SLRT, TPM wire).
#pragma once

#include <cstddef>
#include <cstdint>

#include "binary/bytes.hpp"

namespace drtm::binary {

class Writer {
  public:
    Writer() = default;
    explicit Writer(std::size_t reserve) { buf_.reserve(reserve); }

    void u8(std::uint8_t v) { buf_.push_back(v); }
    void u16le(std::uint16_t v);
    void u32le(std::uint32_t v);
    void u64le(std::uint64_t v);
    void u16be(std::uint16_t v);
    void u32be(std::uint32_t v);
    void u64be(std::uint64_t v);
    void bytes(ByteView v) { buf_.insert(buf_.end(), v.begin(), v.end()); }
    void zeros(std::size_t n) { buf_.insert(buf_.end(), n, 0); }
    // Fixed-width, NUL-padded text field; truncates to `width`.
    void fixed_string(std::string_view s, std::size_t width);

    void patch_u32le(std::size_t pos, std::uint32_t v);
    void patch_u64le(std::size_t pos, std::uint64_t v);

    std::size_t size() const noexcept { return buf_.size(); }
    const Bytes& data() const noexcept { return buf_; }
    Bytes take() { return std::move(buf_); }

  private:
    Bytes buf_;
};

}  // namespace drtm::binary
