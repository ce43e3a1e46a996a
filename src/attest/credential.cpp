#include "attest/credential.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "crypto/digest.hpp"

namespace drtm::attest {

namespace {
constexpr std::uint32_t kEkAttributes = 0x000300B2;  // fixedTPM|fixedParent|sensitiveDataOrigin|
                                                     // adminWithPolicy|restricted|decrypt
constexpr std::uint16_t kAlgRsa = 0x0001, kAlgEcc = 0x0023, kAlgSha256 = 0x000b, kAlgAes = 0x0006,
                        kAlgCfb = 0x0043, kAlgNull = 0x0010, kCurveP256 = 0x0003;
// PolicySecret(TPM_RH_ENDORSEMENT), the templates' authPolicy.
const char* kEkPolicyHex = "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa";
// The label MakeCredential encrypts its seed under, NUL included.
constexpr char kIdentity[] = "IDENTITY";

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
    void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Ctx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("MakeCredential: ") + what);
}

binary::Bytes hmac_sha256(binary::ByteView key, binary::ByteView data) {
    binary::Bytes out(32);
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
              out.data(), &len))
        fail("HMAC failed");
    return out;
}

Pkey key_from(const char* type, OSSL_PARAM_BLD* bld) {
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld),
                                                                   OSSL_PARAM_free);
    Ctx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        fail("cannot import the EK public key");
    return Pkey(raw);
}

// RSA: a random seed, OAEP-encrypted to the EK with label "IDENTITY\0".
binary::Bytes rsa_seed(const EndorsementKeyPublic& ek, binary::Bytes& encrypted) {
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
    std::unique_ptr<BIGNUM, decltype(&BN_free)> n(
        BN_bin2bn(ek.rsa_modulus.data(), static_cast<int>(ek.rsa_modulus.size()), nullptr),
        BN_free);
    std::unique_ptr<BIGNUM, decltype(&BN_free)> e(BN_new(), BN_free);
    BN_set_word(e.get(), 65537);
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
    auto key = key_from("RSA", bld.get());
    binary::Bytes seed(32);
    if (RAND_bytes(seed.data(), 32) != 1) fail("no randomness");
    Ctx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    // OpenSSL takes ownership of the label buffer.
    auto* label = static_cast<unsigned char*>(OPENSSL_malloc(sizeof kIdentity));
    std::memcpy(label, kIdentity, sizeof kIdentity);
    std::size_t len = 0;
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, sizeof kIdentity) <= 0) {
        fail("cannot set up RSA-OAEP");
    }
    if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, seed.data(), seed.size()) <= 0)
        fail("RSA-OAEP failed");
    encrypted.resize(len);
    if (EVP_PKEY_encrypt(ctx.get(), encrypted.data(), &len, seed.data(), seed.size()) <= 0)
        fail("RSA-OAEP failed");
    encrypted.resize(len);
    return seed;
}

// ECC: an ephemeral key; the seed is KDFe over the ECDH x-coordinate.
binary::Bytes ecc_seed(const EndorsementKeyPublic& ek, binary::Bytes& encrypted) {
    binary::Bytes point{0x04};
    point.insert(point.end(), ek.ecc_x.begin(), ek.ecc_x.end());
    point.insert(point.end(), ek.ecc_y.begin(), ek.ecc_y.end());
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
    auto peer = key_from("EC", bld.get());
    Ctx check(EVP_PKEY_CTX_new_from_pkey(nullptr, peer.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) fail("EK point is not on P-256");
    Pkey eph(EVP_EC_gen("P-256"));
    if (!eph) fail("cannot generate an ephemeral key");
    Ctx derive(EVP_PKEY_CTX_new_from_pkey(nullptr, eph.get(), nullptr));
    std::size_t zlen = 32;
    binary::Bytes z(32);
    if (!derive || EVP_PKEY_derive_init(derive.get()) <= 0 ||
        EVP_PKEY_derive_set_peer(derive.get(), peer.get()) <= 0 ||
        EVP_PKEY_derive(derive.get(), z.data(), &zlen) <= 0 || zlen != 32)
        fail("ECDH failed");
    std::uint8_t pub[65];
    std::size_t publen = 0;
    if (!EVP_PKEY_get_octet_string_param(eph.get(), OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub,
                                         &publen) ||
        publen != 65)
        fail("cannot export the ephemeral point");
    binary::Bytes eph_x(pub + 1, pub + 33), eph_y(pub + 33, pub + 65);
    // KDFe (Part 1, §11.4.10.3): H(counter ‖ Z ‖ label ‖ partyU ‖ partyV), one block.
    binary::Writer kdf;
    kdf.u32be(1);
    kdf.bytes(z);
    kdf.bytes(binary::ByteView(reinterpret_cast<const std::uint8_t*>(kIdentity), sizeof kIdentity));
    kdf.bytes(eph_x);
    kdf.bytes(ek.ecc_x);
    binary::Writer point_out;  // TPMS_ECC_POINT
    point_out.u16be(32);
    point_out.bytes(eph_x);
    point_out.u16be(32);
    point_out.bytes(eph_y);
    encrypted = point_out.take();
    return crypto::hash(crypto::HashAlg::sha256, kdf.data());
}

binary::Bytes aes128_cfb(binary::ByteView key, binary::ByteView plain) {
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        EVP_CIPHER_CTX_free);
    const std::uint8_t iv[16] = {};
    binary::Bytes out(plain.size() + 16);
    int len = 0, fin = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_cfb128(), nullptr, key.data(), iv) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out.data(), &len, plain.data(),
                          static_cast<int>(plain.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1)
        fail("AES-128-CFB failed");
    out.resize(static_cast<std::size_t>(len + fin));
    return out;
}
}  // namespace

binary::Bytes kdfa_sha256(binary::ByteView key, const char* label, binary::ByteView context_u,
                          binary::ByteView context_v, std::uint32_t bits) {
    binary::Bytes out;
    for (std::uint32_t i = 1; out.size() * 8 < bits; ++i) {
        binary::Writer w;
        w.u32be(i);
        w.bytes(
            binary::ByteView(reinterpret_cast<const std::uint8_t*>(label), std::strlen(label) + 1));
        w.bytes(context_u);
        w.bytes(context_v);
        w.u32be(bits);
        auto block = hmac_sha256(key, w.data());
        out.insert(out.end(), block.begin(), block.end());
    }
    out.resize((bits + 7) / 8);
    return out;
}

EndorsementKeyPublic parse_endorsement_key(binary::ByteView tpm2b_public) {
    binary::Reader outer(tpm2b_public);
    auto r = outer.sub(outer.u16be(), "public area");
    if (!outer.at_end()) outer.fail("trailing bytes after the EK public area");
    EndorsementKeyPublic ek;
    ek.public_area.assign(tpm2b_public.begin(), tpm2b_public.end());
    const std::uint16_t type = r.u16be();
    if (type != kAlgRsa && type != kAlgEcc) r.fail_at(0, "EK is neither RSA nor ECC");
    if (r.u16be() != kAlgSha256) r.fail_at(2, "EK name algorithm is not SHA-256");
    if (r.u32be() != kEkAttributes) r.fail_at(4, "EK attributes are not the TCG template's");
    const std::size_t policy_at = r.position();
    std::uint16_t policy_size = r.u16be();
    auto policy = r.bytes(policy_size, "EK policy");
    if (binary::to_hex(policy) != kEkPolicyHex)
        r.fail_at(policy_at, "EK policy is not PolicySecret(endorsement)");
    if (r.u16be() != kAlgAes || r.u16be() != 128 || r.u16be() != kAlgCfb)
        r.fail("EK symmetric algorithm is not AES-128-CFB");
    if (r.u16be() != kAlgNull) r.fail("EK has a scheme");
    if (type == kAlgRsa) {
        if (r.u16be() != 2048) r.fail("EK is not RSA-2048");
        std::uint32_t exponent = r.u32be();
        if (exponent != 0 && exponent != 65537) r.fail("EK exponent is not 65537");
        const std::size_t n_at = r.position();
        auto n = r.bytes(r.u16be(), "RSA modulus");
        if (n.size() != 256) r.fail_at(n_at, "RSA modulus is not 256 bytes");
        ek.kind = EndorsementKeyPublic::Kind::rsa2048;
        ek.rsa_modulus.assign(n.begin(), n.end());
    } else {
        if (r.u16be() != kCurveP256) r.fail("EK is not on P-256");
        if (r.u16be() != kAlgNull) r.fail("EK has a KDF");
        auto x = r.bytes(r.u16be(), "x");
        auto y = r.bytes(r.u16be(), "y");
        if (x.size() != 32 || y.size() != 32) r.fail("P-256 coordinates must be 32 bytes");
        ek.kind = EndorsementKeyPublic::Kind::ecc_p256;
        ek.ecc_x.assign(x.begin(), x.end());
        ek.ecc_y.assign(y.begin(), y.end());
    }
    if (!r.at_end()) r.fail("trailing bytes in the EK public area");
    ek.name = {0x00, 0x0b};
    auto digest = crypto::hash(crypto::HashAlg::sha256, r.data());
    ek.name.insert(ek.name.end(), digest.begin(), digest.end());
    return ek;
}

Credential make_credential(const EndorsementKeyPublic& ek, binary::ByteView ak_name,
                           binary::ByteView secret) {
    if (secret.empty() || secret.size() > 64) fail("the secret must be 1 to 64 bytes");
    binary::Bytes encrypted;
    const auto seed = ek.kind == EndorsementKeyPublic::Kind::rsa2048 ? rsa_seed(ek, encrypted)
                                                                     : ecc_seed(ek, encrypted);
    const auto sym_key = kdfa_sha256(seed, "STORAGE", ak_name, {}, 128);
    const auto hmac_key = kdfa_sha256(seed, "INTEGRITY", {}, {}, 256);
    binary::Writer plain;  // TPM2B_DIGEST of the secret
    plain.u16be(static_cast<std::uint16_t>(secret.size()));
    plain.bytes(secret);
    const auto enc_identity = aes128_cfb(sym_key, plain.data());
    binary::Writer mac_input;
    mac_input.bytes(enc_identity);
    mac_input.bytes(ak_name);
    const auto integrity = hmac_sha256(hmac_key, mac_input.data());

    binary::Writer id;  // TPM2B_ID_OBJECT
    id.u16be(static_cast<std::uint16_t>(2 + integrity.size() + enc_identity.size()));
    id.u16be(static_cast<std::uint16_t>(integrity.size()));
    id.bytes(integrity);
    id.bytes(enc_identity);
    binary::Writer es;  // TPM2B_ENCRYPTED_SECRET
    es.u16be(static_cast<std::uint16_t>(encrypted.size()));
    es.bytes(encrypted);
    return {id.take(), es.take()};
}

}  // namespace drtm::attest
