// Signed, rollback-protected sealing authorisations (TPM2_PolicyAuthorize),
// computed in software. The sealed object's policy names only the owner's
// signing key; each launch the owner approves is a signed policy
//
//     approved = PolicyNV(PolicyPCR(0, values), counter ≤ limit)
//
// so the secret is sealed once and every predicted launch is authorised by
// a signature, as systemd-measure does for unified kernel images. The NV
// counter clause lets a newer authorisation revoke older ones: once the
// counter moves past an authorisation's limit, the TPM refuses it.
#pragma once

#include <cstdint>
#include <string>

#include "binary/bytes.hpp"
#include "crypto/ecdsa_key.hpp"
#include "seal/pcr_policy.hpp"

namespace drtm::seal {

// policy' = H(policy ‖ TPM_CC_PolicyNV ‖ H(operand ‖ offset ‖ operation) ‖ nvName)
binary::Bytes policy_nv(crypto::HashAlg policy_alg, binary::ByteView policy,
                        binary::ByteView operand, std::uint16_t offset, std::uint16_t operation,
                        binary::ByteView nv_name);

// The object's policy: H(H(0 ‖ TPM_CC_PolicyAuthorize ‖ keyName) ‖ policyRef).
// (PolicyAuthorize resets the session digest before it extends it.)
binary::Bytes policy_authorize(crypto::HashAlg policy_alg, binary::ByteView key_name,
                               binary::ByteView policy_ref);

// The NV operand of a counter limit: 8 bytes, big-endian (the counter's own
// encoding, compared with TPM_EO_UNSIGNED_LE).
binary::Bytes counter_operand(std::uint64_t limit);

// One approved launch.
struct Authorization {
    PcrSelection selection;
    tpm::PcrBanks values;             // selection.bank → PCR → value
    std::uint64_t counter_limit = 0;  // valid while the NV counter ≤ this
    binary::Bytes approved_policy;
    binary::Bytes signature;  // DER ECDSA-SHA256 over H(approved_policy), as openssl dgst writes
    std::string origin;       // what was approved ("current PCRs", "prediction FILE", …)
    std::string created;      // UTC, ISO 8601
};

binary::Bytes approved_policy(const PcrSelection& sel, const tpm::PcrBanks& values,
                              binary::ByteView nv_name, std::uint64_t counter_limit);

// Refuses all-FF / all-zero values (refuse_unlaunched), then signs.
Authorization sign_authorization(const crypto::EcdsaP256Key& key, const PcrSelection& sel,
                                 const tpm::PcrBanks& values, binary::ByteView nv_name,
                                 std::uint64_t counter_limit, const std::string& origin);

// Empty when `a` is sound: its approved policy is the one its values, the
// counter and the limit give, and the key signed it. Otherwise the reason.
std::string authorization_problem(const Authorization& a, const crypto::EcdsaP256Key& key,
                                  binary::ByteView nv_name);

}  // namespace drtm::seal
