// A sealed secret on disk: one JSON file, DIR/sealed.json, written
// atomically (temporary file, fsync, rename, directory fsync), so a crash
// leaves either the old store or the new one, never a half-written one. The
// sealed object and every signed authorisation live in that one file, so
// one rename switches all of them together. The file holds only
// TPM-protected blobs, public keys and public values: the secret is
// recoverable only through the TPM and its policy.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "seal/authorized_policy.hpp"
#include "seal/pcr_policy.hpp"
#include "tpm/tpm.hpp"

namespace drtm::seal {

enum class SealMode {
    pcr,         // TPM2_PolicyPCR to one set of values
    authorized,  // TPM2_PolicyAuthorize: signed authorisations + NV counter
};

// What an authorized-mode store adds.
struct AuthorizedStore {
    binary::Bytes key_public;  // marshalled TPM2B_PUBLIC of the owner's P-256 key
    binary::Bytes key_name;
    std::string key_file;  // where the private key was (a default for `authorize`)
    std::uint32_t nv_index = 0;
    binary::Bytes nv_name;
    std::vector<Authorization> authorizations;  // oldest first
};

struct SealedSecret {
    SealMode mode = SealMode::pcr;
    tpm::Tpm::SealedObject object;
    PcrSelection selection;       // the default selection for new authorisations
    tpm::PcrBanks sealed_values;  // pcr mode: what the policy commits to
    binary::Bytes policy;         // the object's authPolicy
    std::string origin;           // pcr mode: "current PCRs" or "prediction FILE"
    std::optional<AuthorizedStore> authorized;
};

void save_sealed(const std::filesystem::path& dir, const SealedSecret& s);
// Throws std::runtime_error naming the file and the broken field. Checks
// what can be checked without the TPM: the object's authPolicy is the
// recorded policy, and in authorized mode that policy names the recorded key.
SealedSecret load_sealed(const std::filesystem::path& dir);

}  // namespace drtm::seal
