// Manufacturing the emulated platform's endorsement credentials: a CA of the
// platform's own (the "TPM vendor") issues certificates for the TCG
// low-range RSA-2048 and P-256 EKs and writes them into their NV indices,
// as vendors do, so registrars can check EKs against a root.
#pragma once

#include <filesystem>
#include <string>

namespace drtm::launch {

// DIR/ek-ca.pem (the root to trust) and DIR/ek-ca-key.pem (mode 0600).
// Returns false when the platform already has its certificates.
bool provision_ek_certificates(const std::filesystem::path& dir, const std::string& tcti);

}  // namespace drtm::launch
