// TPM 2.0 access through tpm2-tss ESAPI. The TCTI is chosen by string, so
// the same code serves /dev/tpmrm0 on a real machine and the emulated
// platform's swtpm.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "binary/bytes.hpp"
#include "crypto/ecdsa_key.hpp"
#include "crypto/hash_alg.hpp"
#include "tpm/platform_lock.hpp"
#include "tpm/tcti_spec.hpp"

namespace drtm::tpm {

using binary::Bytes;
using crypto::HashAlg;

// bank -> PCR index -> value
using PcrBanks = std::map<HashAlg, std::map<std::uint32_t, Bytes>>;

class TpmError : public std::runtime_error {
  public:
    TpmError(const std::string& what, std::uint32_t rc);
    std::uint32_t rc() const noexcept { return rc_; }

  private:
    std::uint32_t rc_;
};

struct TpmInfo {
    std::string manufacturer;  // 4-character vendor ID, e.g. "IBM"
    std::string vendor_string;
    std::uint64_t firmware_version = 0;
    std::uint32_t restart_count = 0;
    std::uint32_t reset_count = 0;
    std::vector<HashAlg> banks;
};

// The assertions of a policy session, in the order they are made. They
// must match, step for step, the policy the object (or the signed,
// authorised policy) was computed for.
struct PolicyPcrStep {  // TPM2_PolicyPCR over the current values
    HashAlg bank = HashAlg::sha256;
    std::vector<std::uint32_t> pcrs;
};
struct PolicyNvStep {  // TPM2_PolicyNV: NV contents <operation> operand
    std::uint32_t index = 0;
    Bytes operand;
    std::uint16_t offset = 0;
    std::uint16_t operation = 0;  // TPM_EO_*
};
struct PolicyAuthorizeStep {  // TPM2_VerifySignature + TPM2_PolicyAuthorize
    Bytes approved_policy;
    Bytes policy_ref;
    Bytes key_public;                  // marshalled TPM2B_PUBLIC of the signing key
    crypto::EcdsaSignature signature;  // ECDSA-SHA256 over H(approved ‖ policyRef)
};
using PolicyStep = std::variant<PolicyPcrStep, PolicyNvStep, PolicyAuthorizeStep>;

constexpr std::uint16_t kTpmEoUnsignedLe = 0x0009;

// An NV counter index (TPM_NT_COUNTER).
struct NvCounter {
    std::uint32_t index = 0;
    Bytes name;                          // as the TPM computes it (written)
    std::optional<std::uint64_t> value;  // none until first incremented
};

// Endorsement keys from the TCG EK Credential Profile's low-range templates
// (the ones whose certificates sit at NV 0x01c00002 and 0x01c0000a).
enum class EkType { rsa2048, ecc_p256 };

struct EndorsementKey {
    Bytes public_area;  // marshalled TPM2B_PUBLIC
    Bytes name;
    std::optional<Bytes> certificate;  // DER, from its NV index, when provisioned
};

// An attestation key: ECC P-256, restricted, signing only (ECDSA-SHA256),
// a child of the EK, so that its quotes carry the real reset and restart
// counts (the TPM obfuscates them for keys outside the endorsement and
// platform hierarchies). The private part is wrapped by the EK.
struct AttestationKeyBlob {
    Bytes public_area;   // marshalled TPM2B_PUBLIC
    Bytes private_area;  // marshalled TPM2B_PRIVATE
};

struct QuoteResult {
    Bytes attest;     // TPMS_ATTEST as the TPM signed it
    Bytes signature;  // marshalled TPMT_SIGNATURE
};

class Tpm {
  public:
    // Holds the platform lock (when the TCTI has one) for the object's life.
    explicit Tpm(const std::string& tcti, int lock_timeout_ms = 30000);
    ~Tpm();
    Tpm(const Tpm&) = delete;
    Tpm& operator=(const Tpm&) = delete;

    const TctiSpec& spec() const noexcept { return spec_; }

    // Banks with at least one PCR allocated, in TPM_ALG_ID order; banks drtm
    // has no hash for are left out.
    std::vector<HashAlg> allocated_banks();
    PcrBanks read_pcrs(const std::vector<HashAlg>& banks, const std::vector<std::uint32_t>& pcrs);
    void set_locality(std::uint8_t locality);
    std::uint8_t locality() const noexcept { return locality_; }
    void extend(std::uint32_t pcr, const std::vector<std::pair<HashAlg, Bytes>>& digests);
    // TPM2_Startup(CLEAR); returns false when the TPM was already started.
    bool startup_clear();
    TpmInfo info();

    // A sealed data object under the storage primary key (created on
    // demand from the standard template, so the same TPM recreates the same
    // parent every time). Only `policy` can authorise its use: the object has
    // no userWithAuth, so it cannot be unsealed by password.
    struct SealedObject {
        Bytes public_area;   // marshalled TPM2B_PUBLIC
        Bytes private_area;  // marshalled TPM2B_PRIVATE
    };
    SealedObject seal(binary::ByteView secret, binary::ByteView policy);
    // Loads the object and unseals it in a policy session satisfied with
    // TPM2_PolicyPCR over `pcrs` of `bank`. Throws TpmError (TPM_RC_POLICY_FAIL
    // when the PCRs differ from those sealed to).
    Bytes unseal_with_pcr_policy(const SealedObject& object, HashAlg bank,
                                 const std::vector<std::uint32_t>& pcrs);
    // Loads the object and unseals it in a policy session that makes
    // `steps` in order. Throws TpmError with the TPM's code of the first
    // assertion (or the unseal) that fails.
    Bytes unseal(const SealedObject& object, const std::vector<PolicyStep>& steps);

    // NV counters for rollback protection. Counters drtm defines have an
    // empty auth value for reading and incrementing (anyone may move a
    // counter forward, which only revokes) and are not subject to
    // dictionary-attack lockout; deleting one needs the owner hierarchy.
    // Returns nothing when `index` is not defined; throws when it is defined
    // but is not an NV counter.
    std::optional<NvCounter> nv_counter(std::uint32_t index);
    // Defines the counter and increments it once (so that it has a value and
    // its written name), returning it.
    NvCounter define_counter(std::uint32_t index);
    std::uint64_t increment_counter(std::uint32_t index);
    void undefine_nv(std::uint32_t index);
    // The first NV index in [first, last] that is not defined.
    std::optional<std::uint32_t> free_nv_index(std::uint32_t first, std::uint32_t last);

    // Remote attestation (TPM side).
    EndorsementKey endorsement_key(EkType type);
    AttestationKeyBlob create_attestation_key(EkType parent);
    QuoteResult quote(const AttestationKeyBlob& ak, EkType parent, binary::ByteView nonce,
                      const std::vector<std::pair<HashAlg, std::vector<std::uint32_t>>>& pcrs);
    // Manufacturing (emulated platform): an EK certificate into its NV index
    // as TPM vendors provision them — platform-created, platform-written,
    // readable with owner or index auth, then write-locked.
    void provision_certificate(std::uint32_t index, binary::ByteView der);

    // TPM2_ActivateCredential: the secret a registrar encrypted to this EK
    // for this AK's name (MakeCredential), released only if both are here.
    Bytes activate_credential(const AttestationKeyBlob& ak, EkType parent,
                              binary::ByteView credential_blob, binary::ByteView encrypted_secret);

  private:
    void flush_orphans();

    TctiSpec spec_;
    PlatformLock lock_;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::uint8_t locality_ = 0;
};

}  // namespace drtm::tpm
