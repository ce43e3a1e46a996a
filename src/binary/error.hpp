// Errors raised by every parser of untrusted bytes.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace drtm::binary {

// A parse failure at a known byte offset. The CLI prefixes the file name, so a
// user sees "FILE: offset 0x1c: reason" and can find the bad byte with xxd.
class ParseError : public std::runtime_error {
  public:
    ParseError(std::size_t offset, std::string reason);

    std::size_t offset() const noexcept { return offset_; }
    const std::string& reason() const noexcept { return reason_; }

    // The same error, re-based: used when a structure was parsed from a slice
    // of a bigger buffer and the offset must point into the bigger one.
    ParseError rebased(std::size_t base) const { return ParseError(base + offset_, reason_); }

  private:
    std::size_t offset_;
    std::string reason_;
};

std::string format_offset(std::size_t offset);

// Runs `parse` and turns a ParseError into "FILE: offset 0x..: reason", the
// form every command reports bad input in.
template <class F>
auto in_file(const std::string& file, F&& parse) -> decltype(parse()) {
    try {
        return parse();
    } catch (const ParseError& e) {
        throw std::runtime_error(file + ": " + e.what());
    }
}

}  // namespace drtm::binary
