// Errors of the image builders (boot params, MBI, test DCEs). Parse failures
// of untrusted images use binary::ParseError instead.
#pragma once

#include <stdexcept>
#include <string>

namespace drtm::image {

class BuildError : public std::runtime_error {
  public:
    explicit BuildError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace drtm::image
