#include "tpm/object_names.hpp"

#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstring>
#include <stdexcept>

#include "crypto/digest.hpp"
#include "tpm/tpm.hpp"
#include "tpm/tpm_impl.hpp"

namespace drtm::tpm {

namespace {
TPM2B_PUBLIC unmarshal_public(binary::ByteView bytes) {
    TPM2B_PUBLIC pub{};
    size_t off = 0;
    check_rc(Tss2_MU_TPM2B_PUBLIC_Unmarshal(bytes.data(), bytes.size(), &off, &pub),
             "unmarshal TPM2B_PUBLIC");
    if (off != bytes.size()) throw std::runtime_error("trailing bytes after a TPM2B_PUBLIC");
    return pub;
}
}  // namespace

binary::Bytes ecc_p256_external_public(const crypto::EccPoint& point) {
    if (point.x.size() != 32 || point.y.size() != 32)
        throw std::invalid_argument("P-256 coordinates must be 32 bytes");
    TPM2B_PUBLIC pub{};
    auto& area = pub.publicArea;
    area.type = TPM2_ALG_ECC;
    area.nameAlg = TPM2_ALG_SHA256;
    area.objectAttributes =
        TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_USERWITHAUTH;
    auto& ecc = area.parameters.eccDetail;
    ecc.symmetric.algorithm = TPM2_ALG_NULL;
    ecc.scheme.scheme = TPM2_ALG_NULL;
    ecc.curveID = TPM2_ECC_NIST_P256;
    ecc.kdf.scheme = TPM2_ALG_NULL;
    area.unique.ecc.x.size = 32;
    std::memcpy(area.unique.ecc.x.buffer, point.x.data(), 32);
    area.unique.ecc.y.size = 32;
    std::memcpy(area.unique.ecc.y.buffer, point.y.data(), 32);
    binary::Bytes out(sizeof(TPM2B_PUBLIC));
    size_t len = 0;
    check_rc(Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out.data(), out.size(), &len),
             "marshal TPM2B_PUBLIC");
    out.resize(len);
    return out;
}

binary::Bytes object_name(binary::ByteView tpm2b_public) {
    TPM2B_PUBLIC pub = unmarshal_public(tpm2b_public);
    auto alg = crypto::alg_from_id(pub.publicArea.nameAlg);
    if (!alg) throw std::runtime_error("public area has an unsupported name algorithm");
    binary::Bytes area(sizeof(TPMT_PUBLIC));
    size_t len = 0;
    check_rc(Tss2_MU_TPMT_PUBLIC_Marshal(&pub.publicArea, area.data(), area.size(), &len),
             "marshal TPMT_PUBLIC");
    area.resize(len);
    binary::Bytes name{static_cast<std::uint8_t>(pub.publicArea.nameAlg >> 8),
                       static_cast<std::uint8_t>(pub.publicArea.nameAlg)};
    auto digest = crypto::hash(*alg, area);
    name.insert(name.end(), digest.begin(), digest.end());
    return name;
}

crypto::EccPoint ecc_point_of(binary::ByteView tpm2b_public) {
    TPM2B_PUBLIC pub = unmarshal_public(tpm2b_public);
    const auto& area = pub.publicArea;
    if (area.type != TPM2_ALG_ECC || area.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 ||
        area.unique.ecc.x.size != 32 || area.unique.ecc.y.size != 32)
        throw std::runtime_error("public area is not a P-256 key");
    return {binary::Bytes(area.unique.ecc.x.buffer, area.unique.ecc.x.buffer + 32),
            binary::Bytes(area.unique.ecc.y.buffer, area.unique.ecc.y.buffer + 32)};
}

binary::Bytes rsa_modulus_of(binary::ByteView tpm2b_public) {
    TPM2B_PUBLIC pub = unmarshal_public(tpm2b_public);
    const auto& area = pub.publicArea;
    if (area.type != TPM2_ALG_RSA ||
        (area.parameters.rsaDetail.exponent != 0 && area.parameters.rsaDetail.exponent != 65537))
        throw std::runtime_error("public area is not an RSA key with exponent 65537");
    return binary::Bytes(area.unique.rsa.buffer, area.unique.rsa.buffer + area.unique.rsa.size);
}

}  // namespace drtm::tpm
