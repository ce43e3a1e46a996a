// The TPM structures a verifier receives from an attester, parsed from
// untrusted bytes (TPM 2.0 Part 2): the quote (TPMS_ATTEST), its signature
// (TPMT_SIGNATURE) and the attestation key's public area (TPM2B_PUBLIC).
// Every failure is a binary::ParseError with the byte offset.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "binary/bytes.hpp"
#include "crypto/ecdsa_key.hpp"
#include "crypto/hash_alg.hpp"

namespace drtm::attest {

using binary::Bytes;
using binary::ByteView;

constexpr std::uint32_t kTpmGeneratedValue = 0xff544347;  // "\xffTCG"
constexpr std::uint16_t kTpmStAttestQuote = 0x8018;

struct PcrBankSelection {
    std::uint16_t hash_alg = 0;       // TPM_ALG_ID
    std::vector<std::uint32_t> pcrs;  // ascending
};

struct ClockInfo {
    std::uint64_t clock = 0;
    std::uint32_t reset_count = 0;
    std::uint32_t restart_count = 0;
    bool safe = false;
};

// TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE.
struct QuoteInfo {
    std::uint32_t magic = 0;
    std::uint16_t type = 0;
    Bytes qualified_signer;
    Bytes extra_data;  // the verifier's nonce
    ClockInfo clock;
    std::uint64_t firmware_version = 0;
    std::vector<PcrBankSelection> selection;  // in quote order
    Bytes pcr_digest;
};

// Parses the whole buffer; throws ParseError when it is not a quote
// (wrong magic or type), truncated, or followed by other bytes.
QuoteInfo parse_quote(ByteView attest);

// TPMT_SIGNATURE with TPM_ALG_ECDSA; the scheme's hash must be SHA-256.
crypto::EcdsaSignature parse_ecdsa_signature(ByteView signature);
Bytes marshal_ecdsa_signature(const crypto::EcdsaSignature& sig);

// A P-256 attestation key: a restricted signing key that the TPM created
// (fixedTPM, sensitiveDataOrigin) and that cannot decrypt, whose scheme is
// ECDSA-SHA256. Anything else cannot be trusted to sign only TPM-generated
// quotes, and is refused with the reason.
struct AttestationKey {
    Bytes public_area;  // the TPM2B_PUBLIC as received
    Bytes name;         // 000b ‖ SHA-256(TPMT_PUBLIC)
    crypto::EccPoint point;
};
AttestationKey parse_attestation_key(ByteView tpm2b_public);

// The digest a quote commits to: H(values of each selected PCR, bank by bank
// in selection order, ascending within a bank). `values` maps TPM_ALG_ID →
// PCR → value; throws std::runtime_error when one is missing.
Bytes quote_pcr_digest(crypto::HashAlg alg, const std::vector<PcrBankSelection>& selection,
                       const std::map<std::uint16_t, std::map<std::uint32_t, Bytes>>& values);

}  // namespace drtm::attest
