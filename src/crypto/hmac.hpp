// HMAC-SHA-256 (RFC 2104) through OpenSSL, for values the verifier issues
// and must later recognise as its own (nonces).
#pragma once

#include <memory>

#include "binary/bytes.hpp"

namespace drtm::crypto {

binary::Bytes hmac_sha256(binary::ByteView key, binary::ByteView data);

// A key set up once for many MACs: the digest is fetched and the key's inner
// and outer pads are hashed when it is made, and each mac() copies that
// state instead of repeating them (the verifier MACs two nonces per
// attestation with one key). mac() may be called from several threads.
class HmacSha256 {
  public:
    explicit HmacSha256(binary::ByteView key);
    ~HmacSha256();
    HmacSha256(const HmacSha256&) = delete;
    HmacSha256& operator=(const HmacSha256&) = delete;

    binary::Bytes mac(binary::ByteView data) const;

  private:
    struct Keyed;
    std::unique_ptr<Keyed> keyed_;
};

}  // namespace drtm::crypto
