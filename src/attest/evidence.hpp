// Evidence: what an attester sends a verifier — a TPM quote over the DRTM
// PCRs with the verifier's nonce, the PCR values it covers, the attestation
// key's public area and the DRTM event log. One versioned JSON document
// ("drtm-evidence", version 1; docs/attestation.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "binary/bytes.hpp"
#include "eventlog/replay.hpp"
#include "tpm/tpm.hpp"

namespace drtm::attest {

// Bounds checked before anything is decoded (DoS): the whole document, and
// the event log inside it (the securityfs buffer is 32 KiB in practice).
constexpr std::size_t kMaxEvidenceBytes = 4 * 1024 * 1024;
constexpr std::size_t kMaxEventLogBytes = 2 * 1024 * 1024;

struct Evidence {
    std::string node;               // the attester's name for itself (informational)
    binary::Bytes ak_public;        // TPM2B_PUBLIC
    binary::Bytes quote_attest;     // TPMS_ATTEST
    binary::Bytes quote_signature;  // TPMT_SIGNATURE
    eventlog::PcrValues pcrs;       // the values the quote covers, as reported
    binary::Bytes eventlog;         // the DRTM log, as securityfs exposes it
};

nlohmann::json to_json(const Evidence& e);
std::string serialize(const Evidence& e);
// Throws std::runtime_error naming the field (and the JSON offset) on
// anything malformed or over the limits.
Evidence parse_evidence(std::string_view text);

// The attester's side: quote PCRs 17-22 (and `extra_pcrs`) in every bank
// the TPM has, with `nonce`, and bundle the quote with `log`.
struct CollectOptions {
    std::string node;
    std::vector<std::uint32_t> pcrs = {17, 18, 19, 20, 21, 22};
    std::vector<crypto::HashAlg> banks;  // empty: every bank the TPM has
    tpm::EkType ek = tpm::EkType::ecc_p256;
};
Evidence collect_evidence(tpm::Tpm& tpm, const tpm::AttestationKeyBlob& ak, binary::ByteView nonce,
                          binary::ByteView log, const CollectOptions& options);

}  // namespace drtm::attest
