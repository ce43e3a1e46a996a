// TPM object and NV index names (TPM 2.0 Part 1, §16): nameAlg ‖ H(public
// area). A policy commits to names, not handles, so drtm computes them for
// keys that are not in the TPM yet.
#pragma once

#include <cstdint>

#include "binary/bytes.hpp"
#include "crypto/ecdsa_key.hpp"

namespace drtm::tpm {

// The TPM2B_PUBLIC of a P-256 public key as TPM2_LoadExternal receives it
// for signature verification: nameAlg SHA-256, attributes sign | decrypt |
// userWithAuth, no scheme, no symmetric algorithm, no KDF — the same area
// `tpm2_loadexternal -G ecc -u key.pem` builds, so both see the same name.
binary::Bytes ecc_p256_external_public(const crypto::EccPoint& point);

// Name of a marshalled TPM2B_PUBLIC. Throws on malformed input.
binary::Bytes object_name(binary::ByteView tpm2b_public);

// The P-256 point of a marshalled TPM2B_PUBLIC (throws if it is not one).
crypto::EccPoint ecc_point_of(binary::ByteView tpm2b_public);
// The modulus of an RSA TPM2B_PUBLIC with exponent 65537 (throws otherwise).
binary::Bytes rsa_modulus_of(binary::ByteView tpm2b_public);

}  // namespace drtm::tpm
