// A software stand-in for a TPM's attestation side, for load generation and
// tests: an ECC P-256 key presented as a TPM attestation key (TPM2B_PUBLIC
// with a restricted signing key's attributes) that signs TPMS_ATTEST quotes.
// The bytes are exactly the TPM's formats, so the verifier runs its full
// appraisal on them; the key is not in a TPM, so nothing it signs says
// anything about a real machine. Never enroll one outside a benchmark.
#pragma once

#include "attest/evidence.hpp"
#include "attest/tpm_structures.hpp"
#include "crypto/ecdsa_key.hpp"

namespace drtm::attest {

class SoftwareAttester {
  public:
    static SoftwareAttester generate();
    // Of an existing P-256 private key (PEM), e.g. a load generator's saved nodes.
    static SoftwareAttester from_private_pem(const std::string& pem);

    const Bytes& ak_public() const { return ak_public_; }  // TPM2B_PUBLIC
    const Bytes& ak_name() const { return ak_name_; }

    // Evidence for `nonce`: a TPMS_ATTEST quote over every PCR in `pcrs`
    // (bank by bank in TPM_ALG_ID order), signed ECDSA-SHA256, with `log`.
    Evidence evidence(const std::string& node, ByteView nonce, const eventlog::PcrValues& pcrs,
                      ByteView log, const ClockInfo& clock) const;

  private:
    explicit SoftwareAttester(crypto::EcdsaP256Key key);
    crypto::EcdsaP256Key key_;
    Bytes ak_public_;
    Bytes ak_name_;
};

}  // namespace drtm::attest
