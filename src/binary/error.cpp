#include "binary/error.hpp"

#include <cstdio>

namespace drtm::binary {

std::string format_offset(std::size_t offset) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%zx", offset);
    return buf;
}

ParseError::ParseError(std::size_t offset, std::string reason)
    : std::runtime_error("offset " + format_offset(offset) + ": " + reason),
      offset_(offset),
      reason_(std::move(reason)) {}

}  // namespace drtm::binary
