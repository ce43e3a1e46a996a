// A sealed secret on disk: one JSON file, DIR/sealed.json, written
// atomically (temporary file, fsync, rename), so a crash leaves either the
// old sealed copy or the new one, never a half-written one. The file holds
// only TPM-protected blobs and public values: the secret is recoverable only
// through the TPM and its policy.
#pragma once

#include <filesystem>
#include <string>

#include "seal/pcr_policy.hpp"
#include "tpm/tpm.hpp"

namespace drtm::seal {

struct SealedSecret {
    tpm::Tpm::SealedObject object;
    PcrSelection selection;
    tpm::PcrBanks sealed_values;  // what the policy commits to, for readable refusals
    binary::Bytes policy;         // the object's authPolicy (PolicyPCR)
    std::string origin;           // "current PCRs" or "prediction FILE"
};

void save_sealed(const std::filesystem::path& dir, const SealedSecret& s);
// Throws std::runtime_error naming the file and the broken field.
SealedSecret load_sealed(const std::filesystem::path& dir);

}  // namespace drtm::seal
