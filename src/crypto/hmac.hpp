// HMAC-SHA-256 (RFC 2104) through OpenSSL, for values the verifier issues
// and must later recognise as its own (nonces).
#pragma once

#include "binary/bytes.hpp"

namespace drtm::crypto {

binary::Bytes hmac_sha256(binary::ByteView key, binary::ByteView data);

}  // namespace drtm::crypto
