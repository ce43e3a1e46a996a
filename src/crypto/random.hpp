// Unpredictable bytes from OpenSSL's CSPRNG (nonces, challenge secrets,
// record identifiers).
#pragma once

#include <cstddef>

#include "binary/bytes.hpp"

namespace drtm::crypto {

// Throws std::runtime_error when the generator cannot deliver.
binary::Bytes random_bytes(std::size_t count);

}  // namespace drtm::crypto
