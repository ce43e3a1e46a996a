// Tpm::seal and Tpm::unseal_with_pcr_policy: the TPM side of local
// attestation (sealing a secret to DRTM PCR values).
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include <cstring>

#include "crypto/digest.hpp"
#include "tpm/tpm.hpp"
#include "tpm/tpm_impl.hpp"

namespace drtm::tpm {

namespace {

using Handle = FlushOnExit;

// The TCG "SRK" template: RSA-2048 restricted decryption key, AES-128-CFB,
// no auth value, under the owner hierarchy.
TPM2B_PUBLIC srk_template() {
    TPM2B_PUBLIC t{};
    t.publicArea.type = TPM2_ALG_RSA;
    t.publicArea.nameAlg = TPM2_ALG_SHA256;
    t.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                    TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
    auto& rsa = t.publicArea.parameters.rsaDetail;
    rsa.symmetric.algorithm = TPM2_ALG_AES;
    rsa.symmetric.keyBits.aes = 128;
    rsa.symmetric.mode.aes = TPM2_ALG_CFB;
    rsa.scheme.scheme = TPM2_ALG_NULL;
    rsa.keyBits = 2048;
    rsa.exponent = 0;
    return t;
}

void create_srk(ESYS_CONTEXT* esys, Handle& srk) {
    TPM2B_SENSITIVE_CREATE sensitive{};
    TPM2B_PUBLIC tmpl = srk_template();
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION no_pcrs{};
    check_rc(Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                ESYS_TR_NONE, &sensitive, &tmpl, &outside, &no_pcrs, &srk.tr,
                                nullptr, nullptr, nullptr, nullptr),
             "TPM2_CreatePrimary(storage key)");
}

}  // namespace

Tpm::SealedObject Tpm::seal(binary::ByteView secret, binary::ByteView policy) {
    ESYS_CONTEXT* esys = impl_->esys;
    if (secret.size() > sizeof(TPM2B_SENSITIVE_DATA::buffer))
        throw std::invalid_argument("secret larger than " +
                                    std::to_string(sizeof(TPM2B_SENSITIVE_DATA::buffer)) +
                                    " bytes: seal a key to it instead");
    if (policy.size() != 32) throw std::invalid_argument("policy must be a SHA-256 digest");
    Handle srk{esys};
    create_srk(esys, srk);

    TPM2B_SENSITIVE_CREATE sensitive{};
    sensitive.sensitive.data.size = static_cast<UINT16>(secret.size());
    std::memcpy(sensitive.sensitive.data.buffer, secret.data(), secret.size());
    TPM2B_PUBLIC in_public{};
    in_public.publicArea.type = TPM2_ALG_KEYEDHASH;
    in_public.publicArea.nameAlg = TPM2_ALG_SHA256;
    // No USERWITHAUTH: only the policy can authorise unsealing.
    in_public.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
    in_public.publicArea.authPolicy.size = 32;
    std::memcpy(in_public.publicArea.authPolicy.buffer, policy.data(), 32);
    in_public.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION no_pcrs{};
    TPM2B_PRIVATE* out_private = nullptr;
    TPM2B_PUBLIC* out_public = nullptr;
    check_rc(Esys_Create(esys, srk.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                         &in_public, &outside, &no_pcrs, &out_private, &out_public, nullptr,
                         nullptr, nullptr),
             "TPM2_Create(sealed object)");
    // The secret is no longer needed in this process's memory.
    std::memset(sensitive.sensitive.data.buffer, 0, sizeof sensitive.sensitive.data.buffer);

    SealedObject obj;
    obj.public_area.resize(sizeof(TPM2B_PUBLIC));
    obj.private_area.resize(sizeof(TPM2B_PRIVATE));
    size_t pub_len = 0, priv_len = 0;
    TSS2_RC rc1 = Tss2_MU_TPM2B_PUBLIC_Marshal(out_public, obj.public_area.data(),
                                               obj.public_area.size(), &pub_len);
    TSS2_RC rc2 = Tss2_MU_TPM2B_PRIVATE_Marshal(out_private, obj.private_area.data(),
                                                obj.private_area.size(), &priv_len);
    Esys_Free(out_public);
    Esys_Free(out_private);
    check_rc(rc1, "marshal TPM2B_PUBLIC");
    check_rc(rc2, "marshal TPM2B_PRIVATE");
    obj.public_area.resize(pub_len);
    obj.private_area.resize(priv_len);
    return obj;
}

Bytes Tpm::unseal_with_pcr_policy(const SealedObject& object, HashAlg bank,
                                  const std::vector<std::uint32_t>& pcrs) {
    return unseal(object, {PolicyPcrStep{bank, pcrs}});
}

namespace {

TPML_PCR_SELECTION pcr_selection(const PolicyPcrStep& step) {
    TPML_PCR_SELECTION sel{};
    sel.count = 1;
    select_pcrs(sel.pcrSelections[0], step.bank, step.pcrs);
    return sel;
}

template <typename T>
void copy_into(T& tpm2b, binary::ByteView bytes, const char* what) {
    if (bytes.size() > sizeof tpm2b.buffer)
        throw std::invalid_argument(std::string(what) + " too large");
    tpm2b.size = static_cast<UINT16>(bytes.size());
    if (!bytes.empty()) std::memcpy(tpm2b.buffer, bytes.data(), bytes.size());
}

void assert_pcr(ESYS_CONTEXT* esys, ESYS_TR session, const PolicyPcrStep& step) {
    TPML_PCR_SELECTION sel = pcr_selection(step);
    TPM2B_DIGEST empty{};  // the TPM uses the current PCR values
    check_rc(Esys_PolicyPCR(esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &sel),
             "TPM2_PolicyPCR");
}

void assert_nv(ESYS_CONTEXT* esys, ESYS_TR session, const PolicyNvStep& step) {
    ESYS_TR nv = ESYS_TR_NONE;
    check_rc(Esys_TR_FromTPMPublic(esys, step.index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv),
             "NV index lookup");
    TPM2B_OPERAND operand{};
    copy_into(operand, step.operand, "PolicyNV operand");
    TSS2_RC rc = Esys_PolicyNV(esys, nv, nv, session, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                               &operand, step.offset, step.operation);
    Esys_TR_Close(esys, &nv);
    check_rc(rc, "TPM2_PolicyNV");
}

void assert_authorized(ESYS_CONTEXT* esys, ESYS_TR session, const PolicyAuthorizeStep& step) {
    TPM2B_PUBLIC key_public{};
    size_t off = 0;
    check_rc(Tss2_MU_TPM2B_PUBLIC_Unmarshal(step.key_public.data(), step.key_public.size(), &off,
                                            &key_public),
             "authorisation key: public area");
    // In the owner hierarchy: a key loaded in the NULL hierarchy gets a NULL
    // verification ticket, which PolicyAuthorize rejects.
    Handle key{esys};
    check_rc(Esys_LoadExternal(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, nullptr, &key_public,
                               ESYS_TR_RH_OWNER, &key.tr),
             "TPM2_LoadExternal(authorisation key)");

    // The TPM verifies the owner's signature over aHash = H(approved ‖ ref)
    // and vouches for it with a ticket that PolicyAuthorize checks.
    binary::Bytes message = step.approved_policy;
    message.insert(message.end(), step.policy_ref.begin(), step.policy_ref.end());
    TPM2B_DIGEST a_hash{};
    copy_into(a_hash, crypto::hash(crypto::HashAlg::sha256, message), "aHash");
    TPMT_SIGNATURE signature{};
    signature.sigAlg = TPM2_ALG_ECDSA;
    signature.signature.ecdsa.hash = TPM2_ALG_SHA256;
    copy_into(signature.signature.ecdsa.signatureR, step.signature.r, "ECDSA r");
    copy_into(signature.signature.ecdsa.signatureS, step.signature.s, "ECDSA s");
    TPMT_TK_VERIFIED* ticket = nullptr;
    check_rc(Esys_VerifySignature(esys, key.tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &a_hash,
                                  &signature, &ticket),
             "TPM2_VerifySignature(authorisation)");
    TPM2B_NAME* key_name = nullptr;
    TSS2_RC rc = Esys_TR_GetName(esys, key.tr, &key_name);
    if (rc != TSS2_RC_SUCCESS) {
        Esys_Free(ticket);
        check_rc(rc, "authorisation key name");
    }
    TPM2B_DIGEST approved{};
    TPM2B_NONCE ref{};
    copy_into(approved, step.approved_policy, "approved policy");
    copy_into(ref, step.policy_ref, "policyRef");
    rc = Esys_PolicyAuthorize(esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &approved,
                              &ref, key_name, ticket);
    Esys_Free(ticket);
    Esys_Free(key_name);
    check_rc(rc, "TPM2_PolicyAuthorize");
}

}  // namespace

Bytes Tpm::unseal(const SealedObject& object, const std::vector<PolicyStep>& steps) {
    ESYS_CONTEXT* esys = impl_->esys;
    TPM2B_PUBLIC in_public{};
    TPM2B_PRIVATE in_private{};
    size_t off = 0;
    check_rc(Tss2_MU_TPM2B_PUBLIC_Unmarshal(object.public_area.data(), object.public_area.size(),
                                            &off, &in_public),
             "sealed object: public area");
    if (off != object.public_area.size())
        throw TpmError("sealed object: trailing bytes after the public area", 0);
    off = 0;
    check_rc(Tss2_MU_TPM2B_PRIVATE_Unmarshal(object.private_area.data(), object.private_area.size(),
                                             &off, &in_private),
             "sealed object: private area");
    if (off != object.private_area.size())
        throw TpmError("sealed object: trailing bytes after the private area", 0);

    Handle srk{esys};
    create_srk(esys, srk);
    Handle item{esys};
    check_rc(Esys_Load(esys, srk.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &in_private,
                       &in_public, &item.tr),
             "TPM2_Load(sealed object)");

    Handle session{esys};
    start_policy_session(esys, session, "TPM2_StartAuthSession(policy)");
    for (const auto& step : steps) {
        if (auto* pcr = std::get_if<PolicyPcrStep>(&step)) assert_pcr(esys, session.tr, *pcr);
        if (auto* nv = std::get_if<PolicyNvStep>(&step)) assert_nv(esys, session.tr, *nv);
        if (auto* a = std::get_if<PolicyAuthorizeStep>(&step))
            assert_authorized(esys, session.tr, *a);
    }
    TPM2B_SENSITIVE_DATA* out = nullptr;
    TSS2_RC rc = Esys_Unseal(esys, item.tr, session.tr, ESYS_TR_NONE, ESYS_TR_NONE, &out);
    // A policy session is consumed by a successful command.
    if (rc == TSS2_RC_SUCCESS) session.tr = ESYS_TR_NONE;
    check_rc(rc, "TPM2_Unseal");
    Bytes secret(out->buffer, out->buffer + out->size);
    std::memset(out->buffer, 0, out->size);
    Esys_Free(out);
    return secret;
}

}  // namespace drtm::tpm
