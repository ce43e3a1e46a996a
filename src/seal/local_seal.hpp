// Local attestation: seal a secret to DRTM PCR values (the current ones, or
// a prediction of the next launch), and unseal it only in a launch that
// reproduces them. PolicyPCR mode; signed, rollback-protected authorisations
// (PolicyAuthorize + NV counter) build on it.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "seal/sealed_store.hpp"

namespace drtm::seal {

// Refuses values of no launch (refuse_unlaunched), computes the PolicyPCR
// digest in software and seals under it. `values` need not be current: a
// prediction works the same way.
SealedSecret seal_secret(tpm::Tpm& tpm, binary::ByteView secret, const PcrSelection& selection,
                         const tpm::PcrBanks& values, const std::string& origin);

// A launch that does not match: names each PCR that differs.
class UnsealRefused : public std::runtime_error {
  public:
    UnsealRefused(const std::string& what, std::vector<std::uint32_t> differing)
        : std::runtime_error(what), differing_(std::move(differing)) {}
    const std::vector<std::uint32_t>& differing() const noexcept { return differing_; }

  private:
    std::vector<std::uint32_t> differing_;
};

binary::Bytes unseal_secret(tpm::Tpm& tpm, const SealedSecret& sealed);

}  // namespace drtm::seal
