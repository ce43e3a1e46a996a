// TPM2_MakeCredential in software (TPM 2.0 Part 1, §24): how a registrar
// proves that an attestation key lives in the same TPM as an endorsement
// key. The secret is encrypted to the EK and bound to the AK's name; only
// TPM2_ActivateCredential in a TPM holding both recovers it.
#pragma once

#include "binary/bytes.hpp"

namespace drtm::attest {

// An EK public area received from an attester, checked against the TCG EK
// Credential Profile low-range templates (RSA-2048 or ECC P-256: attributes,
// policy, symmetric and name algorithms). Throws binary::ParseError.
struct EndorsementKeyPublic {
    enum class Kind { rsa2048, ecc_p256 } kind = Kind::ecc_p256;
    binary::Bytes public_area;  // TPM2B_PUBLIC as received
    binary::Bytes name;
    binary::Bytes rsa_modulus;   // 256 bytes (exponent 65537)
    binary::Bytes ecc_x, ecc_y;  // 32 bytes each
};
EndorsementKeyPublic parse_endorsement_key(binary::ByteView tpm2b_public);

struct Credential {
    binary::Bytes credential_blob;   // marshalled TPM2B_ID_OBJECT
    binary::Bytes encrypted_secret;  // marshalled TPM2B_ENCRYPTED_SECRET
};

// `secret` at most 64 bytes; `ak_name` the full name (000b ‖ digest).
Credential make_credential(const EndorsementKeyPublic& ek, binary::ByteView ak_name,
                           binary::ByteView secret);

// KDFa (Part 1, §11.4.10.2) with SHA-256: exposed for its test vectors.
binary::Bytes kdfa_sha256(binary::ByteView key, const char* label, binary::ByteView context_u,
                          binary::ByteView context_v, std::uint32_t bits);

}  // namespace drtm::attest
