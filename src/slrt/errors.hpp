// Errors of the SLRT builders. Parse failures use binary::ParseError instead.
#pragma once

#include <stdexcept>
#include <string>

namespace drtm::slrt {

// A table or entry that cannot be built as asked: an entry that does not fit in
// max_size, a label longer than 32 bytes, a value too wide for its field.
class BuildError : public std::runtime_error {
  public:
    explicit BuildError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace drtm::slrt
