// The Intel DCE: what a SINIT ACM measures after GETSEC[SENTER], with the
// Details/Authorities PCR mapping (reference/measurements.md §3). The order
// of the records follows a real SINIT log (intel-secl txt-logs.bin).
#pragma once

#include "binary/bytes.hpp"
#include "launch/measurer.hpp"
#include "launch/txt_platform.hpp"

namespace drtm::launch {

// The bytes the CPU sends through _TPM_Hash_Data on SENTER: the SINIT digest
// followed by the 4-byte EDX SENTER flags (little-endian).
binary::Bytes senter_event_data(binary::ByteView sinit_digest, std::uint32_t edx);

struct SinitInputs {
    binary::Bytes senter_data;       // as returned by senter_event_data()
    binary::Bytes sinit_signer_key;  // the ACM's RSA public key modulus
    binary::ByteView mle;            // the MLE as SINIT measures it (the DLME image)
    TxtPlatform platform;
    std::vector<crypto::HashAlg> tpm_banks;  // allocated banks, to cap the others
};

// Logs the SENTER record (already extended by the DRTM sequence), then
// extends and logs SINIT's PCR 17 and PCR 18 measurements at locality 3 and
// caps the banks SINIT does not hash with OneDigest.
void run_sinit_stage(Measurer& m, const SinitInputs& in);

}  // namespace drtm::launch
