// Self-authenticating nonces. A nonce is 32 bytes:
//
//   expires_at (u64 big-endian, seconds) ‖ 8 random bytes ‖
//   HMAC-SHA-256(key, "drtm-nonce-v1" ‖ 0 ‖ node ‖ 0 ‖ first 16 bytes)[0..16)
//
// so the verifier can tell, without storing anything when it issues one,
// that it issued this nonce to this node and that it has not expired. That
// it is used once is enforced when the attestation is stored (each stored
// attestation records the nonce it spent, under a unique index). Every
// verifier process sharing a database must share the key (the verifier
// directory's nonce-key).
#pragma once

#include <cstdint>
#include <string>

#include "binary/bytes.hpp"
#include "crypto/hmac.hpp"

namespace drtm::service {

enum class NonceCheck {
    valid,
    not_ours,  // forged, issued to another node or by another verifier
    expired,
};

class NonceMinter {
  public:
    explicit NonceMinter(binary::Bytes key);  // at least 32 bytes

    binary::Bytes mint(const std::string& node, std::int64_t expires_at) const;
    NonceCheck check(const std::string& node, binary::ByteView nonce, std::int64_t now) const;
    static std::int64_t expires_at(binary::ByteView nonce);  // of a nonce that checked valid

  private:
    binary::Bytes tag(const std::string& node, binary::ByteView head) const;
    crypto::HmacSha256 mac_;
};

}  // namespace drtm::service
