// Compact JWS with ES256 (RFC 7515, RFC 7518 §3.4): how drtm signs
// attestation results (EAR JWTs) and how their consumers check them.
#pragma once

#include <string>
#include <string_view>

#include "binary/bytes.hpp"
#include "crypto/ecdsa_key.hpp"

namespace drtm::crypto {

// base64url without padding (RFC 4648 §5, as JOSE uses it).
std::string base64url_encode(binary::ByteView data);
// Throws std::runtime_error on characters outside the alphabet or padding.
binary::Bytes base64url_decode(std::string_view text);

// header.payload.signature, the header {"alg":"ES256","typ":"JWT"[,"kid":…]};
// the signature is R‖S (32 bytes each), not DER.
std::string jws_sign_es256(std::string_view payload_json, const EcdsaP256Key& key,
                           const std::string& kid = "");

// The payload when the token is a well-formed ES256 JWS that `key` signed;
// throws std::runtime_error naming what is wrong otherwise.
std::string jws_verify_es256(std::string_view token, const EcdsaP256Key& key);

}  // namespace drtm::crypto
