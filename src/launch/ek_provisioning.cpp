#include "launch/ek_provisioning.hpp"

#include "binary/file_io.hpp"
#include "crypto/x509.hpp"
#include "tpm/object_names.hpp"
#include "tpm/tpm.hpp"

namespace drtm::launch {

namespace {
constexpr std::uint32_t kRsaCertIndex = 0x01c00002, kEccCertIndex = 0x01c0000a;
}

bool provision_ek_certificates(const std::filesystem::path& dir, const std::string& tcti) {
    const auto ca_file = dir / "ek-ca.pem";
    if (std::filesystem::exists(ca_file)) return false;
    auto ca = crypto::make_certificate_authority("drtm emulated TPM manufacturer CA");
    tpm::Tpm t(tcti);
    std::uint64_t serial = 2;
    for (auto type : {tpm::EkType::rsa2048, tpm::EkType::ecc_p256}) {
        auto ek = t.endorsement_key(type);
        if (ek.certificate) continue;
        const bool rsa = type == tpm::EkType::rsa2048;
        binary::Bytes spki;
        if (rsa) {
            spki = crypto::rsa_spki(tpm::rsa_modulus_of(ek.public_area));
        } else {
            auto p = tpm::ecc_point_of(ek.public_area);
            spki = crypto::ec_p256_spki(p.x, p.y);
        }
        auto cert = crypto::issue_ek_certificate(ca, spki, rsa, serial++,
                                                 rsa ? "EK RSA-2048" : "EK ECC P-256");
        t.provision_certificate(rsa ? kRsaCertIndex : kEccCertIndex, cert);
    }
    // The key first: a CA file without its key would never be re-made.
    binary::write_file_atomic(dir / "ek-ca-key.pem", binary::as_bytes(ca.key_pem), 0600);
    binary::write_file_atomic(ca_file, std::string_view(crypto::der_to_pem(ca.certificate_der)));
    return true;
}

}  // namespace drtm::launch
