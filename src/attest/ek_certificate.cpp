#include "attest/ek_certificate.hpp"

#include "crypto/x509.hpp"

namespace drtm::attest {

std::string ek_certificate_problem(const EndorsementKeyPublic& ek, binary::ByteView certificate_der,
                                   const std::vector<binary::Bytes>& roots,
                                   const std::vector<binary::Bytes>& intermediates) {
    if (auto why = crypto::verify_certificate(certificate_der, roots, intermediates); !why.empty())
        return "EK certificate does not chain to a trusted root: " + why;
    binary::Bytes expected = ek.kind == EndorsementKeyPublic::Kind::rsa2048
                                 ? crypto::rsa_spki(ek.rsa_modulus)
                                 : crypto::ec_p256_spki(ek.ecc_x, ek.ecc_y);
    if (crypto::certificate_spki(certificate_der) != expected)
        return "EK certificate is for another key";
    return {};
}

}  // namespace drtm::attest
