#include "seal/local_seal.hpp"

#include <tss2/tss2_tpm2_types.h>

namespace drtm::seal {

SealedSecret seal_secret(tpm::Tpm& tpm, binary::ByteView secret, const PcrSelection& selection,
                         const tpm::PcrBanks& values, const std::string& origin) {
    refuse_unlaunched(selection, values);
    SealedSecret s;
    s.selection = selection;
    for (auto p : selection.pcrs)
        s.sealed_values[selection.bank][p] = values.at(selection.bank).at(p);
    s.policy = policy_pcr(crypto::HashAlg::sha256, binary::Bytes(32, 0), selection, values);
    s.origin = origin;
    s.object = tpm.seal(secret, s.policy);
    return s;
}

binary::Bytes unseal_secret(tpm::Tpm& tpm, const SealedSecret& sealed) {
    // Check the launch first: it gives a readable answer, and a policy that
    // cannot succeed is not even tried.
    auto current = tpm.read_pcrs({sealed.selection.bank}, sealed.selection.pcrs);
    std::vector<std::uint32_t> differing;
    std::string detail;
    for (auto p : sealed.selection.pcrs) {
        const auto& now = current[sealed.selection.bank][p];
        const auto& then = sealed.sealed_values.at(sealed.selection.bank).at(p);
        if (now != then) {
            differing.push_back(p);
            detail += "\n  PCR " + std::to_string(p) + " (" +
                      std::string(crypto::alg_name(sealed.selection.bank)) + "): sealed to " +
                      binary::to_hex(then) + ", now " + binary::to_hex(now);
        }
    }
    if (!differing.empty())
        throw UnsealRefused(
            "this launch does not match the sealed PCR values (" + sealed.origin + "):" + detail,
            differing);
    try {
        return tpm.unseal_with_pcr_policy(sealed.object, sealed.selection.bank,
                                          sealed.selection.pcrs);
    } catch (const tpm::TpmError& e) {
        if ((e.rc() & 0xFFF) == (TPM2_RC_POLICY_FAIL & 0xFFF) ||
            ((e.rc() & TPM2_RC_FMT1) && (e.rc() & 0x3F) == (TPM2_RC_POLICY_FAIL & 0x3F)))
            throw UnsealRefused(
                "the TPM refused the policy although the recorded PCR values match: the sealed "
                "file was changed or belongs to another object (" +
                    std::string(e.what()) + ")",
                {});
        throw;
    }
}

}  // namespace drtm::seal
