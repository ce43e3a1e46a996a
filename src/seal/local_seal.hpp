// Local attestation: seal a secret to DRTM PCR values (the current ones, or
// a prediction of the next launch), and unseal it only in a launch that
// reproduces them.
//
// Two modes. `pcr`: the object's policy is TPM2_PolicyPCR to one set of
// values; a new launch needs a new seal. `authorized`: the object's policy
// names the owner's signing key (TPM2_PolicyAuthorize); each approved launch
// is a signed policy PolicyPCR ∧ PolicyNV(counter ≤ limit), so a prediction
// can be approved before the reboot without resealing, and moving the NV
// counter revokes the older approvals (rollback protection).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/ecdsa_key.hpp"
#include "seal/sealed_store.hpp"

namespace drtm::seal {

// NV indices drtm picks counters from when none is given: owner-defined
// range (TCG handle registry), "D17" for DRTM PCR 17.
constexpr std::uint32_t kFirstCounterIndex = 0x01000D17;
constexpr std::uint32_t kLastCounterIndex = 0x01000DFF;

// Refuses values of no launch (refuse_unlaunched), computes the PolicyPCR
// digest in software and seals under it. `values` need not be current: a
// prediction works the same way.
SealedSecret seal_secret(tpm::Tpm& tpm, binary::ByteView secret, const PcrSelection& selection,
                         const tpm::PcrBanks& values, const std::string& origin);

struct AuthorizedSealOptions {
    const crypto::EcdsaP256Key* key = nullptr;  // the owner's key (private part needed)
    std::string key_file;                       // recorded as the default for `authorize`
    // The store this seal replaces (same directory): its counter is reused,
    // so the counter never goes back, and its live authorisations are kept.
    const SealedSecret* previous = nullptr;
    std::optional<std::uint32_t> nv_index;  // else reuse, or the first free in drtm's range
};

// Seals under PolicyAuthorize(key) and approves `values` as the first
// authorisation (valid at the counter's current value).
SealedSecret seal_authorized(tpm::Tpm& tpm, binary::ByteView secret, const PcrSelection& selection,
                             const tpm::PcrBanks& values, const std::string& origin,
                             const AuthorizedSealOptions& options);

// Approves another launch. Its limit is one above every earlier one (and
// the counter) unless `limit` is given (one generation for several variants
// of an update), so it outlives them once the counter reaches it. Drops
// authorisations the counter has already revoked and earlier ones for the
// same values. Returns the new authorisation (also appended to the store;
// the caller saves the store).
const Authorization& authorize(tpm::Tpm& tpm, SealedSecret& store, const crypto::EcdsaP256Key& key,
                               const PcrSelection& selection, const tpm::PcrBanks& values,
                               const std::string& origin,
                               std::optional<std::uint64_t> limit = std::nullopt);

// Moves the store's counter up to `limit` (never down), revoking every
// authorisation with a lower limit. Returns the counter's value.
std::uint64_t advance_counter(tpm::Tpm& tpm, const SealedSecret& store, std::uint64_t limit);

// A launch that does not match: names each PCR that differs.
class UnsealRefused : public std::runtime_error {
  public:
    UnsealRefused(const std::string& what, std::vector<std::uint32_t> differing)
        : std::runtime_error(what), differing_(std::move(differing)) {}
    const std::vector<std::uint32_t>& differing() const noexcept { return differing_; }

  private:
    std::vector<std::uint32_t> differing_;
};

struct UnsealResult {
    binary::Bytes secret;
    std::optional<std::size_t> authorization;  // authorized mode: which one matched
    std::optional<std::uint64_t> counter;      // authorized mode: counter value afterwards
};

// In authorized mode, a successful unseal moves the counter up to the
// limit of the authorisation used (unless `advance_counter` is false): the
// first launch of a new authorisation revokes the ones before it.
UnsealResult unseal_secret(tpm::Tpm& tpm, const SealedSecret& sealed, bool advance = true);

}  // namespace drtm::seal
