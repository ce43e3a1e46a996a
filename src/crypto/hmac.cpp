#include "crypto/hmac.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace drtm::crypto {

binary::Bytes hmac_sha256(binary::ByteView key, binary::ByteView data) {
    binary::Bytes out(32);
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
              out.data(), &length) ||
        length != out.size())
        throw std::runtime_error("HMAC-SHA-256 failed");
    return out;
}

}  // namespace drtm::crypto
