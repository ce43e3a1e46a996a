// TPM2_PolicyPCR computed in software (TPM 2.0 Part 3, §23.7): the policy
// digest a sealed object or a signed authorisation commits to, for PCR values
// that are predicted rather than current. Fails closed on values that show no
// dynamic launch happened.
#pragma once

#include <cstdint>
#include <vector>

#include "binary/bytes.hpp"
#include "crypto/hash_alg.hpp"
#include "tpm/tpm.hpp"

namespace drtm::seal {

struct PcrSelection {
    crypto::HashAlg bank = crypto::HashAlg::sha256;
    std::vector<std::uint32_t> pcrs = {17, 18};  // AEM's TrenchBoot choice minus PCR 13
};

// TPML_PCR_SELECTION with one bank, big-endian as on the TPM wire.
binary::Bytes marshal_pcr_selection(const PcrSelection& sel);

// H(value(pcr_1) ‖ … ‖ value(pcr_n)) in ascending PCR order, as the TPM
// concatenates them. Throws when a selected value is missing or has the
// wrong size.
binary::Bytes pcr_composite_digest(crypto::HashAlg policy_alg, const PcrSelection& sel,
                                   const tpm::PcrBanks& values);

// policy' = H(policy ‖ TPM_CC_PolicyPCR ‖ TPML_PCR_SELECTION ‖ composite).
binary::Bytes policy_pcr(crypto::HashAlg policy_alg, binary::ByteView policy,
                         const PcrSelection& sel, const tpm::PcrBanks& values);

// Throws std::runtime_error naming the PCR when a selected DRTM PCR (17-22)
// reads all 0xFF (no launch happened) or any selected PCR all zero (nothing
// was measured): never seal to or authorise such values.
void refuse_unlaunched(const PcrSelection& sel, const tpm::PcrBanks& values);

}  // namespace drtm::seal
