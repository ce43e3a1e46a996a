// Tpm::endorsement_key, create_attestation_key, quote, activate_credential:
// the attester's side of remote attestation.
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <cstring>

#include "tpm/tpm.hpp"
#include "tpm/tpm_impl.hpp"

namespace drtm::tpm {

namespace {
using Handle = FlushOnExit;

// PolicySecret(TPM_RH_ENDORSEMENT): the EK templates' authPolicy.
constexpr std::uint8_t kEkPolicy[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};
constexpr std::uint32_t kEkCertRsa = 0x01c00002, kEkCertEcc = 0x01c0000a;

TPM2B_PUBLIC ek_template(EkType type) {
    TPM2B_PUBLIC t{};
    auto& a = t.publicArea;
    a.nameAlg = TPM2_ALG_SHA256;
    a.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                         TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
                         TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
    a.authPolicy.size = 32;
    std::memcpy(a.authPolicy.buffer, kEkPolicy, 32);
    if (type == EkType::rsa2048) {
        a.type = TPM2_ALG_RSA;
        auto& rsa = a.parameters.rsaDetail;
        rsa.symmetric.algorithm = TPM2_ALG_AES;
        rsa.symmetric.keyBits.aes = 128;
        rsa.symmetric.mode.aes = TPM2_ALG_CFB;
        rsa.scheme.scheme = TPM2_ALG_NULL;
        rsa.keyBits = 2048;
        rsa.exponent = 0;
        a.unique.rsa.size = 256;  // zeros
    } else {
        a.type = TPM2_ALG_ECC;
        auto& ecc = a.parameters.eccDetail;
        ecc.symmetric.algorithm = TPM2_ALG_AES;
        ecc.symmetric.keyBits.aes = 128;
        ecc.symmetric.mode.aes = TPM2_ALG_CFB;
        ecc.scheme.scheme = TPM2_ALG_NULL;
        ecc.curveID = TPM2_ECC_NIST_P256;
        ecc.kdf.scheme = TPM2_ALG_NULL;
        a.unique.ecc.x.size = 32;  // zeros
        a.unique.ecc.y.size = 32;
    }
    return t;
}

TPM2B_PUBLIC ak_template() {
    TPM2B_PUBLIC t{};
    auto& a = t.publicArea;
    a.type = TPM2_ALG_ECC;
    a.nameAlg = TPM2_ALG_SHA256;
    a.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                         TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                         TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
    auto& ecc = a.parameters.eccDetail;
    ecc.symmetric.algorithm = TPM2_ALG_NULL;
    ecc.scheme.scheme = TPM2_ALG_ECDSA;
    ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    ecc.curveID = TPM2_ECC_NIST_P256;
    ecc.kdf.scheme = TPM2_ALG_NULL;
    return t;
}

template <typename T, TSS2_RC (*Marshal)(const T*, uint8_t*, size_t, size_t*)>
Bytes marshal(const T& value, const char* what) {
    Bytes out(sizeof(T) + 16);
    size_t len = 0;
    check_rc(Marshal(&value, out.data(), out.size(), &len), what);
    out.resize(len);
    return out;
}

template <typename T, TSS2_RC (*Unmarshal)(const uint8_t*, size_t, size_t*, T*)>
T unmarshal(binary::ByteView bytes, const char* what) {
    T value{};
    size_t off = 0;
    check_rc(Unmarshal(bytes.data(), bytes.size(), &off, &value), what);
    if (off != bytes.size()) throw TpmError(std::string(what) + ": trailing bytes", 0);
    return value;
}

void create_ek(ESYS_CONTEXT* esys, EkType type, Handle& ek, TPM2B_PUBLIC** out_public = nullptr) {
    TPM2B_SENSITIVE_CREATE sensitive{};
    TPM2B_PUBLIC tmpl = ek_template(type);
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION no_pcrs{};
    check_rc(Esys_CreatePrimary(esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                ESYS_TR_NONE, &sensitive, &tmpl, &outside, &no_pcrs, &ek.tr,
                                out_public, nullptr, nullptr, nullptr),
             "TPM2_CreatePrimary(endorsement key)");
}

// A policy session that satisfies the EK's policy (PolicySecret with the
// endorsement hierarchy's empty auth); one per command that uses the EK.
void ek_session(ESYS_CONTEXT* esys, Handle& session) {
    start_policy_session(esys, session, "TPM2_StartAuthSession(EK policy)");
    check_rc(
        Esys_PolicySecret(esys, ESYS_TR_RH_ENDORSEMENT, session.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                          ESYS_TR_NONE, nullptr, nullptr, nullptr, 0, nullptr, nullptr),
        "TPM2_PolicySecret(endorsement)");
}

void load_ak(ESYS_CONTEXT* esys, const AttestationKeyBlob& blob, const Handle& ek, Handle& ak) {
    auto pub = unmarshal<TPM2B_PUBLIC, Tss2_MU_TPM2B_PUBLIC_Unmarshal>(blob.public_area,
                                                                       "attestation key public");
    auto priv = unmarshal<TPM2B_PRIVATE, Tss2_MU_TPM2B_PRIVATE_Unmarshal>(
        blob.private_area, "attestation key private");
    Handle session{esys};
    ek_session(esys, session);
    TSS2_RC rc =
        Esys_Load(esys, ek.tr, session.tr, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &ak.tr);
    if (rc == TSS2_RC_SUCCESS) session.tr = ESYS_TR_NONE;  // consumed
    check_rc(rc, "TPM2_Load(attestation key)");
}

std::optional<Bytes> read_nv(ESYS_CONTEXT* esys, std::uint32_t index) {
    ESYS_TR nv = ESYS_TR_NONE;
    if (Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv) !=
        TSS2_RC_SUCCESS)
        return std::nullopt;
    TPM2B_NV_PUBLIC* pub = nullptr;
    Bytes out;
    TSS2_RC rc =
        Esys_NV_ReadPublic(esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, nullptr);
    if (rc == TSS2_RC_SUCCESS) {
        const std::uint16_t size = pub->nvPublic.dataSize;
        Esys_Free(pub);
        for (std::uint16_t off = 0; off < size && rc == TSS2_RC_SUCCESS;) {
            std::uint16_t chunk = std::min<std::uint16_t>(512, size - off);
            TPM2B_MAX_NV_BUFFER* data = nullptr;
            rc = Esys_NV_Read(esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                              ESYS_TR_NONE, chunk, off, &data);
            if (rc == TSS2_RC_SUCCESS) {
                out.insert(out.end(), data->buffer, data->buffer + data->size);
                off += data->size;
                Esys_Free(data);
            }
        }
    }
    Esys_TR_Close(esys, &nv);
    if (rc != TSS2_RC_SUCCESS) return std::nullopt;
    return out;
}
}  // namespace

EndorsementKey Tpm::endorsement_key(EkType type) {
    ESYS_CONTEXT* esys = impl_->esys;
    Handle ek{esys};
    TPM2B_PUBLIC* pub = nullptr;
    create_ek(esys, type, ek, &pub);
    EndorsementKey out;
    out.public_area = marshal<TPM2B_PUBLIC, Tss2_MU_TPM2B_PUBLIC_Marshal>(*pub, "EK public");
    Esys_Free(pub);
    TPM2B_NAME* name = nullptr;
    check_rc(Esys_TR_GetName(esys, ek.tr, &name), "EK name");
    out.name.assign(name->name, name->name + name->size);
    Esys_Free(name);
    out.certificate = read_nv(esys, type == EkType::rsa2048 ? kEkCertRsa : kEkCertEcc);
    return out;
}

AttestationKeyBlob Tpm::create_attestation_key(EkType parent) {
    ESYS_CONTEXT* esys = impl_->esys;
    Handle ek{esys};
    create_ek(esys, parent, ek);
    Handle session{esys};
    ek_session(esys, session);
    TPM2B_SENSITIVE_CREATE sensitive{};
    TPM2B_PUBLIC tmpl = ak_template();
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION no_pcrs{};
    TPM2B_PRIVATE* priv = nullptr;
    TPM2B_PUBLIC* pub = nullptr;
    TSS2_RC rc = Esys_Create(esys, ek.tr, session.tr, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl,
                             &outside, &no_pcrs, &priv, &pub, nullptr, nullptr, nullptr);
    if (rc == TSS2_RC_SUCCESS) session.tr = ESYS_TR_NONE;
    check_rc(rc, "TPM2_Create(attestation key)");
    AttestationKeyBlob blob;
    blob.public_area = marshal<TPM2B_PUBLIC, Tss2_MU_TPM2B_PUBLIC_Marshal>(*pub, "AK public");
    blob.private_area = marshal<TPM2B_PRIVATE, Tss2_MU_TPM2B_PRIVATE_Marshal>(*priv, "AK private");
    Esys_Free(pub);
    Esys_Free(priv);
    return blob;
}

QuoteResult Tpm::quote(const AttestationKeyBlob& blob, EkType parent, binary::ByteView nonce,
                       const std::vector<std::pair<HashAlg, std::vector<std::uint32_t>>>& pcrs) {
    ESYS_CONTEXT* esys = impl_->esys;
    if (nonce.size() > sizeof(TPM2B_DATA::buffer))
        throw std::invalid_argument("nonce larger than " +
                                    std::to_string(sizeof(TPM2B_DATA::buffer)) + " bytes");
    if (pcrs.size() > TPM2_NUM_PCR_BANKS) throw std::invalid_argument("too many PCR banks");
    Handle ek{esys};
    create_ek(esys, parent, ek);
    Handle ak{esys};
    load_ak(esys, blob, ek, ak);
    TPM2B_DATA qualifying{};
    qualifying.size = static_cast<UINT16>(nonce.size());
    if (!nonce.empty()) std::memcpy(qualifying.buffer, nonce.data(), nonce.size());
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_NULL;  // the key's own: ECDSA-SHA256
    TPML_PCR_SELECTION sel{};
    sel.count = static_cast<UINT32>(pcrs.size());
    for (std::size_t i = 0; i < pcrs.size(); ++i)
        select_pcrs(sel.pcrSelections[i], pcrs[i].first, pcrs[i].second);
    TPM2B_ATTEST* attest = nullptr;
    TPMT_SIGNATURE* signature = nullptr;
    check_rc(Esys_Quote(esys, ak.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying,
                        &scheme, &sel, &attest, &signature),
             "TPM2_Quote");
    QuoteResult out;
    out.attest.assign(attest->attestationData, attest->attestationData + attest->size);
    out.signature =
        marshal<TPMT_SIGNATURE, Tss2_MU_TPMT_SIGNATURE_Marshal>(*signature, "quote signature");
    Esys_Free(attest);
    Esys_Free(signature);
    return out;
}

Bytes Tpm::activate_credential(const AttestationKeyBlob& blob, EkType parent,
                               binary::ByteView credential_blob,
                               binary::ByteView encrypted_secret) {
    ESYS_CONTEXT* esys = impl_->esys;
    auto id = unmarshal<TPM2B_ID_OBJECT, Tss2_MU_TPM2B_ID_OBJECT_Unmarshal>(credential_blob,
                                                                            "credential blob");
    auto secret = unmarshal<TPM2B_ENCRYPTED_SECRET, Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal>(
        encrypted_secret, "encrypted secret");
    Handle ek{esys};
    create_ek(esys, parent, ek);
    Handle ak{esys};
    load_ak(esys, blob, ek, ak);
    Handle session{esys};
    ek_session(esys, session);
    TPM2B_DIGEST* cert_info = nullptr;
    TSS2_RC rc = Esys_ActivateCredential(esys, ak.tr, ek.tr, ESYS_TR_PASSWORD, session.tr,
                                         ESYS_TR_NONE, &id, &secret, &cert_info);
    if (rc == TSS2_RC_SUCCESS) session.tr = ESYS_TR_NONE;
    check_rc(rc, "TPM2_ActivateCredential");
    Bytes out(cert_info->buffer, cert_info->buffer + cert_info->size);
    Esys_Free(cert_info);
    return out;
}

void Tpm::provision_certificate(std::uint32_t index, binary::ByteView der) {
    ESYS_CONTEXT* esys = impl_->esys;
    if (der.empty() || der.size() > 2048) throw std::invalid_argument("certificate size");
    TPM2B_AUTH empty{};
    TPM2B_NV_PUBLIC pub{};
    pub.nvPublic.nvIndex = index;
    pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
    pub.nvPublic.attributes = TPMA_NV_PPWRITE | TPMA_NV_WRITEDEFINE | TPMA_NV_PPREAD |
                              TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA |
                              TPMA_NV_PLATFORMCREATE;
    pub.nvPublic.dataSize = static_cast<UINT16>(der.size());
    ESYS_TR nv = ESYS_TR_NONE;
    check_rc(Esys_NV_DefineSpace(esys, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                 ESYS_TR_NONE, &empty, &pub, &nv),
             "TPM2_NV_DefineSpace(EK certificate)");
    TSS2_RC rc = TSS2_RC_SUCCESS;
    for (std::size_t off = 0; off < der.size() && rc == TSS2_RC_SUCCESS; off += 512) {
        TPM2B_MAX_NV_BUFFER chunk{};
        chunk.size = static_cast<UINT16>(std::min<std::size_t>(512, der.size() - off));
        std::memcpy(chunk.buffer, der.data() + off, chunk.size);
        rc = Esys_NV_Write(esys, ESYS_TR_RH_PLATFORM, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                           ESYS_TR_NONE, &chunk, static_cast<UINT16>(off));
    }
    if (rc == TSS2_RC_SUCCESS)
        rc = Esys_NV_WriteLock(esys, ESYS_TR_RH_PLATFORM, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE);
    Esys_TR_Close(esys, &nv);
    check_rc(rc, "TPM2_NV_Write(EK certificate)");
}

}  // namespace drtm::tpm
