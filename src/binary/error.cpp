#include "binary/error.hpp"

#include "binary/bytes.hpp"

#include <cstdio>

namespace drtm::binary {

std::string format_offset(std::size_t offset) {
    return hex_number(offset);
}

ParseError::ParseError(std::size_t offset, std::string reason)
    : std::runtime_error("offset " + format_offset(offset) + ": " + reason),
      offset_(offset),
      reason_(std::move(reason)) {}

}  // namespace drtm::binary
