// The attester's key file: its attestation key (wrapped by the EK, usable
// only on this TPM), which EK it lives under, and the EK's public part and
// certificate for enrollment. Written atomically, mode 0600.
#pragma once

#include <filesystem>
#include <optional>

#include "tpm/tpm.hpp"

namespace drtm::attest {

struct AttesterKeys {
    tpm::EkType ek_type = tpm::EkType::ecc_p256;
    tpm::EndorsementKey ek;
    tpm::AttestationKeyBlob ak;
    binary::Bytes ak_name;
};

// Creates the AK under the EK of `type` and reads the EK (and certificate).
AttesterKeys create_attester_keys(tpm::Tpm& tpm, tpm::EkType type);
void save_attester_keys(const std::filesystem::path& path, const AttesterKeys& keys);
// Throws std::runtime_error naming the file and the field.
AttesterKeys load_attester_keys(const std::filesystem::path& path);

}  // namespace drtm::attest
